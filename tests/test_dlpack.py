"""DLPack: Lucid tensors share memory with NumPy and PyTorch in both directions."""

import numpy as np
import pytest

import lucid
from lucid.dlpack import to_dlpack

DTYPES = [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_, np.float16]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0, 3), (5,), (2, 3, 4)])
def test_numpy_reads_lucid_memory(dtype, shape, rng):
    t = lucid.tensor((10 * rng.standard_normal(shape)).astype(dtype))
    a = np.from_dlpack(t)
    assert a.dtype == dtype and a.shape == shape
    assert np.shares_memory(a, t.numpy()) or a.size == 0
    np.testing.assert_array_equal(a, t.numpy())


def test_writes_through_numpy_view_reach_the_tensor():
    t = lucid.zeros(2, 3)
    np.from_dlpack(t)[1, 2] = 4.0
    assert t[1, 2].item() == 4.0


def test_lucid_reads_numpy_memory_and_writes_back():
    a = np.arange(6.0).reshape(2, 3)
    t = lucid.from_dlpack(a)
    assert isinstance(t, lucid.Tensor) and t.dtype == np.float64 and not t.requires_grad
    assert np.shares_memory(t.numpy(), a)
    t[0, 1] = -1.0
    assert a[0, 1] == -1.0


def test_strided_views_keep_their_strides():
    a = np.arange(24.0).reshape(4, 6)[::2, 1::3]
    t = lucid.from_dlpack(a)
    np.testing.assert_array_equal(t.numpy(), a)
    b = np.from_dlpack(lucid.tensor(np.arange(12.0).reshape(3, 4)).T)
    np.testing.assert_array_equal(b, np.arange(12.0).reshape(3, 4).T)


def test_dlpack_device_is_the_cpu():
    assert lucid.tensor([1.0]).__dlpack_device__() == (1, 0)


def test_tensor_that_requires_grad_is_refused_but_detach_shares():
    p = lucid.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(BufferError, match="detach"):
        np.from_dlpack(p)
    view = np.from_dlpack(p.detach())
    assert np.shares_memory(view, p.numpy())


def test_copy_true_copies_and_copy_false_shares():
    a = np.ones(3)
    assert not np.shares_memory(lucid.from_dlpack(a, copy=True).numpy(), a)
    assert np.shares_memory(lucid.from_dlpack(a, copy=False).numpy(), a)


def test_from_dlpack_round_trip_through_lucid_itself():
    t = lucid.tensor([1, 2, 3])
    u = lucid.from_dlpack(t)
    assert np.shares_memory(u.numpy(), t.numpy()) and u.dtype == np.int64


def test_from_dlpack_refuses_objects_without_dlpack():
    with pytest.raises(TypeError, match="__dlpack__"):
        lucid.from_dlpack([1.0, 2.0])
    with pytest.raises(TypeError, match="Tensor"):
        to_dlpack(np.ones(2))


def test_from_dlpack_refuses_complex():
    with pytest.raises(TypeError, match="complex"):
        lucid.from_dlpack(np.ones(2, dtype=np.complex64))


def test_capsule_is_consumed_once():
    t = lucid.tensor([1.0, 2.0])
    capsule = to_dlpack(t)
    u = lucid.from_dlpack(capsule)
    assert np.shares_memory(u.numpy(), t.numpy())
    with pytest.raises((BufferError, ValueError, RuntimeError)):
        lucid.from_dlpack(capsule)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_and_lucid_share_memory_both_ways(dtype, rng):
    torch = pytest.importorskip("torch")
    data = (10 * rng.standard_normal((3, 4))).astype(dtype)
    t = lucid.tensor(data)
    tt = torch.from_dlpack(t)
    np.testing.assert_array_equal(tt.numpy(), data)
    tt[0, 0] = 1  # torch writes, Lucid sees
    assert t[0, 0].item() == tt[0, 0].item()
    back = lucid.from_dlpack(tt)
    assert np.shares_memory(back.numpy(), t.numpy())
    src = torch.from_numpy(data.copy())
    u = lucid.from_dlpack(src)
    u[2, 3] = 0  # Lucid writes, torch sees
    assert src[2, 3].item() == 0
    np.testing.assert_array_equal(u.numpy(), src.numpy())


@pytest.mark.torch
def test_torch_utils_dlpack_capsules_both_ways():
    torch = pytest.importorskip("torch")
    x = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    t = lucid.from_dlpack(torch.utils.dlpack.to_dlpack(x))
    x[1, 1] = 42.0  # a legacy capsule has no read-only flag, so NumPy imports it read-only
    assert t[1, 1].item() == 42.0 and not t.numpy().flags.writeable
    u = lucid.tensor([[1.0, 2.0], [3.0, 4.0]])
    y = torch.utils.dlpack.from_dlpack(to_dlpack(u))
    y[0, 0] = -3.0
    assert u[0, 0].item() == -3.0


@pytest.mark.torch
def test_torch_dtypes_lucid_lacks_raise_type_error():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="from_dlpack"):
        lucid.from_dlpack(torch.ones(2, dtype=torch.bfloat16))
    with pytest.raises(TypeError, match="complex"):
        lucid.from_dlpack(torch.ones(2, dtype=torch.complex64))


@pytest.mark.torch
def test_torch_tensor_that_requires_grad_must_be_detached():
    torch = pytest.importorskip("torch")
    with pytest.raises(BufferError):
        lucid.from_dlpack(torch.ones(2, requires_grad=True))
    assert lucid.from_dlpack(torch.ones(2, requires_grad=True).detach()).shape == (2,)
