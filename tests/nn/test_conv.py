"""Tests for the convolution ops (lucid.ops.conv) and layers (Conv1d, Conv2d, ConvTranspose*)."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck

# (x_shape, weight_shape, keyword arguments): x may be unbatched
CONV2D_CASES = [
    ((2, 3, 6, 5), (4, 3, 3, 3), {}),
    ((2, 4, 7, 6), (6, 2, 3, 2), {"stride": 2, "padding": 1, "groups": 2}),
    ((1, 2, 6, 6), (3, 2, 2, 3), {"padding": "same", "dilation": (2, 1)}),
    ((3, 5, 5), (2, 3, 3, 3), {"padding": (1, 2), "stride": (1, 2)}),  # unbatched
    ((2, 3, 5, 5), (3, 1, 3, 3), {"groups": 3, "padding": "valid"}),  # depthwise
]
CONV1D_CASES = [
    ((2, 3, 7), (4, 3, 3), {}),
    ((2, 4, 9), (6, 2, 3), {"stride": 2, "padding": 1, "groups": 2}),
    ((3, 8), (2, 3, 4), {"padding": "same", "dilation": 2}),  # unbatched, odd total padding
]
TRANSPOSE2D_CASES = [
    ((2, 3, 4, 3), (3, 2, 3, 3), {}),
    ((2, 4, 3, 4), (4, 3, 3, 2), {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}),
    ((2, 3, 3), (2, 3, 2, 2), {"stride": (2, 1), "dilation": 2, "padding": (1, 0)}),
]
TRANSPOSE1D_CASES = [
    ((2, 3, 5), (3, 2, 3), {"stride": 2, "padding": 1, "output_padding": 1}),
    ((4, 4), (4, 1, 2), {"groups": 2, "dilation": 2}),
]
FUNCTIONAL_CASES = (
    [("conv2d", *c) for c in CONV2D_CASES]
    + [("conv1d", *c) for c in CONV1D_CASES]
    + [("conv_transpose2d", *c) for c in TRANSPOSE2D_CASES]
    + [("conv_transpose1d", *c) for c in TRANSPOSE1D_CASES]
)


def _bias_size(name: str, w_shape: tuple, kwargs: dict) -> int:
    if name.startswith("conv_transpose"):
        return w_shape[1] * kwargs.get("groups", 1)
    return w_shape[0]


@pytest.mark.parametrize("name, x_shape, w_shape, kwargs", FUNCTIONAL_CASES)
def test_functional_conv_gradient_matches_finite_differences(name, x_shape, w_shape, kwargs, rng):
    x, w, b = (
        lucid.tensor(rng.standard_normal(s), dtype=lucid.float64, requires_grad=True)
        for s in (x_shape, w_shape, (_bias_size(name, w_shape, kwargs),))
    )
    fn = getattr(F, name)
    assert gradcheck(lambda x, w, b: fn(x, w, b, **kwargs), (x, w, b))


@pytest.mark.parametrize("name, x_shape, w_shape, kwargs", FUNCTIONAL_CASES)
def test_functional_conv_without_bias_gradient(name, x_shape, w_shape, kwargs, rng):
    x, w = (
        lucid.tensor(rng.standard_normal(s), dtype=lucid.float64, requires_grad=True)
        for s in (x_shape, w_shape)
    )
    fn = getattr(F, name)
    assert gradcheck(lambda x, w: fn(x, w, **kwargs), (x, w))


@pytest.mark.torch
@pytest.mark.parametrize("name, x_shape, w_shape, kwargs", FUNCTIONAL_CASES)
def test_functional_conv_matches_torch(name, x_shape, w_shape, kwargs, rng):
    torch = pytest.importorskip("torch")
    arrays = [
        rng.standard_normal(s).astype(np.float32)
        for s in (x_shape, w_shape, (_bias_size(name, w_shape, kwargs),))
    ]
    ours = [lucid.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = getattr(F, name)(*ours, **kwargs)
    yt = getattr(torch.nn.functional, name)(*theirs, **kwargs)
    assert y.shape == tuple(yt.shape) and y.dtype == np.float32
    upstream = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    for a, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_conv_only_input_requires_grad_gives_no_weight_gradient(rng):
    x = lucid.tensor(rng.standard_normal((2, 3, 5, 5)).astype(np.float32), requires_grad=True)
    w = lucid.tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32))
    F.conv2d(x, w).sum().backward()
    assert x.grad.shape == x.shape and w.grad is None


def test_conv_integer_input_computes_in_the_weight_dtype(rng):
    x = lucid.tensor(rng.integers(-3, 3, (1, 2, 4, 4)))
    w = lucid.tensor(rng.standard_normal((3, 2, 2, 2)).astype(np.float32))
    y = F.conv2d(x, w)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), F.conv2d(x.float(), w).numpy())


# --------------------------------------------------------------------------- layers

# (layer class name, constructor arguments, input shape)
LAYER_CASES = [
    ("Conv2d", (3, 4, 3), {}, (2, 3, 6, 5)),
    (
        "Conv2d",
        (4, 6, (3, 2)),
        {"stride": 2, "padding": 1, "groups": 2, "bias": False},
        (2, 4, 7, 6),
    ),
    ("Conv2d", (2, 3, 3), {"padding": "same", "dilation": 2}, (2, 6, 5)),
    ("Conv1d", (3, 4, 3), {"stride": 2, "padding": 1}, (2, 3, 8)),
    ("Conv1d", (2, 4, 4), {"padding": "same", "groups": 2}, (2, 7)),
    ("ConvTranspose2d", (3, 4, 3), {"stride": 2, "padding": 1, "output_padding": 1}, (2, 3, 4, 3)),
    ("ConvTranspose2d", (4, 2, 2), {"groups": 2, "dilation": 2, "bias": False}, (4, 3, 3)),
    ("ConvTranspose1d", (3, 2, 3), {"stride": 3, "padding": 1}, (2, 3, 4)),
]
LAYER_IDS = [f"{c[0]}-{i}" for i, c in enumerate(LAYER_CASES)]


@pytest.mark.parametrize("name, args, kwargs, x_shape", LAYER_CASES, ids=LAYER_IDS)
def test_conv_layer_gradient_matches_finite_differences(name, args, kwargs, x_shape, rng):
    layer = getattr(nn, name)(*args, **kwargs).double()
    x = lucid.tensor(rng.standard_normal(x_shape), dtype=lucid.float64, requires_grad=True)
    params = list(layer.parameters())
    assert gradcheck(lambda x, *p: layer(x), (x, *params))


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")  # PyTorch's note on its own copy
@pytest.mark.parametrize("name, args, kwargs, x_shape", LAYER_CASES, ids=LAYER_IDS)
def test_conv_layer_matches_torch(name, args, kwargs, x_shape, rng, copy_to_torch):
    torch = pytest.importorskip("torch")
    layer = getattr(nn, name)(*args, **kwargs)
    reference = getattr(torch.nn, name)(*args, **kwargs)
    assert list(layer.state_dict()) == list(reference.state_dict())
    for key, value in reference.state_dict().items():
        assert layer.state_dict()[key].shape == tuple(value.shape)
    copy_to_torch(layer, reference)
    data = rng.standard_normal(x_shape).astype(np.float32)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, yt = layer(x), reference(xt)
    upstream = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    for (key, p), (_, pt) in zip(
        layer.named_parameters(), reference.named_parameters(), strict=True
    ):
        np.testing.assert_allclose(p.grad, pt.grad.numpy(), rtol=1e-4, atol=1e-4, err_msg=key)
    assert repr(layer) == repr(reference)


@pytest.mark.parametrize("name, args, kwargs, x_shape", LAYER_CASES, ids=LAYER_IDS)
def test_conv_layer_default_init_is_uniform_within_one_over_sqrt_fan_in(
    name, args, kwargs, x_shape
):
    lucid.random.seed(0)
    layer = getattr(nn, name)(*args, **kwargs)
    w = layer.weight.numpy()
    bound = 1 / np.sqrt(w.shape[1] * np.prod(w.shape[2:]))  # PyTorch's fan_in: size(1) * k
    assert w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.5 * bound
    if layer.bias is not None:
        assert np.abs(layer.bias.numpy()).max() <= bound


@pytest.mark.torch
@pytest.mark.parametrize("output_size", [(7, 5), (8, 6), (2, 3, 8, 5)])
def test_conv_transpose2d_output_size_matches_torch(output_size, rng, copy_to_torch):
    torch = pytest.importorskip("torch")
    layer = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    reference = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    copy_to_torch(layer, reference)
    data = rng.standard_normal((2, 3, 4, 3)).astype(np.float32)
    y = layer(lucid.tensor(data), output_size=output_size)
    yt = reference(torch.tensor(data), output_size=output_size)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)


def test_conv_transpose2d_unreachable_output_size_raises():
    layer = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    with pytest.raises(ValueError, match=r"axis 0 must be in \[7, 8\]"):
        layer(lucid.tensor(np.zeros((1, 3, 4, 3), np.float32)), output_size=(9, 6))


def test_conv_layer_double_keeps_float64(rng):
    layer = nn.Conv2d(2, 3, 3, dtype=lucid.float64)
    y = layer(lucid.tensor(rng.standard_normal((1, 2, 4, 4))))
    assert layer.weight.dtype == np.float64 and y.dtype == np.float64


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "layer, x_shape, message",
    [
        (nn.Conv2d(3, 4, 3), (2, 4, 5, 5), r"Conv2d: expected input of shape \(N, 3, H, W\) or "
         r"\(3, H, W\), got \(2, 4, 5, 5\)"),
        (nn.Conv2d(3, 4, 3), (5, 5), r"Conv2d: expected .* got \(5, 5\)"),
        (nn.Conv1d(2, 4, 3), (2, 2, 5, 5), r"Conv1d: expected input of shape \(N, 2, L\) or "
         r"\(2, L\), got \(2, 2, 5, 5\)"),
        (nn.ConvTranspose2d(3, 4, 3), (1, 2, 4, 4), r"ConvTranspose2d: expected .*\(N, 3, H, W\)"),
        (nn.Conv2d(3, 4, 5), (1, 3, 3, 3), r"too small"),
    ],
)  # fmt: skip
def test_conv_layer_bad_input_raises_value_error(layer, x_shape, message):
    with pytest.raises(ValueError, match=message):
        layer(lucid.tensor(np.zeros(x_shape, np.float32)))


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: nn.Conv2d(3, 4, 3, padding_mode="reflect"), NotImplementedError, "zeros only"),
        (lambda: nn.Conv1d(3, 4, 3, padding_mode="mirror"), ValueError, "padding_mode"),
        (lambda: nn.ConvTranspose2d(3, 4, 3, padding_mode="circular"), ValueError, "zeros"),
        (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "divisible by groups=2"),
        (lambda: nn.Conv2d(3, 4, 3, stride=2, padding="same"), ValueError, "strided"),
        (lambda: nn.Conv2d(3, 4, 3, padding="full"), ValueError, "'same', 'valid' or ints"),
        (lambda: nn.ConvTranspose2d(3, 4, 3, padding="same"), ValueError, "padding must be ints"),
        (lambda: nn.Conv2d(3, 4, (3, 3, 3)), ValueError, "tuple of 2 ints"),
    ],
)
def test_conv_layer_bad_arguments_raise(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_functional_conv_bad_shapes_raise_value_error():
    x = lucid.tensor(np.zeros((1, 3, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"conv2d: expected a 3-D .* got shape \(5, 5\)"):
        F.conv2d(lucid.tensor(np.zeros((5, 5), np.float32)), np.zeros((2, 3, 3, 3), np.float32))
    with pytest.raises(ValueError, match=r"weight must be 4-D"):
        F.conv2d(x, np.zeros((2, 3, 3), np.float32))
    with pytest.raises(ValueError, match=r"\(1, 3, 5, 5\) and weight of shape \(2, 2, 3, 3\)"):
        F.conv2d(x, np.zeros((2, 2, 3, 3), np.float32))
    with pytest.raises(ValueError, match="1-tuple"):
        F.conv1d(np.zeros((1, 3, 5), np.float32), np.zeros((2, 3, 3), np.float32), stride=(1, 2))


def test_functional_conv_mixed_float_dtypes_raise_type_error():
    x = lucid.tensor(np.zeros((1, 3, 5, 5), np.float64))
    with pytest.raises(TypeError, match="share one dtype"):
        F.conv2d(x, np.zeros((2, 3, 3, 3), np.float32))
