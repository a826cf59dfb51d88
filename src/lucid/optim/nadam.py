"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""

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

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """``torch.optim.NAdam``: Adam's moments with ``mu_t = beta1 * (1 - 0.5 * 0.96**(t *
    momentum_decay))`` and ``mu_product`` the running product of the ``mu_t``;
    ``p -= lr * (1 - mu_t) / (1 - mu_product) * g / denom
    + lr * mu_{t+1} / (1 - mu_product * mu_{t+1}) * m / denom`` with
    ``denom = sqrt(v / (1 - beta2**t)) + eps``. State: ``"step"``, ``"mu_product"`` (a Python
    float; PyTorch keeps a float32 tensor), ``"exp_avg"``, ``"exp_avg_sq"``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
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
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            **implementation_flags(
                type(self).__name__, foreach, capturable, differentiable, fused
            ),
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_adam_hyperparameters("NAdam", group, "momentum_decay")

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        step = count_step(state, param, "exp_avg", "exp_avg_sq", mu_product=1.0)
        beta1, beta2 = group["betas"]
        state["mu_product"] = K.nadam(
            param,
            grad,
            state["exp_avg"],
            state["exp_avg_sq"],
            step,
            state["mu_product"],
            group["lr"],
            beta1,
            beta2,
            group["eps"],
            group["weight_decay"],
            group["momentum_decay"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
            maximize=group["maximize"],
        )
