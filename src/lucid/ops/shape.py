"""Shape ops: reshape, transpose, concatenate, split, pad and friends.

Each gradient undoes the rearrangement: a reshape reshapes back, a permutation permutes back,
a concatenation slices, a split concatenates, a repeat or tile sums the copies. The squeezes,
unsqueezes and flattens are reshapes. Gradients use only operators and methods that arrays and
tensors share (``reshape``, ``transpose``, ``sum``, indexing), except where a copy is summed
back through the scatter kernel (``repeat`` with per-element counts, non-constant ``pad``).
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lucid._graph import func_op, operation, poly_func_op, unary_func_op
from lucid.ops import _xp
from lucid.ops._args import normalize_axes, normalize_axis, pick
from lucid.tensor import Tensor

TensorLike = Any

__all__ = [
    "reshape", "view", "transpose", "permute", "swapaxes", "moveaxis", "movedim",
    "squeeze", "unsqueeze", "expand_dims", "flatten", "broadcast_to", "expand",
    "concatenate", "cat", "stack", "split", "tensor_split", "hsplit", "vsplit", "dsplit",
    "chunk", "repeat", "repeat_interleave", "tile",
    "pad", "flip",
]  # fmt: skip


def _as_tensor(x: TensorLike) -> Tensor:
    """``x`` itself if a tensor, else a tensor around it (no copy), as ops promote inputs."""
    return x if isinstance(x, Tensor) else Tensor._wrap(Tensor._to_array(x, None, copy=False))


def size_arg(op: str, size: tuple) -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean the shape (2, 3); ``f()`` is ()."""
    try:
        if len(size) == 1 and not _is_index(size[0]):
            size = tuple(size[0])
        return tuple(operator.index(s) for s in size)
    except TypeError:
        raise TypeError(f"{op}: sizes must be ints, got {size!r}") from None


def _is_index(value: Any) -> bool:
    try:
        operator.index(value)
    except TypeError:
        return False
    return True


# --------------------------------------------------------------------------- views


class Reshape(operation):
    """x with a new shape of the same size;  the gradient is reshaped back."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x_shape = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                f"into shape {self.shape}"
            ) from None

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        return grad.reshape(self.x_shape)


class Transpose(operation):
    """x with its axes permuted;  the gradient is permuted back by the inverse permutation."""

    def __init__(self, axes: tuple[int, ...]) -> None:
        self.axes = axes

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.transpose(self.axes)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        return grad.transpose(tuple(int(a) for a in np.argsort(self.axes)))


class BroadcastTo(operation):
    """x broadcast to a larger shape (a read-only view);  the engine sums grad back to x."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        try:
            return np.broadcast_to(x, self.shape)
        except ValueError:
            raise ValueError(
                f"broadcast_to: cannot broadcast shape {x.shape} to {self.shape} (NumPy's rule: "
                "aligned from the right, each length equal or 1 in the input)"
            ) from None

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        return grad


class Flip(operation):
    """x reversed along some axes (a view);  the gradient is grad reversed the same way."""

    def __init__(self, key: tuple[slice, ...]) -> None:
        self.key = key

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        return x[self.key]

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        return grad[self.key]


def reshape(x: TensorLike, *shape: Any) -> Tensor:
    """``x`` with shape ``shape`` (one length may be -1); ``x.reshape(2, 3)`` or ``((2, 3))``.

    A view of ``x``'s data whenever NumPy can make one, as ``torch.reshape``; ValueError naming
    both shapes when the sizes differ.
    """
    return Reshape(size_arg("reshape", shape))(x)


def _permutation(axes: tuple, ndim: int, op: str) -> tuple[int, ...]:
    perm = tuple(normalize_axis(int(a), ndim, op) for a in axes)
    if sorted(perm) != list(range(ndim)):
        raise ValueError(f"{op}: axes {tuple(axes)} are not a permutation of {ndim} axes")
    return perm


def _axes_arg(axes: tuple) -> tuple:
    """``f(x, 1, 0)`` and ``f(x, (1, 0))`` both give (1, 0)."""
    if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
        return tuple(axes[0])
    return axes


def transpose(x: TensorLike, *axes: Any) -> Tensor:
    """Permute axes: no axes reverses them; a full permutation (NumPy); two ints swap them.

    ``transpose(x, i, j)`` with two ints swaps axes i and j, as ``torch.transpose``, on any
    tensor of 2 or more dimensions (on a 2-D tensor even ``transpose(x, 0, 1)`` swaps:
    PyTorch's reading). One sequence is always a permutation: ``transpose(x, (0, 1))`` of a
    2-D tensor is x itself, as in NumPy.
    """
    x = _as_tensor(x)
    if not axes:
        perm = tuple(range(x.ndim))[::-1]
    elif len(axes) == 2 and x.ndim >= 2:  # two ints, never one sequence: PyTorch's swap
        return swapaxes(x, axes[0], axes[1])
    else:
        perm = _permutation(_axes_arg(axes), x.ndim, "transpose")
    return Transpose(perm)(x)


def permute(x: TensorLike, *axes: Any) -> Tensor:
    """Permute the axes of ``x`` by a full permutation, as ``torch.permute``."""
    x = _as_tensor(x)
    return Transpose(_permutation(_axes_arg(axes), x.ndim, "permute"))(x)


def swapaxes(x: TensorLike, axis1: int, axis2: int) -> Tensor:
    """``x`` with two axes exchanged (``torch.transpose(x, i, j)``)."""
    x = _as_tensor(x)
    perm = list(range(x.ndim))
    i, j = normalize_axis(axis1, x.ndim, "swapaxes"), normalize_axis(axis2, x.ndim, "swapaxes")
    perm[i], perm[j] = perm[j], perm[i]
    return Transpose(tuple(perm))(x)


def moveaxis(x: TensorLike, source: Any, destination: Any) -> Tensor:
    """``x`` with axes ``source`` moved to positions ``destination`` (ints or sequences).

    The other axes keep their order; ``movedim`` is PyTorch's name.
    """
    x = _as_tensor(x)
    src = (source,) if isinstance(source, (int, np.integer)) else tuple(source)
    dst = (destination,) if isinstance(destination, (int, np.integer)) else tuple(destination)
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: {len(src)} source axes but {len(dst)} destinations")
    src = tuple(normalize_axis(int(a), x.ndim, "moveaxis") for a in src)
    dst = tuple(normalize_axis(int(a), x.ndim, "moveaxis") for a in dst)
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"moveaxis: repeated axis in {source!r} or {destination!r}")
    perm = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        perm.insert(d, s)
    return Transpose(tuple(perm))(x)


def squeeze(x: TensorLike, axis: Any = None, *, dim: Any = None) -> Tensor:
    """``x`` without axes of length 1: all of them, or those among ``axis`` (int or tuple).

    An axis named in ``axis`` whose length is not 1 is left alone, as in PyTorch (NumPy
    raises). ``dim`` is PyTorch's spelling.
    """
    x = _as_tensor(x)
    axis = pick("squeeze", axis, dim, "axis", "dim", None)
    axes = normalize_axes(axis, x.ndim, "squeeze")
    return Reshape(tuple(n for i, n in enumerate(x.shape) if n != 1 or i not in axes))(x)


def unsqueeze(x: TensorLike, axis: Any = None, *, dim: Any = None) -> Tensor:
    """``x`` with a new axis of length 1 at position ``axis`` of the result (or several, for a
    tuple, as ``np.expand_dims``); negative positions count from the result's end."""
    x = _as_tensor(x)
    axis = pick("unsqueeze", axis, dim, "axis", "dim", None)
    if axis is None:
        raise TypeError("unsqueeze: missing the axis (dim) of the new length-1 axis")
    n_new = 1 if isinstance(axis, (int, np.integer)) else len(axis)
    shape = list(x.shape)
    for a in normalize_axes(axis, x.ndim + n_new, "unsqueeze"):
        shape.insert(a, 1)
    return Reshape(tuple(shape))(x)


def flatten(x: TensorLike, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Axes ``start_dim`` to ``end_dim`` (inclusive) merged into one, as ``torch.flatten``.

    The defaults give a 1-D tensor (a 0-d tensor becomes shape (1,)).
    """
    x = _as_tensor(x)
    if x.ndim == 0:
        return Reshape((1,))(x)
    start = normalize_axis(start_dim, x.ndim, "flatten")
    end = normalize_axis(end_dim, x.ndim, "flatten")
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = math.prod(x.shape[start : end + 1])
    return Reshape(x.shape[:start] + (merged,) + x.shape[end + 1 :])(x)


def broadcast_to(x: TensorLike, *shape: Any) -> Tensor:
    """``x`` broadcast to ``shape`` by NumPy's rules (a read-only view, no copy).

    ValueError naming both shapes when ``x`` does not broadcast to ``shape``.
    """
    return BroadcastTo(size_arg("broadcast_to", shape))(x)


def expand(x: TensorLike, *sizes: Any) -> Tensor:
    """``torch.Tensor.expand``: broadcast to ``sizes``, where -1 keeps that axis's length.

    New axes may be added in front (not as -1); a read-only view, as ``broadcast_to``.
    """
    x = _as_tensor(x)
    sizes = size_arg("expand", sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: {len(sizes)} sizes {sizes} for a tensor of shape {x.shape}")
    if any(s == -1 for s in sizes[:lead]):
        raise ValueError(f"expand: -1 in {sizes} stands for an axis that {x.shape} does not have")
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return BroadcastTo(shape)(x)


def flip(x: TensorLike, *axes: Any, axis: Any = None, dims: Any = None) -> Tensor:
    """``x`` reversed along ``axis`` (an int or a tuple; None: every axis), as ``np.flip``.

    PyTorch's ``torch.flip(x, dims)`` and ``x.flip(0, 1)`` spell the axes too. A view of x.
    """
    x = _as_tensor(x)
    given = [a for a in (_axes_arg(axes) if axes else None, axis, dims) if a is not None]
    if len(given) > 1:
        raise TypeError("flip: give the axes once (positionally, as axis= or as dims=)")
    axes = normalize_axes(given[0] if given else None, x.ndim, "flip")
    key = tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim))
    return Flip(key)(x)


view = reshape
expand_dims = unsqueeze
movedim = moveaxis


# --------------------------------------------------------------------------- joining


def _along(axis: int, index: Any) -> tuple:
    """The key that picks ``index`` (an int or a slice) along ``axis``."""
    return (slice(None),) * axis + (index,)


class Concatenate(operation):
    """The inputs joined along an existing axis;  each input's gradient is its slice of grad."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    @poly_func_op()
    def forward(self, *xs: np.ndarray) -> np.ndarray:
        shapes = [x.shape for x in xs]
        if xs[0].ndim == 0:
            raise ValueError(f"concatenate: 0-d tensors cannot be concatenated, got {shapes}")
        axis = self.axis = normalize_axis(self.axis, xs[0].ndim, "concatenate")
        rest = [s[:axis] + s[axis + 1 :] for s in shapes]
        if any(x.ndim != xs[0].ndim for x in xs) or any(r != rest[0] for r in rest):
            raise ValueError(
                f"concatenate: shapes {shapes} must agree on every axis except axis {axis}"
            )
        self.ends = np.cumsum([s[axis] for s in shapes]).tolist()
        return np.concatenate(xs, axis=axis)

    def gradient(self, grad: np.ndarray) -> Any:
        starts = [0, *self.ends[:-1]]
        pieces = tuple(
            grad[_along(self.axis, slice(a, b))] for a, b in zip(starts, self.ends, strict=True)
        )
        return pieces if len(pieces) > 1 else pieces[0]


class Stack(operation):
    """The inputs joined along a new axis;  each input's gradient is its index of grad."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    @poly_func_op()
    def forward(self, *xs: np.ndarray) -> np.ndarray:
        shapes = [x.shape for x in xs]
        if any(s != shapes[0] for s in shapes):
            raise ValueError(f"stack: all shapes must be equal, got {shapes}")
        self.axis = normalize_axis(self.axis, xs[0].ndim + 1, "stack")
        return np.stack(xs, axis=self.axis)

    def gradient(self, grad: np.ndarray) -> Any:
        n = grad.shape[self.axis]
        # (..., at the end) keeps a 0-d piece an array: grad[i] of a 1-D grad is a NumPy scalar
        pieces = tuple(grad[_along(self.axis, i) + (Ellipsis,)] for i in range(n))
        return pieces if n > 1 else pieces[0]


def _sequence(op: str, tensors: Any) -> list:
    if isinstance(tensors, (Tensor, np.ndarray)) or not isinstance(tensors, Sequence):
        raise TypeError(f"{op}: expected a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op}: needs at least one tensor, got an empty sequence")
    return list(tensors)


def concatenate(
    tensors: Sequence[TensorLike], axis: int | None = 0, *, dim: int | None = None
) -> Tensor:
    """The tensors joined along an existing ``axis`` (None: flattened first, as NumPy).

    Shapes must agree on every other axis (ValueError naming them); the dtype is NumPy's
    promotion of the inputs' (float32 with float32 stays float32). ``cat``/``dim`` are
    PyTorch's spellings.
    """
    tensors = _sequence("concatenate", tensors)
    if dim is not None:
        axis = dim
    if axis is None:
        tensors, axis = [reshape(t, -1) for t in tensors], 0
    return Concatenate(axis)(*tensors)


def stack(tensors: Sequence[TensorLike], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """The tensors, all of one shape (ValueError naming them otherwise), along a new ``axis``."""
    tensors = _sequence("stack", tensors)
    return Stack(axis if dim is None else dim)(*tensors)


cat = concatenate


# --------------------------------------------------------------------------- splitting


@functools.cache
def _recorded_split(n_ret: int) -> Callable:
    """``Split.forward`` decorated for ``n_ret`` results: func_op fixes the number of results
    when it decorates, and a split's is known only per call."""
    return func_op(1, n_ret)(Split.forward)


class Split(operation):
    """x cut along an axis at increasing positions;  the gradient concatenates the pieces'."""

    def __init__(self, cuts: tuple[int, ...], axis: int) -> None:
        self.cuts, self.axis = cuts, axis

    def __call__(self, x: TensorLike) -> tuple[Tensor, ...]:
        out = _recorded_split(len(self.cuts) + 1)(self, x)
        return out if isinstance(out, tuple) else (out,)

    def forward(self, x: np.ndarray) -> Any:  # decorated per call, by _recorded_split
        pieces = tuple(np.split(x, self.cuts, axis=self.axis))
        return pieces if len(pieces) > 1 else pieces[0]

    def gradient(self, grad: Any) -> np.ndarray:
        grads = grad if isinstance(grad, tuple) else (grad,)
        if len(grads) == 1:
            return grads[0]
        if isinstance(grads[0], Tensor):  # recorded (higher-order gradients)
            return Concatenate(self.axis)(*grads)
        return np.concatenate(grads, axis=self.axis)


def _split_axis(op: str, x: Tensor, axis: int) -> int:
    if x.ndim == 0:
        raise ValueError(f"{op}: a 0-d tensor has no axis to cut")
    return normalize_axis(axis, x.ndim, op)


def split(
    x: TensorLike,
    split_size_or_sections: Any = None,
    dim: int = 0,
    *,
    axis: int | None = None,
    split_size: Any = None,
) -> tuple[Tensor, ...]:
    """``torch.split``: pieces of ``split_size_or_sections`` along ``dim`` (the last one
    smaller), or pieces of the lengths in a list (which must add up to the axis length).

    ``split_size`` is ``Tensor.split``'s name for it. NumPy's ``split`` (a number of pieces,
    or cut indices) is ``tensor_split``.
    """
    split_size_or_sections = pick(
        "split", split_size_or_sections, split_size, "split_size_or_sections", "split_size", None
    )
    if split_size_or_sections is None:
        raise TypeError("split: missing split_size_or_sections")
    x = _as_tensor(x)
    axis = _split_axis("split", x, dim if axis is None else axis)
    n = x.shape[axis]
    if _is_index(split_size_or_sections):
        size = operator.index(split_size_or_sections)
        if size < 0 or (size == 0 and n):
            raise ValueError(
                f"split: split_size must be positive, got {size} for axis {axis} of shape "
                f"{x.shape}"
            )
        return Split(tuple(range(size, n, size)) if size else (), axis)(x)
    sizes = [operator.index(s) for s in split_size_or_sections]
    if any(s < 0 for s in sizes) or sum(sizes) != n:
        raise ValueError(
            f"split: sizes {sizes} must be non-negative and add up to the length {n} of axis "
            f"{axis} (shape {x.shape})"
        )
    return Split(tuple(np.cumsum(sizes[:-1]).tolist()), axis)(x)


def tensor_split(
    x: TensorLike, indices_or_sections: Any, dim: int = 0, *, axis: int | None = None
) -> tuple[Tensor, ...]:
    """``torch.tensor_split`` (NumPy's ``array_split``): an int N gives N pieces along ``dim``
    (the first ``n % N`` one longer); a list of indices cuts before each of them.

    Indices past the end give empty pieces; decreasing indices (overlapping pieces in NumPy
    and PyTorch) raise ValueError.
    """
    x = _as_tensor(x)
    axis = _split_axis("tensor_split", x, dim if axis is None else axis)
    n = x.shape[axis]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        spec = spec._data.tolist() if spec.ndim else int(spec._data)
    if _is_index(spec):
        sections = operator.index(spec)
        if sections < 1:
            raise ValueError(f"tensor_split: sections must be at least 1, got {sections}")
        size, extra = divmod(n, sections)
        cuts = np.cumsum([size + 1] * extra + [size] * (sections - extra))[:-1]
        return Split(tuple(int(c) for c in cuts), axis)(x)
    given = [operator.index(i) for i in spec]
    cuts = [min(max(i + n if i < 0 else i, 0), n) for i in given]
    if any(b < a for a, b in zip(cuts, cuts[1:], strict=False)):
        raise ValueError(f"tensor_split: indices {given} must not decrease (along length {n})")
    return Split(tuple(cuts), axis)(x)


def _hvd_split(op: str, x: TensorLike, spec: Any, axis: int, min_ndim: int) -> tuple:
    x = _as_tensor(x)
    if x.ndim < min_ndim:
        raise ValueError(f"{op}: needs a tensor of at least {min_ndim} dims, got {x.shape}")
    if _is_index(spec) and x.shape[axis] % operator.index(spec):
        raise ValueError(
            f"{op}: axis {axis} of shape {x.shape} does not divide into {spec} equal pieces"
        )
    return tensor_split(x, spec, axis)


def hsplit(x: TensorLike, sections: Any) -> tuple[Tensor, ...]:
    """``torch.hsplit``: ``tensor_split`` along dim 1 (dim 0 of a 1-D tensor); an int must
    divide the length."""
    x = _as_tensor(x)
    return _hvd_split("hsplit", x, sections, 0 if x.ndim == 1 else 1, 1)


def vsplit(x: TensorLike, sections: Any) -> tuple[Tensor, ...]:
    """``torch.vsplit``: ``tensor_split`` along dim 0 of a tensor of 2 or more dims."""
    return _hvd_split("vsplit", x, sections, 0, 2)


def dsplit(x: TensorLike, sections: Any) -> tuple[Tensor, ...]:
    """``torch.dsplit``: ``tensor_split`` along dim 2 of a tensor of 3 or more dims."""
    return _hvd_split("dsplit", x, sections, 2, 3)


def chunk(x: TensorLike, chunks: int, axis: int = 0, *, dim: int | None = None) -> tuple:
    """``torch.chunk``: pieces of ``ceil(n / chunks)`` along ``axis``, the last one smaller.

    As in PyTorch there may be fewer than ``chunks`` pieces (10 in 4 chunks gives 3, 3, 3, 1;
    6 in 4 gives 2, 2, 2).
    """
    x = _as_tensor(x)
    axis = _split_axis("chunk", x, axis if dim is None else dim)
    if int(chunks) < 1:
        raise ValueError(f"chunk: chunks must be at least 1, got {chunks}")
    n = x.shape[axis]
    size = -(-n // int(chunks))
    return Split(tuple(range(size, n, size)) if size else (), axis)(x)


# --------------------------------------------------------------------------- repeating


class Repeat(operation):
    """np.repeat(x, repeats, axis);  each element's gradient sums the gradients of its copies."""

    def __init__(self, repeats: int | np.ndarray, axis: int) -> None:
        self.repeats, self.axis = repeats, axis

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        return np.repeat(x, self.repeats, axis=self.axis)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        axis, n = self.axis, self.shape[self.axis]
        if isinstance(self.repeats, int):  # copies sit side by side: one more axis to sum
            copies = self.shape[:axis] + (n, self.repeats) + self.shape[axis + 1 :]
            return grad.reshape(copies).sum(axis=axis + 1)
        source = np.repeat(np.arange(n), self.repeats)
        return _xp.scatter_add(grad, (slice(None),) * axis + (source,), self.shape)


class Tile(operation):
    """np.tile(x, reps) (PyTorch's ``repeat``);  the gradient sums the tiles."""

    def __init__(self, reps: tuple[int, ...]) -> None:
        self.reps = reps

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        return np.tile(x, self.reps)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        d = max(len(self.reps), len(self.shape))
        reps = (1,) * (d - len(self.reps)) + self.reps
        lengths = (1,) * (d - len(self.shape)) + self.shape
        # grad viewed as (r0, n0, r1, n1, ...): summing each r axis adds the tiles up
        tiles = grad.reshape(tuple(v for pair in zip(reps, lengths, strict=True) for v in pair))
        return tiles.sum(axis=tuple(range(0, 2 * d, 2))).reshape(self.shape)


def repeat(x: TensorLike, *sizes: Any) -> Tensor:
    """``Tensor.repeat``: ``x`` tiled ``sizes[i]`` times along axis i; ``x.repeat(2, 3)`` or
    ``x.repeat((2, 3))``. Extra leading sizes add axes; fewer sizes than axes raise, as in
    PyTorch. Each element's gradient sums its copies'. Element repeat is ``repeat_interleave``.
    """
    x = _as_tensor(x)
    sizes = size_arg("repeat", sizes)
    if len(sizes) < x.ndim:
        raise ValueError(
            f"repeat: {len(sizes)} sizes {sizes} for a tensor of shape {x.shape}; give at "
            "least one per axis"
        )
    return tile(x, sizes)


def repeat_interleave(
    x: TensorLike,
    repeats: Any = None,
    dim: int | None = None,
    *,
    axis: int | None = None,
    output_size: int | None = None,
) -> Tensor:
    """``torch.repeat_interleave``: each element repeated ``repeats`` times along ``dim``
    (None: of the flattened ``x``), as ``np.repeat``.

    ``repeats`` is an int or one count per element along the axis (a list or an integer
    tensor). ``repeat_interleave(counts)`` alone gives ``0`` counts[0] times, ``1``
    counts[1] times, ... .
    """
    if repeats is None:
        counts = _as_tensor(x)
        if counts.ndim != 1 or counts.dtype.kind not in "iu":
            raise TypeError("repeat_interleave(repeats): repeats must be a 1-D integer tensor")
        x, repeats = Tensor._wrap(np.arange(counts.shape[0], dtype=np.int64)), counts
    x = _as_tensor(x)
    axis = dim if axis is None else axis
    if axis is None or x.ndim == 0:
        x, axis = reshape(x, -1), 0
    axis = normalize_axis(axis, x.ndim, "repeat_interleave")
    counts = np.asarray(repeats._data if isinstance(repeats, Tensor) else repeats)
    if counts.dtype.kind not in "iu" or counts.ndim > 1:
        raise TypeError(
            f"repeat_interleave: repeats must be an int or a 1-D sequence of ints, got {repeats}"
        )
    if (counts < 0).any():
        raise ValueError(f"repeat_interleave: repeats must not be negative, got {repeats}")
    if counts.ndim == 0 or (counts.size == 1 and x.shape[axis] != 1):
        counts = int(counts.reshape(-1)[0])
    elif counts.size != x.shape[axis]:
        raise ValueError(
            f"repeat_interleave: {counts.size} repeats for axis {axis} of length "
            f"{x.shape[axis]} (shape {x.shape}); give one count per element, or one int"
        )
    out = Repeat(counts, axis)(x)
    if output_size is not None and out.shape[axis] != output_size:
        raise ValueError(
            f"repeat_interleave: output_size {output_size} but the result has {out.shape[axis]}"
        )
    return out


def tile(x: TensorLike, *reps: Any) -> Tensor:
    """``np.tile``: ``x`` copied ``reps[i]`` times along axis i; ``x.tile(2, 3)`` or ``((2, 3))``.

    Also ``torch.tile``. Fewer reps than axes repeat the last axes (``repeat``, PyTorch's
    ``Tensor.repeat``, refuses them); more reps add leading axes.
    """
    reps = size_arg("tile", reps)
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: reps must not be negative, got {reps}")
    return Tile(reps)(x)


# --------------------------------------------------------------------------- padding

PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")
_TORCH_PAD_MODES = {"constant": "constant", "replicate": "edge", "reflect": "reflect",
                    "circular": "wrap"}  # fmt: skip


class Pad(operation):
    """np.pad(x, width, mode);  the gradient is grad's centre (constant mode), or, for modes
    that copy elements of x into the border, every copy's gradient added back to its source."""

    def __init__(self, width: tuple[tuple[int, int], ...], mode: str, value: Any) -> None:
        self.width, self.mode, self.value = width, mode, value

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        if self.mode == "constant":
            return np.pad(x, self.width, constant_values=self.value)
        if x.size == 0 and any(self.width):
            raise ValueError(f"pad: mode {self.mode!r} cannot pad the empty shape {x.shape}")
        return np.pad(x, self.width, mode=self.mode)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        if self.mode == "constant":
            centre = zip(self.width, self.shape, strict=True)
            return grad[tuple(slice(b, b + n) for (b, _), n in centre)]
        # Pad the flat positions of x the same way: each output element names its source.
        size = math.prod(self.shape)
        source = np.pad(np.arange(size).reshape(self.shape), self.width, mode=self.mode)
        flat = _xp.scatter_add(grad.reshape(-1), (source.reshape(-1),), (size,))
        return flat.reshape(self.shape)


def pad(x: TensorLike, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Tensor:
    """``np.pad``: ``pad_width`` is an int, a ``(before, after)`` pair or one pair per axis.

    Modes ``constant`` (with ``constant_values``), ``edge``, ``reflect``, ``symmetric`` and
    ``wrap``, as NumPy; same dtype as ``x``. PyTorch's ``F.pad`` (a flat tuple, last axis
    first) is ``pad_torch``.
    """
    x = _as_tensor(x)
    if mode not in PAD_MODES:
        raise ValueError(f"pad: mode must be one of {PAD_MODES}, got {mode!r}")
    width = np.asarray(pad_width)
    if width.dtype.kind not in "iu" and width.size:
        raise TypeError(f"pad: pad_width must hold ints, got {pad_width!r}")
    try:
        width = np.broadcast_to(width.astype(np.int64), (x.ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: pad_width {pad_width!r} does not fit shape {x.shape}: give an int, a "
            "(before, after) pair or one pair per axis"
        ) from None
    if (width < 0).any():
        raise ValueError(f"pad: pad_width must not be negative, got {pad_width!r}")
    if isinstance(constant_values, Tensor):
        constant_values = constant_values._data
    return Pad(tuple((int(b), int(a)) for b, a in width), mode, constant_values)(x)


_pad_numpy = pad  # pad_torch's argument is called pad, as in PyTorch


def pad_torch(
    x: TensorLike, pad: Sequence[int], mode: str = "constant", value: Any = 0.0
) -> Tensor:
    """``torch.nn.functional.pad``: ``pad`` is (left, right) for the last axis, then (top,
    bottom) for the one before, and so on; modes constant, reflect, replicate, circular.

    Negative pads crop, as PyTorch. The modes other than constant pad the last
    ``len(pad) // 2`` axes of an input with one or two more axes (channels, batch), and
    reflect needs each pad smaller than its axis, as PyTorch.
    """
    x = _as_tensor(x)
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) > 2 * x.ndim:
        raise ValueError(
            f"pad: pad {pad} must have an even length of at most 2 * ndim for shape {x.shape}"
        )
    if mode not in _TORCH_PAD_MODES:
        raise ValueError(f"pad: mode must be one of {tuple(_TORCH_PAD_MODES)}, got {mode!r}")
    n = len(pad) // 2
    if mode != "constant":
        if x.ndim not in (n + 1, n + 2):
            raise ValueError(
                f"pad: {mode} padding of {n} dimension(s) expects a {n + 1}-D or {n + 2}-D "
                f"input, got shape {x.shape}"
            )
        if value not in (None, 0, 0.0):
            raise ValueError(f"pad: mode {mode!r} takes no fill value, got value={value}")
    width = [(0, 0)] * x.ndim
    for i in range(n):
        axis = x.ndim - 1 - i
        before, after = pad[2 * i], pad[2 * i + 1]
        if mode == "reflect" and max(before, after) >= x.shape[axis]:
            raise ValueError(
                f"pad: reflect padding ({before}, {after}) must be smaller than dimension "
                f"{axis} of the input, of size {x.shape[axis]} (shape {x.shape})"
            )
        if x.shape[axis] + min(before, 0) + min(after, 0) < 0:
            raise ValueError(f"pad: pad {pad} crops more than dimension {axis} of {x.shape}")
        width[axis] = (before, after)
    grow = [(max(b, 0), max(a, 0)) for b, a in width]
    out = _pad_numpy(x, grow, _TORCH_PAD_MODES[mode], 0 if value is None else value)
    if all(b >= 0 and a >= 0 for b, a in width):
        return out
    # negative pads: slice off -pad elements at that end
    crop = tuple(
        slice(-min(b, 0), out.shape[axis] + min(a, 0)) for axis, (b, a) in enumerate(width)
    )
    return out[crop]
