"""Public autograd tools: gradient checking (and, later, ``grad`` and higher-order tools)."""

from lucid.autograd.gradcheck import GradcheckError, gradcheck

__all__ = ["GradcheckError", "gradcheck"]
