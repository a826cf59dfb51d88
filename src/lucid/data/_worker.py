"""What runs inside a DataLoader worker process: seeding, ``get_worker_info``, the fetch loop,
and the wrapper that carries an exception back to the main process."""

from __future__ import annotations

import os
import pickle
import queue
import random
import signal
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["WorkerInfo", "get_worker_info"]

# How often an idle worker checks that its parent still lives (seconds).
_POLL_INTERVAL = 1.0


@dataclass(frozen=True)
class WorkerInfo:
    """This worker's ``id`` (0 to ``num_workers - 1``), the worker count, its ``seed``
    (``base_seed + id``) and its copy of the ``dataset``."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """Inside a DataLoader worker process, its ``WorkerInfo``; in the main process, None."""
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker, as its type and formatted traceback (picklable)."""

    def __init__(self, worker_id: int, where: str) -> None:
        exc_type, exc, _ = sys.exc_info()
        try:  # a type the main process cannot unpickle becomes a RuntimeError there
            pickle.dumps(exc_type)
            self.exc_type = exc_type
        except Exception:
            self.exc_type = RuntimeError
        self.type_name = exc_type.__name__
        self.worker_id = worker_id
        self.where = where
        self.text = "".join(traceback.format_exception(exc_type, exc, exc.__traceback__))

    def reraise(self) -> None:
        """Raise an exception of the original type whose message names the worker and holds
        the original traceback (RuntimeError when that type cannot take a message)."""
        message = (
            f"Caught {self.type_name} {self.where} in DataLoader worker process "
            f"{self.worker_id}.\nOriginal {self.text}"
        )
        if issubclass(self.exc_type, KeyError):
            # KeyError shows the repr of its argument; keep the traceback readable.
            message = _PlainMessage(message)
        try:
            error = self.exc_type(message)
        except Exception:
            error = RuntimeError(message)
        raise error


class _PlainMessage(str):
    """A string whose repr is itself, so a KeyError's message prints as written."""

    def __repr__(self) -> str:
        return str(self)


class IterableEnd:
    """A worker's reply once its copy of an iterable dataset is exhausted."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


def worker_loop(
    fetch: Callable[[Any, Any], Any],
    dataset: Any,
    iterable: bool,
    index_queue: Any,
    result_queue: Any,
    worker_id: int,
    num_workers: int,
    seed: int,
    init_fn: Callable[[int], None] | None,
) -> None:
    """Serve tasks ``(epoch, idx, indices)`` from ``index_queue`` until None arrives: put
    ``(epoch, idx, batch)`` (or an ``ExceptionWrapper``, or ``IterableEnd``) on
    ``result_queue``. Seeds Python's ``random`` and Lucid's generator with ``seed`` first, as
    PyTorch seeds ``random`` and torch, and NumPy's global generator from the worker id and
    base seed; then calls ``init_fn(worker_id)``.
    """
    global _worker_info
    # Ctrl-C goes to the main process, which shuts the workers down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    from lucid import random as lucid_random

    random.seed(seed)
    lucid_random.seed(seed)
    # NumPy's global generator too, as PyTorch does, so that NumPy-based augmentations differ
    # between workers; the state comes from (worker id, base seed) by NumPy's SeedSequence
    # (PyTorch uses a hash of its own, so the numbers differ from PyTorch's).
    base = seed - worker_id
    entropy = [worker_id, base & 0xFFFFFFFF, base >> 32]
    np.random.seed(np.random.SeedSequence(entropy).generate_state(4))
    _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
    init_error = None
    if init_fn is not None:
        try:
            init_fn(worker_id)
        except Exception:
            init_error = ExceptionWrapper(worker_id, "in worker_init_fn")
    epoch, stream = None, None
    while True:
        try:
            task = index_queue.get(timeout=_POLL_INTERVAL)
        except queue.Empty:
            if os.getppid() != parent:  # the main process died: exit
                return
            continue
        if task is None:
            break
        task_epoch, idx, indices = task
        if init_error is not None:
            result_queue.put((task_epoch, idx, pickle.dumps(init_error)))
            continue
        try:
            if iterable:
                if task_epoch != epoch:  # a new pass: a new iterator over the dataset
                    epoch, stream = task_epoch, iter(dataset)
                data = fetch(stream, indices)
            else:
                data = fetch(dataset, indices)
        except StopIteration:
            data = IterableEnd(worker_id)
        except Exception:
            data = ExceptionWrapper(worker_id, "while fetching a batch")
        # Pickled here, not in the queue's feeder thread, so that a batch that cannot be
        # pickled is reported instead of silently dropped.
        try:
            payload = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            payload = pickle.dumps(ExceptionWrapper(worker_id, "while sending a batch"))
        result_queue.put((task_epoch, idx, payload))
        del data, payload
