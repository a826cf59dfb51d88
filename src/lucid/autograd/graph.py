"""Views of a recorded graph: ``graph`` (nodes and edges), ``to_dot`` (Graphviz), ``to_mermaid``
and ``render`` (an image, through the optional ``graphviz`` package)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lucid.tensor import Tensor

__all__ = ["Graph", "Node", "graph", "render", "to_dot", "to_mermaid"]


@dataclass(frozen=True)
class Node:
    """One node: an op (``kind="op"``, named by its class) or a leaf tensor that requires grad
    (``kind="leaf"``, named by ``params`` when it is one of them).

    ``shape`` and ``dtype`` are those of the op's result (of each result, for an op with
    several: ``shape`` is then a tuple of shapes) or of the leaf.
    """

    id: str
    kind: str
    op: str | None
    shape: tuple
    dtype: str
    is_parameter: bool = False
    name: str | None = None

    @property
    def label(self) -> str:
        """What the node is called in pictures: the op's or parameter's name, else "input"."""
        if self.kind == "op":
            return self.op or "?"
        return self.name or "input"


@dataclass
class Graph:
    """Nodes in creation order (leaves and ops as met going back from the root, then sorted so
    that every edge points forward) and edges ``(source id, target id)`` in the direction the
    data flows: leaf -> op -> op -> ... -> the op that made the root."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)

    def node(self, node_id: str) -> Node:
        """The node with this id (KeyError naming it otherwise)."""
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(f"graph: no node {node_id!r}")


def _parameter_names(params: Any) -> dict[int, str]:
    """id(tensor) -> name from ``dict(model.named_parameters())``, the iterator itself, or None."""
    if params is None:
        return {}
    items: Iterable = params.items() if isinstance(params, dict) else params
    names = {}
    for item in items:
        try:
            name, tensor = item
        except (TypeError, ValueError):
            raise TypeError(
                "graph: params must be a dict of name -> tensor or an iterable of (name, tensor) "
                "pairs, such as model.named_parameters()"
            ) from None
        if not isinstance(tensor, Tensor):
            raise TypeError(f"graph: params[{name!r}] is a {type(tensor).__name__}, not a Tensor")
        names[id(tensor)] = str(name)
    return names


def graph(tensor: Tensor, params: Any = None) -> Graph:
    """The graph that made ``tensor``: its ops and the leaves that require grad, with the edges
    between them. ``params`` (``dict(model.named_parameters())`` or the iterator) names the
    parameters among the leaves. Tensors that require no grad (constants) are left out; a
    graph released by ``backward`` ends at the ops whose inputs were released.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"graph: expected a Tensor, got {type(tensor).__name__}")
    names = _parameter_names(params)
    seen_ops: dict[int, Any] = {}  # id(op) -> op, ops met going back from the root
    shapes: dict[int, dict[int, tuple]] = {}  # id(op) -> {result index: (shape, dtype)}
    leaves: dict[int, Tensor] = {}
    links: list[tuple[str, int, int]] = []  # (kind of source, id(source), id(target op))

    def visit_result(t: Tensor) -> None:
        shapes.setdefault(id(t._op), {})[t._index] = (t.shape, t.dtype)

    stack = []
    if tensor._op is not None:
        visit_result(tensor)
        stack.append(tensor._op)
        seen_ops[id(tensor._op)] = tensor._op
    elif tensor.requires_grad:
        leaves[id(tensor)] = tensor
    while stack:  # iterative: graphs may be deeper than Python's recursion limit
        op = stack.pop()
        for p in op.parents or ():
            if not p.requires_grad:
                continue
            if p._op is None:
                leaves.setdefault(id(p), p)
                links.append(("leaf", id(p), id(op)))
                continue
            visit_result(p)
            links.append(("op", id(p._op), id(op)))
            if id(p._op) not in seen_ops:
                seen_ops[id(p._op)] = p._op
                stack.append(p._op)
    # ops are numbered as recorded: sorting by that number puts producers before consumers
    ops = sorted(seen_ops.values(), key=lambda op: op.__dict__.get("_seq", -1))
    ids = {("op", id(op)): f"op{i}" for i, op in enumerate(ops)}
    ids.update({("leaf", key): f"t{i}" for i, key in enumerate(leaves)})
    nodes = []
    for key, t in leaves.items():
        name = names.get(key)
        nodes.append(Node(ids["leaf", key], "leaf", None, t.shape, str(t.dtype),
                          name is not None, name))  # fmt: skip
    for op in ops:
        results = shapes.get(id(op), {})
        meta = op.__dict__.get("_out_meta")
        if meta is not None:  # several results: every one's shape, from the forward
            shape = tuple(s for s, _ in meta)
            dtype = ", ".join(sorted({str(d) for _, d in meta}))
        else:
            shape, dtype = results.get(0, ((), "?"))
        nodes.append(Node(ids["op", id(op)], "op", type(op).__name__, shape, str(dtype)))
    edges = dict.fromkeys((ids[kind, src], ids["op", dst]) for kind, src, dst in links)
    order = {n.id: i for i, n in enumerate(nodes)}
    return Graph(nodes, sorted(edges, key=lambda e: (order[e[1]], order[e[0]])))


def _describe(node: Node, newline: str) -> str:
    shape = node.shape
    if shape and isinstance(shape[0], tuple):
        shape_text = " ".join(str(s) for s in shape)
    else:
        shape_text = str(tuple(shape))
    return f"{node.label}{newline}{shape_text} {node.dtype}"


def to_dot(tensor: Tensor, params: Any = None) -> str:
    """The graph of ``tensor`` as Graphviz DOT text: ops as boxes, inputs as ellipses and
    parameters as filled ellipses, each with its shape and dtype; edges follow the data."""
    g = graph(tensor, params)
    lines = ["digraph lucid {", "  rankdir=BT;", '  node [fontname="Helvetica", fontsize=10];']
    for n in g.nodes:
        label = _describe(n, "\\n").replace('"', '\\"')
        if n.kind == "op":
            style = "shape=box"
        elif n.is_parameter:
            style = 'shape=ellipse, style=filled, fillcolor="lightblue"'
        else:
            style = "shape=ellipse"
        lines.append(f'  {n.id} [label="{label}", {style}];')
    lines += [f"  {a} -> {b};" for a, b in g.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(tensor: Tensor, params: Any = None) -> str:
    """The graph of ``tensor`` as a Mermaid flowchart: ops as rectangles, inputs and parameters
    as rounded nodes (parameters in the ``param`` class), each with its shape and dtype."""
    g = graph(tensor, params)
    lines = ["flowchart BT"]
    for n in g.nodes:
        label = _describe(n, "<br/>").replace('"', "#quot;")
        lines.append(f'  {n.id}["{label}"]' if n.kind == "op" else f'  {n.id}(["{label}"])')
    lines += [f"  {a} --> {b}" for a, b in g.edges]
    parameters = [n.id for n in g.nodes if n.is_parameter]
    if parameters:
        lines.append("  classDef param fill:#cde4ff")
        lines.append(f"  class {','.join(parameters)} param")
    return "\n".join(lines) + "\n"


def render(tensor: Tensor, path: str, format: str = "svg", params: Any = None) -> str:  # noqa: A002
    """Draw the graph of ``tensor`` into ``path`` (``format`` as Graphviz's: svg, png, pdf ...)
    and return the path written. Needs the ``graphviz`` Python package (ImportError otherwise)
    and Graphviz's ``dot`` program (RuntimeError otherwise); ``to_dot`` needs neither."""
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "render needs the graphviz Python package (pip install graphviz) and Graphviz's "
            "dot program; to_dot(tensor) gives the DOT text without them"
        ) from None
    source = graphviz.Source(to_dot(tensor, params))
    root, ext = os.path.splitext(os.fspath(path))
    stem = root if ext.lstrip(".") == format else os.fspath(path)
    try:
        return source.render(filename=stem, format=format, cleanup=True)
    except graphviz.ExecutableNotFound:
        raise RuntimeError(
            "render: Graphviz's dot program was not found on PATH; install Graphviz, or use "
            "to_dot(tensor) for the DOT text"
        ) from None
