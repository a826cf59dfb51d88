"""PyTorch's dtype promotion, in one place, for every op family.

- A float-valued op (exp, sigmoid, mean, erf ...) on integers or bools computes in the default
  float dtype (float32 unless ``lucid.set_default_dtype`` says otherwise); float16, float32 and
  float64 keep their dtype (``floating``).
- Two operands of different categories (bool < integer < float) give the dtype of the higher
  one: int64 with float32 is float32 (NumPy would say float64). Of one category, a tensor with
  dimensions wins over a 0-d one (float16 ``x + lucid.tensor(1.0, dtype=float64)`` stays
  float16), else NumPy's ``result_type`` (float16 with float32 is float32) (``promote``).
- A Python scalar beside a tensor takes the tensor's dtype, and ``int tensor + 0.5`` is
  float32; that part is done where scalars become arrays, in ``lucid._graph``.

The Numba kernels take float32 and float64 only: ``kernel_float`` is float16 widened to
float32 for them; the ops cast the result back, so the result dtype is PyTorch's.
"""

from __future__ import annotations

import numpy as np

from lucid import _dtypes

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def floating(x: np.ndarray) -> np.ndarray:
    """``x`` itself when floating point, else ``x`` in the default float dtype."""
    return x if x.dtype.kind == "f" else x.astype(_dtypes.get_default_dtype())


def kernel_float(x: np.ndarray) -> np.ndarray:
    """``floating(x)``, with float16 widened to float32 (what the kernels accept)."""
    x = floating(x)
    return x.astype(np.float32) if x.dtype == np.float16 else x


def result_type(a: np.ndarray, b: np.ndarray) -> np.dtype:
    """The dtype PyTorch gives a binary op on ``a`` and ``b`` (arrays or 0-d arrays)."""
    ca, cb = _CATEGORY[a.dtype.kind], _CATEGORY[b.dtype.kind]
    if ca != cb:
        return a.dtype if ca > cb else b.dtype
    if a.dtype == b.dtype:
        return a.dtype
    if (a.ndim == 0) != (b.ndim == 0):
        return b.dtype if a.ndim == 0 else a.dtype
    return np.result_type(a.dtype, b.dtype)


def promote(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a`` and ``b`` cast (only where needed) to their ``result_type``."""
    if a.dtype == b.dtype:
        return a, b
    dt = result_type(a, b)
    return (a if a.dtype == dt else a.astype(dt)), (b if b.dtype == dt else b.astype(dt))


def promote_floating(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``promote``, then integers and bools to the default float (float-valued binary ops)."""
    a, b = promote(a, b)
    if a.dtype.kind != "f":
        a, b = floating(a), floating(b)
    return a, b
