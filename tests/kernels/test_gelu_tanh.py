"""The large-array tanh-GELU pair: forward keeping sigmoid(2u), arithmetic backward."""

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid.kernels import _jit
from lucid.kernels import activation as K


def tanh_gelu(x):
    u = np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)
    return 0.5 * x * (1 + np.tanh(u))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_keeps_the_sigmoid_and_matches_the_formula(dtype, rng):
    x = (4 * rng.standard_normal(5000)).astype(dtype)
    y, s = K.gelu_tanh_forward(x)
    assert y.dtype == s.dtype == dtype
    tol = 1e-6 if dtype == np.float32 else 1e-12
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(y, tanh_gelu(x64), rtol=tol, atol=tol)
    u = np.sqrt(2 / np.pi) * (x64 + 0.044715 * x64**3)
    np.testing.assert_allclose(s, 0.5 * (1 + np.tanh(u)), rtol=tol, atol=tol)


@pytest.mark.parametrize("jit", [True, False])
def test_backward_matches_central_differences(jit, monkeypatch, rng):
    monkeypatch.setattr(_jit, "JIT_ENABLED", jit)
    x = 3 * rng.standard_normal(K.ELEMENTWISE_JIT_MIN_SIZE + 3)
    grad = rng.standard_normal(x.shape)
    _, s = K.gelu_tanh_forward(x)
    eps = 1e-6
    numeric = (tanh_gelu(x + eps) - tanh_gelu(x - eps)) / (2 * eps)
    np.testing.assert_allclose(
        K.gelu_from_tanh_backward(x, s, grad), grad * numeric, rtol=1e-6, atol=1e-8
    )


def test_jit_loop_matches_reference_in_float32(rng):
    x = (3 * rng.standard_normal(K.ELEMENTWISE_JIT_MIN_SIZE * 2)).astype(np.float32)
    grad = rng.standard_normal(x.shape).astype(np.float32)
    _, s = K.gelu_tanh_forward(x)
    out = K.gelu_from_tanh_backward(x, s, grad)
    assert out.dtype == np.float32
    np.testing.assert_allclose(
        out, K.gelu_from_tanh_backward_ref(x, s, grad), rtol=1e-5, atol=1e-6
    )


def test_mismatched_shapes_are_named(rng):
    x = rng.standard_normal(10)
    with pytest.raises(ValueError, match=r"\(9,\)"):
        K.gelu_from_tanh_backward(x, x, np.ones(9))


@pytest.mark.torch
def test_large_tanh_gelu_op_matches_torch(rng):
    torch = pytest.importorskip("torch")
    data = (3 * rng.standard_normal((64, 100))).astype(np.float32)  # above the small-size path
    upstream = rng.standard_normal(data.shape).astype(np.float32)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y = F.gelu(x, approximate="tanh")
    yt = torch.nn.functional.gelu(xt, approximate="tanh")
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    # In float32 PyTorch's 1 - tanh(u)**2 cancels to 0 for x < -4; ours keeps ~1e-6 there.
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=4e-6)
