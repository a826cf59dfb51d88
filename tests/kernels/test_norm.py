"""Normalisation kernels: JIT loops against the NumPy references, the references against
PyTorch, backwards against central differences, and the wrappers' errors."""

import numpy as np
import pytest

from lucid.kernels import _jit
from lucid.kernels import norm as K

requires_jit = pytest.mark.skipif(
    not _jit.JIT_ENABLED, reason="numba disabled (LUCID_DISABLE_JIT=1) or not installed"
)
DTYPES = [np.float32, np.float64]
TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-5}, np.float64: {"rtol": 1e-11, "atol": 1e-12}}


def _affine(rng, c, dtype, affine):
    if not affine:
        return None, None
    return (1 + 0.5 * rng.standard_normal(c)).astype(dtype), rng.standard_normal(c).astype(dtype)


def _assert_all_close(got, expected, tol):
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        if b is None:
            assert a is None
        else:
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_allclose(a, b, **tol)


# ---------------------------------------------------------------------------------------------
# JIT loops against the references


@requires_jit
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_norm_jit_matches_reference(dtype, affine, rng, spy):
    x = (3 + 2 * rng.standard_normal((33, 70))).astype(dtype)
    grad = rng.standard_normal(x.shape).astype(dtype)
    weight, bias = _affine(rng, 70, dtype, affine)
    fwd_calls = spy(K, "layer_norm_forward_jit")
    y, mean, rstd = K.layer_norm_forward(x, weight, bias, 1e-5)
    expected = K.layer_norm_forward_ref(x, weight, bias, dtype(1e-5))
    _assert_all_close((y, mean, rstd), expected, TOL[dtype])
    bwd_calls = spy(K, "layer_norm_backward_jit")
    got = K.layer_norm_backward(grad, x, mean, rstd, weight)
    _assert_all_close(got, K.layer_norm_backward_ref(grad, x, mean, rstd, weight), TOL[dtype])
    assert fwd_calls and bwd_calls, "the JIT path was not taken"


@requires_jit
@pytest.mark.parametrize("shape", [(40, 6, 1), (5, 3, 17)])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_jit_matches_reference(dtype, affine, shape, rng, spy):
    x = (-2 + 3 * rng.standard_normal(shape)).astype(dtype)
    grad = rng.standard_normal(shape).astype(dtype)
    weight, bias = _affine(rng, shape[1], dtype, affine)
    fwd_calls = spy(K, "batch_norm_forward_jit")
    y, mean, var, rstd = K.batch_norm_forward(x, weight, bias, 1e-5)
    expected = K.batch_norm_forward_ref(x, weight, bias, dtype(1e-5))
    _assert_all_close((y, mean, var, rstd), expected, TOL[dtype])
    bwd_calls = spy(K, "batch_norm_backward_jit")
    got = K.batch_norm_backward(grad, x, mean, rstd, weight)
    _assert_all_close(got, K.batch_norm_backward_ref(grad, x, mean, rstd, weight), TOL[dtype])
    inf_calls = spy(K, "batch_norm_inference_jit")
    got = K.batch_norm_inference(x, mean, var + 0.5, weight, bias, 1e-3)
    expected = K.batch_norm_inference_ref(x, mean, var + 0.5, weight, bias, dtype(1e-3))
    _assert_all_close((got,), (expected,), TOL[dtype])
    assert fwd_calls and bwd_calls and inf_calls, "the JIT path was not taken"


@requires_jit
def test_kernels_read_non_contiguous_inputs(rng):
    x = rng.standard_normal((9, 12)).T  # F-ordered (12, 9)
    grad = rng.standard_normal((9, 12)).T
    y, mean, rstd = K.layer_norm_forward(x)
    np.testing.assert_allclose(y, K.layer_norm_forward_ref(x, None, None, 1e-5)[0], rtol=1e-12)
    x3, grad3 = x[:, :, None], grad[:, :, None]  # (N, C, 1) views with strides (8, 96, 0)
    _, mean, _, rstd = K.batch_norm_forward(x3)
    dx, _, _ = K.batch_norm_backward(grad3, x3, mean, rstd)
    expected, _, _ = K.batch_norm_backward_ref(grad3, x3, mean, rstd, None)
    np.testing.assert_allclose(dx, expected, rtol=1e-10, atol=1e-12)


NO_JIT_CALLS = {
    "layer_norm_forward_jit": lambda x3, x2, w: K.layer_norm_forward(x2, w[: x2.shape[1]]),
    "layer_norm_backward_jit": lambda x3, x2, w: K.layer_norm_backward(
        x2, x2, x2.mean(1), 1 / x2.std(1), w[: x2.shape[1]]
    ),
    "batch_norm_forward_jit": lambda x3, x2, w: K.batch_norm_forward(x3, w[:3], w[:3]),
    "batch_norm_backward_jit": lambda x3, x2, w: K.batch_norm_backward(
        x3, x3, x3.mean((0, 2)), 1 / x3.std((0, 2)), w[:3]
    ),
    "batch_norm_inference_jit": lambda x3, x2, w: K.batch_norm_inference(
        x3, w[:3], w[:3] ** 2, w[:3], w[:3]
    ),
}
NO_JIT_REFS = {
    "layer_norm_forward_jit": lambda x3, x2, w: K.layer_norm_forward_ref(
        x2, w[: x2.shape[1]], None, 1e-5
    ),
    "layer_norm_backward_jit": lambda x3, x2, w: K.layer_norm_backward_ref(
        x2, x2, x2.mean(1), 1 / x2.std(1), w[: x2.shape[1]]
    ),
    "batch_norm_forward_jit": lambda x3, x2, w: K.batch_norm_forward_ref(x3, w[:3], w[:3], 1e-5),
    "batch_norm_backward_jit": lambda x3, x2, w: K.batch_norm_backward_ref(
        x3, x3, x3.mean((0, 2)), 1 / x3.std((0, 2)), w[:3]
    ),
    "batch_norm_inference_jit": lambda x3, x2, w: (
        K.batch_norm_inference_ref(x3, w[:3], w[:3] ** 2, w[:3], w[:3], 1e-5),
    ),
}


@pytest.mark.parametrize("jit_name", list(NO_JIT_CALLS))
def test_kernel_without_jit_gives_the_reference_answer(jit_name, rng, forbid_jit):
    forbid_jit(K, jit_name)
    x3 = rng.standard_normal((4, 3, 5))
    x2 = x3.reshape(6, 10)
    w = 1 + rng.random(10)
    got = NO_JIT_CALLS[jit_name](x3, x2, w)
    got = got if isinstance(got, tuple) else (got,)
    _assert_all_close(got, NO_JIT_REFS[jit_name](x3, x2, w), {"rtol": 0, "atol": 0})


# ---------------------------------------------------------------------------------------------
# Numerics


@pytest.mark.parametrize("dtype", DTYPES)
def test_statistics_survive_a_large_offset_in_float32(dtype, rng):
    # E[x^2] - E[x]^2 in float32 would return garbage here; two-pass float64 sums do not.
    x = (1e4 + rng.standard_normal((4, 1000))).astype(dtype)
    y, mean, rstd = K.layer_norm_forward(x)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(rstd, 1 / np.sqrt(x64.var(axis=1) + 1e-5), rtol=1e-6)
    np.testing.assert_allclose(y.std(axis=1, dtype=np.float64), 1, rtol=1e-5)
    _, _, var, _ = K.batch_norm_forward(x.T[:, :, None].copy())
    np.testing.assert_allclose(var, x64.T.var(axis=0), rtol=1e-6)


@pytest.mark.parametrize("jit", [True, False])
def test_constant_rows_with_zero_eps_give_inf_rstd_without_raising(jit, monkeypatch):
    monkeypatch.setattr(_jit, "JIT_ENABLED", jit and _jit.JIT_ENABLED)
    with np.errstate(divide="ignore", invalid="ignore"):
        _, _, rstd = K.layer_norm_forward(np.ones((2, 4)), eps=0.0)
        _, _, _, brstd = K.batch_norm_forward(np.ones((2, 3, 2)), eps=0.0)
    assert np.isinf(rstd).all() and np.isinf(brstd).all()


def test_batch_norm_variance_is_biased_and_unbiased_is_one_rescale_away(rng):
    x = rng.standard_normal((3, 2, 4))
    _, mean, var, _ = K.batch_norm_forward(x)
    np.testing.assert_allclose(mean, x.mean(axis=(0, 2)), rtol=1e-12)
    np.testing.assert_allclose(var, x.var(axis=(0, 2)), rtol=1e-12)
    np.testing.assert_allclose(var * 12 / 11, x.var(axis=(0, 2), ddof=1), rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Backwards against central differences (float64)


def _assert_grads_match_central_differences(grads, loss, x, weight, bias, numeric_gradient):
    """``grads`` = (dx, dweight, dbias) against central differences of ``loss()``, which reads
    ``x``, ``weight`` and ``bias``; without a weight, dweight and dbias must be None."""
    dx, dweight, dbias = grads
    np.testing.assert_allclose(dx, numeric_gradient(loss, x), rtol=1e-6, atol=1e-8)
    if weight is not None:
        np.testing.assert_allclose(dweight, numeric_gradient(loss, weight), rtol=1e-6)
        np.testing.assert_allclose(dbias, numeric_gradient(loss, bias), rtol=1e-6)
    else:
        assert dweight is None and dbias is None


@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_backward_matches_central_differences(affine, rng, numeric_gradient):
    x = 2 * rng.standard_normal((3, 5))
    weight, bias = _affine(rng, 5, np.float64, affine)
    upstream = rng.standard_normal((3, 5))

    def loss():
        return np.sum(K.layer_norm_forward_ref(x, weight, bias, 1e-5)[0] * upstream)

    _, mean, rstd = K.layer_norm_forward(x, weight, bias)
    grads = K.layer_norm_backward(upstream, x, mean, rstd, weight)
    _assert_grads_match_central_differences(grads, loss, x, weight, bias, numeric_gradient)


@pytest.mark.parametrize("shape", [(6, 2, 1), (2, 3, 4)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_backward_matches_central_differences(affine, shape, rng, numeric_gradient):
    x = 2 * rng.standard_normal(shape)
    weight, bias = _affine(rng, shape[1], np.float64, affine)
    upstream = rng.standard_normal(shape)

    def loss():
        return np.sum(K.batch_norm_forward_ref(x, weight, bias, 1e-5)[0] * upstream)

    _, mean, _, rstd = K.batch_norm_forward(x, weight, bias)
    grads = K.batch_norm_backward(upstream, x, mean, rstd, weight)
    _assert_grads_match_central_differences(grads, loss, x, weight, bias, numeric_gradient)


@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_backward_matches_central_differences(affine, rng, numeric_gradient):
    x = 2 * rng.standard_normal((2, 6, 3))
    weight, bias = _affine(rng, 6, np.float64, affine)
    upstream = rng.standard_normal(x.shape)

    def loss():
        return np.sum(K.group_norm_forward(x, 3, weight, bias)[0] * upstream)

    _, mean, rstd = K.group_norm_forward(x, 3, weight, bias)
    assert mean.shape == rstd.shape == (2, 3)
    grads = K.group_norm_backward(upstream, x, mean, rstd, weight)
    _assert_grads_match_central_differences(grads, loss, x, weight, bias, numeric_gradient)


# ---------------------------------------------------------------------------------------------
# Against PyTorch


@pytest.mark.torch
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_norm_matches_torch(dtype, affine, rng):
    torch = pytest.importorskip("torch")
    x = (1 + 3 * rng.standard_normal((7, 48))).astype(dtype)
    upstream = rng.standard_normal(x.shape).astype(dtype)
    weight, bias = _affine(rng, 48, dtype, affine)
    leaves = [torch.tensor(a, requires_grad=True) for a in (x, weight, bias) if a is not None]
    xt, *wb = leaves
    yt = torch.nn.functional.layer_norm(xt, (48,), *(wb or [None, None]), eps=1e-5)
    yt.backward(torch.tensor(upstream))
    y, mean, rstd = K.layer_norm_forward(x, weight, bias, 1e-5)
    np.testing.assert_allclose(y, yt.detach().numpy(), **TOL[dtype])
    got = K.layer_norm_backward(upstream, x, mean, rstd, weight)
    for ours, leaf in zip(got, leaves, strict=False):
        np.testing.assert_allclose(ours, leaf.grad.numpy(), **TOL[dtype])


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(16, 5), (4, 3, 6, 5)])  # BatchNorm1d on (N, C); 2d on NCHW
@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_training_matches_torch(dtype, shape, rng):
    torch = pytest.importorskip("torch")
    x = (2 + 3 * rng.standard_normal(shape)).astype(dtype)
    upstream = rng.standard_normal(shape).astype(dtype)
    c = shape[1]
    weight, bias = _affine(rng, c, dtype, True)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, weight, bias))
    running_mean, running_var = torch.zeros(c, dtype=xt.dtype), torch.ones(c, dtype=xt.dtype)
    yt = torch.nn.functional.batch_norm(
        xt, running_mean, running_var, wt, bt, training=True, momentum=1.0, eps=1e-5
    )
    yt.backward(torch.tensor(upstream))
    x3 = x.reshape(shape[0], c, -1)
    y, mean, var, rstd = K.batch_norm_forward(x3, weight, bias, 1e-5)
    np.testing.assert_allclose(y.reshape(shape), yt.detach().numpy(), **TOL[dtype])
    count = x3.shape[0] * x3.shape[2]  # momentum=1: the running stats are the batch's
    np.testing.assert_allclose(mean, running_mean.numpy(), **TOL[dtype])
    np.testing.assert_allclose(var * count / (count - 1), running_var.numpy(), **TOL[dtype])
    dx, dweight, dbias = K.batch_norm_backward(upstream.reshape(x3.shape), x3, mean, rstd, weight)
    np.testing.assert_allclose(dx.reshape(shape), xt.grad.numpy(), **TOL[dtype])
    np.testing.assert_allclose(dweight, wt.grad.numpy(), **TOL[dtype])
    np.testing.assert_allclose(dbias, bt.grad.numpy(), **TOL[dtype])


@pytest.mark.torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_inference_and_its_documented_backward_match_torch(dtype, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((5, 4, 3)).astype(dtype)
    upstream = rng.standard_normal(x.shape).astype(dtype)
    running_mean = rng.standard_normal(4).astype(dtype)
    running_var = (0.5 + rng.random(4)).astype(dtype)
    weight, bias = _affine(rng, 4, dtype, True)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, weight, bias))
    yt = torch.nn.functional.batch_norm(
        xt, torch.tensor(running_mean), torch.tensor(running_var), wt, bt, training=False
    )
    yt.backward(torch.tensor(upstream))
    y = K.batch_norm_inference(x, running_mean, running_var, weight, bias, 1e-5)
    np.testing.assert_allclose(y, yt.detach().numpy(), **TOL[dtype])
    # The docstring's affine backward:
    rstd = 1 / np.sqrt(running_var + dtype(1e-5))
    dx = upstream * (weight * rstd)[:, None]
    dweight = (upstream * (x - running_mean[:, None]) * rstd[:, None]).sum(axis=(0, 2))
    np.testing.assert_allclose(dx, xt.grad.numpy(), **TOL[dtype])
    np.testing.assert_allclose(dweight, wt.grad.numpy(), **TOL[dtype])
    np.testing.assert_allclose(upstream.sum(axis=(0, 2)), bt.grad.numpy(), **TOL[dtype])


@pytest.mark.torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_group_norm_matches_torch(dtype, rng):
    torch = pytest.importorskip("torch")
    x = (1 + 2 * rng.standard_normal((3, 6, 4, 2))).astype(dtype)
    upstream = rng.standard_normal(x.shape).astype(dtype)
    weight, bias = _affine(rng, 6, dtype, True)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, weight, bias))
    yt = torch.nn.functional.group_norm(xt, 2, wt, bt, eps=1e-5)
    yt.backward(torch.tensor(upstream))
    x3 = x.reshape(3, 6, 8)
    y, mean, rstd = K.group_norm_forward(x3, 2, weight, bias, 1e-5)
    np.testing.assert_allclose(y.reshape(x.shape), yt.detach().numpy(), **TOL[dtype])
    dx, dweight, dbias = K.group_norm_backward(upstream.reshape(x3.shape), x3, mean, rstd, weight)
    assert dx.dtype == dweight.dtype == dbias.dtype == dtype
    np.testing.assert_allclose(dx.reshape(x.shape), xt.grad.numpy(), **TOL[dtype])
    np.testing.assert_allclose(dweight, wt.grad.numpy(), **TOL[dtype])
    np.testing.assert_allclose(dbias, bt.grad.numpy(), **TOL[dtype])


# ---------------------------------------------------------------------------------------------
# Errors


def test_layer_norm_wants_a_2d_float_array():
    with pytest.raises(ValueError, match=r"x must be 2-D \(M, N\), got shape \(5,\)"):
        K.layer_norm_forward(np.ones(5))
    with pytest.raises(TypeError, match="x must be a float32 or float64 array, got int64"):
        K.layer_norm_forward(np.ones((2, 5), dtype=np.int64))
    with pytest.raises(ValueError, match=r"empty axis, x has shape \(3, 0\)"):
        K.layer_norm_forward(np.ones((3, 0)))


def test_layer_norm_names_wrong_parameter_shapes():
    with pytest.raises(ValueError, match=r"weight must have shape \(5,\), got \(4,\)"):
        K.layer_norm_forward(np.ones((2, 5)), np.ones(4))
    with pytest.raises(ValueError, match=r"bias must have shape \(5,\), got \(1, 5\)"):
        K.layer_norm_forward(np.ones((2, 5)), None, np.ones((1, 5)))
    with pytest.raises(ValueError, match=r"grad has shape \(5, 2\) but x has shape \(2, 5\)"):
        K.layer_norm_backward(np.ones((5, 2)), np.ones((2, 5)), np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match=r"rstd must have shape \(2,\), got \(5,\)"):
        K.layer_norm_backward(np.ones((2, 5)), np.ones((2, 5)), np.ones(2), np.ones(5))


def test_negative_eps_is_refused():
    with pytest.raises(ValueError, match="eps must be >= 0, got -1"):
        K.batch_norm_forward(np.ones((2, 3, 1)), eps=-1)


def test_batch_norm_wants_more_than_one_value_per_channel():
    with pytest.raises(ValueError, match=r"more than 1 value per channel .* \(1, 3, 1\)"):
        K.batch_norm_forward(np.ones((1, 3, 1)))
    with pytest.raises(ValueError, match=r"x must be 3-D \(N, C, L\), got shape \(4, 3\)"):
        K.batch_norm_forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"running_var must have shape \(3,\), got \(2,\)"):
        K.batch_norm_inference(np.ones((4, 3, 1)), np.zeros(3), np.ones(2))


def test_group_norm_needs_groups_that_divide_the_channels():
    with pytest.raises(ValueError, match="6 channels cannot be split into 4 groups"):
        K.group_norm_forward(np.ones((2, 6, 3)), 4)
    with pytest.raises(ValueError, match=r"mean and rstd must have shape \(N, G\) = \(2, G\)"):
        K.group_norm_backward(np.ones((2, 6, 3)), np.ones((2, 6, 3)), np.ones(2), np.ones(2))
