"""Sorting and order statistics: sort, argsort, topk, kthvalue, median, mode, quantile, and
the counting ops (unique, searchsorted, bucketize, histc, bincount).

The differentiable ones find their indices in NumPy and then gather the values at them
(``lucid.ops.index.Gather``), so every gradient goes to the element that was picked, as in
PyTorch, and is recorded under ``create_graph``. The counting ops return integers (or counts)
and have no gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import return_types
from lucid._graph import operation, unary_func_op
from lucid.ops import elementwise as _ew
from lucid.ops._args import normalize_axis, pick
from lucid.ops.index import Gather
from lucid.tensor import Tensor

TensorLike = Any

__all__ = [
    "sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode", "quantile",
    "nanquantile", "unique", "unique_consecutive", "searchsorted", "bucketize", "histc",
    "bincount",
]  # fmt: skip


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _dim(op: str, x: Tensor, dim: Any, axis: Any, default: Any = -1) -> int:
    d = pick(op, dim, axis, "dim", "axis", default)
    return normalize_axis(int(d), x.ndim, op)


def _gather(x: Tensor, axis: int, index: np.ndarray) -> Tensor:
    """x's elements at ``index`` along ``axis`` (index has x's ndim); 0-d x is one element."""
    if x.ndim == 0:
        return Gather(0, index.reshape(1))(x.reshape(1)).reshape(index.shape)
    return Gather(axis, index)(x)


def _order(a: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable sorting indices along ``axis``; NaN counts as the largest value, as in PyTorch."""
    if a.ndim == 0:
        return np.zeros((), np.int64)
    if a.dtype.kind == "b":
        a = a.astype(np.int8)
    if not descending:
        return np.argsort(a, axis=axis, kind="stable").astype(np.int64)
    moved = np.moveaxis(a, axis, -1)
    nan = np.isnan(moved) if moved.dtype.kind == "f" else np.zeros(moved.shape, bool)
    key = -np.where(nan, 0, moved).astype(np.float64 if moved.dtype.kind == "u" else moved.dtype)
    # lexsort's last key is the primary one: NaNs first, then decreasing values, ties in order
    order = np.lexsort((key, ~nan), axis=-1)
    return np.moveaxis(order, -1, axis).astype(np.int64)


def sort(
    x: TensorLike,
    dim: int = -1,
    descending: bool = False,
    stable: bool = False,
    *,
    axis: int | None = None,
) -> Any:
    """``(values, indices)`` sorted along ``dim``; the gradient goes back to each element.

    Ties keep their order (a stable sort, so ``stable`` is always honoured); NaN sorts as the
    largest value, as in PyTorch.
    """
    x = _tensor(x)
    d = _dim("sort", x, dim, axis)
    index = _order(x._data, d, descending)
    return return_types.sort(_gather(x, d, index), Tensor._wrap(index))


def argsort(
    x: TensorLike,
    dim: int = -1,
    descending: bool = False,
    stable: bool = False,
    *,
    axis: int | None = None,
) -> Tensor:
    """The indices that sort ``x`` along ``dim`` (stable; NaN last), int64."""
    x = _tensor(x)
    return Tensor._wrap(_order(x._data, _dim("argsort", x, dim, axis), descending))


def msort(x: TensorLike) -> Tensor:
    """``x`` sorted along dim 0 (the values of ``sort(x, 0)``)."""
    return sort(x, 0).values


def topk(
    x: TensorLike,
    k: int,
    dim: int = -1,
    largest: bool = True,
    sorted: bool = True,  # noqa: A002 - PyTorch's name
) -> Any:
    """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``.

    Always in sorted order (PyTorch's default ``sorted=True``); ties are taken in order of
    position. ValueError when ``k`` exceeds the length of ``dim``.
    """
    x = _tensor(x)
    d = _dim("topk", x, dim, None)
    n = x.shape[d] if x.ndim else 1
    if not 0 <= int(k) <= n:
        raise ValueError(f"topk: k={k} is out of range for dim {d} of shape {x.shape}")
    index = _order(x._data, d, largest)
    if x.ndim:
        index = np.take(index, np.arange(int(k)), axis=d)
    elif int(k) == 0:
        raise NotImplementedError("topk: k=0 of a 0-d tensor is not supported")
    return return_types.topk(_gather(x, d, index), Tensor._wrap(index))


def _select(op: str, x: Tensor, d: int, index: np.ndarray, keep: bool, result: Any) -> Any:
    """Gather ``index`` (of x's ndim, length 1 along d) and drop d unless ``keep``."""
    values = _gather(x, d, index)
    if not keep and x.ndim:
        values, index = values.squeeze(d), index.squeeze(d)
    elif x.ndim == 0:
        values, index = values.reshape(()), index.reshape(())
    return result(values, Tensor._wrap(index))


def kthvalue(x: TensorLike, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """``(values, indices)`` of the ``k``-th smallest element (1-based) along ``dim``."""
    x = _tensor(x)
    d = _dim("kthvalue", x, dim, None)
    n = x.shape[d] if x.ndim else 1
    if not 1 <= int(k) <= n:
        raise ValueError(f"kthvalue: k={k} is out of range for dim {d} of shape {x.shape}")
    order = _order(x._data, d, False)
    index = order[..., None] if x.ndim == 0 else np.take(order, [int(k) - 1], axis=d)
    return _select("kthvalue", x, d, index, keepdim, return_types.kthvalue)


def _median(op: str, x: Any, dim: Any, keepdim: bool, ignore_nan: bool) -> Any:
    x = _tensor(x)
    result = return_types.median if op == "median" else return_types.nanmedian
    flat = dim is None
    if flat:
        x, d = x.reshape(-1), 0
    else:
        d = _dim(op, x, dim, None)
    a = x._data
    n = a.shape[d] if a.ndim else 1
    if n == 0:
        raise ValueError(f"{op}: cannot take the median of an empty dim of shape {x.shape}")
    order = _order(a, d, False)
    if a.ndim == 0:
        order = order.reshape(1)
    if ignore_nan and a.dtype.kind == "f":
        count = np.sum(~np.isnan(a.reshape(order.shape)), axis=d, keepdims=True)
        pos = np.maximum(count - 1, 0) // 2  # all-NaN rows give NaN (the first NaN)
    else:
        pos = np.full((1,) * max(a.ndim, 1), (n - 1) // 2)
        if a.dtype.kind == "f" and a.size:  # a NaN anywhere makes the median NaN: pick it
            has_nan = np.isnan(a).any(axis=d, keepdims=True) if a.ndim else np.isnan(a)[None]
            nans = np.sum(np.isnan(a.reshape(order.shape)), axis=d, keepdims=True)
            pos = np.where(has_nan, n - nans, pos)  # the first NaN (NaNs sort last)
    index = np.take_along_axis(order, pos.astype(np.int64), axis=d if a.ndim else 0)
    if a.ndim == 0:
        index = index.reshape(())
    if flat:
        return EvenShare(a.reshape(-1)[int(index.reshape(-1)[0])])(x)
    return _select(op, x, d, index, keepdim, result)


class EvenShare(operation):
    """A value of x picked by the forward (the median of all elements);  d/dx = grad / n at
    each of the n elements equal to it (the NaNs when it is NaN), PyTorch's rule for the
    median without a dim. The shares are locally constant, so they are kept as an array."""

    def __init__(self, value: np.ndarray) -> None:
        self.value = np.asarray(value)

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        same = x == self.value
        if x.dtype.kind == "f" and np.isnan(self.value):
            same = np.isnan(x)
        self.share = (same / same.sum()).astype(x.dtype if x.dtype.kind == "f" else np.float32)
        return self.value.copy()

    def gradient(self, grad: Any) -> Any:
        return grad * self.share


def median(x: TensorLike, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median: without ``dim`` one value of all of ``x`` (its gradient split evenly
    among the elements equal to it, as PyTorch); with ``dim`` the named tuple
    ``(values, indices)``, the gradient going to the returned index. A NaN in the
    reduced elements gives NaN, as in PyTorch."""
    return _median("median", x, dim, keepdim, False)


def nanmedian(x: TensorLike, dim: int | None = None, keepdim: bool = False) -> Any:
    """``median`` ignoring NaNs (NaN only where every reduced element is NaN)."""
    return _median("nanmedian", x, dim, keepdim, True)


def mode(x: TensorLike, dim: int = -1, keepdim: bool = False) -> Any:
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest of equally
    frequent ones) and the index of its last occurrence, as PyTorch on CPU."""
    x = _tensor(x)
    d = _dim("mode", x, dim, None)
    a = np.moveaxis(x._data.reshape(1) if x.ndim == 0 else x._data, d, -1)
    if a.shape[-1] == 0:
        raise ValueError(f"mode: cannot take the mode of an empty dim of shape {x.shape}")
    rows = a.reshape(-1, a.shape[-1])
    picked = np.empty(rows.shape[0], np.int64)
    for r, row in enumerate(rows):
        values, counts = np.unique(row, return_counts=True)
        best = values[np.argmax(counts)]  # np.unique sorts: the first maximum is the smallest
        same = (row == best) if best == best else (row != row)  # NaN equals only NaN here
        picked[r] = np.flatnonzero(same)[-1]
    index = picked.reshape(a.shape[:-1] + (1,))
    if x.ndim == 0:
        return _select("mode", x, 0, index.reshape(()), keepdim, return_types.mode)
    return _select("mode", x, d, np.moveaxis(index, -1, d), keepdim, return_types.mode)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(
    op: str, x: Any, q: Any, dim: Any, keepdim: bool, interpolation: str, ignore_nan: bool
) -> Tensor:
    x = _tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be a floating-point tensor, got {x.dtype}")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"{op}: interpolation must be one of {_INTERPOLATIONS}, got {interpolation!r}"
        )
    qs = np.asarray(q._data if isinstance(q, Tensor) else q, dtype=np.float64)
    if qs.ndim > 1:
        raise ValueError(f"{op}: q must be a scalar or a 1-D tensor, got shape {qs.shape}")
    if qs.size and (qs.min() < 0 or qs.max() > 1):
        raise ValueError(f"{op}: q must be in [0, 1], got {q}")
    flat, ndim = dim is None, x.ndim
    if flat:
        x, d = x.reshape(-1), 0
    else:
        d = _dim(op, x, dim, None)
        if x.ndim == 0:
            x = x.reshape(1)
    a = x._data
    n = a.shape[d]
    if n == 0:
        raise ValueError(f"{op}: cannot take a quantile of an empty dim of shape {x.shape}")
    order = _order(a, d, False)
    sorted_x = Gather(d, order)(x)
    nan = np.isnan(a)
    count = np.sum(~nan, axis=d, keepdims=True) if ignore_nan else np.full((1,) * a.ndim, n)
    outs = []
    for qv in qs.reshape(-1):
        pos = qv * np.maximum(count - 1, 0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(count - 1, 0)).astype(np.int64)
        frac = pos - lo
        if interpolation == "lower":
            hi, frac = lo, np.zeros_like(frac)
        elif interpolation == "higher":
            lo = np.ceil(pos).astype(np.int64)
            hi, frac = lo, np.zeros_like(frac)
        elif interpolation == "nearest":  # round half to even, as PyTorch (torch.round)
            lo = np.round(pos).astype(np.int64)
            hi, frac = lo, np.zeros_like(frac)
        elif interpolation == "midpoint":
            hi = np.ceil(pos).astype(np.int64)
            frac = np.where(hi > lo, 0.5, 0.0)
        shape = list(a.shape)
        shape[d] = 1
        lo_v = Gather(d, np.broadcast_to(lo, shape).copy())(sorted_x)
        hi_v = Gather(d, np.broadcast_to(hi, shape).copy())(sorted_x)
        out = lo_v + (hi_v - lo_v) * np.broadcast_to(frac, shape).astype(a.dtype)
        # a NaN among the elements makes the quantile NaN (quantile), or all-NaN rows (nan-)
        bad = (count == 0) if ignore_nan else nan.any(axis=d, keepdims=True)
        if bad.any():
            out = _ew.where(bad, np.array(np.nan, a.dtype), out)
        if not keepdim:
            out = out.squeeze(d)
        elif flat:
            out = out.reshape((1,) * ndim)
        outs.append(out)
    if qs.ndim == 0:
        return outs[0]
    from lucid.ops.shape import stack

    return stack(outs, 0)


def quantile(
    x: TensorLike,
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """The ``q``-th quantiles (q a float or 1-D tensor in [0, 1]) along ``dim`` (None: of all
    of ``x``), with PyTorch's interpolations ``linear lower higher midpoint nearest``.

    A 1-D ``q`` puts its axis first. The gradient goes to the one or two order statistics
    used; a NaN in the reduced elements gives NaN, as in PyTorch.
    """
    return _quantile("quantile", x, q, dim, keepdim, interpolation, False)


def nanquantile(
    x: TensorLike,
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """``quantile`` ignoring NaNs (NaN only where every reduced element is NaN)."""
    return _quantile("nanquantile", x, q, dim, keepdim, interpolation, True)


# --------------------------------------------------------------------------- counting (no grad)


def unique(
    x: TensorLike,
    sorted: bool = True,  # noqa: A002 - PyTorch's name
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct elements (or slices along ``dim``), sorted; optionally the inverse
    indices (x's shape, or ``x.shape[dim]``) and the counts, as ``torch.unique``. No gradient."""
    x = _tensor(x)
    a = x._data
    if dim is None:
        out = np.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        inverse = out[1].reshape(a.shape)
    else:
        d = normalize_axis(int(dim), a.ndim, "unique")
        out = np.unique(a, return_inverse=True, return_counts=True, axis=d)
        inverse = out[1].reshape(-1)
    result = [Tensor._wrap(out[0])]
    if return_inverse:
        result.append(Tensor._wrap(inverse.astype(np.int64)))
    if return_counts:
        result.append(Tensor._wrap(out[2].astype(np.int64)))
    return result[0] if len(result) == 1 else tuple(result)


def unique_consecutive(
    x: TensorLike,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """Runs of equal consecutive elements (or slices along ``dim``) collapsed to one, as
    ``torch.unique_consecutive``; optionally inverse indices and run lengths."""
    x = _tensor(x)
    a = x._data
    if dim is None:
        rows, d = a.reshape(-1, 1), None
    else:
        d = normalize_axis(int(dim), a.ndim, "unique_consecutive")
        rows = np.moveaxis(a, d, 0).reshape(a.shape[d] if a.ndim else 1, -1)
    n = rows.shape[0]
    if n == 0:
        starts = np.zeros(0, np.int64)
    else:
        change = np.any(rows[1:] != rows[:-1], axis=1)
        starts = np.concatenate([[0], np.flatnonzero(change) + 1]).astype(np.int64)
    counts = np.diff(np.append(starts, n)).astype(np.int64)
    inverse = np.repeat(np.arange(starts.size, dtype=np.int64), counts)
    if d is None:
        values, inverse = a.reshape(-1)[starts], inverse.reshape(a.shape)
    else:
        values = np.take(a, starts, axis=d)
    result = [Tensor._wrap(values)]
    if return_inverse:
        result.append(Tensor._wrap(inverse))
    if return_counts:
        result.append(Tensor._wrap(counts))
    return result[0] if len(result) == 1 else tuple(result)


def _side(op: str, right: bool, side: str | None) -> str:
    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"{op}: side must be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise ValueError(f"{op}: right=True contradicts side='left'")
        return side
    return "right" if right else "left"


def searchsorted(
    sorted_sequence: TensorLike,
    values: TensorLike,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: TensorLike = None,
) -> Tensor:
    """Indices where ``values`` would be inserted to keep ``sorted_sequence`` sorted along its
    last dim (a 1-D sequence serves every value; else the leading dims must match), as
    ``torch.searchsorted``; ``right``/``side`` pick the side of equal elements."""
    seq, vals = _tensor(sorted_sequence)._data, _tensor(values)._data
    how = _side("searchsorted", right, side)
    if sorter is not None:
        order = _tensor(sorter)._data
        seq = np.take_along_axis(seq, order, axis=-1)
    dtype = np.int32 if out_int32 else np.int64
    if seq.ndim <= 1:
        return Tensor._wrap(np.searchsorted(seq.reshape(-1), vals, side=how).astype(dtype))
    if seq.shape[:-1] != vals.shape[:-1]:
        raise ValueError(
            f"searchsorted: the leading dims of sorted_sequence {seq.shape} and values "
            f"{vals.shape} must match"
        )
    rows_s, rows_v = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
    out = np.stack([np.searchsorted(s, v, side=how) for s, v in zip(rows_s, rows_v, strict=True)])
    return Tensor._wrap(out.reshape(vals.shape).astype(dtype))


def bucketize(
    x: TensorLike, boundaries: TensorLike, *, out_int32: bool = False, right: bool = False
) -> Tensor:
    """The bucket of each element of ``x`` between the 1-D sorted ``boundaries``: i with
    ``boundaries[i-1] < x <= boundaries[i]`` (``right=True``: ``<=`` and ``<``)."""
    b = _tensor(boundaries)
    if b.ndim != 1:
        raise ValueError(f"bucketize: boundaries must be 1-D, got shape {b.shape}")
    return searchsorted(b, x, out_int32=out_int32, right=right)


def histc(
    x: TensorLike,
    bins: int = 100,
    min: float = 0,  # noqa: A002 - PyTorch's names
    max: float = 0,  # noqa: A002
) -> Tensor:
    """Counts of ``x``'s elements in ``bins`` equal bins over ``[min, max]`` (the data's range
    when both are 0); elements outside are ignored; x's dtype, as ``torch.histc``."""
    x = _tensor(x)
    a = x._data
    if a.dtype.kind != "f":
        raise TypeError(f"histc: input must be a floating-point tensor, got {a.dtype}")
    if int(bins) < 1:
        raise ValueError(f"histc: bins must be positive, got {bins}")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise ValueError(f"histc: max {max} must not be below min {min}")
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:  # PyTorch widens an empty range by one on each side
        lo, hi = lo - 1, hi + 1
    counts, _ = np.histogram(a[np.isfinite(a)], bins=int(bins), range=(lo, hi))
    return Tensor._wrap(counts.astype(a.dtype))


def bincount(x: TensorLike, weights: TensorLike = None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, ... occurs in the 1-D non-negative integer ``x`` (summing
    ``weights`` instead of ones when given), at least ``minlength`` long."""
    x = _tensor(x)
    a = x._data
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise TypeError(f"bincount: x must be a 1-D integer tensor, got {a.dtype} of {a.shape}")
    if a.size and a.min() < 0:
        raise ValueError(f"bincount: x must not be negative, got {a.min()}")
    if weights is None:
        return Tensor._wrap(np.bincount(a, minlength=int(minlength)).astype(np.int64))
    w = _tensor(weights)._data
    if w.shape != a.shape:
        raise ValueError(f"bincount: weights of shape {w.shape} for x of shape {a.shape}")
    out = np.bincount(a, weights=w, minlength=int(minlength))
    return Tensor._wrap(out.astype(w.dtype if w.dtype.kind == "f" else np.float64))
