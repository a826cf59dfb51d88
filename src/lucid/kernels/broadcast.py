"""Reducing a broadcast gradient to its input's shape, alone or added into an existing buffer.

NumPy's ``sum(axis=...)`` makes one pass per call plus Python overhead, and adding the result
into a gradient buffer is a second pass. The compiled kernels do both in one pass over the
gradient. DESIGN.md's measurements (numpy 2.4, numba 0.68, 2 cores): serial numba wins
3-4x below 1e5 elements and stays ahead above, so the reduction takes the JIT path at every
size; a same-shape ``acc += g`` stays NumPy (its SIMD add is already at memory speed).
"""

from __future__ import annotations

import numpy as np

from lucid.kernels import _jit
from lucid.kernels._jit import REDUCE_FASTMATH, njit

# Below this many elements the Python-side setup of the compiled path (collapsing axes,
# making contiguous copies) costs more than NumPy's single reduction call.
JIT_MIN_SIZE = 64


def _check_reducible(shape: tuple, target: tuple) -> None:
    """Raise ValueError unless an array of ``target`` shape broadcasts to ``shape``."""
    if len(target) > len(shape) or any(
        t != 1 and t != s for t, s in zip(target[::-1], shape[::-1], strict=False)
    ):
        raise ValueError(f"reduce_to_shape: cannot reduce shape {shape} to {target}")


def _collapse(shape: tuple, target: tuple) -> tuple[list[int], list[bool]]:
    """Merge runs of neighbouring axes that are all kept or all summed.

    ``target`` is left-padded with ones to ``shape``'s rank; an axis is summed where the padded
    target has 1 and ``shape`` does not. Axes of length 1 are dropped. Returns the merged
    lengths and, for each, whether it is summed.
    """
    padded = (1,) * (len(shape) - len(target)) + tuple(target)
    lengths: list[int] = []
    summed: list[bool] = []
    for s, t in zip(shape, padded, strict=True):
        if s == 1:
            continue
        is_summed = t == 1
        if summed and summed[-1] == is_summed:
            lengths[-1] *= s
        else:
            lengths.append(s)
            summed.append(is_summed)
    return lengths, summed


def broadcast_axes(shape: tuple, target: tuple) -> tuple[int, ...]:
    """The axes of ``shape`` that broadcasting ``target`` to it added or stretched."""
    lead = len(shape) - len(target)
    return tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(target) if n == 1 and shape[lead + i] != 1
    )


def reduce_to_shape_ref(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``g`` over the axes NumPy broadcasting added or stretched, giving ``shape``."""
    axes = broadcast_axes(g.shape, shape)
    # np.asarray: summing to shape () gives a NumPy scalar, which `+=` cannot update in place.
    return np.asarray(g.sum(axis=axes)).reshape(shape) if axes else g.reshape(shape)


@njit(fastmath=REDUCE_FASTMATH)
def _reduce_jit(g, lengths, summed, out):
    """Add the flat C-ordered ``g``, of merged axes ``lengths``, into the flat kept-axes ``out``.

    The last merged axis is looped directly (a contiguous add when kept, a running sum when
    summed); the axes before it advance as an odometer.
    """
    ndim = lengths.shape[0]
    inner = lengths[ndim - 1]
    inner_summed = summed[ndim - 1]
    # Stride, in ``out``, of each kept merged axis (summed axes move nothing in ``out``).
    out_strides = np.zeros(ndim, dtype=np.int64)
    step = 1
    for d in range(ndim - 1, -1, -1):
        if not summed[d]:
            out_strides[d] = step
            step *= lengths[d]
    counter = np.zeros(ndim, dtype=np.int64)
    n_outer = g.size // inner
    base = 0
    for block in range(n_outer):
        src = block * inner
        if inner_summed:
            acc = 0.0  # float64 running sum: more exact than NumPy's pairwise float32 sum
            for i in range(inner):
                acc += g[src + i]
            out[base] += acc
        else:
            for i in range(inner):
                out[base + i] += g[src + i]
        # advance the odometer over the outer merged axes
        d = ndim - 2
        while d >= 0:
            counter[d] += 1
            base += out_strides[d]
            if counter[d] < lengths[d]:
                break
            base -= out_strides[d] * lengths[d]
            counter[d] = 0
            d -= 1


def _reduce_into(g: np.ndarray, out: np.ndarray) -> None:
    """Add ``g`` reduced to ``out.shape`` into the C-contiguous ``out``, on the JIT path."""
    lengths, summed = _collapse(g.shape, out.shape)
    if not lengths:  # every axis has length 1
        out.reshape(-1)[0] += g.reshape(-1)[0]
        return
    _reduce_jit(
        np.ascontiguousarray(g).reshape(-1),
        np.array(lengths, dtype=np.int64),
        np.array(summed, dtype=np.bool_),
        out.reshape(-1),
    )


def _unstretch(g: np.ndarray, shape: tuple) -> tuple[np.ndarray, int]:
    """Drop the stretched copies along axes that will be summed anyway.

    A gradient is often itself a broadcast view (the gradient of ``sum`` is ones stretched to
    the input's shape): along an axis of stride 0 every entry is the same, so summing it is
    one entry times the length. Returns the smaller view and the factor to multiply by.
    """
    lead = g.ndim - len(shape)
    keep = []
    factor = 1
    for axis, (n, stride) in enumerate(zip(g.shape, g.strides, strict=True)):
        summed = axis < lead or shape[axis - lead] == 1
        if stride == 0 and n > 1 and summed:
            keep.append(slice(0, 1))
            factor *= n
        else:
            keep.append(slice(None))
    return (g[tuple(keep)], factor) if factor > 1 else (g, 1)


def reduce_to_shape(g: np.ndarray, shape: tuple) -> np.ndarray:
    """``g`` summed down to ``shape`` by NumPy's broadcasting rules; a new array of g's dtype.

    ``shape`` must broadcast to ``g.shape`` (ValueError otherwise). Returns ``g`` itself when
    the shapes already agree.
    """
    shape = tuple(shape)
    if g.shape == shape:
        return g
    _check_reducible(g.shape, shape)
    factor = 1
    if 0 in g.strides:
        g, factor = _unstretch(g, shape)
    if not _jit.JIT_ENABLED or g.size < JIT_MIN_SIZE or g.dtype.kind != "f":
        out = reduce_to_shape_ref(g, shape)
    else:
        out = np.zeros(shape, dtype=g.dtype)
        _reduce_into(g, out)
    if factor != 1:
        out = np.multiply(out, np.asarray(factor, dtype=out.dtype), out=np.empty_like(out))
    return out


def accumulate_ref(buf: np.ndarray, g: np.ndarray) -> None:
    """``buf += g`` with ``g`` first reduced to ``buf.shape``; in place, NumPy only."""
    if g.shape == buf.shape:
        buf += g
    else:
        buf += reduce_to_shape_ref(g, buf.shape)


def accumulate(buf: np.ndarray, g: np.ndarray) -> None:
    """Add ``g`` into the gradient buffer ``buf`` in place, reducing ``g`` to buf's shape.

    One pass over ``g`` on the JIT path (no temporary for the reduced gradient). ``buf`` keeps
    its dtype; ``g`` must broadcast from ``buf.shape`` (ValueError otherwise).
    """
    if g.shape == buf.shape:
        buf += g  # same shape: NumPy's add is already one pass at memory speed
        return
    _check_reducible(g.shape, buf.shape)
    if 0 in g.strides:  # a stretched view: reduce its one copy (see _unstretch)
        buf += reduce_to_shape(g, buf.shape)
        return
    if (
        not _jit.JIT_ENABLED
        or g.size < JIT_MIN_SIZE
        or g.dtype != buf.dtype
        or buf.dtype.kind != "f"
        or not buf.flags.c_contiguous
    ):
        accumulate_ref(buf, g)
        return
    _reduce_into(g, buf)
