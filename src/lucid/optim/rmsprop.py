"""RMSprop: gradients scaled by their running root mean square; centered, with momentum."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from lucid.kernels import optim as K
from lucid.optim.optimizer import Optimizer, check_nonnegative, count_step, implementation_flags

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """``torch.optim.RMSprop``: ``v = alpha * v + (1 - alpha) * g**2``;
    ``avg = sqrt(v) + eps``, or ``sqrt(v - gm**2) + eps`` when ``centered`` (``gm`` the running
    mean of g); then ``b = momentum * b + g / avg; p -= lr * b`` with momentum, else
    ``p -= lr * g / avg``. State: ``"step"``, ``"square_avg"``, ``"momentum_buffer"`` (with
    momentum) and ``"grad_avg"`` (centered).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
            **implementation_flags(
                type(self).__name__, foreach, capturable, differentiable, fused
            ),
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_nonnegative("RMSprop", group, "lr", "eps", "momentum", "weight_decay", "alpha")

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        count_step(state, param, "square_avg")
        if group["momentum"] > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = np.zeros(param.shape, param.dtype)
        if group["centered"] and "grad_avg" not in state:
            state["grad_avg"] = np.zeros(param.shape, param.dtype)
        K.rmsprop(
            param,
            grad,
            state["square_avg"],
            state.get("grad_avg"),
            state.get("momentum_buffer"),
            group["lr"],
            group["alpha"],
            group["eps"],
            group["weight_decay"],
            group["momentum"],
            centered=group["centered"],
            maximize=group["maximize"],
        )
