"""Special functions on arrays in NumPy alone (no scipy): erf, erfc and erfinv, in float64.

erf and erfc are W. J. Cody's rational approximations (shared with GELU, in
``kernels.activation``). erfinv starts from M. Giles' single-precision approximation
("Approximating the erfinv function", GPU Computing Gems, 2011) and polishes it to float64
accuracy with Halley steps on erf, and Newton steps on log erfc in the tails (where 1 - |y|
carries the precision).
There is no Numba loop here: these are NumPy-vectorised and not on a training hot path.
"""

from __future__ import annotations

import math

import numpy as np

from lucid.kernels.activation import _ERF_A, _ERF_B, erfc_ref

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SMALL = 0.46875  # below this |x|, Cody computes erf directly (no cancellation in 1 - erfc)


def erfc(x: np.ndarray) -> np.ndarray:
    """Complementary error function ``1 - erf(x)`` in float64, accurate in the far tail."""
    return erfc_ref(x)


def erf(x: np.ndarray) -> np.ndarray:
    """Error function ``2/sqrt(pi) * integral_0^x exp(-t**2) dt`` in float64."""
    shape = np.shape(x)
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    out = 1.0 - erfc_ref(x)
    small = np.abs(x) <= _SMALL
    s = x[small]
    s2 = s * s
    num, den = _ERF_A[4] * s2, s2
    for a, b in zip(_ERF_A[:3], _ERF_B[:3], strict=True):
        num, den = (num + a) * s2, (den + b) * s2
    out[small] = s * (num + _ERF_A[3]) / (den + _ERF_B[3])  # relative accuracy near 0
    return out.reshape(shape)


# Giles' single-precision erfinv: two polynomials in w = -log(1 - y**2).
_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
            -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)  # fmt: skip
_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
         -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)  # fmt: skip


def _horner(coeffs: tuple, w: np.ndarray) -> np.ndarray:
    p = np.full_like(w, coeffs[0])
    for c in coeffs[1:]:
        p = p * w + c
    return p


def erfinv(y: np.ndarray) -> np.ndarray:
    """Inverse error function in float64: ``erf(erfinv(y)) == y`` on (-1, 1); +-inf at +-1 and
    NaN outside [-1, 1], as PyTorch."""
    shape = np.shape(y)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    a = np.abs(y)
    inside = a < 1
    ya = np.where(inside, a, 0.0)
    with np.errstate(divide="ignore"):
        w = -np.log((1.0 - ya) * (1.0 + ya))
    x = (
        np.where(
            w < 5.0, _horner(_CENTRAL, w - 2.5), _horner(_TAIL, np.sqrt(np.maximum(w, 5.0)) - 3.0)
        )
        * ya
    )
    tail = ya >= 0.5
    q = np.where(tail, 1.0 - ya, 1.0)  # exact for ya >= 0.5
    for _ in range(4):
        slope = _TWO_OVER_SQRT_PI * np.exp(-x * x)  # erf'(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            # centre: Halley on f = erf(x) - y, x -= f / (f' + x f), as f'' = -2 x f';
            f = erf(x) - ya
            centre = x - f / (slope + x * f)
            # tails: Newton on log(erfc(x)) - log(1 - y), nearly quadratic in x there
            c = erfc_ref(x)
            tails = x + (np.log(c) - np.log(q)) * c / slope
        step = np.where(tail, tails, centre)
        x = np.where(np.isfinite(step), step, x)
    out = np.copysign(x, y)
    out[a == 1] = np.copysign(np.inf, y[a == 1])
    out[(a > 1) | np.isnan(y)] = np.nan
    return out.reshape(shape)
