"""Datasets: map-style (Dataset, TensorDataset, Subset, ConcatDataset), iterable-style
(IterableDataset, ChainDataset), and random_split."""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from lucid import random as lucid_random
from lucid.tensor import Tensor

__all__ = [
    "Dataset",
    "TensorDataset",
    "Subset",
    "ConcatDataset",
    "IterableDataset",
    "ChainDataset",
    "random_split",
]


def generator_from(generator: Any) -> np.random.Generator:
    """The NumPy generator to draw from: ``generator`` itself, a new one seeded by an int, or
    Lucid's global generator (``lucid.random.generator()``, reseeded by ``lucid.random.seed``).
    """
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    if generator is not None:
        raise TypeError(
            f"generator must be a numpy.random.Generator, an int seed or None, "
            f"got {type(generator).__name__}"
        )
    return lucid_random.generator()


class Dataset:
    """A map-style dataset: ``len(ds)`` items, ``ds[i]`` the i-th. Subclasses define both.

    ``ds1 + ds2`` is ``ConcatDataset([ds1, ds2])``, as in PyTorch.
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} defines no __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} defines no __len__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Item i is ``tuple(t[i] for t in tensors)``; every tensor has the same first length.

    Arrays are accepted too and wrapped without a copy; ``tensors`` keeps the tensors. A
    ``DataLoader`` with the default collation batches this dataset with one fancy index per
    tensor and batch, never per sample.
    """

    def __init__(self, *tensors: Tensor | np.ndarray) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        wrapped = []
        for i, t in enumerate(tensors):
            if isinstance(t, np.ndarray):
                t = Tensor._wrap(t)
            elif not isinstance(t, Tensor):
                raise TypeError(
                    f"TensorDataset: argument {i} must be a Tensor or an ndarray, "
                    f"got {type(t).__name__}"
                )
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is 0-d; it needs a first axis")
            wrapped.append(t)
        lengths = [len(t._data) for t in wrapped]
        if len(set(lengths)) != 1:
            shapes = ", ".join(str(t.shape) for t in wrapped)
            raise ValueError(f"TensorDataset: tensors differ in their first length: {shapes}")
        self.tensors = tuple(wrapped)

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0]._data)


class Subset(Dataset):
    """The items of ``dataset`` at ``indices``, in that order: ``sub[i] = dataset[indices[i]]``."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: int) -> Any:
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """The items of several datasets one after the other."""

    def __init__(self, datasets: Sequence[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if index < 0:
            if -index > n:
                raise IndexError(f"index {index} is out of range for a dataset of length {n}")
            index += n
        if index >= n:
            raise IndexError(f"index {index} is out of range for a dataset of length {n}")
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


class IterableDataset(Dataset):
    """A dataset read as a stream: subclasses define ``__iter__``. A DataLoader with worker
    processes runs a copy in every worker; split the stream there with ``get_worker_info()``
    (its ``id`` and ``num_workers``), or each worker yields every item. ``a + b`` chains two.
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} defines no __iter__")

    def __getitem__(self, index: int) -> Any:
        raise TypeError(f"{type(self).__name__} is an IterableDataset: iterate it, do not index")

    def __add__(self, other: Dataset) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """The items of several iterable datasets, one stream after the other."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator[Any]:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(
                    f"ChainDataset only chains IterableDatasets, got {type(d).__name__}"
                )
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)  # type: ignore[arg-type]


def _split_lengths(n: int, lengths: Sequence[float]) -> list[int]:
    """PyTorch's rule: fractions summing to 1 become floor(n * f), the remainder handed out
    one by one from the first split; otherwise the lengths must sum to ``n``."""
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        for f in lengths:
            if not 0 <= f <= 1:
                raise ValueError(f"random_split: fraction {f} is not within [0, 1]")
        sizes = [math.floor(n * f) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"random_split: split {i} is empty", UserWarning, stacklevel=3)
        return sizes
    if any(int(k) != k or k < 0 for k in lengths):
        raise ValueError(
            f"random_split: lengths {list(lengths)} must be non-negative ints, or fractions "
            "summing to 1"
        )
    if total != n:
        raise ValueError(
            f"random_split: lengths {list(lengths)} sum to {total}, but the dataset has {n} items"
        )
    return [int(k) for k in lengths]


def random_split(
    dataset: Dataset, lengths: Sequence[float], generator: Any = None
) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given lengths.

    ``lengths`` are item counts summing to ``len(dataset)``, or fractions summing to 1 (as in
    PyTorch). ``generator`` is a ``numpy.random.Generator`` or an int seed; by default Lucid's
    global generator is used (so ``lucid.random.seed`` makes the split reproducible). The
    permutation comes from NumPy, so the split differs from PyTorch's for the same seed.
    """
    sizes = _split_lengths(len(dataset), lengths)
    order = generator_from(generator).permutation(sum(sizes)).tolist()
    subsets, start = [], 0
    for size in sizes:
        subsets.append(Subset(dataset, order[start : start + size]))
        start += size
    return subsets
