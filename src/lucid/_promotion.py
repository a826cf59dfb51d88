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

from typing import Any

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
    if a.dtype is b.dtype or a.dtype == b.dtype:  # ``is``: the common case, cheaply
        return a, b
    dt = result_type(a, b)
    return (a if a.dtype == dt else a.astype(dt)), (b if b.dtype == dt else b.astype(dt))


def promote_floating(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``promote``, then integers and bools to the default float (float-valued binary ops)."""
    a, b = promote(a, b)
    if a.dtype.kind != "f":
        a, b = floating(a), floating(b)
    return a, b


def scalar_dtype(value: Any, like: np.dtype) -> np.dtype:
    """The dtype a Python scalar takes beside a tensor of dtype ``like`` (PyTorch's "wrapped
    number" rule): the tensor's, unless the scalar is of a higher kind (a float beside an
    integer tensor gives the default float dtype; an int beside a bool tensor, int64)."""
    kind = like.kind
    if isinstance(value, (bool, np.bool_)):
        return like
    if isinstance(value, (int, np.integer)):
        return like if kind != "b" else np.dtype(np.int64)
    if isinstance(value, (float, np.floating)):
        return like if kind == "f" else _dtypes.get_default_dtype()
    raise TypeError(f"unsupported operand type {type(value).__name__}")


# --------------------------------------------------------------------------- public queries


def promote_types(type1: Any, type2: Any) -> np.dtype:
    """The dtype of a binary op on tensors of these dtypes (``torch.promote_types``)."""
    a, b = (np.empty(1, _dtypes.resolve(t)) for t in (type1, type2))
    return result_type(a, b)


def result_type_of(tensor1: Any, tensor2: Any) -> np.dtype:
    """The dtype ``tensor1 + tensor2`` would have (``torch.result_type``); either may be a
    Python number, which counts as a 0-d tensor (so it takes the other operand's dtype unless
    it is of a higher kind: a float beside integers gives the default float)."""
    from lucid.tensor import Tensor

    def as_array(v: Any) -> np.ndarray:
        if isinstance(v, Tensor):
            return v._data
        if isinstance(v, np.ndarray):
            return v
        if isinstance(v, (bool, np.bool_)):
            return np.zeros((), bool)
        if isinstance(v, (int, np.integer)):
            return np.zeros((), np.int64)
        return np.zeros((), _dtypes.get_default_dtype())

    if not isinstance(tensor1, Tensor) and not isinstance(tensor2, Tensor):
        raise TypeError("result_type: at least one argument must be a tensor")
    a, b = as_array(tensor1), as_array(tensor2)
    return result_type(a, b)


def can_cast(from_: Any, to: Any) -> bool:
    """Whether PyTorch's casting rules allow ``from_`` into ``to`` for in-place ops: never to a
    lower kind (float to integer, integer or float to bool)."""
    a, b = _dtypes.resolve(from_), _dtypes.resolve(to)
    return _CATEGORY[b.kind] >= _CATEGORY[a.kind]
