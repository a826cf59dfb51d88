"""RAdam: Adam with the variance of its adaptive learning rate rectified."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from lucid.kernels import optim as K
from lucid.optim.optimizer import (
    Optimizer,
    check_adam_hyperparameters,
    count_step,
    implementation_flags,
)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """``torch.optim.RAdam``: Adam's moments; while ``rho_t <= 5`` (the first steps)
    ``p -= lr * m / (1 - beta1**t)``, afterwards that step times
    ``r_t * sqrt(1 - beta2**t) / (sqrt(v) + eps)`` with PyTorch's rectification ``r_t``.
    State: ``"step"``, ``"exp_avg"``, ``"exp_avg_sq"``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            **implementation_flags(
                type(self).__name__, foreach, capturable, differentiable, fused
            ),
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_adam_hyperparameters("RAdam", group)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        step = count_step(state, param, "exp_avg", "exp_avg_sq")
        beta1, beta2 = group["betas"]
        K.radam(
            param,
            grad,
            state["exp_avg"],
            state["exp_avg_sq"],
            step,
            group["lr"],
            beta1,
            beta2,
            group["eps"],
            group["weight_decay"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
            maximize=group["maximize"],
        )
