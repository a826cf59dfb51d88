"""Attention op: scaled dot-product attention as one fused op with its own gradient.

One node instead of six (product, scale, mask, softmax, dropout, product) keeps the graph small
and lets the gradient reuse the stored softmax. The gradient is written with operators that
arrays and tensors share, so it can later run on tensors for higher-order gradients.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lucid import random
from lucid._graph import operation, poly_func_op
from lucid.ops import _xp
from lucid.tensor import Tensor

TensorLike = Any

__all__ = ["scaled_dot_product_attention"]


class Attention(operation):
    """out = (P * keep) @ v with P = softmax(q @ k^T * scale + bias) over the last axis;
    dv = Pd^T @ G, dP = (G @ v^T) * keep, dS = P * (dP - sum(dP * P)), dq = dS @ k * scale,
    dk = dS^T @ q * scale, dbias = dS (Pd = P * keep, keep the scaled dropout mask or 1)."""

    def __init__(self, scale: float, keep: np.ndarray | None = None) -> None:
        self.scale = scale
        self.keep = keep

    def _attend(self, q: np.ndarray, k: np.ndarray, v: np.ndarray, bias: Any) -> tuple:
        s = np.matmul(q, k.swapaxes(-1, -2)) * q.dtype.type(self.scale)
        if bias is not None:
            s = s + bias.astype(s.dtype, copy=False)
        # A row that is masked everywhere (max -inf) attends to nothing and gives 0, as
        # PyTorch's scaled_dot_product_attention: shift it by 0 so exp gives zeros, not NaN.
        top = s.max(axis=-1, keepdims=True, initial=-np.inf)  # initial: zero keys are legal
        e = np.exp(s - np.where(np.isfinite(top), top, 0))
        total = e.sum(axis=-1, keepdims=True)
        p = e / np.where(total > 0, total, 1)
        pd = p if self.keep is None else p * self.keep.astype(p.dtype, copy=False)
        self.q, self.k, self.v, self.p, self.pd = q, k, v, p, pd
        return np.matmul(pd, v), pd

    @poly_func_op()
    def forward(
        self, q: np.ndarray, k: np.ndarray, v: np.ndarray, bias: np.ndarray | None = None
    ) -> np.ndarray:
        return self._attend(q, k, v, bias)[0]

    def gradient(self, grad: Any) -> tuple:
        # AttentionWeights has two results: the gradient of the weights Pd joins G @ v^T.
        g_out, g_weights = grad if isinstance(grad, tuple) else (grad, None)
        need = [t.requires_grad for t in self.parents]
        p, pd = self.p, self.pd
        if isinstance(g_out, Tensor):  # recorded: the weights recomputed from q and k by ops
            p = self._recorded_weights()
            pd = p if self.keep is None else p * self.keep.astype(p.dtype, copy=False)
        dv = pd.swapaxes(-1, -2) @ g_out if need[2] else None
        if not (need[0] or need[1] or (len(need) == 4 and need[3])):
            return (None, None, dv) + ((None,) if len(need) == 4 else ())
        g_pd = g_out @ self.v.swapaxes(-1, -2)
        if g_weights is not None:
            g_pd = g_pd + g_weights
        g_p = g_pd if self.keep is None else g_pd * self.keep
        ds = p * (g_p - (g_p * p).sum(axis=-1, keepdims=True))
        dq = (ds @ self.k) * self.scale if need[0] else None
        dk = (ds.swapaxes(-1, -2) @ self.q) * self.scale if need[1] else None
        return (dq, dk, dv) + ((ds,) if len(need) == 4 else ())

    def _recorded_weights(self) -> Tensor:
        """P = softmax(q @ k^T * scale + bias) as ops, for higher-order gradients."""
        from lucid.ops.activation import softmax

        s = (self.q @ self.k.swapaxes(-1, -2)) * self.scale
        if len(self.parents) == 4:
            s = s + self.parents[3]
        if not np.isfinite(_xp.data(s).max(axis=-1, initial=-np.inf)).all():
            raise RuntimeError(
                "Attention cannot be differentiated twice (create_graph=True) with a row that "
                "is masked everywhere"
            )
        return softmax(s, axis=-1)


class AttentionWeights(Attention):
    """Attention that also returns its weights Pd (after dropout), for MultiheadAttention."""

    @poly_func_op(2)
    def forward(
        self, q: np.ndarray, k: np.ndarray, v: np.ndarray, bias: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        return self._attend(q, k, v, bias)


def _as_tensor(x: TensorLike) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _check(fn: str, q: Tensor, k: Tensor, v: Tensor) -> None:
    dtypes = {q.dtype, k.dtype, v.dtype}
    if len(dtypes) != 1 or q.dtype.kind != "f":
        raise TypeError(
            f"{fn}: query, key and value must share one floating-point dtype, got "
            f"{q.dtype}, {k.dtype} and {v.dtype}"
        )
    if min(q.ndim, k.ndim, v.ndim) < 2:
        raise ValueError(
            f"{fn}: query, key and value need at least 2 dimensions (..., L, E), got shapes "
            f"{q.shape}, {k.shape} and {v.shape}"
        )
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"{fn}: query {q.shape} and key {k.shape} must share the last axis (E), and key "
            f"and value {v.shape} the second to last (S)"
        )


def attention_bias(
    fn: str, mask: Any, shape: tuple[int, int], dtype: np.dtype, is_causal: bool
) -> TensorLike | None:
    """The additive bias of an attention mask: bool True = attend (0), False = -inf; a float
    mask as is (a tensor keeps its graph); ``is_causal`` adds the lower-triangular mask."""
    if is_causal:
        if mask is not None:
            raise ValueError(f"{fn}: pass attn_mask or is_causal=True, not both")
        mask = np.tril(np.ones(shape, dtype=bool))
    if mask is None:
        return None
    array = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if array.dtype.kind == "b":
        return np.where(array, dtype.type(0), dtype.type(-np.inf))
    if array.dtype.kind != "f":
        raise TypeError(f"{fn}: attn_mask must be bool or floating point, got {array.dtype}")
    return mask if isinstance(mask, Tensor) else array


def dropout_keep(p: float, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray | None:
    """Inverted dropout's multiplier: 0 with probability p, else 1 / (1 - p); None for p = 0."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if p == 0:
        return None
    if p == 1:
        return np.zeros(shape, dtype=dtype)
    keep = random.generator().random(shape, dtype=np.float32) >= p
    return keep * dtype.type(1 / (1 - p))


def scaled_dot_product_attention(
    query: TensorLike,
    key: TensorLike,
    value: TensorLike,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value``, as
    ``torch.nn.functional.scaled_dot_product_attention``.

    query ``(..., L, E)``, key ``(..., S, E)``, value ``(..., S, Ev)``, batch axes broadcast;
    result ``(..., L, Ev)`` in their (shared, floating) dtype. ``scale`` defaults to
    ``1/sqrt(E)``. A bool ``attn_mask`` marks with True the positions that may be attended; a
    float one is added to the scores (and gets a gradient if it requires one); ``is_causal``
    masks key positions after each query's (top-left aligned). A query row masked everywhere
    gives 0, as PyTorch's. ``dropout_p`` drops attention weights whenever it is > 0 (like
    PyTorch's function, which has no training flag), drawing from ``lucid.random``.
    """
    fn = "scaled_dot_product_attention"
    q, k, v = _as_tensor(query), _as_tensor(key), _as_tensor(value)
    _check(fn, q, k, v)
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    bias = attention_bias(fn, attn_mask, (q.shape[-2], k.shape[-2]), q.dtype, is_causal)
    shape = np.broadcast_shapes(q.shape[:-1] + (k.shape[-2],), np.shape(bias))
    op = Attention(scale, dropout_keep(dropout_p, shape, q.dtype))
    return op(q, k, v) if bias is None else op(q, k, v, bias)
