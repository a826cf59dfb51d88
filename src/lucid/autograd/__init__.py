"""Public autograd tools: ``grad`` (higher-order gradients), ``gradcheck``, ``gradgradcheck``,
anomaly mode, the ``functional`` API and graph views."""

from lucid._anomaly import detect_anomaly
from lucid.autograd import functional
from lucid.autograd.differentiate import grad
from lucid.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from lucid.autograd.graph import graph, render, to_dot, to_mermaid

__all__ = [
    "GradcheckError", "detect_anomaly", "functional", "grad", "gradcheck", "gradgradcheck",
    "graph", "render", "to_dot", "to_mermaid",
]  # fmt: skip
