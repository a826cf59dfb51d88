"""InstanceNorm, RMSNorm and LocalResponseNorm: gradcheck, PyTorch parity, buffers, errors."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck


def _copy_state(module, module_t):
    """Load torch's state into the Lucid module after checking keys and default values."""
    sd, sd_t = module.state_dict(), module_t.state_dict()
    assert list(sd) == list(sd_t)
    for key in sd:
        np.testing.assert_array_equal(sd[key].numpy(), sd_t[key].numpy(), err_msg=key)
    module.load_state_dict({k: v.detach().numpy() for k, v in sd_t.items()})


def _run_both(module, module_t, data, rng, rtol=1e-10, atol=1e-10):
    torch = pytest.importorskip("torch")
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, yt = module(x), module_t(xt)
    upstream = rng.standard_normal(tuple(yt.shape))
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)
    for (key, p), (_, pt) in zip(
        module.named_parameters(), module_t.named_parameters(), strict=True
    ):
        np.testing.assert_allclose(
            p.grad.numpy(), pt.grad.numpy(), rtol=rtol, atol=atol, err_msg=key
        )
    for (key, b), (_, bt) in zip(module.named_buffers(), module_t.named_buffers(), strict=True):
        np.testing.assert_allclose(b.numpy(), bt.numpy(), rtol=1e-12, err_msg=key)


INSTANCE = [
    ("InstanceNorm1d", (2, 3, 5), {}), ("InstanceNorm1d", (3, 6), {"affine": True}),
    ("InstanceNorm2d", (2, 3, 4, 5), {"affine": True, "track_running_stats": True}),
    ("InstanceNorm2d", (3, 4, 5), {"momentum": 0.3, "eps": 1e-3}),
    ("InstanceNorm3d", (2, 3, 2, 3, 2), {"track_running_stats": True, "momentum": None}),
]  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize(("name", "shape", "kwargs"), INSTANCE)
def test_instance_norm_matches_torch_in_train_and_eval(name, shape, kwargs, rng):
    torch = pytest.importorskip("torch")
    module, module_t = getattr(nn, name)(3, **kwargs), getattr(torch.nn, name)(3, **kwargs)
    assert repr(module) == repr(module_t)
    module_t.double()
    if module.weight is not None:
        module_t.weight.data = torch.tensor(rng.uniform(0.5, 1.5, 3))
        module_t.bias.data = torch.tensor(rng.standard_normal(3))
    else:
        _copy_state(module, module_t)  # the defaults agree
    module.double()
    module.load_state_dict({k: v.detach().numpy() for k, v in module_t.state_dict().items()})
    for _ in range(2):
        _run_both(module, module_t, 2 + 3 * rng.standard_normal(shape), rng)
    module.eval(), module_t.eval()
    _run_both(module, module_t, 2 + 3 * rng.standard_normal(shape), rng)


def test_instance_norm_defaults_and_gradcheck(rng):
    module = nn.InstanceNorm2d(3, affine=True, track_running_stats=True)
    assert list(module.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert list(nn.InstanceNorm1d(4).state_dict()) == []
    x = lucid.tensor(rng.standard_normal((2, 3, 3, 2)), requires_grad=True)
    w = lucid.tensor(rng.uniform(0.5, 1.5, 3), requires_grad=True)
    b = lucid.tensor(rng.standard_normal(3), requires_grad=True)
    assert gradcheck(lambda a, c, d: F.instance_norm(a, weight=c, bias=d), (x, w, b))


def test_instance_norm_rejects_bad_inputs():
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D"):
        nn.InstanceNorm2d(3)(lucid.ones(3, 4))
    with pytest.raises(ValueError, match="match num_features"):
        nn.InstanceNorm1d(3, affine=True)(lucid.ones(2, 4, 5))
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(lucid.ones(2, 3, 1))
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\)"):
        F.instance_norm(lucid.ones(2, 3, 4), weight=lucid.ones(2))


RMS = [
    ((5,), (2, 5), {}),
    ((3, 4), (2, 3, 4), {"eps": 1e-3}),
    (4, (4,), {}),
    ((4,), (3, 4), {"elementwise_affine": False}),
]


@pytest.mark.torch
@pytest.mark.parametrize(("normalized_shape", "shape", "kwargs"), RMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rms_norm_matches_torch(normalized_shape, shape, kwargs, dtype, rng):
    torch = pytest.importorskip("torch")
    module = nn.RMSNorm(normalized_shape, **kwargs)
    module_t = torch.nn.RMSNorm(normalized_shape, **kwargs)
    assert repr(module) == repr(module_t)
    if module.weight is not None:
        module_t.weight.data = torch.tensor(rng.uniform(0.5, 1.5, module_t.weight.shape))
    if dtype == np.float64:
        module.double(), module_t.double()
    else:
        module_t.float()
    module.load_state_dict({k: v.detach().numpy() for k, v in module_t.state_dict().items()})
    tol = 1e-5 if dtype == np.float32 else 1e-12
    _run_both(module, module_t, rng.standard_normal(shape).astype(dtype), rng, tol, tol)


def test_rms_norm_gradient_and_errors(rng):
    x = lucid.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w = lucid.tensor(rng.uniform(0.5, 1.5, 4), requires_grad=True)
    assert gradcheck(lambda a, b: F.rms_norm(a, (4,), b, 1e-5), (x, w))
    with pytest.raises(ValueError, match=r"last 1 dimensions are \(5,\)"):
        F.rms_norm(lucid.ones(2, 4), (5,))
    with pytest.raises(TypeError, match="floating-point"):
        F.rms_norm(lucid.tensor([[1, 2]]), 2)


@pytest.mark.torch
@pytest.mark.parametrize(
    ("size", "shape"), [(3, (2, 5, 4)), (2, (2, 4, 3, 3)), (5, (1, 3, 2, 2, 2)), (1, (2, 3, 4))]
)
def test_local_response_norm_matches_torch(size, shape, rng):
    torch = pytest.importorskip("torch")
    kwargs = {"alpha": 0.3, "beta": 0.6, "k": 1.5}
    module, module_t = (
        nn.LocalResponseNorm(size, **kwargs),
        torch.nn.LocalResponseNorm(size, **kwargs),
    )
    assert repr(module) == repr(module_t)
    _run_both(module, module_t, rng.standard_normal(shape), rng, 1e-12, 1e-12)
    x = lucid.tensor(rng.standard_normal(shape), requires_grad=True)
    assert gradcheck(module, (x,))


def test_local_response_norm_rejects_bad_inputs():
    with pytest.raises(ValueError, match=r"3-D or higher.*\(2, 3\)"):
        F.local_response_norm(lucid.ones(2, 3), 2)
    with pytest.raises(ValueError, match="positive int"):
        F.local_response_norm(lucid.ones(2, 3, 4), 0)
