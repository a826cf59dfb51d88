"""Padding layers: constant, zero, reflection, replication and circular, as PyTorch's."""

from __future__ import annotations

from typing import Any

from lucid.nn.module import Module
from lucid.ops.conv import _ints
from lucid.ops.shape import pad_torch
from lucid.tensor import Tensor

__all__ = [
    "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
    "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
]  # fmt: skip


class _PadNd(Module):
    """Pad the last ``spatial`` axes by ``padding``: an int for every side, or PyTorch's flat
    tuple (left, right, top, bottom, front, back), stored as the full tuple."""

    spatial: int
    mode: str

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = _ints(type(self).__name__, "padding", padding, 2 * self.spatial)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return pad_torch(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    mode = "constant"

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return pad_torch(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last axis with ``value``."""

    spatial = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two axes with ``value``."""

    spatial = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three axes with ``value``."""

    spatial = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last axis with zeros."""

    spatial = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last two axes with zeros."""

    spatial = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last three axes with zeros."""

    spatial = 3


class ReflectionPad1d(_PadNd):
    """Mirror ``(C, W)`` or ``(N, C, W)`` at its ends, the edge not repeated."""

    spatial, mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Mirror ``(C, H, W)`` or ``(N, C, H, W)`` at its edges, the edge not repeated."""

    spatial, mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Mirror ``(C, D, H, W)`` or ``(N, C, D, H, W)`` at its faces."""

    spatial, mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Repeat the end values of ``(C, W)`` or ``(N, C, W)``."""

    spatial, mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Repeat the edge values of ``(C, H, W)`` or ``(N, C, H, W)``."""

    spatial, mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Repeat the face values of ``(C, D, H, W)`` or ``(N, C, D, H, W)``."""

    spatial, mode = 3, "replicate"


class CircularPad1d(_PadNd):
    """Wrap ``(C, W)`` or ``(N, C, W)`` around."""

    spatial, mode = 1, "circular"


class CircularPad2d(_PadNd):
    """Wrap ``(C, H, W)`` or ``(N, C, H, W)`` around."""

    spatial, mode = 2, "circular"


class CircularPad3d(_PadNd):
    """Wrap ``(C, D, H, W)`` or ``(N, C, D, H, W)`` around."""

    spatial, mode = 3, "circular"
