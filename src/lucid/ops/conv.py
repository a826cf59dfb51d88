"""Convolution ops: conv1d, conv2d and (1-D/2-D) transposed convolutions, each one im2col and
one BLAS product for the whole batch (``lucid.kernels.conv``), with its own gradient.

1-D convolutions run as 2-D ones of height 1, and unbatched inputs as a batch of one: the ops
reshape their arrays (free views) instead of adding nodes to the graph. That reshaping
(``_Spatial``) and the argument checks for 1-D and unbatched inputs also serve lucid.ops.pool.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._graph import operation, poly_func_op
from lucid.kernels import conv as K
from lucid.tensor import Tensor

TensorLike = Any

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]

# A 1-D op runs as a 2-D one of height 1: the height-axis value of each geometry argument.
_HEIGHT_1D = {
    "kernel_size": 1, "stride": 1, "padding": 0, "output_padding": 0, "dilation": 1,
    "output_size": 1,
}  # fmt: skip


def _floating(a: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Integer inputs compute in the other operand's float dtype (float32 if neither is)."""
    if a.dtype.kind == "f":
        return a
    return a.astype(like.dtype if like.dtype.kind == "f" else np.float32)


class _Spatial(operation):
    """An op over 1 or 2 spatial axes of a batched or unbatched input, run by a kernel on
    (N, C, H, W) arrays: the reshaping there and back (free views), shared with lucid.ops.pool.

    The subclass's forward sets ``self.x_shape``, the input's shape as given.
    """

    def __init__(self, spatial: int, **geometry: Any) -> None:
        self.spatial = spatial  # 1 or 2 spatial axes
        self.geometry = geometry  # keyword arguments of the kernel, already 2-D

    def _to_4d(self, a: np.ndarray) -> np.ndarray:
        """An array in the input's layout (x, or the output's gradient) as (N, C, H, W)."""
        if len(self.x_shape) == self.spatial + 1:  # unbatched
            a = a[None]
        return a[:, :, None, :] if self.spatial == 1 else a

    def _out_shape(self, out: np.ndarray) -> np.ndarray:
        """The 4-D kernel result in the caller's layout (no batch axis for unbatched input)."""
        if self.spatial == 1:
            out = out[:, :, 0, :]
        return out[0] if len(self.x_shape) == self.spatial + 1 else out

    def _grad_4d(self, grad: np.ndarray) -> np.ndarray:
        """The output's gradient as the contiguous (N, C, H, W) array the kernels take."""
        return np.ascontiguousarray(self._to_4d(grad))


class _Conv(_Spatial):
    """What the convolution ops share: float inputs, the weight's 1-D reshape, the gradients."""

    # The gradients run im2col/col2im kernels on saved arrays: not recorded as ops.
    double_backward = False

    def _as_2d(self, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.x_shape, self.w_shape = x.shape, w.shape
        x = _floating(x, w)
        w = _floating(w, x)
        if self.spatial == 1:
            w = w[:, :, None, :]
        return self._to_4d(x), w

    def _gradients(self, dx: Any, dw: Any, db: Any) -> tuple:
        dx = None if dx is None else dx.reshape(self.x_shape)
        dw = None if dw is None else dw.reshape(self.w_shape)
        if len(self.parents) == 2:
            return dx, dw
        return dx, dw, (db if self.parents[2].requires_grad else None)


class Conv(_Conv):
    """conv(x, w) + b over windows;  dx = col2im(W^T @ G), dw = G @ cols^T, db = sum of G."""

    @poly_func_op()
    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        x, w = self._as_2d(x, w)
        out, self.cols = K.conv2d_forward(x, w, b, **self.geometry)
        self.x4_shape, self.w4 = x.shape, w
        return self._out_shape(out)

    def gradient(self, grad: np.ndarray) -> tuple:
        dx, dw, db = K.conv2d_backward(
            self._grad_4d(grad),
            self.x4_shape,
            self.cols,
            self.w4,
            need_dx=self.parents[0].requires_grad,
            need_dw=self.parents[1].requires_grad,
            **self.geometry,
        )
        return self._gradients(dx, dw, db)


class ConvTranspose(_Conv):
    """conv's adjoint in x, plus b;  dx = conv(G, w), dw pairs x with im2col(G), db = sum of G."""

    @poly_func_op()
    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        x, w = self._as_2d(x, w)
        self.x4, self.w4 = x, w
        return self._out_shape(K.conv_transpose2d_forward(x, w, b, **self.geometry))

    def gradient(self, grad: np.ndarray) -> tuple:
        dx, dw, db = K.conv_transpose2d_backward(
            self._grad_4d(grad),
            self.x4,
            self.w4,
            need_dx=self.parents[0].requires_grad,
            need_dw=self.parents[1].requires_grad,
            **self.geometry,
        )
        return self._gradients(dx, dw, db)


# --------------------------------------------------------------------------- arguments


def _spatial_input(fn: str, x: TensorLike, spatial: int) -> Tensor:
    """``x`` as a Tensor; ValueError unless it is ``(C, *spatial)`` or ``(N, C, *spatial)``."""
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


def _geometry_1d(fn: str, keep: type | tuple[type, ...] = (), **values: Any) -> dict[str, Any]:
    """1-D geometry arguments as the 2-D kernel's keywords, height 1: ``padding=2`` becomes
    ``(0, 2)``. Values of type ``keep`` (a convolution's ``padding='same'``) go on unchanged."""
    return {
        name: value if isinstance(value, keep) else (_HEIGHT_1D[name], _one(fn, name, value))
        for name, value in values.items()
    }


def _convolve(
    op: type[_Conv],
    fn: str,
    spatial: int,
    x: TensorLike,
    weight: TensorLike,
    bias: TensorLike | None,
    groups: int,
    **geometry: Any,
) -> Tensor:
    """Check the ranks of ``x`` and ``weight``, then apply ``op`` (with ``bias`` if given)."""
    x = _spatial_input(fn, x, spatial)
    weight = weight if isinstance(weight, Tensor) else Tensor(weight)
    if weight.ndim != spatial + 2:
        layout = "(C_in, C_out/groups" if op is ConvTranspose else "(C_out, C_in/groups"
        kernel = ", k)" if spatial == 1 else ", kh, kw)"
        raise ValueError(
            f"{fn}: weight must be {spatial + 2}-D {layout}{kernel}, got shape {weight.shape}"
        )
    if spatial == 1:
        geometry = _geometry_1d(fn, str, **geometry)
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return op(spatial, groups=groups, **geometry)(*inputs)


# --------------------------------------------------------------------------- public functions


def conv2d(
    x: TensorLike,
    weight: TensorLike,
    bias: TensorLike | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``.

    ``out[n, o] = bias[o] + sum_{c in o's group, i, j} weight[o, c, i, j] *
    xpad[n, c, oh*sh + i*dh, ow*sw + j*dw]``; x is ``(N, C_in, H, W)`` or unbatched
    ``(C_in, H, W)``, weight ``(C_out, C_in/groups, kh, kw)``. ``padding`` is an int, a pair,
    ``'valid'`` or ``'same'`` (stride 1; an odd total pads the bottom/right more, as PyTorch);
    Lucid also accepts ``((top, bottom), (left, right))``. Result ``(N, C_out, OH, OW)`` in x's
    dtype, computed as im2col and one matrix product for the whole batch.
    """
    geometry = {"stride": stride, "padding": padding, "dilation": dilation}
    return _convolve(Conv, "conv2d", 2, x, weight, bias, groups, **geometry)


def conv1d(
    x: TensorLike,
    weight: TensorLike,
    bias: TensorLike | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation, as ``torch.nn.functional.conv1d``: x ``(N, C_in, L)`` or
    ``(C_in, L)``, weight ``(C_out, C_in/groups, k)``; result ``(N, C_out, OL)``.

    ``padding`` is an int, ``'valid'`` or ``'same'``; runs as conv2d with height 1.
    """
    geometry = {"stride": stride, "padding": padding, "dilation": dilation}
    return _convolve(Conv, "conv1d", 1, x, weight, bias, groups, **geometry)


def conv_transpose2d(
    x: TensorLike,
    weight: TensorLike,
    bias: TensorLike | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """2-D transposed convolution (the adjoint of conv2d in x), as
    ``torch.nn.functional.conv_transpose2d`` (note: ``groups`` comes before ``dilation``).

    x ``(N, C_in, H, W)`` or ``(C_in, H, W)``, weight ``(C_in, C_out/groups, kh, kw)``; result
    ``(N, C_out, OH, OW)`` with ``OH = (H-1)*sh - 2*ph + dh*(kh-1) + output_padding + 1``.
    """
    geometry = {
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "dilation": dilation,
    }
    return _convolve(ConvTranspose, "conv_transpose2d", 2, x, weight, bias, groups, **geometry)


def conv_transpose1d(
    x: TensorLike,
    weight: TensorLike,
    bias: TensorLike | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """1-D transposed convolution, as ``torch.nn.functional.conv_transpose1d``: x
    ``(N, C_in, L)`` or ``(C_in, L)``, weight ``(C_in, C_out/groups, k)``."""
    geometry = {
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "dilation": dilation,
    }
    return _convolve(ConvTranspose, "conv_transpose1d", 1, x, weight, bias, groups, **geometry)
