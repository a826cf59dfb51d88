"""Tensor construction, dtype rules (API.md) and attributes."""

import numpy as np
import pytest

import lucid


@pytest.mark.parametrize(
    ("data", "dtype"),
    [(1.5, np.float32), ([1.0, 2.0], np.float32), (3, np.int64), ([[1, 2]], np.int64),
     (True, np.bool_), ([True, False], np.bool_)],
)  # fmt: skip
def test_python_data_gets_apis_default_dtypes(data, dtype):
    assert lucid.tensor(data).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int32, np.uint8, np.bool_])
def test_numpy_arrays_keep_their_dtype_and_are_copied(dtype):
    array = np.ones(3, dtype=dtype)
    t = lucid.tensor(array)
    assert t.dtype == dtype
    t.data[0] = 0
    assert array[0] == 1


def test_dtype_argument_overrides():
    assert lucid.tensor([1, 2], dtype=lucid.float64).dtype == np.float64
    assert lucid.Tensor([1.0], dtype="float64").dtype == np.float64


@pytest.mark.parametrize(
    ("tensor_dtype", "scalar", "result"),
    [(np.float32, 2.5, np.float32), (np.float32, 2, np.float32), (np.float64, 2.5, np.float64),
     (np.int64, 2, np.int64), (np.int64, 2.5, np.float32), (np.bool_, 2, np.int64),
     (np.float32, True, np.float32), (np.float32, np.float64(2.5), np.float32)],
)  # fmt: skip
def test_python_scalar_takes_the_tensors_dtype(tensor_dtype, scalar, result):
    t = lucid.tensor(np.ones(3, dtype=tensor_dtype))
    assert (t * scalar).dtype == result
    assert (scalar * t).dtype == result
    assert (t + scalar).dtype == result


def test_numpy_array_operands_promote_as_numpy():
    t = lucid.tensor([1.0, 2.0])
    assert (t * np.ones(2, dtype=np.float64)).dtype == np.float64
    assert isinstance(np.ones(2) * t, lucid.Tensor)
    assert isinstance(np.ones(2) @ lucid.tensor(np.ones((2, 2))), lucid.Tensor)


def test_requires_grad_only_for_floats():
    with pytest.raises(TypeError, match="int64"):
        lucid.tensor([1, 2], requires_grad=True)


def test_attributes():
    x = lucid.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.shape == (2, 3) and x.ndim == 2 and x.is_leaf and x.requires_grad
    assert x.size == 6 and x.size() == (2, 3) and x.size(1) == 3 and x.numel() == 6
    assert x.numpy() is x.numpy()
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert lucid.tensor([[2.5]]).item() == 2.5
    d = x.detach()
    assert not d.requires_grad and np.shares_memory(d.numpy(), x.numpy())
    c = x.clone()
    assert c.numpy() is not x.numpy() and c.requires_grad and not c.is_leaf


def test_clone_passes_the_gradient():
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    (x.clone() * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 3.0])


def test_repr_is_readable():
    assert repr(lucid.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "requires_grad=True" in repr(lucid.tensor([1.0], requires_grad=True))
    assert "dtype=float64" in repr(lucid.tensor(np.zeros(2)))
    assert "grad_fn=<Multiply>" in repr(lucid.tensor([1.0], requires_grad=True) * 2)


def test_ragged_data_is_refused():
    with pytest.raises(ValueError, match="ragged"):
        lucid.tensor([[1.0], [1.0, 2.0]])


def test_to_accepts_cpu_and_dtypes():
    x = lucid.tensor([1.0])
    assert x.to("cpu") is x
    assert x.to(lucid.float64).dtype == np.float64
    with pytest.raises(RuntimeError, match="cuda"):
        x.to("cuda")
