"""asv: reductions, and reducing broadcast gradients to their inputs' shapes."""

import os

for _var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread, set before NumPy or Numba loads
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)  # in the benchmark process only, never in tests or CI

import numpy as np  # noqa: E402

import lucid  # noqa: E402
from lucid.kernels import broadcast  # noqa: E402

from . import reset_jit, set_jit  # noqa: E402

# (gradient shape, input shape): a bias over rows, a channel bias, a column, W4's operands.
REDUCTIONS = {
    "bias (128,256)->(256,)": ((128, 256), (256,)),
    "column (512,512)->(512,1)": ((512, 512), (512, 1)),
    "channel (32,16,28,28)->(16,1,1)": ((32, 16, 28, 28), (16, 1, 1)),
    "W4 b (256,512,64)->(512,1)": ((256, 512, 64), (512, 1)),
    "W4 c (256,512,64)->(64,)": ((256, 512, 64), (64,)),
}


class Reductions:
    """sum, mean, var, max, logsumexp of a (512, 512) float32 tensor, forward + backward."""

    params = ([True, False], ["sum", "mean", "var", "max", "logsumexp"], ["all", "0", "-1"])
    param_names = ["jit", "op", "axis"]

    def setup(self, jit, op, axis):
        set_jit(jit)
        rng = np.random.default_rng(0)
        self.x = lucid.tensor(
            rng.standard_normal((512, 512)).astype(np.float32), requires_grad=True
        )
        self.axis = None if axis == "all" else int(axis)
        if op == "logsumexp" and self.axis is None:
            self.axis = (0, 1)
        self.f = getattr(lucid, op)
        out_shape = self.f(self.x, axis=self.axis).shape
        self.g = rng.standard_normal(out_shape).astype(np.float32)
        self.time_backward(jit, op, axis)

    def teardown(self, jit, op, axis):
        reset_jit()

    def time_forward(self, jit, op, axis):
        with lucid.no_grad():
            self.f(self.x, axis=self.axis)

    def time_backward(self, jit, op, axis):
        self.x.grad = None
        self.f(self.x, axis=self.axis).backward(self.g)


class BroadcastGradient:
    """compare.py's W4, ``sum(a * b + c)`` with a (256, 512, 64) needing no grad, b (512, 1)
    and c (64,): the engine reduces two 8M-element gradients to their inputs' shapes."""

    params = [True, False]
    param_names = ["jit"]

    def setup(self, jit):
        set_jit(jit)
        rng = np.random.default_rng(0)
        self.a = lucid.tensor(rng.standard_normal((256, 512, 64)).astype(np.float32))
        self.b = lucid.tensor(rng.standard_normal((512, 1)).astype(np.float32), requires_grad=True)
        self.c = lucid.tensor(rng.standard_normal(64).astype(np.float32), requires_grad=True)
        self.time_sum_a_mul_b_plus_c_backward(jit)

    def teardown(self, jit):
        reset_jit()

    def time_sum_a_mul_b_plus_c_backward(self, jit):
        self.b.grad = self.c.grad = None
        (self.a * self.b + self.c).sum().backward()

    def peakmem_sum_a_mul_b_plus_c_backward(self, jit):
        self.b.grad = self.c.grad = None
        (self.a * self.b + self.c).sum().backward()


class ReduceToShape:
    """The kernel alone: ``reduce_to_shape`` and ``accumulate`` (reduce and add in place)."""

    params = ([True, False], list(REDUCTIONS))
    param_names = ["jit", "case"]

    def setup(self, jit, case):
        set_jit(jit)
        g_shape, self.shape = REDUCTIONS[case]
        self.g = np.random.default_rng(0).standard_normal(g_shape).astype(np.float32)
        self.buf = np.zeros(self.shape, np.float32)
        broadcast.reduce_to_shape(self.g, self.shape)
        broadcast.accumulate(self.buf, self.g)

    def teardown(self, jit, case):
        reset_jit()

    def time_reduce_to_shape(self, jit, case):
        broadcast.reduce_to_shape(self.g, self.shape)

    def time_accumulate(self, jit, case):
        broadcast.accumulate(self.buf, self.g)
