"""Elementwise backward kernels: maximum/minimum with split ties, and clip.

Each NumPy reference makes three to six passes (compares, selects, a halving); the @njit loop
makes one. The loops run only when every array has one shape and dtype (float32/float64) and
the bounds of clip are scalars: a broadcast operand takes the reference, which broadcasts.
"""

from __future__ import annotations

import numpy as np

from lucid.kernels import _jit
from lucid.kernels._jit import njit

# Measured with float32/float64 arrays of 64..3e5 elements (numpy 2.4, numba 0.68, 2 cores,
# best of repeated calls through these wrappers). maximum/minimum backward: the loop wins at
# every size, 1.5x at 64 elements, 2-3x at 1e3, 5-25x above 4e3 (NaN checks and two outputs
# cost NumPy six passes). clip backward: NumPy's two compares win below ~1e3 elements, the
# loop from 2e3 on (1.3x, then 7-30x above 3e4).
PAIR_JIT_MIN_SIZE = 64
CLIP_JIT_MIN_SIZE = 2_048


def _same_float(*arrays: np.ndarray) -> bool:
    first = arrays[0]
    return first.dtype in (np.float32, np.float64) and all(
        a.shape == first.shape and a.dtype == first.dtype for a in arrays
    )


# ---------------------------------------------------------------------------------------------
# maximum, minimum


def extremum_pair_backward_ref(
    a: np.ndarray, b: np.ndarray, grad: np.ndarray, largest: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of maximum(a, b) (``largest``) or minimum(a, b), of the output's shape.

    The picked input gets ``grad``, the other 0; at a tie each gets ``grad / 2``; where the
    comparison fails (a NaN) both get ``grad`` (PyTorch's rule).
    """
    a_loses, b_loses = (a < b, a > b) if largest else (a > b, a < b)
    tie = a == b
    half = grad * 0.5
    to_a = np.where(tie, half, np.where(a_loses, 0, grad))
    to_b = np.where(tie, half, np.where(b_loses, 0, grad))
    return to_a, to_b


@njit
def extremum_pair_backward_jit(a, b, grad, largest, to_a, to_b):
    for i in range(a.size):
        g = grad[i]
        if a[i] == b[i]:
            to_a[i] = to_b[i] = 0.5 * g
        elif a[i] > b[i]:
            to_a[i], to_b[i] = (g, 0.0) if largest else (0.0, g)
        elif a[i] < b[i]:
            to_a[i], to_b[i] = (0.0, g) if largest else (g, 0.0)
        else:  # a NaN: no comparison holds
            to_a[i] = to_b[i] = g


def _extremum_pair_backward(
    a: np.ndarray, b: np.ndarray, grad: np.ndarray, largest: bool
) -> tuple[np.ndarray, np.ndarray]:
    if not (_jit.JIT_ENABLED and grad.size >= PAIR_JIT_MIN_SIZE and _same_float(a, b, grad)):
        return extremum_pair_backward_ref(a, b, grad, largest)
    to_a, to_b = np.empty_like(grad, order="C"), np.empty_like(grad, order="C")
    flat = [np.ascontiguousarray(v).reshape(-1) for v in (a, b, grad)]
    extremum_pair_backward_jit(*flat, largest, to_a.reshape(-1), to_b.reshape(-1))
    return to_a, to_b


def maximum_backward(
    a: np.ndarray, b: np.ndarray, grad: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of ``maximum(a, b)`` for ``a`` and ``b``, each of ``grad``'s shape and dtype.

    Ties split ``grad`` evenly and a NaN passes it to both, as in PyTorch. ``a`` and ``b``
    broadcast to ``grad``'s shape.
    """
    return _extremum_pair_backward(a, b, grad, True)


def minimum_backward(
    a: np.ndarray, b: np.ndarray, grad: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of ``minimum(a, b)``; as ``maximum_backward`` with the order reversed."""
    return _extremum_pair_backward(a, b, grad, False)


# ---------------------------------------------------------------------------------------------
# clip


def clip_backward_ref(
    x: np.ndarray, lo: np.ndarray | None, hi: np.ndarray | None, grad: np.ndarray
) -> np.ndarray:
    """grad where lo <= x <= hi (inclusive, as PyTorch's clamp), else 0; a bound may be None."""
    if lo is None:
        inside = x <= hi
    elif hi is None:
        inside = x >= lo
    else:
        inside = (x >= lo) & (x <= hi)
    return np.where(inside, grad, 0)


@njit
def clip_backward_jit(x, lo, hi, grad, out):
    for i in range(x.size):
        out[i] = grad[i] if lo <= x[i] <= hi else 0


def clip_backward(
    x: np.ndarray, lo: np.ndarray | None, hi: np.ndarray | None, grad: np.ndarray
) -> np.ndarray:
    """Gradient of ``clip(x, lo, hi)`` for ``x``: ``grad`` where ``lo <= x <= hi``, else 0.

    ``lo``/``hi`` are arrays broadcast against ``x`` or None (no bound); the result has
    ``grad``'s shape and dtype. A NaN in ``x`` gets 0.
    """
    scalar_bounds = all(v is None or v.ndim == 0 for v in (lo, hi))
    use_jit = _jit.JIT_ENABLED and scalar_bounds and x.size >= CLIP_JIT_MIN_SIZE
    if not (use_jit and _same_float(x, grad)):
        return clip_backward_ref(x, lo, hi, grad)
    low = -np.inf if lo is None else lo.item()
    high = np.inf if hi is None else hi.item()
    out = np.empty_like(grad, order="C")
    flat_x, flat_g = np.ascontiguousarray(x).reshape(-1), np.ascontiguousarray(grad).reshape(-1)
    clip_backward_jit(flat_x, x.dtype.type(low), x.dtype.type(high), flat_g, out.reshape(-1))
    return out
