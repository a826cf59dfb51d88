"""Hypothesis: random compositions of ops on random shapes (0-d and zero-size included) give
PyTorch's values and gradients in float64."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import lucid

pytestmark = pytest.mark.torch

# Each entry: (name, arity, lucid function, torch function); inputs stay in a safe domain
# because every unary op is applied to a bounded value (tanh/sigmoid squashes) first.
UNARY = [
    ("tanh", lambda x: x.tanh(), lambda x: x.tanh()),
    ("sigmoid", lambda x: x.sigmoid(), lambda x: x.sigmoid()),
    ("exp_of_tanh", lambda x: x.tanh().exp(), lambda x: x.tanh().exp()),
    ("log_of_sigmoid", lambda x: x.sigmoid().log(), lambda x: x.sigmoid().log()),
    ("square", lambda x: x * x, lambda x: x * x),
    ("neg", lambda x: -x, lambda x: -x),
    ("sin", lambda x: x.sin(), lambda x: x.sin()),
    ("scale", lambda x: x * 0.5 + 1.0, lambda x: x * 0.5 + 1.0),
]
BINARY = [
    ("add", lambda a, b: a + b, lambda a, b: a + b),
    ("sub", lambda a, b: a - b, lambda a, b: a - b),
    ("mul", lambda a, b: a * b, lambda a, b: a * b),
    ("div", lambda a, b: a / (b.tanh() + 2.0), lambda a, b: a / (b.tanh() + 2.0)),
    ("maximum", lambda a, b: lucid.maximum(a, b), lambda a, b: a.maximum(b)),
]


@st.composite
def programs(draw):
    shapes = draw(
        mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=3)
    )
    steps = draw(
        st.lists(
            st.one_of(
                st.tuples(st.just("u"), st.integers(0, len(UNARY) - 1), st.integers(0, 1)),
                st.tuples(st.just("b"), st.integers(0, len(BINARY) - 1), st.integers(0, 1)),
            ),
            min_size=1,
            max_size=6,
        )
    )
    reduce_ = draw(st.sampled_from(["sum", "mean_or_sum"]))
    seed = draw(st.integers(0, 2**31 - 1))
    return shapes.input_shapes, steps, reduce_, seed


def _run(lib, ops_first, xs, steps, reduce_):
    vals = list(xs)
    for kind, k, slot in steps:
        if kind == "u":
            vals[slot] = UNARY[k][ops_first](vals[slot])
        else:
            vals[slot] = BINARY[k][ops_first](vals[slot], vals[1 - slot])
    out = vals[0] + vals[1]
    if reduce_ == "mean_or_sum" and out.numel() > 0:
        return out.mean()
    return out.sum()


@settings(max_examples=80, deadline=None)
@given(programs())
def test_random_compositions_match_torch_in_float64(program):
    torch = pytest.importorskip("torch")
    shapes, steps, reduce_, seed = program
    rng = np.random.default_rng(seed)
    data = [rng.standard_normal(s) for s in shapes]
    xs = [lucid.tensor(d, requires_grad=True) for d in data]
    ts = [torch.tensor(d, requires_grad=True) for d in data]
    y = _run(lucid, 1, xs, steps, reduce_)
    yt = _run(torch, 2, ts, steps, reduce_)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    y.backward()
    yt.backward()
    for x, t in zip(xs, ts, strict=True):
        if t.grad is None:
            assert x.grad is None or not x.grad.numpy().any()
            continue
        assert x.grad.shape == tuple(t.grad.shape)
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3), st.integers(0, 2**31 - 1))
def test_second_derivatives_of_compositions_match_torch(shape, seed):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(seed).standard_normal(shape)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)

    def f(lib_x):
        return ((lib_x * 0.7).tanh() * lib_x.sigmoid() + lib_x * lib_x).sum()

    (g,) = lucid.autograd.grad(f(x), x, create_graph=True)
    (gt,) = torch.autograd.grad(f(xt), xt, create_graph=True)
    (gg,) = lucid.autograd.grad((g * g).sum(), x)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), xt)
    np.testing.assert_allclose(g.numpy(), gt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gg.numpy(), ggt.numpy(), rtol=1e-9, atol=1e-12)
