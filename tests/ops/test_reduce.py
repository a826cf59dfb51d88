"""Reductions: gradients against finite differences and PyTorch, axes, ties, zeros, errors."""

import numpy as np
import pytest

import lucid
from lucid.autograd import gradcheck

SHAPE = (2, 3, 4)
AXES = [None, 0, -1, (0, 2), (-1, -3), (1,)]


def _leaf(data):
    return lucid.tensor(data, dtype=lucid.float64, requires_grad=True)


def _positive(rng, shape):
    return rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)


# name: (lucid reduction (x, axis, keepdims), input sampler)
REDUCTIONS = {
    "sum": (lambda x, axis, keep: lucid.sum(x, axis, keepdims=keep), None),
    "mean": (lambda x, axis, keep: x.mean(axis, keep), None),
    "var": (lambda x, axis, keep: lucid.var(x, axis, keepdims=keep), None),
    "var_ddof0": (lambda x, axis, keep: lucid.var(x, axis, ddof=0, keepdims=keep), None),
    "std": (lambda x, axis, keep: lucid.std(x, axis, keepdims=keep), None),
    "amax": (lambda x, axis, keep: lucid.amax(x, axis, keep), None),
    "amin": (lambda x, axis, keep: x.amin(dim=axis, keepdim=keep), None),
    "prod": (lambda x, axis, keep: lucid.prod(x, axis, keepdims=keep), _positive),
    "logsumexp": (lambda x, axis, keep: lucid.logsumexp(x, axis, keepdims=keep), None),
    "norm": (lambda x, axis, keep: lucid.norm(x, None, axis, keep), None),
    "norm_p3": (lambda x, axis, keep: lucid.norm(x, p=3, dim=axis, keepdim=keep), None),
}


def _torch_reduction(torch, name, xt, axis, keep):
    dims = tuple(range(xt.ndim)) if axis is None else axis
    if name == "sum":
        return torch.sum(xt, dims, keepdim=keep)
    if name == "mean":
        return torch.mean(xt, dims, keepdim=keep)
    if name in ("var", "var_ddof0", "std"):
        fn = torch.std if name == "std" else torch.var
        return fn(xt, dims, correction=int(name != "var_ddof0"), keepdim=keep)
    if name in ("amax", "amin"):
        return getattr(torch, name)(xt, dims, keepdim=keep)
    if name == "logsumexp":
        return torch.logsumexp(xt, dims, keepdim=keep)
    if name in ("norm", "norm_p3"):
        return torch.linalg.vector_norm(xt, 2 if name == "norm" else 3, dims, keepdim=keep)
    raise AssertionError(name)


def _sample(name, rng, shape):
    sampler = REDUCTIONS[name][1]
    return sampler(rng, shape) if sampler else rng.standard_normal(shape)


# --------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("keep", [False, True])
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_gradient_matches_finite_differences(name, axis, keep, rng):
    fn = REDUCTIONS[name][0]
    assert gradcheck(lambda x: fn(x, axis, keep), (_leaf(_sample(name, rng, SHAPE)),))


@pytest.mark.parametrize("axis", [None, 0, -1])
@pytest.mark.parametrize("name", [n for n in REDUCTIONS if n not in ("var", "std")])  # n - 1 = 0
def test_reduction_of_a_0d_tensor(name, axis, rng):
    fn = REDUCTIONS[name][0]
    x = _leaf(_sample(name, rng, ()))
    assert fn(x, axis, False).shape == ()
    assert gradcheck(lambda t: fn(t, axis, False), (x,))


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_gradient_on_a_transposed_input(name, rng):
    fn = REDUCTIONS[name][0]
    x = _leaf(_sample(name, rng, (4, 3, 2)))
    assert gradcheck(lambda t: fn(t.transpose(2, 0, 1), (0, 2), False), (x,))
    assert gradcheck(lambda t: fn(t.T, -1, True), (x,))


# --------------------------------------------------------------------------- PyTorch parity


@pytest.mark.torch
@pytest.mark.parametrize("keep", [False, True])
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("name", [n for n in REDUCTIONS if n != "prod"])
def test_reduction_matches_torch(name, axis, keep, rng):
    torch = pytest.importorskip("torch")
    data = _sample(name, rng, SHAPE).astype(np.float32)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, yt = REDUCTIONS[name][0](x, axis, keep), _torch_reduction(torch, name, xt, axis, keep)
    upstream = rng.standard_normal(yt.shape).astype(np.float32)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    assert y.dtype == np.float32 and y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.torch
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("name", ["max", "min"])
def test_ties_share_the_gradient_evenly_as_torch_amax(name, axis, rng):
    torch = pytest.importorskip("torch")
    data = rng.integers(0, 3, (5, 6)).astype(np.float32)  # many ties
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y = getattr(lucid, "a" + name)(x, axis)
    yt = getattr(torch, "a" + name)(xt, () if axis is None else axis)
    upstream = rng.standard_normal(yt.shape).astype(np.float32)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["max", "min"])
def test_ties_on_the_kernel_path(name, rng):
    torch = pytest.importorskip("torch")
    data = rng.integers(0, 4, (64, 40)).astype(np.float32)  # above the kernels' threshold
    for axis in (0, 1, None):
        x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        y = getattr(lucid, "a" + name)(x, axis)
        yt = getattr(torch, "a" + name)(xt, () if axis is None else axis)
        upstream = rng.standard_normal(yt.shape).astype(np.float32)
        y.backward(upstream)
        yt.backward(torch.tensor(upstream))
        np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(3, 4), (64, 40)])  # the reference and the kernel
@pytest.mark.parametrize("name", ["max", "min"])
def test_a_nan_takes_the_gradient_as_in_torch_full_reduction(name, shape, rng):
    """torch.max() (no dim) hands the gradient to the NaNs; torch.amax gives NaN everywhere."""
    torch = pytest.importorskip("torch")
    data = rng.standard_normal(shape).astype(np.float32)
    data[1, 2] = data[2, 1] = np.nan
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    getattr(lucid, name)(x).backward(np.float32(3.0))
    getattr(torch, name)(xt).backward(torch.tensor(3.0))
    np.testing.assert_array_equal(x.grad, xt.grad.numpy())
    x.grad = None
    getattr(lucid, "a" + name)(x, 1).backward(np.ones(shape[0], np.float32))
    assert x.grad[1, 2] == x.grad[2, 1] == 1 and np.isfinite(x.grad).all()


@pytest.mark.torch
@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("zeros", [0, 1, 2, 3])
def test_prod_with_zeros_matches_torch(zeros, axis, rng):
    torch = pytest.importorskip("torch")
    data = rng.uniform(0.5, 1.5, (4, 5)).astype(np.float32)
    flat = data.reshape(-1)
    flat[rng.choice(20, zeros, replace=False)] = 0.0
    data[1, :zeros] = 0.0  # also zeros sharing a row
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y = lucid.prod(x, axis)
    yt = torch.prod(xt) if axis is None else torch.prod(xt, axis)
    upstream = rng.standard_normal(yt.shape).astype(np.float32)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("zeros", [[0], [2], [0, 3], [1, 2, 3]])
def test_prod_gradient_with_zeros_matches_finite_differences(zeros, rng):
    data = rng.uniform(0.5, 1.5, (3, 4))
    data[:, zeros] = 0.0
    assert gradcheck(lambda x: lucid.prod(x, 1), (_leaf(data),))
    assert gradcheck(lucid.prod, (_leaf(data),))


@pytest.mark.torch
@pytest.mark.parametrize("scale", [1.0, 1e4, -1e4])
def test_logsumexp_is_stable_for_large_magnitudes(scale, rng):
    torch = pytest.importorskip("torch")
    data = (scale * (1 + 1e-3 * rng.standard_normal((3, 5)))).astype(np.float32)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, yt = lucid.logsumexp(x, axis=1), torch.logsumexp(xt, 1)
    upstream = rng.standard_normal(3).astype(np.float32)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    assert np.isfinite(y.numpy()).all()
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_logsumexp_of_minus_infinity_rows():
    x = lucid.tensor([[-np.inf, -np.inf], [0.0, -np.inf]])
    np.testing.assert_array_equal(lucid.logsumexp(x, 1).numpy(), [-np.inf, 0.0])


@pytest.mark.torch
@pytest.mark.parametrize(("kwargs", "correction"), [
    ({}, 1), ({"ddof": 0}, 0), ({"ddof": 1}, 1), ({"correction": 2}, 2),
    ({"correction": 0}, 0), ({"unbiased": True}, 1), ({"unbiased": False}, 0),
])  # fmt: skip
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_ddof_spellings_match_torch(name, kwargs, correction, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal((4, 6)).astype(np.float32)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y = getattr(lucid, name)(x, dim=1, **kwargs)
    yt = getattr(torch, name)(xt, 1, correction=correction)
    upstream = rng.standard_normal(4).astype(np.float32)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_var_positional_arguments_read_as_numpy_and_torch():
    x = lucid.tensor(np.arange(12.0).reshape(3, 4))
    np.testing.assert_allclose(x.var(1, True).numpy(), np.var(x.numpy(), 1, ddof=1))
    np.testing.assert_allclose(x.var(1, False).numpy(), np.var(x.numpy(), 1))
    np.testing.assert_allclose(x.var(0).numpy(), np.var(x.numpy(), 0, ddof=1))
    np.testing.assert_allclose(x.var(False).numpy(), np.var(x.numpy()))
    np.testing.assert_allclose(x.std(0, 0).numpy(), np.std(x.numpy(), 0))
    with pytest.raises(TypeError, match="one of ddof, correction and unbiased"):
        lucid.var(x, ddof=1, unbiased=True)


def test_std_of_constant_rows_has_zero_gradient():
    x = lucid.tensor(np.ones((2, 3)), requires_grad=True)
    lucid.std(x, 1).backward(np.array([1.0, -2.0], np.float32))
    np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))


@pytest.mark.torch
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_cumsum_matches_torch_and_numpy(axis, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal((3, 4)).astype(np.float32)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y = lucid.cumsum(x, axis)
    yt = torch.cumsum(xt.reshape(-1), 0) if axis is None else torch.cumsum(xt, axis)
    np.testing.assert_allclose(y.numpy(), np.cumsum(data, axis), rtol=1e-6)
    upstream = rng.standard_normal(yt.shape).astype(np.float32)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("shape", "axis"), [((5,), 0), ((2, 3, 4), 1), ((2, 3, 4), None),
                                              ((), 0), ((), None)])  # fmt: skip
def test_cumsum_gradient(shape, axis, rng):
    assert gradcheck(lambda x: x.cumsum(dim=axis) if axis is not None else lucid.cumsum(x),
                     (_leaf(rng.standard_normal(shape)),))  # fmt: skip
    assert gradcheck(lambda x: lucid.cumsum(x.T, axis), (_leaf(rng.standard_normal(shape)),))


def test_cumsum_of_integers_stays_integer():
    y = lucid.cumsum(lucid.tensor([[1, 2], [3, 4]]), 0)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y.numpy(), [[1, 2], [4, 6]])


# --------------------------------------------------------------------------- argmax, argmin


@pytest.mark.parametrize("keep", [False, True])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_arg_extrema_follow_numpy(name, axis, keep, rng):
    data = rng.integers(0, 3, (4, 5)).astype(np.float32)  # ties: the first index wins
    x = lucid.tensor(data, requires_grad=True)
    y = getattr(x, name)(axis, keep)
    assert y.dtype == np.int64 and not y.requires_grad
    np.testing.assert_array_equal(y.numpy(), getattr(np, name)(data, axis, keepdims=keep))


@pytest.mark.torch
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_arg_extrema_match_torch(name, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal((4, 5)).astype(np.float32)
    for kwargs in ({}, {"dim": 1}, {"dim": 0, "keepdim": True}):
        expected = getattr(torch, name)(torch.tensor(data), **kwargs).numpy()
        np.testing.assert_array_equal(getattr(lucid, name)(data, **kwargs).numpy(), expected)


def test_arg_extrema_take_one_axis():
    with pytest.raises(TypeError, match="an int or None"):
        lucid.argmax(lucid.tensor(np.ones((2, 3))), (0, 1))


# --------------------------------------------------------------------------- norm


VECTOR_ORDS = [None, 1, 2, np.inf, -np.inf, 3, 0.5]
MATRIX_ORDS = [None, "fro", 1, -1, np.inf, -np.inf, 2, -2, "nuc"]


@pytest.mark.parametrize("keep", [False, True])
@pytest.mark.parametrize("axis", [0, -1, 1])
@pytest.mark.parametrize("ord_", VECTOR_ORDS)
def test_vector_norm_matches_numpy_and_finite_differences(ord_, axis, keep, rng):
    data = rng.uniform(0.2, 2.0, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))
    y = lucid.norm(data, ord_, axis, keep)
    expected = np.linalg.norm(data, ord_, axis, keep).astype(np.float32)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)
    assert gradcheck(lambda x: lucid.norm(x, ord_, axis, keep), (_leaf(data),))


@pytest.mark.parametrize("keep", [False, True])
@pytest.mark.parametrize("axis", [None, (0, 1), (1, 0), (-1, -3)])
@pytest.mark.parametrize("ord_", MATRIX_ORDS)
def test_matrix_norm_matches_numpy_and_finite_differences(ord_, axis, keep, rng):
    shape = (3, 4) if axis is None else (3, 2, 4)
    data = rng.standard_normal(shape)
    y = lucid.norm(lucid.tensor(data, dtype=lucid.float64), ord_, axis, keep)
    np.testing.assert_allclose(y.numpy(), np.linalg.norm(data, ord_, axis, keep), rtol=1e-10)
    assert gradcheck(lambda x: lucid.norm(x, ord_, axis, keep), (_leaf(data),))


@pytest.mark.torch
@pytest.mark.parametrize("ord_", [2, 1, np.inf])
def test_vector_norm_gradient_at_zero_is_zero_as_torch(ord_, rng):
    torch = pytest.importorskip("torch")
    data = np.zeros((2, 3), np.float32)
    data[1] = rng.standard_normal(3)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, yt = lucid.norm(x, ord_, axis=1), torch.linalg.vector_norm(xt, ord_, dim=1)
    upstream = rng.standard_normal(2).astype(np.float32)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-7)
    assert not np.isnan(x.grad).any()


@pytest.mark.torch
@pytest.mark.parametrize(("ord_", "p"), [("fro", "fro"), (2, 2), ("nuc", "nuc"), (np.inf, np.inf)])
def test_matrix_norm_matches_torch(ord_, p, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal((2, 3, 4)).astype(np.float32)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, yt = lucid.norm(x, ord_, axis=(1, 2)), torch.linalg.matrix_norm(xt, p, dim=(1, 2))
    upstream = rng.standard_normal(2).astype(np.float32)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.torch
@pytest.mark.parametrize(("p", "dim"), [(2, None), ("fro", None), (1, (0, 1)), (np.inf, 1),
                                        (3, -1)])  # fmt: skip
def test_torch_norm_spelling_with_p(p, dim, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal((3, 4)).astype(np.float32)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, yt = x.norm(p=p, dim=dim), torch.norm(xt, p=p, dim=dim)
    upstream = rng.standard_normal(yt.shape).astype(np.float32)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_norm_refuses_bad_orders_and_dimensions():
    x = lucid.tensor(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="1-D or 2-D"):
        lucid.norm(x, 2)
    with pytest.raises(ValueError, match="for vectors"):
        lucid.norm(x, "fro", axis=1)
    with pytest.raises(ValueError, match="for matrices"):
        lucid.norm(x, 3, axis=(0, 1))
    with pytest.raises(ValueError, match="names 3 axes"):
        lucid.norm(x, axis=(0, 1, 2))
    with pytest.raises(TypeError, match="not both"):
        lucid.norm(x, 2, p=2)


# --------------------------------------------------------------------------- dtypes and errors


REDUCERS = ["sum", "mean", "var", "std", "max", "min", "prod", "logsumexp", "argmax",
            "argmin", "cumsum", "norm"]  # fmt: skip


@pytest.mark.parametrize("axis", [3, -4])
@pytest.mark.parametrize("name", REDUCERS)
def test_axis_out_of_range_raises_index_error_naming_axis_and_ndim(name, axis):
    x = lucid.tensor(np.ones((2, 3, 4)))
    with pytest.raises(IndexError, match=f"axis {axis} is out of range for a tensor of 3 dim"):
        getattr(lucid, name)(x, axis=axis)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "var"])
def test_axis_and_dim_are_exclusive(name):
    with pytest.raises(TypeError, match="axis or dim"):
        getattr(lucid, name)(lucid.tensor([1.0]), axis=0, dim=0)


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "max", "min", "prod",
                                  "logsumexp", "norm", "cumsum"])  # fmt: skip
def test_float32_stays_float32(name, rng):
    x = lucid.tensor(rng.standard_normal((3, 4)), dtype=lucid.float32, requires_grad=True)
    y = getattr(lucid, name)(x, axis=1)
    y = y.values if name in ("max", "min") else y
    assert y.dtype == np.float32
    y.backward(np.ones(y.shape, np.float32))
    assert x.grad.dtype == np.float32


def test_integer_inputs():
    i = lucid.tensor([[1, 2, 3], [4, 5, 6]])
    assert lucid.sum(i).dtype == np.int64 and lucid.prod(i, 1).dtype == np.int64
    for name in ["mean", "var", "std", "logsumexp", "norm"]:
        y = getattr(lucid, name)(i, axis=1)
        assert y.dtype == np.float32, name
    np.testing.assert_allclose(lucid.mean(i, 0).numpy(), [2.5, 3.5, 4.5])
    assert lucid.max(i).dtype == np.int64 and lucid.max(i).item() == 6


def test_max_of_two_tensors_is_maximum_and_empty_axes_are_refused():
    a, b = lucid.tensor([1.0, 5.0]), lucid.tensor([3.0, 2.0])
    np.testing.assert_array_equal(lucid.max(a, b).numpy(), [3.0, 5.0])
    np.testing.assert_array_equal(lucid.min(a, b).numpy(), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"empty axis of a tensor of shape \(0, 3\)"):
        lucid.amax(lucid.tensor(np.ones((0, 3))), 0)
    with pytest.raises(ValueError, match=r"empty axis 0 of shape \(0, 3\)"):
        lucid.max(lucid.tensor(np.ones((0, 3))), 0)
