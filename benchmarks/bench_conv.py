"""asv: conv2d and max-pool forward and backward, and compare.py's W6 CNN training step."""

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

# (batch, in channels, height, width, out channels): W6's two convolutions, and a wider one.
CONVS = {
    "64x1x28x28->16": (64, 1, 28, 28, 16),
    "64x16x14x14->32": (64, 16, 14, 14, 32),
    "32x64x16x16->64": (32, 64, 16, 16, 64),
}
POOLS = {"64x16x28x28": (64, 16, 28, 28), "64x32x14x14": (64, 32, 14, 14)}


def _normal(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


class Conv2d:
    """3x3 convolution, padding 1, with bias: forward alone and forward + backward."""

    params = ([True, False], list(CONVS))
    param_names = ["jit", "case"]

    def setup(self, jit, case):
        set_jit(jit)
        n, c, h, w, k = CONVS[case]
        rng = np.random.default_rng(0)
        self.x = lucid.tensor(_normal(rng, n, c, h, w), requires_grad=True)
        self.conv = nn.Conv2d(c, k, 3, padding=1)
        self.g = _normal(rng, n, k, h, w)
        self.time_forward_backward(jit, case)

    def teardown(self, jit, case):
        reset_jit()

    def time_forward(self, jit, case):
        with lucid.no_grad():
            self.conv(self.x)

    def time_forward_backward(self, jit, case):
        self.x.grad = None
        self.conv.zero_grad()
        self.conv(self.x).backward(self.g)


class MaxPool2d:
    """2x2 max-pool, stride 2: forward alone and forward + backward."""

    params = ([True, False], list(POOLS))
    param_names = ["jit", "case"]

    def setup(self, jit, case):
        set_jit(jit)
        n, c, h, w = POOLS[case]
        rng = np.random.default_rng(0)
        self.x = lucid.tensor(_normal(rng, n, c, h, w), requires_grad=True)
        self.pool = nn.MaxPool2d(2)
        self.g = _normal(rng, n, c, h // 2, w // 2)
        self.time_forward_backward(jit, case)

    def teardown(self, jit, case):
        reset_jit()

    def time_forward(self, jit, case):
        with lucid.no_grad():
            self.pool(self.x)

    def time_forward_backward(self, jit, case):
        self.x.grad = None
        self.pool(self.x).backward(self.g)


def small_cnn():
    """W6's network: conv 1-16, ReLU, pool, conv 16-32, ReLU, pool, flatten, linear 1568-10."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(1568, 10),
    )


class CNNStep:
    """compare.py's W6: one SGD step of the small CNN on a (64, 1, 28, 28) batch."""

    params = [True, False]
    param_names = ["jit"]

    def setup(self, jit):
        set_jit(jit)
        lucid.manual_seed(0)
        rng = np.random.default_rng(0)
        self.model = small_cnn()
        self.opt = lucid.optim.SGD(self.model.parameters(), lr=0.01)
        self.x = lucid.tensor(_normal(rng, 64, 1, 28, 28))
        self.y = lucid.tensor(rng.integers(0, 10, 64))
        self.time_step(jit)

    def teardown(self, jit):
        reset_jit()

    def time_forward(self, jit):
        with lucid.no_grad():
            self.model(self.x)

    def time_step(self, jit):
        self.opt.zero_grad()
        F.cross_entropy(self.model(self.x), self.y).backward()
        self.opt.step()

    def peakmem_step(self, jit):
        self.time_step(jit)
