"""Adamax: Adam with the infinity norm of past gradients in place of the second moment."""

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

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """``torch.optim.Adamax``: ``m = beta1 * m + (1 - beta1) * g``,
    ``u = max(beta2 * u, |g| + eps)``, ``p -= lr / (1 - beta1**t) * m / u``.
    State: ``"step"``, ``"exp_avg"`` (m), ``"exp_inf"`` (u).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            **implementation_flags("Adamax", foreach, capturable, differentiable),
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_adam_hyperparameters("Adamax", group)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        step = count_step(state, param, "exp_avg", "exp_inf")
        beta1, beta2 = group["betas"]
        K.adamax(
            param,
            grad,
            state["exp_avg"],
            state["exp_inf"],
            step,
            group["lr"],
            beta1,
            beta2,
            group["eps"],
            group["weight_decay"],
            maximize=group["maximize"],
        )
