"""DataLoader: batches of a dataset from samplers, in the main process or in worker processes;
PyTorch's ``default_collate`` and ``default_convert``."""

from __future__ import annotations

import itertools
import math
import pickle
import queue
import sys
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from lucid.data import _worker
from lucid.data.dataset import Dataset, IterableDataset, Subset, TensorDataset, generator_from
from lucid.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from lucid.tensor import Tensor

__all__ = ["DataLoader", "default_collate", "default_convert"]


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
    Dicts, tuples, named tuples and lists are collated field by field, recursively: a named
    tuple stays one, any other tuple or list gives a list of batches (as PyTorch).
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
        return fields
    raise TypeError(
        "default_collate: a batch must hold tensors, arrays, numbers, strings, or dicts, "
        f"tuples and lists of them; found {type(elem).__name__}"
    )


def default_convert(data: Any) -> Any:
    """What a DataLoader with ``batch_size=None`` does to each sample: arrays of numbers become
    tensors, containers are converted item by item, everything else is kept (PyTorch's)."""
    if isinstance(data, np.ndarray):
        return Tensor._wrap(data) if data.dtype.kind in "biuf" else data
    if isinstance(data, Mapping):
        converted = {key: default_convert(value) for key, value in data.items()}
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(d) for d in data]
    return data


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


class _MapFetcher:
    """Turns a batch of indices (or one index without auto-batching) into a batch. Picklable,
    so that it travels to worker processes started with "spawn" as well."""

    def __init__(self, collate_fn: Callable[[Any], Any], auto_collation: bool) -> None:
        self.collate_fn = collate_fn
        self.auto_collation = auto_collation

    def __call__(self, dataset: Any, indices: Any) -> Any:
        if not self.auto_collation:
            return self.collate_fn(dataset[indices])
        if self.collate_fn is default_collate:
            columns = _tensor_columns(dataset)
            if columns is not None:  # one fancy index per array, not one item per sample
                arrays, index = columns
                rows = np.asarray(indices, dtype=np.intp)
                rows = rows if index is None else index[rows]
                return [Tensor._wrap(a[rows]) for a in arrays]
        if hasattr(dataset, "__getitems__"):
            return self.collate_fn(dataset.__getitems__(list(indices)))
        return self.collate_fn([dataset[int(i)] for i in indices])


class _IterableFetcher:
    """The next batch (``batch_size`` items, fewer at the end unless ``drop_last``) or the
    next item of a dataset's iterator; StopIteration when there is none."""

    def __init__(
        self, collate_fn: Callable[[Any], Any], batch_size: int | None, drop_last: bool
    ) -> None:
        self.collate_fn = collate_fn
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __call__(self, stream: Any, _: Any = None) -> Any:
        if self.batch_size is None:
            return self.collate_fn(next(stream))
        items = list(itertools.islice(stream, self.batch_size))
        if not items or (self.drop_last and len(items) < self.batch_size):
            raise StopIteration
        return self.collate_fn(items)


def _check_flag(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"DataLoader: {name} must be a bool, got {value!r}")
    return bool(value)


class DataLoader:
    """Iterates over ``dataset`` in batches, as ``torch.utils.data.DataLoader``.

    Map-style datasets are read in the order of ``sampler`` (``SequentialSampler``, or
    ``RandomSampler`` with ``shuffle=True``), grouped by ``BatchSampler(sampler, batch_size,
    drop_last)`` or by a given ``batch_sampler``; ``batch_size=None`` turns batching off.
    ``collate_fn`` merges the samples (``default_collate``; ``default_convert`` without
    batching). An ``IterableDataset`` is read as a stream, ``batch_size`` items per batch.
    ``generator`` (a ``numpy.random.Generator`` or an int seed; by default Lucid's global
    generator, so ``lucid.random.seed`` makes runs reproducible) drives the shuffling and the
    workers' base seed.

    ``num_workers > 0`` fetches batches in that many worker processes (started with
    ``multiprocessing_context``, by default "fork" on Linux and "spawn" elsewhere), at most
    ``prefetch_factor`` (default 2) batches ahead per worker; batches arrive in order. Worker
    ``i`` seeds Python's ``random`` and Lucid's generator with ``base_seed + i`` (its
    ``get_worker_info().seed``; ``base_seed`` is drawn from ``generator`` when the workers
    start), NumPy's global generator from ``(i, base_seed)``, and then calls
    ``worker_init_fn(i)``. An iterable dataset is copied into every worker: split it with
    ``get_worker_info()``. An exception in a worker is raised again in the main process,
    naming the worker and the original traceback; ``timeout`` > 0 bounds each wait for a batch.
    The workers stop when a pass ends, fails or is abandoned, unless ``persistent_workers``
    keeps them for the next pass. ``pin_memory`` is accepted and changes nothing (no GPU).

    A ``TensorDataset`` (or a ``Subset`` of one) with the default collation is batched by
    indexing each underlying array once per batch, not sample by sample; the batches are the
    same as the per-sample path gives.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable[Any] | None = None,
        batch_sampler: Sampler | Iterable[list[Any]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[Any], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: Any = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if batch_size is not None and (
            isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
        ):
            raise TypeError(f"DataLoader: batch_size must be an int or None, got {batch_size!r}")
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be positive, got {batch_size}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)):
            raise TypeError(f"DataLoader: num_workers must be an int, got {num_workers!r}")
        if num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be >= 0, got {num_workers}")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout must be >= 0, got {timeout}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "DataLoader: prefetch_factor needs num_workers > 0 (it counts batches loaded "
                "ahead per worker)"
            )
        if prefetch_factor is not None and (
            isinstance(prefetch_factor, bool) or not isinstance(prefetch_factor, int)
            or prefetch_factor < 1
        ):  # fmt: skip
            raise ValueError(
                f"DataLoader: prefetch_factor must be an int >= 1, got {prefetch_factor!r}"
            )
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers=True needs num_workers > 0")
        drop_last = _check_flag("drop_last", drop_last)
        _check_flag("pin_memory", pin_memory)
        if generator is not None:
            generator = generator_from(generator)  # an int seed: one generator for all passes

        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            for name, value in (("shuffle", shuffle), ("sampler", sampler),
                                ("batch_sampler", batch_sampler)):  # fmt: skip
                if value not in (None, False):
                    raise ValueError(
                        f"DataLoader with an IterableDataset: {name} must be left unset, got "
                        f"{name}={value!r} (the dataset decides its own order)"
                    )
        elif sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler is mutually exclusive with batch_size, shuffle, "
                    "sampler and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "DataLoader: batch_size=None turns batching off and is mutually exclusive "
                "with drop_last"
            )
        if not iterable:
            if sampler is None:
                if shuffle:
                    sampler = RandomSampler(dataset, generator=generator)
                else:
                    sampler = SequentialSampler(dataset)
            if batch_size is not None and batch_sampler is None:
                batch_sampler = BatchSampler(sampler, int(batch_size), drop_last)

        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = int(num_workers)
        self.prefetch_factor = (
            (2 if prefetch_factor is None else prefetch_factor) if num_workers else None
        )
        self.pin_memory = bool(pin_memory)
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.persistent_workers = bool(persistent_workers)
        self.in_order = in_order
        self._iterable = iterable
        auto_collation = iterable and batch_size is not None or batch_sampler is not None
        self._auto_collation = auto_collation
        if collate_fn is None:
            collate_fn = default_collate if auto_collation else default_convert
        self.collate_fn = collate_fn
        self._iterator: _WorkerIterator | None = None

    # ------------------------------------------------------------------ sizes and plans

    @property
    def _index_sampler(self) -> Iterable[Any]:
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)  # TypeError when the stream has no length, as in PyTorch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        return len(self._index_sampler)  # type: ignore[arg-type]

    def _fetcher(self) -> Callable[[Any, Any], Any]:
        if self._iterable:
            return _IterableFetcher(self.collate_fn, self.batch_size, self.drop_last)
        return _MapFetcher(self.collate_fn, self._auto_collation)

    def _base_seed(self) -> int:
        """Drawn once per pass, before the sampler runs (as PyTorch does with any worker count)."""
        return int(generator_from(self.generator).integers(0, 2**62))

    def _context(self) -> Any:
        import multiprocessing  # only loaders with workers pay for the import

        ctx = self.multiprocessing_context
        if ctx is None:
            methods = multiprocessing.get_all_start_methods()
            ctx = "fork" if sys.platform.startswith("linux") and "fork" in methods else "spawn"
        if isinstance(ctx, str):
            if ctx not in multiprocessing.get_all_start_methods():
                raise ValueError(
                    f"DataLoader: multiprocessing_context {ctx!r} is not available here; choose "
                    f"from {multiprocessing.get_all_start_methods()}"
                )
            return multiprocessing.get_context(ctx)
        return ctx

    # ------------------------------------------------------------------ iterating

    def __iter__(self) -> Iterator[Any]:
        if self.num_workers == 0:
            return self._single_process()
        if not self.persistent_workers:
            return _WorkerIterator(self)
        if self._iterator is None:
            self._iterator = _WorkerIterator(self)
        else:
            self._iterator._start_pass(self)
        return self._iterator

    def _single_process(self) -> Iterator[Any]:
        self._base_seed()  # keeps the generator's stream as with workers
        fetch = self._fetcher()
        if self._iterable:
            stream = iter(self.dataset)
            while True:
                try:
                    yield fetch(stream)
                except StopIteration:
                    return
        for indices in self._index_sampler:
            yield fetch(self.dataset, indices)


def _shutdown_workers(workers: list[Any], index_queues: list[Any], result_queue: Any) -> None:
    """Stop every worker: ask each to exit, keep draining results so none blocks on a full
    pipe, then terminate any that has not exited within two seconds; close the queues."""
    for q in index_queues:
        try:
            q.put(None)
        except (OSError, ValueError):
            pass
    deadline = time.monotonic() + 2.0
    while any(w.is_alive() for w in workers) and time.monotonic() < deadline:
        try:
            while True:
                result_queue.get_nowait()
        except (queue.Empty, OSError, EOFError, ValueError):
            pass
        for w in workers:
            w.join(timeout=0.01)
    for w in workers:
        if w.is_alive():
            w.terminate()
            w.join()
    for q in [*index_queues, result_queue]:
        q.cancel_join_thread()
        q.close()


class _WorkerIterator:
    """One or more passes over a DataLoader with worker processes.

    Tasks ``(epoch, idx, indices)`` go to the workers in turn, at most ``prefetch_factor *
    num_workers`` outstanding; results come back on one queue in any order and are handed out
    by ``idx``. Results of an earlier pass (abandoned with persistent workers) are dropped by
    their epoch. The workers stop at the end of a pass (unless persistent), on an error, and
    when the iterator is garbage-collected or the interpreter exits.
    """

    # How often a wait for a batch checks that the workers are alive (seconds).
    _POLL = 0.1

    def __init__(self, loader: DataLoader) -> None:
        ctx = loader._context()
        self._num_workers = loader.num_workers
        self._persistent = loader.persistent_workers
        self._iterable = loader._iterable
        self._timeout = loader.timeout
        self._prefetch = loader.prefetch_factor * loader.num_workers
        self._result_queue = ctx.Queue()
        self._index_queues = []
        self._workers = []
        self._epoch = 0
        seed = loader._base_seed()
        fetch = loader._fetcher()
        try:
            for worker_id in range(self._num_workers):
                index_queue = ctx.Queue()
                index_queue.cancel_join_thread()
                worker = ctx.Process(
                    target=_worker.worker_loop,
                    args=(
                        fetch,
                        loader.dataset,
                        self._iterable,
                        index_queue,
                        self._result_queue,
                        worker_id,
                        self._num_workers,
                        seed + worker_id,
                        loader.worker_init_fn,
                    ),  # fmt: skip
                    daemon=True,
                )
                worker.start()
                self._index_queues.append(index_queue)
                self._workers.append(worker)
        finally:
            # Runs when the iterator is collected, at exit, or when called: exactly once.
            self._finalizer = weakref.finalize(
                self, _shutdown_workers, self._workers, self._index_queues, self._result_queue
            )
        self._start_pass(loader)

    def _start_pass(self, loader: DataLoader) -> None:
        # Persistent workers keep their seeds across passes (no new base seed), as in PyTorch.
        self._epoch += 1
        self._sampler_iter = None if self._iterable else iter(loader._index_sampler)
        self._active = [True] * self._num_workers
        self._next_worker = itertools.cycle(range(self._num_workers))
        self._send_idx = 0
        self._rcvd_idx = 0
        self._owner: dict[int, int] = {}
        self._ready: dict[int, Any] = {}
        for _ in range(self._prefetch):
            self._put_task()

    def _put_task(self) -> None:
        if not any(self._active):
            return
        if self._iterable:
            indices = None
        else:
            try:
                indices = next(self._sampler_iter)
            except StopIteration:
                return
        for worker_id in self._next_worker:
            if self._active[worker_id]:
                break
        self._index_queues[worker_id].put((self._epoch, self._send_idx, indices))
        self._owner[self._send_idx] = worker_id
        self._send_idx += 1

    def _get_result(self) -> tuple[int, Any]:
        start = time.monotonic()
        while True:
            try:
                epoch, idx, payload = self._result_queue.get(timeout=self._POLL)
            except queue.Empty:
                dead = [w.pid for w in self._workers if not w.is_alive()]
                if dead:
                    self.shutdown()
                    raise RuntimeError(
                        f"DataLoader worker (pid(s) {', '.join(map(str, dead))}) exited "
                        "unexpectedly"
                    ) from None
                if self._timeout and time.monotonic() - start > self._timeout:
                    self.shutdown()
                    raise RuntimeError(
                        f"DataLoader timed out after {self._timeout} seconds waiting for a batch"
                    ) from None
                continue
            if epoch == self._epoch:
                return idx, pickle.loads(payload)

    def __iter__(self) -> _WorkerIterator:
        return self

    def __next__(self) -> Any:
        while True:
            if self._rcvd_idx in self._ready:
                data = self._ready.pop(self._rcvd_idx)
            elif self._rcvd_idx >= self._send_idx:
                if not self._persistent:
                    self.shutdown()
                raise StopIteration
            else:
                idx, data = self._get_result()
                if idx != self._rcvd_idx:
                    self._ready[idx] = data
                    continue
            self._owner.pop(self._rcvd_idx, None)
            self._rcvd_idx += 1
            if isinstance(data, _worker.IterableEnd):
                self._active[data.worker_id] = False
                self._put_task()
                continue
            if isinstance(data, _worker.ExceptionWrapper):
                self.shutdown()
                data.reraise()
            self._put_task()
            return data

    def __len__(self) -> int:
        return self._send_idx

    def shutdown(self) -> None:
        """Stop the workers now (also done automatically)."""
        self._finalizer()

    @property
    def workers(self) -> list[Any]:
        """The worker processes (``multiprocessing.Process``)."""
        return list(self._workers)
