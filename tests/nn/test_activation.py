"""Activations: functional forms and modules against finite differences and PyTorch."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck

from .._helpers import away_from_kinks

SHAPES = [(), (7,), (3, 4), (2, 1, 5)]

# name: (lucid function, torch function name, keyword arguments)
ELEMENTWISE = {
    "relu": (F.relu, "relu", {}),
    "leaky_relu": (F.leaky_relu, "leaky_relu", {"negative_slope": 0.2}),
    "elu": (F.elu, "elu", {"alpha": 1.5}),
    "gelu": (F.gelu, "gelu", {}),
    "gelu_tanh": (F.gelu, "gelu", {"approximate": "tanh"}),
    "silu": (F.silu, "silu", {}),
    "mish": (F.mish, "mish", {}),
    "sigmoid": (F.sigmoid, "sigmoid", {}),
    "tanh": (F.tanh, "tanh", {}),
    "softplus": (F.softplus, "softplus", {"beta": 2.0, "threshold": 5.0}),
    "hardtanh": (F.hardtanh, "hardtanh", {"min_val": -0.5, "max_val": 1.5}),
}
KINKS = {"relu": [0.0], "leaky_relu": [0.0], "elu": [0.0], "hardtanh": [-0.5, 1.5],
         "softplus": [2.5]}  # fmt: skip


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("shape", SHAPES)
def test_activation_gradient_matches_finite_differences(name, shape, rng):
    f, _, kwargs = ELEMENTWISE[name]
    x = lucid.tensor(
        away_from_kinks(KINKS.get(name, []), rng, shape, scale=3.0),
        dtype=lucid.float64,
        requires_grad=True,
    )
    assert gradcheck(lambda t: f(t, **kwargs), (x,))


@pytest.mark.torch
@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("size", [(3, 5), (70, 80)])  # the second takes the kernels' JIT paths
def test_activation_matches_torch(name, size, rng):
    torch = pytest.importorskip("torch")
    f, torch_name, kwargs = ELEMENTWISE[name]
    torch_f = getattr(torch.nn.functional, torch_name, None) or getattr(torch, torch_name)
    data = away_from_kinks(KINKS.get(name, []), rng, size, scale=3.0).astype(np.float32)
    upstream = rng.standard_normal(size).astype(np.float32)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, yt = f(x, **kwargs), torch_f(xt, **kwargs)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    # atol 1e-5: in GELU's far tails the two float32 formulas round differently (~1e-6).
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize(("shape", "dim"), [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -2)])
def test_softmax_gradient_matches_finite_differences(name, shape, dim, rng):
    f = getattr(F, name)
    x = lucid.tensor(rng.standard_normal(shape), dtype=lucid.float64, requires_grad=True)
    assert gradcheck(lambda t: f(t, dim=dim), (x,))


@pytest.mark.torch
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize(("shape", "dim"), [((4, 10), 1), ((2, 3, 4), 0), ((2, 3, 4), -1)])
def test_softmax_matches_torch(name, shape, dim, rng):
    torch = pytest.importorskip("torch")
    data = (5 * rng.standard_normal(shape)).astype(np.float32)
    upstream = rng.standard_normal(shape).astype(np.float32)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, yt = getattr(F, name)(x, dim=dim), getattr(torch, name)(xt, dim=dim)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_is_finite_for_huge_logits(name):
    x = lucid.tensor([[1e4, -1e4, 0.0], [5e4, 5e4, -5e4]], requires_grad=True)
    y = getattr(F, name)(x, dim=1)
    y.backward(np.ones((2, 3), np.float32))
    assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad).all()
    if name == "softmax":
        np.testing.assert_allclose(y.numpy(), [[1, 0, 0], [0.5, 0.5, 0]], atol=1e-7)


def test_softmax_of_a_scalar_is_one():
    np.testing.assert_array_equal(F.softmax(lucid.tensor(3.0), dim=0).numpy(), 1.0)


def test_softmax_needs_an_axis_and_checks_it():
    with pytest.raises(TypeError, match="axis"):
        F.softmax(lucid.ones(3))
    with pytest.raises(IndexError, match="axis 2.*2 dimensions"):
        F.log_softmax(lucid.ones(2, 3), dim=2)


@pytest.mark.parametrize("name", ["relu", "gelu", "silu", "softplus", "mish", "elu"])
def test_activation_keeps_float32_and_promotes_integers(name):
    f = ELEMENTWISE[name][0]
    assert f(lucid.tensor([1.0, -2.0])).dtype == np.float32
    assert f(lucid.tensor([1, -2])).dtype == (np.int64 if name == "relu" else np.float32)


def test_gelu_rejects_an_unknown_approximation():
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(lucid.ones(2), approximate="erf")


def test_hardtanh_rejects_inverted_bounds():
    with pytest.raises(ValueError, match="min_val"):
        nn.Hardtanh(2.0, 1.0)


# module: (lucid module, torch module of the same arguments)
MODULES = [
    ("ReLU", {}), ("LeakyReLU", {"negative_slope": 0.1}), ("ELU", {"alpha": 0.5}),
    ("GELU", {"approximate": "tanh"}), ("SiLU", {}), ("Mish", {}), ("Sigmoid", {}),
    ("Tanh", {}), ("Softplus", {"beta": 0.5}), ("Hardtanh", {"min_val": -2.0}),
    ("Softmax", {"dim": 1}), ("LogSoftmax", {"dim": 0}),
]  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize(("name", "kwargs"), MODULES)
def test_activation_modules_match_torch(name, kwargs, rng):
    torch = pytest.importorskip("torch")
    data = (2 * rng.standard_normal((4, 6))).astype(np.float32)
    upstream = rng.standard_normal((4, 6)).astype(np.float32)
    module, module_t = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(module) == repr(module_t)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, yt = module(x), module_t(xt)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "name", ["leaky_relu", "gelu", "silu", "softplus", "mish", "elu", "softmax", "log_softmax"]
)
def test_activation_gradient_of_a_tensor_upstream_is_a_tensor(name, rng):
    # The path a later issue uses for higher-order gradients: grad is a Tensor, not an array.
    f = ELEMENTWISE[name][0] if name in ELEMENTWISE else getattr(F, name)
    x = lucid.tensor(rng.standard_normal(5), requires_grad=True)
    out = f(x, dim=0) if "softmax" in name else f(x)
    upstream = rng.standard_normal(5).astype(np.float32)
    g = out._op.gradient(lucid.tensor(upstream))
    assert isinstance(g, lucid.Tensor)
    expected = out._op.gradient(upstream)
    np.testing.assert_allclose(g.numpy(), expected, rtol=1e-6)
