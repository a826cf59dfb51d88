"""kernels.special: erf, erfc, erfinv, lgamma, digamma, trigamma in float64; the Numba loops
against the NumPy references, both against Python's math module and defining identities."""

import math

import numpy as np
import pytest

from lucid.kernels import _jit
from lucid.kernels import special as KS

NAMES = ["erf", "erfc", "erfinv", "lgamma", "digamma", "trigamma"]


@pytest.mark.parametrize("name", NAMES)
def test_jit_kernel_matches_reference(name, rng):
    if not _jit.JIT_ENABLED:
        pytest.skip("numba is disabled")
    x = np.concatenate([
        rng.uniform(-0.999, 0.999, 500) if name == "erfinv" else rng.uniform(-9.9, 30, 2000),
        [0.0, -0.0, 1.0, -1.0, -2.0, 0.5, 1e-300, np.inf, -np.inf, np.nan, 1 - 2**-52],
    ])  # fmt: skip
    with np.errstate(all="ignore"):
        got, expected = getattr(KS, f"{name}")(x), getattr(KS, f"{name}_ref")(x)
    # both as exact as float64 allows, by different roads: agree to a few ulps (relative to
    # max(1, |value|): lgamma crosses zero at 1 and 2)
    np.testing.assert_allclose(got, expected, rtol=5e-14, atol=5e-14)


@pytest.mark.parametrize(("name", "reference"), [("erf", math.erf), ("erfc", math.erfc)])
@pytest.mark.parametrize("suffix", ["", "_ref"])
def test_erf_and_erfc_match_math_to_float64_precision(name, reference, suffix):
    x = np.concatenate([np.linspace(-8, 8, 4001), [0.0, -0.0, 1e-300, -1e-20, 0.46875, 27.5]])
    got = getattr(KS, name + suffix)(x)
    expected = np.array([reference(v) for v in x])
    np.testing.assert_allclose(got, expected, rtol=2e-15, atol=1e-300)


@pytest.mark.parametrize("lgamma", [KS.lgamma, KS.lgamma_ref])
def test_lgamma_matches_math_away_from_its_poles(lgamma):
    x = np.concatenate(
        [np.linspace(0.01, 60, 3000), np.linspace(-9.9, -0.1, 999), [1.0, 2.0, 1e5]]
    )
    x = x[(np.abs(x - np.round(x)) > 1e-6) | (x > 0)]
    expected = np.array([math.lgamma(v) for v in x])
    # the reflection for x < 0.5 subtracts terms near 15: absolute error up to ~1e-13 there
    np.testing.assert_allclose(lgamma(x), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("suffix", ["", "_ref"])
def test_gamma_family_special_values(suffix):
    lgamma, digamma, trigamma = (
        getattr(KS, n + suffix) for n in ("lgamma", "digamma", "trigamma")
    )
    np.testing.assert_array_equal(lgamma(np.array([0.0, -1.0, -3.0, np.inf])), [np.inf] * 4)
    assert np.isnan(lgamma(np.array([np.nan]))).all()
    d = digamma(np.array([0.0, -1.0, -2.0, np.inf, 1.0, -0.0]))
    assert d[0] == -np.inf and np.isnan(d[1:3]).all() and d[3] == np.inf and d[5] == np.inf
    np.testing.assert_allclose(d[4], -0.5772156649015329, rtol=1e-15)  # minus Euler's gamma
    np.testing.assert_allclose(
        KS.trigamma(np.array([1.0, 0.5])), [math.pi**2 / 6, math.pi**2 / 2], rtol=1e-13
    )


def test_digamma_and_trigamma_are_the_derivatives_of_lgamma():
    x = np.linspace(0.3, 20, 500)
    h = 1e-5
    np.testing.assert_allclose(
        KS.digamma(x), (KS.lgamma(x + h) - KS.lgamma(x - h)) / (2 * h), rtol=1e-7, atol=1e-8
    )
    np.testing.assert_allclose(
        KS.trigamma(x), (KS.digamma(x + h) - KS.digamma(x - h)) / (2 * h), rtol=1e-6, atol=1e-7
    )


@pytest.mark.parametrize("erfinv", [KS.erfinv, KS.erfinv_ref])
def test_erfinv_inverts_erf_to_the_tails(erfinv):
    y = np.concatenate(
        [np.linspace(-0.999999, 0.999999, 2001), [1 - 1e-15, -(1 - 2**-52), 1e-300]]
    )
    x = erfinv(y)
    np.testing.assert_allclose(KS.erf(x), y, rtol=1e-14, atol=1e-300)
    tail = np.abs(y) > 0.5
    np.testing.assert_allclose(KS.erfc(np.abs(x[tail])), 1 - np.abs(y[tail]), rtol=1e-12)
    np.testing.assert_array_equal(erfinv(np.array([1.0, -1.0])), [np.inf, -np.inf])
    assert np.isnan(erfinv(np.array([1.5, -2.0, np.nan]))).all()


@pytest.mark.parametrize(
    "kernel", [KS.erf, KS.erfc, KS.erfinv, KS.lgamma, KS.digamma, KS.trigamma]
)
def test_kernels_keep_shapes_including_0d_and_empty(kernel):
    for shape in [(), (0,), (2, 3)]:
        assert kernel(np.full(shape, 0.25)).shape == shape
