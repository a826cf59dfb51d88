"""div with rounding modes, floor_divide, remainder (%), fmod: PyTorch's values, gradients,
integer division by zero raising, and the sign laws."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import lucid
from lucid.autograd import gradcheck


def _away_from_zero(rng, shape):
    return rng.uniform(0.3, 3.0, shape) * rng.choice([-1.0, 1.0], shape)


CASES = {
    "trunc": (
        lambda a, b: lucid.div(a, b, rounding_mode="trunc"),
        lambda t, a, b: t.div(a, b, rounding_mode="trunc"),
    ),
    "floor": (
        lambda a, b: lucid.div(a, b, rounding_mode="floor"),
        lambda t, a, b: t.div(a, b, rounding_mode="floor"),
    ),
    "floor_divide": (lambda a, b: a // b, lambda t, a, b: a // b),
    "remainder": (lambda a, b: a % b, lambda t, a, b: a % b),
    "fmod": (lucid.fmod, lambda t, a, b: t.fmod(a, b)),
}  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["int32", "int64", "float32", "float64"])
@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize(
    ("shape_a", "shape_b"), [((3, 4), (3, 4)), ((3, 4), (4,)), ((), (3,)), ((0,), ())]
)
def test_values_and_dtypes_match_torch(name, dtype, shape_a, shape_b, rng):
    torch = pytest.importorskip("torch")
    a = (rng.integers(-20, 20, shape_a) + (0.5 if "float" in dtype else 0)).astype(dtype)
    b = (rng.integers(1, 6, shape_b) * rng.choice([-1, 1], shape_b)).astype(dtype)
    ours, theirs = CASES[name]
    got = ours(lucid.tensor(a), lucid.tensor(b))
    expected = theirs(torch, torch.tensor(a), torch.tensor(b))
    assert got.dtype == np.dtype(str(expected.dtype).removeprefix("torch."))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", CASES)
def test_integer_division_by_zero_raises(name):
    ours, _ = CASES[name]
    a, b = lucid.tensor([5, -3]), lucid.tensor([2, 0])
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        ours(a, b)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        ours(a, 0)


def test_float_division_by_zero_gives_torchs_numbers():
    torch = pytest.importorskip("torch")
    a = np.array([1.5, -1.5, 0.0])
    with np.errstate(all="ignore"):
        for name, (ours, theirs) in CASES.items():
            got = ours(lucid.tensor(a), lucid.tensor(0.0)).numpy()
            expected = theirs(torch, torch.tensor(a), torch.tensor(0.0)).numpy()
            np.testing.assert_array_equal(got, expected, err_msg=name)


@pytest.mark.filterwarnings("ignore:divide by zero")
def test_integer_true_division_by_zero_is_inf_as_torch():
    np.testing.assert_array_equal((lucid.tensor([4]) / 0).numpy(), [np.inf])


@pytest.mark.torch
@pytest.mark.parametrize("name", ["remainder", "fmod"])
def test_remainder_and_fmod_gradients_match_torch(name, rng):
    torch = pytest.importorskip("torch")
    a_data = rng.uniform(-5, 5, (3, 4))
    b_data = _away_from_zero(rng, (4,))
    upstream = rng.standard_normal((3, 4))
    fn = getattr(lucid, name)
    a = lucid.tensor(a_data, dtype=lucid.float64, requires_grad=True)
    b = lucid.tensor(b_data, dtype=lucid.float64, requires_grad=True)
    at, bt = torch.tensor(a_data, requires_grad=True), torch.tensor(b_data, requires_grad=True)
    fn(a, b).backward(upstream)
    getattr(torch, name)(at, bt).backward(torch.tensor(upstream))
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy())
    np.testing.assert_allclose(b.grad.numpy(), bt.grad.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_rounded_division_gradient_is_zero_as_torch(mode, rng):
    x = lucid.tensor(rng.uniform(-5, 5, 6), dtype=lucid.float64, requires_grad=True)
    y = lucid.div(x, 2.0, rounding_mode=mode)
    assert y.requires_grad
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(6))
    with pytest.raises(ValueError, match="rounding_mode"):
        lucid.div(x, 2.0, rounding_mode="round")


def test_remainder_gradient_matches_finite_differences(rng):
    a = lucid.tensor(rng.uniform(-5, 5, (3, 4)) + 0.01, dtype=lucid.float64, requires_grad=True)
    b = lucid.tensor(_away_from_zero(rng, (4,)), dtype=lucid.float64, requires_grad=True)
    # stay away from the jumps of floor(a / b)
    q = a.numpy() / b.numpy()
    a.numpy()[np.abs(q - np.round(q)) < 0.05] += 0.2
    assert gradcheck(lucid.remainder, (a, b))
    assert gradcheck(lucid.fmod, (a, b))


def test_mod_operator_forms():
    x = lucid.tensor([5.5, -5.5])
    np.testing.assert_allclose((x % 2).numpy(), [1.5, 0.5])
    np.testing.assert_allclose((7 % lucid.tensor([3, -3])).numpy(), [1, -2])
    y = lucid.tensor([7, -7])
    y %= 3
    np.testing.assert_array_equal(y.numpy(), [1, 2])
    z = lucid.tensor([7, -7])
    z //= 2
    np.testing.assert_array_equal(z.numpy(), [3, -4])
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        z %= 0


nonzero = st.one_of(st.floats(-100, -0.01), st.floats(0.01, 100))


@settings(max_examples=80, deadline=None)
@given(a=arrays(np.float64, st.integers(0, 6), elements=st.floats(-1e3, 1e3)), data=st.data())
def test_remainder_sign_follows_the_divisor_and_fmod_the_dividend(a, data):
    b = data.draw(arrays(np.float64, a.shape, elements=nonzero))
    r = lucid.remainder(lucid.tensor(a), lucid.tensor(b)).numpy()
    f = lucid.fmod(lucid.tensor(a), lucid.tensor(b)).numpy()
    assert np.all((r == 0) | (np.sign(r) == np.sign(b)))
    assert np.all((f == 0) | (np.sign(f) == np.sign(a)))
    assert np.all(np.abs(r) <= np.abs(b)) and np.all(np.abs(f) <= np.abs(b))
    quotient = (a - r) / b  # a whole number (rounding of a / b itself may cross an integer)
    np.testing.assert_allclose(quotient, np.round(quotient), atol=1e-6)


@settings(max_examples=80, deadline=None)
@given(
    a=arrays(np.int64, st.integers(0, 6), elements=st.integers(-(10**6), 10**6)), data=st.data()
)
def test_integer_division_identities(a, data):
    b = data.draw(arrays(np.int64, a.shape, elements=st.integers(1, 50) | st.integers(-50, -1)))
    ta, tb = lucid.tensor(a), lucid.tensor(b)
    np.testing.assert_array_equal(((ta // tb) * tb + ta % tb).numpy(), a)
    trunc = lucid.div(ta, tb, rounding_mode="trunc").numpy()
    np.testing.assert_array_equal(trunc * b + lucid.fmod(ta, tb).numpy(), a)
    np.testing.assert_array_equal(trunc, np.trunc(a / b).astype(np.int64))
