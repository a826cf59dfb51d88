"""Embedding and EmbeddingBag: lookup tables of learnable vectors; the one-hot encoding."""

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


def _renorm_(
    op: str, weight: Tensor, index: np.ndarray, max_norm: float, norm_type: float
) -> None:
    """PyTorch's ``max_norm``: rows of ``weight`` picked by ``index`` whose ``norm_type`` norm
    exceeds ``max_norm`` are scaled in place (outside the graph) to ``max_norm``."""
    rows = np.unique(index)
    if rows.size == 0:
        return
    w = weight._data
    norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        scale = max_norm / (norms[big] + 1e-7)  # PyTorch's epsilon
        w[rows[big]] = (w[rows[big]] * scale[:, None]).astype(w.dtype)
        weight._version += 1


def _unsupported(op: str, scale_grad_by_freq: bool, sparse: bool) -> None:
    if scale_grad_by_freq or sparse:
        raise NotImplementedError(f"{op}: scale_grad_by_freq and sparse are not supported")


def _padding_row(op: str, padding_idx: int | None, num_embeddings: int) -> int | None:
    """``padding_idx`` as a row in [0, num_embeddings) (negative counts from the end)."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise IndexError(
            f"{op}: padding_idx {padding_idx} is out of range for {num_embeddings} embeddings"
        )
    return padding_idx % num_embeddings


class _Table(Module):
    """The ``(num_embeddings, embedding_dim)`` ``weight`` of Embedding and EmbeddingBag:
    PyTorch's init N(0, 1) with the ``padding_idx`` row zero, or a given ``_weight``."""

    def _init_weight(self, op: str, _weight: Any, dtype: Any) -> None:
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            dt = np.float32 if dtype is None else _dtype(dtype)
            self.weight = Parameter(np.empty(shape, dtype=dt))
            self.reset_parameters()
        else:
            self.weight = Parameter(_weight)
            if self.weight.shape != shape:
                raise ValueError(f"{op}: _weight has shape {self.weight.shape}, expected {shape}")

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0


def _pretrained(op: str, embeddings: Any) -> np.ndarray:
    """``from_pretrained``'s table as an array, checked to be 2-D."""
    data = embeddings._data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
    if data.ndim != 2:
        raise ValueError(f"{op}.from_pretrained: expected a 2-D table, got {data.shape}")
    return data


def embedding(
    input: Any,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) at the integer ``input``: shape
    ``input.shape + (dim,)``. The row ``padding_idx`` receives no gradient (its value is
    returned as it is). ``max_norm`` first rescales, in place, the picked rows whose
    ``norm_type`` norm exceeds it, as PyTorch."""
    _unsupported("embedding", scale_grad_by_freq, sparse)
    if weight.ndim != 2:
        raise ValueError(
            f"embedding: weight must be 2-D (num_embeddings, dim), got {weight.shape}"
        )
    index = _indices("embedding", input, weight.shape[0])
    if max_norm is not None:
        _renorm_("embedding", weight, index, max_norm, norm_type)
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


class Embedding(_Table):
    """A table of ``num_embeddings`` learnable vectors of size ``embedding_dim``, looked up by
    integer index: (...) -> (..., embedding_dim).

    PyTorch's init: N(0, 1), the ``padding_idx`` row zero; that row gets no gradient.
    ``max_norm`` renormalises looked-up rows in place, as PyTorch; ``scale_grad_by_freq``
    and sparse gradients are not supported.
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
        _unsupported("Embedding", scale_grad_by_freq, sparse)
        padding_idx = _padding_row("Embedding", padding_idx, num_embeddings)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        self._init_weight("Embedding", _weight, dtype)
        self.weight.requires_grad = not _freeze

    @classmethod
    def from_pretrained(
        cls, embeddings: Any, freeze: bool = True, padding_idx: int | None = None
    ) -> Embedding:
        """An Embedding holding a copy of the 2-D ``embeddings``; frozen unless ``freeze``."""
        data = _pretrained("Embedding", embeddings)
        return cls(*data.shape, padding_idx=padding_idx, _weight=data, _freeze=freeze)

    def forward(self, input: Any) -> Tensor:  # noqa: A002 - PyTorch's name
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        return text


# --------------------------------------------------------------------------- embedding bags

_BAG_MODES = ("sum", "mean", "max")


def _bags(
    index: np.ndarray, offsets: Any, include_last_offset: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Input positions as a (bags, longest) matrix and its validity mask."""
    if index.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: offsets must be None when input is 2-D (B, L)")
        b, n = index.shape
        return np.arange(b * n).reshape(b, n), np.ones((b, n), dtype=bool)
    if index.ndim != 1:
        raise ValueError(f"embedding_bag: input must be 1-D or 2-D, got shape {index.shape}")
    if offsets is None:
        raise ValueError("embedding_bag: a 1-D input needs offsets (the start of each bag)")
    starts = offsets._data if isinstance(offsets, Tensor) else np.asarray(offsets)
    if starts.ndim != 1 or starts.dtype.kind not in "iu":
        raise TypeError(
            f"embedding_bag: offsets must be a 1-D integer tensor, got {starts.dtype} of shape "
            f"{starts.shape}"
        )
    n = index.size
    if starts.size and starts[0] != 0:
        raise ValueError(f"embedding_bag: offsets[0] has to be 0, got {int(starts[0])}")
    if (np.diff(starts) < 0).any() or (starts.size and starts[-1] > n):
        raise ValueError(
            f"embedding_bag: offsets must not decrease and must stay within the input's "
            f"{n} entries, got {starts.tolist()}"
        )
    if include_last_offset:
        bounds = starts.astype(np.int64)
    else:
        bounds = np.append(starts, n).astype(np.int64)
    lengths = np.diff(bounds) if bounds.size else np.zeros(0, np.int64)
    longest = int(lengths.max()) if lengths.size else 0
    slots = np.arange(longest)
    valid = slots < lengths[:, None]
    positions = np.where(valid, bounds[:-1, None] + slots, 0) if bounds.size else valid
    return positions.astype(np.int64), valid


def embedding_bag(
    input: Any,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    offsets: Any = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Any = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """The sum, mean or max of the ``weight`` rows in each bag, as
    ``torch.nn.functional.embedding_bag``: result ``(bags, dim)``.

    Bags are the rows of a 2-D ``input``, or the runs of a 1-D ``input`` starting at
    ``offsets``. Entries equal to ``padding_idx`` are left out; empty bags give zeros.
    ``per_sample_weights`` (``input``'s shape, mode ``sum`` only) weight each entry and get
    a gradient.
    """
    fn = "embedding_bag"
    _unsupported(fn, scale_grad_by_freq, sparse)
    if mode not in _BAG_MODES:
        raise ValueError(f"{fn}: mode must be one of {_BAG_MODES}, got {mode!r}")
    if weight.ndim != 2:
        raise ValueError(f"{fn}: weight must be 2-D (num_embeddings, dim), got {weight.shape}")
    index = _indices(fn, input, weight.shape[0])
    positions, valid = _bags(index, offsets, include_last_offset)
    flat = index.reshape(-1)
    if max_norm is not None:
        _renorm_(fn, weight, flat, max_norm, norm_type)
    picked = flat[positions] if flat.size else np.zeros(positions.shape, np.int64)
    if padding_idx is not None:
        if not -weight.shape[0] <= padding_idx < weight.shape[0]:
            raise IndexError(
                f"{fn}: padding_idx {padding_idx} is out of range for {weight.shape[0]} rows"
            )
        valid = valid & (picked != padding_idx % weight.shape[0])
    rows = take(weight, picked, axis=0)  # (bags, longest, dim)
    mask = valid[..., None]
    if per_sample_weights is not None:
        if mode != "sum":
            raise ValueError(
                f"{fn}: per_sample_weights is only supported for mode='sum' (got mode={mode!r})"
            )
        psw = (
            per_sample_weights
            if isinstance(per_sample_weights, Tensor)
            else Tensor(per_sample_weights)
        )
        if psw.shape != index.shape:
            raise ValueError(
                f"{fn}: per_sample_weights of shape {psw.shape} must have input's shape "
                f"{index.shape}"
            )
        rows = (
            rows
            * take(psw.reshape(-1), positions.reshape(-1), axis=0).reshape(*positions.shape, 1)
            if flat.size
            else rows
        )
    zero = np.zeros((), dtype=weight.dtype)
    if mode == "max":
        # the first maximum of each (bag, feature) takes the gradient, as PyTorch's
        scores = np.where(mask, rows._data, -np.inf)
        first = scores.argmax(axis=1) if scores.shape[1] else np.zeros((len(scores), 0), int)
        bag = np.arange(rows.shape[0])[:, None]
        best = rows[bag, first, np.arange(rows.shape[2])] if scores.shape[1] else rows.sum(axis=1)
        return where(valid.any(axis=1)[:, None], best, zero)
    total = where(mask, rows, zero).sum(axis=1)
    if mode == "sum":
        return total
    count = np.maximum(valid.sum(axis=1), 1)[:, None].astype(weight.dtype)
    return total / count


class EmbeddingBag(_Table):
    """Sums, means or maxima of bags of embeddings, as ``torch.nn.EmbeddingBag``:
    ``forward(input, offsets=None, per_sample_weights=None)`` gives ``(bags, dim)``.

    PyTorch's init: N(0, 1), the ``padding_idx`` row zero.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight: Any = None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        _unsupported("EmbeddingBag", scale_grad_by_freq, sparse)
        if mode not in _BAG_MODES:
            raise ValueError(f"EmbeddingBag: mode must be one of {_BAG_MODES}, got {mode!r}")
        padding_idx = _padding_row("EmbeddingBag", padding_idx, num_embeddings)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type, self.mode = max_norm, norm_type, mode
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        self.include_last_offset, self.padding_idx = include_last_offset, padding_idx
        self._init_weight("EmbeddingBag", _weight, dtype)

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Any,
        freeze: bool = True,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
    ) -> EmbeddingBag:
        """An EmbeddingBag holding a copy of the 2-D ``embeddings``; frozen unless ``freeze``."""
        data = _pretrained("EmbeddingBag", embeddings)
        bag = cls(
            *data.shape,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            mode,
            sparse,
            data.copy(),
            include_last_offset,
            padding_idx,
        )
        bag.weight.requires_grad = not freeze
        return bag

    def forward(
        self,
        input: Any,  # noqa: A002 - PyTorch's name
        offsets: Any = None,
        per_sample_weights: Any = None,
    ) -> Tensor:
        return embedding_bag(
            input,
            self.weight,
            offsets,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.mode,
            self.sparse,
            per_sample_weights,
            self.include_last_offset,
            self.padding_idx,
        )

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        text += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text
