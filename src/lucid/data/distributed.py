"""DistributedSampler: each rank's share of a dataset's indices, as PyTorch's."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["DistributedSampler"]


class DistributedSampler:
    """The indices of ``dataset`` that rank ``rank`` of ``num_replicas`` visits in an epoch.

    Every epoch the indices ``0 .. len(dataset) - 1`` are shuffled (``shuffle=True``) by a
    generator seeded with ``seed + epoch`` (call ``set_epoch`` before each epoch, or every
    epoch repeats the first one's order); then, as in PyTorch, the list is padded by
    repeating its start until its length divides by ``num_replicas`` (``drop_last=False``)
    or cut to the largest such length (``drop_last=True``), and rank r takes every
    ``num_replicas``-th index starting at r. All ranks therefore see disjoint shards of equal
    length, ``len(sampler)``. Pass it as ``DataLoader(dataset, sampler=...)``.
    ``num_replicas`` and ``rank`` default to the process group's. The permutation comes
    from NumPy's generator, so the order differs from PyTorch's ``randperm`` for the same seed.
    """

    def __init__(
        self,
        dataset: Any,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            from lucid import distributed as dist

            if not dist.is_initialized():
                raise RuntimeError(
                    "DistributedSampler: pass num_replicas and rank, or call "
                    "lucid.distributed.init_process_group() first"
                )
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if isinstance(num_replicas, bool) or not isinstance(num_replicas, (int, np.integer)):
            raise TypeError(
                f"DistributedSampler: num_replicas must be an int, got {num_replicas!r}"
            )
        if num_replicas < 1:
            raise ValueError(
                f"DistributedSampler: num_replicas must be positive, got {num_replicas}"
            )
        if not 0 <= rank < num_replicas:
            raise ValueError(
                f"DistributedSampler: invalid rank {rank}, rank should be in the interval "
                f"[0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        self.epoch = 0
        n = len(dataset)
        if self.drop_last and n % self.num_replicas:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            indices = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            indices = np.arange(n)
        if self.drop_last:
            indices = indices[: self.total_size]
        elif self.total_size > n:
            # Pad with the list's start, repeated as often as needed (tiny datasets).
            indices = np.resize(indices, self.total_size) if n else indices
        shard = indices[self.rank : self.total_size : self.num_replicas]
        return iter(shard.tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch`` in the seed of the next shuffle, so each epoch has its own order."""
        self.epoch = int(epoch)
