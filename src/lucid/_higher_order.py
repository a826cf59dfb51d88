"""create_graph: a backward pass whose gradient computations are recorded as ops themselves.

Each op's gradient runs on Tensors: the values it declared with ``save_for_backward`` come back
as the input and result Tensors (``_saved_as_tensors``), so what the gradient computes is
recorded and can be differentiated again. Ops that still stash attributes are served by
``_tensor_view`` until they declare their saved values.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from lucid import _anomaly, _graph
from lucid._graph import _mode, _Pass, _result, _take_gradients, _wake, operation, unary_func_op
from lucid.kernels.broadcast import reduce_to_shape


def _tensor_view(op: operation, outputs: list) -> operation:
    """A shallow copy of ``op`` whose saved input and output arrays are the Tensors again.

    Forward stashes the very arrays its inputs hold (``self.x = x``) and the very array it
    returns (``self.out = out``): matching them by identity gives the gradient code Tensors
    to compute with, so the gradient is itself recorded. Other saved arrays (masks, indices)
    stay constants.
    """
    view = copy.copy(op)
    known = [(t._data, t) for t in op.parents if t is not _graph._CONSTANT]
    known += [(t._data, t) for t in outputs if t is not None]
    for name, value in vars(view).items():
        if isinstance(value, np.ndarray):
            for array, t in known:
                if value is array:
                    setattr(view, name, t)
                    break
    return view


def _saved_as_tensors(op: operation, outputs: list) -> tuple:
    """The op's declared saved values for a recorded gradient: inputs and results as their
    Tensors, integer and bool arrays (masks, indices) and non-arrays as they are."""
    values = []
    for i, (v, source) in enumerate(zip(op._saved, op._sources, strict=True)):
        if source is None:
            if isinstance(v, np.ndarray) and v.dtype.kind == "f":
                raise RuntimeError(
                    f"{type(op).__name__} cannot be differentiated twice: saved value {i} "
                    f"(shape {v.shape}, {v.dtype}) is neither an input nor a result of the op, "
                    "so its dependence on the inputs is unknown; save the input or result "
                    "itself and compute the value in gradient"
                )
            values.append(v)
        elif source >= 0:
            t = op.parents[source]
            values.append(_result(v) if t is _graph._CONSTANT else t)
        else:
            t = outputs[-1 - source]
            if t is None:
                raise RuntimeError(
                    f"{type(op).__name__} cannot be differentiated twice: its result "
                    f"{-1 - source} was saved but no gradient reached it"
                )
            values.append(t)
    return tuple(values)


def graph_step(op: operation, pass_: _Pass) -> None:
    """``_array_step`` for create_graph: gradients are Tensors and their ops are recorded."""
    name = type(op).__name__
    if not getattr(op, "double_backward", True):
        raise RuntimeError(f"{name} cannot be differentiated twice (create_graph=True)")
    outputs = pass_.outs.pop(op)
    grad_in = _take_gradients(op, pass_, lambda shape, dtype: _result(np.zeros(shape, dtype)))
    previous, previous_saved = _mode.graph_op, _mode.saved
    _mode.graph_op = name
    try:
        if "_sources" in op.__dict__:
            _mode.saved = (op, _saved_as_tensors(op, outputs))
            grads = op.gradient(grad_in)
        else:
            grads = _tensor_view(op, outputs).gradient(grad_in)
    except TypeError as exc:  # a NumPy ufunc with no Lucid op met a Tensor needing grad
        raise RuntimeError(f"{name} cannot be differentiated twice: {exc}") from exc
    finally:
        _mode.graph_op, _mode.saved = previous, previous_saved
    parents = op.parents
    if len(parents) == 1 and not isinstance(grads, tuple):
        grads = (grads,)
    if _mode.anomaly:
        _anomaly.check_finite(
            op, [g._data if isinstance(g, _graph.Tensor) else g for g in grads], "backward"
        )
    for k, (t, g) in enumerate(zip(parents, grads, strict=True)):
        if g is None or not t._requires_grad:
            continue
        if not isinstance(g, _graph.Tensor):
            # Computed from constants only (Tensor.__array__ refuses to hand out an array of a
            # tensor that requires grad here), so a constant it is.
            g = _result(np.asarray(g), None)
        if g.shape != t._data.shape:
            _graph._check_gradient_shape(op, k, g.shape, t._data.shape)
            g = SumTo(t._data.shape)(g)
        child = t._op
        if child is None:
            pass_.add_leaf(t, g)
            continue
        child_slots = pass_.slots.get(child) or _wake(child, pass_)
        pass_.outs[child][t._index] = t
        if pass_.wants(t):
            pass_.watch(t)
        slot = child_slots[t._index]
        child_slots[t._index] = [g if slot is None else slot[0] + g, False]


class SumTo(operation):
    """g summed down to ``shape`` by broadcasting's rules;  its gradient broadcasts back."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    @unary_func_op()
    def forward(self, g: np.ndarray) -> np.ndarray:
        self.from_shape = g.shape
        return reduce_to_shape(g, self.shape)

    def gradient(self, grad: Any) -> Any:
        return BroadcastTo(self.from_shape)(grad)


class BroadcastTo(operation):
    """g broadcast to ``shape``;  its gradient sums back (SumTo)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    @unary_func_op()
    def forward(self, g: np.ndarray) -> np.ndarray:
        self.from_shape = g.shape
        return np.broadcast_to(g, self.shape)

    def gradient(self, grad: Any) -> Any:
        return SumTo(self.from_shape)(grad)
