"""Normalisation: batch, layer and group norm against finite differences and PyTorch, in
training and evaluation mode, with running statistics, and their errors."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck


def _leaf(data):
    return lucid.tensor(data, dtype=lucid.float64, requires_grad=True)


# --------------------------------------------------------------------------- functional


@pytest.mark.parametrize(("shape", "normalized"), [((4, 5), (5,)), ((2, 3, 4), (3, 4))])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm_gradient_matches_finite_differences(shape, normalized, affine, rng):
    x = _leaf(rng.standard_normal(shape))
    w = _leaf(rng.standard_normal(normalized)) if affine != "none" else None
    b = _leaf(rng.standard_normal(normalized)) if affine == "both" else None
    inputs = [t for t in (x, w, b) if t is not None]

    def f(*args):
        args = list(args)
        return F.layer_norm(args.pop(0), normalized, args.pop(0) if w is not None else None,
                            args.pop(0) if b is not None else None)  # fmt: skip

    assert gradcheck(f, inputs)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2), (2, 3, 2, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradient_matches_finite_differences(shape, training, rng):
    x, w, b = _leaf(rng.standard_normal(shape)), _leaf(rng.standard_normal(3)), _leaf(
        rng.standard_normal(3))  # fmt: skip
    mean = lucid.tensor(rng.standard_normal(3))
    var = lucid.tensor(rng.uniform(0.5, 2, 3))

    def f(x, w, b):
        # momentum 0: the running buffers stay put while gradcheck calls f many times
        return F.batch_norm(x, mean, var, w, b, training=training, momentum=0.0)

    assert gradcheck(f, (x, w, b))


@pytest.mark.parametrize("shape", [(2, 6), (3, 6, 4), (2, 6, 2, 2)])
def test_group_norm_gradient_matches_finite_differences(shape, rng):
    x, w, b = (_leaf(rng.standard_normal(s)) for s in (shape, 6, 6))
    assert gradcheck(lambda x, w, b: F.group_norm(x, 3, w, b), (x, w, b))


@pytest.mark.parametrize("norm", ["layer", "batch"])
def test_norm_gradient_of_a_tensor_upstream_matches_the_kernel(norm, rng):
    # A tensor upstream (higher-order gradients) takes the operator path: same numbers.
    x = lucid.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = lucid.tensor(rng.standard_normal(3), requires_grad=True)
    b = lucid.tensor(rng.standard_normal(3), requires_grad=True)
    if norm == "layer":
        out = F.layer_norm(x, 3, w, b)
    else:
        out = F.batch_norm(x, None, None, w, b, training=True)
    g = rng.standard_normal((4, 3))
    plain = out._op.gradient(g)
    as_tensors = out._op.gradient(lucid.tensor(g))
    for a, t in zip(plain, as_tensors, strict=True):
        assert isinstance(t, lucid.Tensor)
        np.testing.assert_allclose(t.numpy(), a, rtol=1e-10, atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize(("shape", "normalized"), [((4, 6), (6,)), ((2, 3, 4, 5), (4, 5))])
def test_layer_norm_matches_torch(shape, normalized, rng):
    torch = pytest.importorskip("torch")
    data = (2 * rng.standard_normal(shape) + 1).astype(np.float32)
    w_np, b_np = (rng.standard_normal(normalized).astype(np.float32) for _ in range(2))
    x, w, b = (lucid.tensor(a, requires_grad=True) for a in (data, w_np, b_np))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (data, w_np, b_np))
    out, out_t = F.layer_norm(x, normalized, w, b), torch.nn.functional.layer_norm(
        xt, normalized, wt, bt)  # fmt: skip
    upstream = rng.standard_normal(shape).astype(np.float32)
    out.backward(upstream)
    out_t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-5)
    for ours, theirs in ((x, xt), (w, wt), (b, bt)):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_norms_keep_float32_and_float64():
    for dtype in (np.float32, np.float64):
        x = lucid.tensor(np.arange(12.0).reshape(2, 3, 2), dtype=dtype)
        assert F.layer_norm(x, (2,)).dtype == dtype
        assert F.batch_norm(x, None, None, training=True).dtype == dtype
        assert F.group_norm(x, 3).dtype == dtype


def test_functional_norm_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"last 1 dimensions are \(4,\).*\(2, 3\)"):
        F.layer_norm(lucid.ones(2, 3), 4)
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\)"):
        F.layer_norm(lucid.ones(2, 3), 3, weight=lucid.ones(4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(lucid.ones(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="divisible"):
        F.group_norm(lucid.ones(2, 5, 3), 2)


# --------------------------------------------------------------------------- modules


def _copy_params(module, module_t):
    import torch

    with torch.no_grad():
        for p, pt in zip(module.parameters(), module_t.parameters(), strict=True):
            pt.copy_(torch.tensor(p.numpy()))


def _run_both(module, module_t, data, upstream):
    """Forward and backward of a module and its PyTorch twin; outputs and input gradients agree."""
    import torch

    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, out_t = module(x), module_t(xt)
    out.backward(upstream)
    out_t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-4, atol=1e-5)


def _assert_param_grads_match(module, module_t):
    """Each parameter's gradient equals its PyTorch twin's (parameters in the same order)."""
    for (name, p), pt in zip(module.named_parameters(), module_t.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, pt.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.torch
@pytest.mark.parametrize(
    ("cls", "kwargs", "shape"),
    [
        ("BatchNorm1d", {}, (8, 4)),
        ("BatchNorm1d", {"momentum": None}, (5, 4, 3)),
        ("BatchNorm2d", {"momentum": 0.3, "eps": 1e-3}, (3, 4, 2, 5)),
        ("BatchNorm2d", {"affine": False}, (2, 4, 3, 3)),
        ("BatchNorm2d", {"bias": False}, (2, 4, 3, 3)),
        ("BatchNorm1d", {"track_running_stats": False}, (6, 4)),
    ],
)
def test_batch_norm_module_matches_torch_through_training_and_eval(cls, kwargs, shape, rng):
    torch = pytest.importorskip("torch")
    module, module_t = getattr(nn, cls)(4, **kwargs), getattr(torch.nn, cls)(4, **kwargs)
    for p in module.parameters():
        p.numpy()[...] = rng.standard_normal(p.shape)
    _copy_params(module, module_t)
    assert repr(module) == repr(module_t)
    for step in range(3):
        data = (3 * rng.standard_normal(shape) + step).astype(np.float32)
        _run_both(module, module_t, data, rng.standard_normal(shape).astype(np.float32))
        _assert_param_grads_match(module, module_t)
        for p, pt in zip(module.parameters(), module_t.parameters(), strict=True):
            p.grad, pt.grad = None, None
    for key, value in module.state_dict().items():
        np.testing.assert_allclose(value.numpy(), module_t.state_dict()[key].numpy(), rtol=1e-5,
                                   err_msg=key)  # fmt: skip
    module.eval()
    module_t.eval()
    data = rng.standard_normal(shape).astype(np.float32)
    _run_both(module, module_t, data, rng.standard_normal(shape).astype(np.float32))


def test_batch_norm_eval_mode_leaves_running_statistics_alone(rng):
    bn = nn.BatchNorm1d(3).eval()
    bn(lucid.tensor(rng.standard_normal((4, 3)).astype(np.float32)))
    np.testing.assert_array_equal(bn.running_mean.numpy(), 0)
    assert bn.num_batches_tracked.item() == 0


@pytest.mark.torch
@pytest.mark.parametrize(
    ("cls", "args", "kwargs", "shape"),
    [
        ("LayerNorm", (6,), {}, (3, 6)),
        ("LayerNorm", ((3, 4),), {"eps": 1e-3, "bias": False}, (2, 5, 3, 4)),
        ("LayerNorm", (5,), {"elementwise_affine": False}, (4, 5)),
        ("GroupNorm", (2, 6), {}, (3, 6, 4)),
        ("GroupNorm", (3, 6), {"affine": False}, (2, 6, 2, 2)),
    ],
)
def test_layer_and_group_norm_modules_match_torch(cls, args, kwargs, shape, rng):
    torch = pytest.importorskip("torch")
    module, module_t = getattr(nn, cls)(*args, **kwargs), getattr(torch.nn, cls)(*args, **kwargs)
    for p in module.parameters():
        p.numpy()[...] = rng.standard_normal(p.shape)
    _copy_params(module, module_t)
    assert repr(module) == repr(module_t)
    assert list(module.state_dict()) == list(module_t.state_dict())
    data = (2 * rng.standard_normal(shape)).astype(np.float32)
    _run_both(module, module_t, data, rng.standard_normal(shape).astype(np.float32))
    _assert_param_grads_match(module, module_t)


@pytest.mark.parametrize(
    ("module", "shape", "message"),
    [
        (nn.BatchNorm1d(4), (2, 3), r"BatchNorm1d\(4\): expected input of shape \(N, 4\) or "
                                    r"\(N, 4, L\), got \(2, 3\)"),
        (nn.BatchNorm1d(4), (2, 4, 3, 3), r"BatchNorm1d\(4\).*got \(2, 4, 3, 3\)"),
        (nn.BatchNorm2d(4), (2, 4, 3), r"BatchNorm2d\(4\): expected input of shape "
                                       r"\(N, 4, H, W\), got \(2, 4, 3\)"),
        (nn.LayerNorm(5), (2, 4), r"LayerNorm\(\(5,\)\): expected input of shape \(\.\.\., 5\), "
                                  r"got \(2, 4\)"),
        (nn.GroupNorm(2, 4), (2, 6, 3), r"GroupNorm\(2, 4\).*\(N, 4, \.\.\.\), got \(2, 6, 3\)"),
    ],
)  # fmt: skip
def test_norm_layers_name_themselves_on_a_wrong_input_shape(module, shape, message):
    with pytest.raises(ValueError, match=message):
        module(lucid.ones(*shape))


def test_group_norm_needs_divisible_channels():
    with pytest.raises(ValueError, match=r"num_channels \(5\).*num_groups \(2\)"):
        nn.GroupNorm(2, 5)
