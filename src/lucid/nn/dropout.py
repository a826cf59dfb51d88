"""Dropout: random zeroing in training mode, identity in evaluation mode."""

from __future__ import annotations

from lucid.nn.module import Module
from lucid.ops.dropout import dropout
from lucid.tensor import Tensor


class Dropout(Module):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` while
    training; the identity after ``eval()``. Masks come from ``lucid.random.generator()``.

    ``inplace=True`` is accepted and ignored (results are new tensors).
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
