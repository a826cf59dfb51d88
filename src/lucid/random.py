"""lucid.random: every random number Lucid draws comes from one seeded NumPy Generator.

``lucid.random.seed(0)`` (also ``manual_seed``, and ``lucid.manual_seed`` at top level) makes a
whole program reproducible: the samplers here, ``nn.init``, ``Dropout`` and ``DataLoader``
shuffling all draw from ``generator()``. Until seeded, the generator starts from fresh OS
entropy, as NumPy's ``default_rng()`` (PyTorch starts from a fixed seed instead). After
``seed(s)`` the stream is exactly that of ``np.random.default_rng(s)``. Floating-point samples
are float32 unless ``dtype=`` says otherwise, and are drawn in that dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid.ops.index import getitem
from lucid.ops.shape import size_arg
from lucid.tensor import Tensor, _dtype

__all__ = [
    "seed", "manual_seed", "generator", "randn", "rand", "randint", "uniform", "normal",
    "permutation", "randperm",
]  # fmt: skip

_generator = np.random.default_rng()


def seed(seed: int) -> None:
    """Reseed Lucid's generator in place, so code that kept ``generator()`` sees it too."""
    try:
        _generator.bit_generator.state = np.random.PCG64(int(seed)).state
    except (TypeError, ValueError) as exc:
        raise ValueError(f"seed: expected a non-negative int, got {seed!r} ({exc})") from None


manual_seed = seed


def generator() -> np.random.Generator:
    """The one ``np.random.Generator`` behind Lucid; draw from it, never from a private one."""
    return _generator


def _shape(op: str, size: Any) -> tuple[int, ...]:
    shape = size_arg(op, size)
    if any(n < 0 for n in shape):
        raise ValueError(f"{op}: sizes must not be negative, got {shape}")
    return shape


def _float_dtype(op: str, dtype: Any) -> np.dtype:
    dt = np.dtype(np.float32) if dtype is None else _dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{op}: dtype must be a floating-point dtype, got {dt}")
    return dt


def _floats(draw: Any, shape: tuple, dt: np.dtype) -> np.ndarray:
    """``draw(shape, dtype=dt)``; NumPy draws float32 and float64 only, so float16 is cast."""
    if dt in (np.float32, np.float64):
        return draw(shape, dtype=dt)
    return draw(shape, dtype=np.float32).astype(dt)


def _tensor(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(data)
    return t.requires_grad_(True) if requires_grad else t


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples of shape ``size`` (``randn(2, 3)`` or ``randn((2, 3))``)."""
    dt = _float_dtype("randn", dtype)
    return _tensor(_floats(_generator.standard_normal, _shape("randn", size), dt), requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples uniform in [0, 1) of shape ``size`` (varargs or a tuple)."""
    dt = _float_dtype("rand", dtype)
    return _tensor(_floats(_generator.random, _shape("rand", size), dt), requires_grad)


def randint(low: int, high: Any = None, size: Any = (), *, dtype: Any = None) -> Tensor:
    """Integers uniform in ``[low, high)``; with one bound, in ``[0, low)``. int64 by default.

    Reads NumPy's ``randint(low, high, size)``, PyTorch's ``randint(low, high, size)`` and
    PyTorch's two-argument ``randint(high, size)``.
    """
    if high is not None and not isinstance(high, (int, np.integer)):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if int(high) <= int(low):
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    dt = np.dtype(np.int64) if dtype is None else _dtype(dtype)
    shape = _shape("randint", (() if size is None else size,))
    return Tensor._wrap(_generator.integers(int(low), int(high), shape).astype(dt, copy=False))


def uniform(
    low: float = 0.0,
    high: float = 1.0,
    size: Any = (),
    *,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Samples uniform in ``[low, high)`` of shape ``size``, as NumPy's ``uniform``."""
    dt = _float_dtype("uniform", dtype)
    if not high >= low:
        raise ValueError(f"uniform: high ({high}) must not be below low ({low})")
    unit = _floats(_generator.random, _shape("uniform", (() if size is None else size,)), dt)
    return _tensor(unit * dt.type(high - low) + dt.type(low), requires_grad)


def normal(
    mean: Any = 0.0,
    std: Any = 1.0,
    size: Any = None,
    *,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Normal samples ``mean + std * z``; mean and std may be arrays or tensors (no gradient).

    ``size`` defaults to the broadcast shape of mean and std (NumPy's ``loc``, ``scale``).
    """
    dt = _float_dtype("normal", dtype)
    mean = np.asarray(mean._data if isinstance(mean, Tensor) else mean, dtype=dt)
    std = np.asarray(std._data if isinstance(std, Tensor) else std, dtype=dt)
    if (std < 0).any():
        raise ValueError("normal: std must not be negative")
    shape = np.broadcast_shapes(mean.shape, std.shape) if size is None else size
    z = _floats(_generator.standard_normal, _shape("normal", (shape,)), dt)
    try:
        return _tensor(z * std + mean, requires_grad)
    except ValueError:
        raise ValueError(
            f"normal: mean of shape {mean.shape} and std of shape {std.shape} do not broadcast "
            f"to size {tuple(shape)}"
        ) from None


def permutation(x: Any) -> Tensor:
    """``np.random.permutation``: an int n gives a random order of ``0..n-1`` (int64); a tensor
    or array gives its rows shuffled (differentiable, through indexing)."""
    if isinstance(x, (int, np.integer)):
        return randperm(int(x))
    t = x if isinstance(x, Tensor) else Tensor(x)
    if t.ndim == 0:
        raise ValueError("permutation: expected an int or a tensor of at least one axis")
    return getitem(t, _generator.permutation(len(t)))


def randperm(n: int, *, dtype: Any = None) -> Tensor:
    """``torch.randperm``: a random order of ``0..n-1``, int64 unless ``dtype`` says otherwise."""
    if int(n) < 0:
        raise ValueError(f"randperm: n must not be negative, got {n}")
    dt = np.dtype(np.int64) if dtype is None else _dtype(dtype)
    return Tensor._wrap(_generator.permutation(int(n)).astype(dt, copy=False))
