"""Gradients through compiled calls equal eager ones; SGD training steps stay in lockstep."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
import lucid.optim as optim
from lucid.autograd import gradcheck
from lucid.kernels import _jit


def _tol(dtype):
    return {"rtol": 1e-12, "atol": 1e-12} if dtype == np.float64 else {"rtol": 1e-6, "atol": 1e-6}


def _grads(fn, dtype, rng, upstream=None):
    data_x = rng.standard_normal((5, 7)).astype(dtype)
    data_b = rng.standard_normal(7).astype(dtype)
    x = lucid.tensor(data_x, requires_grad=True)
    b = lucid.tensor(data_b, requires_grad=True)
    out = fn(x, b)
    out.backward(upstream)
    return out.detach().numpy(), x.grad.numpy(), b.grad.numpy()


def _elementwise(x, b):
    y = x
    for _ in range(4):
        y = (y * 1.0001 + b).tanh()
    y = F.sigmoid(y) * y.exp() - y.square() / 3.0 + lucid.maximum(y, b * 0.5).relu()
    return (y.abs() + 1.0).sqrt() / (b.square() + 1.0) - y.neg() + lucid.minimum(y, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compile_gradients_of_an_elementwise_chain_match_eager(dtype, rng):
    upstream = rng.standard_normal((5, 7)).astype(dtype)  # random, not ones
    compiled = lucid.compile(_elementwise)
    eager = _grads(_elementwise, dtype, np.random.default_rng(3), upstream)
    for _ in range(2):  # traced call, then replays
        got = _grads(compiled, dtype, np.random.default_rng(3), upstream)
        for a, e in zip(got, eager, strict=True):
            np.testing.assert_allclose(a, e, **_tol(dtype))
    assert compiled.traces == 1
    assert compiled.last.needs_grad and compiled.last.fused  # recorded as fused ops
    if _jit.JIT_ENABLED:
        assert all(node.kernel_backward is not None for node in compiled.last.fused)


def test_compile_fused_backward_refuses_create_graph(rng):
    if not _jit.JIT_ENABLED:
        pytest.skip("without the JIT the member ops are recorded, so create_graph works")
    compiled = lucid.compile(lambda x: (x * 2.0 + 1.0).tanh())
    x = lucid.tensor(rng.standard_normal(4), requires_grad=True)
    compiled(x)
    with pytest.raises(RuntimeError, match="cannot be differentiated twice"):
        lucid.autograd.grad(compiled(x).sum(), x, create_graph=True)


def test_compile_gradients_pass_gradcheck(rng):
    compiled = lucid.compile(_elementwise)
    x = lucid.tensor(rng.standard_normal((3, 7)), requires_grad=True)
    b = lucid.tensor(rng.standard_normal(7), requires_grad=True)
    compiled(x, b)  # trace; gradcheck then runs replays
    assert gradcheck(compiled, (x, b))


def _mlp(dtype):
    lucid.random.seed(4)
    model = nn.Sequential(
        nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1)
    )
    return model.double() if dtype == np.float64 else model


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compile_sgd_training_steps_match_eager(dtype, rng):
    eager_model, compiled_model = _mlp(dtype), _mlp(dtype)
    eager_opt = optim.SGD(eager_model.parameters(), lr=0.05, momentum=0.9)
    compiled_opt = optim.SGD(compiled_model.parameters(), lr=0.05, momentum=0.9)

    def loss_of(model):
        return lambda x, y: F.mse_loss(model(x), y)

    eager_loss, compiled_loss = loss_of(eager_model), lucid.compile(loss_of(compiled_model))
    for _ in range(4):
        x = lucid.tensor(rng.standard_normal((6, 8)).astype(dtype))
        y = lucid.tensor(rng.standard_normal((6, 1)).astype(dtype))
        losses = []
        for opt, loss_fn in ((eager_opt, eager_loss), (compiled_opt, compiled_loss)):
            opt.zero_grad()
            loss = loss_fn(x, y)
            loss.backward()
            opt.step()
            losses.append(loss.detach().numpy())
        np.testing.assert_allclose(losses[1], losses[0], **_tol(dtype))
        for pe, pc in zip(eager_model.parameters(), compiled_model.parameters(), strict=True):
            np.testing.assert_allclose(pc.grad.numpy(), pe.grad.numpy(), **_tol(dtype))
            np.testing.assert_allclose(pc.numpy(), pe.numpy(), **_tol(dtype))
    assert compiled_loss.traces == 1


def test_compile_module_forward_then_backward_matches_eager(rng):
    model = _mlp(np.float64)
    compiled = lucid.compile(model)
    x = lucid.tensor(rng.standard_normal((3, 8)), requires_grad=True)
    upstream = rng.standard_normal((3, 1))
    compiled(x)
    out = compiled(x)
    out.backward(upstream)
    got = [x.grad.numpy().copy()] + [p.grad.numpy().copy() for p in model.parameters()]
    x.grad = None
    model.zero_grad()
    model(x).backward(upstream)
    want = [x.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]
    for a, e in zip(got, want, strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)


def test_compile_frozen_parameter_retraces(rng):
    model = _mlp(np.float64)
    compiled = lucid.compile(model)
    x = lucid.tensor(rng.standard_normal((3, 8)))
    compiled(x)
    assert compiled(x).requires_grad
    for p in model.parameters():
        p.requires_grad_(False)
    assert not compiled(x).requires_grad
    assert compiled.traces == 2


def _lstm(xs, h, c, w, u, b):
    """An LSTM from primitives over the steps of ``xs``: the loss of the last hidden state."""
    n = h.shape[1]
    for t in range(xs.shape[0]):
        gates = xs[t] @ w + h @ u + b
        i, f = F.sigmoid(gates[:, :n]), F.sigmoid(gates[:, n : 2 * n])
        g, o = gates[:, 2 * n : 3 * n].tanh(), F.sigmoid(gates[:, 3 * n :])
        c = f * c + i * g
        h = o * c.tanh()
    return (h * h).sum() + c.sum()


def test_compile_lstm_from_primitives_gradients_match_eager(rng):
    shapes = [(3, 2, 4), (2, 5), (2, 5), (4, 20), (5, 20), (20,)]
    data = [rng.standard_normal(s) for s in shapes]
    compiled = lucid.compile(_lstm)
    results = []
    for fn in (_lstm, compiled, compiled):
        args = [lucid.tensor(a, requires_grad=True) for a in data]
        loss = fn(*args)
        loss.backward()
        results.append([loss.numpy()] + [a.grad.numpy() for a in args])
    for got in results[1:]:
        for a, e in zip(got, results[0], strict=True):
            np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)
    assert compiled.last.fused  # the cell's elementwise update is fused
