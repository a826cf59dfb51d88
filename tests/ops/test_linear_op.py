"""The fused linear op: gradients, PyTorch parity, double backward and bad shapes."""

import numpy as np
import pytest

import lucid
from lucid.autograd import gradcheck, gradgradcheck
from lucid.ops.linalg import linear

CASES = [((4, 3), True), ((3,), True), ((2, 5, 3), False), ((2, 1, 4, 3), True)]


def leaf(rng, shape):
    return lucid.tensor(rng.standard_normal(shape), dtype=lucid.float64, requires_grad=True)


@pytest.mark.parametrize(("x_shape", "with_bias"), CASES)
def test_linear_gradient_matches_finite_differences(x_shape, with_bias, rng):
    x, w, b = leaf(rng, x_shape), leaf(rng, (2, 3)), leaf(rng, (2,))
    args = (x, w, b) if with_bias else (x, w)
    assert gradcheck(linear, args)
    assert gradgradcheck(linear, args)


@pytest.mark.torch
@pytest.mark.parametrize(("x_shape", "with_bias"), CASES)
def test_linear_matches_torch(x_shape, with_bias, rng):
    torch = pytest.importorskip("torch")
    data = [rng.standard_normal(s).astype(np.float32) for s in (x_shape, (2, 3), (2,))]
    ours = [lucid.tensor(d, requires_grad=True) for d in data]
    theirs = [torch.tensor(d, requires_grad=True) for d in data]
    n = 3 if with_bias else 2
    y, yt = linear(*ours[:n]), torch.nn.functional.linear(*theirs[:n])
    upstream = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    for a, t in zip(ours[:n], theirs[:n], strict=True):
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_linear_only_computes_needed_gradients(rng):
    x = lucid.tensor(rng.standard_normal((4, 3)))
    w = leaf(rng, (2, 3))
    linear(x, w).sum().backward()
    np.testing.assert_allclose(w.grad, np.ones((4, 2)).T @ x.numpy())


def test_linear_names_mismatched_shapes():
    with pytest.raises(ValueError, match=r"\(4, 5\).*\(2, 3\)"):
        linear(lucid.zeros(4, 5), lucid.zeros(2, 3))
    with pytest.raises(ValueError, match="bias of shape"):
        linear(lucid.zeros(4, 3), lucid.zeros(2, 3), lucid.zeros(3))


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(5, 4, 3), (0, 4, 3), (2, 0, 3)])
def test_linear_folded_batch_matches_torch_on_strided_and_empty_inputs(shape, rng):
    """More than two dims run as one 2-D product over the folded batch, also when x is a
    transposed view (reshape copies) or has an empty axis."""
    torch = pytest.importorskip("torch")
    data = [rng.standard_normal(s) for s in (shape, (2, 3), (2,))]
    x, w, b = (lucid.tensor(a, requires_grad=True) for a in data)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in data)
    y, yt = linear(x.transpose(0, 1), w, b), torch.nn.functional.linear(xt.transpose(0, 1), wt, bt)
    upstream = rng.standard_normal(y.shape)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    for a, t in ((x, xt), (w, wt), (b, bt)):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)
