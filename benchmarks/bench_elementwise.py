"""asv: elementwise ops and activations, forward and forward + backward, Numba and NumPy."""

import os

for _var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread, set before NumPy or Numba loads
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)  # in the benchmark process only, never in tests or CI

import numpy as np  # noqa: E402

import lucid  # noqa: E402
import lucid.nn.functional as F  # noqa: E402

from . import reset_jit, set_jit  # noqa: E402

ACTIVATIONS = {
    "relu": F.relu,
    "leaky_relu": F.leaky_relu,
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "silu": F.silu,
    "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "softplus": F.softplus,
}


def _inputs(n):
    """A float32 input away from 0 (relu's kink) and a random upstream gradient."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n).astype(np.float32)
    x[np.abs(x) < 1e-3] = 0.5
    return x, rng.standard_normal(n).astype(np.float32)


class Arithmetic:
    """Binary and unary elementwise ops on float32 vectors."""

    params = ([True, False], [1_000, 1_000_000])
    param_names = ["jit", "n"]

    def setup(self, jit, n):
        set_jit(jit)
        x, g = _inputs(n)
        self.x = lucid.tensor(x, requires_grad=True)
        self.y = lucid.tensor(x[::-1].copy(), requires_grad=True)
        self.g = g
        self.time_mul_add_backward(jit, n)
        self.time_exp_backward(jit, n)

    def teardown(self, jit, n):
        reset_jit()

    def time_mul_add_forward(self, jit, n):
        self.x * self.y + 1.0

    def time_mul_add_backward(self, jit, n):
        self.x.grad = self.y.grad = None
        (self.x * self.y + 1.0).backward(self.g)

    def time_exp_backward(self, jit, n):
        self.x.grad = None
        self.x.exp().backward(self.g)

    def time_div_backward(self, jit, n):
        self.x.grad = self.y.grad = None
        (self.x / (self.y * self.y + 1.0)).backward(self.g)


class Activations:
    """Each activation's forward, and forward + backward with a random upstream gradient."""

    params = ([True, False], list(ACTIVATIONS), [16_384, 1_048_576])
    param_names = ["jit", "activation", "n"]

    def setup(self, jit, activation, n):
        set_jit(jit)
        x, self.g = _inputs(n)
        self.x = lucid.tensor(x, requires_grad=True)
        self.f = ACTIVATIONS[activation]
        self.time_backward(jit, activation, n)

    def teardown(self, jit, activation, n):
        reset_jit()

    def time_forward(self, jit, activation, n):
        with lucid.no_grad():
            self.f(self.x)

    def time_backward(self, jit, activation, n):
        self.x.grad = None
        self.f(self.x).backward(self.g)


class GeluLarge:
    """compare.py's W5: GELU (tanh form) on 4M elements, sum, backward; and its memory."""

    params = [True, False]
    param_names = ["jit"]

    def setup(self, jit):
        set_jit(jit)
        self.x = lucid.tensor(2 * _inputs(4 * 2**20)[0], requires_grad=True)
        self.time_gelu_tanh_sum_backward(jit)

    def teardown(self, jit):
        reset_jit()

    def time_gelu_tanh_sum_backward(self, jit):
        self.x.grad = None
        F.gelu(self.x, approximate="tanh").sum().backward()

    def peakmem_gelu_tanh_sum_backward(self, jit):
        self.x.grad = None
        F.gelu(self.x, approximate="tanh").sum().backward()
