"""Guards: what a call must share with the traced one for its replay to be valid."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _graph
from lucid.tensor import Tensor

_PLAIN = (bool, int, float, complex, str, bytes, type(None), np.number, np.bool_)


def guard_key(args: tuple, kwargs: dict, modules: list) -> tuple[tuple, list]:
    """The call's key, and its tensor (and ndarray) arguments in order.

    Tensors count by shape, dtype and ``requires_grad`` (and which earlier argument is the same
    tensor), Python scalars and strings by value, anything else by identity; then grad mode
    and the train/eval flag of each of ``modules``.
    """
    tensors: list[Any] = []
    seen: dict[int, int] = {}

    def leaf(a: Any) -> Any:
        if isinstance(a, (Tensor, np.ndarray)):
            data = a._data if isinstance(a, Tensor) else a
            same = seen.setdefault(id(data), len(tensors))
            tensors.append(a)
            grad = a._requires_grad if isinstance(a, Tensor) else None
            return ("T", data.shape, data.dtype.char, grad, same)
        if isinstance(a, _PLAIN):
            return (type(a), a)
        if isinstance(a, (tuple, list)):
            return (type(a), tuple(leaf(x) for x in a))
        if isinstance(a, dict):
            return (dict, tuple((k, leaf(v)) for k, v in a.items()))
        return ("id", id(a))

    key = (
        _graph._mode.enabled,
        leaf(args),
        leaf(kwargs),
        tuple(m.training for m in modules),
    )
    return key, tensors


def param_state(tensors: list[Tensor]) -> tuple:
    """What a replay assumes of the tensors it reads live: their arrays' shape and dtype and
    whether they require grad."""
    return tuple((t._data.shape, t._data.dtype.char, t._requires_grad) for t in tensors)
