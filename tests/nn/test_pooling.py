"""Tests for the pooling ops (lucid.ops.pool) and layers (MaxPool*, AvgPool*, AdaptiveAvgPool*)."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck

# (functional name, x shape, keyword arguments): x may be unbatched
CASES = [
    ("max_pool2d", (2, 3, 6, 5), {"kernel_size": 2}),
    ("max_pool2d", (2, 2, 7, 8), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ("max_pool2d", (3, 7, 7), {"kernel_size": (2, 3), "stride": (1, 2), "dilation": (2, 1)}),
    ("max_pool1d", (2, 3, 9), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ("max_pool1d", (3, 8), {"kernel_size": 2, "dilation": 2}),
    ("avg_pool2d", (2, 3, 6, 5), {"kernel_size": 2}),
    ("avg_pool2d", (2, 2, 7, 8), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ("avg_pool2d", (2, 7, 6), {"kernel_size": 3, "padding": 1, "count_include_pad": False}),
    ("avg_pool2d", (1, 2, 5, 5), {"kernel_size": 2, "stride": 1, "divisor_override": 3}),
    ("avg_pool1d", (2, 3, 9), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ("avg_pool1d", (3, 8), {"kernel_size": 3, "padding": 1, "count_include_pad": False}),
    ("adaptive_avg_pool2d", (2, 3, 7, 5), {"output_size": 3}),
    ("adaptive_avg_pool2d", (3, 6, 7), {"output_size": (4, None)}),
    ("adaptive_avg_pool1d", (2, 3, 7), {"output_size": 3}),
    ("adaptive_avg_pool1d", (3, 5), {"output_size": 5}),
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


def _distinct(rng, shape, dtype=np.float64) -> np.ndarray:
    """Inputs whose entries are well apart, so no max-pool window has a near tie."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) * 0.1 + rng.uniform(0, 0.02, shape)).astype(dtype)


@pytest.mark.parametrize("name, x_shape, kwargs", CASES, ids=IDS)
def test_functional_pool_gradient_matches_finite_differences(name, x_shape, kwargs, rng):
    x = lucid.tensor(_distinct(rng, x_shape), requires_grad=True)
    fn = getattr(F, name)
    assert gradcheck(lambda x: fn(x, **kwargs), (x,))


@pytest.mark.torch
@pytest.mark.parametrize("name, x_shape, kwargs", CASES, ids=IDS)
def test_functional_pool_matches_torch(name, x_shape, kwargs, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal(x_shape).astype(np.float32)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, yt = getattr(F, name)(x, **kwargs), getattr(torch.nn.functional, name)(xt, **kwargs)
    assert y.shape == tuple(yt.shape) and y.dtype == np.float32
    upstream = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["max_pool1d", "max_pool2d"])
def test_max_pool_return_indices_match_torch(name, rng):
    torch = pytest.importorskip("torch")
    shape = (2, 3, 9) if name == "max_pool1d" else (2, 3, 7, 6)
    data = rng.standard_normal(shape).astype(np.float32)
    kwargs = {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}
    y, index = getattr(F, name)(lucid.tensor(data), return_indices=True, **kwargs)
    yt, index_t = getattr(torch.nn.functional, name)(
        torch.tensor(data), return_indices=True, **kwargs
    )
    np.testing.assert_array_equal(index.numpy(), index_t.numpy())
    assert index.dtype == np.int64 and not index.requires_grad
    np.testing.assert_allclose(y.numpy(), yt.numpy())


@pytest.mark.torch
def test_max_pool_ties_send_the_gradient_to_the_first_maximum_as_torch(rng):
    torch = pytest.importorskip("torch")
    data = rng.integers(0, 2, (1, 2, 6, 6)).astype(np.float32)  # many ties
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    upstream = rng.standard_normal((1, 2, 3, 3)).astype(np.float32)
    F.max_pool2d(x, 2).backward(upstream)
    torch.nn.functional.max_pool2d(xt, 2).backward(torch.tensor(upstream))
    np.testing.assert_array_equal(x.grad, xt.grad.numpy())


def test_pool_integer_input_pools_in_float32(rng):
    x = lucid.tensor(rng.integers(0, 9, (1, 1, 4, 4)))
    assert F.avg_pool2d(x, 2).dtype == np.float32
    assert F.max_pool2d(x, 2).dtype == np.float32


def test_pool_float64_stays_float64(rng):
    x = lucid.tensor(rng.standard_normal((1, 2, 4, 4)))
    for y in (F.max_pool2d(x, 2), F.avg_pool2d(x, 2), F.adaptive_avg_pool2d(x, 3)):
        assert y.dtype == np.float64


# --------------------------------------------------------------------------- layers

# (layer class name, constructor arguments, input shape)
LAYER_CASES = [
    ("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, (2, 3, 7, 6)),
    ("MaxPool2d", {"kernel_size": 2, "ceil_mode": True, "dilation": 2}, (3, 7, 7)),
    ("MaxPool1d", {"kernel_size": 3, "stride": 1, "padding": 1}, (2, 3, 8)),
    ("AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
     (2, 3, 7, 6)),
    ("AvgPool2d", {"kernel_size": 2, "divisor_override": 3}, (3, 6, 6)),
    ("AvgPool1d", {"kernel_size": 2, "ceil_mode": True}, (2, 3, 7)),
    ("AdaptiveAvgPool2d", {"output_size": (3, 2)}, (2, 3, 7, 6)),
    ("AdaptiveAvgPool2d", {"output_size": 1}, (3, 5, 5)),
    ("AdaptiveAvgPool1d", {"output_size": 4}, (2, 3, 7)),
]  # fmt: skip
LAYER_IDS = [f"{c[0]}-{i}" for i, c in enumerate(LAYER_CASES)]


@pytest.mark.parametrize("name, kwargs, x_shape", LAYER_CASES, ids=LAYER_IDS)
def test_pool_layer_gradient_matches_finite_differences(name, kwargs, x_shape, rng):
    layer = getattr(nn, name)(**kwargs)
    x = lucid.tensor(_distinct(rng, x_shape), requires_grad=True)
    assert gradcheck(layer, (x,))


@pytest.mark.torch
@pytest.mark.parametrize("name, kwargs, x_shape", LAYER_CASES, ids=LAYER_IDS)
def test_pool_layer_matches_torch(name, kwargs, x_shape, rng):
    torch = pytest.importorskip("torch")
    layer, reference = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    data = rng.standard_normal(x_shape).astype(np.float32)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, yt = layer(x), reference(xt)
    upstream = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert list(layer.state_dict()) == list(reference.state_dict()) == []
    layer.eval()  # pooling has no train/eval difference
    np.testing.assert_array_equal(layer(x).numpy(), y.numpy())


def test_max_pool_layer_return_indices_and_default_stride(rng):
    layer = nn.MaxPool2d(2, return_indices=True)
    assert layer.stride == 2
    y, index = layer(lucid.tensor(rng.standard_normal((1, 1, 4, 4)).astype(np.float32)))
    assert y.shape == index.shape == (1, 1, 2, 2)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "layer, x_shape, message",
    [
        (nn.MaxPool2d(2), (4, 4), r"MaxPool2d: expected input of shape \(N, C, H, W\) or "
         r"\(C, H, W\), got \(4, 4\)"),
        (nn.AvgPool2d(2), (1, 1, 1, 4, 4), r"AvgPool2d: expected .* got \(1, 1, 1, 4, 4\)"),
        (nn.MaxPool1d(2), (2, 3, 4, 4), r"MaxPool1d: expected input of shape \(N, C, L\) or "
         r"\(C, L\), got \(2, 3, 4, 4\)"),
        (nn.AvgPool1d(2), (4,), r"AvgPool1d: expected"),
        (nn.AdaptiveAvgPool2d(2), (4, 4), r"AdaptiveAvgPool2d: expected"),
        (nn.AdaptiveAvgPool1d(2), (1, 1, 4, 4), r"AdaptiveAvgPool1d: expected"),
        (nn.MaxPool2d(5), (1, 1, 3, 3), r"too small"),
        (nn.AvgPool2d(2, padding=2), (1, 1, 6, 6), r"at most half of kernel_size"),
    ],
)  # fmt: skip
def test_pool_layer_bad_input_raises_value_error(layer, x_shape, message):
    with pytest.raises(ValueError, match=message):
        layer(lucid.tensor(np.zeros(x_shape, np.float32)))


def test_functional_pool_bad_arguments_raise_value_error():
    x = lucid.tensor(np.zeros((1, 2, 6), np.float32))
    with pytest.raises(ValueError, match=r"max_pool2d: expected a 3-D .* got shape \(6,\)"):
        F.max_pool2d(np.zeros((6,), np.float32), 2)
    with pytest.raises(ValueError, match="kernel_size must be an int or a 1-tuple"):
        F.max_pool1d(x, (2, 2))
    with pytest.raises(ValueError, match="output_size must be positive"):
        F.adaptive_avg_pool2d(np.zeros((1, 2, 6, 6), np.float32), 0)
