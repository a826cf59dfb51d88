"""DistributedSampler's shards, and DataLoader(sampler=...), in one process."""

import numpy as np
import pytest

import lucid
from lucid.data import DataLoader, DistributedSampler, TensorDataset


def shards(n, replicas, **kwargs):
    data = list(range(n))
    return [list(DistributedSampler(data, replicas, r, **kwargs)) for r in range(replicas)]


@pytest.mark.parametrize("n", [0, 1, 5, 12, 13])
@pytest.mark.parametrize("replicas", [1, 2, 3, 7])
@pytest.mark.parametrize("shuffle", [False, True])
def test_shards_are_equal_sized_and_cover_the_dataset(n, replicas, shuffle):
    parts = shards(n, replicas, shuffle=shuffle, seed=4)
    sizes = {len(p) for p in parts}
    assert len(sizes) == 1 and sizes.pop() == -(-n // replicas)
    together = [i for p in parts for i in p]
    assert set(together) == set(range(n))
    # padding repeats only as many indices as needed to even the shards
    assert len(together) - n == (-n) % replicas


@pytest.mark.parametrize(("n", "replicas"), [(12, 3), (13, 3), (5, 7)])
def test_drop_last_gives_disjoint_shards_without_padding(n, replicas):
    parts = shards(n, replicas, shuffle=True, drop_last=True)
    together = [i for p in parts for i in p]
    assert len(together) == len(set(together)) == (n // replicas) * replicas


def test_epochs_reshuffle_and_the_seed_reproduces():
    data = list(range(50))
    s = DistributedSampler(data, num_replicas=2, rank=1, seed=3)
    first = list(s)
    assert list(s) == first
    s.set_epoch(1)
    assert list(s) != first
    again = DistributedSampler(data, num_replicas=2, rank=1, seed=3)
    again.set_epoch(1)
    assert list(again) == list(s)


@pytest.mark.torch
@pytest.mark.parametrize(
    ("n", "replicas", "drop_last"), [(10, 3, False), (10, 3, True), (2, 5, False), (9, 3, False)]
)
def test_unshuffled_shards_match_torch(n, replicas, drop_last):
    torch = pytest.importorskip("torch")
    from torch.utils.data import DistributedSampler as TorchSampler

    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert torch  # the import above is the point


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="invalid rank 2"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))


def test_dataloader_batches_the_sampler_order(rng):
    x = rng.standard_normal((10, 3))
    ds = TensorDataset(lucid.tensor(x), lucid.tensor(np.arange(10)))
    sampler = DistributedSampler(ds, num_replicas=2, rank=1, seed=5)
    loader = DataLoader(ds, batch_size=2, sampler=sampler)
    assert len(loader) == 3
    order = np.concatenate([y.numpy() for _, y in loader])
    assert order.tolist() == list(sampler)
    np.testing.assert_array_equal(np.concatenate([b.numpy() for b, _ in loader]), x[order])
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, sampler=sampler, shuffle=True)
