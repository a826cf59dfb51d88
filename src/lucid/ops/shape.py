"""Shape ops: reshape, transpose and friends; each gradient undoes the rearrangement."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._graph import operation, unary_func_op
from lucid.ops._args import normalize_axis, shape_arg
from lucid.tensor import Tensor

__all__ = ["reshape", "view", "transpose", "permute", "swapaxes"]


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
        return grad.transpose(np.argsort(self.axes))


def reshape(x: Any, *shape: Any) -> Tensor:
    """``x`` with shape ``shape`` (one length may be -1); ``x.reshape(2, 3)`` or ``((2, 3))``.

    A view of ``x``'s data whenever NumPy can make one, as ``torch.reshape``.
    """
    return Reshape(shape_arg(shape))(x)


def _permutation(axes: tuple, ndim: int, op: str) -> tuple[int, ...]:
    perm = tuple(normalize_axis(int(a), ndim, op) for a in axes)
    if sorted(perm) != list(range(ndim)):
        raise ValueError(f"{op}: axes {tuple(axes)} are not a permutation of {ndim} axes")
    return perm


def transpose(x: Any, *axes: Any) -> Tensor:
    """Permute axes: no axes reverses them; a full permutation (NumPy); two ints swap them.

    ``transpose(x, i, j)`` with two ints swaps axes i and j, as ``torch.transpose``, on any
    tensor of 2 or more dimensions (on a 2-D tensor even ``(0, 1)`` swaps: PyTorch's reading).
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    if len(axes) == 1 and not isinstance(axes[0], int):
        axes = tuple(axes[0])
    if not axes:
        perm = tuple(range(x.ndim))[::-1]
    elif len(axes) == 2 and x.ndim >= 2:
        return swapaxes(x, axes[0], axes[1])
    else:
        perm = _permutation(axes, x.ndim, "transpose")
    return Transpose(perm)(x)


def permute(x: Any, *axes: Any) -> Tensor:
    """Permute the axes of ``x`` by a full permutation, as ``torch.permute``."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if len(axes) == 1 and not isinstance(axes[0], int):
        axes = tuple(axes[0])
    return Transpose(_permutation(axes, x.ndim, "permute"))(x)


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """``x`` with two axes exchanged (``torch.transpose(x, i, j)``)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    perm = list(range(x.ndim))
    i, j = normalize_axis(axis1, x.ndim, "swapaxes"), normalize_axis(axis2, x.ndim, "swapaxes")
    perm[i], perm[j] = perm[j], perm[i]
    return Transpose(tuple(perm))(x)


view = reshape
