"""Tests for lucid.kernels.pool: max, average and adaptive average pooling kernels."""

import re

import numpy as np
import pytest

from lucid.kernels import _jit
from lucid.kernels import pool as P

# (x_shape, kernel, stride, padding, dilation, ceil_mode)
MAX_CASES = [
    ((2, 3, 8, 8), 2, None, 0, 1, False),
    ((2, 3, 9, 8), 3, 2, 1, 1, True),  # ceil_mode keeps a last window
    ((1, 2, 7, 7), 3, 2, 1, 2, True),
    ((2, 2, 10, 7), (2, 3), (3, 2), (1, 1), (2, 1), True),
    ((1, 2, 6, 6), 3, 1, 1, 1, False),  # overlapping windows share winners
    ((1, 1, 5, 5), 2, 2, 1, 1, True),  # ceil_mode drops a window starting in the padding
    ((2, 2, 1, 11), (1, 3), (1, 2), (0, 1), 1, True),  # 1-D
]
# (x_shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
AVG_CASES = [
    ((2, 3, 8, 8), 2, None, 0, False, True, None),
    ((2, 3, 9, 8), 3, 2, 1, True, True, None),
    ((2, 3, 9, 8), 3, 2, 1, True, False, None),
    ((1, 2, 7, 10), (2, 4), (3, 2), (1, 2), False, False, None),
    ((1, 2, 6, 6), 3, 1, 1, False, True, 5),
    ((2, 2, 1, 11), (1, 3), (1, 2), (0, 1), True, False, None),  # 1-D
]
# (x_shape, output_size)
ADAPTIVE_CASES = [
    ((2, 3, 8, 8), 1),
    ((2, 3, 9, 7), (3, 2)),  # uneven windows
    ((1, 2, 5, 7), (4, 5)),  # overlapping windows
    ((1, 2, 4, 3), (6, 7)),  # larger than the input
    ((2, 2, 6, 9), (None, 4)),
    ((2, 2, 1, 11), (1, 4)),  # 1-D
]
DTYPES = [np.float32, np.float64]


@pytest.fixture(params=[True, False], ids=["jit", "numpy"])
def jit(request, monkeypatch):
    """Run a test on the JIT path (small-size limits lifted) and on the NumPy references."""
    monkeypatch.setattr(_jit, "JIT_ENABLED", request.param)
    monkeypatch.setattr(P, "AVG_JIT_MAX_SIZE", 1 << 60)
    monkeypatch.setattr(P, "ADAPTIVE_JIT_MAX_SIZE", 1 << 60)
    return request.param


def _torch_inputs(torch, rng, x_shape):
    x = rng.standard_normal(x_shape).astype(np.float32)
    return x, torch.tensor(x, requires_grad=True)


def _backward(torch, yt, rng):
    upstream = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    yt.backward(torch.tensor(upstream))
    return upstream


# --- max_pool2d -------------------------------------------------------------------------------


@pytest.mark.torch
@pytest.mark.parametrize("case", MAX_CASES)
def test_max_pool2d_matches_torch(case, jit, rng):
    torch = pytest.importorskip("torch")
    x_shape, kernel, stride, padding, dilation, ceil_mode = case
    x, xt = _torch_inputs(torch, rng, x_shape)
    yt, it = torch.nn.functional.max_pool2d(
        xt, kernel, stride, padding, dilation, ceil_mode, return_indices=True
    )
    upstream = _backward(torch, yt, rng)
    out, argmax = P.max_pool2d_forward(x, kernel, stride, padding, dilation, ceil_mode)
    dx = P.max_pool2d_backward(upstream, argmax, x_shape)
    assert out.dtype == dx.dtype == np.float32 and argmax.dtype == np.int64
    np.testing.assert_array_equal(out, yt.detach().numpy())
    np.testing.assert_array_equal(argmax, it.numpy())
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.torch
def test_max_pool2d_nan_and_infinity_pick_the_same_winner_as_torch(jit):
    torch = pytest.importorskip("torch")
    x = np.array([[[[1, np.nan, 2, np.nan], [-np.inf, -np.inf, 3, 3], [0, 0, 5, 4]]]], np.float32)
    yt, it = torch.nn.functional.max_pool2d(torch.tensor(x), 2, 1, 1, return_indices=True)
    out, argmax = P.max_pool2d_forward(x, 2, 1, 1)
    np.testing.assert_array_equal(out, yt.numpy())
    np.testing.assert_array_equal(argmax, it.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("kernel, stride, padding, dilation", [(3, 2, 1, 1), (2, 1, 0, 2)])
def test_max_pool1d_as_unit_height_matches_torch(kernel, stride, padding, dilation, jit, rng):
    torch = pytest.importorskip("torch")
    x, xt = _torch_inputs(torch, rng, (2, 3, 13))
    yt, it = torch.nn.functional.max_pool1d(
        xt, kernel, stride, padding, dilation, return_indices=True
    )
    upstream = _backward(torch, yt, rng)
    args = ((1, kernel), (1, stride), (0, padding), (1, dilation))
    out, argmax = P.max_pool2d_forward(x[:, :, None], *args)
    dx = P.max_pool2d_backward(upstream[:, :, None], argmax, (2, 3, 1, 13))
    np.testing.assert_array_equal(out[:, :, 0], yt.detach().numpy())
    np.testing.assert_array_equal(argmax[:, :, 0], it.numpy())
    np.testing.assert_allclose(dx[:, :, 0], xt.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", MAX_CASES)
def test_max_pool2d_kernel_matches_reference(case, dtype, rng):
    x_shape, kernel, stride, padding, dilation, ceil_mode = case
    x = rng.standard_normal(x_shape).astype(dtype)
    x[..., 1] = x[..., 0]  # ties: the first in window order must win in both
    out, argmax = P.max_pool2d_forward(x, kernel, stride, padding, dilation, ceil_mode)
    ref_out, ref_argmax = P.max_pool2d_ref(x, kernel, stride, padding, dilation, ceil_mode)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(argmax, ref_argmax)
    grad = rng.standard_normal(out.shape).astype(dtype)
    dx = P.max_pool2d_backward(grad, argmax, x_shape)
    assert dx.dtype == dtype
    expected = P.max_pool2d_backward_ref(grad, argmax, x_shape)
    np.testing.assert_allclose(dx, expected, rtol=1e-6, atol=1e-6)


def test_max_pool2d_window_wholly_in_padding_gives_minus_inf_and_no_gradient(jit):
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    out, argmax = P.max_pool2d_forward(x, 2, 1, 1, dilation=3)  # window rows/cols -1 and 2
    assert out.shape == (1, 1, 1, 1) and out[0, 0, 0, 0] == -np.inf
    assert argmax[0, 0, 0, 0] == -1
    np.testing.assert_array_equal(P.max_pool2d_backward(np.ones((1, 1, 1, 1)), argmax, x.shape), 0)


# --- avg_pool2d -------------------------------------------------------------------------------


@pytest.mark.torch
@pytest.mark.parametrize("case", AVG_CASES)
def test_avg_pool2d_matches_torch(case, jit, rng):
    torch = pytest.importorskip("torch")
    x_shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor = case
    x, xt = _torch_inputs(torch, rng, x_shape)
    args = (kernel, stride, padding, ceil_mode, count_include_pad, divisor)
    yt = torch.nn.functional.avg_pool2d(xt, *args)
    upstream = _backward(torch, yt, rng)
    out = P.avg_pool2d_forward(x, *args)
    dx = P.avg_pool2d_backward(upstream, x_shape, *args)
    assert out.dtype == dx.dtype == np.float32
    np.testing.assert_allclose(out, yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.torch
def test_avg_pool1d_as_unit_height_matches_torch(jit, rng):
    torch = pytest.importorskip("torch")
    x, xt = _torch_inputs(torch, rng, (2, 3, 12))
    yt = torch.nn.functional.avg_pool1d(xt, 3, 2, 1, True, False)
    upstream = _backward(torch, yt, rng)
    args = ((1, 3), (1, 2), (0, 1), True, False)
    out = P.avg_pool2d_forward(x[:, :, None], *args)
    dx = P.avg_pool2d_backward(upstream[:, :, None], (2, 3, 1, 12), *args)
    np.testing.assert_allclose(out[:, :, 0], yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(dx[:, :, 0], xt.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", AVG_CASES)
def test_avg_pool2d_kernel_matches_reference(case, dtype, rng, monkeypatch):
    monkeypatch.setattr(P, "AVG_JIT_MAX_SIZE", 1 << 60)  # the JIT path at any size
    x_shape, *args = case
    x = rng.standard_normal(x_shape).astype(dtype)
    out = P.avg_pool2d_forward(x, *args)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, P.avg_pool2d_ref(x, *args), rtol=1e-6, atol=1e-6)
    grad = rng.standard_normal(out.shape).astype(dtype)
    dx = P.avg_pool2d_backward(grad, x_shape, *args)
    assert dx.dtype == dtype
    expected = P.avg_pool2d_backward_ref(grad, x_shape, *args)
    np.testing.assert_allclose(dx, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", AVG_CASES + [((4, 8, 48, 48), 3, 2, 1, True, False, None)])
def test_avg_pool2d_backward_is_the_adjoint_of_the_forward(case, jit, rng):
    x_shape, *args = case  # the last case exceeds AVG_JIT_MAX_SIZE: the dispatch is exercised
    x = rng.standard_normal(x_shape)
    out = P.avg_pool2d_forward(x, *args)
    y = rng.standard_normal(out.shape)
    back = P.avg_pool2d_backward(y, x_shape, *args)
    np.testing.assert_allclose(np.vdot(out, y), np.vdot(x, back), rtol=1e-12)


# --- adaptive_avg_pool2d ----------------------------------------------------------------------


@pytest.mark.torch
@pytest.mark.parametrize("case", ADAPTIVE_CASES)
def test_adaptive_avg_pool2d_matches_torch(case, jit, rng):
    torch = pytest.importorskip("torch")
    x_shape, output_size = case
    x, xt = _torch_inputs(torch, rng, x_shape)
    yt = torch.nn.functional.adaptive_avg_pool2d(xt, output_size)
    upstream = _backward(torch, yt, rng)
    out = P.adaptive_avg_pool2d_forward(x, output_size)
    dx = P.adaptive_avg_pool2d_backward(upstream, x_shape)
    assert out.dtype == dx.dtype == np.float32
    np.testing.assert_allclose(out, yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ADAPTIVE_CASES)
def test_adaptive_avg_pool2d_kernel_matches_reference(case, dtype, rng, monkeypatch):
    monkeypatch.setattr(P, "ADAPTIVE_JIT_MAX_SIZE", 1 << 60)
    x_shape, output_size = case
    x = rng.standard_normal(x_shape).astype(dtype)
    out = P.adaptive_avg_pool2d_forward(x, output_size)
    assert out.dtype == dtype
    expected = P.adaptive_avg_pool2d_ref(x, output_size)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    grad = rng.standard_normal(out.shape).astype(dtype)
    dx = P.adaptive_avg_pool2d_backward(grad, x_shape)
    assert dx.dtype == dtype
    expected = P.adaptive_avg_pool2d_backward_ref(grad, x_shape)
    np.testing.assert_allclose(dx, expected, rtol=1e-6, atol=1e-6)


# --- with the JIT switched off ----------------------------------------------------------------


def _naive_pool(x, kernel, stride, padding, reduce):
    """Window by window in plain Python: rows/cols of each window clipped to x."""
    n, c, h, w = x.shape
    oh = (h + 2 * padding - kernel) // stride + 1
    ow = (w + 2 * padding - kernel) // stride + 1
    out = np.empty((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * stride - padding, j * stride - padding
            window = x[:, :, max(r0, 0) : r0 + kernel, max(c0, 0) : c0 + kernel]
            out[:, :, i, j] = reduce(window.reshape(n, c, -1), axis=-1)
    return out


def test_pooling_with_jit_disabled_matches_plain_loops_and_the_jit(rng, monkeypatch):
    x = rng.standard_normal((2, 3, 7, 7))
    grad = rng.standard_normal((2, 3, 4, 4))
    on = (
        P.max_pool2d_forward(x, 3, 2, 1),
        P.avg_pool2d_forward(x, 3, 2, 1, False, False),
        P.adaptive_avg_pool2d_forward(x, 3),
    )
    on_dx = P.avg_pool2d_backward(grad, x.shape, 3, 2, 1, False, False)
    monkeypatch.setattr(_jit, "JIT_ENABLED", False)
    (out, argmax), avg, adaptive = (
        P.max_pool2d_forward(x, 3, 2, 1),
        P.avg_pool2d_forward(x, 3, 2, 1, False, False),
        P.adaptive_avg_pool2d_forward(x, 3),
    )
    np.testing.assert_array_equal(out, _naive_pool(x, 3, 2, 1, np.max))
    np.testing.assert_allclose(avg, _naive_pool(x, 3, 2, 1, np.mean), rtol=1e-12)
    np.testing.assert_allclose(adaptive, _naive_pool(x, 3, 2, 0, np.mean), rtol=1e-12)
    np.testing.assert_array_equal(argmax, on[0][1])
    np.testing.assert_allclose(avg, on[1], rtol=1e-12)
    np.testing.assert_allclose(adaptive, on[2], rtol=1e-12)
    dx = P.avg_pool2d_backward(grad, x.shape, 3, 2, 1, False, False)
    np.testing.assert_allclose(dx, on_dx, rtol=1e-12)


# --- geometry and errors ----------------------------------------------------------------------


def test_pool_output_size_follows_torch_ceil_mode_rule():
    assert P.pool_output_size(9, 3, 2, 1) == 5
    assert P.pool_output_size(8, 3, 2, 1) == 4
    assert P.pool_output_size(8, 3, 2, 1, ceil_mode=True) == 5
    assert P.pool_output_size(5, 2, 2, 1, ceil_mode=True) == 3  # a 4th would start in padding


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda x: P.max_pool2d_forward(x, 3, padding=2), ValueError, "at most half"),
        (lambda x: P.max_pool2d_forward(x, 7), ValueError, re.escape("(2, 3, 5, 6) is too small")),
        (lambda x: P.max_pool2d_forward(x[0], 2), ValueError, re.escape("4-D (N, C, H, W)")),
        (lambda x: P.max_pool2d_forward(x, 0), ValueError, "must be >= 1"),
        (lambda x: P.avg_pool2d_forward(x.astype(np.int64), 2), TypeError, "floating-point"),
        (lambda x: P.avg_pool2d_forward(x, 2, divisor_override=0), ValueError, "positive int"),
        (lambda x: P.adaptive_avg_pool2d_forward(x, (2, 0)), ValueError, "positive ints"),
        (lambda x: P.adaptive_avg_pool2d_forward(x, (1, 2, 3)), ValueError, "an int or a pair"),
    ],
)
def test_pooling_forward_rejects_bad_arguments(call, error, match, rng):
    with pytest.raises(error, match=match):
        call(rng.standard_normal((2, 3, 5, 6)))


def test_pooling_backward_rejects_gradients_of_the_wrong_shape(rng):
    x = rng.standard_normal((2, 3, 6, 6))
    out, argmax = P.max_pool2d_forward(x, 2)
    bad = np.zeros((2, 3, 4, 4))
    shapes = re.escape("(2, 3, 4, 4)") + ".*" + re.escape("(2, 3, 3, 3)")
    with pytest.raises(ValueError, match=shapes):
        P.max_pool2d_backward(bad, argmax, x.shape)
    with pytest.raises(ValueError, match=shapes):
        P.avg_pool2d_backward(bad, x.shape, 2)
    with pytest.raises(ValueError, match=r"index past the \(6, 6\) plane"):
        P.max_pool2d_backward(np.zeros_like(out), argmax + 36, x.shape)
    with pytest.raises(ValueError, match=re.escape("(2, 4, 3, 3)")):
        P.adaptive_avg_pool2d_backward(np.zeros((2, 4, 3, 3)), x.shape)


def test_max_pool2d_reference_takes_an_empty_batch():
    out, index = P.max_pool2d_ref(np.zeros((0, 2, 4, 4), np.float32), 2)
    assert out.shape == index.shape == (0, 2, 2, 2)
