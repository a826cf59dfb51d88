"""DistributedDataParallel: one model replica per rank, gradients averaged in buckets."""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

import lucid
from lucid.distributed.collectives import Work, all_gather_object, broadcast
from lucid.distributed.process_group import _check_group, _require, wait_request
from lucid.nn.module import Module
from lucid.tensor import Tensor

__all__ = ["DistributedDataParallel"]


class _Bucket:
    """Parameters whose gradients travel in one Allreduce: a flat buffer of one dtype."""

    def __init__(self, indices: list[int], sizes: list[int], dtype: np.dtype) -> None:
        self.indices = indices
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
        self.buffer = np.empty(self.offsets[-1], dtype)
        self.pending = len(indices)
        self.work: Work | None = None


class DistributedDataParallel(Module):
    """Data parallelism across the ranks of the process group, as PyTorch's DDP.

    At construction every rank checks that its parameters and buffers have the same names,
    shapes and dtypes as rank 0's (a mismatch raises ValueError naming the first one that
    differs) and then takes rank 0's values. In a training step each rank runs ``module`` on
    its shard of the batch. Forward notes, from the graph of its outputs, after which op of
    backward each parameter's gradient is complete; during ``backward`` a hook there copies
    the finished gradients into buckets of about ``bucket_cap_mb`` megabytes (parameters in
    reverse order, as they tend to become ready), and each full bucket starts a
    non-blocking Allreduce while backward goes on, in bucket order on every rank. When the
    last gradient is in, backward waits for all buckets and leaves the average over ranks in
    every ``.grad``, so ``optimizer.step()`` sees the same gradients, and keeps the
    parameters bit-identical, on every rank.

    - ``no_sync()``: a context in which forward and backward only accumulate local
      gradients; the first synchronised backward afterwards averages the accumulated sums.
    - ``find_unused_parameters=True``: after forward, parameters the outputs do not depend
      on are marked ready at once (otherwise backward would never finish the reduction and
      the next forward raises, naming them). A parameter no rank used keeps its ``.grad``.
    - ``broadcast_buffers``: buffers (running statistics) are copied from rank 0 at the
      start of every forward.
    - ``.module`` is the wrapped model. Like PyTorch, ``state_dict()`` of the wrapper prefixes
      every key with ``module.``: save ``ddp.module.state_dict()`` to load the checkpoint
      into an unwrapped model, or strip the prefix before ``load_state_dict``.

    Differences: CPU only (``device_ids`` must be None), the default group only, and
    ``create_graph=True`` through the wrapper is not supported. Open MPI advances a
    non-blocking Allreduce only inside MPI calls, which DDP makes at each later hook, so the
    overlap with backward is partial.
    """

    def __init__(
        self,
        module: Module,
        device_ids: Any = None,
        output_device: Any = None,
        dim: int = 0,
        broadcast_buffers: bool = True,
        process_group: Any = None,
        bucket_cap_mb: float | None = None,
        find_unused_parameters: bool = False,
        check_reduction: bool = False,
        gradient_as_bucket_view: bool = False,
        static_graph: bool = False,
    ) -> None:
        super().__init__()
        what = "DistributedDataParallel"
        if not isinstance(module, Module):
            raise TypeError(
                f"{what}: module must be a lucid.nn.Module, got {type(module).__name__}"
            )
        if device_ids not in (None, []) or output_device is not None:
            raise ValueError(f"{what}: device_ids and output_device must be None (CPU modules)")
        if dim != 0:
            raise NotImplementedError(f"{what}: dim={dim} (only the batch axis 0)")
        if gradient_as_bucket_view or static_graph:
            raise NotImplementedError(
                f"{what}: gradient_as_bucket_view and static_graph are not supported"
            )
        _check_group(process_group, what)
        group = _require(what)
        cap = 25.0 if bucket_cap_mb is None else float(bucket_cap_mb)
        if not cap > 0:
            raise ValueError(f"{what}: bucket_cap_mb must be positive, got {bucket_cap_mb}")
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.bucket_cap_mb = cap
        self.require_backward_grad_sync = True
        self._group = group
        named, seen = [], set()
        for name, p in module.named_parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                named.append((name, p))
        self._names = [name for name, _ in named]
        self._params = [p for _, p in named]
        self._check_same_everywhere(what)
        self._sync_state()
        self._buckets = self._make_buckets(int(cap * 1024 * 1024))
        self._slot = {}
        for b, bucket in enumerate(self._buckets):
            for k, i in enumerate(bucket.indices):
                self._slot[i] = (b, k)
        self._armed = False
        self._pass_hooks: list = []  # this iteration's gradient hooks (see _arm)

    # ------------------------------------------------------------------ construction

    def _check_same_everywhere(self, what: str) -> None:
        """Raise ValueError (on every rank alike) if any rank's parameters or buffers differ
        from rank 0's in name, shape or dtype."""
        mine = [("parameter", n, tuple(p.shape), str(p.dtype))
                for n, p in self.module.named_parameters()]  # fmt: skip
        mine += [("buffer", n, tuple(b.shape), str(b.dtype))
                 for n, b in self.module.named_buffers()]  # fmt: skip
        everyone: list = [None] * self._group.size
        all_gather_object(everyone, mine)
        reference = everyone[0]
        for rank, theirs in enumerate(everyone[1:], start=1):
            for ref, other in zip(reference, theirs, strict=False):
                if ref != other:
                    raise ValueError(
                        f"{what}: {ref[0]} {ref[1]!r} has shape {ref[2]} ({ref[3]}) on rank 0 "
                        f"but rank {rank} has {other[0]} {other[1]!r} of shape {other[2]} "
                        f"({other[3]}); every rank must build the same model"
                    )
            if len(theirs) != len(reference):
                raise ValueError(
                    f"{what}: rank 0 has {len(reference)} parameters and buffers, rank {rank} "
                    f"has {len(theirs)}; every rank must build the same model"
                )

    def _sync_state(self) -> None:
        """Every rank takes rank 0's parameters and buffers."""
        if self._group.size == 1:
            return
        tensors = list(self.module.parameters()) + list(self.module.buffers())
        works = [broadcast(t, 0, async_op=True) for t in tensors]
        for work in works:
            work.wait()

    def _make_buckets(self, cap_bytes: int) -> list[_Bucket]:
        buckets: list[_Bucket] = []
        current: list[int] = []
        size = 0
        for i in reversed(range(len(self._params))):  # gradients arrive roughly backwards
            p = self._params[i]
            nbytes = p._data.nbytes
            if current and (
                size + nbytes > cap_bytes or p.dtype != self._params[current[0]].dtype
            ):
                buckets.append(self._bucket(current))
                current, size = [], 0
            current.append(i)
            size += nbytes
        if current:
            buckets.append(self._bucket(current))
        return buckets

    def _bucket(self, indices: list[int]) -> _Bucket:
        params = [self._params[i] for i in indices]
        return _Bucket(indices, [p._data.size for p in params], params[0]._data.dtype)

    # ---------------------------------------------------------------------- forward

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self._armed:
            missing = [self._names[i] for i in range(len(self._params)) if not self._ready[i]]
            raise RuntimeError(
                "DistributedDataParallel: the previous iteration's gradient reduction did not "
                f"finish: parameters {', '.join(missing)} got no gradient in backward. Pass "
                "find_unused_parameters=True if some parameters do not take part in the "
                "loss, and make every output of forward take part in it"
            )
        if self.broadcast_buffers and self._group.size > 1:
            buffers = list(self.module.buffers())
            for work in [broadcast(b, 0, async_op=True) for b in buffers]:
                work.wait()
        out = self.module(*inputs, **kwargs)
        if lucid.is_grad_enabled() and self.require_backward_grad_sync and self._params:
            self._arm(out)
        return out

    def _arm(self, out: Any) -> None:
        """Get ready to reduce the gradients of this forward's backward pass.

        The graph of ``out`` says when each parameter's gradient is complete: after the last
        op (in backward's order) that consumes it has run, that is, when backward turns to
        the next op below it. A hook on an output of that next op (a "trigger") hands the
        finished gradients to their buckets. The parameter backward reaches last gets a
        one-off hook of its own, which runs once backward has finished: it hands over
        whatever is left and waits for the reductions.
        """
        for handle in self._pass_hooks:
            handle.remove()
        self._pass_hooks = []
        self._armed = True
        self._ready = [False] * len(self._params)
        self._used = np.ones(len(self._params), np.int32)
        self._remaining = len(self._params)
        self._next_bucket = 0
        self._early = 0
        for bucket in self._buckets:
            bucket.pending = len(bucket.indices)
            bucket.work = None
        index = {id(p): i for i, p in enumerate(self._params)}
        last_use, ops = _graph_of(out, index)
        self._reached = sorted(last_use)
        if self.find_unused_parameters:
            for i in range(len(self._params)):
                if i not in last_use:
                    self._used[i] = 0
                    self._fill(i, None)
            if self._remaining == 0:  # nothing here needs a gradient: reduce right away
                self._finish(None)
                return
        if not last_use:
            return
        final = min(last_use, key=last_use.__getitem__)  # reached last by backward
        self._final = final
        negated = [-seq for seq, _ in ops]  # increasing: ops are in backward's order
        released: dict[int, list[int]] = {}
        for i, seq in last_use.items():
            if i == final:
                continue
            k = bisect.bisect_right(negated, -seq)  # the first op backward runs after seq
            if k < len(ops):
                released.setdefault(k, []).append(i)
        for k, indices in released.items():
            tensor = ops[k][1]
            self._pass_hooks.append(tensor.register_hook(self._trigger(indices)))
        self._pass_hooks.append(self._params[final].register_hook(self._on_final_gradient))

    def _trigger(self, indices: list[int]) -> Any:
        def ddp_gradients_ready(grad: Any) -> None:
            if self._armed:
                for i in indices:
                    if not self._ready[i]:
                        self._fill(i, None)
                self._early = self._next_bucket
                for bucket in self._buckets[: self._next_bucket]:
                    bucket.work.is_completed()  # MPI progresses non-blocking ops in such calls

        return ddp_gradients_ready

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Forward and backward in this context accumulate gradients locally, unsynchronised."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # --------------------------------------------------------------------- backward

    def _on_final_gradient(self, grad: Any) -> Any:
        """The last parameter's gradient (``grad``, not yet in its ``.grad``): backward is
        done, so every other gradient is complete; reduce and wait."""
        if not self._armed:
            return None
        if grad.requires_grad:  # hooks get Tensors; a recorded one means create_graph=True
            raise NotImplementedError(
                "DistributedDataParallel: backward(create_graph=True) is not supported"
            )
        grad = grad._data
        for i in self._reached:  # complete now, whether or not their trigger ran
            if not self._ready[i] and i != self._final:
                self._fill(i, None)
        self._fill(self._final, grad)
        if self._remaining == 0:
            return self._finish(self._final)
        return None  # some parameter got no gradient: the next forward says which

    def _fill(self, i: int, grad: np.ndarray | None) -> None:
        """Put parameter i's accumulated gradient into its bucket (its ``.grad``, zeros if
        it has none, plus ``grad`` if given) and start every bucket that is complete, in
        bucket order (the same on every rank)."""
        p = self._params[i]
        b, k = self._slot[i]
        bucket = self._buckets[b]
        view = bucket.buffer[bucket.offsets[k] : bucket.offsets[k + 1]]
        old = p._grad
        if grad is None:
            view[...] = 0 if old is None else old.reshape(-1)
        elif old is None:
            view[...] = grad.reshape(-1)
        else:  # the same sum the engine forms next in .grad
            np.add(old.reshape(-1), grad.reshape(-1), out=view)
        self._ready[i] = True
        self._remaining -= 1
        bucket.pending -= 1
        g = self._group
        while self._next_bucket < len(self._buckets):
            nxt = self._buckets[self._next_bucket]
            if nxt.pending:
                break
            request = g.comm.Iallreduce(g.MPI.IN_PLACE, nxt.buffer, op=g.MPI.SUM)
            nxt.work = Work(request, "DistributedDataParallel gradient all_reduce")
            self._next_bucket += 1

    def _finish(self, last: int | None) -> Any:
        """Wait for every bucket and write the averaged gradients into ``.grad``; returns the
        gradient the engine should accumulate for parameter ``last`` (whose hook runs)."""
        self._armed = False
        for handle in self._pass_hooks:
            handle.remove()
        self._pass_hooks = []
        g = self._group
        for bucket in self._buckets:
            bucket.work.wait()
            np.divide(bucket.buffer, g.size, out=bucket.buffer)
        used = self._used
        if self.find_unused_parameters:  # which parameters some rank used
            used = used.copy()
            wait_request(g.comm.Iallreduce(g.MPI.IN_PLACE, used, op=g.MPI.MAX),
                         "DistributedDataParallel unused-parameter map")  # fmt: skip
        result = None
        for i, p in enumerate(self._params):
            if not used[i]:
                continue  # no rank computed a gradient: .grad stays as it was
            b, k = self._slot[i]
            bucket = self._buckets[b]
            avg = bucket.buffer[bucket.offsets[k] : bucket.offsets[k + 1]].reshape(p._data.shape)
            if i == last:
                p._grad = None  # the engine stores the returned average as the gradient
                result = avg
            elif p._grad is None:
                p._grad = avg.copy()
            else:
                np.copyto(p._grad, avg)
        return result


def _graph_of(out: Any, index: dict[int, int]) -> tuple[dict[int, int], list]:
    """The graph behind ``out`` (tensors, possibly nested in lists, tuples and dicts):
    {parameter index: record number of the last op backward runs that uses it (the
    smallest)}, for the leaves in ``index`` (id -> index), and the ops as (record number,
    one of their result tensors), largest number first, as backward visits them."""
    last_use: dict[int, int] = {}
    ops: dict[int, tuple[int, Tensor]] = {}
    stack, tensors = [out], []
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            tensors.append(item)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    while tensors:
        t = tensors.pop()
        op = t._op
        if op is None or id(op) in ops:
            continue
        ops[id(op)] = (op._seq, t)
        for parent in op.parents or ():
            if parent._op is not None:
                tensors.append(parent)
            elif id(parent) in index:
                i = index[id(parent)]
                last_use[i] = min(op._seq, last_use.get(i, op._seq))
    return last_use, sorted(ops.values(), key=lambda entry: -entry[0])
