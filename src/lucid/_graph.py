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
    global Tensor
    Tensor = cls

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

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

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


def func_op(n_in: int | None, n_ret: int = 1, has_gradient: bool = True) -> Callable:
    """Decorate an op's ``forward``: promotion, grad mode and graph wiring.

    ``n_in`` leading positional arguments are the op's tensor inputs (``None``: all positional
    arguments are); later arguments and keywords pass to ``forward`` unchanged. ``forward``
    receives their arrays and returns one array, or a tuple of ``n_ret`` arrays.
    ``has_gradient=False`` marks ops whose results never require grad (comparisons, argmax).
    """

    def decorate(forward: Callable) -> Callable:
        @functools.wraps(forward)
        def run(self: operation, *args: Any, **kwargs: Any) -> Any:
            n = len(args) if n_in is None else n_in
            inputs = args[:n]
            for a in inputs:
                if not isinstance(a, Tensor):
                    inputs = _as_tensors(inputs)
                    break
            out = forward(self, *[t.data for t in inputs], *args[n:], **kwargs)
            record = (
                has_gradient and _mode.enabled and any(t.requires_grad for t in inputs)
            )
            if record:
                self.parents = tuple(inputs)
                self._versions = tuple(t._version for t in inputs)
            if n_ret == 1:
                return Tensor._wrap(out, self if record else None)
            self.n_ret = n_ret
            if record:
                self._out_meta = tuple((o.shape, o.dtype) for o in out)
            return tuple(Tensor._wrap(o, self if record else None, i) for i, o in enumerate(out))

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


def _topological(root: operation) -> list[operation]:
    """Ops reachable from ``root``, each once, every op before the ops that made its inputs."""
    if root.parents is None:
        raise _released(root)
    order: list[operation] = []
    seen = {id(root)}
    stack = [(root, iter(root.parents))]
    while stack:
        op, inputs = stack[-1]
        for t in inputs:
            child = t._op
            if child is not None and id(child) not in seen:
                if child.parents is None:
                    raise _released(child)
                seen.add(id(child))
                stack.append((child, iter(child.parents)))
                break
        else:
            stack.pop()
            order.append(op)
    order.reverse()
    return order


def _owns(g: np.ndarray, grad_in: Any, others: tuple) -> bool:
    """Whether a gradient the op returned is a fresh array nobody else holds."""
    if not g.flags.owndata or g is grad_in:
        return False
    return sum(1 for o in others if o is g) == 1


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
    order = _topological(root._op)
    # id(op) -> its output gradients: [array, owned] per output (None where nothing flowed)
    pending: dict[int, list] = {id(root._op): [None] * root._op.n_ret}
    pending[id(root._op)][root._index] = [seed, False]
    retained: dict[int, list[Tensor]] = {}
    if root._retain:
        retained[id(root._op)] = [root]
    for op in order:
        slots = pending.pop(id(op), None)
        if slots is None:
            continue
        for t in retained.pop(id(op), ()):
            g = slots[t._index]
            if g is not None:
                t.grad = g[0].copy() if t.grad is None else t.grad + g[0]
        parents = op.parents
        for t, version in zip(parents, op._versions, strict=True):
            if t._version != version:
                raise RuntimeError(
                    f"a tensor of shape {t.data.shape} that {type(op).__name__} saved for its "
                    f"gradient was modified in place (version {version} -> {t._version})"
                )
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
        for t, g in zip(parents, grads, strict=True):
            if g is None or not t.requires_grad:
                continue
            owned = _owns(g, grad_in, grads)
            child = t._op
            if child is None:
                _add_to_leaf(t, g, owned)
                continue
            if t._retain:
                keep = retained.setdefault(id(child), [])
                if not any(r is t for r in keep):
                    keep.append(t)
            slots_of_child = pending.get(id(child))
            if slots_of_child is None:
                slots_of_child = pending[id(child)] = [None] * child.n_ret
            slot = slots_of_child[t._index]
            if g.shape != t.data.shape:
                if slot is not None and slot[1]:
                    accumulate(slot[0], g)
                    continue
                g, owned = reduce_to_shape(g, t.data.shape), True
            if g.dtype != t.data.dtype:
                g, owned = g.astype(t.data.dtype), True
            if slot is None:
                slots_of_child[t._index] = [g, owned]
            elif slot[1]:
                slot[0] += g
            else:
                slots_of_child[t._index] = [slot[0] + g, True]
        if not retain_graph:
            op.__dict__.clear()  # parents and stashed arrays; parents reads None again
