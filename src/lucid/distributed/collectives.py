"""Collectives on tensors, in place, with PyTorch's names: all_reduce, broadcast, gathers, ...

Each one starts a non-blocking MPI operation on the tensor's array (a contiguous copy when
the array is not contiguous, or float32 for float16 reductions) and returns a ``Work``
handle with ``async_op=True``; otherwise it waits (see ``process_group.wait_request``)
and returns None. Results land in the given tensors when the wait completes.
"""

from __future__ import annotations

import enum
import pickle
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lucid.distributed.process_group import _check_group, _Group, _require, wait_request
from lucid.tensor import Tensor

__all__ = [
    "ReduceOp",
    "Work",
    "all_gather",
    "all_gather_into_tensor",
    "all_gather_object",
    "all_reduce",
    "broadcast",
    "broadcast_object_list",
    "gather",
    "irecv",
    "isend",
    "recv",
    "reduce",
    "reduce_scatter",
    "reduce_scatter_tensor",
    "scatter",
    "send",
]


class ReduceOp(enum.Enum):
    """How ``all_reduce``, ``reduce`` and ``reduce_scatter`` combine the ranks' values.

    AVG is the sum divided by the world size (floating-point tensors only). On bool tensors
    SUM and MAX are a logical or, PRODUCT and MIN a logical and, as in PyTorch.
    """

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"


class Work:
    """A collective in flight: ``wait()`` blocks until its results are in the tensors."""

    def __init__(self, request: Any, what: str, finish: Callable[[], Any] | None = None):
        self._request = request
        self._what = what
        self._finish = finish
        self._done = False
        self._result: Any = None

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            self._result = self._finish()
            self._finish = None
        self._request = None

    def wait(self, timeout: Any = None) -> bool:
        """Block until the operation completes (raises ``DistributedError`` if a peer fails
        or the group's timeout passes; a per-call ``timeout`` is not supported)."""
        if timeout is not None:
            raise NotImplementedError("Work.wait(timeout=...): the group's timeout applies")
        if not self._done:
            wait_request(self._request, self._what)
            self._complete()
        return True

    def is_completed(self) -> bool:
        """True once the operation has finished (and its results are in place)."""
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def result(self) -> Any:
        """What the operation returns once complete (the sender's rank for ``irecv``)."""
        self.wait()
        return self._result


def _finish(work: Work, async_op: bool) -> Any:
    if async_op:
        return work
    work.wait()
    return work._result


def _array(t: Any, what: str, name: str = "tensor") -> np.ndarray:
    if not isinstance(t, Tensor):
        raise TypeError(f"{what}: {name} must be a lucid Tensor, got {type(t).__name__}")
    return t._data


def _staging(data: np.ndarray, reduce: bool) -> np.ndarray:
    """The array MPI works on: ``data`` itself when it is contiguous and MPI can combine its
    dtype, else a contiguous copy (float32 for float16 reductions)."""
    if reduce and data.dtype == np.float16:
        return data.astype(np.float32)
    if data.flags.c_contiguous and data.flags.writeable:
        return data
    return np.ascontiguousarray(data)


def _store(t: Tensor, result: np.ndarray) -> None:
    """Write a result into ``t``'s array (unless MPI already wrote there) and mark the
    in-place change, so backward refuses stale saved values as for any in-place op."""
    if result is not t._data:
        np.copyto(t._data, result.reshape(t._data.shape), casting="unsafe")
    t._version += 1


def _mpi_op(g: _Group, op: Any, dtype: np.dtype, what: str) -> Any:
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{what}: op must be a lucid.distributed.ReduceOp, got {op!r}")
    MPI = g.MPI
    if op is ReduceOp.AVG and dtype.kind not in "fc":
        raise TypeError(f"{what}: ReduceOp.AVG needs a floating-point tensor, got {dtype}")
    if dtype.kind in "fc" and op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR):
        raise TypeError(f"{what}: {op.name} needs an integer or bool tensor, got {dtype}")
    if dtype == np.bool_:
        logical = {ReduceOp.SUM: MPI.LOR, ReduceOp.MAX: MPI.LOR, ReduceOp.PRODUCT: MPI.LAND,
                   ReduceOp.MIN: MPI.LAND, ReduceOp.BAND: MPI.LAND, ReduceOp.BOR: MPI.LOR,
                   ReduceOp.BXOR: MPI.LXOR}  # fmt: skip
        return logical[op]
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
            ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND,
            ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}[op]  # fmt: skip


def _average(buf: np.ndarray, op: ReduceOp, size: int) -> np.ndarray:
    if op is ReduceOp.AVG:
        np.divide(buf, size, out=buf)
    return buf


def _rank_arg(g: _Group, rank: Any, name: str, what: str) -> int:
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)):
        raise TypeError(f"{what}: {name} must be an int rank, got {rank!r}")
    if not 0 <= rank < g.size:
        raise ValueError(f"{what}: {name}={rank} is not a rank of a group of size {g.size}")
    return int(rank)


def _same_shapes(ts: Sequence[Any], shape: tuple, dtype: np.dtype, what: str, name: str) -> None:
    for i, t in enumerate(ts):
        a = _array(t, what, f"{name}[{i}]")
        if a.shape != shape or a.dtype != dtype:
            raise ValueError(
                f"{what}: {name}[{i}] has shape {a.shape} and dtype {a.dtype}; expected "
                f"{shape} and {dtype} like the tensor"
            )


def _list_length(g: _Group, ts: Any, what: str, name: str) -> list:
    if not isinstance(ts, (list, tuple)) or len(ts) != g.size:
        got = len(ts) if isinstance(ts, (list, tuple)) else type(ts).__name__
        raise ValueError(f"{what}: {name} must be a list of {g.size} tensors, got {got}")
    return list(ts)


# ----------------------------------------------------------------------- reductions


def all_reduce(
    tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: Any = None, async_op: bool = False
) -> Any:
    """Combine ``tensor`` across all ranks with ``op``; every rank gets the result in place."""
    what = "all_reduce"
    _check_group(group, what)
    g = _require(what)
    data = _array(tensor, what)
    mpi_op = _mpi_op(g, op, data.dtype, what)
    buf = _staging(data, reduce=True)
    request = g.comm.Iallreduce(g.MPI.IN_PLACE, buf, op=mpi_op)
    return _finish(Work(request, what, lambda: _store(tensor, _average(buf, op, g.size))),
                   async_op)  # fmt: skip


def reduce(
    tensor: Tensor,
    dst: int,
    op: ReduceOp = ReduceOp.SUM,
    group: Any = None,
    async_op: bool = False,
) -> Any:
    """Combine ``tensor`` across ranks with ``op`` into rank ``dst``'s tensor (in place);
    the other ranks' tensors are left as they were."""
    what = "reduce"
    _check_group(group, what)
    g = _require(what)
    data = _array(tensor, what)
    dst = _rank_arg(g, dst, "dst", what)
    mpi_op = _mpi_op(g, op, data.dtype, what)
    buf = _staging(data, reduce=True)
    if g.rank == dst:
        request = g.comm.Ireduce(g.MPI.IN_PLACE, buf, op=mpi_op, root=dst)
        finish = lambda: _store(tensor, _average(buf, op, g.size))  # noqa: E731
    else:
        request = g.comm.Ireduce(np.ascontiguousarray(buf), None, op=mpi_op, root=dst)
        finish = None
    return _finish(Work(request, what, finish), async_op)


def reduce_scatter(
    output: Tensor,
    input_list: Sequence[Tensor],
    op: ReduceOp = ReduceOp.SUM,
    group: Any = None,
    async_op: bool = False,
) -> Any:
    """Reduce ``input_list[r]`` across ranks with ``op`` into rank r's ``output``."""
    what = "reduce_scatter"
    _check_group(group, what)
    g = _require(what)
    out = _array(output, what, "output")
    inputs = _list_length(g, input_list, what, "input_list")
    _same_shapes(inputs, out.shape, out.dtype, what, "input_list")
    send = np.stack([t._data for t in inputs]) if inputs else np.empty(0, out.dtype)
    return _reduce_scatter(g, output, send, op, async_op, what)


def reduce_scatter_tensor(
    output: Tensor,
    input: Tensor,
    op: ReduceOp = ReduceOp.SUM,
    group: Any = None,
    async_op: bool = False,
) -> Any:
    """``reduce_scatter`` with the inputs as one tensor of ``world_size`` times the output's
    elements, split along its first axis (stacked or concatenated)."""
    what = "reduce_scatter_tensor"
    _check_group(group, what)
    g = _require(what)
    out, data = _array(output, what, "output"), _array(input, what, "input")
    if data.size != out.size * g.size or data.dtype != out.dtype:
        raise ValueError(
            f"{what}: input {data.shape} {data.dtype} must hold world_size ({g.size}) times "
            f"the elements of output {out.shape} {out.dtype}"
        )
    return _reduce_scatter(g, output, data, op, async_op, what)


def _reduce_scatter(
    g: _Group, output: Tensor, send: np.ndarray, op: ReduceOp, async_op: bool, what: str
) -> Any:
    out = output._data
    mpi_op = _mpi_op(g, op, out.dtype, what)
    send = _staging(send, reduce=True)
    if send is not output._data and not send.flags.owndata:
        send = send.copy()  # MPI must not read an array the caller may change meanwhile
    recv = _staging(out, reduce=True)
    request = g.comm.Ireduce_scatter_block(send, recv, op=mpi_op)
    work = Work(request, what, lambda: _store(output, _average(recv, op, g.size)))
    work._keep = send  # type: ignore[attr-defined]
    return _finish(work, async_op)


# ----------------------------------------------------------------- data movement


def broadcast(tensor: Tensor, src: int, group: Any = None, async_op: bool = False) -> Any:
    """Copy rank ``src``'s tensor into every other rank's tensor (same shape and dtype)."""
    what = "broadcast"
    _check_group(group, what)
    g = _require(what)
    data = _array(tensor, what)
    src = _rank_arg(g, src, "src", what)
    buf = _staging(data, reduce=False)
    request = g.comm.Ibcast(buf, root=src)
    return _finish(Work(request, what, lambda: _store(tensor, buf)), async_op)


def all_gather(
    tensor_list: list[Tensor], tensor: Tensor, group: Any = None, async_op: bool = False
) -> Any:
    """Fill ``tensor_list[r]`` with rank r's ``tensor`` on every rank."""
    what = "all_gather"
    _check_group(group, what)
    g = _require(what)
    data = _array(tensor, what)
    outs = _list_length(g, tensor_list, what, "tensor_list")
    _same_shapes(outs, data.shape, data.dtype, what, "tensor_list")
    send = np.ascontiguousarray(data).copy()
    recv = np.empty((g.size, *data.shape), data.dtype)
    request = g.comm.Iallgather(send, recv)

    def finish() -> None:
        for t, part in zip(outs, recv, strict=True):
            _store(t, part)

    return _finish(Work(request, what, finish), async_op)


def all_gather_into_tensor(
    output_tensor: Tensor, input_tensor: Tensor, group: Any = None, async_op: bool = False
) -> Any:
    """Gather every rank's ``input_tensor`` into ``output_tensor`` on every rank, rank by rank
    along the first axis (``output_tensor`` is the inputs stacked or concatenated)."""
    what = "all_gather_into_tensor"
    _check_group(group, what)
    g = _require(what)
    out, data = _array(output_tensor, what, "output_tensor"), _array(input_tensor, what)
    if out.size != data.size * g.size or out.dtype != data.dtype:
        raise ValueError(
            f"{what}: output_tensor {out.shape} {out.dtype} must hold world_size ({g.size}) "
            f"times the elements of input_tensor {data.shape} {data.dtype}"
        )
    send = np.ascontiguousarray(data).copy()
    recv = _staging(out, reduce=False)
    request = g.comm.Iallgather(send, recv)
    return _finish(Work(request, what, lambda: _store(output_tensor, recv)), async_op)


def gather(
    tensor: Tensor,
    gather_list: list[Tensor] | None = None,
    dst: int = 0,
    group: Any = None,
    async_op: bool = False,
) -> Any:
    """Collect every rank's ``tensor`` into ``gather_list`` on rank ``dst`` (which must pass
    a list of world_size tensors; the others pass None)."""
    what = "gather"
    _check_group(group, what)
    g = _require(what)
    data = _array(tensor, what)
    dst = _rank_arg(g, dst, "dst", what)
    send = np.ascontiguousarray(data).copy()
    if g.rank != dst:
        if gather_list:
            raise ValueError(f"{what}: only rank dst={dst} passes a gather_list")
        return _finish(Work(g.comm.Igather(send, None, root=dst), what), async_op)
    outs = _list_length(g, gather_list, what, "gather_list")
    _same_shapes(outs, data.shape, data.dtype, what, "gather_list")
    recv = np.empty((g.size, *data.shape), data.dtype)
    request = g.comm.Igather(send, recv, root=dst)

    def finish() -> None:
        for t, part in zip(outs, recv, strict=True):
            _store(t, part)

    return _finish(Work(request, what, finish), async_op)


def scatter(
    tensor: Tensor,
    scatter_list: list[Tensor] | None = None,
    src: int = 0,
    group: Any = None,
    async_op: bool = False,
) -> Any:
    """Rank ``src`` sends ``scatter_list[r]`` into rank r's ``tensor`` (the others pass
    None as the list)."""
    what = "scatter"
    _check_group(group, what)
    g = _require(what)
    data = _array(tensor, what)
    src = _rank_arg(g, src, "src", what)
    send = None
    if g.rank == src:
        ins = _list_length(g, scatter_list, what, "scatter_list")
        _same_shapes(ins, data.shape, data.dtype, what, "scatter_list")
        send = np.stack([t._data for t in ins]) if ins else None
    elif scatter_list:
        raise ValueError(f"{what}: only rank src={src} passes a scatter_list")
    recv = _staging(data, reduce=False)
    request = g.comm.Iscatter(send, recv, root=src)
    work = Work(request, what, lambda: _store(tensor, recv))
    work._keep = send  # type: ignore[attr-defined]
    return _finish(work, async_op)


# ------------------------------------------------------------------- point to point


def isend(tensor: Tensor, dst: int, group: Any = None, tag: int = 0) -> Work:
    """Start sending ``tensor`` to rank ``dst``; returns a Work handle."""
    what = "isend"
    _check_group(group, what)
    g = _require(what)
    data = np.ascontiguousarray(_array(tensor, what)).copy()
    dst = _rank_arg(g, dst, "dst", what)
    work = Work(g.comm.Isend(data, dest=dst, tag=tag), what)
    work._keep = data  # type: ignore[attr-defined]
    return work


def irecv(tensor: Tensor, src: int | None = None, group: Any = None, tag: int = 0) -> Work:
    """Start receiving into ``tensor`` from rank ``src`` (any rank when None); the handle's
    ``result()`` is the sender's rank."""
    what = "irecv"
    _check_group(group, what)
    g = _require(what)
    data = _array(tensor, what)
    source = g.MPI.ANY_SOURCE if src is None else _rank_arg(g, src, "src", what)
    buf = _staging(data, reduce=False)
    status = g.MPI.Status()
    request = _StatusRequest(g.comm.Irecv(buf, source=source, tag=tag), status)

    def finish() -> int:
        _store(tensor, buf)
        return status.Get_source()

    return Work(request, what, finish)


class _StatusRequest:
    """An MPI request whose completion fills ``status`` (to learn an ANY_SOURCE sender)."""

    def __init__(self, request: Any, status: Any) -> None:
        self.request, self.status = request, status

    def Test(self) -> bool:  # noqa: N802  (MPI's spelling, as the requests it stands for)
        return self.request.Test(self.status)


def send(tensor: Tensor, dst: int, group: Any = None, tag: int = 0) -> None:
    """Send ``tensor`` to rank ``dst`` (returns once the data is on its way)."""
    isend(tensor, dst, group, tag).wait()


def recv(tensor: Tensor, src: int | None = None, group: Any = None, tag: int = 0) -> int:
    """Receive into ``tensor`` from rank ``src`` (any rank when None); returns the sender."""
    return irecv(tensor, src, group, tag).result()


# ----------------------------------------------------------------------- objects


def _allgather_bytes(g: _Group, payload: bytes, what: str) -> list[bytes]:
    sizes = np.empty(g.size, np.int64)
    wait_request(g.comm.Iallgather(np.array([len(payload)], np.int64), sizes), what)
    recv = np.empty(int(sizes.sum()), np.uint8)
    send = np.frombuffer(payload, np.uint8)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    wait_request(g.comm.Iallgatherv(send, [recv, sizes, offsets, g.MPI.BYTE]), what)
    return [recv[o : o + n].tobytes() for o, n in zip(offsets, sizes, strict=True)]


def all_gather_object(object_list: list, obj: Any, group: Any = None) -> None:
    """Fill ``object_list`` (of world_size entries) with every rank's picklable ``obj``."""
    what = "all_gather_object"
    _check_group(group, what)
    g = _require(what)
    if not isinstance(object_list, list) or len(object_list) != g.size:
        raise ValueError(f"{what}: object_list must be a list of {g.size} entries")
    for i, blob in enumerate(_allgather_bytes(g, pickle.dumps(obj), what)):
        object_list[i] = pickle.loads(blob)


def broadcast_object_list(object_list: list, src: int = 0, group: Any = None) -> None:
    """Replace ``object_list``'s entries on every rank with rank ``src``'s (picklable)."""
    what = "broadcast_object_list"
    _check_group(group, what)
    g = _require(what)
    src = _rank_arg(g, src, "src", what)
    payload = pickle.dumps(list(object_list)) if g.rank == src else b""
    received = pickle.loads(_allgather_bytes(g, payload, what)[src])
    if len(received) != len(object_list):
        raise ValueError(
            f"{what}: rank {src} sent {len(received)} objects, this rank's list holds "
            f"{len(object_list)}"
        )
    object_list[:] = received
