"""Reductions over axes: sum and mean, with ``axis``/``dim`` and ``keepdims``/``keepdim``."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._graph import operation, unary_func_op
from lucid.ops._args import normalize_axes, pick
from lucid.tensor import Tensor

__all__ = ["sum", "mean"]


def _expand(grad: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """``grad`` with the reduced axes back as length-1 axes, ready to broadcast."""
    if keepdims or not axes:
        return grad
    shape = list(grad.shape)
    for a in axes:
        shape.insert(a, 1)
    return grad.reshape(shape)


class Sum(operation):
    """sum of x over axes;  d/dx = 1 broadcast back to x's shape."""

    def __init__(self, axes: tuple[int, ...], keepdims: bool) -> None:
        self.axes, self.keepdims = axes, keepdims

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        return np.sum(x, axis=self.axes, keepdims=self.keepdims)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        return np.broadcast_to(_expand(grad, self.axes, self.keepdims), self.shape)


class Mean(operation):
    """mean of x over axes;  d/dx = 1 / n broadcast back, n the number of reduced elements."""

    def __init__(self, axes: tuple[int, ...], keepdims: bool) -> None:
        self.axes, self.keepdims = axes, keepdims

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        x = x if x.dtype.kind == "f" else x.astype(np.float32)
        return np.mean(x, axis=self.axes, keepdims=self.keepdims)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        n = int(np.prod([self.shape[a] for a in self.axes]))
        g = _expand(grad, self.axes, self.keepdims) * (1 / max(n, 1))
        return np.broadcast_to(g, self.shape)


def _reduce_args(op: str, x: Any, axis: Any, dim: Any, keepdims: Any, keepdim: Any) -> tuple:
    x = x if isinstance(x, Tensor) else Tensor(x)
    axes = normalize_axes(pick(op, axis, dim, "axis", "dim", None), x.ndim, op)
    return x, axes, bool(pick(op, keepdims, keepdim, "keepdims", "keepdim", False))


def sum(  # noqa: A001 - NumPy's and PyTorch's name
    x: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Tensor:
    """Sum over ``axis`` (None: all; an int or a tuple, negatives allowed).

    The result drops the reduced axes unless ``keepdims``; ``dim``/``keepdim`` are PyTorch's
    spellings. Integer and bool inputs sum to int64 as in NumPy.
    """
    x, axes, keep = _reduce_args("sum", x, axis, dim, keepdims, keepdim)
    return Sum(axes, keep)(x)


def mean(
    x: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Tensor:
    """Arithmetic mean over ``axis`` (as ``sum``); integer inputs give float32."""
    x, axes, keep = _reduce_args("mean", x, axis, dim, keepdims, keepdim)
    return Mean(axes, keep)(x)
