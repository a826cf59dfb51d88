"""Tensor creation: ``tensor`` from data, and constant-filled, range and random constructors.

Sizes are varargs or one sequence (``zeros(2, 3)`` or ``zeros((2, 3))``); the default dtype is
float32; ``requires_grad=True`` is for floating-point dtypes only (TypeError otherwise). The
random constructors live in ``lucid.random``; PyTorch's top-level names for them
(``manual_seed randn rand randint randperm``) are re-exported here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _dtypes
from lucid._device import check_device
from lucid.ops._args import sizes_keyword
from lucid.ops.shape import size_arg
from lucid.random import manual_seed, rand, randint, randn, randperm
from lucid.tensor import Tensor, _dtype

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "eye", "arange",
    "linspace",
    "zeros_like", "ones_like", "full_like", "empty_like", "new_tensor", "new_zeros", "new_ones",
    "new_full", "new_empty", "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor",
    "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor",
    "manual_seed", "randn", "rand", "randint", "randperm",
]  # fmt: skip


def tensor(
    data: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array or a tensor).

    Python floats give float32, ints int64 and bools bool; NumPy arrays keep their dtype;
    ``dtype=`` overrides. Only floating-point tensors may require grad (TypeError otherwise).
    """
    check_device("tensor", device)
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory with an array or tensor of that dtype (no copy)."""
    check_device("as_tensor", device)
    if isinstance(data, Tensor) and (dtype is None or _dtype(dtype) == data.dtype):
        return data
    if isinstance(data, np.ndarray):
        return Tensor._wrap(Tensor._to_array(data, dtype, copy=False))
    return Tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory (no copy) and dtype, as ``torch.from_numpy``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor._wrap(Tensor._to_array(array, None, copy=False))


def _new(op: str, data: np.ndarray, device: Any, requires_grad: bool) -> Tensor:
    check_device(op, device)
    t = Tensor._wrap(data)
    return t.requires_grad_(True) if requires_grad else t


def _shape(op: str, size: tuple) -> tuple[int, ...]:
    shape = size_arg(op, size)
    if any(n < 0 for n in shape):
        raise ValueError(f"{op}: sizes must not be negative, got {shape}")
    return shape


def _dtype_or(dtype: Any, default: np.dtype | None = None) -> np.dtype:
    """``dtype``, or ``default``, or the default float dtype (``lucid.get_default_dtype()``)."""
    if dtype is not None:
        return _dtype(dtype)
    return _dtypes.get_default_dtype() if default is None else default


def zeros(
    *size: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    **kwargs: Any,
) -> Tensor:
    """A tensor of zeros of shape ``size``, float32 unless ``dtype`` says otherwise."""
    return _new(
        "zeros",
        np.zeros(_shape("zeros", sizes_keyword("zeros", size, kwargs)), _dtype_or(dtype)),
        device,
        requires_grad,
    )


def ones(
    *size: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    **kwargs: Any,
) -> Tensor:
    """A tensor of ones of shape ``size``, float32 unless ``dtype`` says otherwise."""
    return _new(
        "ones",
        np.ones(_shape("ones", sizes_keyword("ones", size, kwargs)), _dtype_or(dtype)),
        device,
        requires_grad,
    )


def empty(
    *size: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    **kwargs: Any,
) -> Tensor:
    """An uninitialised tensor of shape ``size`` (its values are whatever memory held)."""
    return _new(
        "empty",
        np.empty(_shape("empty", sizes_keyword("empty", size, kwargs)), _dtype_or(dtype)),
        device,
        requires_grad,
    )


def full(
    size: Any, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value``.

    The dtype follows ``fill_value`` by ``lucid.tensor``'s rule (a float gives float32, an
    int int64, a bool bool), as in PyTorch, unless ``dtype`` is given.
    """
    value = Tensor._to_array(fill_value, dtype, copy=False)
    if value.ndim:
        raise ValueError(f"full: fill_value must be a number, got shape {value.shape}")
    return _new(
        "full", np.full(_shape("full", (size,)), value, value.dtype), device, requires_grad
    )


def eye(
    n: int,
    m: int | None = None,
    *,
    k: int = 0,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """An ``n x m`` (default ``n x n``) tensor with ones on diagonal ``k`` and zeros elsewhere."""
    if n < 0 or (m is not None and m < 0):
        raise ValueError(f"eye: sizes must not be negative, got {n}, {m}")
    return _new("eye", np.eye(n, m, k, dtype=_dtype_or(dtype)), device, requires_grad)


def _like(op: str, x: Any, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:
    a = Tensor._to_array(x, None, copy=False)
    return a.shape, _dtype_or(dtype, a.dtype)


def zeros_like(
    x: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Zeros of x's shape and (unless ``dtype`` is given) dtype."""
    shape, dt = _like("zeros_like", x, dtype)
    return _new("zeros_like", np.zeros(shape, dt), device, requires_grad)


def ones_like(
    x: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Ones of x's shape and (unless ``dtype`` is given) dtype."""
    shape, dt = _like("ones_like", x, dtype)
    return _new("ones_like", np.ones(shape, dt), device, requires_grad)


def empty_like(
    x: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """An uninitialised tensor of x's shape and (unless ``dtype`` is given) dtype."""
    shape, dt = _like("empty_like", x, dtype)
    return _new("empty_like", np.empty(shape, dt), device, requires_grad)


def full_like(
    x: Any, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """``fill_value`` in x's shape and (unless ``dtype`` is given) x's dtype."""
    shape, dt = _like("full_like", x, dtype)
    return _new("full_like", np.full(shape, fill_value, dt), device, requires_grad)


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def arange(
    start: Any,
    stop: Any = None,
    step: Any = 1,
    *,
    end: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``start, start + step, ...`` below ``stop``; ``arange(n)`` is ``0 .. n-1``.

    All-int arguments give int64 and any float one float32 (PyTorch's rule; NumPy would give
    float64). The values are computed in float64 and then cast. ``end`` is PyTorch's ``stop``.
    """
    if end is not None:
        stop = end
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ValueError("arange: step must not be zero")
    if dtype is None:
        dt = (
            np.dtype(np.int64)
            if all(map(_is_int, (start, stop, step)))
            else _dtypes.get_default_dtype()
        )
    else:
        dt = _dtype(dtype)
    values = np.arange(start, stop, step, dtype=np.int64 if dt.kind in "iu" else np.float64)
    return _new("arange", values.astype(dt, copy=False), device, requires_grad)


def linspace(
    start: float,
    stop: float | None = None,
    num: int = 50,
    endpoint: bool = True,
    *,
    end: float | None = None,
    steps: int | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` (included unless not
    ``endpoint``), float32 by default; ``end``/``steps`` are PyTorch's names."""
    stop = end if end is not None else stop
    num = steps if steps is not None else num
    if stop is None:
        raise TypeError("linspace: missing stop (end)")
    if int(num) < 0:
        raise ValueError(f"linspace: num must not be negative, got {num}")
    values = np.linspace(start, stop, int(num), endpoint=endpoint, dtype=np.float64)
    return _new("linspace", values.astype(_dtype_or(dtype), copy=False), device, requires_grad)


# Tensor.new_*: a new tensor with x's dtype (unless given), not x's shape (PyTorch's methods).


def new_tensor(
    x: Tensor, data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A copy of ``data`` as a tensor of x's dtype (unless ``dtype`` is given)."""
    check_device("new_tensor", device)
    return Tensor(data, dtype=x.dtype if dtype is None else dtype, requires_grad=requires_grad)


def new_zeros(
    x: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Zeros of shape ``size`` in x's dtype (unless ``dtype`` is given)."""
    return zeros(
        *size, dtype=_dtype_or(dtype, x.dtype), device=device, requires_grad=requires_grad
    )


def new_ones(
    x: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Ones of shape ``size`` in x's dtype (unless ``dtype`` is given)."""
    return ones(*size, dtype=_dtype_or(dtype, x.dtype), device=device, requires_grad=requires_grad)


def new_empty(
    x: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """An uninitialised tensor of shape ``size`` in x's dtype (unless ``dtype`` is given)."""
    return empty(
        *size, dtype=_dtype_or(dtype, x.dtype), device=device, requires_grad=requires_grad
    )


def new_full(
    x: Tensor,
    size: Any,
    fill_value: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``fill_value`` in shape ``size`` and x's dtype (unless ``dtype`` is given)."""
    dt = _dtype_or(dtype, x.dtype)
    return full(size, fill_value, dtype=dt, device=device, requires_grad=requires_grad)


# PyTorch's legacy tensor types: ``FloatTensor(2, 3)`` (uninitialised, of that shape),
# ``LongTensor([1, 2])`` (from data), ``isinstance(x, FloatTensor)``, ``x.type(LongTensor)``.


class _LegacyType(type):
    """The metaclass of the legacy types: calling one makes a tensor of its dtype, and
    ``isinstance`` checks a Tensor's dtype."""

    _lucid_dtype: np.dtype

    def __call__(cls, *args: Any) -> Tensor:
        if args and all(isinstance(a, (int, np.integer)) for a in args):
            return empty(*args, dtype=cls._lucid_dtype)
        if len(args) > 1:
            raise TypeError(f"{cls.__name__}: expected sizes (ints) or one sequence of data")
        return Tensor(args[0] if args else [], dtype=cls._lucid_dtype)

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls._lucid_dtype


def _legacy(name: str, dtype: Any) -> type:
    return _LegacyType(name, (), {"_lucid_dtype": np.dtype(dtype), "__module__": "lucid"})


FloatTensor = _legacy("FloatTensor", np.float32)
DoubleTensor = _legacy("DoubleTensor", np.float64)
HalfTensor = _legacy("HalfTensor", np.float16)
LongTensor = _legacy("LongTensor", np.int64)
IntTensor = _legacy("IntTensor", np.int32)
ShortTensor = _legacy("ShortTensor", np.int16)
CharTensor = _legacy("CharTensor", np.int8)
ByteTensor = _legacy("ByteTensor", np.uint8)
BoolTensor = _legacy("BoolTensor", np.bool_)
