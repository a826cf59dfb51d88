"""Tensor: an ndarray, its gradient, and the op that made it. Every method is one line."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _device, _dtypes, _graph
from lucid._dtypes import (  # noqa: F401 - re-exported by lucid/__init__.py
    bool_,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
)

_SUPPORTED_KINDS = _dtypes.SUPPORTED_KINDS
_dtype = _dtypes.resolve  # a NumPy dtype from a Lucid/NumPy dtype or a name; TypeError if none


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
        "_post_hooks",  # set only by register_post_accumulate_grad_hook (leaves)
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
            return array.astype(_dtypes.get_default_dtype(), copy=False)
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

    def clone(self, *, memory_format: Any = None) -> Tensor:
        return _ew.clone(self)

    def astype(self, dtype: Any) -> Tensor:
        return _ew.astype(self, dtype)

    def type(self, dtype: Any = None) -> Any:
        return _dtypes.type_name(self.dtype) if dtype is None else _ew.astype(self, dtype)

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
        return _bit.bitwise_not(self)

    def __and__(self, other: Any) -> Tensor:
        return _bit.bitwise_and(self, other)

    def __or__(self, other: Any) -> Tensor:
        return _bit.bitwise_or(self, other)

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

    def add(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return _ew.add(self, other, alpha=alpha)

    def sub(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return _ew.sub(self, other, alpha=alpha)

    def multiply(self, other: Any) -> Tensor:
        return _ew.multiply(self, other)

    def mul(self, other: Any) -> Tensor:
        return _ew.multiply(self, other)

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        return _ew.div(self, other, rounding_mode=rounding_mode)

    def divide(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        return _ew.div(self, other, rounding_mode=rounding_mode)

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

    def max(self, *args: Any, **kwargs: Any) -> Any:
        return _red.max(self, *args, **kwargs)

    def min(self, *args: Any, **kwargs: Any) -> Any:
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

    def add_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return _inp.add_(self, other, alpha=alpha)

    def sub_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return _inp.sub_(self, other, alpha=alpha)

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

    # ----------------------------------------------------------------- shape, indexing,
    # sorting, scatter and reductions of issue 10 (PyTorch's surface)

    def amax(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.amax(self, *args, **kwargs)

    def amin(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.amin(self, *args, **kwargs)

    def tensor_split(self, *args: Any, **kwargs: Any) -> tuple:
        return _shp.tensor_split(self, *args, **kwargs)

    def hsplit(self, *args: Any, **kwargs: Any) -> tuple:
        return _shp.hsplit(self, *args, **kwargs)

    def vsplit(self, *args: Any, **kwargs: Any) -> tuple:
        return _shp.vsplit(self, *args, **kwargs)

    def dsplit(self, *args: Any, **kwargs: Any) -> tuple:
        return _shp.dsplit(self, *args, **kwargs)

    def repeat_interleave(self, *args: Any, **kwargs: Any) -> Tensor:
        return _shp.repeat_interleave(self, *args, **kwargs)

    def sort(self, *args: Any, **kwargs: Any) -> Any:
        return _srt.sort(self, *args, **kwargs)

    def topk(self, *args: Any, **kwargs: Any) -> Any:
        return _srt.topk(self, *args, **kwargs)

    def kthvalue(self, *args: Any, **kwargs: Any) -> Any:
        return _srt.kthvalue(self, *args, **kwargs)

    def median(self, *args: Any, **kwargs: Any) -> Any:
        return _srt.median(self, *args, **kwargs)

    def nanmedian(self, *args: Any, **kwargs: Any) -> Any:
        return _srt.nanmedian(self, *args, **kwargs)

    def mode(self, *args: Any, **kwargs: Any) -> Any:
        return _srt.mode(self, *args, **kwargs)

    def argsort(self, *args: Any, **kwargs: Any) -> Tensor:
        return _srt.argsort(self, *args, **kwargs)

    def msort(self, *args: Any, **kwargs: Any) -> Tensor:
        return _srt.msort(self, *args, **kwargs)

    def quantile(self, *args: Any, **kwargs: Any) -> Tensor:
        return _srt.quantile(self, *args, **kwargs)

    def nanquantile(self, *args: Any, **kwargs: Any) -> Tensor:
        return _srt.nanquantile(self, *args, **kwargs)

    def bincount(self, *args: Any, **kwargs: Any) -> Tensor:
        return _srt.bincount(self, *args, **kwargs)

    def histc(self, *args: Any, **kwargs: Any) -> Tensor:
        return _srt.histc(self, *args, **kwargs)

    def unique(self, *args: Any, **kwargs: Any) -> Any:
        return _srt.unique(self, *args, **kwargs)

    def unique_consecutive(self, *args: Any, **kwargs: Any) -> Any:
        return _srt.unique_consecutive(self, *args, **kwargs)

    def cumprod(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.cumprod(self, *args, **kwargs)

    def logcumsumexp(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.logcumsumexp(self, *args, **kwargs)

    def count_nonzero(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.count_nonzero(self, *args, **kwargs)

    def cummax(self, *args: Any, **kwargs: Any) -> Any:
        return _red.cummax(self, *args, **kwargs)

    def cummin(self, *args: Any, **kwargs: Any) -> Any:
        return _red.cummin(self, *args, **kwargs)

    def aminmax(self, *args: Any, **kwargs: Any) -> Any:
        return _red.aminmax(self, *args, **kwargs)

    def scatter(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.scatter(self, *args, **kwargs)

    def scatter_(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.scatter_(self, *args, **kwargs)

    def scatter_reduce(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.scatter_reduce(self, *args, **kwargs)

    def index_add(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.index_add(self, *args, **kwargs)

    def index_fill(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.index_fill(self, *args, **kwargs)

    def index_copy(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.index_copy(self, *args, **kwargs)

    def index_put(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.index_put(self, *args, **kwargs)

    def index_put_(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.index_put_(self, *args, **kwargs)

    def masked_fill(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.masked_fill(self, *args, **kwargs)

    def masked_fill_(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.masked_fill_(self, *args, **kwargs)

    def masked_select(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.masked_select(self, *args, **kwargs)

    def masked_scatter(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.masked_scatter(self, *args, **kwargs)

    def take_along_dim(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.take_along_dim(self, *args, **kwargs)

    def argwhere(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.argwhere(self, *args, **kwargs)

    def nonzero(self, *args: Any, **kwargs: Any) -> Any:
        return _sct.nonzero(self, *args, **kwargs)

    def tril(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.tril(self, *args, **kwargs)

    def triu(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.triu(self, *args, **kwargs)

    def diagonal(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.diagonal(self, *args, **kwargs)

    def diag(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.diag(self, *args, **kwargs)

    def diag_embed(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.diag_embed(self, *args, **kwargs)

    def trace(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.trace(self, *args, **kwargs)

    def mm(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.mm(self, *args, **kwargs)

    def bmm(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.bmm(self, *args, **kwargs)

    def mv(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.mv(self, *args, **kwargs)

    def addmm(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.addmm(self, *args, **kwargs)

    def addmv(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.addmv(self, *args, **kwargs)

    def addr(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.addr(self, *args, **kwargs)

    def baddbmm(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.baddbmm(self, *args, **kwargs)

    def addbmm(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.addbmm(self, *args, **kwargs)

    def ger(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.ger(self, *args, **kwargs)

    def cross(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.cross(self, *args, **kwargs)

    def inverse(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.inverse(self, *args, **kwargs)

    def det(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.det(self, *args, **kwargs)

    def logdet(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.logdet(self, *args, **kwargs)

    def slogdet(self, *args: Any, **kwargs: Any) -> tuple:
        return _mx.slogdet(self, *args, **kwargs)

    def narrow(self, *args: Any, **kwargs: Any) -> Tensor:
        return _lay.narrow(self, *args, **kwargs)

    def select(self, *args: Any, **kwargs: Any) -> Tensor:
        return _lay.select(self, *args, **kwargs)

    def swapdims(self, *args: Any, **kwargs: Any) -> Tensor:
        return _lay.swapdims(self, *args, **kwargs)

    def roll(self, *args: Any, **kwargs: Any) -> Tensor:
        return _lay.roll(self, *args, **kwargs)

    def rot90(self, *args: Any, **kwargs: Any) -> Tensor:
        return _lay.rot90(self, *args, **kwargs)

    def fliplr(self, *args: Any, **kwargs: Any) -> Tensor:
        return _lay.fliplr(self, *args, **kwargs)

    def flipud(self, *args: Any, **kwargs: Any) -> Tensor:
        return _lay.flipud(self, *args, **kwargs)

    def unflatten(self, *args: Any, **kwargs: Any) -> Tensor:
        return _lay.unflatten(self, *args, **kwargs)

    def view_as(self, *args: Any, **kwargs: Any) -> Tensor:
        return _lay.view_as(self, *args, **kwargs)

    def reshape_as(self, *args: Any, **kwargs: Any) -> Tensor:
        return _lay.reshape_as(self, *args, **kwargs)

    def expand_as(self, *args: Any, **kwargs: Any) -> Tensor:
        return _lay.expand_as(self, *args, **kwargs)

    def type_as(self, *args: Any, **kwargs: Any) -> Tensor:
        return _lay.type_as(self, *args, **kwargs)

    def t(self, *args: Any, **kwargs: Any) -> Tensor:
        return _lay.t(self, *args, **kwargs)

    def stride(self, *args: Any, **kwargs: Any) -> Any:
        return _lay.stride(self, *args, **kwargs)

    def movedim(self, *args: Any, **kwargs: Any) -> Tensor:
        return _shp.moveaxis(self, *args, **kwargs)

    def moveaxis(self, *args: Any, **kwargs: Any) -> Tensor:
        return _shp.moveaxis(self, *args, **kwargs)

    def outer(self, *args: Any, **kwargs: Any) -> Tensor:
        return _la.outer(self, *args, **kwargs)

    def scatter_add_(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.scatter_add_(self, *args, **kwargs)

    def scatter_reduce_(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.scatter_reduce_(self, *args, **kwargs)

    def index_add_(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.index_add_(self, *args, **kwargs)

    def index_copy_(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.index_copy_(self, *args, **kwargs)

    def index_fill_(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.index_fill_(self, *args, **kwargs)

    def masked_scatter_(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sct.masked_scatter_(self, *args, **kwargs)

    def tril_(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.tril_(self, *args, **kwargs)

    def triu_(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.triu_(self, *args, **kwargs)

    def fill_diagonal_(self, *args: Any, **kwargs: Any) -> Tensor:
        return _mx.fill_diagonal_(self, *args, **kwargs)

    def unbind(self, *args: Any, **kwargs: Any) -> tuple:
        return _lay.unbind(self, *args, **kwargs)

    def ravel(self) -> Tensor:
        return _lay.ravel(self)

    def diff(self, *args: Any, **kwargs: Any) -> Tensor:
        return _lay.diff(self, *args, **kwargs)

    def nansum(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.nansum(self, *args, **kwargs)

    def nanmean(self, *args: Any, **kwargs: Any) -> Tensor:
        return _red.nanmean(self, *args, **kwargs)

    def unfold(self, dimension: int, size: int, step: int) -> Tensor:
        return _lay.unfold(self, dimension, size, step)

    def where(self, condition: Any, other: Any) -> Tensor:
        return _ew.where(condition, self, other)

    def nelement(self) -> int:
        return self._data.size

    def storage_offset(self) -> int:
        return 0

    def is_contiguous(self, memory_format: Any = None) -> bool:
        return True

    # ----------------------------------------------------------------- ops-math: dtypes and
    # devices, random fills, special functions, bitwise ops, in-place twins (lucid._dtypes,
    # lucid._device, lucid.random, ops/special, ops/bitwise, ops/inplace)

    device = property(lambda self: _device.CPU, doc="Where the values live: always the CPU.")
    is_cuda = property(lambda self: False, doc="False: Lucid has no CUDA backend.")
    is_cpu = property(lambda self: True, doc="True: Lucid's tensors live on the CPU.")
    itemsize = property(lambda self: self._data.itemsize, doc="Bytes per element.")
    nbytes = property(lambda self: self._data.nbytes, doc="Bytes of all the elements.")

    def half(self) -> Tensor:
        return _ew.astype(self, float16)

    def int(self) -> Tensor:
        return _ew.astype(self, int32)

    def short(self) -> Tensor:
        return _ew.astype(self, int16)

    def char(self) -> Tensor:
        return _ew.astype(self, int8)

    def byte(self) -> Tensor:
        return _ew.astype(self, uint8)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        return _ew.to(self, "cuda")

    def __format__(self, spec: str) -> str:
        # PyTorch formats a 0-d tensor as its number (f"{loss:.4f}"); others as object does.
        if self._data.ndim == 0:
            return self._data.item().__format__(spec)
        return object.__format__(self, spec)

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
        return _rnd.uniform_(self, a, b, generator=generator)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
        return _rnd.normal_(self, mean, std, generator=generator)

    def random_(self, *args: Any, generator: Any = None) -> Tensor:
        return _rnd.random_(self, *args, generator=generator)

    def bernoulli_(self, p: Any = 0.5, *, generator: Any = None) -> Tensor:
        return _rnd.bernoulli_(self, p, generator=generator)

    def exponential_(self, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
        return _rnd.exponential_(self, lambd, generator=generator)

    def bernoulli(self, *args: Any, **kwargs: Any) -> Tensor:
        return _rnd.bernoulli(self, *args, **kwargs)

    def multinomial(self, *args: Any, **kwargs: Any) -> Tensor:
        return _rnd.multinomial(self, *args, **kwargs)

    def new_tensor(self, data: Any, **kwargs: Any) -> Tensor:
        return _cr.new_tensor(self, data, **kwargs)

    def new_zeros(self, *size: Any, **kwargs: Any) -> Tensor:
        return _cr.new_zeros(self, *size, **kwargs)

    def new_ones(self, *size: Any, **kwargs: Any) -> Tensor:
        return _cr.new_ones(self, *size, **kwargs)

    def new_empty(self, *size: Any, **kwargs: Any) -> Tensor:
        return _cr.new_empty(self, *size, **kwargs)

    def new_full(self, size: Any, fill_value: Any, **kwargs: Any) -> Tensor:
        return _cr.new_full(self, size, fill_value, **kwargs)

    def element_size(self) -> int:
        return self._data.itemsize

    def get_device(self) -> int:
        return -1  # PyTorch's answer for a CPU tensor

    def pin_memory(self) -> Tensor:
        return self  # nothing to pin: there is no accelerator to copy to

    def is_pinned(self) -> bool:
        return False

    def __mod__(self, other: Any) -> Tensor:
        return _sp.remainder(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return _sp.remainder(other, self)

    def __rand__(self, other: Any) -> Tensor:
        return _bit.bitwise_and(other, self)

    def __ror__(self, other: Any) -> Tensor:
        return _bit.bitwise_or(other, self)

    def __xor__(self, other: Any) -> Tensor:
        return _bit.bitwise_xor(self, other)

    def __rxor__(self, other: Any) -> Tensor:
        return _bit.bitwise_xor(other, self)

    def __lshift__(self, other: Any) -> Tensor:
        return _bit.bitwise_left_shift(self, other)

    def __rlshift__(self, other: Any) -> Tensor:
        return _bit.bitwise_left_shift(other, self)

    def __rshift__(self, other: Any) -> Tensor:
        return _bit.bitwise_right_shift(self, other)

    def __rrshift__(self, other: Any) -> Tensor:
        return _bit.bitwise_right_shift(other, self)

    def __imod__(self, other: Any) -> Tensor:
        return _inp.apply_("remainder_", self, _sp.remainder, other)

    def __ifloordiv__(self, other: Any) -> Tensor:
        return _inp.apply_("floor_divide_", self, _ew.floor_divide, other)

    def __ipow__(self, other: Any) -> Tensor:
        return _inp.apply_("pow_", self, _ew.power, other)

    def __iand__(self, other: Any) -> Tensor:
        return _inp.apply_("bitwise_and_", self, _bit.bitwise_and, other)

    def __ior__(self, other: Any) -> Tensor:
        return _inp.apply_("bitwise_or_", self, _bit.bitwise_or, other)

    def __ixor__(self, other: Any) -> Tensor:
        return _inp.apply_("bitwise_xor_", self, _bit.bitwise_xor, other)

    def __ilshift__(self, other: Any) -> Tensor:
        return _inp.apply_("bitwise_left_shift_", self, _bit.bitwise_left_shift, other)

    def __irshift__(self, other: Any) -> Tensor:
        return _inp.apply_("bitwise_right_shift_", self, _bit.bitwise_right_shift, other)

    def erf(self) -> Tensor:
        return _sp.erf(self)

    def erfc(self) -> Tensor:
        return _sp.erfc(self)

    def erfinv(self) -> Tensor:
        return _sp.erfinv(self)

    def log10(self) -> Tensor:
        return _sp.log10(self)

    def log1p(self) -> Tensor:
        return _sp.log1p(self)

    def expm1(self) -> Tensor:
        return _sp.expm1(self)

    def exp2(self) -> Tensor:
        return _sp.exp2(self)

    def rsqrt(self) -> Tensor:
        return _sp.rsqrt(self)

    def trunc(self) -> Tensor:
        return _sp.trunc(self)

    def fix(self) -> Tensor:
        return _sp.fix(self)

    def frac(self) -> Tensor:
        return _sp.frac(self)

    def sinc(self) -> Tensor:
        return _sp.sinc(self)

    def asinh(self) -> Tensor:
        return _sp.asinh(self)

    def acosh(self) -> Tensor:
        return _sp.acosh(self)

    def atanh(self) -> Tensor:
        return _sp.atanh(self)

    def arcsinh(self) -> Tensor:
        return _sp.arcsinh(self)

    def arccosh(self) -> Tensor:
        return _sp.arccosh(self)

    def arctanh(self) -> Tensor:
        return _sp.arctanh(self)

    def deg2rad(self) -> Tensor:
        return _sp.deg2rad(self)

    def rad2deg(self) -> Tensor:
        return _sp.rad2deg(self)

    def sgn(self) -> Tensor:
        return _sp.sgn(self)

    def isnan(self) -> Tensor:
        return _sp.isnan(self)

    def isinf(self) -> Tensor:
        return _sp.isinf(self)

    def isfinite(self) -> Tensor:
        return _sp.isfinite(self)

    def isposinf(self) -> Tensor:
        return _sp.isposinf(self)

    def isneginf(self) -> Tensor:
        return _sp.isneginf(self)

    def isreal(self) -> Tensor:
        return _sp.isreal(self)

    def signbit(self) -> Tensor:
        return _sp.signbit(self)

    def softmax(self, *args: Any, **kwargs: Any) -> Tensor:
        return _act.softmax(self, *args, **kwargs)

    def log_softmax(self, *args: Any, **kwargs: Any) -> Tensor:
        return _act.log_softmax(self, *args, **kwargs)

    def lgamma(self) -> Tensor:
        return _sp.lgamma(self)

    def digamma(self) -> Tensor:
        return _sp.digamma(self)

    def polygamma(self, n: int) -> Tensor:
        return _sp.polygamma(n, self)

    def logit(self, eps: float | None = None) -> Tensor:
        return _sp.logit(self, eps)

    def fmax(self, other: Any) -> Tensor:
        return _sp.fmax(self, other)

    def fmin(self, other: Any) -> Tensor:
        return _sp.fmin(self, other)

    def ldexp(self, other: Any) -> Tensor:
        return _sp.ldexp(self, other)

    def heaviside(self, values: Any) -> Tensor:
        return _sp.heaviside(self, values)

    def gcd(self, other: Any) -> Tensor:
        return _sp.gcd(self, other)

    def lcm(self, other: Any) -> Tensor:
        return _sp.lcm(self, other)

    def absolute(self) -> Tensor:
        return _ew.abs(self)

    def positive(self) -> Tensor:
        return self

    def nan_to_num(self, *args: Any, **kwargs: Any) -> Tensor:
        return _sp.nan_to_num(self, *args, **kwargs)

    def logaddexp(self, other: Any) -> Tensor:
        return _sp.logaddexp(self, other)

    def logaddexp2(self, other: Any) -> Tensor:
        return _sp.logaddexp2(self, other)

    def hypot(self, other: Any) -> Tensor:
        return _sp.hypot(self, other)

    def copysign(self, other: Any) -> Tensor:
        return _sp.copysign(self, other)

    def xlogy(self, other: Any) -> Tensor:
        return _sp.xlogy(self, other)

    def remainder(self, other: Any) -> Tensor:
        return _sp.remainder(self, other)

    def fmod(self, other: Any) -> Tensor:
        return _sp.fmod(self, other)

    def float_power(self, other: Any) -> Tensor:
        return _sp.float_power(self, other)

    def clamp_min(self, min: Any) -> Tensor:
        return _sp.clamp_min(self, min)

    def clamp_max(self, max: Any) -> Tensor:
        return _sp.clamp_max(self, max)

    def lerp(self, end: Any, weight: Any) -> Tensor:
        return _sp.lerp(self, end, weight)

    def addcmul(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        return _sp.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        return _sp.addcdiv(self, tensor1, tensor2, value=value)

    def floor_divide(self, other: Any) -> Tensor:
        return _ew.floor_divide(self, other)

    def true_divide(self, other: Any) -> Tensor:
        return _ew.true_divide(self, other)

    def asin(self) -> Tensor:
        return _ew.asin(self)

    def acos(self) -> Tensor:
        return _ew.acos(self)

    def atan(self) -> Tensor:
        return _ew.atan(self)

    def bitwise_and(self, other: Any) -> Tensor:
        return _bit.bitwise_and(self, other)

    def bitwise_or(self, other: Any) -> Tensor:
        return _bit.bitwise_or(self, other)

    def bitwise_xor(self, other: Any) -> Tensor:
        return _bit.bitwise_xor(self, other)

    def bitwise_left_shift(self, other: Any) -> Tensor:
        return _bit.bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other: Any) -> Tensor:
        return _bit.bitwise_right_shift(self, other)

    def logical_xor(self, other: Any) -> Tensor:
        return _bit.logical_xor(self, other)

    def bitwise_not(self) -> Tensor:
        return _bit.bitwise_not(self)

    def logical_and(self, other: Any) -> Tensor:
        return _ew.logical_and(self, other)

    def logical_or(self, other: Any) -> Tensor:
        return _ew.logical_or(self, other)

    def logical_not(self) -> Tensor:
        return _ew.logical_not(self)

    def neg_(self) -> Tensor:
        return _inp.apply_("neg_", self, _ew.neg)

    def exp_(self) -> Tensor:
        return _inp.apply_("exp_", self, _ew.exp)

    def log_(self) -> Tensor:
        return _inp.apply_("log_", self, _ew.log)

    def log2_(self) -> Tensor:
        return _inp.apply_("log2_", self, _ew.log2)

    def sqrt_(self) -> Tensor:
        return _inp.apply_("sqrt_", self, _ew.sqrt)

    def abs_(self) -> Tensor:
        return _inp.apply_("abs_", self, _ew.abs)

    def square_(self) -> Tensor:
        return _inp.apply_("square_", self, _ew.square)

    def sign_(self) -> Tensor:
        return _inp.apply_("sign_", self, _ew.sign)

    def reciprocal_(self) -> Tensor:
        return _inp.apply_("reciprocal_", self, _ew.reciprocal)

    def sin_(self) -> Tensor:
        return _inp.apply_("sin_", self, _ew.sin)

    def cos_(self) -> Tensor:
        return _inp.apply_("cos_", self, _ew.cos)

    def tan_(self) -> Tensor:
        return _inp.apply_("tan_", self, _ew.tan)

    def tanh_(self) -> Tensor:
        return _inp.apply_("tanh_", self, _ew.tanh)

    def floor_(self) -> Tensor:
        return _inp.apply_("floor_", self, _ew.floor)

    def ceil_(self) -> Tensor:
        return _inp.apply_("ceil_", self, _ew.ceil)

    def sigmoid_(self) -> Tensor:
        return _inp.apply_("sigmoid_", self, _act.sigmoid)

    def relu_(self) -> Tensor:
        return _inp.apply_("relu_", self, _act.relu)

    def erf_(self) -> Tensor:
        return _inp.apply_("erf_", self, _sp.erf)

    def erfc_(self) -> Tensor:
        return _inp.apply_("erfc_", self, _sp.erfc)

    def erfinv_(self) -> Tensor:
        return _inp.apply_("erfinv_", self, _sp.erfinv)

    def log10_(self) -> Tensor:
        return _inp.apply_("log10_", self, _sp.log10)

    def log1p_(self) -> Tensor:
        return _inp.apply_("log1p_", self, _sp.log1p)

    def expm1_(self) -> Tensor:
        return _inp.apply_("expm1_", self, _sp.expm1)

    def exp2_(self) -> Tensor:
        return _inp.apply_("exp2_", self, _sp.exp2)

    def rsqrt_(self) -> Tensor:
        return _inp.apply_("rsqrt_", self, _sp.rsqrt)

    def trunc_(self) -> Tensor:
        return _inp.apply_("trunc_", self, _sp.trunc)

    def frac_(self) -> Tensor:
        return _inp.apply_("frac_", self, _sp.frac)

    def sinc_(self) -> Tensor:
        return _inp.apply_("sinc_", self, _sp.sinc)

    def asinh_(self) -> Tensor:
        return _inp.apply_("asinh_", self, _sp.asinh)

    def acosh_(self) -> Tensor:
        return _inp.apply_("acosh_", self, _sp.acosh)

    def atanh_(self) -> Tensor:
        return _inp.apply_("atanh_", self, _sp.atanh)

    def deg2rad_(self) -> Tensor:
        return _inp.apply_("deg2rad_", self, _sp.deg2rad)

    def rad2deg_(self) -> Tensor:
        return _inp.apply_("rad2deg_", self, _sp.rad2deg)

    def sgn_(self) -> Tensor:
        return _inp.apply_("sgn_", self, _sp.sgn)

    def bitwise_not_(self) -> Tensor:
        return _inp.apply_("bitwise_not_", self, _bit.bitwise_not)

    def logical_not_(self) -> Tensor:
        return _inp.apply_("logical_not_", self, _ew.logical_not)

    def round_(self, decimals: int = 0) -> Tensor:
        return _inp.apply_("round_", self, _ew.round, decimals)

    def nan_to_num_(self, *args: Any, **kwargs: Any) -> Tensor:
        return _inp.apply_("nan_to_num_", self, _sp.nan_to_num, *args, **kwargs)

    def pow_(self, other: Any) -> Tensor:
        return _inp.apply_("pow_", self, _ew.power, other)

    def remainder_(self, other: Any) -> Tensor:
        return _inp.apply_("remainder_", self, _sp.remainder, other)

    def fmod_(self, other: Any) -> Tensor:
        return _inp.apply_("fmod_", self, _sp.fmod, other)

    def floor_divide_(self, other: Any) -> Tensor:
        return _inp.apply_("floor_divide_", self, _ew.floor_divide, other)

    def clamp_min_(self, other: Any) -> Tensor:
        return _inp.apply_("clamp_min_", self, _sp.clamp_min, other)

    def clamp_max_(self, other: Any) -> Tensor:
        return _inp.apply_("clamp_max_", self, _sp.clamp_max, other)

    def copysign_(self, other: Any) -> Tensor:
        return _inp.apply_("copysign_", self, _sp.copysign, other)

    def hypot_(self, other: Any) -> Tensor:
        return _inp.apply_("hypot_", self, _sp.hypot, other)

    def xlogy_(self, other: Any) -> Tensor:
        return _inp.apply_("xlogy_", self, _sp.xlogy, other)

    def maximum_(self, other: Any) -> Tensor:
        return _inp.apply_("maximum_", self, _ew.maximum, other)

    def minimum_(self, other: Any) -> Tensor:
        return _inp.apply_("minimum_", self, _ew.minimum, other)

    def bitwise_and_(self, other: Any) -> Tensor:
        return _inp.apply_("bitwise_and_", self, _bit.bitwise_and, other)

    def bitwise_or_(self, other: Any) -> Tensor:
        return _inp.apply_("bitwise_or_", self, _bit.bitwise_or, other)

    def bitwise_xor_(self, other: Any) -> Tensor:
        return _inp.apply_("bitwise_xor_", self, _bit.bitwise_xor, other)

    def bitwise_left_shift_(self, other: Any) -> Tensor:
        return _inp.apply_("bitwise_left_shift_", self, _bit.bitwise_left_shift, other)

    def bitwise_right_shift_(self, other: Any) -> Tensor:
        return _inp.apply_("bitwise_right_shift_", self, _bit.bitwise_right_shift, other)

    def lerp_(self, end: Any, weight: Any) -> Tensor:
        return _inp.apply_("lerp_", self, _sp.lerp, end, weight)

    def addcmul_(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        return _inp.apply_("addcmul_", self, _sp.addcmul, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        return _inp.apply_("addcdiv_", self, _sp.addcdiv, tensor1, tensor2, value=value)

    def clip_(self, *args: Any, **kwargs: Any) -> Tensor:
        return _inp.clamp_(self, *args, **kwargs)

    def absolute_(self) -> Tensor:
        return _inp.apply_("absolute_", self, _ew.abs)

    def arccosh_(self) -> Tensor:
        return _inp.apply_("arccosh_", self, _sp.acosh)

    def arcsinh_(self) -> Tensor:
        return _inp.apply_("arcsinh_", self, _sp.asinh)

    def arctanh_(self) -> Tensor:
        return _inp.apply_("arctanh_", self, _sp.atanh)

    def digamma_(self) -> Tensor:
        return _inp.apply_("digamma_", self, _sp.digamma)

    def fix_(self) -> Tensor:
        return _inp.apply_("fix_", self, _sp.trunc)

    def lgamma_(self) -> Tensor:
        return _inp.apply_("lgamma_", self, _sp.lgamma)

    def float_power_(self, other: Any) -> Tensor:
        return _sp.float_power_(self, other)

    def gcd_(self, other: Any) -> Tensor:
        return _inp.apply_("gcd_", self, _sp.gcd, other)

    def heaviside_(self, other: Any) -> Tensor:
        return _inp.apply_("heaviside_", self, _sp.heaviside, other)

    def lcm_(self, other: Any) -> Tensor:
        return _inp.apply_("lcm_", self, _sp.lcm, other)

    def ldexp_(self, other: Any) -> Tensor:
        return _inp.apply_("ldexp_", self, _sp.ldexp, other)

    def logical_and_(self, other: Any) -> Tensor:
        return _inp.apply_("logical_and_", self, _ew.logical_and, other)

    def logical_or_(self, other: Any) -> Tensor:
        return _inp.apply_("logical_or_", self, _ew.logical_or, other)

    def logical_xor_(self, other: Any) -> Tensor:
        return _inp.apply_("logical_xor_", self, _bit.logical_xor, other)

    def true_divide_(self, other: Any) -> Tensor:
        return _inp.apply_("true_divide_", self, _ew.true_divide, other)

    def logit_(self, eps: float | None = None) -> Tensor:
        return _inp.apply_("logit_", self, _sp.logit, eps)

    def polygamma_(self, n: int) -> Tensor:
        return _inp.apply_("polygamma_", self, lambda x: _sp.polygamma(n, x))

    # ----------------------------------------------------------------- PyTorch surface: aliases,
    # in-place twins, predicates and composites (lucid/ops/aliases.py)

    def atan2(self, other: Any) -> Tensor:
        return _al.atan2(self, other)

    def arctan2(self, other: Any) -> Tensor:
        return _al.atan2(self, other)

    def atan2_(self, other: Any) -> Tensor:
        return _al.atan2_(self, other)

    def arctan2_(self, other: Any) -> Tensor:
        return _al.arctan2_(self, other)

    def greater(self, other: Any) -> Tensor:
        return _ew.greater(self, other)

    def greater_equal(self, other: Any) -> Tensor:
        return _ew.greater_equal(self, other)

    def less(self, other: Any) -> Tensor:
        return _ew.less(self, other)

    def less_equal(self, other: Any) -> Tensor:
        return _ew.less_equal(self, other)

    def not_equal(self, other: Any) -> Tensor:
        return _ew.not_equal(self, other)

    def negative(self) -> Tensor:
        return _ew.neg(self)

    def subtract(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return _ew.sub(self, other, alpha=alpha)

    def eq_(self, other: Any) -> Tensor:
        return _al.compare_("eq_", self, other)

    def ne_(self, other: Any) -> Tensor:
        return _al.compare_("ne_", self, other)

    def lt_(self, other: Any) -> Tensor:
        return _al.compare_("lt_", self, other)

    def le_(self, other: Any) -> Tensor:
        return _al.compare_("le_", self, other)

    def gt_(self, other: Any) -> Tensor:
        return _al.compare_("gt_", self, other)

    def ge_(self, other: Any) -> Tensor:
        return _al.compare_("ge_", self, other)

    def greater_(self, other: Any) -> Tensor:
        return _al.compare_("gt_", self, other)

    def greater_equal_(self, other: Any) -> Tensor:
        return _al.compare_("ge_", self, other)

    def less_(self, other: Any) -> Tensor:
        return _al.compare_("lt_", self, other)

    def less_equal_(self, other: Any) -> Tensor:
        return _al.compare_("le_", self, other)

    def not_equal_(self, other: Any) -> Tensor:
        return _al.compare_("ne_", self, other)

    def negative_(self) -> Tensor:
        return _al.negative_(self)

    def subtract_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return _al.subtract_(self, other, alpha=alpha)

    def multiply_(self, other: Any) -> Tensor:
        return _al.multiply_(self, other)

    def divide_(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        return _al.divide_(self, other, rounding_mode=rounding_mode)

    def acos_(self) -> Tensor:
        return _al.acos_(self)

    def asin_(self) -> Tensor:
        return _al.asin_(self)

    def atan_(self) -> Tensor:
        return _al.atan_(self)

    def cosh_(self) -> Tensor:
        return _al.cosh_(self)

    def sinh_(self) -> Tensor:
        return _al.sinh_(self)

    def arccos_(self) -> Tensor:
        return _al.arccos_(self)

    def arcsin_(self) -> Tensor:
        return _al.arcsin_(self)

    def arctan_(self) -> Tensor:
        return _al.arctan_(self)

    def cumsum_(self, dim: int) -> Tensor:
        return _al.cumsum_(self, dim=dim)

    def cumprod_(self, dim: int) -> Tensor:
        return _al.cumprod_(self, dim=dim)

    def squeeze_(self, *args: Any, **kwargs: Any) -> Tensor:
        return _al.restride_("squeeze_", self, _shp.squeeze, *args, **kwargs)

    def unsqueeze_(self, dim: int) -> Tensor:
        return _al.restride_("unsqueeze_", self, _shp.unsqueeze, dim)

    def transpose_(self, dim0: int, dim1: int) -> Tensor:
        return _al.restride_("transpose_", self, _shp.transpose, dim0, dim1)

    def swapaxes_(self, axis0: int, axis1: int) -> Tensor:
        return _al.restride_("swapaxes_", self, _shp.transpose, axis0, axis1)

    def swapdims_(self, dim0: int, dim1: int) -> Tensor:
        return _al.restride_("swapdims_", self, _shp.transpose, dim0, dim1)

    def t_(self) -> Tensor:
        return _al.restride_("t_", self, _lay.t)

    def detach_(self) -> Tensor:
        return _al.detach_(self)

    def ndimension(self) -> int:
        return self._data.ndim

    def is_nonzero(self) -> bool:
        return _al.is_nonzero(self)

    def is_signed(self) -> bool:
        return _al.is_signed(self)

    def is_complex(self) -> bool:
        return _al.is_complex(self)

    @property
    def retains_grad(self) -> bool:
        return self._retain and self._op is not None

    def equal(self, other: Any) -> bool:
        return _al.equal(self, other)

    def is_same_size(self, other: Any) -> bool:
        return _al.is_same_size(self, other)

    def split_with_sizes(self, split_sizes: Any, dim: int = 0) -> tuple:
        return _al.split_with_sizes(self, split_sizes, dim)

    def sum_to_size(self, *size: Any) -> Tensor:
        return _al.sum_to_size(self, *size)

    def diagflat(self, offset: int = 0) -> Tensor:
        return _al.diagflat(self, offset)

    def inner(self, other: Any) -> Tensor:
        return _al.inner(self, other)

    def vdot(self, other: Any) -> Tensor:
        return _al.vdot(self, other)

    def kron(self, other: Any) -> Tensor:
        return _al.kron(self, other)

    def dist(self, other: Any, p: float = 2) -> Tensor:
        return _al.dist(self, other, p)

    def renorm(self, p: float, dim: int, maxnorm: float) -> Tensor:
        return _al.renorm(self, p, dim, maxnorm)

    def renorm_(self, p: float, dim: int, maxnorm: float) -> Tensor:
        return _inp.apply_("renorm_", self, _al.renorm, p, dim, maxnorm)

    def hardshrink(self, lambd: float = 0.5) -> Tensor:
        return _act.hardshrink(self, lambd)

    def prelu(self, weight: Any) -> Tensor:
        return _act.prelu(self, weight)

    def put(self, index: Any, source: Any, accumulate: bool = False) -> Tensor:
        return _al.put(self, index, source, accumulate)

    def put_(self, index: Any, source: Any, accumulate: bool = False) -> Tensor:
        return _al.put_(self, index, source, accumulate)

    def matrix_power(self, n: int) -> Tensor:
        return _al.matrix_power(self, n)

    def pinverse(self, rcond: float = 1e-15) -> Tensor:
        return _al.pinverse(self, rcond)

    def cov(self, **kwargs: Any) -> Tensor:
        return _al.cov(self, **kwargs)

    def corrcoef(self) -> Tensor:
        return _al.corrcoef(self)

    def histogram(self, *args: Any, **kwargs: Any) -> tuple:
        return _al.histogram(self, *args, **kwargs)

    def frexp(self) -> tuple:
        return _al.frexp(self)

    def register_post_accumulate_grad_hook(self, hook: Any) -> Any:
        """Call ``hook(self)`` after backward has accumulated this leaf's ``.grad`` (not in
        ``autograd.grad``); returns a handle whose ``remove()`` unregisters it."""
        if self._op is not None or not self._requires_grad:
            raise RuntimeError(
                "register_post_accumulate_grad_hook needs a leaf tensor that requires grad"
            )
        hooks = getattr(self, "_post_hooks", None)
        if hooks is None:
            hooks = self._post_hooks = {}
        handle = _graph.RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle


def is_tensor(obj: object) -> bool:
    """Whether ``obj`` is a Lucid Tensor (``torch.is_tensor``)."""
    return isinstance(obj, Tensor)


_graph.bind_tensor(Tensor)

# The op modules import Tensor from here, so they are bound after the class exists; methods
# look them up at call time.
from lucid import dlpack as _dlp  # noqa: E402
from lucid import random as _rnd  # noqa: E402, I001
from lucid.ops import activation as _act  # noqa: E402
from lucid.ops import aliases as _al  # noqa: E402
from lucid.ops import bitwise as _bit  # noqa: E402
from lucid.ops import creation as _cr  # noqa: E402
from lucid.ops import elementwise as _ew  # noqa: E402
from lucid.ops import index as _idx  # noqa: E402
from lucid.ops import inplace as _inp  # noqa: E402
from lucid.ops import layout as _lay  # noqa: E402
from lucid.ops import linalg as _la  # noqa: E402
from lucid.ops import matrix as _mx  # noqa: E402
from lucid.ops import reduce as _red  # noqa: E402
from lucid.ops import scatter as _sct  # noqa: E402
from lucid.ops import shape as _shp  # noqa: E402
from lucid.ops import sorting as _srt  # noqa: E402
from lucid.ops import special as _sp  # noqa: E402
