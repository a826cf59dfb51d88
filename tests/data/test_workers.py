"""DataLoader with worker processes: batches in order, per-worker seeds, iterable datasets split
by get_worker_info, errors re-raised by worker id, and no worker left running."""

import os
import time

import numpy as np
import pytest

import lucid
from lucid.data import (
    DataLoader,
    Dataset,
    IterableDataset,
    TensorDataset,
    get_worker_info,
)


class Items(Dataset):
    """Item i is (i, the id of the worker that fetched it, a draw from Lucid's generator)."""

    def __init__(self, n=13, fail_at=None, exit_at=None, sleep=0.0):
        self.n, self.fail_at, self.exit_at, self.sleep = n, fail_at, exit_at, sleep

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise KeyError(f"item {i} is missing")
        if i == self.exit_at:
            os._exit(3)
        time.sleep(self.sleep)
        info = get_worker_info()
        worker = -1 if info is None else info.id
        return i, worker, int(lucid.random.generator().integers(2**31)), np.random.randint(2**31)


class Split(IterableDataset):
    """range(n), each worker taking every num_workers-th item from its id."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


def gone(pids, wait=3.0):
    """True once no process with these pids exists (they were reaped, not left as zombies)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if not any(os.path.exists(f"/proc/{pid}") for pid in pids):
            return True
        time.sleep(0.02)
    return False


def indices(batches):
    return [b[0].tolist() for b in batches]


def test_batches_arrive_in_order_and_equal_the_single_process_ones():
    serial = indices(DataLoader(Items(), batch_size=3, shuffle=True, generator=4))
    loader = DataLoader(Items(), batch_size=3, shuffle=True, generator=4, num_workers=2)
    batches = list(loader)
    assert indices(batches) == serial
    assert sorted(sum(serial, [])) == list(range(13))
    # Batches alternate between the two workers, as PyTorch hands them out.
    assert [b[1].tolist()[0] for b in batches] == [0, 1, 0, 1, 0]


def test_tensor_dataset_and_custom_sampler_through_workers(rng):
    x = rng.standard_normal((9, 2)).astype(np.float32)
    ds = TensorDataset(lucid.tensor(x), lucid.tensor(np.arange(9)))
    loader = DataLoader(ds, batch_sampler=[[8, 0], [3], [4, 5, 6]], num_workers=2)
    out = list(loader)
    assert [b[1].tolist() for b in out] == [[8, 0], [3], [4, 5, 6]]
    np.testing.assert_array_equal(out[0][0].numpy(), x[[8, 0]])
    assert len(loader) == 3


def test_worker_seeds_are_base_seed_plus_id_and_reproducible():
    def run():
        seen = {}

        def init(worker_id):
            info = get_worker_info()
            assert info.id == worker_id and info.num_workers == 3
            assert isinstance(info.dataset, Items)

        loader = DataLoader(Items(6), batch_size=1, num_workers=3, worker_init_fn=init,
                            generator=11)  # fmt: skip
        for i, worker, draw, np_draw in loader:
            seen[i.item()] = (worker.item(), draw.item(), np_draw.item())
        return seen

    first = run()
    assert first == run()
    # The first draw of each worker is the first number of default_rng(base_seed + id).
    draws = {first[i][0]: first[i][1] for i in range(3)}
    base = int(np.random.default_rng(11).integers(0, 2**62))
    for worker_id, draw in draws.items():
        expected = np.random.default_rng(base + worker_id).integers(2**31)
        assert draw == expected, worker_id
    assert len(set(draws.values())) == 3
    # NumPy's global generator is seeded per worker too: the workers' first draws differ.
    assert len({first[i][2] for i in range(3)}) == 3
    assert get_worker_info() is None


def test_iterable_dataset_split_by_worker_info_matches_torch_order():
    batches = [b.tolist() for b in DataLoader(Split(11), batch_size=2, num_workers=2)]
    # Worker 0 streams 0, 2, 4, ...; worker 1 streams 1, 3, 5, ...; batches alternate.
    assert batches == [[0, 2], [1, 3], [4, 6], [5, 7], [8, 10], [9]]
    assert sorted(sum(batches, [])) == list(range(11))


@pytest.mark.torch
def test_iterable_split_order_is_torchs():
    torch_data = pytest.importorskip("torch.utils.data")

    class TorchSplit(torch_data.IterableDataset):
        def __iter__(self):
            info = torch_data.get_worker_info()
            return iter(range(info.id, 11, info.num_workers))

    theirs = [b.tolist() for b in torch_data.DataLoader(TorchSplit(), batch_size=2,
                                                        num_workers=2)]  # fmt: skip
    ours = [b.tolist() for b in DataLoader(Split(11), batch_size=2, num_workers=2)]
    assert ours == theirs


def test_an_error_in_a_worker_is_raised_with_its_id_and_the_workers_stop():
    loader = DataLoader(Items(10, fail_at=5), batch_size=2, num_workers=2)
    it = iter(loader)
    pids = [w.pid for w in it.workers]
    with pytest.raises(KeyError, match=r"worker process 0(.|\n)*item 5 is missing") as info:
        list(it)
    assert gone(pids)
    assert "\\n" not in str(info.value)  # the traceback prints on lines, not as a repr


def test_an_error_in_worker_init_fn_is_raised():
    def init(worker_id):
        if worker_id == 1:
            raise ValueError("cannot open the shard")

    loader = DataLoader(Items(8), batch_size=2, num_workers=2, worker_init_fn=init)
    with pytest.raises(ValueError, match=r"worker_init_fn in DataLoader worker process 1"):
        list(loader)


def test_a_worker_that_dies_is_reported():
    loader = DataLoader(Items(6, exit_at=2), batch_size=1, num_workers=2)
    it = iter(loader)
    pids = [w.pid for w in it.workers]
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(it)
    assert gone(pids)


def test_timeout_raises_when_a_batch_takes_too_long():
    loader = DataLoader(Items(2, sleep=0.6), batch_size=1, num_workers=1, timeout=0.2)
    with pytest.raises(RuntimeError, match="timed out after 0.2 seconds"):
        next(iter(loader))


def test_workers_stop_after_a_pass_after_break_and_are_not_leaked():
    loader = DataLoader(Items(12), batch_size=2, num_workers=2, prefetch_factor=1)
    it = iter(loader)
    pids = [w.pid for w in it.workers]
    list(it)
    assert gone(pids)
    it = iter(loader)
    pids = [w.pid for w in it.workers]
    next(it)
    del it  # abandoned mid-pass: collected, its workers stop
    assert gone(pids)


def test_persistent_workers_serve_several_passes_then_stop():
    loader = DataLoader(Items(7), batch_size=3, num_workers=2, persistent_workers=True)
    first = iter(loader)
    pids = [w.pid for w in first.workers]
    assert indices(first) == [[0, 1, 2], [3, 4, 5], [6]]
    second = iter(loader)
    assert [w.pid for w in second.workers] == pids and all(w.is_alive() for w in second.workers)
    next(second)  # abandon this pass: the next one starts clean
    assert indices(iter(loader)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert not gone(pids, wait=0.05)
    del first, second, loader
    assert gone(pids)


def test_persistent_workers_restart_iterable_streams():
    loader = DataLoader(Split(5), batch_size=2, num_workers=2, persistent_workers=True)
    assert [b.tolist() for b in loader] == [b.tolist() for b in loader] == [[0, 2], [1, 3], [4]]


def test_spawn_context_with_an_importable_dataset(rng):
    x = rng.standard_normal((5, 2)).astype(np.float32)
    ds = TensorDataset(lucid.tensor(x))
    loader = DataLoader(ds, batch_size=2, num_workers=1, multiprocessing_context="spawn")
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in loader]), x)


def test_unpicklable_batches_are_reported_not_lost():
    loader = DataLoader(Items(4), batch_size=2, num_workers=1, collate_fn=lambda b: lambda: b)
    with pytest.raises(Exception, match="while sending a batch in DataLoader worker process 0"):
        list(loader)
