"""The graph layer: grad mode, the ``operation`` base class, ``func_op`` and the backward engine.

An op is a subclass of ``operation`` with a ``forward`` (arrays in, arrays out, decorated by
``func_op``) and a ``gradient`` (upstream gradient in, one gradient per input out, each of the
*output's* shape). The decorator does everything else: it turns scalars, lists and arrays into
tensors, runs ``forward`` on their arrays, and, when a gradient is needed, links the result to
the op and the op to its inputs. ``backward`` walks those links in reverse topological order,
reduces each gradient to its input's shape and adds it up.

References run one way only: result -> op -> inputs. An op never refers to its results, so a
dropped graph is freed by reference counting alone.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lucid import _dtypes, _promotion
from lucid.kernels.broadcast import accumulate, reduce_to_shape

if TYPE_CHECKING:
    from lucid.tensor import Tensor
else:
    Tensor = None  # bound by lucid.tensor once the class exists (see bind_tensor)


def bind_tensor(cls: type) -> None:
    """Called once by ``lucid.tensor``: the class that ops wrap their results in."""
    global Tensor, _CONSTANT
    Tensor = cls
    # The parent recorded for a Python-number operand: it needs no gradient and no tensor.
    _CONSTANT = _result(np.zeros(()), None)


# --------------------------------------------------------------------------- grad mode


class _GradMode(threading.local):
    enabled = True
    anomaly = False  # detect_anomaly: check every result for NaN and inf
    graph_op = None  # the op whose gradient runs on Tensors now (create_graph), else None
    saved = None  # (op, its saved values as Tensors) while that op's gradient is recorded
    # lucid.compile: the tracer recording every op while a compiled function is traced, else
    # None. While it is set, ``anomaly`` is also on, so ops report to ``_anomaly.check_forward``
    # (which hands them to the tracer): the per-op cost outside tracing stays zero.
    tracer = None


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Whether ops record a graph in this thread (True unless inside ``no_grad``)."""
    return _mode.enabled


class _SetGradMode:
    """Sets grad mode for a ``with`` block, or for every call of a decorated function."""

    enabled: bool

    def __enter__(self) -> None:
        self._previous = _mode.enabled
        _mode.enabled = self.enabled

    def __exit__(self, *exc_info: object) -> None:
        _mode.enabled = self._previous

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def with_mode(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return fn(*args, **kwargs)

        return with_mode


class no_grad(_SetGradMode):
    """Ops inside record no graph (thread-local); a context manager and a decorator."""

    enabled = False


class enable_grad(_SetGradMode):
    """Ops inside record a graph again, also within ``no_grad``; context manager and decorator."""

    enabled = True


# --------------------------------------------------------------------------- operations


class operation:
    """Base class of every op: ``forward`` (decorated with ``func_op``) and ``gradient``.

    Recorded ops hold ``parents``, the input tensors; backward with ``retain_graph=False``
    releases them (``parents`` back to None) together with everything the forward stashed.
    """

    parents: tuple[Tensor, ...] | None = None
    n_ret: int = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Calling an op runs its decorated forward; binding it as __call__ saves a frame.
        if "__call__" not in cls.__dict__:
            cls.__call__ = cls.forward

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} defines no forward")

    def save_for_backward(self, *values: Any) -> None:
        """Declare, inside ``forward``, the values ``gradient`` needs (``ctx.save_for_backward``).

        Each may be one of the forward's input arrays, its result array, or anything else
        (masks, indices, shapes, intermediate arrays). ``saved_tensors`` hands them back: as
        arrays in an ordinary backward, and under ``create_graph=True`` with the inputs and
        results as their Tensors, so the gradient is itself recorded. A saved floating-point
        array that is neither an input nor a result cannot be differentiated through: an op
        that saves one refuses ``create_graph`` by name instead of treating it as a constant.
        """
        self._saved = values

    @property
    def saved_tensors(self) -> tuple:
        """The values given to ``save_for_backward``, as arrays or (create_graph) Tensors."""
        recorded = _mode.saved
        if recorded is not None and recorded[0] is self:
            return recorded[1]
        saved = self.__dict__.get("_saved")
        if saved is None:
            raise RuntimeError(
                f"{type(self).__name__}: saved_tensors read before save_for_backward, or after "
                "the graph was released (pass retain_graph=True to keep it)"
            )
        return saved

    def gradient(self, grad: Any) -> Any:
        """Gradients of the inputs, given the upstream ``grad`` (a tuple of them for ops with
        several results). Returns one array per input (a tuple when there are several), each of
        the output's shape or the input's; None for an input that gets no gradient. Return new
        arrays or views of ``grad``; never modify ``grad`` in place.
        """
        raise RuntimeError(f"{type(self).__name__} is not differentiable")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


_SCALARS = (int, float, bool, np.number, np.bool_)
_CONSTANTS: dict[tuple[float, str], np.ndarray] = {}


def _constant(value: float, dtype: np.dtype) -> np.ndarray:
    """A read-only 0-d array for a Python float, cached: loops reuse the same few constants,
    and NumPy multiplies by a 0-d array faster than by a NumPy or Python scalar."""
    key = (value, dtype.char)  # the dtype's one-letter code hashes far faster than the dtype
    array = _CONSTANTS.get(key)
    if array is None:
        if len(_CONSTANTS) >= 1024:
            _CONSTANTS.clear()
        array = _CONSTANTS[key] = np.array(value, dtype=dtype)
        array.flags.writeable = False
    return array


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


def _as_tensors(args: Sequence[Any]) -> list[Tensor]:
    """Tensors for the op's inputs: scalars take the dtype of the first tensor among them."""
    like = None  # the dtype scalars take: of the first float tensor, else int, else bool
    for a in args:
        if isinstance(a, Tensor) and (
            like is None or _KIND_RANK[a._data.dtype.kind] > _KIND_RANK[like.kind]
        ):
            like = a._data.dtype
    if like is not None and like.kind != "f" and any(isinstance(a, float) for a in args):
        # An integer tensor meeting a Python float computes in the default float dtype
        # (PyTorch), where NumPy would pick float64. Integer tensors never require grad, so
        # converting them is safe.
        like = _dtypes.get_default_dtype()
        args = [Tensor._wrap(a._data.astype(like)) if isinstance(a, Tensor) else a for a in args]
    out = []
    for a in args:
        if isinstance(a, Tensor):
            out.append(a)
        elif like is not None and isinstance(a, _SCALARS):
            out.append(Tensor._wrap(np.asarray(a, dtype=_promotion.scalar_dtype(a, like))))
        else:
            out.append(Tensor._wrap(Tensor._to_array(a, None, copy=False)))
    return out


def _declare_sources(op: operation, inputs: Sequence[np.ndarray], out: Any) -> None:
    """Resolve the op's ``save_for_backward`` values once, as it is recorded: input k (k),
    result j (-1 - j) or neither (None). Read under ``create_graph`` by ``_saved_as_tensors``.
    Plain loops: this runs for every recorded op that saves something."""
    sources = []
    for v in op._saved:
        k = -1
        i = 0
        for a in inputs:
            if v is a:
                k = i
                break
            i += 1
        if k < 0:
            if v is out:
                k = -1
            elif type(out) is tuple:
                k = None
                for j, o in enumerate(out):
                    if v is o:
                        k = -1 - j
                        break
            else:
                k = None
        sources.append(k)
    op._sources = tuple(sources)


def _result(data: Any, op: operation | None = None, index: int = 0) -> Tensor:
    """A tensor around an op's result, without copying or checking (``Tensor._wrap``)."""
    t = _new_tensor(Tensor)
    t._data = data if type(data) is np.ndarray else np.asarray(data)
    t._grad = None
    t._requires_grad = op is not None
    t._op = op
    t._index = index
    t._retain = False
    t._version = 0
    t._hooks = None
    return t


_new_tensor = object.__new__
# Ops are numbered as they are recorded: an op's inputs were made by ops with smaller numbers,
# so processing ops by decreasing number is a reverse topological order (as PyTorch does).
_next_seq = itertools.count().__next__


def func_op(n_in: int | None, n_ret: int = 1, has_gradient: bool = True) -> Callable:
    """Decorate an op's ``forward``: promotion, grad mode and graph wiring.

    ``n_in`` leading positional arguments are the op's tensor inputs (``None``: all positional
    arguments are); later arguments and keywords pass to ``forward`` unchanged. ``forward``
    receives their arrays and returns one array, or a tuple of ``n_ret`` arrays.
    ``has_gradient=False`` marks ops whose results never require grad (comparisons, argmax).
    """

    def decorate(forward: Callable) -> Callable:
        # The one- and two-input forms are spelled out: they are most ops, and on small
        # tensors this wrapper's own cost is most of an op's cost.
        if n_in == 1 and n_ret == 1:

            def run(self: operation, x: Any, *args: Any, **kwargs: Any) -> Any:
                if not isinstance(x, Tensor):
                    (x,) = _as_tensors((x,))
                out = forward(self, x._data, *args, **kwargs)
                if _mode.anomaly:
                    out = _anomaly.check_forward(self, out, (x._data,), args, kwargs)
                if has_gradient and x._requires_grad and _mode.enabled:
                    self.parents = (x,)
                    self._versions = (x._version,)
                    self._seq = _next_seq()
                    if "_saved" in self.__dict__:
                        _declare_sources(self, (x._data,), out)
                    return _result(out, self)
                return _result(out, None)

        elif n_in == 2 and n_ret == 1:

            def run(self: operation, a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
                if type(b) is float and isinstance(a, Tensor) and a._data.dtype.kind == "f":
                    # the common `x * 0.5`: no tensor for the constant, a shared stand-in
                    c = _constant(b, a._data.dtype)
                    out = forward(self, a._data, c, *args, **kwargs)
                    if _mode.anomaly:
                        out = _anomaly.check_forward(self, out, (a._data, c), args, kwargs)
                    if has_gradient and a._requires_grad and _mode.enabled:
                        self.parents = (a, _CONSTANT)
                        self._const = c  # the operand's value, for tools that read the graph
                        self._versions = (a._version, 0)
                        self._seq = _next_seq()
                        if "_saved" in self.__dict__:
                            _declare_sources(self, (a._data, c), out)
                        return _result(out, self)
                    return _result(out, None)
                if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
                    a, b = _as_tensors((a, b))
                out = forward(self, a._data, b._data, *args, **kwargs)
                if _mode.anomaly:
                    out = _anomaly.check_forward(self, out, (a._data, b._data), args, kwargs)
                if has_gradient and (a._requires_grad or b._requires_grad) and _mode.enabled:
                    self.parents = (a, b)
                    self._versions = (a._version, b._version)
                    self._seq = _next_seq()
                    if "_saved" in self.__dict__:
                        _declare_sources(self, (a._data, b._data), out)
                    return _result(out, self)
                return _result(out, None)

        else:

            def run(self: operation, *args: Any, **kwargs: Any) -> Any:
                n = len(args) if n_in is None else n_in
                inputs = args[:n]
                for a in inputs:
                    if not isinstance(a, Tensor):
                        inputs = _as_tensors(inputs)
                        break
                arrays = [t._data for t in inputs]
                out = forward(self, *arrays, *args[n:], **kwargs)
                if _mode.anomaly:
                    out = _anomaly.check_forward(self, out, arrays, args[n:], kwargs)
                record = False
                if has_gradient and _mode.enabled:
                    for t in inputs:
                        if t._requires_grad:
                            record = True
                            break
                if record:
                    self.parents = tuple(inputs)
                    self._versions = tuple([t._version for t in inputs])
                    self._seq = _next_seq()
                    if "_saved" in self.__dict__:
                        _declare_sources(self, arrays, out)
                if n_ret == 1:
                    return _result(out, self if record else None)
                self.n_ret = n_ret
                if record:
                    self._out_meta = tuple((o.shape, o.dtype) for o in out)
                return tuple(_result(o, self if record else None, i) for i, o in enumerate(out))

        functools.update_wrapper(run, forward)
        run.n_in = n_in
        return run

    return decorate


def unary_func_op(has_gradient: bool = True) -> Callable:
    """``func_op`` for an op of one tensor input and one result."""
    return func_op(1, 1, has_gradient)


def binary_func_op(has_gradient: bool = True) -> Callable:
    """``func_op`` for an op of two tensor inputs (broadcast against each) and one result."""
    return func_op(2, 1, has_gradient)


def poly_func_op(n_ret: int = 1, has_gradient: bool = True) -> Callable:
    """``func_op`` for an op of any number of tensor inputs (all positional arguments)."""
    return func_op(None, n_ret, has_gradient)


# --------------------------------------------------------------------------- backward


def _released(op: operation) -> RuntimeError:
    return RuntimeError(
        f"backward through {type(op).__name__} a second time: its graph was released by the "
        "first backward; pass retain_graph=True to the first backward to keep it"
    )


def _unique(g: np.ndarray, grads: tuple) -> bool:
    """Whether ``g`` appears once among the gradients an op returned (Add returns one twice)."""
    seen = 0
    for o in grads:
        if o is g:
            seen += 1
    return seen == 1


def _modified(op: operation, t: Tensor, version: int) -> RuntimeError:
    return RuntimeError(
        f"a tensor of shape {t._data.shape} that {type(op).__name__} saved for its gradient "
        f"was modified in place (version {version} -> {t._version}); clone it first"
    )


def _seed(root: Tensor, grad: Any, graph: bool) -> Any:
    """The upstream gradient of one root: ones for a scalar, else the given, checked array."""
    if grad is None:
        if root._data.size != 1:
            raise RuntimeError(
                f"backward() without a gradient needs a scalar output, got shape "
                f"{root._data.shape}; pass the upstream gradient, e.g. y.backward(ones_like(y))"
            )
        g = np.ones_like(root._data)
    elif graph and isinstance(grad, Tensor):
        g = grad
    else:
        g = grad._data if isinstance(grad, Tensor) else np.asarray(grad)
    if g.shape != root._data.shape:
        raise ValueError(
            f"backward: gradient of shape {g.shape} given for an output of shape "
            f"{root._data.shape}"
        )
    if graph:
        return g if isinstance(g, Tensor) else _result(g.astype(root._data.dtype), None)
    return g.astype(root._data.dtype, copy=False)


def _plus(a: Any, b: Any) -> Any:
    """``a + b`` for two gradients, an ndarray even for 0-d arrays (whose sum NumPy returns as
    a scalar, which a later in-place add could not update)."""
    total = a + b
    return np.asarray(total) if isinstance(total, np.generic) else total


# Passes in several threads may add into one leaf's gradient: one at a time.
_LEAF_LOCK = threading.RLock()


def _add_to_leaf(t: Tensor, g: np.ndarray, owned: bool) -> None:
    """Add ``g`` into the leaf's ``_grad`` (reduced to its shape and dtype); ``owned``: ``g``
    is a fresh array nobody else holds, so it may become the gradient itself."""
    with _LEAF_LOCK:
        if t._grad is None:
            if g.shape != t._data.shape:
                g, owned = reduce_to_shape(g, t._data.shape), True
            if g.dtype != t._data.dtype:
                g, owned = g.astype(t._data.dtype), True
            t._grad = g if owned else g.copy()
        else:
            accumulate(t._grad, g)


class _Pass:
    """The state of one backward pass.

    ``heap`` holds the ops waiting for their turn, by decreasing record number; ``slots`` maps
    each waiting op to its output gradients: [gradient, owned] per output (None where nothing
    flowed), "owned" marking a fresh array only that slot holds, safe to add into in place.
    ``outs`` (graph mode) maps each waiting op to its result tensors that gradients reached.
    All of it lives here, never on the ops, so passes over one retained graph may nest (a hook
    that calls ``autograd.grad``) or run in several threads at once.
    ``watched`` maps id(op) to the non-leaf results of that op whose gradient
    is wanted (``retain_grad``, hooks, ``autograd.grad`` inputs). In graph mode
    (``create_graph``) gradients are Tensors and every gradient op is recorded.
    """

    def __init__(self, graph: bool, capture: dict[int, Any] | None) -> None:
        self.heap: list = []
        self.slots: dict[operation, list] = {}
        self.outs: dict[operation, list] = {}
        self.watched: dict[int, list[Tensor]] = {}
        self.graph = graph
        self.capture = capture  # id(input) -> gradient, for autograd.grad; None for backward
        self.leaves: dict[int, list] = {}  # id(leaf) -> [leaf, summed gradient], see add_leaf

    def watch(self, t: Tensor) -> None:
        keep = self.watched.setdefault(id(t._op), [])
        if not any(r is t for r in keep):
            keep.append(t)

    def wants(self, t: Tensor) -> bool:
        return t._retain or t._hooks is not None or (
            self.capture is not None and id(t) in self.capture)  # fmt: skip

    def add_leaf(self, t: Tensor, g: Any) -> None:
        """A contribution to a leaf with hooks or wanted by ``autograd.grad``: summed first,
        delivered once at the end of the pass (hooks see the whole gradient)."""
        entry = self.leaves.get(id(t))
        if entry is None:
            self.leaves[id(t)] = [t, g]
        else:
            entry[1] = _plus(entry[1], g)

    def deliver(self, t: Tensor, g: Any, owned: bool) -> Any:
        """A finished gradient of tensor ``t``: run its hooks, keep or capture it."""
        if t._hooks is not None:
            for hook in list(t._hooks.values()):
                # Hooks see a Tensor, as in PyTorch; in an ordinary pass it wraps the array.
                result = hook(g if isinstance(g, Tensor) else _result(g))
                if result is not None:
                    if not self.graph:
                        result = result._data if isinstance(result, Tensor) else result
                    g, owned = result, False
        if self.capture is not None:
            if id(t) in self.capture:
                self.capture[id(t)] = g
            return g
        with _LEAF_LOCK:
            if self.graph and isinstance(g, Tensor):
                value = g._data
                if value.shape != t._data.shape:
                    value = reduce_to_shape(value, t._data.shape)
                if t._op is None:
                    t._grad = (
                        value.astype(t._data.dtype) if t._grad is None else _plus(t._grad, value)
                    )
                elif t._retain:
                    t._grad = value.copy() if t._grad is None else _plus(t._grad, value)
            elif t._op is None:
                _add_to_leaf(t, g, owned)
            elif t._retain:
                t._grad = g.copy() if t._grad is None else _plus(t._grad, g)
        if t._op is None:
            post = getattr(t, "_post_hooks", None)  # the slot is set on hooked leaves only
            if post:
                for hook in list(post.values()):
                    hook(t)
        return g


def run_backward(
    roots: list[Tensor],
    grads: list[Any],
    retain_graph: bool,
    create_graph: bool,
    inputs: list[Tensor] | None = None,
) -> list[Any] | None:
    """Backpropagate from ``roots`` (each with its upstream gradient or None).

    Without ``inputs`` (``backward``): accumulate into ``.grad`` of every leaf. With
    ``inputs`` (``autograd.grad``): touch no ``.grad`` and return the gradient of each input
    (None where it got none). With ``create_graph`` the gradient ops are recorded, so the
    results are differentiable Tensors.
    """
    if _mode.tracer is not None:  # lucid.compile records the pass (compile/backward.py)
        _mode.tracer.backward(roots, grads, retain_graph, create_graph, inputs)
    capture = None if inputs is None else {id(t): None for t in inputs}
    pass_ = _Pass(create_graph, capture)
    if inputs is not None:
        for t in inputs:
            if t._op is not None:
                pass_.watch(t)
    for root, grad in zip(roots, grads, strict=True):
        if not root._requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input of the "
                "computation had requires_grad=True (or it ran under no_grad)"
            )
        seed = _seed(root, grad, create_graph)
        if root._op is None:
            pass_.add_leaf(root, seed)
            continue
        op = root._op
        slots = pass_.slots.get(op) or _wake(op, pass_)
        if create_graph:
            pass_.outs[op][root._index] = root
        slot = slots[root._index]
        slots[root._index] = [seed if slot is None else _plus(slot[0], seed), slot is not None]
        if pass_.wants(root):
            pass_.watch(root)
    step = _higher_order.graph_step if create_graph else _array_step
    heap = pass_.heap
    try:
        if create_graph:
            with enable_grad():
                while heap:
                    op = heapq.heappop(heap)[1]
                    step(op, pass_)
                    if not retain_graph:
                        op.__dict__.clear()
        else:
            pop = heapq.heappop
            while heap:
                op = pop(heap)[1]
                step(op, pass_)
                if not retain_graph:
                    op.__dict__.clear()  # parents and stashed arrays; parents reads None again
    finally:
        pass_.slots.clear()  # only after an error: nothing half-summed outlives the pass
        pass_.outs.clear()
    for t, g in pass_.leaves.values():
        pass_.deliver(t, g, False)
    if inputs is None:
        return None
    return [capture[id(t)] for t in inputs]


def backward(
    root: Tensor, grad: Any = None, retain_graph: bool = False, create_graph: bool = False
) -> None:
    """Accumulate d(root)/d(leaf) into ``.grad`` of every leaf that requires grad.

    Visits each op once, after every op that consumes its results, so gradients from all
    paths are summed before they flow on. Non-leaf gradients are freed as soon as they are
    used, except on tensors that asked for ``retain_grad()``. ``create_graph`` records the
    gradient computation (for higher derivatives) and implies ``retain_graph``.
    """
    run_backward([root], [grad], retain_graph or create_graph, create_graph)


def _wake(op: operation, pass_: _Pass) -> list:
    """Queue ``op`` for its turn when the first gradient reaches one of its results; returns
    its empty gradient slots (and, in graph mode, slots for its result tensors)."""
    if op.parents is None:
        raise _released(op)
    slots = pass_.slots[op] = [None] * op.n_ret
    if pass_.graph:
        pass_.outs[op] = [None] * op.n_ret
    _heappush(pass_.heap, (-op._seq, op))
    return slots


_heappush = heapq.heappush


def _check_versions(op: operation) -> None:
    """RuntimeError if an input the op saved was changed in place since it was recorded."""
    for t, version in zip(op.parents, op._versions, strict=False):  # lengths agree
        if t._version != version:
            raise _modified(op, t, version)


def _take_gradients(op: operation, pass_: _Pass, zeros: Callable) -> Any:
    """The op's summed output gradients, once it is its turn: watched results get theirs
    delivered, the saved inputs' versions are checked, and outputs nothing flowed to get
    ``zeros(shape, dtype)``. One gradient, or a tuple for an op with several results."""
    slots = pass_.slots.pop(op)
    if pass_.watched:
        for t in pass_.watched.pop(id(op), ()):
            g = slots[t._index]
            if g is not None:
                slots[t._index] = [pass_.deliver(t, g[0], False), False]
    _check_versions(op)
    if op.n_ret == 1:
        return slots[0][0]
    return tuple(
        s[0] if s is not None else zeros(shape, dtype)
        for s, (shape, dtype) in zip(slots, op._out_meta, strict=True)
    )


def _check_gradient_shape(op: operation, k: int, shape: tuple, target: tuple) -> None:
    """RuntimeError naming the op and the input when its gradient cannot be summed down to the
    input's shape (a bug in that op's gradient, not in the user's program)."""
    if len(target) > len(shape) or any(
        t != 1 and t != s for t, s in zip(target[::-1], shape[::-1], strict=False)
    ):
        raise RuntimeError(
            f"{type(op).__name__}.gradient returned a gradient of shape {shape} for its input "
            f"{k} of shape {target}: it must have the input's shape or the output's"
        )


def _array_step(op: operation, pass_: _Pass) -> None:
    """Call ``op.gradient`` on its summed output gradients (arrays) and pass the results on.

    This runs once per op in every backward pass, so it is written for speed: locals
    instead of repeated attribute look-ups, and the one-result, nothing-watched case (almost
    every op) without ``_take_gradients``' general path.
    """
    all_slots = pass_.slots
    parents = op.parents
    if op.n_ret == 1 and not pass_.watched:
        grad_in = all_slots.pop(op)[0][0]
        _check_versions(op)
    else:
        grad_in = _take_gradients(op, pass_, np.zeros)
    grads = op.gradient(grad_in)
    if type(grads) is not tuple:
        if len(parents) != 1:
            raise RuntimeError(
                f"{type(op).__name__}.gradient returned one gradient for {len(parents)} inputs"
            )
        grads = (grads,)
    elif len(grads) != len(parents):
        raise RuntimeError(
            f"{type(op).__name__}.gradient returned {len(grads)} gradients for "
            f"{len(parents)} inputs"
        )
    if _mode.anomaly:
        _anomaly.check_finite(op, grads, "backward")
    plain = pass_.capture is None
    for k, (t, g) in enumerate(zip(parents, grads, strict=False)):  # lengths checked above
        if g is None or not t._requires_grad:
            continue
        if type(g) is not np.ndarray:  # a NumPy scalar (``grad[i]`` of a 1-D grad) is immutable
            g = np.asarray(g)
        data = t._data
        if g.shape != data.shape:
            _check_gradient_shape(op, k, g.shape, data.shape)
        child = t._op
        if child is None:
            if plain and t._hooks is None and getattr(t, "_post_hooks", None) is None:
                owned = (
                    g is not grad_in and g.flags.owndata and (len(grads) == 1 or _unique(g, grads))
                )
                _add_to_leaf(t, g, owned)
            else:  # summed first, so reduced to the leaf's shape first
                if g.shape != data.shape:
                    g = reduce_to_shape(g, data.shape)
                pass_.add_leaf(t, g.astype(data.dtype, copy=False))
            continue
        child_slots = all_slots.get(child)
        if child_slots is None:  # _wake, inlined (an array pass keeps no result tensors)
            if child.parents is None:
                raise _released(child)
            child_slots = all_slots[child] = [None] * child.n_ret
            _heappush(pass_.heap, (-child._seq, child))
        if t._retain or t._hooks is not None:
            pass_.watch(t)
        index = t._index
        slot = child_slots[index]
        if slot is None and g.dtype == data.dtype and g.shape == data.shape:
            child_slots[index] = [g, False]  # the common case: first and only contribution
            continue
        # A gradient kept for a non-leaf counts as shared (not owned) unless it was made here:
        # a second contribution then allocates once, and later ones add in place.
        owned = False
        if g.shape != data.shape:
            if slot is not None and slot[1]:
                accumulate(slot[0], g)
                continue
            g, owned = reduce_to_shape(g, data.shape), True
        if g.dtype != data.dtype:
            g, owned = g.astype(data.dtype), True
        if slot is None:
            child_slots[index] = [g, owned]
        elif slot[1]:
            slot[0] += g
        else:
            child_slots[index] = [_plus(slot[0], g), True]


# --------------------------------------------------------------------------- hooks


class RemovableHandle:
    """What registering a hook returns; ``handle.remove()`` unregisters it (idempotent)."""

    _ids = itertools.count()

    def __init__(self, hooks: dict[int, Any]) -> None:
        self.id = next(RemovableHandle._ids)
        self._hooks = hooks

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


# create_graph and detect_anomaly live in modules of their own; they import this one.
from lucid import _anomaly, _higher_order  # noqa: E402
