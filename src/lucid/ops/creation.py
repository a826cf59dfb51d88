"""Tensor creation: ``tensor`` from data, and the constant-filled and random constructors."""

from __future__ import annotations

from typing import Any

from lucid.tensor import Tensor

__all__ = ["tensor"]


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array or a tensor).

    Python floats give float32, ints int64 and bools bool; NumPy arrays keep their dtype;
    ``dtype=`` overrides. Only floating-point tensors may require grad (TypeError otherwise).
    """
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)
