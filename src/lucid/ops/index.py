"""Indexing ops: ``x[key]`` with its gradient scattered back into x's shape."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._graph import operation, unary_func_op
from lucid.tensor import Tensor

__all__: list[str] = []


def _is_basic(key: Any) -> bool:
    """Ints, slices, None and Ellipsis only: every element of x is picked at most once."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(
        isinstance(k, (int, np.integer, slice)) or k is None or k is Ellipsis for k in parts
    )


def _unwrap(key: Any) -> Any:
    if isinstance(key, Tensor):
        return key.data
    if isinstance(key, tuple):
        return tuple(k.data if isinstance(k, Tensor) else k for k in key)
    return key


class GetItem(operation):
    """x[key];  the gradient is zero except at the picked elements, where it is grad."""

    def __init__(self, key: Any) -> None:
        self.key = key

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape, self.dtype = x.shape, x.dtype
        try:
            out = x[self.key]
        except IndexError as exc:
            raise IndexError(f"getitem: {exc} (tensor of shape {x.shape})") from None
        return out if isinstance(out, np.ndarray) else np.asarray(out)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        out = np.zeros(self.shape, dtype=grad.dtype)
        if _is_basic(self.key):
            out[self.key] = grad
        else:  # advanced indexing may pick an element twice: add, don't overwrite
            np.add.at(out, self.key, grad)
        return out


def getitem(x: Any, key: Any) -> Tensor:
    """``x[key]`` as NumPy indexes: ints, slices, None, ``...``, integer and boolean arrays."""
    return GetItem(_unwrap(key))(x)


def setitem(x: Tensor, key: Any, value: Any) -> None:
    """``x[key] = value`` in place, for tensors outside the graph."""
    if x.requires_grad:
        raise RuntimeError(
            "x[key] = value on a tensor that requires grad: the graph could not see the change; "
            "write into x.data or do it under a detached copy"
        )
    x.data[_unwrap(key)] = value.data if isinstance(value, Tensor) else value
    x._version += 1
