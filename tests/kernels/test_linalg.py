"""matmul_backward against the plain batched formulas, in every operand arrangement."""

import numpy as np
import pytest

from lucid.kernels.broadcast import reduce_to_shape_ref
from lucid.kernels.linalg import matmul_backward

SHAPES = [
    ((3, 4), (4, 5)),
    ((2, 3, 4), (4, 5)),  # b shared by a batch: folded
    ((4,), (2, 4, 5)),  # a vector against a batch
    ((3, 4), (2, 4, 5)),  # a shared by b's batch: folded the other way
    ((2, 1, 3, 4), (5, 4, 2)),  # broadcast batch axes on both sides
    ((4,), (4,)),
    ((3, 4), (4,)),
    ((2, 3, 4), (4,)),
]


def expected_grads(a, b, grad):
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g = grad
    if b.ndim == 1:
        g = g[..., None]
    if a.ndim == 1:
        g = np.expand_dims(g, -2)
    da = reduce_to_shape_ref(g @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
    db = reduce_to_shape_ref(np.swapaxes(a2, -1, -2) @ g, b2.shape).reshape(b.shape)
    return da, db


@pytest.mark.parametrize(("sa", "sb"), SHAPES)
def test_matmul_backward_matches_batched_formulas(sa, sb, rng):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    grad = rng.standard_normal(np.matmul(a, b).shape)
    da, db = matmul_backward(a, b, grad)
    ea, eb = expected_grads(a, b, grad)
    assert da.shape == a.shape and db.shape == b.shape
    np.testing.assert_allclose(da, ea, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(db, eb, rtol=1e-10, atol=1e-12)


def test_only_requested_gradients_are_computed(rng):
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5))
    da, db = matmul_backward(a, b, rng.standard_normal((2, 3, 5)), need_a=False)
    assert da is None and db.shape == (4, 5)
