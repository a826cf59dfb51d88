"""Bitwise ops on integer and bool tensors (``& | ^ ~ << >>``), and logical_xor.

As PyTorch: on integers they act on the bits, on bools they are the logical ops, and a float
operand raises TypeError naming its dtype. Mixed operands follow PyTorch's promotion (bool
with an int gives the int, int32 with int64 gives int64). The results are never
differentiated (integers and bools carry no gradient).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _promotion
from lucid._graph import binary_func_op, operation, unary_func_op
from lucid.ops import elementwise as _ew
from lucid.tensor import Tensor

TensorLike = Any

__all__ = [
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
    "bitwise_right_shift", "logical_xor",
]  # fmt: skip


def _check_integral(op: str, *arrays: np.ndarray, allow_bool: bool = True) -> None:
    kinds = "biu" if allow_bool else "iu"
    for a in arrays:
        if a.dtype.kind not in kinds:
            wanted = "integer or bool" if allow_bool else "integer"
            raise TypeError(f"{op}: expected {wanted} tensors, got {a.dtype}")


class _Bitwise(operation):
    """A bitwise op of two integer/bool tensors; no gradient."""

    name: str
    ufunc: Any
    allow_bool = True

    @binary_func_op(has_gradient=False)
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        _check_integral(self.name, a, b)
        a, b = _promotion.promote(a, b)
        _check_integral(self.name, a, b, allow_bool=self.allow_bool)
        return _ew._binary(self.name, self.ufunc, a, b)


class BitwiseAnd(_Bitwise):
    """a & b bit by bit (logical and on bools)."""

    name, ufunc = "bitwise_and", np.bitwise_and


class BitwiseOr(_Bitwise):
    """a | b bit by bit (logical or on bools)."""

    name, ufunc = "bitwise_or", np.bitwise_or


class BitwiseXor(_Bitwise):
    """a ^ b bit by bit (logical xor on bools)."""

    name, ufunc = "bitwise_xor", np.bitwise_xor


class LeftShift(_Bitwise):
    """a << b: a times 2**b, in a's integer dtype (bits shifted out are lost)."""

    name, ufunc, allow_bool = "bitwise_left_shift", np.left_shift, False


class RightShift(_Bitwise):
    """a >> b: a floor-divided by 2**b (arithmetic shift: the sign is kept)."""

    name, ufunc, allow_bool = "bitwise_right_shift", np.right_shift, False


class BitwiseNot(operation):
    """~x: every bit flipped (logical not on bools); no gradient."""

    @unary_func_op(has_gradient=False)
    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_integral("bitwise_not", x)
        return np.invert(x)


class LogicalXor(operation):
    """bool(a) != bool(b), elementwise, for any dtypes; a bool result and no gradient."""

    @binary_func_op(has_gradient=False)
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _ew._binary("logical_xor", np.logical_xor, a, b)


def bitwise_and(a: TensorLike, b: TensorLike) -> Tensor:
    """``a & b``: bitwise and of integer tensors, logical and of bool ones."""
    return BitwiseAnd()(a, b)


def bitwise_or(a: TensorLike, b: TensorLike) -> Tensor:
    """``a | b``: bitwise or of integer tensors, logical or of bool ones."""
    return BitwiseOr()(a, b)


def bitwise_xor(a: TensorLike, b: TensorLike) -> Tensor:
    """``a ^ b``: bitwise xor of integer tensors, logical xor of bool ones."""
    return BitwiseXor()(a, b)


def bitwise_not(x: TensorLike) -> Tensor:
    """``~x``: every bit flipped (two's complement: ``~x == -x - 1``); logical not on bools."""
    return BitwiseNot()(x)


def bitwise_left_shift(a: TensorLike, b: TensorLike) -> Tensor:
    """``a << b`` on integer tensors."""
    return LeftShift()(a, b)


def bitwise_right_shift(a: TensorLike, b: TensorLike) -> Tensor:
    """``a >> b`` on integer tensors (arithmetic: negative values stay negative)."""
    return RightShift()(a, b)


def logical_xor(a: TensorLike, b: TensorLike) -> Tensor:
    """Elementwise ``bool(a) != bool(b)``, a bool tensor."""
    return LogicalXor()(a, b)
