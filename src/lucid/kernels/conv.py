"""Convolution kernels: im2col/col2im and conv2d / conv_transpose2d forward and backward.

Layout. ``im2col`` turns x ``(N, C, H, W)`` into one 2-D matrix for the whole batch:

    cols[(c * kh + i) * kw + j, (n * OH + oh) * OW + ow] = xpad[n, c, oh*sh + i*dh, ow*sw + j*dw]

that is, rows ``(C, kh, kw)`` and columns ``(N, OH, OW)``, both C-ordered. With the weight
flattened to ``W2 = w.reshape(C_out, C * kh * kw)`` and the output gradient to
``G2 = grad.transpose(1, 0, 2, 3).reshape(C_out, N * OH * OW)``, every product is one BLAS call:

    forward          out2 = W2 @ cols             (C_out, N*OH*OW)
    weight gradient  dw2  = G2 @ cols.T           (C_out, C*kh*kw)
    input gradient   dx   = col2im(W2.T @ G2)     (N, C, H, W)

im2col + BLAS beats direct loops 4-8x (DESIGN.md); folding the batch into the columns makes
each product one BLAS call instead of one per sample. With groups, the rows of ``cols`` (input
channels) and of ``W2`` (output channels) split into ``groups`` contiguous blocks, which is why
rows are channel-major, and each product is one stacked ``np.matmul`` over a leading group
axis. The price is one transposing copy of the output and of its gradient (free when N == 1).

Padding may be an int, ``(ph, pw)``, ``((top, bottom), (left, right))`` or, for conv2d,
PyTorch's ``"valid"`` / ``"same"`` (``same_padding`` gives the split; the odd pixel goes to the
bottom/right, as in PyTorch). 1-D convolutions are 2-D ones with H == 1 and kh == 1.
"""

from __future__ import annotations

import numpy as np

from lucid.kernels import _jit
from lucid.kernels._jit import njit

# There is no size crossover: Numba's im2col beat the strided-view copy 1.3-18x and its col2im
# beat the per-offset slice adds 2.3-11x at every size measured (64 to 3.6e6 column entries),
# so the JIT runs whenever it is enabled.

Pair = tuple[int, int]
Padding = tuple[Pair, Pair]


# --- geometry ---------------------------------------------------------------------------------


def _pair(value: int | tuple[int, int], what: str, fn: str) -> Pair:
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    pair = tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise ValueError(f"{fn}: {what} must be an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def same_padding(kernel_size: int | Pair, dilation: int | Pair = 1) -> Padding:
    """PyTorch's ``padding="same"`` for stride 1: ``((top, bottom), (left, right))``.

    Each axis is padded by ``dilation * (kernel - 1)`` in all; when that is odd, the extra
    pixel goes to the bottom/right, exactly as PyTorch does.
    """
    kh, kw = _pair(kernel_size, "kernel_size", "same_padding")
    dh, dw = _pair(dilation, "dilation", "same_padding")
    th, tw = dh * (kh - 1), dw * (kw - 1)
    return (th // 2, th - th // 2), (tw // 2, tw - tw // 2)


def _padding(padding, kernel_size: Pair, stride: Pair, dilation: Pair, fn: str) -> Padding:
    """Any accepted padding spelling as ``((top, bottom), (left, right))``."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding != "same":
            raise ValueError(f"{fn}: padding must be 'valid', 'same' or ints, got {padding!r}")
        if stride != (1, 1):
            raise ValueError(f"{fn}: padding='same' needs stride 1, got stride={stride}")
        return same_padding(kernel_size, dilation)
    if isinstance(padding, (int, np.integer)):
        padding = (padding, padding)
    if len(padding) != 2:
        raise ValueError(f"{fn}: padding must be an int, a pair or two pairs, got {padding!r}")
    # An int per axis pads both sides; a pair per axis is (before, after).
    return _pair(padding[0], "padding", fn), _pair(padding[1], "padding", fn)


def conv_output_size(
    size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int | Pair = 0,
    dilation: int = 1,
) -> int:
    """Output length of a convolution along one axis: floor((size + pads - span) / stride) + 1.

    ``padding`` is one int (both sides) or ``(before, after)``; ``span = dilation*(k-1) + 1``.
    The result may be < 1, which callers report as an error.
    """
    before, after = (padding, padding) if isinstance(padding, (int, np.integer)) else padding
    return (size + before + after - dilation * (kernel_size - 1) - 1) // stride + 1


def conv_transpose_output_size(
    size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Output length of a transposed convolution along one axis, as in PyTorch:
    ``(size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1``."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1


def _geometry(kernel_size, stride, padding, dilation, fn: str):
    """Normalised ``(kernel, stride, ((top, bottom), (left, right)), dilation)`` tuples."""
    kernel = _pair(kernel_size, "kernel_size", fn)
    stride = _pair(stride, "stride", fn)
    dilation = _pair(dilation, "dilation", fn)
    return kernel, stride, _padding(padding, kernel, stride, dilation, fn), dilation


def _output_hw(
    x_shape: tuple, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair
) -> Pair:
    """``(OH, OW)`` of a convolution of an ``(N, C, H, W)`` input, on normalised geometry."""
    return (
        conv_output_size(x_shape[2], kernel[0], stride[0], padding[0], dilation[0]),
        conv_output_size(x_shape[3], kernel[1], stride[1], padding[1], dilation[1]),
    )


def _loop_geometry(stride: Pair, padding: Padding, dilation: Pair) -> tuple[int, ...]:
    """``(sh, sw, pt, pl, dh, dw)``, the geometry scalars ``im2col_jit``/``col2im_jit`` read
    (the bottom/right pads only shorten the output grid, which the array shapes carry)."""
    return stride[0], stride[1], padding[0][0], padding[1][0], dilation[0], dilation[1]


def _check_geometry(fn: str, x_shape: tuple, kernel: Pair, stride, padding, dilation) -> Pair:
    """Raise unless the geometry is valid for input ``x_shape``; return ``(OH, OW)``."""
    if min(kernel) < 1 or min(stride) < 1 or min(dilation) < 1:
        raise ValueError(
            f"{fn}: kernel_size, stride and dilation must be >= 1, got kernel_size={kernel}, "
            f"stride={stride}, dilation={dilation}"
        )
    if min(padding[0] + padding[1]) < 0:
        raise ValueError(f"{fn}: padding must be >= 0, got {padding}")
    oh, ow = _output_hw(x_shape, kernel, stride, padding, dilation)
    if oh < 1 or ow < 1:
        raise ValueError(
            f"{fn}: input of shape {tuple(x_shape)} is too small for kernel_size={kernel}, "
            f"dilation={dilation}, padding={padding}: the output would be ({oh}, {ow})"
        )
    return oh, ow


def _check_4d(fn: str, name: str, a: np.ndarray) -> None:
    """Raise unless ``a`` is a 4-D floating-point array (also used by lucid.kernels.pool)."""
    if a.ndim != 4:
        raise ValueError(f"{fn}: {name} must be 4-D (N, C, H, W), got shape {a.shape}")
    if a.dtype.kind != "f":
        raise TypeError(f"{fn}: {name} must be a floating-point array, got {a.dtype}")


def _x_shape(fn: str, x_shape) -> tuple:
    """``x_shape`` as a tuple of 4 ints; ValueError otherwise (also used by kernels.pool)."""
    x_shape = tuple(int(s) for s in x_shape)
    if len(x_shape) != 4:
        raise ValueError(f"{fn}: x_shape must be (N, C, H, W), got {x_shape}")
    return x_shape


def _check_grad(fn: str, grad: np.ndarray, expected: tuple, x_shape, w_shape) -> None:
    """Raise unless the output gradient has the forward output's shape ``expected``."""
    if grad.shape != expected:
        raise ValueError(
            f"{fn}: grad of shape {grad.shape} does not match the output shape "
            f"{expected} of input {x_shape} and weight {w_shape}"
        )


# --- im2col -----------------------------------------------------------------------------------


def im2col_ref(x: np.ndarray, kernel_size, stride=1, padding=0, dilation=1) -> np.ndarray:
    """``im2col`` in NumPy: a strided window view of the zero-padded input, copied."""
    geometry = _geometry(kernel_size, stride, padding, dilation, "im2col")
    (kh, kw), (sh, sw), ((pt, pb), (pl, pr)), (dh, dw) = geometry
    n, c = x.shape[:2]
    oh, ow = _output_hw(x.shape, *geometry)
    # A negative bottom/right pad (used by conv_transpose2d's output_padding) only shortens
    # the output grid, so padding by max(pad, 0) always covers every window.
    xp = np.pad(x, ((0, 0), (0, 0), (pt, max(pb, 0)), (pl, max(pr, 0))))
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    windows = np.lib.stride_tricks.sliding_window_view(xp, (span_h, span_w), axis=(2, 3))
    windows = windows[:, :, : (oh - 1) * sh + 1 : sh, : (ow - 1) * sw + 1 : sw, ::dh, ::dw]
    return windows.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, n * oh * ow)


@njit
def im2col_jit(x, sh, sw, pt, pl, dh, dw, out):
    """out (C, kh, kw, N, OH, OW) = the windows of x (N, C, H, W); zero outside x."""
    c_, kh, kw, n_, oh_, ow_ = out.shape
    h, w = x.shape[2], x.shape[3]
    for c in range(c_):
        for i in range(kh):
            for j in range(kw):
                for n in range(n_):
                    for oh in range(oh_):
                        ih = oh * sh - pt + i * dh
                        if ih < 0 or ih >= h:
                            for ow in range(ow_):
                                out[c, i, j, n, oh, ow] = 0
                            continue
                        for ow in range(ow_):
                            iw = ow * sw - pl + j * dw
                            if 0 <= iw < w:
                                out[c, i, j, n, oh, ow] = x[n, c, ih, iw]
                            else:
                                out[c, i, j, n, oh, ow] = 0


def _im2col(x: np.ndarray, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair):
    """im2col on checked, normalised arguments: JIT or NumPy."""
    if not _jit.JIT_ENABLED:
        return im2col_ref(x, kernel, stride, padding, dilation)
    n, c = x.shape[:2]
    oh, ow = _output_hw(x.shape, kernel, stride, padding, dilation)
    out = np.empty((c * kernel[0] * kernel[1], n * oh * ow), dtype=x.dtype)
    out6 = out.reshape(c, kernel[0], kernel[1], n, oh, ow)
    im2col_jit(np.ascontiguousarray(x), *_loop_geometry(stride, padding, dilation), out6)
    return out


def im2col(x: np.ndarray, kernel_size, stride=1, padding=0, dilation=1) -> np.ndarray:
    """The sliding windows of x ``(N, C, H, W)`` as a ``(C*kh*kw, N*OH*OW)`` matrix.

    ``cols[(c*kh + i)*kw + j, (n*OH + oh)*OW + ow] = xpad[n, c, oh*sh + i*dh, ow*sw + j*dw]``,
    zero in the padding (see the module docstring for why this layout). Same dtype as ``x``.
    Like ``torch.nn.functional.unfold`` but with the batch folded into the columns.
    """
    _check_4d("im2col", "x", x)
    kernel, stride, padding, dilation = _geometry(kernel_size, stride, padding, dilation, "im2col")
    _check_geometry("im2col", x.shape, kernel, stride, padding, dilation)
    return _im2col(x, kernel, stride, padding, dilation)


# --- col2im -----------------------------------------------------------------------------------


def col2im_ref(
    cols: np.ndarray, x_shape: tuple, kernel_size, stride=1, padding=0, dilation=1
) -> np.ndarray:
    """``col2im`` in NumPy: one strided slice-add per kernel offset (the slices of one offset
    never overlap, so plain ``+=`` is exact)."""
    geometry = _geometry(kernel_size, stride, padding, dilation, "col2im")
    (kh, kw), (sh, sw), ((pt, pb), (pl, pr)), (dh, dw) = geometry
    n, c, h, w = x_shape
    oh, ow = _output_hw(x_shape, *geometry)
    cols6 = cols.reshape(c, kh, kw, n, oh, ow)
    xp = np.zeros((n, c, h + pt + max(pb, 0), w + pl + max(pr, 0)), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + (oh - 1) * sh + 1, sh)
            columns = slice(j * dw, j * dw + (ow - 1) * sw + 1, sw)
            xp[:, :, rows, columns] += cols6[:, i, j].transpose(1, 0, 2, 3)
    return np.ascontiguousarray(xp[:, :, pt : pt + h, pl : pl + w])


@njit
def col2im_jit(cols, sh, sw, pt, pl, dh, dw, out):
    """out (N, C, H, W), zeroed, += every window entry of cols (C, kh, kw, N, OH, OW)."""
    c_, kh, kw, n_, oh_, ow_ = cols.shape
    h, w = out.shape[2], out.shape[3]
    for c in range(c_):
        for i in range(kh):
            for j in range(kw):
                for n in range(n_):
                    for oh in range(oh_):
                        ih = oh * sh - pt + i * dh
                        if ih < 0 or ih >= h:
                            continue
                        for ow in range(ow_):
                            iw = ow * sw - pl + j * dw
                            if 0 <= iw < w:
                                out[n, c, ih, iw] += cols[c, i, j, n, oh, ow]


def _col2im(cols, x_shape: tuple, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair):
    """col2im on checked, normalised arguments: JIT or NumPy."""
    if not _jit.JIT_ENABLED:
        return col2im_ref(cols, x_shape, kernel, stride, padding, dilation)
    n, c = x_shape[:2]
    oh, ow = _output_hw(x_shape, kernel, stride, padding, dilation)
    cols6 = np.ascontiguousarray(cols).reshape(c, kernel[0], kernel[1], n, oh, ow)
    out = np.zeros(x_shape, dtype=cols.dtype)
    col2im_jit(cols6, *_loop_geometry(stride, padding, dilation), out)
    return out


def col2im(
    cols: np.ndarray, x_shape: tuple, kernel_size, stride=1, padding=0, dilation=1
) -> np.ndarray:
    """The adjoint of ``im2col``: scatter-add ``cols`` ``(C*kh*kw, N*OH*OW)`` into ``x_shape``.

    Overlapping windows add up; entries that fall in the padding are dropped. The result has
    shape ``x_shape`` and ``cols``'s dtype (``torch.nn.functional.fold``, batch in the columns).
    """
    x_shape = _x_shape("col2im", x_shape)
    if cols.dtype.kind != "f":
        raise TypeError(f"col2im: cols must be a floating-point array, got {cols.dtype}")
    kernel, stride, padding, dilation = _geometry(kernel_size, stride, padding, dilation, "col2im")
    oh, ow = _check_geometry("col2im", x_shape, kernel, stride, padding, dilation)
    n, c = x_shape[:2]
    expected = (c * kernel[0] * kernel[1], n * oh * ow)
    if cols.shape != expected:
        raise ValueError(
            f"col2im: cols of shape {cols.shape} do not match x_shape {x_shape} with "
            f"kernel_size={kernel}: expected {expected}"
        )
    return _col2im(cols, x_shape, kernel, stride, padding, dilation)


# --- conv2d -----------------------------------------------------------------------------------


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.matmul`` of stacks; a product over an axis of length 1 (depthwise convolutions) is
    an outer product, which a broadcast multiply computes ~10x faster than NumPy's matmul."""
    return a * b if a.shape[-1] == 1 else np.matmul(a, b)


def _check_conv(fn: str, x_shape: tuple, dtype, w: np.ndarray, b, groups: int, transposed: bool):
    """Shapes and dtypes of a (transposed) convolution's input, weight and bias; C_out."""
    _check_4d(fn, "weight", w)
    if w.dtype != dtype or (b is not None and b.dtype != dtype):
        bias = "" if b is None else f" and bias {b.dtype}"
        raise TypeError(f"{fn}: x {dtype} and weight {w.dtype}{bias} must share one dtype")
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{fn}: groups must be a positive int, got {groups!r}")
    c_in = x_shape[1]
    # conv2d weight: (C_out, C_in/groups, kh, kw); conv_transpose2d: (C_in, C_out/groups, ...).
    c_out = w.shape[1] * groups if transposed else w.shape[0]
    w_in = w.shape[0] if transposed else w.shape[1] * groups
    if c_in % groups or c_out % groups or w_in != c_in:
        layout = "(C_in, C_out/groups, kh, kw)" if transposed else "(C_out, C_in/groups, kh, kw)"
        raise ValueError(
            f"{fn}: x of shape {x_shape} and weight of shape {w.shape} do not match with "
            f"groups={groups}: the weight must be {layout} with C_in={c_in} and both channel "
            f"counts divisible by groups"
        )
    if b is not None and b.shape != (c_out,):
        raise ValueError(f"{fn}: bias of shape {b.shape} must be ({c_out},) for {c_out} outputs")
    return c_out


def conv2d_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """``torch.nn.functional.conv2d``: returns ``(out, cols)``.

    ``out[n, o] = b[o] + sum_{c in o's group, i, j} w[o, c, i, j] * xpad[n, c, oh*sh + i*dh,
    ow*sw + j*dw]``, shape ``(N, C_out, OH, OW)``, x's dtype. ``w`` is ``(C_out, C_in/groups,
    kh, kw)``. ``cols = im2col(x)`` is returned for ``conv2d_backward``'s weight gradient.
    """
    _check_4d("conv2d", "x", x)
    c_out = _check_conv("conv2d", x.shape, x.dtype, w, b, groups, transposed=False)
    kernel, stride, padding, dilation = _geometry(w.shape[2:], stride, padding, dilation, "conv2d")
    oh, ow = _check_geometry("conv2d", x.shape, kernel, stride, padding, dilation)
    n = x.shape[0]
    cols = _im2col(x, kernel, stride, padding, dilation)
    # (groups, C_out/g, K/g) @ (groups, K/g, N*OH*OW): one BLAS product per group.
    # Explicit lengths, not -1: with an empty batch (n = 0) a -1 would be ambiguous.
    k = cols.shape[0] // groups
    out = _matmul(w.reshape(groups, c_out // groups, k), cols.reshape(groups, k, n * oh * ow))
    out = out.reshape(c_out, n, oh, ow)
    if b is not None:
        out += b.reshape(c_out, 1, 1, 1)
    return np.ascontiguousarray(out.transpose(1, 0, 2, 3)), cols


def conv2d_backward(
    grad: np.ndarray,
    x_shape: tuple,
    cols: np.ndarray | None,
    w: np.ndarray,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
    need_dx: bool = True,
    need_dw: bool = True,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray]:
    """Gradients of ``conv2d_forward``: ``(dx, dw, db)`` from the output gradient ``grad``.

    ``dx`` (shape ``x_shape``) is None unless ``need_dx``, ``dw`` (w's shape) None unless
    ``need_dw`` (which needs the forward's ``cols``); ``db = grad.sum((0, 2, 3))`` always.
    Arguments as in the forward call.
    """
    x_shape = _x_shape("conv2d_backward", x_shape)
    _check_4d("conv2d_backward", "grad", grad)
    c_out = _check_conv("conv2d_backward", x_shape, grad.dtype, w, None, groups, False)
    kernel, stride, padding, dilation = _geometry(
        w.shape[2:], stride, padding, dilation, "conv2d_backward"
    )
    oh, ow = _check_geometry("conv2d_backward", x_shape, kernel, stride, padding, dilation)
    n = x_shape[0]
    _check_grad("conv2d_backward", grad, (n, c_out, oh, ow), x_shape, w.shape)
    k_rows = x_shape[1] * kernel[0] * kernel[1]
    if need_dw and (cols is None or cols.shape != (k_rows, n * oh * ow)):
        got = None if cols is None else cols.shape
        raise ValueError(
            f"conv2d_backward: need_dw needs the forward's cols of shape "
            f"{(k_rows, n * oh * ow)}, got {got}"
        )
    g3 = grad.transpose(1, 0, 2, 3).reshape(groups, c_out // groups, n * oh * ow)
    db = g3.reshape(c_out, n * oh * ow).sum(axis=1)
    dw = None
    if need_dw:
        dw = _matmul(g3, cols.reshape(groups, k_rows // groups, n * oh * ow).transpose(0, 2, 1))
        dw = dw.reshape(w.shape)
    dx = None
    if need_dx:
        dcols = _matmul(
            w.reshape(groups, c_out // groups, k_rows // groups).transpose(0, 2, 1), g3
        )
        dx = _col2im(
            dcols.reshape(k_rows, n * oh * ow), x_shape, kernel, stride, padding, dilation
        )
    return dx, dw, db


# --- conv_transpose2d -------------------------------------------------------------------------


def _transpose_geometry(fn: str, x_shape, w_shape, stride, padding, output_padding, dilation):
    """Normalised geometry of a transposed convolution, the output shape, and the padding of
    the equivalent conv2d (output_padding taken off the bottom/right pad)."""
    kernel = _pair(w_shape[2:], "kernel_size", fn)
    stride = _pair(stride, "stride", fn)
    dilation = _pair(dilation, "dilation", fn)
    ph, pw = _pair(padding, "padding", fn)
    oph, opw = _pair(output_padding, "output_padding", fn)
    if min(stride) < 1 or min(dilation) < 1 or min(ph, pw, oph, opw) < 0:
        raise ValueError(
            f"{fn}: stride and dilation must be >= 1 and padding, output_padding >= 0, got "
            f"stride={stride}, dilation={dilation}, padding={(ph, pw)}, "
            f"output_padding={(oph, opw)}"
        )
    if not (oph < max(stride[0], dilation[0]) and opw < max(stride[1], dilation[1])):
        raise ValueError(
            f"{fn}: output_padding={(oph, opw)} must be smaller than stride={stride} or "
            f"dilation={dilation}"
        )
    out_h = conv_transpose_output_size(x_shape[2], kernel[0], stride[0], ph, oph, dilation[0])
    out_w = conv_transpose_output_size(x_shape[3], kernel[1], stride[1], pw, opw, dilation[1])
    if out_h < 1 or out_w < 1:
        raise ValueError(
            f"{fn}: input of shape {tuple(x_shape)} with weight {tuple(w_shape)} and "
            f"padding={(ph, pw)} gives an empty output ({out_h}, {out_w})"
        )
    # conv_transpose2d is the adjoint of a conv2d on its output. Padding that conv2d by
    # (p, p - output_padding) makes its output exactly (H, W) and its windows line up with
    # the transposed one's; a negative pad only trims, which im2col/col2im accept.
    conv_padding = (ph, ph - oph), (pw, pw - opw)
    return kernel, stride, conv_padding, dilation, (out_h, out_w)


def conv_transpose2d_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    dilation=1,
    groups: int = 1,
) -> np.ndarray:
    """``torch.nn.functional.conv_transpose2d``: the adjoint of conv2d with the same weight.

    ``w`` is ``(C_in, C_out/groups, kh, kw)``; the result ``(N, C_out, OH, OW)`` with
    ``OH = (H-1)*sh - 2*ph + dh*(kh-1) + output_padding + 1`` (likewise OW), x's dtype.
    Computed as ``col2im(W2.T @ x2)``: one BLAS product per group, then the scatter-add.
    """
    fn = "conv_transpose2d"
    _check_4d(fn, "x", x)
    c_out = _check_conv(fn, x.shape, x.dtype, w, b, groups, transposed=True)
    kernel, stride, padding, dilation, (out_h, out_w) = _transpose_geometry(
        fn, x.shape, w.shape, stride, padding, output_padding, dilation
    )
    n, c_in, h, wd = x.shape
    x3 = x.transpose(1, 0, 2, 3).reshape(groups, c_in // groups, n * h * wd)
    cols = _matmul(w.reshape(groups, c_in // groups, -1).transpose(0, 2, 1), x3)
    out_shape = (n, c_out, out_h, out_w)
    out = _col2im(
        cols.reshape(cols.shape[0] * cols.shape[1], n * h * wd),
        out_shape,
        kernel,
        stride,
        padding,
        dilation,
    )
    if b is not None:
        out += b.reshape(c_out, 1, 1)
    return out


def conv_transpose2d_backward(
    grad: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    stride=1,
    padding=0,
    output_padding=0,
    dilation=1,
    groups: int = 1,
    need_dx: bool = True,
    need_dw: bool = True,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray]:
    """Gradients of ``conv_transpose2d_forward``: ``(dx, dw, db)``.

    ``dx`` is the conv2d of ``grad`` with ``w``; ``dw`` pairs ``x`` with ``im2col(grad)``;
    ``db = grad.sum((0, 2, 3))``. ``dx``/``dw`` are None unless asked for.
    """
    fn = "conv_transpose2d_backward"
    _check_4d(fn, "x", x)
    _check_4d(fn, "grad", grad)
    c_out = _check_conv(fn, x.shape, x.dtype, w, None, groups, transposed=True)
    kernel, stride, padding, dilation, (out_h, out_w) = _transpose_geometry(
        fn, x.shape, w.shape, stride, padding, output_padding, dilation
    )
    n, c_in, h, wd = x.shape
    _check_grad(fn, grad, (n, c_out, out_h, out_w), x.shape, w.shape)
    db = grad.sum(axis=(0, 2, 3))
    if not (need_dx or need_dw):
        return None, None, db
    gcols = _im2col(grad, kernel, stride, padding, dilation)
    g3 = gcols.reshape(groups, gcols.shape[0] // groups, n * h * wd)
    w3 = w.reshape(groups, c_in // groups, -1)
    dx = dw = None
    if need_dx:
        dx = _matmul(w3, g3).reshape(c_in, n, h, wd)
        dx = np.ascontiguousarray(dx.transpose(1, 0, 2, 3))
    if need_dw:
        x3 = x.transpose(1, 0, 2, 3).reshape(groups, c_in // groups, n * h * wd)
        dw = _matmul(x3, g3.transpose(0, 2, 1)).reshape(w.shape)
    return dx, dw, db
