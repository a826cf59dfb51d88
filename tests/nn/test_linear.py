"""Linear, Bilinear, Identity, Flatten, Unflatten, Embedding and Dropout layers."""

import math

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.autograd import gradcheck


def _copy_params(module, module_t):
    import torch

    with torch.no_grad():
        for p, pt in zip(module.parameters(), module_t.parameters(), strict=True):
            pt.copy_(torch.tensor(p.numpy()))


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(4,), (5, 4), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias, rng):
    torch = pytest.importorskip("torch")
    layer, layer_t = nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias)
    _copy_params(layer, layer_t)
    assert repr(layer) == repr(layer_t)
    assert list(layer.state_dict()) == list(layer_t.state_dict())
    data = rng.standard_normal(shape).astype(np.float32)
    upstream = rng.standard_normal(shape[:-1] + (3,)).astype(np.float32)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, out_t = layer(x), layer_t(xt)
    out.backward(upstream)
    out_t.backward(torch.tensor(upstream))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    for p, pt in zip(layer.parameters(), layer_t.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, pt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_linear_gradient_matches_finite_differences(rng):
    layer = nn.Linear(3, 2).double()
    x = lucid.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    assert gradcheck(lambda x, w, b: nn.functional.linear(x, w, b), (x, layer.weight, layer.bias))


def test_linear_default_init_is_uniform_within_one_over_sqrt_fan_in():
    lucid.random.seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.numpy()).max() <= bound
    # U(-a, a) has standard deviation a / sqrt(3)
    np.testing.assert_allclose(layer.weight.numpy().std(), bound / math.sqrt(3), rtol=0.02)
    assert layer.weight.shape == (300, 400) and layer.bias.shape == (300,)
    assert layer.weight.dtype == np.float32


def test_layer_init_is_reproducible_under_seed():
    lucid.random.seed(7)
    a = nn.Sequential(nn.Linear(5, 4), nn.Embedding(6, 3), nn.Bilinear(2, 3, 4))
    lucid.random.seed(7)
    b = nn.Sequential(nn.Linear(5, 4), nn.Embedding(6, 3), nn.Bilinear(2, 3, 4))
    for key, value in a.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), b.state_dict()[key].numpy(), key)
    c = nn.Linear(5, 4)
    assert not np.array_equal(c.weight.numpy(), a[0].weight.numpy())


def test_linear_dtype_argument_and_errors():
    layer = nn.Linear(3, 2, dtype=lucid.float64)
    assert (
        layer.weight.dtype == np.float64
        and layer(lucid.ones(1, 3, dtype="float64")).dtype == np.float64
    )
    with pytest.raises(
        ValueError,
        match=r"Linear\(in_features=3, out_features=2, bias=True\): "
        r"expected input of shape \(\.\.\., 3\), got \(4, 5\)",
    ):
        layer(lucid.ones(4, 5))
    with pytest.raises(ValueError, match="got \\(\\)"):
        layer(lucid.tensor(1.0))
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 2\).*\(2, 3\)"):
        nn.functional.linear(lucid.ones(2, 2), lucid.ones(2, 3))


@pytest.mark.torch
@pytest.mark.parametrize("batch", [(), (5,), (2, 3)])
def test_bilinear_matches_torch(batch, rng):
    torch = pytest.importorskip("torch")
    layer, layer_t = nn.Bilinear(3, 2, 4), torch.nn.Bilinear(3, 2, 4)
    _copy_params(layer, layer_t)
    a, b = rng.standard_normal(batch + (3,)), rng.standard_normal(batch + (2,))
    a, b = a.astype(np.float32), b.astype(np.float32)
    x1, x2 = lucid.tensor(a, requires_grad=True), lucid.tensor(b, requires_grad=True)
    x1t, x2t = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, out_t = layer(x1, x2), layer_t(x1t, x2t)
    upstream = rng.standard_normal(batch + (4,)).astype(np.float32)
    out.backward(upstream)
    out_t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-5)
    for ours, theirs in [(x1, x1t), (x2, x2t)] + list(
        zip(layer.parameters(), layer_t.parameters(), strict=True)
    ):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_bilinear_gradient_matches_finite_differences(rng):
    layer = nn.Bilinear(2, 3, 2).double()
    x1 = lucid.tensor(rng.standard_normal((4, 2)), requires_grad=True)
    x2 = lucid.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    inputs = (x1, x2, layer.weight, layer.bias)
    assert gradcheck(lambda a, b, w, c: nn.functional.bilinear(a, b, w, c), inputs)


def test_identity_flatten_unflatten(rng):
    x = lucid.tensor(rng.standard_normal((2, 3, 4, 5)), requires_grad=True)
    assert nn.Identity(54, unused=True)(x) is x
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Unflatten(1, (3, 20))(nn.Flatten()(x)).shape == (2, 3, 20)
    y = nn.Unflatten(-1, (5, 1))(x)
    assert y.shape == (2, 3, 4, 5, 1)
    assert gradcheck(lambda t: nn.Flatten(1, 2)(t), (x,))


# --------------------------------------------------------------------------- embedding


@pytest.mark.torch
@pytest.mark.parametrize("padding_idx", [None, 0, -1])
def test_embedding_matches_torch(padding_idx, rng):
    torch = pytest.importorskip("torch")
    emb, emb_t = nn.Embedding(6, 3, padding_idx), torch.nn.Embedding(6, 3, padding_idx)
    emb.weight.numpy()[...] = rng.standard_normal((6, 3))  # padding row nonzero: still no gradient
    _copy_params(emb, emb_t)
    assert repr(emb) == repr(emb_t)
    index = np.array([[0, 5, 2], [2, 2, 0]])
    out, out_t = emb(lucid.tensor(index)), emb_t(torch.tensor(index))
    upstream = rng.standard_normal((2, 3, 3)).astype(np.float32)
    out.backward(upstream)
    out_t.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(out.numpy(), out_t.detach().numpy())
    np.testing.assert_allclose(emb.weight.grad, emb_t.weight.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_embedding_init_padding_row_and_gradient(rng):
    lucid.random.seed(3)
    emb = nn.Embedding(2000, 8, padding_idx=1)
    np.testing.assert_array_equal(emb.weight.numpy()[1], 0)
    others = np.delete(emb.weight.numpy(), 1, axis=0)
    assert abs(others.mean()) < 0.02 and abs(others.std() - 1) < 0.02  # N(0, 1)
    out = emb(np.array([1, 3, 1, 3]))
    out.backward(rng.standard_normal((4, 8)).astype(np.float32))
    np.testing.assert_array_equal(emb.weight.grad[1], 0)
    assert np.abs(emb.weight.grad[3]).min() > 0


def test_embedding_gradient_matches_finite_differences(rng):
    weight = lucid.tensor(rng.standard_normal((5, 2)), requires_grad=True)
    index = np.array([[4, 0, 4], [1, 1, 2]])
    assert gradcheck(lambda w: nn.functional.embedding(index, w), (weight,))


def test_embedding_errors_and_from_pretrained():
    emb = nn.Embedding(4, 2)
    with pytest.raises(IndexError, match="index 4 is out of range for 4 rows"):
        emb(np.array([0, 4]))
    with pytest.raises(IndexError, match="index -1"):
        emb(np.array([-1]))
    with pytest.raises(TypeError, match="integer"):
        emb(lucid.tensor([0.0, 1.0]))
    with pytest.raises(IndexError, match="padding_idx 4"):
        nn.Embedding(4, 2, padding_idx=4)
    table = np.arange(6.0).reshape(3, 2)
    frozen = nn.Embedding.from_pretrained(lucid.tensor(table))
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(frozen(np.array([2])).numpy(), [[4.0, 5.0]])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


# --------------------------------------------------------------------------- dropout


def test_dropout_is_reproducible_scaled_and_identity_in_eval():
    layer = nn.Dropout(0.25)
    x = lucid.ones(200, 100, requires_grad=True)
    lucid.random.seed(11)
    a = layer(x)
    lucid.random.seed(11)
    b = layer(x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    values = np.unique(a.numpy())
    np.testing.assert_allclose(values, [0.0, 1 / 0.75])
    assert abs((a.numpy() == 0).mean() - 0.25) < 0.01
    upstream = np.random.default_rng(0).standard_normal((200, 100)).astype(np.float32)
    a.backward(upstream)
    np.testing.assert_allclose(x.grad, upstream * a.numpy(), rtol=1e-6)  # x is all ones
    assert layer.eval()(x) is x
    assert repr(layer) == "Dropout(p=0.25, inplace=False)"


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_dropout_edge_probabilities(p):
    x = lucid.tensor(np.arange(1.0, 7.0), requires_grad=True)
    y = nn.functional.dropout(x, p)
    np.testing.assert_array_equal(y.numpy(), x.numpy() if p == 0 else 0)
    with pytest.raises(ValueError, match="probability"):
        nn.Dropout(1.5)
