"""asv: recurrent layers (LSTM, GRU, RNN), forward and a training step's forward + backward."""

import os

for _var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread, set before NumPy or Numba loads
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)  # in the benchmark process only, never in tests or CI

import numpy as np  # noqa: E402

import lucid  # noqa: E402
import lucid.nn as nn  # noqa: E402

from . import reset_jit, set_jit  # noqa: E402

# (layer factory, input shape (L, N, in)); the first two are compare.py's LSTM and GRU rows
LAYERS = {
    "LSTM(64,128) L32 b32": (lambda: nn.LSTM(64, 128), (32, 32, 64)),
    "GRU(64,128) L32 b32": (lambda: nn.GRU(64, 128), (32, 32, 64)),
    "RNN(64,128) L32 b32": (lambda: nn.RNN(64, 128), (32, 32, 64)),
    "LSTM(32,64) 2 layers bidir L64 b16": (
        lambda: nn.LSTM(32, 64, num_layers=2, bidirectional=True),
        (64, 16, 32),
    ),
}


class Recurrent:
    """Each layer in training mode, with a random upstream gradient on its outputs."""

    params = ([True, False], list(LAYERS))
    param_names = ["jit", "layer"]

    def setup(self, jit, layer):
        set_jit(jit)
        make, shape = LAYERS[layer]
        rng = np.random.default_rng(0)
        self.layer = make()
        self.x = lucid.tensor(rng.standard_normal(shape).astype(np.float32))
        out_shape = (*shape[:2], self.layer(self.x)[0].shape[-1])
        self.g = rng.standard_normal(out_shape).astype(np.float32)
        self.time_forward_backward(jit, layer)

    def teardown(self, jit, layer):
        reset_jit()

    def time_forward(self, jit, layer):
        with lucid.no_grad():
            self.layer(self.x)

    def time_forward_backward(self, jit, layer):
        self.layer.zero_grad()
        self.layer(self.x)[0].backward(self.g)
