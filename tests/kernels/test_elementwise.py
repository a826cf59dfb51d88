"""maximum/minimum and clip backward: the compiled loops against the NumPy references."""

import numpy as np
import pytest

from lucid.kernels import elementwise as K

N = K.CLIP_JIT_MIN_SIZE + 37  # above both thresholds: the jit path when jit is on


def _pair(rng, dtype, shape=(N,)):
    a = rng.integers(-3, 4, shape).astype(dtype)  # many ties
    b = rng.integers(-3, 4, shape).astype(dtype)
    a.reshape(-1)[:3] = [np.nan, 1.0, np.nan]
    b.reshape(-1)[:3] = [1.0, np.nan, np.nan]
    return a, b, rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("largest", [True, False])
def test_extremum_pair_backward_matches_reference(largest, dtype, rng):
    a, b, grad = _pair(rng, dtype)
    fn = K.maximum_backward if largest else K.minimum_backward
    to_a, to_b = fn(a, b, grad)
    ref_a, ref_b = K.extremum_pair_backward_ref(a, b, grad, largest)
    assert to_a.dtype == to_b.dtype == dtype
    np.testing.assert_array_equal(to_a, ref_a)
    np.testing.assert_array_equal(to_b, ref_b)
    finite = ~(np.isnan(a) | np.isnan(b))
    np.testing.assert_allclose((to_a + to_b)[finite], grad[finite], rtol=1e-6)  # conserved


def test_extremum_pair_backward_rules():
    a = np.array([1.0, 2.0, 2.0, np.nan])
    b = np.array([2.0, 1.0, 2.0, 0.0])
    grad = np.array([4.0, 4.0, 4.0, 4.0])
    to_a, to_b = K.extremum_pair_backward_ref(a, b, grad, True)
    np.testing.assert_array_equal(to_a, [0.0, 4.0, 2.0, 4.0])
    np.testing.assert_array_equal(to_b, [4.0, 0.0, 2.0, 4.0])


def test_extremum_pair_backward_broadcast_and_non_contiguous(rng):
    a, b, grad = _pair(rng, np.float64, (80, 60))
    for args in [(a.T, b.T, grad.T), (a, b[:1], grad), (a[::2], b[::2], grad[::2])]:
        got = K.maximum_backward(*args)
        for g, r in zip(got, K.extremum_pair_backward_ref(*args, True), strict=True):
            np.testing.assert_array_equal(g, r)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bounds", [(-0.5, 0.5), (-0.5, None), (None, 0.5), (0.5, -0.5)])
def test_clip_backward_matches_reference(bounds, dtype, rng):
    x = rng.standard_normal(N).astype(dtype)
    x[:4] = [-0.5, 0.5, np.nan, 0.0]
    grad = rng.standard_normal(N).astype(dtype)
    lo, hi = (None if v is None else np.asarray(v, dtype) for v in bounds)
    out = K.clip_backward(x, lo, hi, grad)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, K.clip_backward_ref(x, lo, hi, grad))


def test_clip_backward_is_inclusive_and_takes_array_bounds(rng):
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    grad = np.arange(1.0, 6.0)
    got = K.clip_backward(x, np.asarray(-0.5), np.asarray(0.5), grad)
    np.testing.assert_array_equal(got, [0.0, 2.0, 3.0, 4.0, 0.0])
    lo = np.array([-2.0, 0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(K.clip_backward(x, lo, None, grad), [1.0, 0.0, 3.0, 4.0, 5.0])
    xt = rng.standard_normal((70, 80)).T  # non-contiguous, on the jit path
    g = rng.standard_normal((80, 70))
    np.testing.assert_array_equal(
        K.clip_backward(xt, np.asarray(-0.2), np.asarray(0.3), g),
        K.clip_backward_ref(xt, np.asarray(-0.2), np.asarray(0.3), g),
    )
