"""Resampling ops: interpolate (nearest, linear, cubic, area), pixel shuffles, affine_grid and
grid_sample, as ``torch.nn.functional``'s.

Every one is composed of differentiable ops. Interpolation is separable: along each spatial
axis the output is a fixed matrix (or, for nearest, an index) applied to the input, so the
forward is one ``take`` or matrix product per axis and the gradient is its transpose. The
matrices hold PyTorch's source coordinates and weights, computed in the input's precision
(float32 sums for float32 input, as PyTorch's ``opmath``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lucid.kernels.pool import _adaptive_matrix  # mode="area" is adaptive average pooling
from lucid.ops.elementwise import clip, floor, where
from lucid.ops.index import take
from lucid.ops.linalg import matmul
from lucid.ops.shape import moveaxis
from lucid.tensor import Tensor

__all__ = [
    "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
    "pixel_unshuffle", "affine_grid", "grid_sample", "channel_shuffle",
]  # fmt: skip

_MODES = {
    "nearest": None, "nearest-exact": None, "area": None,
    "linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3,
}  # fmt: skip
_CUBIC_A = -0.75  # PyTorch's (and OpenCV's) cubic convolution coefficient


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# --------------------------------------------------------------------------- interpolate


def _nearest_index(n_in: int, n_out: int, scale: float | None, exact: bool) -> np.ndarray:
    """PyTorch's nearest source index of every output position, in its float32 arithmetic
    (``floorf(dst * scale)``, or ``floorf((dst + 0.5) * scale)`` for nearest-exact)."""
    dst = np.arange(n_out)
    if not exact and n_out == n_in:
        return dst
    if not exact and n_out == 2 * n_in:
        return dst >> 1
    step = np.float32(1.0 / scale if scale and scale > 0 else n_in / n_out)
    pos = (dst.astype(np.float32) + np.float32(0.5 if exact else 0.0)) * step
    return np.minimum(np.floor(pos).astype(np.int64), n_in - 1)


def _source(n_in: int, n_out: int, align_corners: bool, scale: float | None, cubic: bool, dtype):
    """PyTorch's real-valued source coordinate of every output position, in ``dtype``."""
    dst = np.arange(n_out, dtype=dtype)
    if align_corners:
        step = dtype((n_in - 1) / (n_out - 1)) if n_out > 1 else dtype(0)
        return dst * step
    step = dtype(1.0 / scale) if scale and scale > 0 else dtype(n_in / n_out)
    src = (dst + dtype(0.5)) * step - dtype(0.5)
    return src if cubic else np.maximum(src, dtype(0))


def _cubic_weights(t: np.ndarray) -> np.ndarray:
    """The four cubic-convolution weights of offsets -1, 0, 1, 2 at fraction ``t``."""
    a = _CUBIC_A

    def near(x: np.ndarray) -> np.ndarray:  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: np.ndarray) -> np.ndarray:  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], axis=-1)


def _axis_matrix(
    n_in: int, n_out: int, mode: str, align_corners: bool, scale: float | None, dtype
) -> np.ndarray:
    """The (n_out, n_in) matrix that interpolates one axis as PyTorch's ``mode`` does."""
    if mode == "area":  # adaptive average pooling windows
        return _adaptive_matrix(n_in, n_out, dtype)
    rows = np.arange(n_out)[:, None]
    m = np.zeros((n_out, n_in), dtype=dtype)
    cubic = mode == "bicubic"
    src = _source(n_in, n_out, align_corners, scale, cubic, dtype)
    base = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    t = np.clip(src - base, 0, 1).astype(dtype)
    if cubic:
        cols = np.clip(base[:, None] + np.arange(-1, 3), 0, n_in - 1)
        np.add.at(m, (np.broadcast_to(rows, cols.shape), cols), _cubic_weights(t))
        return m
    upper = base + (base < n_in - 1)
    np.add.at(m, (rows[:, 0], base), 1 - t)
    np.add.at(m, (rows[:, 0], upper), t)
    return m


def _spatial_values(fn: str, name: str, value: Any, n: int, kind: type) -> list:
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(
                f"{fn}: {name} {tuple(value)} must have {n} entries, one per spatial dimension"
            )
        return [kind(v) for v in value]
    return [kind(value)] * n


def interpolate(
    input: Any,  # noqa: A002 - PyTorch's name
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial axes of ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)``,
    as ``torch.nn.functional.interpolate``.

    Give ``size`` or ``scale_factor`` (the output is ``floor(in * scale_factor)``, and the
    coordinates use ``1 / scale_factor`` unless ``recompute_scale_factor``). Modes
    ``nearest`` (PyTorch's legacy floor rule), ``nearest-exact``, ``linear``/``bilinear``/
    ``trilinear`` (1/2/3 spatial axes), ``bicubic`` (a = -0.75, borders replicated) and
    ``area``; ``align_corners`` as PyTorch. ``antialias=True`` is not supported.
    """
    fn = "interpolate"
    x = _tensor(input)
    if mode not in _MODES:
        raise ValueError(f"{fn}: mode must be one of {tuple(_MODES)}, got {mode!r}")
    spatial = x.ndim - 2
    if spatial not in (1, 2, 3):
        raise ValueError(
            f"{fn}: expected a 3-D, 4-D or 5-D input (N, C, *spatial), got shape {x.shape}"
        )
    if _MODES[mode] is not None and _MODES[mode] != spatial:
        raise NotImplementedError(
            f"{fn}: got a {x.ndim}-D input, but mode {mode!r} needs a {_MODES[mode] + 2}-D one"
        )
    if antialias:
        raise NotImplementedError(f"{fn}: antialias=True is not supported")
    if _MODES[mode] is None and align_corners is not None:
        raise ValueError(
            f"{fn}: align_corners can only be set with the interpolating modes linear, "
            f"bilinear, bicubic and trilinear, not {mode!r}"
        )
    align_corners = bool(align_corners)
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{fn}: give exactly one of size and scale_factor")
    n_in = x.shape[2:]
    if size is not None:
        n_out = _spatial_values(fn, "size", size, spatial, int)
        scales = [None] * spatial
    else:
        factors = _spatial_values(fn, "scale_factor", scale_factor, spatial, float)
        n_out = [math.floor(n * f) for n, f in zip(n_in, factors, strict=True)]
        scales = [None] * spatial if recompute_scale_factor else factors
    if min(n_in) < 1 or min(n_out) < 1:
        raise ValueError(
            f"{fn}: input and output sizes must be greater than 0, got input {tuple(n_in)} "
            f"and output {tuple(n_out)}"
        )
    if mode != "nearest" and mode != "nearest-exact" and x.dtype.kind != "f":
        raise TypeError(f"{fn}: mode {mode!r} needs a floating-point input, got {x.dtype}")
    for k in range(spatial):
        axis = 2 + k
        if n_in[k] == n_out[k] and (mode in ("nearest", "area") or scales[k] in (None, 1.0)):
            continue  # the identity on this axis
        if mode in ("nearest", "nearest-exact"):
            index = _nearest_index(n_in[k], n_out[k], scales[k], mode == "nearest-exact")
            x = take(x, index, axis=axis)
            continue
        m = _axis_matrix(n_in[k], n_out[k], mode, align_corners, scales[k], x.dtype.type)
        # one 2-D product (BLAS) over all rows: NumPy's broadcast matmul is far slower
        moved = x if axis == x.ndim - 1 else moveaxis(x, axis, -1)
        rows = matmul(moved.reshape(-1, n_in[k]), np.ascontiguousarray(m.T))
        x = rows.reshape(*moved.shape[:-1], n_out[k])
        if axis != x.ndim - 1:
            x = moveaxis(x, -1, axis)
    return x


def upsample(
    input: Any,  # noqa: A002 - PyTorch's name
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
) -> Tensor:
    """PyTorch's deprecated ``F.upsample``: ``interpolate`` with the same arguments."""
    return interpolate(input, size, scale_factor, mode, align_corners, recompute_scale_factor)


def upsample_nearest(input: Any, size: Any = None, scale_factor: Any = None) -> Tensor:  # noqa: A002
    """PyTorch's deprecated ``F.upsample_nearest``: nearest ``interpolate``."""
    return interpolate(input, size, scale_factor, "nearest")


def upsample_bilinear(input: Any, size: Any = None, scale_factor: Any = None) -> Tensor:  # noqa: A002
    """PyTorch's deprecated ``F.upsample_bilinear``: bilinear with ``align_corners=True``."""
    return interpolate(input, size, scale_factor, "bilinear", align_corners=True)


# --------------------------------------------------------------------------- pixel shuffle


def _factor(fn: str, name: str, r: Any) -> int:
    if not isinstance(r, (int, np.integer)) or r < 1:
        raise ValueError(f"{fn}: {name} must be a positive int, got {r!r}")
    return int(r)


def pixel_shuffle(input: Any, upscale_factor: int) -> Tensor:  # noqa: A002 - PyTorch's name
    """``(*, C*r*r, H, W) -> (*, C, H*r, W*r)``: out[..., c, h*r + i, w*r + j] =
    x[..., c*r*r + i*r + j, h, w], as ``torch.nn.functional.pixel_shuffle``."""
    fn = "pixel_shuffle"
    x = _tensor(input)
    r = _factor(fn, "upscale_factor", upscale_factor)
    if x.ndim < 3 or x.shape[-3] % (r * r):
        raise ValueError(
            f"{fn}: expected an input (*, C*{r * r}, H, W) whose channels divide by "
            f"upscale_factor**2 = {r * r}, got shape {x.shape}"
        )
    *lead, c, h, w = x.shape
    b = len(lead)
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.permute(*range(b), b, b + 3, b + 1, b + 4, b + 2)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Any, downscale_factor: int) -> Tensor:  # noqa: A002
    """``(*, C, H*r, W*r) -> (*, C*r*r, H, W)``, the inverse of ``pixel_shuffle``."""
    fn = "pixel_unshuffle"
    x = _tensor(input)
    r = _factor(fn, "downscale_factor", downscale_factor)
    if x.ndim < 3 or x.shape[-2] % r or x.shape[-1] % r:
        raise ValueError(
            f"{fn}: expected an input (*, C, H, W) whose H and W divide by "
            f"downscale_factor = {r}, got shape {x.shape}"
        )
    *lead, c, hr, wr = x.shape
    b = len(lead)
    y = x.reshape(*lead, c, hr // r, r, wr // r, r)
    y = y.permute(*range(b), b, b + 2, b + 4, b + 1, b + 3)
    return y.reshape(*lead, c * r * r, hr // r, wr // r)


# --------------------------------------------------------------------------- sampling grids


def _base_coordinates(n: int, align_corners: bool, dtype) -> np.ndarray:
    """The normalised [-1, 1] coordinates of n pixel positions (corners or centres)."""
    if align_corners:
        return np.linspace(-1, 1, n, dtype=dtype) if n > 1 else np.zeros(1, dtype)
    return ((np.arange(n, dtype=dtype) * 2 + 1) / n - 1).astype(dtype)


def affine_grid(theta: Any, size: Any, align_corners: bool | None = None) -> Tensor:
    """The sampling grid of an affine map, as ``torch.nn.functional.affine_grid``.

    ``theta`` ``(N, 2, 3)`` with ``size`` ``(N, C, H, W)`` gives ``(N, H, W, 2)`` (x, y)
    coordinates ``theta @ (x, y, 1)`` of every output pixel; ``(N, 3, 4)`` with
    ``(N, C, D, H, W)`` gives ``(N, D, H, W, 3)``. Differentiable in ``theta``.
    """
    fn = "affine_grid"
    theta = _tensor(theta)
    size = tuple(int(s) for s in size)
    if len(size) not in (4, 5):
        raise ValueError(f"{fn}: size must be (N, C, H, W) or (N, C, D, H, W), got {size}")
    k = len(size) - 2
    if theta.dtype.kind != "f":
        raise TypeError(f"{fn}: theta must be floating point, got {theta.dtype}")
    if theta.shape != (size[0], k, k + 1):
        raise ValueError(
            f"{fn}: theta of shape {theta.shape} does not match size {size}: expected "
            f"{(size[0], k, k + 1)}"
        )
    if min(size[2:]) < 1:
        raise ValueError(f"{fn}: spatial sizes must be positive, got {size}")
    dtype = theta.dtype.type
    axes = [_base_coordinates(n, bool(align_corners), dtype) for n in reversed(size[2:])]
    mesh = np.meshgrid(*axes, indexing="ij")  # x varies along the last output axis
    base = np.stack([m.transpose() for m in mesh] + [np.ones(size[2:], dtype)], axis=-1)
    grid = matmul(base.reshape(1, -1, k + 1), theta.permute(0, 2, 1))
    return grid.reshape(size[0], *size[2:], k)


def _unnormalize(g: Tensor, n: int, align_corners: bool) -> Tensor:
    if align_corners:
        return (g + 1) * ((n - 1) / 2)
    return ((g + 1) * n - 1) / 2


def _reflect(coord: Tensor, lo2: int, hi2: int) -> Tensor:
    """PyTorch's reflect_coordinates between lo2/2 and hi2/2, as ``offset + sign * coord``
    (offset and sign read from the values), so the gradient is +-1 as PyTorch's."""
    if lo2 == hi2:
        return coord * 0
    c = coord._data
    lo, span = lo2 / 2, (hi2 - lo2) / 2
    d = np.abs(c - lo)
    flips = np.floor(d / span)
    extra = np.fmod(d, span)
    # PyTorch: extra + lo if flips is even, else span - extra + lo; extra = |c - lo| - flips*span
    inward = np.where(c >= lo, 1.0, -1.0)  # d's derivative in c
    even = flips % 2 == 0
    sign = np.where(even, inward, -inward).astype(c.dtype)
    value = np.where(even, extra + lo, span - extra + lo)
    return coord * sign + (value - sign * c).astype(c.dtype)


def _source_pixels(g: Tensor, n: int, padding_mode: str, align_corners: bool) -> Tensor:
    coord = _unnormalize(g, n, align_corners)
    if padding_mode == "border":
        return clip(coord, 0, n - 1)
    if padding_mode == "reflection":
        coord = (
            _reflect(coord, 0, 2 * (n - 1)) if align_corners else _reflect(coord, -1, 2 * n - 1)
        )
        return clip(coord, 0, n - 1)
    return coord


def grid_sample(
    input: Any,  # noqa: A002 - PyTorch's name
    grid: Any,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Sample ``input`` ``(N, C, H, W)`` at the normalised (x, y) points of ``grid``
    ``(N, Ho, Wo, 2)``, as ``torch.nn.functional.grid_sample``: result ``(N, C, Ho, Wo)``.

    ``mode`` bilinear or nearest (ties to even, as PyTorch); ``padding_mode`` zeros, border
    or reflection; (-1, -1) is the centre (or, with ``align_corners``, the corner) of the
    top-left pixel. Differentiable in ``input`` and (bilinear) ``grid``; in nearest mode no
    gradient reaches ``grid`` (``grid.grad`` stays None where PyTorch's is zeros). 5-D inputs
    and bicubic are not supported.
    """
    fn = "grid_sample"
    x, grid = _tensor(input), _tensor(grid)
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"{fn}: mode must be 'bilinear', 'nearest' or 'bicubic', got {mode!r}")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            f"{fn}: padding_mode must be 'zeros', 'border' or 'reflection', got {padding_mode!r}"
        )
    if x.ndim == 5 or mode == "bicubic":
        raise NotImplementedError(f"{fn}: 5-D inputs and mode 'bicubic' are not supported")
    if x.ndim != 4 or grid.ndim != 4 or grid.shape[-1] != 2 or grid.shape[0] != x.shape[0]:
        raise ValueError(
            f"{fn}: expected input (N, C, H, W) and grid (N, Ho, Wo, 2) with the same N, got "
            f"{x.shape} and {grid.shape}"
        )
    if x.dtype.kind != "f" or grid.dtype != x.dtype:
        raise TypeError(
            f"{fn}: input and grid must share a float dtype, got {x.dtype} and {grid.dtype}"
        )
    if min(x.shape[2:]) < 1:
        raise ValueError(f"{fn}: input spatial sizes must be positive, got {x.shape}")
    n, _, h, w = x.shape
    ac = bool(align_corners)
    ix = _source_pixels(grid[..., 0], w, padding_mode, ac)
    iy = _source_pixels(grid[..., 1], h, padding_mode, ac)
    batch = np.arange(n).reshape(n, 1, 1)

    def gather(yi: np.ndarray, xi: np.ndarray) -> tuple[Tensor, np.ndarray]:
        """input at integer (yi, xi) as (N, Ho, Wo, C), and where they fall inside."""
        inside = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
        values = x[batch, :, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]
        return values, inside

    if mode == "nearest":
        values, inside = gather(
            np.rint(iy._data).astype(np.int64), np.rint(ix._data).astype(np.int64)
        )
        out = values * inside[..., None].astype(x.dtype)
        return out.permute(0, 3, 1, 2)
    x0, y0 = floor(ix.detach()), floor(iy.detach())
    tx, ty = ix - x0, iy - y0
    x0, y0 = x0._data.astype(np.int64), y0._data.astype(np.int64)
    out = None
    for dy, wy in ((0, 1 - ty), (1, ty)):
        for dx, wx in ((0, 1 - tx), (1, tx)):
            values, inside = gather(y0 + dy, x0 + dx)
            weight = where(inside, wy * wx, np.zeros((), x.dtype))
            term = values * weight[..., None]
            out = term if out is None else out + term
    return out.permute(0, 3, 1, 2)


def channel_shuffle(input: Any, groups: int) -> Tensor:  # noqa: A002 - PyTorch's name
    """``(N, g*k, *) -> (N, k*g, *)``: channel ``i*k + j`` moves to ``j*g + i``, as
    ``torch.nn.functional.channel_shuffle``."""
    fn = "channel_shuffle"
    x = _tensor(input)
    g = _factor(fn, "groups", groups)
    if x.ndim < 3 or x.shape[1] % g:
        raise ValueError(
            f"{fn}: expected an input (N, C, *) of at least 3 dimensions whose C divides by "
            f"groups={g}, got shape {x.shape}"
        )
    n, c, *rest = x.shape
    y = x.reshape(n, g, c // g, *rest)
    return y.swapaxes(1, 2).reshape(x.shape)
