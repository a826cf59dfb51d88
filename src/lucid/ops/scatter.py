"""Writing into positions: scatter, scatter_reduce, index_add/fill/copy/put, masked_fill,
masked_select, masked_scatter, take_along_dim, nonzero and argwhere.

The out-of-place ops are differentiable (the in-place ``_`` forms are for tensors outside the
graph, as ``lucid.ops.inplace``). Positions are flat C-order offsets into the result, found
once in NumPy: overwritten positions get no gradient from ``x``; each source element gets the
gradient of the position it went to.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._graph import func_op, operation
from lucid.ops import _xp
from lucid.ops import elementwise as _ew
from lucid.ops._args import normalize_axis
from lucid.ops.index import (
    Gather,
    Scatter,
    ScatterAdd,
    _flat_positions,
    _gather_index,
    _in_range,
    _index_array,
    getitem,
    setitem,
)
from lucid.ops.inplace import check_writable
from lucid.tensor import Tensor

TensorLike = Any

__all__ = [
    "scatter", "scatter_reduce", "index_add", "index_fill", "index_copy", "index_put",
    "masked_fill", "masked_select", "masked_scatter", "take_along_dim", "nonzero", "argwhere",
    "scatter_", "index_put_", "masked_fill_", "scatter_add_", "scatter_reduce_", "index_add_",
    "index_copy_", "index_fill_", "masked_scatter_",
]  # fmt: skip


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _src_gradient(grad: Any, flat: np.ndarray, src_shape: tuple, corner: tuple) -> Any:
    """grad at the positions the src elements went to, zero where index is shorter than src."""
    picked = grad.reshape(-1)[flat]
    if picked.shape == src_shape:
        return picked
    if isinstance(grad, Tensor):
        return Scatter(corner, src_shape)(picked)
    out = np.zeros(src_shape, dtype=grad.dtype)
    out[corner] = picked
    return out


class ScatterSet(operation):
    """out = x, then out[i, index[i, j, k], k] = src[i, j, k] (dim 1);  d/dx = grad where
    nothing was written, d/dsrc = grad at the position each element went to."""

    def __init__(self, dim: int, index: np.ndarray) -> None:
        self.dim, self.index = dim, index

    @func_op(2)
    def forward(self, x: np.ndarray, src: np.ndarray) -> np.ndarray:
        self.flat = _flat_positions(self.index, self.dim, x.shape)
        self.corner = tuple(slice(0, n) for n in self.index.shape)
        self.src_shape = src.shape
        out = x.copy()
        values = np.broadcast_to(src, self.index.shape) if src.ndim == 0 else src[self.corner]
        out.reshape(-1)[self.flat.reshape(-1)] = values.reshape(-1)
        self.kept = np.ones(x.shape, bool)
        self.kept.reshape(-1)[self.flat.reshape(-1)] = False
        return out

    def gradient(self, grad: Any) -> tuple:
        to_x = _xp.where(self.kept, grad, 0)
        if len(self.src_shape) == 0:  # a value: the sum of the written positions' gradients
            return to_x, grad.reshape(-1)[self.flat.reshape(-1)].sum()
        return to_x, _src_gradient(grad, self.flat, self.src_shape, self.corner)


def scatter(
    x: TensorLike,
    dim: int,
    index: Any,
    src: Any = None,
    *,
    value: Any = None,
    reduce: str | None = None,
) -> Tensor:
    """``torch.scatter`` (out of place): x with ``src[i, j, k]`` (or ``value``) written at
    ``[i, index[i, j, k], k]`` (``dim=1``).

    ``reduce='add'`` or ``'multiply'`` combine instead of overwrite (see ``scatter_reduce``).
    Where ``index`` repeats a position the last write wins (PyTorch leaves it unspecified).
    """
    x = _tensor(x)
    if src is not None and value is not None:
        raise TypeError("scatter: pass src or value, not both")
    if src is not None and not isinstance(src, Tensor) and np.ndim(src) == 0:
        src, value = None, src  # torch.scatter(x, dim, index, 1.5): a value
    if src is None and value is None:
        raise TypeError("scatter: pass src (a tensor) or value (a number)")
    if reduce is not None:
        names = {"add": "sum", "multiply": "prod"}
        if reduce not in names:
            raise ValueError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
        if src is None:
            src = Tensor._wrap(np.full(_index_array("scatter", index).shape, value, x.dtype))
        return scatter_reduce(x, dim, index, src, names[reduce])
    if src is None:
        src = Tensor._wrap(np.asarray(value, dtype=x.dtype))
        dim, idx = _gather_index("scatter", x, dim, index, None)
    else:
        src = _tensor(src)
        dim, idx = _gather_index("scatter", x, dim, index, src.shape)
        if src.dtype != x.dtype:
            raise TypeError(f"scatter: src of dtype {src.dtype} into x of dtype {x.dtype}")
    return ScatterSet(dim, idx)(x, src)


class ScatterReduce(operation):
    """out = reduce of x (if include_self) and the src elements sent to each position.

    Gradients (PyTorch's): sum: grad to both; mean: grad / count; amax/amin: grad split evenly
    among the elements equal to the result; prod: grad * out / element (inputs without zeros).
    """

    double_backward = False  # the saved counts and ties are arrays, not recorded functions

    def __init__(self, dim: int, index: np.ndarray, reduce: str, include_self: bool) -> None:
        self.dim, self.index, self.reduce, self.include_self = dim, index, reduce, include_self

    @func_op(2)
    def forward(self, x: np.ndarray, src: np.ndarray) -> np.ndarray:
        flat = self.flat = _flat_positions(self.index, self.dim, x.shape).reshape(-1)
        self.corner = tuple(slice(0, n) for n in self.index.shape)
        self.src_shape = src.shape
        values = src[self.corner].reshape(-1)
        touched = np.zeros(x.size, bool)
        touched[flat] = True
        self.touched = touched.reshape(x.shape)
        out = x.copy().reshape(-1)
        r = self.reduce
        if not self.include_self:  # the reduction's identity where src arrives
            identity = {"sum": 0, "mean": 0, "prod": 1}.get(r)
            if identity is None:
                identity = -np.inf if r == "amax" else np.inf
                if x.dtype.kind != "f":
                    info = np.iinfo(x.dtype)
                    identity = info.min if r == "amax" else info.max
            out[touched] = identity
        ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
                 "amin": np.minimum}[r]  # fmt: skip
        ufunc.at(out, flat, values)
        count = np.zeros(x.size, np.int64)
        np.add.at(count, flat, 1)
        if self.include_self:
            count += 1
        self.count = count.reshape(x.shape)
        if r == "mean":
            safe = np.maximum(count, 1)
            out = out / safe if x.dtype.kind == "f" else out // safe
            out = np.where(touched, out, x.reshape(-1)).astype(x.dtype)
        out = out.reshape(x.shape)
        self.save_for_backward(x, src, out)
        return out

    def gradient(self, grad: np.ndarray) -> tuple:
        x, src, out = self.saved_tensors
        flat, corner, r = self.flat, self.corner, self.reduce
        values = src[corner].reshape(-1)
        self_part = self.include_self | ~self.touched  # where x itself reaches the result
        if r == "sum":
            to_x, to_src = np.where(self_part, grad, 0), grad.reshape(-1)[flat]
        elif r == "mean":
            g = grad / np.maximum(self.count, 1)
            to_x = np.where(self.touched, np.where(self_part, g, 0), grad)
            to_src = g.reshape(-1)[flat]
        elif r == "prod":
            if (values == 0).any() or (x[self.touched] == 0).any():
                raise NotImplementedError(
                    "scatter_reduce: the gradient of reduce='prod' with zeros in x or src is "
                    "not supported"
                )
            with np.errstate(divide="ignore", invalid="ignore"):
                to_x = np.where(self.touched, np.where(self_part, grad * out / x, 0), grad)
                to_src = (grad * out).reshape(-1)[flat] / values
        else:  # amax, amin: split among the elements equal to the result
            ties = np.zeros(out.size, np.int64)
            np.add.at(ties, flat, values == out.reshape(-1)[flat])
            # x counts among the ties even when not included: PyTorch's (quirky) rule
            ties = ties.reshape(out.shape) + (x == out)
            share = grad / np.maximum(ties, 1)
            to_x = np.where(self.touched, np.where(self_part & (x == out), share, 0), grad)
            to_src = np.where(values == out.reshape(-1)[flat], share.reshape(-1)[flat], 0)
        padded = np.zeros(self.src_shape, dtype=grad.dtype)
        padded[corner] = to_src.reshape(self.index.shape)
        return to_x, padded


_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(
    x: TensorLike, dim: int, index: Any, src: TensorLike, reduce: str, *, include_self: bool = True
) -> Tensor:
    """``torch.scatter_reduce``: x with the ``src`` elements sent to ``[i, index[i, j, k], k]``
    (``dim=1``) combined by ``reduce`` (sum, prod, mean, amax, amin), including x's own value
    unless ``include_self=False``. Differentiable in x and src, with PyTorch's gradients."""
    x, src = _tensor(x), _tensor(src)
    if reduce not in _REDUCES:
        raise ValueError(f"scatter_reduce: reduce must be one of {_REDUCES}, got {reduce!r}")
    if src.dtype != x.dtype:
        raise TypeError(f"scatter_reduce: src of dtype {src.dtype} into x of dtype {x.dtype}")
    dim, idx = _gather_index("scatter_reduce", x, dim, index, src.shape)
    return ScatterReduce(dim, idx, reduce, include_self)(x, src)


def _expanded_index(op: str, x: Tensor, dim: int, index: Any, source_shape: tuple) -> tuple:
    """index_* ops name one position along ``dim`` per source slice: as a gather-style index
    of source's shape (checked against x)."""
    idx = _index_array(op, index)
    if idx.ndim > 1:
        raise ValueError(f"{op}: index must be 1-D, got shape {idx.shape}")
    dim = normalize_axis(dim, max(x.ndim, 1), op)
    n = x.shape[dim] if x.ndim else 1
    idx = _in_range(op, idx.reshape(-1), n, dim)
    expected = x.shape[:dim] + (idx.size,) + x.shape[dim + 1 :]
    if source_shape is not None and tuple(source_shape) != expected:
        raise ValueError(
            f"{op}: source of shape {tuple(source_shape)} for x of shape {x.shape} and "
            f"{idx.size} indices along dim {dim}: expected {expected}"
        )
    shape = [1] * max(x.ndim, 1)
    shape[dim] = idx.size
    return dim, np.broadcast_to(idx.reshape(shape), expected).copy()


def index_add(
    x: TensorLike, dim: int, index: Any, source: TensorLike, *, alpha: Any = 1
) -> Tensor:
    """``torch.index_add``: x with ``alpha * source``'s slices added at ``index`` along ``dim``
    (repeated indices add up); differentiable in x and source."""
    x, source = _tensor(x), _tensor(source)
    dim, idx = _expanded_index("index_add", x, dim, index, source.shape)
    return ScatterAdd(dim, idx)(x, source if alpha == 1 else source * alpha)


def index_copy(x: TensorLike, dim: int, index: Any, source: TensorLike) -> Tensor:
    """``torch.index_copy``: x with ``source``'s slices written at ``index`` along ``dim``."""
    x, source = _tensor(x), _tensor(source)
    dim, idx = _expanded_index("index_copy", x, dim, index, source.shape)
    return ScatterSet(dim, idx)(x, source)


def index_fill(x: TensorLike, dim: int, index: Any, value: Any) -> Tensor:
    """``torch.index_fill``: x with the slices at ``index`` along ``dim`` set to ``value``
    (a number or a 0-d tensor, which gets the gradient of every filled element)."""
    x = _tensor(x)
    dim, idx = _expanded_index("index_fill", x, dim, index, None)
    mask = np.zeros(x.shape, bool)
    if x.ndim:
        np.put_along_axis(mask, idx, True, axis=dim)
    else:
        mask[...] = idx.size > 0
    return masked_fill(x, mask, value)


def index_put(x: TensorLike, indices: Any, values: TensorLike, accumulate: bool = False) -> Tensor:
    """``torch.index_put``: x with ``values`` written (or added, ``accumulate=True``) at
    ``x[indices]`` (a tuple of index tensors); differentiable in x and values."""
    x, values = _tensor(x), _tensor(values)
    key = tuple(indices) if isinstance(indices, (tuple, list)) else (indices,)
    shape = getitem(Tensor._wrap(x._data), key).shape
    placed = Scatter(_norm_key(key), x.shape)(_broadcast(values, shape))
    if accumulate:
        return x + placed
    written = np.zeros(x.shape, bool)
    written[_norm_key(key)] = True
    return _ew.where(written, placed, x)


def _norm_key(key: tuple) -> tuple:
    return tuple(k._data if isinstance(k, Tensor) else np.asarray(k) for k in key)


def _broadcast(value: Tensor, shape: tuple) -> Tensor:
    if value.shape == tuple(shape):
        return value
    from lucid.ops.shape import broadcast_to

    return broadcast_to(value, shape)


def masked_fill(x: TensorLike, mask: Any, value: Any) -> Tensor:
    """``value`` where the bool ``mask`` (broadcast to x) is true, else x; x's dtype and shape.

    A 0-d tensor ``value`` gets the gradient of every filled element, as in PyTorch.
    """
    x = _tensor(x)
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got {m.dtype}")
    try:
        m = np.broadcast_to(m, x.shape)
    except ValueError:
        raise ValueError(
            f"masked_fill: mask of shape {m.shape} does not broadcast to {x.shape}"
        ) from None
    if isinstance(value, Tensor):
        if value.ndim:
            raise ValueError(
                f"masked_fill: value must be a number or a 0-d tensor, got {value.shape}"
            )
        value = value if value.dtype == x.dtype else value.astype(x.dtype)
    else:
        value = Tensor._wrap(np.asarray(value, dtype=x.dtype))
    return _ew.where(m, value, x)


def masked_select(x: TensorLike, mask: Any) -> Tensor:
    """The 1-D tensor of x's elements where ``mask`` is true (both broadcast together)."""
    x = _tensor(x)
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_select: mask must be a bool tensor, got {m.dtype}")
    shape = np.broadcast_shapes(x.shape, m.shape)
    return getitem(_broadcast(x, shape), np.broadcast_to(m, shape))


def masked_scatter(x: TensorLike, mask: Any, source: TensorLike) -> Tensor:
    """x with the true positions of ``mask`` (broadcast to x) filled, in order, by the first
    elements of ``source``; differentiable in x and source."""
    x, source = _tensor(x), _tensor(source)
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_scatter: mask must be a bool tensor, got {m.dtype}")
    m = np.broadcast_to(m, x.shape)
    n = int(m.sum())
    if n > source.numel():
        raise ValueError(
            f"masked_scatter: mask has {n} true elements, source only {source.numel()}"
        )
    taken = source.reshape(-1)[:n]
    return _ew.where(m, Scatter((m,), x.shape)(taken), x)


def take_along_dim(x: TensorLike, indices: Any, dim: int | None = None) -> Tensor:
    """``torch.take_along_dim``: ``x`` and ``indices`` broadcast except along ``dim``, then
    gathered (``dim=None``: from the flattened x); negative indices count from the end."""
    x = _tensor(x)
    idx = _index_array("take_along_dim", indices)
    if dim is None:
        from lucid.ops.index import take

        return take(x, idx.reshape(-1))
    dim = normalize_axis(dim, x.ndim, "take_along_dim")
    if idx.ndim != x.ndim:
        raise ValueError(
            f"take_along_dim: indices of shape {idx.shape} need x's {x.ndim} dims ({x.shape})"
        )
    xs, js = list(x.shape), list(idx.shape)
    xs[dim] = js[dim] = 1
    common = list(np.broadcast_shapes(tuple(xs), tuple(js)))
    xb = _broadcast(x, tuple(common[:dim] + [x.shape[dim]] + common[dim + 1 :]))
    idx = np.broadcast_to(idx, tuple(common[:dim] + [idx.shape[dim]] + common[dim + 1 :]))
    idx = _in_range("take_along_dim", idx, x.shape[dim], dim)
    return Gather(dim, np.ascontiguousarray(idx))(xb)


def nonzero(x: TensorLike, *, as_tuple: bool = False) -> Any:
    """Indices of the nonzero elements: an (n, ndim) int64 tensor, or with ``as_tuple`` one
    1-D tensor per dim (a 0-d x counts as 1-D, as PyTorch)."""
    a = _tensor(x)._data
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(a)))
    return Tensor._wrap(np.argwhere(a).astype(np.int64))


def argwhere(x: TensorLike) -> Tensor:
    """``nonzero(x)``: the (n, ndim) indices of the nonzero elements."""
    return nonzero(x)


# --------------------------------------------------------------------------- in place


def _write_back(op: str, x: Tensor, out: Tensor, *values: Any) -> Tensor:
    """Store an out-of-place result into x (a tensor outside the graph); returns x."""
    check_writable(op, x, *[v for v in values if isinstance(v, Tensor)][:1])
    x._data[...] = out._data
    x._version += 1
    return x


def scatter_(x: Tensor, dim: int, index: Any, src: Any = None, **kwargs: Any) -> Tensor:
    """``scatter`` into x in place (tensors outside the graph); returns x."""
    return _write_back("scatter_", x, scatter(x, dim, index, src, **kwargs), src)


def scatter_add_(x: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    """``scatter_add`` into x in place; returns x."""
    from lucid.ops.index import scatter_add

    return _write_back("scatter_add_", x, scatter_add(x, dim, index, src), src)


def scatter_reduce_(
    x: Tensor, dim: int, index: Any, src: Any, reduce: str, **kwargs: Any
) -> Tensor:
    """``scatter_reduce`` into x in place; returns x."""
    out = scatter_reduce(x, dim, index, src, reduce, **kwargs)
    return _write_back("scatter_reduce_", x, out, src)


def index_add_(x: Tensor, dim: int, index: Any, source: Any, **kwargs: Any) -> Tensor:
    """``index_add`` into x in place; returns x."""
    return _write_back("index_add_", x, index_add(x, dim, index, source, **kwargs), source)


def index_copy_(x: Tensor, dim: int, index: Any, source: Any) -> Tensor:
    """``index_copy`` into x in place; returns x."""
    return _write_back("index_copy_", x, index_copy(x, dim, index, source), source)


def index_fill_(x: Tensor, dim: int, index: Any, value: Any) -> Tensor:
    """``index_fill`` into x in place; returns x."""
    return _write_back("index_fill_", x, index_fill(x, dim, index, value), value)


def masked_scatter_(x: Tensor, mask: Any, source: Any) -> Tensor:
    """``masked_scatter`` into x in place; returns x."""
    return _write_back("masked_scatter_", x, masked_scatter(x, mask, source), source)


def index_put_(x: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    """``index_put`` in place (tensors outside the graph); repeated indices add up when
    ``accumulate``; returns x."""
    check_writable("index_put_", x, values)
    key = _norm_key(tuple(indices) if isinstance(indices, (tuple, list)) else (indices,))
    v = values._data if isinstance(values, Tensor) else np.asarray(values)
    if accumulate:
        np.add.at(x._data, key, v)
        x._version += 1
    else:
        setitem(x, key, v)
    return x


def masked_fill_(x: Tensor, mask: Any, value: Any) -> Tensor:
    """``masked_fill`` in place (tensors outside the graph); returns x."""
    return _write_back("masked_fill_", x, masked_fill(x, mask, value), value)
