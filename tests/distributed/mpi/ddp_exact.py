"""Run under mpiexec: DDP on N shards of a global batch == one process on the whole batch."""

import sys

import numpy as np

import lucid
import lucid.distributed as dist
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.distributed import DistributedDataParallel as DDP

STEPS, BATCH = 20, 12


def make_model(seed):
    lucid.random.seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(3 * 5 * 5, 16),
        nn.GELU(),
        nn.Linear(16, 4),
    ).to(lucid.float64)


def params(model):
    return [p.numpy().copy() for p in model.parameters()]


def main(bucket_cap_mb):
    dist.init_process_group("mpi")
    rank, size = dist.get_rank(), dist.get_world_size()
    assert BATCH % size == 0
    data = np.random.default_rng(7)
    xs = data.standard_normal((STEPS, BATCH, 1, 5, 5))
    ys = data.integers(0, 4, (STEPS, BATCH))

    reference = make_model(0)  # one process, the whole global batch
    ref_opt = lucid.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    model = make_model(0 if rank == 0 else 100 + rank)  # DDP must take rank 0's values
    ddp = DDP(model, bucket_cap_mb=bucket_cap_mb)
    for a, b in zip(params(model), params(reference), strict=True):
        np.testing.assert_array_equal(a, b)
    opt = lucid.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    per = BATCH // size
    early = len(ddp._buckets)
    for step in range(STEPS):
        x, y = xs[step], ys[step]
        ref_opt.zero_grad()
        F.cross_entropy(reference(lucid.tensor(x)), lucid.tensor(y)).backward()
        ref_opt.step()
        shard = slice(rank * per, (rank + 1) * per)
        opt.zero_grad()
        F.cross_entropy(ddp(lucid.tensor(x[shard])), lucid.tensor(y[shard])).backward()
        early = min(early, ddp._early)  # buckets started while backward was still running
        opt.step()
    worst = max(np.abs(a - b).max() for a, b in zip(params(model), params(reference), strict=True))
    assert worst < 1e-12, f"DDP differs from one process on the global batch by {worst:.3g}"
    flat = lucid.tensor(np.concatenate([p.ravel() for p in params(model)]))
    everyone = [lucid.zeros_like(flat) for _ in range(size)]
    dist.all_gather(everyone, flat)
    for r, theirs in enumerate(everyone):
        assert np.array_equal(theirs.numpy(), flat.numpy()), f"rank {r} differs from rank {rank}"
    print(
        f"OK rank {rank} buckets {len(ddp._buckets)} early {early} max-diff {worst:.3g}",
        flush=True,
    )
    dist.destroy_process_group()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 25)
