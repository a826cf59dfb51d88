"""gradcheck: analytic gradients against float64 central differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lucid._graph import no_grad
from lucid.tensor import Tensor


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with its finite-difference estimate."""


def _outputs(fn: Callable, inputs: Sequence[Any]) -> list[Tensor]:
    out = fn(*inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, Tensor)]


def _project(outs: list[Tensor], upstream: list[np.ndarray]) -> float:
    """<outputs, upstream>: the scalar whose gradient is the vector-Jacobian product."""
    return float(sum(np.sum(o.data.astype(np.float64) * u) for o, u in zip(outs, upstream)))


def gradcheck(
    fn: Callable,
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """Check ``fn``'s gradients against central differences; True, or GradcheckError.

    Every input tensor that requires grad must be float64. The outputs are projected on a
    random upstream gradient (not ones: a gradient that ignored its upstream would pass), the
    analytic vector-Jacobian product comes from ``backward`` and the numeric one from
    ``(f(x + eps) - f(x - eps)) / (2 eps)`` per element. An element fails when
    ``|analytic - numeric| > atol + rtol * |numeric|``; the error names the function, the
    input, the worst element and both values.
    """
    inputs = tuple(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} is {inputs[i].dtype}; use float64 inputs")
    name = getattr(fn, "__name__", repr(fn))
    rng = np.random.default_rng(seed)
    outs = _outputs(fn, inputs)
    upstream = [rng.standard_normal(o.shape) for o in outs]
    saved = [inputs[i].grad for i in checked]
    for i in checked:
        inputs[i].grad = None
    differentiable = [(o, u) for o, u in zip(outs, upstream) if o.requires_grad]
    for k, (o, u) in enumerate(differentiable):
        o.backward(u.astype(o.dtype), retain_graph=k < len(differentiable) - 1)
    analytic = [
        inputs[i].grad if inputs[i].grad is not None else np.zeros(inputs[i].shape)
        for i in checked
    ]
    for i, g in zip(checked, saved):
        inputs[i].grad = g
    with no_grad():
        for i, a in zip(checked, analytic):
            x = inputs[i].data
            numeric = np.zeros(x.shape)
            flat = x.reshape(-1)  # a view: x is the tensor's own (contiguous) array
            for j in range(flat.size):
                original = flat[j]
                flat[j] = original + eps
                plus = _project(_outputs(fn, inputs), upstream)
                flat[j] = original - eps
                minus = _project(_outputs(fn, inputs), upstream)
                flat[j] = original
                numeric.reshape(-1)[j] = (plus - minus) / (2 * eps)
            if a.shape != x.shape:
                raise GradcheckError(
                    f"gradcheck({name}): gradient of input {i} has shape {a.shape}, "
                    f"the input has {x.shape}"
                )
            excess = np.abs(a - numeric) - (atol + rtol * np.abs(numeric))
            if excess.size and (np.nanmax(excess) > 0 or np.isnan(a).any()):
                worst = np.unravel_index(
                    int(np.nanargmax(np.where(np.isnan(a), np.inf, excess))), x.shape
                )
                raise GradcheckError(
                    f"gradcheck({name}): input {i} (shape {x.shape}), element {worst}: "
                    f"analytic {a[worst]!r} vs numeric {numeric[worst]!r} "
                    f"(atol={atol}, rtol={rtol})"
                )
    return True
