"""Pooling layers: max, average, adaptive (max and average), power-average pooling and max
unpooling, as PyTorch's."""

from __future__ import annotations

from typing import Any

from lucid.nn.module import Module
from lucid.ops import pool as P
from lucid.tensor import Tensor

__all__ = [
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "LPPool1d", "LPPool2d", "LPPool3d", "MaxUnpool1d",
    "MaxUnpool2d", "MaxUnpool3d",
]  # fmt: skip


class _Pool(Module):
    """The input check every pooling layer shares: rank only (pooling is per channel)."""

    spatial: int

    def _check_input(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        n = self.spatial
        if x.ndim not in (n + 1, n + 2):
            axes = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}[n]
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
        pool = {1: P.max_pool1d, 2: P.max_pool2d, 3: P.max_pool3d}[self.spatial]
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
        pool = P.avg_pool2d if self.spatial == 2 else P.avg_pool3d
        return pool(x, *args, self.divisor_override)

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
        pool = {1: P.adaptive_avg_pool1d, 2: P.adaptive_avg_pool2d, 3: P.adaptive_avg_pool3d}[
            self.spatial
        ]
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


class MaxPool3d(_MaxPoolNd):
    """3-D max pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``, as ``torch.nn.MaxPool3d``."""

    spatial = 3


class AvgPool3d(AvgPool2d):
    """3-D average pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``, as
    ``torch.nn.AvgPool3d``."""

    spatial = 3


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Adaptive 3-D average pooling to ``output_size``, as ``torch.nn.AdaptiveAvgPool3d``."""

    spatial = 3


class _AdaptiveMaxPoolNd(_Pool):
    """Adaptive max pooling: an output size, and optionally the maxima's flat indices."""

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, x: Any) -> Tensor | tuple[Tensor, Tensor]:
        pool = {1: P.adaptive_max_pool1d, 2: P.adaptive_max_pool2d, 3: P.adaptive_max_pool3d}[
            self.spatial
        ]
        return pool(self._check_input(x), self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Adaptive 1-D max pooling, as ``torch.nn.AdaptiveMaxPool1d``."""

    spatial = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Adaptive 2-D max pooling, as ``torch.nn.AdaptiveMaxPool2d``."""

    spatial = 2


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Adaptive 3-D max pooling, as ``torch.nn.AdaptiveMaxPool3d``."""

    spatial = 3


class _LPPoolNd(_Pool):
    """Power-average pooling: ``(sum of x**p over each window) ** (1/p)``."""

    def __init__(
        self, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
    ) -> None:
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, x: Any) -> Tensor:
        pool = {1: P.lp_pool1d, 2: P.lp_pool2d, 3: P.lp_pool3d}[self.spatial]
        return pool(
            self._check_input(x), self.norm_type, self.kernel_size, self.stride, self.ceil_mode
        )

    def extra_repr(self) -> str:
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, ceil_mode={self.ceil_mode}"
        )


class LPPool1d(_LPPoolNd):
    """Power-average pooling over ``(N, C, L)``, as ``torch.nn.LPPool1d``."""

    spatial = 1


class LPPool2d(_LPPoolNd):
    """Power-average pooling over ``(N, C, H, W)``, as ``torch.nn.LPPool2d``."""

    spatial = 2


class LPPool3d(_LPPoolNd):
    """Power-average pooling over ``(N, C, D, H, W)``, as ``torch.nn.LPPool3d``."""

    spatial = 3


class _MaxUnpoolNd(Module):
    """Max pooling's partial inverse: ``forward(x, indices, output_size=None)``."""

    spatial: int

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = self._per_axis(kernel_size)
        self.stride = self._per_axis(stride if stride is not None else kernel_size)
        self.padding = self._per_axis(padding)

    def _per_axis(self, value: Any) -> tuple[int, ...]:
        """PyTorch stores the unpooling geometry as tuples: an int repeated per axis."""
        return (value,) * self.spatial if isinstance(value, int) else tuple(value)

    def forward(self, input: Any, indices: Any, output_size: Any = None) -> Tensor:  # noqa: A002
        unpool = {1: P.max_unpool1d, 2: P.max_unpool2d, 3: P.max_unpool3d}[self.spatial]
        return unpool(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The partial inverse of MaxPool1d, as ``torch.nn.MaxUnpool1d``."""

    spatial = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """The partial inverse of MaxPool2d, as ``torch.nn.MaxUnpool2d``."""

    spatial = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """The partial inverse of MaxPool3d, as ``torch.nn.MaxUnpool3d``."""

    spatial = 3
