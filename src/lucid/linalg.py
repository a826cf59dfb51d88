"""``lucid.linalg``: PyTorch's ``torch.linalg`` names over Lucid's ops."""

from __future__ import annotations

import math
from typing import Any

from lucid.ops import matrix as _mx
from lucid.ops import reduce as _red
from lucid.ops.aliases import matrix_power
from lucid.ops.decomp import cholesky, eigh, eigvalsh, lstsq, pinv, qr, svd, svdvals
from lucid.ops.linalg import matmul
from lucid.tensor import Tensor

__all__ = [
    "norm", "vector_norm", "matrix_norm", "det", "slogdet", "inv", "solve", "cross", "matmul",
    "diagonal", "cholesky", "qr", "eigh", "eigvalsh", "svd", "svdvals", "pinv", "lstsq",
    "matrix_power",
]  # fmt: skip


def norm(x: Any, ord: Any = None, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """``torch.linalg.norm``: a vector norm over an int ``dim``, a matrix norm over a pair,
    and with ``dim=None`` the 2-norm of the flattened x (``ord=None``) or the ``ord`` norm of
    a 1-D or 2-D x."""
    return _red.norm(x, ord, dim, keepdim)


def vector_norm(
    x: Any,
    ord: float = 2,
    dim: Any = None,
    keepdim: bool = False,  # noqa: A002
) -> Tensor:
    """The vector ``ord``-norm over ``dim`` (None: every element), as one vector."""
    return _red.norm(x, p=float(ord), dim=dim, keepdim=keepdim)


def matrix_norm(
    x: Any,
    ord: Any = "fro",
    dim: tuple = (-2, -1),
    keepdim: bool = False,  # noqa: A002
) -> Tensor:
    """The matrix norm over the two dims ``dim``: 'fro', 'nuc', 1, -1, 2, -2, inf, -inf."""
    if ord not in ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf):
        raise ValueError(f"matrix_norm: invalid order {ord!r}")
    return _red.norm(x, ord, tuple(dim), keepdim)


def det(a: Any) -> Tensor:
    """The determinant of each square matrix in the last two dims."""
    return _mx.det(a)


def slogdet(a: Any) -> tuple[Tensor, Tensor]:
    """``(sign, logabsdet)`` of each square matrix."""
    return _mx.slogdet(a)


def inv(a: Any) -> Tensor:
    """The inverse of each square matrix; ValueError when singular."""
    return _mx.inverse(a)


def solve(a: Any, b: Any) -> Tensor:
    """X with ``a @ X = b``."""
    return _mx.solve(a, b)


def cross(a: Any, b: Any, dim: int = -1) -> Tensor:
    """The cross product along ``dim`` (default -1, unlike ``lucid.cross``)."""
    return _mx.cross(a, b, dim)


def diagonal(a: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonals of the last two dims (``torch.linalg.diagonal``'s defaults)."""
    return _mx.diagonal(a, offset, dim1, dim2)
