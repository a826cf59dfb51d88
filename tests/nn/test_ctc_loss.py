"""CTC loss against PyTorch (padded and concatenated targets, unbatched, every reduction,
zero_infinity), finite differences, and its errors."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck

REDUCTIONS = ["none", "mean", "sum"]


def _problem(rng, t=10, n=3, c=5, s=4):
    """Logits (T, N, C), padded targets with a repeated label, and lengths (one empty target,
    one input shorter than T)."""
    logits = rng.standard_normal((t, n, c))
    targets = rng.integers(1, c, (n, s))
    targets[0, 1] = targets[0, 0]  # a repeat: the path must pass a blank between them
    input_lengths = np.array([t, t - 2, t - 3][:n])
    target_lengths = np.array([s, s - 1, 0][:n])
    return logits, targets, input_lengths, target_lengths


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_ctc_loss_matches_torch(reduction, layout, dtype, rng):
    torch = pytest.importorskip("torch")
    logits, targets, in_lens, tgt_lens = _problem(rng)
    logits = logits.astype(dtype)
    if layout == "concatenated":
        targets = np.concatenate([row[:k] for row, k in zip(targets, tgt_lens, strict=True)])
    x = lucid.tensor(logits, requires_grad=True)
    xt = torch.tensor(logits, requires_grad=True)
    out = F.ctc_loss(F.log_softmax(x, dim=2), targets, in_lens, tgt_lens, reduction=reduction)
    out_t = torch.nn.functional.ctc_loss(
        xt.log_softmax(2), torch.tensor(targets), torch.tensor(in_lens), torch.tensor(tgt_lens),
        reduction=reduction,
    )  # fmt: skip
    assert out.shape == tuple(out_t.shape) and out.dtype == logits.dtype
    tol = 1e-10 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=tol, atol=tol)
    upstream = rng.standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    out_t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.torch
def test_ctc_loss_unbatched_and_module_match_torch(rng):
    torch = pytest.importorskip("torch")
    logits = rng.standard_normal((8, 4))
    target = np.array([1, 3, 3])
    x, xt = lucid.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    out = nn.CTCLoss(blank=2)(F.log_softmax(x, dim=1), target, (8,), (3,))
    out_t = torch.nn.CTCLoss(blank=2)(xt.log_softmax(1), torch.tensor(target), (8,), (3,))
    np.testing.assert_allclose(out.item(), out_t.item(), rtol=1e-10)
    out.backward()
    out_t.backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.torch
def test_ctc_loss_zero_infinity_matches_torch(rng):
    torch = pytest.importorskip("torch")
    logits = rng.standard_normal((3, 2, 4))
    targets = np.array([[1, 1, 2], [1, 2, 3]])  # sample 0 needs 4 steps (1, blank, 1, 2): inf
    lens = np.array([3, 3])
    for zero_infinity in (False, True):
        x, xt = lucid.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
        kw = {"reduction": "none", "zero_infinity": zero_infinity}
        out = F.ctc_loss(F.log_softmax(x, dim=2), targets, lens, lens, **kw)
        out_t = torch.nn.functional.ctc_loss(
            xt.log_softmax(2), torch.tensor(targets), torch.tensor(lens), torch.tensor(lens), **kw
        )
        np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-10)
        if zero_infinity:
            out.backward(np.array([0.7, -1.3]))
            out_t.backward(torch.tensor([0.7, -1.3], dtype=torch.float64))
            np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
            assert not np.isnan(x.grad.numpy()).any()


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_gradient_matches_finite_differences(reduction, rng):
    logits, targets, in_lens, tgt_lens = _problem(rng, t=6, n=2, c=4, s=2)
    # the true derivative with respect to log_probs, normalised or not
    lp = lucid.tensor(logits, requires_grad=True)
    assert gradcheck(
        lambda v: F.ctc_loss(v, targets, in_lens, tgt_lens, reduction=reduction), (lp,)
    )
    x = lucid.tensor(logits, requires_grad=True)
    assert gradcheck(
        lambda v: F.ctc_loss(F.log_softmax(v, dim=2), targets, in_lens, tgt_lens), (x,)
    )


def test_ctc_loss_of_a_single_path_is_its_log_probability(rng):
    # T = 2 steps for the target [1]: paths (1, blank), (blank, 1), (1, 1)
    lp = np.log(rng.dirichlet(np.ones(3), size=2))
    loss = F.ctc_loss(lucid.tensor(lp), np.array([1]), 2, 1, reduction="sum").item()
    p = np.exp(lp)
    expected = p[0, 1] * p[1, 0] + p[0, 0] * p[1, 1] + p[0, 1] * p[1, 1]
    np.testing.assert_allclose(loss, -np.log(expected), rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"targets": np.array([[1, 0]])}, IndexError, "blank"),
        ({"targets": np.array([[1, 7]])}, IndexError, "out of range"),
        ({"targets": np.array([[1.0, 2.0]])}, TypeError, "integer"),
        ({"input_lengths": [9]}, ValueError, "input_lengths"),
        ({"input_lengths": [1.5]}, TypeError, "input_lengths"),
        ({"target_lengths": [3]}, ValueError, "exceed"),
        ({"target_lengths": [1, 1]}, ValueError, "one length per sample"),
        ({"targets": np.array([1, 2, 3])}, ValueError, "concatenated"),
        ({"blank": 5}, IndexError, "blank 5"),
        ({"reduction": "batchmean"}, ValueError, "reduction"),
    ],
)
def test_ctc_loss_rejects_bad_arguments(kwargs, error, match):
    args = {
        "log_probs": lucid.zeros(4, 1, 5), "targets": np.array([[1, 2]]),
        "input_lengths": [4], "target_lengths": [2],
    }  # fmt: skip
    args.update(kwargs)
    with pytest.raises(error, match=match):
        F.ctc_loss(**args)


def test_ctc_loss_refuses_higher_order_gradients(rng):
    x = lucid.tensor(rng.standard_normal((4, 1, 3)), requires_grad=True)
    loss = F.ctc_loss(F.log_softmax(x, dim=2), np.array([[1]]), [4], [1])
    with pytest.raises(NotImplementedError, match="higher-order"):
        lucid.autograd.grad(loss, [x], create_graph=True)
