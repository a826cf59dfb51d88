"""Capturing ``backward()``: the engine's pass over a traced graph, recorded as a replayable plan.

When a traced function calls ``loss.backward()``, the engine (``_graph.run_backward``) hands the
call to ``Tracer.backward`` first, which builds a ``BackwardNode`` from the graph the forward just
recorded, and then lets the pass run eagerly as usual (the traced call's own gradients).

The plan is what the engine will do, worked out before it does it: the recorded ops the roots
depend on, in the engine's order (decreasing record number), and for each input of each op where
its gradient goes: nowhere (the input needs none), into a leaf's ``.grad`` (a parameter, or the
``k``-th argument), or into a gradient slot of the op that made it. A replay runs each op's own
``gradient`` on the op instance its forward replay just filled (its saved values), and sums and
routes the results with the engine's own rules (same order, same in-place adds, same
``reduce_to_shape`` and ``_add_to_leaf``), so gradients are bit-identical to eager mode,
accumulation into an existing ``.grad`` included. Not captured (a graph break, as before):
``retain_graph``, ``create_graph``, ``autograd.grad`` and hooks or ``retain_grad()`` on tensors
of the pass.
"""

from __future__ import annotations

import heapq
import threading
from typing import Any

import numpy as np

from lucid import _graph
from lucid.compile.ir import INPUT
from lucid.kernels.broadcast import accumulate, reduce_to_shape

# Where one input's gradient goes.
LEAF, ARGUMENT, SLOT = "leaf", "argument", "slot"


class Unsupported(Exception):
    """A backward the plan does not cover: the trace breaks there (the message says why)."""


class BackwardNode:
    """``backward()`` of the traced function: a side effect on leaves' ``.grad``, no result.

    ``seeds`` holds (position, result index, gradient value or None) per root; ``steps`` one
    (node, targets, needs) per op in the engine's order, ``targets[k]`` being None, (LEAF,
    tensor), (ARGUMENT, k) or (SLOT, position, result index, shape, dtype); positions index
    ``steps``.
    """

    name = "backward"
    effect = True  # kept by dead-code elimination although nothing reads a result of it
    keep = False
    grad_enabled = False
    args: tuple = ()
    outputs: list = []

    def __init__(self, seeds: list, steps: list, grad_values: list[int]) -> None:
        self.seeds = seeds
        self._stubs = threading.local()
        self.steps = steps
        made = [v for node, _, _ in steps for v in node.outputs]
        self.inputs = list(dict.fromkeys(made + grad_values))
        for node, _, _ in steps:
            node.keep = True  # its replay keeps the op instance (saved values) for gradient

    def nodes(self) -> list:
        return [node for node, _, _ in self.steps]

    def describe(self) -> str:
        roots = ", ".join(f"v{self.steps[p][0].outputs[i]}" for p, i, _ in self.seeds)
        return f"backward({roots})  # {len(self.steps)} gradient steps into .grad"

    # ----------------------------------------------------------------- building

    @classmethod
    def build(cls, tracer: Any, roots: list, grads: list) -> BackwardNode | None:
        """The plan of ``run_backward(roots, grads)`` over the tracer's graph, or None when the
        engine is about to raise anyway (it then does, eagerly)."""
        from lucid.compile.trace import Untraceable
        from lucid.tensor import Tensor

        index = {id(op): i for i, op in enumerate(tracer.ops) if op is not None}
        position: dict[int, int] = {}  # node index -> position in steps
        order: list[int] = []
        heap: list = []

        def wake(op: Any) -> int:
            i = index.get(id(op))
            if i is None:
                raise Untraceable(
                    "backward() reached a tensor computed outside the compiled function"
                )
            if i not in position:
                if op.parents is None:
                    return -1
                position[i] = -1
                heapq.heappush(heap, (-op._seq, i))
            return i

        roots_found = []
        for root, grad in zip(roots, grads, strict=True):
            if not root._requires_grad:
                return None
            if root._op is None:
                raise Unsupported("backward() of a leaf tensor")
            if root._retain or root._hooks is not None:
                raise Unsupported("retain_grad() or a hook on the tensor backward() starts from")
            i = wake(root._op)
            if i < 0:
                return None
            gv = None
            if grad is not None:
                array = grad._data if isinstance(grad, Tensor) else np.asarray(grad)
                gv = tracer.value_of(array)
            roots_found.append((i, root._index, gv))
        plan: dict[int, tuple] = {}
        while heap:
            _, i = heapq.heappop(heap)
            position[i] = len(order)
            order.append(i)
            op = tracer.ops[i]
            targets: list = []
            for t in op.parents:
                if not t._requires_grad:
                    targets.append(None)
                elif t._op is None:
                    if t._hooks is not None:
                        raise Unsupported("a hook on a leaf tensor reached by backward()")
                    vid = tracer.by_id.get(id(t._data))
                    value = None if vid is None else tracer.values[vid]
                    if value is not None and value.kind == INPUT:
                        targets.append((ARGUMENT, value.index))
                    else:
                        targets.append((LEAF, t))
                    tracer.grad_leaves.append(t)
                else:
                    if t._retain or t._hooks is not None:
                        raise Unsupported("retain_grad() or a hook on a tensor of backward()")
                    j = wake(t._op)
                    if j < 0:
                        return None
                    targets.append((SLOT, j, t._index, t._data.shape, t._data.dtype))
            plan[i] = (targets, tuple(t._requires_grad for t in op.parents))
        steps = []
        for i in order:
            targets, needs = plan[i]
            targets = [
                (SLOT, position[t[1]], *t[2:]) if t is not None and t[0] == SLOT else t
                for t in targets
            ]
            steps.append((tracer.nodes[i], targets, needs))
        seeds = [(position[i], k, gv) for i, k, gv in roots_found]
        return cls(seeds, steps, [gv for _, _, gv in seeds if gv is not None])

    # ----------------------------------------------------------------- replay

    def apply(self, env: list, kept: dict, inputs: list) -> None:
        """Run the pass: each op's gradient, summed and routed as ``_graph._array_step`` does.

        ``kept`` maps id(node) to the op instance its forward replay filled."""
        slots: list = [None] * len(self.steps)
        for pos, k, gv in self.seeds:
            node = self.steps[pos][0]
            value = env[node.outputs[k]]
            if gv is None:
                g = np.ones_like(value)
            else:
                g = env[gv]
                g = g._data if hasattr(g, "_data") else np.asarray(g)
                if g.shape != value.shape:
                    raise ValueError(
                        f"backward: gradient of shape {g.shape} given for an output of shape "
                        f"{value.shape}"
                    )
                g = g.astype(value.dtype, copy=False)
            s = slots[pos]
            if s is None:
                s = slots[pos] = [None] * len(node.outputs)
            slot = s[k]
            s[k] = [g if slot is None else _graph._plus(slot[0], g), slot is not None]
        stubs = self._stubs.__dict__.get("parents")
        if stubs is None:  # per thread: two threads may replay one graph at once
            stubs = self._stubs.parents = [
                self._make_stubs(node, needs) for node, _, needs in self.steps
            ]
        for pos, (node, targets, _needs) in enumerate(self.steps):
            op = kept.pop(id(node))
            # Gradients read their inputs' requires_grad and shape: tensors kept from call to
            # call stand for them, pointed at this call's arrays.
            parents = stubs[pos]
            for t, v in zip(parents, node.inputs, strict=False):
                t._data = env[v]
            op.parents = parents
            s = slots[pos]
            slots[pos] = None
            if len(node.outputs) == 1:
                grad_in = s[0][0]
            else:  # (the template may predate the op's n_ret: the wrapper sets it last)
                op.n_ret = len(node.outputs)
                grad_in = tuple(
                    x[0] if x is not None else np.zeros(env[v].shape, env[v].dtype)
                    for x, v in zip(s, node.outputs, strict=True)
                )
            grads = op.gradient(grad_in)
            if type(grads) is not tuple:
                grads = (grads,)
            for target, g in zip(targets, grads, strict=False):
                if g is None or target is None:
                    continue
                if type(g) is not np.ndarray:
                    g = np.asarray(g)
                kind = target[0]
                if kind == SLOT:
                    _, child, index, shape, dtype = target
                    child_slots = slots[child]
                    if child_slots is None:
                        child_slots = slots[child] = [None] * len(self.steps[child][0].outputs)
                    slot = child_slots[index]
                    if slot is None and g.shape == shape and g.dtype == dtype:
                        child_slots[index] = [g, False]
                        continue
                    owned = False
                    if g.shape != shape:
                        if slot is not None and slot[1]:
                            accumulate(slot[0], g)
                            continue
                        g, owned = reduce_to_shape(g, shape), True
                    if g.dtype != dtype:
                        g, owned = g.astype(dtype), True
                    if slot is None:
                        child_slots[index] = [g, owned]
                    elif slot[1]:
                        slot[0] += g
                    else:
                        child_slots[index] = [_graph._plus(slot[0], g), True]
                else:
                    leaf = target[1] if kind == LEAF else inputs[target[1]]
                    owned = (
                        g is not grad_in
                        and g.flags.owndata
                        and (len(grads) == 1 or _graph._unique(g, grads))
                    )
                    _graph._add_to_leaf(leaf, g, owned)
            op.__dict__.clear()  # as the engine does: the saved arrays go now
        for parents in stubs:
            for t in parents:
                t._data = None  # no array outlives the call

    @staticmethod
    def _make_stubs(node: Any, needs: tuple) -> tuple:
        parents = []
        for need in needs:
            t = _graph._result(np.zeros(()), None)
            t._requires_grad = need
            parents.append(t)
        return tuple(parents)
