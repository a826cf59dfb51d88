"""Dropout as an op: zero random elements, scale the rest by 1 / (1 - p)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _promotion, random
from lucid._graph import operation, unary_func_op
from lucid.tensor import Tensor

__all__ = ["dropout"]


class Dropout(operation):
    """x * mask / (1 - p), mask ~ Bernoulli(1 - p) per element;  d/dx = mask / (1 - p)."""

    def __init__(self, p: float) -> None:
        self.p = p

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _promotion.floating(x)
        keep = 1 - self.p
        draw = x.dtype.type if x.dtype != np.float16 else np.float32  # NumPy draws no float16
        kept = random.generator().random(x.shape, dtype=draw) < keep
        # The mask holds 0 or 1 / (1 - p): the forward and the gradient are one multiply each.
        self.scale = kept * x.dtype.type(1 / keep if keep else 0)
        return x * self.scale

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        return grad * self.scale


def dropout(
    input: Any,  # noqa: A002 - PyTorch's name
    p: float = 0.5,
    training: bool = True,
) -> Tensor:
    """Zero each element with probability ``p`` and scale the others by ``1 / (1 - p)`` (so the
    expectation is unchanged); ``input`` itself when not ``training`` or ``p == 0``.

    The mask comes from ``lucid.random.generator()``: ``lucid.random.seed`` reproduces it.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be a probability in [0, 1], got {p}")
    x = input if isinstance(input, Tensor) else Tensor(input)
    if not training or p == 0:
        return x
    return Dropout(p)(x)
