"""ASGD: SGD with a decaying step size and a running (Polyak) average of the iterates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from lucid.kernels import optim as K
from lucid.optim.optimizer import Optimizer, check_nonnegative, implementation_flags

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """``torch.optim.ASGD``: ``p = p * (1 - lambd * eta) - eta * g``, then the average
    ``ax += mu * (p - ax)``; after step t, ``eta = lr / (1 + lambd * lr * t)**alpha`` and
    ``mu = 1 / max(1, t - t0)``. State: ``"step"``, ``"eta"`` and ``"mu"`` (Python floats;
    PyTorch keeps 0-d tensors), ``"ax"`` (the averaged parameters).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "maximize": maximize,
            **implementation_flags("ASGD", foreach, capturable, differentiable),
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_nonnegative("ASGD", group, "lr", "weight_decay")

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if not state:
            state.update(step=0, eta=float(group["lr"]), mu=1.0)
            state["ax"] = np.zeros(param.shape, param.dtype)
        state["step"] += 1
        K.asgd(
            param,
            grad,
            state["ax"],
            state["eta"],
            state["mu"],
            group["lambd"],
            group["weight_decay"],
            maximize=group["maximize"],
        )
        lr, step = group["lr"], state["step"]
        state["eta"] = lr / (1 + group["lambd"] * lr * step) ** group["alpha"]
        state["mu"] = 1 / max(1, step - group["t0"])
