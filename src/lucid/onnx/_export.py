"""Run a forward while the graph records, walk it from the outputs back, emit ONNX nodes.

Every result of a recorded op links to its op and the op to its inputs (``parents``), so the
walk from the outputs reaches every op the outputs depend on; ops are numbered as they are
recorded, which orders them topologically. Leaves become graph inputs (the example inputs),
initializers named by their state-dict key (parameters and buffers), or constants.
"""

from __future__ import annotations

import io
import itertools
import os
from typing import Any

import numpy as np

from lucid import _graph
from lucid.onnx import _ops
from lucid.tensor import Tensor

SUPPORTED_OPS = _ops.SUPPORTED_OPS
MIN_OPSET = 17  # LayerNormalization


def _onnx() -> tuple[Any, Any, Any]:
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError as exc:
        raise ImportError(
            "lucid.onnx.export needs the onnx package: pip install 'lucid[onnx]'"
        ) from exc
    return onnx, helper, numpy_helper


class Graph:
    """The nodes and initializers being built; what the op converters in ``_ops`` call."""

    def __init__(self, opset: int, helper: Any, numpy_helper: Any) -> None:
        self.opset = opset
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = itertools.count()

    def fresh(self, hint: str) -> str:
        return f"{hint}_{next(self._count)}"

    def const(self, value: Any, dtype: Any = None, hint: str = "const") -> str:
        """A new initializer holding ``value`` (converted to ``dtype`` if given)."""
        array = np.asarray(value, dtype=dtype)
        name = self.fresh(hint)
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def named_initializer(self, array: np.ndarray, name: str) -> str:
        self.initializers.append(self.numpy_helper.from_array(np.array(array, order="C"), name))
        return name

    def ints(self, values: Any) -> str:
        """An int64 1-D initializer (shapes, axes, pads as inputs)."""
        return self.const(np.asarray(list(values), dtype=np.int64).reshape(-1), hint="ints")

    def add(self, op_type: str, inputs: list[str], n_out: int = 1, **attrs: Any) -> Any:
        """Append a node; returns its output name (a list of them when ``n_out`` > 1)."""
        outputs = [self.fresh(op_type.lower()) for _ in range(n_out)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.helper.make_node(op_type, inputs, outputs, **attrs))
        return outputs[0] if n_out == 1 else outputs

    def cast(self, name: str, have: np.dtype, want: np.dtype) -> str:
        if np.dtype(have) == np.dtype(want):
            return name
        return self.add("Cast", [name], to=self.helper.np_dtype_to_tensor_dtype(np.dtype(want)))


def _flatten(value: Any, where: str) -> list[Tensor]:
    """The tensors of a (nested) tuple/list of outputs, in order."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _flatten(v, where)]
    raise TypeError(f"lucid.onnx.export: the model's {where} holds a {type(value).__name__}")


def _key(a: np.ndarray) -> tuple:
    """Arrays with equal keys are the same values in memory (a view such as ``detach()``)."""
    return (a.__array_interface__["data"][0], a.shape, a.strides, a.dtype.str)


def _constant_operand(op: Any, others: list[Tensor], out: Tensor) -> np.ndarray:
    """The value of a Python float that the engine's fast path passed without a tensor
    (``x + 1e-5``): ops that keep their operands keep it as ``b``; for Add and Sub it is one of
    the engine's cached 0-d constants, the one that reproduces the result exactly."""
    b = op.__dict__.get("_const")  # set by the engine for a Python-float operand
    if isinstance(b, np.ndarray) and b.ndim == 0:
        return b
    a = others[0]._data
    ufunc = {"Add": np.add, "Sub": np.subtract}.get(type(op).__name__)
    if ufunc is not None:
        found = [
            c
            for (_, dtype), c in list(_graph._CONSTANTS.items())
            if dtype == a.dtype and np.array_equal(ufunc(a, c), out._data, equal_nan=True)
        ]
        values = {float(c) for c in found}
        if len(values) == 1:
            return found[0]
    raise NotImplementedError(
        f"lucid.onnx.export: cannot recover the constant operand of {type(op).__name__}; "
        "write it as a tensor (lucid.tensor(value)) in the model"
    )


def _check_args(args: Any) -> list[Tensor]:
    if isinstance(args, (Tensor, np.ndarray)):
        args = (args,)
    if not isinstance(args, (tuple, list)):
        raise TypeError(
            f"lucid.onnx.export: args must be a Tensor or a tuple of Tensors, got "
            f"{type(args).__name__}"
        )
    inputs = []
    for i, a in enumerate(args):
        if not isinstance(a, (Tensor, np.ndarray)):
            raise TypeError(
                f"lucid.onnx.export: args[{i}] is a {type(a).__name__}; only tensor inputs "
                "can be exported"
            )
        array = np.array(a._data if isinstance(a, Tensor) else a)  # a copy: the trace's own
        t = Tensor._wrap(array)
        if array.dtype.kind == "f":
            t.requires_grad_(True)  # so that every op on it is recorded
        inputs.append(t)
    return inputs


def _names(given: Any, n: int, what: str) -> list[str]:
    if given is None:
        return [f"{what}_{i}" for i in range(n)]
    names = list(given)
    if len(names) != n or len(set(names)) != n or not all(isinstance(s, str) for s in names):
        raise ValueError(
            f"lucid.onnx.export: {what}_names must be {n} distinct strings, got {names!r}"
        )
    return names


def _dynamic(dynamic_axes: Any, known: set[str]) -> dict[str, dict[int, str]]:
    out: dict[str, dict[int, str]] = {}
    for name, axes in (dynamic_axes or {}).items():
        if name not in known:
            raise KeyError(
                f"lucid.onnx.export: dynamic_axes names {name!r}, which is not among the "
                f"input and output names {sorted(known)}"
            )
        if isinstance(axes, dict):
            out[name] = {int(a): str(label) for a, label in axes.items()}
        else:
            out[name] = {int(a): f"{name}_dim_{int(a)}" for a in axes}
    return out


def _value_info(helper: Any, name: str, t: Tensor, dynamic: dict[int, str]) -> Any:
    for axis in dynamic:
        if not -t.ndim <= axis < t.ndim:
            raise IndexError(
                f"lucid.onnx.export: dynamic_axes gives axis {axis} for {name!r}, which has "
                f"shape {t.shape}"
            )
    dims = [dynamic.get(i, dynamic.get(i - t.ndim, n)) for i, n in enumerate(t.shape)]
    elem = helper.np_dtype_to_tensor_dtype(t.dtype)
    return helper.make_tensor_value_info(name, elem, dims)


class ModuleCall:
    """One call of a layer that exports as a whole (``_ops.MODULE_CONVERTERS``: RNN, LSTM,
    GRU) instead of as the ops it recorded: its inputs act as ``parents``, its outputs as the
    results, and the walk does not enter it."""

    n_ret = 1

    def __init__(self, module: Any, args: tuple, kwargs: dict, out: Any) -> None:
        self.module = module
        self.outputs = _flatten(out, "output")
        hx = args[1] if len(args) > 1 else kwargs.get("hx")
        x = args[0] if args else kwargs.get("input")
        states = [] if hx is None else list(hx) if isinstance(hx, (tuple, list)) else [hx]
        if not all(isinstance(t, Tensor) for t in [x, *states]):
            raise TypeError(
                f"lucid.onnx.export: {type(module).__name__} was called with arrays, not tensors"
            )
        self.parents = (x, *states)
        self.n_ret = len(self.outputs)
        self._out_meta = tuple((t.shape, t.dtype) for t in self.outputs)
        # after every op its inputs came from, before every op that uses its outputs
        self._seq = max(t._op._seq for t in self.outputs if t._op is not None)


def _trace(model: Any, inputs: list[Tensor]) -> tuple[Any, list[ModuleCall]]:
    """The model's outputs with every op recorded, in evaluation mode (restored afterwards),
    and the calls of the layers that export whole."""
    modules = list(model.modules()) if hasattr(model, "modules") else []
    modes = [m.training for m in modules]
    calls: list[ModuleCall] = []

    def recorded(module: Any) -> Any:
        forward = module.forward

        def call(*args: Any, **kwargs: Any) -> Any:
            out = forward(*args, **kwargs)
            calls.append(ModuleCall(module, args, kwargs, out))
            return out

        return call

    whole = [m for m in modules if type(m) in _ops.MODULE_CONVERTERS]
    try:
        for m in modules:
            m.training = False
        for m in whole:  # an instance attribute shadows the class's forward for this trace
            m.__dict__["forward"] = recorded(m)
        with _graph.enable_grad():
            return model(*inputs), calls
    finally:
        for m in whole:
            m.__dict__.pop("forward", None)
        for m, mode in zip(modules, modes, strict=True):
            m.training = mode


def export(
    model: Any,
    args: Any,
    f: str | os.PathLike | io.IOBase,
    input_names: Any = None,
    output_names: Any = None,
    dynamic_axes: dict | None = None,
    opset_version: int = 17,
    *,
    do_constant_folding: bool = True,  # accepted; ONNX Runtime folds constants itself
    export_params: bool = True,
    verbose: bool = False,
) -> Any:
    """Write ``model`` as an ONNX graph to ``f`` (a path or a binary file); returns the
    ``onnx.ModelProto`` after ``onnx.checker.check_model`` has accepted it.

    As ``torch.onnx.export`` (TorchScript-based): ``model(*args)`` runs once in evaluation
    mode with every op recorded, and the recorded ops that the outputs depend on become
    nodes; parameters and buffers become initializers named by their state-dict keys.
    ``RNN``, ``LSTM`` and ``GRU`` layers become ONNX's RNN, LSTM and GRU nodes (one per
    layer), so their batch and time axes may be dynamic.
    ``args`` is a Tensor or a tuple of them; nested tuples of outputs are flattened.
    ``dynamic_axes`` maps input/output names to the axes left symbolic (a list, or a dict of
    axis to name). ``opset_version`` from 17 (LayerNormalization) to what onnx knows.

    A trace would freeze values computed outside recorded ops (comparisons, argmax, ops on
    integer tensors, NumPy on ``.numpy()``, Python control flow on values): ``export`` traces
    a second time on the inputs' elements shuffled and raises RuntimeError naming the node or
    constant that changed. Shapes are those of the example inputs except where a dynamic
    axis flows through shape-preserving ops; reshapes keep leading axes symbolic. An op that
    has no converter raises NotImplementedError naming it; ``lucid.onnx.SUPPORTED_OPS``
    lists those that have one.
    """
    onnx, helper, numpy_helper = _onnx()
    if not export_params:
        raise NotImplementedError(
            "lucid.onnx.export: export_params=False (parameters as graph inputs) is not "
            "supported; parameters are always written as initializers"
        )
    opset = int(opset_version)
    newest = onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= opset <= newest:
        raise ValueError(
            f"lucid.onnx.export: opset_version must be in [{MIN_OPSET}, {newest}], got {opset}"
        )
    inputs = _check_args(args)
    names = (input_names, output_names, dynamic_axes)
    graph = _build(model, inputs, *names, Graph(opset, helper, numpy_helper))
    # A trace freezes whatever was computed outside recorded ops. Tracing again on the inputs'
    # values shuffled finds those constants: they change, and the graphs differ.
    again = _build(model, _shuffled(inputs), *names, Graph(opset, helper, numpy_helper))
    _same_graph(graph, again)
    proto = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", opset)],
        producer_name="lucid",
        ir_version=min(onnx.IR_VERSION, 10),  # onnxruntime reads IR 10 (ONNX 1.16) and newer
    )
    onnx.checker.check_model(proto, full_check=True)
    if isinstance(f, (str, os.PathLike)):
        onnx.save(proto, os.fspath(f))
    else:
        f.write(proto.SerializeToString())
    if verbose:
        print(helper.printable_graph(proto.graph))
    return proto


def _build(
    model: Any,
    inputs: list[Tensor],
    input_names: Any,
    output_names: Any,
    dynamic_axes: Any,
    g: Graph,
) -> Any:
    """Trace ``model`` on ``inputs`` and convert the recorded ops; returns the GraphProto."""
    helper = g.helper
    traced, calls = _trace(model, inputs)
    outputs = _flatten(traced, "output")
    in_names = _names(input_names, len(inputs), "input")
    out_names = _names(output_names, len(outputs), "output")
    if set(in_names) & set(out_names):
        raise ValueError(
            f"lucid.onnx.export: names {sorted(set(in_names) & set(out_names))} are both "
            "input and output names"
        )
    dynamic = _dynamic(dynamic_axes, set(in_names) | set(out_names))

    # Leaves by identity: inputs; parameters and buffers (by their arrays, so that views
    # such as ``p.detach()`` count too).
    leaf_names: dict[int, str] = {id(t): name for t, name in zip(inputs, in_names, strict=True)}
    by_key: dict[tuple, str] = {_key(t._data): n for t, n in zip(inputs, in_names, strict=True)}
    state = {}
    if hasattr(model, "state_dict"):
        state = {k: v for k, v in model.state_dict().items() if isinstance(v, Tensor)}
    state_keys = {_key(v._data): k for k, v in state.items()}
    emitted_state: dict[str, str] = {}

    ops = _collect(outputs, calls)
    produced: dict[tuple[int, int], str] = {}  # (id(op), index) -> value name
    used_inputs: set[str] = set()

    def leaf(t: Tensor) -> str:
        name = leaf_names.get(id(t))
        if name is not None:
            used_inputs.add(name)
            return name
        k = _key(t._data)
        if k in state_keys:
            key = state_keys[k]
            if key not in emitted_state:
                emitted_state[key] = g.named_initializer(t._data, key)
            return emitted_state[key]
        if by_key.get(k):  # an alias of an input or of a recorded result
            if by_key[k] in in_names:
                used_inputs.add(by_key[k])
            return by_key[k]
        return g.const(t._data, hint="const")

    def index_input(array: np.ndarray) -> str | None:
        """The graph input an op's stashed integer index came from (Embedding's)."""
        for t, name in zip(inputs, in_names, strict=True):
            if array is t._data or (array.shape == t.shape and np.shares_memory(array, t._data)):
                used_inputs.add(name)
                return name
        return None

    for op, outs in ops:
        parents = op.parents
        names, values = [], []
        for p in parents:
            if p is _graph._CONSTANT:
                others = [q for q in parents if q is not _graph._CONSTANT]
                out0 = outs.get(0)
                array = _constant_operand(op, others, out0)
                names.append(g.const(array))
                values.append(_ops.Value(array.shape, array.dtype))
                continue
            if p._op is not None:
                names.append(produced[(id(p._op), p._index)])
            else:
                names.append(leaf(p))
            values.append(_ops.Value(p.shape, p.dtype))
        out_values = _ops.out_values(op, outs)
        if isinstance(op, ModuleCall):
            convert = _ops.MODULE_CONVERTERS[type(op.module)]
        else:
            convert = _ops.CONVERTERS.get(type(op))
        if convert is None:
            raise NotImplementedError(
                f"lucid.onnx.export: the op {type(op).__name__} ({type(op).__module__}) has no "
                f"ONNX converter; supported ops: {', '.join(sorted(SUPPORTED_OPS))}"
            )
        ctx = _ops.Context(g, op, names, values, out_values, index_input)
        result = convert(ctx)
        result = [result] if isinstance(result, str) else list(result)
        for index, name in enumerate(result):
            produced[(id(op), index)] = name
            if isinstance(op, ModuleCall):  # consumers find the layer's outputs by their ops
                produced[(id(op.outputs[index]._op), op.outputs[index]._index)] = name
            t = outs.get(index)
            if t is not None and not by_key.get(_key(t._data)):
                by_key[_key(t._data)] = name

    graph_outputs = []
    for t, name in zip(outputs, out_names, strict=True):
        source = produced[(id(t._op), t._index)] if t._op is not None else leaf(t)
        g.nodes.append(helper.make_node("Identity", [source], [name]))
        graph_outputs.append(_value_info(helper, name, t, dynamic.get(name, {})))
    unused = [n for n in in_names if n not in used_inputs]
    if unused:
        raise RuntimeError(
            f"lucid.onnx.export: the outputs do not depend on inputs {unused} through recorded "
            "ops (computations on integer tensors or on .numpy() arrays are not recorded, "
            "so the trace would freeze them as constants)"
        )
    graph_inputs = [
        _value_info(helper, name, t, dynamic.get(name, {}))
        for t, name in zip(inputs, in_names, strict=True)
    ]
    consumed = {name for node in g.nodes for name in node.input}
    initializers = [i for i in g.initializers if i.name in consumed]
    return helper.make_graph(
        g.nodes, type(model).__name__, graph_inputs, graph_outputs, initializers
    )


def _shuffled(inputs: list[Tensor]) -> list[Tensor]:
    """Inputs of the same shapes and dtypes with other values: each one's elements shuffled
    (which keeps their range, for ops such as log and embedding lookups), floats also scaled
    by 0.999 so that one-element inputs change too."""
    rng = np.random.default_rng(0)
    out = []
    for t in inputs:
        a = rng.permutation(t._data.reshape(-1)).reshape(t.shape)
        if a.dtype.kind == "f":
            a = a * a.dtype.type(0.999)
        new = Tensor._wrap(a)
        out.append(new.requires_grad_(True) if a.dtype.kind == "f" else new)
    return out


def _same_graph(graph: Any, again: Any) -> None:
    """RuntimeError naming the first node or constant that differs between the two traces."""
    if graph == again:
        return
    for a, b in zip(graph.node, again.node, strict=False):
        if a != b:
            raise RuntimeError(
                f"lucid.onnx.export: the traced graph depends on the input values: its "
                f"{a.op_type} node {list(a.output)} differs between two traces (Python control "
                "flow on tensor values?)"
            )
    if len(graph.node) != len(again.node):
        raise RuntimeError(
            "lucid.onnx.export: the traced graph depends on the input values: two traces have "
            f"{len(graph.node)} and {len(again.node)} nodes (Python control flow on values?)"
        )
    values = {i.name: i for i in again.initializer}
    for init in graph.initializer:
        if values.get(init.name) != init:
            users = [n.op_type for n in graph.node if init.name in n.input]
            raise RuntimeError(
                f"lucid.onnx.export: the constant {init.name!r} (an input of {users}) changes "
                "with the input values: it was computed outside recorded ops (a comparison, "
                "argmax, an op on integer tensors, NumPy on .numpy(), random numbers) and "
                "would be frozen in the ONNX graph; compute it from parameters or buffers, or "
                "with differentiable ops"
            )
    raise RuntimeError("lucid.onnx.export: two traces of the model give different graphs")


def _collect(outputs: list[Tensor], calls: list[ModuleCall]) -> list[tuple[Any, dict]]:
    """Every recorded op (or whole-layer call) the outputs depend on, in recording order,
    with the results of it that were met (index -> Tensor). Iterative: a long chain does not
    recurse."""
    boundary = {id(t): (call, i) for call in calls for i, t in enumerate(call.outputs)}
    found: dict[int, tuple[Any, dict[int, Tensor]]] = {}
    stack = [t for t in outputs if t._op is not None or id(t) in boundary]
    while stack:
        t = stack.pop()
        op, index = boundary.get(id(t), (t._op, t._index))
        entry = found.get(id(op))
        if entry is None:
            if op.parents is None:
                raise RuntimeError(
                    "lucid.onnx.export: the recorded graph was released (a backward ran "
                    "during the forward?)"
                )
            entry = found[id(op)] = (op, {})
            stack.extend(p for p in op.parents if p._op is not None or id(p) in boundary)
        entry[1][index] = t
    return sorted(found.values(), key=lambda e: e[0]._seq)
