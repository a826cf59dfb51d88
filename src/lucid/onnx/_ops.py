"""One converter per Lucid op class: the ONNX nodes that compute the op's results.

A converter takes a ``Context`` (the graph being built, the op with the attributes its
forward kept, its inputs' value names and shapes/dtypes, its results' shapes/dtypes) and
returns the name of each result. Ops absent from ``CONVERTERS`` raise NotImplementedError
in ``export``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from lucid.nn import rnn
from lucid.ops import activation as act
from lucid.ops import attention as att
from lucid.ops import conv as cv
from lucid.ops import elementwise as ew
from lucid.ops import index as ix
from lucid.ops import linalg as la
from lucid.ops import norm as nm
from lucid.ops import pool as pl
from lucid.ops import reduce as rd
from lucid.ops import shape as sh


class Value(NamedTuple):
    shape: tuple[int, ...]
    dtype: np.dtype


def out_values(op: Any, outs: dict[int, Any]) -> list[Value]:
    """Shapes and dtypes of every result of ``op``: the met tensors', or the op's record."""
    meta = getattr(op, "_out_meta", None)
    if meta is not None and op.n_ret > 1:
        return [Value(tuple(s), np.dtype(d)) for s, d in meta]
    t = outs[0]
    return [Value(t.shape, t.dtype)]


class Context:
    """What a converter sees: ``g`` (``_export.Graph``), ``op``, ``ins`` (value names),
    ``vals`` (the inputs' shapes and dtypes), ``outs`` (the results')."""

    def __init__(
        self,
        g: Any,
        op: Any,
        ins: list[str],
        vals: list[Value],
        outs: list[Value],
        index_input: Callable[[np.ndarray], str | None],
    ) -> None:
        self.g, self.op, self.ins, self.vals, self.outs = g, op, ins, vals, outs
        self.index_input = index_input

    @property
    def dtype(self) -> np.dtype:
        return self.outs[0].dtype

    def input(self, i: int, dtype: Any = None) -> str:
        """Input ``i`` cast to ``dtype`` (default: the first result's dtype)."""
        want = self.dtype if dtype is None else np.dtype(dtype)
        return self.g.cast(self.ins[i], self.vals[i].dtype, want)

    def scalar(self, value: float, dtype: Any = None) -> str:
        return self.g.const(np.asarray(value, dtype=self.dtype if dtype is None else dtype))

    def unsupported(self, what: str) -> NotImplementedError:
        return NotImplementedError(
            f"lucid.onnx.export: {type(self.op).__name__} {what} has no ONNX converter"
        )


CONVERTERS: dict[type, Callable[[Context], Any]] = {}


def converts(*classes: type) -> Callable:
    def register(fn: Callable) -> Callable:
        for cls in classes:
            CONVERTERS[cls] = fn
        return fn

    return register


# --------------------------------------------------------------------------- elementwise

_UNARY = {
    ew.Neg: "Neg", ew.Exp: "Exp", ew.Log: "Log", ew.Sqrt: "Sqrt", ew.Abs: "Abs",
    ew.Reciprocal: "Reciprocal", ew.Sin: "Sin", ew.Cos: "Cos", ew.Tan: "Tan",
    ew.Tanh: "Tanh", ew.Sinh: "Sinh", ew.Cosh: "Cosh", ew.Arcsin: "Asin",
    ew.Arccos: "Acos", ew.Arctan: "Atan", ew.Floor: "Floor", ew.Ceil: "Ceil",
    ew.Sign: "Sign", ew.Clone: "Identity", act.Relu: "Relu", act.Sigmoid: "Sigmoid",
}  # fmt: skip
_BINARY = {
    ew.Add: "Add", ew.Sub: "Sub", ew.Multiply: "Mul", ew.Div: "Div", ew.Power: "Pow",
    ew.Maximum: "Max", ew.Minimum: "Min", la.MatMul: "MatMul",
}  # fmt: skip


def _unary(onnx_type: str) -> Callable[[Context], str]:
    def convert(c: Context) -> str:
        return c.g.add(onnx_type, [c.input(0)])

    return convert


def _binary(onnx_type: str) -> Callable[[Context], str]:
    def convert(c: Context) -> str:
        return c.g.add(onnx_type, [c.input(0), c.input(1)])

    return convert


for _cls, _name in _UNARY.items():
    CONVERTERS[_cls] = _unary(_name)
for _cls, _name in _BINARY.items():
    CONVERTERS[_cls] = _binary(_name)


@converts(ew.Square)
def _square(c: Context) -> str:
    x = c.input(0)
    return c.g.add("Mul", [x, x])


@converts(ew.Log2)
def _log2(c: Context) -> str:
    return c.g.add("Div", [c.g.add("Log", [c.input(0)]), c.scalar(math.log(2))])


@converts(ew.Round)
def _round(c: Context) -> str:  # ONNX's Round and NumPy's both round half to even
    if c.op.decimals == 0:
        return c.g.add("Round", [c.input(0)])
    scale = c.scalar(10.0**c.op.decimals)
    return c.g.add("Div", [c.g.add("Round", [c.g.add("Mul", [c.input(0), scale])]), scale])


@converts(ew.Where)
def _where(c: Context) -> str:  # Lucid's inputs are (a, b, cond)
    if c.ins[0] == c.ins[1] and c.vals[0] == c.vals[1]:  # Embedding's padding: x or x.detach()
        return c.ins[0]
    return c.g.add("Where", [c.input(2, np.bool_), c.input(0), c.input(1)])


@converts(ew.Clip)
def _clip(c: Context) -> str:  # bounds may be tensors: max then min, as np.clip
    out, i = c.input(0), 1
    if c.op.has_min:
        out, i = c.g.add("Max", [out, c.input(i)]), i + 1
    if c.op.has_max:
        out = c.g.add("Min", [out, c.input(i)])
    return out


@converts(ew.AsType)
def _astype(c: Context) -> str:
    cast = c.g.cast(c.ins[0], c.vals[0].dtype, c.op.dtype)
    return cast if cast != c.ins[0] else c.g.add("Identity", [cast])


# --------------------------------------------------------------------------- activations


@converts(act.LeakyRelu)
def _leaky_relu(c: Context) -> str:
    return c.g.add("LeakyRelu", [c.input(0)], alpha=float(c.op.slope))


@converts(act.Elu)
def _elu(c: Context) -> str:
    return c.g.add("Elu", [c.input(0)], alpha=float(c.op.alpha))


@converts(act.Hardtanh)
def _hardtanh(c: Context) -> str:
    return c.g.add("Clip", [c.input(0), c.scalar(c.op.lo), c.scalar(c.op.hi)])


@converts(act.Gelu)
def _gelu(c: Context) -> str:
    x, g = c.input(0), c.g
    tanh = c.op.approximate == "tanh"
    if g.opset >= 20:
        return g.add("Gelu", [x], approximate="tanh" if tanh else "none")
    if tanh:  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = g.add("Mul", [g.add("Mul", [x, x]), x])
        inner = g.add("Add", [x, g.add("Mul", [cube, c.scalar(0.044715)])])
        t = g.add("Tanh", [g.add("Mul", [inner, c.scalar(math.sqrt(2 / math.pi))])])
    else:  # 0.5 x (1 + erf(x / sqrt(2)))
        t = g.add("Erf", [g.add("Mul", [x, c.scalar(1 / math.sqrt(2))])])
    return g.add("Mul", [g.add("Mul", [x, c.scalar(0.5)]), g.add("Add", [t, c.scalar(1.0)])])


@converts(act.Silu)
def _silu(c: Context) -> str:
    x = c.input(0)
    return c.g.add("Mul", [x, c.g.add("Sigmoid", [x])])


def _softplus_of(c: Context, x: str, beta: float) -> str:
    # PyTorch's threshold (x itself above it) differs from log1p(exp(x)) by < 1e-8 there.
    if beta == 1:
        return c.g.add("Softplus", [x])
    scaled = c.g.add("Softplus", [c.g.add("Mul", [x, c.scalar(beta)])])
    return c.g.add("Div", [scaled, c.scalar(beta)])


@converts(act.Softplus)
def _softplus(c: Context) -> str:
    return _softplus_of(c, c.input(0), float(c.op.beta))


@converts(act.Mish)
def _mish(c: Context) -> str:
    x = c.input(0)
    return c.g.add("Mul", [x, c.g.add("Tanh", [_softplus_of(c, x, 1.0)])])


@converts(act.Softmax)
def _softmax(c: Context) -> str:
    return c.g.add("Softmax", [c.input(0)], axis=int(c.op.axis))


@converts(act.LogSoftmax)
def _log_softmax(c: Context) -> str:
    return c.g.add("LogSoftmax", [c.input(0)], axis=int(c.op.axis))


# --------------------------------------------------------------------------- linear algebra


@converts(la.Linear)
def _linear(c: Context) -> str:
    x, w = c.input(0), c.input(1)
    if len(c.vals[0].shape) == 2:
        inputs = [x, w] + ([c.input(2)] if len(c.ins) == 3 else [])
        return c.g.add("Gemm", inputs, transB=1)
    out = c.g.add("MatMul", [x, c.g.add("Transpose", [w], perm=[1, 0])])
    return c.g.add("Add", [out, c.input(2)]) if len(c.ins) == 3 else out


@converts(la.Einsum)
def _einsum(c: Context) -> str:
    equation = c.op.subscripts.replace(" ", "")
    return c.g.add("Einsum", [c.input(i) for i in range(len(c.ins))], equation=equation)


@converts(la.TensorDot)
def _tensordot(c: Context) -> str:
    """np.tensordot as Einsum: a's free axes, then b's, the paired axes summed."""
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    ra, rb = len(c.vals[0].shape), len(c.vals[1].shape)
    a = [next(letters) for _ in range(ra)]
    b = [next(letters) for _ in range(rb)]
    for i, j in zip(c.op.axes_a, c.op.axes_b, strict=True):
        b[j] = a[i]
    out = [a[i] for i in range(ra) if i not in c.op.axes_a]
    out += [b[j] for j in range(rb) if j not in c.op.axes_b]
    equation = f"{''.join(a)},{''.join(b)}->{''.join(out)}"
    return c.g.add("Einsum", [c.input(0), c.input(1)], equation=equation)


@converts(la.Outer)
def _outer(c: Context) -> str:
    a = c.g.add("Reshape", [c.input(0), c.g.ints([-1, 1])])
    b = c.g.add("Reshape", [c.input(1), c.g.ints([1, -1])])
    return c.g.add("Mul", [a, b])


# --------------------------------------------------------------------------- conv, pooling


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        return int(value[0]), int(value[-1])
    return int(value), int(value)


def _spatial(op: Any, value: Any) -> list[int]:
    """A geometry argument as a list per spatial axis (the 1-D ops keep a height of 1)."""
    pair = _pair(value)
    return [pair[1]] if op.spatial == 1 else list(pair)


def _batched(c: Context, x: str) -> tuple[str, bool]:
    """(x with a batch axis, whether one was added): unbatched input (C, *spatial)."""
    if len(c.vals[0].shape) == c.op.spatial + 1:
        return c.g.add("Unsqueeze", [x, c.g.ints([0])]), True
    return x, False


def _unbatched(c: Context, y: str, added: bool) -> str:
    return c.g.add("Squeeze", [y, c.g.ints([0])]) if added else y


def _conv_pads(c: Context, kernel: list[int], dilation: list[int]) -> list[int]:
    padding = c.op.geometry.get("padding", 0)
    if isinstance(padding, str):
        if padding == "valid":
            return [0] * (2 * len(kernel))
        # "same" (stride 1): PyTorch puts the odd element of the total padding at the end
        total = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        return [t // 2 for t in total] + [t - t // 2 for t in total]
    pads = _spatial(c.op, padding)
    return pads + pads


@converts(cv.Conv, cv.ConvTranspose)
def _conv(c: Context) -> str:
    geo, op = c.op.geometry, c.op
    kernel = list(c.vals[1].shape[2:])
    dilation = _spatial(op, geo.get("dilation", 1))
    attrs = dict(
        kernel_shape=kernel,
        strides=_spatial(op, geo.get("stride", 1)),
        dilations=dilation,
        pads=_conv_pads(c, kernel, dilation),
        group=int(geo.get("groups", 1)),
    )
    if isinstance(op, cv.ConvTranspose):
        attrs["output_padding"] = _spatial(op, geo.get("output_padding", 0))
    x, added = _batched(c, c.input(0))
    inputs = [x, c.input(1)] + ([c.input(2)] if len(c.ins) == 3 else [])
    y = c.g.add("ConvTranspose" if isinstance(op, cv.ConvTranspose) else "Conv", inputs, **attrs)
    return _unbatched(c, y, added)


def _pool_attrs(c: Context) -> dict[str, Any]:
    geo, op = c.op.geometry, c.op
    kernel = _spatial(op, geo["kernel_size"])
    stride = geo.get("stride")
    pads = _spatial(op, geo.get("padding", 0))
    return dict(
        kernel_shape=kernel,
        strides=kernel if stride is None else _spatial(op, stride),
        pads=pads + pads,
        ceil_mode=int(bool(geo.get("ceil_mode", False))),
    )


@converts(pl.MaxPool)
def _max_pool(c: Context) -> str:
    x, added = _batched(c, c.input(0))
    attrs = _pool_attrs(c)
    attrs["dilations"] = _spatial(c.op, c.op.geometry.get("dilation", 1))
    return _unbatched(c, c.g.add("MaxPool", [x], **attrs), added)


@converts(pl.AvgPool)
def _avg_pool(c: Context) -> str:
    if c.op.geometry.get("divisor_override") is not None:
        raise c.unsupported("with divisor_override")
    x, added = _batched(c, c.input(0))
    attrs = _pool_attrs(c)
    attrs["count_include_pad"] = int(bool(c.op.geometry.get("count_include_pad", True)))
    return _unbatched(c, c.g.add("AveragePool", [x], **attrs), added)


@converts(pl.AdaptiveAvgPool)
def _adaptive_avg_pool(c: Context) -> str:
    n = c.op.spatial
    sizes, outs = c.vals[0].shape[-n:], c.outs[0].shape[-n:]
    x, added = _batched(c, c.input(0))
    if all(o == 1 for o in outs):
        y = c.g.add("GlobalAveragePool", [x])
    elif all(o and s % o == 0 for s, o in zip(sizes, outs, strict=True)):
        kernel = [s // o for s, o in zip(sizes, outs, strict=True)]
        y = c.g.add("AveragePool", [x], kernel_shape=kernel, strides=kernel)
    else:
        raise c.unsupported(f"from {tuple(sizes)} to {tuple(outs)} (uneven windows)")
    return _unbatched(c, y, added)


# --------------------------------------------------------------------------- normalization


def _affine_inputs(c: Context) -> tuple[str | None, str | None]:
    """A norm op's optional weight and bias inputs (after x, in that order), None if absent."""
    i = 1
    scale = bias = None
    if c.op.has_weight:
        scale, i = c.input(i), i + 1
    if c.op.has_bias:
        bias = c.input(i)
    return scale, bias


@converts(nm.BatchNorm)
def _batch_norm(c: Context) -> str:
    op = c.op
    if op.training:
        raise c.unsupported("with batch statistics (training mode)")
    channels = c.vals[0].shape[1]
    scale, bias = _affine_inputs(c)
    inputs = [
        c.input(0),
        scale or c.g.const(np.ones(channels, c.dtype)),
        bias or c.g.const(np.zeros(channels, c.dtype)),
        c.g.const(op.batch_mean.astype(c.dtype), hint="running_mean"),
        c.g.const(op.batch_var.astype(c.dtype), hint="running_var"),
    ]
    return c.g.add("BatchNormalization", inputs, epsilon=float(op.eps))


@converts(nm.LayerNorm)
def _layer_norm(c: Context) -> str:
    op = c.op
    shape = c.vals[0].shape[len(c.vals[0].shape) - op.n_axes :]
    scale, bias = _affine_inputs(c)
    inputs = [c.input(0), scale or c.g.const(np.ones(shape, c.dtype))]
    if bias is not None:
        inputs.append(bias)
    return c.g.add("LayerNormalization", inputs, axis=-op.n_axes, epsilon=float(op.eps))


# --------------------------------------------------------------------------- attention


@converts(att.Attention, att.AttentionWeights)
def _attention(c: Context) -> Any:
    """softmax(q @ k^T * scale + bias) @ v. A query row masked everywhere gives NaN in ONNX's
    Softmax where Lucid (as PyTorch) gives 0."""
    if c.op.keep is not None:
        raise c.unsupported("with attention dropout (dropout_p > 0)")
    g = c.g
    rank = len(c.vals[1].shape)
    perm = list(range(rank - 2)) + [rank - 1, rank - 2]
    scores = g.add("MatMul", [c.input(0), g.add("Transpose", [c.input(1)], perm=perm)])
    scores = g.add("Mul", [scores, c.scalar(c.op.scale)])
    if len(c.ins) == 4:
        scores = g.add("Add", [scores, c.input(3)])
    weights = g.add("Softmax", [scores], axis=-1)
    out = g.add("MatMul", [weights, c.input(2)])
    return [out, weights] if isinstance(c.op, att.AttentionWeights) else out


# --------------------------------------------------------------------------- shape


@converts(sh.Reshape)
def _reshape(c: Context) -> str:
    """Leading axes the reshape keeps are written 0 ("as in the input"), so that a dynamic
    batch axis stays dynamic; the rest as traced."""
    before, after = c.vals[0].shape, c.outs[0].shape
    target = list(after)
    if 0 not in after:
        for i, (a, b) in enumerate(zip(before, after, strict=False)):
            if a != b:
                break
            target[i] = 0
    return c.g.add("Reshape", [c.input(0), c.g.ints(target)], allowzero=1 if 0 in after else None)


@converts(sh.Transpose)
def _transpose(c: Context) -> str:
    rank = len(c.vals[0].shape)
    axes = c.op.axes
    perm = list(range(rank))[::-1] if axes is None else [int(a) % max(rank, 1) for a in axes]
    return c.g.add("Transpose", [c.input(0)], perm=perm)


@converts(sh.BroadcastTo)
def _broadcast_to(c: Context) -> str:
    return c.g.add("Expand", [c.input(0), c.g.ints(c.outs[0].shape)])


@converts(sh.Concatenate)
def _concatenate(c: Context) -> str:
    return c.g.add("Concat", [c.input(i) for i in range(len(c.ins))], axis=int(c.op.axis))


@converts(sh.Stack)
def _stack(c: Context) -> str:
    axis = c.g.ints([int(c.op.axis)])
    parts = [c.g.add("Unsqueeze", [c.input(i), axis]) for i in range(len(c.ins))]
    return c.g.add("Concat", parts, axis=int(c.op.axis))


@converts(sh.Split)
def _split(c: Context) -> Any:
    axis = int(c.op.axis)
    sizes = [o.shape[axis] for o in c.outs]
    if len(sizes) == 1:
        return [c.g.add("Identity", [c.input(0)])]
    return c.g.add("Split", [c.input(0), c.g.ints(sizes)], n_out=len(sizes), axis=axis)


@converts(sh.Flip)
def _flip(c: Context) -> str:
    axes = [i for i, k in enumerate(c.op.key) if k.step == -1]
    n = len(axes)
    inputs = [c.input(0), c.g.ints([-1] * n), c.g.ints([-(2**63)] * n), c.g.ints(axes)]
    return c.g.add("Slice", inputs + [c.g.ints([-1] * n)])


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "edge": "edge", "wrap": "wrap"}


@converts(sh.Pad)
def _pad(c: Context) -> str:
    mode = _PAD_MODES.get(c.op.mode)
    if mode is None or (mode == "wrap" and c.g.opset < 19):
        raise c.unsupported(f"in mode {c.op.mode!r} at opset {c.g.opset}")
    width = [tuple(int(v) for v in w) for w in c.op.width]
    pads = c.g.ints([w[0] for w in width] + [w[1] for w in width])
    inputs = [c.input(0), pads]
    if mode == "constant":
        inputs.append(c.scalar(c.op.value))
    return c.g.add("Pad", inputs, mode=mode)


@converts(sh.Tile)
def _tile(c: Context) -> str:
    shape = c.vals[0].shape
    reps = [int(r) for r in c.op.reps]
    x = c.input(0)
    if len(reps) > len(shape):  # np.tile prepends axes of length 1 to x
        shape = (1,) * (len(reps) - len(shape)) + tuple(shape)
        x = c.g.add("Reshape", [x, c.g.ints(shape)])
    reps = [1] * (len(shape) - len(reps)) + reps
    return c.g.add("Tile", [x, c.g.ints(reps)])


@converts(sh.Repeat)
def _repeat(c: Context) -> str:
    """np.repeat as a Gather of each index repeated (the counts are fixed by the trace)."""
    axis = int(c.op.axis)
    n = c.vals[0].shape[axis]
    source = np.repeat(np.arange(n, dtype=np.int64), c.op.repeats)
    return c.g.add("Gather", [c.input(0), c.g.const(source, hint="index")], axis=axis)


# --------------------------------------------------------------------------- indexing


def _index(c: Context, array: np.ndarray) -> str:
    """An op's integer index: the graph input it came from (an Embedding's), or a constant."""
    name = c.index_input(array)
    return name if name is not None else c.g.const(array.astype(np.int64), hint="index")


@converts(ix.Take)
def _take(c: Context) -> str:
    x = c.input(0)
    if c.op.axis is None:
        return c.g.add("Gather", [c.g.add("Reshape", [x, c.g.ints([-1])]), _index(c, c.op.index)])
    return c.g.add("Gather", [x, _index(c, c.op.index)], axis=int(c.op.axis))


@converts(ix.Gather)
def _gather(c: Context) -> str:
    return c.g.add("GatherElements", [c.input(0), _index(c, c.op.index)], axis=int(c.op.dim))


@converts(ix.ScatterAdd)
def _scatter_add(c: Context) -> str:
    index = c.op.index.astype(np.int64)
    src = c.input(1)
    if tuple(c.vals[1].shape) != index.shape:  # only the corner the index covers is added
        corner = [n for n in index.shape]
        ins = [src, c.g.ints([0] * len(corner)), c.g.ints(corner), c.g.ints(range(len(corner)))]
        src = c.g.add("Slice", ins)
    inputs = [c.input(0), _index(c, index), src]
    return c.g.add("ScatterElements", inputs, axis=int(c.op.dim), reduction="add")


@converts(ix.GetItem)
def _getitem(c: Context) -> str:
    """Basic indexing (ints, slices, None, ...) as Slice, Squeeze and Unsqueeze; one integer
    array along one axis as Gather."""
    op, x = c.op, c.input(0)
    if op.axis is not None:
        return c.g.add("Gather", [x, _index(c, np.asarray(op.index))], axis=int(op.axis))
    parts = list(op.key) if isinstance(op.key, tuple) else [op.key]
    for p in parts:
        if not (p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice))):
            raise c.unsupported(f"with an index of type {type(p).__name__} (advanced indexing)")
    shape = c.vals[0].shape
    n_axes = sum(1 for p in parts if p is not None and p is not Ellipsis)
    if Ellipsis in parts:
        at = parts.index(Ellipsis)
        parts[at : at + 1] = [slice(None)] * (len(shape) - n_axes)
    parts += [slice(None)] * (len(shape) - sum(1 for p in parts if p is not None))
    starts, ends, axes, steps, squeeze, new_axes = [], [], [], [], [], []
    axis = out_axis = 0
    for p in parts:
        if p is None:
            new_axes.append(out_axis)
            out_axis += 1
            continue
        if isinstance(p, slice):
            start, stop, step = p.indices(shape[axis])
            if (start, stop, step) != (0, shape[axis], 1):
                if step < 0 and stop < 0:
                    stop = -(2**63)  # to the very beginning
                starts.append(start), ends.append(stop), axes.append(axis), steps.append(step)
            out_axis += 1
        else:
            i = int(p) % shape[axis]
            starts.append(i), ends.append(i + 1), axes.append(axis), steps.append(1)
            squeeze.append(axis)
        axis += 1
    if axes:
        ins = [x, c.g.ints(starts), c.g.ints(ends), c.g.ints(axes), c.g.ints(steps)]
        x = c.g.add("Slice", ins)
    if squeeze:
        x = c.g.add("Squeeze", [x, c.g.ints(squeeze)])
    if new_axes:
        x = c.g.add("Unsqueeze", [x, c.g.ints(new_axes)])
    return x if (axes or squeeze or new_axes) else c.g.add("Identity", [x])


# --------------------------------------------------------------------------- reductions

_REDUCE = {
    rd.Sum: "ReduceSum", rd.Mean: "ReduceMean", rd.Max: "ReduceMax", rd.Min: "ReduceMin",
    rd.Prod: "ReduceProd", rd.LogSumExp: "ReduceLogSumExp",
}  # fmt: skip


def _reduce_node(c: Context, onnx_type: str, x: str, axes: Any, keepdims: bool) -> str:
    axes = [int(a) for a in axes]
    if onnx_type == "ReduceSum" or c.g.opset >= 18:  # axes as an input
        return c.g.add(onnx_type, [x, c.g.ints(axes)], keepdims=int(keepdims))
    return c.g.add(onnx_type, [x], axes=axes, keepdims=int(keepdims))


def _reduce(onnx_type: str) -> Callable[[Context], str]:
    def convert(c: Context) -> str:
        x = c.input(0)
        if not c.op.axes:  # nothing reduced
            return c.g.add("Identity", [x])
        return _reduce_node(c, onnx_type, x, c.op.axes, c.op.keepdims)

    return convert


for _cls, _name in _REDUCE.items():
    CONVERTERS[_cls] = _reduce(_name)


@converts(rd.Var, rd.Std)
def _var(c: Context) -> str:
    g, op = c.g, c.op
    x = c.input(0)
    mean = _reduce_node(c, "ReduceMean", x, op.axes, True)
    d = g.add("Sub", [x, mean])
    total = _reduce_node(c, "ReduceSum", g.add("Mul", [d, d]), op.axes, op.keepdims)
    out = g.add("Div", [total, c.scalar(op.divisor)])
    return g.add("Sqrt", [out]) if isinstance(op, rd.Std) else out


@converts(rd.Cumsum)
def _cumsum(c: Context) -> str:
    x = c.input(0)
    if c.op.axis is None or len(c.vals[0].shape) == 0:
        flat = c.g.add("CumSum", [c.g.add("Reshape", [x, c.g.ints([-1])]), c.scalar(0, np.int64)])
        return c.g.add("Reshape", [flat, c.g.ints(c.outs[0].shape)])
    return c.g.add("CumSum", [x, c.scalar(int(c.op.axis), np.int64)])


@converts(rd.VectorNorm)
def _vector_norm(c: Context) -> str:
    kind = {1: "ReduceL1", 2: "ReduceL2"}.get(c.op.p)
    if kind is None:
        raise c.unsupported(f"with p={c.op.p!r}")
    return _reduce_node(c, kind, c.input(0), c.op.axes, c.op.keepdims)


# --------------------------------------------------------------------------- whole layers

# ONNX's gate orders, as blocks of PyTorch's rows: LSTM i,f,g,o -> i,o,f,c; GRU r,z,n -> z,r,h.
_GATES = {rnn.LSTM: [0, 3, 1, 2], rnn.GRU: [1, 0, 2], rnn.RNN: [0]}


def _gate_rows(w: np.ndarray, order: list[int]) -> np.ndarray:
    blocks = np.split(w, len(order), axis=0)
    return np.concatenate([blocks[i] for i in order])


def _recurrent(c: Context) -> list[str]:
    """RNN, LSTM, GRU as ONNX's RNN, LSTM, GRU nodes, one per layer: no constant initial
    state or unrolled sequence, so the batch and time axes may be dynamic."""
    m, g = c.op.module, c.g
    kind, order, d = type(m).__name__, _GATES[type(m)], m.directions
    batched = len(c.vals[0].shape) == 3
    x = c.input(0)
    if not batched:
        x = g.add("Unsqueeze", [x, g.ints([1])])
    elif m.batch_first:
        x = g.add("Transpose", [x], perm=[1, 0, 2])
    states = [c.input(i) for i in range(1, len(c.ins))]
    if not batched:
        states = [g.add("Unsqueeze", [s, g.ints([1])]) for s in states]
    attrs: dict[str, Any] = dict(
        hidden_size=m.hidden_size, direction="bidirectional" if d == 2 else "forward"
    )
    if kind == "GRU":
        attrs["linear_before_reset"] = 1  # PyTorch's r * (h W_hn^T + b_hn)
    if kind == "RNN":
        attrs["activations"] = ["Relu" if m.nonlinearity == "relu" else "Tanh"] * d
    finals: list[list[str]] = [[] for _ in range(3 if kind == "LSTM" else 2)]
    for layer in range(m.num_layers):
        weights = [m._weights(layer, k) for k in range(d)]
        w = np.stack([_gate_rows(ws[0]._data, order) for ws in weights]).astype(c.dtype)
        r = np.stack([_gate_rows(ws[1]._data, order) for ws in weights]).astype(c.dtype)
        inputs = [x, g.const(w, hint=f"{kind}_W"), g.const(r, hint=f"{kind}_R")]
        if m.bias:
            # ONNX's B is (D, 2 * gates * H): the input biases, then the hidden ones
            b = np.stack([np.concatenate([_gate_rows(ws[i]._data, order) for i in (2, 3)])
                          for ws in weights])  # fmt: skip
            inputs.append(g.const(b.astype(c.dtype), hint=f"{kind}_B"))
        else:
            inputs.append("")
        inputs.append("")  # sequence_lens: every sequence is full length
        for s in states:  # this layer's rows of the initial states
            inputs.append(
                g.add("Slice", [s, g.ints([layer * d]), g.ints([(layer + 1) * d]), g.ints([0])])
            )
        outs = g.add(kind, inputs, n_out=len(finals), **attrs)
        # Y (T, D, N, H) -> (T, N, D * H), the next layer's input
        x = g.add("Transpose", [outs[0]], perm=[0, 2, 1, 3])
        x = g.add("Reshape", [x, g.ints([0, 0, -1])])
        for final, name in zip(finals[1:], outs[1:], strict=True):
            final.append(name)
    out = x
    if not batched:
        out = g.add("Squeeze", [out, g.ints([1])])
    elif m.batch_first:
        out = g.add("Transpose", [out], perm=[1, 0, 2])
    results = [out]
    for final in finals[1:]:
        h = final[0] if len(final) == 1 else g.add("Concat", final, axis=0)
        results.append(h if batched else g.add("Squeeze", [h, g.ints([1])]))
    return results


MODULE_CONVERTERS: dict[type, Callable[[Context], Any]] = {
    rnn.RNN: _recurrent, rnn.LSTM: _recurrent, rnn.GRU: _recurrent,
}  # fmt: skip

SUPPORTED_OPS = sorted(cls.__name__ for cls in CONVERTERS)
