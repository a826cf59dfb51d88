"""nn.functional's remaining forms (pad, one_hot, dropout, the API's names) and nn.utils'
gradient clipping, against PyTorch."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck

API_NAMES = (
    "linear relu leaky_relu gelu silu sigmoid tanh softmax log_softmax elu mish softplus "
    "hardtanh cross_entropy nll_loss mse_loss l1_loss smooth_l1_loss binary_cross_entropy "
    "binary_cross_entropy_with_logits kl_div dropout layer_norm batch_norm group_norm embedding "
    "pad one_hot"
).split()


def test_functional_has_the_api_names():
    missing = [name for name in API_NAMES if not callable(getattr(F, name, None))]
    assert not missing, f"lucid.nn.functional lacks {missing}"


@pytest.mark.torch
@pytest.mark.parametrize(
    ("pad", "mode"),
    [((1, 2), "constant"), ((1, 0, 2, 1), "constant"), ((2, 1), "reflect"),
     ((1, 1, 2, 0), "replicate"), ((1, 2), "circular")],
)  # fmt: skip
def test_pad_matches_torch(pad, mode, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal((2, 3, 4)).astype(np.float32)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    kwargs = {"value": 1.5} if mode == "constant" else {}
    out, out_t = (
        F.pad(x, pad, mode=mode, **kwargs),
        torch.nn.functional.pad(xt, pad, mode, **kwargs),
    )
    upstream = rng.standard_normal(tuple(out_t.shape)).astype(np.float32)
    out.backward(upstream)
    out_t.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(out.numpy(), out_t.detach().numpy())
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_pad_gradient_matches_finite_differences(rng):
    # PyTorch's rule: 2-D reflect padding needs a (C, H, W) or (N, C, H, W) input
    x = lucid.tensor(rng.standard_normal((1, 3, 4)), requires_grad=True)
    assert gradcheck(lambda t: F.pad(t, (1, 2, 1, 0), mode="reflect"), (x,))


@pytest.mark.torch
@pytest.mark.parametrize("num_classes", [-1, 6])
def test_one_hot_matches_torch(num_classes, rng):
    torch = pytest.importorskip("torch")
    index = rng.integers(0, 4, (3, 5))
    out = F.one_hot(lucid.tensor(index), num_classes)
    out_t = torch.nn.functional.one_hot(torch.tensor(index), num_classes)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), out_t.numpy())


def test_one_hot_errors():
    with pytest.raises(IndexError, match="index 3 is out of range for 3"):
        F.one_hot(lucid.tensor([0, 3]), 3)
    with pytest.raises(TypeError, match="integer"):
        F.one_hot(lucid.tensor([0.0, 1.0]))


def test_functional_dropout_outside_training_returns_the_input():
    x = lucid.ones(3)
    assert F.dropout(x, 0.5, training=False) is x
    lucid.random.seed(0)
    kept = F.dropout(lucid.ones(10_000), 0.3).numpy()
    assert abs((kept == 0).mean() - 0.3) < 0.02 and abs(kept.mean() - 1) < 0.03


# --------------------------------------------------------------------------- nn.utils


def _model_with_grads(rng):
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    for p in model.parameters():
        p.grad = (5 * rng.standard_normal(p.shape)).astype(np.float32)
    return model


@pytest.mark.torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e4])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, rng):
    torch = pytest.importorskip("torch")
    model = _model_with_grads(rng)
    params_t = [torch.tensor(p.numpy(), requires_grad=True) for p in model.parameters()]
    for p, pt in zip(model.parameters(), params_t, strict=True):
        pt.grad = torch.tensor(p.grad.numpy().copy())
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm, norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(params_t, max_norm, norm_type)
    assert isinstance(total, lucid.Tensor) and total.ndim == 0
    np.testing.assert_allclose(total.item(), total_t.item(), rtol=1e-5)
    for p, pt in zip(model.parameters(), params_t, strict=True):
        np.testing.assert_allclose(p.grad, pt.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_formula_and_edge_cases(rng):
    model = _model_with_grads(rng)
    grads = [p.grad.clone() for p in model.parameters()]
    total = np.sqrt(sum((g.astype(np.float64) ** 2).sum() for g in grads))
    assert lucid.nn.utils.clip_grad_norm_(model.parameters(), 1.0).item() == pytest.approx(total)
    for p, g in zip(model.parameters(), grads, strict=True):
        np.testing.assert_allclose(p.grad, g / (total + 1e-6), rtol=1e-5)
    single = nn.Parameter(lucid.ones(2))
    assert nn.utils.clip_grad_norm_(single, 1.0).item() == 0.0  # no gradient yet
    single.grad = np.array([np.inf, 1.0], np.float32)
    with pytest.raises(RuntimeError, match="error_if_nonfinite"):
        nn.utils.clip_grad_norm_([single], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_clips_in_place(rng):
    model = _model_with_grads(rng)
    grads = [p.grad for p in model.parameters()]
    expected = [np.clip(g, -0.5, 0.5) for g in grads]
    nn.utils.clip_grad_value_(model.parameters(), 0.5)
    for p, g, e in zip(model.parameters(), grads, expected, strict=True):
        assert p.grad is g
        np.testing.assert_array_equal(p.grad, e)
