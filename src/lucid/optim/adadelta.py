"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from lucid.kernels import optim as K
from lucid.optim.optimizer import Optimizer, check_nonnegative, count_step, implementation_flags

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """``torch.optim.Adadelta``: ``v = rho * v + (1 - rho) * g**2``,
    ``delta = sqrt(u + eps) / sqrt(v + eps) * g``, ``u = rho * u + (1 - rho) * delta**2``,
    ``p -= lr * delta``. State: ``"step"``, ``"square_avg"`` (v), ``"acc_delta"`` (u).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            **implementation_flags("Adadelta", foreach, capturable, differentiable),
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_nonnegative("Adadelta", group, "lr", "eps", "weight_decay")
        if not 0 <= group["rho"] <= 1:
            raise ValueError(f"Adadelta: invalid rho {group['rho']!r}: must be in [0, 1]")

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        count_step(state, param, "square_avg", "acc_delta")
        K.adadelta(
            param,
            grad,
            state["square_avg"],
            state["acc_delta"],
            group["lr"],
            group["rho"],
            group["eps"],
            group["weight_decay"],
            maximize=group["maximize"],
        )
