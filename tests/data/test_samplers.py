"""Samplers, iterable datasets, DataLoader arguments and default collation, against PyTorch
where the result is deterministic."""

from collections import namedtuple

import numpy as np
import pytest

import lucid
from lucid.data import (
    BatchSampler,
    ChainDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
)


class Items(Dataset):
    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


class Stream(IterableDataset):
    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def __iter__(self):
        return iter(range(self.lo, self.hi))

    def __len__(self):
        return self.hi - self.lo


def test_sequential_and_random_samplers():
    assert list(SequentialSampler(range(5))) == [0, 1, 2, 3, 4]
    s = RandomSampler(range(7), generator=3)
    first, second = list(s), list(s)
    assert sorted(first) == sorted(second) == list(range(7)) and first != second
    assert list(RandomSampler(range(7), generator=3)) == first  # an int seed: reproducible
    more = list(RandomSampler(range(4), num_samples=10, generator=0))
    assert len(more) == 10 and sorted(more[:4]) == sorted(more[4:8]) == [0, 1, 2, 3]
    assert len(set(more[8:])) == 2
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=50, generator=1))
    assert len(drawn) == 50 and set(drawn) == {0, 1, 2}
    assert len(RandomSampler(range(3), replacement=True, num_samples=50)) == 50


def test_random_sampler_follows_lucid_random_seed():
    lucid.random.seed(5)
    a = list(RandomSampler(range(20)))
    lucid.random.seed(5)
    assert list(RandomSampler(range(20))) == a


def test_subset_random_sampler_permutes_the_given_indices():
    s = SubsetRandomSampler([10, 20, 30, 40], generator=np.random.default_rng(0))
    out = list(s)
    assert sorted(out) == [10, 20, 30, 40] and len(s) == 4


def test_weighted_random_sampler_draws_in_proportion():
    w = [0.0, 1.0, 3.0]
    picks = np.array(list(WeightedRandomSampler(w, 4000, generator=0)))
    assert not np.any(picks == 0)
    share = np.mean(picks == 2)
    assert 0.72 < share < 0.78, share  # 3/4 expected; sd ~0.007
    no_repeat = list(WeightedRandomSampler(lucid.tensor([1.0, 1.0, 1.0, 0.5]), 4, False, 1))
    assert sorted(no_repeat) == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: WeightedRandomSampler([1.0, -1.0], 2), ValueError, "non-negative"),
        (lambda: WeightedRandomSampler([[1.0]], 2), ValueError, "1-d"),
        (lambda: WeightedRandomSampler([1.0, 0.0], 2, replacement=False), ValueError, "without"),
        (lambda: WeightedRandomSampler([1.0], 0), ValueError, "num_samples"),
        (lambda: RandomSampler(range(3), num_samples=0), ValueError, "num_samples"),
        (lambda: RandomSampler(range(3), replacement=1), TypeError, "replacement"),
        (lambda: BatchSampler(range(3), 0, False), ValueError, "batch_size"),
    ],
)
def test_bad_sampler_arguments_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.torch
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("size", [1, 3, 4])
def test_batch_sampler_matches_torch(size, drop_last):
    torch_data = pytest.importorskip("torch.utils.data")
    ours = BatchSampler(SequentialSampler(range(10)), size, drop_last)
    theirs = torch_data.BatchSampler(torch_data.SequentialSampler(range(10)), size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_sampler_base_class_needs_iter():
    with pytest.raises(NotImplementedError, match="__iter__"):
        iter(Sampler())


# --------------------------------------------------------------------------- DataLoader


def test_loader_with_a_sampler_a_batch_sampler_and_no_batching():
    ds = Items()
    by_sampler = DataLoader(ds, batch_size=3, sampler=[9, 8, 7, 6, 5])
    assert [b.tolist() for b in by_sampler] == [[9, 8, 7], [6, 5]] and len(by_sampler) == 2
    by_batches = DataLoader(ds, batch_sampler=[[1, 2], [0], [5, 6, 7]])
    assert [b.tolist() for b in by_batches] == [[1, 2], [0], [5, 6, 7]]
    unbatched = list(DataLoader(ds, batch_size=None, sampler=[4, 2]))
    assert unbatched == [4, 2]  # default_convert keeps Python numbers
    arrays = list(DataLoader(TensorDataset(np.arange(6.0).reshape(3, 2)), batch_size=None))
    assert isinstance(arrays[0], list) and arrays[2][0].tolist() == [4.0, 5.0]


def test_loader_shuffle_uses_the_generator_reproducibly():
    runs = [
        [b.tolist() for b in DataLoader(Items(12), batch_size=5, shuffle=True, generator=7)]
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert sorted(sum(runs[0], [])) == list(range(12))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sampler": [0, 1], "shuffle": True}, "mutually exclusive with shuffle"),
        ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler is mutually exclusive"),
        ({"batch_sampler": [[0]], "drop_last": True}, "batch_sampler is mutually exclusive"),
        ({"batch_size": None, "drop_last": True}, "drop_last"),
        ({"prefetch_factor": 2}, "prefetch_factor needs num_workers > 0"),
        ({"persistent_workers": True}, "persistent_workers"),
        ({"num_workers": -1}, "num_workers"),
        ({"timeout": -1}, "timeout"),
    ],
)
def test_conflicting_loader_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(Items(), **kwargs)


def test_loader_accepts_pin_memory_and_friends():
    loader = DataLoader(Items(4), batch_size=2, pin_memory=True, timeout=5, in_order=True)
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3]]


def test_iterable_dataset_batches_and_chain():
    chained = Stream(0, 3) + Stream(10, 12)
    assert isinstance(chained, ChainDataset) and len(chained) == 5
    loader = DataLoader(chained, batch_size=2)
    assert [b.tolist() for b in loader] == [[0, 1], [2, 10], [11]] and len(loader) == 3
    dropped = DataLoader(Stream(0, 5), batch_size=2, drop_last=True)
    assert [b.tolist() for b in dropped] == [[0, 1], [2, 3]] and len(dropped) == 2
    assert list(DataLoader(Stream(0, 3), batch_size=None)) == [0, 1, 2]
    with pytest.raises(ValueError, match="shuffle must be left unset"):
        DataLoader(Stream(0, 3), shuffle=True)
    with pytest.raises(ValueError, match="sampler must be left unset"):
        DataLoader(Stream(0, 3), sampler=[0])
    with pytest.raises(TypeError, match="only chains IterableDatasets"):
        list(ChainDataset([Items(2)]))
    with pytest.raises(TypeError, match="iterate it"):
        Stream(0, 2)[0]


# --------------------------------------------------------------------------- collation

Point = namedtuple("Point", ["x", "y"])


def nested_samples():
    return [
        {"a": np.full((2,), k, np.float32), "b": (k, [k * 0.5, bool(k % 2)]),
         "p": Point(np.int16(k), np.float64(k)), "s": f"n{k}"}
        for k in range(3)
    ]  # fmt: skip


@pytest.mark.torch
def test_default_collate_of_nested_containers_matches_torch():
    torch_data = pytest.importorskip("torch.utils.data")
    ours, theirs = default_collate(nested_samples()), torch_data.default_collate(nested_samples())

    def compare(a, b):
        if hasattr(b, "numpy"):
            assert str(a.dtype) == str(b.dtype).replace("torch.", "")
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        elif isinstance(b, dict):
            assert list(a) == list(b)
            for k in b:
                compare(a[k], b[k])
        elif isinstance(b, (list, tuple)):
            assert type(a) is type(b) and len(a) == len(b)
            for x, y in zip(a, b, strict=True):
                compare(x, y)
        else:
            assert a == b

    compare(ours, theirs)


@pytest.mark.torch
def test_default_convert_matches_torch():
    torch_data = pytest.importorskip("torch.utils.data")
    sample = {"x": np.arange(3.0), "t": (np.int64(2), 1.5, "s"), "p": Point(np.zeros(2), 3)}
    ours, theirs = default_convert(sample), torch_data.default_convert(sample)
    np.testing.assert_array_equal(ours["x"].numpy(), theirs["x"].numpy())
    assert isinstance(ours["x"], lucid.Tensor) and isinstance(ours["p"], Point)
    assert type(ours["t"]) is type(theirs["t"]) and ours["t"][1:] == list(theirs["t"][1:])
    assert isinstance(ours["p"].x, lucid.Tensor)
