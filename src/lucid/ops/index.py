"""Indexing ops: ``x[key]``, ``take``, ``index_select``, ``gather``, ``scatter_add``.

Every gradient here is a scatter: the upstream gradient goes back to the elements that were
picked. Where an element can be picked twice (integer arrays), the copies' gradients must add
up, which ``kernels.index.index_add`` does (``x[[0, 0, 2]]`` gives x the gradient
``[2, 0, 1] * grad``). Keys that pick each element at most once (ints, slices, None, ``...``,
boolean masks) scatter with a plain assignment.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lucid._graph import func_op, operation, unary_func_op
from lucid.kernels import index as K
from lucid.ops._args import normalize_axis
from lucid.ops.inplace import check_writable
from lucid.tensor import Tensor

TensorLike = Any

__all__ = ["take", "index_select", "gather", "scatter_add"]


# --------------------------------------------------------------------------- x[key]


def _key_part(k: Any) -> Any:
    """One entry of a key with tensors and lists turned into arrays."""
    if isinstance(k, Tensor):
        return k._data
    if isinstance(k, list):
        a = np.asarray(k)
        return a if a.size else a.astype(np.intp)  # x[[]] picks nothing
    return k


def _normalize_key(key: Any) -> Any:
    return tuple(_key_part(k) for k in key) if isinstance(key, tuple) else _key_part(key)


def _is_int_array(k: Any) -> bool:
    """An integer array of at least one axis: the only key entry that may repeat an element."""
    return isinstance(k, np.ndarray) and k.dtype.kind in "iu" and k.ndim > 0


def _single_axis(key: Any) -> int | None:
    """The axis of the one integer array in ``key`` when every other entry is ``:`` (or a
    trailing ``...``): then ``x[key]`` is ``np.take`` along that axis. None otherwise."""
    parts = key if isinstance(key, tuple) else (key,)
    arrays = [i for i, k in enumerate(parts) if _is_int_array(k)]
    if len(arrays) != 1:
        return None
    axis = arrays[0]
    full = slice(None)
    if any(not (isinstance(k, slice) and k == full) for k in parts[:axis]):
        return None
    if any(not (k is Ellipsis or (isinstance(k, slice) and k == full)) for k in parts[axis + 1 :]):
        return None
    return axis


class GetItem(operation):
    """x[key];  the gradient is zero except at the picked elements, where the gradients of
    every copy of an element add up."""

    def __init__(self, key: Any) -> None:
        self.key = key

    def _plan(self) -> None:
        """How to pick and scatter: ``unique`` when no element can be picked twice; ``axis``
        and ``index`` when the key is one integer array along one axis (``np.take``)."""
        parts = self.key if isinstance(self.key, tuple) else (self.key,)
        self.unique = not any(_is_int_array(k) for k in parts)
        self.axis = None if self.unique else _single_axis(self.key)
        self.index = parts[self.axis] if self.axis is not None else None

    def _pick(self, x: np.ndarray) -> np.ndarray:
        try:
            if self.axis is not None:
                return np.take(x, self.index, axis=self.axis)
            out = x[self.key]
        except IndexError as exc:
            raise IndexError(f"getitem: {exc} (tensor of shape {x.shape})") from None
        return out if isinstance(out, np.ndarray) else np.asarray(out)

    def _scatter(self, grad: np.ndarray) -> np.ndarray:
        out = np.zeros(self.shape, dtype=grad.dtype)
        if self.unique:
            out[self.key] = grad
        elif self.axis is not None:
            K.index_add(
                out,
                self.axis,
                self.index.reshape(-1),
                _rows(grad, self.shape, self.axis, self.index.size),
            )
        else:  # any mix: number the elements of x, pick the numbers, scatter-add to them
            source = np.arange(out.size).reshape(self.shape)[self.key]
            K.index_add(out.reshape(-1), 0, source.reshape(-1), grad.reshape(-1))
        return out

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        self._plan()
        return self._pick(x)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        if isinstance(grad, Tensor):  # the scatter as an op, so that it is recorded
            return Scatter(self.key, self.shape)(grad)
        return self._scatter(grad)


class Scatter(GetItem):
    """zeros of ``shape`` with g added at [key] (copies of an element add up): the adjoint of
    x[key], which is GetItem's gradient as an op;  d/dg = grad[key]."""

    def __init__(self, key: Any, shape: tuple[int, ...]) -> None:
        self.key, self.shape = key, shape

    @unary_func_op()
    def forward(self, g: np.ndarray) -> np.ndarray:
        self._plan()
        return self._scatter(g)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        if isinstance(grad, Tensor):
            return GetItem(self.key)(grad)
        return self._pick(grad)


def _rows(grad: np.ndarray, shape: tuple, axis: int, n: int) -> np.ndarray:
    """``grad`` of a take of ``n`` indices along ``axis``, the index axes merged into one
    (their length given, not -1, which is ambiguous for empty arrays)."""
    return grad.reshape(shape[:axis] + (n,) + shape[axis + 1 :])


def getitem(x: TensorLike, key: Any) -> Tensor:
    """``x[key]`` as NumPy indexes: ints, slices (any step), None, ``...``, integer arrays,
    lists or tensors, boolean masks, and mixes of them; differentiable in x.

    Basic indexing gives a view of x's data, as in PyTorch and NumPy.
    """
    return GetItem(_normalize_key(key))(x)


def setitem(x: Tensor, key: Any, value: Any) -> None:
    """``x[key] = value`` in place, for tensors outside the graph (see ``lucid.ops.inplace``).

    Bumps ``x._version``; ``value`` broadcasts to ``x[key]`` and is cast to x's dtype.
    """
    check_writable("setitem", x, value)
    v = value._data if isinstance(value, Tensor) else value
    try:
        x._data[_normalize_key(key)] = v
    except IndexError as exc:
        raise IndexError(f"setitem: {exc} (tensor of shape {x.shape})") from None
    except ValueError as exc:
        raise ValueError(f"setitem: {exc} (tensor of shape {x.shape})") from None
    x._version += 1


# --------------------------------------------------------------------------- take, gather


def _index_array(op: str, index: Any) -> np.ndarray:
    a = index._data if isinstance(index, Tensor) else np.asarray(index)
    if a.dtype.kind not in "iu":
        if a.size == 0:
            return a.astype(np.intp)
        raise TypeError(f"{op}: index must hold integers, got dtype {a.dtype}")
    return a


def _in_range(op: str, index: np.ndarray, n: int, axis: Any) -> np.ndarray:
    """``index`` with negative entries counted from the end; IndexError outside ``[-n, n)``."""
    if index.size == 0:
        return index.astype(np.intp)
    lo, hi = index.min(), index.max()
    if lo < -n or hi >= n:
        bad = lo if lo < -n else hi
        raise IndexError(f"{op}: index {bad} is out of range for axis {axis} of length {n}")
    return np.where(index < 0, index + n, index) if lo < 0 else index.astype(np.intp, copy=False)


class Take(operation):
    """np.take(x, index, axis);  the gradient scatter-adds grad to the picked elements."""

    def __init__(self, index: np.ndarray, axis: int | None) -> None:
        self.index, self.axis = index, axis

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        if self.axis is None:
            return np.take(x.reshape(-1), self.index)
        return np.take(x, self.index, axis=self.axis)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        if isinstance(grad, Tensor):  # the scatter as an op, so that it is recorded
            if self.axis is None:
                return Scatter((self.index,), (math.prod(self.shape),))(grad).reshape(self.shape)
            return Scatter((slice(None),) * self.axis + (self.index,), self.shape)(grad)
        out = np.zeros(self.shape, dtype=grad.dtype)
        if self.axis is None:
            K.index_add(out.reshape(-1), 0, self.index.reshape(-1), grad.reshape(-1))
        else:
            K.index_add(
                out,
                self.axis,
                self.index.reshape(-1),
                _rows(grad, self.shape, self.axis, self.index.size),
            )
        return out


def take(x: TensorLike, indices: Any, axis: int | None = None) -> Tensor:
    """``np.take``: the elements at ``indices`` along ``axis`` (None: of the flattened x).

    The result has shape ``x.shape[:axis] + indices.shape + x.shape[axis + 1:]``; negative
    indices count from the end. With ``axis=None`` this is ``torch.take``.
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    index = _index_array("take", indices)
    if axis is None:
        return Take(_in_range("take", index, x.size, None), None)(x)
    axis = normalize_axis(axis, x.ndim, "take")
    if x.ndim == 0:
        x = x.reshape(1)
    return Take(_in_range("take", index, x.shape[axis], axis), axis)(x)


def index_select(x: TensorLike, dim: int, index: Any) -> Tensor:
    """``torch.index_select``: the slices of x at ``index`` along ``dim``.

    Along dim 0 this is an embedding lookup: ``np.take`` forward, the compiled scatter-add
    backward. Lucid also accepts an index of several axes (as ``take``), which PyTorch does not.
    """
    return take(x, index, dim)


def _gather_index(op: str, x: Tensor, dim: int, index: Any, src_shape: tuple | None) -> tuple:
    """Check PyTorch's rules for gather/scatter_add; return (dim, index in range)."""
    index = _index_array(op, index)
    if x.ndim == 0:
        raise ValueError(f"{op}: x must have at least one axis, got a 0-d tensor")
    dim = normalize_axis(dim, x.ndim, op)
    if index.ndim != x.ndim:
        raise ValueError(
            f"{op}: index of shape {index.shape} must have as many axes as x of shape {x.shape}"
        )
    if any(i > n for d, (i, n) in enumerate(zip(index.shape, x.shape, strict=True)) if d != dim):
        raise ValueError(
            f"{op}: index of shape {index.shape} is larger than x of shape {x.shape} "
            f"outside dim {dim}"
        )
    if src_shape is not None and (
        len(src_shape) != index.ndim
        or any(i > n for i, n in zip(index.shape, src_shape, strict=True))
    ):
        raise ValueError(f"{op}: index of shape {index.shape} is larger than src of {src_shape}")
    return dim, _in_range(op, index, x.shape[dim], dim)


def _flat_positions(index: np.ndarray, dim: int, shape: tuple) -> np.ndarray:
    """Flat C-order positions, in an array of ``shape``, of the elements gather picks."""
    strides = [math.prod(shape[d + 1 :]) for d in range(len(shape))]
    flat = index.astype(np.intp) * strides[dim]
    for d, n in enumerate(index.shape):
        if d != dim:
            coord = np.arange(n).reshape((-1,) + (1,) * (index.ndim - 1 - d))
            flat = flat + coord * strides[d]
    return flat


class Gather(operation):
    """out[i, j, k] = x[i, index[i, j, k], k] (dim 1);  the gradient scatter-adds grad back."""

    def __init__(self, dim: int, index: np.ndarray) -> None:
        self.dim, self.index = dim, index

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        # PyTorch lets index be shorter than x outside dim: gather from that corner of x
        corner = tuple(
            slice(None) if d == self.dim else slice(0, n) for d, n in enumerate(self.index.shape)
        )
        return np.take_along_axis(x[corner], self.index, axis=self.dim)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        flat = _flat_positions(self.index, self.dim, self.shape)
        if isinstance(grad, Tensor):  # the scatter as an op, so that it is recorded
            return Scatter((flat,), (math.prod(self.shape),))(grad).reshape(self.shape)
        out = np.zeros(self.shape, dtype=grad.dtype)
        K.index_add(out.reshape(-1), 0, flat.reshape(-1), grad.reshape(-1))
        return out


class ScatterAdd(operation):
    """out = x, then out[i, index[i, j, k], k] += src[i, j, k] (dim 1);  d/dx = grad and
    d/dsrc = grad at the positions each src element went to (zero where index is shorter)."""

    def __init__(self, dim: int, index: np.ndarray) -> None:
        self.dim, self.index = dim, index

    @func_op(2)
    def forward(self, x: np.ndarray, src: np.ndarray) -> np.ndarray:
        if not np.can_cast(src.dtype, x.dtype, "same_kind"):
            raise TypeError(f"scatter_add: src of dtype {src.dtype} cannot be added to {x.dtype}")
        self.flat = _flat_positions(self.index, self.dim, x.shape)
        self.src_shape = src.shape
        self.corner = tuple(slice(0, n) for n in self.index.shape)
        out = x.copy()
        K.index_add(out.reshape(-1), 0, self.flat.reshape(-1), src[self.corner].reshape(-1))
        return out

    def gradient(self, grad: np.ndarray) -> tuple:
        to_src = None
        if self.parents[1].requires_grad:
            to_src = grad.reshape(-1)[self.flat]
            if to_src.shape != self.src_shape and isinstance(grad, Tensor):
                to_src = Scatter(self.corner, self.src_shape)(to_src)
            elif to_src.shape != self.src_shape:
                padded = np.zeros(self.src_shape, dtype=grad.dtype)
                padded[self.corner] = to_src
                to_src = padded
        return grad, to_src


def gather(x: TensorLike, dim: int, index: Any) -> Tensor:
    """``torch.gather``: ``out[i, j, k] = x[i, index[i, j, k], k]`` for ``dim=1``.

    ``index`` has x's number of axes and is no longer than x outside ``dim``; the result has
    index's shape and x's dtype. Negative indices count from the end (PyTorch refuses them).
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    dim, index = _gather_index("gather", x, dim, index, None)
    return Gather(dim, index)(x)


def scatter_add(x: TensorLike, dim: int, index: Any, src: TensorLike) -> Tensor:
    """``torch.scatter_add`` (out of place): x with ``src[i, j, k]`` added at
    ``[i, index[i, j, k], k]`` (``dim=1``); repeated positions add up.

    Differentiable in x and src; the result has x's shape and dtype.
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    src_shape = src.shape if isinstance(src, Tensor) else np.shape(src)
    dim, index = _gather_index("scatter_add", x, dim, index, tuple(src_shape))
    return ScatterAdd(dim, index)(x, src)
