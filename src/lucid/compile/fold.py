"""Constant folding: run, once, the nodes whose inputs are all constants."""

from __future__ import annotations

from lucid.compile.ir import CONST, Graph

# Ops that draw random numbers: each call must draw afresh, so they are never folded.
RANDOM_OPS = ("Dropout", "Random", "Rand", "Bernoulli", "Multinomial", "Normal", "Uniform")


def fold_constants(graph: Graph) -> int:
    """Replace, in place, each node whose inputs are all constants by its results as
    constants (in order, so chains fold through); returns how many nodes were folded."""
    kept, folded = [], 0
    for node in graph.nodes:
        ins = [graph.values[v] for v in node.inputs]
        if (
            ins
            and not node.keep
            and all(v.kind == CONST for v in ins)
            and not any(word in node.name for word in RANDOM_OPS)
        ):
            outs = node.forward_arrays([v.array for v in ins])
            for vid, array in zip(node.outputs, outs, strict=True):
                v = graph.values[vid]
                v.kind, v.array, v.node = CONST, array, None
            folded += 1
        else:
            kept.append(node)
    graph.nodes[:] = kept
    return folded
