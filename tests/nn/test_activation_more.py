"""The second set of activations (SELU ... PReLU): gradcheck, PyTorch parity, modules, errors."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck

from .._helpers import away_from_kinks

SHAPES = [(), (7,), (3, 4), (2, 3, 5), (0, 3)]

# name: (keyword arguments, kinks to keep finite differences away from)
ELEMENTWISE = {
    "selu": ({}, [0.0]),
    "celu": ({"alpha": 0.75}, [0.0]),  # float-exact: PyTorch casts alpha to float
    "relu6": ({}, [0.0, 6.0]),
    "hardsigmoid": ({}, [-3.0, 3.0]),
    "hardswish": ({}, [-3.0, 3.0]),
    "logsigmoid": ({}, []),
    "softsign": ({}, [0.0]),
    "tanhshrink": ({}, []),
    "softshrink": ({"lambd": 0.7}, [-0.7, 0.7]),
    "hardshrink": ({"lambd": 0.7}, [-0.7, 0.7]),
    "threshold": ({"threshold": 0.3, "value": -2.0}, [0.3]),
}


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("shape", SHAPES)
def test_activation_gradient_matches_finite_differences(name, shape, rng):
    kwargs, kinks = ELEMENTWISE[name]
    x = lucid.tensor(away_from_kinks(kinks, rng, shape), dtype=lucid.float64, requires_grad=True)
    assert gradcheck(lambda t: getattr(F, name)(t, **kwargs), (x,))


@pytest.mark.torch
@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_matches_torch(name, dtype, rng):
    torch = pytest.importorskip("torch")
    kwargs, kinks = ELEMENTWISE[name]
    data = away_from_kinks(kinks, rng, (5, 9), scale=6.0).astype(dtype)
    data[0, :4] = [30.0, -30.0, 0.0, 25.0]  # the stable branches
    upstream = rng.standard_normal((5, 9)).astype(dtype)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, yt = getattr(F, name)(x, **kwargs), getattr(torch.nn.functional, name)(xt, **kwargs)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    assert y.dtype == dtype and x.grad.dtype == dtype
    # float64: PyTorch's backward kernels use float constants (hardsigmoid's 1/6f), ~3e-8 off;
    # gradcheck above holds Lucid to the exact derivative.
    rtol, atol = (1e-5, 1e-6) if dtype == np.float32 else (1e-7, 1e-10)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)


@pytest.mark.torch
@pytest.mark.parametrize(("shape", "dim"), [((4, 6), 1), ((6,), 0), ((2, 4, 3), 1), ((2, 2), -1)])
def test_glu_and_softmin_match_torch(shape, dim, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal(shape)
    for name in ("glu", "softmin"):
        upstream = rng.standard_normal(
            getattr(torch.nn.functional, name)(torch.tensor(data), dim=dim).shape
        )
        x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        y, yt = getattr(F, name)(x, dim=dim), getattr(torch.nn.functional, name)(xt, dim=dim)
        y.backward(upstream)
        yt.backward(torch.tensor(upstream))
        np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
        f = getattr(F, name)
        assert gradcheck(lambda t: f(t, dim=dim), (x.detach().requires_grad_(),))  # noqa: B023


@pytest.mark.torch
@pytest.mark.parametrize(
    ("shape", "n"), [((4, 3), 3), ((2, 3, 5), 3), ((2, 3, 2, 2), 1), ((5,), 1), ((), 1)]
)
def test_prelu_matches_torch_in_input_and_weight(shape, n, rng):
    torch = pytest.importorskip("torch")
    data = away_from_kinks([0.0], rng, shape)
    w = rng.uniform(0.1, 0.5, n)
    upstream = rng.standard_normal(shape)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    wl, wt = lucid.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    y, yt = F.prelu(x, wl), torch.nn.functional.prelu(xt, wt)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(wl.grad.numpy(), wt.grad.numpy(), rtol=1e-12, atol=1e-12)
    x2 = lucid.tensor(data, requires_grad=True)
    assert gradcheck(F.prelu, (x2, lucid.tensor(w, requires_grad=True)))


# (name, keyword arguments) of modules built the same way in both libraries
MODULES = [
    ("SELU", {}), ("SELU", {"inplace": True}), ("CELU", {"alpha": 0.5}), ("ReLU6", {}),
    ("ReLU6", {"inplace": True}), ("Hardsigmoid", {}), ("Hardswish", {}), ("LogSigmoid", {}),
    ("Softsign", {}), ("Tanhshrink", {}), ("Softshrink", {"lambd": 0.3}), ("Hardshrink", {}),
    ("Softmin", {"dim": 1}), ("GLU", {}), ("GLU", {"dim": 0}),
    ("Threshold", {"threshold": 0.1, "value": 20.0}), ("PReLU", {}),
    ("PReLU", {"num_parameters": 4, "init": 0.1}), ("Identity", {}),
]  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize(("name", "kwargs"), MODULES)
def test_activation_modules_match_torch(name, kwargs, rng):
    torch = pytest.importorskip("torch")
    data = away_from_kinks([0.0, 0.1, -0.3, 0.3, 0.5, -0.5, 3, -3, 6], rng, (4, 4, 2))
    module, module_t = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(module) == repr(module_t)
    module_t.double()
    sd, sd_t = module.state_dict(), module_t.state_dict()
    assert list(sd) == list(sd_t)
    for key in sd:
        np.testing.assert_allclose(sd[key].numpy(), sd_t[key].numpy(), rtol=1e-7)
    module.load_state_dict({k: v.detach().numpy() for k, v in sd_t.items()})
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, yt = module(x), module_t(xt * 1)  # torch's inplace=True refuses a leaf
    upstream = rng.standard_normal(yt.shape)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-7)
    for (key, p), (_, pt) in zip(
        module.named_parameters(), module_t.named_parameters(), strict=True
    ):
        np.testing.assert_allclose(p.grad.numpy(), pt.grad.numpy(), rtol=1e-6, err_msg=key)


def test_activation_bad_inputs_raise():
    with pytest.raises(ValueError, match="halving dimension must be even"):
        F.glu(lucid.ones(2, 3))
    with pytest.raises(IndexError, match="axis 2"):
        F.glu(lucid.ones(2, 4), dim=2)
    with pytest.raises(ValueError, match="0-d"):
        F.glu(lucid.tensor(1.0))
    with pytest.raises(ValueError, match=r"weight of 2 values.*\(4, 3\)"):
        F.prelu(lucid.ones(4, 3), lucid.ones(2))
    with pytest.raises(ValueError, match=r"channel"):
        F.prelu(lucid.ones(5), lucid.ones(5))  # a 1-D input has one channel, as in PyTorch
    with pytest.raises(ValueError, match="alpha must be nonzero"):
        F.celu(lucid.ones(2), alpha=0.0)
    with pytest.raises(ValueError, match="lambd"):
        F.softshrink(lucid.ones(2), -1.0)
    with pytest.raises(TypeError, match="axis"):
        F.softmin(lucid.ones(3))


def test_activation_dtypes_follow_the_input():
    for name, (kwargs, _) in ELEMENTWISE.items():
        assert getattr(F, name)(lucid.ones(3), **kwargs).dtype == np.float32, name
    assert F.softmin(lucid.ones(3), dim=0, dtype=lucid.float64).dtype == np.float64
