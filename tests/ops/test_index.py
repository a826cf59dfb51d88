"""Indexing: x[key] of every kind, take, index_select, gather, scatter_add; setitem."""

import numpy as np
import pytest

import lucid
from lucid.autograd import gradcheck

MASK = np.array([[True, False, True, True], [False, False, True, False], [True] * 4])

# name -> key into a (3, 4, 5) tensor
KEYS = {
    "int": 1,
    "negative_int": (-1, 2),
    "slice": (slice(1, None), slice(None, None, 2)),
    "negative_step": (slice(None, None, -1), slice(3, 0, -2)),
    "none_ellipsis": (None, Ellipsis, 0),
    "int_array_repeats": [0, 0, 2],
    "int_array_2d": (slice(None), np.array([[3, 1], [1, 1]])),
    "int_array_last_axis": (Ellipsis, [4, 0, 4]),
    "int_array_then_slice": ([2, -1, 2], slice(1, 3)),
    "int_tensor": lucid.tensor([1, 1, 0]),
    "mixed_arrays": ([0, 2, 0], slice(1, None), [4, 4, 4]),
    "arrays_apart": ([0, 0], slice(None), [1, 1]),
    "int_and_array": (1, [3, 3, 0]),
    "bool_mask": MASK,
    "bool_tensor": lucid.tensor([True, False, True]),
    "bool_and_slice": (slice(None), np.array([True, False, False, True]), slice(1, 4)),
    "empty_list": [],
}


@pytest.mark.parametrize("name", KEYS)
def test_getitem_gradient_matches_finite_differences(name, rng):
    x = lucid.tensor(rng.standard_normal((3, 4, 5)), dtype=lucid.float64, requires_grad=True)
    key = KEYS[name]
    assert gradcheck(lambda x: x[key], (x,))


def _numpy_key(key):
    """The key NumPy reads the same way: tensors as arrays, lists as integer arrays."""
    if isinstance(key, tuple):
        return tuple(_numpy_key(k) for k in key)
    if isinstance(key, lucid.Tensor):
        return key.numpy()
    return np.asarray(key, dtype=np.intp) if isinstance(key, list) else key


@pytest.mark.parametrize("name", KEYS)
def test_getitem_matches_numpy_and_its_gradient_counts_repeats(name, rng):
    data = rng.standard_normal((3, 4, 5)).astype(np.float32)
    x = lucid.tensor(data, requires_grad=True)
    out = x[KEYS[name]]
    key = _numpy_key(KEYS[name])
    np.testing.assert_array_equal(out.numpy(), data[key])
    assert out.dtype == np.float32
    upstream = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(upstream)
    reference = np.zeros_like(data)
    np.add.at(reference, key, upstream)  # the plain statement of "repeats add up"
    np.testing.assert_allclose(x.grad, reference, rtol=1e-6, atol=1e-6)


def test_getitem_repeated_indices_accumulate():
    x = lucid.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2]].backward(np.ones(3, np.float32))
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 1.0])


def test_getitem_of_0d_and_non_contiguous_tensors(rng):
    x = lucid.tensor(rng.standard_normal((4, 6)), dtype=lucid.float64, requires_grad=True)
    assert gradcheck(lambda x: x.T[[1, 1, 5], ::-1], (x,))
    assert gradcheck(lambda x: x.sum()[None][[0, 0]], (x,))
    s = lucid.tensor(2.5, dtype=lucid.float64, requires_grad=True)
    assert gradcheck(lambda s: s[None, ...], (s,))


@pytest.mark.torch
@pytest.mark.parametrize(
    "name", [n for n in KEYS if n not in ("negative_step", "empty_list", "arrays_apart")]
)
def test_getitem_matches_torch(name, rng):
    torch = pytest.importorskip("torch")
    key = KEYS[name]

    def torch_key(k):
        if isinstance(k, lucid.Tensor):
            return torch.tensor(k.numpy())
        return torch.tensor(k) if isinstance(k, np.ndarray) else k

    key_t = tuple(torch_key(k) for k in key) if isinstance(key, tuple) else torch_key(key)
    data = rng.standard_normal((3, 4, 5)).astype(np.float32)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, out_t = x[key], xt[key_t]
    np.testing.assert_array_equal(out.numpy(), out_t.detach().numpy())
    upstream = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(upstream)
    out_t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_getitem_out_of_range_raises_index_error():
    x = lucid.zeros(3, 4, requires_grad=True)
    with pytest.raises(IndexError, match=r"shape \(3, 4\)"):
        x[[0, 3]]
    with pytest.raises(IndexError, match=r"shape \(3, 4\)"):
        x[:, 4]
    with pytest.raises(IndexError):
        x[lucid.tensor([0.5])]


# --------------------------------------------------------------------------- take, gather

OPS = {
    "take_flat": ((3, 4), lambda x: lucid.take(x, [[0, 11], [11, -1]])),
    "take_axis": ((3, 4, 2), lambda x: x.take([[0, 3], [3, -1]], axis=1)),
    "take_0d": ((), lambda x: lucid.take(x, [0, 0, 0])),
    "index_select_rows": ((5, 3), lambda x: lucid.index_select(x, 0, lucid.tensor([4, 0, 4]))),
    "index_select_dim": ((2, 5, 3), lambda x: x.index_select(-2, np.array([1, 1, 3]))),
    "index_select_2d_index": ((6, 2), lambda x: lucid.index_select(x, 0, [[1, 5], [5, 5]])),
    "gather": ((3, 4), lambda x: lucid.gather(x, 1, np.array([[0, 0, 3], [1, 2, 2], [3, 3, 3]]))),
    "gather_dim0": ((3, 4), lambda x: x.gather(0, np.array([[2, 0, 2, 1], [2, 2, 0, 0]]))),
    "gather_smaller": ((4, 5), lambda x: lucid.gather(x, 1, np.array([[4, 4], [0, -1]]))),
    "gather_of_transposed": ((4, 3), lambda x: lucid.gather(x.T, 1, np.array([[0, 3], [2, 2]]))),
}


@pytest.mark.parametrize("name", OPS)
def test_index_op_gradient_matches_finite_differences(name, rng):
    shape, fn = OPS[name]
    x = lucid.tensor(rng.standard_normal(shape), dtype=lucid.float64, requires_grad=True)
    assert gradcheck(fn, (x,))


SCATTER_INDEX = np.array([[0, 2, 2], [1, 1, 0]])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scatter_add_gradient_in_both_inputs(dim, rng):
    x = lucid.tensor(rng.standard_normal((3, 4)), dtype=lucid.float64, requires_grad=True)
    src = lucid.tensor(rng.standard_normal((2, 5)), dtype=lucid.float64, requires_grad=True)
    assert gradcheck(lambda x, s: lucid.scatter_add(x, dim, SCATTER_INDEX, s), (x, src))


def test_scatter_add_repeated_positions_add_up():
    out = lucid.scatter_add(lucid.zeros(3), 0, [0, 0, 2, 0], lucid.tensor([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(out.numpy(), [7.0, 0.0, 3.0])
    assert out.dtype == np.float32


TORCH_OPS = {
    "take": (
        (3, 4),
        lambda x: lucid.take(x, [[0, 11], [11, 5]]),
        lambda t, x: t.take(x, t.tensor([[0, 11], [11, 5]])),
    ),
    "index_select": (
        (6, 3),
        lambda x: lucid.index_select(x, 0, [5, 0, 5, 5]),
        lambda t, x: t.index_select(x, 0, t.tensor([5, 0, 5, 5])),
    ),
    "index_select_dim1": (
        (2, 4, 3),
        lambda x: x.index_select(1, [3, 3, 1]),
        lambda t, x: x.index_select(1, t.tensor([3, 3, 1])),
    ),
    "gather": (
        (3, 4),
        lambda x: x.gather(1, np.array([[0, 0, 3], [1, 2, 2]])),
        lambda t, x: x.gather(1, t.tensor([[0, 0, 3], [1, 2, 2]])),
    ),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", TORCH_OPS)
def test_index_op_matches_torch(name, rng):
    torch = pytest.importorskip("torch")
    shape, fn, torch_fn = TORCH_OPS[name]
    data = rng.standard_normal(shape).astype(np.float32)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, out_t = fn(x), torch_fn(torch, xt)
    np.testing.assert_array_equal(out.numpy(), out_t.detach().numpy())
    upstream = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(upstream)
    out_t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.torch
@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_add_matches_torch(dim, rng):
    torch = pytest.importorskip("torch")
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((2, 3)).astype(np.float32)  # torch's backward needs src == index
    x, src = lucid.tensor(a, requires_grad=True), lucid.tensor(b, requires_grad=True)
    xt, src_t = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out = lucid.scatter_add(x, dim, SCATTER_INDEX, src)
    out_t = torch.scatter_add(xt, dim, torch.tensor(SCATTER_INDEX), src_t)
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-6, atol=1e-6)
    upstream = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(upstream)
    out_t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(src.grad, src_t.grad.numpy(), rtol=1e-6, atol=1e-6)


INDEX_ERRORS = {
    "take_range": (IndexError, "index 12 .* length 12", lambda x: lucid.take(x, [12])),
    "take_axis": (IndexError, "axis 2", lambda x: lucid.take(x, [0], axis=2)),
    "take_float": (TypeError, "integers", lambda x: lucid.take(x, [0.5])),
    "index_select_range": (IndexError, "index -4", lambda x: x.index_select(0, [-4])),
    "gather_ndim": (ValueError, r"\(3,\) .* \(3, 4\)", lambda x: x.gather(1, [0, 1, 2])),
    "gather_shape": (ValueError, r"\(4, 1\)", lambda x: x.gather(1, np.zeros((4, 1), int))),
    "gather_range": (IndexError, "index 4", lambda x: x.gather(1, np.full((3, 1), 4))),
    "gather_dim": (IndexError, "axis 2", lambda x: x.gather(2, np.zeros((3, 1), int))),
    "scatter_add_src": (
        ValueError,
        "src",
        lambda x: lucid.scatter_add(x, 0, np.zeros((2, 2), int), lucid.zeros(1, 2)),
    ),
    "scatter_add_dtype": (
        TypeError,
        "float32",
        lambda x: lucid.scatter_add(x.long(), 0, np.zeros((1, 1), int), lucid.ones(1, 1)),
    ),
}


@pytest.mark.parametrize("name", INDEX_ERRORS)
def test_index_op_rejects_bad_input(name):
    error, match, fn = INDEX_ERRORS[name]
    with pytest.raises(error, match=match):
        fn(lucid.zeros(3, 4))


# --------------------------------------------------------------------------- setitem


def test_setitem_writes_in_place_and_bumps_the_version():
    x = lucid.zeros(3, 4)
    x[1] = 2.0
    x[[0, 2], 1:3] = lucid.tensor([5.0, 6.0])
    x[x == 6.0] = 7.0
    expected = np.zeros((3, 4), np.float32)
    expected[1] = 2.0
    expected[[0, 2], 1:3] = [5.0, 7.0]
    np.testing.assert_array_equal(x.numpy(), expected)
    assert x._version == 3 and x.dtype == np.float32


def test_setitem_refuses_tensors_that_require_grad():
    w = lucid.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        w[0] = 1.0
    with pytest.raises(RuntimeError, match="computed by"):
        (w * 2)[0] = 1.0
    with lucid.no_grad():  # a leaf may change outside grad mode, as in an optimizer step
        w[0] = 1.0
    assert w.numpy()[0] == 1.0 and w._version == 1


def test_setitem_refuses_a_value_that_requires_grad():
    v = lucid.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="value"):
        lucid.zeros(3)[:2] = v


def test_setitem_bad_shapes_and_indices():
    x = lucid.zeros(3, 4)
    with pytest.raises(ValueError, match=r"shape \(3, 4\)"):
        x[0] = lucid.ones(3)
    with pytest.raises(IndexError, match="setitem"):
        x[5] = 1.0


def test_setitem_on_a_saved_tensor_fails_at_backward(rng):
    w = lucid.tensor(rng.standard_normal(3), requires_grad=True)
    x = lucid.tensor(rng.standard_normal(3))
    y = (w * x).sum()
    x[0] = 1.0
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()
