"""Engine v2: declared saved values, per-pass state, 0-d gradients, requires_grad checks."""

import threading

import numpy as np
import pytest

import lucid
from lucid._graph import func_op, operation
from lucid.autograd import gradcheck


# --------------------------------------------------------------------------- 0-d gradients


def test_a_0d_leaf_accumulates_over_repeated_backward_passes():
    b = lucid.tensor(0.5, requires_grad=True)
    x = lucid.tensor([1.0, 2.0, 3.0])
    for _ in range(3):
        (x + b).sum().backward()
    assert b.grad.shape == () and b.grad.item() == 9.0


def test_a_0d_leaf_reached_by_two_paths_sums_both():
    a = lucid.tensor(2.0, requires_grad=True)
    (a + a * lucid.tensor([3.0])).sum().backward()
    assert a.grad.item() == 4.0


def test_a_0d_intermediate_summing_three_contributions_keeps_them_all():
    # t gets two 0-d contributions (t * t) and then a broadcast one (x0 + t): the first sum of
    # two 0-d arrays is a NumPy scalar, into which the third used to be added and lost.
    x1 = lucid.tensor(0.3, dtype=lucid.float64, requires_grad=True)
    x0 = lucid.tensor([0.5], dtype=lucid.float64)
    t = x1.tanh()
    (x0 + t + t * t).sum().backward()
    th = np.tanh(0.3)
    np.testing.assert_allclose(x1.grad.numpy(), (1 + 2 * th) * (1 - th**2), rtol=1e-12)


@pytest.mark.torch
def test_0d_gradients_match_torch_over_mixed_broadcasts(rng):
    torch = pytest.importorskip("torch")
    s = rng.standard_normal(())
    m = rng.standard_normal((4, 3))
    a, at = lucid.tensor(s, requires_grad=True), torch.tensor(s, requires_grad=True)
    for _ in range(2):
        ((a * lucid.tensor(m)).exp() + a).sum().backward()
        ((at * torch.tensor(m)).exp() + at).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), rtol=1e-12)


# --------------------------------------------------------------------------- requires_grad


def test_requires_grad_attribute_refuses_integer_tensors():
    x = lucid.tensor([1, 2, 3])
    with pytest.raises(TypeError, match="int64"):
        x.requires_grad = True
    assert not x.requires_grad


def test_requires_grad_attribute_on_a_float_leaf_works():
    x = lucid.tensor([1.0, 2.0])
    x.requires_grad = True
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


# --------------------------------------------------------------------------- per-pass state


def test_a_hook_that_differentiates_the_graph_inside_backward_is_correct(rng):
    data = rng.standard_normal(5)
    x = lucid.tensor(data, requires_grad=True)
    a = x * 2.0
    b = a.tanh()
    c = a.exp()  # runs before b's op in backward, so a's op is half-summed when b's hook fires
    y = (b * c).sum()
    inner = []

    def hook(g):
        # A nested pass over the same retained graph while the outer one runs (hooks fire in
        # every pass, as in PyTorch, so only the outer call nests one).
        if not inner:
            inner.append(None)
            (gx,) = lucid.autograd.grad(y, x, retain_graph=True)
            inner[0] = gx.numpy().copy()

    b.register_hook(hook)
    y.backward(retain_graph=True)
    t, e = np.tanh(2 * data), np.exp(2 * data)
    expected = 2 * ((1 - t**2) * e + t * e)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(inner[0], expected, rtol=1e-12)


def test_eight_threads_differentiate_one_retained_graph(rng):
    data = rng.standard_normal((8, 4))
    x = lucid.tensor(data, requires_grad=True)
    h = x
    for _ in range(300):  # long enough for the threads' passes to overlap
        h = (h * 0.9).tanh() + h * 0.1
    y = (h * h).sum()
    (expected,) = lucid.autograd.grad(y, x, retain_graph=True)
    errors, results = [], []

    def work():
        try:
            for _ in range(5):
                results.append(lucid.autograd.grad(y, x, retain_graph=True)[0])
        except Exception as exc:  # collected: the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(results) == 40
    for g in results:
        np.testing.assert_array_equal(g.numpy(), expected.numpy())


def test_eight_threads_accumulate_into_one_leaf(rng):
    w = lucid.tensor(rng.standard_normal(10), requires_grad=True)
    y = (w * w).sum()

    def work():
        for _ in range(25):
            y.backward(retain_graph=True)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    np.testing.assert_allclose(w.grad.numpy(), 200 * 2 * w.numpy(), rtol=1e-12)


# --------------------------------------------------------------------------- saved values


class Cube(operation):
    """x**3 saving its input;  d/dx = 3 x**2."""

    @func_op(1)
    def forward(self, x):
        self.save_for_backward(x)
        return x**3

    def gradient(self, grad):
        (x,) = self.saved_tensors
        return grad * 3 * x * x


class CubeSavingACopy(operation):
    """x**3 saving a copy of its input: the copy's link to x is unknown to the engine."""

    @func_op(1)
    def forward(self, x):
        self.save_for_backward(x.copy())
        return x**3

    def gradient(self, grad):
        (x,) = self.saved_tensors
        return grad * 3 * x * x


class ExpSavingResult(operation):
    """exp(x) saving its result;  d/dx = out."""

    @func_op(1)
    def forward(self, x):
        out = np.exp(x)
        self.save_for_backward(out)
        return out

    def gradient(self, grad):
        (out,) = self.saved_tensors
        return grad * out


def test_declared_inputs_give_correct_second_and_third_derivatives(rng):
    data = rng.standard_normal(4)
    x = lucid.tensor(data, requires_grad=True)
    assert gradcheck(lambda t: Cube()(t), (x,))
    (g,) = lucid.autograd.grad(Cube()(x).sum(), x, create_graph=True)
    (gg,) = lucid.autograd.grad(g.sum(), x, create_graph=True)
    (ggg,) = lucid.autograd.grad(gg.sum(), x)
    np.testing.assert_allclose(g.numpy(), 3 * data**2, rtol=1e-12)
    np.testing.assert_allclose(gg.numpy(), 6 * data, rtol=1e-12)
    np.testing.assert_allclose(ggg.numpy(), np.full(4, 6.0), rtol=1e-12)


def test_declared_result_gives_correct_second_derivative(rng):
    data = rng.standard_normal(4)
    x = lucid.tensor(data, requires_grad=True)
    (g,) = lucid.autograd.grad(ExpSavingResult()(x).sum(), x, create_graph=True)
    (gg,) = lucid.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), np.exp(data), rtol=1e-12)


def test_a_saved_copy_passes_first_order_and_refuses_second_order_by_name(rng):
    x = lucid.tensor(rng.standard_normal(4), requires_grad=True)
    assert gradcheck(lambda t: CubeSavingACopy()(t), (x,))
    with pytest.raises(RuntimeError, match="CubeSavingACopy cannot be differentiated twice"):
        lucid.autograd.grad(CubeSavingACopy()(x).sum(), x, create_graph=True)


def test_saved_tensors_after_release_raises_naming_retain_graph(rng):
    x = lucid.tensor(rng.standard_normal(3), requires_grad=True)
    y = Cube()(x)
    op = y.grad_fn
    y.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        op.saved_tensors


class WrongShapeGradient(operation):
    """x * 2 whose gradient (a bug) has a shape that cannot be summed to the input's."""

    @func_op(1)
    def forward(self, x):
        return x * 2

    def gradient(self, grad):
        return np.ones((7,) + grad.shape[1:] + (5,))


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_gradient_of_the_wrong_shape_names_the_op_and_the_input(create_graph):
    x = lucid.tensor(np.ones((3, 2)), requires_grad=True)
    y = WrongShapeGradient()(x * 1.5).sum()
    with pytest.raises(
        RuntimeError, match=r"WrongShapeGradient.gradient returned .*input 0 of shape \(3, 2\)"
    ):
        lucid.autograd.grad(y, x, create_graph=create_graph)
