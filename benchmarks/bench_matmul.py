"""asv: matrix products forward and backward, beside the NumPy products they cannot avoid."""

import os

for _var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread, set before NumPy or Numba loads
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)  # in the benchmark process only, never in tests or CI

import numpy as np  # noqa: E402

import lucid  # noqa: E402
import lucid.nn.functional as F  # noqa: E402

from . import reset_jit, set_jit  # noqa: E402


def _normal(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


class Matmul:
    """(n, n) @ (n, n); ``numpy_floor`` is the three products forward + backward must do
    (compare.py's W8 at n = 1024, where Lucid should be within 5% of it)."""

    params = ([True, False], [64, 256, 1024])
    param_names = ["jit", "n"]

    def setup(self, jit, n):
        set_jit(jit)
        rng = np.random.default_rng(0)
        self.a_np, self.b_np, self.g = (_normal(rng, n, n) for _ in range(3))
        self.a = lucid.tensor(self.a_np, requires_grad=True)
        self.b = lucid.tensor(self.b_np, requires_grad=True)
        self.time_forward_backward(jit, n)

    def teardown(self, jit, n):
        reset_jit()

    def time_forward(self, jit, n):
        with lucid.no_grad():
            self.a @ self.b

    def time_forward_backward(self, jit, n):
        self.a.grad = self.b.grad = None
        (self.a @ self.b).backward(self.g)

    def time_numpy_floor(self, jit, n):
        # the results stay alive together, as a step's output and two gradients do
        y = self.a_np @ self.b_np
        grad_a = self.g @ self.b_np.T
        grad_b = self.a_np.T @ self.g
        return y, grad_a, grad_b


class BatchedMatmul:
    """Attention-shaped products: (32, 128, 64) @ (32, 64, 128), and against a shared matrix
    (64, 128, 64) @ (64, 64), whose gradient sums over the batch."""

    params = ([True, False], ["batched", "shared_rhs"])
    param_names = ["jit", "case"]

    def setup(self, jit, case):
        set_jit(jit)
        rng = np.random.default_rng(0)
        if case == "batched":
            a, b = _normal(rng, 32, 128, 64), _normal(rng, 32, 64, 128)
        else:
            a, b = _normal(rng, 64, 128, 64), _normal(rng, 64, 64)
        self.a = lucid.tensor(a, requires_grad=True)
        self.b = lucid.tensor(b, requires_grad=True)
        self.g = _normal(rng, *np.matmul(a, b).shape)
        self.time_forward_backward(jit, case)

    def teardown(self, jit, case):
        reset_jit()

    def time_forward_backward(self, jit, case):
        self.a.grad = self.b.grad = None
        (self.a @ self.b).backward(self.g)


class Linear:
    """``F.linear`` of a (128, 784) batch with a (256, 784) weight and a bias."""

    params = [True, False]
    param_names = ["jit"]

    def setup(self, jit):
        set_jit(jit)
        rng = np.random.default_rng(0)
        self.x = lucid.tensor(_normal(rng, 128, 784))
        self.w = lucid.tensor(_normal(rng, 256, 784) / 28, requires_grad=True)
        self.bias = lucid.tensor(_normal(rng, 256), requires_grad=True)
        self.g = _normal(rng, 128, 256)
        self.time_forward_backward(jit)

    def teardown(self, jit):
        reset_jit()

    def time_forward_backward(self, jit):
        self.w.grad = self.bias.grad = None
        F.linear(self.x, self.w, self.bias).backward(self.g)
