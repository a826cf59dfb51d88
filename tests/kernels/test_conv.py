"""Tests for lucid.kernels.conv: im2col/col2im, conv2d and conv_transpose2d kernels."""

import re

import numpy as np
import pytest

from lucid.kernels import _jit
from lucid.kernels import conv as K

# (x_shape, C_out, kernel, stride, padding, dilation, groups)
CONV_CASES = [
    ((2, 3, 7, 8), 4, (3, 3), 1, 0, 1, 1),
    ((2, 4, 9, 8), 6, (3, 2), 2, 1, 1, 2),
    ((1, 4, 10, 9), 4, (3, 3), (2, 1), (2, 1), (2, 1), 4),  # depthwise
    ((3, 2, 6, 6), 5, (1, 1), 1, 0, 1, 1),
    ((2, 6, 11, 7), 6, (4, 3), 3, (1, 2), 2, 3),
    ((2, 3, 5, 5), 2, (5, 5), 1, 2, 1, 1),
    ((2, 4, 7, 7), 8, (3, 3), 4, 1, 1, 2),  # stride > kernel: some inputs never used
    ((2, 3, 8, 8), 4, (4, 4), 1, "same", 1, 1),  # 'same' with an odd total: asymmetric
    ((2, 2, 9, 7), 3, (2, 3), 1, "same", (2, 3), 1),
    ((2, 3, 6, 6), 4, (3, 3), 1, "valid", 1, 1),
]
CONV_IDS = [f"case{i}" for i in range(len(CONV_CASES))]

# (x_shape, C_out, kernel, stride, padding, output_padding, dilation, groups)
TRANSPOSE_CASES = [
    ((2, 3, 4, 5), 4, (3, 3), 1, 0, 0, 1, 1),
    ((2, 4, 5, 4), 6, (3, 2), 2, 1, 1, 1, 2),
    ((1, 4, 3, 5), 4, (3, 3), (2, 3), (1, 0), (1, 2), (1, 2), 4),
    ((2, 2, 4, 4), 3, (2, 2), 1, 0, 1, 2, 1),  # output_padding < dilation only
    ((2, 3, 3, 3), 2, (4, 4), 3, 2, 2, 1, 1),
    ((2, 3, 5, 5), 2, (1, 1), 1, 0, 0, 1, 1),
]
TRANSPOSE_IDS = [f"case{i}" for i in range(len(TRANSPOSE_CASES))]

# (x_shape, kernel, stride, padding, dilation): padding may be asymmetric
IM2COL_CASES = [
    ((2, 3, 6, 7), (3, 3), 1, 1, 1),
    ((1, 2, 9, 8), (2, 3), (2, 3), ((1, 0), (2, 1)), (2, 1)),
    ((3, 1, 5, 5), (5, 1), 4, ((2, 2), (0, 0)), 1),
    ((2, 2, 1, 12), (1, 4), (1, 2), (0, 3), (1, 3)),  # 1-D: H = 1
]


def _weights(rng, x_shape, c_out, kernel, groups, dtype=np.float32):
    w = rng.standard_normal((c_out, x_shape[1] // groups, *kernel)).astype(dtype)
    return w, rng.standard_normal(c_out).astype(dtype)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _assert_gradients_match_finite_differences(loss, arrays, gradients):
    """Each of ``gradients`` against central differences of ``loss(*arrays)`` in its array."""
    for which, (array, analytic) in enumerate(zip(arrays, gradients, strict=True)):
        numeric = np.zeros_like(array)
        for k in np.ndindex(array.shape):
            shifted = [a.copy() for a in arrays]
            shifted[which][k] += 1e-6
            up = loss(*shifted)
            shifted[which][k] -= 2e-6
            numeric[k] = (up - loss(*shifted)) / 2e-6
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-6)


def _naive_conv2d(x, w, b, stride, padding, dilation, groups):
    """An oracle independent of im2col: one einsum per kernel offset and group."""
    (sh, sw), (dh, dw), (kh, kw) = _pair(stride), _pair(dilation), w.shape[2:]
    if padding == "same":
        padding = K.same_padding((kh, kw), (dh, dw))
    (pt, pb), (pl, pr) = (_pair(p) for p in _pair(0 if padding == "valid" else padding))
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    oh = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    c_out, c_group = w.shape[0], w.shape[1]
    o_group = c_out // groups
    out = np.zeros((x.shape[0], c_out, oh, ow), dtype=x.dtype)
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                patch = xp[
                    :,
                    g * c_group : (g + 1) * c_group,
                    i * dh : i * dh + (oh - 1) * sh + 1 : sh,
                    j * dw : j * dw + (ow - 1) * sw + 1 : sw,
                ]
                w_ij = w[g * o_group : (g + 1) * o_group, :, i, j]
                out[:, g * o_group : (g + 1) * o_group] += np.einsum("nchw,oc->nohw", patch, w_ij)
    return out + b.reshape(1, -1, 1, 1)


# --- im2col / col2im --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", IM2COL_CASES)
def test_im2col_kernel_matches_reference(case, dtype, rng):
    x_shape, kernel, stride, padding, dilation = case
    x = rng.standard_normal(x_shape).astype(dtype)
    cols = K.im2col(x, kernel, stride, padding, dilation)
    assert cols.dtype == dtype
    np.testing.assert_array_equal(cols, K.im2col_ref(x, kernel, stride, padding, dilation))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", IM2COL_CASES)
def test_col2im_kernel_matches_reference(case, dtype, rng):
    x_shape, kernel, stride, padding, dilation = case
    shape = K.im2col(np.zeros(x_shape, dtype), kernel, stride, padding, dilation).shape
    cols = rng.standard_normal(shape).astype(dtype)
    out = K.col2im(cols, x_shape, kernel, stride, padding, dilation)
    assert out.dtype == dtype and out.shape == x_shape
    expected = K.col2im_ref(cols, x_shape, kernel, stride, padding, dilation)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("jit", [True, False])
@pytest.mark.parametrize("case", IM2COL_CASES)
def test_col2im_is_the_adjoint_of_im2col(case, jit, rng, monkeypatch):
    monkeypatch.setattr(_jit, "JIT_ENABLED", jit)
    x_shape, kernel, stride, padding, dilation = case
    x = rng.standard_normal(x_shape)
    cols = K.im2col(x, kernel, stride, padding, dilation)
    y = rng.standard_normal(cols.shape)
    back = K.col2im(y, x_shape, kernel, stride, padding, dilation)
    np.testing.assert_allclose(np.vdot(cols, y), np.vdot(x, back), rtol=1e-12)


def test_im2col_layout_is_channel_kernel_rows_by_batch_position_columns():
    x = np.arange(2 * 2 * 3 * 3, dtype=np.float64).reshape(2, 2, 3, 3)
    cols = K.im2col(x, (2, 2), 1, 0, 1)
    assert cols.shape == (2 * 2 * 2, 2 * 2 * 2)
    c, i, j, n, oh, ow = 1, 0, 1, 1, 1, 0
    assert cols[(c * 2 + i) * 2 + j, (n * 2 + oh) * 2 + ow] == x[n, c, oh + i, ow + j]


# --- conv2d -----------------------------------------------------------------------------------


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("case", CONV_CASES, ids=CONV_IDS)
def test_conv2d_matches_torch(case, rng):
    torch = pytest.importorskip("torch")
    x_shape, c_out, kernel, stride, padding, dilation, groups = case
    x = rng.standard_normal(x_shape).astype(np.float32)
    w, b = _weights(rng, x_shape, c_out, kernel, groups)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = torch.nn.functional.conv2d(xt, wt, bt, stride, padding, dilation, groups)
    upstream = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    yt.backward(torch.tensor(upstream))

    out, cols = K.conv2d_forward(x, w, b, stride, padding, dilation, groups)
    dx, dw, db = K.conv2d_backward(upstream, x.shape, cols, w, stride, padding, dilation, groups)
    assert out.dtype == dx.dtype == dw.dtype == db.dtype == np.float32
    np.testing.assert_allclose(out, yt.detach().numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dw, wt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(db, bt.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.torch
@pytest.mark.parametrize("stride, padding, dilation", [(1, 0, 1), (2, 1, 1), (1, "same", 2)])
def test_conv1d_as_conv2d_with_unit_height_matches_torch(stride, padding, dilation, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 3, 11)).astype(np.float32)
    w = rng.standard_normal((4, 3, 4)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = torch.nn.functional.conv1d(xt, wt, bt, stride, padding, dilation)
    upstream = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    yt.backward(torch.tensor(upstream))

    pad2 = padding if isinstance(padding, str) else (0, padding)
    args = ((1, stride), pad2, (1, dilation), 1)
    x4, w4 = x[:, :, None, :], w[:, :, None, :]
    out, cols = K.conv2d_forward(x4, w4, b, *args)
    dx, dw, db = K.conv2d_backward(upstream[:, :, None, :], x4.shape, cols, w4, *args)
    np.testing.assert_allclose(out[:, :, 0], yt.detach().numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dx[:, :, 0], xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dw[:, :, 0], wt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(db, bt.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV_CASES, ids=CONV_IDS)
def test_conv2d_forward_matches_a_direct_sum_and_keeps_dtype(case, dtype, rng):
    x_shape, c_out, kernel, stride, padding, dilation, groups = case
    x = rng.standard_normal(x_shape).astype(dtype)
    w, b = _weights(rng, x_shape, c_out, kernel, groups, dtype)
    out, cols = K.conv2d_forward(x, w, b, stride, padding, dilation, groups)
    assert out.dtype == cols.dtype == dtype
    assert out.flags.c_contiguous
    expected = _naive_conv2d(x, w, b, stride, padding, dilation, groups)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "stride, padding, dilation, groups",
    [(1, 0, 1, 1), (2, 1, 1, 2), (1, ((1, 0), (0, 2)), 2, 1), (2, "valid", (1, 2), 2)],
)
def test_conv2d_backward_matches_finite_differences(stride, padding, dilation, groups, rng):
    x = rng.standard_normal((2, 2, 5, 6))
    w = rng.standard_normal((4, 2 // groups, 3, 2))
    b = rng.standard_normal(4)
    out, cols = K.conv2d_forward(x, w, b, stride, padding, dilation, groups)
    upstream = rng.standard_normal(out.shape)
    dx, dw, db = K.conv2d_backward(upstream, x.shape, cols, w, stride, padding, dilation, groups)

    def loss(x, w, b):
        return np.vdot(K.conv2d_forward(x, w, b, stride, padding, dilation, groups)[0], upstream)

    _assert_gradients_match_finite_differences(loss, [x, w, b], [dx, dw, db])


def test_conv2d_backward_skips_what_is_not_needed(rng):
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    w, b = _weights(rng, x.shape, 4, (3, 3), 1)
    out, cols = K.conv2d_forward(x, w, b)
    grad = rng.standard_normal(out.shape).astype(np.float32)
    full = K.conv2d_backward(grad, x.shape, cols, w)
    dx, dw, db = K.conv2d_backward(grad, x.shape, None, w, need_dx=True, need_dw=False)
    assert dw is None
    np.testing.assert_array_equal(dx, full[0])
    np.testing.assert_array_equal(db, full[2])
    dx, dw, _ = K.conv2d_backward(grad, x.shape, cols, w, need_dx=False, need_dw=True)
    assert dx is None
    np.testing.assert_array_equal(dw, full[1])


@pytest.mark.parametrize("case", CONV_CASES[:6], ids=CONV_IDS[:6])
def test_conv2d_with_jit_disabled_matches_direct_sum_and_jit(case, rng, monkeypatch):
    x_shape, c_out, kernel, stride, padding, dilation, groups = case
    x = rng.standard_normal(x_shape)
    w, b = _weights(rng, x_shape, c_out, kernel, groups, np.float64)
    out_jit, cols_jit = K.conv2d_forward(x, w, b, stride, padding, dilation, groups)
    grad = rng.standard_normal(out_jit.shape)
    grads_jit = K.conv2d_backward(grad, x_shape, cols_jit, w, stride, padding, dilation, groups)

    monkeypatch.setattr(_jit, "JIT_ENABLED", False)
    out, cols = K.conv2d_forward(x, w, b, stride, padding, dilation, groups)
    grads = K.conv2d_backward(grad, x_shape, cols, w, stride, padding, dilation, groups)
    expected = _naive_conv2d(x, w, b, stride, padding, dilation, groups)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(cols, cols_jit)
    for got, want in zip(grads, grads_jit, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_same_padding_puts_the_odd_pixel_bottom_right():
    assert K.same_padding(3) == ((1, 1), (1, 1))
    assert K.same_padding((4, 2), (1, 3)) == ((1, 2), (1, 2))
    assert K.conv_output_size(8, 4, 1, (1, 2)) == 8
    assert K.conv_output_size(7, 3, 2, 1, 2) == 3


# --- conv_transpose2d -------------------------------------------------------------------------


@pytest.mark.torch
@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=TRANSPOSE_IDS)
def test_conv_transpose2d_matches_torch(case, rng):
    torch = pytest.importorskip("torch")
    x_shape, c_out, kernel, stride, padding, output_padding, dilation, groups = case
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal((x_shape[1], c_out // groups, *kernel)).astype(np.float32)
    b = rng.standard_normal(c_out).astype(np.float32)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = torch.nn.functional.conv_transpose2d(
        xt, wt, bt, stride, padding, output_padding, groups, dilation
    )
    upstream = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    yt.backward(torch.tensor(upstream))

    args = (stride, padding, output_padding, dilation, groups)
    out = K.conv_transpose2d_forward(x, w, b, *args)
    dx, dw, db = K.conv_transpose2d_backward(upstream, x, w, *args)
    assert out.dtype == dx.dtype == dw.dtype == db.dtype == np.float32
    np.testing.assert_allclose(out, yt.detach().numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dw, wt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(db, bt.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("jit", [True, False])
@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=TRANSPOSE_IDS)
def test_conv_transpose2d_is_the_adjoint_of_conv2d(case, jit, rng, monkeypatch):
    monkeypatch.setattr(_jit, "JIT_ENABLED", jit)
    x_shape, c_out, kernel, stride, padding, output_padding, dilation, groups = case
    w = rng.standard_normal((x_shape[1], c_out // groups, *kernel))
    x = rng.standard_normal(x_shape)
    out = K.conv_transpose2d_forward(x, w, None, stride, padding, output_padding, dilation, groups)
    assert out.dtype == np.float64
    y = rng.standard_normal(out.shape)
    # conv2d with the same w maps the output space back; when output_padding >= stride (it may
    # be, below the dilation) conv2d yields extra trailing rows/columns, which the adjoint drops.
    conv_y, _ = K.conv2d_forward(y, w, None, stride, padding, dilation, groups)
    conv_y = conv_y[:, :, : x.shape[2], : x.shape[3]]
    assert conv_y.shape == x.shape
    np.testing.assert_allclose(np.vdot(out, y), np.vdot(x, conv_y), rtol=1e-10)


def test_conv_transpose2d_backward_matches_finite_differences(rng):
    args = (2, 1, 1, (1, 2), 2)  # stride, padding, output_padding, dilation, groups
    x = rng.standard_normal((2, 2, 3, 3))
    w = rng.standard_normal((2, 2, 2, 3))
    b = rng.standard_normal(4)
    upstream = rng.standard_normal(K.conv_transpose2d_forward(x, w, b, *args).shape)
    dx, dw, db = K.conv_transpose2d_backward(upstream, x, w, *args)

    def loss(x, w, b):
        return np.vdot(K.conv_transpose2d_forward(x, w, b, *args), upstream)

    _assert_gradients_match_finite_differences(loss, [x, w, b], [dx, dw, db])


# --- errors -----------------------------------------------------------------------------------


def test_conv2d_rejects_mismatched_channels_naming_both_shapes():
    x, w = np.zeros((2, 3, 8, 8), np.float32), np.zeros((4, 2, 3, 3), np.float32)
    with pytest.raises(
        ValueError, match=re.escape("(2, 3, 8, 8)") + ".*" + re.escape("(4, 2, 3, 3)")
    ):
        K.conv2d_forward(x, w)
    with pytest.raises(ValueError, match="groups=2"):
        K.conv2d_forward(np.zeros((2, 3, 8, 8), np.float32), w, groups=2)


@pytest.mark.parametrize(
    "x_shape, w_shape, b_shape, kwargs, match",
    [
        ((2, 3, 8), (4, 3, 3, 3), None, {}, r"4-D .*\(2, 3, 8\)"),
        ((2, 3, 8, 8), (4, 3, 3, 3), (3,), {}, r"bias of shape \(3,\)"),
        ((2, 3, 2, 2), (4, 3, 3, 3), None, {}, r"\(2, 3, 2, 2\) is too small"),
        ((2, 3, 8, 8), (4, 3, 3, 3), None, {"stride": 2, "padding": "same"}, "stride 1"),
        ((2, 3, 8, 8), (4, 3, 3, 3), None, {"padding": -1}, "padding must be >= 0"),
        ((2, 3, 8, 8), (4, 3, 3, 3), None, {"stride": 0}, "must be >= 1"),
        ((2, 3, 8, 8), (4, 3, 3, 3), None, {"padding": "full"}, "'valid', 'same'"),
    ],
)
def test_conv2d_rejects_bad_arguments(x_shape, w_shape, b_shape, kwargs, match):
    x, w = np.zeros(x_shape, np.float32), np.zeros(w_shape, np.float32)
    b = None if b_shape is None else np.zeros(b_shape, np.float32)
    with pytest.raises(ValueError, match=match):
        K.conv2d_forward(x, w, b, **kwargs)


def test_conv2d_rejects_mixed_dtypes():
    with pytest.raises(TypeError, match="float32 and weight float64"):
        K.conv2d_forward(np.zeros((1, 1, 4, 4), np.float32), np.zeros((1, 1, 3, 3)))


def test_conv2d_backward_rejects_a_gradient_of_the_wrong_shape(rng):
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    w, _ = _weights(rng, x.shape, 4, (3, 3), 1)
    _, cols = K.conv2d_forward(x, w)
    with pytest.raises(
        ValueError, match=re.escape("(2, 4, 5, 5)") + ".*" + re.escape("(2, 4, 4, 4)")
    ):
        K.conv2d_backward(np.zeros((2, 4, 5, 5), np.float32), x.shape, cols, w)
    with pytest.raises(ValueError, match="need_dw needs the forward's cols"):
        K.conv2d_backward(np.zeros((2, 4, 4, 4), np.float32), x.shape, None, w)


def test_col2im_rejects_columns_of_the_wrong_shape():
    with pytest.raises(ValueError, match=re.escape("(27, 50)") + ".*" + re.escape("(27, 72)")):
        K.col2im(np.zeros((27, 50)), (2, 3, 8, 8), 3)


def test_conv_transpose2d_rejects_bad_arguments():
    x, w = np.zeros((2, 4, 5, 5), np.float32), np.zeros((4, 3, 3, 3), np.float32)
    with pytest.raises(ValueError, match=r"output_padding=\(2, 2\) must be smaller"):
        K.conv_transpose2d_forward(x, w, stride=2, output_padding=2)
    with pytest.raises(
        ValueError, match=re.escape("(2, 4, 5, 5)") + ".*" + re.escape("(3, 3, 3, 3)")
    ):
        K.conv_transpose2d_forward(x, np.zeros((3, 3, 3, 3), np.float32))
    with pytest.raises(ValueError, match=re.escape("(2, 3, 5, 5)")):
        K.conv_transpose2d_backward(np.zeros((2, 3, 5, 5), np.float32), x, w)
