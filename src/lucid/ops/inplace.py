"""In-place ops on tensors outside the graph: ``add_``, ``mul_``, ``x += y`` and friends.

The graph does not record in-place changes, so they are refused (RuntimeError) where one
would corrupt a gradient: on a tensor that an op computed while recording (its op may have
saved its values), and on a leaf that requires grad while grad mode is on. Under ``no_grad``
a leaf may change, as optimizer steps and initialisers do. Every in-place op bumps
``x._version``; backward refuses to run an op whose saved input changed since its forward.
The tensor keeps its shape and dtype (a float32 tensor ``+=`` a float64 array stays float32).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lucid import _graph
from lucid._graph import is_grad_enabled, no_grad
from lucid.tensor import Tensor

__all__ = ["add_", "sub_", "mul_", "div_", "zero_", "fill_", "clamp_", "copy_", "masked_fill_"]

_SCALARS = (bool, int, float, np.bool_, np.number)


def check_writable(op: str, x: Any, value: Any = None) -> None:
    """Raise unless ``x`` may change in place (see the module docstring); ``value`` is what
    is written into it, which must not need a gradient either."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor to change in place, got {type(x).__name__}")
    if _graph._mode.tracer is not None:  # lucid.compile: in-place changes are not replayed
        _graph._mode.tracer.graph_break(f"in-place {op}", "in-place changes are not captured yet")
    if x.requires_grad and x._op is not None:
        raise RuntimeError(
            f"{op}: in-place change of a tensor computed by {type(x._op).__name__} while "
            "recording: Lucid's graph does not record in-place ops; write it out of place "
            "(y = y + z) or change a detach()ed copy"
        )
    if x.requires_grad and is_grad_enabled():
        raise RuntimeError(
            f"{op}: in-place change of a leaf tensor that requires grad; do it inside "
            "`with lucid.no_grad():` (as optimizers do) or on x.detach()"
        )
    if isinstance(value, Tensor) and value.requires_grad and is_grad_enabled():
        raise RuntimeError(
            f"{op}: the value written in place requires grad, but in-place ops are not "
            "recorded and its gradient would be lost; build the result out of place"
        )
    if not x._data.flags.writeable:
        raise RuntimeError(
            f"{op}: the tensor of shape {x.shape} is a read-only view (from broadcast_to or "
            "expand, whose elements share memory); clone() it first"
        )


def _operand(op: str, x: Tensor, other: Any) -> Any:
    """``other`` as an array (a Python scalar stays a scalar, so it computes in x's dtype),
    broadcastable to x's shape."""
    if isinstance(other, _SCALARS):
        return other
    o = other._data if isinstance(other, Tensor) else np.asarray(other)
    if o.dtype.kind not in "biuf":
        raise TypeError(f"{op}: expected numbers, got an array of dtype {o.dtype}")
    try:
        fits = np.broadcast_shapes(x.shape, o.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{op}: shape {o.shape} does not broadcast to the shape {x.shape} of the tensor "
            "changed in place"
        )
    return o


def _apply(op: str, ufunc: np.ufunc, x: Tensor, other: Any) -> Tensor:
    check_writable(op, x, other)
    o = _operand(op, x, other)
    try:
        ufunc(x._data, o, out=x._data, casting="same_kind")
    except TypeError:
        o_dtype = np.result_type(o) if not isinstance(o, _SCALARS) else type(o).__name__
        raise TypeError(
            f"{op}: the result of {x.dtype} and {o_dtype} cannot be stored in place in a "
            f"{x.dtype} tensor; cast first, e.g. x.float()"
        ) from None
    x._version += 1
    return x


def add_(x: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """``x += alpha * other`` in place (other broadcasts to x's shape); returns x."""
    return _apply("add_", np.add, x, other if alpha == 1 else _scaled(other, alpha))


def sub_(x: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """``x -= alpha * other`` in place; returns x."""
    return _apply("sub_", np.subtract, x, other if alpha == 1 else _scaled(other, alpha))


def _scaled(other: Any, alpha: Any) -> Any:
    """``alpha * other`` as an array, for the in-place updates (no graph is recorded)."""
    array = other._data if isinstance(other, Tensor) else np.asarray(other)
    return array * np.asarray(alpha, dtype=array.dtype if array.dtype.kind == "f" else None)


def mul_(x: Tensor, other: Any) -> Tensor:
    """``x *= other`` in place; returns x."""
    return _apply("mul_", np.multiply, x, other)


def div_(x: Tensor, other: Any) -> Tensor:
    """``x /= other`` in place (true division: TypeError on an integer tensor); returns x."""
    return _apply("div_", np.true_divide, x, other)


def fill_(x: Tensor, value: Any) -> Tensor:
    """Every element of x set to ``value`` (a number or a one-element tensor); returns x."""
    check_writable("fill_", x, value)
    v = value._data if isinstance(value, Tensor) else value
    if np.ndim(v) != 0:
        raise ValueError(f"fill_: value must be a number or a 0-d tensor, got shape {np.shape(v)}")
    x._data[...] = v
    x._version += 1
    return x


def zero_(x: Tensor) -> Tensor:
    """Every element of x set to 0; returns x."""
    return fill_(x, 0)


def clamp_(x: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - PyTorch's names
    """x limited to ``[min, max]`` in place (either bound may be None, not both); returns x."""
    if min is None and max is None:
        raise ValueError("clamp_: give min, max or both")
    check_writable("clamp_", x)
    lo = None if min is None else _operand("clamp_", x, min)
    hi = None if max is None else _operand("clamp_", x, max)
    try:
        np.clip(x._data, lo, hi, out=x._data, casting="same_kind")
    except TypeError:
        raise TypeError(f"clamp_: bounds {min!r}, {max!r} do not fit a {x.dtype} tensor") from None
    x._version += 1
    return x


def copy_(x: Tensor, src: Any) -> Tensor:
    """The values of ``src`` (broadcast to x's shape) copied into x, cast to x's dtype."""
    check_writable("copy_", x, src)
    s = _operand("copy_", x, src)
    np.copyto(x._data, s, casting="unsafe")
    x._version += 1
    return x


def apply_(op: str, x: Tensor, fn: Callable, *args: Any, **kwargs: Any) -> Tensor:
    """``x`` overwritten with ``fn(x, *args, **kwargs)``: the in-place twin of an out-of-place
    op (``exp_``, ``remainder_``, ``bitwise_and_`` ...). The result must keep x's shape, and
    fit its dtype (a float result in an integer tensor raises TypeError, as PyTorch)."""
    check_writable(op, x)
    for value in (*args, *kwargs.values()):
        if isinstance(value, Tensor):
            check_writable(op, x, value)
    with no_grad():
        result = fn(Tensor._wrap(x._data), *args, **kwargs)._data
    if result.shape != x.shape:
        raise ValueError(
            f"{op}: the result has shape {result.shape}, which does not fit the shape "
            f"{x.shape} of the tensor changed in place"
        )
    try:
        np.copyto(x._data, result, casting="same_kind")
    except TypeError:
        raise TypeError(
            f"{op}: the result of dtype {result.dtype} cannot be stored in place in a "
            f"{x.dtype} tensor; cast first, e.g. x.float()"
        ) from None
    x._version += 1
    return x


def masked_fill_(x: Tensor, mask: Any, value: Any) -> Tensor:
    """``value`` written into x where the bool ``mask`` (broadcast to x's shape) is true."""
    check_writable("masked_fill_", x, value)
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill_: mask must be a bool tensor, got {m.dtype}")
    v = value._data if isinstance(value, Tensor) else value
    if np.ndim(v) != 0:
        raise ValueError(
            f"masked_fill_: value must be a number or a 0-d tensor, got shape {np.shape(v)}"
        )
    try:
        m = np.broadcast_to(m, x.shape)
    except ValueError:
        raise ValueError(
            f"masked_fill_: mask of shape {m.shape} does not broadcast to the shape {x.shape} "
            "of the tensor changed in place"
        ) from None
    x._data[m] = v
    x._version += 1
    return x
