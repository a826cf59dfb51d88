"""A PyTorch-style script over the dtype, device, generator and math surface, written with
``import lucid as torch``: it must run unchanged and agree with PyTorch where it computes."""

import numpy as np
import pytest

import lucid as torch  # the drop-in spelling under test


def _script(torch):  # noqa: ANN001 - the module: lucid, or PyTorch itself
    torch.manual_seed(0)
    torch.cuda.manual_seed_all(0)
    torch.backends.cudnn.benchmark = True
    use_cuda = torch.cuda.is_available()
    use_mps = torch.backends.mps.is_available()
    device = torch.device("cuda" if use_cuda else "mps" if use_mps else "cpu")
    g = torch.Generator().manual_seed(1234)
    x = torch.randn(8, 4, generator=g, device=device, dtype=torch.float64)
    w = torch.randn(4, 3, generator=g, dtype=torch.double).to(device).requires_grad_()
    logits = x @ w
    probs = torch.softmax(logits, dim=1)
    loss = -(torch.xlogy(probs, probs).sum(dim=1)).mean() + torch.logaddexp(logits, -logits).mean()
    loss = loss + torch.erf(logits).pow(2).mean() + torch.lgamma(logits.abs() + 1).mean()
    loss.backward()
    ids = torch.arange(12, device=device).long()
    bits = ((ids & 6) | (ids >> 1)) ^ ~ids
    buckets = torch.div(ids, 5, rounding_mode="floor") + ids % 5
    summary = f"{loss.item():.6f} {loss:.6f}"
    return (
        loss.detach().cpu().numpy(),
        w.grad.cpu().numpy(),
        bits.numpy(),
        buckets.numpy(),
        summary,
    )


def test_the_script_runs_on_lucid_as_written():
    loss, grad, bits, buckets, summary = _script(torch)
    assert np.isfinite(loss) and grad.shape == (4, 3)
    assert summary.split()[0] == summary.split()[1]


@pytest.mark.torch
def test_the_script_agrees_with_pytorch_where_the_random_streams_do_not_matter():
    real = pytest.importorskip("torch")
    _, _, bits, buckets, _ = _script(torch)
    _, _, bits_t, buckets_t, _ = _script(real)
    np.testing.assert_array_equal(bits, bits_t)
    np.testing.assert_array_equal(buckets, buckets_t)


@pytest.mark.torch
def test_the_math_of_the_script_matches_pytorch_on_the_same_numbers():
    real = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((8, 4)), rng.standard_normal((4, 3))
    results = []
    for lib in (torch, real):
        wt = lib.tensor(w, requires_grad=True)
        logits = lib.tensor(x) @ wt
        probs = lib.softmax(logits, dim=1)
        loss = -(lib.xlogy(probs, probs).sum(dim=1)).mean() + lib.logaddexp(logits, -logits).mean()
        loss = loss + lib.erf(logits).pow(2).mean() + lib.lgamma(logits.abs() + 1).mean()
        loss.backward()
        results.append((loss.item(), wt.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-10, atol=1e-12)
