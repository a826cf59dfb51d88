"""Embedding: a lookup table of learnable vectors, and the one-hot encoding."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid.nn import init
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter
from lucid.ops.elementwise import where
from lucid.ops.index import take
from lucid.tensor import Tensor, _dtype


def _indices(op: str, input: Any, n: int) -> np.ndarray:  # noqa: A002 - PyTorch's name
    """Integer indices in [0, n): TypeError for other dtypes, IndexError naming a bad value."""
    index = input._data if isinstance(input, Tensor) else np.asarray(input)
    if index.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be an integer tensor, got {index.dtype}")
    bad = (index < 0) | (index >= n)
    if bad.any():
        raise IndexError(f"{op}: index {int(index[bad][0])} is out of range for {n} rows")
    return index


def embedding(
    input: Any,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    padding_idx: int | None = None,
) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) at the integer ``input``: shape
    ``input.shape + (dim,)``. The row ``padding_idx`` receives no gradient (its value is
    returned as it is)."""
    if weight.ndim != 2:
        raise ValueError(
            f"embedding: weight must be 2-D (num_embeddings, dim), got {weight.shape}"
        )
    index = _indices("embedding", input, weight.shape[0])
    out = take(weight, index, axis=0)  # the backward scatter-adds into the picked rows
    if padding_idx is None or not (index == padding_idx % weight.shape[0]).any():
        return out
    # Where the padding row was picked, pass its value but no gradient.
    is_pad = (index == padding_idx % weight.shape[0])[..., None]
    return where(is_pad, out.detach(), out)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: shape ``tensor.shape + (num_classes,)``; ``num_classes=-1`` uses
    ``max + 1``. Not differentiable (integer result)."""
    index = tensor._data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if index.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer tensor of class indices, got {index.dtype}")
    if num_classes == -1:
        num_classes = int(index.max()) + 1 if index.size else 0
    _indices("one_hot", index, num_classes)
    return Tensor._wrap((index[..., None] == np.arange(num_classes)).astype(np.int64))


class Embedding(Module):
    """A table of ``num_embeddings`` learnable vectors of size ``embedding_dim``, looked up by
    integer index: (...) -> (..., embedding_dim).

    PyTorch's init: N(0, 1), the ``padding_idx`` row zero; that row gets no gradient.
    ``max_norm`` renormalisation and sparse gradients are not supported.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Any = None,
        _freeze: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise NotImplementedError(
                "Embedding: max_norm, scale_grad_by_freq and sparse are not supported"
            )
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise IndexError(
                    f"Embedding: padding_idx {padding_idx} is out of range for "
                    f"{num_embeddings} embeddings"
                )
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_idx
        if _weight is None:
            dt = np.float32 if dtype is None else _dtype(dtype)
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dt))
            self.reset_parameters()
        else:
            self.weight = Parameter(_weight)
            if self.weight.shape != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"Embedding: _weight has shape {self.weight.shape}, expected "
                    f"{(num_embeddings, embedding_dim)}"
                )
        self.weight.requires_grad = not _freeze

    @classmethod
    def from_pretrained(
        cls, embeddings: Any, freeze: bool = True, padding_idx: int | None = None
    ) -> Embedding:
        """An Embedding holding a copy of the 2-D ``embeddings``; frozen unless ``freeze``."""
        data = embeddings._data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if data.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: expected a 2-D table, got {data.shape}")
        return cls(*data.shape, padding_idx=padding_idx, _weight=data, _freeze=freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def forward(self, input: Any) -> Tensor:  # noqa: A002 - PyTorch's name
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        pad = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
