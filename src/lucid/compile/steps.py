"""Capturing ``optimizer.step()`` and ``optimizer.zero_grad()`` as nodes of the graph.

Both work on arrays only (``p._data`` updated in place by the ``lucid.kernels.optim`` kernels,
``p._grad`` dropped or zeroed), never through recorded ops, so the node is the call itself: a
replay runs the optimizer's own array update, reading its hyperparameters (``lr`` changed by a
scheduler) and state (momentum buffers, Adam's moments and step count) live, exactly as eager
mode does. ``Optimizer.step`` and ``zero_grad`` report to the tracer
(``Tracer.optimizer_call``); a subclass with a ``step`` of its own (LBFGS) or a ``closure``
is not captured: a graph break.
"""

from __future__ import annotations

from typing import Any


class OptimizerNode:
    """``optimizer.step()`` or ``optimizer.zero_grad(set_to_none)``: a side effect, no result."""

    effect = True
    keep = False
    grad_enabled = False
    args: tuple = ()
    inputs: list = []
    outputs: list = []

    def __init__(self, optimizer: Any, method: str, set_to_none: bool = True) -> None:
        self.optimizer = optimizer
        self.method = method
        self.set_to_none = set_to_none
        self.name = f"{type(optimizer).__name__}.{method}"

    def apply(self, env: list, kept: dict, inputs: list) -> None:
        from lucid.optim.optimizer import Optimizer

        if self.method == "step":
            Optimizer.step(self.optimizer)
        else:
            Optimizer.zero_grad(self.optimizer, self.set_to_none)

    def describe(self) -> str:
        arg = "" if self.method == "step" or self.set_to_none else "set_to_none=False"
        return f"{self.name}({arg})  # in place"
