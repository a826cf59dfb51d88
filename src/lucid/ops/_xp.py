"""Array-or-tensor dispatch for gradient code: NumPy for ndarrays, the Lucid op for Tensors.

A gradient runs on ndarrays in a plain backward and on Tensors under ``create_graph=True``
(higher-order gradients), where NumPy functions would have to turn a Tensor into an array and
lose the graph. Operators and methods (``*``, ``reshape``, ``sum``) already work on both; the
functions here cover the rest. On arrays each is one ``isinstance`` check away from NumPy.
The op modules are imported at call time: they import this module themselves.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid.tensor import Tensor


def is_tensor(*values: Any) -> bool:
    """Whether any of ``values`` is a Tensor (the gradient is being recorded)."""
    return any(isinstance(v, Tensor) for v in values)


def data(x: Any) -> Any:
    """The array of a Tensor (for constants such as masks, never for a differentiated value)."""
    return x._data if isinstance(x, Tensor) else x


def where(cond: Any, a: Any, b: Any) -> Any:
    """``a`` where ``cond``, else ``b``; ``cond`` is read as a constant mask."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        from lucid.ops.elementwise import where as where_op

        return where_op(data(cond), a, b)
    return np.where(data(cond), a, b)


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    if isinstance(x, Tensor):
        from lucid.ops.shape import broadcast_to as broadcast_op

        return broadcast_op(x, shape)
    return np.broadcast_to(x, shape)


def moveaxis(x: Any, source: Any, destination: Any) -> Any:
    if isinstance(x, Tensor):
        from lucid.ops.shape import moveaxis as moveaxis_op

        return moveaxis_op(x, source, destination)
    return np.moveaxis(x, source, destination)


maximum = np.maximum  # a ufunc: on Tensors it runs lucid.maximum (Tensor.__array_ufunc__)


def clip(x: Any, lo: Any, hi: Any) -> Any:
    if isinstance(x, Tensor):
        from lucid.ops.elementwise import clip as clip_op

        return clip_op(x, lo, hi)
    return np.clip(x, lo, hi)


# NumPy's ufuncs themselves: on a Tensor, ``Tensor.__array_ufunc__`` runs Lucid's op of the
# same name (recorded), so one spelling serves arrays and Tensors.
exp = np.exp
log = np.log
sqrt = np.sqrt
sin = np.sin
cos = np.cos
sinh = np.sinh
cosh = np.cosh
tanh = np.tanh


def scatter_add(grad: Any, key: Any, shape: tuple[int, ...]) -> Any:
    """Zeros of ``shape`` with ``grad`` added at ``[key]`` (copies of an element add up): the
    adjoint of indexing, the gradient of every gather-like op. For a Tensor it is the
    ``Scatter`` op, so that the result is recorded; for an array, the same op's kernel."""
    from lucid.ops.index import Scatter

    op = Scatter(key, tuple(shape))
    if isinstance(grad, Tensor):
        return op(grad)
    op._plan()
    return op._scatter(grad)


def getitem(x: Any, key: Any) -> Any:
    """``x[key]`` (NumPy's or PyTorch's indexing as the engine plans it): the ``GetItem`` op
    for a Tensor, its picking kernel for an array."""
    from lucid.ops.index import GetItem

    op = GetItem(key)
    if isinstance(x, Tensor):
        return op(x)
    op._plan()
    return op._pick(x)


def through_float32(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` for an op whose kernels take float32/float64 only: float16
    tensor arguments run as float32 (recorded casts, so gradients flow back in float16) and a
    float result comes back as float16, PyTorch's result dtype (PyTorch also computes half
    precision in float32 on the CPU)."""
    from lucid.ops.elementwise import astype

    def widen(v: Any) -> Any:
        is_half = isinstance(v, Tensor) and v._data.dtype == np.float16
        return astype(v, np.float32) if is_half else v

    out = fn(*map(widen, args), **{k: widen(v) for k, v in kwargs.items()})
    return astype(out, np.float16) if out._data.dtype.kind == "f" else out


def is_half(x: Any) -> bool:
    """Whether ``x`` is a float16 tensor (the cue for ``through_float32``)."""
    return getattr(x, "dtype", None) == np.float16
