"""Sorting and order statistics against PyTorch, finite differences and their laws."""

# ruff: noqa: B023  (torch_parity calls each lambda at once, inside the loop)

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import lucid
from lucid.autograd import gradcheck, gradgradcheck

SHAPES = [(7,), (3, 5), (2, 3, 4), (0, 3), (3, 0), ()]


def _distinct(rng, shape):
    """Distinct values, so that every op's index choice is unambiguous."""
    n = int(np.prod(shape))
    return rng.permutation(n).reshape(shape) + rng.uniform(0, 0.5, shape)


def _leaf(rng, shape):
    return lucid.tensor(_distinct(rng, shape), requires_grad=True)


# --------------------------------------------------------------------------- sort, topk, ...


@pytest.mark.torch
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_matches_torch(shape, descending, torch_parity, rng):
    dim = -1
    torch_parity(
        lambda x: lucid.sort(x, dim, descending),
        lambda x: x.sort(dim, descending),
        _distinct(rng, shape),
    )
    torch_parity(
        lambda x: x.argsort(dim=0 if shape else -1, descending=descending),
        lambda x: x.argsort(dim=0 if shape else -1, descending=descending),
        _distinct(rng, shape),
    )


@pytest.mark.torch
@pytest.mark.parametrize("descending", [False, True])
def test_sort_with_ties_and_nan_is_stable_as_torch(descending, torch_parity, rng):
    data = rng.integers(0, 3, (4, 9)).astype(np.float64)
    data[1, 3] = data[2, 0] = np.nan
    torch_parity(
        lambda x: x.sort(1, descending=descending, stable=True),
        lambda x: x.sort(dim=1, descending=descending, stable=True),
        data,
    )
    torch_parity(lambda x: lucid.msort(x), lambda x: x.msort(), data)


@pytest.mark.torch
@pytest.mark.parametrize("shape,k,dim", [((7,), 3, 0), ((3, 5), 5, 1), ((4, 3), 2, 0),
                                         ((2, 3, 4), 1, -1), ((3, 0), 0, 1)])  # fmt: skip
@pytest.mark.parametrize("largest", [True, False])
def test_topk_matches_torch(shape, k, dim, largest, torch_parity, rng):
    torch_parity(
        lambda x: lucid.topk(x, k, dim, largest),
        lambda x: x.topk(k, dim, largest),
        _distinct(rng, shape),
    )


@pytest.mark.torch
@pytest.mark.parametrize("shape,k,dim", [((7,), 3, 0), ((3, 5), 5, 1), ((4, 3), 1, 0), ((), 1, 0)])
@pytest.mark.parametrize("keep", [False, True])
def test_kthvalue_matches_torch(shape, k, dim, keep, torch_parity, rng):
    torch_parity(
        lambda x: lucid.kthvalue(x, k, dim, keep),
        lambda x: x.kthvalue(k, dim, keep),
        _distinct(rng, shape),
    )


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 5), ()])
@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_median_matches_torch(shape, name, torch_parity, rng):
    data = _distinct(rng, shape)
    torch_parity(lambda x: getattr(lucid, name)(x), lambda x: getattr(x, name)(), data)
    for keep in (False, True):
        torch_parity(
            lambda x, keep=keep: getattr(x, name)(-1, keep),
            lambda x, keep=keep: getattr(x, name)(-1, keep),
            data,
        )


@pytest.mark.torch
@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_median_without_a_dim_splits_the_gradient_among_ties_as_torch(name, torch_parity, rng):
    data = rng.integers(0, 3, (4, 5)).astype(np.float64)
    torch_parity(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), data)
    ints = rng.integers(0, 3, (4, 5))
    torch_parity(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), ints)


@pytest.mark.torch
def test_median_with_nan_matches_torch(torch_parity, rng):
    data = _distinct(rng, (4, 6))
    data[0, 2] = data[3, 1] = data[3, 4] = np.nan  # an all-NaN row's index is unspecified
    for name in ("median", "nanmedian"):
        torch_parity(lambda x, f=name: getattr(x, f)(1), lambda x, f=name: getattr(x, f)(1), data)
        torch_parity(lambda x, f=name: getattr(x, f)(), lambda x, f=name: getattr(x, f)(), data)


@pytest.mark.torch
@pytest.mark.parametrize("shape,dim", [((7,), 0), ((3, 8), 1), ((4, 3), 0), ((), 0)])
def test_mode_matches_torch(shape, dim, torch_parity, rng):
    data = rng.integers(0, 3, shape).astype(np.float64)
    torch_parity(lambda x: lucid.mode(x, dim), lambda x: x.mode(dim), data)
    torch_parity(lambda x: x.mode(dim, True), lambda x: x.mode(dim, True), data)


@pytest.mark.torch
@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("dim", [None, 0, 1])
@pytest.mark.parametrize("keep", [False, True])
def test_quantile_matches_torch(interpolation, dim, keep, torch_parity, rng):
    torch = pytest.importorskip("torch")
    data = _distinct(rng, (5, 6))
    for q in (0.3, [0.0, 0.25, 0.5, 0.9, 1.0]):
        qt = q if isinstance(q, float) else torch.tensor(q, dtype=torch.float64)
        torch_parity(
            lambda x: lucid.quantile(x, q, dim, keep, interpolation=interpolation),
            lambda x: torch.quantile(x, qt, dim, keep, interpolation=interpolation),
            data,
        )


@pytest.mark.torch
def test_nanquantile_and_quantile_with_nan_match_torch(torch_parity, rng):
    torch = pytest.importorskip("torch")
    data = _distinct(rng, (4, 7))
    data[0, 1] = data[2, 5] = data[2, 0] = np.nan
    data[3, :] = np.nan
    q = [0.2, 0.5]
    for name in ("quantile", "nanquantile"):
        torch_parity(
            lambda x: getattr(lucid, name)(x, q, 1),
            lambda x: getattr(torch, name)(x, torch.tensor(q, dtype=torch.float64), 1),
            data,
            grad=False,
        )


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: lucid.sort(x, 1).values,
        lambda x: lucid.topk(x, 2, 0).values,
        lambda x: lucid.kthvalue(x, 2, 1).values,
        lambda x: lucid.median(x, 0).values,
        lambda x: lucid.quantile(x, [0.3, 0.6], 1),
        lambda x: lucid.quantile(x, 0.4, interpolation="midpoint"),
    ],
)
def test_order_statistics_gradcheck_and_gradgradcheck(fn, rng):
    x = _leaf(rng, (3, 4))
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


# --------------------------------------------------------------------------- laws


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5),
              elements=st.floats(-10, 10)), st.booleans())  # fmt: skip
def test_sort_is_a_non_decreasing_permutation(data, descending):
    x = lucid.tensor(data)
    values, indices = x.sort(-1, descending)
    v = values.numpy()
    step = np.diff(v, axis=-1)
    assert (step <= 0).all() if descending else (step >= 0).all()
    np.testing.assert_array_equal(np.sort(indices.numpy(), -1), np.broadcast_to(
        np.arange(data.shape[-1]), data.shape))  # fmt: skip
    np.testing.assert_array_equal(np.take_along_axis(data, indices.numpy(), -1), v)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
              elements=st.floats(-10, 10)), st.data())  # fmt: skip
def test_topk_is_the_head_of_the_sort(data, draw):
    k = draw.draw(st.integers(0, data.shape[-1]))
    largest = draw.draw(st.booleans())
    x = lucid.tensor(data)
    top = x.topk(k, largest=largest)
    ordered = x.sort(descending=largest)
    np.testing.assert_array_equal(top.values.numpy(), ordered.values.numpy()[..., :k])
    np.testing.assert_array_equal(top.indices.numpy(), ordered.indices.numpy()[..., :k])


# --------------------------------------------------------------------------- counting


@pytest.mark.torch
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_unique_matches_torch(dim, torch_parity, rng):
    data = rng.integers(0, 3, (5, 2))
    for inverse in (False, True):
        for counts in (False, True):
            torch_parity(
                lambda x: lucid.unique(x, True, inverse, counts, dim),
                lambda x: x.unique(True, inverse, counts, dim),
                data,
            )
            torch_parity(
                lambda x: x.unique_consecutive(inverse, counts, dim),
                lambda x: x.unique_consecutive(inverse, counts, dim),
                data,
            )


@pytest.mark.torch
@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_and_bucketize_match_torch(right, torch_parity, rng):
    torch = pytest.importorskip("torch")
    seq = np.sort(rng.integers(0, 6, 8)).astype(np.float64)
    values = rng.integers(-1, 8, (3, 4)).astype(np.float64)
    torch_parity(
        lambda s, v: lucid.searchsorted(s, v, right=right),
        lambda s, v: torch.searchsorted(s, v, right=right),
        seq, values, grad=False,
    )  # fmt: skip
    side = "right" if right else "left"
    torch_parity(
        lambda s, v: lucid.searchsorted(s, v, side=side, out_int32=True),
        lambda s, v: torch.searchsorted(s, v, side=side, out_int32=True),
        seq, values, grad=False,
    )  # fmt: skip
    rows = np.sort(rng.standard_normal((3, 5)), -1)
    torch_parity(
        lambda s, v: lucid.searchsorted(s, v, right=right),
        lambda s, v: torch.searchsorted(s, v, right=right),
        rows, values, grad=False,
    )  # fmt: skip
    torch_parity(
        lambda v, b: lucid.bucketize(v, b, right=right),
        lambda v, b: torch.bucketize(v, b, right=right),
        values, seq, grad=False,
    )  # fmt: skip


@pytest.mark.torch
def test_histc_and_bincount_match_torch(torch_parity, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal(50)
    torch_parity(lambda x: lucid.histc(x, 7), lambda x: torch.histc(x, 7), data, grad=False)
    torch_parity(lambda x: x.histc(5, -1, 1), lambda x: x.histc(5, -1, 1), data, grad=False)
    ints = rng.integers(0, 5, 20)
    weights = rng.standard_normal(20)
    torch_parity(lambda i: lucid.bincount(i), lambda i: torch.bincount(i), ints)
    torch_parity(
        lambda i, w: lucid.bincount(i, w, 8),
        lambda i, w: torch.bincount(i, w, 8),
        ints, weights, grad=False,
    )  # fmt: skip


ERRORS = {
    "topk_k": (ValueError, "k=4", lambda x: x.topk(4)),
    "kthvalue_k": (ValueError, "k=0", lambda x: x.kthvalue(0)),
    "sort_dim": (IndexError, "axis 2", lambda x: x.sort(2)),
    "quantile_q": (ValueError, r"\[0, 1\]", lambda x: lucid.quantile(x, 1.5)),
    "quantile_mode": (ValueError, "interpolation", lambda x: x.quantile(0.5, interpolation="x")),
    "quantile_int": (TypeError, "floating", lambda x: lucid.quantile(x.long(), 0.5)),
    "median_empty": (ValueError, "empty", lambda x: x[:, :0].median(1)),
    "bincount_float": (TypeError, "integer", lambda x: lucid.bincount(x[0])),
    "bincount_negative": (ValueError, "negative", lambda x: lucid.bincount(lucid.tensor([-1]))),
    "searchsorted_dims": (
        ValueError,
        "leading dims",
        lambda x: lucid.searchsorted(x, lucid.zeros(3, 1)),
    ),  # fmt: skip
    "histc_range": (ValueError, "min", lambda x: lucid.histc(x, 3, 1, 0)),
    "bucketize_2d": (ValueError, "1-D", lambda x: lucid.bucketize(x, x)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_sorting_ops_reject_bad_input(name):
    error, match, fn = ERRORS[name]
    with pytest.raises(error, match=match):
        fn(lucid.tensor(np.arange(6.0).reshape(2, 3)))
