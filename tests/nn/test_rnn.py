"""Tests for the recurrent layers RNN, LSTM and GRU (lucid.nn.rnn)."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.autograd import gradcheck

KINDS = ["RNN", "LSTM", "GRU"]
# constructor keywords beyond (input_size=3, hidden_size=4)
VARIANTS = [
    {},
    {"num_layers": 2, "bidirectional": True, "batch_first": True},
    {"num_layers": 2, "bias": False},
    {"bidirectional": True, "batch_first": True},
]
VARIANT_IDS = ["plain", "deep-bidirectional-batch-first", "deep-no-bias", "bidirectional"]


def _states(module, hidden) -> tuple:
    """The final state(s) of a forward as a tuple: (h_n,) or (h_n, c_n)."""
    return hidden if isinstance(hidden, tuple) else (hidden,)


def _x_shape(kwargs: dict, batched: bool, length: int = 5, batch: int = 2, size: int = 3):
    if not batched:
        return (length, size)
    return (batch, length, size) if kwargs.get("batch_first") else (length, batch, size)


def _copy_to_torch(module, torch_module, torch) -> None:
    with torch.no_grad():
        for key, value in torch_module.state_dict().items():
            value.copy_(torch.tensor(module.state_dict()[key].numpy()))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("kwargs", VARIANTS[:3], ids=VARIANT_IDS[:3])
def test_rnn_gradient_matches_finite_differences(kind, kwargs, rng):
    layer = getattr(nn, kind)(2, 2, **kwargs).double()
    shape = _x_shape(kwargs, True, length=3, size=2)
    x = lucid.tensor(rng.standard_normal(shape), requires_grad=True)

    def run(x, *params):
        out, hidden = layer(x)
        return (out, *_states(layer, hidden))

    assert gradcheck(run, (x, *layer.parameters()))


@pytest.mark.parametrize("kind", KINDS)
def test_rnn_gradient_reaches_the_initial_state(kind, rng):
    layer = getattr(nn, kind)(2, 3, bidirectional=True).double()
    x = lucid.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h0 = lucid.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
    if kind == "LSTM":
        c0 = lucid.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
        assert gradcheck(lambda x, h, c: layer(x, (h, c))[0], (x, h0, c0))
    else:
        assert gradcheck(lambda x, h: layer(x, h)[0], (x, h0))


@pytest.mark.torch
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("kwargs", VARIANTS, ids=VARIANT_IDS)
def test_rnn_matches_torch(kind, kwargs, batched, rng):
    torch = pytest.importorskip("torch")
    layer = getattr(nn, kind)(3, 4, **kwargs)
    reference = getattr(torch.nn, kind)(3, 4, **kwargs)
    assert list(layer.state_dict()) == list(reference.state_dict())
    _copy_to_torch(layer, reference, torch)
    data = rng.standard_normal(_x_shape(kwargs, batched)).astype(np.float32)
    n_states = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    state_shape = (n_states, 2, 4) if batched else (n_states, 4)
    starts = [rng.standard_normal(state_shape).astype(np.float32) for _ in range(2)]
    starts = starts if kind == "LSTM" else starts[:1]
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    h = [lucid.tensor(s, requires_grad=True) for s in starts]
    ht = [torch.tensor(s, requires_grad=True) for s in starts]
    out, hidden = layer(x, tuple(h) if kind == "LSTM" else h[0])
    out_t, hidden_t = reference(xt, tuple(ht) if kind == "LSTM" else ht[0])
    results = (out, *_states(layer, hidden))
    results_t = (out_t, *_states(reference, hidden_t))
    loss, loss_t = 0, 0
    for r, rt in zip(results, results_t, strict=True):
        assert r.shape == tuple(rt.shape) and r.dtype == np.float32
        np.testing.assert_allclose(r.numpy(), rt.detach().numpy(), rtol=1e-5, atol=1e-5)
        upstream = rng.standard_normal(r.shape).astype(np.float32)
        loss = loss + (r * upstream).sum()
        loss_t = loss_t + (rt * torch.tensor(upstream)).sum()
    loss.backward()
    loss_t.backward()
    for a, t in zip([x, *h], [xt, *ht], strict=True):
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-4, atol=1e-5)
    for (key, p), (_, pt) in zip(
        layer.named_parameters(), reference.named_parameters(), strict=True
    ):
        np.testing.assert_allclose(p.grad, pt.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=key)


@pytest.mark.torch
def test_rnn_relu_nonlinearity_matches_torch(rng):
    torch = pytest.importorskip("torch")
    layer, reference = nn.RNN(3, 4, nonlinearity="relu"), torch.nn.RNN(3, 4, nonlinearity="relu")
    _copy_to_torch(layer, reference, torch)
    data = rng.standard_normal((5, 2, 3)).astype(np.float32)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    upstream = rng.standard_normal((5, 2, 4)).astype(np.float32)
    out, out_t = layer(x)[0], reference(xt)[0]
    out.backward(upstream)
    out_t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.torch
@pytest.mark.parametrize("kind", KINDS)
def test_rnn_dropout_between_layers_only_in_training(kind, rng):
    torch = pytest.importorskip("torch")
    layer = getattr(nn, kind)(3, 4, num_layers=2, dropout=0.5)
    reference = getattr(torch.nn, kind)(3, 4, num_layers=2, dropout=0.5)
    _copy_to_torch(layer, reference, torch)
    data = rng.standard_normal((5, 2, 3)).astype(np.float32)
    x = lucid.tensor(data)
    layer.eval()
    reference.eval()
    evaluated = layer(x)[0].numpy()
    np.testing.assert_allclose(evaluated, reference(torch.tensor(data))[0].detach().numpy(),
                               rtol=1e-5, atol=1e-5)  # fmt: skip
    layer.train()
    lucid.random.seed(3)
    first = layer(x)[0].numpy()
    lucid.random.seed(3)
    np.testing.assert_array_equal(layer(x)[0].numpy(), first)  # reproducible under a seed
    assert not np.allclose(first, evaluated)


@pytest.mark.parametrize("kind", KINDS)
def test_rnn_default_init_is_uniform_within_one_over_sqrt_hidden(kind):
    lucid.random.seed(0)
    layer = getattr(nn, kind)(3, 16, num_layers=2, bidirectional=True)
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}[kind]
    assert layer.weight_ih_l1_reverse.shape == (gates * 16, 32)
    for name, p in layer.named_parameters():
        assert p.dtype == np.float32, name
        assert 0.2 < np.abs(p.numpy()).max() <= 0.25, name


def test_rnn_float64_layer_runs_in_float64(rng):
    layer = nn.GRU(3, 4, dtype=lucid.float64)
    out, h = layer(lucid.tensor(rng.standard_normal((5, 2, 3))))
    assert out.dtype == h.dtype == np.float64


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "layer, x_shape, message",
    [
        (nn.LSTM(3, 4), (5, 2, 2), r"LSTM: expected input of shape \(L, N, 3\) or \(L, 3\), "
         r"got \(5, 2, 2\)"),
        (nn.GRU(3, 4, batch_first=True), (5, 2, 1, 3), r"GRU: expected input of shape "
         r"\(N, L, 3\)"),
        (nn.RNN(3, 4), (3,), r"RNN: expected input"),
    ],
)  # fmt: skip
def test_rnn_bad_input_raises_value_error(layer, x_shape, message):
    with pytest.raises(ValueError, match=message):
        layer(lucid.tensor(np.zeros(x_shape, np.float32)))


def test_rnn_bad_initial_state_raises_value_error():
    x = lucid.tensor(np.zeros((5, 2, 3), np.float32))
    with pytest.raises(ValueError, match=r"expected hx of shape \(2, 2, 4\), got \(1, 2, 4\)"):
        nn.RNN(3, 4, num_layers=2)(x, np.zeros((1, 2, 4), np.float32))
    with pytest.raises(ValueError, match=r"expected c_0 of shape \(1, 2, 4\), got \(1, 3, 4\)"):
        nn.LSTM(3, 4)(x, (np.zeros((1, 2, 4), np.float32), np.zeros((1, 3, 4), np.float32)))
    with pytest.raises(ValueError, match="pair"):
        nn.LSTM(3, 4)(x, np.zeros((1, 2, 4), np.float32))


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError, "'tanh' or 'relu'"),
        (lambda: nn.LSTM(3, 4, proj_size=2), NotImplementedError, "proj_size"),
        (lambda: nn.GRU(3, 0), ValueError, "hidden_size"),
        (lambda: nn.GRU(3, 4, num_layers=0), ValueError, "num_layers"),
        (lambda: nn.LSTM(3, 4, dropout=1.5), ValueError, "dropout"),
    ],
)
def test_rnn_bad_arguments_raise(make, error, message):
    with pytest.raises(error, match=message):
        make()
