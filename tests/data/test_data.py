"""lucid.numpy(): datasets, random_split, DataLoader batching, shuffling and default collation."""

from collections import namedtuple

import numpy as np
import pytest

import lucid
from lucid.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)

N = 10


def numbered(n=N):
    """A TensorDataset whose item i is (features i, label i): batches show their indices."""
    x = np.repeat(np.arange(n, dtype=np.float32)[:, None], 3, axis=1)
    return TensorDataset(lucid.tensor(x), lucid.tensor(np.arange(n)))


class Pairs(Dataset):
    """A plain map-style dataset: item i is (array, python float, python int)."""

    def __init__(self, n=N):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.full(2, i, np.float32), float(i) / 2, i


def labels_of(loader):
    return [batch[-1].tolist() for batch in loader]


# --------------------------------------------------------------------------- batching


@pytest.mark.parametrize(
    ("batch_size", "drop_last", "sizes"),
    [(4, False, [4, 4, 2]), (4, True, [4, 4]), (5, True, [5, 5]), (1, False, [1] * N),
     (16, False, [N]), (16, True, [])],
)  # fmt: skip
@pytest.mark.parametrize("dataset", [numbered, Pairs])
def test_batches_and_len(batch_size, drop_last, sizes, dataset):
    loader = DataLoader(dataset(), batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == len(sizes)
    batches = list(loader)
    assert [len(b[-1]) for b in batches] == sizes
    assert [i for b in batches for i in b[-1].tolist()] == list(range(sum(sizes)))


@pytest.mark.parametrize("dataset", [numbered, Pairs])
def test_loader_can_be_iterated_again_and_again(dataset):
    loader = DataLoader(dataset(), batch_size=3)
    assert labels_of(loader) == labels_of(loader) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]


def test_shuffle_visits_every_item_once_in_a_new_order_each_pass():
    loader = DataLoader(numbered(50), batch_size=8, shuffle=True, generator=0)
    passes = [sum(labels_of(loader), []) for _ in range(3)]
    for order in passes:
        assert sorted(order) == list(range(50))
    assert passes[0] != passes[1] != passes[2]


def test_shuffle_is_reproducible_with_a_seed_or_a_generator():
    def run(generator):
        loader = DataLoader(numbered(30), batch_size=7, shuffle=True, generator=generator)
        return [labels_of(loader) for _ in range(2)]

    assert run(5) == run(5)
    assert run(np.random.default_rng(5)) == run(np.random.default_rng(5))
    assert run(5) != run(6)


def test_shuffle_is_reproducible_under_lucid_random_seed():
    loader = DataLoader(numbered(30), batch_size=7, shuffle=True)
    lucid.random.seed(123)
    first = [labels_of(loader) for _ in range(2)]
    lucid.random.seed(123)
    assert [labels_of(loader) for _ in range(2)] == first


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("subset", [False, True])
def test_tensor_dataset_fast_path_gives_the_per_sample_batches(shuffle, subset, rng):
    x = lucid.tensor(rng.standard_normal((23, 2, 3)).astype(np.float32))
    y = lucid.tensor(rng.integers(0, 5, 23))
    dataset = TensorDataset(x, y)
    if subset:
        dataset = Subset(Subset(dataset, rng.permutation(23)[:17].tolist()), [16, 0, 5, 3, 9, 2])
    fast = DataLoader(dataset, batch_size=4, shuffle=shuffle, generator=1)
    slow = DataLoader(dataset, 4, shuffle, collate_fn=lambda b: default_collate(b), generator=1)
    for a, b in zip(fast, slow, strict=True):
        assert isinstance(a, list) and isinstance(b, list)
        for ta, tb in zip(a, b, strict=True):
            assert ta.dtype == tb.dtype and not ta.requires_grad
            np.testing.assert_array_equal(ta.numpy(), tb.numpy())


def test_tensor_dataset_fast_path_indexes_arrays_not_samples(monkeypatch):
    def per_sample(self, i):
        raise AssertionError("the fast path fetched a single sample")

    monkeypatch.setattr(TensorDataset, "__getitem__", per_sample)
    batches = list(DataLoader(numbered(), batch_size=4, shuffle=True, generator=0))
    assert sorted(sum((b[1].tolist() for b in batches), [])) == list(range(N))


# --------------------------------------------------------------------------- collation


def test_collate_tuples_of_arrays_and_numbers_as_pytorch_does():
    x, half, i = default_collate([Pairs()[k] for k in range(3)])
    assert x.shape == (3, 2) and x.dtype == np.float32
    assert half.dtype == np.float64  # Python floats become float64, as in PyTorch
    assert i.dtype == np.int64
    np.testing.assert_array_equal(half.numpy(), [0.0, 0.5, 1.0])


def test_collate_dicts_lists_named_tuples_and_strings():
    Point = namedtuple("Point", ["x", "y"])
    samples = [
        {"img": lucid.tensor(np.full((2, 2), k, np.float32)), "meta": [k, True], "name": f"s{k}",
         "pt": Point(np.float32(k), np.int8(k))}
        for k in range(4)
    ]  # fmt: skip
    batch = default_collate(samples)
    assert set(batch) == {"img", "meta", "name", "pt"}
    assert batch["img"].shape == (4, 2, 2)
    assert isinstance(batch["meta"], list) and batch["meta"][1].dtype == np.bool_
    assert batch["name"] == ["s0", "s1", "s2", "s3"]
    assert isinstance(batch["pt"], Point)
    assert batch["pt"].x.dtype == np.float32 and batch["pt"].y.dtype == np.int8


@pytest.mark.torch
def test_default_collate_matches_torch_dtypes_and_values():
    torch_data = pytest.importorskip("torch.utils.data")
    samples = [
        (np.full(3, k, np.float32), float(k) / 3, k, bool(k % 2), np.float64(k), {"a": k * 1.5})
        for k in range(5)
    ]
    ours, theirs = default_collate(samples), torch_data.default_collate(samples)
    ours = list(ours[:5]) + [ours[5]["a"]]
    theirs = list(theirs[:5]) + [theirs[5]["a"]]
    for a, b in zip(ours, theirs, strict=True):
        assert str(a.dtype) == str(b.dtype).replace("torch.", "")
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize(
    ("batch", "error", "match"),
    [
        ([np.zeros(2), np.zeros(3)], ValueError, r"different shapes \[\(2,\), \(3,\)\]"),
        ([(1, 2), (1, 2, 3)], ValueError, r"different lengths \[2, 3\]"),
        ([object(), object()], TypeError, "found object"),
        ([np.array(["a"]), np.array(["b"])], TypeError, "dtype <U1"),
    ],
)
def test_collate_refuses_what_it_cannot_batch(batch, error, match):
    with pytest.raises(error, match=match):
        default_collate(batch)


def test_custom_collate_fn_receives_the_list_of_samples():
    loader = DataLoader(Pairs(), batch_size=4, collate_fn=lambda b: [s[2] for s in b])
    assert list(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


@pytest.mark.parametrize(
    ("kwargs", "error"), [({"batch_size": 0}, ValueError), ({"batch_size": 2.0}, TypeError)]
)
def test_bad_batch_size_is_refused(kwargs, error):
    with pytest.raises(error, match="batch_size"):
        DataLoader(numbered(), **kwargs)


# --------------------------------------------------------------------------- datasets


def test_tensor_dataset_items_and_mismatched_lengths():
    ds = numbered()
    x, y = ds[3]
    assert len(ds) == N and y.item() == 3 and x.tolist() == [3.0, 3.0, 3.0]
    with pytest.raises(ValueError, match=r"first length: \(3, 2\), \(4,\)"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))


def test_subset_and_concat_dataset_indexing():
    a, b = numbered(4), Subset(numbered(), [9, 7, 5])
    both = a + b
    assert isinstance(both, ConcatDataset) and len(both) == 7
    assert [both[i][1].item() for i in range(7)] == [0, 1, 2, 3, 9, 7, 5]
    assert both[-1][1].item() == 5 and both[-7][1].item() == 0
    for bad in (7, -8):
        with pytest.raises(IndexError, match="out of range for a dataset of length 7"):
            both[bad]
    assert labels_of(DataLoader(both, batch_size=4)) == [[0, 1, 2, 3], [9, 7, 5]]


@pytest.mark.parametrize(
    ("lengths", "sizes"),
    [([3, 7], [3, 7]), ([0.5, 0.5], [5, 5]), ([0.33, 0.33, 0.34], [4, 3, 3]),
     ([0.25, 0.75], [3, 7])],
)  # fmt: skip
def test_random_split_sizes_cover_the_dataset_once(lengths, sizes):
    parts = random_split(numbered(), lengths, generator=0)
    assert [len(p) for p in parts] == sizes
    seen = sorted(p[i][1].item() for p in parts for i in range(len(p)))
    assert seen == list(range(N))


def test_random_split_is_reproducible_and_refuses_bad_lengths():
    first = [p.indices for p in random_split(numbered(), [4, 6], generator=3)]
    assert first == [p.indices for p in random_split(numbered(), [4, 6], generator=3)]
    with pytest.raises(ValueError, match="sum to 9, but the dataset has 10 items"):
        random_split(numbered(), [4, 5])
