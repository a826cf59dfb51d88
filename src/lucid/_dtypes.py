"""Dtype names (PyTorch's and NumPy's), the default float dtype, ``finfo``/``iinfo``.

Lucid's dtypes are NumPy's scalar types: ``lucid.float32 is np.float32`` and ``x.dtype ==
lucid.float32`` holds for a ``np.dtype``. PyTorch's spellings (``lucid.float``, ``lucid.long``,
``lucid.half``, ...) name the same types. NumPy has no bfloat16, so ``lucid.bfloat16`` is a
placeholder that raises TypeError wherever it is used as a dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

float16 = half = np.float16
float32 = np.float32
float64 = double = np.float64
int8 = np.int8
int16 = short = np.int16
int32 = np.int32
int64 = long = np.int64
uint8 = np.uint8
bool_ = np.bool_

SUPPORTED_KINDS = "biuf"  # bool, signed and unsigned integers, floats


class _Unsupported:
    """A dtype name PyTorch has and NumPy has not: using it raises TypeError naming it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"lucid.{self.name}"

    def error(self) -> TypeError:
        return TypeError(
            f"{self.name} is not supported: Lucid computes with NumPy, which has no "
            f"{self.name}; use lucid.float32 (or lucid.float16)"
        )


bfloat16 = _Unsupported("bfloat16")
_UNSUPPORTED_NAMES = {"bfloat16": bfloat16, "torch.bfloat16": bfloat16}

# PyTorch's names for dtypes (as strings), NumPy's are understood by np.dtype itself.
_NAMES = {
    "float": float32, "double": float64, "half": float16, "long": int64, "int": int32,
    "short": int16, "bool": bool_,
}  # fmt: skip

# Tensor.type() names, as PyTorch's legacy tensor types.
_TYPE_NAMES = {
    np.dtype(float16): "HalfTensor", np.dtype(float32): "FloatTensor",
    np.dtype(float64): "DoubleTensor", np.dtype(int8): "CharTensor",
    np.dtype(int16): "ShortTensor", np.dtype(int32): "IntTensor",
    np.dtype(int64): "LongTensor", np.dtype(uint8): "ByteTensor", np.dtype(bool_): "BoolTensor",
}  # fmt: skip
_BY_TYPE_NAME = {name: dt for dt, name in _TYPE_NAMES.items()}

_default_float = np.dtype(np.float32)


def resolve(dtype: Any) -> np.dtype:
    """A NumPy dtype from a Lucid/NumPy dtype or a name ('float32', 'float', 'long',
    'torch.FloatTensor', ...); TypeError for anything a tensor cannot hold."""
    if isinstance(dtype, _Unsupported):
        raise dtype.error()
    legacy = getattr(dtype, "_lucid_dtype", None)  # lucid.FloatTensor and the other old types
    if legacy is not None:
        return legacy
    if isinstance(dtype, str):
        if dtype in _UNSUPPORTED_NAMES:
            raise _UNSUPPORTED_NAMES[dtype].error()
        if ".cuda." in dtype:  # 'torch.cuda.FloatTensor'
            raise RuntimeError(f"{dtype} is a CUDA tensor type: Lucid runs on the CPU only")
        name = dtype.rsplit(".", 1)[-1]
        if name in _BY_TYPE_NAME:
            return _BY_TYPE_NAME[name]
        dtype = _NAMES.get(name, name)
    try:
        result = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"unknown dtype {dtype!r}") from exc
    if result.kind not in SUPPORTED_KINDS:
        raise TypeError(f"unsupported dtype {result}: Lucid tensors hold bools, ints and floats")
    return result


def type_name(dtype: np.dtype) -> str:
    """PyTorch's legacy type string for a dtype: 'lucid.FloatTensor', 'lucid.LongTensor', ..."""
    return f"lucid.{_TYPE_NAMES[np.dtype(dtype)]}"


def get_default_dtype() -> np.dtype:
    """The dtype of Python floats in new tensors and of float factories (float32 to start)."""
    return _default_float


def set_default_dtype(dtype: Any) -> None:
    """Make ``dtype`` (float16, float32 or float64) the default float dtype, as PyTorch's."""
    global _default_float
    dt = resolve(dtype)
    if dt.kind != "f":
        raise TypeError(
            f"set_default_dtype: only floating-point dtypes can be the default, got {dt}"
        )
    _default_float = dt


def is_floating_point(x: Any) -> bool:
    """Whether ``x`` (a tensor or array) has a floating-point dtype."""
    return np.dtype(x.dtype).kind == "f"


class finfo:  # noqa: N801 - PyTorch's name
    """Machine limits of a float dtype, as Python numbers (``bits eps max min tiny
    smallest_normal resolution dtype``); the default float dtype when none is given."""

    def __init__(self, dtype: Any = None) -> None:
        dt = _default_float if dtype is None else resolve(dtype)
        if dt.kind != "f":
            raise TypeError(f"finfo: expected a floating-point dtype, got {dt}; use iinfo")
        info = np.finfo(dt)
        self.bits = int(info.bits)
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = dt.name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution}, min={self.min}, max={self.max}, "
            f"eps={self.eps}, smallest_normal={self.smallest_normal}, dtype={self.dtype})"
        )


class iinfo:  # noqa: N801 - PyTorch's name
    """Limits of an integer dtype, as Python ints (``bits max min dtype``)."""

    def __init__(self, dtype: Any) -> None:
        dt = resolve(dtype)
        if dt.kind not in "iu":
            raise TypeError(f"iinfo: expected an integer dtype, got {dt}; use finfo")
        info = np.iinfo(dt)
        self.bits, self.min, self.max, self.dtype = (
            int(info.bits),
            int(info.min),
            int(info.max),
            dt.name,
        )

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
