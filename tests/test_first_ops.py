"""The engine's first ops, enough for an MLP: gradients, dunders, PyTorch parity, bad input."""

import numpy as np
import pytest

import lucid
from lucid.autograd import gradcheck
from lucid.kernels.broadcast import reduce_to_shape_ref

# name -> (lucid function, torch function name, input shapes, input sampler)
POSITIVE = "positive"
UNARY = {
    "neg": (lambda x: -x, "neg"),
    "exp": (lucid.exp, "exp"),
    "log": (lucid.log, "log"),
    "tanh": (lucid.tanh, "tanh"),
    "relu": (lucid.relu, "relu"),
    "sum": (lambda x: x.sum(), "sum"),
    "sum_axis": (lambda x: x.sum(axis=-1, keepdims=True), None),
    "mean": (lambda x: x.mean(axis=(0, -1)), None),
    "reshape": (lambda x: x.reshape(-1), "flatten"),
    "transpose": (lambda x: x.transpose(), None),
    "getitem": (lambda x: x[1:, ::-2], None),
    "getitem_none": (lambda x: x[None, ..., 0], None),
}
BINARY = {
    "add": lucid.add,
    "sub": lucid.sub,
    "multiply": lucid.multiply,
    "div": lucid.div,
    "power": lucid.power,
    "radd": lambda a, b: 2.0 + a * b,
    "rsub": lambda a, b: 2.0 - a / b,
    "rmul": lambda a, b: 3.0 * a - b,
    "rdiv": lambda a, b: 1.0 / (a + b),
    "rpow": lambda a, b: 2.0 ** (a - b),
}
BROADCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (3,)), ((5,), ())]
MATMUL = [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
          ((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (2, 4, 5))]  # fmt: skip


def positive(rng, shape):
    return lucid.tensor(rng.uniform(0.5, 2.0, shape), dtype=lucid.float64, requires_grad=True)


@pytest.mark.parametrize("name", UNARY)
def test_unary_gradient_matches_finite_differences(name, rng):
    x = positive(rng, (3, 4))
    x.data -= 1.2  # both signs for relu and neg, away from 0 for the kink
    x.numpy()[np.abs(x.numpy()) < 0.05] = 0.3
    if name == "log":
        x.data = np.abs(x.numpy()) + 0.1
    assert gradcheck(UNARY[name][0], (x,))


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize(("sa", "sb"), BROADCAST)
def test_binary_gradient_matches_finite_differences(name, sa, sb, rng):
    assert gradcheck(BINARY[name], (positive(rng, sa), positive(rng, sb)))


@pytest.mark.parametrize(("sa", "sb"), MATMUL)
def test_matmul_gradient_matches_finite_differences(sa, sb, rng):
    a, b = positive(rng, sa), positive(rng, sb)
    assert gradcheck(lambda a, b: a @ b, (a, b))


def test_reflected_operators_with_numpy_arrays(rng):
    a = positive(rng, (3,))
    arr = rng.uniform(0.5, 2.0, 3)
    for fn in (lambda t: arr + t, lambda t: arr - t, lambda t: arr * t, lambda t: arr / t,
               lambda t: arr ** t, lambda t: t ** arr):  # fmt: skip
        out = fn(a)
        assert isinstance(out, lucid.Tensor)
        assert gradcheck(fn, (a,))


def test_power_gradient_for_the_exponent_at_zero_base():
    a = lucid.tensor([0.0, 2.0], dtype=lucid.float64, requires_grad=True)
    b = lucid.tensor([2.0, 3.0], dtype=lucid.float64, requires_grad=True)
    (a**b).sum().backward()
    np.testing.assert_allclose(b.grad, [0.0, 8 * np.log(2)])
    np.testing.assert_allclose(a.grad, [0.0, 12.0])


def test_matmul_misaligned_shapes_name_both():
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(5, 2\) are not aligned: 4 .* != 5"):
        lucid.tensor(np.ones((3, 4))) @ lucid.tensor(np.ones((5, 2)))


def test_float32_stays_float32_through_the_first_ops(rng):
    x = lucid.tensor(rng.uniform(0.5, 2, (3, 4)), dtype=lucid.float32, requires_grad=True)
    w = lucid.tensor(rng.standard_normal((4, 2)), dtype=lucid.float32, requires_grad=True)
    y = ((x @ w).tanh() * 0.5 + 1.0).exp().log().relu() ** 2 / 3.0 - 1
    assert y.dtype == np.float32
    y.mean().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


@pytest.mark.torch
@pytest.mark.parametrize("name", ["exp", "log", "tanh", "relu", "neg", "sum", "reshape"])
def test_unary_matches_torch(name, rng):
    torch = pytest.importorskip("torch")
    fn, torch_name = UNARY[name]
    data = rng.uniform(0.2, 2.0, (3, 4)).astype(np.float32)
    if name in ("relu", "neg"):
        data -= 1.1
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, yt = fn(x), getattr(torch, torch_name)(xt)
    upstream = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-6)


TORCH_CASES = [(op, sa, sb) for op in ("add", "sub", "mul", "div", "pow") for sa, sb in BROADCAST]
TORCH_CASES += [("matmul", sa, sb) for sa, sb in MATMUL]


@pytest.mark.torch
@pytest.mark.parametrize(("op", "sa", "sb"), TORCH_CASES)
def test_binary_matches_torch(op, sa, sb, rng):
    torch = pytest.importorskip("torch")
    a = rng.uniform(0.5, 2.0, sa).astype(np.float32)
    b = rng.uniform(0.5, 2.0, sb).astype(np.float32)
    la, lb = lucid.tensor(a, requires_grad=True), lucid.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    fn = {"add": lambda p, q: p + q, "sub": lambda p, q: p - q, "mul": lambda p, q: p * q,
          "div": lambda p, q: p / q, "pow": lambda p, q: p**q,
          "matmul": lambda p, q: p @ q}[op]  # fmt: skip
    y, yt = fn(la, lb), fn(ta, tb)
    upstream = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(la.grad, ta.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(lb.grad, tb.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("sa", "sb"), [((40, 30, 20), (30, 1)), ((6, 5), (1,)), ((3, 4), (3, 4))])
def test_product_gradient_under_a_sum_matches_the_full_product(sa, sb, rng):
    # sum's gradient is one value stretched over the output: the product's gradient for a
    # broadcast factor is then summed before multiplying (no full-size temporary).
    a = lucid.tensor(rng.standard_normal(sa), dtype=lucid.float64, requires_grad=True)
    b = lucid.tensor(rng.standard_normal(sb), dtype=lucid.float64, requires_grad=True)
    ((a * b).sum() * 3.0).backward()  # sum's gradient: 3.0 stretched over a * b
    full_product_grad = 3.0 * np.broadcast_to(a.numpy(), np.broadcast_shapes(sa, sb)).copy()
    np.testing.assert_allclose(b.grad, reduce_to_shape_ref(full_product_grad, sb), rtol=1e-10)
    np.testing.assert_allclose(a.grad, 3.0 * np.broadcast_to(b.numpy(), sa), rtol=1e-12)
