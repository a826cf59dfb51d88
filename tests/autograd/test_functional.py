"""lucid.autograd.functional: vjp, jvp, vhp, hvp, jacobian and hessian, with PyTorch's
signatures and return conventions."""

import numpy as np
import pytest

import lucid
from lucid.autograd import functional as AF


def f64(a, requires_grad=False):
    return lucid.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def two_in_one_out(x, w):
    return lucid.tanh(w @ (x * x)) * lucid.exp(w.sum(axis=1) * 0.1)


def two_in_one_out_torch(x, w):
    import torch

    return torch.tanh(w @ (x * x)) * torch.exp(w.sum(dim=1) * 0.1)


def one_in_two_out(x):
    return lucid.sin(x) * 2.0, (x * x).sum()


def test_vjp_of_a_single_input_returns_a_tensor(rng):
    a = rng.standard_normal(3)
    out, g = AF.vjp(lambda x: (x * x * x).sum(), f64(a))
    assert isinstance(g, lucid.Tensor) and not g.requires_grad and not out.requires_grad
    np.testing.assert_allclose(g.numpy(), 3 * a**2)


def test_vjp_mirrors_tuple_inputs_and_outputs(rng):
    a = rng.standard_normal(3)
    v = (f64(rng.standard_normal(3)), f64(1.5))
    outs, g = AF.vjp(one_in_two_out, (f64(a),), v)
    assert isinstance(outs, tuple) and len(outs) == 2
    assert isinstance(g, tuple) and len(g) == 1
    np.testing.assert_allclose(g[0].numpy(), 2 * np.cos(a) * v[0].numpy() + 2 * a * 1.5)


def test_jvp_is_the_jacobian_times_v(rng):
    a = rng.standard_normal(3)
    v = rng.standard_normal(3)
    outs, jv = AF.jvp(one_in_two_out, f64(a), f64(v))
    assert isinstance(jv, tuple) and len(jv) == 2
    np.testing.assert_allclose(jv[0].numpy(), 2 * np.cos(a) * v)
    np.testing.assert_allclose(jv[1].numpy(), np.sum(2 * a * v))


@pytest.mark.torch
def test_vjp_jvp_and_jacobian_match_torch(rng):
    torch = pytest.importorskip("torch")
    x0 = rng.standard_normal(3).astype(np.float32)
    w0 = rng.standard_normal((2, 3)).astype(np.float32)
    u = rng.standard_normal(2).astype(np.float32)
    vx, vw = (
        rng.standard_normal(3).astype(np.float32),
        rng.standard_normal((2, 3)).astype(np.float32),
    )
    inputs = (lucid.tensor(x0), lucid.tensor(w0))
    tinputs = (torch.tensor(x0), torch.tensor(w0))
    _, got = AF.vjp(two_in_one_out, inputs, lucid.tensor(u))
    _, want = torch.autograd.functional.vjp(two_in_one_out_torch, tinputs, torch.tensor(u))
    for g, t in zip(got, want, strict=True):
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)
    _, got = AF.jvp(two_in_one_out, inputs, (lucid.tensor(vx), lucid.tensor(vw)))
    _, want = torch.autograd.functional.jvp(
        two_in_one_out_torch, tinputs, (torch.tensor(vx), torch.tensor(vw))
    )
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
    got = AF.jacobian(two_in_one_out, inputs)
    want = torch.autograd.functional.jacobian(two_in_one_out_torch, tinputs)
    for g, t in zip(got, want, strict=True):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_jacobian_return_conventions(strategy, rng):
    x, w = f64(rng.standard_normal(3)), f64(rng.standard_normal((2, 3)))
    single = AF.jacobian(lambda x: lucid.tanh(x * 2.0), x, strategy=strategy)
    assert isinstance(single, lucid.Tensor) and single.shape == (3, 3)
    np.testing.assert_allclose(single.numpy(), np.diag(2 * (1 - np.tanh(2 * x.numpy()) ** 2)))
    by_input = AF.jacobian(two_in_one_out, (x, w), strategy=strategy)
    assert [j.shape for j in by_input] == [(2, 3), (2, 2, 3)]
    by_output = AF.jacobian(one_in_two_out, x, strategy=strategy)
    assert [j.shape for j in by_output] == [(3, 3), (3,)]
    both = AF.jacobian(one_in_two_out, (x,), strategy=strategy)
    assert isinstance(both[0], tuple) and [b[0].shape for b in both] == [(3, 3), (3,)]


def test_forward_and_reverse_jacobians_agree(rng):
    inputs = (f64(rng.standard_normal(3)), f64(rng.standard_normal((2, 3))))
    reverse = AF.jacobian(two_in_one_out, inputs)
    forward = AF.jacobian(two_in_one_out, inputs, strategy="forward-mode")
    for r, f in zip(reverse, forward, strict=True):
        np.testing.assert_allclose(r.numpy(), f.numpy(), rtol=1e-12, atol=1e-12)


def test_jacobian_with_create_graph_is_differentiable(rng):
    x = f64(rng.standard_normal(4), requires_grad=True)
    jac = AF.jacobian(lambda x: x * x * x, x, create_graph=True)
    assert jac.requires_grad
    (g,) = lucid.autograd.grad(jac.sum(), x)  # sum of diag(3 x**2)
    np.testing.assert_allclose(g.numpy(), 6 * x.numpy())


def test_jacobian_of_an_unused_input_is_zero_unless_strict(rng):
    x, y = f64(rng.standard_normal(2)), f64(rng.standard_normal(3))
    jx, jy = AF.jacobian(lambda x, y: x * 2.0, (x, y))
    np.testing.assert_allclose(jx.numpy(), 2 * np.eye(2))
    assert jy.shape == (2, 3) and not jy.numpy().any()
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.jacobian(lambda x, y: x * 2.0, (x, y), strict=True)


def test_hessian_and_hvp_of_a_cubic_form(rng):
    a = rng.standard_normal(3)
    x = f64(a)
    h = AF.hessian(lambda x: (x * x * x).sum(), x)
    np.testing.assert_allclose(h.numpy(), np.diag(6 * a))
    v = rng.standard_normal(3)
    out, hv = AF.hvp(lambda x: (x * x * x).sum(), x, f64(v))
    np.testing.assert_allclose(out.item(), np.sum(a**3))
    np.testing.assert_allclose(hv.numpy(), 6 * a * v)
    _, vh = AF.vhp(lambda x: (x * x * x).sum(), (x,), (f64(v),))
    assert isinstance(vh, tuple)
    np.testing.assert_allclose(vh[0].numpy(), 6 * a * v)


def test_hessian_of_tuple_inputs_is_a_tuple_of_tuples(rng):
    x, y = f64(rng.standard_normal(2)), f64(rng.standard_normal(3))
    h = AF.hessian(lambda x, y: (x * x).sum() * y.sum(), (x, y))
    assert [[b.shape for b in row] for row in h] == [[(2, 2), (2, 3)], [(3, 2), (3, 3)]]
    np.testing.assert_allclose(h[0][0].numpy(), 2 * y.numpy().sum() * np.eye(2))
    np.testing.assert_allclose(h[0][1].numpy(), np.repeat(2 * x.numpy()[:, None], 3, axis=1))
    np.testing.assert_allclose(h[1][0].numpy(), h[0][1].numpy().T)
    assert not h[1][1].numpy().any()


@pytest.mark.torch
def test_hessian_and_hvp_match_torch(rng):
    torch = pytest.importorskip("torch")
    x0 = rng.standard_normal(3).astype(np.float32)
    w0 = rng.standard_normal((2, 3)).astype(np.float32)
    v = (rng.standard_normal(3).astype(np.float32), rng.standard_normal((2, 3)).astype(np.float32))

    def loss(x, w):
        y = two_in_one_out(x, w)
        return (y * y).sum()

    def loss_torch(x, w):
        return (two_in_one_out_torch(x, w) ** 2).sum()

    inputs = (lucid.tensor(x0), lucid.tensor(w0))
    tinputs = (torch.tensor(x0), torch.tensor(w0))
    got = AF.hessian(loss, inputs)
    want = torch.autograd.functional.hessian(loss_torch, tinputs)
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(got[i][j].numpy(), want[i][j].numpy(), rtol=1e-4, atol=1e-5)
    _, got = AF.hvp(loss, inputs, tuple(lucid.tensor(a) for a in v))
    _, want = torch.autograd.functional.hvp(loss_torch, tinputs, tuple(torch.tensor(a) for a in v))
    for g, t in zip(got, want, strict=True):
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-4, atol=1e-5)


def test_results_are_detached_and_inputs_untouched(rng):
    x = f64(rng.standard_normal(3), requires_grad=True)
    out, g = AF.vjp(lambda x: (x * x).sum(), x)
    assert not out.requires_grad and not g.requires_grad and x.grad is None
    out, g = AF.vjp(lambda x: (x * x).sum(), x, create_graph=True)
    assert out.requires_grad and g.requires_grad


def test_functional_errors(rng):
    x = f64(rng.standard_normal(3))
    with pytest.raises(ValueError, match="v may be omitted only"):
        AF.vjp(lambda x: x * 2.0, x)
    with pytest.raises(ValueError, match=r"v\[0\] has shape \(2,\), the output has \(3,\)"):
        AF.vjp(lambda x: x * 2.0, x, f64(np.ones(2)))
    with pytest.raises(TypeError, match="inputs must be a Tensor"):
        AF.jacobian(lambda x: x, np.ones(3))
    with pytest.raises(TypeError, match="output of func"):
        AF.jacobian(lambda x: 3.0, x)
    with pytest.raises(ValueError, match="single element"):
        AF.hessian(lambda x: x * x, x)
    with pytest.raises(ValueError, match="strategy"):
        AF.jacobian(lambda x: x, x, strategy="sideways")
    with pytest.raises(TypeError, match="floating point"):
        AF.jacobian(lambda x: x, lucid.tensor([1, 2]))
