"""DataLoader: batches of a map-style dataset, optionally shuffled; PyTorch's default collate."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from lucid.data.dataset import Dataset, Subset, TensorDataset, generator_from
from lucid.tensor import Tensor

__all__ = ["DataLoader", "default_collate"]


def _stack(arrays: Sequence[np.ndarray]) -> Tensor:
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(
            f"default_collate: cannot stack samples of different shapes {sorted(shapes)}; "
            "pass a collate_fn that pads them"
        )
    return Tensor._wrap(np.stack(arrays))  # a fresh array: no copy needed


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of samples into a batch, as PyTorch's ``default_collate``.

    Tensors and arrays are stacked along a new first axis (dtype kept); Python floats become
    a float64 tensor, ints int64 and bools bool (PyTorch's choices: cast float64 batches
    yourself if the model is float32); NumPy scalars keep their dtype; strings stay a list.
    Dicts, tuples, named tuples and lists are collated field by field, recursively. One
    difference: a tuple of fields gives a tuple of batches (PyTorch gives a list).
    Batches carry no graph: they are new leaf tensors.
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack([t._data for t in batch])
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind not in "biuf":
            raise TypeError(f"default_collate: cannot batch arrays of dtype {elem.dtype}")
        return _stack(batch)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, (np.bool_, np.number)):
        return Tensor._wrap(np.array(batch))
    if isinstance(elem, bool):
        return Tensor._wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        values = np.array(batch)
        return Tensor._wrap(values.astype(np.int64 if values.dtype.kind in "iub" else np.float64))
    if isinstance(elem, float):
        return Tensor._wrap(np.array(batch, dtype=np.float64))
    if isinstance(elem, Mapping):
        fields = {key: default_collate([sample[key] for sample in batch]) for key in elem}
        try:
            return type(elem)(fields)
        except TypeError:  # a mapping type that cannot be built from a dict
            return fields
    if isinstance(elem, Sequence):
        lengths = {len(sample) for sample in batch}
        if len(lengths) > 1:
            raise ValueError(
                f"default_collate: samples have different lengths {sorted(lengths)}; every "
                "sample in a batch must have the same number of fields"
            )
        fields = [default_collate(list(field)) for field in zip(*batch, strict=True)]
        if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple
            return type(elem)(*fields)
        return tuple(fields) if isinstance(elem, tuple) else fields
    raise TypeError(
        "default_collate: a batch must hold tensors, arrays, numbers, strings, or dicts, "
        f"tuples and lists of them; found {type(elem).__name__}"
    )


def _tensor_columns(dataset: Dataset) -> tuple[tuple[np.ndarray, ...], np.ndarray | None] | None:
    """The arrays behind a TensorDataset (seen through any Subsets) and the map from the
    dataset's indices to theirs (None: the identity); None for any other dataset."""
    index = None
    while type(dataset) is Subset:
        outer = np.asarray(dataset.indices, dtype=np.intp)
        index = outer if index is None else outer[index]
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset:
        return None
    return tuple(t._data for t in dataset.tensors), index


class DataLoader:
    """Iterates over ``dataset`` in batches of ``batch_size`` samples merged by ``collate_fn``.

    With ``shuffle=True`` every pass draws a new permutation from ``generator`` (a
    ``numpy.random.Generator`` or an int seed) or, by default, from Lucid's global generator,
    so ``lucid.random.seed`` makes the order reproducible. The last batch is smaller unless
    ``drop_last=True`` drops it. ``len(loader)`` is the number of batches; the loader can be
    iterated any number of times. Single-process (PyTorch's ``num_workers=0``).
    A ``sampler`` (any iterable of indices with a length, such as ``DistributedSampler``)
    gives the order instead; it excludes ``shuffle=True``, as in PyTorch.

    A ``TensorDataset`` (or a ``Subset`` of one) with the default collation is batched by
    indexing each underlying array once per batch, not sample by sample; the batches are the
    same as the per-sample path gives.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        collate_fn: Callable[[list], Any] | None = None,
        generator: Any = None,
        sampler: Any = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be an int, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be positive, got {batch_size}")
        if generator is not None:
            generator = generator_from(
                generator
            )  # an int seed becomes one generator for all passes
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        self.dataset = dataset
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self.generator = generator

    def __len__(self) -> int:
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        if self.sampler is not None:
            order = np.fromiter(iter(self.sampler), dtype=np.intp)
            n = len(order)
        elif self.shuffle:
            n = len(self.dataset)
            order = generator_from(self.generator).permutation(n)
        else:
            n = len(self.dataset)
            order = np.arange(n)
        stop = n - n % self.batch_size if self.drop_last else n
        columns = _tensor_columns(self.dataset) if self.collate_fn is default_collate else None
        for start in range(0, stop, self.batch_size):
            picked = order[start : start + self.batch_size]
            if columns is not None:
                arrays, index = columns
                rows = picked if index is None else index[picked]
                yield tuple(Tensor._wrap(a[rows]) for a in arrays)
            else:
                yield self.collate_fn([self.dataset[int(i)] for i in picked])
