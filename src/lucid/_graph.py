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
        cls.__call__ = cls.forward

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} defines no forward")

    def gradient(self, grad: Any) -> Any:
        """Gradients of the inputs, given the upstream ``grad`` (a tuple of them for ops with
        several results). Returns one array per input (a tuple when there are several), each of
        the output's shape or the input's; None for an input that gets no gradient. Return new
        arrays or views of ``grad``; never modify ``grad`` in place.
        """
        raise RuntimeError(f"{type(self).__name__} is not differentiable")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def _scalar_dtype(value: Any, like: np.dtype) -> np.dtype:
    """PyTorch's rule for a Python scalar beside a tensor of dtype ``like``."""
    kind = like.kind
    if isinstance(value, (bool, np.bool_)):
        return like
    if isinstance(value, (int, np.integer)):
        return like if kind != "b" else np.dtype(np.int64)
    if isinstance(value, (float, np.floating)):
        return like if kind == "f" else np.dtype(np.float32)
    raise TypeError(f"unsupported operand type {type(value).__name__}")


_SCALARS = (int, float, bool, np.number, np.bool_)


def _as_tensors(args: Sequence[Any]) -> list[Tensor]:
    """Tensors for the op's inputs: scalars take the dtype of the first tensor among them."""
    like = None
    for a in args:
        if isinstance(a, Tensor):
            like = a.data.dtype
            break
    if like is not None and like.kind != "f" and any(isinstance(a, float) for a in args):
        # An integer tensor meeting a Python float computes in float32 (PyTorch), where NumPy
        # would pick float64. Integer tensors never require grad, so converting them is safe.
        like = np.dtype(np.float32)
        args = [Tensor._wrap(a.data.astype(like)) if isinstance(a, Tensor) else a for a in args]
    out = []
    for a in args:
        if isinstance(a, Tensor):
            out.append(a)
        elif like is not None and isinstance(a, _SCALARS):
            out.append(Tensor._wrap(np.asarray(a, dtype=_scalar_dtype(a, like))))
        else:
            out.append(Tensor._wrap(Tensor._to_array(a, None, copy=False)))
    return out


def _result(data: Any, op: operation | None, index: int = 0) -> Tensor:
    """A tensor around an op's result (``Tensor._wrap`` inlined: this runs once per op)."""
    t = _new_tensor(Tensor)
    t.data = data if type(data) is np.ndarray or op is None else np.asarray(data)
    t.grad = None
    t.requires_grad = op is not None
    t._op = op
    t._index = index
    t._retain = False
    t._version = 0
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
                out = forward(self, x.data, *args, **kwargs)
                if has_gradient and x.requires_grad and _mode.enabled:
                    self.parents = (x,)
                    self._versions = (x._version,)
                    self._seq = _next_seq()
                    return _result(out, self)
                return _result(out, None)

        elif n_in == 2 and n_ret == 1:

            def run(self: operation, a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
                if type(b) is float and isinstance(a, Tensor) and a.data.dtype.kind == "f":
                    # the common `x * 0.5`: no tensor for the constant, a shared stand-in
                    out = forward(self, a.data, a.data.dtype.type(b), *args, **kwargs)
                    if has_gradient and a.requires_grad and _mode.enabled:
                        self.parents = (a, _CONSTANT)
                        self._versions = (a._version, 0)
                        self._seq = _next_seq()
                        return _result(out, self)
                    return _result(out, None)
                if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
                    a, b = _as_tensors((a, b))
                out = forward(self, a.data, b.data, *args, **kwargs)
                if has_gradient and (a.requires_grad or b.requires_grad) and _mode.enabled:
                    self.parents = (a, b)
                    self._versions = (a._version, b._version)
                    self._seq = _next_seq()
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
                out = forward(self, *[t.data for t in inputs], *args[n:], **kwargs)
                record = has_gradient and _mode.enabled and any(t.requires_grad for t in inputs)
                if record:
                    self.parents = tuple(inputs)
                    self._versions = tuple(t._version for t in inputs)
                    self._seq = _next_seq()
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
    if len(grads) == 1:
        return True
    return sum(1 for o in grads if o is g) == 1


def _modified(op: operation, t: Tensor, version: int) -> RuntimeError:
    return RuntimeError(
        f"a tensor of shape {t.data.shape} that {type(op).__name__} saved for its gradient "
        f"was modified in place (version {version} -> {t._version}); clone it first"
    )


def _seed(root: Tensor, grad: Any) -> np.ndarray:
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward() without a gradient needs a scalar output, got shape "
                f"{root.data.shape}; pass the upstream gradient, e.g. y.backward(ones_like(y))"
            )
        return np.ones_like(root.data)
    g = grad.data if hasattr(grad, "_op") else np.asarray(grad)
    if g.shape != root.data.shape:
        raise ValueError(
            f"backward: gradient of shape {g.shape} given for an output of shape "
            f"{root.data.shape}"
        )
    return g.astype(root.data.dtype, copy=False)


def _add_to_leaf(t: Tensor, g: np.ndarray, owned: bool) -> None:
    if t.grad is None:
        if g.shape != t.data.shape:
            g, owned = reduce_to_shape(g, t.data.shape), True
        if g.dtype != t.data.dtype:
            g, owned = g.astype(t.data.dtype), True
        t.grad = g if owned else g.copy()
    else:
        accumulate(t.grad, g)


def backward(root: Tensor, grad: Any = None, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) into ``.grad`` of every leaf that requires grad.

    Visits each op once, after every op that consumes its results, so gradients from all
    paths are summed before they flow on. Non-leaf gradients are freed as soon as they are
    used, except on tensors that asked for ``retain_grad()``.
    """
    if not root.requires_grad:
        raise RuntimeError(
            "backward() on a tensor that does not require grad: no input of the computation "
            "had requires_grad=True (or it ran under no_grad)"
        )
    seed = _seed(root, grad)
    if root._op is None:
        _add_to_leaf(root, seed, False)
        return
    first = root._op
    if first.parents is None:
        raise _released(first)
    first._slots = [None] * first.n_ret
    first._slots[root._index] = [seed, False]
    # Ops waiting for their turn, by decreasing record number. Each op's output gradients
    # wait on the op itself as ``_slots``: [array, owned] per output, None where nothing
    # flowed; "owned" marks a fresh array only that slot holds, safe to add into in place.
    heap = [(-first._seq, first)]
    retained: dict[int, list[Tensor]] = {}
    if root._retain:
        retained[id(first)] = [root]
    try:
        while heap:
            op = heapq.heappop(heap)[1]
            _run_gradient(op, heap, retained)
            if not retain_graph:
                op.__dict__.clear()  # parents and stashed arrays; parents reads None again
    finally:
        for _, op in heap:  # only after an error: leave no half-summed gradients behind
            op.__dict__.pop("_slots", None)


def _run_gradient(op: operation, heap: list, retained: dict[int, list[Tensor]]) -> None:
    """Call ``op.gradient`` on its summed output gradients and pass the results on."""
    slots = op.__dict__.pop("_slots")
    if retained:
        for t in retained.pop(id(op), ()):
            g = slots[t._index]
            if g is not None:
                t.grad = g[0].copy() if t.grad is None else t.grad + g[0]
    parents = op.parents
    for t, version in zip(parents, op._versions):
        if t._version != version:
            raise _modified(op, t, version)
    if op.n_ret == 1:
        grad_in = slots[0][0]
    else:
        grad_in = tuple(
            s[0] if s is not None else np.zeros(shape, dtype)
            for s, (shape, dtype) in zip(slots, op._out_meta, strict=True)
        )
    grads = op.gradient(grad_in)
    if len(parents) == 1:
        grads = (grads,)
    elif len(grads) != len(parents):
        raise RuntimeError(
            f"{type(op).__name__}.gradient returned {len(grads)} gradients for "
            f"{len(parents)} inputs"
        )
    for t, g in zip(parents, grads):
        if g is None or not t.requires_grad:
            continue
        child = t._op
        if child is None:
            _add_to_leaf(t, g, g is not grad_in and g.flags.owndata and _unique(g, grads))
            continue
        child_slots = child.__dict__.get("_slots")
        if child_slots is None:
            if child.parents is None:
                raise _released(child)
            child_slots = child._slots = [None] * child.n_ret
            heapq.heappush(heap, (-child._seq, child))
        if t._retain:
            keep = retained.setdefault(id(child), [])
            if not any(r is t for r in keep):
                keep.append(t)
        slot = child_slots[t._index]
        # A gradient kept for a non-leaf counts as shared (not owned) unless it was made here:
        # a second contribution then allocates once, and later ones add in place.
        owned = False
        if g.shape != t.data.shape:
            if slot is not None and slot[1]:
                accumulate(slot[0], g)
                continue
            g, owned = reduce_to_shape(g, t.data.shape), True
        if g.dtype != t.data.dtype:
            g, owned = g.astype(t.data.dtype), True
        if slot is None:
            child_slots[t._index] = [g, owned]
        elif slot[1]:
            slot[0] += g
        else:
            child_slots[t._index] = [slot[0] + g, True]
