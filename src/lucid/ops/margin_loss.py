"""Margin and embedding losses, composed of differentiable ops (every argument that is a float
tensor gets its gradient, of any order, as in PyTorch): ranking, hinge, cosine and triplet
margins, the soft and multi-class margins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lucid.ops.activation import relu, softplus
from lucid.ops.distance import pairwise_distance  # re-exported: one implementation
from lucid.ops.elementwise import minimum, sqrt, where
from lucid.ops.index import gather
from lucid.ops.loss import _array, _check_reduction, _reduce, _reduction, _tensor
from lucid.ops.reduce import sum as _sum
from lucid.ops.shape import unsqueeze
from lucid.tensor import Tensor

__all__ = [
    "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss", "cosine_embedding_loss",
    "pairwise_distance", "triplet_margin_loss", "triplet_margin_with_distance_loss",
    "multilabel_soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss",
]  # fmt: skip

# PyTorch adds this to each squared norm in cosine_embedding_loss, so that a zero vector gives
# a cosine of 0 instead of 0 / 0.
_COSINE_EPS = 1e-12


def _floating(op: str, name: str, x: Tensor) -> Tensor:
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a floating-point tensor, got {x.dtype}")
    return x


def margin_ranking_loss(
    input1: Any,
    input2: Any,
    target: Any,
    margin: float = 0.0,
    size_average: Any = None,
    reduce: Any = None,  # noqa: A002 - PyTorch's name
    reduction: str = "mean",
) -> Tensor:
    """``max(0, -y (x1 - x2) + margin)``: ``y = 1`` asks for ``x1`` to rank above ``x2`` by
    ``margin``, ``y = -1`` the reverse. The three tensors must have the same number of
    dimensions and broadcast together."""
    reduction = _reduction("margin_ranking_loss", reduction, size_average, reduce)
    x1, x2, y = _tensor(input1), _tensor(input2), _tensor(target)
    if not x1.ndim == x2.ndim == y.ndim:
        raise ValueError(
            f"margin_ranking_loss: input1 {x1.shape}, input2 {x2.shape} and target {y.shape} "
            "must have the same number of dimensions"
        )
    return _reduce(relu(-y * (x1 - x2) + margin), reduction)


def hinge_embedding_loss(
    input: Any,  # noqa: A002 - PyTorch's name
    target: Any,
    margin: float = 1.0,
    size_average: Any = None,
    reduce: Any = None,  # noqa: A002 - PyTorch's name
    reduction: str = "mean",
) -> Tensor:
    """``x`` where ``y = 1`` and ``max(0, margin - x)`` where ``y = -1`` (PyTorch's formula:
    the first term counts wherever ``y != -1``, the second wherever ``y != 1``)."""
    reduction = _reduction("hinge_embedding_loss", reduction, size_average, reduce)
    x, y = _tensor(input), _tensor(target)
    yd = y._data
    hinge = where(yd != 1, relu(margin - x), 0.0)
    own = where(yd != -1, x, 0.0)
    return _reduce(hinge + own, reduction)


def soft_margin_loss(
    input: Any,  # noqa: A002 - PyTorch's name
    target: Any,
    size_average: Any = None,
    reduce: Any = None,  # noqa: A002 - PyTorch's name
    reduction: str = "mean",
) -> Tensor:
    """Two-class logistic loss ``log(1 + exp(-y x))``, stable for any ``x``; ``target``
    broadcasts against ``input``, as PyTorch."""
    reduction = _reduction("soft_margin_loss", reduction, size_average, reduce)
    x, y = _tensor(input), _tensor(target)
    return _reduce(softplus(-y * x, threshold=np.inf), reduction)


def cosine_embedding_loss(
    input1: Any,
    input2: Any,
    target: Any,
    margin: float = 0.0,
    size_average: Any = None,
    reduce: Any = None,  # noqa: A002 - PyTorch's name
    reduction: str = "mean",
) -> Tensor:
    """``1 - cos(x1, x2)`` where ``y = 1`` and ``max(0, cos(x1, x2) - margin)`` where ``y = -1``,
    the cosine along the last dimension: (N, D) inputs with a (N,) target, or (D,) inputs with a
    0-d target (the rest broadcasts, as PyTorch); each squared norm plus 1e-12 as PyTorch."""
    op = "cosine_embedding_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    x1, x2, y = _tensor(input1), _tensor(input2), _tensor(target)
    if y.ndim not in (0, 1) or not x1.ndim == x2.ndim == y.ndim + 1:
        raise ValueError(
            f"{op}: needs (N, D) inputs with a (N,) target, or (D,) inputs with a 0-d target; "
            f"got {x1.shape}, {x2.shape} and {y.shape}"
        )
    dot = _sum(x1 * x2, axis=-1)
    norms = sqrt((_sum(x1 * x1, axis=-1) + _COSINE_EPS) * (_sum(x2 * x2, axis=-1) + _COSINE_EPS))
    cos = dot / norms
    yd = y._data
    loss = where(yd == 1, 1 - cos, 0.0) + where(yd == -1, relu(cos - margin), 0.0)
    return _reduce(loss, reduction)


def _triplet(
    op: str,
    anchor: Any,
    positive: Any,
    negative: Any,
    dist: Callable[[Tensor, Tensor], Tensor],
    margin: float,
    swap: bool,
    reduction: str,
) -> Tensor:
    """``max(0, margin + dist(a, pos) - dist(a, neg))``, reduced; ``swap`` takes
    ``min(dist(a, neg), dist(pos, neg))`` as the negative distance."""
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    a, pos, neg = _tensor(anchor), _tensor(positive), _tensor(negative)
    if not a.ndim == pos.ndim == neg.ndim or a.ndim not in (1, 2):
        raise ValueError(
            f"{op}: anchor {a.shape}, positive {pos.shape} and negative {neg.shape} must all be "
            "(N, D) or all (D,)"
        )
    d_pos, d_neg = dist(a, pos), dist(a, neg)
    if swap:
        d_neg = minimum(d_neg, dist(pos, neg))
    return _reduce(relu(margin + d_pos - d_neg), reduction)


def triplet_margin_loss(
    anchor: Any,
    positive: Any,
    negative: Any,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: Any = None,
    reduce: Any = None,  # noqa: A002 - PyTorch's name
    reduction: str = "mean",
) -> Tensor:
    """``max(0, margin + d(a, pos) - d(a, neg))`` with ``d`` the ``pairwise_distance`` of order
    ``p``; ``swap`` uses ``min(d(a, neg), d(pos, neg))`` as the negative distance."""
    op = "triplet_margin_loss"
    reduction = _reduction(op, reduction, size_average, reduce)

    def dist(x: Tensor, y: Tensor) -> Tensor:
        return pairwise_distance(x, y, p, eps)

    return _triplet(op, anchor, positive, negative, dist, margin, swap, reduction)


def triplet_margin_with_distance_loss(
    anchor: Any,
    positive: Any,
    negative: Any,
    *,
    distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """``triplet_margin_loss`` with any ``distance_function(x, y)`` (default
    ``pairwise_distance``)."""
    op = "triplet_margin_with_distance_loss"
    _check_reduction(op, reduction)
    dist = pairwise_distance if distance_function is None else distance_function
    return _triplet(op, anchor, positive, negative, dist, margin, swap, reduction)


def multilabel_soft_margin_loss(
    input: Any,  # noqa: A002 - PyTorch's name
    target: Any,
    weight: Any = None,
    size_average: Any = None,
    reduce: Any = None,  # noqa: A002 - PyTorch's name
    reduction: str = "mean",
) -> Tensor:
    """Per-class logistic loss ``-(y log sigmoid(x) + (1 - y) log sigmoid(-x))``, times
    ``weight``, averaged over the last (class) dimension: one value per sample. ``target`` and
    ``weight`` broadcast against ``input``, as PyTorch."""
    op = "multilabel_soft_margin_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    x, y = _tensor(input), _tensor(target)
    if x.ndim == 0:
        raise ValueError(f"{op}: input needs a class dimension, got a 0-d tensor")
    # -log sigmoid(x) = softplus(-x), -log sigmoid(-x) = softplus(x): stable for any x.
    loss = y * softplus(-x, threshold=np.inf) + (1 - y) * softplus(x, threshold=np.inf)
    if weight is not None:
        loss = loss * _tensor(weight)
    return _reduce(_sum(loss, axis=-1) / x.shape[-1], reduction)


def _class_target(op: str, x: Tensor, target: Any) -> tuple[Tensor, np.ndarray]:
    """(N, C) logits and int64 targets (N,); a (C,) input with a 0-d target as N = 1."""
    t = np.asarray(target._data if isinstance(target, Tensor) else target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must be an integer tensor of class indices, got {t.dtype}")
    if x.ndim not in (1, 2) or t.shape != x.shape[:1] * (x.ndim == 2):
        raise ValueError(
            f"{op}: needs input (N, C) with target (N,), or input (C,) with a 0-d target; "
            f"got {x.shape} and {t.shape}"
        )
    n_classes = x.shape[-1]
    flat = t.reshape(-1).astype(np.int64)
    bad = (flat < 0) | (flat >= n_classes)
    if bad.any():
        raise IndexError(
            f"{op}: target {int(flat[bad][0])} is out of range for {n_classes} classes"
        )
    return (x if x.ndim == 2 else x.reshape(1, -1)), flat


def multi_margin_loss(
    input: Any,  # noqa: A002 - PyTorch's name
    target: Any,
    p: int = 1,
    margin: float = 1.0,
    weight: Any = None,
    size_average: Any = None,
    reduce: Any = None,  # noqa: A002 - PyTorch's name
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge loss ``sum_{j != y} w_y max(0, margin - x_y + x_j)**p / C`` per sample,
    ``p`` 1 or 2; input (N, C) with target (N,), or (C,) with a 0-d target."""
    op = "multi_margin_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 are supported, got {p}")
    x = _floating(op, "input", _tensor(input))
    rows, y = _class_target(op, x, target)
    n, c = rows.shape
    x_y = gather(rows, 1, y.reshape(-1, 1))
    margins = relu(margin - x_y + rows)
    if p == 2:
        margins = margins * margins
    others = np.ones((n, c), dtype=x.dtype)
    others[np.arange(n), y] = 0
    margins = margins * others
    if weight is not None:
        w = _array(weight, x.dtype)
        if w.shape != (c,):
            raise ValueError(f"{op}: weight must have shape ({c},), got {w.shape}")
        margins = margins * w[y].reshape(-1, 1)
    loss = _sum(margins, axis=1) / c
    return _reduce(loss if x.ndim == 2 else loss.reshape(()), reduction)


def multilabel_margin_loss(
    input: Any,  # noqa: A002 - PyTorch's name
    target: Any,
    size_average: Any = None,
    reduce: Any = None,  # noqa: A002 - PyTorch's name
    reduction: str = "mean",
) -> Tensor:
    """Multi-label hinge loss ``sum_{j in y, k not in y} max(0, 1 - (x_j - x_k)) / C`` per
    sample. ``target`` (the input's shape, integers) lists each sample's classes, ended by the
    first -1; input (N, C) or (C,)."""
    op = "multilabel_margin_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    x = _floating(op, "input", _tensor(input))
    t = np.asarray(target._data if isinstance(target, Tensor) else target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must be an integer tensor, got {t.dtype}")
    if x.ndim not in (1, 2) or t.shape != x.shape:
        raise ValueError(
            f"{op}: needs input (N, C) or (C,) and a target of the same shape; got {x.shape} "
            f"and {t.shape}"
        )
    rows = x if x.ndim == 2 else x.reshape(1, -1)
    t = t.reshape(rows.shape).astype(np.int64)
    n, c = rows.shape
    if ((t < -1) | (t >= c)).any():
        raise IndexError(f"{op}: target values must be in [-1, {c - 1}]")
    # count[i, j]: how often class j is listed before sample i's first -1 (PyTorch counts a
    # repeated class each time); is_target[i, k]: k is listed at all.
    listed = np.cumprod(t >= 0, axis=1).astype(bool)
    count = np.zeros((n, c), dtype=x.dtype)
    rows_idx = np.nonzero(listed)[0]
    np.add.at(count, (rows_idx, t[listed]), 1)
    pair = count[:, :, None] * (count == 0)[:, None, :]  # (N, j, k)
    hinge = relu(1 - (unsqueeze(rows, 2) - unsqueeze(rows, 1)))
    loss = _sum(_sum(hinge * pair, axis=2), axis=1) / c
    return _reduce(loss if x.ndim == 2 else loss.reshape(()), reduction)
