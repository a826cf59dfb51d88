"""Norm helpers shared by weight and spectral normalisation: recorded (ops) or on arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid.ops.elementwise import maximum, sqrt
from lucid.ops.reduce import sum as _sum
from lucid.tensor import Tensor


def other_axes(ndim: int, dim: int) -> tuple[int, ...]:
    """Every axis but ``dim``; all of them for ``dim=-1`` (PyTorch's ``norm_except_dim``
    reads -1 as "no dim kept", not as the last axis)."""
    if dim == -1:
        return tuple(range(ndim))
    dim = dim % ndim if ndim else 0
    return tuple(a for a in range(ndim) if a != dim)


def norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """The 2-norm of ``v`` over every axis but ``dim``, kept as size-1 axes (0-d for -1)."""
    axes = other_axes(v.ndim, dim)
    squares = _sum(v * v, axis=axes, keepdims=dim != -1)
    return sqrt(squares)


def weight_norm(v: Tensor, g: Tensor, dim: int) -> Tensor:
    """``g * v / ||v||`` with the norm over every axis but ``dim`` (recorded)."""
    return v * (g / norm_except_dim(v, dim))


def normalize_array(x: np.ndarray, eps: float) -> np.ndarray:
    """``x / max(||x||, eps)`` for a vector (PyTorch's ``F.normalize``), outside the graph."""
    return x / max(float(np.linalg.norm(x)), eps)


def normalize(x: Any, eps: float) -> Tensor:
    """``x / max(||x||, eps)`` over all of ``x``, recorded."""
    return x / maximum(sqrt(_sum(x * x)), eps)
