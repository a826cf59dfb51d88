"""``torch.nn.utils``: gradient clipping (``clip_grad_norm_``, ``clip_grad_value_``) here, and
variable-length sequences in ``lucid.nn.utils.rnn``."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from lucid.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[np.ndarray]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p._grad for p in params if p._grad is not None]


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale the gradients in place so that their joint ``norm_type``-norm is at most
    ``max_norm``; returns the norm before clipping (a 0-d tensor).

    PyTorch's formula: the norm of the per-parameter norms (``inf``: the largest ``|g|``), and
    every gradient times ``min(1, max_norm / (total + 1e-6))``.
    """
    grads = _grads(parameters)
    if not grads:
        return Tensor(0.0)
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        norms = [np.abs(g).max() if g.size else 0.0 for g in grads]
        total = float(max(norms))
    else:
        norms = [np.linalg.norm(g.reshape(-1).astype(np.float64), norm_type) for g in grads]
        total = float(np.linalg.norm(np.asarray(norms), norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}; "
            "pass error_if_nonfinite=False to clip anyway"
        )
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for g in grads:
            g *= g.dtype.type(coef)
    return Tensor(np.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clip every gradient in place to ``[-clip_value, clip_value]``."""
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)


from lucid.nn.utils import rnn  # noqa: E402, F401  (torch.nn.utils.rnn after `import torch`)
