"""asv: optimizer steps, on a few large tensors (compare.py's W7) and on many small ones."""

import os

for _var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread, set before NumPy or Numba loads
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)  # in the benchmark process only, never in tests or CI

import numpy as np  # noqa: E402

import lucid  # noqa: E402
import lucid.optim as optim  # noqa: E402

from . import reset_jit, set_jit  # noqa: E402

OPTIMIZERS = {
    "SGD": lambda p: optim.SGD(p, lr=0.01),
    "SGD momentum": lambda p: optim.SGD(p, lr=0.01, momentum=0.9),
    "Adam": lambda p: optim.Adam(p, lr=1e-3),
    "AdamW": lambda p: optim.AdamW(p, lr=1e-3),
    "RMSprop": lambda p: optim.RMSprop(p, lr=1e-3),
}
# tensors x elements each: W7's 10M parameters, and 1,000 small ones (per-parameter overhead)
LAYOUTS = {"10x1M": (10, 1_000_000), "1000x1k": (1000, 1000)}


class Step:
    """One ``opt.step()`` with fixed float32 gradients (state already allocated)."""

    params = ([True, False], list(OPTIMIZERS), list(LAYOUTS))
    param_names = ["jit", "optimizer", "layout"]

    def setup(self, jit, optimizer, layout):
        set_jit(jit)
        count, size = LAYOUTS[layout]
        rng = np.random.default_rng(0)
        self.params = []
        for _ in range(count):
            p = lucid.tensor(rng.standard_normal(size).astype(np.float32), requires_grad=True)
            p.grad = rng.standard_normal(size).astype(np.float32)
            self.params.append(p)
        self.opt = OPTIMIZERS[optimizer](self.params)
        self.opt.step()

    def teardown(self, jit, optimizer, layout):
        reset_jit()

    def time_step(self, jit, optimizer, layout):
        self.opt.step()


class AdamMemory:
    """Peak memory of Adam on W7's 10M parameters: parameters, gradients and two moments."""

    params = [True, False]
    param_names = ["jit"]

    def setup(self, jit):
        set_jit(jit)
        rng = np.random.default_rng(0)
        self.params = []
        for _ in range(10):
            p = lucid.tensor(rng.standard_normal(10**6).astype(np.float32), requires_grad=True)
            p.grad = rng.standard_normal(10**6).astype(np.float32)
            self.params.append(p)

    def teardown(self, jit):
        reset_jit()

    def peakmem_first_adam_steps(self, jit):
        opt = optim.Adam(self.params, lr=1e-3)
        for _ in range(3):
            opt.step()
