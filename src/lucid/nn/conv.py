"""Convolution layers: Conv1d/2d/3d and ConvTranspose1d/2d/3d, as PyTorch's."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lucid.nn import init
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter
from lucid.ops import conv as C
from lucid.tensor import Tensor, _dtype

__all__ = [
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
]  # fmt: skip

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What every convolution layer shares: geometry, parameters, init and the input check."""

    spatial: int  # number of spatial axes
    transposed: bool

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any,
        padding: Any,
        dilation: Any,
        groups: int,
        bias: bool,
        padding_mode: str,
        output_padding: Any = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name, n = type(self).__name__, self.spatial
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{name}: in_channels={in_channels} and out_channels={out_channels} must both "
                f"be divisible by groups={groups}"
            )
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"{name}: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}"
            )
        if padding_mode != "zeros":
            raise NotImplementedError(
                f"{name}: padding_mode={padding_mode!r} is not implemented; Lucid pads with "
                "zeros only (pad the input with lucid.nn.functional.pad first)"
            )
        if device is not None and str(device).split(":")[0] != "cpu":
            raise ValueError(f"{name}: Lucid runs on the CPU only, got device {device!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = C._ints(name, "kernel_size", kernel_size, n)
        self.stride = C._ints(name, "stride", stride, n)
        if isinstance(padding, str):
            if padding not in ("same", "valid") or self.transposed:
                allowed = "ints" if self.transposed else "'same', 'valid' or ints"
                raise ValueError(f"{name}: padding must be {allowed}, got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(
                    f"{name}: padding='same' is not supported for strided convolutions "
                    f"(stride={self.stride})"
                )
            self.padding = padding
        else:
            self.padding = C._ints(name, "padding", padding, n)
        self.dilation = C._ints(name, "dilation", dilation, n)
        self.output_padding = C._ints(name, "output_padding", output_padding, n)
        self.groups, self.padding_mode = groups, padding_mode
        if self.transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        dt = np.dtype(np.float32) if dtype is None else _dtype(dtype)
        self.weight = Parameter(np.empty(shape, dtype=dt))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: weight and bias uniform in +-1/sqrt(fan_in), where fan_in is
        ``weight.shape[1] * prod(kernel_size)`` (``kaiming_uniform_(a=sqrt(5))``)."""
        fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def _check_input(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        n = self.spatial
        axes = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}[n]
        if x.ndim not in (n + 1, n + 2) or x.shape[-n - 1] != self.in_channels:
            c = self.in_channels
            batched = "(" + ", ".join(("N", str(c), *axes)) + ")"
            single = "(" + ", ".join((str(c), *axes)) + ")"
            raise ValueError(
                f"{type(self).__name__}: expected input of shape {batched} or {single}, "
                f"got {x.shape}"
            )
        return x

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * self.spatial:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.spatial:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self.spatial:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class _PlainConvNd(_ConvNd):
    """Conv1d and Conv2d: PyTorch's constructor and a forward through conv1d or conv2d."""

    transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            device=device,
            dtype=dtype,
        )

    def forward(self, x: Any) -> Tensor:
        x = self._check_input(x)
        conv = {1: C.conv1d, 2: C.conv2d, 3: C.conv3d}[self.spatial]
        return conv(
            x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class Conv1d(_PlainConvNd):
    """1-D convolution over ``(N, C_in, L)`` (or ``(C_in, L)``) inputs, as ``torch.nn.Conv1d``.

    ``weight`` is ``(out_channels, in_channels/groups, kernel_size)``, ``bias``
    ``(out_channels,)``, both uniform in +-1/sqrt(fan_in). ``padding`` may be ``'same'`` or
    ``'valid'``; ``padding_mode`` other than ``'zeros'`` raises NotImplementedError.
    """

    spatial = 1


class Conv2d(_PlainConvNd):
    """2-D convolution over ``(N, C_in, H, W)`` (or ``(C_in, H, W)``), as ``torch.nn.Conv2d``.

    ``weight`` is ``(out_channels, in_channels/groups, kh, kw)``, ``bias`` ``(out_channels,)``,
    both uniform in +-1/sqrt(fan_in). ``padding`` is an int, a pair, ``'same'`` or
    ``'valid'``; ``padding_mode`` other than ``'zeros'`` raises NotImplementedError.
    """

    spatial = 2


class _ConvTransposeNd(_ConvNd):
    """ConvTranspose1d and ConvTranspose2d: PyTorch's constructor (``output_padding``, then
    ``groups`` before ``dilation``) and a forward that may ask for an ``output_size``."""

    transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if padding_mode != "zeros":
            raise ValueError(
                f'{type(self).__name__}: only "zeros" padding_mode is supported, got '
                f"{padding_mode!r}"
            )
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            output_padding,
            device,
            dtype,
        )

    def _output_padding(self, x: Tensor, output_size: Any) -> tuple[int, ...]:
        """``output_padding`` that makes the output ``output_size`` (PyTorch's forward arg)."""
        if output_size is None:
            return self.output_padding
        n = self.spatial
        sizes = tuple(int(s) for s in output_size)[-n:]
        if len(sizes) != n:
            raise ValueError(
                f"{type(self).__name__}: output_size must have at least {n} "
                f"entries, got {tuple(output_size)}"
            )
        out = []
        for a in range(n):
            k, s, p, d = self.kernel_size[a], self.stride[a], self.padding[a], self.dilation[a]
            smallest = (x.shape[-n + a] - 1) * s - 2 * p + d * (k - 1) + 1
            extra = sizes[a] - smallest
            if not 0 <= extra < max(self.stride[a], self.dilation[a]):
                largest = smallest + max(self.stride[a], self.dilation[a]) - 1
                raise ValueError(
                    f"{type(self).__name__}: requested output_size {sizes} is not reachable "
                    f"from input {x.shape}: axis {a} must be in [{smallest}, {largest}]"
                )
            out.append(extra)
        return tuple(out)

    def forward(self, x: Any, output_size: Any = None) -> Tensor:
        x = self._check_input(x)
        conv = {1: C.conv_transpose1d, 2: C.conv_transpose2d, 3: C.conv_transpose3d}[self.spatial]
        return conv(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self._output_padding(x, output_size),
            self.groups,
            self.dilation,
        )


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution, as ``torch.nn.ConvTranspose1d``: ``weight`` is
    ``(in_channels, out_channels/groups, kernel_size)``; ``forward(x, output_size=None)``."""

    spatial = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution (the gradient of Conv2d in its input), as
    ``torch.nn.ConvTranspose2d``.

    ``weight`` is ``(in_channels, out_channels/groups, kh, kw)``, both parameters uniform in
    +-1/sqrt(fan_in) with PyTorch's fan_in ``(out_channels/groups) * kh * kw``.
    ``forward(x, output_size=None)``: ``output_size`` picks ``output_padding`` as PyTorch does.
    """

    spatial = 2


class Conv3d(_PlainConvNd):
    """3-D convolution over ``(N, C_in, D, H, W)`` (or ``(C_in, D, H, W)``), as
    ``torch.nn.Conv3d``: ``weight`` ``(out_channels, in_channels/groups, kd, kh, kw)``."""

    spatial = 3


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution, as ``torch.nn.ConvTranspose3d``: ``weight`` is
    ``(in_channels, out_channels/groups, kd, kh, kw)``; ``forward(x, output_size=None)``."""

    spatial = 3
