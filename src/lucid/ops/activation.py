"""Activation functions as ops: relu, sigmoid, their smooth relatives, softmax and log-softmax.

The forwards and backwards run the kernels of ``lucid.kernels.activation`` (softmax and
log-softmax those of ``lucid.kernels.loss``). When the upstream gradient is not a plain array
(a tensor, for higher-order gradients) the gradient is ``grad`` times a derivative computed
from the saved forward arrays, with operators that arrays and tensors share.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _promotion
from lucid._graph import is_grad_enabled, no_grad, operation, unary_func_op
from lucid.kernels import activation as K
from lucid.kernels import loss as KL
from lucid.ops import _xp
from lucid.ops._args import normalize_axis, pick
from lucid.ops.elementwise import abs as abs_
from lucid.ops.elementwise import tanh, where
from lucid.ops.inplace import check_writable
from lucid.ops.shape import tensor_split
from lucid.tensor import Tensor

__all__ = [
    "relu", "sigmoid", "leaky_relu", "hardtanh", "elu", "gelu", "silu", "softplus", "mish",
    "softmax", "log_softmax", "selu", "celu", "relu6", "hardsigmoid", "hardswish", "logsigmoid",
    "softsign", "softmin", "glu", "threshold", "prelu", "tanhshrink", "softshrink", "hardshrink",
    "rrelu",
]  # fmt: skip


def _kernel_ready(saved: np.ndarray, grad: np.ndarray) -> bool:
    """Whether the backward kernels apply: float32/float64 ndarrays of one shape and dtype."""
    return (
        type(grad) is np.ndarray
        and saved.dtype in (np.float32, np.float64)
        and grad.dtype == saved.dtype
        and grad.shape == saved.shape
    )


_floating = _promotion.kernel_float  # the kernels take float32 and float64


def _run(op: operation, x: Any) -> Tensor:
    """``op(x)``; a float16 tensor runs through float32 and comes back float16 (PyTorch's)."""
    return _xp.through_float32(op, x) if _xp.is_half(x) else op(x)


def _derivative(backward: Any, x: Any, grad: Any, *args: Any, formula: Any = None) -> Any:
    """An activation's gradient, written once for arrays and Tensors.

    ``backward(x, grad, *args)`` is the fused kernel, used when ``x`` and ``grad`` are plain
    float arrays of one shape. Otherwise (a recorded gradient, or mixed shapes/dtypes) the
    gradient is ``grad * formula(x)`` with ``formula`` written in ops, so that it is recorded;
    without a formula, the derivative is piecewise constant (leaky relu, hardtanh) and is the
    kernel applied to ones at x's values, a constant.
    """
    if _kernel_ready(x, grad):
        return backward(x, grad, *args)
    if formula is not None:
        return grad * formula(x)
    x = _xp.data(x)
    return grad * backward(x, np.ones_like(x), *args)


class Relu(operation):
    """max(x, 0);  d/dx = 1 where x > 0, else 0 (the subgradient at 0 is 0, as in PyTorch)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return np.maximum(x, 0)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        if _kernel_ready(x, grad):
            return K.relu_backward(x, grad)
        return grad * (_xp.data(x) > 0)


class Sigmoid(operation):
    """1 / (1 + exp(-x));  d/dx = out * (1 - out)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        out = K.sigmoid(_floating(x))  # overflow-free for any x
        self.save_for_backward(out)
        return out

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (out,) = self.saved_tensors
        if _kernel_ready(out, grad):
            return K.sigmoid_backward(out, grad)
        return grad * out * (1 - out)


def _inplace(x: Any, out: Tensor, inplace: bool) -> Tensor:
    """PyTorch's ``inplace=True``: ``out`` written into ``x``, and ``x`` returned, when ``x``
    is a tensor of out's shape and dtype that the graph is not recording (no grad needed, or
    grad mode off); otherwise, since Lucid's graph records no in-place ops, ``out`` itself
    (the same value: only a caller that ignores the result would see a difference)."""
    if not inplace or not isinstance(x, Tensor) or (x.shape, x.dtype) != (out.shape, out.dtype):
        return out
    if x.requires_grad and is_grad_enabled():
        return out
    check_writable("inplace", x)
    x._data[...] = out._data
    x._version += 1
    return x


def relu(x: Any, inplace: bool = False) -> Tensor:
    """``max(x, 0)``, elementwise; same shape and dtype as ``x``. ``inplace``: see
    ``_inplace``."""
    return _inplace(x, Relu()(x), inplace)


def sigmoid(x: Any) -> Tensor:
    """The logistic function ``1 / (1 + exp(-x))``, elementwise, stable for large ``|x|``."""
    return _run(Sigmoid(), x)


class LeakyRelu(operation):
    """x if x > 0 else slope * x;  d/dx = 1 if x > 0 else slope (slope at 0, as in PyTorch)."""

    def __init__(self, slope: float) -> None:
        self.slope = slope

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return K.leaky_relu(_floating(x), self.slope)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        return _derivative(K.leaky_relu_backward, x, grad, self.slope)


class Hardtanh(operation):
    """clip(x, lo, hi);  d/dx = 1 strictly inside (lo, hi), 0 on and beyond the edges."""

    def __init__(self, lo: float, hi: float) -> None:
        self.lo, self.hi = lo, hi

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        x = _floating(x)
        dtype = x.dtype.type
        return np.clip(x, dtype(self.lo), dtype(self.hi))

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        return _derivative(K.hardtanh_backward, x, grad, self.lo, self.hi)


class Elu(operation):
    """x if x > 0 else alpha * (exp(x) - 1);  d/dx = 1 if x > 0 else out + alpha."""

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        out = K.elu(_floating(x), self.alpha)
        self.save_for_backward(x, out)
        return out

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        x, out = self.saved_tensors
        if _kernel_ready(x, grad):
            return K.elu_backward(x, out, grad, self.alpha)
        # out + alpha = alpha exp(x) below 0: the saved result, recorded through this op
        return grad * _xp.where(_xp.data(x) > 0, 1, out + self.alpha)


class Gelu(operation):
    """x * Phi(x) (or its tanh form);  d/dx = Phi(x) + x * phi(x) (or the tanh form's)."""

    def __init__(self, approximate: str) -> None:
        self.approximate = approximate

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        x = _floating(x)
        if self.approximate == "tanh" and x.size >= K.TRANSCENDENTAL_FORWARD_JIT_MAX_SIZE:
            # large arrays: keep sigmoid(2u) so the backward is one arithmetic pass (a
            # shortcut for plain backward only: a recorded gradient uses the formula)
            out, self.s = K.gelu_tanh_forward(x)
            return out
        return K.gelu(x, self.approximate)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        if "s" in self.__dict__ and _kernel_ready(x, grad):
            return K.gelu_from_tanh_backward(x, self.s, grad)
        return _derivative(
            K.gelu_backward,
            x,
            grad,
            self.approximate,
            formula=lambda v: _gelu_derivative(v, self.approximate),
        )


def _gelu_derivative(x: Any, approximate: str) -> Any:
    """GELU's derivative as ops (recorded): ``GeluDerivative`` for the exact form (there is no
    erf op), the tanh form's formula, ``0.5 (1 + t) + 0.5 x (1 - t**2) k (1 + 3 c x**2)``."""
    if approximate == "none":
        return GeluDerivative()(x)
    k, c = K.SQRT_2_OVER_PI, K.GELU_TANH_COEFF
    t = _xp.tanh((x + c * x * x * x) * k)
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (k * (1 + 3 * c * x * x))


class GeluDerivative(operation):
    """Phi(x) + x phi(x), the exact GELU's derivative;  d/dx = phi(x) (2 - x**2)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return K.gelu_backward(x, np.ones_like(x), "none")

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        return grad * (_xp.exp(-0.5 * x * x) * K.INV_SQRT_2PI) * (2 - x * x)


class Silu(operation):
    """x * sigmoid(x);  d/dx = s * (1 + x * (1 - s)) with s = sigmoid(x)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return K.silu(_floating(x))

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        return _derivative(K.silu_backward, x, grad, formula=_silu_derivative)


class Softplus(operation):
    """log(1 + exp(beta x)) / beta (x above the threshold);  d/dx = sigmoid(beta x) (or 1)."""

    def __init__(self, beta: float, threshold: float) -> None:
        self.beta, self.threshold = beta, threshold

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return K.softplus(_floating(x), self.beta, self.threshold)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        return _derivative(
            K.softplus_backward, x, grad, self.beta, self.threshold, formula=self._derivative
        )

    def _derivative(self, x: Any) -> Any:
        """sigmoid(beta x), 1 where the forward is linear, as ops (recorded)."""
        linear = _xp.data(x) * self.beta > self.threshold
        return _xp.where(linear, 1, Sigmoid()(x * self.beta))


class Mish(operation):
    """x * tanh(softplus(x));  d/dx = t + x * sigmoid(x) * (1 - t**2), t = tanh(softplus(x))."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return K.mish(_floating(x))

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        return _derivative(K.mish_backward, x, grad, formula=_mish_derivative)


class Softmax(operation):
    """exp(x) / sum(exp(x)) along an axis;  d/dx = out * (grad - sum(grad * out, axis))."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        out = _along_last(KL.softmax, self.axis, _floating(x))
        self.save_for_backward(out)
        return out

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (out,) = self.saved_tensors
        if _kernel_ready(out, grad):
            return _along_last(KL.softmax_backward, self.axis, out, grad)
        return out * (grad - (grad * out).sum(axis=self.axis, keepdims=True))


class LogSoftmax(operation):
    """x - logsumexp(x) along an axis;  d/dx = grad - exp(out) * sum(grad, axis)."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        out = _along_last(KL.log_softmax, self.axis, _floating(x))
        self.save_for_backward(out)
        return out

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (out,) = self.saved_tensors
        if _kernel_ready(out, grad):
            return _along_last(KL.log_softmax_backward, self.axis, out, grad)
        return grad - _xp.exp(out) * grad.sum(axis=self.axis, keepdims=True)


def _silu_derivative(x: Any) -> Any:
    """s (1 + x (1 - s)) with s = sigmoid(x), as ops (recorded)."""
    s = Sigmoid()(x)
    return s * (1 + x * (1 - s))


def _mish_derivative(x: Any) -> Any:
    """t + x sigmoid(x) (1 - t**2) with t = tanh(softplus(x)), as ops (recorded)."""
    t = _xp.tanh(Softplus(1.0, 20.0)(x))
    return t + x * Sigmoid()(x) * (1 - t * t)


def _along_last(kernel: Any, axis: int, *arrays: np.ndarray) -> np.ndarray:
    """``kernel`` (which works along the last axis) applied along ``axis`` instead."""
    last = arrays[0].ndim - 1
    if last < 0:  # a 0-d tensor is a row of one
        return kernel(*(a.reshape(1) for a in arrays)).reshape(())
    if axis == last:
        return kernel(*arrays)
    moved = kernel(*(np.moveaxis(a, axis, -1) for a in arrays))
    return np.moveaxis(moved, -1, axis)


def leaky_relu(x: Any, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x if x > 0 else negative_slope * x``, elementwise; same shape and dtype as ``x``."""
    return _inplace(x, _run(LeakyRelu(negative_slope), x), inplace)


def hardtanh(x: Any, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """``clip(x, min_val, max_val)`` with PyTorch's gradient: 1 strictly inside, 0 elsewhere."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} must not exceed max_val {max_val}")
    return _inplace(x, _run(Hardtanh(min_val, max_val), x), inplace)


def elu(x: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x if x > 0 else alpha * (exp(x) - 1)``, elementwise; same shape and dtype as ``x``."""
    return _inplace(x, _run(Elu(alpha), x), inplace)


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """``x * Phi(x)``, Phi the standard normal CDF (exact, via erf), elementwise.

    ``approximate="tanh"`` is ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3)))``, as PyTorch.
    """
    if approximate not in K.APPROXIMATIONS:
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _run(Gelu(approximate), x)


def silu(x: Any, inplace: bool = False) -> Tensor:
    """Sigmoid-weighted linear unit, ``x * sigmoid(x)``, elementwise; ``x``'s shape and dtype."""
    return _inplace(x, _run(Silu(), x), inplace)


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta x > threshold``."""
    if beta == 0:
        raise ValueError("softplus: beta must be nonzero")
    return _run(Softplus(beta, threshold), x)


def mish(x: Any, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``, elementwise; same shape and dtype as ``x``."""
    return _inplace(x, _run(Mish(), x), inplace)


def _softmax_axis(op: str, x: Any, axis: Any, dim: Any) -> tuple[Tensor, int]:
    x = x if isinstance(x, Tensor) else Tensor(x)
    axis = pick(op, axis, dim, "axis", "dim", None)
    if axis is None:
        raise TypeError(f"{op}: give the axis (dim) to normalise over")
    return x, normalize_axis(axis, x.ndim, op)


def softmax(
    x: Any, axis: Any = None, _stacklevel: int = 3, dtype: Any = None, *, dim: Any = None
) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis`` (``dim``), shifted by the maximum so that no exp
    overflows; same shape as ``x``, float dtype (integers give float32).

    Unlike PyTorch, the axis is required (PyTorch guesses one with a warning). ``dtype``
    casts x first, as PyTorch; ``_stacklevel`` is accepted for PyTorch's signature.
    """
    x, axis = _softmax_axis("softmax", x, axis, dim)
    return _run(Softmax(axis), x if dtype is None else x.to(dtype))


def log_softmax(
    x: Any, axis: Any = None, _stacklevel: int = 3, dtype: Any = None, *, dim: Any = None
) -> Tensor:
    """``x - logsumexp(x)`` along ``axis`` (``dim``), computed stably; same shape as ``x``."""
    x, axis = _softmax_axis("log_softmax", x, axis, dim)
    return _run(LogSoftmax(axis), x if dtype is None else x.to(dtype))


# --------------------------------------------------------------------------- more activations
# Composed of the ops above and of elementwise ops: each gradient (and any higher one) comes
# from its parts, which carry PyTorch's subgradients at the kinks.

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def selu(x: Any, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with PyTorch's constants ``alpha = 1.6733``,
    ``scale = 1.0507``."""
    return _inplace(x, Elu(SELU_ALPHA)(x) * SELU_SCALE, inplace)


def celu(x: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``, i.e. ``alpha * elu(x / alpha)``."""
    if alpha == 0:
        raise ValueError("celu: alpha must be nonzero (it divides x)")
    return _inplace(x, Elu(1.0)(_tensor(x) / alpha) * alpha, inplace)


def relu6(x: Any, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``; gradient 1 strictly inside (0, 6), as PyTorch's."""
    return _inplace(x, Hardtanh(0.0, 6.0)(x), inplace)


def hardsigmoid(x: Any, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``; gradient 1/6 strictly inside (-3, 3), else 0."""
    return _inplace(x, Hardtanh(0.0, 1.0)(_tensor(x) / 6.0 + 0.5), inplace)


def hardswish(x: Any, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``; gradient 0 below -3, ``x / 3 + 1/2`` in (-3, 3), 1 above."""
    x = _tensor(x)
    return _inplace(x, x * hardsigmoid(x), inplace)


def logsigmoid(x: Any) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large ``|x|``."""
    return -Softplus(1.0, 20.0)(-_tensor(x))


def softsign(x: Any) -> Tensor:
    """``x / (1 + |x|)``, elementwise."""
    x = _tensor(x)
    return x / (abs_(x) + 1)


def softmin(x: Any, dim: Any = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """``softmax(-x, dim)``; ``dtype`` casts ``x`` first, as PyTorch."""
    return softmax(-_tensor(x), dim=dim, dtype=dtype)


def glu(x: Any, dim: int = -1) -> Tensor:
    """Gated linear unit: ``a * sigmoid(b)`` where ``a, b`` are the halves of ``x`` along
    ``dim`` (whose length must be even); the result is half as long along ``dim``."""
    x = _tensor(x)
    if x.ndim == 0:
        raise ValueError("glu: does not support 0-d (scalar) tensors")
    axis = normalize_axis(dim, x.ndim, "glu")
    if x.shape[axis] % 2:
        raise ValueError(
            f"glu: halving dimension must be even, but dimension {dim} of shape {x.shape} "
            f"has size {x.shape[axis]}"
        )
    a, b = tensor_split(x, 2, axis)  # two equal pieces
    return a * sigmoid(b)


def threshold(x: Any, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value``; gradient 1 where ``x > threshold``."""
    x = _tensor(x)
    return _inplace(x, where(x._data > threshold, x, np.asarray(value, dtype=x.dtype)), inplace)


_threshold = threshold  # threshold_'s parameter of that name hides the function


def prelu(x: Any, weight: Any) -> Tensor:
    """``x if x > 0 else weight * x``, ``weight`` (1 or C values) per channel (axis 1; inputs
    of fewer than 2 dimensions have one channel). Gradients reach ``x`` and ``weight``."""
    x, weight = _tensor(x), _tensor(weight)
    if weight.ndim > 1:
        raise ValueError(f"prelu: weight must be 0-D or 1-D, got shape {weight.shape}")
    n = weight.size
    channels = x.shape[1] if x.ndim >= 2 else 1
    if n != 1 and n != channels:
        raise ValueError(
            f"prelu: weight of {n} values does not match input of shape {x.shape}: give 1 "
            f"value or one per channel ({channels})"
        )
    if n != 1 and x.ndim >= 2:
        weight = weight.reshape((n,) + (1,) * (x.ndim - 2))
    elif n == 1:
        weight = weight.reshape(())
    return where(x._data > 0, x, weight * x)


def tanhshrink(x: Any) -> Tensor:
    """``x - tanh(x)``, elementwise."""
    x = _tensor(x)
    return x - tanh(x)


def softshrink(x: Any, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    if lambd < 0:
        raise ValueError(f"softshrink: lambd must be non-negative, got {lambd}")
    x = _tensor(x)
    zero = np.zeros((), dtype=x.dtype)
    return where(x._data > lambd, x - lambd, where(x._data < -lambd, x + lambd, zero))


def hardshrink(x: Any, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0."""
    x = _tensor(x)
    return where(np.abs(x._data) > lambd, x, np.zeros((), dtype=x.dtype))


def rrelu(
    x: Any,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomised leaky relu: ``x`` above 0, ``a * x`` below with ``a ~ U(lower, upper)`` per
    element while ``training`` (from ``lucid.random.generator()``), else the fixed slope
    ``(lower + upper) / 2``; the gradient below 0 is that slope."""
    from lucid import random  # lucid.random imports the ops: import it at call time

    x = _tensor(x)
    if not 0 <= lower <= upper:
        raise ValueError(f"rrelu: expected 0 <= lower <= upper, got lower={lower}, upper={upper}")
    if not training:
        return _inplace(x, LeakyRelu((lower + upper) / 2)(x), inplace)
    x = x if x.dtype.kind == "f" else x.astype(np.float32)
    slope = random.generator().uniform(lower, upper, x.shape).astype(x.dtype)
    return _inplace(x, where(x._data > 0, x, x * slope), inplace)


def _in_place(fn: str, x: Any, f: Any, *args: Any) -> Tensor:
    """The ``f_`` functions: ``f(x, *args)`` written into ``x``, or an error where the graph
    would need to record it (never a silent copy)."""
    check_writable(fn, x)
    with no_grad():
        out = f(x, *args)
    if (x.shape, x.dtype) != (out.shape, out.dtype):
        raise TypeError(f"{fn}: the result ({out.dtype}) cannot be written into {x.dtype} input")
    x._data[...] = out._data
    x._version += 1
    return x


def relu_(x: Any) -> Tensor:
    """``relu`` written into ``x`` (which must not be recorded by the graph)."""
    return _in_place("relu_", x, relu)


def leaky_relu_(x: Any, negative_slope: float = 0.01) -> Tensor:
    """``leaky_relu`` written into ``x``."""
    return _in_place("leaky_relu_", x, leaky_relu, negative_slope)


def elu_(x: Any, alpha: float = 1.0) -> Tensor:
    """``elu`` written into ``x``."""
    return _in_place("elu_", x, elu, alpha)


def celu_(x: Any, alpha: float = 1.0) -> Tensor:
    """``celu`` written into ``x``."""
    return _in_place("celu_", x, celu, alpha)


def selu_(x: Any) -> Tensor:
    """``selu`` written into ``x``."""
    return _in_place("selu_", x, selu)


def hardtanh_(x: Any, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``hardtanh`` written into ``x``."""
    return _in_place("hardtanh_", x, hardtanh, min_val, max_val)


def threshold_(x: Any, threshold: float, value: float) -> Tensor:
    """``threshold`` written into ``x``."""
    return _in_place("threshold_", x, _threshold, threshold, value)


def rrelu_(
    x: Any, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    """``rrelu`` written into ``x``."""
    return _in_place("rrelu_", x, rrelu, lower, upper, training)
