"""Tests for nn.TransformerDecoderLayer, nn.TransformerDecoder and nn.Transformer."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.autograd import gradcheck

T, S, N, D = 4, 5, 2, 8  # target length, source length, batch, d_model


def _causal(length: int, kind: str) -> np.ndarray:
    """The causal mask as bool (True = not allowed) or float (-inf = not allowed)."""
    blocked = np.triu(np.ones((length, length), dtype=bool), k=1)
    return blocked if kind == "bool" else np.where(blocked, -np.inf, 0.0)


def _padding(n: int, length: int, kind: str) -> np.ndarray:
    blocked = np.zeros((n, length), dtype=bool)
    blocked[1, length - 2 :] = True
    return blocked if kind == "bool" else np.where(blocked, -np.inf, 0.0)


def _masks(case: str) -> dict:
    """Forward keywords of a decoder: which masks, bool or float."""
    kind = "float" if case.endswith("float") else "bool"
    if case == "none":
        return {}
    if case.startswith("causal"):
        return {"tgt_mask": _causal(T, kind)}
    if case.startswith("padding"):
        return {"tgt_key_padding_mask": _padding(N, T, kind),
                "memory_key_padding_mask": _padding(N, S, kind)}  # fmt: skip
    memory_mask = np.zeros((T, S), dtype=bool)
    memory_mask[0, 1:] = True
    return {  # "all"
        "tgt_mask": _causal(T, kind),
        "memory_mask": memory_mask if kind == "bool" else np.where(memory_mask, -np.inf, 0.0),
        "tgt_key_padding_mask": _padding(N, T, kind),
        "memory_key_padding_mask": _padding(N, S, kind),
    }


CASES = [
    ({}, "none"),
    ({"norm_first": True}, "causal-bool"),
    ({"batch_first": True}, "causal-float"),
    ({"activation": "gelu"}, "padding-bool"),
    ({"norm_first": True, "batch_first": True}, "padding-float"),
    ({"activation": "gelu", "norm_first": True}, "all-bool"),
    ({"batch_first": True, "layer_norm_eps": 1e-3}, "all-float"),
    ({"bias": False}, "all-bool"),
]
IDS = [f"{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}-{m}" for kw, m in CASES]


def _shape(kwargs: dict, length: int) -> tuple:
    return (N, length, D) if kwargs.get("batch_first") else (length, N, D)


def _compare(module, reference, inputs, forward_kwargs, torch, check) -> None:
    """Output and the gradients of every input and parameter, random upstream, float64;
    ``check`` is the backward_matches_torch fixture."""
    xs = [lucid.tensor(a, requires_grad=True) for a in inputs]
    xts = [torch.tensor(a, requires_grad=True) for a in inputs]
    y = module(*xs, **forward_kwargs)
    yt = reference(*xts, **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                            for k, v in forward_kwargs.items()})  # fmt: skip
    check([(y, yt)], xs, xts, module, reference, out_tol=(1e-9, 1e-10), grad_tol=(1e-8, 1e-10))


@pytest.mark.torch
@pytest.mark.parametrize("training", [True, False], ids=["train-no-dropout", "eval-dropout"])
@pytest.mark.parametrize("kwargs, masks", CASES, ids=IDS)
def test_decoder_layer_matches_torch(
    kwargs, masks, training, rng, copy_to_torch, backward_matches_torch
):
    torch = pytest.importorskip("torch")
    dropout = 0.0 if training else 0.3
    layer = nn.TransformerDecoderLayer(D, 2, 16, dropout=dropout, **kwargs).double()
    reference = torch.nn.TransformerDecoderLayer(D, 2, 16, dropout=dropout, **kwargs).double()
    copy_to_torch(layer, reference, training)
    inputs = [rng.standard_normal(_shape(kwargs, T)), rng.standard_normal(_shape(kwargs, S))]
    _compare(layer, reference, inputs, _masks(masks), torch, backward_matches_torch)


@pytest.mark.torch
def test_decoder_layer_unbatched_and_callable_activation_match_torch(
    rng, copy_to_torch, backward_matches_torch
):
    torch = pytest.importorskip("torch")
    layer = nn.TransformerDecoderLayer(D, 2, 16, dropout=0.0, activation=nn.SiLU()).double()
    reference = torch.nn.TransformerDecoderLayer(D, 2, 16, dropout=0.0,
                                                 activation=torch.nn.SiLU()).double()  # fmt: skip
    copy_to_torch(layer, reference, True)
    inputs = [rng.standard_normal((T, D)), rng.standard_normal((S, D))]
    _compare(
        layer, reference, inputs, {"tgt_mask": _causal(T, "bool")}, torch, backward_matches_torch
    )


@pytest.mark.torch
@pytest.mark.parametrize(
    "kwargs, masks", [CASES[0], CASES[5], CASES[6]], ids=[IDS[0], IDS[5], IDS[6]]
)
def test_decoder_matches_torch(kwargs, masks, rng, copy_to_torch, backward_matches_torch):
    torch = pytest.importorskip("torch")
    layer = nn.TransformerDecoderLayer(D, 2, 12, dropout=0.0, **kwargs)
    decoder = nn.TransformerDecoder(layer, 2, norm=nn.LayerNorm(D)).double()
    reference = torch.nn.TransformerDecoder(
        torch.nn.TransformerDecoderLayer(D, 2, 12, dropout=0.0, **kwargs), 2,
        norm=torch.nn.LayerNorm(D),
    ).double()  # fmt: skip
    copy_to_torch(decoder, reference, True)
    inputs = [rng.standard_normal(_shape(kwargs, T)), rng.standard_normal(_shape(kwargs, S))]
    _compare(decoder, reference, inputs, _masks(masks), torch, backward_matches_torch)


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"batch_first": True, "norm_first": True, "activation": "gelu"}],
    ids=["default", "bf-pre-gelu"],
)
@pytest.mark.parametrize("masks", ["none", "all-bool", "all-float"])
def test_transformer_matches_torch(kwargs, masks, rng, copy_to_torch, backward_matches_torch):
    torch = pytest.importorskip("torch")
    model = nn.Transformer(D, 2, 2, 2, 12, dropout=0.0, **kwargs).double()
    reference = torch.nn.Transformer(D, 2, 2, 2, 12, dropout=0.0, **kwargs).double()
    copy_to_torch(model, reference, True)
    forward_kwargs = _masks(masks)
    if masks != "none":
        forward_kwargs["src_key_padding_mask"] = _padding(N, S, masks.split("-")[1])
        forward_kwargs["src_mask"] = _causal(S, masks.split("-")[1])
    inputs = [rng.standard_normal(_shape(kwargs, S)), rng.standard_normal(_shape(kwargs, T))]
    _compare(model, reference, inputs, forward_kwargs, torch, backward_matches_torch)


@pytest.mark.torch
def test_transformer_init_and_subsequent_mask_match_torch():
    torch = pytest.importorskip("torch")
    mask = nn.Transformer.generate_square_subsequent_mask(5)
    mask_t = torch.nn.Transformer.generate_square_subsequent_mask(5)
    assert mask.dtype == np.float32
    np.testing.assert_array_equal(mask.numpy(), mask_t.numpy())
    assert (
        nn.Transformer.generate_square_subsequent_mask(3, dtype=lucid.float64).dtype == np.float64
    )
    lucid.random.seed(0)
    model = nn.Transformer(16, 2, 1, 1, 32)
    bound = np.sqrt(6 / (16 + 32))  # xavier-uniform of linear1 (32, 16)
    w = model.encoder.layers[0].linear1.weight.numpy()
    assert 0.8 * bound < np.abs(w).max() <= bound
    assert np.all(model.decoder.norm.weight.numpy() == 1)


def test_decoder_layer_gradient_matches_finite_differences(rng):
    layer = nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, norm_first=True).double()
    tgt = lucid.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    memory = lucid.tensor(rng.standard_normal((4, 2, 4)), requires_grad=True)
    masks = {"tgt_mask": _causal(3, "bool"), "memory_key_padding_mask": _padding(2, 4, "bool")}
    assert gradcheck(lambda t, m, *p: layer(t, m, **masks), (tgt, memory, *layer.parameters()))


def test_decoder_is_causal_without_a_mask_applies_the_causal_mask(rng):
    layer = nn.TransformerDecoderLayer(D, 2, 16, dropout=0.0).double()
    tgt, memory = (lucid.tensor(rng.standard_normal((length, N, D))) for length in (T, S))
    causal = layer(tgt, memory, tgt_mask=_causal(T, "bool")).numpy()
    np.testing.assert_allclose(layer(tgt, memory, tgt_is_causal=True).numpy(), causal)
    np.testing.assert_allclose(
        layer(tgt, memory, tgt_mask=_causal(T, "float"), tgt_is_causal=True).numpy(), causal
    )
    assert not np.allclose(layer(tgt, memory).numpy(), causal)


def test_transformer_bad_input_raises():
    model = nn.Transformer(D, 2, 1, 1, 16)
    src = lucid.tensor(np.zeros((S, N, D), np.float32))
    with pytest.raises(ValueError, match="batch number"):
        model(src, lucid.tensor(np.zeros((T, N + 1, D), np.float32)))
    with pytest.raises(ValueError, match="feature number"):
        model(src, lucid.tensor(np.zeros((T, N, D + 1), np.float32)))
    with pytest.raises(ValueError, match="'gelu'"):
        nn.TransformerDecoderLayer(D, 2, activation="tanh")
    with pytest.raises(ValueError, match="num_layers"):
        nn.TransformerDecoder(nn.TransformerDecoderLayer(D, 2), 0)
