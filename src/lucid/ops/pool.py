"""Pooling ops: max, average and adaptive average pooling over 1 or 2 spatial axes.

The work is done by ``lucid.kernels.pool`` on (N, C, H, W) arrays; 1-D pooling runs as 2-D
pooling of height 1 and unbatched inputs as a batch of one (reshapes, not extra graph nodes).
Integer inputs pool in float32.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lucid._graph import no_grad, unary_func_op
from lucid.kernels import pool as K
from lucid.ops.activation import relu
from lucid.ops.conv import _geometry_1d, _ints, _Spatial, _spatial_input
from lucid.ops.creation import zeros
from lucid.ops.elementwise import abs as abs_
from lucid.ops.elementwise import sign
from lucid.ops.index import gather, scatter_add
from lucid.ops.vision import interpolate
from lucid.tensor import Tensor

TensorLike = Any

__all__ = [
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "max_pool3d", "avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "adaptive_avg_pool3d",
    "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d",
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


# --------------------------------------------------------------------------- 3-D and adaptive max
# Composed: the positions of the maxima come from the arrays (the 2-D and 1-D kernels, or a
# separable search), and one differentiable gather picks them, so each gradient goes to one
# element, the first maximum in (d, h, w) order, as PyTorch's.


def _volume_input(fn: str, x: TensorLike, spatial: int) -> tuple[Tensor, bool]:
    x = _spatial_input(fn, x, spatial)
    unbatched = x.ndim == spatial + 1
    x = x[None] if unbatched else x
    if x.dtype.kind != "f":
        x = x.astype(np.float32)
    return x, unbatched


def _pick(x: Tensor, flat: np.ndarray, out_spatial: tuple) -> Tensor:
    """x (N, C, *spatial) at the flat spatial positions ``flat`` (N, C, *out_spatial)."""
    n, c = x.shape[:2]
    volume, picked = math.prod(x.shape[2:]), math.prod(out_spatial)  # explicit: N may be 0
    values = gather(x.reshape(n, c, volume), 2, flat.reshape(n, c, picked))
    return values.reshape(n, c, *out_spatial)


def _finish(
    out: Tensor, flat: np.ndarray, unbatched: bool, return_indices: bool
) -> Tensor | tuple[Tensor, Tensor]:
    if unbatched:
        out, flat = out[0], flat[0]
    return (out, Tensor._wrap(flat)) if return_indices else out


def max_pool3d(
    x: TensorLike,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """3-D max pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``, as
    ``torch.nn.functional.max_pool3d``; ``return_indices`` gives each maximum's flat index in
    its ``D*H*W`` volume. The maximum is separable: over (h, w) windows, then over depth."""
    fn = "max_pool3d"
    x, unbatched = _volume_input(fn, x, 3)
    k = _ints(fn, "kernel_size", kernel_size, 3)
    s = k if stride is None else _ints(fn, "stride", stride, 3)
    p, d = _ints(fn, "padding", padding, 3), _ints(fn, "dilation", dilation, 3)
    n, c, depth, h, w = x.shape
    with no_grad():
        plane = Tensor._wrap(x._data.reshape(n, c * depth, h, w))
        v1, i1 = max_pool2d(plane, k[1:], s[1:], p[1:], d[1:], ceil_mode, True)
        oh, ow = v1.shape[2:]
        rows = np.ascontiguousarray(v1._data.reshape(n * c, depth, oh * ow).transpose(0, 2, 1))
        _, i2 = max_pool1d(Tensor._wrap(rows), k[0], s[0], p[0], d[0], ceil_mode, True)
    where_hw = i1._data.reshape(n * c, depth, oh * ow).transpose(0, 2, 1)
    depth_index = i2._data  # (N*C, OH*OW, OD)
    flat = depth_index * (h * w) + np.take_along_axis(where_hw, depth_index, axis=2)
    od = depth_index.shape[2]
    flat = flat.reshape(n, c, oh, ow, od).transpose(0, 1, 4, 2, 3)
    return _finish(_pick(x, flat, (od, oh, ow)), flat, unbatched, return_indices)


def avg_pool3d(
    x: TensorLike,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """3-D average pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``, as
    ``torch.nn.functional.avg_pool3d``: PyTorch's divisor is a product over the axes, so the
    pooling runs as a 2-D one over (h, w) and a 1-D one over depth."""
    fn = "avg_pool3d"
    x, unbatched = _volume_input(fn, x, 3)
    k = _ints(fn, "kernel_size", kernel_size, 3)
    s = k if stride is None else _ints(fn, "stride", stride, 3)
    p = _ints(fn, "padding", padding, 3)
    if divisor_override is not None and divisor_override <= 0:
        raise ValueError(f"{fn}: divisor_override must be positive, got {divisor_override}")
    n, c, depth, h, w = x.shape
    override = None if divisor_override is None else 1
    planes = avg_pool2d(
        x.reshape(n, c * depth, h, w), k[1:], s[1:], p[1:], ceil_mode, count_include_pad, override
    )
    oh, ow = planes.shape[2:]
    rows = planes.reshape(n * c, depth, 1, oh * ow).permute(0, 3, 2, 1)  # (N*C, OH*OW, 1, D)
    out = avg_pool2d(
        rows, (1, k[0]), (1, s[0]), (0, p[0]), ceil_mode, count_include_pad, divisor_override
    )
    od = out.shape[3]
    out = out.reshape(n, c, oh, ow, od).permute(0, 1, 4, 2, 3)
    return out[0] if unbatched else out


def _adaptive_sizes(fn: str, output_size: Any, spatial: tuple) -> tuple[int, ...]:
    k = len(spatial)
    sizes = (output_size,) * k if not isinstance(output_size, (tuple, list)) else output_size
    if len(sizes) != k:
        raise ValueError(f"{fn}: output_size {output_size!r} must have {k} entries")
    out = tuple(n if o is None else int(o) for o, n in zip(sizes, spatial, strict=True))
    if min(out) < 1:
        raise ValueError(f"{fn}: output_size must be positive, got {output_size!r}")
    return out


def _adaptive_argmax(a: np.ndarray, out_sizes: tuple) -> np.ndarray:
    """Flat spatial index of each adaptive window's first maximum; a is (N, C, *spatial).

    Separable: the last axis first, so among equal maxima the earliest in (d, h, w) order
    wins. Window i of an axis of n is ``[floor(i*n/o), ceil((i+1)*n/o))``."""
    spatial = a.shape[2:]
    vals = a
    pos = np.broadcast_to(np.arange(math.prod(spatial)).reshape(spatial), a.shape)
    for axis in range(len(spatial) - 1, -1, -1):
        n, o = spatial[axis], out_sizes[axis]
        start, stop = K._adaptive_axis(n, o)
        width = int((stop - start).max())
        slots = np.arange(width)
        idx = np.where(slots < (stop - start)[:, None], start[:, None] + slots, start[:, None])
        vm, pm = np.moveaxis(vals, axis + 2, -1), np.moveaxis(pos, axis + 2, -1)
        first = vm[..., idx].argmax(axis=-1)  # (..., o): the first maximum in each window
        chosen = idx[np.arange(o), first]
        vals = np.moveaxis(np.take_along_axis(vm, chosen, -1), -1, axis + 2)
        pos = np.moveaxis(np.take_along_axis(pm, chosen, -1), -1, axis + 2)
    return np.ascontiguousarray(pos)


def _adaptive_max(
    fn: str, x: TensorLike, output_size: Any, spatial: int, return_indices: bool
) -> Tensor | tuple[Tensor, Tensor]:
    x, unbatched = _volume_input(fn, x, spatial)
    if min(x.shape[2:]) < 1:
        raise ValueError(f"{fn}: spatial sizes must be positive, got input shape {x.shape}")
    sizes = _adaptive_sizes(fn, output_size, x.shape[2:])
    flat = _adaptive_argmax(x._data, sizes)
    return _finish(_pick(x, flat, sizes), flat, unbatched, return_indices)


def adaptive_max_pool1d(
    x: TensorLike, output_size: Any, return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Adaptive 1-D max pooling of ``(N, C, L)`` or ``(C, L)``, as
    ``torch.nn.functional.adaptive_max_pool1d``; windows as adaptive_avg_pool1d's."""
    return _adaptive_max("adaptive_max_pool1d", x, output_size, 1, return_indices)


def adaptive_max_pool2d(
    x: TensorLike, output_size: Any, return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Adaptive 2-D max pooling to ``output_size`` (an int, or a pair whose None entries keep
    that size), as ``torch.nn.functional.adaptive_max_pool2d``; indices are flat in H*W."""
    return _adaptive_max("adaptive_max_pool2d", x, output_size, 2, return_indices)


def adaptive_max_pool3d(
    x: TensorLike, output_size: Any, return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Adaptive 3-D max pooling of ``(N, C, D, H, W)`` or ``(C, D, H, W)``, as
    ``torch.nn.functional.adaptive_max_pool3d``."""
    return _adaptive_max("adaptive_max_pool3d", x, output_size, 3, return_indices)


def adaptive_avg_pool3d(x: TensorLike, output_size: Any) -> Tensor:
    """Adaptive 3-D average pooling, as ``torch.nn.functional.adaptive_avg_pool3d``: one
    fixed averaging matrix per axis (``interpolate``'s area mode)."""
    fn = "adaptive_avg_pool3d"
    x, unbatched = _volume_input(fn, x, 3)
    sizes = _adaptive_sizes(fn, output_size, x.shape[2:])
    out = interpolate(x, size=sizes, mode="area")
    return out[0] if unbatched else out


# --------------------------------------------------------------------------- power-average, unpool


def _lp_pool(
    fn: str,
    pool: Any,
    x: TensorLike,
    norm_type: float,
    kernel_size: Any,
    stride: Any,
    ceil_mode: bool,
    spatial: int,
) -> Tensor:
    """PyTorch's lp_pool: ``(sum over the window of x**p) ** (1/p)``, via the average pool
    (no padding) times the window size."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if norm_type == 0:
        raise ValueError(f"{fn}: norm_type must be nonzero")
    k = (kernel_size,) * spatial if isinstance(kernel_size, (int, np.integer)) else kernel_size
    out = pool(x**norm_type, kernel_size, stride, 0, ceil_mode)
    return (sign(out) * relu(abs_(out)) * math.prod(k)) ** (1.0 / norm_type)


def lp_pool1d(
    x: TensorLike, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
) -> Tensor:
    """Power-average pooling over ``(N, C, L)``, as ``torch.nn.functional.lp_pool1d``."""
    return _lp_pool("lp_pool1d", avg_pool1d, x, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(
    x: TensorLike, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
) -> Tensor:
    """Power-average pooling over ``(N, C, H, W)``, as ``torch.nn.functional.lp_pool2d``."""
    return _lp_pool("lp_pool2d", avg_pool2d, x, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(
    x: TensorLike, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
) -> Tensor:
    """Power-average pooling over ``(N, C, D, H, W)``, as ``torch.nn.functional.lp_pool3d``."""
    return _lp_pool("lp_pool3d", avg_pool3d, x, norm_type, kernel_size, stride, ceil_mode, 3)


def _max_unpool(
    fn: str,
    x: TensorLike,
    indices: Any,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    output_size: Any,
    spatial: int,
) -> Tensor:
    """Scatter each value of ``x`` to its flat index in a zero output (max pooling's inverse)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    index = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    if x.ndim not in (spatial + 1, spatial + 2) or index.shape != x.shape:
        raise ValueError(
            f"{fn}: expected an input of {spatial + 1} or {spatial + 2} dimensions and indices "
            f"of its shape, got {x.shape} and {index.shape}"
        )
    if index.dtype.kind not in "iu":
        raise TypeError(f"{fn}: indices must be integers, got {index.dtype}")

    def per_axis(value: Any, name: str) -> tuple[int, ...]:
        if isinstance(value, (int, np.integer)):
            return (int(value),) * spatial
        value = tuple(int(v) for v in value)
        if len(value) != spatial:
            raise ValueError(f"{fn}: {name} must be an int or {spatial} ints, got {value}")
        return value

    k = per_axis(kernel_size, "kernel_size")
    s = k if stride is None else per_axis(stride, "stride")
    p = per_axis(padding, "padding")
    size = x.shape[-spatial:]
    if output_size is None:
        out = tuple(
            (n - 1) * s_ - 2 * p_ + k_ for n, k_, s_, p_ in zip(size, k, s, p, strict=True)
        )
    else:
        out = tuple(int(v) for v in output_size)[-spatial:]
        if len(out) != spatial:
            raise ValueError(f"{fn}: output_size {tuple(output_size)} needs {spatial} sizes")
    volume = math.prod(out)
    if index.size and (index.min() < 0 or index.max() >= volume):
        raise ValueError(
            f"{fn}: found an index out of range for the output size {out} (flat size {volume})"
        )
    lead = x.shape[: x.ndim - spatial]
    flat = x.reshape(*lead, -1)
    target = zeros(*lead, volume, dtype=x.dtype)
    result = scatter_add(target, -1, index.reshape(*lead, -1), flat)
    return result.reshape(*lead, *out)


def max_unpool1d(
    x: TensorLike,
    indices: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """The partial inverse of max_pool1d, as ``torch.nn.functional.max_unpool1d``."""
    return _max_unpool("max_unpool1d", x, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool2d(
    x: TensorLike,
    indices: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """The partial inverse of max_pool2d: values at their flat indices in a zero
    ``(N, C, H_out, W_out)``, as ``torch.nn.functional.max_unpool2d``."""
    return _max_unpool("max_unpool2d", x, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool3d(
    x: TensorLike,
    indices: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """The partial inverse of max_pool3d, as ``torch.nn.functional.max_unpool3d``."""
    return _max_unpool("max_unpool3d", x, indices, kernel_size, stride, padding, output_size, 3)


def max_pool1d_with_indices(
    x: TensorLike,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """``max_pool1d`` with its indices, always (PyTorch's name)."""
    return max_pool1d(x, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(
    x: TensorLike,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """``max_pool2d`` with its indices, always (PyTorch's name)."""
    return max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(
    x: TensorLike,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """``max_pool3d`` with its indices, always (PyTorch's name)."""
    return max_pool3d(x, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(
    x: TensorLike, output_size: Any, return_indices: bool = False
) -> tuple[Tensor, Tensor]:
    """``adaptive_max_pool1d`` with its indices, always."""
    return adaptive_max_pool1d(x, output_size, True)


def adaptive_max_pool2d_with_indices(
    x: TensorLike, output_size: Any, return_indices: bool = False
) -> tuple[Tensor, Tensor]:
    """``adaptive_max_pool2d`` with its indices, always."""
    return adaptive_max_pool2d(x, output_size, True)


def adaptive_max_pool3d_with_indices(
    x: TensorLike, output_size: Any, return_indices: bool = False
) -> tuple[Tensor, Tensor]:
    """``adaptive_max_pool3d`` with its indices, always."""
    return adaptive_max_pool3d(x, output_size, True)
