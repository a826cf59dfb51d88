"""Connectionist temporal classification loss (``ctc_loss``), an op over the kernels of
``lucid.kernels.ctc``."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._graph import operation, unary_func_op
from lucid.kernels import ctc as K
from lucid.ops.loss import _check_reduction, _reduce, _tensor
from lucid.tensor import Tensor

__all__ = ["ctc_loss"]


class CtcLoss(operation):
    """l_b = -log p(target_b | lp[:, b]) summed over alignments (alpha-beta recursions);
    d l_b / d lp[t, b, c] = -(posterior occupancy of label c at time t).

    This is the derivative with respect to ``log_probs`` itself. PyTorch's backward returns it
    plus ``exp(log_probs)``, the gradient with respect to logits *before* a ``log_softmax``;
    through ``log_softmax`` the two agree exactly, which is how the loss is used.
    """

    def __init__(self, targets, input_lengths, target_lengths, blank, zero_infinity) -> None:
        self.targets, self.blank, self.zero_infinity = targets, blank, zero_infinity
        self.input_lengths, self.target_lengths = input_lengths, target_lengths

    @unary_func_op()
    def forward(self, lp: np.ndarray) -> np.ndarray:
        self.lp = lp
        nll, self.alpha = K.ctc_forward(
            lp, self.targets, self.input_lengths, self.target_lengths, self.blank
        )
        self.nll = nll
        if self.zero_infinity:
            nll = np.where(np.isinf(nll), 0.0, nll)
        return nll.astype(lp.dtype)

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        if isinstance(grad, Tensor):
            raise NotImplementedError("ctc_loss: higher-order gradients are not supported")
        d = K.ctc_backward(
            self.lp, self.targets, self.input_lengths, self.target_lengths, self.blank,
            self.nll, self.alpha,
        )  # fmt: skip
        return d * grad.reshape(1, -1, 1)


def _lengths(op: str, name: str, value: Any, n: int) -> np.ndarray:
    a = np.asarray(value._data if isinstance(value, Tensor) else value)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must be integers, got {a.dtype}")
    if a.size != n or a.ndim > 1:
        raise ValueError(f"{op}: {name} must hold one length per sample ({n}), got {a.shape}")
    return a.reshape(n).astype(np.int64)


def ctc_loss(
    log_probs: Any,
    targets: Any,
    input_lengths: Any,
    target_lengths: Any,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """CTC loss of ``log_probs`` (T, N, C) (or (T, C) for one sample), log-softmax outputs,
    against ``targets``: padded (N, S) or concatenated (sum(target_lengths),) class indices
    that never equal ``blank``. ``input_lengths`` and ``target_lengths`` hold one length per
    sample. ``"mean"`` divides each sample's loss by its target length (at least 1), then
    averages over the batch, as PyTorch; ``zero_infinity`` zeroes infinite losses (an input
    too short for its target) and their gradients.

    The gradient is the derivative with respect to ``log_probs`` (see ``CtcLoss``); no
    higher-order gradients.
    """
    op = "ctc_loss"
    _check_reduction(op, reduction)
    lp = _tensor(log_probs)
    if lp.dtype.kind != "f":
        raise TypeError(f"{op}: log_probs must be a floating-point tensor, got {lp.dtype}")
    if lp.ndim not in (2, 3):
        raise ValueError(f"{op}: log_probs must be (T, N, C) or (T, C), got {lp.shape}")
    unbatched = lp.ndim == 2
    if unbatched:
        lp = lp.reshape(lp.shape[0], 1, lp.shape[1])
    t_max, n, c = lp.shape
    if not 0 <= blank < c:
        raise IndexError(f"{op}: blank {blank} is out of range for {c} classes")
    in_lens = _lengths(op, "input_lengths", input_lengths, n)
    tgt_lens = _lengths(op, "target_lengths", target_lengths, n)
    if (in_lens < 0).any() or (in_lens > t_max).any():
        raise ValueError(f"{op}: input_lengths must be in [0, {t_max}], got {in_lens.tolist()}")
    if (tgt_lens < 0).any():
        raise ValueError(f"{op}: target_lengths must not be negative, got {tgt_lens.tolist()}")
    t = np.asarray(targets._data if isinstance(targets, Tensor) else targets)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: targets must be an integer tensor, got {t.dtype}")
    if unbatched:
        t = t.reshape(1, -1)
    if t.ndim == 1:  # concatenated: split into padded rows
        if t.size != tgt_lens.sum():
            raise ValueError(
                f"{op}: concatenated targets have {t.size} labels but target_lengths sum to "
                f"{int(tgt_lens.sum())}"
            )
        padded = np.zeros((n, int(tgt_lens.max(initial=0))), dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(tgt_lens)[:-1]))
        for b in range(n):
            padded[b, : tgt_lens[b]] = t[starts[b] : starts[b] + tgt_lens[b]]
        t = padded
    elif t.ndim != 2 or t.shape[0] != n:
        raise ValueError(f"{op}: targets must be (N, S) or 1-D, got {t.shape} for N = {n}")
    if (tgt_lens > t.shape[1]).any():
        raise ValueError(
            f"{op}: target_lengths {tgt_lens.tolist()} exceed the targets' length {t.shape[1]}"
        )
    t = t.astype(np.int64)
    used = np.arange(t.shape[1]) < tgt_lens[:, None]
    bad = used & ((t < 0) | (t >= c) | (t == blank))
    if bad.any():
        raise IndexError(
            f"{op}: target label {int(t[bad][0])} is out of range for {c} classes or is the "
            f"blank {blank}"
        )
    loss = CtcLoss(t, in_lens, tgt_lens, blank, zero_infinity)(lp)
    if reduction == "mean":
        loss = loss / np.maximum(tgt_lens, 1).astype(lp.dtype)
    if unbatched:
        loss = loss.reshape(())
    return _reduce(loss, reduction)
