"""Bitwise ops on integers and bools (PyTorch's meaning of & | ^ ~ << >>), logical_xor."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import lucid

INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8"]
BINARY = {
    "bitwise_and": lambda a, b: a & b,
    "bitwise_or": lambda a, b: a | b,
    "bitwise_xor": lambda a, b: a ^ b,
}
SHIFTS = {
    "bitwise_left_shift": lambda a, b: a << b,
    "bitwise_right_shift": lambda a, b: a >> b,
}


def _ints(rng, shape, dtype):
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -1000), min(info.max, 1000), shape).astype(dtype)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize(
    ("shape_a", "shape_b"), [((3, 4), (3, 4)), ((3, 4), (4,)), ((), (2,)), ((0,), ())]
)
def test_bitwise_binary_ops_match_torch(name, dtype, shape_a, shape_b, rng):
    torch = pytest.importorskip("torch")
    a, b = _ints(rng, shape_a, dtype), _ints(rng, shape_b, dtype)
    ta, tb = torch.tensor(a), torch.tensor(b)
    expected = getattr(torch, name)(ta, tb).numpy()
    for got in (getattr(lucid, name)(lucid.tensor(a), lucid.tensor(b)),
                BINARY[name](lucid.tensor(a), lucid.tensor(b)),
                getattr(lucid.tensor(a), name)(lucid.tensor(b))):  # fmt: skip
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got.numpy(), expected)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8"])
@pytest.mark.parametrize("name", SHIFTS)
def test_shifts_match_torch(name, dtype, rng):
    torch = pytest.importorskip("torch")
    a = _ints(rng, (3, 5), dtype)
    b = rng.integers(0, 7, (5,)).astype(dtype)
    expected = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy()
    got = SHIFTS[name](lucid.tensor(a), lucid.tensor(b))
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got.numpy(), expected)
    np.testing.assert_array_equal(SHIFTS[name](lucid.tensor(a), 2).numpy(),
                                  SHIFTS[name](torch.tensor(a), 2).numpy())  # fmt: skip


@pytest.mark.torch
def test_python_scalars_and_reflected_operators_match_torch():
    torch = pytest.importorskip("torch")
    a = np.array([5, -7, 12, 0])
    la, ta = lucid.tensor(a), torch.tensor(a)
    cases = [
        (lambda x: x & 6, "and"), (lambda x: 6 & x, "rand"), (lambda x: x | 1, "or"),
        (lambda x: 1 | x, "ror"), (lambda x: x ^ 3, "xor"), (lambda x: 3 ^ x, "rxor"),
        (lambda x: ~x, "invert"), (lambda x: x << 3, "lshift"),
        (lambda x: 1 << x.abs(), "rlshift"), (lambda x: x >> 1, "rshift"),
        (lambda x: 1024 >> x.abs(), "rrshift"),
    ]  # fmt: skip
    for f, label in cases:
        got, expected = f(la), f(ta)
        assert got.dtype == np.int64, label
        np.testing.assert_array_equal(got.numpy(), expected.numpy(), err_msg=label)


@pytest.mark.torch
def test_bool_operands_are_logical_and_mixed_bool_int_promotes():
    torch = pytest.importorskip("torch")
    p, q = np.array([True, True, False, False]), np.array([True, False, True, False])
    for f in (lambda x, y: x & y, lambda x, y: x | y, lambda x, y: x ^ y, lambda x, y: ~x):
        got, expected = f(lucid.tensor(p), lucid.tensor(q)), f(torch.tensor(p), torch.tensor(q))
        assert got.dtype == np.bool_
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
    mixed = lucid.tensor(p) & lucid.tensor([3, 3, 3, 3])
    assert mixed.dtype == np.int64
    np.testing.assert_array_equal(
        mixed.numpy(), (torch.tensor(p) & torch.tensor([3, 3, 3, 3])).numpy()
    )
    xor = lucid.logical_xor(lucid.tensor([0.0, 2.0, 0.0]), lucid.tensor([1, 1, 0]))
    np.testing.assert_array_equal(xor.numpy(), [True, False, False])


def test_float_operands_raise_type_error_naming_the_dtype():
    x = lucid.tensor([1.0, 2.0])
    for f in (
        lambda: x & x,
        lambda: x | 1,
        lambda: ~x,
        lambda: x ^ x,
        lambda: lucid.tensor([1]) << x,
    ):
        with pytest.raises(TypeError, match="float32"):
            f()
    with pytest.raises(TypeError, match="integer"):
        lucid.tensor([True]) << lucid.tensor([True])


def test_in_place_bitwise_operators():
    x = lucid.tensor([12, 10, 7])
    x &= 6
    np.testing.assert_array_equal(x.numpy(), [4, 2, 6])
    x |= lucid.tensor([1, 1, 1])
    x ^= 2
    x <<= 2
    x >>= 1
    np.testing.assert_array_equal(
        x.numpy(), [((4 | 1) ^ 2) << 2 >> 1, ((2 | 1) ^ 2) << 2 >> 1, ((6 | 1) ^ 2) << 2 >> 1]
    )
    y = lucid.tensor([1, 2])
    y.bitwise_not_()
    np.testing.assert_array_equal(y.numpy(), [-2, -3])
    z = lucid.tensor([1.0])
    with pytest.raises(TypeError, match="float32"):
        z &= 1


int64s = arrays(np.int64, st.integers(0, 8), elements=st.integers(-(2**40), 2**40))


@settings(max_examples=60, deadline=None)
@given(a=int64s, data=st.data())
def test_bitwise_identities(a, data):
    b = data.draw(arrays(np.int64, a.shape, elements=st.integers(-(2**40), 2**40)))
    ta, tb = lucid.tensor(a), lucid.tensor(b)
    np.testing.assert_array_equal((~ta).numpy(), -a - 1)  # two's complement
    np.testing.assert_array_equal(((ta & tb) + (ta | tb)).numpy(), a + b)
    np.testing.assert_array_equal((ta ^ tb).numpy(), ((ta | tb) - (ta & tb)).numpy())
    np.testing.assert_array_equal((~(ta & tb)).numpy(), ((~ta) | (~tb)).numpy())  # De Morgan
    np.testing.assert_array_equal(((ta ^ tb) ^ tb).numpy(), a)
    s = data.draw(st.integers(0, 20))
    np.testing.assert_array_equal((ta << s).numpy(), a * 2**s)
    np.testing.assert_array_equal((ta >> s).numpy(), a // 2**s)  # arithmetic shift = floor
