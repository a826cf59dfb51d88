"""Pooling ops: max, average and adaptive average pooling over 1 or 2 spatial axes.

The work is done by ``lucid.kernels.pool`` on (N, C, H, W) arrays; 1-D pooling runs as 2-D
pooling of height 1 and unbatched inputs as a batch of one (reshapes, not extra graph nodes).
Integer inputs pool in float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._graph import unary_func_op
from lucid.kernels import pool as K
from lucid.ops.conv import _geometry_1d, _Spatial, _spatial_input
from lucid.tensor import Tensor

TensorLike = Any

__all__ = [
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d",
]  # fmt: skip


class _Pool(_Spatial):
    """What the pooling ops share: x to (N, C, H, W) in a float dtype, its shape kept."""

    # The gradients are window kernels on arrays, not recorded as ops.
    double_backward = False

    def _as_4d(self, x: np.ndarray) -> np.ndarray:
        self.x_shape = x.shape
        x = self._to_4d(x if x.dtype.kind == "f" else x.astype(np.float32))
        self.x4_shape = x.shape
        return x


class MaxPool(_Pool):
    """max over each window;  d/dx routes each gradient to its window's argmax (ties: the first,
    as in PyTorch)."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self.argmax = K.max_pool2d_forward(self._as_4d(x), **self.geometry)
        return self._out_shape(out)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        dx = K.max_pool2d_backward(self._grad_4d(grad), self.argmax, self.x4_shape)
        return dx.reshape(self.x_shape)


class AvgPool(_Pool):
    """mean over each window (PyTorch's divisor);  d/dx spreads grad / divisor over the window."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        return self._out_shape(K.avg_pool2d_forward(self._as_4d(x), **self.geometry))

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        dx = K.avg_pool2d_backward(self._grad_4d(grad), self.x4_shape, **self.geometry)
        return dx.reshape(self.x_shape)


class AdaptiveAvgPool(_Pool):
    """mean over PyTorch's adaptive windows;  d/dx spreads grad / window size over each window."""

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        out = K.adaptive_avg_pool2d_forward(self._as_4d(x), **self.geometry)
        return self._out_shape(out)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        dx = K.adaptive_avg_pool2d_backward(self._grad_4d(grad), self.x4_shape)
        return dx.reshape(self.x_shape)


# --------------------------------------------------------------------------- arguments


def _max_pool(x: Tensor, op: MaxPool, return_indices: bool) -> Tensor | tuple[Tensor, Tensor]:
    """``op(x)``; with ``return_indices`` also the flat index of each maximum in its input
    plane (``H*W`` or ``L``), as int64."""
    out = op(x)
    return (out, Tensor._wrap(op._out_shape(op.argmax))) if return_indices else out


# --------------------------------------------------------------------------- public functions


def max_pool2d(
    x: TensorLike,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """2-D max pooling, as ``torch.nn.functional.max_pool2d``.

    ``out[n, c, oh, ow] = max_{i, j} xpad[n, c, oh*sh + i*dh, ow*sw + j*dw]``, padding counting
    as -inf; x is ``(N, C, H, W)`` or ``(C, H, W)``; ``stride`` defaults to ``kernel_size``.
    The gradient goes to the first maximum of each window, as in PyTorch. With
    ``return_indices`` also the int64 flat index of each maximum in its ``H*W`` plane.
    """
    x = _spatial_input("max_pool2d", x, 2)
    op = MaxPool(
        2,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
    )
    return _max_pool(x, op, return_indices)


def max_pool1d(
    x: TensorLike,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """1-D max pooling over x ``(N, C, L)`` or ``(C, L)``, as
    ``torch.nn.functional.max_pool1d``; see ``max_pool2d``."""
    fn = "max_pool1d"
    x = _spatial_input(fn, x, 1)
    stride = kernel_size if stride is None else stride
    geometry = _geometry_1d(
        fn, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation
    )
    return _max_pool(x, MaxPool(1, ceil_mode=ceil_mode, **geometry), return_indices)


def avg_pool2d(
    x: TensorLike,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d``.

    Each window's sum over PyTorch's divisor: the window clipped to the padded input
    (``count_include_pad``) or to the input itself, or ``divisor_override``. x is
    ``(N, C, H, W)`` or ``(C, H, W)``; the result has x's dtype (float32 for integers).
    """
    x = _spatial_input("avg_pool2d", x, 2)
    return AvgPool(
        2,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
        divisor_override=divisor_override,
    )(x)


def avg_pool1d(
    x: TensorLike,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1-D average pooling over x ``(N, C, L)`` or ``(C, L)``, as
    ``torch.nn.functional.avg_pool1d``; see ``avg_pool2d``."""
    fn = "avg_pool1d"
    x = _spatial_input(fn, x, 1)
    stride = kernel_size if stride is None else stride
    geometry = _geometry_1d(fn, kernel_size=kernel_size, stride=stride, padding=padding)
    return AvgPool(1, ceil_mode=ceil_mode, count_include_pad=count_include_pad, **geometry)(x)


def adaptive_avg_pool2d(x: TensorLike, output_size: Any) -> Tensor:
    """Adaptive 2-D average pooling to ``output_size`` (an int, or a pair whose None entries
    keep that input size), as ``torch.nn.functional.adaptive_avg_pool2d``.

    Row window i is ``[floor(i*H/OH), ceil((i+1)*H/OH))``, likewise for columns; result
    ``(N, C, OH, OW)`` or ``(C, OH, OW)``.
    """
    x = _spatial_input("adaptive_avg_pool2d", x, 2)
    return AdaptiveAvgPool(2, output_size=output_size)(x)


def adaptive_avg_pool1d(x: TensorLike, output_size: Any) -> Tensor:
    """Adaptive 1-D average pooling of x ``(N, C, L)`` or ``(C, L)`` to ``output_size``, as
    ``torch.nn.functional.adaptive_avg_pool1d``."""
    fn = "adaptive_avg_pool1d"
    x = _spatial_input(fn, x, 1)
    return AdaptiveAvgPool(1, **_geometry_1d(fn, output_size=output_size))(x)
