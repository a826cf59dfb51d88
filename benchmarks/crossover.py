"""Re-measure every Numba/NumPy crossover in ``lucid.kernels`` around its threshold.

    python benchmarks/crossover.py              # every threshold, float32, a table of ratios
    python benchmarks/crossover.py --dtype float64 --only activation

Each kernel family picks NumPy or its compiled loop by a size threshold written in its module
(``ELEMENTWISE_JIT_MIN_SIZE``, ``SOFTMAX_JIT_MAX_CLASSES``, ...). This script times the public
wrapper with the threshold forced each way, at sizes from a quarter of the threshold to four
times it, and prints the medians and the NumPy/JIT ratio (above 1: the loop is faster). A
threshold is where it should be when the ratio crosses 1 near the marked row. Timings run in
this one process on one thread; ``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` are unset for it (they
pin OpenBLAS to a slow kernel on some CPUs). Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import numpy as np  # noqa: E402

from lucid.kernels import activation, broadcast, elementwise, loss, optim, pool, reduce  # noqa: E402


@dataclass(frozen=True)
class Crossover:
    family: str
    module: object
    constant: str
    jit_below: bool  # True: a MAX threshold (the loop wins below it); False: a MIN threshold
    make: Callable[[int, np.dtype, np.random.Generator], Callable[[], object]]

    def force(self, jit: bool) -> int:
        """Set the threshold so that every size takes the JIT path (or none does)."""
        big = 1 << 60
        if self.jit_below:
            value = big if jit else -1
        else:
            value = 0 if jit else big
        setattr(self.module, self.constant, value)
        return value


def _vec(n, dtype, rng):
    return rng.standard_normal(n).astype(dtype)


def _unary_backward(fn):
    def make(n, dt, rng):
        a, g = _vec(n, dt, rng), _vec(n, dt, rng)
        return lambda: fn(a, g)

    return make


def _unary(fn):
    def make(n, dt, rng):
        a = _vec(n, dt, rng)
        return lambda: fn(a)

    return make


def _pair(fn):
    def make(n, dt, rng):
        a, b, g = _vec(n, dt, rng), _vec(n, dt, rng), _vec(n, dt, rng)
        return lambda: fn(a, b, g)

    return make


def _clip(n, dt, rng):
    x, g = _vec(n, dt, rng), _vec(n, dt, rng)
    lo, hi = np.asarray(-0.5, dt), np.asarray(0.5, dt)
    return lambda: elementwise.clip_backward(x, lo, hi, g)


def _reduce_to_shape(n, dt, rng):
    g = _vec(n, dt, rng).reshape(-1, 8) if n >= 8 else _vec(n, dt, rng).reshape(n, 1)
    return lambda: broadcast.reduce_to_shape(g, (1, g.shape[1]))


def _extremum(n, dt, rng):
    x = _vec(n, dt, rng).reshape(-1, 8) if n >= 8 else _vec(n, dt, rng).reshape(n, 1)
    out = x.max(axis=1, keepdims=True)
    g = np.ones_like(out)
    return lambda: reduce.extremum_backward(x, out, g, (1,))


def _softmax_rows(classes, dt, rng):
    x = rng.standard_normal((256, max(classes, 1))).astype(dt)
    return lambda: loss.softmax(x)


def _sgd(plain):
    def make(n, dt, rng):
        p, g, buf = _vec(n, dt, rng), _vec(n, dt, rng), np.zeros(n, dt)
        flags = {"nesterov": False, "maximize": False, "first_step": False}
        if plain:
            return lambda: optim.sgd(p, g, None, 1e-3, 0.0, 0.0, 0.0, **flags)
        return lambda: optim.sgd(p, g, buf, 1e-3, 0.9, 0.0, 1e-4, **flags)

    return make


def _avg_pool(n, dt, rng):
    side = max(int((n / 16) ** 0.5), 2)
    x = rng.standard_normal((1, 16, side, side)).astype(dt)
    return lambda: pool.avg_pool2d_forward(x, 2)


def _adaptive(n, dt, rng):
    side = max(int((n / 16) ** 0.5), 2)
    x = rng.standard_normal((1, 16, side, side)).astype(dt)
    return lambda: pool.adaptive_avg_pool2d_forward(x, (1, 1))


CROSSOVERS = [
    Crossover("activation", activation, "ELEMENTWISE_JIT_MIN_SIZE", False,
              _unary_backward(activation.tanh_backward)),
    Crossover("activation", activation, "TRANSCENDENTAL_FORWARD_JIT_MAX_SIZE", True,
              _unary(activation.sigmoid)),
    Crossover("activation", activation, "TRANSCENDENTAL_BACKWARD_JIT_MAX_SIZE", True,
              _unary_backward(activation.silu_backward)),
    Crossover("elementwise", elementwise, "PAIR_JIT_MIN_SIZE", False,
              _pair(elementwise.maximum_backward)),
    Crossover("elementwise", elementwise, "CLIP_JIT_MIN_SIZE", False, _clip),
    Crossover("broadcast", broadcast, "JIT_MIN_SIZE", False, _reduce_to_shape),
    Crossover("reduce", reduce, "JIT_MIN_SIZE", False, _extremum),
    Crossover("loss", loss, "SOFTMAX_JIT_MAX_CLASSES", True, _softmax_rows),
    Crossover("optim", optim, "SGD_JIT_MIN_SIZE", False, _sgd(plain=False)),
    Crossover("optim", optim, "SGD_PLAIN_JIT_MIN_SIZE", False, _sgd(plain=True)),
    Crossover("pool", pool, "AVG_JIT_MAX_SIZE", True, _avg_pool),
    Crossover("pool", pool, "ADAPTIVE_JIT_MAX_SIZE", True, _adaptive),
]  # fmt: skip


def median_time(fn: Callable[[], object], budget: float) -> float:
    """Median seconds per call over batches filling about ``budget`` seconds."""
    fn()  # compile (Numba) and warm caches
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < budget / 10 and calls < 10_000:
        fn()
        calls += 1
    per_batch = max(calls // 5, 1)
    samples = []
    for _ in range(9):
        t = time.perf_counter()
        for _ in range(per_batch):
            fn()
        samples.append((time.perf_counter() - t) / per_batch)
    return statistics.median(samples)


def measure(c: Crossover, dtype: np.dtype, budget: float) -> list[tuple[int, float, float]]:
    """(size, NumPy seconds, JIT seconds) at sizes around the threshold."""
    threshold = getattr(c.module, c.constant)
    rows = []
    try:
        for factor in (0.25, 0.5, 1, 2, 4):
            size = max(int(threshold * factor), 1)
            times = []
            for jit in (False, True):
                c.force(jit)
                fn = c.make(size, dtype, np.random.default_rng(0))
                times.append(median_time(fn, budget))
            rows.append((size, times[0], times[1]))
    finally:
        setattr(c.module, c.constant, threshold)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument(
        "--only", help="one family: " + ", ".join(sorted({c.family for c in CROSSOVERS}))
    )
    parser.add_argument("--budget", type=float, default=0.2, help="seconds per measurement")
    args = parser.parse_args(argv)
    from lucid.kernels import _jit

    if not _jit.JIT_ENABLED:
        sys.exit("crossover.py needs Numba (and LUCID_DISABLE_JIT unset)")
    dtype = np.dtype(args.dtype)
    print(f"NumPy {np.__version__}, {dtype}; ratio = NumPy time / JIT time (>1: the loop wins)")
    for c in CROSSOVERS:
        if args.only and c.family != args.only:
            continue
        threshold = getattr(c.module, c.constant)
        side = "below" if c.jit_below else "from"
        print(f"\n{c.family}.{c.constant} = {threshold} (the loop is used {side} it)")
        print(f"  {'size':>9}  {'NumPy':>10}  {'JIT':>10}  {'ratio':>6}")
        for size, t_np, t_jit in measure(c, dtype, args.budget):
            mark = "  <- threshold" if size == threshold else ""
            times = f"{t_np * 1e6:>8.2f}us  {t_jit * 1e6:>8.2f}us"
            print(f"  {size:>9}  {times}  {t_np / t_jit:>6.2f}{mark}")


if __name__ == "__main__":
    main()
