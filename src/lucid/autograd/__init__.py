"""Public autograd tools: ``grad`` (higher-order gradients), ``gradcheck``, anomaly mode."""

from lucid._graph import detect_anomaly
from lucid.autograd.differentiate import grad
from lucid.autograd.gradcheck import GradcheckError, gradcheck

__all__ = ["GradcheckError", "detect_anomaly", "grad", "gradcheck"]
