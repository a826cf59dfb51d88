"""Dropout layers: random zeroing (of elements or channels) in training mode, identity in
evaluation mode."""

from __future__ import annotations

from lucid.nn.module import Module
from lucid.ops import dropout as D
from lucid.ops.dropout import dropout
from lucid.tensor import Tensor


class Dropout(Module):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` while
    training; the identity after ``eval()``. Masks come from ``lucid.random.generator()``.

    ``inplace=True`` writes into the input when the graph is not recording it (as PyTorch).
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` while training."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return D.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(Dropout):
    """Zero whole channels of ``(N, C, H, W)`` while training (a 3-D input is (N, C, L))."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return D.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(Dropout):
    """Zero whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` while training."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return D.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(Dropout):
    """Alpha dropout (for SELU networks) while training."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return D.alpha_dropout(input, self.p, self.training, self.inplace)


class FeatureAlphaDropout(Dropout):
    """Alpha dropout of whole (N, C) channels while training."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return D.feature_alpha_dropout(input, self.p, self.training, self.inplace)
