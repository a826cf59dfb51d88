"""Pooling kernels over (N, C, H, W): max, average and adaptive average, forward and backward.

Semantics are PyTorch's, including padding, dilation (max only) and ``ceil_mode``, whose extra
last window is kept only when it starts inside the input or its left/top padding. 1-D pooling is
2-D pooling with H == 1 and a kernel of height 1.
"""

from __future__ import annotations

import numpy as np

from lucid.kernels import _jit
from lucid.kernels._jit import njit

# There is no size crossover for these loops: the JIT beat the NumPy references at every size
# measured (64 to 1.6e6 input elements), so it runs whenever it is enabled.

Pair = tuple[int, int]


# --- geometry ---------------------------------------------------------------------------------


def _pair(value, what: str, fn: str) -> Pair:
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    pair = tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise ValueError(f"{fn}: {what} must be an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


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
    out_hw = tuple(
        pool_output_size(x_shape[2 + a], kernel[a], stride[a], padding[a], dilation[a], ceil_mode)
        for a in range(2)
    )
    return kernel, stride, padding, dilation, out_hw


def _check(fn: str, x_shape: tuple, kernel_size, stride, padding, dilation, ceil_mode):
    """Validated geometry of a pooling call on an input of ``x_shape`` (see ``_geometry``)."""
    geometry = _geometry(x_shape, kernel_size, stride, padding, dilation, ceil_mode, fn)
    kernel, stride, padding, dilation, (oh, ow) = geometry
    if min(kernel + stride + dilation) < 1 or min(padding) < 0:
        raise ValueError(
            f"{fn}: kernel_size, stride and dilation must be >= 1 and padding >= 0, got "
            f"kernel_size={kernel}, stride={stride}, dilation={dilation}, padding={padding}"
        )
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


def _check_input(fn: str, x: np.ndarray, name: str = "x") -> None:
    if x.ndim != 4:
        raise ValueError(f"{fn}: {name} must be 4-D (N, C, H, W), got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: {name} must be a floating-point array, got {x.dtype}")


def _check_grad(fn: str, grad: np.ndarray, expected: tuple, x_shape: tuple) -> tuple:
    """x_shape as a tuple, after checking that grad has the forward output's shape."""
    x_shape = tuple(int(s) for s in x_shape)
    if len(x_shape) != 4:
        raise ValueError(f"{fn}: x_shape must be (N, C, H, W), got {x_shape}")
    if grad.shape != tuple(expected):
        raise ValueError(
            f"{fn}: grad of shape {grad.shape} does not match the forward output shape "
            f"{tuple(expected)} for input {x_shape}"
        )
    return x_shape


def _window_slice(start: int, count: int, step: int) -> slice:
    """The ``count`` positions ``start, start + step, ...`` of one kernel offset."""
    return slice(start, start + (count - 1) * step + 1, step)


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
    # The index is the first entry inside x equal to the max (or NaN), in window order, as in
    # PyTorch's loop; a window with no entry inside x gets -1 (PyTorch leaves it undefined).
    inside = ((rows >= 0) & (rows < h))[:, None, :, None] & ((cols >= 0) & (cols < w))[:, None]
    flat = rows[:, None, :, None] * w + cols[:, None]  # (OH, OW, kh, kw) flat input index
    hit = inside.reshape(oh, ow, -1) & ((windows == out[..., None]) | np.isnan(windows))
    first = hit.argmax(axis=-1)
    index = flat.reshape(oh * ow, -1)[np.arange(oh * ow), first.reshape(n, c, -1)]
    return out, np.where(hit.any(axis=-1), index.reshape(out.shape), -1)


@njit
def max_pool2d_jit(x, kh, kw, sh, sw, ph, pw, dh, dw, out, argmax):
    """out, argmax (N, C, OH, OW) = max of each window of x and its flat index in H*W."""
    n_, c_, h, w = x.shape
    oh_, ow_ = out.shape[2], out.shape[3]
    for n in range(n_):
        for c in range(c_):
            for oh in range(oh_):
                for ow in range(ow_):
                    best = -np.inf
                    best_index = -1
                    for i in range(kh):
                        ih = oh * sh - ph + i * dh
                        if ih < 0 or ih >= h:
                            continue
                        for j in range(kw):
                            iw = ow * sw - pw + j * dw
                            if iw < 0 or iw >= w:
                                continue
                            v = x[n, c, ih, iw]
                            # first entry, a larger one, or the first NaN (which then stays)
                            if best_index < 0 or v > best or (v != v and best == best):
                                best = v
                                best_index = ih * w + iw
                    out[n, c, oh, ow] = best
                    argmax[n, c, oh, ow] = best_index


def max_pool2d_forward(
    x: np.ndarray, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``torch.nn.functional.max_pool2d(..., return_indices=True)``: ``(out, argmax)``.

    ``out[n, c, oh, ow]`` is the max over the window ``x[n, c, oh*sh - ph + i*dh,
    ow*sw - pw + j*dw]`` (padding counts as -inf), shape ``(N, C, OH, OW)``, x's dtype.
    ``argmax`` (int64, same shape) is the winner's flat index into the ``H*W`` plane: the
    first maximum in window order, or the first NaN (PyTorch takes the last NaN). A window
    that lies wholly in the padding gives -inf and index -1.
    """
    _check_input("max_pool2d", x)
    geometry = _check("max_pool2d", x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    if not _jit.JIT_ENABLED:
        return max_pool2d_ref(x, *geometry[:4], ceil_mode)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = geometry
    out = np.empty((x.shape[0], x.shape[1], oh, ow), dtype=x.dtype)
    argmax = np.empty(out.shape, dtype=np.int64)
    max_pool2d_jit(np.ascontiguousarray(x), kh, kw, sh, sw, ph, pw, dh, dw, out, argmax)
    return out, argmax


def max_pool2d_backward_ref(grad: np.ndarray, argmax: np.ndarray, x_shape: tuple) -> np.ndarray:
    """``max_pool2d_backward`` in NumPy: ``np.add.at`` of each gradient onto its argmax."""
    n, c, h, w = x_shape
    dx = np.zeros((n * c, h * w), dtype=grad.dtype)
    index = argmax.reshape(n * c, -1)
    plane = np.broadcast_to(np.arange(n * c)[:, None], index.shape)
    keep = index >= 0
    np.add.at(dx, (plane[keep], index[keep]), grad.reshape(n * c, -1)[keep])
    return dx.reshape(x_shape)


@njit
def max_pool2d_backward_jit(grad, argmax, out):
    """out (N, C, H*W), zeroed, += each grad at its window's argmax (skipping -1)."""
    n_, c_, oh_, ow_ = grad.shape
    for n in range(n_):
        for c in range(c_):
            for oh in range(oh_):
                for ow in range(ow_):
                    k = argmax[n, c, oh, ow]
                    if k >= 0:
                        out[n, c, k] += grad[n, c, oh, ow]


def max_pool2d_backward(grad: np.ndarray, argmax: np.ndarray, x_shape: tuple) -> np.ndarray:
    """Gradient of ``max_pool2d_forward``: each ``grad`` entry added at its window's argmax.

    Shape ``x_shape``, grad's dtype; overlapping windows that share a winner add up.
    """
    fn = "max_pool2d_backward"
    _check_input(fn, grad, "grad")
    x_shape = _check_grad(fn, grad, argmax.shape, x_shape)
    if argmax.ndim != 4 or argmax.shape[:2] != x_shape[:2]:
        raise ValueError(
            f"{fn}: argmax of shape {argmax.shape} does not belong to an input of shape {x_shape}"
        )
    if argmax.dtype.kind not in "iu":
        raise TypeError(f"{fn}: argmax must hold integers, got {argmax.dtype}")
    if argmax.size and argmax.max() >= x_shape[2] * x_shape[3]:
        raise ValueError(f"{fn}: argmax holds an index past the {x_shape[2:]} plane")
    if not _jit.JIT_ENABLED:
        return max_pool2d_backward_ref(grad, argmax, x_shape)
    n, c, h, w = x_shape
    dx = np.zeros((n, c, h * w), dtype=grad.dtype)
    max_pool2d_backward_jit(
        np.ascontiguousarray(grad), np.ascontiguousarray(argmax, dtype=np.int64), dx
    )
    return dx.reshape(x_shape)


# --- avg_pool2d -------------------------------------------------------------------------------


def _avg_divisors(size, kernel, stride, padding, out, count_include_pad) -> np.ndarray:
    """Per-output window sizes along one axis, counted as PyTorch does: a window is clipped
    to the padded input, and to the input itself unless ``count_include_pad``."""
    start = np.arange(out) * stride - padding
    end = np.minimum(start + kernel, size + padding)
    if count_include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def _avg_divisor(x_shape, geometry, count_include_pad, divisor_override, dtype) -> np.ndarray:
    """(OH, OW) divisors of avg_pool2d, in ``dtype``."""
    (kh, kw), (sh, sw), (ph, pw), _, (oh, ow) = geometry
    if divisor_override is not None:
        return np.full((oh, ow), divisor_override, dtype=dtype)
    rows = _avg_divisors(x_shape[2], kh, sh, ph, oh, count_include_pad)
    cols = _avg_divisors(x_shape[3], kw, sw, pw, ow, count_include_pad)
    return (rows[:, None] * cols).astype(dtype)


def _avg_pool_padded_shape(x_shape, geometry) -> tuple:
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
    xp = np.zeros(_avg_pool_padded_shape(x.shape, geometry), dtype=x.dtype)
    xp[:, :, ph : ph + h, pw : pw + w] = x
    total = np.zeros((n, c, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            total += xp[:, :, _window_slice(i, oh, sh), _window_slice(j, ow, sw)]
    return total / _avg_divisor(x.shape, geometry, count_include_pad, divisor_override, x.dtype)


@njit
def avg_pool2d_jit(x, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override, out):
    """out (N, C, OH, OW) = window sums of x over PyTorch's divisor (override if > 0)."""
    n_, c_, h, w = x.shape
    oh_, ow_ = out.shape[2], out.shape[3]
    for n in range(n_):
        for c in range(c_):
            for oh in range(oh_):
                h0 = oh * sh - ph
                h1 = min(h0 + kh, h + ph)
                lo_h, hi_h = max(h0, 0), min(h1, h)
                for ow in range(ow_):
                    w0 = ow * sw - pw
                    w1 = min(w0 + kw, w + pw)
                    lo_w, hi_w = max(w0, 0), min(w1, w)
                    if divisor_override > 0:
                        divisor = divisor_override
                    elif count_include_pad:
                        divisor = (h1 - h0) * (w1 - w0)
                    else:
                        divisor = (hi_h - lo_h) * (hi_w - lo_w)
                    total = out.dtype.type(0)  # accumulate in x's dtype, as the reference
                    for ih in range(lo_h, hi_h):
                        for iw in range(lo_w, hi_w):
                            total += x[n, c, ih, iw]
                    out[n, c, oh, ow] = total / divisor


def _check_divisor(fn: str, divisor_override) -> int:
    """divisor_override as a positive int, 0 meaning none (the jitted loops' spelling)."""
    if divisor_override is None:
        return 0
    if not isinstance(divisor_override, (int, np.integer)) or divisor_override < 1:
        raise ValueError(f"{fn}: divisor_override must be a positive int, got {divisor_override}")
    return int(divisor_override)


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
    divisor = _check_divisor(fn, divisor_override)
    _check_input(fn, x)
    geometry = _check(fn, x.shape, kernel_size, stride, padding, 1, ceil_mode)
    if not _jit.JIT_ENABLED:
        return avg_pool2d_ref(x, *geometry[:3], ceil_mode, count_include_pad, divisor_override)
    (kh, kw), (sh, sw), (ph, pw), _, (oh, ow) = geometry
    out = np.empty((x.shape[0], x.shape[1], oh, ow), dtype=x.dtype)
    x = np.ascontiguousarray(x)
    avg_pool2d_jit(x, kh, kw, sh, sw, ph, pw, bool(count_include_pad), divisor, out)
    return out


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
    share = grad / _avg_divisor(x_shape, geometry, count_include_pad, divisor_override, grad.dtype)
    dxp = np.zeros(_avg_pool_padded_shape(x_shape, geometry), dtype=grad.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, _window_slice(i, oh, sh), _window_slice(j, ow, sw)] += share
    return np.ascontiguousarray(dxp[:, :, ph : ph + h, pw : pw + w])


@njit
def avg_pool2d_backward_jit(
    grad, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override, out
):
    """out (N, C, H, W), zeroed, += grad / divisor over each window (see avg_pool2d_jit)."""
    n_, c_, oh_, ow_ = grad.shape
    h, w = out.shape[2], out.shape[3]
    for n in range(n_):
        for c in range(c_):
            for oh in range(oh_):
                h0 = oh * sh - ph
                h1 = min(h0 + kh, h + ph)
                lo_h, hi_h = max(h0, 0), min(h1, h)
                for ow in range(ow_):
                    w0 = ow * sw - pw
                    w1 = min(w0 + kw, w + pw)
                    lo_w, hi_w = max(w0, 0), min(w1, w)
                    if divisor_override > 0:
                        divisor = divisor_override
                    elif count_include_pad:
                        divisor = (h1 - h0) * (w1 - w0)
                    else:
                        divisor = (hi_h - lo_h) * (hi_w - lo_w)
                    share = grad[n, c, oh, ow] / out.dtype.type(divisor)
                    for ih in range(lo_h, hi_h):
                        for iw in range(lo_w, hi_w):
                            out[n, c, ih, iw] += share


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
    divisor = _check_divisor(fn, divisor_override)
    x_shape = tuple(int(s) for s in x_shape)
    if len(x_shape) != 4:
        raise ValueError(f"{fn}: x_shape must be (N, C, H, W), got {x_shape}")
    _check_input(fn, grad, "grad")
    geometry = _check(fn, x_shape, kernel_size, stride, padding, 1, ceil_mode)
    _check_grad(fn, grad, x_shape[:2] + geometry[4], x_shape)
    if not _jit.JIT_ENABLED:
        return avg_pool2d_backward_ref(
            grad, x_shape, *geometry[:3], ceil_mode, count_include_pad, divisor_override
        )
    (kh, kw), (sh, sw), (ph, pw), _, _ = geometry
    dx = np.zeros(x_shape, dtype=grad.dtype)
    grad = np.ascontiguousarray(grad)
    avg_pool2d_backward_jit(grad, kh, kw, sh, sw, ph, pw, bool(count_include_pad), divisor, dx)
    return dx


# --- adaptive_avg_pool2d ----------------------------------------------------------------------


def _adaptive_windows(size: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's windows: ``start = floor(i*size/out)``, ``end = ceil((i+1)*size/out)``."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _adaptive_matrix(size: int, out: int, dtype) -> np.ndarray:
    """(out, size) matrix whose row i averages window i: adaptive pooling along one axis."""
    start, end = _adaptive_windows(size, out)
    position = np.arange(size)
    inside = (position >= start[:, None]) & (position < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


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


@njit
def adaptive_avg_pool2d_jit(x, start_h, end_h, start_w, end_w, out):
    """out (N, C, OH, OW) = the mean of x over each window [start, end) of each axis."""
    n_, c_, oh_, ow_ = out.shape
    for n in range(n_):
        for c in range(c_):
            for oh in range(oh_):
                for ow in range(ow_):
                    total = out.dtype.type(0)  # accumulate in x's dtype
                    for ih in range(start_h[oh], end_h[oh]):
                        for iw in range(start_w[ow], end_w[ow]):
                            total += x[n, c, ih, iw]
                    size = (end_h[oh] - start_h[oh]) * (end_w[ow] - start_w[ow])
                    out[n, c, oh, ow] = total / size


def adaptive_avg_pool2d_forward(x: np.ndarray, output_size) -> np.ndarray:
    """``torch.nn.functional.adaptive_avg_pool2d``: means over PyTorch's adaptive windows.

    Row window i is ``[floor(i*H/OH), ceil((i+1)*H/OH))``, likewise for columns; windows may
    overlap. ``output_size`` is an int or ``(OH, OW)``, None keeping that input size. Shape
    ``(N, C, OH, OW)``, x's dtype.
    """
    fn = "adaptive_avg_pool2d"
    _check_input(fn, x)
    oh, ow = _output_size(fn, x.shape, output_size)
    if min(x.shape[2:]) < 1:
        raise ValueError(f"{fn}: x of shape {x.shape} has an empty plane")
    if not _jit.JIT_ENABLED:
        return adaptive_avg_pool2d_ref(x, (oh, ow))
    out = np.empty((x.shape[0], x.shape[1], oh, ow), dtype=x.dtype)
    windows = (*_adaptive_windows(x.shape[2], oh), *_adaptive_windows(x.shape[3], ow))
    adaptive_avg_pool2d_jit(np.ascontiguousarray(x), *windows, out)
    return out


def adaptive_avg_pool2d_backward_ref(grad: np.ndarray, x_shape: tuple) -> np.ndarray:
    """``adaptive_avg_pool2d_backward`` in NumPy: ``A_h.T @ grad @ A_w``."""
    a_h = _adaptive_matrix(x_shape[2], grad.shape[2], grad.dtype)
    a_w = _adaptive_matrix(x_shape[3], grad.shape[3], grad.dtype)
    return np.ascontiguousarray(np.matmul(np.matmul(a_h.T, grad), a_w))


@njit
def adaptive_avg_pool2d_backward_jit(grad, start_h, end_h, start_w, end_w, out):
    """out (N, C, H, W), zeroed, += each grad over its window size across its window."""
    n_, c_, oh_, ow_ = grad.shape
    for n in range(n_):
        for c in range(c_):
            for oh in range(oh_):
                for ow in range(ow_):
                    size = (end_h[oh] - start_h[oh]) * (end_w[ow] - start_w[ow])
                    share = grad[n, c, oh, ow] / out.dtype.type(size)
                    for ih in range(start_h[oh], end_h[oh]):
                        for iw in range(start_w[ow], end_w[ow]):
                            out[n, c, ih, iw] += share


def adaptive_avg_pool2d_backward(grad: np.ndarray, x_shape: tuple) -> np.ndarray:
    """Gradient of ``adaptive_avg_pool2d_forward``: each ``grad`` entry over its window size,
    spread over its window. The output size is read from ``grad``; shape ``x_shape``."""
    fn = "adaptive_avg_pool2d_backward"
    _check_input(fn, grad, "grad")
    x_shape = _check_grad(fn, grad, tuple(x_shape[:2]) + grad.shape[2:], x_shape)
    if not _jit.JIT_ENABLED:
        return adaptive_avg_pool2d_backward_ref(grad, x_shape)
    (oh, ow), (h, w) = grad.shape[2:], x_shape[2:]
    dx = np.zeros(x_shape, dtype=grad.dtype)
    windows = (*_adaptive_windows(h, oh), *_adaptive_windows(w, ow))
    adaptive_avg_pool2d_backward_jit(np.ascontiguousarray(grad), *windows, dx)
    return dx
