"""3-D pooling and adaptive max pooling against finite differences and PyTorch."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck


def _compare(fn, fn_t, data, rng, tol=1e-12):
    """Outputs, indices (if returned) and input gradients under a random upstream gradient."""
    torch = pytest.importorskip("torch")
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, yt = fn(x), fn_t(xt)
    if isinstance(yt, tuple):
        (y, index), (yt, index_t) = y, yt
        assert index.dtype == np.int64
        np.testing.assert_array_equal(index.numpy(), index_t.numpy())
    upstream = rng.standard_normal(tuple(yt.shape))
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=tol, atol=tol)


# name: list of (x shape, positional arguments, keyword arguments)
CASES = {
    "max_pool3d": [((2, 3, 5, 6, 7), (2,), {}),
                   ((2, 3, 5, 6, 7), ((3, 2, 3), (2, 1, 2), (1, 1, 0), (1, 2, 1), True, True), {}),
                   ((3, 5, 6, 7), (3, 2, 1), {"return_indices": True})],
    "avg_pool3d": [((2, 3, 5, 6, 7), (2,), {}),
                   ((2, 3, 5, 6, 7), ((3, 2, 3), (2, 1, 2), (1, 1, 0), True, False), {}),
                   ((2, 3, 5, 6, 7), (3, 2, 1, True, True, 5), {}), ((3, 5, 6, 7), (3, 2, 1), {})],
    "adaptive_max_pool1d": [((2, 3, 10), (4, True), {}), ((3, 7), (7,), {}),
                            ((2, 3, 5), (8,), {})],
    "adaptive_max_pool2d": [((2, 3, 7, 9), ((4, 3), True), {}), ((3, 6, 7), ((None, 4), True), {}),
                            ((1, 2, 5, 5), (1,), {})],
    "adaptive_max_pool3d": [((2, 3, 5, 6, 7), ((2, 4, 3), True), {}), ((2, 4, 4, 4), (2,), {})],
    "adaptive_avg_pool3d": [((2, 3, 5, 6, 7), ((2, 4, 3),), {}),
                            ((2, 4, 4, 4), ((None, 3, 1),), {})],
}  # fmt: skip
PARAMS = [(name, *case) for name, cases in CASES.items() for case in cases]


@pytest.mark.torch
@pytest.mark.parametrize(("name", "shape", "args", "kwargs"), PARAMS)
@pytest.mark.parametrize("ties", [False, True])
def test_pooling_matches_torch(name, shape, args, kwargs, ties, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal(shape)
    if ties:  # equal values: the gradient must go to PyTorch's choice of maximum
        data = np.round(data)
    _compare(
        lambda x: getattr(F, name)(x, *args, **kwargs),
        lambda x: getattr(torch.nn.functional, name)(x, *args, **kwargs),
        data,
        rng,
    )


@pytest.mark.parametrize(("name", "shape", "args", "kwargs"), PARAMS[::2])
def test_pooling_gradient_matches_finite_differences(name, shape, args, kwargs, rng):
    x = lucid.tensor(rng.permutation(np.prod(shape)).reshape(shape) / 7.0, requires_grad=True)

    def f(t):
        out = getattr(F, name)(t, *args, **kwargs)
        return out[0] if isinstance(out, tuple) else out

    assert gradcheck(f, (x,))


LAYERS = [
    ("MaxPool3d", (2,), {}),
    ("MaxPool3d", (3, 2, 1), {"ceil_mode": True}),
    ("AvgPool3d", (3, 2, 1), {"count_include_pad": False}),
    ("AdaptiveMaxPool1d", (3,), {}),
    ("AdaptiveMaxPool2d", ((3, None),), {}),
    ("AdaptiveMaxPool3d", (2,), {"return_indices": True}),
    ("AdaptiveAvgPool3d", (2,), {}),
]


@pytest.mark.torch
@pytest.mark.parametrize(("name", "args", "kwargs"), LAYERS)
def test_pooling_layers_match_torch(name, args, kwargs, rng):
    torch = pytest.importorskip("torch")
    module, module_t = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(module) == repr(module_t) and module.state_dict() == {}
    spatial = int(name[-2])
    _compare(module, module_t, rng.standard_normal((2, 3) + (5, 6, 7)[3 - spatial :]), rng)


def test_pooling_rejects_bad_inputs():
    with pytest.raises(ValueError, match=r"4-D \(C, D, H, W\) or 5-D"):
        F.max_pool3d(lucid.ones(2, 3, 4), 2)
    with pytest.raises(ValueError, match="output_size"):
        F.adaptive_max_pool2d(lucid.ones(1, 2, 4, 4), (2, 2, 2))
    with pytest.raises(ValueError, match="positive"):
        F.adaptive_max_pool1d(lucid.ones(1, 2, 4), 0)
    with pytest.raises(ValueError, match="divisor_override"):
        F.avg_pool3d(lucid.ones(1, 1, 2, 2, 2), 2, divisor_override=0)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C, D, H, W\)"):
        nn.MaxPool3d(2)(lucid.ones(2, 2, 2))


@pytest.mark.torch
@pytest.mark.parametrize(
    ("name", "args"),
    [("max_pool3d", (2,)), ("avg_pool3d", (2,)), ("adaptive_max_pool3d", (2,)),
     ("adaptive_avg_pool3d", (2,)), ("adaptive_max_pool2d", (3,)), ("adaptive_max_pool1d", (3,))],
)  # fmt: skip
def test_pooling_of_an_empty_batch_matches_torch(name, args, rng):
    torch = pytest.importorskip("torch")
    spatial = int(name[-2])
    shape = (0, 2) + (4, 5, 6)[3 - spatial :]
    x = lucid.zeros(*shape, requires_grad=True)
    y = getattr(F, name)(x, *args)
    assert y.shape == tuple(getattr(torch.nn.functional, name)(torch.zeros(shape), *args).shape)
    y.backward(np.zeros(y.shape, np.float32))
    assert x.grad.shape == shape
