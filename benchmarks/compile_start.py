"""lucid.compile's start-up costs: the first (tracing, compiling) call and a warm-cache start.

    python benchmarks/compile_start.py

Runs W3's chain (2,000 x tanh(y * 1.0001 + 0.01) on 16 elements, then sum, forward and
backward) in fresh child processes: first with an empty kernel cache (generating the kernels'
source and compiling them with numba), then again with the cache that run left (numba loads
the machine code). Each child prints the seconds of its first call, its second call (the first
replay) and a steady replay, in wall-clock and process time. Numbers are printed, never
asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


def child() -> None:
    t0 = time.perf_counter(), time.process_time()
    import numpy as np

    import lucid

    t1 = time.perf_counter(), time.process_time()

    def chain(x):
        y = x
        for _ in range(2000):
            y = (y * 1.0001 + 0.01).tanh()
        return y.sum()

    compiled = lucid.compile(chain)
    x = lucid.tensor(0.5 * np.random.default_rng(0).standard_normal(16).astype(np.float32))
    x.requires_grad_(True)
    times = []
    for _ in range(12):
        a = time.perf_counter(), time.process_time()
        compiled(x).backward()
        b = time.perf_counter(), time.process_time()
        times.append((b[0] - a[0], b[1] - a[1]))
    print(json.dumps({
        "import": [t1[0] - t0[0], t1[1] - t0[1]],
        "first call": times[0],
        "second call": times[1],
        "steady replay": sorted(times[2:])[len(times[2:]) // 2],
        "kernels": len(compiled.last.fused),
    }))  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, LUCID_COMPILE_CACHE_DIR=cache, OMP_NUM_THREADS="1",
                   OPENBLAS_NUM_THREADS="1", NUMBA_NUM_THREADS="1")  # fmt: skip
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
        for label in ("cold kernel cache", "warm kernel cache"):
            proc = subprocess.run(
                [sys.executable, __file__, "--child"], env=env, capture_output=True, text=True,
                check=True,
            )  # fmt: skip
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"{label}: {result['kernels']} fused kernels")
            for key in ("import", "first call", "second call", "steady replay"):
                wall, cpu = result[key]
                print(f"  {key:14s} wall {wall * 1e3:9.2f} ms   cpu {cpu * 1e3:9.2f} ms")


if __name__ == "__main__":
    child() if "--child" in sys.argv else main()
