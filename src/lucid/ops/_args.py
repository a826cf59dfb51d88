"""Argument normalisation shared by the op families: axes, shapes and PyTorch's aliases."""

from __future__ import annotations

from typing import Any


def normalize_axis(axis: int, ndim: int, op: str) -> int:
    """``axis`` as a non-negative int; IndexError naming it and ``ndim`` when out of range."""
    n = max(ndim, 1)  # a 0-d tensor accepts axis 0 and -1, as in PyTorch
    if not -n <= axis < n:
        raise IndexError(f"{op}: axis {axis} is out of range for a tensor of {ndim} dimensions")
    return axis % n


def normalize_axes(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``axis`` (None, an int or a sequence of ints) as a sorted tuple of distinct axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int) or hasattr(axis, "__index__"):
        axis = (int(axis),)
    axes = tuple(normalize_axis(int(a), ndim, op) for a in axis)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: axis {tuple(axis)} repeats an axis")
    return tuple(sorted(axes)) if ndim else ()


def pick(op: str, value: Any, alias: Any, name: str, alias_name: str, default: Any) -> Any:
    """One of a NumPy-named and a PyTorch-named keyword (``axis``/``dim``), not both."""
    if value is not None and alias is not None:
        raise TypeError(f"{op}: pass {name} or {alias_name}, not both")
    if value is not None:
        return value
    return alias if alias is not None else default


def shape_arg(shape: tuple) -> tuple[int, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` both mean the shape (2, 3)."""
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def sizes_keyword(op: str, size: tuple, kwargs: dict) -> tuple:
    """A factory's sizes, positional (``zeros(2, 3)``) or PyTorch's ``size=`` keyword, not both.

    PyTorch's ``layout``, ``pin_memory`` and ``memory_format`` keywords are accepted and mean
    nothing here (strided CPU tensors only); ``out=`` raises NotImplementedError.
    """
    if kwargs.pop("out", None) is not None:
        raise NotImplementedError(f"{op}: out= is not supported; assign the result instead")
    for ignored in ("layout", "pin_memory", "memory_format"):
        kwargs.pop(ignored, None)
    if "size" in kwargs:
        if size:
            raise TypeError(f"{op}: give the sizes positionally or as size=, not both")
        size = (kwargs.pop("size"),)
    if kwargs:
        raise TypeError(f"{op}: unexpected keyword arguments {sorted(kwargs)}")
    return size
