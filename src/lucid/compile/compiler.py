"""``lucid.compile``: trace a function once per call signature, optimise the IR, replay it."""

from __future__ import annotations

import sys
import warnings
from collections import OrderedDict
from typing import Any

import numpy as np

from lucid import _graph
from lucid.compile.dce import eliminate_dead_code
from lucid.compile.fold import fold_constants
from lucid.compile.fuse import FusedNode, fuse_elementwise
from lucid.compile.guards import guard_key, param_state
from lucid.compile.ir import CONST, INPUT, PARAM, Graph
from lucid.compile.memory import plan_buffers
from lucid.compile.trace import Tracer, Untraceable, tracing
from lucid.tensor import Tensor

_new = object.__new__

# Variants kept per compiled function (one per call signature); the least recently used goes.
CACHE_SIZE = 8


class Variant:
    """The optimised graph of one call signature, and how to replay it.

    Without a gradient to record (grad mode off, or nothing the outputs depend on requires
    grad) it replays on arrays: each node runs its op's undecorated forward, fused chains run
    their kernels. Otherwise it replays on Tensors through the ops' own (decorated) forwards,
    so the engine records the graph as eager code does and ``backward()`` gives the eager
    gradients; each fused chain is then one recorded op whose gradient is a generated kernel.
    A graph with side effects (a captured ``backward()``, optimizer ``step()``/``zero_grad()``)
    replays on arrays, unfused, keeping the op instances the backward plan needs.
    """

    eager_reason: str | None = None

    def __init__(self, graph: Graph, needs_grad: bool) -> None:
        self.graph = graph
        self.needs_grad = needs_grad
        params = [v for v in graph.values.values() if v.kind == PARAM]
        self.params = [(v.id, v.tensor) for v in params]
        self.param_meta = param_state([t for _, t in self.params])
        size = max(graph.values, default=-1) + 1
        self.template: list[Any] = [None] * size
        for v in graph.values.values():
            if v.kind == CONST:
                self.template[v.id] = Tensor._wrap(v.array) if needs_grad else v.array
        # A captured backward() or optimizer step: replayed on arrays, op by op (the backward
        # plan needs each op's instance, and gradients bit-identical to eager mode).
        self.effects = any(node.effect for node in graph.nodes)
        self.fused = [] if self.effects else fuse_elementwise(graph)
        for node in self.fused:
            node.prepare(backward=needs_grad)
        if not needs_grad and not self.effects:  # recorded kernels save their inputs
            plan_buffers(graph)
        # Results that required grad when traced and whose graph the captured backward()
        # released: returned as tensors whose backward() raises as eager mode's would.
        released = graph.grad_outputs & _backward_made(graph)
        self.released = {v: graph.values[v].node for v in released}

    def valid(self) -> bool:
        return param_state([t for _, t in self.params]) == self.param_meta

    def run(self, args: tuple, kwargs: dict, inputs: list) -> Any:
        return self._outputs(self.graph.outputs, self.evaluate(inputs), inputs, {})

    def evaluate(self, inputs: list) -> list:
        """Every value of the graph for these tensor arguments, by value id."""
        env = list(self.template)
        tensors = self.needs_grad
        for k, vid in enumerate(self.graph.inputs):
            if vid >= 0:
                a = inputs[k]
                if tensors:
                    env[vid] = a if isinstance(a, Tensor) else Tensor._wrap(a)
                else:
                    env[vid] = a._data if isinstance(a, Tensor) else a
        for vid, t in self.params:
            env[vid] = t if tensors else t._data
        if tensors:
            for node in self.graph.nodes:
                if node.grad_enabled:
                    outs = node.forward_tensors([env[v] for v in node.inputs])
                else:  # it ran inside a no_grad block of the function
                    with _graph.no_grad():
                        outs = node.forward_tensors([env[v] for v in node.inputs])
                for vid, o in zip(node.outputs, outs, strict=True):
                    env[vid] = o
        elif self.effects:
            kept: dict[int, Any] = {}  # id(node) -> its op instance, for the backward plan
            for node in self.graph.nodes:
                if node.effect:
                    node.apply(env, kept, inputs)
                    continue
                arrays = [env[v] for v in node.inputs]
                if node.keep:
                    op = kept[id(node)] = node.fresh_op()
                    outs = node.run_arrays(op, arrays)
                else:
                    outs = node.forward_arrays(arrays)
                for vid, o in zip(node.outputs, outs, strict=True):
                    env[vid] = o
        else:
            for node in self.graph.nodes:
                outs = node.forward_arrays([env[v] for v in node.inputs])
                for vid, o in zip(node.outputs, outs, strict=True):
                    env[vid] = o
        return env

    def _outputs(self, spec: Any, env: list, inputs: list, made: dict) -> Any:
        if isinstance(spec, tuple) and len(spec) == 2 and spec[0] == "py":
            return spec[1]
        if isinstance(spec, tuple) and len(spec) == 2 and spec[0] == "v":
            vid = spec[1]
            if vid not in made:
                made[vid] = self._tensor(vid, env, inputs)
            return made[vid]
        if isinstance(spec, list):
            return [self._outputs(s, env, inputs, made) for s in spec]
        if isinstance(spec, tuple):
            return tuple(self._outputs(s, env, inputs, made) for s in spec)
        return {k: self._outputs(s, env, inputs, made) for k, s in spec.items()}

    def _tensor(self, vid: int, env: list, inputs: list) -> Any:
        v = self.graph.values[vid]
        if v.kind == INPUT:
            return inputs[v.index]  # the very object passed, as eager code returns it
        if v.kind == PARAM:
            return v.tensor
        if v.kind == CONST:
            return Tensor._wrap(np.array(v.array))  # a copy: the caller may change it
        value = env[vid]
        if vid in self.released:  # its graph went with the captured backward(), as in eager
            return _graph._result(value, _new(type(self.released[vid].template)))
        return value if isinstance(value, Tensor) else Tensor._wrap(value)


class EagerVariant:
    """A call signature whose trace broke: every call runs the function eagerly."""

    graph = None
    needs_grad = False
    fused: list = []

    def __init__(self, fn: Any, reason: str) -> None:
        self.fn = fn
        self.eager_reason = reason

    def valid(self) -> bool:
        return True

    def run(self, args: tuple, kwargs: dict, inputs: list) -> Any:
        return self.fn(*args, **kwargs)


def _modules_of(fn: Any) -> list:
    """The Modules a function uses directly: itself, the object of a bound method, and those
    its closure cells or the globals it names hold (looked up again at every trace)."""
    from lucid.nn.module import Module

    if isinstance(fn, Module):
        return [fn]
    found = []
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, Module):
        found.append(owner)
    code_fn = getattr(fn, "__func__", fn)
    code = getattr(code_fn, "__code__", None)
    if code is not None:
        for cell in getattr(code_fn, "__closure__", None) or ():
            try:
                contents = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if isinstance(contents, Module):
                found.append(contents)
        names = code_fn.__globals__
        found += [names[n] for n in code.co_names if isinstance(names.get(n), Module)]
    unique = {id(m): m for m in found}
    return list(unique.values())


class CompiledFunction:
    """What ``lucid.compile`` returns: call it as the function (or Module) it wraps.

    ``graph`` prints the IR of the variant used last; ``variants`` holds one per call
    signature (``CACHE_SIZE`` at most). Attributes it does not have come from the wrapped
    function or Module (``compiled.parameters()``, ``compiled.eval()``).
    """

    def __init__(self, fn: Any, fullgraph: bool, debug: bool) -> None:
        self._fn = fn
        self._fullgraph = fullgraph
        self._debug = debug
        self.variants: OrderedDict[tuple, Any] = OrderedDict()
        self.last: Any = None
        self.traces = 0  # how many times a call was traced (a guard miss retraces)
        self._roots: list = []  # the modules the function uses
        self._modules: list | None = None  # those and all their sub-modules, for the guards

    def _find_modules(self) -> None:
        """List the modules once per trace: walking them on every call would cost more than
        a small model's replay (a module tree changed after tracing is not seen)."""
        self._roots = _modules_of(self._fn)
        self._modules = [m for root in self._roots for m in root.modules()]

    def __getattr__(self, name: str) -> Any:
        fn = self.__dict__.get("_fn")
        if fn is None:  # not initialised (copy, pickle)
            raise AttributeError(name)
        return getattr(fn, name)

    @property
    def graph(self) -> str:
        """The IR of the last call's variant, as text."""
        if self.last is None:
            raise RuntimeError("lucid.compile: no graph yet; call the compiled function first")
        if self.last.graph is None:
            return f"<runs eagerly: graph break at {self.last.eager_reason}>"
        return str(self.last.graph)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _graph._mode.tracer is not None:  # inside another trace: inline, record its ops
            return self._fn(*args, **kwargs)
        if self._modules is None:
            self._find_modules()
        key, inputs = guard_key(args, kwargs, self._modules)
        variant = self.variants.get(key)
        if variant is not None and variant.valid():
            self.variants.move_to_end(key)
            self.last = variant
            return variant.run(args, kwargs, inputs)
        self._find_modules()  # the globals the function names may hold other modules now
        key, inputs = guard_key(args, kwargs, self._modules)
        out, variant = self._trace(args, kwargs, inputs, self._roots)
        self.variants[key] = variant
        self.variants.move_to_end(key)
        while len(self.variants) > CACHE_SIZE:
            self.variants.popitem(last=False)
        self.last = variant
        return out

    def _trace(self, args: tuple, kwargs: dict, inputs: list, modules: list) -> tuple:
        """Run the function once, eagerly, recording it; its result and the new variant."""
        self.traces += 1
        params = [p for m in modules for p in m.parameters()]
        buffers = [b for m in modules for b in m.buffers()]
        watched = [t for t in inputs if isinstance(t, Tensor)] + params + buffers
        versions = [t._version for t in watched]
        before = [(b, b._data, b._data.copy()) for b in buffers]
        tracer = Tracer(self._fullgraph, bool(_graph._mode.anomaly))
        for k, a in enumerate(inputs):
            tracer.add_input(a._data if isinstance(a, Tensor) else a, k)
        for p in params + buffers:
            tracer.add_param(p)
        grad_enabled = _graph._mode.enabled
        with tracing(tracer):
            out = self._fn(*args, **kwargs)
        reason = tracer.broken
        graph = None
        if reason is None:
            try:
                if tracer.untraceable is not None:  # said first: it stopped the recording
                    raise Untraceable(tracer.untraceable)
                # The parameters of a captured optimizer step change in place by design.
                stepped = {
                    id(p) for opt in tracer.optimizers for g in opt.param_groups
                    for p in g["params"]
                }  # fmt: skip
                if any(
                    t._version != v
                    for t, v in zip(watched, versions, strict=True)
                    if id(t) not in stepped
                ) or any(
                    b._data is not data or not np.array_equal(b._data, old, equal_nan=True)
                    for b, data, old in before
                ):
                    raise Untraceable("an input, parameter or buffer was changed in place")
                graph = tracer.graph(len(inputs), out)
            except Untraceable as exc:
                if self._fullgraph:
                    raise RuntimeError(f"lucid.compile(fullgraph=True): {exc}") from None
                reason = str(exc)
        if graph is None:
            warnings.warn(
                f"lucid.compile: graph break ({reason}); calls like this one run eagerly",
                stacklevel=3,
            )
            return out, EagerVariant(self._fn, reason)
        effects = any(node.effect for node in graph.nodes)
        needs_grad = (
            grad_enabled
            and not effects
            and any(isinstance(t, Tensor) and t._requires_grad for t in _flat(out))
        )
        if effects and graph.grad_outputs - _backward_made(graph):
            # Replayed on arrays, it would come back without a graph: not captured.
            reason = (
                "a returned result needs grad but the captured backward() did not consume it "
                "(return it detached, or call backward() outside)"
            )
            if self._fullgraph:
                raise RuntimeError(f"lucid.compile(fullgraph=True): {reason}")
            warnings.warn(
                f"lucid.compile: graph break ({reason}); calls like this one run eagerly",
                stacklevel=3,
            )
            return out, EagerVariant(self._fn, reason)
        eliminate_dead_code(graph)
        fold_constants(graph)
        variant = Variant(graph, needs_grad)
        if self._debug:
            self._report(variant)
        return out, variant

    def _report(self, variant: Variant) -> None:
        """debug=True: where the IR and the generated kernels are, on stderr."""
        from lucid.compile.codegen import cache_dir

        path = cache_dir() / f"graph_{getattr(self._fn, '__name__', type(self._fn).__name__)}.txt"
        path.write_text(str(variant.graph) + "\n")
        lines = [f"lucid.compile: IR in {path}"]
        for node in variant.fused:
            where = node.path or _write_source(node)
            lines.append(f"lucid.compile: kernel of {len(node.members)} ops in {where}")
        sys.stderr.write("\n".join(lines) + "\n")


def _write_source(node: FusedNode) -> Any:
    """The path of a kernel's source when the JIT is off (written for reading only)."""
    import hashlib

    from lucid.compile.codegen import cache_dir

    path = cache_dir() / f"lucid_fused_{hashlib.sha1(node.source.encode()).hexdigest()[:20]}.py"
    path.write_text(node.source)
    return path


def _backward_made(graph: Graph) -> set[int]:
    """The values made by the nodes a captured ``backward()`` differentiates."""
    return {
        v for node in graph.nodes if node.effect for n in getattr(node, "nodes", list)()
        for v in n.outputs
    }  # fmt: skip


def _flat(value: Any) -> list:
    if isinstance(value, (tuple, list)):
        return [x for v in value for x in _flat(v)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _flat(v)]
    return [value]


def compile(
    fn: Any = None, *, fullgraph: bool = False, dynamic: bool | None = None, debug: bool = False
) -> Any:
    """Trace ``fn`` (a function or Module) on its first call, replay its ops after.

    As ``torch.compile``: the result is called like ``fn``. The first call with a new call
    signature (tensor shapes, dtypes and ``requires_grad``, Python scalar arguments, grad mode,
    train/eval of the Modules it uses) runs ``fn`` eagerly while recording every op, then
    prunes dead ops, folds constants and fuses elementwise chains into generated Numba kernels;
    later calls with that signature replay the graph without running ``fn``'s Python. Up to
    ``CACHE_SIZE`` signatures are kept. Results needing a gradient replay the original ops, so
    ``backward()`` through them equals eager mode.

    A whole training step compiles: ``loss.backward()`` inside ``fn`` replays the engine's
    pass as a recorded plan (gradients bit-identical to eager mode, accumulated into ``.grad``),
    ``optimizer.step()`` and ``zero_grad()`` replay as in-place nodes; a returned loss then has
    no graph left to differentiate (as after an eager ``backward()``).

    Differences from PyTorch: Python that reads a tensor's value (``item()``, ``if t:``), a
    ``backward()`` with ``retain_graph``/``create_graph``/hooks, or reading ``.grad`` after it
    inside ``fn`` ends the trace with one warning, and that signature then runs eagerly
    (``fullgraph=True`` raises RuntimeError naming the line instead); ``dynamic=True``
    is not supported (each new shape retraces). Python side effects of ``fn`` (appending to a
    list, printing) happen on the traced call only. Usable as ``@lucid.compile`` or
    ``@lucid.compile(fullgraph=True)``. ``debug=True`` (or ``LUCID_COMPILE_DEBUG=1``) writes
    the IR and prints where it and the generated kernels are.
    """
    import os

    if dynamic:
        raise NotImplementedError(
            "lucid.compile(dynamic=True): dynamic shapes are not supported yet; leave dynamic "
            "unset and each new shape is traced once"
        )
    debug = debug or os.environ.get("LUCID_COMPILE_DEBUG", "0") in ("1", "true", "True")

    def wrap(f: Any) -> CompiledFunction:
        if not callable(f):
            raise TypeError(
                f"lucid.compile: expected a function or Module, got {type(f).__name__}"
            )
        return CompiledFunction(f, fullgraph, debug)

    return wrap if fn is None else wrap(fn)
