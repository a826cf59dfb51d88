"""In-place optimizer updates: SGD, Adam/AdamW, RMSprop, Adagrad, NAdam, RAdam (fused loops);
Adadelta, Adamax and ASGD (NumPy only, at the end).

Each update follows the single-tensor code path of ``torch.optim`` step for step and writes
``param`` and its state arrays in place, so the caller passes a Parameter's ``.data`` and the
state arrays it keeps. ``name_ref`` states the update in NumPy (the fallback and the test
oracle); ``name_jit`` is the same update as one pass over flat contiguous arrays; ``name``
validates, computes the per-step scalars (bias corrections, ...) in Python, casts every scalar
to the param's dtype, so that a float32 update runs in float32, and dispatches. Adam, NAdam and
RAdam share Adam's weight decay and moment updates: `_adam_moments_ref` in their references,
the scalar `_adam_moments` in their loops.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from lucid.kernels import _jit
from lucid.kernels._jit import njit

# Sizes from which the fused loop beats NumPy, measured with scratch scripts (medians; 2 cores,
# numpy 2.4, numba 0.68). The loop costs a few us more per call, so it wins once NumPy needs
# several passes: Adam/AdamW, NAdam, RAdam, RMSprop and Adagrad at every size from 10 elements
# (1.0-1.7x, 3-4x at 1e5, 6-10x at 1e6); SGD with momentum or weight decay above ~2k elements
# (2-8x at 1e6); plain SGD, a single NumPy pass, above ~32k (2x at 1e6).
JIT_MIN_SIZE = 0
SGD_JIT_MIN_SIZE = 2_048
SGD_PLAIN_JIT_MIN_SIZE = 32_768

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

# The loops are compiled with numba's NumPy error model: a division by zero gives inf/nan as in
# NumPy instead of a per-element check for ZeroDivisionError, which also keeps them vectorised
# (3-5x faster on the sqrt-and-divide updates).
_LOOP_OPTIONS = {"error_model": "numpy"}


# --- shared helpers -------------------------------------------------------------------------


def _cast(dtype: np.dtype, *values: float) -> tuple:
    """Python floats as scalars of `dtype`: NumPy and numba then compute in that dtype."""
    return tuple(map(dtype.type, values))


def _check(name: str, param: np.ndarray, grad: np.ndarray, **state: np.ndarray | None) -> None:
    """Raise unless `param` is a writable float array and `grad` and the state arrays match it.

    A None state array is one the chosen options never read, and is skipped.
    """
    if not isinstance(param, np.ndarray):
        raise TypeError(f"{name}: param must be a numpy array, got {type(param).__name__}")
    if param.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"{name}: param must be float32 or float64, got {param.dtype}")
    # Runs on every step of every parameter: plain loops, no temporary dicts.
    _check_like(name, "grad", grad, param)
    if not param.flags.writeable:
        raise ValueError(f"{name}: param is read-only; the update is written in place")
    for label, a in state.items():
        if a is not None:
            _check_like(name, label, a, param)
            if not a.flags.writeable:
                raise ValueError(f"{name}: {label} is read-only; the update is written in place")


def _check_like(name: str, label: str, a: Any, param: np.ndarray) -> None:
    """Raise unless `a` is an array of `param`'s shape and dtype."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name}: {label} must be a numpy array, got {type(a).__name__}")
    if a.shape != param.shape:
        raise ValueError(f"{name}: {label} has shape {a.shape} but param has shape {param.shape}")
    if a.dtype != param.dtype:
        raise TypeError(f"{name}: {label} is {a.dtype} but param is {param.dtype}")


def _require(name: str, a: np.ndarray | None, label: str, reason: str) -> None:
    if a is None:
        raise ValueError(f"{name}: {label} is None but {reason}; pass an array shaped like param")


def _check_step(name: str, step: int) -> None:
    if step < 1:
        raise ValueError(f"{name}: step must be >= 1 (counting this update), got {step}")


def _use_jit(param: np.ndarray, min_size: int) -> bool:
    return _jit.JIT_ENABLED and param.size >= min_size


def _run_flat(loop: Callable, written: list, read: list, *scalars: object) -> None:
    """Call ``loop(*written, *read, *scalars)`` on 1-D C-order arrays; the update lands in place.

    A C-contiguous array goes in as a flat view; any other (a transposed or sliced param, state
    made by ``zeros_like`` of one) as a contiguous copy that is copied back afterwards. A None in
    `written` (a buffer the options never touch) becomes an empty array.
    """
    dtype = written[0].dtype
    flat = [
        np.empty(0, dtype) if a is None else np.ascontiguousarray(a).reshape(-1)
        for a in written + read
    ]
    loop(*flat, *scalars)
    for a, f in zip(written, flat[: len(written)], strict=True):
        if a is not None and not a.flags.c_contiguous:
            a[...] = f.reshape(a.shape)


# --- SGD ------------------------------------------------------------------------------------


def sgd_ref(
    param: np.ndarray,
    grad: np.ndarray,
    momentum_buf: np.ndarray | None,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
    first_step: bool,
) -> None:
    """SGD with momentum in NumPy; see `sgd`."""
    lr, momentum, one_minus_dampening, weight_decay = _cast(
        param.dtype, lr, momentum, 1 - dampening, weight_decay
    )
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    if momentum != 0:
        if first_step:
            momentum_buf[...] = g
        else:
            momentum_buf *= momentum
            momentum_buf += one_minus_dampening * g
        g = g + momentum * momentum_buf if nesterov else momentum_buf
    param -= lr * g


@njit(**_LOOP_OPTIONS)
def sgd_jit(
    param,
    momentum_buf,
    grad,
    lr,
    momentum,
    one_minus_dampening,
    weight_decay,
    nesterov,
    maximize,
    first_step,
):
    for i in range(param.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        if momentum != 0:
            if first_step:
                buf = g
            else:
                buf = momentum * momentum_buf[i] + one_minus_dampening * g
            momentum_buf[i] = buf
            g = g + momentum * buf if nesterov else buf
        param[i] = param[i] - lr * g


def sgd(
    param: np.ndarray,
    grad: np.ndarray,
    momentum_buf: np.ndarray | None,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    *,
    nesterov: bool,
    maximize: bool,
    first_step: bool,
) -> None:
    """One step of ``torch.optim.SGD`` on `param` and `momentum_buf`, in place.

    ``g = -grad if maximize else grad;  g += weight_decay * param;
    buf = g on the first step, else momentum * buf + (1 - dampening) * g;
    g = g + momentum * buf if nesterov else buf;  param -= lr * g``.
    `momentum_buf` is read only when ``momentum != 0``: the caller allocates it (any values)
    and passes ``first_step=True`` once, where PyTorch clones the gradient into a new buffer
    (without dampening). Same shape and dtype for every array; float32 or float64.
    """
    momentum_buf = momentum_buf if momentum != 0 else None
    _check("sgd", param, grad, momentum_buf=momentum_buf)
    if momentum != 0:
        _require("sgd", momentum_buf, "momentum_buf", "momentum is not 0")
    args = (lr, momentum, dampening, weight_decay, nesterov, maximize, first_step)
    plain = momentum == 0 and weight_decay == 0
    if not _use_jit(param, SGD_PLAIN_JIT_MIN_SIZE if plain else SGD_JIT_MIN_SIZE):
        sgd_ref(param, grad, momentum_buf, *args)
        return
    scalars = _cast(param.dtype, lr, momentum, 1 - dampening, weight_decay)
    _run_flat(sgd_jit, [param, momentum_buf], [grad], *scalars, nesterov, maximize, first_step)


# --- Adam's weight decay and moments (shared by Adam/AdamW, NAdam, RAdam) -------------------


def _moment_scalars(
    dtype: np.dtype, lr: float, beta1: float, beta2: float, weight_decay: float
) -> tuple:
    """Adam's (1 - lr * weight_decay, weight_decay, 1 - beta1, beta2, 1 - beta2) in `dtype`.

    These are the ``*moments`` that the Adam, NAdam and RAdam loops take last and hand on to
    `_adam_moments`.
    """
    return _cast(dtype, 1 - lr * weight_decay, weight_decay, 1 - beta1, beta2, 1 - beta2)


def _adam_moments_ref(
    g: np.ndarray,
    param: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    lr: float,
    beta1: float,
    beta2: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
) -> np.ndarray:
    """Adam's weight decay and moment updates in NumPy, in place; returns the decayed `g`.

    ``param *= 1 - lr * weight_decay`` when `decoupled_weight_decay`, else
    ``g = g + weight_decay * param``; then ``m = lerp(m, g, 1 - beta1)`` and
    ``v = beta2 * v + (1 - beta2) * g * g``. The Adam, NAdam and RAdam references share it.
    """
    decay, weight_decay, one_minus_beta1, beta2, one_minus_beta2 = _moment_scalars(
        param.dtype, lr, beta1, beta2, weight_decay
    )
    if weight_decay != 0:
        if decoupled_weight_decay:
            param *= decay
        else:
            g = g + weight_decay * param
    exp_avg += one_minus_beta1 * (g - exp_avg)  # torch's exp_avg.lerp_(g, 1 - beta1)
    exp_avg_sq *= beta2
    exp_avg_sq += one_minus_beta2 * g * g
    return g


@njit(**_LOOP_OPTIONS)
def _adam_moments(
    g, p, m, v, decoupled, decay, weight_decay, one_minus_beta1, beta2, one_minus_beta2
):
    """`_adam_moments_ref` on one element: the new (g, param, exp_avg, exp_avg_sq)."""
    if weight_decay != 0:
        if decoupled:
            p = p * decay
        else:
            g = g + weight_decay * p
    m = m + one_minus_beta1 * (g - m)
    v = beta2 * v + one_minus_beta2 * g * g
    return g, p, m, v


# --- Adam and AdamW -------------------------------------------------------------------------


def adam_ref(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    max_exp_avg_sq: np.ndarray | None,
    step: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    maximize: bool,
    decoupled_weight_decay: bool,
) -> None:
    """Adam (AdamW when `decoupled_weight_decay`) in NumPy; see `adam`."""
    step_size, bias_correction2_sqrt, eps = _cast(
        param.dtype, lr / (1 - beta1**step), math.sqrt(1 - beta2**step), eps
    )
    g = -grad if maximize else grad
    _adam_moments_ref(
        g, param, exp_avg, exp_avg_sq, lr, beta1, beta2, weight_decay, decoupled_weight_decay
    )
    if amsgrad:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
    second = max_exp_avg_sq if amsgrad else exp_avg_sq
    denom = np.sqrt(second) / bias_correction2_sqrt + eps
    param -= step_size * exp_avg / denom


@njit(**_LOOP_OPTIONS)
def adam_jit(
    param,
    exp_avg,
    exp_avg_sq,
    max_exp_avg_sq,
    grad,
    step_size,
    bias_correction2_sqrt,
    eps,
    amsgrad,
    maximize,
    decoupled,
    *moments,
):
    for i in range(param.size):
        g = -grad[i] if maximize else grad[i]
        g, p, m, v = _adam_moments(g, param[i], exp_avg[i], exp_avg_sq[i], decoupled, *moments)
        exp_avg[i] = m
        exp_avg_sq[i] = v
        if amsgrad:
            vmax = max_exp_avg_sq[i]
            if vmax > v or np.isnan(vmax):  # a NaN wins, as in np.maximum
                v = vmax
            max_exp_avg_sq[i] = v
        param[i] = p - step_size * m / (np.sqrt(v) / bias_correction2_sqrt + eps)


def adam(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    max_exp_avg_sq: np.ndarray | None,
    step: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    *,
    amsgrad: bool,
    maximize: bool,
    decoupled_weight_decay: bool,
) -> None:
    """One step of ``torch.optim.Adam`` (``AdamW`` when `decoupled_weight_decay`), in place.

    `step` counts this update (1 on the first). ``g = -grad if maximize else grad``; weight
    decay is ``param *= 1 - lr * weight_decay`` when decoupled, else ``g += weight_decay *
    param``; ``m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g``; with
    `amsgrad`, ``vmax = max(vmax, v)`` stands for ``v`` below;
    ``param -= lr / (1 - beta1**step) * m / (sqrt(v) / sqrt(1 - beta2**step) + eps)``, eps
    added after the bias correction as in PyTorch. State starts at zero; `max_exp_avg_sq` is
    read only with `amsgrad`. Same shape and dtype for every array; float32 or float64.
    """
    max_exp_avg_sq = max_exp_avg_sq if amsgrad else None
    _check(
        "adam",
        param,
        grad,
        exp_avg=exp_avg,
        exp_avg_sq=exp_avg_sq,
        max_exp_avg_sq=max_exp_avg_sq,
    )
    _check_step("adam", step)
    if amsgrad:
        _require("adam", max_exp_avg_sq, "max_exp_avg_sq", "amsgrad is True")
    args = (lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay)
    if not _use_jit(param, JIT_MIN_SIZE):
        adam_ref(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, *args)
        return
    _run_flat(
        adam_jit,
        [param, exp_avg, exp_avg_sq, max_exp_avg_sq],
        [grad],
        *_cast(param.dtype, lr / (1 - beta1**step), math.sqrt(1 - beta2**step), eps),
        amsgrad,
        maximize,
        decoupled_weight_decay,
        *_moment_scalars(param.dtype, lr, beta1, beta2, weight_decay),
    )


# --- RMSprop --------------------------------------------------------------------------------


def rmsprop_ref(
    param: np.ndarray,
    grad: np.ndarray,
    square_avg: np.ndarray,
    grad_avg: np.ndarray | None,
    momentum_buf: np.ndarray | None,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    maximize: bool,
) -> None:
    """RMSprop in NumPy; see `rmsprop`."""
    lr, alpha, one_minus_alpha, eps, weight_decay, momentum = _cast(
        param.dtype, lr, alpha, 1 - alpha, eps, weight_decay, momentum
    )
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    square_avg *= alpha
    square_avg += one_minus_alpha * g * g
    if centered:
        grad_avg += one_minus_alpha * (g - grad_avg)  # torch's grad_avg.lerp_(g, 1 - alpha)
        avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        avg = np.sqrt(square_avg) + eps
    if momentum > 0:
        momentum_buf *= momentum
        momentum_buf += g / avg
        param -= lr * momentum_buf
    else:
        param -= lr * g / avg


@njit(**_LOOP_OPTIONS)
def rmsprop_jit(
    param,
    square_avg,
    grad_avg,
    momentum_buf,
    grad,
    lr,
    alpha,
    one_minus_alpha,
    eps,
    weight_decay,
    momentum,
    centered,
    maximize,
):
    for i in range(param.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        v = alpha * square_avg[i] + one_minus_alpha * g * g
        square_avg[i] = v
        if centered:
            mean = grad_avg[i] + one_minus_alpha * (g - grad_avg[i])
            grad_avg[i] = mean
            avg = np.sqrt(v - mean * mean) + eps
        else:
            avg = np.sqrt(v) + eps
        if momentum > 0:
            buf = momentum * momentum_buf[i] + g / avg
            momentum_buf[i] = buf
            param[i] = param[i] - lr * buf
        else:
            param[i] = param[i] - lr * g / avg


def rmsprop(
    param: np.ndarray,
    grad: np.ndarray,
    square_avg: np.ndarray,
    grad_avg: np.ndarray | None,
    momentum_buf: np.ndarray | None,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    *,
    centered: bool,
    maximize: bool,
) -> None:
    """One step of ``torch.optim.RMSprop`` on `param` and its state, in place.

    ``g = -grad if maximize else grad;  g += weight_decay * param;
    v = alpha * v + (1 - alpha) * g * g;  avg = sqrt(v) + eps``, or when `centered`
    ``gm = lerp(gm, g, 1 - alpha);  avg = sqrt(v - gm * gm) + eps``; then
    ``buf = momentum * buf + g / avg;  param -= lr * buf`` when ``momentum > 0``, else
    ``param -= lr * g / avg``. State starts at zero; `grad_avg` is read only when centered,
    `momentum_buf` only when ``momentum > 0``. Same shape and dtype for every array.
    """
    grad_avg = grad_avg if centered else None
    momentum_buf = momentum_buf if momentum > 0 else None
    _check(
        "rmsprop",
        param,
        grad,
        square_avg=square_avg,
        grad_avg=grad_avg,
        momentum_buf=momentum_buf,
    )
    if centered:
        _require("rmsprop", grad_avg, "grad_avg", "centered is True")
    if momentum > 0:
        _require("rmsprop", momentum_buf, "momentum_buf", "momentum > 0")
    args = (lr, alpha, eps, weight_decay, momentum, centered, maximize)
    if not _use_jit(param, JIT_MIN_SIZE):
        rmsprop_ref(param, grad, square_avg, grad_avg, momentum_buf, *args)
        return
    scalars = _cast(param.dtype, lr, alpha, 1 - alpha, eps, weight_decay, momentum)
    _run_flat(
        rmsprop_jit,
        [param, square_avg, grad_avg, momentum_buf],
        [grad],
        *scalars,
        centered,
        maximize,
    )


# --- Adagrad --------------------------------------------------------------------------------


def adagrad_ref(
    param: np.ndarray,
    grad: np.ndarray,
    state_sum: np.ndarray,
    step: int,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
) -> None:
    """Adagrad in NumPy; see `adagrad`."""
    clr, weight_decay, eps = _cast(
        param.dtype, lr / (1 + (step - 1) * lr_decay), weight_decay, eps
    )
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    state_sum += g * g
    param -= clr * g / (np.sqrt(state_sum) + eps)


@njit(**_LOOP_OPTIONS)
def adagrad_jit(param, state_sum, grad, clr, weight_decay, eps, maximize):
    for i in range(param.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        s = state_sum[i] + g * g
        state_sum[i] = s
        param[i] = param[i] - clr * g / (np.sqrt(s) + eps)


def adagrad(
    param: np.ndarray,
    grad: np.ndarray,
    state_sum: np.ndarray,
    step: int,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
    *,
    maximize: bool,
) -> None:
    """One step of ``torch.optim.Adagrad`` on `param` and `state_sum`, in place.

    ``g = -grad if maximize else grad;  g += weight_decay * param;  s += g * g;
    param -= lr / (1 + (step - 1) * lr_decay) * g / (sqrt(s) + eps)``, `step` counting this
    update. The caller fills `state_sum` with ``initial_accumulator_value`` once. Dense
    gradients only (PyTorch also takes sparse ones).
    """
    _check("adagrad", param, grad, state_sum=state_sum)
    _check_step("adagrad", step)
    if not _use_jit(param, JIT_MIN_SIZE):
        adagrad_ref(param, grad, state_sum, step, lr, lr_decay, weight_decay, eps, maximize)
        return
    scalars = _cast(param.dtype, lr / (1 + (step - 1) * lr_decay), weight_decay, eps)
    _run_flat(adagrad_jit, [param, state_sum], [grad], *scalars, maximize)


# --- NAdam ----------------------------------------------------------------------------------


def _nadam_scalars(
    dtype: np.dtype,
    step: int,
    mu_product: float,
    lr: float,
    beta1: float,
    beta2: float,
    momentum_decay: float,
    eps: float,
) -> tuple[float, tuple]:
    """NAdam's new mu_product, and (1 - beta2**step, coef of g, coef of m, eps) in `dtype`.

    As in PyTorch, except that mu_product stays a Python float.
    """
    mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentum_decay))
    mu_next = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
    mu_product = mu_product * mu
    grad_coef = lr * (1 - mu) / (1 - mu_product)
    avg_coef = lr * mu_next / (1 - mu_product * mu_next)
    return mu_product, _cast(dtype, 1 - beta2**step, grad_coef, avg_coef, eps)


def nadam_ref(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    step: int,
    mu_product: float,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    momentum_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool = False,
) -> float:
    """NAdam in NumPy; see `nadam`. Returns the new mu_product."""
    mu_product, (bias_correction2, grad_coef, avg_coef, eps) = _nadam_scalars(
        param.dtype, step, mu_product, lr, beta1, beta2, momentum_decay, eps
    )
    g = -grad if maximize else grad
    g = _adam_moments_ref(
        g, param, exp_avg, exp_avg_sq, lr, beta1, beta2, weight_decay, decoupled_weight_decay
    )
    denom = np.sqrt(exp_avg_sq / bias_correction2) + eps
    param -= grad_coef * g / denom
    param -= avg_coef * exp_avg / denom
    return mu_product


@njit(**_LOOP_OPTIONS)
def nadam_jit(
    param,
    exp_avg,
    exp_avg_sq,
    grad,
    bias_correction2,
    grad_coef,
    avg_coef,
    eps,
    maximize,
    decoupled,
    *moments,
):
    for i in range(param.size):
        g = -grad[i] if maximize else grad[i]
        g, p, m, v = _adam_moments(g, param[i], exp_avg[i], exp_avg_sq[i], decoupled, *moments)
        exp_avg[i] = m
        exp_avg_sq[i] = v
        denom = np.sqrt(v / bias_correction2) + eps
        p = p - grad_coef * g / denom
        param[i] = p - avg_coef * m / denom


def nadam(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    step: int,
    mu_product: float,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    momentum_decay: float,
    *,
    decoupled_weight_decay: bool,
    maximize: bool = False,
) -> float:
    """One step of ``torch.optim.NAdam`` in place; returns the new `mu_product`.

    With ``mu_t = beta1 * (1 - 0.5 * 0.96**(t * momentum_decay))`` and `mu_product` the
    product of the earlier ``mu_t`` (1.0 before the first step), this step multiplies it by
    ``mu_step``; weight decay and the moments are Adam's; then
    ``denom = sqrt(v / (1 - beta2**step)) + eps``,
    ``param -= lr * (1 - mu_step) / (1 - mu_product) * g / denom`` and
    ``param -= lr * mu_next / (1 - mu_product * mu_next) * m / denom``.
    The caller keeps `mu_product` as a Python float (PyTorch keeps a float32 tensor).
    """
    _check("nadam", param, grad, exp_avg=exp_avg, exp_avg_sq=exp_avg_sq)
    _check_step("nadam", step)
    args = (lr, beta1, beta2, eps, weight_decay, momentum_decay, decoupled_weight_decay)
    if not _use_jit(param, JIT_MIN_SIZE):
        return nadam_ref(param, grad, exp_avg, exp_avg_sq, step, mu_product, *args, maximize)
    mu_product, scalars = _nadam_scalars(
        param.dtype, step, mu_product, lr, beta1, beta2, momentum_decay, eps
    )
    _run_flat(
        nadam_jit,
        [param, exp_avg, exp_avg_sq],
        [grad],
        *scalars,
        maximize,
        decoupled_weight_decay,
        *_moment_scalars(param.dtype, lr, beta1, beta2, weight_decay),
    )
    return mu_product


# --- RAdam ----------------------------------------------------------------------------------


def _radam_scalars(
    dtype: np.dtype, step: int, lr: float, beta1: float, beta2: float, eps: float
) -> tuple:
    """(step size, sqrt(1 - beta2**step), eps) as scalars of `dtype`, and whether to rectify.

    While ``rho_t <= 5`` there is no adaptive lr and the step size is ``lr / (1 - beta1**step)``;
    after that it also carries the variance rectification term ``r_t``.
    """
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * beta2**step / (1 - beta2**step)
    if rho_t <= 5:
        rect, rectify = 1.0, False
    else:
        rect = math.sqrt(
            (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
        )
        rectify = True
    step_size = lr * rect / (1 - beta1**step)
    return (*_cast(dtype, step_size, math.sqrt(1 - beta2**step), eps), rectify)


def radam_ref(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    step: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool = False,
) -> None:
    """RAdam in NumPy; see `radam`."""
    step_size, bias_correction2_sqrt, eps, rectify = _radam_scalars(
        param.dtype, step, lr, beta1, beta2, eps
    )
    g = -grad if maximize else grad
    _adam_moments_ref(
        g, param, exp_avg, exp_avg_sq, lr, beta1, beta2, weight_decay, decoupled_weight_decay
    )
    if rectify:  # step_size includes r_t
        param -= step_size * exp_avg * (bias_correction2_sqrt / (np.sqrt(exp_avg_sq) + eps))
    else:
        param -= step_size * exp_avg


@njit(**_LOOP_OPTIONS)
def radam_jit(
    param,
    exp_avg,
    exp_avg_sq,
    grad,
    step_size,
    bias_correction2_sqrt,
    eps,
    rectify,
    maximize,
    decoupled,
    *moments,
):
    for i in range(param.size):
        g = -grad[i] if maximize else grad[i]
        g, p, m, v = _adam_moments(g, param[i], exp_avg[i], exp_avg_sq[i], decoupled, *moments)
        exp_avg[i] = m
        exp_avg_sq[i] = v
        if rectify:  # step_size includes r_t
            param[i] = p - step_size * m * (bias_correction2_sqrt / (np.sqrt(v) + eps))
        else:
            param[i] = p - step_size * m


def radam(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    step: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    *,
    decoupled_weight_decay: bool,
    maximize: bool = False,
) -> None:
    """One step of ``torch.optim.RAdam`` on `param` and its state, in place.

    Weight decay and the moments are Adam's. With ``rho_inf = 2 / (1 - beta2) - 1`` and
    ``rho_t = rho_inf - 2 * step * beta2**step / (1 - beta2**step)``: while ``rho_t <= 5``,
    ``param -= lr * m / (1 - beta1**step)``; after that
    ``param -= lr * m / (1 - beta1**step) * r_t * sqrt(1 - beta2**step) / (sqrt(v) + eps)``
    with ``r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))``;
    here, unlike Adam, eps is added before the bias correction, as in PyTorch.
    """
    _check("radam", param, grad, exp_avg=exp_avg, exp_avg_sq=exp_avg_sq)
    _check_step("radam", step)
    args = (lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay, maximize)
    if not _use_jit(param, JIT_MIN_SIZE):
        radam_ref(param, grad, exp_avg, exp_avg_sq, step, *args)
        return
    _run_flat(
        radam_jit,
        [param, exp_avg, exp_avg_sq],
        [grad],
        *_radam_scalars(param.dtype, step, lr, beta1, beta2, eps),
        maximize,
        decoupled_weight_decay,
        *_moment_scalars(param.dtype, lr, beta1, beta2, weight_decay),
    )


# --- Adadelta, Adamax, ASGD: NumPy only -----------------------------------------------------
# Not yet measured against a fused loop; each is a handful of in-place NumPy passes.


def adadelta(
    param: np.ndarray,
    grad: np.ndarray,
    square_avg: np.ndarray,
    acc_delta: np.ndarray,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float,
    *,
    maximize: bool,
) -> None:
    """One step of ``torch.optim.Adadelta`` on `param` and its state, in place.

    ``g = -grad if maximize else grad;  g += weight_decay * param;
    v = rho * v + (1 - rho) * g**2;  delta = sqrt(u + eps) / sqrt(v + eps) * g;
    u = rho * u + (1 - rho) * delta**2;  param -= lr * delta``.
    """
    _check("adadelta", param, grad, square_avg=square_avg, acc_delta=acc_delta)
    lr, rho, eps, weight_decay = _cast(param.dtype, lr, rho, eps, weight_decay)
    one = param.dtype.type(1)
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    square_avg *= rho
    square_avg += (one - rho) * g * g
    delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * g
    acc_delta *= rho
    acc_delta += (one - rho) * delta * delta
    param -= lr * delta


def adamax(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_inf: np.ndarray,
    step: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    *,
    maximize: bool,
) -> None:
    """One step of ``torch.optim.Adamax`` on `param` and its state, in place.

    ``g`` as in Adam (negated if maximize, plus ``weight_decay * param``);
    ``m = beta1 * m + (1 - beta1) * g;  u = max(beta2 * u, |g| + eps);
    param -= lr / (1 - beta1**step) * m / u``, `step` counting this update.
    """
    _check("adamax", param, grad, exp_avg=exp_avg, exp_inf=exp_inf)
    _check_step("adamax", step)
    clr, beta1, beta2, eps, weight_decay = _cast(
        param.dtype, lr / (1 - beta1**step), beta1, beta2, eps, weight_decay
    )
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    exp_avg += (g - exp_avg) * (param.dtype.type(1) - beta1)  # lerp, as PyTorch
    np.maximum(exp_inf * beta2, np.abs(g) + eps, out=exp_inf)
    param -= clr * exp_avg / exp_inf


def asgd(
    param: np.ndarray,
    grad: np.ndarray,
    ax: np.ndarray,
    eta: float,
    mu: float,
    lambd: float,
    weight_decay: float,
    *,
    maximize: bool,
) -> None:
    """One step of ``torch.optim.ASGD`` on `param` and its average `ax`, in place.

    ``g = -grad if maximize else grad;  g += weight_decay * param;
    param = param * (1 - lambd * eta) - eta * g;  ax += mu * (param - ax)`` (``ax = param``
    when ``mu == 1``). The caller updates ``eta`` and ``mu`` after the step.
    """
    _check("asgd", param, grad, ax=ax)
    eta_, decay, weight_decay = _cast(param.dtype, eta, 1 - lambd * eta, weight_decay)
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    param *= decay
    param -= eta_ * g
    if mu != 1:
        ax += (param - ax) * param.dtype.type(mu)
    else:
        ax[...] = param
