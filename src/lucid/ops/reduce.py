"""Reductions over axes: sum, mean, var, std, max, min, amax, amin, argmax, argmin, prod,
logsumexp, nansum, nanmean, count_nonzero and norm, with ``axis``/``dim`` and
``keepdims``/``keepdim``; and the running ones: cumsum, cumprod, cummax, cummin,
logcumsumexp."""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from lucid import _promotion
from lucid._graph import operation, unary_func_op
from lucid.kernels import reduce as K
from lucid.ops import _xp
from lucid.ops import elementwise as _ew
from lucid.ops._args import normalize_axes, normalize_axis, pick
from lucid.tensor import Tensor

__all__ = [
    "sum", "mean", "var", "std", "max", "min", "amax", "amin", "argmax", "argmin", "prod",
    "logsumexp", "cumsum", "norm", "all", "any",
    "cumprod", "cummax", "cummin", "logcumsumexp", "count_nonzero", "std_mean", "var_mean",
    "aminmax", "nansum", "nanmean",
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
        """The variance with the axes kept; remembers the divisor."""
        x = _floating(x)
        # NumPy's and PyTorch's divisor: never negative; 0 gives inf or NaN, as in both
        self.divisor = builtins.max(_count(x.shape, self.axes) - self.ddof, 0)
        d = x - np.mean(x, axis=self.axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sum(d * d, axis=self.axes, keepdims=True) / self.divisor

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return _squeeze(self._moments(x), self.axes, self.keepdims)

    def _centred(self, x: Any) -> Any:
        """x - mean(x), recomputed in the gradient (a pass, instead of keeping an array of x's
        size from the forward), so that under create_graph its dependence on x is recorded."""
        return x - x.mean(axis=self.axes, keepdims=True)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        scale = 2 / self.divisor if self.divisor else math.inf
        return _expand(grad, self.axes, self.keepdims) * scale * self._centred(x)


class Std(Var):
    """sqrt(var) over axes;  d/dx = (x - mean) / ((n - ddof) std), 0 where std == 0 (PyTorch)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        out = _squeeze(np.sqrt(self._moments(x)), self.axes, self.keepdims)
        self.save_for_backward(x, out)
        return out

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        x, out = self.saved_tensors
        out = _expand(out, self.axes, self.keepdims)
        zero = _xp.data(out) == 0
        safe = _xp.where(zero, 1, out)  # 1 where std is 0: that branch is masked out below
        scale = _xp.where(zero, 0, 1 / (safe * self.divisor))
        return _expand(grad, self.axes, self.keepdims) * scale * self._centred(x)


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
        out = _squeeze(self.reduce(x, axis=self.axes, keepdims=True), self.axes, self.keepdims)
        self.save_for_backward(x, out)
        return out

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        x, out = (_xp.data(v) for v in self.saved_tensors)  # piecewise linear: masks only
        out = _expand(out, self.axes, self.keepdims)
        g = _expand(grad, self.axes, self.keepdims)
        if _xp.is_tensor(g):  # g times the constant shares (the kernel applied to ones)
            return g * K.extremum_backward(x, out, np.ones(out.shape, g.dtype), self.axes)
        return K.extremum_backward(x, out, g, self.axes)


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
        self.save_for_backward(x)
        return np.prod(x, axis=self.axes, keepdims=self.keepdims)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        # out / x_i fails at zeros. Per row: no zero -> out / x_i; one zero -> the product of
        # the others at the zero, 0 elsewhere; two or more zeros -> 0 everywhere.
        (x,), axes = self.saved_tensors, self.axes
        if _xp.is_tensor(x, grad):
            if (_xp.data(x) == 0).any():
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
        xf = _floating(x)
        if xf.size == 0:
            out = np.log(np.sum(np.exp(xf), axis=self.axes, keepdims=True))
        else:
            m = np.max(xf, axis=self.axes, keepdims=True)
            m = np.where(np.isfinite(m), m, 0)  # rows of -inf (or inf) must not give inf - inf
            with np.errstate(divide="ignore"):
                out = np.log(np.sum(np.exp(xf - m), axis=self.axes, keepdims=True)) + m
        out = _squeeze(out, self.axes, self.keepdims)
        self.save_for_backward(x, out)
        return out

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        x, out = self.saved_tensors
        out = _expand(out, self.axes, self.keepdims)
        return _expand(grad, self.axes, self.keepdims) * _xp.exp(x - out)


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
        given, x = x, _floating(x)
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
        result = _squeeze(out, axes, self.keepdims)
        self.save_for_backward(given, result)
        return result

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x, out), p = self.saved_tensors, self.p
        g = _expand(grad, self.axes, self.keepdims)
        if _xp.is_tensor(x, g):
            return self._recorded_gradient(x, g, _xp.data(_expand(out, self.axes, self.keepdims)))
        out = _expand(out, self.axes, self.keepdims)
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

    def _recorded_gradient(self, x: Any, g: Tensor, out: np.ndarray) -> Any:
        """The gradient for a tensor ``grad``, the norm recomputed by ops so that its
        dependence on x is recorded (p = 2, other finite p away from zeros of x)."""
        p, xd, zero = self.p, _xp.data(x), out == 0
        if p == 0:
            return g * 0
        if p == 1 or math.isinf(p):  # piecewise linear: g times a constant slope
            if p == 1:
                return g * np.sign(xd)
            ones = np.ones(out.shape, g.dtype)
            return g * (np.sign(xd) * K.extremum_backward(np.abs(xd), out, ones, self.axes))
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
    """The divisor's offset from NumPy's ``ddof``, PyTorch's ``correction`` or ``unbiased``;
    PyTorch's default 1 (the unbiased estimate) when none is given."""
    spellings = {"ddof": ddof, "correction": correction, "unbiased": unbiased}
    given = [name for name, value in spellings.items() if value is not None]
    if len(given) > 1:
        raise TypeError(f"{op}: pass one of ddof, correction and unbiased, got {given}")
    if unbiased is not None:
        return 1 if unbiased else 0
    value = ddof if ddof is not None else correction
    return 1 if value is None else value


def _var_args(op: str, axis: Any, ddof: Any, unbiased: Any) -> tuple:
    """PyTorch's ``var(x, unbiased)`` and ``var(x, dim, unbiased)`` overloads: a bool in the
    axis or ddof position is ``unbiased``."""
    if isinstance(axis, bool):
        if ddof is not None or unbiased is not None:
            raise TypeError(f"{op}: unbiased given twice")
        return None, None, axis
    if isinstance(ddof, bool):
        if unbiased is not None:
            raise TypeError(f"{op}: unbiased given twice")
        return axis, None, ddof
    return axis, ddof, unbiased


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
    """Variance ``sum((x - mean)**2) / (n - correction)`` over ``axis``; integer inputs give
    float32.

    PyTorch's default ``correction=1`` (unbiased; NumPy's default would be ``ddof=0``).
    ``correction=``, ``unbiased=`` (also positional: ``x.var(d, False)``) and NumPy's ``ddof=``
    all set it. Where ``n - correction <= 0`` the result is inf or NaN, as in both.
    """
    axis, ddof, unbiased = _var_args("var", axis, ddof, unbiased)
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
    """Standard deviation ``sqrt(var(x, ...))``, unbiased by default (see ``var`` for
    ``correction``); gradient 0 where the result is 0, as PyTorch's."""
    axis, ddof, unbiased = _var_args("std", axis, ddof, unbiased)
    x, axes, keep = _reduce_args("std", x, axis, dim, keepdims, keepdim)
    return Std(axes, keep, _ddof("std", ddof, correction, unbiased))(x)


def _with_dim(op: str, x: Tensor, axis: Any, keep: bool, arg: Any, result: Any) -> Any:
    """``(values, indices)`` of the first extremum along one axis; the values are gathered at
    the indices, so the gradient goes to the returned index only (PyTorch's rule)."""
    from lucid.ops.index import Gather

    if not isinstance(axis, int) and not hasattr(axis, "__index__"):
        raise TypeError(
            f"{op}: dim must be an int, got {axis!r}; a{op} reduces several axes (values only)"
        )
    axis = normalize_axis(int(axis), x.ndim, op)
    if x.ndim == 0:
        index = np.zeros((), np.int64)
        return result(Gather(0, index.reshape(1))(x.reshape(1)).reshape(()), Tensor._wrap(index))
    if x.shape[axis] == 0:
        raise ValueError(f"{op}: cannot reduce the empty axis {axis} of shape {x.shape}")
    index = np.expand_dims(arg(x._data, axis=axis), axis).astype(np.int64)
    values = Gather(axis, index)(x)
    if not keep:
        values, index = values.squeeze(axis), index.squeeze(axis)
    return result(values, Tensor._wrap(index))


def _extremum(name: str, x: Any, axis: Any, keepdims: Any, dim: Any, keepdim: Any) -> Any:
    from lucid import return_types

    axis = pick(name, axis, dim, "axis", "dim", None)
    x = _tensor(x)
    if axis is None:
        if keepdims is not None or keepdim is not None:
            raise TypeError(f"{name}: keepdim needs a dim; use a{name} to keep all axes")
        return (Max if name == "max" else Min)(tuple(range(x.ndim)), False)(x)
    keep = bool(pick(name, keepdims, keepdim, "keepdims", "keepdim", False))
    arg = np.argmax if name == "max" else np.argmin
    return _with_dim(name, x, axis, keep, arg, getattr(return_types, name))


def max(  # noqa: A001 - NumPy's and PyTorch's name
    x: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Any:
    """PyTorch's three forms: ``max(x)`` the largest value; ``max(x, dim)`` the named tuple
    ``(values, indices)`` along one axis; ``max(a, b)`` of two tensors is ``maximum``.

    Without a dim the gradient is split evenly among tied maxima (a NaN takes it), as
    ``torch.max(x)``; with a dim it goes to the returned index, the first maximum (or NaN).
    ``axis``/``keepdims`` are accepted for ``dim``/``keepdim``; several axes are ``amax``.
    """
    if isinstance(axis, Tensor):
        return _ew.maximum(x, axis)
    return _extremum("max", x, axis, keepdims, dim, keepdim)


def min(  # noqa: A001 - NumPy's and PyTorch's name
    x: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Any:
    """The smallest value, ``(values, indices)`` along one dim, or ``minimum(a, b)``; as
    ``max``."""
    if isinstance(axis, Tensor):
        return _ew.minimum(x, axis)
    return _extremum("min", x, axis, keepdims, dim, keepdim)


def _amax_axes(axis: Any) -> Any:
    """PyTorch's ``dim=()`` (its default) reduces every axis."""
    return None if isinstance(axis, (tuple, list)) and len(axis) == 0 else axis


def amax(
    x: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Tensor:
    """Largest values over ``axis`` (None or (): all; an int or a tuple), values only; the
    gradient is split evenly among tied maxima, as ``torch.amax``."""
    axis = _amax_axes(pick("amax", axis, dim, "axis", "dim", None))
    x, axes, keep = _reduce_args("amax", x, axis, None, keepdims, keepdim)
    return Max(axes, keep)(x)


def amin(
    x: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Tensor:
    """Smallest values over ``axis``, values only; ties share the gradient (``torch.amin``)."""
    axis = _amax_axes(pick("amin", axis, dim, "axis", "dim", None))
    x, axes, keep = _reduce_args("amin", x, axis, None, keepdims, keepdim)
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
    pick_ = amax if ord > 0 else amin
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


# --------------------------------------------------------------------------- issue 10 additions


def _along_last(x: Any, axis: int) -> Any:
    """``x`` (array or Tensor) with ``axis`` moved last."""
    return _xp.moveaxis(x, axis, -1)


def _stack_last(pieces: list) -> Any:
    if _xp.is_tensor(*pieces):
        from lucid.ops.shape import stack

        return stack(pieces, -1)
    return np.stack(pieces, -1)


class Cumprod(operation):
    """Running product along an axis;  d/dx_i = E_i H_i, with E_i the product of the elements
    before i and H the reversed recurrence H_i = g_i + x_{i+1} H_{i+1}: exact with zeros."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return np.cumprod(x, axis=self.axis)

    def gradient(self, grad: Any) -> Any:
        (x,) = self.saved_tensors
        xs, gs = _along_last(x, self.axis), _along_last(grad, self.axis)
        n = xs.shape[-1]
        if n == 0:
            return grad * 0
        before = [xs[..., 0] * 0 + 1]  # E_0 = 1, E_i = E_{i-1} x_{i-1}
        for i in range(1, n):
            before.append(before[-1] * xs[..., i - 1])
        h = [gs[..., n - 1]]
        for i in range(n - 2, -1, -1):
            h.append(gs[..., i] + xs[..., i + 1] * h[-1])
        h.reverse()
        out = _stack_last([e * hi for e, hi in zip(before, h, strict=True)])
        return _xp.moveaxis(out, -1, self.axis)


def _cum_axis(op: str, x: Tensor, dim: Any, axis: Any) -> int:
    d = pick(op, dim, axis, "dim", "axis", None)
    if d is None:
        raise TypeError(f"{op}: missing the dim to run along")
    return normalize_axis(int(d), x.ndim, op)


def cumprod(x: Any, dim: Any = None, *, axis: Any = None, dtype: Any = None) -> Tensor:
    """Running product along ``dim``, as ``torch.cumprod``; the gradient is exact where ``x``
    has zeros."""
    x = _tensor(x) if dtype is None else _tensor(x).astype(dtype)
    d = _cum_axis("cumprod", x, dim, axis)
    if x.ndim == 0:
        return Cumprod(0)(x.reshape(1)).reshape(())
    return Cumprod(d)(x)


def _cum_extremum(op: str, x: Any, dim: Any, axis: Any, result: Any) -> Any:
    from lucid.ops.index import Gather

    x = _tensor(x)
    d = _cum_axis(op, x, dim, axis)
    a = x._data.reshape(1) if x.ndim == 0 else x._data
    moved = np.moveaxis(a, d if x.ndim else 0, -1)
    index = np.zeros(moved.shape, np.int64)
    best = moved[..., :1].copy() if moved.shape[-1] else moved
    better = np.greater_equal if op == "cummax" else np.less_equal
    for i in range(1, moved.shape[-1]):  # a later tie (or NaN) takes over, as PyTorch
        v = moved[..., i : i + 1]
        take = better(v, best) | np.isnan(v) if v.dtype.kind == "f" else better(v, best)
        if v.dtype.kind == "f":
            take &= ~np.isnan(best) | np.isnan(v)
        best = np.where(take, v, best)
        index[..., i] = np.where(take[..., 0], i, index[..., i - 1])
    index = np.moveaxis(index, -1, d if x.ndim else 0)
    if x.ndim == 0:
        return result(Gather(0, index)(x.reshape(1)).reshape(()), Tensor._wrap(index.reshape(())))
    return result(Gather(d, index)(x), Tensor._wrap(index))


def cummax(x: Any, dim: Any = None, *, axis: Any = None) -> Any:
    """``(values, indices)`` of the running maximum along ``dim``; ties and NaNs take the later
    index, and the gradient goes to it, as PyTorch."""
    from lucid import return_types

    return _cum_extremum("cummax", x, dim, axis, return_types.cummax)


def cummin(x: Any, dim: Any = None, *, axis: Any = None) -> Any:
    """``(values, indices)`` of the running minimum along ``dim``; as ``cummax``."""
    from lucid import return_types

    return _cum_extremum("cummin", x, dim, axis, return_types.cummin)


class LogCumSumExp(operation):
    """out_j = log(sum_{i<=j} exp(x_i)) along an axis;  d out_j / d x_i = exp(x_i - out_j) for
    i <= j, summed against grad per row (quadratic in the axis length, never overflowing)."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        out = np.logaddexp.accumulate(x, axis=self.axis) if x.size else x.copy()
        self.save_for_backward(x, out)
        return out

    def gradient(self, grad: Any) -> Any:
        x, out = self.saved_tensors
        if not _xp.is_tensor(x, out, grad):
            return self._linear_gradient(x, out, grad)
        xs, outs, gs = (_along_last(v, self.axis) for v in (x, out, grad))
        n = xs.shape[-1]
        later = np.triu(np.ones((n, n), bool))  # [i, j]: j >= i
        with np.errstate(invalid="ignore"):
            w = _xp.exp(xs[..., :, None] - outs[..., None, :])
        w = _xp.where(later, w, 0)
        return _xp.moveaxis((w * gs[..., None, :]).sum(axis=-1), -1, self.axis)

    def _linear_gradient(self, x: np.ndarray, out: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """The same sum in linear time: exp(x_i) * sum_{j>=i} g_j exp(-out_j), split into the
        positive and negative parts of g so that each is a reversed log-cumsum-exp."""
        ax = self.axis
        with np.errstate(divide="ignore", invalid="ignore"):
            result = np.zeros_like(x)
            for sign in (1, -1):
                part = np.maximum(sign * grad, 0)
                if not part.any():
                    continue
                terms = np.flip(np.log(part) - out, ax)
                tail = np.flip(np.logaddexp.accumulate(terms, axis=ax), ax)
                result = result + sign * np.exp(x + tail)
        return result


def logcumsumexp(x: Any, dim: Any = None, *, axis: Any = None) -> Tensor:
    """``log(cumsum(exp(x)))`` along ``dim``, computed without overflow (PyTorch's)."""
    x = _tensor(x)
    d = _cum_axis("logcumsumexp", x, dim, axis)
    if x.ndim == 0:
        return LogCumSumExp(0)(x.reshape(1)).reshape(())
    return LogCumSumExp(d)(x)


class CountNonzero(_AxesOp):
    """The number of nonzero elements over axes; int64, no gradient."""

    @unary_func_op(has_gradient=False)
    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(np.count_nonzero(x, axis=self.axes), dtype=np.int64)


def count_nonzero(x: Any, dim: Any = None, *, axis: Any = None) -> Tensor:
    """How many elements over ``dim`` (None: all; an int or a tuple) are nonzero; int64."""
    x, axes, _ = _reduce_args("count_nonzero", x, axis, dim, None, None)
    return CountNonzero(axes, False)(x)


def var_mean(x: Any, dim: Any = None, *args: Any, **kwargs: Any) -> tuple:
    """``(var(x, dim, ...), mean(x, dim, ...))``, as ``torch.var_mean`` (unbiased default)."""
    keep = kwargs.get("keepdim", kwargs.get("keepdims"))
    return var(x, dim, *args, **kwargs), mean(x, dim, keepdim=keep)


def std_mean(x: Any, dim: Any = None, *args: Any, **kwargs: Any) -> tuple:
    """``(std(x, dim, ...), mean(x, dim, ...))``, as ``torch.std_mean`` (unbiased default)."""
    keep = kwargs.get("keepdim", kwargs.get("keepdims"))
    return std(x, dim, *args, **kwargs), mean(x, dim, keepdim=keep)


def aminmax(x: Any, *, dim: Any = None, keepdim: bool = False) -> Any:
    """``(min, max)`` named tuple of ``amin`` and ``amax`` over ``dim`` (None: all)."""
    from lucid import return_types

    return return_types.aminmax(
        amin(x, dim=dim, keepdim=keepdim), amax(x, dim=dim, keepdim=keepdim)
    )


class NanSum(_AxesOp):
    """sum of the non-NaN elements over axes;  d/dx = grad * (x is not NaN), so an infinite
    grad gives NaN at the NaNs, as PyTorch's."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.keep = ~np.isnan(x) if x.dtype.kind == "f" else np.ones(x.shape, bool)
        return np.nansum(x, axis=self.axes, keepdims=self.keepdims)

    def gradient(self, grad: Any) -> Any:
        with np.errstate(invalid="ignore"):  # inf * 0 is NaN, as in PyTorch
            return _expand(grad, self.axes, self.keepdims) * self.keep


class NanMean(NanSum):
    """mean of the non-NaN elements over axes;  d/dx = grad / n * (x is not NaN), n their
    count (NaN everywhere for an all-NaN row, as PyTorch's)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.keep = ~np.isnan(x)
        self.n = np.sum(self.keep, axis=self.axes, keepdims=True).astype(x.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.nansum(x, axis=self.axes, keepdims=True) / self.n
        return _squeeze(out, self.axes, self.keepdims)

    def gradient(self, grad: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):
            return _expand(grad, self.axes, self.keepdims) * (self.keep / self.n)


def nansum(
    x: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Tensor:
    """``sum`` with NaNs counted as zero (they get no gradient), as ``torch.nansum``."""
    x, axes, keep = _reduce_args("nansum", x, axis, dim, keepdims, keepdim)
    return NanSum(axes, keep)(x)


def nanmean(
    x: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Tensor:
    """The mean of the non-NaN elements (NaN where there are none), as ``torch.nanmean``."""
    x = _tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"nanmean: expects a floating-point tensor, got {x.dtype}")
    _, axes, keep = _reduce_args("nanmean", x, axis, dim, keepdims, keepdim)
    return NanMean(axes, keep)(x)


# PyTorch's names; defined last so that the builtins keep their meaning in this module.
all = all_  # noqa: A001
any = any_  # noqa: A001
