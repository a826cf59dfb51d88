"""Pooling layers: max, average and adaptive average pooling, as PyTorch's."""

from __future__ import annotations

from typing import Any

from lucid.nn.module import Module
from lucid.ops import pool as P
from lucid.tensor import Tensor

__all__ = [
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
]  # fmt: skip


class _Pool(Module):
    """The input check every pooling layer shares: rank only (pooling is per channel)."""

    spatial: int

    def _check_input(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        n = self.spatial
        if x.ndim not in (n + 1, n + 2):
            axes = ("L",) if n == 1 else ("H", "W")
            raise ValueError(
                f"{type(self).__name__}: expected input of shape ({', '.join(('N', 'C', *axes))}) "
                f"or ({', '.join(('C', *axes))}), got {x.shape}"
            )
        return x


class _MaxPoolNd(_Pool):
    """MaxPool1d and MaxPool2d: PyTorch's constructor, a forward through max_pool1d/2d."""

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride  # PyTorch's default
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x: Any) -> Tensor | tuple[Tensor, Tensor]:
        pool = P.max_pool1d if self.spatial == 1 else P.max_pool2d
        return pool(
            self._check_input(x),
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling over ``(N, C, L)`` or ``(C, L)``, as ``torch.nn.MaxPool1d``; ``stride``
    defaults to ``kernel_size``; ``return_indices`` also returns each maximum's index."""

    spatial = 1


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling over ``(N, C, H, W)`` or ``(C, H, W)``, as ``torch.nn.MaxPool2d``;
    ``stride`` defaults to ``kernel_size``; gradients go to each window's first maximum."""

    spatial = 2


class _AvgPoolNd(_Pool):
    """AvgPool1d and AvgPool2d: PyTorch's constructor, a forward through avg_pool1d/2d."""

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, x: Any) -> Tensor:
        x = self._check_input(x)
        args = (
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )
        if self.spatial == 1:
            return P.avg_pool1d(x, *args)
        return P.avg_pool2d(x, *args, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """1-D average pooling over ``(N, C, L)`` or ``(C, L)``, as ``torch.nn.AvgPool1d``."""

    spatial = 1


class AvgPool2d(_AvgPoolNd):
    """2-D average pooling over ``(N, C, H, W)`` or ``(C, H, W)``, as ``torch.nn.AvgPool2d``:
    the divisor counts the padding (``count_include_pad``) or not, or is ``divisor_override``."""

    spatial = 2

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override


class _AdaptiveAvgPoolNd(_Pool):
    """AdaptiveAvgPool1d and AdaptiveAvgPool2d: an output size, adaptive_avg_pool1d/2d."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Any) -> Tensor:
        pool = P.adaptive_avg_pool1d if self.spatial == 1 else P.adaptive_avg_pool2d
        return pool(self._check_input(x), self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Adaptive 1-D average pooling to ``output_size``, as ``torch.nn.AdaptiveAvgPool1d``."""

    spatial = 1


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Adaptive 2-D average pooling to ``output_size`` (an int, or a pair whose None entries
    keep that input size), as ``torch.nn.AdaptiveAvgPool2d``."""

    spatial = 2
