"""API.md's reversed rows: where NumPy and PyTorch disagree, Lucid does what PyTorch does."""

import numpy as np
import pytest

import lucid
from lucid.autograd import gradcheck

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def _pair(data, requires_grad=True):
    return (
        lucid.tensor(data, requires_grad=requires_grad),
        torch.tensor(data, requires_grad=requires_grad),
    )


def _check_grads(rng, outs, outs_t, x, xt, rtol=1e-10):
    """Backpropagate one random upstream per output through both; compare x's gradients."""
    outs, outs_t = [o for o in outs], [o for o in outs_t]
    ups = [rng.standard_normal(tuple(o.shape)) for o in outs_t]
    total = sum((o * u).sum() for o, u in zip(outs, ups, strict=True))
    total_t = sum((o * torch.tensor(u)).sum() for o, u in zip(outs_t, ups, strict=True))
    total.backward()
    total_t.backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=1e-12)


# --------------------------------------------------------------------------- var, std


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
def test_var_std_are_unbiased_by_default(name, shape, rng):
    data = rng.standard_normal(shape)
    x, xt = _pair(data)
    y, yt = getattr(lucid, name)(x), getattr(torch, name)(xt)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12)
    ddof1 = getattr(np, name)(data, ddof=1)
    np.testing.assert_allclose(getattr(x, name)(-1).numpy(), getattr(np, name)(data, -1, ddof=1))
    np.testing.assert_allclose(y.numpy(), ddof1, rtol=1e-12)
    _check_grads(rng, [getattr(x, name)(0)], [getattr(xt, name)(0)], x, xt)


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_spellings_of_the_correction(name, rng):
    data = rng.standard_normal((4, 5))
    x, xt = lucid.tensor(data), torch.tensor(data)
    f, ft = getattr(lucid, name), getattr(torch, name)
    for kwargs, corr in [({"correction": 0}, 0), ({"correction": 2}, 2), ({"ddof": 0}, 0),
                         ({"unbiased": False}, 0), ({"unbiased": True}, 1)]:  # fmt: skip
        np.testing.assert_allclose(
            f(x, 1, **kwargs).numpy(), ft(xt, 1, correction=corr).numpy(), rtol=1e-12
        )
    np.testing.assert_allclose(f(x, 1, False).numpy(), ft(xt, 1, False).numpy(), rtol=1e-12)
    np.testing.assert_allclose(f(x, False).numpy(), ft(xt, False).numpy(), rtol=1e-12)
    with pytest.raises(TypeError, match="one of ddof, correction and unbiased"):
        f(x, 1, correction=1, ddof=1)


# --------------------------------------------------------------------------- max, min


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("shape,dim", [((6,), 0), ((4, 5), 1), ((4, 5), -2), ((2, 3, 4), 1)])
@pytest.mark.parametrize("keep", [False, True])
def test_max_min_with_a_dim_give_values_and_indices_as_torch(name, shape, dim, keep, rng):
    data = rng.integers(0, 3, shape).astype(np.float64)  # many ties: the index rule matters
    x, xt = _pair(data)
    out, out_t = getattr(lucid, name)(x, dim, keep), getattr(torch, name)(xt, dim, keep)
    assert type(out).__name__ == name and out._fields == ("values", "indices")
    values, indices = out  # unpackable
    assert values is out.values and indices is out[1]
    np.testing.assert_array_equal(values.numpy(), out_t.values.detach().numpy())
    np.testing.assert_array_equal(indices.numpy(), out_t.indices.numpy())
    assert indices.dtype == np.int64 and not indices.requires_grad
    _check_grads(rng, [values], [out_t.values], x, xt)  # the gradient goes to the index only


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_spellings_of_the_dim(name, rng):
    x = lucid.tensor(rng.standard_normal((3, 4)))
    f = getattr(lucid, name)
    expected = f(x, 1)
    for out in [f(x, dim=1), f(x, axis=1), getattr(x, name)(1), getattr(x, name)(dim=-1)]:
        np.testing.assert_array_equal(out.values.numpy(), expected.values.numpy())
        np.testing.assert_array_equal(out.indices.numpy(), expected.indices.numpy())
    assert f(x, 1, keepdim=True).values.shape == (3, 1) == f(x, 1, keepdims=True).indices.shape
    with pytest.raises(TypeError, match=f"a{name}"):
        f(x, (0, 1))
    with pytest.raises(TypeError, match="keepdim needs a dim"):
        f(x, keepdim=True)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_without_a_dim_give_one_value_and_split_ties_as_torch(name, rng):
    data = rng.integers(0, 2, (4, 5)).astype(np.float64)
    x, xt = _pair(data)
    y, yt = getattr(lucid, name)(x), getattr(torch, name)(xt)
    assert isinstance(y, lucid.Tensor) and y.shape == ()
    assert y.item() == yt.item()
    _check_grads(rng, [y], [yt], x, xt)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_a_dim_of_a_0d_tensor(name, rng):
    x, xt = _pair(rng.standard_normal(()))
    out, out_t = getattr(lucid, name)(x, 0), getattr(torch, name)(xt, 0)
    assert out.values.shape == () and out.indices.item() == out_t.indices.item() == 0
    _check_grads(rng, [out.values], [out_t.values], x, xt)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_a_dim_gradcheck(name, rng):
    x = lucid.tensor(rng.standard_normal((3, 4, 2)), requires_grad=True)
    assert gradcheck(lambda t: getattr(lucid, name)(t, 1).values, (x,))
    assert gradcheck(lambda t: getattr(t, name)(-1, keepdim=True)[0], (x,))


def test_max_min_of_two_tensors_stay_maximum_minimum(rng):
    a, b = rng.standard_normal((2, 3, 4))
    (x, xt), (y, yt) = _pair(a), _pair(b)
    np.testing.assert_array_equal(lucid.max(x, y).numpy(), torch.max(xt, yt).detach().numpy())
    np.testing.assert_array_equal(lucid.min(x, y).numpy(), torch.min(xt, yt).detach().numpy())


@pytest.mark.parametrize("name", ["amax", "amin"])
@pytest.mark.parametrize("dim", [(), 0, (0, 2), -1])
def test_amax_amin_give_values_only_and_split_ties_as_torch(name, dim, rng):
    data = rng.integers(0, 3, (3, 4, 2)).astype(np.float64)
    x, xt = _pair(data)
    y, yt = getattr(lucid, name)(x, dim), getattr(torch, name)(xt, dim)
    assert isinstance(y, lucid.Tensor)
    np.testing.assert_array_equal(y.numpy(), yt.detach().numpy())
    _check_grads(rng, [y], [yt], x, xt)


# --------------------------------------------------------------------------- split, repeat


@pytest.mark.parametrize(
    "spec,dim", [(2, 0), (3, 1), (7, 1), (1, -1), ([1, 4], 1), ([0, 2, 3], 1)]
)
def test_split_takes_sizes_as_torch(spec, dim, rng):
    x, xt = _pair(rng.standard_normal((3, 5)))
    outs, outs_t = lucid.split(x, spec, dim), torch.split(xt, spec, dim)
    assert [o.shape for o in outs] == [tuple(o.shape) for o in outs_t]
    for o, ot in zip(outs, outs_t, strict=True):
        np.testing.assert_array_equal(o.numpy(), ot.detach().numpy())
    _check_grads(rng, outs, outs_t, x, xt)


def test_split_keyword_spellings(rng):
    x, xt = _pair(rng.standard_normal((5, 2)))
    for out, out_t in [
        (x.split(split_size=2), xt.split(split_size=2)),
        (lucid.split(x, split_size_or_sections=[1, 4], dim=0), torch.split(xt, [1, 4], dim=0)),
    ]:
        assert [o.shape for o in out] == [tuple(o.shape) for o in out_t]
    with pytest.raises(TypeError, match="split_size"):
        x.split(2, split_size=2)


@pytest.mark.parametrize("spec", [1, 2, 3, 5, 6, [1, 3], [0, 9], [2, 2]])
def test_tensor_split_is_numpys_split_as_torch(spec, rng):
    x, xt = _pair(rng.standard_normal((5, 2)))
    outs, outs_t = x.tensor_split(spec), xt.tensor_split(spec)
    assert [o.shape for o in outs] == [tuple(o.shape) for o in outs_t]
    _check_grads(rng, outs, outs_t, x, xt)


@pytest.mark.parametrize("shape,sizes", [((2, 3), (2, 2)), ((3,), (2, 1, 2)), ((), (3,)),
                                         ((0, 2), (2, 3)), ((2, 1), (1, 4))])  # fmt: skip
def test_repeat_tiles_as_torch(shape, sizes, rng):
    x, xt = _pair(rng.standard_normal(shape))
    y, yt = x.repeat(*sizes), xt.repeat(*sizes)
    np.testing.assert_array_equal(y.numpy(), yt.detach().numpy())
    np.testing.assert_array_equal(x.repeat(sizes).numpy(), y.numpy())
    _check_grads(rng, [y], [yt], x, xt)


@pytest.mark.parametrize("repeats,dim", [(2, None), (3, 0), (2, 1), ([1, 0, 2], 1), ("t", 1)])
def test_repeat_interleave_repeats_elements_as_torch(repeats, dim, rng):
    x, xt = _pair(rng.standard_normal((2, 3)))
    r, rt = repeats, torch.tensor(repeats) if isinstance(repeats, list) else repeats
    if repeats == "t":
        counts = rng.integers(0, 3, 3)
        r, rt = lucid.tensor(counts), torch.tensor(counts)
    y, yt = x.repeat_interleave(r, dim), xt.repeat_interleave(rt, dim)
    np.testing.assert_array_equal(y.numpy(), yt.detach().numpy())
    _check_grads(rng, [y], [yt], x, xt)
    counts = np.array([2, 0, 1])
    np.testing.assert_array_equal(
        lucid.repeat_interleave(lucid.tensor(counts)).numpy(),
        torch.repeat_interleave(torch.tensor(counts)).numpy(),
    )


# --------------------------------------------------------------------------- squeeze, size


@pytest.mark.parametrize("dim", [(0, 2), (0, 1), (-1,), (), 1])
def test_squeeze_takes_a_tuple_of_dims_as_torch(dim, rng):
    x, xt = _pair(rng.standard_normal((1, 3, 1, 1)))
    y, yt = x.squeeze(dim), xt.squeeze(dim)
    assert y.shape == tuple(yt.shape)
    _check_grads(rng, [y], [yt], x, xt)


def test_size_is_callable_and_numel_nelement_count():
    x = lucid.zeros(2, 3)
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-2) == 2
    assert x.numel() == 6 == x.nelement()


# --------------------------------------------------------------------------- advanced indexing


def _keys(torch_side):
    def arr(values, dtype=np.int64):
        a = np.array(values, dtype=dtype)
        return torch.tensor(a) if torch_side else lucid.tensor(a)

    s = slice(None)
    return {
        "arrays_apart": ([0, 1], s, [0, 1]),
        "int_slice_array": (0, s, [0, 1]),
        "slice_int_slice_array": (s, 0, s, [0, 1]),
        "array_slice_int": ([1, 0], s, 0),
        "negative_int_ellipsis_array": (-1, Ellipsis, [0, -1]),
        "none_arrays_apart": (None, [0, 1], s, [0, 1]),
        "array_none_array": ([0, 1], None, [0, 1]),
        "mask_slice_array": (arr([True, False], bool), s, [0, 2]),
        "int_mask": (1, s, arr([True, False, True, False], bool)),
        "int_array_slice_int": (0, [0, 1], s, 0),
        "2d_index_apart": (arr([[0], [1]]), s, [0, 1, 2]),
        "adjacent_arrays": (s, [0, 2], [1, -1]),
        "0d_tensor_int": (arr(1), s, arr([[0, 1]])),
        "repeated": ([0, 0, 1], s, [1, 1, 1], 2),
        "ellipsis_array": (Ellipsis, [4, 0, 4]),
        "2d_mask": (arr(np.eye(2, 3, dtype=bool), bool), 1),
        "slice_step_array": (slice(None, None, 2), 2, [0, 3]),
        "empty_array": (0, s, arr([], np.int64)),
    }


@pytest.mark.parametrize("name", list(_keys(False)))
def test_advanced_indexing_gives_torch_shapes_values_and_gradients(name, rng):
    x, xt = _pair(rng.standard_normal((2, 3, 4, 5)))
    y, yt = x[_keys(False)[name]], xt[_keys(True)[name]]
    assert y.shape == tuple(yt.shape)
    np.testing.assert_array_equal(y.numpy(), yt.detach().numpy())
    _check_grads(rng, [y], [yt], x, xt)


@pytest.mark.parametrize("name", ["int_slice_array", "slice_int_slice_array", "int_mask"])
def test_advanced_setitem_writes_where_torch_does(name, rng):
    x, xt = lucid.zeros(2, 3, 4, 5), torch.zeros(2, 3, 4, 5)
    shape = tuple(xt[_keys(True)[name]].shape)
    value = rng.standard_normal(shape).astype(np.float32)
    x[_keys(False)[name]] = lucid.tensor(value)
    xt[_keys(True)[name]] = torch.tensor(value)
    np.testing.assert_array_equal(x.numpy(), xt.numpy())


def test_advanced_indexing_gradcheck_with_ints_and_arrays(rng):
    x = lucid.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    assert gradcheck(lambda t: t[1, :, [0, 0, 3]], (x,))


def _random_key(rng, shape):
    """A random mix of ints, slices, None, ..., lists, 2-D index tensors, masks and 0-d
    tensors, as (Lucid key, PyTorch key)."""
    ours, theirs, dim = [], [], 0
    ellipsis = False
    for _ in range(rng.integers(1, 5)):
        kind = rng.choice(["int", "slice", "none", "ellipsis", "list", "2d", "mask", "0d"])
        if dim >= len(shape) and kind not in ("none", "ellipsis"):
            kind = "none"
        if kind == "ellipsis" and ellipsis:
            continue
        n = shape[dim] if dim < len(shape) else 1
        if kind == "int":
            k = kt = int(rng.integers(-n, n))
        elif kind == "slice":
            k = kt = slice(
                rng.choice([None, 0, 1, -2]), rng.choice([None, 2, -1]), rng.choice([None, 2])
            )
        elif kind == "none":
            k = kt = None
        elif kind == "ellipsis":
            k = kt = Ellipsis
            ellipsis, dim = True, len(shape) - 1
        elif kind == "list":
            k = kt = [int(i) for i in rng.integers(-n, n, rng.integers(1, 4))]
        else:
            a = {"2d": rng.integers(0, n, (2, 1)), "mask": rng.random(n) > 0.5,
                 "0d": np.array(rng.integers(0, n))}[kind]  # fmt: skip
            k, kt = lucid.tensor(a), torch.tensor(a)
        ours.append(k)
        theirs.append(kt)
        dim += kind not in ("none", "ellipsis")
    return tuple(ours), tuple(theirs)


def test_random_index_mixes_give_torch_shapes_and_values(rng):
    data = rng.standard_normal((3, 4, 5, 2))
    checked = 0
    for _ in range(300):
        key, key_t = _random_key(rng, data.shape)
        try:
            expected = torch.tensor(data)[key_t].numpy()
        except (IndexError, RuntimeError):
            continue
        got = lucid.tensor(data)[key].numpy()
        assert got.shape == expected.shape, key
        np.testing.assert_array_equal(got, expected, err_msg=str(key))
        checked += 1
    assert checked > 150
