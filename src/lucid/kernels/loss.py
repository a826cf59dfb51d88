"""Loss kernels: softmax, log-softmax and fused softmax-cross-entropy, stable for any logits."""

from __future__ import annotations

import math

import numpy as np

from lucid.kernels import _jit
from lucid.kernels._checks import float_array
from lucid.kernels._jit import REDUCE_FASTMATH, njit

# Crossovers: medians of repeated calls through these wrappers, NumPy path against JIT path,
# float32 and float64, 1..1024 rows of 2..10_000 classes (numpy 2.4, numba 0.68, the 2-core
# AVX-512 dev machine under load; a scratch script, not kept).
#
# softmax, log_softmax and log_softmax_backward make one exp per element: the loop wins 1.4-12x
# on short rows (up to 32 classes), where NumPy pays per-call costs on tiny reductions, and
# NumPy's SIMD exp wins from ~64 classes on (0.6-0.9x for the loop at 1e2-1e4 classes).
SOFTMAX_JIT_MAX_CLASSES = 32
# softmax_backward has no exp: the loop wins 1.2-3.4x at every shape measured. The fused
# cross-entropy forward and backward win 1.2-6x at nearly every shape (their references make
# several float64 passes); the exception, the float64 forward at 4e3-1e4 classes (0.6-0.8x),
# is outweighed by its backward (1.5-2.2x). So numba at every size for those three.

# Precision: row sums (of exp, of grad * out) accumulate in float64 in the references and the
# loops alike; the log-sum-exp that cross-entropy stashes for its backward is float64 too, so
# that logits - lse stays exact for logits of magnitude 1e4 in float32 (a float32 lse there
# has an ulp of 1e-3, which would cost every probability three digits).


# ---------------------------------------------------------------------------------------------
# Validation (wrappers only)


def _rows(name: str, x: np.ndarray) -> np.ndarray:
    """``x`` viewed as (rows, classes) along its last axis."""
    if x.ndim == 0:
        raise ValueError(f"{name}: x must have at least 1 dimension, got a 0-d array")
    return x.reshape(-1, x.shape[-1]) if x.shape[-1] else x.reshape(x.size, 0)


def _grad_like(name: str, grad: np.ndarray, out: np.ndarray) -> np.ndarray:
    grad = float_array(name, "grad", grad)
    if grad.shape != out.shape:
        raise ValueError(f"{name}: grad has shape {grad.shape} but out has shape {out.shape}")
    return grad.astype(out.dtype, copy=False)


# ---------------------------------------------------------------------------------------------
# softmax and log-softmax along the last axis


def _rowwise(name: str, x: np.ndarray, reference, kernel) -> np.ndarray:
    """Validate ``x``, then ``reference(x)``, or ``kernel(rows, out)`` on short rows.

    The forward wrappers' shared dispatch: a result of ``x``'s shape and dtype.
    """
    x = float_array(name, "x", x)
    rows = _rows(name, x)
    if x.size == 0:
        return np.empty(x.shape, x.dtype)
    if not _jit.JIT_ENABLED or rows.shape[1] > SOFTMAX_JIT_MAX_CLASSES:
        return reference(x)
    out = np.empty(rows.shape, x.dtype)
    kernel(np.ascontiguousarray(rows), out)
    return out.reshape(x.shape)


def _rowwise_backward(
    name: str,
    out: np.ndarray,
    grad: np.ndarray,
    reference,
    kernel,
    max_classes: float = SOFTMAX_JIT_MAX_CLASSES,
) -> np.ndarray:
    """Validate ``out`` and ``grad``, then ``reference(out, grad)``, or ``kernel(out_rows,
    grad_rows, dx)`` on rows of at most ``max_classes``; ``dx`` has ``out``'s shape and dtype."""
    out = float_array(name, "out", out)
    grad = _grad_like(name, grad, out)
    rows = _rows(name, out)
    if not _jit.JIT_ENABLED or rows.shape[1] > max_classes:
        return reference(out, grad)
    dx = np.empty(rows.shape, out.dtype)
    kernel(np.ascontiguousarray(rows), np.ascontiguousarray(grad).reshape(rows.shape), dx)
    return dx.reshape(out.shape)


@njit(fastmath=REDUCE_FASTMATH)
def _row_max(x, i):
    """The largest entry of row ``i`` of ``x`` (the shift that keeps every exp <= 1)."""
    top = x[i, 0]
    for j in range(1, x.shape[1]):
        top = max(top, x[i, j])
    return top


def softmax_ref(x: np.ndarray) -> np.ndarray:
    """exp(x - max) / sum(exp(x - max)) along the last axis; the sum in float64."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True, dtype=np.float64)).astype(x.dtype, copy=False)


@njit(fastmath=REDUCE_FASTMATH)
def softmax_jit(x, out):
    m, k = x.shape
    for i in range(m):
        top = _row_max(x, i)
        total = 0.0
        for j in range(k):
            e = math.exp(x[i, j] - top)
            out[i, j] = e
            total += e
        scale = 1.0 / total
        for j in range(k):
            out[i, j] *= scale


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax along the last axis, ``exp(x - max) / sum(exp(x - max))``; ``x``'s shape, dtype.

    Subtracting the row maximum keeps every exp in (0, 1]: finite for any finite logits.
    """
    return _rowwise("softmax", x, softmax_ref, softmax_jit)


def log_softmax_ref(x: np.ndarray) -> np.ndarray:
    """(x - max) - log(sum(exp(x - max))) along the last axis; the sum in float64."""
    shifted = x - x.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(axis=-1, keepdims=True, dtype=np.float64))
    return (shifted - lse).astype(x.dtype, copy=False)


@njit(fastmath=REDUCE_FASTMATH)
def log_softmax_jit(x, out):
    m, k = x.shape
    for i in range(m):
        top = _row_max(x, i)
        total = 0.0
        for j in range(k):
            total += math.exp(x[i, j] - top)
        log_total = math.log(total)
        for j in range(k):
            out[i, j] = (x[i, j] - top) - log_total


def log_softmax(x: np.ndarray) -> np.ndarray:
    """Log-softmax along the last axis, ``(x - max) - log(sum(exp(x - max)))``; ``x``'s dtype.

    Never ``log(softmax(x))``, which gives -inf once a probability underflows.
    """
    return _rowwise("log_softmax", x, log_softmax_ref, log_softmax_jit)


def softmax_backward_ref(out: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """out * (grad - sum(grad * out)) along the last axis; the sum in float64."""
    dot = (grad * out).sum(axis=-1, keepdims=True, dtype=np.float64)
    return (out * (grad - dot)).astype(out.dtype, copy=False)


@njit(fastmath=REDUCE_FASTMATH)
def softmax_backward_jit(out_fwd, grad, out):
    m, k = out_fwd.shape
    for i in range(m):
        dot = 0.0
        for j in range(k):
            dot += grad[i, j] * out_fwd[i, j]
        for j in range(k):
            out[i, j] = out_fwd[i, j] * (grad[i, j] - dot)


def softmax_backward(out: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Gradient of ``softmax`` from its output: ``out * (grad - sum(grad * out, -1))``."""
    # No exp in this loop: numba wins at every row length (see the top of the file).
    reference, kernel = softmax_backward_ref, softmax_backward_jit
    return _rowwise_backward("softmax_backward", out, grad, reference, kernel, math.inf)


def log_softmax_backward_ref(out: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """grad - exp(out) * sum(grad) along the last axis; the sum in float64."""
    total = grad.sum(axis=-1, keepdims=True, dtype=np.float64)
    return (grad - np.exp(out) * total).astype(out.dtype, copy=False)


@njit(fastmath=REDUCE_FASTMATH)
def log_softmax_backward_jit(out_fwd, grad, out):
    m, k = out_fwd.shape
    for i in range(m):
        total = 0.0
        for j in range(k):
            total += grad[i, j]
        for j in range(k):
            out[i, j] = grad[i, j] - math.exp(out_fwd[i, j]) * total


def log_softmax_backward(out: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Gradient of ``log_softmax`` from its output: ``grad - exp(out) * sum(grad, -1)``."""
    return _rowwise_backward(
        "log_softmax_backward", out, grad, log_softmax_backward_ref, log_softmax_backward_jit
    )


# ---------------------------------------------------------------------------------------------
# Fused softmax + cross-entropy
#
# PyTorch's semantics (F.cross_entropy with class-index targets), per sample i with target t,
# K classes, weights w (all ones when None), smoothing s and log-probabilities logp:
#   loss_i = (1 - s) * w[t] * (-logp[i, t]) + (s / K) * sum_c w[c] * (-logp[i, c])
# and loss_i = 0 where t == ignore_index. The smoothing term runs over every class, the
# ignored one included, each weighted by its own w[c]. reduction="sum" adds the loss_i;
# reduction="mean" divides that sum by sum(w[t_i]) over the non-ignored samples (their count
# without weights), for both terms alike; see cross_entropy_mean_divisor. When every sample
# is ignored that divisor is 0 and the mean is nan, as in PyTorch. The gradient, per sample:
#   dloss_i / dlogits[i, c] = (1 - s) * w[t] * (p[c] - [c == t]) + (s / K) * (W * p[c] - w[c])
# with p = softmax(logits[i]) and W = sum(w).


def _check_cross_entropy(
    name: str,
    logits: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray | None,
    ignore_index: int,
    label_smoothing: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated (logits, target as int64, weight as logits' dtype, ones when None)."""
    logits = float_array(name, "logits", logits)
    if logits.ndim != 2:
        raise ValueError(f"{name}: logits must be 2-D (samples, classes), got {logits.shape}")
    m, k = logits.shape
    if k == 0:
        raise ValueError(f"{name}: logits must have at least one class, got shape {logits.shape}")
    target = np.asarray(target)
    if not np.issubdtype(target.dtype, np.integer):
        raise TypeError(f"{name}: target must be an integer array, got {target.dtype}")
    if target.shape != (m,):
        raise ValueError(
            f"{name}: target must have shape ({m},) for logits of shape {logits.shape}, "
            f"got {target.shape}"
        )
    target = np.ascontiguousarray(target, dtype=np.int64)
    bad = (target != ignore_index) & ((target < 0) | (target >= k))
    if bad.any():
        raise IndexError(
            f"{name}: target {int(target[bad][0])} is out of bounds for {k} classes "
            f"(expected 0 <= target < {k}, or ignore_index={ignore_index})"
        )
    if weight is None:
        weight = np.ones(k, logits.dtype)
    else:
        weight = float_array(name, "weight", weight)
        if weight.shape != (k,):
            raise ValueError(f"{name}: weight must have shape ({k},), got {weight.shape}")
        weight = np.ascontiguousarray(weight, dtype=logits.dtype)
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    return logits, target, weight


def softmax_cross_entropy_forward_ref(
    logits: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray,
    ignore_index: int,
    label_smoothing: np.floating,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample loss (see above) and the float64 log-sum-exp of each row, in float64."""
    z = logits.astype(np.float64)
    top = z.max(axis=1)
    lse = top + np.log(np.exp(z - top[:, None]).sum(axis=1))
    neg_logp = lse[:, None] - z
    keep = target != ignore_index
    t = np.where(keep, target, 0)
    w = weight.astype(np.float64)
    nll = w[t] * neg_logp[np.arange(len(t)), t]
    smooth = (neg_logp * w).sum(axis=1) / logits.shape[1]
    loss = np.where(keep, (1 - label_smoothing) * nll + label_smoothing * smooth, 0)
    return loss.astype(logits.dtype), lse


@njit(fastmath=REDUCE_FASTMATH)
def softmax_cross_entropy_forward_jit(logits, target, weight, ignore_index, smoothing, loss, lse):
    m, k = logits.shape
    for i in range(m):
        top = np.float64(_row_max(logits, i))  # float64: logits - top below is exact
        total = 0.0
        for j in range(k):
            total += math.exp(logits[i, j] - top)
        row_lse = top + math.log(total)
        lse[i] = row_lse
        t = target[i]
        if t == ignore_index:
            loss[i] = 0
            continue
        value = (1.0 - smoothing) * weight[t] * (row_lse - logits[i, t])
        if smoothing != 0:
            spread = 0.0
            for j in range(k):
                spread += weight[j] * (row_lse - logits[i, j])
            value += smoothing * spread / k
        loss[i] = value


def softmax_cross_entropy_forward(
    logits: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Cross-entropy of ``softmax(logits)`` against class indices, one loss per sample.

    ``logits`` (M, K) float, ``target`` (M,) integers in [0, K) or ``ignore_index``, ``weight``
    (K,) or None. Returns ``(loss, lse)``: ``loss`` (M,) in ``logits``' dtype, by PyTorch's
    formula (comment above; 0 for ignored samples), and ``lse`` (M,) float64, the row
    log-sum-exp, to pass to the backward. The caller reduces: ``loss.sum()`` for "sum",
    ``loss.sum() / cross_entropy_mean_divisor(...)`` for "mean". Finite for any finite
    logits. IndexError names the first target out of range.
    """
    name = "softmax_cross_entropy_forward"
    logits, target, weight = _check_cross_entropy(
        name, logits, target, weight, ignore_index, label_smoothing
    )
    smoothing = logits.dtype.type(label_smoothing)
    if not _jit.JIT_ENABLED:
        return softmax_cross_entropy_forward_ref(logits, target, weight, ignore_index, smoothing)
    m = logits.shape[0]
    loss, lse = np.empty(m, logits.dtype), np.empty(m)
    softmax_cross_entropy_forward_jit(
        np.ascontiguousarray(logits), target, weight, ignore_index, smoothing, loss, lse
    )
    return loss, lse


def softmax_cross_entropy_backward_ref(
    grad: np.ndarray,
    logits: np.ndarray,
    lse: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray,
    ignore_index: int,
    label_smoothing: np.floating,
) -> np.ndarray:
    """grad_i * ((1 - s) w[t] (p - onehot(t)) + (s / K)(W p - w)), 0 for ignored; float64."""
    m, k = logits.shape
    p = np.exp(logits.astype(np.float64) - lse[:, None])
    keep = target != ignore_index
    t = np.where(keep, target, 0)
    w = weight.astype(np.float64)
    hit = (1 - label_smoothing) * w[t]
    d = hit[:, None] * p
    d[np.arange(m), t] -= hit
    d += (label_smoothing / k) * (w.sum() * p - w)
    return (d * np.where(keep, grad, 0)[:, None]).astype(logits.dtype)


@njit(fastmath=REDUCE_FASTMATH)
def softmax_cross_entropy_backward_jit(
    grad, logits, lse, target, weight, ignore_index, smoothing, out
):
    m, k = logits.shape
    weight_sum = 0.0
    for j in range(k):
        weight_sum += weight[j]
    spread = smoothing / k
    for i in range(m):
        t = target[i]
        if t == ignore_index:
            for j in range(k):
                out[i, j] = 0
            continue
        g = np.float64(grad[i])
        hit = (1.0 - smoothing) * weight[t]
        for j in range(k):
            p = math.exp(logits[i, j] - lse[i])
            out[i, j] = g * (hit * p + spread * (weight_sum * p - weight[j]))
        p = math.exp(logits[i, t] - lse[i])  # p - 1 rather than (hit * p) - hit: no cancel
        out[i, t] = g * (hit * (p - 1.0) + spread * (weight_sum * p - weight[t]))


def softmax_cross_entropy_backward(
    grad: np.ndarray,
    logits: np.ndarray,
    lse: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
) -> np.ndarray:
    """Gradient of the per-sample losses of ``softmax_cross_entropy_forward`` w.r.t. logits.

    ``grad`` (M,) is the upstream gradient of each sample's loss: ``g / divisor`` for
    reduction "mean", ``g`` for "sum", the (M,) upstream itself for "none". ``lse`` is the
    forward's float64 log-sum-exp. Returns (M, K) in ``logits``' dtype (formula in the comment
    above; zero rows for ignored samples).
    """
    name = "softmax_cross_entropy_backward"
    logits, target, weight = _check_cross_entropy(
        name, logits, target, weight, ignore_index, label_smoothing
    )
    m = logits.shape[0]
    grad = float_array(name, "grad", grad)
    lse = float_array(name, "lse", lse)
    if grad.shape != (m,) or lse.shape != (m,):
        raise ValueError(
            f"{name}: grad and lse must have shape ({m},), got {grad.shape} and {lse.shape}"
        )
    smoothing = logits.dtype.type(label_smoothing)
    if not _jit.JIT_ENABLED:
        return softmax_cross_entropy_backward_ref(
            grad, logits, lse, target, weight, ignore_index, smoothing
        )
    out = np.empty(logits.shape, logits.dtype)
    softmax_cross_entropy_backward_jit(
        np.ascontiguousarray(grad),
        np.ascontiguousarray(logits),
        np.ascontiguousarray(lse, dtype=np.float64),
        target,
        weight,
        ignore_index,
        smoothing,
        out,
    )
    return out


def cross_entropy_mean_divisor(
    target: np.ndarray, weight: np.ndarray | None = None, ignore_index: int = -100
) -> float:
    """The divisor of PyTorch's reduction="mean": ``sum(weight[t])`` over non-ignored targets.

    Without ``weight`` it is the number of non-ignored samples. Targets must already be
    valid (as checked by the forward).
    """
    target = np.asarray(target)
    kept = target[target != ignore_index]
    if weight is None:
        return float(kept.size)
    return float(np.asarray(weight, dtype=np.float64)[kept].sum())
