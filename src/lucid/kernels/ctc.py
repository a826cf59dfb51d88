"""CTC kernels: the forward (alpha) and backward (beta) recursions of connectionist temporal
classification in log space, per sample, over the label sequence with blanks between labels.

Arrays: ``lp`` (T, N, C) log-probabilities, ``targets`` (N, S) int64 padded labels,
``input_lengths`` and ``target_lengths`` (N,) int64. The extended label sequence of sample b
is ``blank, l1, blank, l2, ..., blank`` (2 S_b + 1 states); a state may be entered from
itself, the one before, or, for a label differing from the label two states back, from
there (skipping a blank).
"""

from __future__ import annotations

import math

import numpy as np

from lucid.kernels import _jit
from lucid.kernels._jit import njit

_NEG_INF = -np.inf

# No crossover: the references loop over samples and time steps in Python, and the compiled
# loops beat them at every size measured (numba 0.68, this 2-core machine, float64, a scratch
# script): forward 55x / backward 59x at T=10, N=2, C=5, S=3; 48x / 44x at T=50, N=8, C=20,
# S=10; 8x / 5x at T=200, N=16, C=30, S=40. So numba whenever it is enabled.


def _extended(labels: np.ndarray, blank: int) -> tuple[np.ndarray, np.ndarray]:
    """The extended label sequence and, per state, whether it may skip the state before."""
    ext = np.full(2 * labels.size + 1, blank, dtype=np.int64)
    ext[1::2] = labels
    skip = np.zeros(ext.size, dtype=bool)
    skip[2:] = (ext[2:] != blank) & (ext[2:] != ext[:-2])
    return ext, skip


def _logsumexp3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    m = np.maximum(np.maximum(a, b), c)
    finite = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = finite + np.log(np.exp(a - finite) + np.exp(b - finite) + np.exp(c - finite))
    return np.where(np.isfinite(m), out, m)


def ctc_forward_ref(
    lp: np.ndarray,
    targets: np.ndarray,
    input_lengths: np.ndarray,
    target_lengths: np.ndarray,
    blank: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample negative log-likelihood (N,) and log-alphas (N, T, 2 S + 1), float64."""
    t_max, n, _ = lp.shape
    states = 2 * targets.shape[1] + 1
    alpha = np.full((n, t_max, states), _NEG_INF)
    nll = np.empty(n)
    for b in range(n):
        t_b, s_b = int(input_lengths[b]), int(target_lengths[b])
        ext, skip = _extended(targets[b, :s_b], blank)
        n_states = ext.size
        if t_b == 0:
            nll[b] = 0.0 if n_states == 1 else np.inf
            continue
        a = alpha[b]
        a[0, 0] = lp[0, b, blank]
        if n_states > 1:
            a[0, 1] = lp[0, b, ext[1]]
        for t in range(1, t_b):
            prev = a[t - 1, :n_states]
            one = np.concatenate(([_NEG_INF], prev[:-1]))
            two = np.where(skip, np.concatenate(([_NEG_INF, _NEG_INF], prev[:-2])), _NEG_INF)
            a[t, :n_states] = _logsumexp3(prev, one, two[:n_states]) + lp[t, b, ext]
        last = a[t_b - 1, n_states - 1]
        second = a[t_b - 1, n_states - 2] if n_states > 1 else _NEG_INF
        nll[b] = -np.logaddexp(last, second)
    return nll, alpha


def ctc_backward_ref(
    lp: np.ndarray,
    targets: np.ndarray,
    input_lengths: np.ndarray,
    target_lengths: np.ndarray,
    blank: int,
    nll: np.ndarray,
    alpha: np.ndarray,
) -> np.ndarray:
    """d nll_b / d lp[t, b, c] (T, N, C) in ``lp``'s dtype: minus the posterior occupancy of
    the states labelled c at time t, ``exp(alpha + beta - lp + nll)`` summed over them; 0 past
    each input length and for samples whose likelihood is 0 (infinite nll)."""
    t_max, n, c = lp.shape
    grad = np.zeros((t_max, n, c))
    for b in range(n):
        t_b, s_b = int(input_lengths[b]), int(target_lengths[b])
        if t_b == 0 or not np.isfinite(nll[b]):
            continue
        ext, skip = _extended(targets[b, :s_b], blank)
        n_states = ext.size
        beta = np.full((t_b, n_states), _NEG_INF)
        beta[t_b - 1, n_states - 1] = lp[t_b - 1, b, ext[-1]]
        if n_states > 1:
            beta[t_b - 1, n_states - 2] = lp[t_b - 1, b, ext[-2]]
        # state s may move on to s + 2 when s + 2 may skip back to s
        skip_ahead = np.concatenate((skip[2:], [False, False]))[:n_states]
        for t in range(t_b - 2, -1, -1):
            nxt = beta[t + 1]
            one = np.concatenate((nxt[1:], [_NEG_INF]))
            two = np.concatenate((nxt[2:], [_NEG_INF, _NEG_INF]))[:n_states]
            two = np.where(skip_ahead, two, _NEG_INF)
            beta[t] = _logsumexp3(nxt, one, two) + lp[t, b, ext]
        emitted = lp[:t_b, b, :][:, ext]
        with np.errstate(invalid="ignore"):
            occupancy = np.exp(alpha[b, :t_b, :n_states] + beta - emitted + nll[b])
        occupancy = np.nan_to_num(occupancy)
        for s in range(n_states):
            grad[:t_b, b, ext[s]] -= occupancy[:, s]
    return grad.astype(lp.dtype, copy=False)


@njit
def _lse(a, b):
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    m = max(a, b)
    return m + math.log(math.exp(a - m) + math.exp(b - m))


@njit
def ctc_forward_jit(lp, targets, input_lengths, target_lengths, blank, nll, alpha):
    n = lp.shape[1]
    for b in range(n):
        t_b = input_lengths[b]
        n_states = 2 * target_lengths[b] + 1
        if t_b == 0:
            nll[b] = 0.0 if n_states == 1 else math.inf
            continue
        alpha[b, 0, 0] = lp[0, b, blank]
        if n_states > 1:
            alpha[b, 0, 1] = lp[0, b, targets[b, 0]]
        for t in range(1, t_b):
            for s in range(n_states):
                label = blank if s % 2 == 0 else targets[b, s // 2]
                v = alpha[b, t - 1, s]
                if s >= 1:
                    v = _lse(v, alpha[b, t - 1, s - 1])
                if s >= 2 and label != blank and label != targets[b, s // 2 - 1]:
                    v = _lse(v, alpha[b, t - 1, s - 2])
                alpha[b, t, s] = v + lp[t, b, label] if v != -math.inf else -math.inf
        v = alpha[b, t_b - 1, n_states - 1]
        if n_states > 1:
            v = _lse(v, alpha[b, t_b - 1, n_states - 2])
        nll[b] = -v


@njit
def ctc_backward_jit(lp, targets, input_lengths, target_lengths, blank, nll, alpha, beta, grad):
    n = lp.shape[1]
    for b in range(n):
        t_b = input_lengths[b]
        n_states = 2 * target_lengths[b] + 1
        if t_b == 0 or nll[b] == math.inf:
            continue
        for t in range(t_b - 1, -1, -1):
            for s in range(n_states):
                label = blank if s % 2 == 0 else targets[b, s // 2]
                if t == t_b - 1:
                    v = lp[t, b, label] if s >= n_states - 2 else -math.inf
                else:
                    v = beta[t + 1, s]
                    if s + 1 < n_states:
                        v = _lse(v, beta[t + 1, s + 1])
                    if s + 2 < n_states:
                        ahead = targets[b, s // 2 + 1] if s % 2 == 1 else blank
                        if ahead != blank and ahead != label:
                            v = _lse(v, beta[t + 1, s + 2])
                    v = v + lp[t, b, label] if v != -math.inf else -math.inf
                beta[t, s] = v
                ab = alpha[b, t, s] + v
                if ab != -math.inf:
                    grad[t, b, label] -= math.exp(ab - lp[t, b, label] + nll[b])


def ctc_forward(
    lp: np.ndarray,
    targets: np.ndarray,
    input_lengths: np.ndarray,
    target_lengths: np.ndarray,
    blank: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample CTC negative log-likelihood (N,) and the log-alphas for the backward, both
    float64 (the recursion accumulates in float64 for float32 inputs too)."""
    if not _jit.JIT_ENABLED:
        return ctc_forward_ref(lp, targets, input_lengths, target_lengths, blank)
    t_max, n, _ = lp.shape
    nll = np.empty(n)
    alpha = np.full((n, t_max, 2 * targets.shape[1] + 1), _NEG_INF)
    ctc_forward_jit(
        np.ascontiguousarray(lp, dtype=np.float64), np.ascontiguousarray(targets),
        input_lengths, target_lengths, blank, nll, alpha,
    )  # fmt: skip
    return nll, alpha


def ctc_backward(
    lp: np.ndarray,
    targets: np.ndarray,
    input_lengths: np.ndarray,
    target_lengths: np.ndarray,
    blank: int,
    nll: np.ndarray,
    alpha: np.ndarray,
) -> np.ndarray:
    """d nll / d lp, (T, N, C) in ``lp``'s dtype (see ``ctc_backward_ref``)."""
    if not _jit.JIT_ENABLED:
        return ctc_backward_ref(lp, targets, input_lengths, target_lengths, blank, nll, alpha)
    t_max, n, c = lp.shape
    grad = np.zeros((t_max, n, c))
    beta = np.full((t_max, alpha.shape[2]), _NEG_INF)
    ctc_backward_jit(
        np.ascontiguousarray(lp, dtype=np.float64), np.ascontiguousarray(targets),
        input_lengths, target_lengths, blank, nll, alpha, beta, grad,
    )  # fmt: skip
    return grad.astype(lp.dtype, copy=False)
