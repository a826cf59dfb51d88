"""Convolution ops: conv1d, conv2d and (1-D/2-D) transposed convolutions, each one im2col and
one BLAS product for the whole batch (``lucid.kernels.conv``), with its own gradient.

1-D convolutions run as 2-D ones of height 1, and unbatched inputs as a batch of one: the ops
reshape their arrays (free views) instead of adding nodes to the graph. That reshaping
(``_Spatial``) and the argument checks for 1-D and unbatched inputs also serve lucid.ops.pool.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._graph import operation, poly_func_op, unary_func_op
from lucid.kernels import conv as K
from lucid.ops.linalg import matmul
from lucid.ops.shape import pad, stack
from lucid.tensor import Tensor

TensorLike = Any

__all__ = [
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "fold", "unfold",
]  # fmt: skip

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
        axes = {1: "L", 2: "H, W", 3: "D, H, W"}[spatial]
        raise ValueError(
            f"{fn}: expected a {spatial + 1}-D (C, {axes}) or {spatial + 2}-D (N, C, {axes}) "
            f"input, got shape {x.shape}"
        )
    return x


def _ints(fn: str, name: str, value: Any, n: int) -> tuple[int, ...]:
    """An int repeated n times, or a tuple of n ints; ValueError naming ``fn`` otherwise (also
    the 3-D ops', lucid.ops.pool's and the conv and padding layers' geometry check)."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(value)
    if len(value) != n or not all(isinstance(v, (int, np.integer)) for v in value):
        raise ValueError(f"{fn}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    return tuple(int(v) for v in value)


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


# --------------------------------------------------------------------------- fold and unfold


def _fold_geometry(fn: str, kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> dict:
    def pair(name: str, value: Any, low: int) -> tuple[int, int]:
        if isinstance(value, (int, np.integer)):
            value = (int(value),) * 2
        value = tuple(value)
        if len(value) != 2 or not all(isinstance(v, (int, np.integer)) for v in value):
            raise ValueError(f"{fn}: {name} must be an int or a pair of ints, got {value!r}")
        if min(value) < low:
            raise ValueError(f"{fn}: {name} must be >= {low}, got {value}")
        return int(value[0]), int(value[1])

    return {
        "kernel_size": pair("kernel_size", kernel_size, 1),
        "dilation": pair("dilation", dilation, 1),
        "padding": pair("padding", padding, 0),
        "stride": pair("stride", stride, 1),
    }


def _blocks(x_hw: tuple[int, int], g: dict) -> tuple[int, int]:
    return tuple(
        K.conv_output_size(
            x_hw[a], g["kernel_size"][a], g["stride"][a], g["padding"][a], g["dilation"][a]
        )
        for a in range(2)
    )


class Unfold(operation):
    """The sliding blocks of x (N, C, H, W) as (N, C*kh*kw, L);  d/dx = fold(grad)."""

    def __init__(self, geometry: dict) -> None:
        self.geometry = geometry

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x_shape = x.shape
        return _unfold_array(x, self.geometry)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        if isinstance(grad, Tensor):  # recorded: fold is unfold's adjoint, itself linear
            return Fold(self.x_shape, self.geometry)(grad)
        return _fold_array(grad, self.x_shape, self.geometry)


class Fold(operation):
    """Sum blocks (N, C*kh*kw, L) into (N, C, H, W), overlaps adding;  d/dx = unfold(grad)."""

    def __init__(self, out_shape: tuple, geometry: dict) -> None:
        self.out_shape, self.geometry = out_shape, geometry

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        return _fold_array(x, self.out_shape, self.geometry)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        if isinstance(grad, Tensor):  # recorded
            return Unfold(self.geometry)(grad)
        return _unfold_array(grad, self.geometry)


def _unfold_array(x: np.ndarray, geometry: dict) -> np.ndarray:
    cols = K.im2col(np.ascontiguousarray(x), **geometry)  # (C*kh*kw, N*L)
    return np.ascontiguousarray(cols.reshape(cols.shape[0], x.shape[0], -1).transpose(1, 0, 2))


def _fold_array(cols: np.ndarray, out_shape: tuple, geometry: dict) -> np.ndarray:
    rows = cols.shape[1]
    flat = np.ascontiguousarray(cols.transpose(1, 0, 2)).reshape(rows, -1)
    return K.col2im(flat, out_shape, **geometry)


def unfold(
    input: TensorLike,  # noqa: A002 - PyTorch's name
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> Tensor:
    """Sliding local blocks of ``(N, C, H, W)`` (or ``(C, H, W)``) as ``(N, C*kh*kw, L)``, as
    ``torch.nn.functional.unfold``: row ``(c*kh + i)*kw + j``, column ``oh*OW + ow``."""
    fn = "unfold"
    x = _spatial_input(fn, input, 2)
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: expected a floating-point input, got {x.dtype}")
    g = _fold_geometry(fn, kernel_size, dilation, padding, stride)
    if min(_blocks(x.shape[-2:], g)) < 1:
        raise ValueError(f"{fn}: input of shape {x.shape} is smaller than the kernel {g}")
    if x.ndim == 3:
        return Unfold(g)(x[None])[0]
    return Unfold(g)(x)


def fold(
    input: TensorLike,  # noqa: A002 - PyTorch's name
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> Tensor:
    """Sum sliding blocks ``(N, C*kh*kw, L)`` (or ``(C*kh*kw, L)``) into ``(N, C, *output_size)``,
    as ``torch.nn.functional.fold`` (overlapping entries add; unfold's adjoint)."""
    fn = "fold"
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim not in (2, 3):
        raise ValueError(
            f"{fn}: expected a 2-D (C*kh*kw, L) or 3-D (N, C*kh*kw, L) input, got shape {x.shape}"
        )
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: expected a floating-point input, got {x.dtype}")
    g = _fold_geometry(fn, kernel_size, dilation, padding, stride)
    size = _fold_geometry(fn, output_size, 1, 0, 1)["kernel_size"]
    k = g["kernel_size"][0] * g["kernel_size"][1]
    blocks = _blocks(size, g)
    if x.shape[-2] % k or x.shape[-1] != blocks[0] * blocks[1] or min(blocks) < 1:
        raise ValueError(
            f"{fn}: input of shape {x.shape} does not match output_size {size} with "
            f"kernel_size {g['kernel_size']}: expected (N, C*{k}, {blocks[0] * blocks[1]})"
        )
    batched = x if x.ndim == 3 else x[None]
    out = Fold((batched.shape[0], x.shape[-2] // k, *size), g)(batched)
    return out if x.ndim == 3 else out[0]


# --------------------------------------------------------------------------- 3-D convolutions


def _conv3d_input(fn: str, x: TensorLike, weight: TensorLike) -> tuple[Tensor, Tensor, bool]:
    x = _spatial_input(fn, x, 3)
    weight = weight if isinstance(weight, Tensor) else Tensor(weight)
    if weight.ndim != 5:
        raise ValueError(f"{fn}: weight must be 5-D, got shape {weight.shape}")
    return (x if x.ndim == 5 else x[None]), weight, x.ndim == 4


def _finish_3d(fn: str, out: Tensor, bias: TensorLike | None, unbatched: bool) -> Tensor:
    """The 3-D convolutions' last step: ``bias`` (C_out,) added per output channel of ``out``
    (N, C_out, D, H, W), and the batch axis dropped again for an unbatched input."""
    if bias is not None:
        c_out = out.shape[1]
        b = bias if isinstance(bias, Tensor) else Tensor(bias)
        if b.shape != (c_out,):
            raise ValueError(f"{fn}: bias of shape {b.shape} must be ({c_out},)")
        out = out + b.reshape(c_out, 1, 1, 1)
    return out[0] if unbatched else out


def conv3d(
    x: TensorLike,
    weight: TensorLike,
    bias: TensorLike | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """3-D cross-correlation, as ``torch.nn.functional.conv3d``: x ``(N, C_in, D, H, W)`` or
    ``(C_in, D, H, W)``, weight ``(C_out, C_in/groups, kd, kh, kw)``; ``padding`` an int, a
    triple, ``'valid'`` or ``'same'``.

    Runs as one conv2d: the kd depth-shifted slices of x become extra input channels (one
    BLAS product for the batch and every output depth).
    """
    fn = "conv3d"
    x, weight, unbatched = _conv3d_input(fn, x, weight)
    (sd, sh, sw), (dd, dh, dw) = _ints(fn, "stride", stride, 3), _ints(fn, "dilation", dilation, 3)
    kd, kh, kw = weight.shape[2:]
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"{fn}: padding must be 'same', 'valid' or ints, got {padding!r}")
        if padding == "same" and (sd, sh, sw) != (1, 1, 1):
            raise ValueError(f"{fn}: padding='same' is not supported for strided convolutions")
        totals = [
            d * (k - 1) if padding == "same" else 0
            for d, k in zip((dd, dh, dw), (kd, kh, kw), strict=True)
        ]
        pads = [(t // 2, t - t // 2) for t in totals]  # PyTorch pads the end more
    else:
        pads = [(p, p) for p in _ints(fn, "padding", padding, 3)]
    n, c = x.shape[:2]
    if c % groups or weight.shape[0] % groups or weight.shape[1] * groups != c:
        raise ValueError(
            f"{fn}: x of shape {x.shape} and weight of shape {weight.shape} do not match with "
            f"groups={groups}: the weight must be (C_out, C_in/groups, kd, kh, kw)"
        )
    if any(pads[0]):
        x = pad(x, [(0, 0), (0, 0), pads[0], (0, 0), (0, 0)])
    depth = x.shape[2]
    od = (depth - dd * (kd - 1) - 1) // sd + 1
    if od < 1:
        raise ValueError(f"{fn}: input of shape {x.shape} (padded) is smaller than the kernel")
    last = (od - 1) * sd + 1
    slices = [x[:, :, i * dd : i * dd + last : sd] for i in range(kd)]  # (N, C, OD, H, W) each
    h, w = x.shape[3:]
    stacked = stack(slices, axis=1).reshape(n, kd, groups, c // groups, od, h, w)
    x2 = stacked.permute(0, 4, 2, 1, 3, 5, 6).reshape(n * od, groups * kd * (c // groups), h, w)
    c_out = weight.shape[0]
    w2 = weight.permute(0, 2, 1, 3, 4).reshape(c_out, kd * weight.shape[1], kh, kw)
    out = conv2d(x2, w2, None, (sh, sw), (pads[1], pads[2]), (dh, dw), groups)
    out = out.reshape(n, od, c_out, *out.shape[2:]).permute(0, 2, 1, 3, 4)
    return _finish_3d(fn, out, bias, unbatched)


def conv_transpose3d(
    x: TensorLike,
    weight: TensorLike,
    bias: TensorLike | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """3-D transposed convolution, as ``torch.nn.functional.conv_transpose3d``: x
    ``(N, C_in, D, H, W)`` or unbatched, weight ``(C_in, C_out/groups, kd, kh, kw)``;
    ``OD = (D-1)*sd - 2*pd + dd*(kd-1) + output_padding + 1`` (likewise OH, OW).

    Runs as one conv_transpose2d with the kd kernel slices as extra output channels, then a
    fixed 0/1 matrix that adds each slice's output into its output depths.
    """
    fn = "conv_transpose3d"
    x, weight, unbatched = _conv3d_input(fn, x, weight)
    (sd, sh, sw), (dd, dh, dw) = _ints(fn, "stride", stride, 3), _ints(fn, "dilation", dilation, 3)
    (pd, ph, pw) = _ints(fn, "padding", padding, 3)
    (opd, oph, opw) = _ints(fn, "output_padding", output_padding, 3)
    n, c_in, depth, h, w = x.shape
    kd, kh, kw = weight.shape[2:]
    g = groups
    if c_in % g or weight.shape[0] != c_in:
        raise ValueError(
            f"{fn}: x of shape {x.shape} and weight of shape {weight.shape} do not match with "
            f"groups={g}: the weight must be (C_in, C_out/groups, kd, kh, kw)"
        )
    if not 0 <= opd < max(sd, dd):
        raise ValueError(f"{fn}: output_padding {opd} must be smaller than stride or dilation")
    full = (depth - 1) * sd + dd * (kd - 1) + 1 + opd
    od = full - 2 * pd
    if od < 1:
        raise ValueError(f"{fn}: input of shape {x.shape} gives an empty output depth {od}")
    cg = weight.shape[1]  # C_out / groups
    # weight (C_in, Cg, kd, kh, kw) -> (C_in, kd*Cg, kh, kw): group j's outputs are (kd, Cg)
    w2 = weight.permute(0, 2, 1, 3, 4).reshape(c_in, kd * cg, kh, kw)
    x2 = x.permute(0, 2, 1, 3, 4).reshape(n * depth, c_in, h, w)
    y = conv_transpose2d(x2, w2, None, (sh, sw), (ph, pw), (oph, opw), g, (dh, dw))
    oh, ow = y.shape[2:]
    y = y.reshape(n, depth, g, kd, cg, oh, ow).permute(0, 1, 3, 2, 4, 5, 6)
    y = y.reshape(n, depth * kd, g * cg * oh * ow)
    # out[z] = sum of y[d, i] over z + pd = d*sd + i*dd
    m = np.zeros((od, depth * kd), dtype=y.dtype)
    d_idx, i_idx = np.meshgrid(np.arange(depth), np.arange(kd), indexing="ij")
    z = (d_idx * sd + i_idx * dd - pd).reshape(-1)
    inside = (z >= 0) & (z < od)
    m[z[inside], np.arange(depth * kd)[inside]] = 1
    # one 2-D product (BLAS): (OD, D*kd) @ (D*kd, N*rest)
    flat = matmul(m, y.permute(1, 0, 2).reshape(depth * kd, -1)).reshape(od, n, g * cg, oh, ow)
    out = flat.permute(1, 2, 0, 3, 4)
    return _finish_3d(fn, out, bias, unbatched)
