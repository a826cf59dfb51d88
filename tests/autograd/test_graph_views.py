"""Graph views: graph(), to_dot (checked with a small DOT parser), to_mermaid and render."""

import re
import sys
import types

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid._graph import operation, poly_func_op
from lucid.autograd import graph, render, to_dot, to_mermaid

# A DOT statement is a node (`id [attrs];`) or an edge (`id -> id;`); attributes are quoted
# strings (with \" escapes) or bare words.
_VALUE = r'(?:"(?:[^"\\]|\\.)*"|[\w.#]+)'
_ATTRS = rf"\[\s*\w+\s*=\s*{_VALUE}(?:\s*,\s*\w+\s*=\s*{_VALUE})*\s*\]"
_NODE = re.compile(rf"^\s*(\w+)\s*{_ATTRS}\s*;\s*$")
_EDGE = re.compile(r"^\s*(\w+)\s*->\s*(\w+)\s*;\s*$")
_DEFAULTS = re.compile(rf"^\s*(?:node|edge|graph)\s*{_ATTRS}\s*;\s*$|^\s*\w+\s*=\s*\w+\s*;\s*$")


def parse_dot(text: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """(node id -> label, edges) of a `digraph name { ... }`; AssertionError on anything else."""
    lines = text.strip().splitlines()
    assert re.match(r"^digraph \w+ \{$", lines[0]), lines[0]
    assert lines[-1] == "}", lines[-1]
    nodes, edges = {}, []
    for line in lines[1:-1]:
        if _DEFAULTS.match(line):
            continue
        if m := _NODE.match(line):
            label = re.search(r'label="((?:[^"\\]|\\.)*)"', line)
            nodes[m.group(1)] = label.group(1) if label else m.group(1)
        elif m := _EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
        else:
            raise AssertionError(f"not a DOT statement: {line!r}")
    for a, b in edges:
        assert a in nodes and b in nodes, f"edge {a} -> {b} names an undeclared node"
    return nodes, edges


def mlp_loss(rng):
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
    x = lucid.tensor(rng.standard_normal((5, 4)), dtype=lucid.float32)
    return model, (model(x) * 2.0).sum()


def test_graph_lists_ops_and_leaves_with_edges_in_data_order(rng):
    a = lucid.tensor(rng.standard_normal((2, 3)), dtype=lucid.float32, requires_grad=True)
    b = lucid.tensor(rng.standard_normal(3), dtype=lucid.float32, requires_grad=True)
    c = lucid.tensor(rng.standard_normal(3), dtype=lucid.float32)  # a constant: not drawn
    y = lucid.exp(a * b + c).sum()
    g = graph(y, {"a": a})
    ops = [n for n in g.nodes if n.kind == "op"]
    assert [n.op for n in ops] == ["Multiply", "Add", "Exp", "Sum"]
    assert [n.shape for n in ops] == [(2, 3), (2, 3), (2, 3), ()]
    assert {n.dtype for n in g.nodes} == {"float32"}
    leaves = {n.name: n for n in g.nodes if n.kind == "leaf"}
    assert set(leaves) == {"a", None}
    assert leaves["a"].is_parameter and leaves["a"].shape == (2, 3)
    assert leaves[None].shape == (3,) and not leaves[None].is_parameter
    position = {n.id: i for i, n in enumerate(g.nodes)}
    assert len(g.edges) == 5
    assert all(position[src] < position[dst] for src, dst in g.edges)


def test_graph_of_a_shared_subexpression_has_one_node_per_op(rng):
    x = lucid.tensor(rng.standard_normal(3), requires_grad=True)
    h = lucid.tanh(x)
    y = (h * h + h).sum()
    g = graph(y)
    assert [n.op for n in g.nodes if n.kind == "op"] == ["Tanh", "Multiply", "Add", "Sum"]
    # Multiply takes h twice: one edge, drawn once
    tanh, mul = (n.id for n in g.nodes if n.op in ("Tanh", "Multiply"))
    assert g.edges.count((tanh, mul)) == 1


class HeadAndTail(operation):
    """x[:1] and x[1:] as two results (an op with several results)."""

    @poly_func_op(2)
    def forward(self, x):
        return x[:1].copy(), x[1:].copy()

    def gradient(self, grad):
        return (
            lucid.concatenate(list(grad))
            if isinstance(grad[0], lucid.Tensor)
            else (np.concatenate(grad))
        )


def test_graph_of_an_op_with_several_results_shows_each_shape(rng):
    x = lucid.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    head, tail = HeadAndTail()(x)
    node = graph(head.sum() + tail.sum()).nodes[1]
    assert node.op == "HeadAndTail" and node.shape == ((1, 3), (3, 3))
    assert "(1, 3) (3, 3) float64" in to_dot(head * 2.0)


def test_to_dot_parses_and_names_parameters_shapes_and_dtypes(rng):
    model, loss = mlp_loss(rng)
    nodes, edges = parse_dot(to_dot(loss, dict(model.named_parameters())))
    g = graph(loss)
    assert len(nodes) == len(g.nodes) and len(edges) == len(g.edges)
    labels = list(nodes.values())
    for name, p in model.named_parameters():
        assert any(label.startswith(name + "\\n" + str(p.shape)) for label in labels), name
    assert sum("Linear" in label for label in labels) == 2  # one fused op per layer
    assert all("float32" in label for label in labels)


def test_to_dot_accepts_the_named_parameters_iterator(rng):
    model, loss = mlp_loss(rng)
    assert to_dot(loss, model.named_parameters()) == to_dot(loss, dict(model.named_parameters()))


def test_to_mermaid_has_one_line_per_node_and_edge(rng):
    model, loss = mlp_loss(rng)
    text = to_mermaid(loss, dict(model.named_parameters()))
    lines = text.strip().splitlines()
    assert lines[0] == "flowchart BT"
    node_lines = [line for line in lines if re.match(r'^\s*\w+(\["|\(\[")', line)]
    edge_lines = [line for line in lines if re.match(r"^\s*\w+ --> \w+$", line)]
    g = graph(loss)
    assert len(node_lines) == len(g.nodes) == 4 + 5  # 4 parameters; Linear Tanh Linear Mul Sum
    assert len(edge_lines) == len(g.edges)
    assert sum("Linear" in line for line in node_lines) == 2
    params = re.search(r"^\s*class ([\w,]+) param$", text, re.M).group(1).split(",")
    assert len(params) == 4


def test_views_of_a_leaf_and_of_a_constant():
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    assert [n.kind for n in graph(x).nodes] == ["leaf"]
    nodes, edges = parse_dot(to_dot(lucid.tensor([1.0]) * 2.0))
    assert nodes == {} and edges == []


def test_graph_rejects_bad_arguments(rng):
    x = lucid.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="expected a Tensor"):
        graph(np.ones(2))
    with pytest.raises(TypeError, match="params"):
        graph(x * 2.0, [x])


def test_graph_survives_a_deep_chain():
    x = lucid.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(3000):  # deeper than the recursion limit
        y = y * 1.0
    assert len(graph(y).nodes) == 3001


def test_render_without_graphviz_raises_import_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    x = lucid.tensor([1.0], requires_grad=True)
    with pytest.raises(ImportError, match="graphviz"):
        render(x * 2.0, str(tmp_path / "g.svg"))


def test_render_without_dot_program_raises_runtime_error(monkeypatch, tmp_path):
    class ExecutableNotFound(RuntimeError):
        pass

    class Source:
        def __init__(self, text):
            self.text = text

        def render(self, **kwargs):
            raise ExecutableNotFound("dot")

    fake = types.SimpleNamespace(Source=Source, ExecutableNotFound=ExecutableNotFound)
    monkeypatch.setitem(sys.modules, "graphviz", fake)
    x = lucid.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="dot program"):
        render(x * 2.0, str(tmp_path / "g.svg"))


def test_render_writes_a_file_when_graphviz_is_installed(tmp_path):
    graphviz = pytest.importorskip("graphviz")
    x = lucid.tensor([1.0], requires_grad=True)
    try:
        out = render(x * 2.0, str(tmp_path / "g.svg"))
    except RuntimeError as exc:
        pytest.skip(str(exc))
    assert out.endswith(".svg") and "<svg" in open(out).read()
    assert graphviz is not None
