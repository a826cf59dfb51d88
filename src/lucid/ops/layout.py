"""Layout ops of PyTorch's surface, composed from the shape and index ops (so each gradient is
theirs, recorded under ``create_graph`` too): narrow, select, roll, rot90, fliplr, flipud,
unflatten, unfold, meshgrid, cartesian_prod, atleast_*d, hstack/vstack/dstack/column_stack,
the ``*_as`` views, the ``new_*`` factories, and the strided-memory queries."""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from lucid.ops import shape as _shp
from lucid.ops._args import normalize_axis
from lucid.ops.index import getitem, take
from lucid.tensor import Tensor

TensorLike = Any

__all__ = [
    "narrow", "select", "swapdims", "roll", "rot90", "fliplr", "flipud", "unflatten",
    "meshgrid", "cartesian_prod", "atleast_1d", "atleast_2d", "atleast_3d", "hstack",
    "vstack", "dstack", "column_stack", "row_stack", "view_as", "reshape_as", "expand_as",
    "type_as", "t", "numel", "unbind", "ravel", "concat", "broadcast_tensors",
    "broadcast_shapes", "diff", "tril_indices", "triu_indices",
]  # fmt: skip


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _sequence(op: str, tensors: Any) -> list[Tensor]:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    if not isinstance(tensors, Sequence) or isinstance(tensors, Tensor):
        raise TypeError(f"{op}: expected a sequence of tensors")
    return [_tensor(t) for t in tensors]


# --------------------------------------------------------------------------- views


def narrow(x: TensorLike, dim: int, start: int, length: int) -> Tensor:
    """``x`` along ``dim`` from ``start`` (negative counts from the end) for ``length``."""
    x = _tensor(x)
    d = normalize_axis(dim, x.ndim, "narrow")
    n = x.shape[d]
    start = int(start) + (n if int(start) < 0 else 0)
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise IndexError(
            f"narrow: start {start} and length {length} do not fit dim {d} of shape {x.shape}"
        )
    return getitem(x, (slice(None),) * d + (slice(start, start + int(length)),))


def select(x: TensorLike, dim: int, index: int) -> Tensor:
    """``x`` at ``index`` along ``dim``, that dim removed (``x[:, index]`` for dim 1)."""
    x = _tensor(x)
    d = normalize_axis(dim, x.ndim, "select")
    n = x.shape[d]
    if not -n <= int(index) < n:
        raise IndexError(f"select: index {index} is out of range for dim {d} of length {n}")
    return getitem(x, (slice(None),) * d + (int(index),))


def swapdims(x: TensorLike, dim0: int, dim1: int) -> Tensor:
    """``x`` with two dims exchanged (``torch.swapdims``, ``transpose(x, i, j)``)."""
    return _shp.swapaxes(x, dim0, dim1)


def t(x: TensorLike) -> Tensor:
    """The transpose of a tensor of at most 2 dims (0-d and 1-D are returned as they are)."""
    x = _tensor(x)
    if x.ndim > 2:
        raise ValueError(f"t: expects a tensor of at most 2 dims, got shape {x.shape}")
    return _shp.transpose(x) if x.ndim == 2 else x


def view_as(x: TensorLike, other: TensorLike) -> Tensor:
    """``x`` reshaped to ``other``'s shape."""
    return _shp.reshape(x, _tensor(other).shape)


reshape_as = view_as


def expand_as(x: TensorLike, other: TensorLike) -> Tensor:
    """``x`` broadcast to ``other``'s shape."""
    return _shp.broadcast_to(x, _tensor(other).shape)


def type_as(x: TensorLike, other: TensorLike) -> Tensor:
    """``x`` cast to ``other``'s dtype."""
    return _tensor(x).astype(_tensor(other).dtype)


def numel(x: TensorLike) -> int:
    """The number of elements."""
    return _tensor(x).numel()


def unflatten(x: TensorLike, dim: int, sizes: Sequence[int]) -> Tensor:
    """``dim`` of ``x`` split into ``sizes`` (one may be -1), as ``torch.unflatten``."""
    x = _tensor(x)
    d = normalize_axis(dim, x.ndim, "unflatten")
    sizes = tuple(operator.index(s) for s in sizes)
    known = math.prod(s for s in sizes if s != -1)
    if -1 in sizes:
        bad = sizes.count(-1) > 1 or known == 0 or x.shape[d] % known
    else:
        bad = known != x.shape[d]
    if bad:
        raise ValueError(f"unflatten: sizes {sizes} do not multiply to dim {d} of shape {x.shape}")
    return _shp.reshape(x, x.shape[:d] + sizes + x.shape[d + 1 :])


def unfold(x: TensorLike, dimension: int, size: int, step: int) -> Tensor:
    """``Tensor.unfold``: every slice of ``size`` along ``dimension``, ``step`` apart, as a new
    last dim; ``dimension`` keeps the number of slices. Overlaps add up in the gradient."""
    x = _tensor(x)
    if x.ndim == 0:  # PyTorch: a 0-d tensor gives its one window, of shape (size,)
        return unfold(x.reshape(1), dimension, size, step).reshape(-1)
    d = normalize_axis(dimension, x.ndim, "unfold")
    n = x.shape[d]
    if size < 0 or size > n or step < 1:
        raise ValueError(
            f"unfold: size {size} and step {step} do not fit dim {d} of length {n} "
            "(need 0 <= size <= length, step >= 1)"
        )
    starts = np.arange(0, n - size + 1, step)
    index = starts[:, None] + np.arange(size)[None, :]
    windows = take(x, index, d)  # shape[:d] + (count, size) + shape[d + 1:]
    return _shp.moveaxis(windows, d + 1, -1)


# --------------------------------------------------------------------------- rearranging


def roll(x: TensorLike, shifts: Any, dims: Any = None) -> Tensor:
    """``x`` shifted cyclically by ``shifts`` along ``dims`` (None: of the flattened x, shape
    kept), as ``torch.roll``; ``shifts`` and ``dims`` are ints or equal-length tuples."""
    x = _tensor(x)
    if dims is None:
        if not isinstance(shifts, (int, np.integer)):
            if len(shifts) != 1:
                raise ValueError(f"roll: {len(shifts)} shifts need as many dims")
            shifts = shifts[0]
        flat = x.reshape(-1)
        n = flat.shape[0]
        if n == 0:
            return x
        return take(flat, (np.arange(n) - int(shifts)) % n, 0).reshape(x.shape)
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims):
        raise ValueError(f"roll: {len(shifts)} shifts for {len(dims)} dims")
    out = x
    for s, d in zip(shifts, dims, strict=True):
        d = normalize_axis(int(d), x.ndim, "roll")
        n = x.shape[d] if x.ndim else 1
        if n and int(s) % n:
            out = take(out, (np.arange(n) - int(s)) % n, d)
    return out


def rot90(x: TensorLike, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """``x`` rotated by ``k`` quarter turns from ``dims[0]`` towards ``dims[1]``."""
    x = _tensor(x)
    if len(dims) != 2:
        raise ValueError(f"rot90: dims must name two dims, got {tuple(dims)}")
    a, b = (normalize_axis(int(d), x.ndim, "rot90") for d in dims)
    if a == b:
        raise ValueError(f"rot90: dims {tuple(dims)} name one dim twice")
    k = int(k) % 4
    if k == 0:
        return x
    if k == 2:
        return _shp.flip(x, (a, b))
    if k == 1:
        return _shp.swapaxes(_shp.flip(x, b), a, b)
    return _shp.flip(_shp.swapaxes(x, a, b), b)


def fliplr(x: TensorLike) -> Tensor:
    """``x`` reversed along dim 1 (at least 2 dims)."""
    x = _tensor(x)
    if x.ndim < 2:
        raise ValueError(f"fliplr: needs at least 2 dims, got shape {x.shape}")
    return _shp.flip(x, 1)


def flipud(x: TensorLike) -> Tensor:
    """``x`` reversed along dim 0 (at least 1 dim)."""
    x = _tensor(x)
    if x.ndim < 1:
        raise ValueError("flipud: needs at least 1 dim, got a 0-d tensor")
    return _shp.flip(x, 0)


# --------------------------------------------------------------------------- grids and stacks


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids of 1-D (or 0-d) tensors, as ``torch.meshgrid``: ``indexing="ij"``
    (PyTorch's default) gives shape (len0, len1, ...), ``"xy"`` swaps the first two."""
    ts = _sequence("meshgrid", tensors)
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if any(t.ndim > 1 for t in ts):
        raise ValueError(f"meshgrid: expects 0-d or 1-D tensors, got {[t.shape for t in ts]}")
    ts = [t.reshape(-1) for t in ts]
    swap = indexing == "xy" and len(ts) >= 2
    order = list(range(len(ts)))
    if swap:
        order[0], order[1] = 1, 0
    shape = tuple(ts[i].shape[0] for i in order)
    out = []
    for i, t in enumerate(ts):
        pos = order.index(i)
        view = [1] * len(ts)
        view[pos] = t.shape[0]
        out.append(_shp.broadcast_to(t.reshape(view), shape))
    return tuple(out)


def cartesian_prod(*tensors: Any) -> Tensor:
    """Every combination of the 1-D tensors' elements as rows (one tensor: itself)."""
    ts = _sequence("cartesian_prod", tensors)
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return _shp.stack([g.reshape(-1) for g in grids], 1)


def _atleast(n: int, tensors: tuple) -> Any:
    """One tensor for one tensor; a tuple for several or for one list or tuple of them."""
    single = len(tensors) == 1 and not isinstance(tensors[0], (list, tuple))
    out = []
    for t in _sequence(f"atleast_{n}d", tensors):
        if t.ndim < n:
            if n == 3 and t.ndim == 2:
                t = t.reshape(t.shape + (1,))
            elif n == 3 and t.ndim == 1:
                t = t.reshape(1, t.shape[0], 1)
            else:
                t = t.reshape((1,) * (n - t.ndim) + t.shape)
        out.append(t)
    return out[0] if single else tuple(out)


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor with at least 1 dim (0-d becomes (1,))."""
    return _atleast(1, tensors)


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with at least 2 dims (new dims in front)."""
    return _atleast(2, tensors)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with at least 3 dims: (n,) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    return _atleast(3, tensors)


def hstack(tensors: Sequence[TensorLike]) -> Tensor:
    """Joined along dim 1 (dim 0 for 1-D tensors)."""
    ts = _atleast(1, (_sequence("hstack", (tensors,)),))  # a list in: a tuple out
    return _shp.concatenate(list(ts), 0 if ts[0].ndim == 1 else 1)


def vstack(tensors: Sequence[TensorLike]) -> Tensor:
    """Joined along dim 0, 1-D tensors as rows."""
    return _shp.concatenate(list(_atleast(2, (_sequence("vstack", (tensors,)),))), 0)


row_stack = vstack


def dstack(tensors: Sequence[TensorLike]) -> Tensor:
    """Joined along dim 2, after ``atleast_3d``."""
    return _shp.concatenate(list(_atleast(3, (_sequence("dstack", (tensors,)),))), 2)


def column_stack(tensors: Sequence[TensorLike]) -> Tensor:
    """1-D (and 0-d) tensors as columns, joined with 2-D ones along dim 1."""
    ts = _sequence("column_stack", (tensors,))
    cols = [t.reshape(-1, 1) if t.ndim < 2 else t for t in ts]
    return _shp.concatenate(cols, 1)


# --------------------------------------------------------------------------- factories, memory


def stride(x: Tensor, dim: int | None = None) -> Any:
    """Strides in elements (PyTorch's unit, not NumPy's bytes); one dim's with ``dim``."""
    a = x._data
    size = a.itemsize
    strides = tuple(s // size for s in a.strides)
    return strides if dim is None else strides[normalize_axis(dim, a.ndim, "stride")]


# --------------------------------------------------------------------------- more of PyTorch


def unbind(x: TensorLike, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices of ``x`` along ``dim``, that dim removed, as a tuple."""
    x = _tensor(x)
    d = normalize_axis(dim, x.ndim, "unbind")
    if x.ndim == 0:
        raise ValueError("unbind: a 0-d tensor has no dim to unbind")
    return tuple(_shp.squeeze(p, d) for p in _shp.split(x, 1, d)) if x.shape[d] else ()


def ravel(x: TensorLike) -> Tensor:
    """``x`` as a 1-D tensor (``flatten``)."""
    return _shp.flatten(x)


concat = _shp.concatenate


def broadcast_shapes(*shapes: Any) -> tuple[int, ...]:
    """The shape that ``shapes`` broadcast to (ValueError naming them when they do not)."""
    try:
        return tuple(
            np.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s) for s in shapes])
        )
    except ValueError:
        raise ValueError(f"broadcast_shapes: shapes {shapes} do not broadcast together") from None


def broadcast_tensors(*tensors: TensorLike) -> tuple[Tensor, ...]:
    """The tensors broadcast to their common shape (read-only views)."""
    ts = _sequence("broadcast_tensors", tensors)
    shape = broadcast_shapes(*[t.shape for t in ts])
    return tuple(_shp.broadcast_to(t, shape) for t in ts)


def diff(
    x: TensorLike, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None
) -> Tensor:
    """The ``n``-th forward difference along ``dim`` (``prepend``/``append`` joined first)."""
    x = _tensor(x)
    if x.ndim == 0:
        raise ValueError("diff: needs at least 1 dim, got a 0-d tensor")
    d = normalize_axis(dim, x.ndim, "diff")
    parts = [p for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        x = _shp.concatenate([_tensor(p) for p in parts], d)
    for _ in range(int(n)):
        m = x.shape[d]
        if m == 0:
            break
        hi = getitem(x, (slice(None),) * d + (slice(1, m),))
        lo = getitem(x, (slice(None),) * d + (slice(0, m - 1),))
        x = hi - lo
    return x


def _triangle_indices(op: str, row: int, col: int, offset: int, lower: bool) -> Tensor:
    if row < 0 or col < 0:
        raise ValueError(f"{op}: row {row} and col {col} must not be negative")
    keep = (
        np.tri(row, col, offset, dtype=bool)
        if lower
        else ~np.tri(row, col, offset - 1, dtype=bool)
    )
    return Tensor._wrap(np.stack(np.nonzero(keep)).astype(np.int64))


def tril_indices(row: int, col: int, offset: int = 0, **kwargs: Any) -> Tensor:
    """The (2, n) row and column indices of the lower triangle of a row x col matrix."""
    return _triangle_indices("tril_indices", row, col, offset, True)


def triu_indices(row: int, col: int, offset: int = 0, **kwargs: Any) -> Tensor:
    """The (2, n) row and column indices of the upper triangle of a row x col matrix."""
    return _triangle_indices("triu_indices", row, col, offset, False)
