"""In-place twins (exp_, remainder_, clamp_min_, masked_fill_ ...): they equal the out-of-place
op, keep the tensor's identity, shape and dtype, and refuse what PyTorch refuses."""

import numpy as np
import pytest

import lucid

UNARY = ["neg", "exp", "log", "log2", "sqrt", "abs", "square", "sign", "reciprocal", "sin",
         "cos", "tan", "tanh", "floor", "ceil", "sigmoid", "relu", "erf", "erfc", "erfinv",
         "log10", "log1p", "expm1", "exp2", "rsqrt", "trunc", "frac", "sinc", "asinh",
         "atanh", "deg2rad", "rad2deg", "sgn", "round", "nan_to_num", "absolute", "arcsinh",
         "arctanh", "fix", "lgamma", "digamma", "logit"]  # fmt: skip
BINARY = ["pow", "remainder", "fmod", "floor_divide", "clamp_min", "clamp_max", "copysign",
          "hypot", "xlogy", "maximum", "minimum", "ldexp", "true_divide",
          "float_power"]  # fmt: skip


def _method(name):
    return {"neg": "neg", "pow": "pow"}.get(name, name)


@pytest.mark.parametrize("name", UNARY)
def test_unary_twin_equals_the_op(name, rng):
    data = rng.uniform(0.1, 0.9, (3, 4))
    x = lucid.tensor(data)
    expected = getattr(lucid.tensor(data), _method(name))().numpy()
    out = getattr(x, f"{name}_")()
    assert out is x and x.dtype == np.float64 and x._version == 1
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("name", BINARY)
def test_binary_twin_equals_the_op(name, rng):
    data, other = rng.uniform(0.5, 3, (3, 4)), rng.uniform(0.5, 2, (4,))
    x = lucid.tensor(data)
    expected = getattr(lucid.tensor(data), name)(lucid.tensor(other, dtype=lucid.float32))
    assert getattr(x, f"{name}_")(lucid.tensor(other, dtype=lucid.float32)) is x
    np.testing.assert_allclose(x.numpy(), expected.numpy(), rtol=1e-6)


def test_ternary_twins(rng):
    a, b, c = (rng.standard_normal((3, 4)) for _ in range(3))
    for name, args, kwargs in (("lerp", (b, 0.3), {}), ("addcmul", (b, c), {"value": 0.5}),
                               ("addcdiv", (b, np.abs(c) + 1), {"value": 2})):  # fmt: skip
        targs = [lucid.tensor(v) if isinstance(v, np.ndarray) else v for v in args]
        expected = getattr(lucid.tensor(a), name)(*targs, **kwargs).numpy()
        x = lucid.tensor(a)
        getattr(x, f"{name}_")(*targs, **kwargs)
        np.testing.assert_allclose(x.numpy(), expected, rtol=1e-6, err_msg=name)


def test_masked_fill_(rng):
    x = lucid.tensor(rng.standard_normal((3, 4)))
    mask = lucid.tensor([True, False, True, False])
    expected = np.where(mask.numpy(), -1.0, x.numpy())
    assert x.masked_fill_(mask, -1.0) is x
    np.testing.assert_array_equal(x.numpy(), expected)
    x.masked_fill_(lucid.tensor([[True], [False], [False]]), lucid.tensor(5.0))
    assert (x.numpy()[0] == 5).all()
    with pytest.raises(TypeError, match="bool"):
        x.masked_fill_(lucid.tensor([1, 0, 1, 0]), 0.0)
    with pytest.raises(ValueError, match="broadcast"):
        x.masked_fill_(lucid.tensor([True, False]), 0.0)


def test_twins_refuse_what_torch_refuses():
    i = lucid.tensor([1, 2, 3])
    with pytest.raises(TypeError, match="int64"):
        i.exp_()  # a float result cannot be stored in an integer tensor
    with pytest.raises(ValueError, match="shape"):
        lucid.zeros(3).add(0).remainder_(lucid.ones(2, 3))  # the result would grow
    w = lucid.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w.exp_()
    with lucid.no_grad():
        w.exp_()
    np.testing.assert_array_equal(w.numpy(), np.ones(3))
    y = lucid.exp(lucid.zeros(2, requires_grad=True))
    with pytest.raises(RuntimeError, match="in-place"):
        y.sqrt_()


def test_int_twins_keep_integer_dtype():
    x = lucid.tensor([7, -7, 9])
    x.remainder_(4)
    x.floor_divide_(2)
    x.clamp_min_(0)
    np.testing.assert_array_equal(x.numpy(), [1, 0, 0])
    assert x.dtype == np.int64
    y = lucid.tensor([1.0, 2.0])
    y.clip_(1.5, 1.8)
    np.testing.assert_array_equal(y.numpy(), np.array([1.5, 1.8], dtype=np.float32))


def test_integer_and_bool_twins():
    x = lucid.tensor([12, 18, 7])
    x.gcd_(lucid.tensor([8, 12, 7]))
    np.testing.assert_array_equal(x.numpy(), [4, 6, 7])
    x.lcm_(2)
    np.testing.assert_array_equal(x.numpy(), [4, 6, 14])
    b = lucid.tensor([True, False, True])
    b.logical_xor_(lucid.tensor([True, True, False]))
    b.logical_or_(lucid.tensor([False, False, False]))
    b.logical_and_(lucid.tensor([True, True, True]))
    np.testing.assert_array_equal(b.numpy(), [False, True, True])
    y = lucid.tensor([2.0, 3.0])
    y.polygamma_(1)
    np.testing.assert_allclose(y.numpy(), lucid.polygamma(1, lucid.tensor([2.0, 3.0])).numpy())
    with pytest.raises(TypeError, match="float64"):
        lucid.tensor([2.0]).float_power_(2)
