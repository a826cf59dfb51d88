"""Tracing: run the function once, eagerly, while every op reports itself; build the IR.

While a trace runs, ``_graph._mode.tracer`` is set and the engine's anomaly flag is on, so every
op calls ``_anomaly.check_forward`` with its input arrays, its other arguments and its result,
which hands them to ``Tracer.record`` (whether or not the op is recorded for backward: ops under
``no_grad`` and comparisons are seen too). Arrays are matched to values by identity: an input
array, a parameter's array, or the result of an earlier op. Any other array is a constant, unless
it is a view of a traced value (``detach()``: an alias) or looks derived from one outside an op,
which the IR cannot replay (the trace is then given up, and the call runs eagerly).

``backward()`` and ``optimizer.step()`` / ``zero_grad()`` are recorded as nodes of their own
(``backward``, ``steps``). Reading a value into Python (``item()``, ``bool(t)``, ``float(t)``,
``numpy()``) or an in-place change (``add_``, ``x[i] = v``) while tracing is a graph break:
the trace ends there and this variant runs eagerly from then on (or, with ``fullgraph=True``,
RuntimeError names the user's line). So is a backward the plan does not cover
(``retain_graph``, ``create_graph``, ``autograd.grad``, hooks) and reading ``.grad`` after it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _anomaly, _graph
from lucid.compile.ir import (
    CONST,
    INPUT,
    PARAM,
    RESULT,
    DetachNode,
    Graph,
    Node,
    Value,
    clean_template,
)
from lucid.tensor import Tensor


class Untraceable(Exception):
    """The function did something the IR cannot replay; the message says what."""


def _memory_key(a: np.ndarray) -> tuple:
    """Arrays with equal keys show the same elements (a view such as ``detach()``)."""
    return (a.__array_interface__["data"][0], a.shape, a.strides, a.dtype.str)


class Tracer:
    """Receives every op of one traced call and builds the values and nodes of its graph."""

    def __init__(self, fullgraph: bool, anomaly: bool) -> None:
        self.fullgraph = fullgraph
        self.anomaly = anomaly  # whether detect_anomaly was on: its checks must still run
        self.values: dict[int, Value] = {}
        self.nodes: list[Any] = []
        self.ops: list[Any] = []  # the recorded ops themselves, for their parents afterwards
        self.by_id: dict[int, int] = {}  # id(array) -> value id
        self.by_key: dict[tuple, int] = {}  # memory key of a non-constant array -> value id
        self.keep: list[np.ndarray] = []  # every array seen, alive, so that ids stay unique
        self.broken: str | None = None  # what broke the graph, and where
        self.untraceable: str | None = None
        self.grad_leaves: list[Tensor] = []  # leaves a captured backward() writes .grad of
        self.optimizers: list[Any] = []  # optimizers whose step() was captured
        self.grad_outputs: set[int] = set()  # returned values that require grad

    # ----------------------------------------------------------------- values

    def add(self, kind: str, data: np.ndarray, **fields: Any) -> int:
        vid = len(self.values)
        self.values[vid] = Value(vid, kind, data.shape, data.dtype, **fields)
        self.by_id[id(data)] = vid
        self.keep.append(data)
        if kind != CONST:
            self.by_key.setdefault(_memory_key(data), vid)
        return vid

    def add_input(self, array: np.ndarray, index: int) -> None:
        if id(array) not in self.by_id:  # the same tensor passed twice is one value
            self.add(INPUT, array, index=index)

    def add_param(self, tensor: Tensor) -> None:
        if id(tensor._data) not in self.by_id:
            self.add(PARAM, tensor._data, tensor=tensor)

    def value_of(self, a: Any) -> int:
        """The value an op's input array is: known, an alias of a known one, or a constant."""
        vid = self.by_id.get(id(a))
        if vid is not None:
            return vid
        a = a if isinstance(a, np.ndarray) else np.asarray(a)
        for t in self.grad_leaves:
            if t._grad is not None and np.may_share_memory(a, t._grad):
                raise Untraceable(
                    "the function reads .grad after a backward() it calls (clip_grad_norm_?); "
                    "only optimizer.step() may read it"
                )
        source = self.by_key.get(_memory_key(a))
        if source is not None:  # detach() / .data: the same elements, cut off from the graph
            vid = self.add(RESULT, a)
            node = DetachNode(source, vid)
            self.values[vid].node = node
            self.nodes.append(node)
            self.ops.append(None)
            return vid
        if a.base is not None:
            for v in self.values.values():
                known = self.keep[v.id] if v.kind != CONST else None
                if known is not None and np.may_share_memory(a, known):
                    raise Untraceable(
                        f"an array of shape {a.shape} viewing part of a traced value was made "
                        "outside an op (NumPy on Tensor._data?)"
                    )
        if a.ndim > 0:
            for v in self.values.values():
                known = self.keep[v.id]
                if (
                    v.kind != CONST
                    and known.shape == a.shape
                    and known.dtype != a.dtype
                    and known.dtype.kind in "biu"
                    and np.array_equal(known.astype(a.dtype), a)
                ):
                    raise Untraceable(
                        f"an integer value of shape {a.shape} was converted to {a.dtype} "
                        "outside an op (an integer tensor meeting a Python float)"
                    )
        return self.add(CONST, a, array=a)

    # ----------------------------------------------------------------- what the engine calls

    def record(self, op: Any, inputs: Any, args: tuple, kwargs: dict, out: Any) -> None:
        """One op ran (``_anomaly.check_forward``): add its node and its result values."""
        if self.broken is not None or self.untraceable is not None:
            return
        try:
            ins = [self.value_of(a) for a in inputs]
            for a in (*args, *kwargs.values()):
                if isinstance(a, np.ndarray) and id(a) in self.by_id:
                    raise Untraceable(
                        f"{type(op).__name__} was given a traced array as a plain argument"
                    )
        except Untraceable as exc:
            self.untraceable = str(exc)
            return
        node = Node(clean_template(op), ins, [], tuple(args), dict(kwargs), _graph._mode.enabled)
        for k, o in enumerate(out if isinstance(out, tuple) else (out,)):
            vid = self.add(RESULT, o, node=node, index=k)
            node.outputs.append(vid)
        self.nodes.append(node)
        self.ops.append(op)

    def graph_break(
        self, what: str, why: str = "it makes Python depend on a tensor's value"
    ) -> None:
        """Something a graph cannot hold: a graph break (RuntimeError under fullgraph)."""
        site = _anomaly.user_site()
        if self.fullgraph:
            raise RuntimeError(
                f"lucid.compile(fullgraph=True): {what} at {site} cannot be compiled: {why}; "
                "move it out of the compiled function, or compile with fullgraph=False to "
                "run calls like this one eagerly"
            )
        if self.broken is None:
            self.broken = f"{what} at {site}"

    def backward(
        self, roots: list, grads: list, retain_graph: bool, create_graph: bool, inputs: Any
    ) -> None:
        """``run_backward`` is about to run (eagerly): record its plan (``BackwardNode``)."""
        from lucid.compile.backward import BackwardNode, Unsupported

        if self.broken is not None or self.untraceable is not None:
            return
        if inputs is not None or create_graph or retain_graph:
            what = (
                "autograd.grad()" if inputs is not None else "backward(retain_graph/create_graph)"
            )
            self.graph_break(what, "only a plain backward() is captured")
            return
        try:
            node = BackwardNode.build(self, roots, grads)
        except Untraceable as exc:
            self.untraceable = str(exc)
            return
        except Unsupported as exc:
            self.graph_break("backward()", str(exc))
            return
        if node is not None:
            self.nodes.append(node)
            self.ops.append(None)

    def optimizer_call(
        self, optimizer: Any, method: str, closure: Any = None, set_to_none: bool = True
    ) -> None:
        """``optimizer.step()`` or ``zero_grad()`` is about to run: record it."""
        from lucid.compile.steps import OptimizerNode
        from lucid.optim.optimizer import Optimizer

        if self.broken is not None or self.untraceable is not None:
            return
        name = f"{type(optimizer).__name__}.{method}()"
        if getattr(type(optimizer), method) is not getattr(Optimizer, method):
            self.graph_break(name, f"{type(optimizer).__name__} defines its own {method}")
            return
        if closure is not None:
            self.graph_break(name, "a closure is not captured")
            return
        self.nodes.append(OptimizerNode(optimizer, method, set_to_none))
        self.ops.append(None)
        if method == "step":
            self.optimizers.append(optimizer)

    # ----------------------------------------------------------------- the graph

    def output_spec(self, value: Any) -> Any:
        """The function's result with tensors replaced by their values (see ``Graph``)."""
        if isinstance(value, Tensor):
            vid = self.value_of(value._data)
            if value._requires_grad:
                self.grad_outputs.add(vid)
            return ("v", vid)
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            return tuple(self.output_spec(v) for v in value)
        if isinstance(value, list):
            return [self.output_spec(v) for v in value]
        if isinstance(value, dict):
            return {k: self.output_spec(v) for k, v in value.items()}
        if isinstance(value, np.ndarray):
            raise Untraceable("the function returned a NumPy array; return Tensors")
        return ("py", value)

    def graph(self, n_inputs: int, out: Any) -> Graph:
        """The IR of the finished call whose result was ``out``."""
        spec = self.output_spec(out)
        if self.untraceable is not None:
            raise Untraceable(self.untraceable)
        # A constant that an op's recorded parents show to be a tensor needing grad (a leaf
        # captured from outside, or a result with history of its own) is read live instead.
        for node, op in zip(self.nodes, self.ops, strict=True):
            parents = None if op is None else op.__dict__.get("parents")
            if not parents:
                continue
            for vid, p in zip(node.inputs, parents, strict=False):
                v = self.values[vid]
                if v.kind == CONST and p._requires_grad:
                    v.kind, v.tensor, v.array = PARAM, p, None
        inputs = [-1] * n_inputs
        for v in self.values.values():
            if v.kind == INPUT:
                inputs[v.index] = v.id
        graph = Graph(self.values, self.nodes, inputs, spec)
        graph.grad_outputs = self.grad_outputs
        self.keep.clear()
        self.by_id.clear()
        self.by_key.clear()
        self.ops.clear()
        return graph


class tracing:
    """``with tracing(tracer):`` every op reports to ``tracer`` (thread-local)."""

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer

    def __enter__(self) -> Tracer:
        mode = _graph._mode
        self._previous = mode.tracer, mode.anomaly
        mode.tracer, mode.anomaly = self.tracer, True
        return self.tracer

    def __exit__(self, *exc_info: object) -> None:
        _graph._mode.tracer, _graph._mode.anomaly = self._previous
