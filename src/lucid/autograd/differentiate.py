"""``lucid.autograd.grad``: gradients of outputs with respect to chosen inputs, as Tensors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lucid import _graph
from lucid.tensor import Tensor


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """The sum over ``outputs`` of d(output)/d(input) . grad_output, for each input.

    Returns a tuple of Tensors, one per input; ``.grad`` attributes are not touched. With
    ``create_graph=True`` the returned gradients are recorded, so they can be differentiated
    again (higher-order gradients). ``retain_graph`` defaults to ``create_graph``. An input
    the outputs do not depend on raises RuntimeError unless ``allow_unused=True`` (then its
    entry is None).
    """
    outs, ins = _as_list(outputs), _as_list(inputs)
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} is not a tensor that requires grad")
    grads = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outs)
    if len(grads) != len(outs):
        raise ValueError(f"grad: {len(grads)} grad_outputs for {len(outs)} outputs")
    retain = create_graph if retain_graph is None else retain_graph
    found = _graph.run_backward(outs, grads, retain, create_graph, inputs=ins)
    result = []
    for i, (t, g) in enumerate(zip(ins, found, strict=True)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} (shape {t.shape}) was not used to compute the outputs; "
                    "pass allow_unused=True to get None for it"
                )
            result.append(None)
            continue
        if isinstance(g, Tensor):
            result.append(g)
        else:
            if g.shape != t.shape:
                from lucid.kernels.broadcast import reduce_to_shape

                g = reduce_to_shape(g, t.shape)
            result.append(Tensor._wrap(np.array(g, dtype=t.dtype)))
    return tuple(result)
