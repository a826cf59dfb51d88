"""asv: the graph layer's own cost (per-op overhead, backward bookkeeping, graph memory)."""

import os

for _var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread, set before NumPy or Numba loads
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)  # in the benchmark process only, never in tests or CI

import numpy as np  # noqa: E402

import lucid  # noqa: E402
import lucid.nn as nn  # noqa: E402
import lucid.nn.functional as F  # noqa: E402
import lucid.optim  # noqa: E402

from . import reset_jit, set_jit  # noqa: E402


class OpOverhead:
    """One op on 16 elements: what the graph layer costs beyond NumPy's call."""

    params = [True, False]
    param_names = ["jit"]

    def setup(self, jit):
        set_jit(jit)
        rng = np.random.default_rng(0)
        self.array = rng.standard_normal(16).astype(np.float32)
        self.x = lucid.tensor(self.array, requires_grad=True)
        self.c = lucid.tensor(self.array)
        self.row = lucid.tensor(self.array.reshape(1, 16), requires_grad=True)
        self.col = lucid.tensor(self.array.reshape(16, 1), requires_grad=True)
        self.time_broadcast_add_backward(jit)

    def teardown(self, jit):
        reset_jit()

    def time_numpy_add(self, jit):
        self.array + self.array

    def time_add_no_grad(self, jit):
        with lucid.no_grad():
            self.x + self.c

    def time_add_recorded(self, jit):
        self.x + self.c

    def time_mul_python_scalar(self, jit):
        self.x * 1.0001

    def time_tensor_from_array(self, jit):
        lucid.tensor(self.array)

    def time_add_backward(self, jit):
        self.x.grad = None
        (self.x + self.c).sum().backward()

    def time_broadcast_add_backward(self, jit):
        self.row.grad = self.col.grad = None
        (self.row + self.col).sum().backward()


class Chain:
    """A long chain of tiny ops, forward and backward (compare.py's W3 at a tenth the length)."""

    params = [True, False]
    param_names = ["jit"]

    def setup(self, jit):
        set_jit(jit)
        self.x = lucid.tensor(np.linspace(-1, 1, 16, dtype=np.float32), requires_grad=True)
        self.time_tanh_chain_200(jit)

    def teardown(self, jit):
        reset_jit()

    def _chain(self, n):
        y = self.x
        for _ in range(n):
            y = (y * 1.0001 + 0.01).tanh()
        return y.sum()

    def time_tanh_chain_200(self, jit):
        self.x.grad = None
        self._chain(200).backward()

    def time_tanh_chain_200_forward_only(self, jit):
        with lucid.no_grad():
            self._chain(200)

    def peakmem_graph_of_10000_ops(self, jit):
        # Holds 30,000 recorded ops at once: the graph's memory per op, then frees it.
        self.x.grad = None
        self._chain(10_000).backward()


class TinyMLPStep:
    """compare.py's W1: MLP 8-16-16-1, batch 4, MSE; zero_grad, forward, backward, SGD."""

    params = [True, False]
    param_names = ["jit"]

    def setup(self, jit):
        set_jit(jit)
        lucid.manual_seed(0)
        self.model = nn.Sequential(
            nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1)
        )
        self.opt = lucid.optim.SGD(self.model.parameters(), lr=0.01)
        rng = np.random.default_rng(0)
        self.x = lucid.tensor(rng.standard_normal((4, 8)).astype(np.float32))
        self.y = lucid.tensor(rng.standard_normal((4, 1)).astype(np.float32))
        self.time_step(jit)

    def teardown(self, jit):
        reset_jit()

    def time_forward(self, jit):
        self.model(self.x)

    def time_step(self, jit):
        self.opt.zero_grad()
        F.mse_loss(self.model(self.x), self.y).backward()
        self.opt.step()
