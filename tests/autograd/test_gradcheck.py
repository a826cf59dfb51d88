"""gradcheck and gradgradcheck themselves: they pass correct derivatives and catch wrong ones."""

import numpy as np
import pytest

import lucid
from lucid._graph import operation, unary_func_op
from lucid.autograd import GradcheckError, gradcheck, gradgradcheck
from lucid.ops import _xp


class CubeWithConstantSlope(operation):
    """x**3 whose gradient reads x's values as a constant (``_xp.data``): right first
    derivative, but the second derivative comes out 0 instead of 6 x * grad."""

    @unary_func_op()
    def forward(self, x):
        self.save_for_backward(x)
        return x * x * x

    def gradient(self, grad):
        (x,) = self.saved_tensors
        return grad * 3 * _xp.data(x) ** 2


class CubeIgnoringUpstream(operation):
    """x**3 whose gradient computes 3 x**2 * grad from grad's values only, so the gradient is
    right but does not depend on grad in the graph: its derivative by grad is lost."""

    @unary_func_op()
    def forward(self, x):
        self.save_for_backward(x)
        return x * x * x

    def gradient(self, grad):
        (x,) = self.saved_tensors
        return lucid.tensor(np.asarray(grad.numpy())) * 3 * x * x if isinstance(
            grad, lucid.Tensor) else grad * 3 * x * x  # fmt: skip


def x64(rng, shape):
    return lucid.tensor(rng.standard_normal(shape) + 0.5, dtype=lucid.float64, requires_grad=True)


def test_gradgradcheck_passes_a_correct_op(rng):
    assert gradgradcheck(lambda x, y: x * x * y, (x64(rng, (2, 3)), x64(rng, 3)))


def test_gradgradcheck_catches_a_constant_saved_derivative(rng):
    x = x64(rng, 4)
    assert gradcheck(CubeWithConstantSlope(), (x,))  # the first derivative is right
    with pytest.raises(GradcheckError, match=r"d/d input 0 \(shape \(4,\)\), element"):
        gradgradcheck(CubeWithConstantSlope(), (x,))


def test_gradgradcheck_checks_the_derivative_by_the_upstream_gradient(rng):
    x = x64(rng, 4)
    with pytest.raises(GradcheckError, match="d/d grad_output 0"):
        gradgradcheck(lambda x: CubeIgnoringUpstream()(x), (x,))
    assert gradgradcheck(lambda x: CubeIgnoringUpstream()(x), (x,), check_grad_outputs=False)


def test_gradgradcheck_of_a_linear_function_finds_zero_second_derivatives(rng):
    assert gradgradcheck(lambda x: x * 2.0 + 1.0, (x64(rng, 3),))


def test_gradgradcheck_accepts_given_grad_outputs(rng):
    x = x64(rng, 3)
    assert gradgradcheck(lambda x: lucid.exp(x), (x,), grad_outputs=[np.arange(3.0)])
    with pytest.raises(ValueError, match="1 grad_outputs for 2 outputs"):
        gradgradcheck(lambda x: (x * 2.0, x * 3.0), (x,), grad_outputs=[np.ones(3)])


def test_gradcheck_refuses_float32_and_inputs_without_grad(rng):
    with pytest.raises(TypeError, match="use float64"):
        gradgradcheck(lucid.exp, (lucid.tensor([1.0], requires_grad=True),))
    with pytest.raises(ValueError, match="no input requires grad"):
        gradgradcheck(lucid.exp, (lucid.tensor([1.0], dtype=lucid.float64),))
