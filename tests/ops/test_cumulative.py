"""cumprod, cummax, cummin, logcumsumexp, count_nonzero, var_mean, std_mean and aminmax
against PyTorch, finite differences and their laws."""

# ruff: noqa: B023  (torch_parity calls each lambda at once, inside the loop)

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import lucid
from lucid.autograd import gradcheck, gradgradcheck

SHAPES = [((6,), 0), ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), -1), ((0, 3), 0), ((), 0)]


@pytest.mark.torch
@pytest.mark.parametrize("shape,dim", SHAPES)
@pytest.mark.parametrize("name", ["cumprod", "logcumsumexp", "cummax", "cummin"])
def test_cumulative_op_matches_torch(name, shape, dim, torch_parity, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal(shape)
    torch_parity(lambda x: getattr(lucid, name)(x, dim), lambda x: getattr(torch, name)(x, dim),
                 data)  # fmt: skip
    torch_parity(lambda x: getattr(x, name)(dim=dim), lambda x: getattr(x, name)(dim=dim), data)


@pytest.mark.torch
def test_cumprod_with_zeros_and_cummax_with_ties_and_nan_match_torch(torch_parity, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal((4, 6))
    data[0, 1] = data[1, 2] = data[1, 4] = data[2, 0] = 0.0
    torch_parity(lambda x: x.cumprod(1), lambda x: x.cumprod(1), data)
    ties = rng.integers(0, 3, (4, 7)).astype(np.float64)
    ties[2, 3] = np.nan
    for name in ("cummax", "cummin"):
        torch_parity(lambda x: getattr(x, name)(1), lambda x: getattr(torch, name)(x, 1), ties)
    wide = np.array([-1000.0, 0.0, 1000.0, -np.inf])  # no overflow, -inf kept
    torch_parity(lambda x: x.logcumsumexp(0), lambda x: x.logcumsumexp(0), wide, grad=False)


@pytest.mark.parametrize("name", ["cumprod", "logcumsumexp", "cummax", "cummin"])
def test_cumulative_op_gradcheck_and_gradgradcheck(name, rng):
    x = lucid.tensor(rng.standard_normal((3, 4)), requires_grad=True)

    def fn(t):
        out = getattr(lucid, name)(t, 1)
        return out.values if isinstance(out, tuple) else out

    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_cumprod_gradcheck_with_zeros(rng):
    data = rng.standard_normal((3, 5))
    data[0, 1] = data[1, 1] = data[1, 3] = 0.0
    x = lucid.tensor(data, requires_grad=True)
    assert gradcheck(lambda t: t.cumprod(1), (x,))
    assert gradgradcheck(lambda t: t.cumprod(1), (x,))


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5),
              elements=st.floats(-5, 5)))  # fmt: skip
def test_cummax_is_a_running_maximum_of_x(data):
    out = lucid.tensor(data).cummax(-1)
    np.testing.assert_array_equal(out.values.numpy(), np.maximum.accumulate(data, axis=-1))
    np.testing.assert_array_equal(
        np.take_along_axis(data, out.indices.numpy(), -1), out.values.numpy()
    )
    lse = lucid.tensor(data).logcumsumexp(-1).numpy()
    np.testing.assert_allclose(
        lse, np.log(np.cumsum(np.exp(data), axis=-1)), rtol=1e-12, atol=1e-12
    )


@pytest.mark.torch
@pytest.mark.parametrize("dim", [None, 0, (0, 1)])
def test_count_nonzero_var_mean_std_mean_aminmax_match_torch(dim, torch_parity, rng):
    torch = pytest.importorskip("torch")
    data = rng.integers(-1, 2, (3, 4)).astype(np.float64)
    torch_parity(lambda x: lucid.count_nonzero(x, dim), lambda x: torch.count_nonzero(x, dim),
                 data)  # fmt: skip
    data = rng.standard_normal((3, 4))
    for name in ("var_mean", "std_mean"):
        torch_parity(
            lambda x: getattr(lucid, name)(x, dim), lambda x: getattr(torch, name)(x, dim), data
        )
        torch_parity(
            lambda x: getattr(lucid, name)(x, dim, correction=0, keepdim=True),
            lambda x: getattr(torch, name)(x, dim, correction=0, keepdim=True),
            data,
        )
    if not isinstance(dim, tuple):
        torch_parity(lambda x: x.aminmax(dim=dim), lambda x: x.aminmax(dim=dim), data)
        out = lucid.aminmax(lucid.tensor(data))
        assert out.min.item() == data.min() and out.max.item() == data.max()


@pytest.mark.torch
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("name", ["nansum", "nanmean"])
def test_nansum_nanmean_match_torch(name, dim, torch_parity, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal((3, 4))
    data[0, 1] = data[2, :] = np.nan
    torch_parity(lambda x: getattr(lucid, name)(x, dim), lambda x: getattr(torch, name)(x, dim),
                 data)  # fmt: skip
    torch_parity(lambda x: getattr(x, name)(dim=dim, keepdim=True),
                 lambda x: getattr(x, name)(dim=dim, keepdim=True), data)  # fmt: skip


def test_nansum_nanmean_gradcheck(rng):
    data = rng.standard_normal((3, 4))
    data[1, 2] = np.nan
    x = lucid.tensor(data, requires_grad=True)
    mask = ~np.isnan(data)
    for fn in (lucid.nansum, lucid.nanmean):
        y = fn(x, 1)
        assert np.isfinite(y.numpy()).all()
        up = rng.standard_normal(3)
        x.grad = None
        y.backward(up)
        n = mask.sum(1, keepdims=True) if fn is lucid.nanmean else 1
        np.testing.assert_allclose(x.grad.numpy(), up[:, None] * mask / n)


ERRORS = {
    "cumprod_dim": (TypeError, "missing the dim", lambda x: lucid.cumprod(x)),
    "cummax_axis": (IndexError, "axis 2", lambda x: x.cummax(2)),
    "count_nonzero_axis": (IndexError, "axis 3", lambda x: x.count_nonzero(3)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_cumulative_ops_reject_bad_input(name):
    error, match, fn = ERRORS[name]
    with pytest.raises(error, match=match):
        fn(lucid.tensor(np.arange(6.0).reshape(2, 3)))
