"""Pooling kernels over (N, C, H, W): max, average and adaptive average, forward and backward.

Semantics are PyTorch's, including padding, dilation (max only) and ``ceil_mode``, whose extra
last window is kept only when it starts inside the input or its left/top padding. 1-D pooling is
2-D pooling with H == 1 and a kernel of height 1.
"""

from __future__ import annotations

import numpy as np

from lucid.kernels import _jit
from lucid.kernels._jit import njit
from lucid.kernels.conv import Pair, _check_4d, _pair, _x_shape  # checks shared with conv

# --- geometry ---------------------------------------------------------------------------------


def pool_output_size(
    size: int,
    kernel_size: int,
    stride: int,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Output length of a pooling window along one axis, exactly as PyTorch computes it.

    ``floor((size + 2*padding - dilation*(kernel_size-1) - 1) / stride) + 1``, rounded up
    instead when ``ceil_mode``; a last window that would start past the input and its left
    padding is dropped. May be < 1, which callers report as an error.
    """
    room = size + 2 * padding - dilation * (kernel_size - 1) - 1
    out = (room + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _geometry(x_shape, kernel_size, stride, padding, dilation, ceil_mode, fn: str):
    """Normalised ``(kernel, stride, padding, dilation, (OH, OW))``; ``stride=None`` is the
    kernel size, as in PyTorch."""
    kernel = _pair(kernel_size, "kernel_size", fn)
    stride = kernel if stride is None else _pair(stride, "stride", fn)
    padding = _pair(padding, "padding", fn)
    dilation = _pair(dilation, "dilation", fn)
    if min(kernel + stride + dilation) < 1 or min(padding) < 0:
        raise ValueError(
            f"{fn}: kernel_size, stride and dilation must be >= 1 and padding >= 0, got "
            f"kernel_size={kernel}, stride={stride}, dilation={dilation}, padding={padding}"
        )
    out_hw = tuple(
        pool_output_size(x_shape[2 + a], kernel[a], stride[a], padding[a], dilation[a], ceil_mode)
        for a in range(2)
    )
    return kernel, stride, padding, dilation, out_hw


def _check(fn: str, x_shape: tuple, kernel_size, stride, padding, dilation, ceil_mode):
    """Validated geometry of a pooling call on an input of ``x_shape`` (see ``_geometry``)."""
    geometry = _geometry(x_shape, kernel_size, stride, padding, dilation, ceil_mode, fn)
    kernel, stride, padding, dilation, (oh, ow) = geometry
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(
            f"{fn}: padding={padding} must be at most half of kernel_size={kernel}, as in PyTorch"
        )
    if oh < 1 or ow < 1:
        raise ValueError(
            f"{fn}: input of shape {x_shape} is too small for kernel_size={kernel}, "
            f"dilation={dilation}, padding={padding}: the output would be ({oh}, {ow})"
        )
    return geometry


def _check_grad(fn: str, grad: np.ndarray, expected: tuple, x_shape: tuple) -> None:
    if grad.shape != tuple(expected):
        raise ValueError(
            f"{fn}: grad of shape {grad.shape} does not match the forward output shape "
            f"{tuple(expected)} for input {x_shape}"
        )


def _window_slice(start: int, count: int, step: int) -> slice:
    """The ``count`` positions ``start, start + step, ...`` of one kernel offset."""
    return slice(start, start + (count - 1) * step + 1, step)


def _planes(a: np.ndarray) -> np.ndarray:
    """a (N, C, H, W) as contiguous (N*C, H, W) planes, the jitted loops' view (a view, so
    a freshly allocated output is written through)."""
    return np.ascontiguousarray(a).reshape(-1, a.shape[2], a.shape[3])


# --- max_pool2d -------------------------------------------------------------------------------


def max_pool2d_ref(
    x: np.ndarray, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False
) -> tuple[np.ndarray, np.ndarray]:
    """``max_pool2d_forward`` in NumPy: the max of a window view of the -inf-padded input."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = _geometry(
        x.shape, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d"
    )
    n, c, h, w = x.shape
    rows = (np.arange(oh) * sh - ph)[:, None] + np.arange(kh) * dh  # (OH, kh) input rows
    cols = (np.arange(ow) * sw - pw)[:, None] + np.arange(kw) * dw  # (OW, kw) input columns
    # ceil_mode's last window may overhang the padding: pad far enough to hold it.
    xp = np.pad(
        x,
        ((0, 0), (0, 0), (ph, max(rows.max() + 1 - h, 0)), (pw, max(cols.max() + 1 - w, 0))),
        constant_values=-np.inf,
    )
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    windows = np.lib.stride_tricks.sliding_window_view(xp, span, axis=(2, 3))
    windows = windows[:, :, _window_slice(0, oh, sh), _window_slice(0, ow, sw), ::dh, ::dw]
    windows = windows.reshape(n, c, oh, ow, kh * kw)
    out = windows.max(axis=-1)  # NaN propagates, as in PyTorch
    # PyTorch's loop keeps the first entry inside x that equals the max, or the last NaN.
    inside = ((rows >= 0) & (rows < h))[:, None, :, None] & ((cols >= 0) & (cols < w))[:, None]
    flat = rows[:, None, :, None] * w + cols[:, None]  # (OH, OW, kh, kw) flat input index
    hit = inside.reshape(oh, ow, -1) & ((windows == out[..., None]) | np.isnan(windows))
    first = hit.argmax(axis=-1)
    last = kh * kw - 1 - hit[..., ::-1].argmax(axis=-1)
    pick = np.where(np.isnan(out), last, first)
    # explicit lengths: with an empty batch a -1 would be ambiguous
    index = flat.reshape(oh * ow, -1)[np.arange(oh * ow), pick.reshape(n, c, oh * ow)]
    # A window wholly in the padding has no entry inside x: -1 (PyTorch leaves it undefined).
    return out, np.where(hit.any(axis=-1), index.reshape(out.shape), -1)


@njit
def _inside(start, step, count, size):
    """[lo, hi): the k in range(count) with 0 <= start + k*step < size."""
    lo = 0 if start >= 0 else (step - 1 - start) // step
    hi = min(count, (size - start + step - 1) // step) if size > start else 0
    return lo, max(lo, hi)


@njit
def max_pool2d_jit(x, kh, kw, sh, sw, ph, pw, dh, dw, out, argmax):
    """out, argmax (P, OH, OW) = max of each window of the planes x (P, H, W), flat index."""
    p_, h, w = x.shape
    oh_, ow_ = out.shape[1], out.shape[2]
    for p in range(p_):
        for oh in range(oh_):
            h0 = oh * sh - ph
            i_lo, i_hi = _inside(h0, dh, kh, h)
            for ow in range(ow_):
                w0 = ow * sw - pw
                j_lo, j_hi = _inside(w0, dw, kw, w)
                best = -np.inf
                best_index = -1
                if i_lo < i_hi and j_lo < j_hi:  # PyTorch starts at the first entry inside x
                    best_index = (h0 + i_lo * dh) * w + w0 + j_lo * dw
                for i in range(i_lo, i_hi):
                    ih = h0 + i * dh
                    for j in range(j_lo, j_hi):
                        iw = w0 + j * dw
                        v = x[p, ih, iw]
                        if v > best or v != v:  # PyTorch's rule: a NaN wins, the last one
                            best = v
                            best_index = ih * w + iw
                out[p, oh, ow] = best
                argmax[p, oh, ow] = best_index


# No size crossover for max pooling: the loop beat the reference 4-15x, and the backward loop
# beat np.add.at 2.6-12x, at every size measured (256 to 401k input elements).
def max_pool2d_forward(
    x: np.ndarray, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``torch.nn.functional.max_pool2d(..., return_indices=True)``: ``(out, argmax)``.

    ``out[n, c, oh, ow]`` is the max over the window ``x[n, c, oh*sh - ph + i*dh,
    ow*sw - pw + j*dw]`` (padding counts as -inf), shape ``(N, C, OH, OW)``, x's dtype.
    ``argmax`` (int64, same shape) is the winner's flat index into its ``H*W`` plane, as
    PyTorch's ``return_indices``: the first maximum in window order, or the last NaN. A window
    wholly in the padding (possible only with dilation) gives -inf and index -1.
    """
    _check_4d("max_pool2d", "x", x)
    geometry = _check("max_pool2d", x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    if not _jit.JIT_ENABLED:
        return max_pool2d_ref(x, *geometry[:4], ceil_mode)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = geometry
    out = np.empty((x.shape[0], x.shape[1], oh, ow), dtype=x.dtype)
    argmax = np.empty(out.shape, dtype=np.int64)
    max_pool2d_jit(_planes(x), kh, kw, sh, sw, ph, pw, dh, dw, _planes(out), _planes(argmax))
    return out, argmax


def max_pool2d_backward_ref(grad: np.ndarray, argmax: np.ndarray, x_shape: tuple) -> np.ndarray:
    """``max_pool2d_backward`` in NumPy: ``np.add.at`` of each gradient onto its argmax."""
    n, c, h, w = x_shape
    dx = np.zeros((n * c, h * w), dtype=grad.dtype)
    index = argmax.reshape(n * c, argmax.size // (n * c) if n * c else 0)
    plane = np.broadcast_to(np.arange(n * c)[:, None], index.shape)
    keep = index >= 0
    np.add.at(dx, (plane[keep], index[keep]), grad.reshape(index.shape)[keep])
    return dx.reshape(x_shape)


@njit
def max_pool2d_backward_jit(grad, argmax, out):
    """out (P, H*W), zeroed, += each grad (P, OH*OW) at its argmax (skipping -1)."""
    for p in range(grad.shape[0]):
        for k in range(grad.shape[1]):
            if argmax[p, k] >= 0:
                out[p, argmax[p, k]] += grad[p, k]


def max_pool2d_backward(grad: np.ndarray, argmax: np.ndarray, x_shape: tuple) -> np.ndarray:
    """Gradient of ``max_pool2d_forward``: each ``grad`` entry added at its window's argmax.

    Shape ``x_shape``, grad's dtype; overlapping windows that share a winner add up.
    """
    fn = "max_pool2d_backward"
    _check_4d(fn, "grad", grad)
    x_shape = _x_shape(fn, x_shape)
    _check_grad(fn, grad, argmax.shape, x_shape)
    if argmax.shape[:2] != x_shape[:2]:
        raise ValueError(
            f"{fn}: argmax of shape {argmax.shape} does not belong to an input of shape {x_shape}"
        )
    if argmax.dtype.kind not in "iu":
        raise TypeError(f"{fn}: argmax must hold integers, got {argmax.dtype}")
    # The loop writes unchecked, so a stray index must be refused here.
    if argmax.size and argmax.max() >= x_shape[2] * x_shape[3]:
        raise ValueError(f"{fn}: argmax holds an index past the {x_shape[2:]} plane")
    if not _jit.JIT_ENABLED:
        return max_pool2d_backward_ref(grad, argmax, x_shape)
    n, c, h, w = x_shape
    dx = np.zeros((n * c, h * w), dtype=grad.dtype)
    m = argmax.size // (n * c) if n * c else 0  # not -1: the batch may be empty
    index = np.ascontiguousarray(argmax, dtype=np.int64).reshape(n * c, m)
    max_pool2d_backward_jit(np.ascontiguousarray(grad).reshape(n * c, m), index, dx)
    return dx.reshape(x_shape)


# --- window means: avg_pool2d and adaptive_avg_pool2d -----------------------------------------
# Both pool rectangular windows given per axis as [lo, hi) inside the input, with a divisor per
# output; they share one jitted loop and its adjoint.


@njit
def window_mean_jit(x, lo_h, hi_h, lo_w, hi_w, divisor, out):
    """out (P, OH, OW) = sum of x (P, H, W) over rows [lo_h, hi_h) x columns [lo_w, hi_w),
    over divisor (OH, OW); summed in x's dtype, like the references."""
    for p in range(x.shape[0]):
        for oh in range(out.shape[1]):
            for ow in range(out.shape[2]):
                total = out.dtype.type(0)
                for ih in range(lo_h[oh], hi_h[oh]):
                    for iw in range(lo_w[ow], hi_w[ow]):
                        total += x[p, ih, iw]
                out[p, oh, ow] = total / divisor[oh, ow]


@njit
def window_mean_backward_jit(grad, lo_h, hi_h, lo_w, hi_w, divisor, out):
    """out (P, H, W), zeroed, += grad (P, OH, OW) / divisor over each window."""
    for p in range(grad.shape[0]):
        for oh in range(grad.shape[1]):
            for ow in range(grad.shape[2]):
                share = grad[p, oh, ow] / divisor[oh, ow]
                for ih in range(lo_h[oh], hi_h[oh]):
                    for iw in range(lo_w[ow], hi_w[ow]):
                        out[p, ih, iw] += share


def _window_mean(x: np.ndarray, windows: tuple, divisor: np.ndarray) -> np.ndarray:
    """window_mean_jit on (N, C, H, W) arrays; windows = (lo_h, hi_h, lo_w, hi_w)."""
    out = np.empty(x.shape[:2] + divisor.shape, dtype=x.dtype)
    window_mean_jit(_planes(x), *windows, divisor, _planes(out))
    return out


def _window_mean_backward(grad: np.ndarray, x_shape: tuple, windows: tuple, divisor):
    """window_mean_backward_jit on (N, C, ...) arrays; the gradient has shape x_shape."""
    dx = np.zeros(x_shape, dtype=grad.dtype)
    window_mean_backward_jit(_planes(grad), *windows, divisor, _planes(dx))
    return dx


# --- avg_pool2d -------------------------------------------------------------------------------

# The loop wins only on small inputs (1.1-2x below 16k input elements, medians on 256-401k);
# above, the reference's kh*kw vectorised slice-adds win (up to 3x), as the loop's short,
# variable-length window rows do not vectorise.
AVG_JIT_MAX_SIZE = 16_384


def _avg_axis(size, kernel, stride, padding, out, count_include_pad):
    """One axis of avg_pool2d: each window's [lo, hi) inside the input and PyTorch's count,
    the window clipped to the padded input (``count_include_pad``) or to the input itself.
    The padding rule (at most half the kernel) and ceil_mode's rule leave no window empty."""
    start = np.arange(out) * stride - padding
    end = np.minimum(start + kernel, size + padding)
    lo, hi = np.maximum(start, 0), np.minimum(end, size)
    return lo, hi, (end - start) if count_include_pad else (hi - lo)


def _avg_windows(x_shape, geometry, count_include_pad, divisor_override, dtype):
    """((lo_h, hi_h, lo_w, hi_w), divisor (OH, OW) in dtype) of an avg_pool2d call."""
    (kh, kw), (sh, sw), (ph, pw), _, (oh, ow) = geometry
    lo_h, hi_h, count_h = _avg_axis(x_shape[2], kh, sh, ph, oh, count_include_pad)
    lo_w, hi_w, count_w = _avg_axis(x_shape[3], kw, sw, pw, ow, count_include_pad)
    if divisor_override is None:
        divisor = (count_h[:, None] * count_w).astype(dtype)
    else:
        divisor = np.full((oh, ow), divisor_override, dtype=dtype)
    return (lo_h, hi_h, lo_w, hi_w), divisor


def _avg_padded_shape(x_shape, geometry) -> tuple:
    """Zero-padded shape that holds every window, ceil_mode's overhanging last one included."""
    (kh, kw), (sh, sw), (ph, pw), _, (oh, ow) = geometry
    n, c, h, w = x_shape
    return n, c, max(h + 2 * ph, (oh - 1) * sh + kh), max(w + 2 * pw, (ow - 1) * sw + kw)


def avg_pool2d_ref(
    x: np.ndarray,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
) -> np.ndarray:
    """``avg_pool2d_forward`` in NumPy: window sums as one strided slice-add per offset."""
    geometry = _geometry(x.shape, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    (kh, kw), (sh, sw), (ph, pw), _, (oh, ow) = geometry
    n, c, h, w = x.shape
    xp = np.zeros(_avg_padded_shape(x.shape, geometry), dtype=x.dtype)
    xp[:, :, ph : ph + h, pw : pw + w] = x
    total = np.zeros((n, c, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            total += xp[:, :, _window_slice(i, oh, sh), _window_slice(j, ow, sw)]
    _, divisor = _avg_windows(x.shape, geometry, count_include_pad, divisor_override, x.dtype)
    return total / divisor


def _check_divisor(fn: str, divisor_override) -> None:
    if divisor_override is not None and (
        not isinstance(divisor_override, (int, np.integer)) or divisor_override < 1
    ):
        raise ValueError(f"{fn}: divisor_override must be a positive int, got {divisor_override}")


def avg_pool2d_forward(
    x: np.ndarray,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> np.ndarray:
    """``torch.nn.functional.avg_pool2d``: each window's sum over its divisor.

    Shape ``(N, C, OH, OW)``, x's dtype. The divisor is PyTorch's: the window clipped to the
    padded input (``count_include_pad``) or to the input itself, or ``divisor_override``.
    """
    fn = "avg_pool2d"
    _check_4d(fn, "x", x)
    _check_divisor(fn, divisor_override)
    geometry = _check(fn, x.shape, kernel_size, stride, padding, 1, ceil_mode)
    if not _jit.JIT_ENABLED or x.size > AVG_JIT_MAX_SIZE:
        return avg_pool2d_ref(x, *geometry[:3], ceil_mode, count_include_pad, divisor_override)
    return _window_mean(
        x, *_avg_windows(x.shape, geometry, count_include_pad, divisor_override, x.dtype)
    )


def avg_pool2d_backward_ref(
    grad: np.ndarray,
    x_shape: tuple,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
) -> np.ndarray:
    """``avg_pool2d_backward`` in NumPy: grad / divisor slice-added back over each window."""
    geometry = _geometry(x_shape, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    (kh, kw), (sh, sw), (ph, pw), _, (oh, ow) = geometry
    n, c, h, w = x_shape
    _, divisor = _avg_windows(x_shape, geometry, count_include_pad, divisor_override, grad.dtype)
    share = grad / divisor
    dxp = np.zeros(_avg_padded_shape(x_shape, geometry), dtype=grad.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, _window_slice(i, oh, sh), _window_slice(j, ow, sw)] += share
    return np.ascontiguousarray(dxp[:, :, ph : ph + h, pw : pw + w])


def avg_pool2d_backward(
    grad: np.ndarray,
    x_shape: tuple,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> np.ndarray:
    """Gradient of ``avg_pool2d_forward``: each ``grad`` entry over its divisor, spread over
    its window's input entries. Shape ``x_shape``, grad's dtype; arguments as in the forward.
    """
    fn = "avg_pool2d_backward"
    _check_4d(fn, "grad", grad)
    _check_divisor(fn, divisor_override)
    x_shape = _x_shape(fn, x_shape)
    geometry = _check(fn, x_shape, kernel_size, stride, padding, 1, ceil_mode)
    _check_grad(fn, grad, x_shape[:2] + geometry[4], x_shape)
    if not _jit.JIT_ENABLED or np.prod(x_shape) > AVG_JIT_MAX_SIZE:
        return avg_pool2d_backward_ref(
            grad, x_shape, *geometry[:3], ceil_mode, count_include_pad, divisor_override
        )
    windows, divisor = _avg_windows(
        x_shape, geometry, count_include_pad, divisor_override, grad.dtype
    )
    return _window_mean_backward(grad, x_shape, windows, divisor)


# --- adaptive_avg_pool2d ----------------------------------------------------------------------

# The loop wins below ~8k input elements (1.2-1.6x); above, the reference's two BLAS products
# win (up to 3x), except for the global-pool backward.
ADAPTIVE_JIT_MAX_SIZE = 8_192


def _adaptive_axis(size: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's windows along one axis: ``[floor(i*size/out), ceil((i+1)*size/out))``."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _adaptive_windows(x_shape: tuple, out_hw: Pair, dtype):
    """((lo_h, hi_h, lo_w, hi_w), divisor (OH, OW) in dtype) of adaptive average pooling."""
    lo_h, hi_h = _adaptive_axis(x_shape[2], out_hw[0])
    lo_w, hi_w = _adaptive_axis(x_shape[3], out_hw[1])
    divisor = ((hi_h - lo_h)[:, None] * (hi_w - lo_w)).astype(dtype)
    return (lo_h, hi_h, lo_w, hi_w), divisor


def _adaptive_matrix(size: int, out: int, dtype) -> np.ndarray:
    """(out, size) matrix whose row i averages window i: adaptive pooling along one axis."""
    lo, hi = _adaptive_axis(size, out)
    position = np.arange(size)
    inside = (position >= lo[:, None]) & (position < hi[:, None])
    return (inside / (hi - lo)[:, None]).astype(dtype)


def _output_size(fn: str, x_shape: tuple, output_size) -> Pair:
    """output_size as (OH, OW); None keeps that input size, as in PyTorch."""
    if output_size is None or isinstance(output_size, (int, np.integer)):
        output_size = (output_size, output_size)
    if len(output_size) != 2:
        raise ValueError(f"{fn}: output_size must be an int or a pair, got {output_size!r}")
    oh, ow = (x_shape[2 + a] if s is None else s for a, s in enumerate(output_size))
    if not all(isinstance(s, (int, np.integer)) and s >= 1 for s in (oh, ow)):
        raise ValueError(f"{fn}: output_size must be positive ints, got {output_size!r}")
    return int(oh), int(ow)


def adaptive_avg_pool2d_ref(x: np.ndarray, output_size) -> np.ndarray:
    """``adaptive_avg_pool2d_forward`` in NumPy: the pooling is separable, so it is
    ``A_h @ x @ A_w.T`` with each row of ``A`` averaging one window."""
    oh, ow = _output_size("adaptive_avg_pool2d", x.shape, output_size)
    a_h = _adaptive_matrix(x.shape[2], oh, x.dtype)
    a_w = _adaptive_matrix(x.shape[3], ow, x.dtype)
    return np.matmul(np.matmul(a_h, x), a_w.T)


def adaptive_avg_pool2d_forward(x: np.ndarray, output_size) -> np.ndarray:
    """``torch.nn.functional.adaptive_avg_pool2d``: means over PyTorch's adaptive windows.

    Row window i is ``[floor(i*H/OH), ceil((i+1)*H/OH))``, likewise for columns; windows may
    overlap. ``output_size`` is an int or ``(OH, OW)``, None keeping that input size. Shape
    ``(N, C, OH, OW)``, x's dtype.
    """
    fn = "adaptive_avg_pool2d"
    _check_4d(fn, "x", x)
    out_hw = _output_size(fn, x.shape, output_size)
    if min(x.shape[2:]) < 1:
        raise ValueError(f"{fn}: x of shape {x.shape} has an empty plane")
    if not _jit.JIT_ENABLED or x.size > ADAPTIVE_JIT_MAX_SIZE:
        return adaptive_avg_pool2d_ref(x, out_hw)
    return _window_mean(x, *_adaptive_windows(x.shape, out_hw, x.dtype))


def adaptive_avg_pool2d_backward_ref(grad: np.ndarray, x_shape: tuple) -> np.ndarray:
    """``adaptive_avg_pool2d_backward`` in NumPy: ``A_h.T @ grad @ A_w``."""
    a_h = _adaptive_matrix(x_shape[2], grad.shape[2], grad.dtype)
    a_w = _adaptive_matrix(x_shape[3], grad.shape[3], grad.dtype)
    return np.ascontiguousarray(np.matmul(np.matmul(a_h.T, grad), a_w))


def adaptive_avg_pool2d_backward(grad: np.ndarray, x_shape: tuple) -> np.ndarray:
    """Gradient of ``adaptive_avg_pool2d_forward``: each ``grad`` entry over its window size,
    spread over its window. The output size is read from ``grad``; shape ``x_shape``."""
    fn = "adaptive_avg_pool2d_backward"
    _check_4d(fn, "grad", grad)
    x_shape = _x_shape(fn, x_shape)
    _check_grad(fn, grad, x_shape[:2] + grad.shape[2:], x_shape)
    if min(x_shape[2:]) < 1:
        raise ValueError(f"{fn}: x_shape {x_shape} has an empty plane")
    if not _jit.JIT_ENABLED or np.prod(x_shape) > ADAPTIVE_JIT_MAX_SIZE:
        return adaptive_avg_pool2d_backward_ref(grad, x_shape)
    windows, divisor = _adaptive_windows(x_shape, grad.shape[2:], grad.dtype)
    return _window_mean_backward(grad, x_shape, windows, divisor)
