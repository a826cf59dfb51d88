"""SparseAdam: Adam for sparse gradients, which Lucid does not produce."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from lucid.optim.optimizer import Optimizer, check_adam_hyperparameters

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """``torch.optim.SparseAdam``: Adam that updates only the rows a sparse gradient touches.

    Lucid's gradients are always dense (``Embedding(sparse=True)`` is refused), and PyTorch's
    SparseAdam refuses dense gradients: ``step()`` raises RuntimeError for any parameter that
    has a gradient, as PyTorch does, pointing to ``Adam``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        maximize: bool = False,
    ) -> None:
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_adam_hyperparameters("SparseAdam", {**group, "weight_decay": 0})

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        raise RuntimeError(
            "SparseAdam does not support dense gradients, please consider Adam instead "
            f"(a parameter of shape {param.shape} has a dense gradient; Lucid has no sparse ones)"
        )
