"""Variable-length sequences, as ``torch.nn.utils.rnn``: PackedSequence, packing and padding.

A PackedSequence stores the steps of a batch of sequences, sorted by decreasing length, one
time step after another: ``data`` (sum of lengths, *), and ``batch_sizes[t]``, the number of
sequences still running at step t. Every conversion here is one differentiable gather
(``take``), so gradients flow through packing and unpacking.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from lucid.ops.creation import full
from lucid.ops.index import take
from lucid.ops.shape import concatenate, stack, swapaxes
from lucid.tensor import Tensor

__all__ = [
    "PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence",
    "pack_sequence", "unpad_sequence", "unpack_sequence",
]  # fmt: skip


class PackedSequence(NamedTuple):
    """``(data, batch_sizes, sorted_indices, unsorted_indices)`` as PyTorch's: ``batch_sizes``
    an int64 tensor; ``sorted_indices[i]`` the original batch index of the i-th longest
    sequence (None when the batch came sorted) and ``unsorted_indices`` its inverse."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data.to(...)`` (dtype or "cpu"); the index tensors stay as they are."""
        return self._replace(data=self.data.to(*args, **kwargs))

    def cpu(self) -> PackedSequence:
        return self

    def double(self) -> PackedSequence:
        return self._replace(data=self.data.double())

    def float(self) -> PackedSequence:
        return self._replace(data=self.data.float())

    @property
    def is_cuda(self) -> bool:
        return False


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _int_vector(name: str, what: str, values: Any) -> np.ndarray:
    array = values._data if isinstance(values, Tensor) else np.asarray(values)
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise TypeError(f"{name}: {what} must be a 1-D sequence of ints, got {array.dtype} "
                        f"of shape {array.shape}")  # fmt: skip
    return array.astype(np.int64)


def batch_sizes_of(lengths: np.ndarray) -> np.ndarray:
    """``batch_sizes`` of sequences with these lengths (sorted in decreasing order)."""
    return (lengths[None, :] > np.arange(int(lengths[0]))[:, None]).sum(axis=1)


def packed_positions(batch_sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(time, batch row) of every packed element, in packed order."""
    steps = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]])
    rows = np.arange(int(batch_sizes.sum())) - np.repeat(offsets, batch_sizes)
    return steps, rows


def packed_to_padded(data: Tensor, batch_sizes: np.ndarray, padding_value: float = 0.0):
    """``data`` (sum of lengths, *) as ``(T, B, *)`` in packed (sorted) batch order, the
    positions past each sequence's end filled with ``padding_value``: one gather."""
    length, batch = len(batch_sizes), int(batch_sizes[0])
    steps, rows = packed_positions(batch_sizes)
    index = np.full(length * batch, data.shape[0], dtype=np.int64)  # the padding row
    index[steps * batch + rows] = np.arange(data.shape[0])
    pad = full((1, *data.shape[1:]), padding_value, dtype=data.dtype)
    return take(concatenate([data, pad], axis=0), index, axis=0).reshape(
        length, batch, *data.shape[1:]
    )


def padded_to_packed(x: Tensor, batch_sizes: np.ndarray) -> Tensor:
    """``x`` (T, B, *) in packed batch order as packed ``data``: one gather."""
    steps, rows = packed_positions(batch_sizes)
    flat = x.reshape(x.shape[0] * x.shape[1], *x.shape[2:])
    return take(flat, steps * x.shape[1] + rows, axis=0)


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    if permutation is None:
        return None
    inverse = np.empty_like(permutation._data)
    inverse[permutation._data] = np.arange(permutation._data.size)
    return Tensor._wrap(inverse)


def pad_sequence(
    sequences: Sequence[Any],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack sequences of shapes ``(L_i, *)`` into ``(max L, B, *)`` (``(B, max L, *)`` with
    ``batch_first``), padded with ``padding_value`` on ``padding_side`` ("right" or "left")."""
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'right' or 'left', got "
                         f"{padding_side!r}")  # fmt: skip
    tensors = [_as_tensor(s) for s in sequences]
    if not tensors:
        raise ValueError("pad_sequence: received an empty list of sequences")
    tail = tensors[0].shape[1:]
    for s in tensors:
        if s.ndim == 0 or s.shape[1:] != tail:
            raise ValueError(
                f"pad_sequence: every sequence must be (L, *{tail}), got shapes "
                f"{[t.shape for t in tensors]}"
            )
    longest = max(s.shape[0] for s in tensors)
    padded = []
    for s in tensors:
        missing = longest - s.shape[0]
        if missing:
            pad = full((missing, *tail), padding_value, dtype=s.dtype)
            s = concatenate([s, pad] if padding_side == "right" else [pad, s], axis=0)
        padded.append(s)
    return stack(padded, axis=0 if batch_first else 1)


def pack_padded_sequence(
    input: Any,  # noqa: A002
    lengths: Any,
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) of sequences with
    these ``lengths``. With ``enforce_sorted`` the lengths must be in decreasing order
    (RuntimeError otherwise, as PyTorch); without, the batch is sorted here and the
    permutation kept in ``sorted_indices``."""
    x = _as_tensor(input)
    lengths = _int_vector("pack_padded_sequence", "lengths", lengths)
    if x.ndim < 2:
        raise ValueError(f"pack_padded_sequence: input must have at least 2 dims (T, B, *), "
                         f"got shape {x.shape}")  # fmt: skip
    if batch_first:
        x = swapaxes(x, 0, 1)
    if lengths.shape[0] != x.shape[1]:
        raise ValueError(
            f"pack_padded_sequence: {lengths.shape[0]} lengths for a batch of {x.shape[1]} "
            f"(input of shape {tuple(input.shape)})"
        )
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError(
            "pack_padded_sequence: length of all samples has to be greater than 0, but found "
            f"an element in 'lengths' that is <= 0: {lengths}"
        )
    if lengths.size and lengths.max() > x.shape[0]:
        raise ValueError(f"pack_padded_sequence: a length of {lengths.max()} exceeds the "
                         f"input's {x.shape[0]} steps")  # fmt: skip
    sorted_indices = None
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(
                f"pack_padded_sequence: `lengths` {lengths.tolist()} must be sorted in "
                "decreasing order when `enforce_sorted` is True; pass enforce_sorted=False to "
                "pack unsorted sequences"
            )
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = Tensor._wrap(order.astype(np.int64))
        lengths = lengths[order]
        x = take(x, order, axis=1)
    batch_sizes = batch_sizes_of(lengths)
    data = padded_to_packed(x[: int(lengths[0])], batch_sizes)
    return PackedSequence(
        data, Tensor._wrap(batch_sizes), sorted_indices, invert_permutation(sorted_indices)
    )


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """The inverse of ``pack_padded_sequence``: ``(padded, lengths)`` with ``padded``
    ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) in the original batch order, ``T`` the
    longest length or ``total_length``, and ``lengths`` an int64 tensor."""
    data, batch_sizes, _, unsorted = sequence
    sizes = batch_sizes._data if isinstance(batch_sizes, Tensor) else np.asarray(batch_sizes)
    padded = packed_to_padded(data, sizes, padding_value)
    if total_length is not None:
        if total_length < padded.shape[0]:
            raise ValueError(
                f"pad_packed_sequence: total_length {total_length} is less than the longest "
                f"sequence's length {padded.shape[0]}"
            )
        if total_length > padded.shape[0]:
            extra = full((total_length - padded.shape[0], *padded.shape[1:]), padding_value,
                         dtype=padded.dtype)  # fmt: skip
            padded = concatenate([padded, extra], axis=0)
    lengths = (sizes[:, None] > np.arange(int(sizes[0]))[None, :]).sum(axis=0).astype(np.int64)
    if unsorted is not None:
        padded = take(padded, unsorted._data, axis=1)
        lengths = lengths[unsorted._data]
    return (swapaxes(padded, 0, 1) if batch_first else padded), Tensor._wrap(lengths)


def pack_sequence(sequences: Sequence[Any], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences ``(L_i, *)``: ``pack_padded_sequence(pad_sequence(...))``."""
    lengths = [_as_tensor(s).shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded: Any, lengths: Any, batch_first: bool = False) -> list[Tensor]:
    """The list of sequences ``(L_i, *)`` in a padded batch (the inverse of ``pad_sequence``)."""
    x = _as_tensor(padded)
    x = x if batch_first else swapaxes(x, 0, 1)
    lengths = _int_vector("unpad_sequence", "lengths", lengths)
    return [x[i, : int(n)] for i, n in enumerate(lengths)]


def unpack_sequence(packed: PackedSequence) -> list[Tensor]:
    """The list of sequences in a PackedSequence, in the original order."""
    padded, lengths = pad_packed_sequence(packed, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
