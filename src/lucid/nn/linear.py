"""Linear layers: Identity, Linear and Bilinear, with their functional forms."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lucid.nn import init
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter
from lucid.ops.linalg import linear  # one fused op: F.linear and Linear use it
from lucid.tensor import Tensor, _dtype


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _add_parameters(layer: Module, weight_shape: tuple[int, ...], bias: bool, dtype: Any) -> None:
    """Give ``layer`` an uninitialised ``weight`` of ``weight_shape`` and, if ``bias``, a
    ``bias`` of ``weight_shape[0]`` outputs (else ``bias`` is None); float32 unless ``dtype``.
    The layer's ``reset_parameters`` fills them."""
    dt = np.float32 if dtype is None else _dtype(dtype)
    layer.weight = Parameter(np.empty(weight_shape, dtype=dt))
    if bias:
        layer.bias = Parameter(np.empty(weight_shape[:1], dtype=dt))
    else:
        layer.register_parameter("bias", None)


def bilinear(input1: Any, input2: Any, weight: Any, bias: Any = None) -> Tensor:
    """``y_k = input1 @ weight[k] @ input2 + bias[k]``: inputs (..., in1) and (..., in2),
    weight (out, in1, in2), result (..., out)."""
    x1, x2, w = _tensor(input1), _tensor(input2), _tensor(weight)
    if w.ndim != 3 or x1.shape[-1:] != w.shape[1:2] or x2.shape[-1:] != w.shape[2:]:
        raise ValueError(
            f"bilinear: inputs of shapes {x1.shape} and {x2.shape} do not match weight of shape "
            f"{w.shape} (out_features, in1_features, in2_features)"
        )
    # (..., 1, 1, in1) @ (out, in1, in2) -> (..., out, 1, in2), then a dot with x2 per output.
    left = (x1.unsqueeze(-2).unsqueeze(-2) @ w).squeeze(-2)
    out = (left * x2.unsqueeze(-2)).sum(axis=-1)
    return out + bias if bias is not None else out


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored, as PyTorch)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:  # noqa: A002 - PyTorch's name
        return input


class Linear(Module):
    """``y = x @ weight.T + bias``; weight (out_features, in_features), bias (out_features,).

    PyTorch's init: weight and bias uniform in +-1/sqrt(in_features).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        _add_parameters(self, (out_features, in_features), bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # kaiming_uniform_ with a = sqrt(5) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as PyTorch.
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        shape = tuple(input.shape)
        if len(shape) == 0 or shape[-1] != self.in_features:
            raise ValueError(
                f"{self!r}: expected input of shape (..., {self.in_features}), got {shape}"
            )
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Bilinear(Module):
    """``y_k = x1 @ weight[k] @ x2 + bias[k]``; weight (out, in1, in2), bias (out,).

    PyTorch's init: weight and bias uniform in +-1/sqrt(in1_features).
    """

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        _add_parameters(self, (out_features, in1_features, in2_features), bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.in1_features) if self.in1_features > 0 else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        s1, s2 = tuple(input1.shape), tuple(input2.shape)
        if s1[-1:] != (self.in1_features,) or s2[-1:] != (self.in2_features,):
            raise ValueError(
                f"{self!r}: expected inputs of shapes (..., {self.in1_features}) and "
                f"(..., {self.in2_features}), got {s1} and {s2}"
            )
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )
