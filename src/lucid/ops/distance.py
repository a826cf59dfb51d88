"""Distances and normalisation along an axis: normalize, cosine_similarity, pairwise_distance,
composed of differentiable ops (the norms' gradient at 0 is 0, as PyTorch's)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid.ops._args import normalize_axis
from lucid.ops.elementwise import clip
from lucid.ops.reduce import norm
from lucid.tensor import Tensor

__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "pdist"]


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _floating(fn: str, x: Tensor) -> Tensor:
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: expected a floating-point tensor, got {x.dtype}")
    return x


def _broadcast_pair(fn: str, x1: Any, x2: Any) -> tuple[Tensor, Tensor, tuple[int, ...]]:
    """Two floating-point tensors and their broadcast shape; ValueError if they do not
    broadcast together."""
    x1, x2 = _floating(fn, _tensor(x1)), _floating(fn, _tensor(x2))
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ValueError(
            f"{fn}: shapes {x1.shape} and {x2.shape} do not broadcast together"
        ) from None
    return x1, x2, shape


def normalize(
    input: Any,  # noqa: A002 - PyTorch's name
    p: float = 2.0,
    dim: int = 1,
    eps: float = 1e-12,
    out: Any = None,
) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``, as ``torch.nn.functional.normalize``; x's shape
    and dtype. ``out=`` is not supported."""
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported; use the returned tensor")
    x = _floating("normalize", _tensor(input))
    axis = normalize_axis(dim, x.ndim, "normalize")
    if x.ndim == 0:
        return x / clip(norm(x, p=p), eps, None)
    return x / clip(norm(x, p=p, dim=axis, keepdim=True), eps, None)


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 / n1 * x2 / n2)`` along ``dim``, ``n = max(||x||_2, eps)``, the inputs
    broadcast together; as ``torch.nn.functional.cosine_similarity``, whose clamp does not
    enter the gradient (the norm's gradient flows as if unclamped)."""
    fn = "cosine_similarity"
    x1, x2, shape = _broadcast_pair(fn, x1, x2)
    axis = normalize_axis(dim, len(shape), fn)
    x1, x2 = x1.broadcast_to(shape), x2.broadcast_to(shape)

    def unit(x: Tensor) -> Tensor:
        n = norm(x, p=2, dim=axis, keepdim=True)
        # the clamp as a constant offset: PyTorch clamps in place under no_grad
        return x / (n + (np.maximum(n._data, eps) - n._data))

    return (unit(x1) * unit(x2)).sum(axis=axis)


def pairwise_distance(
    x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """``||x1 - x2 + eps||_p`` along the last axis of the broadcast inputs, as
    ``torch.nn.functional.pairwise_distance``."""
    x1, x2, _ = _broadcast_pair("pairwise_distance", x1, x2)
    d = x1 - x2 + eps
    if d.ndim == 0:
        return norm(d.reshape(1), p=p, dim=0, keepdim=False)
    return norm(d, p=p, dim=-1, keepdim=keepdim)


def pdist(input: Any, p: float = 2.0) -> Tensor:  # noqa: A002 - PyTorch's name
    """The p-norm distances between the rows of ``input`` (N, M), pairs ``i < j`` in row-major
    order: shape ``(N*(N-1)/2,)``, as ``torch.nn.functional.pdist``."""
    x = _floating("pdist", _tensor(input))
    if x.ndim != 2:
        raise ValueError(f"pdist: expected a 2-D input (N, M), got shape {x.shape}")
    i, j = np.triu_indices(x.shape[0], k=1)
    return norm(x[i] - x[j], p=p, dim=1)
