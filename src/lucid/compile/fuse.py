"""Fusion: chains of elementwise ops become one generated Numba loop (see ``codegen``).

A node can join a chain when it is one of ``codegen.EXPRESSIONS``, takes and makes arrays of
one float dtype, and has no other arguments. It joins the chain that made one of its inputs
when that input is read by nothing else and is not returned, so every intermediate value lives
only inside the loop (one read per input element, one write per output element, no
temporaries). Inputs of another shape than the chain's result are broadcast to it first;
1-element inputs and constants are read once, as scalars.

In a replay that records a graph, a fused chain is one recorded op, ``FusedOp``, whose gradient
is a second generated kernel: it recomputes the chain per element and runs the members'
gradient formulas back (``codegen.backward_source``). With ``LUCID_DISABLE_JIT=1`` a fused node
runs its member ops one by one (their NumPy forwards, or, when recording, the ops themselves),
the reference the kernels are tested against.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import numpy as np

from lucid import _graph
from lucid._graph import operation, poly_func_op
from lucid.compile import codegen
from lucid.compile.ir import CONST, Graph, Node
from lucid.kernels import _jit

# Longer chains are cut into kernels of at most this many ops: numba's compile time grows with
# the body, and a periodic chain (W3's mul, add, tanh) cut at a multiple of its period gives
# identical kernels, compiled once; 300 is a multiple of periods 1 to 6. On W3 (6,000 ops, 16
# elements, forward and backward; benchmarks/compile_start.py): 60 ops per kernel gave 100
# kernels, 2.0 ms per replay, 0.93 s first call; 300 gives 20 kernels, 0.93 ms, 1.65 s.
MAX_OPS_PER_KERNEL = 300

# Numba's exp, log and tanh are scalar libm calls (~10 ns per float32 element here), NumPy's
# are SIMD (~1 ns), while each NumPy pass costs ~2.5 us to start. So a chain holding them is
# fused only while size * (its transcendental ops) <= TRANSCENDENTAL_BUDGET * (its ops).
# Measured (process time, 2-core machine, float32) on four rounds of tanh(y * a + b), 12 ops:
# fused / NumPy = 0.08 at 16 elements, 0.36 at 256, 0.61 at 512, 1.32 at 1024, 5.5 at 4096.
# Chains of arithmetic only (+ - * / neg square sqrt relu max min) always win: 0.2x at 256
# elements, 0.1x at 2**20 (one pass instead of one per op).
TRANSCENDENTAL = {"Exp", "Log", "Tanh", "Sigmoid"}
TRANSCENDENTAL_BUDGET = 250


def _fusible(node: Any, graph: Graph) -> bool:
    """Whether ``node`` is one of Lucid's own elementwise ops, on one float dtype."""
    if not isinstance(node, Node) or node.name not in codegen.EXPRESSIONS:
        return False
    if not type(node.template).__module__.startswith("lucid.ops."):  # a user's op named "Add"
        return False
    if node.args or node.kwargs:
        return False
    if len(node.outputs) != 1:
        return False
    out = graph.values[node.outputs[0]]
    if out.dtype not in (np.float32, np.float64) or 0 in out.shape:
        return False
    return all(graph.values[v].dtype == out.dtype for v in node.inputs)


class FusedNode:
    """A chain of elementwise nodes run as one kernel (or, without the JIT, one by one)."""

    name = "fused"
    args: tuple = ()
    keep = effect = False

    def __init__(self, members: list[Any], graph: Graph) -> None:
        self.members = members
        made = {v for node in members for v in node.outputs}
        self.inputs = list(dict.fromkeys(v for n in members for v in n.inputs if v not in made))
        self.outputs = [members[-1].outputs[0]]
        out = graph.values[self.outputs[0]]
        self.shape, self.dtype, self.size = out.shape, out.dtype, int(np.prod(out.shape))
        self.scalar = [graph.values[v].shape == () or _size(graph.values[v].shape) == 1
                       for v in self.inputs]  # fmt: skip
        self.grad_enabled = members[-1].grad_enabled
        self.source = codegen.kernel_source(members, self.inputs, self.scalar)
        self.needs = [graph.values[v].kind != CONST for v in self.inputs]
        self.backward_source = codegen.backward_source(
            members, self.inputs, self.scalar, self.needs
        )
        self.constants = np.array([0, 1, 0.5], dtype=self.dtype)
        self.kernel: Any = None
        self.kernel_backward: Any = None
        self.path: Any = None
        self.keep_buffer = False  # set by the memory plan (lucid.compile.memory)
        self._buffers = threading.local()

    def prepare(self, backward: bool) -> None:
        """Load (and compile, for this dtype) the kernel, and with ``backward`` its gradient
        kernel, when the JIT is on."""
        if not _jit.JIT_ENABLED or self.kernel is not None:
            return
        self.kernel, self.path = codegen.load_kernel(self.source)
        ones = [np.ones(1, self.dtype) for _ in self.inputs]  # one element compiles the types
        self.kernel(1, np.zeros(1, self.dtype), *ones, self.constants)
        if backward:
            self.kernel_backward, _ = codegen.load_kernel(self.backward_source, "kernel_backward")
            grads = [np.zeros(1, self.dtype) for need in self.needs if need]
            self.kernel_backward(1, np.ones(1, self.dtype), *ones, self.constants, *grads)

    def flat_inputs(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        """The kernel's arguments for these input arrays: 1-element arrays for scalars, flat
        arrays of the output's size (broadcast first where needed) for the others."""
        # Always writable arrays: numba compiles a second version of a kernel for read-only
        # ones (the engine's cached constants, broadcast views).
        flat = []
        for a, scalar in zip(arrays, self.scalar, strict=True):
            if scalar:
                flat.append(np.array(a, dtype=self.dtype).reshape(1))
            elif a.shape == self.shape and a.flags.c_contiguous and a.flags.writeable:
                flat.append(a.reshape(-1))
            else:
                flat.append(np.array(np.broadcast_to(a, self.shape), order="C").reshape(-1))
        return flat

    def forward_arrays(self, arrays: list[np.ndarray]) -> tuple[np.ndarray, ...]:
        if not _jit.JIT_ENABLED or self.kernel is None:
            return (self.reference(arrays),)
        out = self._buffers.__dict__.get("out") if self.keep_buffer else None
        if out is None:
            out = np.empty(self.shape, self.dtype)
            if self.keep_buffer:
                self._buffers.out = out
        self.kernel(self.size, out.reshape(-1), *self.flat_inputs(arrays), self.constants)
        return (out,)

    def forward_tensors(self, tensors: list[Any]) -> tuple[Any, ...]:
        """Recording replay: one ``FusedOp`` (or, without the JIT, the member ops)."""
        if not _jit.JIT_ENABLED or self.kernel_backward is None:
            env = dict(zip(self.inputs, tensors, strict=True))
            for node in self.members:
                (env[node.outputs[0]],) = node.forward_tensors([env[v] for v in node.inputs])
            return (env[self.outputs[0]],)
        return (FusedOp(self)(*tensors),)

    def backward_arrays(self, arrays: list[np.ndarray], grad: np.ndarray) -> list:
        """Per-element gradients of the inputs (None for constants), of the output's shape."""
        grads = [np.empty(self.shape, self.dtype) if need else None for need in self.needs]
        g = np.ascontiguousarray(grad, dtype=self.dtype).reshape(-1)
        flat_grads = [d.reshape(-1) for d in grads if d is not None]
        self.kernel_backward(self.size, g, *self.flat_inputs(arrays), self.constants, *flat_grads)
        return grads

    def reference(self, arrays: list[np.ndarray]) -> np.ndarray:
        """The member ops' own forwards, one after another: what the kernel must match."""
        env = dict(zip(self.inputs, arrays, strict=True))
        for node in self.members:
            (env[node.outputs[0]],) = node.forward_arrays([env[v] for v in node.inputs])
        return env[self.outputs[0]]

    def describe(self) -> str:
        ins = ", ".join(f"v{v}" for v in self.inputs)
        ops = " -> ".join(n.name for n in self.members)
        return f"v{self.outputs[0]} = fused[{len(self.members)}]({ins})  # {ops}"


class FusedOp(operation):
    """A fused chain as one recorded op: the forward kernel, and the backward kernel as its
    gradient. Higher derivatives (create_graph) are refused: the kernels are not recorded."""

    def __init__(self, node: FusedNode) -> None:
        self.node = node

    @poly_func_op()
    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        self.save_for_backward(*arrays)
        (out,) = self.node.forward_arrays(list(arrays))
        return out

    def gradient(self, grad: np.ndarray) -> tuple:
        if _graph._mode.graph_op is not None:
            raise RuntimeError(
                "lucid.compile: a fused kernel of "
                f"{' -> '.join(n.name for n in self.node.members)} cannot be differentiated "
                "twice (create_graph); call the function uncompiled for higher derivatives"
            )
        return tuple(self.node.backward_arrays(list(self.saved_tensors), grad))


def _size(shape: tuple) -> int:
    return int(np.prod(shape)) if shape else 1


def fuse_elementwise(graph: Graph) -> list[FusedNode]:
    """Replace, in place, chains of two or more fusible nodes by ``FusedNode``s; returns them.

    Nodes are visited in order; each fusible node starts a chain, into which it pulls the
    chains that made its inputs when the input has no other reader and is not an output.
    """
    readers = Counter(v for node in graph.nodes for v in set(node.inputs))
    outputs = set(graph.output_ids())
    chain_of: dict[int, list] = {}  # value id -> the chain (list of nodes) whose result it is
    last_of: dict[int, list] = {}  # id(last node of a live chain) -> that chain
    for node in graph.nodes:
        if not _fusible(node, graph):
            continue
        chain = [node]
        for v in dict.fromkeys(node.inputs):
            source = chain_of.get(v)
            if (
                source is not None
                and source[-1].grad_enabled == node.grad_enabled
                and readers[v] == 1
                and v not in outputs
                and len(source) + len(chain) <= MAX_OPS_PER_KERNEL
                and id(source[-1]) in last_of
            ):
                del last_of[id(source[-1])]
                chain = source + chain
        chain_of[node.outputs[0]] = chain
        last_of[id(node)] = chain
    fused, by_last = [], {}
    for chain in last_of.values():
        if len(chain) < 2:
            continue
        out = graph.values[chain[-1].outputs[0]]
        slow = sum(n.name in TRANSCENDENTAL for n in chain)
        if _size(out.shape) * slow > TRANSCENDENTAL_BUDGET * len(chain):
            continue
        by_last[id(chain[-1])] = FusedNode(chain, graph)
    members = {id(n) for f in by_last.values() for n in f.members}
    nodes = []
    for node in graph.nodes:
        if id(node) in by_last:
            nodes.append(by_last[id(node)])
            fused.append(by_last[id(node)])
        elif id(node) not in members:
            nodes.append(node)
    graph.nodes[:] = nodes
    return fused
