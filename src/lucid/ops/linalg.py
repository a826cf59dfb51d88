"""Linear algebra ops: matrix products with gradients arranged for BLAS."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._graph import binary_func_op, operation
from lucid.kernels import linalg as K
from lucid.tensor import Tensor

__all__ = ["matmul"]


def _matmul_shapes_error(a: np.ndarray, b: np.ndarray) -> ValueError:
    ka = a.shape[-1] if a.ndim else None
    kb = b.shape[-2] if b.ndim >= 2 else (b.shape[0] if b.ndim == 1 else None)
    where_b = f"dim {max(b.ndim - 2, 0)}"
    return ValueError(
        f"matmul: shapes {a.shape} and {b.shape} are not aligned: "
        f"{ka} (dim {max(a.ndim - 1, 0)}) != {kb} ({where_b})"
    )


class MatMul(operation):
    """a @ b;  d/da = grad @ b^T, d/db = a^T @ grad (summed over broadcast batch axes)."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: 0-d operands are not allowed, got {a.shape} @ {b.shape}")
        self.a, self.b = a, b
        try:
            return np.matmul(a, b)
        except ValueError:
            if a.shape[-1] != (b.shape[-2] if b.ndim >= 2 else b.shape[0]):
                raise _matmul_shapes_error(a, b) from None
            raise ValueError(
                f"matmul: batch axes of shapes {a.shape} and {b.shape} cannot be broadcast"
            ) from None

    def gradient(self, grad: np.ndarray) -> tuple:
        return K.matmul_backward(
            self.a, self.b, grad, self.parents[0].requires_grad, self.parents[1].requires_grad
        )


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product ``a @ b`` with NumPy's rules: 1-D operands, broadcast batch axes.

    Result dtype as NumPy's (float32 @ float32 is float32).
    """
    return MatMul()(a, b)
