"""SGD: stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from lucid.kernels import optim as K
from lucid.optim.optimizer import Optimizer, check_nonnegative, implementation_flags

__all__ = ["SGD"]


class SGD(Optimizer):
    """``torch.optim.SGD``: with ``g = grad`` (``-grad`` if ``maximize``) plus
    ``weight_decay * p``, the buffer ``b = momentum * b + (1 - dampening) * g`` (``b = g`` on
    the first step), then ``p -= lr * (g + momentum * b if nesterov else b)``; without momentum
    ``p -= lr * g``. State: ``"momentum_buffer"`` when ``momentum != 0``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
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
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            **implementation_flags(
                type(self).__name__, foreach, capturable, differentiable, fused
            ),
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_nonnegative("SGD", group, "lr", "momentum", "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening 0, got momentum "
                f"{group['momentum']!r} and dampening {group['dampening']!r}"
            )

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        momentum = group["momentum"]
        buf = state.get("momentum_buffer")
        first_step = buf is None
        if momentum != 0 and first_step:
            buf = np.zeros(param.shape, param.dtype)  # the kernel copies g into it
        K.sgd(
            param,
            grad,
            buf,
            group["lr"],
            momentum,
            group["dampening"],
            group["weight_decay"],
            nesterov=group["nesterov"],
            maximize=group["maximize"],
            first_step=first_step,
        )
        if momentum != 0:
            state["momentum_buffer"] = buf
