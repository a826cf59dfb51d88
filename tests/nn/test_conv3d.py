"""Conv3d, ConvTranspose3d, Fold and Unfold against finite differences and PyTorch."""

import math

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck

# (x shape, weight shape, keyword arguments)
CONV3D = [
    (
        (2, 4, 5, 6, 7),
        (6, 2, 3, 2, 3),
        {"stride": (2, 1, 2), "padding": (1, 0, 2), "dilation": (1, 2, 1), "groups": 2},
    ),
    ((3, 5, 6, 4), (2, 3, 1, 3, 2), {"padding": "same"}),
    ((1, 2, 4, 4, 4), (3, 2, 2, 2, 2), {"padding": "valid"}),
    ((0, 2, 3, 3, 3), (3, 2, 2, 2, 2), {}),
]
CONV_T3D = [
    ((2, 4, 3, 4, 5), (4, 3, 3, 2, 3),
     {"stride": (2, 1, 2), "padding": (1, 0, 1), "output_padding": (1, 0, 1),
      "dilation": (1, 2, 1), "groups": 2}),
    ((4, 2, 3, 3), (4, 2, 2, 2, 2), {"stride": 2}),
    ((1, 2, 2, 3, 3), (2, 3, 3, 1, 2), {"padding": 1, "dilation": 2}),
]  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize(("x_shape", "w_shape", "kwargs"), CONV3D)
def test_conv3d_matches_torch(x_shape, w_shape, kwargs, rng, torch_compare):
    torch = pytest.importorskip("torch")
    arrays = [
        rng.standard_normal(x_shape),
        rng.standard_normal(w_shape),
        rng.standard_normal(w_shape[0]),
    ]
    torch_compare(
        lambda x, w, b: F.conv3d(x, w, b, **kwargs),
        lambda x, w, b: torch.nn.functional.conv3d(x, w, b, **kwargs),
        arrays,
        1e-10,
    )


@pytest.mark.torch
@pytest.mark.parametrize(("x_shape", "w_shape", "kwargs"), CONV_T3D)
def test_conv_transpose3d_matches_torch(x_shape, w_shape, kwargs, rng, torch_compare):
    torch = pytest.importorskip("torch")
    c_out = w_shape[1] * kwargs.get("groups", 1)
    arrays = [
        rng.standard_normal(x_shape),
        rng.standard_normal(w_shape),
        rng.standard_normal(c_out),
    ]
    torch_compare(
        lambda x, w, b: F.conv_transpose3d(x, w, b, **kwargs),
        lambda x, w, b: torch.nn.functional.conv_transpose3d(x, w, b, **kwargs),
        arrays,
        1e-10,
    )


def test_conv3d_gradients_match_finite_differences(rng):
    x = lucid.tensor(rng.standard_normal((1, 2, 3, 3, 4)), requires_grad=True)
    w = lucid.tensor(rng.standard_normal((2, 1, 2, 2, 2)), requires_grad=True)
    b = lucid.tensor(rng.standard_normal(2), requires_grad=True)
    assert gradcheck(lambda *a: F.conv3d(*a, stride=(1, 2, 1), padding=1, groups=2), (x, w, b))
    wt = lucid.tensor(rng.standard_normal((2, 2, 2, 1, 2)), requires_grad=True)
    assert gradcheck(lambda *a: F.conv_transpose3d(*a, stride=2, padding=(1, 0, 0)), (x, wt, b))


@pytest.mark.torch
@pytest.mark.parametrize(
    ("name", "args", "kwargs", "x_shape"),
    [
        ("Conv3d", (4, 6, 3), {"stride": 2, "padding": 1, "groups": 2}, (2, 4, 5, 5, 6)),
        ("Conv3d", (2, 3, (1, 2, 3)), {"bias": False, "padding": "same"}, (2, 3, 4, 5)),
        ("ConvTranspose3d", (4, 6, 2), {"stride": 2, "groups": 2}, (1, 4, 2, 3, 2)),
        ("ConvTranspose3d", (2, 3, (2, 1, 3)), {"padding": 1, "dilation": 2}, (2, 3, 3, 4)),
    ],
)
def test_conv3d_layers_match_torch(name, args, kwargs, x_shape, rng, torch_compare):
    torch = pytest.importorskip("torch")
    module, module_t = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(module) == repr(module_t)
    assert {k: v.shape for k, v in module.state_dict().items()} == {
        k: tuple(v.shape) for k, v in module_t.state_dict().items()
    }
    # PyTorch's default init: uniform in +-1/sqrt(fan_in), fan_in = weight.shape[1] * kernel
    bound = 1 / math.sqrt(module.weight.shape[1] * math.prod(module.weight.shape[2:]))
    assert np.abs(module.weight.numpy()).max() <= bound
    assert np.abs(module.weight.numpy()).max() > 0.5 * bound
    module.double(), module_t.double()
    module.load_state_dict({k: v.detach().numpy() for k, v in module_t.state_dict().items()})
    torch_compare(module, module_t, [rng.standard_normal(x_shape)], 1e-10)
    grads = {k: p.grad.numpy() for k, p in module.named_parameters()}
    for key, p in module_t.named_parameters():
        np.testing.assert_allclose(grads[key], p.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_conv3d_rejects_bad_inputs():
    with pytest.raises(ValueError, match=r"4-D \(C, D, H, W\) or 5-D"):
        F.conv3d(lucid.ones(1, 2, 3), lucid.ones(1, 2, 1, 1, 1))
    with pytest.raises(ValueError, match="groups=2"):
        F.conv3d(lucid.ones(1, 3, 3, 3, 3), lucid.ones(2, 1, 1, 1, 1), groups=2)
    with pytest.raises(ValueError, match="smaller than the kernel"):
        F.conv3d(lucid.ones(1, 1, 1, 3, 3), lucid.ones(1, 1, 2, 1, 1))
    with pytest.raises(ValueError, match="strided"):
        F.conv3d(lucid.ones(1, 1, 3, 3, 3), lucid.ones(1, 1, 1, 1, 1), stride=2, padding="same")
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3, D, H, W\)"):
        nn.Conv3d(3, 2, 1)(lucid.ones(1, 2, 3, 3, 3))
    with pytest.raises(ValueError, match="output_padding"):
        F.conv_transpose3d(lucid.ones(1, 1, 2, 2, 2), lucid.ones(1, 1, 1, 1, 1), output_padding=1)


# (x shape, keyword arguments)
UNFOLD = [
    ((2, 3, 6, 7), {"kernel_size": 2}),
    ((2, 3, 6, 7), {"kernel_size": (2, 3), "dilation": (1, 2), "padding": 1, "stride": (2, 1)}),
    ((3, 4, 4), {"kernel_size": 3, "padding": 1}),
]


@pytest.mark.torch
@pytest.mark.parametrize(("shape", "kwargs"), UNFOLD)
def test_unfold_and_fold_match_torch(shape, kwargs, rng, torch_compare):
    torch = pytest.importorskip("torch")
    torch_compare(
        lambda x: F.unfold(x, **kwargs),
        lambda x: torch.nn.functional.unfold(x, **kwargs),
        [rng.standard_normal(shape)],
        0,
    )
    cols = torch.nn.functional.unfold(torch.zeros(shape), **kwargs).shape
    size = shape[-2:]
    torch_compare(
        lambda c: F.fold(c, size, **kwargs),
        lambda c: torch.nn.functional.fold(c, size, **kwargs),
        [rng.standard_normal(tuple(cols))],
        1e-12,
    )
    module, module_t = nn.Fold(size, **kwargs), torch.nn.Fold(size, **kwargs)
    assert repr(module) == repr(module_t)
    assert repr(nn.Unfold(**kwargs)) == repr(torch.nn.Unfold(**kwargs))


def test_fold_and_unfold_gradients_including_second_order(rng):
    x = lucid.tensor(rng.standard_normal((1, 2, 4, 5)), requires_grad=True)
    assert gradcheck(lambda t: F.unfold(t, 2, padding=1) ** 2, (x,))
    c = lucid.tensor(rng.standard_normal((1, 8, 12)), requires_grad=True)
    assert gradcheck(lambda t: F.fold(t, (4, 5), 2) ** 2, (c,))
    # the gradient of unfold recorded as fold: a second derivative of a quadratic
    (g,) = lucid.autograd.grad((F.unfold(x, 2) ** 2).sum(), x, create_graph=True)
    (gg,) = lucid.autograd.grad(g.sum(), x)
    counts = F.fold(F.unfold(lucid.ones(1, 2, 4, 5), 2), (4, 5), 2).numpy()
    np.testing.assert_allclose(gg.numpy(), 2 * counts)


def test_fold_and_unfold_reject_bad_inputs():
    with pytest.raises(ValueError, match=r"expected \(N, C\*4, 12\)"):
        F.fold(lucid.ones(1, 8, 11), (4, 5), 2)
    with pytest.raises(ValueError, match="smaller than the kernel"):
        F.unfold(lucid.ones(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        F.unfold(lucid.ones(1, 1, 4, 4), 2, stride=0)
    with pytest.raises(TypeError, match="floating-point"):
        F.unfold(lucid.tensor(np.ones((1, 1, 3, 3), np.int64)), 2)
