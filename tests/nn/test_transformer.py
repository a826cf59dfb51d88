"""Tests for nn.TransformerEncoderLayer and nn.TransformerEncoder (lucid.nn.transformer)."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.autograd import gradcheck

# (constructor keywords beyond (d_model, nhead, dim_feedforward), mask kind)
CASES = [
    ({}, None),
    ({"norm_first": True, "activation": "gelu"}, "padding"),
    ({"batch_first": True}, "both"),
    ({"batch_first": True, "norm_first": True, "layer_norm_eps": 1e-3}, "causal"),
]
IDS = ["post-norm", "pre-norm-gelu-padding", "batch-first-masks", "pre-norm-causal"]


def _masks(kind, mask_name: str, n: int, length: int) -> dict:
    """Forward keywords: a key padding mask (the last positions of sample 1) and/or a mask."""
    causal = ~np.tril(np.ones((length, length), dtype=bool))  # True: not allowed
    padding = np.zeros((n, length), dtype=bool)
    padding[1, length - 2 :] = True
    return {
        None: {},
        "padding": {"src_key_padding_mask": padding},
        "both": {"src_key_padding_mask": padding, mask_name: causal},
        "causal": {mask_name: causal},
    }[kind]


def _x_shape(kwargs: dict, n: int, length: int, d: int) -> tuple:
    return (n, length, d) if kwargs.get("batch_first") else (length, n, d)


@pytest.mark.parametrize("kwargs, masks", CASES, ids=IDS)
def test_encoder_layer_gradient_matches_finite_differences(kwargs, masks, rng):
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, **kwargs).double()
    x = lucid.tensor(rng.standard_normal(_x_shape(kwargs, 2, 3, 4)), requires_grad=True)
    forward_kwargs = _masks(masks, "src_mask", 2, 3)
    assert gradcheck(lambda x, *p: layer(x, **forward_kwargs), (x, *layer.parameters()))


def test_encoder_gradient_matches_finite_differences(rng):
    encoder = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(4, 2, 5, dropout=0.0), 2, norm=nn.LayerNorm(4)
    ).double()
    x = lucid.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    mask = _masks("both", "mask", 2, 3)
    assert gradcheck(lambda x, *p: encoder(x, **mask), (x, *encoder.parameters()))


def _compare(module, reference, x_shape, forward_kwargs, torch, rng, check):
    """Forward, input and parameter gradients of module and its PyTorch twin, random upstream;
    ``check`` is the backward_matches_torch fixture."""
    data = rng.standard_normal(x_shape).astype(np.float32)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y = module(x, **forward_kwargs)
    yt = reference(xt, **{k: torch.tensor(v) for k, v in forward_kwargs.items()})
    check(
        [(y, yt)],
        [x],
        [xt],
        module,
        reference,
        out_tol=(1e-4, 1e-5),
        grad_tol=(1e-4, 1e-4),
        dtype=np.float32,
    )


@pytest.mark.torch
@pytest.mark.parametrize("training", [True, False], ids=["train-no-dropout", "eval-dropout"])
@pytest.mark.parametrize("kwargs, masks", CASES, ids=IDS)
def test_encoder_layer_matches_torch(
    kwargs, masks, training, rng, copy_to_torch, backward_matches_torch
):
    torch = pytest.importorskip("torch")
    dropout = 0.0 if training else 0.3
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=dropout, **kwargs)
    reference = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=dropout, **kwargs)
    copy_to_torch(layer, reference, training)
    forward_kwargs = _masks(masks, "src_mask", 2, 5)
    _compare(
        layer,
        reference,
        _x_shape(kwargs, 2, 5, 8),
        forward_kwargs,
        torch,
        rng,
        backward_matches_torch,
    )


@pytest.mark.torch
@pytest.mark.parametrize("training", [True, False], ids=["train-no-dropout", "eval-dropout"])
@pytest.mark.parametrize("kwargs, masks", CASES, ids=IDS)
def test_encoder_matches_torch(
    kwargs, masks, training, rng, copy_to_torch, backward_matches_torch
):
    torch = pytest.importorskip("torch")
    dropout = 0.0 if training else 0.2
    layer = nn.TransformerEncoderLayer(8, 2, 12, dropout=dropout, **kwargs)
    encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8))
    reference = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(8, 2, 12, dropout=dropout, **kwargs),
        2,
        norm=torch.nn.LayerNorm(8),
        enable_nested_tensor=False,  # PyTorch's fast path zeroes padded positions
    )
    copy_to_torch(encoder, reference, training)
    forward_kwargs = _masks(masks, "mask", 2, 5)
    _compare(
        encoder,
        reference,
        _x_shape(kwargs, 2, 5, 8),
        forward_kwargs,
        torch,
        rng,
        backward_matches_torch,
    )


@pytest.mark.torch
def test_encoder_layer_callable_activation_matches_torch(
    rng, copy_to_torch, backward_matches_torch
):
    torch = pytest.importorskip("torch")
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=nn.SiLU())
    reference = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=torch.nn.SiLU())
    copy_to_torch(layer, reference)
    _compare(layer, reference, (4, 2, 8), {}, torch, rng, backward_matches_torch)


def test_encoder_layers_are_independent_copies():
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    encoder = nn.TransformerEncoder(layer, 3)
    keys = list(encoder.state_dict())
    assert keys[0] == "layers.0.self_attn.in_proj_weight" and len(keys) == 3 * 12
    first, second = encoder.layers[0].linear1.weight, encoder.layers[1].linear1.weight
    assert first is not second and first is not layer.linear1.weight
    np.testing.assert_array_equal(first.numpy(), second.numpy())  # copies of one layer
    first.numpy()[...] = 0
    assert np.any(second.numpy() != 0) and np.any(layer.linear1.weight.numpy() != 0)


def test_encoder_layer_dropout_only_in_training(rng):
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = lucid.tensor(rng.standard_normal((4, 2, 8)).astype(np.float32))
    layer.eval()
    evaluated = layer(x).numpy()
    np.testing.assert_array_equal(layer(x).numpy(), evaluated)
    layer.train()
    lucid.random.seed(5)
    first = layer(x).numpy()
    lucid.random.seed(5)
    np.testing.assert_array_equal(layer(x).numpy(), first)
    assert not np.allclose(first, evaluated)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: nn.TransformerEncoderLayer(8, 2, activation="tanh"), ValueError, "'gelu'"),
        (lambda: nn.TransformerEncoderLayer(8, 3), ValueError, "multiple of num_heads"),
        (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2), 0), ValueError,
         "num_layers"),
    ],
)  # fmt: skip
def test_transformer_bad_arguments_raise(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_encoder_layer_bad_input_raises_value_error():
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    with pytest.raises(ValueError, match=r"MultiheadAttention: expected query .*got \(4, 2, 6\)"):
        layer(lucid.tensor(np.zeros((4, 2, 6), np.float32)))
