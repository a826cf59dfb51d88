"""``torch.nn.utils``: gradient clipping here; parameter vectors, weight and spectral
normalisation and parametrizations in the submodules, re-exported here as PyTorch does;
variable-length sequences in ``lucid.nn.utils.rnn``."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from lucid.nn.utils import parametrizations, parametrize
from lucid.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from lucid.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm
from lucid.nn.utils.weight_norm import remove_weight_norm, weight_norm
from lucid.tensor import Tensor

__all__ = [
    "clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_",
    "parameters_to_vector", "vector_to_parameters", "weight_norm", "remove_weight_norm",
    "spectral_norm", "remove_spectral_norm", "parametrize", "parametrizations", "clip_grad_norm",
    "skip_init",
]  # fmt: skip


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[np.ndarray]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p._grad for p in params if p._grad is not None]


def get_total_norm(
    tensors: Tensor | Iterable[Tensor],
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The ``norm_type``-norm of the norms of ``tensors`` (``inf``: the largest ``|x|``), a 0-d
    tensor; ``foreach`` is accepted and ignored (one code path)."""
    arrays = [tensors._data] if isinstance(tensors, Tensor) else [
        t._data if isinstance(t, Tensor) else np.asarray(t) for t in tensors]  # fmt: skip
    if not arrays:
        return Tensor(0.0)
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        total = float(max(np.abs(a).max() if a.size else 0.0 for a in arrays))
    else:
        norms = [np.linalg.norm(a.reshape(-1).astype(np.float64), norm_type) for a in arrays]
        total = float(np.linalg.norm(np.asarray(norms), norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is {total}; pass "
            "error_if_nonfinite=False to clip anyway"
        )
    return Tensor(np.asarray(total, dtype=arrays[0].dtype))


def clip_grads_with_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    total_norm: Tensor | float,
    foreach: bool | None = None,
) -> None:
    """Scale the gradients in place by ``min(1, max_norm / (total_norm + 1e-6))``."""
    total = float(total_norm.item() if isinstance(total_norm, Tensor) else total_norm)
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for g in _grads(parameters):
            g *= g.dtype.type(coef)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale the gradients in place so that their joint ``norm_type``-norm is at most
    ``max_norm``; returns the norm before clipping (a 0-d tensor).

    PyTorch's formula: the norm of the per-parameter norms (``inf``: the largest ``|g|``), and
    every gradient times ``min(1, max_norm / (total + 1e-6))``; ``error_if_nonfinite=True``
    raises RuntimeError on a NaN or infinite norm; ``foreach`` is accepted and ignored.
    """
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = _grads(parameters)
    if not grads:
        return Tensor(0.0)
    try:
        total = get_total_norm(grads, norm_type, error_if_nonfinite)
    except RuntimeError as exc:
        raise RuntimeError(f"clip_grad_norm_: {exc}") from None
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_norm(*args: Any, **kwargs: Any) -> Tensor:
    """Deprecated: use ``clip_grad_norm_`` (warns FutureWarning, as PyTorch)."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(*args, **kwargs)


def skip_init(module_cls: type, *args: Any, **kwargs: Any) -> Any:
    """``module_cls(*args, **kwargs)``. PyTorch skips the initialisation (the values are
    garbage until set); Lucid initialises as usual, which is one of the values allowed."""
    kwargs.pop("device", None)
    return module_cls(*args, **kwargs)


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None
) -> None:
    """Clip every gradient in place to ``[-clip_value, clip_value]``."""
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)
