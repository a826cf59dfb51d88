"""Adagrad: per-element learning rates from the running sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from lucid.kernels import optim as K
from lucid.optim.optimizer import Optimizer, check_nonnegative, implementation_flags
from lucid.tensor import Tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """``torch.optim.Adagrad``: ``s += g**2;
    p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)``. As in PyTorch, the state
    (``"step"`` 0 and ``"sum"`` filled with ``initial_accumulator_value``) is created with the
    parameter, not at its first step. Dense gradients only.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
            **implementation_flags(
                type(self).__name__, foreach, capturable, differentiable, fused
            ),
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_nonnegative(
            "Adagrad", group, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"
        )

    def _init_state(
        self, param: Tensor | np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        state["step"] = 0
        state["sum"] = np.full(param.shape, group["initial_accumulator_value"], param.dtype)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if not state:  # state loaded from a dict that lacked this parameter
            self._init_state(param, state, group)
        state["step"] += 1
        K.adagrad(
            param,
            grad,
            state["sum"],
            state["step"],
            group["lr"],
            group["lr_decay"],
            group["weight_decay"],
            group["eps"],
            maximize=group["maximize"],
        )
