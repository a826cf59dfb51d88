"""Dropout as ops: zero random elements (or channels) and scale the rest by 1 / (1 - p); alpha
dropout's affine variant."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from lucid import _promotion, random
from lucid._graph import operation, unary_func_op
from lucid.ops.activation import _inplace
from lucid.tensor import Tensor

__all__ = [
    "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
]  # fmt: skip


class Dropout(operation):
    """x * mask / (1 - p), mask ~ Bernoulli(1 - p) per element;  d/dx = mask / (1 - p)."""

    def __init__(self, p: float) -> None:
        self.p = p

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _promotion.floating(x)
        keep = 1 - self.p
        draw = x.dtype.type if x.dtype != np.float16 else np.float32  # NumPy draws no float16
        kept = random.generator().random(x.shape, dtype=draw) < keep
        # The mask holds 0 or 1 / (1 - p): the forward and the gradient are one multiply each.
        self.scale = kept * x.dtype.type(1 / keep if keep else 0)
        return x * self.scale

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        return grad * self.scale


def dropout(
    input: Any,  # noqa: A002 - PyTorch's name
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
) -> Tensor:
    """Zero each element with probability ``p`` and scale the others by ``1 / (1 - p)`` (so the
    expectation is unchanged); ``input`` itself when not ``training`` or ``p == 0``.

    The mask comes from ``lucid.random.generator()``: ``lucid.random.seed`` reproduces it.
    ``inplace`` as in ``lucid.ops.activation`` (written into ``input`` unless recorded).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be a probability in [0, 1], got {p}")
    x = input if isinstance(input, Tensor) else Tensor(input)
    if not training or p == 0:
        return x
    return _inplace(x, Dropout(p)(x), inplace)


# --------------------------------------------------------------------------- channel and alpha

# -selu_scale * selu_alpha: the value SELU saturates to, which alpha dropout drops to
_ALPHA = 1.7580993408473766


class Noise(operation):
    """x * scale + shift with constant (broadcastable) arrays;  d/dx = scale."""

    def __init__(self, scale: np.ndarray, shift: np.ndarray | None) -> None:
        self.scale, self.shift = scale, shift

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        out = x * self.scale
        return out if self.shift is None else out + self.shift

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        return grad * self.scale


def _noise_dropout(
    fn: str,
    input: Any,
    p: float,
    training: bool,
    feature: bool,
    alpha: bool,  # noqa: A002
) -> Tensor:
    """PyTorch's dropout family: a Bernoulli(1 - p) mask per element (per (N, C) channel
    when ``feature``), kept values scaled by 1 / (1 - p), or, for ``alpha``, the affine map
    that keeps a SELU network's zero mean and unit variance."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{fn}: dropout probability has to be between 0 and 1, but got {p}")
    x = input if isinstance(input, Tensor) else Tensor(input)
    if not training or p == 0 or x.size == 0:
        return x
    x = x if x.dtype.kind == "f" else x.astype(np.float32)
    dtype = x.dtype.type
    if p == 1:
        return Noise(np.zeros((), dtype), None)(x)
    shape = x.shape
    if feature:
        if x.ndim < 2:
            raise ValueError(f"{fn}: channel-wise dropout needs an (N, C, ...) input, got {shape}")
        shape = shape[:2] + (1,) * (x.ndim - 2)
    kept = random.generator().random(shape) < 1 - p
    if not alpha:
        return Noise((kept / (1 - p)).astype(dtype), None)(x)
    a = 1 / np.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    shift = ((kept - 1.0) * (_ALPHA * a) + _ALPHA * a * p).astype(dtype)
    return Noise((kept * a).astype(dtype), shift)(x)


def _channel_dropout(fn: str, x: Tensor, unbatched_ndim: int, p: float, training: bool) -> Tensor:
    """Channel-wise dropout of ``x``; an unbatched input (``unbatched_ndim`` axes, no N) runs as
    a batch of one."""
    if x.ndim == unbatched_ndim:
        return _noise_dropout(fn, x[None], p, training, True, False)[0]
    return _noise_dropout(fn, x, p, training, True, False)


def dropout1d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` with probability ``p``, scaling the
    rest by ``1 / (1 - p)``, as ``torch.nn.functional.dropout1d``."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim not in (2, 3):
        raise ValueError(f"dropout1d: expected a 2-D or 3-D input, got shape {x.shape}")
    return _inplace(x, _channel_dropout("dropout1d", x, 2, p, training), inplace)


def dropout2d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero whole channels ``input[n, c]`` with probability ``p``, scaling the rest by
    ``1 / (1 - p)``, as ``torch.nn.functional.dropout2d``: a 3-D input is read as
    ``(N, C, L)``, PyTorch's historical rule (it warns; so does Lucid)."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim == 3:
        warnings.warn(
            "dropout2d: a 3-D input is treated as (N, C, L) (channel-wise 1-D dropout), as "
            "PyTorch does; use dropout1d for that",
            stacklevel=2,
        )
    return _inplace(x, _noise_dropout("dropout2d", x, p, training, True, False), inplace)


def dropout3d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` with probability ``p``,
    as ``torch.nn.functional.dropout3d``."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    return _inplace(x, _channel_dropout("dropout3d", x, 4, p, training), inplace)


def alpha_dropout(
    input: Any,  # noqa: A002 - PyTorch's name
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Alpha dropout for SELU networks, as ``torch.nn.functional.alpha_dropout`` (note its
    default ``training=False``): dropped elements become ``-alpha' * a * (1 - p)`` and kept
    ones ``a * x + alpha' * a * p``, ``a = ((alpha'**2 p + 1)(1 - p))**-0.5``, alpha' = 1.7581."""
    return _inplace(
        input, _noise_dropout("alpha_dropout", input, p, training, False, True), inplace
    )


def feature_alpha_dropout(
    input: Any,  # noqa: A002 - PyTorch's name
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """``alpha_dropout`` with one mask value per (N, C) channel."""
    out = _noise_dropout("feature_alpha_dropout", input, p, training, True, True)
    return _inplace(input, out, inplace)
