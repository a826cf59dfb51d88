"""Elementwise ops: arithmetic, math functions, clip and where, comparisons and casts.

Gradients are written with operators and methods that arrays and tensors share, so that the
same code can later run on tensors to record a graph (higher-order gradients). The fused
backward kernels of ``lucid.kernels.elementwise`` and ``lucid.kernels.activation`` take over
when the upstream gradient is an ndarray.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lucid import _device, _promotion
from lucid._graph import binary_func_op, func_op, operation, unary_func_op
from lucid.kernels import activation as KA
from lucid.kernels import elementwise as K
from lucid.kernels.broadcast import reduce_to_shape
from lucid.ops import _xp
from lucid.ops._args import pick
from lucid.tensor import Tensor, _dtype

TensorLike = Any

__all__ = [
    "add", "sub", "subtract", "multiply", "mul", "div", "divide", "true_divide", "floor_divide",
    "neg", "negative", "power", "pow", "maximum", "minimum", "where", "clip", "clamp",
    "exp", "log", "log2", "sqrt", "square", "abs", "sign", "reciprocal",
    "sin", "cos", "tan", "tanh", "sinh", "cosh", "arcsin", "arccos", "arctan",
    "asin", "acos", "atan", "floor", "ceil", "round",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "isclose",
    "allclose", "logical_not", "logical_and", "logical_or", "clone", "astype",
]  # fmt: skip

_LN2 = math.log(2.0)


def _check_broadcast(op: str, *arrays: np.ndarray) -> None:
    """Called when NumPy raised ValueError: name the shapes if they are what is wrong."""
    try:
        np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        shapes = " and ".join(str(a.shape) for a in arrays)
        raise ValueError(
            f"{op}: shapes {shapes} cannot be broadcast together (NumPy's rule: aligned from "
            "the right, each pair of lengths equal or one of them 1)"
        ) from None


# PyTorch's promotion rules (see lucid._promotion): one definition for every family.
_floating = _promotion.floating
_promote = _promotion.promote


def _binary(op: str, ufunc: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``ufunc(a, b)`` with a ValueError that names both shapes when they do not broadcast."""
    try:
        return ufunc(a, b)
    except ValueError:
        _check_broadcast(op, a, b)
        raise


def _jit_ready(*arrays: Any) -> bool:
    """Whether the fused kernels apply: float32/float64 ndarrays of one shape and dtype."""
    first = arrays[0]
    return all(
        type(a) is np.ndarray and a.shape == first.shape and a.dtype == first.dtype for a in arrays
    ) and first.dtype in (np.float32, np.float64)


def _zero_gradient(grad: Any) -> Any:
    """The gradient of a piecewise-constant op (floor, sign, ...): zeros, as in PyTorch."""
    return np.zeros_like(grad) if isinstance(grad, np.ndarray) else grad * 0


# --------------------------------------------------------------------------- arithmetic


class Add(operation):
    """a + b;  d/da = 1, d/db = 1."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _binary("add", np.add, *_promote(a, b))

    def gradient(self, grad: np.ndarray) -> tuple:
        return grad, grad


class Sub(operation):
    """a - b;  d/da = 1, d/db = -1."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _binary("sub", np.subtract, *_promote(a, b))

    def gradient(self, grad: np.ndarray) -> tuple:
        return grad, (-grad if self.parents[1].requires_grad else None)


class Multiply(operation):
    """a * b;  d/da = b, d/db = a."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save_for_backward(a, b)  # as given: a promoted copy would not be an input
        return _binary("multiply", np.multiply, *_promote(a, b))

    def gradient(self, grad: np.ndarray) -> tuple:
        a, b = self.saved_tensors
        a_needs, b_needs = self.parents[0].requires_grad, self.parents[1].requires_grad
        to_a = _scaled(grad, b, a) if a_needs else None
        return to_a, (_scaled(grad, a, b) if b_needs else None)


def _scaled(grad: Any, other: Any, target: Any) -> Any:
    """``grad * other``: the gradient of the factor ``target`` of a product.

    When ``grad`` is one value stretched over the whole output (the gradient of a sum) and
    ``target`` was broadcast, the engine would sum the full product down to ``target``'s
    shape; summing ``other`` first and scaling by that value gives the same result without
    building the product (``sum(a * b)`` with a large ``a`` and a small ``b``).
    """
    if (
        type(grad) is np.ndarray
        and grad.ndim
        and grad.size
        and not any(grad.strides)
        and type(other) is np.ndarray
        and target.shape != grad.shape
    ):
        reduced = reduce_to_shape(np.broadcast_to(other, grad.shape), target.shape)
        return reduced * grad.reshape(-1)[0]
    return grad * other


class Div(operation):
    """a / b;  d/da = 1 / b, d/db = -a / b**2 = -out / b."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.dtype.kind != "f" and b.dtype.kind != "f":
            a = a.astype(np.float32)  # int / int is float32 in PyTorch, not float64
        out = _binary("div", np.true_divide, *_promote(a, b))
        self.save_for_backward(b, out)
        return out

    def gradient(self, grad: np.ndarray) -> tuple:
        b, out = self.saved_tensors
        to_a = grad / b
        return to_a, (-to_a * out if self.parents[1].requires_grad else None)


class DivRounded(operation):
    """a / b rounded ("floor" or "trunc"); piecewise constant: d/da = d/db = 0 (PyTorch).

    Integers stay integers; an integer zero divisor raises RuntimeError, as PyTorch.
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = _promote(a, b)
        name = "floor_divide" if self.mode == "floor" else "div"
        if a.dtype.kind in "biu" and b.dtype.kind in "biu" and (b == 0).any():
            raise RuntimeError(f"ZeroDivisionError: {name}: integer division by zero")
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.mode == "floor":
                return _binary(name, np.floor_divide, a, b)
            if a.dtype.kind == "f":
                return np.trunc(_binary(name, np.true_divide, a, b))
            # integers: the floor quotient, one up where it was negative and inexact
            q, r = _binary(name, np.divmod, a, b)
            return q + ((r != 0) & ((a < 0) != (b < 0)))

    def gradient(self, grad: np.ndarray) -> tuple:
        return _zero_gradient(grad), _zero_gradient(grad)


class Neg(operation):
    """-x;  d/dx = -1."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        return -x

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        return -grad


class Power(operation):
    """a ** b;  d/da = b * a**(b - 1) (0 where b == 0), d/db = out * log(a) (0 where a == 0)."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = _binary("power", np.power, *_promote(a, b))
        self.save_for_backward(a, b, out)
        return out

    def gradient(self, grad: np.ndarray) -> tuple:
        a, b, out = self.saved_tensors
        to_a = to_b = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.parents[0].requires_grad:
                # b * a**(b - 1) is 0 * inf at a == 0, b == 0; the true derivative is 0
                to_a = _xp.where(b == 0, 0, grad * b * a ** (b - 1))
            if self.parents[1].requires_grad:
                # 0**b is constant (0) for b > 0: PyTorch gives d/db = 0 where a == 0, b >= 0
                log_a = _xp.log(_xp.where((a == 0) & (b >= 0), 1, a))
                to_b = grad * out * log_a
        return to_a, to_b


class Maximum(operation):
    """max(a, b);  d/da = 1 where a > b, 1/2 at ties (as PyTorch), 0 where a < b."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save_for_backward(a, b)
        return _binary("maximum", np.maximum, *_promote(a, b))

    def gradient(self, grad: np.ndarray) -> tuple:
        a, b = self.saved_tensors
        return _split_by_mask(K.maximum_backward, _xp.data(a) > _xp.data(b), a, b, grad)


class Minimum(operation):
    """min(a, b);  d/da = 1 where a < b, 1/2 at ties (as PyTorch), 0 where a > b."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save_for_backward(a, b)
        return _binary("minimum", np.minimum, *_promote(a, b))

    def gradient(self, grad: np.ndarray) -> tuple:
        a, b = self.saved_tensors
        return _split_by_mask(K.minimum_backward, _xp.data(a) < _xp.data(b), a, b, grad)


def _split_by_mask(kernel: Any, wins: np.ndarray, a: Any, b: Any, grad: Any) -> tuple:
    """Maximum's and minimum's gradient: ``grad`` times a constant share (1 where a wins, 1/2
    at ties, else 0: the derivative is piecewise constant). On arrays of one shape and float
    dtype the fused kernel computes the same in one pass."""
    if _jit_ready(a, b, grad):
        return kernel(a, b, grad)
    share = np.where(wins, 1.0, np.where(_xp.data(a) == _xp.data(b), 0.5, 0.0))
    to_a = grad * share.astype(grad.dtype)
    return to_a, grad - to_a


class Where(operation):
    """where(cond, a, b) with inputs ordered (a, b, cond);  d/da = [cond], d/db = [not cond].

    ``cond`` comes last so that a Python scalar among ``a``/``b`` takes the dtype of the other
    value operand, not cond's bool.
    """

    @func_op(3)
    def forward(self, a: np.ndarray, b: np.ndarray, cond: np.ndarray) -> np.ndarray:
        a, b = _promote(a, b)
        self.cond = cond if cond.dtype == np.bool_ else cond.astype(bool)
        try:
            return np.where(self.cond, a, b)
        except ValueError:
            _check_broadcast("where", cond, a, b)
            raise

    def gradient(self, grad: np.ndarray) -> tuple:
        a_needs, b_needs = self.parents[0].requires_grad, self.parents[1].requires_grad
        to_a = _xp.where(self.cond, grad, 0) if a_needs else None
        to_b = _xp.where(self.cond, 0, grad) if b_needs else None
        return to_a, to_b, None


class Clip(operation):
    """clip(x, lo, hi), inputs (x, [lo], [hi]);  PyTorch's clamp gradient (see ``gradient``)."""

    def __init__(self, has_min: bool, has_max: bool) -> None:
        self.has_min, self.has_max = has_min, has_max

    @func_op(None)
    def forward(self, x: np.ndarray, *bounds: np.ndarray) -> np.ndarray:
        lo = bounds[0] if self.has_min else None
        hi = bounds[-1] if self.has_max else None
        if lo is not None:
            x, lo = _promote(x, lo)
        if hi is not None:
            x, hi = _promote(x, hi)
            if lo is not None:
                x, lo = _promote(x, lo)  # hi may have made x float
        # The gradient is piecewise constant: it reads the values only to build masks.
        self.masks_from = (x, lo, hi)
        try:
            return np.clip(x, lo, hi)
        except ValueError:
            _check_broadcast("clip", *(a for a in (x, lo, hi) if a is not None))
            raise

    def gradient(self, grad: np.ndarray) -> tuple:
        """x: grad where lo <= x <= hi (inclusive, as PyTorch); lo: where x < lo < hi; hi:
        where x > hi, or everywhere when hi < lo (then the result is hi)."""
        if isinstance(grad, Tensor):  # piecewise constant: grad times each input's 0/1 mask
            masks = self.gradient(np.ones(grad.shape, grad.dtype))
            return tuple(None if m is None else grad * m for m in masks)
        x, lo, hi = self.masks_from
        need_x, *need_bounds = (t.requires_grad for t in self.parents)
        if not any(need_bounds):  # constant bounds: one fused pass for x
            return (K.clip_backward(x, lo, hi, grad), *(None for _ in need_bounds))
        to_x = K.clip_backward_ref(x, lo, hi, grad) if need_x else None
        to_bounds = []
        if lo is not None:
            binds = x < lo if hi is None else (x < lo) & (lo < hi)
            to_bounds.append(np.where(binds, grad, 0) if need_bounds[0] else None)
        if hi is not None:
            binds = x > hi if lo is None else (x > hi) | (hi < lo)
            to_bounds.append(np.where(binds, grad, 0) if need_bounds[-1] else None)
        return (to_x, *to_bounds)


# --------------------------------------------------------------------------- math functions


class Exp(operation):
    """exp(x);  d/dx = exp(x) = out."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        out = np.exp(_floating(x))
        self.save_for_backward(out)
        return out

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (out,) = self.saved_tensors
        return grad * out


class Log(operation):
    """log(x);  d/dx = 1 / x."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return np.log(_floating(x))

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        return grad / x


class Log2(operation):
    """log2(x);  d/dx = 1 / (x log 2)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return np.log2(_floating(x))

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        return grad / (x * _LN2)


class Sqrt(operation):
    """sqrt(x);  d/dx = 1 / (2 sqrt(x)) = 0.5 / out (inf at 0, as PyTorch)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        out = np.sqrt(_floating(x))
        self.save_for_backward(out)
        return out

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (out,) = self.saved_tensors
        with np.errstate(divide="ignore"):
            return grad * 0.5 / out


class Square(operation):
    """x**2;  d/dx = 2 x."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return np.square(x)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        return grad * (2 * x)


class Abs(operation):
    """|x|;  d/dx = sign(x), 0 at 0 (PyTorch's subgradient)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return np.abs(x)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        return grad * np.sign(_xp.data(x))  # piecewise constant


class Reciprocal(operation):
    """1 / x;  d/dx = -1 / x**2 = -out**2."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            out = np.reciprocal(_floating(x))
        self.save_for_backward(out)
        return out

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (out,) = self.saved_tensors
        return -grad * (out * out)


class Sin(operation):
    """sin(x);  d/dx = cos(x)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return np.sin(_floating(x))

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        return grad * _xp.cos(x)


class Cos(operation):
    """cos(x);  d/dx = -sin(x)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return np.cos(_floating(x))

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        return -grad * _xp.sin(x)


class Tan(operation):
    """tan(x);  d/dx = 1 + tan(x)**2 = 1 + out**2."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        out = np.tan(_floating(x))
        self.save_for_backward(out)
        return out

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (out,) = self.saved_tensors
        return grad * (1 + out * out)


class Tanh(operation):
    """tanh(x);  d/dx = 1 - tanh(x)**2 = 1 - out**2."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        out = np.tanh(_floating(x))
        self.save_for_backward(out)
        return out

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (out,) = self.saved_tensors
        if _jit_ready(out, grad):
            return KA.tanh_backward(out, grad)
        return grad * (1 - out * out)


class Sinh(operation):
    """sinh(x);  d/dx = cosh(x)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return np.sinh(_floating(x))

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        return grad * _xp.cosh(x)


class Cosh(operation):
    """cosh(x);  d/dx = sinh(x)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return np.cosh(_floating(x))

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        return grad * _xp.sinh(x)


class Arcsin(operation):
    """arcsin(x);  d/dx = 1 / sqrt(1 - x**2)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return np.arcsin(_floating(x))

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad / _xp.sqrt(1 - x * x)


class Arccos(operation):
    """arccos(x);  d/dx = -1 / sqrt(1 - x**2)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return np.arccos(_floating(x))

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return -grad / _xp.sqrt(1 - x * x)


class Arctan(operation):
    """arctan(x);  d/dx = 1 / (1 + x**2)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return np.arctan(_floating(x))

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        return grad / (1 + x * x)


class _Step(operation):
    """A piecewise-constant function: its gradient is zero (PyTorch's, not an error).

    Integer inputs come back unchanged (a copy) with their dtype, as in PyTorch.
    """

    ufunc: Any

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.ufunc(x) if x.dtype.kind == "f" else x.copy()

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        return _zero_gradient(grad)


class Floor(_Step):
    """floor(x);  d/dx = 0."""

    ufunc = np.floor


class Ceil(_Step):
    """ceil(x);  d/dx = 0."""

    ufunc = np.ceil


class Sign(_Step):
    """sign(x) in {-1, 0, 1} (the input's dtype);  d/dx = 0."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.sign(x) if x.dtype != np.bool_ else x.copy()


class Round(_Step):
    """x rounded to ``decimals`` places, half to even (NumPy and PyTorch);  d/dx = 0."""

    def __init__(self, decimals: int) -> None:
        self.decimals = int(decimals)

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.dtype.kind != "f" and self.decimals >= 0:
            return x.copy()
        return np.round(x, self.decimals)


# --------------------------------------------------------------------------- comparisons


class _Compare(operation):
    """A comparison: a bool result and no gradient."""

    ufunc: np.ufunc

    @binary_func_op(has_gradient=False)
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _binary(self.ufunc.__name__, self.ufunc, a, b)


class Equal(_Compare):
    """a == b, elementwise."""

    ufunc = np.equal


class NotEqual(_Compare):
    """a != b, elementwise."""

    ufunc = np.not_equal


class Less(_Compare):
    """a < b, elementwise."""

    ufunc = np.less


class LessEqual(_Compare):
    """a <= b, elementwise."""

    ufunc = np.less_equal


class Greater(_Compare):
    """a > b, elementwise."""

    ufunc = np.greater


class GreaterEqual(_Compare):
    """a >= b, elementwise."""

    ufunc = np.greater_equal


class LogicalAnd(_Compare):
    """a and b, elementwise."""

    ufunc = np.logical_and


class LogicalOr(_Compare):
    """a or b, elementwise."""

    ufunc = np.logical_or


class LogicalNot(operation):
    """not x, elementwise (``~x``)."""

    @unary_func_op(has_gradient=False)
    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.logical_not(x)


class IsClose(operation):
    """|a - b| <= atol + rtol * |b|, elementwise; a bool result and no gradient."""

    def __init__(self, rtol: float, atol: float, equal_nan: bool) -> None:
        self.rtol, self.atol, self.equal_nan = rtol, atol, equal_nan

    @binary_func_op(has_gradient=False)
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:
            return np.isclose(a, b, rtol=self.rtol, atol=self.atol, equal_nan=self.equal_nan)
        except ValueError:
            _check_broadcast("isclose", a, b)
            raise


# --------------------------------------------------------------------------- copies and casts


class Clone(operation):
    """A copy of x;  d/dx = 1."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.copy()

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        return grad


class AsType(operation):
    """x cast to another dtype;  the gradient is cast back (none to a non-float dtype)."""

    def __init__(self, dtype: Any) -> None:
        self.dtype = _dtype(dtype)

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x_dtype = x.dtype
        return x.astype(self.dtype)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        return grad.astype(self.x_dtype)


# --------------------------------------------------------------------------- public functions


def add(a: TensorLike, b: TensorLike, *, alpha: Any = 1) -> Tensor:
    """``a + alpha * b`` with NumPy broadcasting; Python scalars take the tensor's dtype.

    An integer tensor beside a float one gives the float's dtype (PyTorch's rule).
    """
    return Add()(a, b if alpha == 1 else Multiply()(b, alpha))


def sub(a: TensorLike, b: TensorLike, *, alpha: Any = 1) -> Tensor:
    """``a - alpha * b`` with NumPy broadcasting."""
    return Sub()(a, b if alpha == 1 else Multiply()(b, alpha))


def multiply(a: TensorLike, b: TensorLike) -> Tensor:
    """``a * b`` with NumPy broadcasting."""
    return Multiply()(a, b)


def div(a: TensorLike, b: TensorLike, *, rounding_mode: str | None = None) -> Tensor:
    """``a / b`` (true division) with NumPy broadcasting; integer inputs give float32.

    ``rounding_mode="trunc"`` rounds the quotient towards zero, ``"floor"`` down (both keep
    integer dtypes, have zero gradient, and raise RuntimeError on an integer zero divisor).
    """
    if rounding_mode is None:
        return Div()(a, b)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}"
        )
    return DivRounded(rounding_mode)(a, b)


def floor_divide(a: TensorLike, b: TensorLike) -> Tensor:
    """``a // b``, rounded down (Python's), elementwise; zero gradient. An integer zero
    divisor raises RuntimeError (PyTorch's ZeroDivisionError), never a silent number."""
    return DivRounded("floor")(a, b)


def neg(x: TensorLike) -> Tensor:
    """``-x``."""
    return Neg()(x)


def power(a: TensorLike, b: TensorLike) -> Tensor:
    """``a ** b`` with NumPy broadcasting; differentiable in both (PyTorch's zero rules)."""
    return Power()(a, b)


def maximum(a: TensorLike, b: TensorLike) -> Tensor:
    """Elementwise maximum; at ties each input gets half the gradient, as in PyTorch."""
    return Maximum()(a, b)


def minimum(a: TensorLike, b: TensorLike) -> Tensor:
    """Elementwise minimum; at ties each input gets half the gradient, as in PyTorch."""
    return Minimum()(a, b)


def where(cond: TensorLike, a: TensorLike = None, b: TensorLike = None) -> Any:
    """``a`` where ``cond`` is true, else ``b``, all three broadcast together.

    Differentiable in ``a`` and ``b`` (each gets the gradient where it was picked); ``cond``
    is read as bool. A Python scalar takes the dtype of the other of ``a``/``b``.
    ``where(cond)`` alone is ``nonzero(cond, as_tuple=True)``, as in PyTorch.
    """
    if a is None and b is None:
        from lucid.ops.scatter import nonzero

        return nonzero(cond, as_tuple=True)
    if a is None or b is None:
        raise TypeError("where: pass both a and b, or neither (where(cond) gives the indices)")
    return Where()(a, b, cond)


def clip(
    x: TensorLike,
    min: TensorLike = None,  # noqa: A002 - PyTorch's and NumPy 2's names
    max: TensorLike = None,  # noqa: A002
    *,
    a_min: TensorLike = None,
    a_max: TensorLike = None,
) -> Tensor:
    """``x`` limited to ``[min, max]``: ``minimum(maximum(x, min), max)``; ``clamp`` in PyTorch.

    Either bound may be None (not both), a scalar or a tensor broadcast against ``x``; NumPy's
    ``a_min``/``a_max`` are accepted. Gradients as PyTorch's ``clamp``: ``x`` gets it where
    ``min <= x <= max``, a tensor bound where it binds. Where ``min > max`` the result is
    ``max``, as in both libraries.
    """
    lo = pick("clip", min, a_min, "min", "a_min", None)
    hi = pick("clip", max, a_max, "max", "a_max", None)
    if lo is None and hi is None:
        raise ValueError("clip: give min, max or both (both were None)")
    bounds = [b for b in (lo, hi) if b is not None]
    return Clip(lo is not None, hi is not None)(x, *bounds)


def exp(x: TensorLike) -> Tensor:
    """``e ** x``, elementwise; integer inputs give float32."""
    return Exp()(x)


def log(x: TensorLike) -> Tensor:
    """Natural logarithm, elementwise; integer inputs give float32."""
    return Log()(x)


def log2(x: TensorLike) -> Tensor:
    """Base-2 logarithm, elementwise; integer inputs give float32."""
    return Log2()(x)


def sqrt(x: TensorLike) -> Tensor:
    """Square root, elementwise (NaN below 0, gradient inf at 0 as PyTorch); ints give float32."""
    return Sqrt()(x)


def square(x: TensorLike) -> Tensor:
    """``x * x``, elementwise; keeps integer dtypes."""
    return Square()(x)


def abs(x: TensorLike) -> Tensor:  # noqa: A001 - NumPy's and PyTorch's name
    """``|x|``, elementwise; the gradient at 0 is 0, as PyTorch's."""
    return Abs()(x)


def sign(x: TensorLike) -> Tensor:
    """-1, 0 or 1 by the sign of ``x``, in ``x``'s dtype; zero gradient (PyTorch)."""
    return Sign()(x)


def reciprocal(x: TensorLike) -> Tensor:
    """``1 / x``, elementwise; integer inputs give float32."""
    return Reciprocal()(x)


def sin(x: TensorLike) -> Tensor:
    """Sine (radians), elementwise; integer inputs give float32."""
    return Sin()(x)


def cos(x: TensorLike) -> Tensor:
    """Cosine (radians), elementwise; integer inputs give float32."""
    return Cos()(x)


def tan(x: TensorLike) -> Tensor:
    """Tangent (radians), elementwise; integer inputs give float32."""
    return Tan()(x)


def tanh(x: TensorLike) -> Tensor:
    """Hyperbolic tangent, elementwise; integer inputs give float32."""
    return Tanh()(x)


def sinh(x: TensorLike) -> Tensor:
    """Hyperbolic sine, elementwise; integer inputs give float32."""
    return Sinh()(x)


def cosh(x: TensorLike) -> Tensor:
    """Hyperbolic cosine, elementwise; integer inputs give float32."""
    return Cosh()(x)


def arcsin(x: TensorLike) -> Tensor:
    """Inverse sine, elementwise (NaN outside [-1, 1]); ``torch.asin``."""
    return Arcsin()(x)


def arccos(x: TensorLike) -> Tensor:
    """Inverse cosine, elementwise (NaN outside [-1, 1]); ``torch.acos``."""
    return Arccos()(x)


def arctan(x: TensorLike) -> Tensor:
    """Inverse tangent, elementwise; ``torch.atan``."""
    return Arctan()(x)


def floor(x: TensorLike) -> Tensor:
    """Largest integer <= ``x``, in ``x``'s dtype; zero gradient (PyTorch)."""
    return Floor()(x)


def ceil(x: TensorLike) -> Tensor:
    """Smallest integer >= ``x``, in ``x``'s dtype; zero gradient (PyTorch)."""
    return Ceil()(x)


def round(x: TensorLike, decimals: int = 0) -> Tensor:  # noqa: A001 - NumPy's and PyTorch's name
    """``x`` rounded half to even to ``decimals`` places, in ``x``'s dtype; zero gradient."""
    return Round(decimals)(x)


def equal(a: TensorLike, b: TensorLike) -> Tensor:
    """``a == b`` as a bool tensor (no gradient)."""
    return Equal()(a, b)


def not_equal(a: TensorLike, b: TensorLike) -> Tensor:
    """``a != b`` as a bool tensor (no gradient)."""
    return NotEqual()(a, b)


def less(a: TensorLike, b: TensorLike) -> Tensor:
    """``a < b`` as a bool tensor (no gradient)."""
    return Less()(a, b)


def less_equal(a: TensorLike, b: TensorLike) -> Tensor:
    """``a <= b`` as a bool tensor (no gradient)."""
    return LessEqual()(a, b)


def greater(a: TensorLike, b: TensorLike) -> Tensor:
    """``a > b`` as a bool tensor (no gradient)."""
    return Greater()(a, b)


def greater_equal(a: TensorLike, b: TensorLike) -> Tensor:
    """``a >= b`` as a bool tensor (no gradient)."""
    return GreaterEqual()(a, b)


def isclose(
    a: TensorLike, b: TensorLike, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    """``|a - b| <= atol + rtol * |b|`` as a bool tensor (NumPy's and PyTorch's defaults)."""
    return IsClose(rtol, atol, equal_nan)(a, b)


def allclose(
    a: TensorLike, b: TensorLike, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """Whether ``isclose(a, b, ...)`` holds everywhere, as a Python bool."""
    return bool(np.all(isclose(a, b, rtol, atol, equal_nan)._data))


def logical_and(a: TensorLike, b: TensorLike) -> Tensor:
    """Elementwise logical and (``a & b``), a bool tensor."""
    return LogicalAnd()(a, b)


def logical_or(a: TensorLike, b: TensorLike) -> Tensor:
    """Elementwise logical or (``a | b``), a bool tensor."""
    return LogicalOr()(a, b)


def logical_not(x: TensorLike) -> Tensor:
    """Elementwise logical not (``~x``), a bool tensor."""
    return LogicalNot()(x)


def clone(x: TensorLike) -> Tensor:
    """A copy of ``x`` that stays in the graph (its gradient flows back to ``x``)."""
    return Clone()(x)


def astype(x: TensorLike, dtype: Any) -> Tensor:
    """``x`` cast to ``dtype``; differentiable between float dtypes, a constant otherwise."""
    if _dtype(dtype).kind != "f":
        return Tensor._wrap(Tensor._to_array(x, dtype, copy=False).copy())
    return AsType(dtype)(x)


def to(x: TensorLike, *args: Any, **kwargs: Any) -> Tensor:
    """PyTorch's ``x.to(dtype)``, ``x.to(device)``, ``x.to(device, dtype)``, ``x.to(other)``.

    Lucid runs on the CPU: any other device raises RuntimeError naming it. ``non_blocking``,
    ``copy`` and ``memory_format`` are accepted; ``copy=True`` always returns a new tensor.
    """
    dtype = kwargs.pop("dtype", None)
    where = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to: unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif _device.is_device(arg) or isinstance(arg, int) and not isinstance(arg, bool):
            where = arg
        elif isinstance(arg, bool):  # the positional non_blocking, copy of PyTorch's signature
            continue
        else:
            dtype = arg
    _device.check_device("to", where)
    t = x if isinstance(x, Tensor) else Tensor(x)
    if dtype is not None and _dtype(dtype) != t.dtype:
        return astype(t, dtype)
    return clone(t) if copy else t


def true_divide(a: TensorLike, b: TensorLike) -> Tensor:
    """``a / b`` (true division): ``div`` without a rounding mode."""
    return Div()(a, b)


# PyTorch's and NumPy's other spellings
subtract = sub
mul = multiply
divide = div
negative = neg
pow = power  # noqa: A001 - PyTorch's name, shadowing the builtin inside this module only
clamp = clip
asin, acos, atan = arcsin, arccos, arctan


# NumPy ufunc names whose Lucid op has another name.
_UFUNC_ALIASES = {
    "true_divide": "div", "divide": "div", "negative": "neg", "absolute": "abs",
    # NumPy's comparison ufuncs are elementwise; lucid.equal is torch.equal (one bool).
    "equal": "eq", "not_equal": "ne", "less": "lt", "less_equal": "le", "greater": "gt",
    "greater_equal": "ge",
}  # fmt: skip


def numpy_ufunc(ufunc: Any, method: str, inputs: tuple, kwargs: dict) -> Any:
    """``Tensor.__array_ufunc__``: a NumPy ufunc called with tensors among its operands.

    ``np.exp(t)``, ``array * t`` and ``np.maximum(t, 0)`` run Lucid's op of that name, so
    they are recorded like ``lucid.exp(t)``. A ufunc Lucid has no op for runs on the arrays
    when no operand needs grad (as PyTorch's tensors allow) and gives a Tensor; with an
    operand that needs grad it raises TypeError instead of silently leaving the graph.
    """
    import lucid

    name = _UFUNC_ALIASES.get(ufunc.__name__, ufunc.__name__)
    op = getattr(lucid, name, None)
    plain_call = method == "__call__" and all(v is None for v in kwargs.values())
    if op is not None and callable(op) and plain_call and len(inputs) == ufunc.nin:
        return op(*inputs)
    for t in inputs:
        if isinstance(t, Tensor) and t.requires_grad:
            raise TypeError(
                f"numpy.{ufunc.__name__} ({method}) on a tensor that requires grad would leave "
                "the graph: use the lucid op, or .detach().numpy() first"
            )
    arrays = [t._data if isinstance(t, Tensor) else t for t in inputs]
    out = kwargs.get("out")
    if out is not None:
        kwargs = {**kwargs, "out": tuple(o._data if isinstance(o, Tensor) else o for o in out)}
    result = getattr(ufunc, method)(*arrays, **kwargs)
    if out is not None:
        return out[0] if len(out) == 1 else out
    if isinstance(result, tuple):
        return tuple(Tensor._wrap(np.asarray(r)) for r in result)
    return result if result is None else Tensor._wrap(np.asarray(result))
