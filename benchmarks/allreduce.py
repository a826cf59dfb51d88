"""Allreduce time against message size on 1, 2 and 4 ranks here, and the ring cost model.

    python benchmarks/allreduce.py                  # the table, the fit, the projection
    python benchmarks/allreduce.py --ranks 1 2 4 --max-mb 64 --json out.json

The parent launches ``mpiexec -n N`` (shared memory only: ``OMPI_MCA_btl=self,sm``;
``--oversubscribe`` for 4 ranks on this 2-core machine, ``--bind-to none``, one BLAS thread
per rank) running this file again with ``--worker``. A worker times an in-place float32
Allreduce per message size, straight through mpi4py and through ``lucid.distributed
.all_reduce`` (whose wait also polls for failure notices), each repetition after a barrier;
a repetition's time is the slowest rank's, a row the median over repetitions. The parent
fits ``t = latency + 2 (N - 1) / N * bytes / bandwidth`` (ring Allreduce) by least squares for
each N > 1, measures the main job's compute per step, and projects step time and scaling
efficiency for 8-256 ranks on 25 GB/s links (see benchmarks/README.md). No timing is
asserted anywhere. Not an asv suite: it needs mpiexec.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src"


def worker(max_mb: float, out: str) -> None:
    """Runs on every rank: time Allreduce per size, rank 0 writes the JSON rows."""
    sys.path.insert(0, str(SRC))
    import lucid
    import lucid.distributed as dist

    dist.init_process_group("mpi")
    from lucid.distributed.process_group import _group

    comm, MPI = _group.comm, _group.MPI
    rows = []
    n = 1
    while n * 4 <= max_mb * 2**20:
        buf = np.ones(n, np.float32)
        tensor = lucid.tensor(np.ones(n, np.float32))
        for path in ("mpi4py", "lucid"):
            comm.Barrier()
            t0 = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)  # warm-up, and the first estimate
            estimate = comm.allreduce(time.perf_counter() - t0, op=MPI.MAX)
            reps = int(min(200, max(5, 0.4 / max(estimate, 1e-6))))
            times = np.empty(reps)
            for i in range(reps):
                comm.Barrier()
                t0 = time.perf_counter()
                if path == "mpi4py":
                    comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
                else:
                    dist.all_reduce(tensor)
                times[i] = time.perf_counter() - t0
            comm.Allreduce(MPI.IN_PLACE, times, op=MPI.MAX)
            rows.append({"path": path, "bytes": n * 4, "seconds": float(np.median(times)),
                         "reps": reps})  # fmt: skip
        n *= 4
    if dist.get_rank() == 0:
        Path(out).write_text(json.dumps({"ranks": dist.get_world_size(), "rows": rows}))
    dist.destroy_process_group()


def launch(ranks: int, max_mb: float) -> dict:
    mpiexec = Path(sys.executable).parent / "mpiexec"
    mpiexec = str(mpiexec) if mpiexec.exists() else shutil.which("mpiexec")
    if mpiexec is None:
        raise SystemExit("mpiexec not found: pip install 'lucid[distributed]'")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_btl="self,sm", OMPI_MCA_mpi_yield_when_idle="1")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "rows.json")
        subprocess.run([mpiexec, "--oversubscribe", "--bind-to", "none", "-n", str(ranks),
                        sys.executable, __file__, "--worker", "--max-mb", str(max_mb),
                        "--out", out], check=True, env=env)  # fmt: skip
        return json.loads(Path(out).read_text())


def fit(ranks: int, rows: list[dict]) -> tuple[float, float]:
    """Least-squares (latency s, bandwidth B/s) of t = a + 2(N-1)/N * bytes / bw."""
    x = np.array([2 * (ranks - 1) / ranks * r["bytes"] for r in rows])
    t = np.array([r["seconds"] for r in rows])
    # Relative errors (weights 1/t): small messages (latency) count as much as large ones.
    a = np.stack([np.ones_like(x), x], axis=1) / t[:, None]
    (latency, per_byte), *_ = np.linalg.lstsq(a, np.ones_like(t), rcond=None)
    return float(latency), float(1 / per_byte)


def main_job_step_seconds(batch: int) -> tuple[float, int]:
    """The main job's CNN: seconds per training step (forward, backward, Adam) on one
    thread at this per-rank batch, and its number of parameters."""
    sys.path.insert(0, str(SRC))
    import lucid
    import lucid.nn.functional as F
    from lucid.examples.train import build_model

    lucid.random.seed(0)
    model = build_model("cnn", 8)
    opt = lucid.optim.Adam(model.parameters(), lr=1e-3)
    x = lucid.randn(batch, 1, 8, 8)
    y = lucid.tensor(np.arange(batch) % 10)
    times = []
    for i in range(40):
        t0 = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        if i >= 10:
            times.append(time.perf_counter() - t0)
    return float(np.median(times)), sum(p.numel() for p in model.parameters())


def ring_seconds(ranks: int, nbytes: float, latency: float, bandwidth: float, buckets: int):
    """Ring Allreduce of ``nbytes`` in ``buckets`` messages: 2(N-1) steps of latency each."""
    return buckets * 2 * (ranks - 1) * latency + 2 * (ranks - 1) / ranks * nbytes / bandwidth


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--max-mb", type=float, default=64.0)
    p.add_argument("--json", help="also write the measurements here")
    args = p.parse_args()
    if args.worker:
        worker(args.max_mb, args.out)
        return
    results = {n: launch(n, args.max_mb) for n in args.ranks}
    sizes = sorted({r["bytes"] for r in results[args.ranks[0]]["rows"]})
    print("## Allreduce, float32 in place, median of the slowest rank (ms)\n")
    head = " | ".join(f"{n} rank{'s' * (n > 1)} mpi4py / lucid" for n in args.ranks)
    print(f"| bytes | {head} |")
    print("| ---: |" + " ---: |" * len(args.ranks))
    for size in sizes:
        cells = []
        for n in args.ranks:
            rows = {r["path"]: r["seconds"] for r in results[n]["rows"] if r["bytes"] == size}
            cell = f"{rows['mpi4py'] * 1e3:.4f} / {rows['lucid'] * 1e3:.4f}"
            if n > 1 and size >= 2**20:  # the ring's bus bandwidth, 2(N-1)/N bytes / t
                cell += f" ({2 * (n - 1) / n * size / rows['mpi4py'] / 1e9:.2f} GB/s)"
            cells.append(cell)
        print(f"| {size:,} | " + " | ".join(cells) + " |")
    print("\n## Ring-model fit, t = latency + 2(N-1)/N * bytes / bandwidth (mpi4py rows)\n")
    print("| ranks | latency (us) | bandwidth (GB/s) |")
    print("| ---: | ---: | ---: |")
    fits = {}
    for n in args.ranks:
        if n > 1:
            rows = [r for r in results[n]["rows"] if r["path"] == "mpi4py"]
            fits[n] = fit(n, rows)
            print(f"| {n} | {fits[n][0] * 1e6:.1f} | {fits[n][1] / 1e9:.2f} |")
    step, n_params = main_job_step_seconds(32)
    print(f"\nmain job: {n_params:,} parameters ({n_params * 4 / 1e6:.3f} MB of float32 "
          f"gradients), {step * 1e3:.2f} ms per step at batch 32 on one thread")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "fits": fits,
                                               "main_job_step_s": step,
                                               "main_job_params": n_params}))  # fmt: skip
    print("\n## Projection: 25 GB/s links, 5 us per message, per-rank batch fixed\n")
    workloads = [("main job (CNN, batch 32/rank)", n_params * 4, step),
                 ("GPT-2 small, 124M params, 8 x 1024 tokens/rank at 100 TFLOP/s",
                  124e6 * 4, 6 * 124e6 * 8 * 1024 / 100e12)]  # fmt: skip
    print(
        "| workload | ranks | compute (ms) | allreduce (ms) | step, no overlap (ms) | "
        "efficiency, no overlap | efficiency, overlapped with backward |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, nbytes, compute in workloads:
        buckets = max(1, int(np.ceil(nbytes / (25 * 2**20))))
        for ranks in (8, 16, 32, 64, 128, 256):
            comm = ring_seconds(ranks, nbytes, 5e-6, 25e9, buckets)
            exposed = max(0.0, comm - 2 / 3 * compute)  # backward is ~2/3 of the step
            print(f"| {name} | {ranks} | {compute * 1e3:.2f} | {comm * 1e3:.2f} | "
                  f"{(compute + comm) * 1e3:.2f} | {compute / (compute + comm):.1%} | "
                  f"{compute / (compute + exposed):.1%} |")  # fmt: skip


if __name__ == "__main__":
    main()
