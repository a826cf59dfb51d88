"""inplace=True and the f_ functions, RReLU, Softmax2d, BatchNorm3d, ChannelShuffle, LPPool,
MaxUnpool, pdist and the *_with_indices names, against finite differences and PyTorch."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck

INPLACE = [
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "celu",
    "hardtanh",
    "relu6",
    "silu",
    "mish",
    "hardsigmoid",
    "hardswish",
    "dropout",
    "dropout2d",
    "alpha_dropout",
]


@pytest.mark.torch
@pytest.mark.parametrize("name", INPLACE)
def test_inplace_writes_into_an_unrecorded_input_as_torch(name, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal((2, 3, 4, 2))
    kwargs = {"p": 1.0, "training": True} if "dropout" in name else {}  # p=1: no randomness
    x, xt = lucid.tensor(data), torch.tensor(data)
    y = getattr(F, name)(x, inplace=True, **kwargs)
    yt = getattr(torch.nn.functional, name)(xt, inplace=True, **kwargs)
    assert (y is x) == (yt is xt)
    np.testing.assert_allclose(x.numpy(), xt.numpy(), rtol=1e-12, atol=1e-12)


def test_inplace_on_a_recorded_input_returns_the_value_and_keeps_gradients(rng):
    a = lucid.tensor(rng.standard_normal(5), requires_grad=True)
    h = a * 2
    y = F.relu(h, inplace=True)  # the graph records no in-place op: a new tensor
    assert y is not h
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), 2 * (a.numpy() > 0))
    x = lucid.tensor(rng.standard_normal(4))
    module = nn.ReLU(inplace=True)
    assert module(x) is x and (x.numpy() >= 0).all()


@pytest.mark.torch
@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("relu_", ()),
        ("leaky_relu_", (0.2,)),
        ("elu_", (0.5,)),
        ("celu_", (0.5,)),
        ("selu_", ()),
        ("hardtanh_", (-0.5, 0.5)),
        ("threshold_", (0.1, 2.0)),
        ("rrelu_", (0.1, 0.3)),
    ],
)
def test_underscore_functions_change_their_input_as_torch(name, args, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal((3, 4))
    x, xt = lucid.tensor(data), torch.tensor(data)
    assert getattr(F, name)(x, *args) is x
    getattr(torch.nn.functional, name)(xt, *args)
    np.testing.assert_allclose(x.numpy(), xt.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="in-place"):
        getattr(F, name)(lucid.tensor(data, requires_grad=True), *args)


@pytest.mark.torch
def test_rrelu_matches_torch_in_eval_and_draws_slopes_while_training(rng, torch_compare):
    torch = pytest.importorskip("torch")
    module, module_t = nn.RReLU(0.1, 0.3), torch.nn.RReLU(0.1, 0.3)
    assert repr(module) == repr(module_t)
    module.eval(), module_t.eval()
    torch_compare(module, module_t, [rng.standard_normal((3, 5))])
    lucid.random.seed(0)
    data = -rng.uniform(1, 2, 2000)
    x = lucid.tensor(data, requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    y.backward(np.ones(2000))
    slope = y.numpy() / data
    assert 0.1 <= slope.min() and slope.max() <= 0.3 and slope.std() > 0.05
    np.testing.assert_allclose(x.grad.numpy(), slope, rtol=1e-12)
    with pytest.raises(ValueError, match="lower <= upper"):
        F.rrelu(x, 0.5, 0.1)


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 4, 5)])
def test_softmax2d_matches_torch(shape, rng, torch_compare):
    torch = pytest.importorskip("torch")
    torch_compare(nn.Softmax2d(), torch.nn.Softmax2d(), [rng.standard_normal(shape)])
    with pytest.raises(ValueError, match="3-D or 4-D"):
        nn.Softmax2d()(lucid.ones(2, 3))


@pytest.mark.torch
def test_batch_norm3d_matches_torch_with_buffers(rng, torch_compare):
    torch = pytest.importorskip("torch")
    module, module_t = nn.BatchNorm3d(3).double(), torch.nn.BatchNorm3d(3).double()
    assert repr(module) == repr(module_t)
    for train in (True, False):
        module.train(train), module_t.train(train)
        torch_compare(module, module_t, [rng.standard_normal((2, 3, 2, 3, 4))], 1e-10)
        np.testing.assert_allclose(module.running_var.numpy(), module_t.running_var.numpy())
    with pytest.raises(ValueError, match=r"\(N, 3, D, H, W\)"):
        module(lucid.ones(2, 3, 4, 4))


@pytest.mark.torch
@pytest.mark.parametrize(
    ("shape", "groups"), [((2, 6, 3, 2), 3), ((1, 4, 5), 2), ((2, 6, 1, 1, 2), 6)]
)
def test_channel_shuffle_matches_torch(shape, groups, rng, torch_compare):
    torch = pytest.importorskip("torch")
    torch_compare(
        lambda x: F.channel_shuffle(x, groups),
        lambda x: torch.nn.functional.channel_shuffle(x, groups),
        [rng.standard_normal(shape)],
        0,
    )
    assert repr(nn.ChannelShuffle(groups)) == repr(torch.nn.ChannelShuffle(groups))
    with pytest.raises(ValueError, match="groups=4"):
        F.channel_shuffle(lucid.ones(1, 6, 2), 4)


@pytest.mark.torch
@pytest.mark.parametrize(
    ("name", "shape", "args", "kwargs"),
    [
        ("LPPool1d", (2, 3, 7), (1.5, 3), {}),
        ("LPPool2d", (2, 3, 6, 7), (2.0, 3), {"stride": 2}),
        ("LPPool2d", (1, 2, 5, 5), (3, (2, 3)), {"ceil_mode": True}),
        ("LPPool3d", (1, 2, 4, 4, 4), (2.0, 2), {}),
    ],
)
def test_lp_pool_matches_torch(name, shape, args, kwargs, rng, torch_compare):
    torch = pytest.importorskip("torch")
    module, module_t = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(module) == repr(module_t)
    data = rng.uniform(0.2, 2, shape)
    torch_compare(module, module_t, [data])
    assert gradcheck(module, (lucid.tensor(data, requires_grad=True),))


@pytest.mark.torch
@pytest.mark.parametrize(
    ("spatial", "shape", "kwargs"),
    [
        (1, (3, 8), {}),
        (2, (2, 3, 6, 6), {}),
        (2, (2, 3, 6, 7), {"output_size": (6, 7)}),
        (3, (1, 2, 4, 6, 4), {}),
    ],
)
def test_max_unpool_inverts_max_pool_as_torch(spatial, shape, kwargs, rng, torch_compare):
    torch = pytest.importorskip("torch")
    pool_t = getattr(torch.nn.functional, f"max_pool{spatial}d")
    values, index = pool_t(torch.tensor(rng.standard_normal(shape)), 2, return_indices=True)
    name = f"MaxUnpool{spatial}d"
    module, module_t = getattr(nn, name)(2), getattr(torch.nn, name)(2)
    assert repr(module) == repr(module_t)
    torch_compare(
        lambda v: module(v, lucid.tensor(index.numpy()), **kwargs),
        lambda v: module_t(v, index, **kwargs),
        [values.numpy()],
        0,
    )
    # Lucid's own pool: the same indices
    _, own = getattr(F, f"max_pool{spatial}d")(
        lucid.tensor(rng.standard_normal(shape)), 2, return_indices=True
    )
    assert own.shape == tuple(index.shape) and own.dtype == np.int64
    with pytest.raises(ValueError, match="out of range"):
        F.max_unpool2d(lucid.ones(1, 1, 1, 1), lucid.tensor([[[[9]]]]), 2)


@pytest.mark.torch
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
def test_pdist_matches_torch(p, rng, torch_compare):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal((5, 3))
    torch_compare(lambda x: F.pdist(x, p), lambda x: torch.nn.functional.pdist(x, p), [data])
    assert gradcheck(lambda x: F.pdist(x, p), (lucid.tensor(data, requires_grad=True),))
    with pytest.raises(ValueError, match="2-D"):
        F.pdist(lucid.ones(3))


@pytest.mark.torch
@pytest.mark.parametrize(
    ("name", "shape", "args"),
    [
        ("max_pool1d_with_indices", (2, 3, 8), (2,)),
        ("max_pool2d_with_indices", (2, 3, 6, 6), (3, 2)),
        ("max_pool3d_with_indices", (1, 2, 4, 4, 4), (2,)),
        ("adaptive_max_pool1d_with_indices", (2, 3, 7), (3,)),
        ("adaptive_max_pool2d_with_indices", (2, 3, 7, 5), ((3, 2),)),
        ("adaptive_max_pool3d_with_indices", (1, 2, 4, 5, 3), (2,)),
    ],
)
def test_with_indices_names_return_pytorchs_pair(name, shape, args, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal(shape)
    out, index = getattr(F, name)(lucid.tensor(data), *args)
    out_t, index_t = getattr(torch.nn.functional, name)(torch.tensor(data), *args)
    np.testing.assert_array_equal(out.numpy(), out_t.numpy())
    np.testing.assert_array_equal(index.numpy(), index_t.numpy())


# second derivatives: the composed layers record their gradients (create_graph=True)
SECOND_ORDER = {
    "selu": (lambda F_, x: F_.selu(x), (3, 4)),
    "hardswish": (lambda F_, x: F_.hardswish(x), (3, 4)),
    "glu": (lambda F_, x: F_.glu(x, dim=1), (3, 4)),
    "logsigmoid": (lambda F_, x: F_.logsigmoid(x), (3, 4)),
    "bicubic": (lambda F_, x: F_.interpolate(x, size=(5, 3), mode="bicubic"), (1, 2, 3, 4)),
    "instance_norm": (lambda F_, x: F_.instance_norm(x), (2, 3, 5)),
    "rms_norm": (lambda F_, x: F_.rms_norm(x, (4,), eps=1e-5), (3, 4)),
    "normalize": (lambda F_, x: F_.normalize(x, dim=1), (3, 4)),
    "local_response_norm": (lambda F_, x: F_.local_response_norm(x, 3), (2, 4, 3)),
    "adaptive_max_pool2d": (lambda F_, x: F_.adaptive_max_pool2d(x, 2), (1, 2, 5, 5)),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivatives_match_torch(name, rng):
    torch = pytest.importorskip("torch")
    f, shape = SECOND_ORDER[name]
    data, v = rng.standard_normal(shape), rng.standard_normal(shape)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, yt = f(F, x), f(torch.nn.functional, xt)
    u = rng.standard_normal(tuple(yt.shape))
    (g,) = lucid.autograd.grad((y * y * lucid.tensor(u)).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad((yt * yt * torch.tensor(u)).sum(), xt, create_graph=True)
    (h,) = lucid.autograd.grad((g * lucid.tensor(v)).sum(), x)
    (ht,) = torch.autograd.grad((gt * torch.tensor(v)).sum(), xt)
    np.testing.assert_allclose(h.numpy(), ht.numpy(), rtol=1e-7, atol=1e-9)
