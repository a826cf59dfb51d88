"""Elementwise ops: arithmetic, math functions, comparisons and casts.

Gradients are written with operators and methods that arrays and tensors share, so that the
same code can later run on tensors to record a graph (higher-order gradients).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._graph import binary_func_op, operation, unary_func_op
from lucid.tensor import Tensor, _dtype

TensorLike = Any

__all__ = [
    "add", "sub", "subtract", "multiply", "mul", "div", "divide", "true_divide", "floor_divide",
    "neg", "negative", "power", "pow", "exp", "log", "tanh",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_not", "logical_and", "logical_or", "clone", "astype",
]  # fmt: skip


def _check_broadcast(op: str, a: np.ndarray, b: np.ndarray) -> None:
    """Called when NumPy raised ValueError: name both shapes if they are what is wrong."""
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together (NumPy's "
            "rule: aligned from the right, each pair of lengths equal or one of them 1)"
        ) from None


def _floating(x: np.ndarray) -> np.ndarray:
    """Integer and bool inputs of float-valued ops become float32, as in PyTorch."""
    return x if x.dtype.kind == "f" else x.astype(np.float32)


# --------------------------------------------------------------------------- arithmetic


class Add(operation):
    """a + b;  d/da = 1, d/db = 1."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:
            return a + b
        except ValueError:
            _check_broadcast("add", a, b)
            raise

    def gradient(self, grad: np.ndarray) -> tuple:
        return grad, grad


class Sub(operation):
    """a - b;  d/da = 1, d/db = -1."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:
            return a - b
        except ValueError:
            _check_broadcast("sub", a, b)
            raise

    def gradient(self, grad: np.ndarray) -> tuple:
        return grad, (-grad if self.parents[1].requires_grad else None)


class Multiply(operation):
    """a * b;  d/da = b, d/db = a."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        try:
            return a * b
        except ValueError:
            _check_broadcast("multiply", a, b)
            raise

    def gradient(self, grad: np.ndarray) -> tuple:
        a_needs, b_needs = self.parents[0].requires_grad, self.parents[1].requires_grad
        return (grad * self.b if a_needs else None), (grad * self.a if b_needs else None)


class Div(operation):
    """a / b;  d/da = 1 / b, d/db = -a / b**2 = -out / b."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:
            out = a / b
        except ValueError:
            _check_broadcast("div", a, b)
            raise
        if a.dtype.kind != "f" and b.dtype.kind != "f":
            out = out.astype(np.float32)  # int / int is float32 in PyTorch, not float64
        self.b, self.out = b, out
        return out

    def gradient(self, grad: np.ndarray) -> tuple:
        to_a = grad / self.b
        return to_a, (-to_a * self.out if self.parents[1].requires_grad else None)


class FloorDivide(operation):
    """floor(a / b); piecewise constant, so it records no gradient."""

    @binary_func_op(has_gradient=False)
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:
            return np.floor_divide(a, b)
        except ValueError:
            _check_broadcast("floor_divide", a, b)
            raise


class Neg(operation):
    """-x;  d/dx = -1."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        return -x

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        return -grad


class Power(operation):
    """a ** b;  d/da = b * a**(b - 1), d/db = out * log(a) (0 where a == 0 and b >= 0)."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:
            out = np.power(a.astype(b.dtype) if b.dtype.kind == "f" != a.dtype.kind else a, b)
        except ValueError:
            _check_broadcast("power", a, b)
            raise
        self.a, self.b, self.out = a, b, out
        return out

    def gradient(self, grad: np.ndarray) -> tuple:
        a, b = self.a, self.b
        to_a = to_b = None
        if self.parents[0].requires_grad:
            to_a = grad * b * a ** (b - 1)
        if self.parents[1].requires_grad:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_a = np.log(np.where((a == 0) & (b >= 0), 1, a))
            to_b = grad * self.out * log_a
        return to_a, to_b


# --------------------------------------------------------------------------- math functions


class Exp(operation):
    """exp(x);  d/dx = exp(x) = out."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = np.exp(_floating(x))
        return self.out

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        return grad * self.out


class Log(operation):
    """log(x);  d/dx = 1 / x."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = _floating(x)
        return np.log(self.x)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        return grad / self.x


class Tanh(operation):
    """tanh(x);  d/dx = 1 - tanh(x)**2 = 1 - out**2."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = np.tanh(_floating(x))
        return self.out

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        return grad * (1 - self.out * self.out)


# --------------------------------------------------------------------------- comparisons


class _Compare(operation):
    """A comparison: a bool result and no gradient."""

    ufunc: np.ufunc

    @binary_func_op(has_gradient=False)
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:
            return self.ufunc(a, b)
        except ValueError:
            _check_broadcast(self.ufunc.__name__, a, b)
            raise


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


def add(a: TensorLike, b: TensorLike) -> Tensor:
    """``a + b`` with NumPy broadcasting; Python scalars take the tensor's dtype."""
    return Add()(a, b)


def sub(a: TensorLike, b: TensorLike) -> Tensor:
    """``a - b`` with NumPy broadcasting."""
    return Sub()(a, b)


def multiply(a: TensorLike, b: TensorLike) -> Tensor:
    """``a * b`` with NumPy broadcasting."""
    return Multiply()(a, b)


def div(a: TensorLike, b: TensorLike) -> Tensor:
    """``a / b`` (true division) with NumPy broadcasting; integer inputs give float32."""
    return Div()(a, b)


def floor_divide(a: TensorLike, b: TensorLike) -> Tensor:
    """``a // b``, elementwise; not differentiable (its gradient is zero almost everywhere)."""
    return FloorDivide()(a, b)


def neg(x: TensorLike) -> Tensor:
    """``-x``."""
    return Neg()(x)


def power(a: TensorLike, b: TensorLike) -> Tensor:
    """``a ** b`` with NumPy broadcasting; differentiable in both (PyTorch's zero rule)."""
    return Power()(a, b)


def exp(x: TensorLike) -> Tensor:
    """``e ** x``, elementwise; integer inputs give float32."""
    return Exp()(x)


def log(x: TensorLike) -> Tensor:
    """Natural logarithm, elementwise; integer inputs give float32."""
    return Log()(x)


def tanh(x: TensorLike) -> Tensor:
    """Hyperbolic tangent, elementwise."""
    return Tanh()(x)


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
    """PyTorch's ``x.to(dtype)``, ``x.to("cpu")`` or ``x.to(other)``: Lucid runs on the CPU."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    if kwargs:
        raise TypeError(f"to: unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda", "mps"):
            device = arg
        else:
            dtype = arg
    if device is not None and str(device).split(":")[0] != "cpu":
        raise ValueError(f"to: Lucid runs on the CPU only, got device {device!r}")
    if dtype is None or _dtype(dtype) == np.asarray(x).dtype:
        return x if isinstance(x, Tensor) else Tensor(x)
    return astype(x, dtype)


# PyTorch's and NumPy's other spellings
subtract = sub
mul = multiply
divide = true_divide = div
negative = neg
pow = power  # noqa: A001 - PyTorch's name, shadowing the builtin inside this module only
