"""Run under mpiexec: every collective against the NumPy result of all ranks' inputs."""

import os

import numpy as np

import lucid
import lucid.distributed as dist
from lucid.distributed import ReduceOp
from lucid.distributed.process_group import launched_world_size

launched = launched_world_size()  # what mpiexec says, read before MPI starts
try:
    dist.init_process_group("mpi", world_size=launched + 1)
except ValueError as exc:
    assert "world_size" in str(exc) and not dist.is_initialized(), exc
else:
    raise AssertionError("a wrong world_size was accepted")
dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
assert size == launched and dist.is_initialized()
# torchrun's variables, for scripts that read them (set on importing lucid.distributed)
assert (os.environ["RANK"], os.environ["WORLD_SIZE"]) == (str(rank), str(size))


def inputs(shape, dtype, seed=0):
    """Every rank's input, known to every rank: rank r's is inputs(...)[r]."""
    rng = np.random.default_rng(seed)
    if np.dtype(dtype) == np.bool_:
        return rng.random((size, *shape)) < 0.5
    if np.dtype(dtype).kind in "iu":
        return rng.integers(-5, 6, (size, *shape)).astype(dtype)
    return rng.standard_normal((size, *shape)).astype(dtype)


def tensor(a):
    return lucid.tensor(np.array(a))


REFERENCE = {ReduceOp.SUM: lambda a: a.sum(0), ReduceOp.AVG: lambda a: a.sum(0) / size,
             ReduceOp.MAX: lambda a: a.max(0), ReduceOp.MIN: lambda a: a.min(0),
             ReduceOp.PRODUCT: lambda a: a.prod(0)}  # fmt: skip

# all_reduce: every op and dtype, blocking and async, contiguous or not, 0-d and empty
case = 0
for dtype in (np.float32, np.float64, np.int32, np.int64):
    for op, ref in REFERENCE.items():
        if op is ReduceOp.AVG and np.dtype(dtype).kind != "f":
            continue
        for shape in [(), (0,), (3, 4)]:
            case += 1
            every = inputs(shape, dtype, seed=100 + case)
            t = tensor(every[rank])
            dist.all_reduce(t, op=op)
            expected = ref(every.astype(np.float64)).astype(dtype)
            assert t.dtype == np.dtype(dtype), (op, dtype, t.dtype)
            np.testing.assert_allclose(t.numpy(), expected, rtol=1e-6, atol=1e-6,
                                       err_msg=f"all_reduce {op} {dtype} {shape}")  # fmt: skip
every = inputs((4, 3), np.float64, seed=1)
t = lucid.tensor(every[rank].T.copy())
view = t.T  # a transposed (non-contiguous) view of t's data
work = dist.all_reduce(view, op=ReduceOp.MAX, async_op=True)
assert isinstance(work, dist.Work) and work.wait() and work.is_completed()
np.testing.assert_array_equal(t.numpy().T, every.max(0))
flags = inputs((5,), np.bool_, seed=2)
for op, ref in [(ReduceOp.SUM, np.any), (ReduceOp.MIN, np.all), (ReduceOp.PRODUCT, np.all)]:
    b = tensor(flags[rank])
    dist.all_reduce(b, op=op)
    np.testing.assert_array_equal(b.numpy(), ref(flags, axis=0))
h = tensor(inputs((6,), np.float16, seed=3)[rank])
dist.all_reduce(h)
assert h.dtype == np.float16
np.testing.assert_allclose(h.numpy(), inputs((6,), np.float16, seed=3).astype(np.float32).sum(0),
                           rtol=2e-3, atol=2e-3)  # fmt: skip
try:
    dist.all_reduce(lucid.tensor([1, 2]), op=ReduceOp.AVG)
except TypeError as exc:
    assert "AVG" in str(exc)
else:
    raise AssertionError("AVG on an int tensor did not raise")

# reduce to one rank
every = inputs((3,), np.float64, seed=4)
t = tensor(every[rank])
dist.reduce(t, dst=size - 1, op=ReduceOp.SUM)
np.testing.assert_allclose(t.numpy(), every.sum(0) if rank == size - 1 else every[rank])

# broadcast from the last rank, async
every = inputs((2, 5), np.float32, seed=5)
t = tensor(every[rank])
dist.broadcast(t, src=size - 1, async_op=True).wait()
np.testing.assert_array_equal(t.numpy(), every[size - 1])

# all_gather and all_gather_into_tensor (stacked and concatenated)
every = inputs((2, 3), np.int64, seed=6)
outs = [lucid.zeros((2, 3), dtype=lucid.int64) for _ in range(size)]
dist.all_gather(outs, tensor(every[rank]))
for r in range(size):
    np.testing.assert_array_equal(outs[r].numpy(), every[r])
stacked = lucid.zeros((size, 2, 3), dtype=lucid.int64)
dist.all_gather_into_tensor(stacked, tensor(every[rank]))
np.testing.assert_array_equal(stacked.numpy(), every)
joined = lucid.zeros((size * 2, 3), dtype=lucid.int64)
dist.all_gather_into_tensor(joined, tensor(every[rank]), async_op=True).wait()
np.testing.assert_array_equal(joined.numpy(), every.reshape(size * 2, 3))
try:
    dist.all_gather_into_tensor(lucid.zeros((size * 2 + 1, 3), dtype=lucid.int64),
                                tensor(every[rank]))  # fmt: skip
except ValueError as exc:
    assert "world_size" in str(exc)
else:
    raise AssertionError("a wrongly sized all_gather_into_tensor output did not raise")

# reduce_scatter and reduce_scatter_tensor: rank r gets the reduction of everyone's part r
every = inputs((size, 4), np.float64, seed=7)  # rank q's input list is every[q]
out = lucid.zeros(4, dtype=lucid.float64)
dist.reduce_scatter(out, [tensor(part) for part in every[rank]], op=ReduceOp.SUM)
np.testing.assert_allclose(out.numpy(), every[:, rank].sum(0))
out = lucid.zeros(4, dtype=lucid.float64)
dist.reduce_scatter_tensor(out, tensor(every[rank].reshape(-1)), op=ReduceOp.AVG)
np.testing.assert_allclose(out.numpy(), every[:, rank].mean(0))
out = lucid.zeros(4, dtype=lucid.float64)
dist.reduce_scatter(out, [tensor(part) for part in every[rank]], op=ReduceOp.MAX)
np.testing.assert_array_equal(out.numpy(), every[:, rank].max(0))

# gather to rank 0, scatter from the last rank
every = inputs((3,), np.float32, seed=8)
gathered = [lucid.zeros(3) for _ in range(size)] if rank == 0 else None
dist.gather(tensor(every[rank]), gathered, dst=0)
if rank == 0:
    np.testing.assert_array_equal(np.stack([g.numpy() for g in gathered]), every)
every = inputs((size, 2), np.float32, seed=9)
received = lucid.zeros(2)
parts = [tensor(p) for p in every[size - 1]] if rank == size - 1 else None
dist.scatter(received, parts, src=size - 1)
np.testing.assert_array_equal(received.numpy(), every[size - 1][rank])

# send and recv around a ring; irecv from any source reports the sender
every = inputs((4,), np.float64, seed=10)
box = lucid.zeros(4, dtype=lucid.float64)
left, right = (rank - 1) % size, (rank + 1) % size
sending = dist.isend(tensor(every[rank]), dst=right, tag=3)
assert dist.recv(box, src=left, tag=3) == left
sending.wait()
np.testing.assert_array_equal(box.numpy(), every[left])
if rank == 0:
    for _ in range(size - 1):
        box = lucid.zeros(4, dtype=lucid.float64)
        work = dist.irecv(box)
        sender = work.result()
        np.testing.assert_array_equal(box.numpy(), every[sender])
else:
    dist.send(tensor(every[rank]), dst=0)

# objects, barrier, bad arguments
objects = [None] * size
dist.all_gather_object(objects, {"rank": rank})
assert objects == [{"rank": r} for r in range(size)]
shared = [f"from {rank}", rank] if rank == 1 % size else [None, None]
dist.broadcast_object_list(shared, src=1 % size)
assert shared == [f"from {1 % size}", 1 % size]
dist.barrier()
dist.barrier(async_op=True).wait()
for call, kind, words in [
    (lambda: dist.broadcast(lucid.zeros(2), src=size), ValueError, "src"),
    (lambda: dist.all_reduce(np.zeros(2)), TypeError, "lucid Tensor"),
    (lambda: dist.all_reduce(lucid.zeros(2), group=object()), NotImplementedError, "group"),
    (lambda: dist.all_gather([lucid.zeros(2)] * size, lucid.zeros(3)), ValueError, "shape"),
]:
    try:
        call()
    except kind as exc:
        assert words in str(exc), exc
    else:
        raise AssertionError(f"expected {kind.__name__} mentioning {words!r}")
dist.destroy_process_group()
assert not dist.is_initialized()
print(f"OK rank {rank}", flush=True)
