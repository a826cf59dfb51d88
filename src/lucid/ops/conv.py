"""Convolution ops: conv1d, conv2d and (1-D/2-D) transposed convolutions, each one im2col and
one BLAS product for the whole batch (``lucid.kernels.conv``), with its own gradient.

1-D convolutions run as 2-D ones of height 1, and unbatched inputs as a batch of one: the ops
reshape their arrays (free views) instead of adding nodes to the graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._graph import operation, poly_func_op
from lucid.kernels import conv as K
from lucid.tensor import Tensor

TensorLike = Any

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


def _floating(a: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Integer inputs compute in the other operand's float dtype (float32 if neither is)."""
    if a.dtype.kind == "f":
        return a
    return a.astype(like.dtype if like.dtype.kind == "f" else np.float32)


class _Conv(operation):
    """Shared reshaping of a convolution op: arrays to (N, C, H, W) and the results back."""

    def __init__(self, spatial: int, **geometry: Any) -> None:
        self.spatial = spatial  # 1 or 2 spatial axes
        self.geometry = geometry  # keyword arguments of the kernel, already 2-D

    def _as_2d(self, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.x_shape, self.w_shape = x.shape, w.shape
        x = _floating(x, w)
        w = _floating(w, x)
        if x.ndim == self.spatial + 1:  # unbatched
            x = x[None]
        if self.spatial == 1:
            x, w = x[:, :, None, :], w[:, :, None, :]
        return x, w

    def _out_shape(self, out: np.ndarray) -> np.ndarray:
        """The 4-D kernel result in the caller's layout (no batch axis for unbatched input)."""
        if self.spatial == 1:
            out = out[:, :, 0, :]
        return out[0] if len(self.x_shape) == self.spatial + 1 else out

    def _grad_4d(self, grad: np.ndarray) -> np.ndarray:
        if len(self.x_shape) == self.spatial + 1:
            grad = grad[None]
        return grad[:, :, None, :] if self.spatial == 1 else grad

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
            np.ascontiguousarray(self._grad_4d(grad)),
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
            np.ascontiguousarray(self._grad_4d(grad)),
            self.x4,
            self.w4,
            need_dx=self.parents[0].requires_grad,
            need_dw=self.parents[1].requires_grad,
            **self.geometry,
        )
        return self._gradients(dx, dw, db)


# --------------------------------------------------------------------------- arguments


def _as_tensor(x: TensorLike) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _check_ranks(fn: str, x: Tensor, w: Tensor, spatial: int, transposed: bool) -> None:
    axes = "(C, L)" if spatial == 1 else "(C, H, W)"
    batched = "(N, C, L)" if spatial == 1 else "(N, C, H, W)"
    if x.ndim not in (spatial + 1, spatial + 2):
        raise ValueError(
            f"{fn}: expected a {spatial + 1}-D {axes} or {spatial + 2}-D {batched} input, "
            f"got shape {x.shape}"
        )
    if w.ndim != spatial + 2:
        layout = "(C_in, C_out/groups" if transposed else "(C_out, C_in/groups"
        kernel = ", k)" if spatial == 1 else ", kh, kw)"
        raise ValueError(
            f"{fn}: weight must be {spatial + 2}-D {layout}{kernel}, got shape {w.shape}"
        )


def _one(value: Any, what: str, fn: str) -> int:
    """A 1-D geometry argument: an int or a 1-tuple of one."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{fn}: {what} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    if not isinstance(value, (int, np.integer)):
        raise ValueError(f"{fn}: {what} must be an int or a 1-tuple, got {value!r}")
    return int(value)


def _geometry_1d(fn: str, fill: dict[str, int], *values: Any) -> dict[str, Any]:
    """1-D arguments (in ``fill``'s order) as the 2-D kernel's keywords; ``fill[name]`` is the
    value for the height axis."""
    out = {}
    for name, value in zip(fill, values, strict=True):
        if isinstance(value, str):  # padding='same' / 'valid'
            out[name] = value
        else:
            out[name] = (fill[name], _one(value, name, fn))
    return out


def _inputs(x: Tensor, w: Tensor, b: TensorLike | None) -> tuple:
    return (x, w) if b is None else (x, w, b)


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
    x, weight = _as_tensor(x), _as_tensor(weight)
    _check_ranks("conv2d", x, weight, 2, transposed=False)
    op = Conv(2, stride=stride, padding=padding, dilation=dilation, groups=groups)
    return op(*_inputs(x, weight, bias))


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
    x, weight = _as_tensor(x), _as_tensor(weight)
    _check_ranks("conv1d", x, weight, 1, transposed=False)
    geometry = _geometry_1d(
        "conv1d", {"stride": 1, "padding": 0, "dilation": 1}, stride, padding, dilation
    )
    return Conv(1, groups=groups, **geometry)(*_inputs(x, weight, bias))


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
    x, weight = _as_tensor(x), _as_tensor(weight)
    _check_ranks("conv_transpose2d", x, weight, 2, transposed=True)
    op = ConvTranspose(
        2,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        groups=groups,
    )
    return op(*_inputs(x, weight, bias))


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
    x, weight = _as_tensor(x), _as_tensor(weight)
    _check_ranks("conv_transpose1d", x, weight, 1, transposed=True)
    fill = {"stride": 1, "padding": 0, "output_padding": 0, "dilation": 1}
    geometry = _geometry_1d("conv_transpose1d", fill, stride, padding, output_padding, dilation)
    return ConvTranspose(1, groups=groups, **geometry)(*_inputs(x, weight, bias))
