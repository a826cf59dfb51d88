"""gradcheck and gradgradcheck: analytic first and second derivatives against float64 central
differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lucid._graph import enable_grad, no_grad
from lucid.tensor import Tensor


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with its finite-difference estimate."""


def _outputs(fn: Callable, inputs: Sequence[Any]) -> list[Tensor]:
    out = fn(*inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, Tensor)]


def _project(outs: list[Tensor], upstream: list[np.ndarray]) -> float:
    """<outputs, upstream>: the scalar whose gradient is the vector-Jacobian product."""
    return float(
        sum(np.sum(o._data.astype(np.float64) * u) for o, u in zip(outs, upstream, strict=True))
    )


def _checked_inputs(op: str, inputs: tuple) -> list[int]:
    """Positions of the inputs that require grad; each must be float64."""
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError(f"{op}: no input requires grad")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(f"{op}: input {i} is {inputs[i].dtype}; use float64 inputs")
    return checked


def _central_differences(x: np.ndarray, value: Callable[[], float], eps: float) -> np.ndarray:
    """d value / d x by central differences, perturbing ``x`` (a contiguous array) in place."""
    numeric = np.zeros(x.shape)
    flat = x.reshape(-1)  # a view: x is the tensor's own (contiguous) array
    for j in range(flat.size):
        original = flat[j]
        flat[j] = original + eps
        plus = value()
        flat[j] = original - eps
        minus = value()
        flat[j] = original
        numeric.reshape(-1)[j] = (plus - minus) / (2 * eps)
    return numeric


def _compare(
    label: str, analytic: np.ndarray, numeric: np.ndarray, atol: float, rtol: float
) -> None:
    """Raise GradcheckError naming ``label``, the worst element and both values on mismatch."""
    if analytic.shape != numeric.shape:
        raise GradcheckError(
            f"{label}: gradient has shape {analytic.shape}, the input has {numeric.shape}"
        )
    excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    if excess.size and (np.nanmax(excess) > 0 or np.isnan(analytic).any()):
        worst = np.unravel_index(
            int(np.nanargmax(np.where(np.isnan(analytic), np.inf, excess))), numeric.shape
        )
        raise GradcheckError(
            f"{label} (shape {numeric.shape}), element {worst}: analytic "
            f"{analytic[worst]!r} vs numeric {numeric[worst]!r} (atol={atol}, rtol={rtol})"
        )


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
    checked = _checked_inputs("gradcheck", inputs)
    name = getattr(fn, "__name__", repr(fn))
    rng = np.random.default_rng(seed)
    outs = _outputs(fn, inputs)
    upstream = [rng.standard_normal(o.shape) for o in outs]
    saved = [inputs[i]._grad for i in checked]
    for i in checked:
        inputs[i]._grad = None
    differentiable = [(o, u) for o, u in zip(outs, upstream, strict=True) if o.requires_grad]
    for k, (o, u) in enumerate(differentiable):
        o.backward(u.astype(o.dtype), retain_graph=k < len(differentiable) - 1)
    analytic = [
        inputs[i]._grad if inputs[i]._grad is not None else np.zeros(inputs[i].shape)
        for i in checked
    ]
    for i, g in zip(checked, saved, strict=True):
        inputs[i]._grad = g
    with no_grad():
        for i, a in zip(checked, analytic, strict=True):
            numeric = _central_differences(
                inputs[i]._data, lambda: _project(_outputs(fn, inputs), upstream), eps
            )
            _compare(f"gradcheck({name}): input {i}", a, numeric, atol, rtol)
    return True


def gradgradcheck(
    fn: Callable,
    inputs: Sequence[Any],
    grad_outputs: Sequence[Any] | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    check_grad_outputs: bool = True,
) -> bool:
    """Check ``fn``'s second derivatives against central differences of its first gradient;
    True, or GradcheckError.

    With ``u`` an upstream gradient per differentiable output (random, or ``grad_outputs``)
    and ``v`` a random direction per input that requires grad (float64), the scalar
    ``s(x, u) = sum_i <g_i, v_i>``, ``g`` the vector-Jacobian product of ``fn`` with ``u``,
    is differentiated twice over: analytically by ``autograd.grad(..., create_graph=True)``
    and a second ``grad`` (a Hessian-vector product), numerically by
    ``(s(x + eps) - s(x - eps)) / (2 eps)`` per element with ``s`` from plain first
    gradients. ``check_grad_outputs`` also checks ``ds/du`` (the Jacobian-vector product
    ``J v``, which differentiates each gradient through its upstream ``grad``) the same way.
    Same tolerances as ``gradcheck``: an element fails when
    ``|analytic - numeric| > atol + rtol * |numeric|``.
    """
    from lucid.autograd.differentiate import grad
    from lucid.ops.shape import reshape

    inputs = tuple(inputs)
    checked = _checked_inputs("gradgradcheck", inputs)
    name = getattr(fn, "__name__", repr(fn))
    rng = np.random.default_rng(seed)
    with enable_grad():
        outs = _outputs(fn, inputs)
    diff = [k for k, o in enumerate(outs) if o.requires_grad]
    if not diff:
        raise ValueError(f"gradgradcheck({name}): no output requires grad")
    if grad_outputs is None:
        upstream = [rng.standard_normal(outs[k].shape) for k in diff]
    else:
        given = list(grad_outputs)
        if len(given) != len(outs):
            raise ValueError(
                f"gradgradcheck({name}): {len(given)} grad_outputs for {len(outs)} outputs"
            )
        upstream = [np.array(getattr(given[k], "data", given[k]), np.float64) for k in diff]
    directions = [rng.standard_normal(inputs[i].shape) for i in checked]

    def projection(seeds: list[Any], create_graph: bool) -> tuple[Any, list[Tensor]]:
        """s = sum_i <g_i, v_i> (a Tensor when ``create_graph``, else a float), and the
        tensors that ``fn`` ran on.

        ``fn`` runs on reshapes of the checked inputs and is differentiated by them: the graph
        layer reduces the broadcast gradients of a non-leaf before summing them, but not those
        of a leaf that ``autograd.grad`` asks for.
        """
        with enable_grad():
            aliases = list(inputs)
            for i in checked:
                aliases[i] = reshape(inputs[i], inputs[i].shape)
            wrt = [aliases[i] for i in checked]
            outs = _outputs(fn, aliases)
            gs = grad(
                [outs[k] for k in diff], wrt, seeds, create_graph=create_graph,
                allow_unused=True,
            )  # fmt: skip
            terms = [(g * v).sum() for g, v in zip(gs, directions, strict=True) if g is not None]
        if not create_graph:
            return float(sum(t.item() for t in terms)), wrt
        total = terms[0] if terms else None
        for t in terms[1:]:
            total = total + t
        return total, wrt

    def value() -> float:
        return projection(upstream, create_graph=False)[0]

    u_tensors = [Tensor(u, requires_grad=check_grad_outputs) for u in upstream]
    u_aliases = [reshape(u, u.shape) if check_grad_outputs else u for u in u_tensors]
    s, wrt = projection(u_aliases, create_graph=True)
    targets = wrt + (u_aliases if check_grad_outputs else [])
    if s is not None and s.requires_grad:
        found = grad(s, targets, allow_unused=True)
    else:  # the first gradients are constants: every second derivative is zero
        found = [None] * len(targets)
    analytic = [
        np.zeros(t.shape) if g is None else g._data for t, g in zip(targets, found, strict=True)
    ]
    for i, a in zip(checked, analytic[: len(wrt)], strict=True):
        numeric = _central_differences(inputs[i]._data, value, eps)
        _compare(f"gradgradcheck({name}): d/d input {i}", a, numeric, atol, rtol)
    if check_grad_outputs:
        for k, u, a in zip(diff, upstream, analytic[len(wrt) :], strict=True):
            numeric = _central_differences(u, value, eps)
            _compare(f"gradgradcheck({name}): d/d grad_output {k}", a, numeric, atol, rtol)
    return True
