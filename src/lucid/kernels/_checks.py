"""Argument checks shared by the kernel wrappers (they raise; the compiled loops never check)."""

from __future__ import annotations

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def float_array(name: str, arg: str, a: np.ndarray) -> np.ndarray:
    """``a`` as an array, TypeError unless it is float32 or float64 (``name``: the kernel)."""
    a = np.asarray(a)
    if a.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name}: {arg} must be a float32 or float64 array, got {a.dtype}")
    return a
