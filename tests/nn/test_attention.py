"""Tests for scaled_dot_product_attention (lucid.ops.attention) and nn.MultiheadAttention."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck

# (query, key, value shapes, mask kind or None, keyword arguments)
SDPA_CASES = [
    ((2, 3, 4), (2, 5, 4), (2, 5, 3), None, {}),
    ((2, 2, 3, 4), (2, 1, 5, 4), (2, 1, 5, 2), "bool", {}),  # key/value broadcast over heads
    ((3, 4), (5, 4), (5, 6), "float", {"scale": 0.3}),
    ((2, 4, 3), (2, 4, 3), (2, 4, 3), None, {"is_causal": True}),
    ((1, 3, 2), (1, 5, 2), (1, 5, 4), None, {"is_causal": True}),  # L < S: top-left aligned
]
SDPA_IDS = ["plain", "bool-mask-broadcast", "float-mask-scale", "causal", "causal-rectangular"]


def _mask(kind, q_shape, k_shape, rng):
    shape = (q_shape[-2], k_shape[-2])
    if kind == "bool":
        mask = rng.random(shape) > 0.4
        mask[:, 0] = True  # every query may attend somewhere
        return mask
    if kind == "float":
        return rng.standard_normal(shape)
    return None


@pytest.mark.parametrize("q_shape, k_shape, v_shape, kind, kwargs", SDPA_CASES, ids=SDPA_IDS)
def test_sdpa_gradient_matches_finite_differences(q_shape, k_shape, v_shape, kind, kwargs, rng):
    q, k, v = (
        lucid.tensor(rng.standard_normal(s), requires_grad=True)
        for s in (q_shape, k_shape, v_shape)
    )
    mask = _mask(kind, q_shape, k_shape, rng)
    assert gradcheck(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask, **kwargs),
        (q, k, v),
    )


def test_sdpa_float_mask_gets_a_gradient(rng):
    q, k, v, mask = (
        lucid.tensor(rng.standard_normal(s), requires_grad=True)
        for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3), (3, 5))
    )
    assert gradcheck(
        lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), (q, k, v, mask)
    )


def test_sdpa_dropout_gradient_matches_finite_differences(rng):
    q, k, v = (
        lucid.tensor(rng.standard_normal(s), requires_grad=True)
        for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3))
    )

    def attend(q, k, v):
        lucid.random.seed(7)  # the same dropout mask at every evaluation
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.4)

    assert gradcheck(attend, (q, k, v))


@pytest.mark.torch
@pytest.mark.parametrize("q_shape, k_shape, v_shape, kind, kwargs", SDPA_CASES, ids=SDPA_IDS)
def test_sdpa_matches_torch(q_shape, k_shape, v_shape, kind, kwargs, rng):
    torch = pytest.importorskip("torch")
    arrays = [rng.standard_normal(s).astype(np.float32) for s in (q_shape, k_shape, v_shape)]
    mask = _mask(kind, q_shape, k_shape, rng)
    mask = None if mask is None else mask.astype(bool if kind == "bool" else np.float32)
    ours = [lucid.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = F.scaled_dot_product_attention(*ours, attn_mask=mask, **kwargs)
    yt = torch.nn.functional.scaled_dot_product_attention(
        *theirs, attn_mask=None if mask is None else torch.tensor(mask), **kwargs
    )
    assert y.dtype == np.float32
    upstream = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    for a, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dropout_p", [0.0, 0.3])
def test_sdpa_gradient_runs_on_tensors_for_higher_order_use(dropout_p, rng):
    q, k, v, mask = (
        lucid.tensor(rng.standard_normal(s), requires_grad=True)
        for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3), (3, 5))
    )
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
    g = rng.standard_normal(out.shape)
    plain = out._op.gradient(g)
    as_tensors = out._op.gradient(lucid.tensor(g))
    for a, t in zip(plain, as_tensors, strict=True):
        assert isinstance(t, lucid.Tensor)
        np.testing.assert_allclose(t.numpy(), a, rtol=1e-12, atol=1e-12)


@pytest.mark.torch
def test_sdpa_fully_masked_query_gives_zeros_as_torch(rng):
    torch = pytest.importorskip("torch")
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in ((3, 4), (5, 4), (5, 2)))
    mask = np.ones((3, 5), dtype=bool)
    mask[1] = False
    x = lucid.tensor(q, requires_grad=True)
    y = F.scaled_dot_product_attention(x, k, v, attn_mask=mask)
    yt = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(a) for a in (q, k, v)), attn_mask=torch.tensor(mask)
    )
    np.testing.assert_allclose(y.numpy(), yt.numpy(), rtol=1e-5, atol=1e-6)
    y.backward(rng.standard_normal(y.shape).astype(np.float32))
    assert np.all(y.numpy()[1] == 0) and np.all(x.grad[1] == 0)


def test_sdpa_dropout_is_seeded_and_p_one_drops_everything(rng):
    q, k, v = (lucid.tensor(rng.standard_normal(s)) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3)))
    lucid.random.seed(1)
    first = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).numpy()
    lucid.random.seed(1)
    np.testing.assert_array_equal(F.scaled_dot_product_attention(q, k, v, dropout_p=0.5), first)
    assert not np.allclose(first, F.scaled_dot_product_attention(q, k, v).numpy())
    assert np.all(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy() == 0)


@pytest.mark.parametrize(
    "shapes, kwargs, error, message",
    [
        (((2, 3, 4), (2, 5, 3), (2, 5, 3)), {}, ValueError, r"query \(2, 3, 4\) and key"),
        (((2, 3, 4), (2, 5, 4), (2, 4, 3)), {}, ValueError, r"value \(2, 4, 3\)"),
        (((4,), (5, 4), (5, 3)), {}, ValueError, "at least 2 dimensions"),
        (((3, 4), (5, 4), (5, 3)), {"is_causal": True, "attn_mask": np.ones((3, 5), bool)},
         ValueError, "not both"),
        (((3, 4), (5, 4), (5, 3)), {"attn_mask": np.ones((3, 5), np.int64)}, TypeError,
         "bool or floating"),
        (((3, 4), (5, 4), (5, 3)), {"dropout_p": 1.5}, ValueError, r"\[0, 1\]"),
    ],
)  # fmt: skip
def test_sdpa_bad_input_raises(shapes, kwargs, error, message):
    q, k, v = (lucid.tensor(np.zeros(s, np.float32)) for s in shapes)
    with pytest.raises(error, match=message):
        F.scaled_dot_product_attention(q, k, v, **kwargs)


def test_sdpa_mixed_dtypes_raise_type_error():
    q = lucid.tensor(np.zeros((3, 4), np.float64))
    k = lucid.tensor(np.zeros((5, 4), np.float32))
    with pytest.raises(TypeError, match="share one floating-point dtype"):
        F.scaled_dot_product_attention(q, k, k)


# --------------------------------------------------------------------------- MultiheadAttention

# (constructor keywords beyond (embed_dim=8, num_heads=2), batched, masks, forward keywords)
MHA_CASES = [
    ({}, True, False, {}),
    ({"batch_first": True}, True, True, {}),
    ({}, False, True, {"average_attn_weights": False}),
    ({"kdim": 5, "vdim": 6, "bias": False}, True, False, {"need_weights": False}),
    ({"kdim": 5, "vdim": 6, "batch_first": True}, True, True, {"average_attn_weights": False}),
    ({}, True, "float", {}),
    ({}, True, "causal", {}),
]
MHA_IDS = ["plain", "batch-first-masks", "unbatched", "kv-dims-no-bias", "kv-dims-masks",
           "float-masks", "causal"]  # fmt: skip


def _mha_inputs(module_kwargs, batched, rng, dtype=np.float32, n=2, length=3, source=4):
    e = 8 if dtype == np.float32 else 4
    dims = (e, module_kwargs.get("kdim", e), module_kwargs.get("vdim", e))
    shapes = []
    for size, d in zip((length, source, source), dims, strict=True):
        if not batched:
            shapes.append((size, d))
        else:
            shapes.append((n, size, d) if module_kwargs.get("batch_first") else (size, n, d))
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _mha_masks(kind, batched, rng, n=2, length=3, source=4) -> dict:
    if not kind:
        return {}
    if kind == "causal":
        return {"is_causal": True}
    padding = rng.random((n, source) if batched else (source,)) > 0.6
    padding[..., 0] = False  # every query may attend somewhere
    attn = rng.random((length, source)) > 0.6
    attn[:, 0] = False
    if kind == "float":
        return {"attn_mask": np.where(attn, -2.0, 0.5).astype(np.float32),
                "key_padding_mask": np.where(padding, -1.0, 0.0).astype(np.float32)}  # fmt: skip
    return {"attn_mask": attn, "key_padding_mask": padding}


@pytest.mark.parametrize("module_kwargs, batched, masks, forward_kwargs", MHA_CASES, ids=MHA_IDS)
def test_mha_gradient_matches_finite_differences(
    module_kwargs, batched, masks, forward_kwargs, rng
):
    module_kwargs = {**module_kwargs, **{k: 3 for k in ("kdim", "vdim") if k in module_kwargs}}
    layer = nn.MultiheadAttention(4, 2, **module_kwargs).double()
    inputs = [
        lucid.tensor(a, requires_grad=True)
        for a in _mha_inputs(module_kwargs, batched, rng, np.float64, n=2, length=2, source=3)
    ]
    kwargs = {**_mha_masks(masks, batched, rng, n=2, length=2, source=3), **forward_kwargs}

    def attend(q, k, v, *params):
        out, weights = layer(q, k, v, **kwargs)
        return (out,) if weights is None else (out, weights)

    assert gradcheck(attend, (*inputs, *layer.parameters()))


@pytest.mark.torch
@pytest.mark.parametrize("module_kwargs, batched, masks, forward_kwargs", MHA_CASES, ids=MHA_IDS)
def test_mha_matches_torch(
    module_kwargs, batched, masks, forward_kwargs, rng, copy_to_torch, backward_matches_torch
):
    torch = pytest.importorskip("torch")
    layer = nn.MultiheadAttention(8, 2, **module_kwargs)
    reference = torch.nn.MultiheadAttention(8, 2, **module_kwargs)
    assert list(layer.state_dict()) == list(reference.state_dict())
    for key, value in reference.state_dict().items():
        assert layer.state_dict()[key].shape == tuple(value.shape), key
    copy_to_torch(layer, reference)
    arrays = _mha_inputs(module_kwargs, batched, rng)
    ours = [lucid.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    kwargs = {**_mha_masks(masks, batched, rng), **forward_kwargs}
    kwargs_t = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    if masks == "causal":  # PyTorch wants the mask itself beside the is_causal hint
        kwargs_t["attn_mask"] = torch.nn.Transformer.generate_square_subsequent_mask(3)
        ours, theirs = ours[:1] * 3, theirs[:1] * 3  # self-attention: L == S
    out, weights = layer(*ours, **kwargs)
    out_t, weights_t = reference(*theirs, **kwargs_t)
    assert (weights is None) == (weights_t is None)
    pairs = [(out, out_t)] + ([(weights, weights_t)] if weights is not None else [])
    backward_matches_torch(
        pairs,
        ours,
        theirs,
        layer,
        reference,
        out_tol=(1e-5, 1e-5),
        grad_tol=(1e-4, 1e-5),
        dtype=np.float32,
    )


@pytest.mark.torch
def test_mha_dropout_only_in_training(rng, copy_to_torch):
    torch = pytest.importorskip("torch")
    layer, reference = (
        nn.MultiheadAttention(8, 2, dropout=0.5),
        torch.nn.MultiheadAttention(8, 2, dropout=0.5),
    )
    copy_to_torch(layer, reference)
    q, k, v = _mha_inputs({}, True, rng)
    layer.eval()
    reference.eval()
    out, weights = layer(q, k, v)
    out_t, weights_t = reference(*(torch.tensor(a) for a in (q, k, v)))
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(weights.numpy().sum(-1), 1, rtol=1e-5)
    layer.train()
    lucid.random.seed(4)
    first, first_weights = layer(q, k, v)
    lucid.random.seed(4)
    np.testing.assert_array_equal(layer(q, k, v)[0].numpy(), first.numpy())
    assert not np.allclose(first.numpy(), out.numpy())
    # The weights PyTorch returns in training are those after dropout: 0 or scaled by 2.
    assert np.any(first_weights.numpy() != weights.numpy())


def test_mha_default_init_is_torchs(rng):
    lucid.random.seed(0)
    layer = nn.MultiheadAttention(16, 4)
    bound = np.sqrt(6 / (16 + 48))  # xavier_uniform_ on (3E, E)
    w = layer.in_proj_weight.numpy()
    assert 0.8 * bound < np.abs(w).max() <= bound
    assert np.all(layer.in_proj_bias.numpy() == 0) and np.all(layer.out_proj.bias.numpy() == 0)
    assert np.abs(layer.out_proj.weight.numpy()).max() <= 1 / 4
    split = nn.MultiheadAttention(16, 4, kdim=5, vdim=7)
    assert split.in_proj_weight is None and split.k_proj_weight.shape == (16, 5)
    assert split.v_proj_weight.shape == (16, 7)


@pytest.mark.parametrize(
    "kwargs, shapes, forward_kwargs, message",
    [
        ({}, ((3, 2, 8), (4, 2, 7), (4, 2, 8)), {},
         r"expected key of shape \(L, N, 8\) or \(L, 8\).*got \(4, 2, 7\)"),
        ({"batch_first": True}, ((2, 3, 8), (4, 8), (4, 8)), {}, r"all three batched"),
        ({}, ((3, 2, 8), (4, 3, 8), (4, 3, 8)), {}, r"batch of query \(3, 2, 8\)"),
        ({}, ((3, 2, 8), (4, 2, 8), (4, 2, 8)), {"attn_mask": np.zeros((4, 3), bool)},
         r"attn_mask of shape \(4, 3\) must be \(3, 4\) or \(4, 3, 4\)"),
        ({}, ((3, 2, 8), (4, 2, 8), (4, 2, 8)), {"key_padding_mask": np.zeros((4, 2), bool)},
         r"key_padding_mask of shape \(4, 2\) must be \(2, 4\)"),
    ],
)  # fmt: skip
def test_mha_bad_input_raises_value_error(kwargs, shapes, forward_kwargs, message):
    layer = nn.MultiheadAttention(8, 2, **kwargs)
    inputs = [np.zeros(s, np.float32) for s in shapes]
    with pytest.raises(ValueError, match=message):
        layer(*inputs, **forward_kwargs)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: nn.MultiheadAttention(8, 3), ValueError, "multiple of num_heads"),
        (lambda: nn.MultiheadAttention(8, 2, add_bias_kv=True), NotImplementedError, "bias_kv"),
        (lambda: nn.MultiheadAttention(8, 2, dropout=2.0), ValueError, "dropout"),
    ],
)
def test_mha_bad_arguments_raise(make, error, message):
    with pytest.raises(error, match=message):
        make()
