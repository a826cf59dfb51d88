"""The graph layer's rules: recording, backward order and accumulation, release, grad mode."""

import gc
import subprocess
import sys
import threading
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import lucid
from lucid._graph import func_op, operation, poly_func_op
from lucid.autograd import gradcheck


def leaf(rng, shape, dtype=np.float64):
    return lucid.tensor(rng.standard_normal(shape), dtype=dtype, requires_grad=True)


# --------------------------------------------------------------------------- recording


def test_or_rule_for_requires_grad(rng):
    a = leaf(rng, (3,))
    b = lucid.tensor(rng.standard_normal(3))
    assert (a + b).requires_grad
    assert (b + a).requires_grad
    assert not (b + b).requires_grad
    assert (b + b).grad_fn is None  # a result of constants is not recorded
    assert not (a + b).is_leaf


def test_no_grad_records_nothing(rng):
    a = leaf(rng, (3,))
    with lucid.no_grad():
        y = a * 2
        with lucid.enable_grad():
            z = a * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and lucid.is_grad_enabled()


def test_grad_mode_decorators(rng):
    a = leaf(rng, (2,))

    @lucid.no_grad()
    def frozen(x):
        return x * 3

    @lucid.enable_grad()
    def thawed(x):
        return x * 3

    assert not frozen(a).requires_grad
    with lucid.no_grad():
        assert thawed(a).requires_grad
        assert not lucid.is_grad_enabled()


def test_grad_mode_is_thread_local(rng):
    a = leaf(rng, (2,))
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def worker():
        seen["worker_start"] = lucid.is_grad_enabled()
        seen["worker_records"] = (a * 2).requires_grad
        inside.set()
        release.wait(5)

    with lucid.no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        inside.wait(5)
        seen["main_records"] = (a * 2).requires_grad
        release.set()
        thread.join()
    assert seen == {"worker_start": True, "worker_records": True, "main_records": False}


# --------------------------------------------------------------------------- backward


def test_diamond_sums_both_paths(rng):
    x = leaf(rng, (4,))
    h = x * 3
    y = (h.exp() + h.tanh()).sum()
    y.backward()
    expected = 3 * (np.exp(3 * x.numpy()) + 1 - np.tanh(3 * x.numpy()) ** 2)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-12)


def test_non_leaf_feeding_one_op_twice(rng):
    x = leaf(rng, (5,))
    h = x * 2
    (h * h).sum().backward()
    np.testing.assert_allclose(x.grad, 8 * x.numpy(), rtol=1e-12)


def test_leaf_used_twice_in_one_op(rng):
    x = leaf(rng, (5,))
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.numpy(), rtol=1e-12)


def test_leaf_gradients_accumulate_across_backward_calls(rng):
    x = leaf(rng, (3,))
    (x * 2).sum().backward()
    (x * 5).sum().backward()
    np.testing.assert_allclose(x.grad, np.full(3, 7.0))
    x.zero_grad()
    assert x.grad is None


def test_leaf_grad_is_not_shared_with_other_buffers(rng):
    a, b = leaf(rng, (3,)), leaf(rng, (3,))
    upstream = rng.standard_normal(3)
    (a + b).backward(upstream)
    a.grad *= 0  # a user's in-place change must touch nothing else
    np.testing.assert_allclose(b.grad, upstream)
    np.testing.assert_allclose(upstream, upstream.copy())
    assert b.grad is not upstream


def test_broadcast_gradient_accumulates_into_existing_grad(rng):
    b = leaf(rng, (1, 4))
    a = lucid.tensor(rng.standard_normal((300, 4)))
    (a * b).sum().backward()
    first = b.grad.clone()
    (a * b).sum().backward()
    np.testing.assert_allclose(b.grad, 2 * first, rtol=1e-12)
    np.testing.assert_allclose(first, a.numpy().sum(axis=0, keepdims=True), rtol=1e-12)


def test_intermediate_gradients_freed_unless_retained(rng):
    x = leaf(rng, (3,))
    h = x * 2
    kept = x * 3
    kept.retain_grad()
    (h + kept).sum().backward()
    assert h.grad is None
    np.testing.assert_allclose(kept.grad, np.ones(3))


def test_second_backward_raises_naming_retain_graph(rng):
    x = leaf(rng, (3,))
    y = (x * 2).tanh().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_retain_graph_allows_a_second_backward_that_accumulates(rng):
    x = leaf(rng, (3,))
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, 4 * x.numpy())


def test_non_scalar_backward_needs_a_gradient(rng):
    y = leaf(rng, (3,)) * 2
    with pytest.raises(RuntimeError, match="scalar"):
        y.backward()


def test_backward_gradient_of_wrong_shape_is_refused(rng):
    y = leaf(rng, (3,)) * 2
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        y.backward(np.ones(2))


def test_backward_without_requires_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (lucid.tensor([1.0]) * 2).sum().backward()


def test_backward_on_a_leaf_seeds_its_grad():
    x = lucid.tensor(2.0, requires_grad=True)
    x.backward()
    assert x.grad == 1.0


def test_long_chain_has_no_recursion_limit():
    x = lucid.tensor([0.5], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0])


def test_dropped_graph_is_freed_without_the_garbage_collector(rng):
    gc.collect()
    gc.disable()
    try:
        x = leaf(rng, (8,))
        h = (x * 2).tanh()
        loss = (h * h).sum()
        refs = [weakref.ref(t) for t in (h, loss)] + [weakref.ref(loss.grad_fn)]
        refs.append(weakref.ref(h.grad_fn))
        del h, loss
        assert all(r() is None for r in refs)
        y = (x.exp() * x).sum()
        refs = [weakref.ref(y), weakref.ref(y.grad_fn)]
        y.backward()
        del y
        assert all(r() is None for r in refs)
    finally:
        gc.enable()


def test_in_place_change_of_saved_input_is_detected(rng):
    x = leaf(rng, (3,))
    c = lucid.tensor(rng.standard_normal(3))
    y = (x * c).sum()
    c.data += 1  # a change through .numpy() goes unseen, as in PyTorch ...
    c._version += 1  # ... but an in-place op bumps the version, which backward checks
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


# --------------------------------------------------------------------------- func_op


class SplitHalves(operation):
    """Two results: the first and second half of a 1-D x."""

    @func_op(1, 2)
    def forward(self, x):
        self.n = x.shape[0] // 2
        return x[: self.n].copy(), x[self.n :].copy()

    def gradient(self, grads):
        return np.concatenate(grads)


class SumAll(operation):
    """Any number of inputs, summed."""

    @poly_func_op()
    def forward(self, *xs):
        return sum(xs[1:], xs[0])

    def gradient(self, grad):
        return tuple(grad for _ in self.parents)


def test_op_with_two_results_gets_zeros_for_the_unused_one(rng):
    x = leaf(rng, (6,))
    first, second = SplitHalves()(x)
    assert first.grad_fn is second.grad_fn
    (first * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [3, 3, 3, 0, 0, 0])


def test_op_with_two_results_both_used(rng):
    x = leaf(rng, (6,))
    assert gradcheck(lambda t: SplitHalves()(t)[0] * SplitHalves()(t)[1], (x,))


def test_poly_op_reduces_each_gradient_to_its_input(rng):
    a, b, c = leaf(rng, (2, 3)), leaf(rng, (3,)), leaf(rng, (1, 1))
    assert gradcheck(lambda *xs: SumAll()(*xs), (a, b, c))
    assert SumAll()(a, 1.0, np.ones(3)).shape == (2, 3)


def test_non_differentiable_op_records_nothing(rng):
    x = leaf(rng, (3,))
    assert not (x > 0).requires_grad
    assert (x > 0).dtype == np.bool_


# --------------------------------------------------------------------------- broadcasting


@settings(max_examples=40, deadline=None)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3),
    op=st.sampled_from(["add", "sub", "mul", "div"]),
)
def test_broadcast_gradients_have_input_shapes_and_match_finite_differences(shapes, op):
    rng = np.random.default_rng(0)
    a = lucid.tensor(rng.uniform(0.5, 2, shapes.input_shapes[0]), dtype=lucid.float64,
                     requires_grad=True)  # fmt: skip
    b = lucid.tensor(rng.uniform(0.5, 2, shapes.input_shapes[1]), dtype=lucid.float64,
                     requires_grad=True)  # fmt: skip
    fn = {"add": lucid.add, "sub": lucid.sub, "mul": lucid.multiply, "div": lucid.div}[op]
    out = fn(a, b)
    assert out.shape == shapes.result_shape
    out.backward(np.ones(out.shape))
    assert a.grad.shape == a.shape and b.grad.shape == b.shape
    assert gradcheck(fn, (a, b))


def test_mismatched_shapes_name_both():
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(5,\)"):
        lucid.tensor(np.ones((3, 4))) + lucid.tensor(np.ones(5))


def test_unsupported_types_raise_type_error():
    with pytest.raises(TypeError, match="str"):
        lucid.tensor("abc")
    with pytest.raises(TypeError, match="object"):
        lucid.tensor(np.array([object()]))
    with pytest.raises(TypeError, match="str"):
        lucid.tensor([1.0]) + "a"


def test_import_loads_neither_numba_nor_scipy():
    code = "import sys, lucid; print('numba' in sys.modules, 'scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_hooked_leaf_gets_each_contribution_reduced_to_its_shape():
    x = lucid.tensor([1.0, 2.0, 3.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.shape))
    y = (x * np.ones((2, 3))).sum() + (x * 2.0).sum()
    (g,) = lucid.autograd.grad(y, x, retain_graph=True)
    np.testing.assert_allclose(g.numpy(), [4.0, 4.0, 4.0])
    y.backward()
    np.testing.assert_allclose(x.grad, [4.0, 4.0, 4.0])
    assert seen == [(3,), (3,)]


def test_detached_copy_is_a_constant_in_second_derivatives():
    a = lucid.tensor([1.0, 2.0], dtype=lucid.float64, requires_grad=True)
    (g,) = lucid.autograd.grad((a * a.detach()).sum(), a, create_graph=True)
    np.testing.assert_allclose(g.numpy(), a.numpy())
    assert not g.requires_grad  # d/da (a * c) = c, a constant


def test_an_op_defining_call_keeps_it():
    pieces = lucid.split(lucid.randn(4, requires_grad=True), 2)
    assert all(type(p.grad_fn).__name__ == "Split" for p in pieces)


class NumpyUfuncGradient(operation):
    """exp(x) whose gradient calls NumPy ufuncs on what may be Tensors."""

    def __init__(self, ufunc):
        self.ufunc = ufunc

    @func_op(1)
    def forward(self, x):
        self.save_for_backward(x)
        return np.exp(x)

    def gradient(self, grad):
        (x,) = self.saved_tensors
        return grad * np.exp(x) * self.ufunc(x) ** 0


def test_numpy_ufuncs_in_a_gradient_record_lucid_ops_or_name_the_op():
    x = lucid.tensor([0.5, 1.0], dtype=lucid.float64, requires_grad=True)
    # np.exp on a Tensor runs lucid.exp, so the second derivative is recorded and right.
    (g,) = lucid.autograd.grad(NumpyUfuncGradient(np.abs)(x).sum(), x, create_graph=True)
    (gg,) = lucid.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), np.exp(x.numpy()))
    # np.cbrt has no Lucid op: first order is fine, recording it is refused by name.
    (g,) = lucid.autograd.grad(NumpyUfuncGradient(np.cbrt)(x).sum(), x)
    np.testing.assert_allclose(g.numpy(), np.exp(x.numpy()))
    with pytest.raises(RuntimeError, match="NumpyUfuncGradient cannot be differentiated twice"):
        lucid.autograd.grad(NumpyUfuncGradient(np.cbrt)(x).sum(), x, create_graph=True)


def test_numpy_comparisons_with_tensors_stay_elementwise():
    t, a = lucid.tensor([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0])
    for ufunc, expected in [(np.equal, [True, False, False]), (np.less, [False, True, False]),
                            (np.greater_equal, [True, False, True])]:  # fmt: skip
        out = ufunc(t, a)
        assert isinstance(out, lucid.Tensor)
        np.testing.assert_array_equal(out.numpy(), expected)
    np.testing.assert_array_equal((a == t).numpy(), [True, False, False])
    assert lucid.equal(t, t) is True and lucid.equal(t, lucid.tensor(a)) is False
