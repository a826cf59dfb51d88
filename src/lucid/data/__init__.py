"""Datasets and batching: ``Dataset``, ``TensorDataset``, ``Subset``, ``DataLoader``, ..."""

from lucid.data.dataloader import DataLoader, default_collate
from lucid.data.dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from lucid.data.distributed import DistributedSampler

__all__ = [
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "Subset",
    "TensorDataset",
    "default_collate",
    "random_split",
]
