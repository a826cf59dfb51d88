"""Elementwise ops: gradients against finite differences and PyTorch, dtypes, errors."""

import numpy as np
import pytest

import lucid
from lucid.autograd import gradcheck

from .._helpers import away_from_zero, normal, off_integers, positive, unit

SHAPES = [(), (5,), (3, 4), (2, 1, 3)]


# name: (lucid function, torch function name, input sampler)
UNARY = {
    "neg": (lucid.neg, "neg", normal),
    "exp": (lucid.exp, "exp", normal),
    "log": (lucid.log, "log", positive),
    "log2": (lucid.log2, "log2", positive),
    "sqrt": (lucid.sqrt, "sqrt", positive),
    "square": (lucid.square, "square", normal),
    "abs": (lucid.abs, "abs", away_from_zero),
    "sign": (lucid.sign, "sign", away_from_zero),
    "reciprocal": (lucid.reciprocal, "reciprocal", away_from_zero),
    "sin": (lucid.sin, "sin", normal),
    "cos": (lucid.cos, "cos", normal),
    "tan": (lucid.tan, "tan", unit),
    "tanh": (lucid.tanh, "tanh", normal),
    "sinh": (lucid.sinh, "sinh", normal),
    "cosh": (lucid.cosh, "cosh", normal),
    "arcsin": (lucid.arcsin, "asin", unit),
    "arccos": (lucid.arccos, "acos", unit),
    "arctan": (lucid.arctan, "atan", normal),
    "sigmoid": (lucid.sigmoid, "sigmoid", normal),
    "relu": (lucid.relu, "relu", away_from_zero),
    "floor": (lucid.floor, "floor", off_integers),
    "ceil": (lucid.ceil, "ceil", off_integers),
    "round": (lucid.round, "round", off_integers),
}

# name: (lucid function, torch function name, sampler of a, sampler of b)
BINARY = {
    "add": (lucid.add, "add", normal, normal),
    "sub": (lucid.sub, "sub", normal, normal),
    "multiply": (lucid.multiply, "mul", normal, normal),
    "div": (lucid.div, "div", normal, away_from_zero),
    "power": (lucid.power, "pow", positive, normal),
    "maximum": (lucid.maximum, "maximum", normal, normal),
    "minimum": (lucid.minimum, "minimum", normal, normal),
}

BROADCAST_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((), (3,)), ((3, 1), ())]


def _leaf(data):
    return lucid.tensor(data, dtype=lucid.float64, requires_grad=True)


# --------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", UNARY)
def test_unary_gradient_matches_finite_differences(name, shape, rng):
    fn, _, sample = UNARY[name]
    assert gradcheck(fn, (_leaf(sample(rng, shape)),))


@pytest.mark.parametrize("name", UNARY)
def test_unary_gradient_on_a_transposed_input(name, rng):
    fn, _, sample = UNARY[name]
    x = _leaf(sample(rng, (3, 4)))
    assert gradcheck(lambda t: fn(t.T), (x,))


@pytest.mark.parametrize(("shape_a", "shape_b"), BROADCAST_PAIRS)
@pytest.mark.parametrize("name", BINARY)
def test_binary_gradient_matches_finite_differences(name, shape_a, shape_b, rng):
    fn, _, sample_a, sample_b = BINARY[name]
    a, b = _leaf(sample_a(rng, shape_a)), _leaf(sample_b(rng, shape_b))
    assert gradcheck(fn, (a, b))


@pytest.mark.parametrize("name", BINARY)
def test_binary_gradient_on_transposed_inputs(name, rng):
    fn, _, sample_a, sample_b = BINARY[name]
    a, b = _leaf(sample_a(rng, (4, 3))), _leaf(sample_b(rng, (3, 4)))
    assert gradcheck(lambda x, y: fn(x.T, y), (a, b))


@pytest.mark.parametrize("name", BINARY)
def test_binary_gradient_with_one_constant_input(name, rng):
    fn, _, sample_a, sample_b = BINARY[name]
    a_data, b_data = sample_a(rng, (3, 4)), sample_b(rng, (4,))
    b = lucid.tensor(b_data, dtype=lucid.float64)
    assert gradcheck(lambda x: fn(x, b), (_leaf(a_data),))
    a = lucid.tensor(a_data, dtype=lucid.float64)
    assert gradcheck(lambda y: fn(a, y), (_leaf(b_data),))


@pytest.mark.parametrize(("shape_c", "shape_a", "shape_b"), [
    ((3, 4), (3, 4), (3, 4)), ((4,), (3, 4), ()), ((3, 1), (1, 4), (3, 4)), ((), (2, 3), (3,)),
])  # fmt: skip
def test_where_gradient_flows_to_both_branches(shape_c, shape_a, shape_b, rng):
    cond = lucid.tensor(rng.random(shape_c) > 0.5)
    a, b = _leaf(rng.standard_normal(shape_a)), _leaf(rng.standard_normal(shape_b))
    assert gradcheck(lambda x, y: lucid.where(cond, x, y), (a, b))


@pytest.mark.parametrize("bounds", [(-0.5, 0.5), (-0.5, None), (None, 0.5)])
@pytest.mark.parametrize("shape", SHAPES)
def test_clip_with_scalar_bounds_gradient(bounds, shape, rng):
    x = _leaf(rng.choice([-1.0, 1.0], shape) * rng.uniform(0.1, 0.4, shape) * 3)  # not +-0.5
    assert gradcheck(lambda t: lucid.clip(t, *bounds), (x,))


@pytest.mark.parametrize(("shape_lo", "shape_hi"), [((3, 4), (3, 4)), ((4,), ()), ((3, 1), (4,))])
def test_clip_with_tensor_bounds_gradient_reaches_the_bounds(shape_lo, shape_hi, rng):
    x = _leaf(rng.uniform(-2, 2, (3, 4)))
    lo = _leaf(rng.uniform(-1.5, -0.2, shape_lo))
    hi = _leaf(rng.uniform(0.2, 1.5, shape_hi))
    # finite differences need a margin: move x off the bounds
    x.numpy()[np.isclose(x.numpy(), np.broadcast_to(lo.numpy(), (3, 4)), atol=1e-3)] += 0.01
    x.numpy()[np.isclose(x.numpy(), np.broadcast_to(hi.numpy(), (3, 4)), atol=1e-3)] -= 0.01
    assert gradcheck(lucid.clip, (x, lo, hi))


def test_tanh_sigmoid_relu_large_inputs_use_the_kernels_and_agree(rng):
    """Above the kernels' size threshold the backward runs the fused loops (when jit is on)."""
    data = rng.standard_normal((70, 70))
    upstream = rng.standard_normal((70, 70))
    for fn, derivative in [
        (lucid.tanh, lambda v: 1 - np.tanh(v) ** 2),
        (lucid.sigmoid, lambda v: np.exp(-v) / (1 + np.exp(-v)) ** 2),
        (lucid.relu, lambda v: (v > 0).astype(float)),
    ]:
        x = _leaf(data)
        fn(x).backward(upstream)
        np.testing.assert_allclose(x.grad, upstream * derivative(data), rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- PyTorch parity


def _torch_pair(torch, data):
    return lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)


def _assert_close(y, yt, x, xt, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=rtol, atol=atol)


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(), (3, 4)])
@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_torch(name, shape, rng):
    torch = pytest.importorskip("torch")
    fn, torch_name, sample = UNARY[name]
    data = sample(rng, shape).astype(np.float32)
    upstream = rng.standard_normal(shape).astype(np.float32)
    x, xt = _torch_pair(torch, data)
    y, yt = fn(x), getattr(torch, torch_name)(xt)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    assert y.dtype == np.float32
    _assert_close(y, yt, x, xt)


@pytest.mark.torch
@pytest.mark.parametrize(("shape_a", "shape_b"), BROADCAST_PAIRS)
@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_torch(name, shape_a, shape_b, rng):
    torch = pytest.importorskip("torch")
    fn, torch_name, sample_a, sample_b = BINARY[name]
    da, db = sample_a(rng, shape_a).astype(np.float32), sample_b(rng, shape_b).astype(np.float32)
    (a, at), (b, bt) = _torch_pair(torch, da), _torch_pair(torch, db)
    y, yt = fn(a, b), getattr(torch, torch_name)(at, bt)
    upstream = rng.standard_normal(yt.shape).astype(np.float32)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    _assert_close(y, yt, a, at)
    np.testing.assert_allclose(b.grad, bt.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["abs", "sign", "relu", "sqrt"])
def test_subgradients_at_zero_match_torch(name, rng):
    torch = pytest.importorskip("torch")
    fn, torch_name, _ = UNARY[name]
    data = np.array([0.0, -0.0, 1.5, -2.0, 0.0], dtype=np.float32)
    if name == "sqrt":
        data = np.abs(data)
    upstream = rng.standard_normal(5).astype(np.float32)
    x, xt = _torch_pair(torch, data)
    fn(x).backward(upstream)
    getattr(torch, torch_name)(xt).backward(torch.tensor(upstream))
    np.testing.assert_array_equal(x.grad, xt.grad.numpy())


@pytest.mark.torch
@pytest.mark.parametrize(("a", "b"), [(0.0, 0.0), (0.0, 2.0), (2.0, 0.0), (-1.0, 2.0)])
def test_power_at_zero_matches_torch(a, b, rng):
    torch = pytest.importorskip("torch")
    (x, xt), (p, pt) = _torch_pair(torch, np.float32(a)), _torch_pair(torch, np.float32(b))
    upstream = np.float32(rng.standard_normal())
    lucid.power(x, p).backward(upstream)
    torch.pow(xt, pt).backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(p.grad, pt.grad.numpy(), rtol=1e-6)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_ties_split_the_gradient_as_torch(name, rng):
    torch = pytest.importorskip("torch")
    da = rng.integers(-2, 3, (4, 5)).astype(np.float32)  # many ties
    db = rng.integers(-2, 3, (5,)).astype(np.float32)
    (a, at), (b, bt) = _torch_pair(torch, da), _torch_pair(torch, db)
    upstream = rng.standard_normal((4, 5)).astype(np.float32)
    getattr(lucid, name)(a, b).backward(upstream)
    getattr(torch, name)(at, bt).backward(torch.tensor(upstream))
    assert (da == db).any()
    np.testing.assert_allclose(a.grad, at.grad.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(b.grad, bt.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.torch
def test_where_matches_torch(rng):
    torch = pytest.importorskip("torch")
    cond = rng.random((3, 1)) > 0.5
    (a, at), (b, bt) = (_torch_pair(torch, rng.standard_normal(s).astype(np.float32))
                        for s in [(3, 4), (4,)])  # fmt: skip
    upstream = rng.standard_normal((3, 4)).astype(np.float32)
    y, yt = lucid.where(lucid.tensor(cond), a, b), torch.where(torch.tensor(cond), at, bt)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    _assert_close(y, yt, a, at)
    np.testing.assert_allclose(b.grad, bt.grad.numpy(), rtol=1e-6)


@pytest.mark.torch
@pytest.mark.parametrize("size", [12, 5_000])  # the reference and (above 4096) the kernel
@pytest.mark.parametrize("bounds", [(-0.5, 0.5), (-0.5, None), (None, 0.5)])
def test_clip_with_scalar_bounds_matches_torch(bounds, size, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal(size).astype(np.float32)
    data[:4] = [-0.5, 0.5, np.nan, 0.25]  # on the bounds: inclusive, as clamp
    upstream = rng.standard_normal(size).astype(np.float32)
    x, xt = _torch_pair(torch, data)
    y, yt = lucid.clamp(x, *bounds), torch.clamp(xt, *bounds)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    _assert_close(y, yt, x, xt)


@pytest.mark.torch
def test_clip_with_tensor_bounds_matches_torch(rng):
    torch = pytest.importorskip("torch")
    data = rng.uniform(-2, 2, (6, 5)).astype(np.float32)
    low = rng.uniform(-1, 0.5, (6, 5)).astype(np.float32)
    high = rng.uniform(-0.5, 1, (5,)).astype(np.float32)  # some below low: the result is high
    data[0, :2], low[0, :2], high[:2] = 0.25, 0.25, 0.25  # x on both bounds
    (x, xt), (lo, lot), (hi, hit) = (_torch_pair(torch, d) for d in (data, low, high))
    upstream = rng.standard_normal((6, 5)).astype(np.float32)
    y, yt = lucid.clip(x, lo, hi), torch.clamp(xt, lot, hit)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    assert (low > high).any()
    _assert_close(y, yt, x, xt)
    np.testing.assert_allclose(lo.grad, lot.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(hi.grad, hit.grad.numpy(), rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- values and dtypes


def test_clip_spellings_agree(rng):
    x = lucid.tensor(rng.standard_normal((3, 4)))
    expected = np.clip(x.numpy(), -0.3, 0.4)
    for y in [
        lucid.clip(x, -0.3, 0.4),
        lucid.clamp(x, min=-0.3, max=0.4),
        lucid.clip(x, a_min=-0.3, a_max=0.4),
        x.clip(-0.3, 0.4),
        x.clamp(max=0.4, min=-0.3),
    ]:
        np.testing.assert_array_equal(y.numpy(), expected)


def test_clip_needs_a_bound_and_one_spelling_per_bound():
    x = lucid.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="min, max or both"):
        lucid.clip(x)
    with pytest.raises(TypeError, match="min or a_min"):
        lucid.clip(x, 0.0, a_min=1.0)


@pytest.mark.parametrize("name", ["add", "sub", "multiply", "div", "power", "maximum", "minimum"])
def test_float32_with_a_python_float_stays_float32(name):
    fn = getattr(lucid, name)
    x = lucid.tensor([1.5, 2.5], requires_grad=True)
    for y in (fn(x, 2.0), fn(3.0, x)):
        assert y.dtype == np.float32
        y.backward(np.ones(2, np.float32))
        assert x.grad.dtype == np.float32


def test_float32_stays_float32_in_where_and_clip():
    x = lucid.tensor([1.5, -2.5])
    assert lucid.where(x > 0, x, 0.0).dtype == np.float32
    assert lucid.where(x > 0, 1.0, x).dtype == np.float32
    assert lucid.where(x > 0, x, 0).dtype == np.float32
    assert lucid.clip(x, -1.0, 1.0).dtype == np.float32
    assert lucid.clip(x, lucid.tensor(0.0), 1).dtype == np.float32


@pytest.mark.parametrize("name", ["exp", "log", "log2", "sqrt", "reciprocal", "sin", "cos",
                                  "tan", "tanh", "sinh", "cosh", "arctan", "sigmoid"])  # fmt: skip
def test_integer_input_to_a_float_op_gives_float32(name):
    y = getattr(lucid, name)(lucid.tensor([1, 2, 3]))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), UNARY[name][0](lucid.tensor([1.0, 2.0, 3.0])).numpy())


def test_integer_and_float_operands_give_the_float_dtype():
    i = lucid.tensor([1, 2, 3])
    f = lucid.tensor([0.5, 1.5, 2.5])
    assert (i + 0.5).dtype == np.float32
    assert (i * f).dtype == np.float32
    assert (f - i).dtype == np.float32
    assert (i / 2).dtype == np.float32
    assert (i / i).dtype == np.float32
    assert (i**0.5).dtype == np.float32
    assert lucid.maximum(i, f).dtype == np.float32
    assert (i + 1).dtype == np.int64
    assert (i // 2).dtype == np.int64


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "sign", "abs", "square", "neg"])
def test_integer_inputs_keep_their_dtype_where_pytorch_does(name):
    data = np.array([-3, 0, 2, 5])
    y = getattr(lucid, name)(lucid.tensor(data))
    assert y.dtype == np.int64
    expected = {"floor": data, "ceil": data, "round": data, "sign": np.sign(data),
                "abs": np.abs(data), "square": data**2, "neg": -data}[name]  # fmt: skip
    np.testing.assert_array_equal(y.numpy(), expected)


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "sign"])
def test_step_functions_have_a_zero_gradient(name, rng):
    x = lucid.tensor(rng.standard_normal(5), requires_grad=True)
    y = getattr(lucid, name)(x)
    assert y.requires_grad
    y.backward(rng.standard_normal(5).astype(np.float32))
    np.testing.assert_array_equal(x.grad, np.zeros(5, np.float32))


def test_round_with_decimals_rounds_half_to_even():
    x = lucid.tensor([0.125, 2.5, 3.5, -1.55], dtype=lucid.float64)
    np.testing.assert_array_equal(lucid.round(x).numpy(), [0.0, 2.0, 4.0, -2.0])
    np.testing.assert_array_equal(x.round(1).numpy(), np.round(x.numpy(), 1))


def test_floor_divide_values_and_zero_gradient():
    a = lucid.tensor([7.0, -7.0, 7.5], requires_grad=True)
    y = a // 2
    np.testing.assert_array_equal(y.numpy(), [3.0, -4.0, 3.0])
    assert y.requires_grad  # as PyTorch: recorded, with a zero gradient
    y.backward(lucid.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal((lucid.tensor([7, -7]) // lucid.tensor([2, 2])).numpy(), [3, -4])


@pytest.mark.parametrize(("op", "ref"), [
    ("__eq__", np.equal), ("__ne__", np.not_equal), ("__lt__", np.less),
    ("__le__", np.less_equal), ("__gt__", np.greater), ("__ge__", np.greater_equal),
])  # fmt: skip
def test_comparisons_give_bool_without_gradient(op, ref, rng):
    a = lucid.tensor(rng.integers(0, 3, (3, 4)).astype(np.float32), requires_grad=True)
    b = rng.integers(0, 3, (4,)).astype(np.float32)
    y = getattr(a, op)(lucid.tensor(b))
    assert y.dtype == np.bool_ and not y.requires_grad
    np.testing.assert_array_equal(y.numpy(), ref(a.numpy(), b))
    np.testing.assert_array_equal(getattr(a, op)(1.0).numpy(), ref(a.numpy(), 1.0))


def test_isclose_and_allclose_follow_numpy():
    a = lucid.tensor([1.0, 2.0, np.nan, 1e-9])
    b = lucid.tensor([1.0 + 1e-6, 2.1, np.nan, 0.0])
    np.testing.assert_array_equal(lucid.isclose(a, b).numpy(), np.isclose(a.numpy(), b.numpy()))
    np.testing.assert_array_equal(
        a.isclose(b, equal_nan=True, rtol=0.1).numpy(),
        np.isclose(a.numpy(), b.numpy(), equal_nan=True, rtol=0.1),
    )
    assert lucid.allclose(a[:2], b[:2], rtol=0.1) is True
    assert lucid.allclose(a, b) is False
    assert a[:2].allclose(a[:2]) is True


@pytest.mark.parametrize("name", ["add", "multiply", "maximum", "power", "isclose"])
def test_unbroadcastable_shapes_raise_value_error_naming_them(name):
    a, b = lucid.tensor(np.ones((3, 4))), lucid.tensor(np.ones((5,)))
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(5,\)"):
        getattr(lucid, name)(a, b)


def test_where_and_clip_name_unbroadcastable_shapes():
    with pytest.raises(ValueError, match=r"\(2,\) and \(3, 4\) and \(5,\)"):
        lucid.where(lucid.tensor([True, False]), lucid.tensor(np.ones((3, 4))), np.ones(5))
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(5,\)"):
        lucid.clip(lucid.tensor(np.ones((3, 4))), lucid.tensor(np.zeros(5)), 1.0)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["add", "sub"])
def test_add_and_sub_with_alpha_match_torch(name, rng):
    torch = pytest.importorskip("torch")
    a, b = rng.standard_normal((3, 4)), rng.standard_normal(4)
    up = rng.standard_normal((3, 4))
    xa, xb = lucid.tensor(a, requires_grad=True), lucid.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    y, yt = getattr(xa, name)(xb, alpha=-0.3), getattr(ta, name)(tb, alpha=-0.3)
    y.backward(up)
    yt.backward(torch.tensor(up))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(xb.grad.numpy(), tb.grad.numpy(), rtol=1e-12)
    p, pt = lucid.tensor(a), torch.tensor(a)
    getattr(p, name + "_")(lucid.tensor(b), alpha=2.5)
    getattr(pt, name + "_")(torch.tensor(b), alpha=2.5)
    np.testing.assert_allclose(p.numpy(), pt.numpy(), rtol=1e-12)
