"""The scatter-add kernel: JIT path and NumPy reference against np.add.at, and its checks."""

import numpy as np
import pytest

from lucid.kernels import _jit
from lucid.kernels import index as K

# (out shape, axis, number of indices)
CASES = [((7,), 0, 40), ((5, 3), 0, 12), ((2, 6, 3), 1, 20), ((3, 4), 1, 9), ((2, 3, 4), 2, 5),
         ((50, 16), 0, 300), ((4, 0), 0, 3), ((4, 2), 0, 0)]  # fmt: skip


def _case(shape, axis, m, dtype, rng):
    index = rng.integers(-shape[axis], shape[axis], m)  # negatives, and many repeats
    src_shape = shape[:axis] + (m,) + shape[axis + 1 :]
    src = (10 * rng.standard_normal(src_shape)).astype(dtype)
    out = (10 * rng.standard_normal(shape)).astype(dtype)
    expected = out.copy()
    np.add.at(expected, (slice(None),) * axis + (index,), src)
    return out, index, src, expected


@pytest.mark.parametrize(("shape", "axis", "m"), CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_index_add_kernel_matches_add_at(shape, axis, m, dtype, rng):
    # the JIT path unless LUCID_DISABLE_JIT=1 (then the reference path, checked the same way)
    out, index, src, expected = _case(shape, axis, m, dtype, rng)
    K.index_add(out, axis, index, src)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("shape", "axis", "m"), CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_index_add_reference_matches_add_at(shape, axis, m, dtype, rng):
    out, index, src, expected = _case(shape, axis, m, dtype, rng)
    K.index_add_ref(out, axis, index % max(shape[axis], 1), src)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("jit", [True, False])
def test_index_add_on_a_non_contiguous_buffer_and_both_paths(jit, rng, monkeypatch):
    monkeypatch.setattr(_jit, "JIT_ENABLED", jit and _jit.JIT_ENABLED)
    base = np.zeros((6, 8))
    out = base[:, ::2]  # a strided view: the wrapper must write through it
    index = np.array([3, 3, 0, -1])
    src = rng.standard_normal((4, 4))
    expected = np.zeros((6, 4))
    np.add.at(expected, index, src)
    K.index_add(out, 0, index, src)
    np.testing.assert_allclose(base[:, ::2], expected)
    assert not base[:, 1::2].any()


def test_index_add_casts_src_to_the_buffer_dtype(rng):
    out = np.zeros(3, np.float32)
    K.index_add(out, 0, np.array([0, 0]), np.array([1.0, 2.0]))  # float64 src
    assert out.dtype == np.float32 and out[0] == 3.0


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((np.zeros(3), 0, np.array([3]), np.zeros(1)), IndexError, "index 3 .* size 3"),
        ((np.zeros(3), 0, np.array([-4]), np.zeros(1)), IndexError, "index -4"),
        ((np.zeros(3), 1, np.array([0]), np.zeros(1)), IndexError, "axis 1"),
        ((np.zeros((3, 2)), 0, np.array([0]), np.zeros((1, 3))), ValueError, r"\(1, 3\)"),
        ((np.zeros(3), 0, np.array([0.0]), np.zeros(1)), TypeError, "integer"),
        ((np.zeros(3), 0, np.zeros((1, 1), int), np.zeros(1)), TypeError, "1-D"),
    ],
)
def test_index_add_rejects_bad_arguments(args, error, match):
    with pytest.raises(error, match=match):
        K.index_add(*args)
