"""Matrix-product gradients arranged so that each one is a single BLAS call.

NumPy's ``matmul`` on stacked operands calls BLAS once per matrix of the batch. When one operand
is shared across the batch (a weight matrix under a batch of activations) the batch can be
folded into the rows of one product instead, and the shared operand's gradient becomes one
product over the folded batch rather than a batched product followed by a sum.
"""

from __future__ import annotations

import math

import numpy as np

from lucid.kernels.broadcast import reduce_to_shape


def _fold(x: np.ndarray) -> np.ndarray:
    """(..., n, k) -> (prod(...) * n, k); a view whenever NumPy can make one."""
    return x.reshape(math.prod(x.shape[:-1]), x.shape[-1])  # not -1: x may be empty


def matmul_backward(
    a: np.ndarray, b: np.ndarray, grad: np.ndarray, need_a: bool = True, need_b: bool = True
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Gradients of ``a @ b`` with respect to ``a`` and ``b``, of their shapes.

    Handles NumPy's matmul semantics: 1-D operands (a vector is a row on the left, a column on
    the right, and that axis is dropped from the result), and broadcast batch axes. ``grad``
    has the shape of ``a @ b``.
    """
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g = grad
    if b.ndim == 1:  # restore the dropped axes, the column's first
        g = g[..., None]
    if a.ndim == 1:
        g = np.expand_dims(g, -2)
    da = db = None
    if b2.ndim == 2 and a2.ndim > 2:
        # b is shared by the whole batch of a: fold the batch into rows.
        if need_a:
            da = (_fold(g) @ b2.T).reshape(a2.shape)
        if need_b:
            db = _fold(a2).T @ _fold(g)
    elif a2.ndim == 2 and b2.ndim > 2:
        # a is shared by the whole batch of b: fold the batch into columns.
        if need_a:
            # sum_i g_i @ b_i.T == [g_1 ... g_B] @ [b_1 ... b_B].T
            gcat = np.moveaxis(g, -2, 0).reshape(g.shape[-2], -1)
            bcat = np.moveaxis(b2, -1, -2).reshape(-1, b2.shape[-2])
            da = gcat @ bcat
        if need_b:
            db = a2.T @ g
    else:
        if need_a:
            da = reduce_to_shape(g @ np.swapaxes(b2, -1, -2), a2.shape)
        if need_b:
            db = reduce_to_shape(np.swapaxes(a2, -1, -2) @ g, b2.shape)
    if da is not None and a.ndim == 1:
        da = da.reshape(a.shape)
    if db is not None and b.ndim == 1:
        db = db.reshape(b.shape)
    return da, db
