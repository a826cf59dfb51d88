"""The IR of a traced function: values (inputs, parameters, constants, results) and nodes.

A node is one recorded op: the op's class, a template instance holding its configuration
(``Linear``'s nothing, ``Sum``'s axes, ``getitem``'s key), the values it reads and the values it
makes. Nodes are kept in the order they ran, which is a topological order. Replaying a node runs
its op's undecorated forward on a fresh shallow copy of the template, so that the per-call state
an op keeps for its gradient is never shared between calls.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Attributes the engine writes on an op while recording it: never part of its configuration.
ENGINE_ATTRIBUTES = ("parents", "_versions", "_seq", "_saved", "_sources", "_out_meta", "_site")

INPUT, PARAM, CONST, RESULT = "input", "param", "const", "result"
_new = object.__new__


@dataclass
class Value:
    """One array of the graph.

    ``kind`` says where it comes from: the ``index``-th tensor argument (input), a tensor read
    live at every call (param: parameters, buffers, leaves that require grad), a fixed array
    (const), or the ``index``-th result of ``node`` (result).
    """

    id: int
    kind: str
    shape: tuple
    dtype: np.dtype
    index: int = 0
    tensor: Any = None
    array: np.ndarray | None = None
    node: Node | None = None

    def describe(self) -> str:
        where = {
            INPUT: f"input {self.index}",
            PARAM: "param",
            CONST: "const",
            RESULT: "",
        }[self.kind]
        text = f"v{self.id}: {self.dtype}{list(self.shape)}"
        return f"{text} = {where}" if where else text


@dataclass
class Node:
    """One op of the graph: ``template`` holds its configuration, ``grad_enabled`` the grad
    mode it ran under (a ``no_grad`` block inside the function stays one)."""

    template: Any
    inputs: list[int]
    outputs: list[int]
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    grad_enabled: bool = True
    keep: bool = False  # a captured backward() needs the op instance of its replay
    effect = False  # a node run for its side effect (backward, optimizer): see dce

    @property
    def name(self) -> str:
        return type(self.template).__name__

    def fresh_op(self) -> Any:
        """A shallow copy of the template (``copy.copy``'s result, 10x faster): per-call state
        the forward stores lands on the copy, never on the template."""
        template = self.template
        op = _new(type(template))
        op.__dict__.update(template.__dict__)
        return op

    def forward_arrays(self, arrays: list[np.ndarray]) -> tuple[np.ndarray, ...]:
        """Run the op's forward on arrays (no graph): its results, always as a tuple."""
        return self.run_arrays(self.fresh_op(), arrays)

    def run_arrays(self, op: Any, arrays: list[np.ndarray]) -> tuple[np.ndarray, ...]:
        """``forward_arrays`` on a given fresh op, which keeps what the forward saved."""
        forward = type(op).forward  # undecorated where an op decorates it per call (Split)
        out = getattr(forward, "__wrapped__", forward)(op, *arrays, *self.args, **self.kwargs)
        if isinstance(out, tuple):
            return tuple(o if type(o) is np.ndarray else np.asarray(o) for o in out)
        return (out if type(out) is np.ndarray else np.asarray(out),)

    def forward_tensors(self, tensors: list[Any]) -> tuple[Any, ...]:
        """Run the op as eager code does (recorded when a gradient is needed): its results."""
        op = self.fresh_op()
        out = op(*tensors, *self.args, **self.kwargs)  # the op's __call__, as eager code
        return out if isinstance(out, tuple) else (out,)

    def describe(self) -> str:
        outs = ", ".join(f"v{i}" for i in self.outputs)
        extra = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        config = {
            k: v
            for k, v in vars(self.template).items()
            if not k.startswith("_") and not isinstance(v, np.ndarray) and k != "n_ret"
        }
        extra += [f"{k}={v!r}" for k, v in config.items()]
        ins = ", ".join([f"v{i}" for i in self.inputs] + extra)
        mode = "" if self.grad_enabled else "  # no_grad"
        return f"{outs} = {self.name}({ins}){mode}"


class DetachNode:
    """A view of a value made outside any op (``detach()``, ``.data``): the same array, cut off
    from the graph. A step of its own, so that it runs after its source exists."""

    name = "detach"
    grad_enabled = False
    keep = effect = False
    args: tuple = ()

    def __init__(self, source: int, output: int) -> None:
        self.inputs, self.outputs = [source], [output]

    def forward_arrays(self, arrays: list[np.ndarray]) -> tuple[np.ndarray, ...]:
        return (arrays[0],)

    def forward_tensors(self, tensors: list[Any]) -> tuple[Any, ...]:
        return (type(tensors[0])._wrap(tensors[0]._data),)

    def describe(self) -> str:
        return f"v{self.outputs[0]} = detach(v{self.inputs[0]})"


def clean_template(op: Any) -> Any:
    """A shallow copy of a recorded op without what the engine stored on it while recording."""
    template = copy.copy(op)
    for name in ENGINE_ATTRIBUTES:
        template.__dict__.pop(name, None)
    return template


@dataclass
class Graph:
    """Values, nodes in execution order, the tensor arguments' values and the outputs.

    ``outputs`` is the function's result with every tensor replaced by ``("v", value id)`` and
    every other leaf by ``("py", object)``, nested in the same tuples, lists and dicts.
    """

    values: dict[int, Value]
    nodes: list[Any]
    inputs: list[int]
    outputs: Any
    grad_outputs: set = field(default_factory=set)  # returned values that required grad

    def output_ids(self) -> list[int]:
        found: list[int] = []

        def walk(spec: Any) -> None:
            if isinstance(spec, tuple) and len(spec) == 2 and spec[0] == "v":
                found.append(spec[1])
            elif isinstance(spec, tuple) and len(spec) == 2 and spec[0] == "py":
                return
            elif isinstance(spec, (list, tuple)):
                for s in spec:
                    walk(s)
            elif isinstance(spec, dict):
                for s in spec.values():
                    walk(s)

        walk(self.outputs)
        return found

    def used_values(self) -> set[int]:
        used = set(self.output_ids())
        for node in self.nodes:
            used.update(node.inputs)
        return used

    def __str__(self) -> str:
        lines = ["graph("]
        used = self.used_values()
        for v in self.values.values():
            if v.kind != RESULT and v.id in used | set(self.inputs):
                lines.append(f"    {v.describe()}")
        lines.append(")")
        for node in self.nodes:
            lines.append(f"    {node.describe()}")
        outs = ", ".join(f"v{i}" for i in self.output_ids())
        lines.append(f"    return {outs}")
        return "\n".join(lines)
