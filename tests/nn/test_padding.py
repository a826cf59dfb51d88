"""Padding layers and F.pad's cropping and checks, against finite differences and PyTorch."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck

# (layer, padding, input shape)
LAYERS = [
    ("ZeroPad1d", 2, (2, 3, 5)), ("ZeroPad2d", (1, 0, 2, -1), (2, 3, 4, 5)),
    ("ZeroPad2d", 1, (3, 4, 5)), ("ZeroPad3d", (1, 0, 0, 1, 2, 1), (1, 2, 3, 4, 2)),
    ("ConstantPad1d", (0, 3), (2, 4)), ("ConstantPad2d", 2, (1, 1, 2, 3)),
    ("ReflectionPad1d", (2, 3), (2, 3, 5)), ("ReflectionPad1d", 1, (3, 2)),
    ("ReflectionPad2d", (1, 2, 3, 0), (2, 3, 4, 5)), ("ReflectionPad2d", 2, (3, 4, 5)),
    ("ReflectionPad3d", 1, (1, 2, 3, 4, 2)),
    ("ReplicationPad1d", (3, 1), (2, 3, 5)), ("ReplicationPad2d", (2, 1, 0, 4), (2, 3, 4, 5)),
    ("ReplicationPad2d", 3, (2, 1, 1)), ("ReplicationPad3d", (1, 2, 0, 1, 1, 0), (2, 1, 3, 2, 2)),
    ("CircularPad1d", (1, 2), (2, 3, 5)), ("CircularPad2d", 1, (2, 3, 4, 5)),
]  # fmt: skip


def _layer(lib, name, padding):
    cls = getattr(lib, name)
    return cls(padding, 1.5) if name.startswith("Constant") else cls(padding)


@pytest.mark.torch
@pytest.mark.parametrize(("name", "padding", "shape"), LAYERS)
def test_padding_layer_matches_torch(name, padding, shape, rng):
    torch = pytest.importorskip("torch")
    layer, layer_t = _layer(nn, name, padding), _layer(torch.nn, name, padding)
    assert repr(layer) == repr(layer_t)
    assert layer.state_dict() == {} and not layer_t.state_dict()
    data = rng.standard_normal(shape)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, yt = layer(x), layer_t(xt)
    upstream = rng.standard_normal(tuple(yt.shape))
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(y.numpy(), yt.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert gradcheck(layer, (lucid.tensor(data, requires_grad=True),))


@pytest.mark.torch
@pytest.mark.parametrize(
    ("pad", "mode"),
    [
        ((-1, 2), "constant"),
        ((1, -2, -1, 0), "constant"),
        ((-2, -1), "constant"),
        ((2, -1), "replicate"),
        ((-1, 1, 1, -1), "reflect"),
        ((0, 0), "reflect"),
    ],
)
def test_pad_crops_with_negative_pads_as_torch(pad, mode, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal((2, 3, 4))
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, yt = F.pad(x, pad, mode), torch.nn.functional.pad(xt, pad, mode)
    upstream = rng.standard_normal(tuple(yt.shape))
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(y.numpy(), yt.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


def test_pad_and_padding_layers_reject_bad_arguments():
    with pytest.raises(ValueError, match=r"smaller than dimension 2.*size 3"):
        F.pad(lucid.ones(1, 2, 3), (3, 0), "reflect")
    with pytest.raises(ValueError, match=r"expects a 2-D or 3-D input, got shape \(1, 1, 2, 3\)"):
        nn.ReflectionPad1d(1)(lucid.ones(1, 1, 2, 3))
    with pytest.raises(ValueError, match="crops more"):
        F.pad(lucid.ones(2, 3), (-2, -2))
    with pytest.raises(ValueError, match="tuple of 4 ints"):
        nn.ZeroPad2d((1, 2))
    with pytest.raises(ValueError, match="no fill value"):
        F.pad(lucid.ones(1, 2, 3), (1, 1), "replicate", value=2.0)
