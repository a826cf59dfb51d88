"""Normalisation kernels: fused layer, batch and group norm, with statistics in float64."""

from __future__ import annotations

import math

import numpy as np

from lucid.kernels import _jit
from lucid.kernels._checks import float_array
from lucid.kernels._jit import REDUCE_FASTMATH, njit

# Dispatch: numba at every size. Measured through these wrappers (medians of repeated calls,
# numpy 2.4, numba 0.68, the 2-core AVX-512 dev machine under load), the loops beat the NumPy
# references 4-11x for layer norm from 4x16 to 2048x768, and for batch norm 2-13x when L > 1,
# 1.1-2.7x for BatchNorm1d shapes (L = 1), 1-5x for the inference pass.

# Precision: means, variances and the sums of the backward accumulate in float64 in both the
# references and the loops (a float32 sum over 1e5 elements loses ~3 digits; the variance is
# the two-pass sum of squared deviations, never E[x^2] - E[x]^2, which cancels). mean, var and
# rstd are returned in the input's dtype, as PyTorch does.
#
# The loops use error_model="numpy": with eps = 0 a constant row gives rstd = inf as in NumPy
# instead of a ZeroDivisionError raised from inside the loop.


# ---------------------------------------------------------------------------------------------
# Validation (wrappers only)


def _float_nd(name: str, arg: str, a: np.ndarray, ndim: int, layout: str) -> np.ndarray:
    """``a`` checked to be a float32/float64 array of ``ndim`` axes (``layout`` names them)."""
    a = float_array(name, arg, a)
    if a.ndim != ndim:
        raise ValueError(f"{name}: {arg} must be {ndim}-D {layout}, got shape {a.shape}")
    return a


def _vector(name: str, arg: str, a: np.ndarray | None, length: int, like: np.ndarray):
    """``a`` (or None) checked to have shape (length,) and cast to ``like``'s dtype."""
    if a is None:
        return None
    a = np.asarray(a)
    if a.shape != (length,):
        raise ValueError(f"{name}: {arg} must have shape ({length},), got {a.shape}")
    return float_array(name, arg, a).astype(like.dtype, copy=False)


def _affine(name: str, weight, bias, length: int, x: np.ndarray) -> tuple:
    """``weight`` and ``bias`` (each may be None) checked by ``_vector``."""
    return _vector(name, "weight", weight, length, x), _vector(name, "bias", bias, length, x)


def _same_shape(name: str, arg: str, a: np.ndarray, x: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if a.shape != x.shape:
        raise ValueError(f"{name}: {arg} has shape {a.shape} but x has shape {x.shape}")
    return float_array(name, arg, a).astype(x.dtype, copy=False)


def _eps(name: str, eps: float, x: np.ndarray) -> np.floating:
    """``eps`` checked to be >= 0 and cast to ``x``'s dtype, as the loops take it."""
    if not eps >= 0:
        raise ValueError(f"{name}: eps must be >= 0, got {eps}")
    return x.dtype.type(eps)


def _c(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a)


def _loop_affine(weight, bias, length: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """``weight`` and ``bias`` as the loops take them: contiguous, ones and zeros for None."""
    weight = np.ones(length, dtype) if weight is None else _c(weight)
    bias = np.zeros(length, dtype) if bias is None else _c(bias)
    return weight, bias


def _backward_jit(kernel, grad, x, mean, rstd, weight, length: int) -> tuple:
    """Run a fused norm backward ``kernel`` and return ``(dx, dweight, dbias)`` in x's dtype.

    ``dweight`` and ``dbias`` are summed into zeroed float64 (length,) accumulators and left
    out (None) when ``weight`` is None, as the references do.
    """
    dx = np.empty(x.shape, x.dtype)
    dweight, dbias = np.zeros(length), np.zeros(length)
    w = np.ones(length, x.dtype) if weight is None else _c(weight)
    kernel(_c(grad), _c(x), _c(mean), _c(rstd), w, dx, dweight, dbias)
    if weight is None:
        return dx, None, None
    return dx, dweight.astype(x.dtype), dbias.astype(x.dtype)


# ---------------------------------------------------------------------------------------------
# Layer norm over the last axis of (M, N)


def layer_norm_forward_ref(
    x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None, eps: np.floating
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x - mean) / sqrt(var + eps) * weight + bias per row, all in float64."""
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=1)
    centred = x64 - mean[:, None]
    rstd = 1 / np.sqrt((centred * centred).mean(axis=1) + eps)
    y = centred * rstd[:, None]
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y.astype(x.dtype), mean.astype(x.dtype), rstd.astype(x.dtype)


@njit(fastmath=REDUCE_FASTMATH, error_model="numpy")
def layer_norm_forward_jit(x, weight, bias, eps, y, mean, rstd):
    m, n = x.shape
    for i in range(m):
        total = 0.0  # float64 accumulators, whatever x's dtype
        for j in range(n):
            total += x[i, j]
        mu = total / n
        squares = 0.0
        for j in range(n):
            d = x[i, j] - mu
            squares += d * d
        r = 1.0 / math.sqrt(squares / n + eps)
        for j in range(n):
            y[i, j] = (x[i, j] - mu) * r * weight[j] + bias[j]
        mean[i] = mu
        rstd[i] = r


def layer_norm_forward(
    x: np.ndarray,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Layer norm of each row of ``x`` (M, N): ``y = (x - mean) * rstd * weight + bias``.

    Returns ``(y, mean, rstd)``: ``y`` (M, N), ``mean`` and ``rstd = 1 / sqrt(var + eps)``
    (M,), all in ``x``'s dtype; ``var`` is biased (divides by N), as PyTorch. ``weight`` and
    ``bias`` have shape (N,) or are None. For a normalised shape of several axes, reshape
    to (M, N) first.
    """
    name = "layer_norm_forward"
    x = _float_nd(name, "x", x, 2, "(M, N)")
    if x.shape[1] == 0:
        raise ValueError(f"{name}: cannot normalise over an empty axis, x has shape {x.shape}")
    m, n = x.shape
    weight, bias = _affine(name, weight, bias, n, x)
    eps = _eps(name, eps, x)
    if not _jit.JIT_ENABLED:
        return layer_norm_forward_ref(x, weight, bias, eps)
    y = np.empty((m, n), x.dtype)
    mean, rstd = np.empty(m, x.dtype), np.empty(m, x.dtype)
    weight, bias = _loop_affine(weight, bias, n, x.dtype)
    layer_norm_forward_jit(_c(x), weight, bias, eps, y, mean, rstd)
    return y, mean, rstd


def layer_norm_backward_ref(
    grad: np.ndarray,
    x: np.ndarray,
    mean: np.ndarray,
    rstd: np.ndarray,
    weight: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = grad * weight; float64."""
    g64 = grad.astype(np.float64)
    r = rstd.astype(np.float64)[:, None]
    xhat = (x.astype(np.float64) - mean.astype(np.float64)[:, None]) * r
    g = g64 if weight is None else g64 * weight
    dx = r * (g - g.mean(axis=1, keepdims=True) - xhat * (g * xhat).mean(axis=1, keepdims=True))
    if weight is None:
        return dx.astype(x.dtype), None, None
    dweight, dbias = (g64 * xhat).sum(axis=0), g64.sum(axis=0)
    return dx.astype(x.dtype), dweight.astype(x.dtype), dbias.astype(x.dtype)


@njit(fastmath=REDUCE_FASTMATH, error_model="numpy")
def layer_norm_backward_jit(grad, x, mean, rstd, weight, dx, dweight, dbias):
    # dweight, dbias: zeroed float64 accumulators, summed over the rows.
    m, n = x.shape
    for i in range(m):
        mu, r = np.float64(mean[i]), np.float64(rstd[i])
        sum_g = 0.0
        sum_g_xhat = 0.0
        for j in range(n):
            xhat = (x[i, j] - mu) * r
            g = grad[i, j] * weight[j]
            sum_g += g
            sum_g_xhat += g * xhat
            dweight[j] += grad[i, j] * xhat
            dbias[j] += grad[i, j]
        mean_g, mean_g_xhat = sum_g / n, sum_g_xhat / n
        for j in range(n):
            xhat = (x[i, j] - mu) * r
            dx[i, j] = r * (grad[i, j] * weight[j] - mean_g - xhat * mean_g_xhat)


def layer_norm_backward(
    grad: np.ndarray,
    x: np.ndarray,
    mean: np.ndarray,
    rstd: np.ndarray,
    weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Gradients of ``layer_norm_forward`` given its ``mean`` and ``rstd``.

    Returns ``(dx, dweight, dbias)``: ``dx`` (M, N) and ``dweight = sum_rows(grad * xhat)``,
    ``dbias = sum_rows(grad)`` (N,), in ``x``'s dtype; the last two are None when ``weight``
    is None (a caller with a bias but no weight takes ``grad.sum(0)`` itself).
    """
    name = "layer_norm_backward"
    x = _float_nd(name, "x", x, 2, "(M, N)")
    grad = _same_shape(name, "grad", grad, x)
    m, n = x.shape
    mean = _vector(name, "mean", mean, m, x)
    rstd = _vector(name, "rstd", rstd, m, x)
    weight = _vector(name, "weight", weight, n, x)
    if n == 0:
        raise ValueError(f"{name}: cannot normalise over an empty axis, x has shape {x.shape}")
    if not _jit.JIT_ENABLED:
        return layer_norm_backward_ref(grad, x, mean, rstd, weight)
    return _backward_jit(layer_norm_backward_jit, grad, x, mean, rstd, weight, n)


# ---------------------------------------------------------------------------------------------
# Batch norm over axes 0 and 2 of (N, C, L)


def _check_batch(name: str, x: np.ndarray) -> None:
    if x.shape[0] * x.shape[2] < 2:
        raise ValueError(
            f"{name}: expected more than 1 value per channel when training, got input shape "
            f"{x.shape} (N * L = {x.shape[0] * x.shape[2]})"
        )


def batch_norm_forward_ref(
    x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None, eps: np.floating
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c, statistics over (N, L), float64."""
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=(0, 2))
    centred = x64 - mean[:, None]
    var = (centred * centred).mean(axis=(0, 2))
    rstd = 1 / np.sqrt(var + eps)
    y = centred * rstd[:, None]
    if weight is not None:
        y = y * weight[:, None]
    if bias is not None:
        y = y + bias[:, None]
    dtype = x.dtype
    return y.astype(dtype), mean.astype(dtype), var.astype(dtype), rstd.astype(dtype)


@njit(fastmath=REDUCE_FASTMATH, error_model="numpy")
def batch_norm_forward_jit(x, weight, bias, eps, y, mean, var, rstd):
    # mean, var, rstd: zeroed float64 (C,). Every pass walks x in memory order.
    n, c, length = x.shape
    count = n * length
    for i in range(n):
        for k in range(c):
            total = 0.0
            for j in range(length):
                total += x[i, k, j]
            mean[k] += total
    for k in range(c):
        mean[k] /= count
    for i in range(n):
        for k in range(c):
            mu = mean[k]
            squares = 0.0
            for j in range(length):
                d = x[i, k, j] - mu
                squares += d * d
            var[k] += squares
    for k in range(c):
        var[k] /= count
        rstd[k] = 1.0 / math.sqrt(var[k] + eps)
    for i in range(n):
        for k in range(c):
            mu, scale, shift = mean[k], rstd[k] * weight[k], bias[k]
            for j in range(length):
                y[i, k, j] = (x[i, k, j] - mu) * scale + shift


def batch_norm_forward(
    x: np.ndarray,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training-mode batch norm of ``x`` (N, C, L) over axes 0 and 2, per channel.

    ``y = (x - mean) * rstd * weight + bias`` with ``rstd = 1 / sqrt(var + eps)``. Returns
    ``(y, mean, var, rstd)``: ``y`` (N, C, L) and three (C,) arrays, in ``x``'s dtype. ``var``
    is the biased variance used to normalise; PyTorch's running_var update uses the unbiased
    one, ``var * count / (count - 1)`` with ``count = N * L``. BatchNorm1d on (N, C) is L = 1,
    BatchNorm2d on (N, C, H, W) is L = H * W (a reshape, no copy). Raises ValueError for a
    single value per channel, as PyTorch does.
    """
    name = "batch_norm_forward"
    x = _float_nd(name, "x", x, 3, "(N, C, L)")
    _check_batch(name, x)
    c = x.shape[1]
    weight, bias = _affine(name, weight, bias, c, x)
    eps = _eps(name, eps, x)
    if not _jit.JIT_ENABLED:
        return batch_norm_forward_ref(x, weight, bias, eps)
    y = np.empty(x.shape, x.dtype)
    mean, var, rstd = np.zeros(c), np.zeros(c), np.zeros(c)
    weight, bias = _loop_affine(weight, bias, c, x.dtype)
    batch_norm_forward_jit(_c(x), weight, bias, eps, y, mean, var, rstd)
    return y, mean.astype(x.dtype), var.astype(x.dtype), rstd.astype(x.dtype)


def batch_norm_backward_ref(
    grad: np.ndarray,
    x: np.ndarray,
    mean: np.ndarray,
    rstd: np.ndarray,
    weight: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """dx = weight * rstd * (g - mean(g) - xhat * mean(g * xhat)), means over (N, L); float64."""
    g = grad.astype(np.float64)
    r = rstd.astype(np.float64)[:, None]
    xhat = (x.astype(np.float64) - mean.astype(np.float64)[:, None]) * r
    count = x.shape[0] * x.shape[2]
    dbias, dweight = g.sum(axis=(0, 2)), (g * xhat).sum(axis=(0, 2))
    scale = r if weight is None else weight[:, None] * r
    dx = scale * (g - dbias[:, None] / count - xhat * (dweight[:, None] / count))
    if weight is None:
        return dx.astype(x.dtype), None, None
    return dx.astype(x.dtype), dweight.astype(x.dtype), dbias.astype(x.dtype)


@njit(fastmath=REDUCE_FASTMATH, error_model="numpy")
def batch_norm_backward_jit(grad, x, mean, rstd, weight, dx, dweight, dbias):
    # dweight, dbias: zeroed float64 (C,) accumulators of sum(grad * xhat) and sum(grad).
    n, c, length = x.shape
    count = n * length
    for i in range(n):
        for k in range(c):
            mu, r = np.float64(mean[k]), np.float64(rstd[k])
            sum_g = 0.0
            sum_g_xhat = 0.0
            for j in range(length):
                sum_g += grad[i, k, j]
                sum_g_xhat += grad[i, k, j] * ((x[i, k, j] - mu) * r)
            dbias[k] += sum_g
            dweight[k] += sum_g_xhat
    for i in range(n):
        for k in range(c):
            mu, r = np.float64(mean[k]), np.float64(rstd[k])
            scale = weight[k] * r
            mean_g, mean_g_xhat = dbias[k] / count, dweight[k] / count
            for j in range(length):
                xhat = (x[i, k, j] - mu) * r
                dx[i, k, j] = scale * (grad[i, k, j] - mean_g - xhat * mean_g_xhat)


def batch_norm_backward(
    grad: np.ndarray,
    x: np.ndarray,
    mean: np.ndarray,
    rstd: np.ndarray,
    weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Gradients of training-mode ``batch_norm_forward`` given its ``mean`` and ``rstd``.

    Returns ``(dx, dweight, dbias)``: ``dx`` (N, C, L); ``dweight = sum(grad * xhat)`` and
    ``dbias = sum(grad)`` over axes 0 and 2, (C,); all in ``x``'s dtype. The last two are None
    when ``weight`` is None (a caller with a bias but no weight takes ``grad.sum((0, 2))``).
    """
    name = "batch_norm_backward"
    x = _float_nd(name, "x", x, 3, "(N, C, L)")
    grad = _same_shape(name, "grad", grad, x)
    c = x.shape[1]
    mean = _vector(name, "mean", mean, c, x)
    rstd = _vector(name, "rstd", rstd, c, x)
    weight = _vector(name, "weight", weight, c, x)
    _check_batch(name, x)
    if not _jit.JIT_ENABLED:
        return batch_norm_backward_ref(grad, x, mean, rstd, weight)
    return _backward_jit(batch_norm_backward_jit, grad, x, mean, rstd, weight, c)


def batch_norm_inference_ref(
    x: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    weight: np.ndarray | None,
    bias: np.ndarray | None,
    eps: np.floating,
) -> np.ndarray:
    """(x - running_mean) / sqrt(running_var + eps) * weight + bias, per channel, in float64."""
    scale = 1 / np.sqrt(running_var.astype(np.float64) + eps)
    if weight is not None:
        scale = scale * weight
    y = (x.astype(np.float64) - running_mean[:, None]) * scale[:, None]
    if bias is not None:
        y = y + bias[:, None]
    return y.astype(x.dtype)


@njit
def batch_norm_inference_jit(x, running_mean, scale, bias, y):
    n, c, length = x.shape
    for i in range(n):
        for k in range(c):
            mu, s, b = running_mean[k], scale[k], bias[k]
            for j in range(length):
                y[i, k, j] = (x[i, k, j] - mu) * s + b


def batch_norm_inference(
    x: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    """Eval-mode batch norm of ``x`` (N, C, L) with fixed per-channel statistics.

    ``y = (x - running_mean) / sqrt(running_var + eps) * weight + bias``; (N, C, L) in ``x``'s
    dtype. The statistics are constants, so the backward is an affine map the caller writes in
    NumPy: with ``scale = weight / sqrt(running_var + eps)`` (weight = 1 when None),
    ``dx = grad * scale[:, None]``, ``dweight = sum(grad * (x - running_mean) /
    sqrt(running_var + eps))`` and ``dbias = sum(grad)``, sums over axes 0 and 2.
    """
    name = "batch_norm_inference"
    x = _float_nd(name, "x", x, 3, "(N, C, L)")
    c = x.shape[1]
    running_mean = _vector(name, "running_mean", running_mean, c, x)
    running_var = _vector(name, "running_var", running_var, c, x)
    weight, bias = _affine(name, weight, bias, c, x)
    eps = _eps(name, eps, x)
    if not _jit.JIT_ENABLED:
        return batch_norm_inference_ref(x, running_mean, running_var, weight, bias, eps)
    # Per-channel factors in float64 (C values); the loop is then one fused pass over x.
    scale = 1 / np.sqrt(running_var.astype(np.float64) + eps)
    if weight is not None:
        scale = scale * weight
    shift = np.zeros(c) if bias is None else bias.astype(np.float64)
    y = np.empty(x.shape, x.dtype)
    batch_norm_inference_jit(_c(x), running_mean.astype(np.float64), scale, shift, y)
    return y


# ---------------------------------------------------------------------------------------------
# Group norm: layer norm of each (sample, group) block, then a per-channel affine


def group_norm_forward(
    x: np.ndarray,
    num_groups: int,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group norm of ``x`` (N, C, L): each sample's channels split into ``num_groups`` groups.

    ``y = (x - mean_ng) * rstd_ng * weight_c + bias_c``; returns ``(y, mean, rstd)`` with
    ``mean``, ``rstd`` of shape (N, num_groups), in ``x``'s dtype, as ``F.group_norm``. Built
    on ``layer_norm_forward`` of the (N * G, C / G * L) view, so it dispatches as that does.
    """
    name = "group_norm_forward"
    x = _float_nd(name, "x", x, 3, "(N, C, L)")
    n, c, length = x.shape
    if num_groups < 1 or c % num_groups:
        raise ValueError(f"{name}: {c} channels cannot be split into {num_groups} groups")
    weight, bias = _affine(name, weight, bias, c, x)
    eps = _eps(name, eps, x)
    rows = x.reshape(n * num_groups, (c // num_groups) * length)
    y, mean, rstd = layer_norm_forward(rows, None, None, eps)
    y = y.reshape(x.shape)
    if weight is not None:
        y *= weight[:, None]
    if bias is not None:
        y += bias[:, None]
    return y, mean.reshape(n, num_groups), rstd.reshape(n, num_groups)


def group_norm_backward(
    grad: np.ndarray,
    x: np.ndarray,
    mean: np.ndarray,
    rstd: np.ndarray,
    weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Gradients of ``group_norm_forward`` given its (N, G) ``mean`` and ``rstd``.

    Returns ``(dx, dweight, dbias)`` like ``batch_norm_backward`` (per-channel sums over axes 0
    and 2, in float64, then cast; None without ``weight``). The per-channel weight is folded
    into the upstream gradient, and ``layer_norm_backward`` does the rest.
    """
    name = "group_norm_backward"
    x = _float_nd(name, "x", x, 3, "(N, C, L)")
    grad = _same_shape(name, "grad", grad, x)
    n, c, length = x.shape
    mean, rstd = np.asarray(mean), np.asarray(rstd)
    if mean.ndim != 2 or mean.shape[0] != n or mean.shape != rstd.shape or c % mean.shape[1]:
        raise ValueError(
            f"{name}: mean and rstd must have shape (N, G) = ({n}, G) with G dividing {c}, "
            f"got {mean.shape} and {rstd.shape}"
        )
    weight = _vector(name, "weight", weight, c, x)
    rows = (n * mean.shape[1], c // mean.shape[1] * length)
    g = grad if weight is None else grad * weight[:, None]
    dx, _, _ = layer_norm_backward(g.reshape(rows), x.reshape(rows), mean.ravel(), rstd.ravel())
    dx = dx.reshape(x.shape)
    if weight is None:
        return dx, None, None
    xhat = (x.reshape(rows) - mean.reshape(-1, 1)) * rstd.reshape(-1, 1)
    dweight = (grad * xhat.reshape(x.shape)).sum(axis=(0, 2), dtype=np.float64)
    dbias = grad.sum(axis=(0, 2), dtype=np.float64)
    return dx, dweight.astype(x.dtype), dbias.astype(x.dtype)
