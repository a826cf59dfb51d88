"""Run under mpiexec: rank 1 dies (of an exception, or by hanging) while the others wait."""

import sys
import time

import lucid
import lucid.distributed as dist

mode = sys.argv[1]
dist.init_process_group("mpi", timeout=3.0 if mode == "hang" else 120.0)
rank = dist.get_rank()
t = lucid.ones(4)
dist.all_reduce(t)  # everyone is up
if rank == 1:
    if mode == "raise":
        raise ValueError("boom on purpose")
    time.sleep(600)  # hang: the others' timeout must end the job
dist.all_reduce(t)
print(f"rank {rank} was not stopped", flush=True)
