"""Lucid beside PyTorch on the same machine, in one run: workloads W1-W8, LSTM and GRU training
steps, import time and RSS.

    python benchmarks/compare.py                 # the full table (several minutes)
    python benchmarks/compare.py --quick         # a smoke run: one round, two samples each
    python benchmarks/compare.py --check         # first-iteration results, Lucid vs PyTorch
    python benchmarks/compare.py --profile W2    # cProfile of Lucid's W2 steps
    python benchmarks/compare.py --json out.json
    python benchmarks/compare.py --workloads W3,W3c,W3cf   # lucid.compile rows beside eager
    python benchmarks/compare.py --workloads W1,W1c,W1s    # W1s: the whole step compiled

The parent process only orchestrates. Every measurement runs in a child process (this file
again, ``--worker lucid|torch --workload W?``); each round runs every workload once per
framework, interleaved (Lucid, PyTorch, Lucid, PyTorch, ...), so that the shared machine's
noise falls on both alike; each row is the median over all samples of all rounds, in process
CPU time (the wall-clock ratio is printed beside it: on a shared machine it also counts the
other tenants' turns, on an idle one the two agree, as each framework runs one thread). Both
frameworks run float32 on one thread: the children get ``OMP_NUM_THREADS``,
``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` and ``NUMBA_NUM_THREADS`` = 1, PyTorch also
``torch.set_num_threads(1)``, and ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` are removed
from their environment (they pin OpenBLAS to a kernel not chosen for this CPU).

Each workload is written once, against the API the two frameworks share (``nn.Linear``,
``F.cross_entropy``, ``optim.SGD``, ...), and built from the same NumPy arrays. Numbers are
never asserted anywhere: the targets below are printed beside the measured ratios.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

# Nothing above imports numpy: the import-time worker must time `import lucid` from scratch.

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
DROPPED_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
FRAMEWORKS = ("lucid", "torch")


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    target: float  # the Lucid/PyTorch ratio to stay at or under (W8: Lucid / NumPy floor)
    inner: int  # steps per timed sample, so that a sample lasts well above timer noise


WORKLOADS = {
    w.key: w
    for w in (
        Workload("W1", "MLP 8-16-16-1, batch 4: fwd, bwd, SGD", 0.4, 200),  # engine v2 target
        Workload("W2", "MLP 784-256-256-10, b128, CE, SGD m=0.9", 1.0, 5),
        Workload("W3", "2,000 x tanh(y*1.0001+0.01), 16 el., bwd", 0.6, 1),  # engine v2 target
        Workload("W4", "sum(a*b+c) bwd, a (256,512,64) no grad", 0.6, 1),
        Workload("W5", "GELU (tanh) on 4M elements, sum, bwd", 2.0, 1),
        Workload("W6", "CNN b64 28x28: 2x(conv,relu,pool), fc, SGD", 2.0, 1),
        Workload("W7", "Adam step, 10M parameters in 10 tensors", 1.0, 1),
        Workload("W8", "(1024x1024) @ (1024x1024), fwd + bwd", 1.05, 1),
        Workload("LSTM", "LSTM train step: L32 b32 64->128, SGD", 1.5, 5),
        Workload("GRU", "GRU train step: L32 b32 64->128, SGD", 1.5, 5),
        # lucid.compile beside PyTorch *eager* (the same code, not compiled, on the torch side)
        Workload("W3c", "W3 compiled: 2,000 x tanh(...), 16 el., bwd", 0.05, 5),
        Workload("W3cf", "W3 compiled, forward only (no_grad)", 0.05, 5),
        Workload("W1c", "W1 compiled loss (fwd+bwd), SGD eager", 0.25, 200),
        Workload("W1s", "W1 compiled whole step (zero_grad, fwd, bwd, SGD)", 0.25, 200),
        Workload("W2s", "W2 compiled whole step (zero_grad, fwd, bwd, SGD)", 1.0, 5),
        Workload("W2c", "W2 compiled loss (fwd+bwd), SGD eager", 1.0, 5),
        Workload("W6c", "W6 compiled loss (fwd+bwd), SGD eager", 2.0, 1),
    )
}
COMPILED_OF = {
    "W1s": "W1",
    "W2s": "W2",
    "W1c": "W1",
    "W2c": "W2",
    "W3c": "W3",
    "W3cf": "W3",
    "W6c": "W6",
}
IMPORT_TARGET_S = 0.3
RSS_TARGET_MB = 80.0


# --------------------------------------------------------------------------- the workloads
# Each builder takes a framework namespace (see `framework`) and the arrays of `make_data`,
# and returns (step, grads, values): `step()` runs one iteration and returns its loss or
# output; after the first step the self check compares the gradients of `grads` and the
# values of `values` (parameters after an optimizer step) with the other framework's.


def make_data(key: str) -> dict[str, Any]:
    """The inputs and initial parameters of workload ``key``, the same for both frameworks."""
    import numpy as np

    key = COMPILED_OF.get(key, key)  # a compiled row runs on its eager row's data
    rng = np.random.default_rng(20240601)

    def normal(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape, dtype=np.float32)

    def layer(d: dict, name: str, fan_in: int, w_shape: tuple, n_out: int) -> None:
        # PyTorch's default init, drawn here so that both frameworks start from equal weights.
        bound = 1 / np.sqrt(fan_in)
        d[f"{name}.weight"] = rng.uniform(-bound, bound, w_shape).astype(np.float32)
        d[f"{name}.bias"] = rng.uniform(-bound, bound, n_out).astype(np.float32)

    d: dict[str, Any] = {}
    if key in ("W1", "W2"):
        sizes = (8, 16, 16, 1) if key == "W1" else (784, 256, 256, 10)
        for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:], strict=False)):
            layer(d, str(2 * i), n_in, (n_out, n_in), n_out)  # Sequential keys 0, 2, 4
        batch = 4 if key == "W1" else 128
        d["x"] = normal(batch, sizes[0])
        d["y"] = normal(batch, 1) if key == "W1" else rng.integers(0, 10, batch)
    elif key == "W3":
        d["x"] = 0.5 * normal(16)
    elif key == "W4":
        d["a"], d["b"], d["c"] = normal(256, 512, 64), normal(512, 1), normal(64)
    elif key == "W5":
        d["x"] = 2 * normal(4 * 2**20)
    elif key == "W6":
        layer(d, "0", 9, (16, 1, 3, 3), 16)
        layer(d, "3", 144, (32, 16, 3, 3), 32)
        layer(d, "7", 1568, (10, 1568), 10)
        d["x"], d["y"] = normal(64, 1, 28, 28), rng.integers(0, 10, 64)
    elif key == "W7":
        for i in range(10):
            d[f"p{i}"], d[f"g{i}"] = normal(10**6), normal(10**6)
    elif key == "W8":
        d["a"], d["b"], d["g"] = normal(1024, 1024), normal(1024, 1024), normal(1024, 1024)
    elif key in ("LSTM", "GRU"):  # seq 32, batch 32, input 64, hidden 128, one layer
        rows, bound = (4 if key == "LSTM" else 3) * 128, 1 / np.sqrt(128)
        shapes = {"weight_ih_l0": (rows, 64), "weight_hh_l0": (rows, 128),
                  "bias_ih_l0": (rows,), "bias_hh_l0": (rows,)}  # fmt: skip
        for name, shape in shapes.items():  # PyTorch's init, drawn here as for the layers above
            d[name] = rng.uniform(-bound, bound, shape).astype(np.float32)
        d["x"], d["y"] = normal(32, 32, 64), normal(32, 32, 128)
    return d


def _state(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k.endswith((".weight", ".bias"))}


def _trainer(
    fw: SimpleNamespace, model: Any, d: dict, loss_fn: Any, opt: Any, compiled: Any = False
) -> tuple:
    """A training step; ``compiled=True``: the loss (forward, and the backward of its graph)
    under ``fw.compile``, the optimizer step eager; ``compiled="step"``: the whole step
    (zero_grad, forward, backward, optimizer step) under ``fw.compile``."""
    model.load_state_dict({k: fw.tensor(v) for k, v in _state(d).items()})
    x, y = fw.tensor(d["x"]), fw.tensor(d["y"])
    optimizer = opt(model.parameters())
    forward = lambda x, y: loss_fn(model(x), y)  # noqa: E731
    forward = fw.compile(forward) if compiled is True else forward

    def train(x: Any, y: Any) -> Any:
        optimizer.zero_grad()
        loss = forward(x, y)
        loss.backward()
        optimizer.step()
        return loss

    train = fw.compile(train) if compiled == "step" else train

    def step() -> Any:
        return train(x, y)

    params = dict(model.named_parameters())
    return step, params, params


def build_w1(fw: SimpleNamespace, d: dict, compiled: Any = False) -> tuple:
    nn = fw.nn
    model = nn.Sequential(
        nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1)
    )
    opt = lambda p: fw.optim.SGD(p, lr=0.01)  # noqa: E731
    return _trainer(fw, model, d, fw.F.mse_loss, opt, compiled)


def build_w2(fw: SimpleNamespace, d: dict, compiled: Any = False) -> tuple:
    nn = fw.nn
    model = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    opt = lambda p: fw.optim.SGD(p, lr=0.01, momentum=0.9)  # noqa: E731
    return _trainer(fw, model, d, fw.F.cross_entropy, opt, compiled)


def build_w3(fw: SimpleNamespace, d: dict) -> tuple:
    x = fw.tensor(d["x"], requires_grad=True)

    def step() -> Any:
        x.grad = None
        y = x
        for _ in range(2000):
            y = (y * 1.0001 + 0.01).tanh()
        loss = y.sum()
        loss.backward()
        return loss

    return step, {"x": x}, {}


def _w3_chain(x: Any) -> Any:
    y = x
    for _ in range(2000):
        y = (y * 1.0001 + 0.01).tanh()
    return y.sum()


def build_w3c(fw: SimpleNamespace, d: dict) -> tuple:
    """W3 with the chain under ``fw.compile`` (lucid.compile; PyTorch: eager, unchanged)."""
    x = fw.tensor(d["x"], requires_grad=True)
    chain = fw.compile(_w3_chain)

    def step() -> Any:
        x.grad = None
        loss = chain(x)
        loss.backward()
        return loss

    return step, {"x": x}, {}


def build_w3cf(fw: SimpleNamespace, d: dict) -> tuple:
    x = fw.tensor(d["x"])
    chain = fw.compile(_w3_chain)

    def step() -> Any:
        with fw.no_grad():
            return chain(x)

    return step, {}, {}


def build_w4(fw: SimpleNamespace, d: dict) -> tuple:
    a = fw.tensor(d["a"])
    b, c = fw.tensor(d["b"], requires_grad=True), fw.tensor(d["c"], requires_grad=True)

    def step() -> Any:
        b.grad = c.grad = None
        loss = (a * b + c).sum()
        loss.backward()
        return loss

    return step, {"b": b, "c": c}, {}


def build_w5(fw: SimpleNamespace, d: dict) -> tuple:
    x = fw.tensor(d["x"], requires_grad=True)

    def step() -> Any:
        x.grad = None
        loss = fw.F.gelu(x, approximate="tanh").sum()
        loss.backward()
        return loss

    return step, {"x": x}, {}


def build_w6(fw: SimpleNamespace, d: dict, compiled: bool = False) -> tuple:
    nn = fw.nn
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(1568, 10),
    )
    opt = lambda p: fw.optim.SGD(p, lr=0.01)  # noqa: E731
    return _trainer(fw, model, d, fw.F.cross_entropy, opt, compiled)


def build_w7(fw: SimpleNamespace, d: dict) -> tuple:
    params = {f"p{i}": fw.tensor(d[f"p{i}"], requires_grad=True) for i in range(10)}
    for i, p in enumerate(params.values()):
        p.grad = fw.as_grad(d[f"g{i}"])
    opt = fw.optim.Adam(list(params.values()), lr=1e-3)

    def step() -> None:
        opt.step()

    return step, {}, params


def build_w8(fw: SimpleNamespace, d: dict) -> tuple:
    a, b = fw.tensor(d["a"], requires_grad=True), fw.tensor(d["b"], requires_grad=True)
    upstream = fw.tensor(d["g"])

    def step() -> Any:
        a.grad = b.grad = None
        y = a @ b
        y.backward(upstream)
        return y

    return step, {"a": a, "b": b}, {}


def build_rnn(fw: SimpleNamespace, d: dict, kind: str) -> tuple:
    """One training step of a recurrent layer: forward over the sequence, MSE on every
    step's output, backward through time, SGD."""
    model = getattr(fw.nn, kind)(64, 128)
    model.load_state_dict({k: fw.tensor(v) for k, v in d.items() if k.startswith(("w", "b"))})
    x, y = fw.tensor(d["x"]), fw.tensor(d["y"])
    optimizer = fw.optim.SGD(model.parameters(), lr=0.01)

    def step() -> Any:
        optimizer.zero_grad()
        loss = fw.F.mse_loss(model(x)[0], y)
        loss.backward()
        optimizer.step()
        return loss

    params = dict(model.named_parameters())
    return step, params, params


BUILDERS = {f"W{i}": globals()[f"build_w{i}"] for i in range(1, 9)}
BUILDERS["LSTM"] = lambda fw, d: build_rnn(fw, d, "LSTM")
BUILDERS["GRU"] = lambda fw, d: build_rnn(fw, d, "GRU")
BUILDERS |= {
    "W1c": lambda fw, d: build_w1(fw, d, compiled=True),
    "W1s": lambda fw, d: build_w1(fw, d, compiled="step"),
    "W2s": lambda fw, d: build_w2(fw, d, compiled="step"),
    "W2c": lambda fw, d: build_w2(fw, d, compiled=True),
    "W3c": build_w3c,
    "W3cf": build_w3cf,
    "W6c": lambda fw, d: build_w6(fw, d, compiled=True),
}


def numpy_floor(d: dict) -> Any:
    """W8's floor: the three products a matmul forward and backward cannot avoid, their
    results alive together as a step's output and two gradients are (discarding each product
    at once would let the next reuse its memory: ~3% faster, from page faults not taken)."""
    a, b, g = d["a"], d["b"], d["g"]

    def step() -> tuple:
        return a @ b, g @ b.T, a.T @ g

    return step


# --------------------------------------------------------------------------- the worker


def framework(name: str) -> SimpleNamespace:
    """The API the workloads use, from Lucid or from PyTorch (one thread, float32)."""
    if name == "torch":
        import torch

        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
        return SimpleNamespace(
            name=name,
            version=torch.__version__,
            tensor=torch.tensor,  # copies the array and keeps its dtype, as lucid.tensor
            nn=torch.nn,
            F=torch.nn.functional,
            optim=torch.optim,
            as_grad=torch.tensor,
            to_numpy=lambda t: t.detach().numpy(),
            jit=None,
            compile=lambda fn: fn,  # the compiled rows compare with PyTorch eager
            no_grad=torch.no_grad,
        )
    import lucid
    import lucid.nn.functional
    import lucid.optim
    from lucid.kernels import _jit

    return SimpleNamespace(
        name=name,
        version=lucid.__version__,
        tensor=lucid.tensor,
        nn=lucid.nn,
        F=lucid.nn.functional,
        optim=lucid.optim,
        as_grad=lambda a: a.copy(),  # Lucid's .grad is a plain ndarray
        to_numpy=lambda t: t if type(t).__module__ == "numpy" else t.detach().numpy(),
        jit=_jit.JIT_ENABLED,
        compile=lucid.compile,
        no_grad=lucid.no_grad,
    )


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _clocks() -> tuple[float, float]:
    """Wall-clock and CPU seconds: the process's CPU time leaves out the time this process
    waited while other tenants of a shared machine ran (both frameworks run one thread)."""
    return time.perf_counter(), time.process_time()


def worker_import(name: str) -> dict[str, Any]:
    """Seconds to import the framework in this fresh process, and the RSS right after.

    For Lucid, NumPy's share is timed too (``import numpy`` first, then ``import lucid``: the
    sum is what ``import lucid`` alone costs, as numpy is the first thing it loads).
    """
    rss_before = _rss_mb()
    wall0, cpu0 = _clocks()
    if name == "lucid":
        import numpy  # noqa: F401
    wall1, cpu1 = _clocks()
    __import__(name)
    wall2, cpu2 = _clocks()
    return {
        "wall": [wall2 - wall0],
        "cpu": [cpu2 - cpu0],
        "numpy_wall": wall1 - wall0 if name == "lucid" else None,
        "numpy_cpu": cpu1 - cpu0 if name == "lucid" else None,
        "rss_mb": _rss_mb(),
        "rss_before_mb": rss_before,
    }


def worker_time(name: str, key: str, repeats: int, warmup: int) -> dict[str, Any]:
    """Per-step seconds of workload ``key``: ``repeats`` samples of ``inner`` steps each,
    wall-clock and CPU time; for Lucid's W8 also the NumPy floor, alternated with them."""
    fw = framework(name)
    d = make_data(key)
    step = BUILDERS[key](fw, d)[0]
    floor = numpy_floor(d) if key == "W8" and name == "lucid" else None
    for _ in range(warmup):  # loads or compiles the kernels, allocates the optimizer state
        step()
        if floor is not None:
            floor()
    inner = WORKLOADS[key].inner
    out: dict[str, Any] = {"wall": [], "cpu": [], "version": fw.version, "jit": fw.jit}
    if floor is not None:
        out |= {"floor_wall": [], "floor_cpu": []}
    faults = 0  # minor page faults in the steps: fresh memory the OS had to zero (for --json)
    for _ in range(repeats):
        flt0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        wall0, cpu0 = _clocks()
        for _ in range(inner):
            step()
        wall1, cpu1 = _clocks()
        faults += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - flt0
        out["wall"].append((wall1 - wall0) / inner)
        out["cpu"].append((cpu1 - cpu0) / inner)
        if floor is not None:
            wall1, cpu1 = _clocks()
            floor()
            wall2, cpu2 = _clocks()
            out["floor_wall"].append(wall2 - wall1)
            out["floor_cpu"].append(cpu2 - cpu1)
    out["minflt_per_step"] = faults / (repeats * inner)
    import numpy

    out["numpy"] = numpy.__version__
    return out


def worker_check(name: str, key: str, path: str) -> dict[str, Any]:
    """Run one step and save its output, the watched gradients and values to ``path``."""
    import numpy as np

    fw = framework(name)
    step, grads, values = BUILDERS[key](fw, make_data(key))
    out = step()
    arrays = {} if out is None else {"output": fw.to_numpy(out)}
    for k, t in grads.items():
        arrays[f"grad/{k}"] = fw.to_numpy(t.grad)
    for k, t in values.items():
        arrays[f"value/{k}"] = fw.to_numpy(t)
    np.savez(path, **arrays)
    return {"saved": sorted(arrays)}


def worker_profile(key: str, repeats: int, top: int) -> dict[str, Any]:
    """cProfile Lucid's steps of ``key`` (after warm-up) and print the hot spots."""
    import cProfile
    import pstats

    fw = framework("lucid")
    step = BUILDERS[key](fw, make_data(key))[0]
    step()
    step()
    n = repeats * WORKLOADS[key].inner
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        step()
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stderr).strip_dirs()
    print(f"== cProfile of Lucid {key}, {n} steps, by own time", file=sys.stderr)
    stats.sort_stats("tottime").print_stats(top)
    print(f"== cProfile of Lucid {key}, {n} steps, by cumulative time", file=sys.stderr)
    stats.sort_stats("cumulative").print_stats(top)
    return {"steps": n}


# --------------------------------------------------------------------------- the parent


def child_env(jit: bool) -> dict[str, str]:
    """The children's environment: one thread, no OpenBLAS core override, this checkout."""
    env = dict(os.environ)
    env.update(dict.fromkeys(THREAD_VARS, "1"))
    for var in DROPPED_VARS:
        env.pop(var, None)
    # Bytecode caching on, as for an installed package: otherwise `import lucid` would time
    # the compilation of every module to bytecode, on every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not jit:
        env["LUCID_DISABLE_JIT"] = "1"
    if (SRC / "lucid").is_dir():
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return env


def run_child(args: list[str], env: dict[str, str], capture_stderr: bool = True) -> dict:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if capture_stderr else None,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"worker {' '.join(args)} failed:\n{proc.stderr or ''}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fmt_time(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.3f} s"


def measure(opts: argparse.Namespace, frameworks: list[str]) -> dict[str, Any]:
    """Interleaved rounds of child processes: every sample, by row, framework and clock."""
    env = child_env(opts.jit)
    rows = [*opts.workloads, "floor", "import numpy"]
    samples: dict[str, dict[str, dict[str, list[float]]]] = {
        row: {fw: {"wall": [], "cpu": []} for fw in frameworks} for row in rows
    }
    rss: dict[str, list[float]] = {fw: [] for fw in frameworks}
    faults: dict[str, dict[str, list[float]]] = {}
    # Ratios of measurements taken next to each other: Lucid/PyTorch per round, and Lucid/floor
    # per sample. Their median resists the machine's slow swings (whole rounds 30% slower)
    # better than a ratio of two medians does.
    paired: dict[str, dict[str, list[float]]] = {}
    meta: dict[str, Any] = {}
    if "import" in opts.workloads:
        for fw in frameworks:  # untimed: writes bytecode caches, warms the file cache
            run_child(["--worker", fw, "--workload", "import"], env)
    for r in range(opts.rounds):
        for key in opts.workloads:
            medians = {}  # this round's median per framework and clock, for the paired ratio
            for fw in frameworks:
                args = ["--worker", fw, "--workload", key, "--repeats", str(opts.repeats)]
                out = run_child(args, env)
                for clock in ("wall", "cpu"):
                    samples[key][fw][clock] += out[clock]
                    if out.get(f"floor_{clock}"):
                        samples["floor"][fw][clock] += out[f"floor_{clock}"]
                    if out.get(f"numpy_{clock}") is not None:
                        samples["import numpy"][fw][clock].append(out[f"numpy_{clock}"])
                if key == "import":
                    rss[fw].append(out["rss_mb"])
                    meta[f"python_rss_mb_{fw}"] = out["rss_before_mb"]
                else:
                    faults.setdefault(key, {}).setdefault(fw, []).append(out["minflt_per_step"])
                    meta[f"{fw}_version"] = out["version"]
                    meta["numpy_version"] = out["numpy"]
                    if fw == "lucid":
                        meta["lucid_jit"] = out["jit"]
                wall, cpu = statistics.median(out["wall"]), statistics.median(out["cpu"])
                medians[fw] = {"wall": wall, "cpu": cpu}
                if "floor_cpu" in out:  # W8 against its floor: sample by sample, same process
                    for clock in ("wall", "cpu"):
                        pairs = zip(out[clock], out[f"floor_{clock}"], strict=True)
                        paired.setdefault("W8/floor", {}).setdefault(clock, []).extend(
                            lu / fl for lu, fl in pairs
                        )
                print(
                    f"round {r + 1}/{opts.rounds}  {key:6s} {fw:5s} wall {_fmt_time(wall)}"
                    f"  cpu {_fmt_time(cpu)}",
                    file=sys.stderr,
                    flush=True,
                )
            if "lucid" in medians and "torch" in medians:  # neighbours in time: one ratio
                for clock in ("wall", "cpu"):
                    ratio = medians["lucid"][clock] / medians["torch"][clock]
                    paired.setdefault(key, {}).setdefault(clock, []).append(ratio)
    return {
        "samples": samples,
        "paired_ratios": paired,
        "rss": rss,
        "minflt_per_step": faults,
        "meta": meta,
    }


def _median(xs: list[float] | None) -> float | None:
    return statistics.median(xs) if xs else None


def table(result: dict[str, Any], opts: argparse.Namespace, frameworks: list[str]) -> tuple:
    """The rows (dicts, for --json) and the printed table.

    Times are medians of CPU time. Ratios are medians of paired ratios (Lucid/PyTorch of the
    same round; Lucid/floor of neighbouring samples); the target is judged on the CPU-time
    ratio, with the wall-clock ratio beside it (on an idle machine the two agree: both
    frameworks run one thread; on a shared one, wall-clock time also counts the other
    tenants' turns).
    """
    samples, rss, meta = result["samples"], result["rss"], result["meta"]
    paired = result["paired_ratios"]

    def paired_ratio(key: str, clock: str = "cpu") -> float | None:
        return _median(paired.get(key, {}).get(clock))

    def med(row: str, fw: str, clock: str = "cpu") -> float | None:
        return _median(samples[row].get(fw, {}).get(clock))

    def ratio(a: float | None, b: float | None) -> float | None:
        return a / b if a and b else None

    def row(name, title, key, target="", judged=None, limit=None) -> dict:
        lu, to = med(key, "lucid"), med(key, "torch")
        r = {"row": name, "title": title, "lucid": lu, "torch": to, "unit": "s",
             "ratio": paired_ratio(key), "ratio_wall": paired_ratio(key, "wall"),
             "lucid_wall": med(key, "lucid", "wall"), "torch_wall": med(key, "torch", "wall"),
             "target": target}  # fmt: skip
        judged = r["ratio"] if judged is None and limit is not None else judged
        r["met"] = None if judged is None or limit is None else judged <= limit
        return r

    rows = []
    for key in (k for k in opts.workloads if k != "import"):
        w = WORKLOADS[key]
        if key != "W8":
            rows.append(row(key, w.title, key, f"L/T <= {w.target:.2f}", limit=w.target))
            continue
        vs_floor, vs_floor_wall = paired_ratio("W8/floor"), paired_ratio("W8/floor", "wall")
        target = f"L/floor {vs_floor or float('nan'):.3f} <= {w.target:.2f}"
        rows.append(row(key, w.title, key, target, vs_floor, w.target))
        rows[-1] |= {"vs_floor": vs_floor, "vs_floor_wall": vs_floor_wall}
        rows.append(row("floor", "W8's 3 NumPy products (in Lucid's child)", "floor"))
    if "import" in opts.workloads:
        lu = med("import", "lucid", "wall")
        rows.append(row("import", "import, fresh process (wall: judged)", "import",
                        f"wall {lu or float('nan'):.3f} < {IMPORT_TARGET_S} s", lu,
                        IMPORT_TARGET_S))  # fmt: skip
        rows.append(row("", "  of which import numpy", "import numpy"))
        lu, to = _median(rss.get("lucid")), _median(rss.get("torch"))
        rows.append({"row": "RSS", "title": "VmRSS right after import", "lucid": lu,
                     "torch": to, "unit": "MB", "ratio": ratio(lu, to), "ratio_wall": None,
                     "target": f"< {RSS_TARGET_MB:.0f} MB",
                     "met": None if lu is None else lu < RSS_TARGET_MB})  # fmt: skip

    n = opts.rounds * opts.repeats
    lines = [
        f"Lucid {meta.get('lucid_version', '?')} (Numba kernels "
        f"{'on' if meta.get('lucid_jit') else 'off'}) vs PyTorch "
        f"{meta.get('torch_version', 'not installed')}; NumPy {meta.get('numpy_version', '?')};"
        f" Python {sys.version.split()[0]}",
        "float32, ONE THREAD for both: torch.set_num_threads(1), OMP/OPENBLAS/MKL/NUMBA_NUM_"
        "THREADS=1, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset",
        f"each framework in its own child process, interleaved L,T in {opts.rounds} rounds;"
        f" medians of {n} samples per row ({opts.rounds} for import and RSS)",
        "times: process CPU time per step; L/T: median of the per-round ratios (L/floor: of"
        " the per-sample ratios), judged on CPU time; 'wall': the same in wall-clock time,"
        " which also counts other tenants' turns on a shared machine",
        "",
        f"{'row':7s}{'workload':42s}{'Lucid':>11s}{'PyTorch':>11s}{'L/T':>6s}{'wall':>6s}  "
        f"{'target':24s}status",
    ]
    for r in rows:
        if r["unit"] == "MB":
            lu, to = (f"{v:.1f} MB" if v else "-" for v in (r["lucid"], r["torch"]))
        else:
            lu, to = _fmt_time(r["lucid"]), _fmt_time(r["torch"])
        rt, rw = ("-" if v is None else f"{v:.2f}" for v in (r["ratio"], r["ratio_wall"]))
        status = {True: "MET", False: "MISSED", None: "n/a" if r["target"] else ""}[r["met"]]
        lines.append(
            f"{r['row']:7s}{r['title'][:41]:42s}{lu:>11s}{to:>11s}{rt:>6s}{rw:>6s}  "
            f"{r['target']:24s}{status}"
        )
    if "torch" not in frameworks:
        lines.append("(PyTorch is not installed: only the absolute targets are judged)")
    return rows, "\n".join(lines)


def check(opts: argparse.Namespace) -> None:
    """Compare each workload's first step in Lucid and PyTorch; print max abs differences."""
    import numpy as np

    env = child_env(opts.jit)
    print("self check: one step of each workload in both frameworks, from the same arrays")
    with tempfile.TemporaryDirectory() as tmp:
        for key in [k for k in opts.workloads if k != "import"]:
            paths = {}
            for fw in FRAMEWORKS:
                paths[fw] = os.path.join(tmp, f"{fw}_{key}.npz")
                run_child(["--worker", fw, "--workload", key, "--check-out", paths[fw]], env)
            with np.load(paths["lucid"]) as lu, np.load(paths["torch"]) as to:
                diffs = {
                    k: (float(np.max(np.abs(lu[k] - to[k]))), float(np.max(np.abs(to[k]))))
                    for k in to.files
                }
            worst = max(diffs, key=lambda k: diffs[k][0] / max(diffs[k][1], 1e-30))
            d, scale = diffs[worst]
            print(
                f"{key}: max abs diff {max(d for d, _ in diffs.values()):.2e} over "
                f"{len(diffs)} arrays; worst relative to its scale: {worst}, "
                f"{d:.2e} of max |torch| {scale:.3g} ({d / max(scale, 1e-30):.1e})"
            )
            if opts.verbose:
                print("    " + "  ".join(f"{k} {d:.1e}" for k, (d, _) in diffs.items()))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="one round of two samples: a smoke run")
    p.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 7)")
    p.add_argument("--repeats", type=int, default=None, help="samples per child (default 4)")
    p.add_argument(
        "--workloads",
        default=",".join([*WORKLOADS, "import"]),
        help="comma-separated subset of W1..W8,LSTM,GRU,W1c,W1s,W2c,W2s,W3c,W3cf,W6c,import",
    )
    p.add_argument("--json", metavar="PATH", help="also write the rows and samples as JSON")
    p.add_argument("--check", action="store_true", help="only the Lucid-vs-PyTorch self check")
    p.add_argument("--profile", metavar="W", help="cProfile Lucid's steps of one workload")
    p.add_argument(
        "--no-jit",
        dest="jit",
        action="store_false",
        help="run Lucid on its NumPy references (LUCID_DISABLE_JIT=1)",
    )
    p.add_argument("--verbose", action="store_true", help="--check: every array's difference")
    # the child side
    p.add_argument("--worker", choices=FRAMEWORKS, help=argparse.SUPPRESS)
    p.add_argument("--workload", help=argparse.SUPPRESS)
    p.add_argument("--check-out", help=argparse.SUPPRESS)
    p.add_argument("--warmup", type=int, default=2, help=argparse.SUPPRESS)
    p.add_argument("--top", type=int, default=25, help=argparse.SUPPRESS)
    opts = p.parse_args(argv)
    opts.rounds = opts.rounds or (1 if opts.quick else 7)
    opts.repeats = opts.repeats or (2 if opts.quick else 4)
    opts.workloads = [w.strip() for w in opts.workloads.split(",") if w.strip()]
    unknown = [w for w in opts.workloads if w not in WORKLOADS and w != "import"]
    if unknown:
        p.error(f"unknown workloads {unknown}: choose among {[*WORKLOADS, 'import']}")

    if opts.worker:
        if opts.workload == "import":
            out = worker_import(opts.worker)
        elif opts.check_out:
            out = worker_check(opts.worker, opts.workload, opts.check_out)
        elif opts.profile:
            out = worker_profile(opts.workload, opts.repeats, opts.top)
        else:
            out = worker_time(opts.worker, opts.workload, opts.repeats, opts.warmup)
        print(json.dumps(out))
        return

    has_torch = importlib.util.find_spec("torch") is not None
    if opts.profile:
        args = [
            "--worker",
            "lucid",
            "--workload",
            opts.profile,
            "--profile",
            opts.profile,
            "--repeats",
            str(opts.repeats),
            "--top",
            str(opts.top),
        ]
        run_child(args, child_env(opts.jit), capture_stderr=False)
        return
    if opts.check:
        if not has_torch:
            sys.exit("--check needs PyTorch installed")
        check(opts)
        return
    frameworks = ["lucid", "torch"] if has_torch else ["lucid"]
    result = measure(opts, frameworks)
    rows, text = table(result, opts, frameworks)
    print(text)
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump(
                {
                    "meta": result["meta"],
                    "rows": rows,
                    "samples": result["samples"],
                    "paired_ratios": result["paired_ratios"],
                    "rss_mb": result["rss"],
                    "minflt_per_step": result["minflt_per_step"],
                    "rounds": opts.rounds,
                    "repeats": opts.repeats,
                },
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
