"""Norm helpers shared by weight and spectral normalisation: recorded (ops) or on arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import random as lucid_random
from lucid.ops.elementwise import maximum, sqrt
from lucid.ops.linalg import matmul
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


# --------------------------------------------------------------------------- spectral norm


def check_power_iterations(n_power_iterations: int) -> None:
    if n_power_iterations <= 0:
        raise ValueError(
            f"spectral_norm: n_power_iterations must be positive, got {n_power_iterations}"
        )


def random_unit_vectors(shape: tuple[int, int], dtype: Any, eps: float) -> tuple:
    """The power iteration's start: unit vectors ``u`` (``shape[0]``) and ``v`` (``shape[1]``)
    drawn from Lucid's generator, in that order."""
    gen = lucid_random.generator()
    u = gen.standard_normal(shape[0]).astype(dtype)
    v = gen.standard_normal(shape[1]).astype(dtype)
    return normalize_array(u, eps), normalize_array(v, eps)


def sigma(w: Tensor, u: np.ndarray, v: np.ndarray) -> Tensor:
    """``u^T W v``, the spectral norm estimate: recorded in the matrix ``w`` only (copies of
    the vectors, which the power iteration updates in place)."""
    return _sum(Tensor._wrap(u.copy()) * matmul(w, Tensor._wrap(v.copy())))
