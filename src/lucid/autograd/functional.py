"""Derivatives of whole functions, as ``torch.autograd.functional``: vjp, jvp, vhp, hvp,
jacobian and hessian.

Each takes ``func`` (Tensors in, a Tensor or a tuple of Tensors out) and ``inputs`` (a Tensor
or a tuple of them) and answers with PyTorch's conventions: a result that stands for the
inputs is a Tensor when ``inputs`` was one Tensor and a tuple when it was a tuple, and so for
the outputs. ``func`` runs on fresh tensors holding the inputs' values, so the results are
detached from the caller's graph unless ``create_graph=True``, which records them (and links
them to inputs that require grad) for differentiating again.

Everything is built from reverse mode (``lucid.autograd.grad``): the Jacobian-vector product
is the "double-vjp" trick, ``J v = d/du <J^T u, v>`` with a dummy upstream ``u``, which needs
every op on the way to be twice differentiable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lucid._graph import enable_grad
from lucid.autograd.differentiate import grad
from lucid.ops.shape import reshape, stack
from lucid.tensor import Tensor

__all__ = ["vjp", "jvp", "vhp", "hvp", "jacobian", "hessian"]


# --------------------------------------------------------------------------- helpers


def _as_tuple(value: Any, what: str, fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(whether ``value`` was a tuple or list, its Tensors as a tuple); TypeError otherwise."""
    is_tuple = isinstance(value, (tuple, list))
    items = tuple(value) if is_tuple else (value,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            where = f"{what}[{i}]" if is_tuple else what
            raise TypeError(f"{fn}: {where} must be a Tensor, got {type(t).__name__}")
    return is_tuple, items


def _mirror(is_tuple: bool, items: Any) -> Any:
    """A tuple when the caller gave (or ``func`` returned) a tuple, else its one element."""
    items = tuple(items)
    return items if is_tuple else items[0]


def _prepare(inputs: tuple[Tensor, ...], create_graph: bool, fn: str) -> tuple[Tensor, ...]:
    """Tensors that require grad, holding the inputs' values, for ``func`` to run on.

    Each is the result of a reshape op: of the input itself when ``create_graph`` and it
    requires grad (so that the results stay linked to it), else of a new leaf around a view
    of its array (a view, not the array: the graph layer tells saved arrays apart by
    identity). Differentiating by a non-leaf also makes the graph layer reduce each broadcast
    gradient to the input's shape before adding it up, which it does not do for a leaf that
    ``autograd.grad`` asks for.
    """
    out = []
    for i, t in enumerate(inputs):
        if t.dtype.kind != "f":
            raise TypeError(f"{fn}: input {i} must be floating point, got {t.dtype}")
        if not (create_graph and t.requires_grad):
            t = Tensor._wrap(t._data.view()).requires_grad_(True)
        out.append(reshape(t, t.shape))
    return tuple(out)


def _call(func: Callable, inputs: tuple[Tensor, ...], fn: str) -> tuple[bool, tuple]:
    with enable_grad():
        result = func(*inputs)
    return _as_tuple(result, "the output of func", fn)


def _vectors(v: Any, like: tuple[Tensor, ...], what: str, fn: str) -> tuple[Tensor, ...]:
    """``v`` checked against the shapes of ``like``; None means ones, allowed only when every
    tensor of ``like`` has one element (as PyTorch)."""
    if v is None:
        if any(t.size != 1 for t in like):
            shapes = [t.shape for t in like]
            raise ValueError(
                f"{fn}: v may be omitted only when every {what} has one element, got shapes "
                f"{shapes}; pass v"
            )
        return tuple(Tensor._wrap(np.ones(t.shape, t.dtype)) for t in like)
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(like):
        raise ValueError(f"{fn}: {len(vs)} tensors in v for {len(like)} {what}s")
    for i, (a, t) in enumerate(zip(vs, like, strict=True)):
        if a.shape != t.shape:
            raise ValueError(f"{fn}: v[{i}] has shape {a.shape}, the {what} has {t.shape}")
    return vs


def _zeros(t: Tensor) -> Tensor:
    return Tensor._wrap(np.zeros(t.shape, t.dtype))


def _grads(
    outputs: tuple[Tensor, ...],
    inputs: tuple[Tensor, ...],
    seeds: tuple[Any, ...],
    create_graph: bool,
    strict: bool,
    fn: str,
) -> tuple[Tensor, ...]:
    """``autograd.grad`` that tolerates outputs that need no grad and unused inputs (zeros for
    them; with ``strict`` an unused input raises RuntimeError, as PyTorch)."""
    pairs = [(o, s) for o, s in zip(outputs, seeds, strict=True) if o.requires_grad]
    if pairs:
        found = grad(
            [o for o, _ in pairs], list(inputs), [s for _, s in pairs],
            retain_graph=True, create_graph=create_graph, allow_unused=True,
        )  # fmt: skip
    else:
        found = (None,) * len(inputs)
    result = []
    for i, (t, g) in enumerate(zip(inputs, found, strict=True)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"{fn}: the output is independent of input {i} (strict=True); pass "
                    "strict=False to get zeros for it"
                )
            g = _zeros(t)
        result.append(g)
    return tuple(result)


def _finish(tensors: Any, create_graph: bool) -> tuple[Tensor, ...]:
    """Detached results unless the caller asked to differentiate them again."""
    return tuple(t if create_graph else t.detach() for t in tensors)


# --------------------------------------------------------------------------- products


def vjp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(*inputs), v^T J)``: the vector-Jacobian product, one gradient per input.

    ``v`` has the outputs' shapes (it may be omitted for a single-element output); the
    products mirror ``inputs`` (a Tensor or a tuple), the first item mirrors the outputs.
    """
    in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    inputs = _prepare(inputs, create_graph, "vjp")
    out_tuple, outputs = _call(func, inputs, "vjp")
    seeds = _vectors(v, outputs, "output", "vjp")
    products = _grads(outputs, inputs, seeds, create_graph, strict, "vjp")
    return (
        _mirror(out_tuple, _finish(outputs, create_graph)),
        _mirror(in_tuple, _finish(products, create_graph)),
    )


def _double_vjp(
    outputs: tuple[Tensor, ...],
    inputs: tuple[Tensor, ...],
    v: tuple[Tensor, ...],
    create_graph: bool,
    strict: bool,
    fn: str,
) -> tuple[Tensor, ...]:
    """J v for each output: ``g(u) = J^T u`` is linear in a dummy ``u``, so d<g, v>/du = J v."""
    # reshapes of leaves, as in _prepare, so that their broadcast gradients are reduced
    leaves = [Tensor(np.zeros(o.shape, o.dtype), requires_grad=True) for o in outputs]
    dummies = tuple(reshape(u, u.shape) for u in leaves)
    firsts = _grads(outputs, inputs, dummies, True, strict, fn)
    pairs = [(g, w) for g, w in zip(firsts, v, strict=True) if g.requires_grad]
    if not pairs:  # func is constant in every input
        return tuple(_zeros(o) for o in outputs)
    found = grad(
        [g for g, _ in pairs], list(dummies), [w for _, w in pairs],
        retain_graph=True, create_graph=create_graph, allow_unused=True,
    )  # fmt: skip
    return tuple(_zeros(o) if g is None else g for o, g in zip(outputs, found, strict=True))


def jvp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(*inputs), J v)``: the Jacobian-vector product, one per output.

    ``v`` has the inputs' shapes (omitted: ones, for single-element inputs). Computed in
    reverse mode by the double-vjp trick, so every op in ``func`` must be twice
    differentiable; an op that is not raises RuntimeError naming it.
    """
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    inputs = _prepare(inputs, create_graph, "jvp")
    out_tuple, outputs = _call(func, inputs, "jvp")
    vs = _vectors(v, inputs, "input", "jvp")
    products = _double_vjp(outputs, inputs, vs, create_graph, strict, "jvp")
    return (
        _mirror(out_tuple, _finish(outputs, create_graph)),
        _mirror(out_tuple, _finish(products, create_graph)),
    )


def _scalar_output(func: Callable, inputs: tuple[Tensor, ...], fn: str) -> Tensor:
    out_tuple, outputs = _call(func, inputs, fn)
    if out_tuple or outputs[0].size != 1:
        shapes = [o.shape for o in outputs]
        raise ValueError(f"{fn}: func must return one Tensor with a single element, got {shapes}")
    return outputs[0]


def vhp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Tensor, Any]:
    """``(func(*inputs), v^T H)`` for a scalar ``func``: the gradient of ``<grad func, v>``.

    ``v`` has the inputs' shapes; the product mirrors ``inputs``.
    """
    in_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
    inputs = _prepare(inputs, create_graph, "vhp")
    out = _scalar_output(func, inputs, "vhp")
    vs = _vectors(v, inputs, "input", "vhp")
    firsts = _grads((out,), inputs, (None,), True, strict, "vhp")
    products = _grads(firsts, inputs, vs, create_graph, strict, "vhp")
    return _finish((out,), create_graph)[0], _mirror(in_tuple, _finish(products, create_graph))


def hvp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Tensor, Any]:
    """``(func(*inputs), H v)`` for a scalar ``func``, H its Hessian.

    The Hessian of a twice continuously differentiable function is symmetric, so this is
    ``vhp`` (one reverse pass over the first gradient: cheaper than PyTorch's double-backward
    form, same values).
    """
    return vhp(func, inputs, v, create_graph, strict)


# --------------------------------------------------------------------------- full matrices


def _gather(
    pieces: list[Tensor], axis: int, shape: tuple, dtype: np.dtype, create_graph: bool
) -> Tensor:
    """Rows (axis 0) or columns (axis -1) of a Jacobian block stacked and shaped ``shape``;
    recorded ops when ``create_graph``, else plain arrays."""
    if not pieces:  # an empty input or output
        return Tensor._wrap(np.zeros(shape, dtype))
    if create_graph:
        return reshape(stack(pieces, axis=axis), shape)
    return Tensor._wrap(np.stack([p._data for p in pieces], axis=axis).reshape(shape))


def _rows(
    output: Tensor, inputs: tuple[Tensor, ...], create_graph: bool, strict: bool, fn: str
) -> list[Tensor]:
    """d output / d input for each input, of shape ``output.shape + input.shape``, one
    reverse pass per element of ``output``."""
    n = output.size
    per_input: list[list[Tensor]] = [[] for _ in inputs]
    for k in range(n):
        seed = np.zeros(n, output.dtype)
        seed[k] = 1
        row = _grads((output,), inputs, (seed.reshape(output.shape),), create_graph, strict, fn)
        for rows, g in zip(per_input, row, strict=True):
            rows.append(g)
    return [
        _gather(rows, 0, output.shape + t.shape, t.dtype, create_graph)
        for t, rows in zip(inputs, per_input, strict=True)
    ]


def _columns(
    outputs: tuple[Tensor, ...],
    inputs: tuple[Tensor, ...],
    create_graph: bool,
    strict: bool,
    fn: str,
) -> list[list[Tensor]]:
    """The Jacobian by columns (forward mode, one Jacobian-vector product per input element):
    ``[output][input]`` blocks of shape ``output.shape + input.shape``."""
    columns: list[list[list[Tensor]]] = [[[] for _ in inputs] for _ in outputs]
    for i, t in enumerate(inputs):
        for k in range(t.size):
            vs = [np.zeros(s.shape, s.dtype) for s in inputs]
            vs[i].reshape(-1)[k] = 1
            jv = _double_vjp(outputs, inputs, tuple(Tensor._wrap(a) for a in vs),
                             create_graph, strict, fn)  # fmt: skip
            for o, col in enumerate(jv):
                columns[o][i].append(col)
    blocks = []
    for o, out in enumerate(outputs):
        row = []
        for i, t in enumerate(inputs):
            row.append(_gather(columns[o][i], -1, out.shape + t.shape, t.dtype, create_graph))
        blocks.append(row)
    return blocks


def jacobian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of ``func`` at ``inputs``: block ``[i][j]`` has shape
    ``output_i.shape + input_j.shape``.

    As PyTorch: one Tensor for one input and one output, a tuple over the inputs (or the
    outputs) when only they are a tuple, a tuple of tuples ``[output][input]`` when both are.
    ``strategy="reverse-mode"`` runs one backward pass per output element,
    ``"forward-mode"`` one Jacobian-vector product (two backward passes) per input element.
    ``vectorize`` is accepted for compatibility and changes nothing.
    """
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(
            f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', got {strategy!r}"
        )
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    inputs = _prepare(inputs, create_graph, "jacobian")
    out_tuple, outputs = _call(func, inputs, "jacobian")
    if strategy == "reverse-mode":
        blocks = [_rows(o, inputs, create_graph, strict, "jacobian") for o in outputs]
    else:
        blocks = _columns(outputs, inputs, create_graph, strict, "jacobian")
    return _mirror(out_tuple, (_mirror(in_tuple, row) for row in blocks))


def hessian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of a scalar ``func`` at ``inputs``: block ``[i][j]`` has shape
    ``input_i.shape + input_j.shape``; one Tensor for one input, a tuple of tuples for a
    tuple. It is the Jacobian of the gradient (recorded with ``create_graph``), so every op in
    ``func`` must be twice differentiable.
    """
    in_tuple, _ = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs: Tensor) -> Any:
        out = _scalar_output(func, xs, "hessian")
        return _mirror(in_tuple, _grads((out,), xs, (None,), True, strict, "hessian"))

    return jacobian(gradient, inputs, create_graph, strict, vectorize, outer_jacobian_strategy)
