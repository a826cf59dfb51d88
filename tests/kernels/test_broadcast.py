"""reduce_to_shape and accumulate: the compiled path against the NumPy references."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

from lucid.kernels import _jit
from lucid.kernels import broadcast as K

CASES = [
    ((4, 3, 5), (3, 5)),  # leading axes added
    ((4, 3, 5), (3, 1)),  # leading added, trailing stretched
    ((40, 30), (1, 30)),  # rows summed
    ((40, 30), (40, 1)),  # columns summed
    ((6, 7, 8, 9), (7, 1, 9)),  # alternating kept and summed
    ((6, 7, 8, 9), (1, 7, 1, 1)),
    ((5, 1, 300), (1, 1, 300)),  # length-1 axes in the gradient itself
    ((50, 40), ()),  # everything summed
    ((3, 300), (1, 1)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape", "target"), CASES)
def test_reduce_to_shape_matches_reference(shape, target, dtype, rng):
    g = rng.standard_normal(shape).astype(dtype)
    out = K.reduce_to_shape(g, target)
    assert out.shape == target and out.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, K.reduce_to_shape_ref(g, target), rtol=tol, atol=tol)
    np.testing.assert_allclose(
        K.reduce_to_shape_ref(g, target),
        g.astype(np.float64).sum(axis=tuple(range(g.ndim - len(target))))
        .sum(axis=tuple(i for i, n in enumerate(target) if n == 1), keepdims=True)
        .reshape(target),
        rtol=tol * 10, atol=tol * 10,
    )  # fmt: skip


@pytest.mark.parametrize(("shape", "target"), CASES)
def test_accumulate_adds_the_reduced_gradient_in_place(shape, target, rng):
    g = rng.standard_normal(shape)
    buf = rng.standard_normal(target)
    expected = buf + K.reduce_to_shape_ref(g, target)
    ident = id(buf)
    K.accumulate(buf, g)
    assert id(buf) == ident
    np.testing.assert_allclose(buf, expected, rtol=1e-12, atol=1e-12)


def test_non_contiguous_gradient(rng):
    g = rng.standard_normal((30, 20, 10)).transpose(2, 0, 1)
    np.testing.assert_allclose(
        K.reduce_to_shape(g, (1, 20)), K.reduce_to_shape_ref(g, (1, 20)), rtol=1e-12
    )


def test_unreducible_shape_is_refused(rng):
    with pytest.raises(ValueError, match=r"\(3, 4\) to \(5,\)"):
        K.reduce_to_shape(np.ones((3, 4)), (5,))
    with pytest.raises(ValueError, match="cannot reduce"):
        K.accumulate(np.ones(5), np.ones((3, 4)))


def test_references_run_when_jit_is_disabled(monkeypatch, rng):
    monkeypatch.setattr(_jit, "JIT_ENABLED", False)
    g = rng.standard_normal((64, 32))
    np.testing.assert_allclose(K.reduce_to_shape(g, (32,)), g.sum(axis=0), rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(shape=array_shapes(min_dims=1, max_dims=5, min_side=1, max_side=6), data=st.data())
def test_any_broadcast_reduction_matches_reference(shape, data):
    keep = data.draw(st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)))
    drop = data.draw(st.integers(0, len(shape)))
    target = tuple(n if k else 1 for n, k in zip(shape, keep, strict=True))[drop:]
    g = np.random.default_rng(1).standard_normal(shape) * 8  # >= JIT_MIN_SIZE often
    np.testing.assert_allclose(
        K.reduce_to_shape(g, target), K.reduce_to_shape_ref(g, target), rtol=1e-10, atol=1e-10
    )


@pytest.mark.parametrize("jit", [True, False])
def test_stretched_gradients_reduce_like_their_copies(jit, monkeypatch, rng):
    monkeypatch.setattr(_jit, "JIT_ENABLED", jit)
    base = rng.standard_normal((1, 30, 1))
    g = np.broadcast_to(base, (7, 30, 40))  # strides 0 along the stretched axes
    for target in [(30, 1), (1, 1, 40), (7, 30, 1), ()]:
        expected = reduce_to_shape_ref_copy(g, target)
        np.testing.assert_allclose(K.reduce_to_shape(g, target), expected, rtol=1e-12)
        buf = rng.standard_normal(target)
        before = buf.copy()
        K.accumulate(buf, g)
        np.testing.assert_allclose(buf, before + expected, rtol=1e-12)


def reduce_to_shape_ref_copy(g, target):
    """The reference on a real (contiguous) copy of the stretched view."""
    return K.reduce_to_shape_ref(np.ascontiguousarray(g), target)
