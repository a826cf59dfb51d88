"""lucid.distributed: data-parallel training over MPI with ``torch.distributed``'s names.

Launch ``mpiexec -n 4 python train.py``; in the script call ``init_process_group("mpi")``.
mpi4py (``pip install 'lucid[distributed]'``) is imported only then, never by
``import lucid``. Only the default (world) group exists: ``group=None`` everywhere.
Under mpiexec, importing this module sets the ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``
variables that torchrun would (unless they are set), so scripts that read them port too.
"""

# ruff: noqa: F401
from lucid.distributed import process_group as _process_group
from lucid.distributed.collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_gather_object,
    all_reduce,
    broadcast,
    broadcast_object_list,
    gather,
    irecv,
    isend,
    recv,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
    send,
)
from lucid.distributed.process_group import (
    WORLD,
    DistributedError,
    barrier,
    destroy_process_group,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
)

_process_group.export_launcher_env()


class group:  # noqa: N801  (torch.distributed.group, a namespace)
    """``group.WORLD``: the default group (the only one)."""

    WORLD = WORLD


def __getattr__(name: str):
    # DistributedDataParallel lives here (ddp.py) and in lucid.nn.parallel; loaded on use so
    # that importing lucid.distributed stays light.
    if name == "DistributedDataParallel":
        from lucid.distributed.ddp import DistributedDataParallel

        return DistributedDataParallel
    raise AttributeError(f"module 'lucid.distributed' has no attribute {name!r}")
