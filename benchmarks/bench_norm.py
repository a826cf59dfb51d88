"""asv: layer norm and batch norm, forward and forward + backward."""

import os

for _var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread, set before NumPy or Numba loads
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)  # in the benchmark process only, never in tests or CI

import numpy as np  # noqa: E402

import lucid  # noqa: E402
import lucid.nn as nn  # noqa: E402

from . import reset_jit, set_jit  # noqa: E402

# layer shapes: (module factory, input shape)
NORMS = {
    "LayerNorm(512) on (128,512)": (lambda: nn.LayerNorm(512), (128, 512)),
    "LayerNorm(256) on (32,128,256)": (lambda: nn.LayerNorm(256), (32, 128, 256)),
    "BatchNorm1d(256) on (128,256)": (lambda: nn.BatchNorm1d(256), (128, 256)),
    "BatchNorm2d(16) on (64,16,28,28)": (lambda: nn.BatchNorm2d(16), (64, 16, 28, 28)),
}


class Norms:
    """Each norm layer in training mode, with a random upstream gradient."""

    params = ([True, False], list(NORMS))
    param_names = ["jit", "layer"]

    def setup(self, jit, layer):
        set_jit(jit)
        make, shape = NORMS[layer]
        rng = np.random.default_rng(0)
        self.norm = make()
        self.x = lucid.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
        self.g = rng.standard_normal(shape).astype(np.float32)
        self.time_forward_backward(jit, layer)

    def teardown(self, jit, layer):
        reset_jit()

    def time_forward(self, jit, layer):
        with lucid.no_grad():
            self.norm(self.x)

    def time_forward_backward(self, jit, layer):
        self.x.grad = None
        self.norm.zero_grad()
        self.norm(self.x).backward(self.g)
