"""Activation functions as ops: relu and sigmoid here; nn's activations build on this family."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._graph import operation, unary_func_op
from lucid.tensor import Tensor

__all__ = ["relu", "sigmoid"]


class Relu(operation):
    """max(x, 0);  d/dx = 1 where x > 0, else 0 (the subgradient at 0 is 0, as in PyTorch)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.maximum(x, 0)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        return grad * (self.x > 0)


class Sigmoid(operation):
    """1 / (1 + exp(-x));  d/dx = out * (1 - out)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = x if x.dtype.kind == "f" else x.astype(np.float32)
        # exp(-|x|) never overflows: sigmoid(x) = 1/(1+e) for x >= 0, e/(1+e) for x < 0
        e = np.exp(-np.abs(x))
        self.out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        return self.out

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        return grad * self.out * (1 - self.out)


def relu(x: Any) -> Tensor:
    """``max(x, 0)``, elementwise; same shape and dtype as ``x``."""
    return Relu()(x)


def sigmoid(x: Any) -> Tensor:
    """The logistic function ``1 / (1 + exp(-x))``, elementwise, stable for large ``|x|``."""
    return Sigmoid()(x)
