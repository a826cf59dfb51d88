"""lucid.special: PyTorch's ``torch.special`` names for Lucid's special functions."""

# ruff: noqa: F401  (a list of re-exports)

from __future__ import annotations

from lucid.ops.activation import log_softmax, sigmoid, softmax
from lucid.ops.elementwise import round  # noqa: A004 - PyTorch's name
from lucid.ops.reduce import logsumexp
from lucid.ops.special import (
    digamma,
    erf,
    erfc,
    erfinv,
    exp2,
    expm1,
    lgamma,
    log1p,
    logit,
    polygamma,
    sinc,
    xlogy,
)

expit = sigmoid
gammaln = lgamma
psi = digamma

__all__ = [
    "digamma", "erf", "erfc", "erfinv", "exp2", "expm1", "expit", "gammaln", "log1p",
    "log_softmax", "logit", "logsumexp", "polygamma", "psi", "round", "sinc", "softmax", "xlogy",
]  # fmt: skip
