"""Kernel-test fixtures: watching or forbidding the compiled loops, and central differences."""

from collections.abc import Callable
from types import ModuleType

import numpy as np
import pytest

from lucid.kernels import _jit


@pytest.fixture
def spy(monkeypatch) -> Callable[[ModuleType, str], list]:
    """``spy(module, name)``: a list that grows by ``name`` at each call of ``module.<name>``.

    The kernel wrappers look their loops up at call time, so they call the counting stand-in.
    """

    def install(module: ModuleType, name: str) -> list:
        calls = []
        kernel = getattr(module, name)

        def counted(*args):
            calls.append(name)
            return kernel(*args)

        monkeypatch.setattr(module, name, counted)
        return calls

    return install


@pytest.fixture
def forbid_jit(monkeypatch) -> Callable[..., None]:
    """JIT switched off; ``forbid_jit(module, *names)`` makes those kernels fail if called."""
    monkeypatch.setattr(_jit, "JIT_ENABLED", False)

    def forbid(module: ModuleType, *names: str) -> None:
        for name in names:

            def refuse(*args, name=name):
                raise AssertionError(f"{name} called with JIT disabled")

            monkeypatch.setattr(module, name, refuse)

    return forbid


def _central_differences(f: Callable[[], float], a: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """d f() / d a by central differences, perturbing each element of ``a`` in place."""
    out = np.empty_like(a)
    flat, g = a.reshape(-1), out.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + h
        up = f()
        flat[i] = keep - h
        down = f()
        flat[i] = keep
        g[i] = (up - down) / (2 * h)
    return out


@pytest.fixture
def numeric_gradient() -> Callable[..., np.ndarray]:
    """``numeric_gradient(f, a)``: central differences of the scalar ``f()`` at each element of
    ``a`` (a contiguous array that ``f`` reads; perturbed in place and restored)."""
    return _central_differences
