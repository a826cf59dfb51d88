"""lucid.distributed without a running group: imports, availability and clear errors."""

import subprocess
import sys
from pathlib import Path

import pytest

import lucid
import lucid.distributed as dist
import lucid.nn as nn


def test_import_lucid_does_not_import_mpi4py():
    src = str(Path(lucid.__file__).parents[1])
    code = "import sys, lucid, lucid.distributed; print('mpi4py' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": src}, check=True).stdout  # fmt: skip
    assert out.strip() == "False"


def test_calls_before_init_process_group_raise():
    assert not dist.is_initialized()
    for call in (dist.get_rank, dist.get_world_size, dist.barrier,
                 lambda: dist.all_reduce(lucid.ones(2)),
                 lambda: dist.DistributedDataParallel(nn.Linear(2, 2))):  # fmt: skip
        with pytest.raises(RuntimeError, match="init_process_group"):
            call()


def test_unsupported_backends_and_arguments_raise():
    with pytest.raises(NotImplementedError, match="nccl"):
        dist.init_process_group("nccl")
    with pytest.raises(NotImplementedError, match="init_method"):
        dist.init_process_group("mpi", init_method="tcp://10.0.0.1:23456")
    with pytest.raises(TypeError, match="timeout"):
        dist.init_process_group("mpi", timeout="soon")
    assert not dist.is_initialized()


def test_reduce_ops_and_availability():
    assert {op.name for op in dist.ReduceOp} >= {"SUM", "AVG", "MAX", "MIN", "PRODUCT"}
    assert isinstance(dist.is_available(), bool)
    assert dist.group.WORLD is dist.WORLD
