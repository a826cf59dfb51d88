"""Reduction backward kernels: the gradient of max/min over axes, split evenly among ties.

The NumPy reference makes five passes over x's shape (compare, NaN check, count, divide,
multiply); the @njit loop reads x twice (count the ties, then write) and writes the result
once. It views x as (A, K, B) blocks, K the reduced elements, so a leading, middle or trailing
run of axes needs no transposing copy.
"""

from __future__ import annotations

import math

import numpy as np

from lucid.kernels import _jit
from lucid.kernels._jit import njit

# Measured with float32/float64 inputs of 64..1e6 elements reduced over the last axis, the
# first axis, a middle axis and all axes (numpy 2.4, numba 0.68, 2 cores, best of repeated
# calls through these wrappers): the loop wins at every size, 1.1-3.4x below 1e4 elements and
# 1.5-15x above (most over the last axis). Below 64 elements nothing was measured.
JIT_MIN_SIZE = 64


def extremum_backward_ref(
    x: np.ndarray, out: np.ndarray, grad: np.ndarray, axes: tuple[int, ...]
) -> np.ndarray:
    """``grad`` shared evenly by the elements of ``x`` equal to ``out`` along ``axes``.

    ``out`` and ``grad`` keep the reduced axes (length 1). A NaN result is matched by the NaNs
    of its row (PyTorch's rule).
    """
    mask = x == out
    if np.isnan(out).any():
        mask |= np.isnan(x) & np.isnan(out)
    count = mask.sum(axis=axes, keepdims=True).astype(grad.dtype)
    return mask * (grad / count)


@njit
def extremum_rows_backward_jit(x, out, grad, result):
    """x and result (A, K), out and grad (A,): each row reduced to out[a]."""
    n_a, n_k = x.shape
    for a in range(n_a):
        target = out[a]
        is_nan = target != target
        count = 0
        for k in range(n_k):
            v = x[a, k]
            if v == target or (is_nan and v != v):
                count += 1
        share = grad[a] / count
        for k in range(n_k):
            v = x[a, k]
            result[a, k] = share if v == target or (is_nan and v != v) else 0.0


@njit
def extremum_blocks_backward_jit(x, out, grad, result):
    """x and result (A, K, B), out and grad (A, B): reduced over K, B contiguous inside."""
    n_a, n_k, n_b = x.shape
    share = np.empty(n_b, dtype=np.float64)
    for a in range(n_a):
        for b in range(n_b):
            share[b] = 0.0
        for k in range(n_k):
            for b in range(n_b):
                v, target = x[a, k, b], out[a, b]
                if v == target or (target != target and v != v):
                    share[b] += 1.0
        for b in range(n_b):
            share[b] = grad[a, b] / share[b]
        for k in range(n_k):
            for b in range(n_b):
                v, target = x[a, k, b], out[a, b]
                matched = v == target or (target != target and v != v)
                result[a, k, b] = share[b] if matched else 0.0


def extremum_backward(
    x: np.ndarray, out: np.ndarray, grad: np.ndarray, axes: tuple[int, ...]
) -> np.ndarray:
    """Gradient of ``max``/``min`` of ``x`` over ``axes`` (sorted, non-negative).

    ``out`` is the forward's result and ``grad`` the upstream gradient, both with the reduced
    axes kept as length 1. Returns an array of ``x``'s shape and ``grad``'s dtype: each element
    equal to its row's extremum gets ``grad / (number of such elements)``, the others 0.
    """
    if not (
        _jit.JIT_ENABLED
        and x.size >= JIT_MIN_SIZE
        and x.dtype in (np.float32, np.float64)
        and grad.dtype == x.dtype
        and axes
        and axes[-1] - axes[0] == len(axes) - 1  # one run of neighbouring axes
    ):
        return extremum_backward_ref(x, out, grad, axes)
    first, last = axes[0], axes[-1] + 1
    n_a, n_k, n_b = (math.prod(x.shape[i:j]) for i, j in ((0, first), (first, last), (last, None)))
    # (A, K) rows when the reduced axes are the last ones, else (A, K, B) blocks
    blocks, kept = ((n_a, n_k), (n_a,)) if n_b == 1 else ((n_a, n_k, n_b), (n_a, n_b))
    kernel = extremum_rows_backward_jit if n_b == 1 else extremum_blocks_backward_jit
    result = np.empty(blocks, grad.dtype)
    kernel(
        np.ascontiguousarray(x).reshape(blocks),
        np.ascontiguousarray(out).reshape(kept),
        np.ascontiguousarray(grad).reshape(kept),
        result,
    )
    return result.reshape(x.shape)
