"""Dead-code elimination: drop the nodes whose results the outputs do not depend on."""

from __future__ import annotations

from lucid.compile.ir import Graph


def eliminate_dead_code(graph: Graph) -> int:
    """Remove, in place, every node none of whose results reaches an output; returns how many.

    One walk from the last node to the first: a node is live when one of its results is read
    by a live node or returned, or it is run for its side effect (``backward()``, an
    optimizer's ``step()``). (A dead random op, such as dropout whose result is unused, is
    dropped too, so its draws no longer advance the generator.)
    """
    live = set(graph.output_ids())
    kept = []
    for node in reversed(graph.nodes):
        if node.effect or any(v in live for v in node.outputs):
            kept.append(node)
            live.update(node.inputs)
    removed = len(graph.nodes) - len(kept)
    graph.nodes[:] = kept[::-1]
    return removed
