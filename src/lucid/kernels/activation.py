"""Activation kernels: elementwise forwards and backwards, NumPy references and @njit loops."""

from __future__ import annotations

import math

import numpy as np

from lucid.kernels import _jit
from lucid.kernels._checks import float_array
from lucid.kernels._jit import njit

# Crossovers: medians of repeated calls through these wrappers, NumPy path against JIT path,
# float32 and float64 arrays of 16..262144 elements (numpy 2.4, numba 0.68, the 2-core
# AVX-512 dev machine under load; a scratch script, not kept).
#
# Arithmetic-only kernels (relu/leaky-relu/hardtanh/elu backward, sigmoid/tanh backward from
# the output, leaky_relu): the fused loop is 1.1-2x faster from here, 2-4x from 16k on.
ELEMENTWISE_JIT_MIN_SIZE = 4_096
# Kernels with an exp, expm1 or tanh per element: numba calls scalar libm, ~10x slower per
# element than NumPy's AVX-512 exp (5 ns vs 0.5 ns), so the loop wins only BELOW a size, where
# the fixed cost of NumPy's four to eight passes dominates (2-6x at 16 elements). Forwards
# (sigmoid, silu, tanh-GELU, elu, softplus, mish) are NumPy from 512 elements on; backwards
# (silu, tanh-GELU, softplus, mish: more NumPy passes) from 2048 on.
TRANSCENDENTAL_FORWARD_JIT_MAX_SIZE = 512
TRANSCENDENTAL_BACKWARD_JIT_MAX_SIZE = 2_048
# Exact GELU and its backward use numba at every size (1.4-35x): NumPy has no erf, and the
# reference's float64 rational approximation takes ~30 passes.

SQRT_2 = math.sqrt(2.0)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
GELU_TANH_COEFF = 0.044715
APPROXIMATIONS = ("none", "tanh")


# ---------------------------------------------------------------------------------------------
# Validation and launching (wrappers only; the loops below never check anything)


def _like(name: str, arg: str, a: np.ndarray, x: np.ndarray, x_arg: str = "x") -> np.ndarray:
    """``a`` checked to have ``x``'s shape and cast to ``x``'s dtype (the result's dtype)."""
    a = float_array(name, arg, a)
    if a.shape != x.shape:
        raise ValueError(
            f"{name}: {arg} has shape {a.shape} but {x_arg} has shape {x.shape}; they must match"
        )
    return a.astype(x.dtype, copy=False)


def _launch(kernel, *args) -> np.ndarray:
    """``kernel(*args, out)`` on flat C-order views (``ravel`` copies only when it must).

    ``out`` is allocated flat and returned in the shape and dtype of the first argument.
    """
    like = args[0]
    out = np.empty(like.size, like.dtype)
    kernel(*[a.ravel() if isinstance(a, np.ndarray) else a for a in args], out)
    return out.reshape(like.shape)


def _dispatch(jit_wins: bool, kernel, reference, *args) -> np.ndarray:
    """``kernel`` through ``_launch`` when numba is on and ``jit_wins`` (the caller's measured
    crossover), else ``reference(*args)``; the two take the same arguments."""
    if _jit.JIT_ENABLED and jit_wins:
        return _launch(kernel, *args)
    return reference(*args)


# ---------------------------------------------------------------------------------------------
# Scalar helpers for the loops


@njit
def _sigmoid(v):
    """1 / (1 + exp(-v)) without overflow; branch-free (a random sign mispredicts a branch)."""
    e = math.exp(-abs(v))
    r = 1.0 / (1.0 + e)
    return r if v >= 0 else e * r


# ---------------------------------------------------------------------------------------------
# relu, leaky relu, hardtanh


def relu_backward_ref(x: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """grad where x > 0, else 0 (0 at the kink; a NaN x passes grad, as in PyTorch)."""
    return np.where(x <= 0, 0, grad)


@njit
def relu_backward_jit(x, grad, out):
    for i in range(x.size):
        out[i] = 0 if x[i] <= 0 else grad[i]


def relu_backward(x: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Gradient of ``max(x, 0)``: ``grad`` where ``x > 0``, else 0; ``x``'s shape and dtype."""
    x = float_array("relu_backward", "x", x)
    grad = _like("relu_backward", "grad", grad, x)
    jit_wins = x.size >= ELEMENTWISE_JIT_MIN_SIZE
    return _dispatch(jit_wins, relu_backward_jit, relu_backward_ref, x, grad)


def leaky_relu_ref(x: np.ndarray, slope: np.floating) -> np.ndarray:
    """x where x > 0, else slope * x."""
    return np.where(x > 0, x, x * slope)


@njit
def leaky_relu_jit(x, slope, out):
    for i in range(x.size):
        out[i] = x[i] if x[i] > 0 else x[i] * slope


def leaky_relu(x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """``x if x > 0 else slope * x``, elementwise; ``x``'s shape and dtype.

    ``slope`` is PyTorch's ``negative_slope``.
    """
    x = float_array("leaky_relu", "x", x)
    slope = x.dtype.type(slope)
    jit_wins = x.size >= ELEMENTWISE_JIT_MIN_SIZE
    return _dispatch(jit_wins, leaky_relu_jit, leaky_relu_ref, x, slope)


def leaky_relu_backward_ref(x: np.ndarray, grad: np.ndarray, slope: np.floating) -> np.ndarray:
    """grad where x > 0, else slope * grad (slope at the kink, as in PyTorch)."""
    return np.where(x > 0, grad, grad * slope)


@njit
def leaky_relu_backward_jit(x, grad, slope, out):
    for i in range(x.size):
        out[i] = grad[i] if x[i] > 0 else grad[i] * slope


def leaky_relu_backward(x: np.ndarray, grad: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """Gradient of ``leaky_relu``: ``grad`` where ``x > 0``, else ``slope * grad``."""
    x = float_array("leaky_relu_backward", "x", x)
    grad = _like("leaky_relu_backward", "grad", grad, x)
    slope = x.dtype.type(slope)
    jit_wins = x.size >= ELEMENTWISE_JIT_MIN_SIZE
    return _dispatch(jit_wins, leaky_relu_backward_jit, leaky_relu_backward_ref, x, grad, slope)


def hardtanh_backward_ref(
    x: np.ndarray, grad: np.ndarray, min_val: np.floating, max_val: np.floating
) -> np.ndarray:
    """grad strictly inside (min_val, max_val), 0 on and beyond the edges (as in PyTorch)."""
    return np.where((x <= min_val) | (x >= max_val), 0, grad)


@njit
def hardtanh_backward_jit(x, grad, min_val, max_val, out):
    for i in range(x.size):
        out[i] = 0 if x[i] <= min_val or x[i] >= max_val else grad[i]


def hardtanh_backward(
    x: np.ndarray, grad: np.ndarray, min_val: float = -1.0, max_val: float = 1.0
) -> np.ndarray:
    """Gradient of ``clip(x, min_val, max_val)``: ``grad`` where ``min_val < x < max_val``."""
    x = float_array("hardtanh_backward", "x", x)
    grad = _like("hardtanh_backward", "grad", grad, x)
    if min_val > max_val:
        raise ValueError(
            f"hardtanh_backward: min_val ({min_val}) must not be greater than max_val ({max_val})"
        )
    min_val, max_val = x.dtype.type(min_val), x.dtype.type(max_val)
    jit_wins = x.size >= ELEMENTWISE_JIT_MIN_SIZE
    return _dispatch(
        jit_wins, hardtanh_backward_jit, hardtanh_backward_ref, x, grad, min_val, max_val
    )


# ---------------------------------------------------------------------------------------------
# sigmoid, tanh


def sigmoid_ref(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)); exp(-|x|) never overflows."""
    e = np.exp(-np.abs(x))
    r = 1 / (1 + e)
    return np.where(x >= 0, r, e * r)


@njit
def sigmoid_jit(x, out):
    for i in range(x.size):
        out[i] = _sigmoid(x[i])


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, elementwise, overflow-free; ``x``'s dtype."""
    x = float_array("sigmoid", "x", x)
    jit_wins = x.size < TRANSCENDENTAL_FORWARD_JIT_MAX_SIZE
    return _dispatch(jit_wins, sigmoid_jit, sigmoid_ref, x)


def sigmoid_backward_ref(out: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """grad * s * (1 - s), from the forward's output s."""
    return grad * out * (1 - out)


@njit
def sigmoid_backward_jit(out_fwd, grad, out):
    one = out_fwd.dtype.type(1)  # a literal 1 would promote a float32 loop to float64
    for i in range(out_fwd.size):
        s = out_fwd[i]
        out[i] = grad[i] * s * (one - s)


def sigmoid_backward(out: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Gradient of ``sigmoid`` from its output ``out``: ``grad * out * (1 - out)``."""
    out = float_array("sigmoid_backward", "out", out)
    grad = _like("sigmoid_backward", "grad", grad, out, "out")
    jit_wins = out.size >= ELEMENTWISE_JIT_MIN_SIZE
    return _dispatch(jit_wins, sigmoid_backward_jit, sigmoid_backward_ref, out, grad)


def tanh_backward_ref(out: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """grad * (1 - t**2), from the forward's output t."""
    return grad * (1 - out * out)


@njit
def tanh_backward_jit(out_fwd, grad, out):
    one = out_fwd.dtype.type(1)  # a literal 1 would promote a float32 loop to float64
    for i in range(out_fwd.size):
        t = out_fwd[i]
        out[i] = grad[i] * (one - t * t)


def tanh_backward(out: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Gradient of ``tanh`` from its output ``out``: ``grad * (1 - out**2)``."""
    out = float_array("tanh_backward", "out", out)
    grad = _like("tanh_backward", "grad", grad, out, "out")
    jit_wins = out.size >= ELEMENTWISE_JIT_MIN_SIZE
    return _dispatch(jit_wins, tanh_backward_jit, tanh_backward_ref, out, grad)


# ---------------------------------------------------------------------------------------------
# GELU

# W. J. Cody's rational Chebyshev approximations for erf/erfc ("Rational Chebyshev
# approximations for the error function", Math. Comp. 23 (1969)), evaluated in float64:
# measured against math.erfc on 2e5 points of [-30, 30], relative error below 1e-15.
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)  # fmt: skip
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)  # fmt: skip
_ERFC_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
           2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
           2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)  # fmt: skip
_ERFC_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
           1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
           3.43936767414372164e03, 1.23033935480374942e03)  # fmt: skip
_ERFC_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
           1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)  # fmt: skip
_ERFC_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
           6.05183413124413191e-2, 2.33520497626869185e-3)  # fmt: skip


def _exp_minus_square(y: np.ndarray) -> np.ndarray:
    """exp(-y*y) with y*y split as Cody does, so its rounding is not magnified by exp."""
    head = np.trunc(16 * y) / 16
    return np.exp(-head * head) * np.exp(-(y - head) * (y + head))


def erfc_ref(z: np.ndarray) -> np.ndarray:
    """Complementary error function in float64, NumPy only (no scipy); see Cody above."""
    z = np.asarray(z, dtype=np.float64)
    y = np.abs(z)
    out = np.empty_like(y)
    small = y <= 0.46875
    mid = (y > 0.46875) & (y <= 4)
    big = y > 4  # NaN falls in none of the three: handled at the end

    s = z[small]
    s2 = s * s
    num, den = _ERF_A[4] * s2, s2
    for a, b in zip(_ERF_A[:3], _ERF_B[:3], strict=True):
        num, den = (num + a) * s2, (den + b) * s2
    out[small] = 1 - s * (num + _ERF_A[3]) / (den + _ERF_B[3])

    m = y[mid]
    num, den = _ERFC_C[8] * m, m
    for c, d in zip(_ERFC_C[:7], _ERFC_D[:7], strict=True):
        num, den = (num + c) * m, (den + d) * m
    out[mid] = (num + _ERFC_C[7]) / (den + _ERFC_D[7]) * _exp_minus_square(m)

    b = np.minimum(y[big], 27.0)  # erfc(27) = 5e-319: past that the result is 0 (set below)
    with np.errstate(under="ignore"):
        r2 = 1 / (b * b)
        num, den = _ERFC_P[5] * r2, r2
        for p, q in zip(_ERFC_P[:4], _ERFC_Q[:4], strict=True):
            num, den = (num + p) * r2, (den + q) * r2
        tail = r2 * (num + _ERFC_P[4]) / (den + _ERFC_Q[4])
        out[big] = (1 / math.sqrt(math.pi) - tail) / b * _exp_minus_square(b)

    out[y >= 27.0] = 0
    negative = (z < 0) & ~small  # erfc(-y) = 2 - erfc(y); the small branch used z itself
    out[negative] = 2 - out[negative]
    out[np.isnan(z)] = np.nan
    return out


def _check_approximate(name: str, approximate: str) -> None:
    if approximate not in APPROXIMATIONS:
        raise ValueError(f"{name}: approximate must be 'none' or 'tanh', got {approximate!r}")


def gelu_ref(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """x * Phi(x) with Phi = 0.5 * erfc(-x / sqrt 2) in float64, or the tanh approximation."""
    if approximate == "tanh":
        # 0.5 * (1 + tanh(u)) = sigmoid(2u): the textbook 1 + tanh(u) cancels for x < -3 (30%
        # relative error at x = -5 in float32, PyTorch included); the sigmoid does not.
        return x * sigmoid_ref(2 * SQRT_2_OVER_PI * (x + GELU_TANH_COEFF * x * x * x))
    # erfc rather than 1 + erf keeps full relative accuracy in the far negative tail.
    x64 = x.astype(np.float64)
    return (x64 * (0.5 * erfc_ref(-x64 / SQRT_2))).astype(x.dtype, copy=False)


@njit
def gelu_jit(x, out):
    for i in range(x.size):
        out[i] = x[i] * 0.5 * math.erfc(-x[i] / SQRT_2)


@njit
def gelu_tanh_jit(x, out):
    for i in range(x.size):
        v = x[i]
        # 0.5 * (1 + tanh(u)) = sigmoid(2u): one exp, no cancellation in the negative tail.
        out[i] = v * _sigmoid(2.0 * SQRT_2_OVER_PI * (v + GELU_TANH_COEFF * v * v * v))


def gelu(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """GELU ``x * Phi(x)``, Phi the standard normal CDF; ``x``'s shape and dtype.

    ``approximate="tanh"`` gives ``0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x**3)))`` as
    PyTorch does, evaluated as ``x * sigmoid(2 * ...)``: same function, but accurate for x < -3
    where PyTorch's float32 result loses digits (up to ~3e-7 absolute, 30% relative at x = -5).
    """
    x = float_array("gelu", "x", x)
    _check_approximate("gelu", approximate)
    if approximate == "tanh":
        if not _jit.JIT_ENABLED or x.size >= TRANSCENDENTAL_FORWARD_JIT_MAX_SIZE:
            return gelu_ref(x, approximate)
        return _launch(gelu_tanh_jit, x)
    if not _jit.JIT_ENABLED:
        return gelu_ref(x, approximate)
    return _launch(gelu_jit, x)


# --- tanh-GELU for large arrays: keep s = sigmoid(2u) from the forward, so the backward is
# arithmetic. On 4M float32 elements (benchmarks/compare.py W5) the forms above cost ~105 ms
# forward and ~140 ms backward on the NumPy path, and numba's scalar exp is no faster; NumPy's
# SIMD exp in place plus an arithmetic-only (vectorised) numba backward take ~35 ms in all.
# 0.5 (1 + tanh u) = sigmoid(2u) = 1 / (1 + exp(-2u)): no cancellation in the negative tail
# (exp overflows to inf there and s to 0, the right limit).


def gelu_tanh_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(x * s, s)`` with ``s = sigmoid(2 sqrt(2/pi) (x + 0.044715 x**3))``, the tanh form of
    GELU; ``s`` is what ``gelu_from_tanh_backward`` needs. NumPy, in place, x's dtype."""
    x = float_array("gelu_tanh_forward", "x", x)
    dt = x.dtype.type
    s = x * x
    s *= dt(GELU_TANH_COEFF)
    s += dt(1.0)
    s *= x
    s *= dt(-2.0 * SQRT_2_OVER_PI)
    with np.errstate(over="ignore"):
        np.exp(s, out=s)
    s += dt(1.0)
    np.reciprocal(s, out=s)
    return x * s, s


def gelu_from_tanh_backward_ref(x: np.ndarray, s: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """grad * (s + 2 x s (1 - s) sqrt(2/pi) (1 + 3 * 0.044715 x**2)), s = sigmoid(2u)."""
    du = SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_COEFF * x * x)
    return (grad * (s + 2 * x * s * (1 - s) * du)).astype(x.dtype, copy=False)


@njit
def gelu_from_tanh_backward_jit(x, s, grad, out):
    k2 = 2.0 * SQRT_2_OVER_PI
    c3 = 3.0 * GELU_TANH_COEFF
    for i in range(x.size):
        v, w = x[i], s[i]
        out[i] = grad[i] * (w + v * w * (1.0 - w) * k2 * (1.0 + c3 * v * v))


def gelu_from_tanh_backward(x: np.ndarray, s: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """The tanh-GELU's gradient from ``x`` and the forward's ``s``; ``x``'s shape and dtype.

    Arithmetic only, so the compiled loop vectorises and wins from 4096 elements up."""
    x = float_array("gelu_from_tanh_backward", "x", x)
    s = _like("gelu_from_tanh_backward", "s", s, x)
    grad = _like("gelu_from_tanh_backward", "grad", grad, x)
    jit_wins = x.size >= ELEMENTWISE_JIT_MIN_SIZE
    return _dispatch(
        jit_wins, gelu_from_tanh_backward_jit, gelu_from_tanh_backward_ref, x, s, grad
    )


def gelu_backward_ref(x: np.ndarray, grad: np.ndarray, approximate: str = "none") -> np.ndarray:
    """grad * (Phi(x) + x * phi(x)), or the derivative of the tanh form."""
    if approximate == "tanh":
        # s = sigmoid(2u) and, with e = exp(-|2u|), 0.5 * (1 - tanh(u)**2) = 2 e / (1 + e)**2.
        z = 2 * SQRT_2_OVER_PI * (x + GELU_TANH_COEFF * x * x * x)
        e = np.exp(-np.abs(z))
        r = 1 / (1 + e)
        s = np.where(z >= 0, r, e * r)
        du = SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_COEFF * x * x)
        return grad * (s + 2 * x * (e * r * r) * du)
    x64 = x.astype(np.float64)
    d = 0.5 * erfc_ref(-x64 / SQRT_2) + x64 * INV_SQRT_2PI * np.exp(-0.5 * x64 * x64)
    return grad * d.astype(x.dtype)


@njit
def gelu_backward_jit(x, grad, out):
    for i in range(x.size):
        v = x[i]
        d = 0.5 * math.erfc(-v / SQRT_2) + v * INV_SQRT_2PI * math.exp(-0.5 * v * v)
        out[i] = grad[i] * d


@njit
def gelu_tanh_backward_jit(x, grad, out):
    for i in range(x.size):
        v = x[i]
        # As in the reference: s = sigmoid(2u), 2 s (1 - s) = 2 e / (1 + e)**2, e = exp(-|2u|).
        z = 2.0 * SQRT_2_OVER_PI * (v + GELU_TANH_COEFF * v * v * v)
        e = math.exp(-abs(z))
        r = 1.0 / (1.0 + e)
        s = r if z >= 0 else e * r
        du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_COEFF * v * v)
        out[i] = grad[i] * (s + 2.0 * v * (e * r * r) * du)


def gelu_backward(x: np.ndarray, grad: np.ndarray, approximate: str = "none") -> np.ndarray:
    """Gradient of ``gelu``: ``grad * (Phi(x) + x * phi(x))``, or of its tanh form."""
    x = float_array("gelu_backward", "x", x)
    grad = _like("gelu_backward", "grad", grad, x)
    _check_approximate("gelu_backward", approximate)
    if approximate == "tanh":
        if not _jit.JIT_ENABLED or x.size >= TRANSCENDENTAL_BACKWARD_JIT_MAX_SIZE:
            return gelu_backward_ref(x, grad, approximate)
        return _launch(gelu_tanh_backward_jit, x, grad)
    if not _jit.JIT_ENABLED:
        return gelu_backward_ref(x, grad, approximate)
    return _launch(gelu_backward_jit, x, grad)


# ---------------------------------------------------------------------------------------------
# SiLU, ELU, softplus, mish


def silu_ref(x: np.ndarray) -> np.ndarray:
    """x * sigmoid(x)."""
    return x * sigmoid_ref(x)


@njit
def silu_jit(x, out):
    for i in range(x.size):
        out[i] = x[i] * _sigmoid(x[i])


def silu(x: np.ndarray) -> np.ndarray:
    """SiLU ``x * sigmoid(x)``, elementwise; ``x``'s shape and dtype."""
    x = float_array("silu", "x", x)
    jit_wins = x.size < TRANSCENDENTAL_FORWARD_JIT_MAX_SIZE
    return _dispatch(jit_wins, silu_jit, silu_ref, x)


def silu_backward_ref(x: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """grad * s * (1 + x * (1 - s)) with s = sigmoid(x)."""
    s = sigmoid_ref(x)
    return grad * s * (1 + x * (1 - s))


@njit
def silu_backward_jit(x, grad, out):
    for i in range(x.size):
        s = _sigmoid(x[i])
        out[i] = grad[i] * s * (1.0 + x[i] * (1.0 - s))


def silu_backward(x: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Gradient of ``silu``: ``grad * s * (1 + x * (1 - s))`` with ``s = sigmoid(x)``."""
    x = float_array("silu_backward", "x", x)
    grad = _like("silu_backward", "grad", grad, x)
    jit_wins = x.size < TRANSCENDENTAL_BACKWARD_JIT_MAX_SIZE
    return _dispatch(jit_wins, silu_backward_jit, silu_backward_ref, x, grad)


def elu_ref(x: np.ndarray, alpha: np.floating) -> np.ndarray:
    """x where x > 0, else alpha * (exp(x) - 1) (expm1: accurate near 0)."""
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


@njit
def elu_jit(x, alpha, out):
    for i in range(x.size):
        out[i] = x[i] if x[i] > 0 else alpha * math.expm1(x[i])


def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """ELU ``x if x > 0 else alpha * (exp(x) - 1)``, elementwise; ``x``'s shape and dtype."""
    x = float_array("elu", "x", x)
    alpha = x.dtype.type(alpha)
    jit_wins = x.size < TRANSCENDENTAL_FORWARD_JIT_MAX_SIZE
    return _dispatch(jit_wins, elu_jit, elu_ref, x, alpha)


def elu_backward_ref(
    x: np.ndarray, out: np.ndarray, grad: np.ndarray, alpha: np.floating
) -> np.ndarray:
    """grad where x > 0, else grad * (out + alpha), which is grad * alpha * exp(x)."""
    return np.where(x > 0, grad, grad * (out + alpha))


@njit
def elu_backward_jit(x, out_fwd, grad, alpha, out):
    for i in range(x.size):
        out[i] = grad[i] if x[i] > 0 else grad[i] * (out_fwd[i] + alpha)


def elu_backward(
    x: np.ndarray, out: np.ndarray, grad: np.ndarray, alpha: float = 1.0
) -> np.ndarray:
    """Gradient of ``elu`` from its input and output: ``grad``, or ``grad * (out + alpha)``.

    Reusing ``out`` saves the exp: ``out + alpha`` is ``alpha * exp(x)`` to within an absolute
    ``alpha * eps`` (PyTorch recomputes the exp; the two differ only by that rounding).
    """
    x = float_array("elu_backward", "x", x)
    out = _like("elu_backward", "out", out, x)
    grad = _like("elu_backward", "grad", grad, x)
    alpha = x.dtype.type(alpha)
    jit_wins = x.size >= ELEMENTWISE_JIT_MIN_SIZE
    return _dispatch(jit_wins, elu_backward_jit, elu_backward_ref, x, out, grad, alpha)


def _check_beta(name: str, beta: float) -> None:
    if beta == 0:
        raise ValueError(f"{name}: beta must be nonzero, got {beta}")


def softplus_ref(x: np.ndarray, beta: np.floating, threshold: np.floating) -> np.ndarray:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""
    z = x * beta
    # max(z, 0) + log1p(exp(-|z|)) is log(1 + exp(z)) without overflow for any z.
    soft = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
    return np.where(z > threshold, x, soft)


@njit
def softplus_jit(x, beta, threshold, out):
    for i in range(x.size):
        z = x[i] * beta
        soft = (max(z, 0.0) + math.log1p(math.exp(-abs(z)))) / beta
        out[i] = x[i] if z > threshold else soft


def softplus(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """Softplus ``log(1 + exp(beta * x)) / beta``, and ``x`` where ``beta * x > threshold``.

    PyTorch's semantics; overflow-free for any ``threshold``.
    """
    x = float_array("softplus", "x", x)
    _check_beta("softplus", beta)
    beta, threshold = x.dtype.type(beta), x.dtype.type(threshold)
    jit_wins = x.size < TRANSCENDENTAL_FORWARD_JIT_MAX_SIZE
    return _dispatch(jit_wins, softplus_jit, softplus_ref, x, beta, threshold)


def softplus_backward_ref(
    x: np.ndarray, grad: np.ndarray, beta: np.floating, threshold: np.floating
) -> np.ndarray:
    """grad * sigmoid(beta x), and grad itself where beta x > threshold."""
    z = x * beta
    return np.where(z > threshold, grad, grad * sigmoid_ref(z))


@njit
def softplus_backward_jit(x, grad, beta, threshold, out):
    for i in range(x.size):
        z = x[i] * beta
        out[i] = grad[i] if z > threshold else grad[i] * _sigmoid(z)


def softplus_backward(
    x: np.ndarray, grad: np.ndarray, beta: float = 1.0, threshold: float = 20.0
) -> np.ndarray:
    """Gradient of ``softplus``: ``grad * sigmoid(beta * x)``, ``grad`` above the threshold."""
    x = float_array("softplus_backward", "x", x)
    grad = _like("softplus_backward", "grad", grad, x)
    _check_beta("softplus_backward", beta)
    beta, threshold = x.dtype.type(beta), x.dtype.type(threshold)
    jit_wins = x.size < TRANSCENDENTAL_BACKWARD_JIT_MAX_SIZE
    return _dispatch(
        jit_wins, softplus_backward_jit, softplus_backward_ref, x, grad, beta, threshold
    )


def mish_ref(x: np.ndarray) -> np.ndarray:
    """x * tanh(softplus(x))."""
    return x * np.tanh(np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))


@njit
def _mish_parts(v):
    """(t, sigmoid(v) * (1 - t**2)) for t = tanh(softplus(v)), from a single exp.

    With n = 1 + exp(v), t = tanh(log n) = (n*n - 1) / (n*n + 1); written in e = exp(-|v|) so
    nothing overflows, and with 1 - t**2 in closed form (no cancellation as t -> 1).
    """
    if v > 0:
        e = math.exp(-v)
        d = 1.0 + 2.0 * e + 2.0 * e * e
        return (1.0 + 2.0 * e) / d, 4.0 * e * e * (1.0 + e) / (d * d)
    e = math.exp(v)
    d = e * (e + 2.0) + 2.0
    return e * (e + 2.0) / d, 4.0 * e * (1.0 + e) / (d * d)


@njit
def mish_jit(x, out):
    for i in range(x.size):
        t, _ = _mish_parts(x[i])
        out[i] = x[i] * t


def mish(x: np.ndarray) -> np.ndarray:
    """Mish ``x * tanh(softplus(x))``, elementwise; ``x``'s shape and dtype."""
    x = float_array("mish", "x", x)
    jit_wins = x.size < TRANSCENDENTAL_FORWARD_JIT_MAX_SIZE
    return _dispatch(jit_wins, mish_jit, mish_ref, x)


def mish_backward_ref(x: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """grad * (t + x * sigmoid(x) * (1 - t**2)) with t = tanh(softplus(x))."""
    t = np.tanh(np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))
    return grad * (t + x * sigmoid_ref(x) * (1 - t * t))


@njit
def mish_backward_jit(x, grad, out):
    for i in range(x.size):
        t, ds = _mish_parts(x[i])
        out[i] = grad[i] * (t + x[i] * ds)


def mish_backward(x: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Gradient of ``mish``: ``grad * (t + x * sigmoid(x) * (1 - t**2))``, t = tanh(softplus)."""
    x = float_array("mish_backward", "x", x)
    grad = _like("mish_backward", "grad", grad, x)
    jit_wins = x.size < TRANSCENDENTAL_BACKWARD_JIT_MAX_SIZE
    return _dispatch(jit_wins, mish_backward_jit, mish_backward_ref, x, grad)
