"""Creation: constant-filled, range and identity tensors; sizes, dtypes, requires_grad."""

import numpy as np
import pytest

import lucid

FILLED = {
    "zeros": (lucid.zeros, np.zeros),
    "ones": (lucid.ones, np.ones),
    "empty": (lucid.empty, np.empty),
}


@pytest.mark.parametrize("name", FILLED)
@pytest.mark.parametrize(
    ("args", "shape"),
    [
        ((2, 3), (2, 3)),
        (((2, 3),), (2, 3)),
        (([4],), (4,)),
        ((5,), (5,)),
        ((), ()),
        ((np.int64(2), 0), (2, 0)),
        ((lucid.tensor(3),), (3,)),
    ],  # fmt: skip
)
def test_filled_constructors_take_varargs_or_a_sequence(name, args, shape):
    fn, np_fn = FILLED[name]
    x = fn(*args)
    assert x.shape == shape and x.dtype == np.float32 and not x.requires_grad
    if name != "empty":
        np.testing.assert_array_equal(x.numpy(), np_fn(shape))


@pytest.mark.parametrize("dtype", [lucid.float64, lucid.int64, "float16", lucid.bool_])
def test_constructors_honour_dtype(dtype):
    for x in (lucid.zeros(2, dtype=dtype), lucid.ones((2,), dtype=dtype),
              lucid.full(2, 1, dtype=dtype), lucid.eye(2, dtype=dtype),
              lucid.zeros_like(lucid.ones(2), dtype=dtype)):  # fmt: skip
        assert x.dtype == np.dtype(dtype)


def test_requires_grad_only_for_floating_point():
    x = lucid.ones(2, 3, requires_grad=True)
    assert x.requires_grad and x.is_leaf
    assert lucid.zeros(2, dtype=lucid.float64, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="floating-point"):
        lucid.zeros(2, dtype=lucid.int64, requires_grad=True)


@pytest.mark.parametrize(
    ("value", "dtype"),
    [(1.5, np.float32), (2, np.int64), (True, np.bool_), (np.float64(0.5), np.float64)],
)
def test_full_infers_the_dtype_from_the_value_as_tensor_does(value, dtype):
    x = lucid.full((2, 3), value)
    assert x.dtype == dtype and x.shape == (2, 3)
    np.testing.assert_array_equal(x.numpy(), np.full((2, 3), value))


@pytest.mark.parametrize(
    "like", [lucid.tensor(np.ones((2, 3))), np.zeros((3,), np.int32), [[1.0, 2.0]]]
)
def test_like_constructors_copy_shape_and_dtype(like):
    expected_dtype = lucid.tensor(like).dtype
    shape = np.shape(like)
    for x, value in ((lucid.zeros_like(like), 0), (lucid.ones_like(like), 1),
                     (lucid.full_like(like, 7), 7)):  # fmt: skip
        assert x.shape == shape and x.dtype == expected_dtype
        np.testing.assert_array_equal(x.numpy(), np.full(shape, value))
    assert lucid.empty_like(like).shape == shape


def test_eye_with_columns_and_offset():
    np.testing.assert_array_equal(lucid.eye(3).numpy(), np.eye(3, dtype=np.float32))
    np.testing.assert_array_equal(lucid.eye(2, 4, k=1).numpy(), np.eye(2, 4, 1))


@pytest.mark.parametrize(
    ("args", "kwargs", "dtype"),
    [
        ((5,), {}, np.int64),
        ((2, 9, 3), {}, np.int64),
        ((1, -4, -2), {}, np.int64),
        ((0.5, 3), {}, np.float32),
        ((0, 1, 0.1), {}, np.float32),
        ((3,), {"dtype": "float64"}, np.float64),
        ((0,), {"end": 4}, np.int64),
    ],  # fmt: skip
)
def test_arange_dtype_rule_and_values(args, kwargs, dtype):
    x = lucid.arange(*args, **kwargs)
    assert x.dtype == dtype
    stop = kwargs.get("end")
    np_args = (*args, stop) if stop is not None else args
    np.testing.assert_allclose(x.numpy(), np.arange(*np_args).astype(dtype), rtol=1e-6)


@pytest.mark.torch
@pytest.mark.parametrize("args", [(7,), (2, 11, 3), (0.0, 1.0, 0.1), (-1.5, 2.25, 0.25)])
def test_arange_matches_torch(args):
    torch = pytest.importorskip("torch")
    x, xt = lucid.arange(*args), torch.arange(*args)
    assert str(x.dtype) == str(xt.dtype).removeprefix("torch.")
    np.testing.assert_allclose(x.numpy(), xt.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.torch
@pytest.mark.parametrize(("start", "end", "steps"), [(0.0, 1.0, 11), (-2, 5, 4), (3.0, -1.0, 1)])
def test_linspace_matches_torch(start, end, steps):
    torch = pytest.importorskip("torch")
    x, xt = lucid.linspace(start, end, steps), torch.linspace(start, end, steps)
    assert x.dtype == np.float32
    np.testing.assert_allclose(x.numpy(), xt.numpy(), rtol=1e-6, atol=1e-6)


def test_linspace_numpy_spelling():
    x = lucid.linspace(0, 1, num=4, endpoint=False, dtype=lucid.float64)
    np.testing.assert_array_equal(x.numpy(), np.linspace(0, 1, 4, endpoint=False))
    assert lucid.linspace(0, 1).shape == (50,)
    assert lucid.linspace(0, end=2, steps=3).tolist() == [0.0, 1.0, 2.0]


def test_from_numpy_shares_memory():
    a = np.zeros(3, np.float64)
    x = lucid.from_numpy(a)
    a[0] = 5.0
    assert x.dtype == np.float64 and x.numpy()[0] == 5.0


CREATION_ERRORS = [
    (lambda: lucid.zeros(-1, 2), ValueError, "negative"),
    (lambda: lucid.ones(2.5), TypeError, "ints"),
    (lambda: lucid.arange(0, 5, 0), ValueError, "step"),
    (lambda: lucid.full((2,), [1.0, 2.0]), ValueError, "fill_value"),
    (lambda: lucid.eye(-1), ValueError, "negative"),
    (lambda: lucid.zeros(2, dtype="complex64"), TypeError, "dtype"),
    (lambda: lucid.linspace(0, 1, -1), ValueError, "num"),
    (lambda: lucid.from_numpy([1.0]), TypeError, "ndarray"),
]


@pytest.mark.parametrize(("fn", "error", "match"), CREATION_ERRORS)
def test_creation_rejects_bad_input(fn, error, match):
    with pytest.raises(error, match=match):
        fn()
