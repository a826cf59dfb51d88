"""The MPI process group: start-up, rank and size, waiting with a timeout, failure notices.

mpi4py is imported on first use (``init_process_group``), never by ``import lucid``.
Every collective waits through ``wait_request``: it polls the request and, between polls,
a second communicator on which a rank that dies of an exception announces itself, so the
others raise an error naming it instead of hanging; a wait longer than the group's timeout
raises too.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import sys
import time
import traceback
from typing import Any

__all__ = [
    "DistributedError",
    "barrier",
    "destroy_process_group",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
]

DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)  # PyTorch's default for CPU backends
_FAIL_TAG, _ACK_TAG = 7, 8
# How long a failing rank waits for the others to acknowledge its notice before aborting.
_FAIL_GRACE_S = 10.0
# Check for failure notices and the deadline after this many quick polls of a request.
_POLLS_PER_CHECK = 64


class DistributedError(RuntimeError):
    """A collective could not complete: a peer rank failed, or the wait timed out."""

    __module__ = "lucid.distributed"


class _Group:
    """The world group: a private duplicate of COMM_WORLD for data and one for alarms."""

    def __init__(self, mpi: Any, timeout_s: float) -> None:
        self.MPI = mpi
        self.comm = mpi.COMM_WORLD.Dup()
        self.alarm = mpi.COMM_WORLD.Dup()
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self.timeout_s = timeout_s
        self.failed: tuple[int, str] | None = None  # (rank, message) once a notice came
        self.sent: list = []  # requests of notices and acknowledgements, kept alive


_group: _Group | None = None
_previous_excepthook: Any = None


def _launcher_world() -> tuple[int, int, int] | None:
    """(rank, size, local rank) as mpiexec (Open MPI or MPICH/PMI) put them in the
    environment, or None outside such a launcher. Reads the environment only."""
    for rank_key, size_key, local_key in (
        ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK"),
        ("PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID"),
        ("PMIX_RANK", "PMIX_SIZE", "PMIX_LOCAL_RANK"),
    ):
        if rank_key in os.environ and size_key in os.environ:
            rank, size = int(os.environ[rank_key]), int(os.environ[size_key])
            return rank, size, int(os.environ.get(local_key, rank))
    return None


def launched_world_size() -> int:
    """The number of ranks mpiexec started (from its environment); 1 outside mpiexec."""
    world = _launcher_world()
    return 1 if world is None else world[1]


def export_launcher_env() -> None:
    """Give a program started by mpiexec the ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``
    variables torchrun sets, unless they are set already. Reads the environment only."""
    world = _launcher_world()
    if world is not None:
        rank, size, local = world
        os.environ.setdefault("RANK", str(rank))
        os.environ.setdefault("WORLD_SIZE", str(size))
        os.environ.setdefault("LOCAL_RANK", str(local))


def is_available() -> bool:
    """True when the MPI backend can be used (mpi4py is installed: ``lucid[distributed]``)."""
    return importlib.util.find_spec("mpi4py") is not None


def is_initialized() -> bool:
    """True between ``init_process_group`` and ``destroy_process_group``."""
    return _group is not None


def _seconds(timeout: Any) -> float:
    if isinstance(timeout, datetime.timedelta):
        seconds = timeout.total_seconds()
    elif isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        seconds = float(timeout)
    else:
        raise TypeError(f"timeout must be a datetime.timedelta or seconds, got {timeout!r}")
    if not seconds > 0:
        raise ValueError(f"timeout must be positive, got {seconds} s")
    return seconds


def _import_mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise RuntimeError(
            "lucid.distributed needs mpi4py and an MPI library: pip install 'lucid[distributed]'"
        ) from exc
    return MPI


def init_process_group(
    backend: str | None = "mpi",
    init_method: str | None = None,
    timeout: Any = DEFAULT_TIMEOUT,
    world_size: int = -1,
    rank: int = -1,
    store: Any = None,
    group_name: str = "",
) -> None:
    """Join the process group of all ranks started by ``mpiexec -n N``.

    Rank and size come from MPI. ``backend`` may be ``"mpi"`` (or ``"gloo"``, PyTorch's CPU
    backend, which runs on MPI here); ``"nccl"`` raises (no GPUs). ``world_size`` and
    ``rank``, and the ``RANK``/``WORLD_SIZE`` variables of a torchrun-style launch, are
    checked against MPI's. ``init_method`` and ``store`` are not supported (MPI already
    knows its peers). ``timeout`` (a timedelta or seconds) bounds every wait in a
    collective. After this call an uncaught exception on any rank makes the others raise
    ``DistributedError`` naming that rank, then ends the job (``MPI_Abort``).
    """
    global _group, _previous_excepthook
    if _group is not None:
        raise RuntimeError("init_process_group: the default process group is already initialized")
    if backend is not None and str(backend).lower() not in ("mpi", "gloo"):
        raise NotImplementedError(
            f"init_process_group: backend {backend!r} is not supported; Lucid runs on MPI "
            "(backend='mpi'; 'gloo' is accepted as a CPU alias)"
        )
    if init_method not in (None, "env://") or store is not None:
        raise NotImplementedError(
            "init_process_group: init_method and store are not supported; launch the ranks "
            "with mpiexec -n N"
        )
    timeout_s = _seconds(timeout)
    MPI = _import_mpi()
    group = _Group(MPI, timeout_s)
    checks = [("world_size", world_size, group.size), ("rank", rank, group.rank)]
    for key, name in (("WORLD_SIZE", "world_size"), ("RANK", "rank")):
        if key in os.environ:
            checks.append((f"${key}", int(os.environ[key]), getattr(group, name.split("_")[-1])))
    for label, asked, actual in checks:
        if asked != -1 and asked != actual:
            group.comm.Free()
            group.alarm.Free()
            raise ValueError(
                f"init_process_group: {label} is {asked} but MPI reports {actual}; launch "
                f"with mpiexec -n <world size> (MPI size here: {group.size})"
            )
    _group = group
    export_launcher_env()
    _previous_excepthook = sys.excepthook
    sys.excepthook = _excepthook


def destroy_process_group(group: Any = None) -> None:
    """Leave the process group (MPI itself stays initialised until the process exits)."""
    global _group
    g = _require("destroy_process_group")
    _check_group(group, "destroy_process_group")
    g.comm.Free()
    g.alarm.Free()
    _group = None
    if sys.excepthook is _excepthook:
        sys.excepthook = _previous_excepthook or sys.__excepthook__


def _require(what: str) -> _Group:
    if _group is None:
        raise RuntimeError(
            f"{what}: the default process group has not been initialized; call "
            "lucid.distributed.init_process_group() first"
        )
    return _group


def _check_group(group: Any, what: str) -> None:
    if group is not None and group is not WORLD:
        raise NotImplementedError(f"{what}: only the default (world) group is supported")


class _World:
    """``lucid.distributed.group.WORLD``: the default group, the only one supported."""

    def __repr__(self) -> str:
        return "group.WORLD"


WORLD = _World()


def get_rank(group: Any = None) -> int:
    """This process's rank in the group, 0 .. world_size - 1."""
    _check_group(group, "get_rank")
    return _require("get_rank").rank


def get_world_size(group: Any = None) -> int:
    """The number of ranks in the group."""
    _check_group(group, "get_world_size")
    return _require("get_world_size").size


# ---------------------------------------------------------------- waiting and failures


def _peer_failure(g: _Group) -> tuple[int, str] | None:
    """A failure notice from another rank, if one has arrived (acknowledged once read)."""
    if g.failed is not None:
        return g.failed
    MPI = g.MPI
    status = MPI.Status()
    if not g.alarm.Iprobe(source=MPI.ANY_SOURCE, tag=_FAIL_TAG, status=status):
        return None
    source = status.Get_source()
    message = g.alarm.recv(source=source, tag=_FAIL_TAG)
    # The acknowledgement lets the failed rank end the job once everyone has reported.
    g.sent.append(g.alarm.isend(g.rank, dest=source, tag=_ACK_TAG))
    g.failed = (source, message)
    return g.failed


def _raise_peer_failure(g: _Group, what: str) -> None:
    failed = _peer_failure(g)
    if failed is not None:
        rank, message = failed
        raise DistributedError(f"{what} on rank {g.rank}: rank {rank} failed: {message}")


def wait_request(request: Any, what: str) -> None:
    """Wait for an MPI request, raising ``DistributedError`` if a peer fails or the group's
    timeout passes. Polls like ``MPI_Wait`` does, checking for notices every few polls."""
    g = _require(what)
    _raise_peer_failure(g, what)
    deadline = time.monotonic() + g.timeout_s
    polls = 0
    while not request.Test():
        polls += 1
        if polls % _POLLS_PER_CHECK:
            continue
        _raise_peer_failure(g, what)
        if time.monotonic() > deadline:
            raise DistributedError(
                f"{what} on rank {g.rank} did not complete within {g.timeout_s:g} s: a peer "
                "rank is hung, far behind, or exited without calling it"
            )
        os.sched_yield()  # with more ranks than cores (--oversubscribe) let the others run


def barrier(group: Any = None, async_op: bool = False) -> Any:
    """Wait until every rank has reached this call."""
    from lucid.distributed.collectives import Work

    _check_group(group, "barrier")
    g = _require("barrier")
    work = Work(g.comm.Ibarrier(), "barrier")
    return work if async_op else work.wait()


def _announce_failure(g: _Group, exc_type: type, exc: BaseException) -> None:
    """Tell every other rank that this one is dying of ``exc``; wait (briefly) for their
    acknowledgements so that they can report it before MPI_Abort ends the job."""
    text = "".join(traceback.format_exception_only(exc_type, exc)).strip()
    others = [r for r in range(g.size) if r != g.rank]
    for r in others:
        g.sent.append(g.alarm.isend(text, dest=r, tag=_FAIL_TAG))
    acked: set[int] = set()
    deadline = time.monotonic() + min(_FAIL_GRACE_S, g.timeout_s)
    MPI = g.MPI
    status = MPI.Status()
    while len(acked) < len(others) and time.monotonic() < deadline:
        if g.alarm.Iprobe(source=MPI.ANY_SOURCE, tag=_ACK_TAG, status=status):
            acked.add(g.alarm.recv(source=status.Get_source(), tag=_ACK_TAG))
        elif g.alarm.Iprobe(source=MPI.ANY_SOURCE, tag=_FAIL_TAG, status=status):
            _peer_failure(g)  # two ranks failing at once: acknowledge the other one
        else:
            time.sleep(0.001)


def _excepthook(exc_type: type, exc: BaseException, tb: Any) -> None:
    """An uncaught exception on a rank of an initialised group: print it, let the other ranks
    know (unless it is their failure being reported here), and end the whole job."""
    (_previous_excepthook or sys.__excepthook__)(exc_type, exc, tb)
    g = _group
    if g is None or g.size == 1:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    if isinstance(exc, DistributedError) and g.failed is not None:
        os._exit(1)  # the failed rank ends the job; this one only reported it
    try:
        _announce_failure(g, exc_type, exc)
    finally:
        g.MPI.COMM_WORLD.Abort(1)
