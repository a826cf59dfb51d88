"""Special and further elementwise math ops: erf & co, log/exp variants, inverse hyperbolic
functions, logaddexp, lerp, hypot, copysign, xlogy, remainder/fmod, nan_to_num, the float
tests (isnan ...), and a few composites (addcmul, addcdiv, float_power, clamp_min/max).

Float-valued ops give integer and bool inputs the default float dtype; binary ops follow
PyTorch's promotion (``lucid._promotion``). Each gradient is written once with operators
and ``lucid.ops._xp`` helpers, so it runs on arrays and, under ``create_graph``, on Tensors.
Piecewise-constant factors (masks, ``floor(a / b)``) are read as constants.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lucid import _promotion
from lucid._graph import binary_func_op, func_op, operation, unary_func_op
from lucid.kernels import special as KS
from lucid.ops import _xp
from lucid.ops import elementwise as _ew
from lucid.ops import inplace as _inp
from lucid.tensor import Tensor

TensorLike = Any

__all__ = [
    "erf", "erfc", "erfinv", "log10", "log1p", "expm1", "exp2", "rsqrt", "trunc", "fix",
    "frac", "sinc", "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh", "deg2rad",
    "rad2deg", "sgn", "nan_to_num", "logaddexp", "logaddexp2", "hypot", "copysign", "xlogy",
    "lerp", "remainder", "fmod", "isnan", "isinf", "isfinite", "isposinf", "isneginf",
    "isreal", "signbit", "clamp_min", "clamp_max", "float_power", "addcmul", "addcdiv",
    "lgamma", "digamma", "polygamma", "logit", "fmax", "fmin", "ldexp", "heaviside", "gcd",
    "lcm", "absolute", "positive", "rsub",
]  # fmt: skip

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0

_floating = _promotion.floating


def _in_float64(fn: Any, x: np.ndarray) -> np.ndarray:
    """``fn`` (a float64 kernel) applied to ``x``, the result in x's float dtype."""
    return fn(x).astype(x.dtype, copy=False)


def _const(mask: Any) -> Any:
    """A mask or piecewise-constant factor as an array (a constant of the gradient)."""
    return _xp.data(mask)


# --------------------------------------------------------------------------- unary


class Erf(operation):
    """erf(x);  d/dx = 2/sqrt(pi) exp(-x**2)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        self.save_for_backward(x)
        return _in_float64(KS.erf, x)

    def gradient(self, grad: Any) -> Any:
        (x,) = self.saved_tensors
        return grad * (_xp.exp(-(x * x)) * _TWO_OVER_SQRT_PI)


class Erfc(operation):
    """erfc(x) = 1 - erf(x);  d/dx = -2/sqrt(pi) exp(-x**2)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        self.save_for_backward(x)
        return _in_float64(KS.erfc, x)

    def gradient(self, grad: Any) -> Any:
        (x,) = self.saved_tensors
        return grad * (_xp.exp(-(x * x)) * -_TWO_OVER_SQRT_PI)


class Erfinv(operation):
    """erfinv(x);  d/dx = sqrt(pi)/2 exp(out**2)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        out = _in_float64(KS.erfinv, _floating(x))
        self.save_for_backward(out)
        return out

    def gradient(self, grad: Any) -> Any:
        (out,) = self.saved_tensors
        return grad * (_xp.exp(out * out) * _SQRT_PI_OVER_TWO)


class Log10(operation):
    """log10(x);  d/dx = 1 / (x ln 10)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        self.save_for_backward(x)
        return np.log10(x)

    def gradient(self, grad: Any) -> Any:
        (x,) = self.saved_tensors
        return grad / (x * _LN10)


class Log1p(operation):
    """log(1 + x), accurate for small x;  d/dx = 1 / (1 + x)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        self.save_for_backward(x)
        return np.log1p(x)

    def gradient(self, grad: Any) -> Any:
        (x,) = self.saved_tensors
        return grad / (x + 1)


class Expm1(operation):
    """exp(x) - 1, accurate for small x;  d/dx = exp(x) = out + 1."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        out = np.expm1(_floating(x))
        self.save_for_backward(out)
        return out

    def gradient(self, grad: Any) -> Any:
        (out,) = self.saved_tensors
        return grad * (out + 1)


class Exp2(operation):
    """2**x;  d/dx = out ln 2."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        out = np.exp2(_floating(x))
        self.save_for_backward(out)
        return out

    def gradient(self, grad: Any) -> Any:
        (out,) = self.saved_tensors
        return grad * (out * _LN2)


class Rsqrt(operation):
    """1 / sqrt(x);  d/dx = -out**3 / 2."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = 1 / np.sqrt(_floating(x))
        self.save_for_backward(out)
        return out

    def gradient(self, grad: Any) -> Any:
        (out,) = self.saved_tensors
        return grad * (out * out * out * -0.5)


class Trunc(operation):
    """x rounded towards zero;  d/dx = 0 (integers come back unchanged)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.trunc(x) if x.dtype.kind == "f" else x.copy()

    def gradient(self, grad: Any) -> Any:
        return grad * 0


class Frac(operation):
    """x - trunc(x), the fractional part with x's sign;  d/dx = 1."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.dtype.kind != "f":
            raise TypeError(f"frac: expected a floating-point tensor, got {x.dtype}")
        return x - np.trunc(x)

    def gradient(self, grad: Any) -> Any:
        return grad


class Sinc(operation):
    """sin(pi x) / (pi x), 1 at 0;  d/dx = (cos(pi x) - out) / x, 0 at 0."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        out = np.sinc(x)
        self.save_for_backward(x, out)
        return out

    def gradient(self, grad: Any) -> Any:
        x, out = self.saved_tensors
        # at x == 0 the numerator cos(0) - 1 is 0, so dividing by 1 there gives the limit 0
        safe = _xp.where(_const(x) == 0, 1, x)
        return grad * ((_xp.cos(x * math.pi) - out) / safe)


class Asinh(operation):
    """asinh(x);  d/dx = 1 / sqrt(x**2 + 1)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        self.save_for_backward(x)
        return np.arcsinh(x)

    def gradient(self, grad: Any) -> Any:
        (x,) = self.saved_tensors
        return grad / _xp.sqrt(x * x + 1)


class Acosh(operation):
    """acosh(x) (NaN below 1);  d/dx = 1 / sqrt(x**2 - 1)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        self.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return np.arccosh(x)

    def gradient(self, grad: Any) -> Any:
        (x,) = self.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad / _xp.sqrt(x * x - 1)


class Atanh(operation):
    """atanh(x) (NaN outside [-1, 1]);  d/dx = 1 / (1 - x**2)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        self.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.arctanh(x)

    def gradient(self, grad: Any) -> Any:
        (x,) = self.saved_tensors
        with np.errstate(divide="ignore"):
            return grad / (1 - x * x)


class _Scale(operation):
    """x times a constant factor;  d/dx = factor."""

    factor: float

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        return x * x.dtype.type(self.factor)

    def gradient(self, grad: Any) -> Any:
        return grad * self.factor


class Deg2Rad(_Scale):
    """x pi / 180;  d/dx = pi / 180."""

    factor = math.pi / 180.0


class Rad2Deg(_Scale):
    """x 180 / pi;  d/dx = 180 / pi."""

    factor = 180.0 / math.pi


class NanToNum(operation):
    """x with NaN, +inf and -inf replaced;  d/dx = 1 where x is finite, else 0 (PyTorch)."""

    def __init__(self, nan: float, posinf: float | None, neginf: float | None) -> None:
        self.nan, self.posinf, self.neginf = nan, posinf, neginf

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.dtype.kind != "f":
            return x.copy()
        self.save_for_backward(np.isfinite(x))
        return np.nan_to_num(x, nan=self.nan, posinf=self.posinf, neginf=self.neginf)

    def gradient(self, grad: Any) -> Any:
        (finite,) = self.saved_tensors
        return _xp.where(finite, grad, 0)


class _Test(operation):
    """A float test (isnan, signbit ...): a bool result and no gradient."""

    ufunc: Any

    @unary_func_op(has_gradient=False)
    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.ufunc(x)


class IsNan(_Test):
    """x is NaN."""

    ufunc = staticmethod(np.isnan)


class IsInf(_Test):
    """x is +inf or -inf."""

    ufunc = staticmethod(np.isinf)


class IsFinite(_Test):
    """x is neither NaN nor infinite."""

    ufunc = staticmethod(np.isfinite)


class IsPosInf(_Test):
    """x is +inf."""

    ufunc = staticmethod(np.isposinf)


class IsNegInf(_Test):
    """x is -inf."""

    ufunc = staticmethod(np.isneginf)


class IsReal(_Test):
    """True everywhere: Lucid's tensors are real."""

    ufunc = staticmethod(lambda x: np.ones(x.shape, dtype=bool))


class SignBit(_Test):
    """x's sign bit is set (true for -0.0 and negative values)."""

    ufunc = staticmethod(np.signbit)


class Lgamma(operation):
    """log |Gamma(x)|;  d/dx = digamma(x)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        self.save_for_backward(x)
        return _in_float64(KS.lgamma, x)

    def gradient(self, grad: Any) -> Any:
        (x,) = self.saved_tensors
        return grad * (Digamma()(x) if isinstance(x, Tensor) else _in_float64(KS.digamma, x))


class Digamma(operation):
    """digamma(x) = d/dx log Gamma(x);  d/dx = trigamma(x)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        self.save_for_backward(x)
        return _in_float64(KS.digamma, x)

    def gradient(self, grad: Any) -> Any:
        (x,) = self.saved_tensors
        return grad * (Trigamma()(x) if isinstance(x, Tensor) else _in_float64(KS.trigamma, x))


class Trigamma(operation):
    """trigamma(x) = polygamma(1, x);  its derivative, polygamma(2, x), is not implemented."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        return _in_float64(KS.trigamma, _floating(x))

    def gradient(self, grad: Any) -> Any:
        raise NotImplementedError(
            "polygamma(1, x) is not differentiable in Lucid: polygamma(2, x) is not implemented"
        )


class Logit(operation):
    """log(x / (1 - x)), x clamped to [eps, 1 - eps] if eps is given;
    d/dx = 1 / (x (1 - x)), 0 outside [eps, 1 - eps] (PyTorch)."""

    def __init__(self, eps: float | None) -> None:
        self.eps = eps

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        self.save_for_backward(x)
        z = x if self.eps is None else np.clip(x, self.eps, 1 - self.eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(z / (1 - z))

    def gradient(self, grad: Any) -> Any:
        (x,) = self.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            g = grad / (x * (1 - x))
        if self.eps is None:
            return g
        inside = (_const(x) >= self.eps) & (_const(x) <= 1 - self.eps)
        return _xp.where(inside, g, 0)


# --------------------------------------------------------------------------- binary


class LogAddExp(operation):
    """log(exp(a) + exp(b)), without overflow;  d/da = exp(a - out), d/db = exp(b - out)."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = _promotion.promote_floating(a, b)
        out = _ew._binary("logaddexp", np.logaddexp, a, b)
        self.save_for_backward(a, b, out)
        return out

    def gradient(self, grad: Any) -> tuple:
        a, b, out = self.saved_tensors
        return grad * _xp.exp(a - out), grad * _xp.exp(b - out)


class LogAddExp2(operation):
    """log2(2**a + 2**b);  d/da = 2**(a - out), d/db = 2**(b - out)."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = _promotion.promote_floating(a, b)
        out = _ew._binary("logaddexp2", np.logaddexp2, a, b)
        self.save_for_backward(a, b, out)
        return out

    def gradient(self, grad: Any) -> tuple:
        a, b, out = self.saved_tensors
        return grad * _xp.exp((a - out) * _LN2), grad * _xp.exp((b - out) * _LN2)


class Hypot(operation):
    """sqrt(a**2 + b**2) without overflow;  d/da = a / out, d/db = b / out."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = _promotion.promote_floating(a, b)
        out = _ew._binary("hypot", np.hypot, a, b)
        self.save_for_backward(a, b, out)
        return out

    def gradient(self, grad: Any) -> tuple:
        a, b, out = self.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad * a / out, grad * b / out


class CopySign(operation):
    """|a| with b's sign;  d/da = out / a (0 where a == 0), d/db = 0 (as PyTorch)."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = _promotion.promote_floating(a, b)
        out = _ew._binary("copysign", np.copysign, a, b)
        # the ratio out / a is +-1 (0 at a == 0): piecewise constant, saved as a constant
        self.save_for_backward(
            np.where(a == 0, 0, np.where(np.signbit(a) == np.signbit(b), 1, -1))
        )
        return out

    def gradient(self, grad: Any) -> tuple:
        (ratio,) = self.saved_tensors
        return grad * ratio.astype(grad.dtype), grad * 0


class XLogY(operation):
    """x log(y), 0 where x == 0 (unless y is NaN);  d/dx = log(y) (0 at x == 0), d/dy = x / y."""

    @binary_func_op()
    def forward(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x, y = _promotion.promote_floating(x, y)
        self.save_for_backward(x, y)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _ew._binary("xlogy", np.multiply, x, np.log(y))
        return np.where((x == 0) & ~np.isnan(y), 0, out).astype(out.dtype, copy=False)

    def gradient(self, grad: Any) -> tuple:
        x, y = self.saved_tensors
        zero = (_const(x) == 0) & ~np.isnan(_const(y))
        with np.errstate(divide="ignore", invalid="ignore"):
            to_x = grad * _xp.where(zero, 0, _xp.log(y))
            to_y = grad * x / y
        return to_x, to_y


class Lerp(operation):
    """start + weight (end - start);  d/dstart = 1 - w, d/dend = w, d/dw = end - start."""

    @func_op(3)
    def forward(self, start: np.ndarray, end: np.ndarray, weight: np.ndarray) -> np.ndarray:
        start, end = _promotion.promote_floating(start, end)
        weight = weight.astype(start.dtype, copy=False)
        self.save_for_backward(start, end, weight)
        try:
            return start + weight * (end - start)
        except ValueError:
            _ew._check_broadcast("lerp", start, end, weight)
            raise

    def gradient(self, grad: Any) -> tuple:
        start, end, weight = self.saved_tensors
        to_end = grad * weight
        return grad - to_end, to_end, grad * (end - start)


class _NanIgnoring(operation):
    """fmax/fmin: the larger/smaller of a and b, the other where one is NaN;  the gradient goes
    to the picked input (ties: a half each, as maximum/minimum)."""

    ufunc: Any

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = _promotion.promote(a, b)
        out = _ew._binary(self.ufunc.__name__, self.ufunc, a, b)
        # 1 where a is picked, 1/2 at ties, else 0: piecewise constant, saved as a constant
        share = np.where(out == a, np.where(out == b, 0.5, 1.0), 0.0)
        share[np.isnan(out)] = 0.0
        self.save_for_backward(share)
        return out

    def gradient(self, grad: Any) -> tuple:
        (share,) = self.saved_tensors
        to_a = grad * share.astype(grad.dtype)
        return to_a, grad - to_a


class Fmax(_NanIgnoring):
    """max(a, b) ignoring NaN."""

    ufunc = np.fmax


class Fmin(_NanIgnoring):
    """min(a, b) ignoring NaN."""

    ufunc = np.fmin


class Ldexp(operation):
    """a * 2**b;  d/da = 2**b, d/db = out ln 2."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = _promotion.promote_floating(a, b)
        scale = np.exp2(b)
        out = _ew._binary("ldexp", np.multiply, a, scale)
        self.save_for_backward(b, out)
        return out

    def gradient(self, grad: Any) -> tuple:
        b, out = self.saved_tensors
        return grad * _xp.exp(b * _LN2), grad * (out * _LN2)


class Heaviside(operation):
    """0 where x < 0, 1 where x > 0, ``values`` where x == 0; no gradient (as PyTorch)."""

    @binary_func_op(has_gradient=False)
    def forward(self, x: np.ndarray, values: np.ndarray) -> np.ndarray:
        if x.dtype != values.dtype:
            raise TypeError(
                f"heaviside: input and values must have one dtype, got {x.dtype} and "
                f"{values.dtype}"
            )
        return _ew._binary("heaviside", np.heaviside, x, values).astype(x.dtype, copy=False)


class _IntegerPair(operation):
    """gcd/lcm of integer tensors; no gradient."""

    ufunc: Any

    @binary_func_op(has_gradient=False)
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        for v in (a, b):
            if v.dtype.kind not in "iu":
                raise TypeError(f"{self.ufunc.__name__}: expected integer tensors, got {v.dtype}")
        return _ew._binary(self.ufunc.__name__, self.ufunc, *_promotion.promote(a, b))


class Gcd(_IntegerPair):
    """The greatest common divisor (non-negative; gcd(0, 0) = 0)."""

    ufunc = np.gcd


class Lcm(_IntegerPair):
    """The least common multiple (non-negative; 0 if either is 0)."""

    ufunc = np.lcm


def _check_integer_zero(op: str, a: np.ndarray, b: np.ndarray) -> None:
    """Integer division or remainder by zero raises, as PyTorch (NumPy would give 0)."""
    if a.dtype.kind in "biu" and b.dtype.kind in "biu" and (b == 0).any():
        raise RuntimeError(f"ZeroDivisionError: {op}: integer division by zero")


class Remainder(operation):
    """a - b floor(a / b), the sign of b (Python's %);  d/da = 1, d/db = -floor(a / b)."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = _promotion.promote(a, b)
        _check_integer_zero("remainder", a, b)
        self.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _ew._binary("remainder", np.remainder, a, b)

    def gradient(self, grad: Any) -> tuple:
        a, b = self.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            quotient = np.floor_divide(_const(a), _const(b))  # piecewise constant
        return grad, -grad * quotient.astype(grad.dtype)


class Fmod(operation):
    """a - b trunc(a / b), the sign of a (C's fmod);  d/da = 1, d/db = -trunc(a / b)."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = _promotion.promote(a, b)
        _check_integer_zero("fmod", a, b)
        self.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _ew._binary("fmod", np.fmod, a, b)

    def gradient(self, grad: Any) -> tuple:
        a, b = self.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            quotient = np.trunc(_const(a) / _const(b))  # piecewise constant
        return grad, -grad * quotient.astype(grad.dtype)


# --------------------------------------------------------------------------- public functions


def erf(x: TensorLike) -> Tensor:
    """The error function, elementwise; integer inputs give the default float dtype."""
    return Erf()(x)


def erfc(x: TensorLike) -> Tensor:
    """``1 - erf(x)``, accurate where erf is near 1."""
    return Erfc()(x)


def erfinv(x: TensorLike) -> Tensor:
    """The inverse error function on [-1, 1] (+-inf at +-1, NaN outside)."""
    return Erfinv()(x)


def log10(x: TensorLike) -> Tensor:
    """Base-10 logarithm, elementwise."""
    return Log10()(x)


def log1p(x: TensorLike) -> Tensor:
    """``log(1 + x)``, accurate for small ``x``."""
    return Log1p()(x)


def expm1(x: TensorLike) -> Tensor:
    """``exp(x) - 1``, accurate for small ``x``."""
    return Expm1()(x)


def exp2(x: TensorLike) -> Tensor:
    """``2 ** x``, elementwise."""
    return Exp2()(x)


def rsqrt(x: TensorLike) -> Tensor:
    """``1 / sqrt(x)``, elementwise (inf at 0, NaN below)."""
    return Rsqrt()(x)


def trunc(x: TensorLike) -> Tensor:
    """``x`` rounded towards zero, in x's dtype; zero gradient (PyTorch)."""
    return Trunc()(x)


def frac(x: TensorLike) -> Tensor:
    """``x - trunc(x)``: the fractional part, with x's sign; floating-point tensors only."""
    return Frac()(x)


def sinc(x: TensorLike) -> Tensor:
    """The normalised sinc ``sin(pi x) / (pi x)``, 1 at 0."""
    return Sinc()(x)


def asinh(x: TensorLike) -> Tensor:
    """Inverse hyperbolic sine, elementwise (``arcsinh``)."""
    return Asinh()(x)


def acosh(x: TensorLike) -> Tensor:
    """Inverse hyperbolic cosine, elementwise (NaN below 1; ``arccosh``)."""
    return Acosh()(x)


def atanh(x: TensorLike) -> Tensor:
    """Inverse hyperbolic tangent, elementwise (+-inf at +-1, NaN outside; ``arctanh``)."""
    return Atanh()(x)


def deg2rad(x: TensorLike) -> Tensor:
    """Degrees to radians, ``x * pi / 180``."""
    return Deg2Rad()(x)


def rad2deg(x: TensorLike) -> Tensor:
    """Radians to degrees, ``x * 180 / pi``."""
    return Rad2Deg()(x)


def sgn(x: TensorLike) -> Tensor:
    """``sign(x)`` (for real tensors PyTorch's ``sgn`` is ``sign``); zero gradient."""
    return _ew.sign(x)


def nan_to_num(
    x: TensorLike, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Tensor:
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default 0 and
    the dtype's largest and lowest finite values); the gradient passes where x is finite."""
    return NanToNum(nan, posinf, neginf)(x)


def logaddexp(a: TensorLike, b: TensorLike) -> Tensor:
    """``log(exp(a) + exp(b))`` computed without overflow, with broadcasting."""
    return LogAddExp()(a, b)


def logaddexp2(a: TensorLike, b: TensorLike) -> Tensor:
    """``log2(2**a + 2**b)`` computed without overflow, with broadcasting."""
    return LogAddExp2()(a, b)


def hypot(a: TensorLike, b: TensorLike) -> Tensor:
    """``sqrt(a**2 + b**2)`` without intermediate overflow, with broadcasting."""
    return Hypot()(a, b)


def copysign(a: TensorLike, b: TensorLike) -> Tensor:
    """``|a|`` with the sign of ``b`` (float result); no gradient flows to ``b``."""
    return CopySign()(a, b)


def xlogy(x: TensorLike, y: TensorLike) -> Tensor:
    """``x * log(y)``, and 0 where ``x == 0`` (unless ``y`` is NaN), as PyTorch."""
    return XLogY()(x, y)


def lerp(start: TensorLike, end: TensorLike, weight: TensorLike) -> Tensor:
    """``start + weight * (end - start)``, all three broadcast; differentiable in each."""
    return Lerp()(start, end, weight)


def remainder(a: TensorLike, b: TensorLike) -> Tensor:
    """``a % b`` with the sign of ``b`` (Python's and PyTorch's); integer ``b == 0`` raises
    RuntimeError (PyTorch's ZeroDivisionError), a float one gives NaN."""
    return Remainder()(a, b)


def fmod(a: TensorLike, b: TensorLike) -> Tensor:
    """C's ``fmod``: the remainder of ``a / b`` with the sign of ``a``; integer ``b == 0``
    raises RuntimeError, a float one gives NaN."""
    return Fmod()(a, b)


def isnan(x: TensorLike) -> Tensor:
    """Where ``x`` is NaN, a bool tensor."""
    return IsNan()(x)


def isinf(x: TensorLike) -> Tensor:
    """Where ``x`` is +inf or -inf, a bool tensor."""
    return IsInf()(x)


def isfinite(x: TensorLike) -> Tensor:
    """Where ``x`` is finite (not NaN, not infinite), a bool tensor."""
    return IsFinite()(x)


def isposinf(x: TensorLike) -> Tensor:
    """Where ``x`` is +inf, a bool tensor."""
    return IsPosInf()(x)


def isneginf(x: TensorLike) -> Tensor:
    """Where ``x`` is -inf, a bool tensor."""
    return IsNegInf()(x)


def isreal(x: TensorLike) -> Tensor:
    """True everywhere (Lucid has no complex tensors), a bool tensor."""
    return IsReal()(x)


def signbit(x: TensorLike) -> Tensor:
    """Where the sign bit of ``x`` is set (negative values and -0.0), a bool tensor."""
    return SignBit()(x)


def clamp_min(x: TensorLike, min: TensorLike) -> Tensor:  # noqa: A002 - PyTorch's name
    """``max(x, min)`` with clamp's gradient (``clamp(x, min=min)``)."""
    return _ew.clip(x, min, None)


def clamp_max(x: TensorLike, max: TensorLike) -> Tensor:  # noqa: A002 - PyTorch's name
    """``min(x, max)`` with clamp's gradient (``clamp(x, max=max)``)."""
    return _ew.clip(x, None, max)


def float_power(a: TensorLike, b: TensorLike) -> Tensor:
    """``a ** b`` computed in float64 (the result is float64, as PyTorch's)."""
    a = _ew.astype(a, np.float64)
    b = b if isinstance(b, (int, float)) else _ew.astype(b, np.float64)
    return _ew.power(a, b)


def float_power_(x: Tensor, other: TensorLike) -> Tensor:
    """``x`` overwritten with ``float_power(x, other)``: float64 tensors only (TypeError
    otherwise, as PyTorch: the result is float64)."""
    if x.dtype != np.float64:
        raise TypeError(
            f"float_power_: the result is float64 and cannot be stored in a {x.dtype} tensor; "
            "use x.double() first"
        )
    return _inp.apply_("float_power_", x, float_power, other)


def _value_times(value: Any, t: Tensor) -> Tensor:
    return t if isinstance(value, (int, float)) and value == 1 else _ew.multiply(t, value)


def addcmul(
    input: TensorLike,  # noqa: A002 - PyTorch's name
    tensor1: TensorLike,
    tensor2: TensorLike,
    *,
    value: Any = 1,
) -> Tensor:
    """``input + value * tensor1 * tensor2``, with broadcasting."""
    return _ew.add(input, _value_times(value, _ew.multiply(tensor1, tensor2)))


def addcdiv(
    input: TensorLike,  # noqa: A002 - PyTorch's name
    tensor1: TensorLike,
    tensor2: TensorLike,
    *,
    value: Any = 1,
) -> Tensor:
    """``input + value * tensor1 / tensor2``, with broadcasting; integer tensors raise
    TypeError (PyTorch refuses integer division here too)."""
    for t in (tensor1, tensor2):
        if isinstance(t, Tensor) and t.dtype.kind != "f":
            raise TypeError(
                f"addcdiv: integer division is not supported, got a {t.dtype} tensor; use "
                "floating-point tensors (x.float())"
            )
    return _ew.add(input, _value_times(value, _ew.div(tensor1, tensor2)))


def lgamma(x: TensorLike) -> Tensor:
    """``log |Gamma(x)|``, elementwise (+inf at 0 and the negative integers)."""
    return Lgamma()(x)


def digamma(x: TensorLike) -> Tensor:
    """``d/dx log Gamma(x)`` (-inf at 0, NaN at the negative integers, as PyTorch)."""
    return Digamma()(x)


def polygamma(n: int, x: TensorLike) -> Tensor:
    """The n-th derivative of digamma; Lucid has n = 0 (digamma) and n = 1 (trigamma)."""
    if n == 0:
        return Digamma()(x)
    if n == 1:
        return Trigamma()(x)
    raise NotImplementedError(f"polygamma: only n = 0 and n = 1 are implemented, got n = {n}")


def logit(x: TensorLike, eps: float | None = None) -> Tensor:
    """``log(x / (1 - x))``, the inverse of sigmoid; with ``eps`` x is first clamped to
    ``[eps, 1 - eps]`` (the gradient is then 0 outside, as PyTorch)."""
    return Logit(eps)(x)


def fmax(a: TensorLike, b: TensorLike) -> Tensor:
    """Elementwise maximum that ignores NaN (NaN only where both are)."""
    return Fmax()(a, b)


def fmin(a: TensorLike, b: TensorLike) -> Tensor:
    """Elementwise minimum that ignores NaN (NaN only where both are)."""
    return Fmin()(a, b)


def ldexp(a: TensorLike, b: TensorLike) -> Tensor:
    """``a * 2**b``, differentiable in both (float result)."""
    return Ldexp()(a, b)


def heaviside(x: TensorLike, values: TensorLike) -> Tensor:
    """The step function: 0 below 0, 1 above, ``values`` at 0; no gradient."""
    return Heaviside()(x, values)


def gcd(a: TensorLike, b: TensorLike) -> Tensor:
    """Greatest common divisor of integer tensors, elementwise."""
    return Gcd()(a, b)


def lcm(a: TensorLike, b: TensorLike) -> Tensor:
    """Least common multiple of integer tensors, elementwise."""
    return Lcm()(a, b)


def positive(x: TensorLike) -> Tensor:
    """``x`` itself (``+x``), as ``torch.positive``."""
    return x if isinstance(x, Tensor) else Tensor(x)


def rsub(a: TensorLike, b: TensorLike, *, alpha: Any = 1) -> Tensor:
    """``b - alpha * a`` (PyTorch's reversed subtraction)."""
    return _ew.sub(b, a if alpha == 1 else _ew.multiply(a, alpha))


# NumPy's and PyTorch's other spellings
arcsinh, arccosh, arctanh = asinh, acosh, atanh
fix = trunc
absolute = _ew.abs
