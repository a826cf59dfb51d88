"""Transformers, as PyTorch's: encoder and decoder layers, stacks of copies of them, and
``Transformer`` (an encoder-decoder with ``generate_square_subsequent_mask``)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from lucid.nn import init
from lucid.nn.attention import MultiheadAttention
from lucid.nn.containers import ModuleList
from lucid.nn.dropout import Dropout
from lucid.nn.linear import Linear
from lucid.nn.module import Module
from lucid.nn.normalization import LayerNorm
from lucid.ops.activation import gelu, relu
from lucid.tensor import Tensor, _dtype

__all__ = [
    "TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer",
    "TransformerDecoder", "Transformer",
]  # fmt: skip

_ACTIVATIONS = {"relu": relu, "gelu": gelu}


def _activation(name: str, activation: str | Callable) -> Callable:
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"{name}: activation must be 'relu', 'gelu' or a callable, got {activation!r}"
            )
        return _ACTIVATIONS[activation]
    if not callable(activation):
        raise TypeError(f"{name}: activation must be 'relu', 'gelu' or a callable, got "
                        f"{type(activation).__name__}")  # fmt: skip
    return activation


def _stack(name: str, layer: Module, num_layers: int) -> ModuleList:
    """``num_layers`` independent deep copies of ``layer``."""
    if not isinstance(num_layers, int) or num_layers < 1:
        raise ValueError(f"{name}: num_layers must be >= 1, got {num_layers!r}")
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])


class _TransformerLayer(Module):
    """What the encoder and decoder layers share: residual blocks (one per attention module
    named in ``_attentions``, then the feed-forward one), block i with LayerNorm ``norm<i>``
    and dropout ``dropout<i>``. Submodules register in PyTorch's order."""

    _attentions: tuple[str, ...] = ()

    def __init__(self, name: str, d_model: int, nhead: int,
                 dim_feedforward: int, dropout: float, activation: str | Callable,
                 layer_norm_eps: float, batch_first: bool, norm_first: bool, bias: bool,
                 device: Any, dtype: Any) -> None:  # fmt: skip
        super().__init__()
        activation = _activation(name, activation)
        factory = {"device": device, "dtype": dtype}
        for attr in self._attentions:
            mha = MultiheadAttention(
                d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **factory
            )
            setattr(self, attr, mha)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        blocks = len(self._attentions) + 1
        for i in range(1, blocks + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory))
        for i in range(1, blocks + 1):
            setattr(self, f"dropout{i}", Dropout(dropout))
        self.activation = activation  # a Module activation registers as a submodule, as torch

    def _sa_block(self, x: Tensor, mask: Any, padding: Any, is_causal: bool) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=padding,
                           need_weights=False, is_causal=is_causal)[0]  # fmt: skip
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return getattr(self, f"dropout{len(self._attentions) + 1}")(x)


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention then a feed-forward block, each with a residual connection and LayerNorm,
    as ``torch.nn.TransformerEncoderLayer``.

    Post-norm (default): ``x = norm1(x + sa(x))``, ``x = norm2(x + ff(x))``; ``norm_first``:
    ``x = x + sa(norm1(x))``, ``x = x + ff(norm2(x))``, where ``sa`` is MultiheadAttention
    followed by dropout and ``ff(x) = dropout(linear2(dropout(activation(linear1(x)))))``.
    ``activation`` is ``'relu'``, ``'gelu'`` or a callable. Submodule and state-dict names are
    PyTorch's (``self_attn``, ``linear1``, ``linear2``, ``norm1``, ``norm2``).
    """

    _attentions = ("self_attn",)

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__("TransformerEncoderLayer", d_model, nhead, dim_feedforward, dropout,
                         activation, layer_norm_eps, batch_first, norm_first, bias, device,
                         dtype)  # fmt: skip

    def forward(
        self,
        src: Any,
        src_mask: Any = None,
        src_key_padding_mask: Any = None,
        is_causal: bool = False,
    ) -> Tensor:
        x = src if isinstance(src, Tensor) else Tensor(src)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))


class TransformerEncoder(Module):
    """``num_layers`` independent deep copies of ``encoder_layer`` applied in turn, then
    ``norm`` if given, as ``torch.nn.TransformerEncoder`` (state keys ``layers.0.…``,
    ``norm.…``). ``enable_nested_tensor`` and ``mask_check`` are accepted and ignored: Lucid
    has no nested-tensor fast path, so padded positions are computed like the others.
    """

    def __init__(
        self,
        encoder_layer: TransformerEncoderLayer,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        self.layers = _stack("TransformerEncoder", encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        src: Any,
        mask: Any = None,
        src_key_padding_mask: Any = None,
        is_causal: bool | None = None,
    ) -> Tensor:
        x = src
        for layer in self.layers:
            x = layer(
                x,
                src_mask=mask,
                src_key_padding_mask=src_key_padding_mask,
                is_causal=bool(is_causal),
            )
        return x if self.norm is None else self.norm(x)


class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention, attention over the encoder's output (``memory``), then a feed-forward
    block, each with a residual connection and LayerNorm, as ``torch.nn.TransformerDecoderLayer``.

    Post-norm (default): ``x = norm1(x + sa(x))``, ``x = norm2(x + mha(x, memory))``,
    ``x = norm3(x + ff(x))``; ``norm_first``: ``x = x + sa(norm1(x))``,
    ``x = x + mha(norm2(x), memory)``, ``x = x + ff(norm3(x))``; each block ends in dropout
    (``dropout1``..``dropout3``), ``ff(x) = linear2(dropout(activation(linear1(x))))``.
    Submodule and state-dict names are PyTorch's (``self_attn``, ``multihead_attn``,
    ``linear1``, ``linear2``, ``norm1``..``norm3``). Masks as in MultiheadAttention (bool:
    True = not allowed; float: added); ``tgt_is_causal`` without ``tgt_mask`` applies the
    causal mask (PyTorch raises there and asks for the mask).
    """

    _attentions = ("self_attn", "multihead_attn")

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__("TransformerDecoderLayer", d_model, nhead, dim_feedforward, dropout,
                         activation, layer_norm_eps, batch_first, norm_first, bias, device,
                         dtype)  # fmt: skip

    def _mha_block(
        self, x: Tensor, memory: Tensor, mask: Any, padding: Any, is_causal: bool
    ) -> Tensor:
        x = self.multihead_attn(x, memory, memory, attn_mask=mask, key_padding_mask=padding,
                                need_weights=False, is_causal=is_causal)[0]  # fmt: skip
        return self.dropout2(x)

    def forward(
        self,
        tgt: Any,
        memory: Any,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        x = tgt if isinstance(tgt, Tensor) else Tensor(tgt)
        memory = memory if isinstance(memory, Tensor) else Tensor(memory)
        self_args = (tgt_mask, tgt_key_padding_mask, bool(tgt_is_causal))
        cross_args = (memory_mask, memory_key_padding_mask, bool(memory_is_causal))
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), *self_args)
            x = x + self._mha_block(self.norm2(x), memory, *cross_args)
            return x + self._ff_block(self.norm3(x))
        x = self.norm1(x + self._sa_block(x, *self_args))
        x = self.norm2(x + self._mha_block(x, memory, *cross_args))
        return self.norm3(x + self._ff_block(x))


class TransformerDecoder(Module):
    """``num_layers`` independent deep copies of ``decoder_layer`` applied in turn to ``tgt``
    (each attending to the same ``memory``), then ``norm`` if given, as
    ``torch.nn.TransformerDecoder`` (state keys ``layers.0.…``, ``norm.…``)."""

    def __init__(
        self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm: Module | None = None
    ) -> None:
        super().__init__()
        self.layers = _stack("TransformerDecoder", decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        tgt: Any,
        memory: Any,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        x = tgt
        for layer in self.layers:
            x = layer(
                x,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=bool(tgt_is_causal),
                memory_is_causal=memory_is_causal,
            )
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """Encoder-decoder transformer, as ``torch.nn.Transformer``: ``encoder`` (a
    TransformerEncoder of ``num_encoder_layers`` layers and a final LayerNorm) turns ``src``
    into ``memory``, ``decoder`` (``num_decoder_layers`` layers and a final LayerNorm) turns
    ``tgt`` and ``memory`` into the output, of ``tgt``'s shape. Every weight matrix is
    xavier-uniform initialised (PyTorch's ``_reset_parameters``). ``custom_encoder`` /
    ``custom_decoder`` replace the stacks.
    """

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable = "relu",
        custom_encoder: Module | None = None,
        custom_decoder: Module | None = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                      batch_first, norm_first, bias)  # fmt: skip
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(*layer_args, **factory),
                num_encoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory),
            )
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(*layer_args, **factory),
                num_decoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory),
            )
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(
        self,
        src: Any,
        tgt: Any,
        src_mask: Any = None,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        src_key_padding_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        src = src if isinstance(src, Tensor) else Tensor(src)
        tgt = tgt if isinstance(tgt, Tensor) else Tensor(tgt)
        batch_axis = 0 if self.batch_first else 1
        if src.ndim == 3 and (tgt.ndim != 3 or src.shape[batch_axis] != tgt.shape[batch_axis]):
            raise ValueError(
                f"Transformer: the batch number of src {src.shape} and tgt {tgt.shape} must be "
                f"equal (batch_first={self.batch_first})"
            )
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(
                f"Transformer: the feature number of src {src.shape} and tgt {tgt.shape} must "
                f"be equal to d_model ({self.d_model})"
            )
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
        """A float ``(sz, sz)`` mask: ``-inf`` above the diagonal (future positions), 0 on and
        below it; float32 unless ``dtype`` says otherwise."""
        if device is not None and str(device).split(":")[0] != "cpu":
            raise ValueError(f"Transformer: Lucid runs on the CPU only, got device {device!r}")
        dt = np.dtype(np.float32) if dtype is None else _dtype(dtype)
        mask = np.triu(np.full((sz, sz), -np.inf, dtype=dt), k=1)
        return Tensor._wrap(mask)
