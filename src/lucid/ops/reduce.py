"""Reductions over axes: sum, mean, var, std, max, min, argmax, argmin, prod, logsumexp,
cumsum and norm, with ``axis``/``dim`` and ``keepdims``/``keepdim``."""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from lucid._graph import operation, unary_func_op
from lucid.kernels import reduce as K
from lucid.ops import _promotion, _xp
from lucid.ops import elementwise as _ew
from lucid.ops._args import normalize_axes, normalize_axis, pick
from lucid.tensor import Tensor

__all__ = [
    "sum", "mean", "var", "std", "max", "min", "amax", "amin", "argmax", "argmin", "prod",
    "logsumexp", "cumsum", "norm", "all", "any",
]  # fmt: skip


_floating = _promotion.floating  # integer and bool inputs: the default float (PyTorch)


def _expand(grad: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """``grad`` with the reduced axes back as length-1 axes, ready to broadcast."""
    if keepdims or not axes:
        return grad
    shape = list(grad.shape)
    for a in axes:
        shape.insert(a, 1)
    return grad.reshape(shape)


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    """The number of elements reduced into each result element."""
    return math.prod(shape[a] for a in axes)


def _squeeze(out: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """A result computed with keepdims=True, reshaped to drop ``axes`` unless ``keepdims``."""
    if keepdims or not axes:
        return out
    return out.reshape([n for i, n in enumerate(out.shape) if i not in axes])


class _AxesOp(operation):
    """A reduction over ``axes`` (sorted, non-negative) that keeps them when ``keepdims``."""

    def __init__(self, axes: tuple[int, ...], keepdims: bool) -> None:
        self.axes, self.keepdims = axes, keepdims


class Sum(_AxesOp):
    """sum of x over axes;  d/dx = 1 broadcast back to x's shape."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        return np.sum(x, axis=self.axes, keepdims=self.keepdims)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        return _xp.broadcast_to(_expand(grad, self.axes, self.keepdims), self.shape)


class AllOf(_AxesOp):
    """Whether every element over axes is nonzero; bool, no gradient."""

    @unary_func_op(has_gradient=False)
    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.all(x, axis=self.axes, keepdims=self.keepdims)


class AnyOf(_AxesOp):
    """Whether some element over axes is nonzero; bool, no gradient."""

    @unary_func_op(has_gradient=False)
    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.any(x, axis=self.axes, keepdims=self.keepdims)


class Mean(_AxesOp):
    """mean of x over axes;  d/dx = 1 / n broadcast back, n the number of reduced elements."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        return np.mean(_floating(x), axis=self.axes, keepdims=self.keepdims)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        n = _count(self.shape, self.axes)
        g = _expand(grad, self.axes, self.keepdims) * (1 / n if n else math.nan)
        return _xp.broadcast_to(g, self.shape)


class Var(_AxesOp):
    """sum((x - mean)**2) / (n - ddof) over axes;  d/dx = 2 (x - mean) / (n - ddof)."""

    def __init__(self, axes: tuple[int, ...], keepdims: bool, ddof: float) -> None:
        super().__init__(axes, keepdims)
        self.ddof = ddof

    def _moments(self, x: np.ndarray) -> np.ndarray:
        """Stashes x - mean and the divisor; returns the variance with the axes kept."""
        self.x = x = _floating(x)  # for a recorded gradient, which recomputes d from x
        # NumPy's and PyTorch's divisor: never negative; 0 gives inf or NaN, as in both
        self.divisor = builtins.max(_count(x.shape, self.axes) - self.ddof, 0)
        self.d = x - np.mean(x, axis=self.axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sum(self.d * self.d, axis=self.axes, keepdims=True) / self.divisor

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        return _squeeze(self._moments(x), self.axes, self.keepdims)

    def _centred(self, grad: Any) -> Any:
        """x - mean(x): the saved array, or for a tensor ``grad`` recomputed from x by ops so
        that its dependence on x is recorded too."""
        if isinstance(grad, Tensor):
            return self.x - self.x.mean(axis=self.axes, keepdims=True)
        return self.d

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        scale = 2 / self.divisor if self.divisor else math.inf
        return _expand(grad, self.axes, self.keepdims) * scale * self._centred(grad)


class Std(Var):
    """sqrt(var) over axes;  d/dx = (x - mean) / ((n - ddof) std), 0 where std == 0 (PyTorch)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = np.sqrt(self._moments(x))
        return _squeeze(self.out, self.axes, self.keepdims)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        d, out = self._centred(grad), self.out
        zero = _xp.data(out) == 0
        if isinstance(grad, Tensor):  # std recomputed by ops; 1 where it is 0 (then masked)
            var = (d * d).sum(axis=self.axes, keepdims=True) * (1 / self.divisor)
            out = _xp.sqrt(_xp.where(zero, 1, var))
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = _xp.where(zero, 0, 1 / (out * self.divisor))
        return _expand(grad, self.axes, self.keepdims) * scale * d


class _Extremum(_AxesOp):
    """max or min of x over axes;  the gradient is split evenly among the tied extrema."""

    reduce: Any

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.size == 0 and 0 in [x.shape[a] for a in self.axes]:
            raise ValueError(
                f"{type(self).__name__.lower()}: cannot reduce an empty axis of a tensor of "
                f"shape {x.shape}"
            )
        self.x = x
        self.out = self.reduce(x, axis=self.axes, keepdims=True)
        return _squeeze(self.out, self.axes, self.keepdims)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        g = _expand(grad, self.axes, self.keepdims)
        if isinstance(grad, Tensor):  # piecewise constant: g times the constant shares
            ones = np.ones(self.out.shape, grad.dtype)
            return g * K.extremum_backward(_xp.data(self.x), self.out, ones, self.axes)
        return K.extremum_backward(self.x, self.out, g, self.axes)


class Max(_Extremum):
    """max of x over axes;  d/dx = 1 / (number of maxima) at each maximum, else 0."""

    reduce = staticmethod(np.max)


class Min(_Extremum):
    """min of x over axes;  d/dx = 1 / (number of minima) at each minimum, else 0."""

    reduce = staticmethod(np.min)


class _ArgExtremum(operation):
    """Index of the first max/min along one axis (or of the flattened x): int64, no gradient."""

    reduce: Any

    def __init__(self, axis: int | None, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims

    @unary_func_op(has_gradient=False)
    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.size == 0:
            raise ValueError(f"{type(self).__name__.lower()}: empty tensor of shape {x.shape}")
        axis = None if x.ndim == 0 else self.axis
        out = self.reduce(x, axis=axis, keepdims=self.keepdims and x.ndim > 0)
        return np.asarray(out, dtype=np.int64)


class ArgMax(_ArgExtremum):
    """argmax of x along an axis."""

    reduce = staticmethod(np.argmax)


class ArgMin(_ArgExtremum):
    """argmin of x along an axis."""

    reduce = staticmethod(np.argmin)


class Prod(_AxesOp):
    """product of x over axes;  d/dx_i = product of the other elements (exact with zeros)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.prod(x, axis=self.axes, keepdims=self.keepdims)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        # out / x_i fails at zeros. Per row: no zero -> out / x_i; one zero -> the product of
        # the others at the zero, 0 elsewhere; two or more zeros -> 0 everywhere.
        x, axes = self.x, self.axes
        if isinstance(grad, Tensor):
            if (x._data == 0).any():
                raise RuntimeError(
                    "Prod cannot be differentiated twice (create_graph=True) where its input "
                    "has zeros"
                )
            # out / x_i, with out recomputed by an op so that its dependence on x is recorded
            return _expand(grad, axes, self.keepdims) * x.prod(axis=axes, keepdims=True) / x
        is_zero = x == 0
        safe = np.where(is_zero, 1, x)
        others = np.prod(safe, axis=axes, keepdims=True)  # product of the non-zeros
        zeros = np.sum(is_zero, axis=axes, keepdims=True)
        d = np.where(
            is_zero, np.where(zeros == 1, others, 0), np.where(zeros == 0, others, 0) / safe
        )
        return _expand(grad, axes, self.keepdims) * d


class LogSumExp(_AxesOp):
    """log(sum(exp(x))) over axes, shifted by the max;  d/dx = exp(x - out) = softmax(x)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x = _floating(x)
        if x.size == 0:
            self.out = np.log(np.sum(np.exp(x), axis=self.axes, keepdims=True))
        else:
            m = np.max(x, axis=self.axes, keepdims=True)
            m = np.where(np.isfinite(m), m, 0)  # rows of -inf (or inf) must not give inf - inf
            with np.errstate(divide="ignore"):
                self.out = np.log(np.sum(np.exp(x - m), axis=self.axes, keepdims=True)) + m
        return _squeeze(self.out, self.axes, self.keepdims)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        out = self.out
        if isinstance(grad, Tensor):  # recomputed by an op, so that it is recorded
            out = LogSumExp(self.axes, True)(self.x)
        return _expand(grad, self.axes, self.keepdims) * _xp.exp(self.x - out)


class Cumsum(operation):
    """Running sum along an axis (None: of the flattened x);  d/dx = reversed running sum."""

    def __init__(self, axis: int | None) -> None:
        self.axis = axis

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        if self.axis is None:
            return np.cumsum(x)
        if x.ndim == 0:
            return np.cumsum(x).reshape(())
        return np.cumsum(x, axis=self.axis)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        axis = 0 if self.axis is None or grad.ndim == 0 else self.axis
        g = grad.reshape(-1) if grad.ndim == 0 else grad
        if isinstance(grad, Tensor):
            from lucid.ops.shape import flip

            reversed_sum = flip(Cumsum(axis)(flip(g, axis)), axis)
        else:
            reversed_sum = np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)
        return reversed_sum.reshape(self.shape)


class VectorNorm(_AxesOp):
    """(sum |x|**p)**(1/p) over axes, and p = inf, -inf (max/min |x|) or 0 (the nonzero count).

    d/dx = sign(x) |x|**(p-1) / out**(p-1); 0 where out == 0 (PyTorch's subgradient); for
    p = +-inf the gradient of max/min |x| (ties split); none for p = 0.
    """

    def __init__(self, p: float, axes: tuple[int, ...], keepdims: bool) -> None:
        super().__init__(axes, keepdims)
        self.p = p

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x = _floating(x)
        p, axes = self.p, self.axes
        if p == 2:
            out = np.sqrt(np.sum(x * x, axis=axes, keepdims=True))
        elif p == 1:
            out = np.sum(np.abs(x), axis=axes, keepdims=True)
        elif p == math.inf:
            out = np.max(np.abs(x), axis=axes, keepdims=True)
        elif p == -math.inf:
            out = np.min(np.abs(x), axis=axes, keepdims=True)
        elif p == 0:
            out = np.sum(x != 0, axis=axes, keepdims=True).astype(x.dtype)
        else:
            with np.errstate(divide="ignore"):
                out = np.sum(np.abs(x) ** p, axis=axes, keepdims=True) ** (1 / p)
        self.out = out
        return _squeeze(out, axes, self.keepdims)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        x, out, p = self.x, self.out, self.p
        g = _expand(grad, self.axes, self.keepdims)
        if isinstance(grad, Tensor):
            return self._recorded_gradient(x, g)
        if p == 0:
            return np.zeros(x.shape, grad.dtype)
        if p == 1:
            return g * np.sign(x)
        if math.isinf(p):
            return np.sign(x) * K.extremum_backward(np.abs(x), out, g, self.axes)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 2:
                return x * np.where(out == 0, 0, g / out)
            scale = np.where(out == 0, 0, g / out ** (p - 1))
            # sign(x) |x|**(p-1) is 0 * inf at x == 0 when p < 1: the subgradient 0 there
            along = np.where(x == 0, 0, np.sign(x) * np.abs(x) ** (p - 1))
        return scale * along

    def _recorded_gradient(self, x: Any, g: Tensor) -> Any:
        """The gradient for a tensor ``grad``, the norm recomputed by ops so that its
        dependence on x is recorded (p = 2, other finite p away from zeros of x)."""
        p, xd, zero = self.p, _xp.data(x), self.out == 0
        if p == 0:
            return g * 0
        if p == 1 or math.isinf(p):  # piecewise linear: g times a constant slope
            if p == 1:
                return g * np.sign(xd)
            ones = np.ones(self.out.shape, g.dtype)
            return g * (np.sign(xd) * K.extremum_backward(np.abs(xd), self.out, ones, self.axes))
        if p == 2:
            squares = (x * x).sum(axis=self.axes, keepdims=True)
            return x * _xp.where(zero, 0, g / _xp.sqrt(_xp.where(zero, 1, squares)))
        if (xd == 0).any():
            raise RuntimeError(
                f"VectorNorm of order {p} cannot be differentiated twice (create_graph=True) "
                "where its input has zeros"
            )
        ax = _ew.abs(x)
        norm = (ax**p).sum(axis=self.axes, keepdims=True) ** (1 / p)
        return g / norm ** (p - 1) * np.sign(xd) * ax ** (p - 1)


class SpectralNorm(_AxesOp):
    """Matrix norms from the singular values over two axes: ``2`` (largest), ``-2`` (smallest)
    and ``'nuc'`` (their sum);  d/dx = u v^T of the picked singular value, U V^T for nuc."""

    double_backward = False  # the singular vectors are saved arrays, not recorded functions of x

    def __init__(self, ord: Any, axes: tuple[int, int], keepdims: bool) -> None:  # noqa: A002
        super().__init__(tuple(sorted(axes)), keepdims)
        self.ord, self.pair = ord, axes

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        self.x_shape = x.shape
        stacked = np.moveaxis(x, self.pair, (-2, -1))
        u, s, vt = np.linalg.svd(stacked, full_matrices=False)
        if self.ord == "nuc":
            out = np.sum(s, axis=-1)
            self.direction = u @ vt
        else:
            k = 0 if self.ord == 2 else -1
            out = s[..., k]
            self.direction = u[..., :, k, None] * vt[..., k, None, :]
        out = out.astype(x.dtype, copy=False)
        # the result has the other axes; with keepdims the two reduced ones come back as 1
        return _expand(out, self.axes, False) if self.keepdims else out

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        g = grad if not self.keepdims else _squeeze(grad, self.axes, False)
        d = g[..., None, None] * self.direction
        return np.moveaxis(d, (-2, -1), self.pair)


# --------------------------------------------------------------------------- public functions


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _reduce_args(op: str, x: Any, axis: Any, dim: Any, keepdims: Any, keepdim: Any) -> tuple:
    x = _tensor(x)
    axes = normalize_axes(pick(op, axis, dim, "axis", "dim", None), x.ndim, op)
    return x, axes, bool(pick(op, keepdims, keepdim, "keepdims", "keepdim", False))


def sum(  # noqa: A001 - NumPy's and PyTorch's name
    x: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Tensor:
    """Sum over ``axis`` (None: all; an int or a tuple, negatives allowed).

    The result drops the reduced axes unless ``keepdims``; ``dim``/``keepdim`` are PyTorch's
    spellings. Integer and bool inputs sum to int64 as in NumPy and PyTorch.
    """
    x, axes, keep = _reduce_args("sum", x, axis, dim, keepdims, keepdim)
    return Sum(axes, keep)(x)


def all_(
    x: Any,
    axis: Any = None,
    keepdims: Any = None,
    *,
    dim: Any = None,
    keepdim: Any = None,
    out: None = None,
) -> Tensor:
    """Whether all elements over ``axis`` (None: all) are nonzero, as a bool tensor."""
    if out is not None:
        raise NotImplementedError("all: out= is not supported; use the returned tensor")
    x, axes, keep = _reduce_args("all", x, axis, dim, keepdims, keepdim)
    return AllOf(axes, keep)(x)


def any_(
    x: Any,
    axis: Any = None,
    keepdims: Any = None,
    *,
    dim: Any = None,
    keepdim: Any = None,
    out: None = None,
) -> Tensor:
    """Whether any element over ``axis`` (None: all) is nonzero, as a bool tensor."""
    if out is not None:
        raise NotImplementedError("any: out= is not supported; use the returned tensor")
    x, axes, keep = _reduce_args("any", x, axis, dim, keepdims, keepdim)
    return AnyOf(axes, keep)(x)


def mean(
    x: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Tensor:
    """Arithmetic mean over ``axis`` (as ``sum``); integer inputs give float32."""
    x, axes, keep = _reduce_args("mean", x, axis, dim, keepdims, keepdim)
    return Mean(axes, keep)(x)


def _ddof(op: str, ddof: Any, correction: Any, unbiased: Any) -> float:
    spellings = {"ddof": ddof, "correction": correction, "unbiased": unbiased}
    given = [name for name, value in spellings.items() if value is not None]
    if len(given) > 1:
        raise TypeError(f"{op}: pass one of ddof, correction and unbiased, got {given}")
    if unbiased is not None:
        return 1 if unbiased else 0
    value = ddof if ddof is not None else correction
    return 0 if value is None else value


def var(
    x: Any,
    axis: Any = None,
    ddof: Any = None,
    keepdims: Any = None,
    *,
    dim: Any = None,
    keepdim: Any = None,
    correction: Any = None,
    unbiased: Any = None,
) -> Tensor:
    """Variance ``sum((x - mean)**2) / (n - ddof)`` over ``axis``; integer inputs give float32.

    NumPy's default ``ddof=0`` (PyTorch's default is 1: pass ``correction=1`` or
    ``unbiased=True``). ``x.var(d, True)`` reads as PyTorch's ``unbiased=True``, since
    ``ddof=True`` is 1. Where ``n - ddof <= 0`` the result is inf or NaN, as in both.
    """
    x, axes, keep = _reduce_args("var", x, axis, dim, keepdims, keepdim)
    return Var(axes, keep, _ddof("var", ddof, correction, unbiased))(x)


def std(
    x: Any,
    axis: Any = None,
    ddof: Any = None,
    keepdims: Any = None,
    *,
    dim: Any = None,
    keepdim: Any = None,
    correction: Any = None,
    unbiased: Any = None,
) -> Tensor:
    """Standard deviation ``sqrt(var(x, ...))`` (see ``var`` for ``ddof``); gradient 0 where
    the result is 0, as PyTorch's."""
    x, axes, keep = _reduce_args("std", x, axis, dim, keepdims, keepdim)
    return Std(axes, keep, _ddof("std", ddof, correction, unbiased))(x)


def max(  # noqa: A001 - NumPy's and PyTorch's name
    x: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Tensor:
    """Largest value over ``axis`` (None: all; an int or a tuple); the values only.

    Unlike ``torch.max(x, dim)`` no indices are returned (use ``argmax``), and the gradient is
    split evenly among tied maxima (as ``torch.amax``). ``max(a, b)`` with a tensor ``b`` is
    ``maximum(a, b)``, as in PyTorch.
    """
    if isinstance(axis, Tensor):
        return _ew.maximum(x, axis)
    x, axes, keep = _reduce_args("max", x, axis, dim, keepdims, keepdim)
    return Max(axes, keep)(x)


def min(  # noqa: A001 - NumPy's and PyTorch's name
    x: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Tensor:
    """Smallest value over ``axis``; as ``max`` (values only, ties share the gradient)."""
    if isinstance(axis, Tensor):
        return _ew.minimum(x, axis)
    x, axes, keep = _reduce_args("min", x, axis, dim, keepdims, keepdim)
    return Min(axes, keep)(x)


def _arg_axis(op: str, x: Tensor, axis: Any, dim: Any) -> int | None:
    axis = pick(op, axis, dim, "axis", "dim", None)
    if axis is None:
        return None
    if not isinstance(axis, int) and not hasattr(axis, "__index__"):
        raise TypeError(f"{op}: axis must be an int or None, got {axis!r}")
    return normalize_axis(int(axis), x.ndim, op)


def argmax(
    x: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Tensor:
    """Index of the first largest value along ``axis`` (None: of the flattened ``x``); int64,
    no gradient."""
    x = _tensor(x)
    keep = bool(pick("argmax", keepdims, keepdim, "keepdims", "keepdim", False))
    return ArgMax(_arg_axis("argmax", x, axis, dim), keep)(x)


def argmin(
    x: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Tensor:
    """Index of the first smallest value along ``axis``; as ``argmax``."""
    x = _tensor(x)
    keep = bool(pick("argmin", keepdims, keepdim, "keepdims", "keepdim", False))
    return ArgMin(_arg_axis("argmin", x, axis, dim), keep)(x)


def prod(
    x: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Tensor:
    """Product over ``axis`` (as ``sum``); the gradient is exact where ``x`` has zeros."""
    x, axes, keep = _reduce_args("prod", x, axis, dim, keepdims, keepdim)
    return Prod(axes, keep)(x)


def logsumexp(
    x: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis``, computed as ``m + log(sum(exp(x - m)))`` with ``m``
    the max, so it never overflows; integer inputs give float32. ``axis=None`` reduces all
    axes (``torch.logsumexp`` requires ``dim``)."""
    x, axes, keep = _reduce_args("logsumexp", x, axis, dim, keepdims, keepdim)
    return LogSumExp(axes, keep)(x)


def cumsum(x: Any, axis: Any = None, *, dim: Any = None) -> Tensor:
    """Running sum along ``axis``; ``axis=None`` runs over the flattened ``x`` (NumPy) and
    gives a 1-D result. Integer inputs sum in int64."""
    x = _tensor(x)
    axis = pick("cumsum", axis, dim, "axis", "dim", None)
    if axis is not None:
        axis = normalize_axis(int(axis), x.ndim, "cumsum")
    return Cumsum(axis)(x)


def _vector_norm(x: Tensor, p: Any, axes: tuple[int, ...], keep: bool, op: str) -> Tensor:
    try:
        p = float(p)
    except (TypeError, ValueError):
        raise ValueError(f"{op}: invalid norm order {p!r} for vectors") from None
    return VectorNorm(p, axes, keep)(x)


def _matrix_norm(x: Tensor, ord: Any, pair: tuple[int, int], keep: bool) -> Tensor:  # noqa: A002
    """NumPy's matrix norms over the axes ``pair`` = (row axis, column axis)."""
    if ord in (None, "fro"):
        return VectorNorm(2.0, tuple(sorted(pair)), keep)(x)
    if ord in (2, -2, "nuc"):
        return SpectralNorm(ord, pair, keep)(x)
    if ord not in (1, -1, math.inf, -math.inf):
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices")
    # ord 1: the largest column sum of |x| (sum over rows); inf: the largest row sum
    summed, kept = (pair[0], pair[1]) if ord in (1, -1) else (pair[1], pair[0])
    sums = sum(_ew.abs(x), axis=summed, keepdims=keep)
    if not keep and kept > summed:
        kept -= 1
    pick_ = max if ord > 0 else min
    return pick_(sums, axis=kept, keepdims=keep)


def norm(
    x: Any,
    ord: Any = None,  # noqa: A002 - NumPy's name
    axis: Any = None,
    keepdims: Any = None,
    *,
    p: Any = None,
    dim: Any = None,
    keepdim: Any = None,
) -> Tensor:
    """Vector or matrix norm, as ``numpy.linalg.norm`` (``ord``) or ``torch.norm`` (``p``).

    With ``ord`` (NumPy): ``axis=None`` gives the 2-norm of the flattened ``x`` when ``ord``
    is None, else the vector norm of a 1-D or the matrix norm of a 2-D ``x``; an int axis
    gives vector norms (``ord`` None/2, 1, inf, -inf, 0 or any p); a pair of axes gives matrix
    norms (``'fro'``, 1, -1, inf, -inf, 2, -2, ``'nuc'``). With ``p`` (PyTorch's
    ``torch.norm``): the vector p-norm over all of ``dim`` (all axes when None), ``'fro'``
    the 2-norm over them, ``'nuc'`` the nuclear norm of two axes; so ``norm(w, p=2)`` of a
    matrix is its Frobenius norm where ``norm(w, 2)`` is its largest singular value, as in
    the two libraries. The gradient of a 2-norm at 0 is 0, as PyTorch's. Integer inputs
    give float32.
    """
    x = _tensor(x)
    keep = bool(pick("norm", keepdims, keepdim, "keepdims", "keepdim", False))
    axis = pick("norm", axis, dim, "axis", "dim", None)
    if p is not None:
        if ord is not None:
            raise TypeError("norm: pass ord (NumPy's meaning) or p (PyTorch's), not both")
        axes = normalize_axes(axis, x.ndim, "norm")
        if p == "fro":
            return VectorNorm(2.0, axes, keep)(x)
        if p == "nuc":
            if len(axes) != 2:
                raise ValueError(f"norm: p='nuc' needs two axes, got {axes} of shape {x.shape}")
            return SpectralNorm("nuc", axes, keep)(x)
        return _vector_norm(x, p, axes, keep, "norm")
    if axis is None:
        if ord is None:
            return VectorNorm(2.0, tuple(range(x.ndim)), keep)(x)
        if x.ndim == 1:
            axis = 0
        elif x.ndim == 2:
            axis = (0, 1)
        else:
            raise ValueError(
                f"norm: ord={ord!r} without an axis needs a 1-D or 2-D tensor, got shape "
                f"{x.shape}; pass axis"
            )
    if isinstance(axis, int) or hasattr(axis, "__index__"):
        axis = (int(axis),)
    axis = tuple(int(a) for a in axis)
    if len(axis) == 1:
        if isinstance(ord, str):
            raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
        axes = normalize_axes(axis, x.ndim, "norm")
        return _vector_norm(x, 2.0 if ord is None else ord, axes, keep, "norm")
    if len(axis) == 2:
        pair = tuple(normalize_axis(a, x.ndim, "norm") for a in axis)
        if pair[0] == pair[1]:
            raise ValueError(f"norm: axis {axis} repeats an axis")
        return _matrix_norm(x, ord, pair, keep)
    raise ValueError(
        f"norm: axis {axis} names {len(axis)} axes; vector and matrix norms take 1 or 2"
    )


amax = max
amin = min


# PyTorch's names; defined last so that the builtins keep their meaning in this module.
all = all_  # noqa: A001
any = any_  # noqa: A001
