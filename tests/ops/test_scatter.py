"""scatter, scatter_reduce, index_*, masked_*, take_along_dim, nonzero: PyTorch parity,
finite differences and bad input."""

# ruff: noqa: B023  (torch_parity calls each lambda at once, inside the loop)

import numpy as np
import pytest

import lucid
from lucid.autograd import gradcheck, gradgradcheck


def _index(rng, shape, n, unique_dim=None):
    """Random gather-style indices < n; with ``unique_dim`` no position repeats along it."""
    if unique_dim is None:
        return rng.integers(0, n, shape)
    moved = list(shape)
    k = moved.pop(unique_dim)
    rows = [rng.permutation(n)[:k] for _ in range(int(np.prod(moved)))]
    return np.moveaxis(np.array(rows).reshape(tuple(moved) + (k,)), -1, unique_dim)


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scatter_src_and_value_match_torch(dim, torch_parity, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((4, 5))
    index = _index(rng, (3, 4), x.shape[dim], unique_dim=dim)  # no repeats: one write each
    src = rng.standard_normal((3, 4))
    torch_parity(
        lambda a, i, s: lucid.scatter(a, dim, i, s),
        lambda a, i, s: torch.scatter(a, dim, i, s),
        x, index, src,
    )  # fmt: skip
    torch_parity(
        lambda a, i: a.scatter(dim, i, 2.5), lambda a, i: a.scatter(dim, i, 2.5), x, index
    )
    torch_parity(
        lambda a, i, s: a.scatter(dim, i, s, reduce="add"),
        lambda a, i, s: a.scatter(dim, i, s, reduce="add"),
        x, index, src, grad=False,
    )  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_reduce_matches_torch(reduce, include_self, dim, torch_parity, rng):
    torch = pytest.importorskip("torch")
    x = rng.uniform(0.5, 2.0, (4, 5)) * rng.choice([-1, 1], (4, 5))
    index = _index(rng, (6, 3) if dim == 0 else (3, 7), x.shape[dim])  # repeats add up
    src = rng.uniform(0.5, 2.0, index.shape)
    if reduce in ("amax", "amin"):
        src[0, 0] = x[index[0, 0], 0] if dim == 0 else x[0, index[0, 0]]  # a tie with self
    torch_parity(
        lambda a, s: lucid.scatter_reduce(a, dim, index, s, reduce, include_self=include_self),
        lambda a, s: torch.scatter_reduce(
            a, dim, torch.tensor(index), s, reduce, include_self=include_self
        ),
        x, src,
    )  # fmt: skip


@pytest.mark.parametrize("reduce", ["sum", "mean", "amax"])
def test_scatter_reduce_gradcheck(reduce, rng):
    x = lucid.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    src = lucid.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    index = rng.integers(0, 3, (5, 4))
    assert gradcheck(lambda a, s: a.scatter_reduce(0, index, s, reduce), (x, src))


@pytest.mark.parametrize(
    "fn",
    [
        lambda a, s: lucid.scatter(a, 1, [[0, 2], [1, 0]], s),
        lambda a, s: lucid.index_add(a, 0, [2, 0, 2], s @ s.T),
        lambda a, s: lucid.index_copy(a, 1, [2, 0], s),
        lambda a, s: lucid.masked_scatter(a, a.numpy() > 0, s),
        lambda a, s: lucid.take_along_dim(a * s.sum(), np.array([[2, 0, 1]]), 1),
        lambda a, s: lucid.index_put(a, ([0, 2, 0], [1, 1, 1]), s[0, :1], accumulate=True),
    ],
)
def test_scatter_ops_gradcheck_and_gradgradcheck(fn, rng):
    a = lucid.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    s = lucid.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert gradcheck(lambda x, y: fn(x, y) ** 2, (a, s))
    assert gradgradcheck(lambda x, y: fn(x, y) ** 2, (a, s))


@pytest.mark.torch
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_add_copy_fill_match_torch(dim, torch_parity, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((4, 5))
    n = x.shape[dim]
    repeats = rng.integers(0, n, 6)
    unique = rng.permutation(n)[:3]
    src_shape = list(x.shape)
    src_shape[dim] = 6
    src = rng.standard_normal(src_shape)
    torch_parity(
        lambda a, s: lucid.index_add(a, dim, repeats, s, alpha=-2),
        lambda a, s: a.index_add(dim, torch.tensor(repeats), s, alpha=-2),
        x, src,
    )  # fmt: skip
    src_shape[dim] = 3
    src = rng.standard_normal(src_shape)
    torch_parity(
        lambda a, s: a.index_copy(dim, lucid.tensor(unique), s),
        lambda a, s: a.index_copy(dim, torch.tensor(unique), s),
        x, src,
    )  # fmt: skip
    torch_parity(
        lambda a, v: a.index_fill(dim, lucid.tensor(unique), v),
        lambda a, v: a.index_fill(dim, torch.tensor(unique), v),
        x, np.array(1.5),
    )  # fmt: skip


@pytest.mark.torch
def test_scatter_family_on_zero_size_inputs(torch_parity, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((3, 4))
    empty_index = np.zeros((0, 4), np.int64)
    empty_src = rng.standard_normal((0, 4))
    torch_parity(
        lambda a, s: lucid.scatter(a, 0, empty_index, s),
        lambda a, s: torch.scatter(a, 0, torch.tensor(empty_index), s),
        x, empty_src,
    )  # fmt: skip
    torch_parity(
        lambda a, s: lucid.scatter_reduce(a, 0, empty_index, s, "mean"),
        lambda a, s: torch.scatter_reduce(a, 0, torch.tensor(empty_index), s, "mean"),
        x, empty_src,
    )  # fmt: skip
    torch_parity(
        lambda a, s: a.index_add(0, lucid.tensor(np.zeros(0, np.int64)), s),
        lambda a, s: a.index_add(0, torch.tensor(np.zeros(0, np.int64)), s),
        x, empty_src,
    )  # fmt: skip
    nothing = rng.standard_normal((0, 3))
    torch_parity(lambda a: a.masked_fill(a > 0, 1.0), lambda a: a.masked_fill(a > 0, 1.0), nothing)
    torch_parity(lambda a: lucid.nonzero(a), lambda a: torch.nonzero(a), nothing)


@pytest.mark.torch
@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_matches_torch(accumulate, torch_parity, rng):
    x = rng.standard_normal((4, 5))
    rows, cols = rng.permutation(4)[:3], rng.integers(0, 5, 3)
    if accumulate:
        rows = np.array([0, 0, 2])  # repeats add up
    values = rng.standard_normal(3)
    torch = pytest.importorskip("torch")
    torch_parity(
        lambda a, v: lucid.index_put(a, (rows, cols), v, accumulate),
        lambda a, v: a.index_put((torch.tensor(rows), torch.tensor(cols)), v, accumulate),
        x, values,
    )  # fmt: skip
    y, yt = lucid.tensor(x), torch.tensor(x)
    y.index_put_((lucid.tensor(rows), lucid.tensor(cols)), lucid.tensor(values), accumulate)
    yt.index_put_((torch.tensor(rows), torch.tensor(cols)), torch.tensor(values), accumulate)
    np.testing.assert_allclose(y.numpy(), yt.numpy())


@pytest.mark.torch
@pytest.mark.parametrize(
    "shape,mask_shape", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 3, 4), (3, 1)), ((0, 4), (4,)),
                         ((), ())],
)  # fmt: skip
def test_masked_ops_match_torch(shape, mask_shape, torch_parity, rng):
    x = rng.standard_normal(shape)
    mask = rng.random(mask_shape) > 0.5
    torch_parity(lambda a, m: lucid.masked_fill(a, m, -3.0), lambda a, m: a.masked_fill(m, -3.0),
                 x, mask)  # fmt: skip
    torch_parity(
        lambda a, m, v: a.masked_fill(m, v), lambda a, m, v: a.masked_fill(m, v),
        x, mask, np.array(0.7),
    )  # fmt: skip
    torch_parity(lambda a, m: a.masked_select(m), lambda a, m: a.masked_select(m), x, mask)
    source = rng.standard_normal(x.size + 2)
    torch_parity(
        lambda a, m, s: a.masked_scatter(m, s), lambda a, m, s: a.masked_scatter(m, s),
        x, mask, source,
    )  # fmt: skip


def test_masked_fill_in_place_and_gradcheck(rng):
    x = lucid.tensor(rng.standard_normal((3, 4)))
    mask = x > 0
    expected = np.where(mask.numpy(), 9.0, x.numpy())
    assert x.masked_fill_(mask, 9.0) is x
    np.testing.assert_array_equal(x.numpy(), expected)
    leaf = lucid.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    value = lucid.tensor(0.5, dtype=lucid.float64, requires_grad=True)
    assert gradcheck(lambda a, v: lucid.masked_fill(a, mask, v), (leaf, value))
    assert gradgradcheck(lambda a: lucid.masked_fill(a * a, mask, 1.0), (leaf,))
    with pytest.raises(RuntimeError):
        leaf.masked_fill_(mask, 0.0)


@pytest.mark.torch
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_take_along_dim_matches_torch(dim, torch_parity, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((3, 4))
    shape = {None: (5,), 0: (2, 4), 1: (3, 1)}[dim]
    n = {None: 12, 0: 3, 1: 4}[dim]
    index = rng.integers(0, n, shape)
    torch_parity(
        lambda a: lucid.take_along_dim(a, index, dim),
        lambda a: torch.take_along_dim(a, torch.tensor(index), dim),
        x,
    )
    torch_parity(  # x broadcast against the index outside dim
        lambda a: a[:1].take_along_dim(lucid.tensor(index), dim) if dim == 1 else a[:1].sum(),
        lambda a: a[:1].take_along_dim(torch.tensor(index), dim) if dim == 1 else a[:1].sum(),
        x,
    )


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(3, 4), (5,), (), (0, 2), (2, 2, 3)])
def test_nonzero_argwhere_and_where_match_torch(shape, torch_parity, rng):
    torch = pytest.importorskip("torch")
    data = rng.integers(0, 2, shape) * rng.integers(1, 4, shape)
    torch_parity(lambda a: lucid.nonzero(a), lambda a: torch.nonzero(a), data)
    torch_parity(lambda a: a.argwhere(), lambda a: a.argwhere(), data)
    torch_parity(
        lambda a: lucid.nonzero(a, as_tuple=True), lambda a: torch.nonzero(a, as_tuple=True), data
    )
    torch_parity(lambda a: lucid.where(a > 1), lambda a: torch.where(a > 1), data)


def test_scatter_in_place_on_a_leaf_outside_the_graph(rng):
    x = lucid.zeros(3, 4)
    index = np.array([[0, 1, 2, 0]])
    assert x.scatter_(0, index, lucid.ones(1, 4)) is x
    assert x.sum().item() == 4 and x[0, 0].item() == 1 and x[2, 2].item() == 1


@pytest.mark.torch
def test_in_place_variants_match_torch(rng):
    torch = pytest.importorskip("torch")
    data, src = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    index = rng.integers(0, 3, (3, 4))
    mask = rng.random((3, 4)) > 0.5
    calls = [
        ("scatter_add_", (0, index, src)),
        ("scatter_reduce_", (0, index, src, "amax")),
        ("index_add_", (1, np.array([0, 0, 3, 1]), src)),
        ("index_copy_", (1, np.array([3, 1, 0, 2]), src)),
        ("index_fill_", (0, np.array([2]), -1.0)),
        ("masked_scatter_", (mask, src)),
        ("masked_fill_", (mask, 4.0)),
        ("scatter_", (1, np.argsort(rng.random((3, 4)), 1), src)),
    ]
    for name, args in calls:
        x, xt = lucid.tensor(data), torch.tensor(data)
        lucid_args = [lucid.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        torch_args = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        assert getattr(x, name)(*lucid_args) is x
        getattr(xt, name)(*torch_args)
        np.testing.assert_allclose(x.numpy(), xt.numpy(), err_msg=name)
        assert x._version == 1, name
    leaf = lucid.tensor(data, requires_grad=True)
    with pytest.raises(RuntimeError, match="index_add_"):
        leaf.index_add_(0, [0], lucid.zeros(1, 4, dtype=lucid.float64))


ERRORS = {
    "scatter_dims": (ValueError, "as many axes", lambda x: x.scatter(0, [0, 1], x)),
    "scatter_both": (TypeError, "not both", lambda x: x.scatter(0, [[0]], x, value=1.0)),
    "scatter_dtype": (TypeError, "dtype", lambda x: x.scatter(0, [[0]], x.long())),
    "scatter_reduce_name": (ValueError, "reduce", lambda x: x.scatter_reduce(0, [[0]], x, "max")),
    "scatter_range": (IndexError, "index 5", lambda x: x.scatter(0, [[5]], x)),
    "index_add_shape": (ValueError, "expected", lambda x: x.index_add(0, [0], x)),
    "masked_fill_dtype": (TypeError, "bool", lambda x: x.masked_fill(x, 0.0)),
    "masked_fill_shape": (ValueError, "broadcast", lambda x: x.masked_fill(x[:1, :2] > 0, 0.0)),
    "masked_scatter_short": (ValueError, "source only", lambda x: x.masked_scatter(x == x, x[0])),
    "take_along_dim_ndim": (ValueError, "dims", lambda x: lucid.take_along_dim(x, [0], 0)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_scatter_ops_reject_bad_input(name):
    error, match, fn = ERRORS[name]
    with pytest.raises(error, match=match):
        fn(lucid.tensor(np.arange(6.0).reshape(2, 3)))


def test_gather_accepts_sparse_grad(rng):
    x = lucid.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    index = rng.integers(0, 3, (2, 4))
    dense = lucid.gather(x, 0, index)
    assert gradcheck(lambda t: lucid.gather(t, 0, index, sparse_grad=True), (x,))
    np.testing.assert_array_equal(x.gather(0, index, sparse_grad=True).numpy(), dense.numpy())
