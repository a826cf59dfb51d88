"""Losses: every reduction, weights, ignore_index and label smoothing, against PyTorch and
finite differences; stability at extreme logits; errors."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck

REDUCTIONS = ["none", "mean", "sum"]


def _leaf(data, dtype=lucid.float64):
    return lucid.tensor(data, dtype=dtype, requires_grad=True)


def _backward_both(torch, out, out_t, rng):
    """Backpropagate one random upstream gradient through both results."""
    upstream = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(upstream)
    out_t.backward(torch.tensor(upstream))


def _close(a, b, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(a), b.detach().numpy(), rtol=rtol, atol=atol)


# --------------------------------------------------------------------------- cross-entropy

CE_SHAPES = [((6, 4), (6,)), ((3, 4, 2, 2), (3, 2, 2)), ((5,), ())]


def _class_targets(rng, logits_shape, target_shape, ignore=False):
    c = logits_shape[1] if len(logits_shape) > 1 else logits_shape[0]
    target = rng.integers(0, c, target_shape)
    if ignore and target.size > 1:
        target.reshape(-1)[0] = -100
    return target


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("shape", "target_shape"), CE_SHAPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_matches_torch(reduction, shape, target_shape, weighted, smoothing, rng):
    torch = pytest.importorskip("torch")
    c = shape[1] if len(shape) > 1 else shape[0]
    data = (3 * rng.standard_normal(shape)).astype(np.float32)
    target = _class_targets(rng, shape, target_shape, ignore=True)
    weight = rng.uniform(0.5, 2, c).astype(np.float32) if weighted else None
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out = F.cross_entropy(x, target, weight=weight, reduction=reduction, label_smoothing=smoothing)
    out_t = torch.nn.functional.cross_entropy(
        xt, torch.tensor(target), weight=None if weight is None else torch.tensor(weight),
        reduction=reduction, label_smoothing=smoothing,
    )  # fmt: skip
    assert out.dtype == np.float32 and out.shape == tuple(out_t.shape)
    _close(out.numpy(), out_t)
    _backward_both(torch, out, out_t, rng)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4)])
@pytest.mark.parametrize(("weighted", "smoothing"), [(False, 0.0), (True, 0.2)])
def test_cross_entropy_with_probability_targets_matches_torch(
    reduction, shape, weighted, smoothing, rng
):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal(shape).astype(np.float32)
    probs = rng.dirichlet(np.ones(3), size=(shape[0],) + shape[2:])
    probs = np.moveaxis(probs, -1, 1).astype(np.float32)
    weight = rng.uniform(0.5, 2, 3).astype(np.float32) if weighted else None
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out = F.cross_entropy(x, probs, weight=weight, reduction=reduction, label_smoothing=smoothing)
    out_t = torch.nn.functional.cross_entropy(
        xt, torch.tensor(probs), weight=None if weight is None else torch.tensor(weight),
        reduction=reduction, label_smoothing=smoothing,
    )  # fmt: skip
    _close(out.numpy(), out_t)
    _backward_both(torch, out, out_t, rng)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("shape", "target_shape"), CE_SHAPES)
@pytest.mark.parametrize(("reduction", "smoothing"), [("none", 0.0), ("mean", 0.25), ("sum", 0.1)])
def test_cross_entropy_gradient_matches_finite_differences(
    shape, target_shape, reduction, smoothing, rng
):
    c = shape[1] if len(shape) > 1 else shape[0]
    x = _leaf(rng.standard_normal(shape))
    target = _class_targets(rng, shape, target_shape, ignore=True)
    weight = rng.uniform(0.5, 2, c)

    def loss(t):
        return F.cross_entropy(t, target, weight, reduction=reduction, label_smoothing=smoothing)

    assert gradcheck(loss, (x,))


def test_cross_entropy_probability_target_gradient_matches_finite_differences(rng):
    x = _leaf(rng.standard_normal((4, 3)))
    probs = rng.dirichlet(np.ones(3), size=4)
    assert gradcheck(lambda t: F.cross_entropy(t, probs, label_smoothing=0.1), (x,))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_finite_for_huge_logits(dtype):
    x = lucid.tensor(np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]], dtype), requires_grad=True)
    loss = F.cross_entropy(x, np.array([1, 1]))
    loss.backward()
    assert loss.dtype == dtype
    np.testing.assert_allclose(loss.item(), 1e4, rtol=1e-6)  # (2e4 + 0) / 2
    assert np.isfinite(x.grad).all()
    np.testing.assert_allclose(x.grad, [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]], atol=1e-7)


def test_cross_entropy_gradient_of_a_tensor_upstream_matches_the_kernel(rng):
    # A tensor upstream (higher-order gradients) takes the coefficient form: same numbers.
    x = lucid.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    target = np.array([0, 3, -100, 2, 2])
    loss = F.cross_entropy(x, target, weight=[1.0, 2.0, 0.5, 1.5], reduction="none",
                           label_smoothing=0.2)  # fmt: skip
    op = loss._op.parents[0]._op  # CrossEntropy, below the reshape to the target's shape
    g = rng.standard_normal(5)
    as_tensor = op.gradient(lucid.tensor(g))
    assert isinstance(as_tensor, lucid.Tensor)
    np.testing.assert_allclose(as_tensor.numpy(), op.gradient(g), rtol=1e-10, atol=1e-12)


def test_cross_entropy_target_errors():
    x = lucid.ones(3, 4)
    with pytest.raises(IndexError, match="target value 4 is out of range for 4 classes"):
        F.cross_entropy(x, np.array([0, 4, 1]))
    with pytest.raises(IndexError, match="target value -1"):
        F.cross_entropy(x, np.array([0, -1, 1]))
    with pytest.raises(ValueError, match=r"target of shape \(3,\).*got \(2,\)"):
        F.cross_entropy(x, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"probability target of shape \(3, 3\)"):
        F.cross_entropy(x, np.ones((3, 3), np.float32))
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\)"):
        F.cross_entropy(x, np.array([0, 1, 2]), weight=np.ones(3))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, np.array([0, 1, 2]), reduction="avg")
    with pytest.raises(TypeError, match="integer"):
        F.nll_loss(x, np.array([0.0, 1.0, 2.0]))


def test_cross_entropy_of_all_ignored_targets_is_nan_as_torch():
    loss = F.cross_entropy(lucid.ones(2, 3), np.array([-100, -100]))
    assert np.isnan(loss.item())


# --------------------------------------------------------------------------- nll


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("shape", "target_shape"), CE_SHAPES)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_matches_torch(reduction, shape, target_shape, weighted, rng):
    torch = pytest.importorskip("torch")
    c = shape[1] if len(shape) > 1 else shape[0]
    data = rng.standard_normal(shape).astype(np.float32)
    target = _class_targets(rng, shape, target_shape, ignore=True)
    weight = rng.uniform(0.5, 2, c).astype(np.float32) if weighted else None
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out = F.nll_loss(x, target, weight=weight, reduction=reduction)
    out_t = torch.nn.functional.nll_loss(
        xt, torch.tensor(target), weight=None if weight is None else torch.tensor(weight),
        reduction=reduction,
    )  # fmt: skip
    _close(out.numpy(), out_t)
    _backward_both(torch, out, out_t, rng)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_nll_loss_gradient_matches_finite_differences(rng):
    x = _leaf(rng.standard_normal((5, 3, 2)))
    target = rng.integers(0, 3, (5, 2))
    assert gradcheck(lambda t: F.nll_loss(t, target, weight=[1.0, 2.0, 0.5]), (x,))


def test_cross_entropy_equals_nll_of_log_softmax(rng):
    x = lucid.tensor(rng.standard_normal((6, 5)), requires_grad=True)
    target = rng.integers(0, 5, 6)
    a = F.cross_entropy(x, target)
    b = F.nll_loss(F.log_softmax(x, dim=1), target)
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-12)


# --------------------------------------------------------------------------- regression

# name: (lucid loss, torch name, keyword arguments)
PAIRWISE = {
    "mse": (F.mse_loss, "mse_loss", {}),
    "l1": (F.l1_loss, "l1_loss", {}),
    "smooth_l1": (F.smooth_l1_loss, "smooth_l1_loss", {"beta": 0.7}),
    "smooth_l1_beta0": (F.smooth_l1_loss, "smooth_l1_loss", {"beta": 0.0}),
    "kl_div": (F.kl_div, "kl_div", {}),
    "kl_div_log_target": (F.kl_div, "kl_div", {"log_target": True}),
}


def _pair(name, rng, shape):
    """Input and target, away from the kinks (|d| = 0, |d| = beta) and with t > 0 for KL."""
    x = rng.standard_normal(shape)
    if name.startswith("kl_div"):
        t = rng.uniform(0.1, 1.0, shape)
        return x, (np.log(t) if "log" in name else t)
    d = rng.uniform(0.1, 0.6, shape) * rng.choice([-1, 1], shape)
    d = np.where(rng.random(shape) < 0.5, d, 3 * d)  # both sides of beta = 0.7
    return x, x - d


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")  # torch's kl_div notice
@pytest.mark.parametrize("name", PAIRWISE)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pairwise_loss_matches_torch(name, reduction, rng):
    torch = pytest.importorskip("torch")
    f, torch_name, kwargs = PAIRWISE[name]
    a, b = (v.astype(np.float32) for v in _pair(name, rng, (4, 5)))
    x, xt = lucid.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    t, tt = lucid.tensor(b, requires_grad=True), torch.tensor(b, requires_grad=True)
    out = f(x, t, reduction=reduction, **kwargs)
    out_t = getattr(torch.nn.functional, torch_name)(xt, tt, reduction=reduction, **kwargs)
    _close(out.numpy(), out_t)
    _backward_both(torch, out, out_t, rng)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", PAIRWISE)
def test_pairwise_loss_gradient_matches_finite_differences(name, rng):
    f, _, kwargs = PAIRWISE[name]
    a, b = _pair(name, rng, (3, 4))
    assert gradcheck(lambda x, t: f(x, t, reduction="sum", **kwargs), (_leaf(a), _leaf(b)))


@pytest.mark.torch
def test_kl_div_batchmean_matches_torch(rng):
    torch = pytest.importorskip("torch")
    logp = np.log(rng.dirichlet(np.ones(4), size=3)).astype(np.float32)
    t = rng.dirichlet(np.ones(4), size=3).astype(np.float32)
    t[0, 0] = 0.0  # 0 log 0 counts as 0
    out = F.kl_div(lucid.tensor(logp), lucid.tensor(t), reduction="batchmean")
    out_t = torch.nn.functional.kl_div(torch.tensor(logp), torch.tensor(t), reduction="batchmean")
    _close(out.numpy(), out_t)


def test_pairwise_loss_warns_about_broadcasting():
    with pytest.warns(UserWarning, match=r"\(3, 1\).*\(3,\)"):
        F.mse_loss(lucid.ones(3, 1), lucid.ones(3))


# --------------------------------------------------------------------------- binary


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_matches_torch(reduction, weighted, rng):
    torch = pytest.importorskip("torch")
    p = rng.uniform(0.05, 0.95, (4, 3)).astype(np.float32)
    t = rng.uniform(0, 1, (4, 3)).astype(np.float32)
    w = rng.uniform(0.5, 2, 3).astype(np.float32) if weighted else None
    x, xt = lucid.tensor(p, requires_grad=True), torch.tensor(p, requires_grad=True)
    y, yt = lucid.tensor(t, requires_grad=True), torch.tensor(t, requires_grad=True)
    out = F.binary_cross_entropy(x, y, weight=w, reduction=reduction)
    out_t = torch.nn.functional.binary_cross_entropy(
        xt, yt, weight=None if w is None else torch.tensor(w).expand(4, 3), reduction=reduction
    )
    _close(out.numpy(), out_t)
    _backward_both(torch, out, out_t, rng)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(y.grad, yt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("weighted", "pos_weighted"), [(False, False), (True, True)])
def test_binary_cross_entropy_with_logits_matches_torch(reduction, weighted, pos_weighted, rng):
    torch = pytest.importorskip("torch")
    z = (4 * rng.standard_normal((5, 3))).astype(np.float32)
    t = rng.uniform(0, 1, (5, 3)).astype(np.float32)
    w = rng.uniform(0.5, 2, (5, 1)).astype(np.float32) if weighted else None
    pw = rng.uniform(0.5, 3, 3).astype(np.float32) if pos_weighted else None
    x, xt = lucid.tensor(z, requires_grad=True), torch.tensor(z, requires_grad=True)
    y, yt = lucid.tensor(t, requires_grad=True), torch.tensor(t, requires_grad=True)
    out = F.binary_cross_entropy_with_logits(x, y, w, reduction=reduction, pos_weight=pw)
    out_t = torch.nn.functional.binary_cross_entropy_with_logits(
        xt, yt, None if w is None else torch.tensor(w), reduction=reduction,
        pos_weight=None if pw is None else torch.tensor(pw),
    )  # fmt: skip
    _close(out.numpy(), out_t)
    _backward_both(torch, out, out_t, rng)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y.grad, yt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_binary_losses_gradients_match_finite_differences(rng):
    p, t = rng.uniform(0.1, 0.9, (3, 4)), rng.uniform(0, 1, (3, 4))
    w, pw = rng.uniform(0.5, 2, 4), rng.uniform(0.5, 2, 4)
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b, w), (_leaf(p), _leaf(t)))
    z = 3 * rng.standard_normal((3, 4))

    def with_logits(a, b):
        return F.binary_cross_entropy_with_logits(a, b, w, reduction="sum", pos_weight=pw)

    assert gradcheck(with_logits, (_leaf(z), _leaf(t)))


def test_binary_cross_entropy_with_logits_is_stable_at_huge_logits():
    x = lucid.tensor([1e4, -1e4, 100.0, -100.0], requires_grad=True)
    t = lucid.tensor([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    loss.sum().backward()
    np.testing.assert_allclose(loss.numpy(), [0, 0, 100, 100], atol=1e-6)
    np.testing.assert_allclose(x.grad, [0, 0, 1, -1], atol=1e-6)


def test_binary_cross_entropy_floors_logs_and_checks_its_input():
    loss = F.binary_cross_entropy(lucid.tensor([0.0, 1.0]), lucid.tensor([1.0, 0.0]))
    np.testing.assert_allclose(loss.item(), 100.0)  # log floored at -100, as PyTorch
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        F.binary_cross_entropy(lucid.tensor([1.5]), lucid.tensor([1.0]))
    with pytest.raises(ValueError, match=r"target shape \(2,\).*input shape \(2, 1\)"):
        F.binary_cross_entropy_with_logits(lucid.ones(2, 1), lucid.ones(2))


# --------------------------------------------------------------------------- modules

# name: (constructor keyword arguments, input sampler, target sampler)
MODULES = {
    "CrossEntropyLoss": (
        {"weight": [1.0, 2.0, 0.5], "ignore_index": 1, "label_smoothing": 0.1},
        lambda rng: rng.standard_normal((4, 3)), lambda rng: rng.integers(0, 3, 4),
    ),
    "NLLLoss": ({"reduction": "sum"}, lambda rng: rng.standard_normal((4, 3)),
                lambda rng: rng.integers(0, 3, 4)),
    "MSELoss": ({}, lambda rng: rng.standard_normal(5), lambda rng: rng.standard_normal(5)),
    "L1Loss": ({"reduction": "none"}, lambda rng: rng.standard_normal(5),
               lambda rng: rng.standard_normal(5)),
    "SmoothL1Loss": ({"beta": 0.5}, lambda rng: rng.standard_normal(5),
                     lambda rng: rng.standard_normal(5)),
    "BCELoss": ({"weight": [0.5, 2.0]}, lambda rng: rng.uniform(0.1, 0.9, (3, 2)),
                lambda rng: rng.uniform(0, 1, (3, 2))),
    "BCEWithLogitsLoss": ({"pos_weight": [2.0, 0.5]}, lambda rng: rng.standard_normal((3, 2)),
                          lambda rng: rng.uniform(0, 1, (3, 2))),
    "KLDivLoss": ({"reduction": "batchmean"}, lambda rng: rng.standard_normal((3, 2)),
                  lambda rng: rng.uniform(0.1, 1, (3, 2))),
}  # fmt: skip
TENSOR_ARGS = ("weight", "pos_weight")


@pytest.mark.torch
@pytest.mark.parametrize("name", MODULES)
def test_loss_modules_match_torch(name, rng):
    torch = pytest.importorskip("torch")
    kwargs, sample_x, sample_t = MODULES[name]
    ours_kw = {k: (lucid.tensor(v) if k in TENSOR_ARGS else v) for k, v in kwargs.items()}
    theirs_kw = {k: (torch.tensor(v) if k in TENSOR_ARGS else v) for k, v in kwargs.items()}
    module, module_t = getattr(nn, name)(**ours_kw), getattr(torch.nn, name)(**theirs_kw)
    assert repr(module) == repr(module_t)
    assert list(module.state_dict()) == list(module_t.state_dict())
    x_np = sample_x(rng).astype(np.float32)
    t_np = sample_t(rng)
    t_np = t_np.astype(np.float32) if t_np.dtype.kind == "f" else t_np
    x, xt = lucid.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    out, out_t = module(x, lucid.tensor(t_np)), module_t(xt, torch.tensor(t_np))
    _close(out.numpy(), out_t)
    _backward_both(torch, out, out_t, rng)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_loss_module_rejects_an_unknown_reduction():
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="average")
