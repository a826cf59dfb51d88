"""Tensor: an ndarray, its gradient, and the op that made it. Every method is one line."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _graph

float16 = np.float16
float32 = np.float32
float64 = np.float64
int8 = np.int8
int16 = np.int16
int32 = np.int32
int64 = np.int64
uint8 = np.uint8
bool_ = np.bool_

_DEFAULT_FLOAT = np.dtype(np.float32)
_SUPPORTED_KINDS = "biuf"  # bool, signed and unsigned integers, floats
_DTYPE_NAMES = {"float": float32, "double": float64, "long": int64, "int": int32, "bool": bool_}


def _dtype(dtype: Any) -> np.dtype:
    """A NumPy dtype from a Lucid/NumPy dtype or a name ('float32', 'float', 'long', ...)."""
    try:
        result = np.dtype(_DTYPE_NAMES.get(dtype, dtype) if isinstance(dtype, str) else dtype)
    except TypeError as exc:
        raise TypeError(f"unknown dtype {dtype!r}") from exc
    if result.kind not in _SUPPORTED_KINDS:
        raise TypeError(f"unsupported dtype {result}: Lucid tensors hold bools, ints and floats")
    return result


class _Size(int):
    """``x.size``: the element count as an int, and callable as ``x.size()`` / ``x.size(d)``."""

    shape: tuple[int, ...]

    def __call__(self, dim: int | None = None) -> tuple[int, ...] | int:
        return self.shape if dim is None else self.shape[dim]


class Tensor:
    """An n-dimensional array that records the ops applied to it, for ``backward``.

    ``Tensor(data, dtype=None, requires_grad=False)`` copies ``data`` like ``lucid.tensor``:
    Python floats become float32, ints int64, bools bool; NumPy arrays keep their dtype.
    """

    __slots__ = (
        "_data",
        "_grad",
        "_grad_tensor",
        "_requires_grad",
        "_op",
        "_index",
        "_retain",
        "_version",
        "_hooks",
        "__weakref__",
    )
    # NumPy defers binary operators to Tensor (``array * tensor`` is a Tensor).
    __array_priority__ = 1000

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        self._setup(Tensor._to_array(data, dtype, copy=True), requires_grad)

    def _setup(self, array: np.ndarray, requires_grad: bool) -> None:
        """Make this a leaf holding ``array`` (not copied)."""
        self._data = array
        self._grad: np.ndarray | None = None
        self._grad_tensor: Tensor | None = None
        self._op = None
        self._index = 0
        self._retain = False
        self._version = 0
        self._hooks: dict | None = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ----------------------------------------------------------------- construction

    @staticmethod
    def _to_array(data: Any, dtype: Any, copy: bool) -> np.ndarray:
        """The ndarray a tensor holds for ``data``, by API.md's dtype rules."""
        if isinstance(data, Tensor):
            data = data._data
        if isinstance(data, np.ndarray):
            if data.dtype.kind not in _SUPPORTED_KINDS:
                raise TypeError(f"cannot make a tensor from an array of dtype {data.dtype}")
            if dtype is None:
                return data.copy() if copy else data
            return np.array(data, dtype=_dtype(dtype), copy=copy or None)
        if isinstance(data, (str, bytes)) or data is None:
            raise TypeError(f"cannot make a tensor from {type(data).__name__} {data!r}")
        try:
            array = np.asarray(data)
        except ValueError as exc:  # ragged nested lists
            raise ValueError(f"cannot make a tensor from ragged data: {exc}") from exc
        if array.dtype.kind not in _SUPPORTED_KINDS:
            raise TypeError(
                f"cannot make a tensor from {type(data).__name__} (NumPy reads it as "
                f"{array.dtype}); expected numbers, bools or nested lists of them"
            )
        if dtype is not None:
            return array.astype(_dtype(dtype), copy=False)
        if array.dtype.kind == "f" and not isinstance(data, np.generic):
            return array.astype(_DEFAULT_FLOAT, copy=False)
        if array.dtype.kind in "iu" and not isinstance(data, np.generic):
            return array.astype(np.int64, copy=False)
        return array

    # A tensor around an op's result, without copying or checking: the graph layer's maker.
    _wrap = staticmethod(_graph._result)

    # ----------------------------------------------------------------- attributes
    # (``numpy()`` and ``data`` share memory with the tensor; ``detach()`` does too.)

    shape = property(lambda self: self._data.shape, doc="The tuple of axis lengths.")
    ndim = property(lambda self: self._data.ndim, doc="The number of axes.")
    dtype = property(lambda self: self._data.dtype, doc="The NumPy dtype of the values.")
    is_leaf = property(lambda self: self._op is None, doc="Made by the user, not by an op.")
    grad_fn = property(lambda self: self._op, doc="The op that made this tensor, or None.")
    T = property(lambda self: _shp.transpose(self), doc="All axes reversed.")
    mT = property(lambda self: _shp.swapaxes(self, -1, -2), doc="The last two axes swapped.")

    @property
    def size(self) -> _Size:
        """The number of elements; ``x.size()`` is the shape and ``x.size(d)`` one length."""
        n = _Size(self._data.size)
        n.shape = self._data.shape
        return n

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (floating-point leaves only); returns self."""
        if requires_grad and self._data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require grad, got dtype {self._data.dtype}"
            )
        if not requires_grad and self._op is not None:
            raise RuntimeError("requires_grad_(False) on a non-leaf tensor: use detach()")
        self._requires_grad = requires_grad
        return self

    requires_grad = property(
        lambda self: self._requires_grad,
        requires_grad_,
        doc="Whether backward computes a gradient for this tensor (floating point only).",
    )

    @property
    def data(self) -> Tensor:
        """A Tensor sharing this tensor's memory, outside the graph (PyTorch's ``.data``)."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value: Any) -> None:
        array = value._data if isinstance(value, Tensor) else np.asarray(value)
        if array.dtype.kind not in _SUPPORTED_KINDS:
            raise TypeError(f"cannot set .data to an array of dtype {array.dtype}")
        self._data = array

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient: a Tensor sharing the engine's array, or None."""
        g = self._grad
        if g is None:
            return None
        t = getattr(self, "_grad_tensor", None)  # unset on op results, for speed
        if t is None or t._data is not g:
            t = self._grad_tensor = Tensor._wrap(g)
        return t

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is None:
            self._grad = None
            return
        array = value._data if isinstance(value, Tensor) else np.asarray(value)
        if array.shape != self._data.shape:
            raise RuntimeError(
                f"assigned grad has shape {array.shape}, but the tensor has shape "
                f"{self._data.shape}"
            )
        if array.dtype != self._data.dtype:
            raise TypeError(
                f"assigned grad has dtype {array.dtype}, but the tensor has dtype "
                f"{self._data.dtype}"
            )
        self._grad = array

    # ----------------------------------------------------------------- conversions

    # Reading values into Python: while lucid.compile traces, each ends the trace (see
    # lucid.compile.trace); _graph._mode.tracer is None otherwise.
    def numpy(self) -> np.ndarray:
        if _graph._mode.tracer is not None:
            _graph._mode.tracer.graph_break("Tensor.numpy()")
        return self._data

    def item(self) -> Any:
        if _graph._mode.tracer is not None:
            _graph._mode.tracer.graph_break("Tensor.item()")
        return self._data.item()

    def tolist(self) -> Any:
        if _graph._mode.tracer is not None:
            _graph._mode.tracer.graph_break("Tensor.tolist()")
        return self._data.tolist()

    def numel(self) -> int:
        return self._data.size

    def dim(self) -> int:
        return self._data.ndim

    def detach(self) -> Tensor:
        return Tensor._wrap(self._data.view())  # same memory, new array

    def clone(self) -> Tensor:
        return _ew.clone(self)

    def astype(self, dtype: Any) -> Tensor:
        return _ew.astype(self, dtype)

    def type(self, dtype: Any) -> Tensor:
        return _ew.astype(self, dtype)

    def float(self) -> Tensor:
        return _ew.astype(self, float32)

    def double(self) -> Tensor:
        return _ew.astype(self, float64)

    def long(self) -> Tensor:
        return _ew.astype(self, int64)

    def bool(self) -> Tensor:
        return _ew.astype(self, bool_)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        return _ew.to(self, *args, **kwargs)

    def cpu(self) -> Tensor:
        return self

    def contiguous(self) -> Tensor:
        return self

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if _graph._mode.graph_op is not None and self.requires_grad:
            raise RuntimeError(
                f"{_graph._mode.graph_op} cannot be differentiated twice: its gradient "
                "turned a Tensor into an array"
            )
        return self._data if dtype is None else self._data.astype(dtype)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """NumPy ufuncs on tensors: Lucid's op of the same name where there is one (so
        ``np.exp(t)`` and ``array * t`` are recorded), else NumPy on the arrays of tensors
        that need no grad, as PyTorch allows; a tensor that needs grad is refused."""
        return _ew.numpy_ufunc(ufunc, method, inputs, kwargs)

    # ----------------------------------------------------------------- interop: DLPack
    # (zero-copy exchange with NumPy, PyTorch, ...; see lucid/dlpack.py)

    def __dlpack__(self, **kwargs: Any) -> Any:
        return _dlp.export(self, **kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return _dlp.device(self)

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self._data)))

    def __bool__(self) -> bool:
        if _graph._mode.tracer is not None:
            _graph._mode.tracer.graph_break("bool(tensor)")
        return bool(self._data)

    def __float__(self) -> float:
        if _graph._mode.tracer is not None:
            _graph._mode.tracer.graph_break("float(tensor)")
        return float(self._data)

    def __int__(self) -> int:
        if _graph._mode.tracer is not None:
            _graph._mode.tracer.graph_break("int(tensor)")
        return int(self._data)

    def __index__(self) -> int:
        if _graph._mode.tracer is not None:
            _graph._mode.tracer.graph_break("tensor as an index")
        return self._data.__index__()

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="tensor(", precision=4)
        extra = ""
        if self._data.dtype not in (np.float32, np.int64, np.bool_):
            extra += f", dtype={self._data.dtype}"
        if self._op is not None:
            extra += f", grad_fn=<{type(self._op).__name__}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # ----------------------------------------------------------------- autograd

    def backward(
        self, grad: Any = None, retain_graph: bool = False, create_graph: bool = False
    ) -> None:
        """Accumulate the gradient of this tensor into ``.grad`` of the leaves it depends on.

        ``grad`` is the upstream gradient (required unless this tensor has one element). The
        graph is released afterwards unless ``retain_graph=True``. ``create_graph=True``
        records the gradient computation (see ``lucid.autograd.grad`` for the Tensors).
        """
        _graph.backward(self, grad, retain_graph, create_graph)

    def register_hook(self, hook: Any) -> Any:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a non-None result
        replaces the gradient. Returns a handle whose ``remove()`` unregisters the hook.
        ``grad`` is a Tensor (recorded under ``create_graph=True``)."""
        if not self.requires_grad:
            raise RuntimeError("register_hook on a tensor that does not require grad")
        if self._hooks is None:
            self._hooks = {}
        handle = _graph.RemovableHandle(self._hooks)
        self._hooks[handle.id] = hook
        return handle

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        self._retain = self._op is not None

    def zero_grad(self) -> None:
        """Drop the gradient (``.grad = None``), as PyTorch's ``set_to_none=True``."""
        self._grad = None

    # ----------------------------------------------------------------- operators

    def __add__(self, other: Any) -> Tensor:
        return _ew.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _ew.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _ew.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _ew.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _ew.multiply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _ew.multiply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _ew.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _ew.div(other, self)

    def __floordiv__(self, other: Any) -> Tensor:
        return _ew.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _ew.floor_divide(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _ew.power(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _ew.power(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _la.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _la.matmul(other, self)

    def __neg__(self) -> Tensor:
        return _ew.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _ew.abs(self)

    def __eq__(self, other: Any) -> Tensor:
        return _ew.equal(self, other)

    def __ne__(self, other: Any) -> Tensor:
        return _ew.not_equal(self, other)

    def __lt__(self, other: Any) -> Tensor:
        return _ew.less(self, other)

    def __le__(self, other: Any) -> Tensor:
        return _ew.less_equal(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _ew.greater(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _ew.greater_equal(self, other)

    def __invert__(self) -> Tensor:
        return _ew.logical_not(self)

    def __and__(self, other: Any) -> Tensor:
        return _ew.logical_and(self, other)

    def __or__(self, other: Any) -> Tensor:
        return _ew.logical_or(self, other)

    def __getitem__(self, key: Any) -> Tensor:
        return _idx.getitem(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        _idx.setitem(self, key, value)

    def __iadd__(self, other: Any) -> Tensor:
        return _inp.add_(self, other)

    def __isub__(self, other: Any) -> Tensor:
        return _inp.sub_(self, other)

    def __imul__(self, other: Any) -> Tensor:
        return _inp.mul_(self, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return _inp.div_(self, other)

    # ----------------------------------------------------------------- elementwise

    def add(self, other: Any) -> Tensor:
        return _ew.add(self, other)

    def sub(self, other: Any) -> Tensor:
        return _ew.sub(self, other)

    def multiply(self, other: Any) -> Tensor:
        return _ew.multiply(self, other)

    def mul(self, other: Any) -> Tensor:
        return _ew.multiply(self, other)

    def div(self, other: Any) -> Tensor:
        return _ew.div(self, other)

    def divide(self, other: Any) -> Tensor:
        return _ew.div(self, other)

    def power(self, other: Any) -> Tensor:
        return _ew.power(self, other)

    def pow(self, other: Any) -> Tensor:
        return _ew.power(self, other)

    def maximum(self, other: Any) -> Tensor:
        return _ew.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return _ew.minimum(self, other)

    def neg(self) -> Tensor:
        return _ew.neg(self)

    def exp(self) -> Tensor:
        return _ew.exp(self)

    def log(self) -> Tensor:
        return _ew.log(self)

    def log2(self) -> Tensor:
        return _ew.log2(self)

    def sqrt(self) -> Tensor:
        return _ew.sqrt(self)

    def square(self) -> Tensor:
        return _ew.square(self)

    def abs(self) -> Tensor:
        return _ew.abs(self)

    def sign(self) -> Tensor:
        return _ew.sign(self)

    def sin(self) -> Tensor:
        return _ew.sin(self)

    def cos(self) -> Tensor:
        return _ew.cos(self)

    def tan(self) -> Tensor:
        return _ew.tan(self)

    def tanh(self) -> Tensor:
        return _ew.tanh(self)

    def sinh(self) -> Tensor:
        return _ew.sinh(self)

    def cosh(self) -> Tensor:
        return _ew.cosh(self)

    def arcsin(self) -> Tensor:
        return _ew.arcsin(self)

    def arccos(self) -> Tensor:
        return _ew.arccos(self)

    def arctan(self) -> Tensor:
        return _ew.arctan(self)

    def floor(self) -> Tensor:
        return _ew.floor(self)

    def ceil(self) -> Tensor:
        return _ew.ceil(self)

    def round(self, decimals: int = 0) -> Tensor:
        return _ew.round(self, decimals)

    def reciprocal(self) -> Tensor:
        return _ew.reciprocal(self)

    def clip(self, *args: Any, **kwargs: Any) -> Tensor:
        return _ew.clip(self, *args, **kwargs)

    def clamp(self, *args: Any, **kwargs: Any) -> Tensor:
        return _ew.clip(self, *args, **kwargs)

    def isclose(self, other: Any, **kwargs: Any) -> Tensor:
        return _ew.isclose(self, other, **kwargs)

    def allclose(self, other: Any, **kwargs: Any) -> bool:
        return _ew.allclose(self, other, **kwargs)

    def eq(self, other: Any) -> Tensor:
        return _ew.equal(self, other)

    def ne(self, other: Any) -> Tensor:
        return _ew.not_equal(self, other)

    def lt(self, other: Any) -> Tensor:
        return _ew.less(self, other)

    def le(self, other: Any) -> Tensor:
        return _ew.less_equal(self, other)

    def gt(self, other: Any) -> Tensor:
        return _ew.greater(self, other)

    def ge(self, other: Any) -> Tensor:
        return _ew.greater_equal(self, other)

    def sigmoid(self) -> Tensor:
        return _act.sigmoid(self)

    def relu(self) -> Tensor:
        return _act.relu(self)

    # ----------------------------------------------------------------- reductions

    def sum(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.sum(self, *args, **kwargs)

    def all(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.all(self, *args, **kwargs)

    def any(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.any(self, *args, **kwargs)

    def mean(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.mean(self, *args, **kwargs)

    def var(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.var(self, *args, **kwargs)

    def std(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.std(self, *args, **kwargs)

    def max(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.max(self, *args, **kwargs)

    def min(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.min(self, *args, **kwargs)

    def argmax(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.argmax(self, *args, **kwargs)

    def argmin(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.argmin(self, *args, **kwargs)

    def prod(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.prod(self, *args, **kwargs)

    def logsumexp(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.logsumexp(self, *args, **kwargs)

    def cumsum(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.cumsum(self, *args, **kwargs)

    def norm(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.norm(self, *args, **kwargs)

    # ----------------------------------------------------------------- shape

    def reshape(self, *shape: Any) -> Tensor:
        return _shp.reshape(self, *shape)

    def view(self, *shape: Any) -> Tensor:
        return _shp.reshape(self, *shape)

    def transpose(self, *axes: Any) -> Tensor:
        return _shp.transpose(self, *axes)

    def permute(self, *axes: Any) -> Tensor:
        return _shp.permute(self, *axes)

    def swapaxes(self, a: int, b: int) -> Tensor:
        return _shp.swapaxes(self, a, b)

    def squeeze(self, *args: Any, **kwargs: Any) -> Tensor:
        return _shp.squeeze(self, *args, **kwargs)

    def unsqueeze(self, *args: Any, **kwargs: Any) -> Tensor:
        return _shp.unsqueeze(self, *args, **kwargs)

    def expand_dims(self, *args: Any, **kwargs: Any) -> Tensor:
        return _shp.unsqueeze(self, *args, **kwargs)

    def flatten(self, *args: Any, **kwargs: Any) -> Tensor:
        return _shp.flatten(self, *args, **kwargs)

    def broadcast_to(self, *shape: Any) -> Tensor:
        return _shp.broadcast_to(self, *shape)

    def expand(self, *shape: Any) -> Tensor:
        return _shp.expand(self, *shape)

    def split(self, *args: Any, **kwargs: Any) -> tuple:
        return _shp.split(self, *args, **kwargs)

    def chunk(self, *args: Any, **kwargs: Any) -> tuple:
        return _shp.chunk(self, *args, **kwargs)

    def repeat(self, *args: Any, **kwargs: Any) -> Tensor:
        return _shp.repeat(self, *args, **kwargs)

    def tile(self, *args: Any, **kwargs: Any) -> Tensor:
        return _shp.tile(self, *args, **kwargs)

    def flip(self, *args: Any, **kwargs: Any) -> Tensor:
        return _shp.flip(self, *args, **kwargs)

    # ----------------------------------------------------------------- linear algebra, indexing

    def matmul(self, other: Any) -> Tensor:
        return _la.matmul(self, other)

    def dot(self, other: Any) -> Tensor:
        return _la.dot(self, other)

    def take(self, *args: Any, **kwargs: Any) -> Tensor:
        return _idx.take(self, *args, **kwargs)

    def gather(self, *args: Any, **kwargs: Any) -> Tensor:
        return _idx.gather(self, *args, **kwargs)

    def index_select(self, *args: Any, **kwargs: Any) -> Tensor:
        return _idx.index_select(self, *args, **kwargs)

    def scatter_add(self, *args: Any, **kwargs: Any) -> Tensor:
        return _idx.scatter_add(self, *args, **kwargs)

    # ----------------------------------------------------------------- in place (no graph)

    def add_(self, other: Any) -> Tensor:
        return _inp.add_(self, other)

    def sub_(self, other: Any) -> Tensor:
        return _inp.sub_(self, other)

    def mul_(self, other: Any) -> Tensor:
        return _inp.mul_(self, other)

    def div_(self, other: Any) -> Tensor:
        return _inp.div_(self, other)

    def zero_(self) -> Tensor:
        return _inp.zero_(self)

    def fill_(self, value: Any) -> Tensor:
        return _inp.fill_(self, value)

    def clamp_(self, *args: Any, **kwargs: Any) -> Tensor:
        return _inp.clamp_(self, *args, **kwargs)

    def copy_(self, src: Any) -> Tensor:
        return _inp.copy_(self, src)


_graph.bind_tensor(Tensor)

# The op modules import Tensor from here, so they are bound after the class exists; methods
# look them up at call time.
from lucid import dlpack as _dlp  # noqa: E402
from lucid.ops import activation as _act  # noqa: E402
from lucid.ops import elementwise as _ew  # noqa: E402
from lucid.ops import index as _idx  # noqa: E402
from lucid.ops import inplace as _inp  # noqa: E402
from lucid.ops import linalg as _la  # noqa: E402
from lucid.ops import reduce as _red  # noqa: E402
from lucid.ops import shape as _shp  # noqa: E402
