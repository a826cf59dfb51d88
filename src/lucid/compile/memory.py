"""The memory plan: fused kernels whose results never leave the graph write into buffers
allocated once, so a replay of chained kernels allocates nothing for them.

A fused node's result may live in a buffer kept from call to call when it is not returned and
every node reading it is a fused node too: a kernel reads its inputs and writes a fresh or its
own buffer, never a view of an input, so nothing made from the buffer outlives the replay (an
op such as ``reshape`` or ``x[i]`` could return a view of it, which a later call would then
overwrite: such readers keep the allocation per call). Buffers are per thread, so that two
threads may replay one compiled function at once.
"""

from __future__ import annotations

from lucid.compile.fuse import FusedNode
from lucid.compile.ir import Graph


def plan_buffers(graph: Graph) -> int:
    """Mark each fused node whose result can live in a kept buffer; returns how many."""
    readers: dict[int, list] = {}
    for node in graph.nodes:
        for v in set(node.inputs):
            readers.setdefault(v, []).append(node)
    outputs = set(graph.output_ids())
    planned = 0
    for node in graph.nodes:
        if not isinstance(node, FusedNode):
            continue
        (v,) = node.outputs
        users = readers.get(v, [])
        if v not in outputs and users and all(isinstance(u, FusedNode) for u in users):
            node.keep_buffer = True
            planned += 1
    return planned
