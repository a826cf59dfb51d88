"""``lucid.precompile()``: compile the common Numba kernels now, filling numba's disk cache."""

from __future__ import annotations

import time

import numpy as np


def precompile(verbose: bool = False) -> float:
    """Run one small training step of a CNN and an MLP in float32 and float64, with SGD and
    Adam, at sizes above the kernels' JIT crossovers, and an LSTM and a GRU; returns the
    seconds it took.

    Numba compiles a kernel for each argument type on its first call and caches the result on
    disk (``cache=True``), so later processes start fast. Nothing is compiled at import.
    """
    import lucid
    import lucid.nn as nn
    import lucid.nn.functional as F

    started = time.perf_counter()
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        model = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(8 * 14 * 14, 64), nn.GELU(), nn.LayerNorm(64),
            nn.Linear(64, 10),
        ).to(dtype)  # fmt: skip
        x = lucid.tensor(rng.random((32, 1, 28, 28)).astype(dtype))
        y = lucid.tensor(rng.integers(0, 10, 32))
        for optimizer in (lucid.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                          lucid.optim.Adam(model.parameters())):  # fmt: skip
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        for recurrent in (nn.LSTM, nn.GRU):  # the cell loops of kernels.rnn
            layer = recurrent(4, 8).to(dtype)
            out = layer(lucid.tensor(rng.random((3, 2, 4)).astype(dtype)))[0]
            out.backward(rng.random(out.shape).astype(dtype))
    seconds = time.perf_counter() - started
    if verbose:
        print(f"lucid.precompile: {seconds:.1f} s")
    return seconds
