"""Run under mpiexec: rank 1 dies (of an exception, or by hanging) while the others wait."""

import sys
import time

import lucid
import lucid.distributed as dist
import lucid.nn as nn

mode = sys.argv[1]
dist.init_process_group("mpi", timeout=3.0 if mode == "hang" else 120.0)
rank = dist.get_rank()
t = lucid.ones(4)
dist.all_reduce(t)  # everyone is up
if mode == "ddp":  # rank 1 fails in its third step; rank 0 waits in DDP's gradient buckets
    model = dist.DistributedDataParallel(nn.Linear(3, 2))
    for step in range(5):
        loss = model(lucid.ones(4, 3)).sum()
        if rank == 1 and step == 2:
            raise ValueError("boom on purpose")
        loss.backward()
elif rank == 1:
    if mode == "raise":
        raise ValueError("boom on purpose")
    time.sleep(600)  # hang: the others' timeout must end the job
dist.all_reduce(t)
print(f"rank {rank} was not stopped", flush=True)
