"""Activation layers: thin Modules around the activation ops, with PyTorch's arguments.

``inplace=True`` writes the result into the input, as PyTorch, when the graph is not recording
it (Lucid's graph records no in-place ops); while recording, the result is a new tensor.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid.nn.module import Module
from lucid.nn.parameter import Parameter
from lucid.ops import activation as A
from lucid.ops.elementwise import tanh
from lucid.tensor import Tensor, _dtype


class _Inplace(Module):
    """An activation whose only argument is PyTorch's ``inplace``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class _Alpha(Module):
    """An activation whose arguments are ``alpha`` and ``inplace`` (ELU, CELU)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class _AlongDim(Module):
    """An activation along one axis ``dim`` (softmax and its kin)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class ReLU(_Inplace):
    """``max(x, 0)``, elementwise."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.relu(input, self.inplace)


class LeakyReLU(Module):
    """``x if x > 0 else negative_slope * x``, elementwise."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(_Alpha):
    """``x if x > 0 else alpha * (exp(x) - 1)``, elementwise."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.elu(input, self.alpha, self.inplace)


class GELU(Module):
    """``x * Phi(x)`` (exact), or its tanh approximation with ``approximate="tanh"``."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(_Inplace):
    """``x * sigmoid(x)``, elementwise."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.silu(input, self.inplace)


class Mish(_Inplace):
    """``x * tanh(softplus(x))``, elementwise."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.mish(input, self.inplace)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``, elementwise."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.sigmoid(input)


class Tanh(Module):
    """``tanh(x)``, elementwise."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return tanh(input)


class Softplus(Module):
    """``log(1 + exp(beta x)) / beta``, and ``x`` where ``beta x > threshold``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """``clip(x, min_val, max_val)``; gradient 1 strictly inside, 0 elsewhere."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val {min_val} must not exceed max_val {max_val}")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + (
            ", inplace=True" if self.inplace else ""
        )


class Softmax(_AlongDim):
    """``exp(x) / sum(exp(x))`` along ``dim`` (required when called; PyTorch guesses one)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.softmax(input, dim=self.dim)


class LogSoftmax(_AlongDim):
    """``x - logsumexp(x)`` along ``dim``."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.log_softmax(input, dim=self.dim)


# --------------------------------------------------------------------------- more activations


class SELU(_Inplace):
    """``scale * elu(x, alpha)`` with PyTorch's self-normalising constants."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.selu(input, self.inplace)


class CELU(_Alpha):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``, elementwise."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.celu(input, self.alpha, self.inplace)


class ReLU6(Hardtanh):
    """``min(max(x, 0), 6)``, elementwise."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Hardsigmoid(_Inplace):
    """``relu6(x + 3) / 6``, elementwise."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.hardsigmoid(input, self.inplace)

    def extra_repr(self) -> str:
        return ""


class Hardswish(_Inplace):
    """``x * relu6(x + 3) / 6``, elementwise."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.hardswish(input, self.inplace)

    def extra_repr(self) -> str:
        return ""


class LogSigmoid(Module):
    """``log(sigmoid(x))``, elementwise and stable."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.logsigmoid(input)


class Softsign(Module):
    """``x / (1 + |x|)``, elementwise."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.softsign(input)


class Tanhshrink(Module):
    """``x - tanh(x)``, elementwise."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.tanhshrink(input)


class Softshrink(Module):
    """``x -+ lambd`` outside ``[-lambd, lambd]``, 0 inside."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Softshrink):
    """``x`` outside ``[-lambd, lambd]``, 0 inside."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.hardshrink(input, self.lambd)


class Softmin(_AlongDim):
    """``softmax(-x)`` along ``dim``."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.softmin(input, self.dim)


class GLU(_AlongDim):
    """``a * sigmoid(b)`` for the two halves ``a, b`` of the input along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__(dim)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.glu(input, self.dim)


class Threshold(Module):
    """``x`` where ``x > threshold``, else ``value``."""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + (
            ", inplace=True" if self.inplace else ""
        )


class PReLU(Module):
    """``x if x > 0 else a * x`` with a learnable slope ``weight`` of ``num_parameters`` values
    (1, or one per channel of axis 1), all ``init`` at first (PyTorch's 0.25)."""

    def __init__(
        self, num_parameters: int = 1, init: float = 0.25, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        dt = np.dtype(np.float32) if dtype is None else _dtype(dtype)
        self.weight = Parameter(np.full(num_parameters, init, dtype=dt))

    def reset_parameters(self) -> None:
        self.weight._data[...] = self.init

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Randomised leaky relu: slopes ``U(lower, upper)`` per element while training, their mean
    ``(lower + upper) / 2`` in evaluation."""

    def __init__(
        self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False
    ) -> None:
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return A.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (
            ", inplace=True" if self.inplace else ""
        )


class Softmax2d(Module):
    """Softmax over the channels of ``(N, C, H, W)`` or ``(C, H, W)`` (axis -3)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        if input.ndim not in (3, 4):
            raise ValueError(
                f"Softmax2d: expected a 3-D or 4-D input (C, H, W) or (N, C, H, W), got shape "
                f"{input.shape}"
            )
        return A.softmax(input, dim=-3)
