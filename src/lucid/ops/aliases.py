"""PyTorch's other spellings and small composites: ``atan2``, ``eq``/``greater`` ..., the
in-place twins (``acos_``, ``squeeze_``, ``eq_`` ...), predicates (``is_signed``, ``equal``)
and ops built from existing ones (``inner``, ``kron``, ``dist``, ``renorm``, ``put``,
``matrix_power``, ``cov``, ``corrcoef``, ``histogram``, ``frexp``).

Composites are written with differentiable ops, so their gradients come from those ops.
In-place twins run the out-of-place op on the data (``inplace.apply_``): like every in-place
op in Lucid they are refused on tensors the graph needs (see ``lucid.ops.inplace``).
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections import namedtuple
from typing import Any

import numpy as np

from lucid import _graph, _promotion
from lucid._graph import binary_func_op, no_grad, operation
from lucid.ops import elementwise as _ew
from lucid.ops import inplace as _inp
from lucid.ops import linalg as _la
from lucid.ops import matrix as _mx
from lucid.ops import reduce as _red
from lucid.ops import scatter as _sct
from lucid.ops import shape as _shp
from lucid.tensor import Tensor

TensorLike = Any

__all__ = [
    "atan2", "arctan2", "atan2_", "arctan2_",
    "eq", "ne", "lt", "le", "gt", "ge", "equal", "is_same_size",
    "is_nonzero", "is_signed", "is_complex", "detach", "detach_",
    "acos_", "asin_", "atan_", "cosh_", "sinh_", "arccos_", "arcsin_", "arctan_",
    "cos_", "sin_", "tan_", "tanh_", "exp_", "log_", "sqrt_", "abs_", "neg_", "negative_",
    "ceil_", "floor_", "round_", "trunc_", "sigmoid_", "relu_", "square_", "rsqrt_",
    "reciprocal_", "log1p_", "log2_", "log10_", "expm1_", "exp2_", "erf_", "erfc_",
    "split_with_sizes", "diagflat", "inner", "vdot", "kron", "dist", "renorm", "put",
    "matrix_power", "pinverse", "cov", "corrcoef", "histogram", "frexp",
    "set_grad_enabled", "inference_mode", "is_inference_mode_enabled",
]  # fmt: skip


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# --------------------------------------------------------------------------- atan2


class Atan2(operation):
    """atan2(a, b), the angle of (b, a);  d/da = b / (a**2 + b**2), d/db = -a / (a**2 + b**2)."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = _promotion.promote_floating(a, b)
        self.save_for_backward(a, b)
        return _ew._binary("atan2", np.arctan2, a, b)

    def gradient(self, grad: Any) -> tuple:
        a, b = self.saved_tensors
        # At the origin PyTorch's gradient is nan (0 / 0); so is this one.
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = grad / (a * a + b * b)
        return scale * b, -(scale * a)


def atan2(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002 - PyTorch's names
    """``atan2(input, other)``: the angle in (-pi, pi] of the point (other, input), with
    broadcasting; integer inputs give the default float dtype (``torch.atan2``)."""
    return Atan2()(input, other)


arctan2 = atan2


def atan2_(x: Tensor, other: TensorLike) -> Tensor:
    """``atan2`` in place; returns x."""
    return _inp.apply_("atan2_", x, atan2, other)


def arctan2_(x: Tensor, other: TensorLike) -> Tensor:
    """``arctan2`` in place (``atan2_``); returns x."""
    return _inp.apply_("arctan2_", x, atan2, other)


# --------------------------------------------------------------------------- comparisons


def eq(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    """``input == other`` elementwise, a bool tensor (``torch.eq``)."""
    return _ew.equal(input, other)


def ne(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    """``input != other`` elementwise, a bool tensor (``torch.ne``)."""
    return _ew.not_equal(input, other)


def lt(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    """``input < other`` elementwise, a bool tensor (``torch.lt``)."""
    return _ew.less(input, other)


def le(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    """``input <= other`` elementwise, a bool tensor (``torch.le``)."""
    return _ew.less_equal(input, other)


def gt(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    """``input > other`` elementwise, a bool tensor (``torch.gt``)."""
    return _ew.greater(input, other)


def ge(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    """``input >= other`` elementwise, a bool tensor (``torch.ge``)."""
    return _ew.greater_equal(input, other)


def compare_(op: str, x: Tensor, other: TensorLike) -> Tensor:
    """``x.eq_(other)`` and friends: the comparison written into x as 1 / 0 in x's dtype."""
    fn = {"eq_": eq, "ne_": ne, "lt_": lt, "le_": le, "gt_": gt, "ge_": ge}[op]
    return _inp.apply_(op, x, fn, other)


def equal(input: TensorLike, other: TensorLike) -> bool:  # noqa: A002
    """True when both have the same shape and the same elements (``torch.equal``); a Python
    bool. Changed from NumPy's elementwise meaning: that is ``eq``."""
    a, b = _tensor(input), _tensor(other)
    return a.shape == b.shape and bool(np.array_equal(a._data, b._data))


def is_same_size(input: TensorLike, other: TensorLike) -> bool:  # noqa: A002
    """Whether the two shapes are equal (``torch.is_same_size``)."""
    return _tensor(input).shape == _tensor(other).shape


# --------------------------------------------------------------------------- predicates


def is_nonzero(input: TensorLike) -> bool:  # noqa: A002
    """The truth of a one-element tensor; RuntimeError for any other size (``torch``)."""
    x = _tensor(input)
    if x._data.size != 1:
        raise RuntimeError(
            f"is_nonzero: a tensor with {x._data.size} elements (shape {x.shape}) is "
            "ambiguous; only one-element tensors have a truth value"
        )
    return bool(x._data.reshape(-1)[0])


def is_signed(input: TensorLike) -> bool:  # noqa: A002
    """Whether the dtype holds negative numbers: False for uint8 and bool."""
    return _tensor(input)._data.dtype.kind in "if"


def is_complex(input: TensorLike) -> bool:  # noqa: A002
    """Always False: Lucid has no complex dtypes."""
    return _tensor(input)._data.dtype.kind == "c"


def detach(input: TensorLike) -> Tensor:  # noqa: A002
    """``input.detach()``: the same data, outside the graph (``torch.detach``)."""
    return _tensor(input).detach()


def detach_(x: Tensor) -> Tensor:
    """x taken out of the graph in place: it becomes a leaf that does not require grad."""
    x._op = None
    x._index = 0
    x._retain = False
    x._requires_grad = False
    return x


# --------------------------------------------------------------------------- in-place twins


def _twin(name: str, family: str, op: str) -> Any:
    """The in-place twin ``name`` of ``lucid.ops.<family>.<op>``, looked up at call time (the
    op modules import this one while they load)."""

    def inplace(x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        fn = getattr(importlib.import_module(f"lucid.ops.{family}"), op)
        return _inp.apply_(name, x, fn, *args, **kwargs)

    inplace.__name__ = inplace.__qualname__ = name
    inplace.__doc__ = f"``{op}`` written into x in place; returns x (``torch.{name}``)."
    return inplace


acos_ = _twin("acos_", "elementwise", "acos")
asin_ = _twin("asin_", "elementwise", "asin")
atan_ = _twin("atan_", "elementwise", "atan")
cosh_ = _twin("cosh_", "elementwise", "cosh")
sinh_ = _twin("sinh_", "elementwise", "sinh")
arccos_ = _twin("arccos_", "elementwise", "acos")
arcsin_ = _twin("arcsin_", "elementwise", "asin")
arctan_ = _twin("arctan_", "elementwise", "atan")
cos_ = _twin("cos_", "elementwise", "cos")
sin_ = _twin("sin_", "elementwise", "sin")
tan_ = _twin("tan_", "elementwise", "tan")
tanh_ = _twin("tanh_", "elementwise", "tanh")
exp_ = _twin("exp_", "elementwise", "exp")
log_ = _twin("log_", "elementwise", "log")
log2_ = _twin("log2_", "elementwise", "log2")
sqrt_ = _twin("sqrt_", "elementwise", "sqrt")
abs_ = _twin("abs_", "elementwise", "abs")
neg_ = _twin("neg_", "elementwise", "neg")
negative_ = _twin("negative_", "elementwise", "neg")
ceil_ = _twin("ceil_", "elementwise", "ceil")
floor_ = _twin("floor_", "elementwise", "floor")
round_ = _twin("round_", "elementwise", "round")
square_ = _twin("square_", "elementwise", "square")
reciprocal_ = _twin("reciprocal_", "elementwise", "reciprocal")
trunc_ = _twin("trunc_", "special", "trunc")
rsqrt_ = _twin("rsqrt_", "special", "rsqrt")
log1p_ = _twin("log1p_", "special", "log1p")
log10_ = _twin("log10_", "special", "log10")
expm1_ = _twin("expm1_", "special", "expm1")
exp2_ = _twin("exp2_", "special", "exp2")
erf_ = _twin("erf_", "special", "erf")
erfc_ = _twin("erfc_", "special", "erfc")
sigmoid_ = _twin("sigmoid_", "activation", "sigmoid")
relu_ = _twin("relu_", "activation", "relu")
subtract_ = _twin("subtract_", "elementwise", "sub")
multiply_ = _twin("multiply_", "elementwise", "mul")
divide_ = _twin("divide_", "elementwise", "div")
cumsum_ = _twin("cumsum_", "reduce", "cumsum")
cumprod_ = _twin("cumprod_", "reduce", "cumprod")


def restride_(op: str, x: Tensor, fn: Any, *args: Any, **kwargs: Any) -> Tensor:
    """``squeeze_``, ``transpose_`` ...: x becomes a view of its own data in a new shape or
    order (same memory, as PyTorch); refused where an in-place change would be."""
    _inp.check_writable(op, x)
    with no_grad():
        x._data = fn(Tensor._wrap(x._data), *args, **kwargs)._data
    x._version += 1
    return x


# --------------------------------------------------------------------------- composites


def split_with_sizes(x: TensorLike, split_sizes: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of the given lengths along ``dim``, which must add up to its length."""
    x = _tensor(x)
    sizes = [int(s) for s in split_sizes]
    length = x.shape[dim]
    if sum(sizes) != length or any(s < 0 for s in sizes):
        raise ValueError(
            f"split_with_sizes: sizes {sizes} must be non-negative and sum to the length "
            f"{length} of dim {dim} of shape {x.shape}"
        )
    return _shp.split(x, sizes, dim)


def sum_to_size(x: TensorLike, *size: Any) -> Tensor:
    """x summed down to ``size``, to which x's shape must broadcast (``Tensor.sum_to_size``)."""
    x = _tensor(x)
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    size = tuple(int(s) for s in size)
    lead = x.ndim - len(size)
    if lead < 0 or any(s not in (1, n) for s, n in zip(size, x.shape[lead:], strict=True)):
        raise ValueError(f"sum_to_size: size {size} is not expandable to the shape {x.shape}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, (s, n) in enumerate(zip(size, x.shape[lead:], strict=True)) if s != n
    )
    if not axes:
        return x
    return _red.sum(x, dim=axes, keepdim=True).reshape(size)


def diagflat(x: TensorLike, offset: int = 0) -> Tensor:
    """A 2-D matrix with the flattened x on diagonal ``offset`` (``torch.diagflat``)."""
    return _mx.diag(_shp.flatten(_tensor(x)), offset)


def inner(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    """Sums of products over the last dims; shape ``input.shape[:-1] + other.shape[:-1]``
    (a 0-d operand multiplies elementwise), as ``torch.inner``."""
    a, b = _tensor(input), _tensor(other)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"inner: the last dims of shapes {a.shape} and {b.shape} differ: "
            f"{a.shape[-1]} != {b.shape[-1]}"
        )
    return _la.tensordot(a, b, ([a.ndim - 1], [b.ndim - 1]))


def vdot(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    """The dot product of two 1-D tensors of one length (no conjugation: Lucid is real)."""
    a, b = _tensor(input), _tensor(other)
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"vdot: expected two 1-D tensors of one length, got {a.shape}, {b.shape}")
    return _la.dot(a, b)


def kron(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    """The Kronecker product: block ``i`` is ``input[i] * other``; shape the product of the
    shapes, after prepending ones to the shorter (``torch.kron``)."""
    a, b = _tensor(input), _tensor(other)
    n = max(a.ndim, b.ndim)
    sa, sb = (1,) * (n - a.ndim) + a.shape, (1,) * (n - b.ndim) + b.shape
    # interleave: a as (a0, 1, a1, 1, ...), b as (1, b0, 1, b1, ...), then merge pairs
    a = a.reshape(tuple(d for s in sa for d in (s, 1)))
    b = b.reshape(tuple(d for s in sb for d in (1, s)))
    return (a * b).reshape(tuple(p * q for p, q in zip(sa, sb, strict=True)))


def dist(input: TensorLike, other: TensorLike, p: float = 2) -> Tensor:  # noqa: A002
    """The p-norm of ``input - other`` (broadcast), over every element (``torch.dist``)."""
    diff = _ew.sub(input, other)
    return _red.norm(diff.reshape(-1), p=float(p), dim=0)


def renorm(x: TensorLike, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice along ``dim`` whose p-norm exceeds ``maxnorm`` scaled down to norm
    ``maxnorm`` (by ``maxnorm / (norm + 1e-7)``, as PyTorch); others unchanged."""
    x = _tensor(x)
    if p <= 0:
        raise ValueError(f"renorm: p must be positive, got {p}")
    if x.ndim < 1:
        raise IndexError("renorm: needs a tensor of at least one dim, got a 0-d tensor")
    if not -x.ndim <= dim < x.ndim:
        raise IndexError(f"renorm: dim {dim} is out of range for shape {x.shape}")
    other = tuple(d for d in range(x.ndim) if d != dim % x.ndim)
    norms = _red.norm(x, p=float(p), dim=other, keepdim=True) if other else _ew.abs(x)
    scale = _ew.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
    return x * scale


def put(
    input: TensorLike,  # noqa: A002
    index: TensorLike,
    source: TensorLike,
    accumulate: bool = False,
) -> Tensor:
    """x with ``source`` written (or added) at the flat positions ``index`` (``torch.put``);
    differentiable in input and source."""
    x, source = _tensor(input), _tensor(source)
    idx = _tensor(index)
    if idx._data.dtype.kind not in "iu":
        raise TypeError(f"put: index must be an integer tensor, got {idx._data.dtype}")
    if idx.shape != source.shape and idx._data.size != source._data.size:
        raise ValueError(
            f"put: index of shape {idx.shape} and source of shape {source.shape} must have "
            "the same number of elements"
        )
    n = x._data.size
    flat_idx = idx._data.reshape(-1)
    if flat_idx.size and (flat_idx.min() < -n or flat_idx.max() >= n):
        raise IndexError(f"put: an index is out of range for a tensor of {n} elements")
    flat = _sct.index_put(x.reshape(-1), (flat_idx,), source.reshape(-1), accumulate)
    return flat.reshape(x.shape)


def put_(x: Tensor, index: TensorLike, source: TensorLike, accumulate: bool = False) -> Tensor:
    """``put`` in place; returns x."""
    return _inp.apply_("put_", x, put, index, source, accumulate)


def matrix_power(x: TensorLike, n: int) -> Tensor:
    """The n-th power of each square matrix in the last two dims, by repeated squaring; n = 0
    gives the identity, n < 0 the power of the inverse (``torch.linalg.matrix_power``)."""
    x = _tensor(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"matrix_power: expected square matrices in the last two dims, got {x.shape}"
        )
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power: n must be an int, got {type(n).__name__}")
    n = int(n)
    if n == 0:
        eye = np.broadcast_to(np.eye(x.shape[-1], dtype=x._data.dtype), x.shape)
        return x * 0 + Tensor._wrap(eye.copy())
    base = _mx.inverse(x) if n < 0 else x
    n = abs(n)
    result = None
    while True:
        if n & 1:
            result = base if result is None else _la.matmul(result, base)
        n >>= 1
        if not n:
            return result
        base = _la.matmul(base, base)


def pinverse(x: TensorLike, rcond: float = 1e-15) -> Tensor:
    """The pseudo-inverse, singular values below ``rcond * largest`` treated as zero
    (``torch.pinverse``; ``lucid.linalg.pinv`` has PyTorch's newer defaults)."""
    from lucid.ops import decomp

    return decomp.pinv(x, rtol=rcond)


# --------------------------------------------------------------------------- statistics


def cov(
    input: TensorLike,  # noqa: A002
    *,
    correction: int = 1,
    fweights: TensorLike = None,
    aweights: TensorLike = None,
) -> Tensor:
    """The covariance of the variables in the rows of ``input`` (observations in columns; a
    1-D input is one variable); optional integer frequency and float observation weights;
    ``correction=1`` is Bessel's (``torch.cov``). A 0-d result for one variable."""
    x = _tensor(input)
    if x.ndim > 2:
        raise ValueError(f"cov: expected a 1-D or 2-D input, got shape {x.shape}")
    if x._data.dtype.kind != "f":
        x = x.astype(np.float32)
    obs = x.shape[-1] if x.ndim else 1
    x2 = x.reshape(1, obs) if x.ndim < 2 else x
    w = None
    if fweights is not None:
        f = _tensor(fweights)
        if f._data.dtype.kind not in "iu" or f.shape != (obs,):
            raise ValueError(f"cov: fweights must be 1-D integers of length {obs}, got {f.shape}")
        if (f._data < 0).any():
            raise ValueError("cov: fweights cannot be negative")
        w = f.astype(x._data.dtype)
    if aweights is not None:
        a = _tensor(aweights)
        if a._data.dtype.kind != "f" or a.shape != (obs,):
            raise ValueError(
                f"cov: aweights must be a 1-D float tensor of length {obs}, got {a.shape}"
            )
        if (a._data < 0).any():
            raise ValueError("cov: aweights cannot be negative")
        w = a if w is None else w * a
    if w is None:
        total = obs
        mean = _red.mean(x2, dim=1, keepdim=True)
        centred = x2 - mean
        norm = total - correction
        out = _la.matmul(centred, centred.T) / max(norm, 0)
    else:
        total = _red.sum(w)
        mean = _red.sum(x2 * w, dim=1, keepdim=True) / total
        centred = x2 - mean
        if correction == 0:
            norm = total
        elif aweights is None:
            norm = total - correction
        else:
            norm = total - correction * _red.sum(w * _tensor(aweights)) / total
        out = _la.matmul(centred * w, centred.T) / _ew.clamp(norm, min=0)
    return out.reshape(()) if x.ndim < 2 or x.shape[0] == 1 else out


def corrcoef(input: TensorLike) -> Tensor:  # noqa: A002
    """Pearson correlation coefficients of the rows, clipped to [-1, 1] (``torch.corrcoef``)."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = _ew.sqrt(_mx.diagonal(c, 0, 0, 1))
    c = c / d.reshape(-1, 1) / d.reshape(1, -1)
    return _ew.clamp(c, -1, 1)


histogram_result = namedtuple("histogram", ["hist", "bin_edges"])


def histogram(
    input: TensorLike,  # noqa: A002
    bins: Any = 100,
    *,
    range: tuple | None = None,  # noqa: A002
    weight: TensorLike = None,
    density: bool = False,
) -> tuple[Tensor, Tensor]:
    """``(hist, bin_edges)`` of the flattened input: ``bins`` equal bins over ``range`` (the
    data's min and max when None), or the given 1-D edges; input's float dtype; no gradient
    (``torch.histogram``)."""
    x = _tensor(input)
    if x._data.dtype.kind != "f":
        raise TypeError(f"histogram: expected a float tensor, got {x._data.dtype}")
    data = x._data.reshape(-1)
    w = None if weight is None else _tensor(weight)._data.reshape(-1)
    if w is not None and w.size != data.size:
        raise ValueError(
            f"histogram: weight has {w.size} elements, input has {data.size}; they must match"
        )
    edges: Any = bins._data if isinstance(bins, Tensor) else bins
    if not isinstance(edges, (int, np.integer)):
        edges = np.asarray(edges, dtype=x._data.dtype)
    hist, out_edges = np.histogram(data, bins=edges, range=range, weights=w, density=density)
    dtype = x._data.dtype
    return histogram_result(
        Tensor._wrap(hist.astype(dtype)), Tensor._wrap(out_edges.astype(dtype))
    )


frexp_result = namedtuple("frexp", ["mantissa", "exponent"])


def frexp(input: TensorLike) -> tuple[Tensor, Tensor]:  # noqa: A002
    """``(mantissa, exponent)`` with ``input = mantissa * 2**exponent`` and ``|mantissa|`` in
    [0.5, 1); exponent int32; float inputs only; no gradient (``torch.frexp``)."""
    x = _tensor(input)
    if x._data.dtype.kind != "f":
        raise TypeError(f"frexp: expected a float tensor, got {x._data.dtype}")
    m, e = np.frexp(x._data)
    return frexp_result(Tensor._wrap(m), Tensor._wrap(e.astype(np.int32)))


# --------------------------------------------------------------------------- grad mode


class set_grad_enabled:  # noqa: N801 - PyTorch's name
    """``torch.set_grad_enabled(mode)``: sets grad mode in this thread at once; used as a
    context manager it restores the previous mode on exit, as a decorator it runs each call
    of the function in ``mode``."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._previous = _graph.is_grad_enabled()
        _graph._mode.enabled = self.mode

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        _graph._mode.enabled = self._previous

    def __call__(self, fn: Any) -> Any:
        _graph._mode.enabled = self._previous  # a decorator changes nothing until called
        mode = self.mode

        @functools.wraps(fn)
        def with_mode(*args: Any, **kwargs: Any) -> Any:
            previous = _graph._mode.enabled
            _graph._mode.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                _graph._mode.enabled = previous

        return with_mode


class _Inference(threading.local):
    depth = 0


_inference = _Inference()


class _InferenceMode(no_grad):
    """``no_grad`` that also counts as inference mode (``is_inference_mode_enabled``)."""

    def __enter__(self) -> None:
        super().__enter__()
        _inference.depth += 1

    def __exit__(self, *exc_info: object) -> None:
        _inference.depth -= 1
        super().__exit__(*exc_info)


class _Unchanged:
    """``inference_mode(False)``: changes nothing, as a context manager or a decorator."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        return None

    def __call__(self, fn: Any) -> Any:
        return fn


def inference_mode(mode: Any = True) -> Any:
    """``torch.inference_mode``: ``no_grad`` for a block or a function (also as a bare
    ``@inference_mode``); ``mode=False`` changes nothing. Lucid has no inference tensors, so
    results made inside may later enter a graph (PyTorch refuses that)."""
    if callable(mode):
        return _InferenceMode()(mode)
    return _InferenceMode() if mode else _Unchanged()


def is_inference_mode_enabled() -> bool:
    """Whether this thread is inside ``inference_mode`` (``torch.is_inference_mode_enabled``)."""
    return _inference.depth > 0
