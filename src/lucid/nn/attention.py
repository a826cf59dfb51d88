"""MultiheadAttention, as PyTorch's: packed input projection, heads, fused attention, output
projection."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lucid.nn import init
from lucid.nn.linear import Linear, linear
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter
from lucid.ops.attention import Attention, AttentionWeights, dropout_keep
from lucid.ops.reduce import mean
from lucid.ops.shape import reshape, swapaxes, tensor_split, unsqueeze
from lucid.tensor import Tensor, _dtype

__all__ = ["MultiheadAttention"]


def _mask_bias(mask: Any, dtype: np.dtype, what: str) -> np.ndarray | None:
    """An additive bias from a MultiheadAttention mask: bool True = masked out (-inf), as
    PyTorch's MultiheadAttention (the opposite of scaled_dot_product_attention); float masks
    are added as they are (as constants: they get no gradient)."""
    if mask is None:
        return None
    array = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if array.dtype.kind == "b":
        return np.where(array, dtype.type(-np.inf), dtype.type(0))
    if array.dtype.kind != "f":
        raise TypeError(
            f"MultiheadAttention: {what} must be bool or floating point, got {array.dtype}"
        )
    return array.astype(dtype, copy=False)


class MultiheadAttention(Module):
    """Multi-head attention, as ``torch.nn.MultiheadAttention``.

    ``out = concat_h(softmax(q_h k_h^T / sqrt(d) + mask) v_h) @ out_proj.weight.T + bias`` with
    ``q, k, v`` the input projections (``in_proj_weight`` ``(3E, E)`` and ``in_proj_bias``, or
    ``q/k/v_proj_weight`` when ``kdim``/``vdim`` differ from ``embed_dim``) split into
    ``num_heads`` heads of ``d = E / num_heads``. PyTorch's init: xavier-uniform projections,
    zero biases. Inputs are ``(L, N, E)``, ``(N, L, E)`` with ``batch_first``, or unbatched
    ``(L, E)``. ``forward`` returns ``(out, weights)``: weights ``(N, L, S)`` averaged over heads
    (``(N, heads, L, S)`` with ``average_attn_weights=False``; None unless ``need_weights``),
    after dropout as in PyTorch. Masks: bool True = not allowed, float masks added (no gradient
    flows into them). A query that may attend nowhere gives 0 (PyTorch's weights path gives
    NaN). ``add_bias_kv`` and ``add_zero_attn`` are not supported.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim ({embed_dim}) must be a positive multiple of "
                f"num_heads ({num_heads})"
            )
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError(
                "MultiheadAttention: add_bias_kv and add_zero_attn are not implemented"
            )
        if not 0 <= dropout <= 1:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1], got {dropout}")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.head_dim = embed_dim // num_heads
        self.dropout, self.batch_first = float(dropout), batch_first
        dt = np.dtype(np.float32) if dtype is None else _dtype(dtype)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dt))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(np.empty((embed_dim, embed_dim), dt))
            self.k_proj_weight = Parameter(np.empty((embed_dim, self.kdim), dt))
            self.v_proj_weight = Parameter(np.empty((embed_dim, self.vdim), dt))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.empty(3 * embed_dim, dt))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, device=device, dtype=dt)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's: xavier-uniform input projections, zero biases; out_proj.weight keeps
        Linear's default."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    # ----------------------------------------------------------------- forward

    def _inputs(self, query: Any, key: Any, value: Any) -> tuple[Tensor, Tensor, Tensor, bool]:
        """query, key, value as ``(N, L or S, dim)``, and whether they were batched."""
        q, k, v = (t if isinstance(t, Tensor) else Tensor(t) for t in (query, key, value))
        batched = q.ndim == 3
        named = ((q, "query", self.embed_dim), (k, "key", self.kdim), (v, "value", self.vdim))
        for t, what, dim in named:
            if t.ndim != q.ndim or t.ndim not in (2, 3) or t.shape[-1] != dim:
                layout = "(N, L, {0})" if self.batch_first else "(L, N, {0})"
                raise ValueError(
                    f"MultiheadAttention: expected {what} of shape {layout.format(dim)} or "
                    f"(L, {dim}) (all three batched or all unbatched), got {t.shape}"
                )
        if not batched:
            return unsqueeze(q, 0), unsqueeze(k, 0), unsqueeze(v, 0), False
        if not self.batch_first:
            q, k, v = swapaxes(q, 0, 1), swapaxes(k, 0, 1), swapaxes(v, 0, 1)
        if k.shape[:2] != v.shape[:2] or k.shape[0] != q.shape[0]:
            raise ValueError(
                f"MultiheadAttention: key {named[1][0].shape} and value {named[2][0].shape} "
                f"must have the same batch and length, and the batch of query {named[0][0].shape}"
            )
        return q, k, v, True

    def _projections(self, q: Tensor, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        if self._qkv_same_embed_dim:
            weights = tensor_split(self.in_proj_weight, 3, dim=0)
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        biases = (None,) * 3 if self.in_proj_bias is None else tensor_split(self.in_proj_bias, 3)
        return tuple(linear(t, w, b) for t, w, b in zip((q, k, v), weights, biases, strict=True))

    def _bias(
        self, attn_mask: Any, key_padding_mask: Any, shape: tuple, dtype: np.dtype, batched: bool
    ) -> np.ndarray | None:
        """attn_mask ``(L, S)`` or ``(N*heads, L, S)`` and key_padding_mask ``(N, S)`` (``(S,)``
        unbatched) as one additive bias broadcasting to ``(N, heads, L, S)``."""
        n, h, length, source = shape
        bias = _mask_bias(attn_mask, dtype, "attn_mask")
        if bias is not None:
            if bias.shape == (length, source):
                bias = bias[None, None]
            elif bias.shape == (n * h, length, source):
                bias = bias.reshape(shape)
            else:
                raise ValueError(
                    f"MultiheadAttention: attn_mask of shape {bias.shape} must be "
                    f"{(length, source)} or {(n * h, length, source)}"
                )
        padding = _mask_bias(key_padding_mask, dtype, "key_padding_mask")
        if padding is not None:
            expected = (n, source) if batched else (source,)
            if padding.shape != expected:
                raise ValueError(
                    f"MultiheadAttention: key_padding_mask of shape {padding.shape} must be "
                    f"{expected}"
                )
            padding = padding.reshape(n, 1, 1, source)
            bias = padding if bias is None else bias + padding
        return bias

    def forward(
        self,
        query: Any,
        key: Any,
        value: Any,
        key_padding_mask: Any = None,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        q, k, v, batched = self._inputs(query, key, value)
        n, length, source, heads = q.shape[0], q.shape[1], k.shape[1], self.num_heads
        q, k, v = self._projections(q, k, v)
        # (N, L, E) -> (N, heads, L, head_dim)
        q, k, v = (
            swapaxes(reshape(t, (n, t.shape[1], heads, self.head_dim)), 1, 2) for t in (q, k, v)
        )
        if is_causal and attn_mask is None:
            attn_mask = ~np.tril(np.ones((length, source), dtype=bool))
        shape = (n, heads, length, source)
        bias = self._bias(attn_mask, key_padding_mask, shape, q.dtype, batched)
        keep = dropout_keep(self.dropout if self.training else 0.0, shape, q.dtype)
        op = (AttentionWeights if need_weights else Attention)(1 / math.sqrt(self.head_dim), keep)
        inputs = (q, k, v) if bias is None else (q, k, v, bias)
        out, weights = op(*inputs) if need_weights else (op(*inputs), None)
        out = self.out_proj(reshape(swapaxes(out, 1, 2), (n, length, self.embed_dim)))
        if weights is not None and average_attn_weights:
            weights = mean(weights, axis=1)
        if not batched:
            return out[0], (None if weights is None else weights[0])
        return (out if self.batch_first else swapaxes(out, 0, 1)), weights

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
