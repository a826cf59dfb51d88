"""extremum_backward: the compiled loops against the NumPy reference."""

import numpy as np
import pytest

from lucid.kernels import _jit
from lucid.kernels import reduce as K

CASES = [
    ((300,), (0,)),  # everything: one row
    ((40, 30), (1,)),  # the last axis: rows
    ((40, 30), (0,)),  # the first axis: blocks
    ((6, 7, 8), (1,)),  # a middle axis
    ((6, 7, 8), (1, 2)),  # trailing run
    ((6, 7, 8), (0, 1)),  # leading run
    ((6, 7, 8), (0, 1, 2)),
    ((6, 7, 8), (0, 2)),  # not one run: the reference
]


def _case(rng, shape, axes, dtype, reduce=np.max):
    x = rng.integers(0, 4, shape).astype(dtype)  # many ties
    out = reduce(x, axis=axes, keepdims=True)
    grad = rng.standard_normal(out.shape).astype(dtype)
    return x, out, grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape", "axes"), CASES)
@pytest.mark.parametrize("reduce", [np.max, np.min])
def test_extremum_backward_matches_reference(shape, axes, dtype, reduce, rng):
    x, out, grad = _case(rng, shape, axes, dtype, reduce)
    result = K.extremum_backward(x, out, grad, axes)
    assert result.shape == shape and result.dtype == dtype
    expected = K.extremum_backward_ref(x, out, grad, axes)
    np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-7)
    # the gradient is conserved: each row's shares add up to its upstream value
    np.testing.assert_allclose(result.sum(axis=axes, keepdims=True), grad, rtol=1e-5, atol=1e-6)


def test_extremum_backward_splits_ties_evenly():
    x = np.array([[1.0, 3.0, 3.0, 3.0], [2.0, 0.0, 1.0, 1.0]])
    out = x.max(axis=1, keepdims=True)
    grad = np.array([[3.0], [5.0]])
    expected = [[0.0, 1.0, 1.0, 1.0], [5.0, 0.0, 0.0, 0.0]]
    np.testing.assert_array_equal(K.extremum_backward_ref(x, out, grad, (1,)), expected)
    big = np.tile(x, (50, 1))  # the same rows, above the jit threshold
    result = K.extremum_backward(big, big.max(axis=1, keepdims=True), np.tile(grad, (50, 1)), (1,))
    np.testing.assert_array_equal(result, np.tile(expected, (50, 1)))


@pytest.mark.parametrize("axes", [(0,), (1,)])
def test_nan_rows_give_the_gradient_to_their_nans(axes, rng):
    x, _, _ = _case(rng, (40, 30), axes, np.float64)
    x[3, 4] = x[5, 4] = x[3, 6] = np.nan
    out = np.max(x, axis=axes, keepdims=True)
    grad = rng.standard_normal(out.shape)
    result = K.extremum_backward(x, out, grad, axes)
    np.testing.assert_array_equal(result, K.extremum_backward_ref(x, out, grad, axes))
    assert np.isfinite(result).all() and result[3, 4] != 0


def test_non_contiguous_inputs(rng):
    x, _, _ = _case(rng, (30, 20, 10), (0,), np.float32)
    xt = x.transpose(2, 0, 1)  # (10, 30, 20), not contiguous
    out = xt.max(axis=1, keepdims=True)
    grad = np.broadcast_to(rng.standard_normal((1, 1, 20)).astype(np.float32), out.shape)
    np.testing.assert_allclose(
        K.extremum_backward(xt, out, grad, (1,)),
        K.extremum_backward_ref(xt, out, grad, (1,)),
        rtol=1e-6,
    )


def test_the_reference_runs_when_jit_is_off(rng, monkeypatch):
    monkeypatch.setattr(_jit, "JIT_ENABLED", False)
    x, out, grad = _case(rng, (40, 30), (1,), np.float64)
    np.testing.assert_array_equal(
        K.extremum_backward(x, out, grad, (1,)), K.extremum_backward_ref(x, out, grad, (1,))
    )
