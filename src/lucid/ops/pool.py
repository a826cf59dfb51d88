"""Pooling ops: max, average and adaptive average pooling over 1 or 2 spatial axes.

The work is done by ``lucid.kernels.pool`` on (N, C, H, W) arrays; 1-D pooling runs as 2-D
pooling of height 1 and unbatched inputs as a batch of one (reshapes, not extra graph nodes).
Integer inputs pool in float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._graph import operation, unary_func_op
from lucid.kernels import pool as K
from lucid.tensor import Tensor

TensorLike = Any

__all__ = [
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d",
]  # fmt: skip


class _Pool(operation):
    """Shared reshaping of a pooling op: x to (N, C, H, W) and the results back."""

    def __init__(self, spatial: int, **geometry: Any) -> None:
        self.spatial = spatial
        self.geometry = geometry  # keyword arguments of the kernel, already 2-D

    def _as_4d(self, x: np.ndarray) -> np.ndarray:
        self.x_shape = x.shape
        x = x if x.dtype.kind == "f" else x.astype(np.float32)
        if x.ndim == self.spatial + 1:  # unbatched
            x = x[None]
        x = x[:, :, None, :] if self.spatial == 1 else x
        self.x4_shape = x.shape
        return x

    def _out_shape(self, out: np.ndarray) -> np.ndarray:
        if self.spatial == 1:
            out = out[:, :, 0, :]
        return out[0] if len(self.x_shape) == self.spatial + 1 else out

    def _grad_4d(self, grad: np.ndarray) -> np.ndarray:
        if len(self.x_shape) == self.spatial + 1:
            grad = grad[None]
        return np.ascontiguousarray(grad[:, :, None, :] if self.spatial == 1 else grad)


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


def _as_tensor(fn: str, x: TensorLike, spatial: int) -> Tensor:
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.ndim not in (spatial + 1, spatial + 2):
        axes = "(C, L)" if spatial == 1 else "(C, H, W)"
        batched = "(N, C, L)" if spatial == 1 else "(N, C, H, W)"
        raise ValueError(
            f"{fn}: expected a {spatial + 1}-D {axes} or {spatial + 2}-D {batched} input, "
            f"got shape {x.shape}"
        )
    return x


def _one(fn: str, what: str, value: Any) -> int:
    """A 1-D geometry argument: an int or a 1-tuple of one."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if not isinstance(value, (int, np.integer)):
        raise ValueError(f"{fn}: {what} must be an int or a 1-tuple, got {value!r}")
    return int(value)


def _indices(op: MaxPool) -> Tensor:
    """max pooling's ``return_indices``: flat indices into each (H*W or L) input plane."""
    return Tensor._wrap(op._out_shape(op.argmax))


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
    x = _as_tensor("max_pool2d", x, 2)
    op = MaxPool(
        2,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
    )
    out = op(x)
    return (out, _indices(op)) if return_indices else out


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
    x = _as_tensor(fn, x, 1)
    kernel = _one(fn, "kernel_size", kernel_size)
    op = MaxPool(
        1,
        kernel_size=(1, kernel),
        stride=(1, kernel if stride is None else _one(fn, "stride", stride)),
        padding=(0, _one(fn, "padding", padding)),
        dilation=(1, _one(fn, "dilation", dilation)),
        ceil_mode=ceil_mode,
    )
    out = op(x)
    return (out, _indices(op)) if return_indices else out


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
    x = _as_tensor("avg_pool2d", x, 2)
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
    x = _as_tensor(fn, x, 1)
    kernel = _one(fn, "kernel_size", kernel_size)
    return AvgPool(
        1,
        kernel_size=(1, kernel),
        stride=(1, kernel if stride is None else _one(fn, "stride", stride)),
        padding=(0, _one(fn, "padding", padding)),
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
    )(x)


def adaptive_avg_pool2d(x: TensorLike, output_size: Any) -> Tensor:
    """Adaptive 2-D average pooling to ``output_size`` (an int, or a pair whose None entries
    keep that input size), as ``torch.nn.functional.adaptive_avg_pool2d``.

    Row window i is ``[floor(i*H/OH), ceil((i+1)*H/OH))``, likewise for columns; result
    ``(N, C, OH, OW)`` or ``(C, OH, OW)``.
    """
    x = _as_tensor("adaptive_avg_pool2d", x, 2)
    return AdaptiveAvgPool(2, output_size=output_size)(x)


def adaptive_avg_pool1d(x: TensorLike, output_size: Any) -> Tensor:
    """Adaptive 1-D average pooling of x ``(N, C, L)`` or ``(C, L)`` to ``output_size``, as
    ``torch.nn.functional.adaptive_avg_pool1d``."""
    fn = "adaptive_avg_pool1d"
    x = _as_tensor(fn, x, 1)
    return AdaptiveAvgPool(1, output_size=(1, _one(fn, "output_size", output_size)))(x)
