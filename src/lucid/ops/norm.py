"""Normalisation ops: layer norm, batch norm and group norm, each fused with its affine part.

With ``xhat = (x - mean) / sqrt(var + eps)`` over the normalised elements (n of them) and
``gw = grad * weight``, every training-mode input gradient is
``rstd * (gw - mean(gw) - xhat * mean(gw * xhat))``; the weight's gradient is
``sum(grad * xhat)`` and the bias's ``sum(grad)`` over everything but the feature axes.
Forwards and backwards run the fused kernels of ``lucid.kernels.norm``; a tensor ``grad``
(higher-order gradients) takes that formula written with operators instead. Group norm is a
layer norm of each (sample, group) block followed by the per-channel affine ops.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lucid._graph import operation, poly_func_op
from lucid.kernels import norm as K
from lucid.ops import _xp
from lucid.ops.shape import pad
from lucid.tensor import Tensor

__all__ = [
    "layer_norm", "batch_norm", "group_norm", "instance_norm", "rms_norm", "local_response_norm",
]  # fmt: skip


def _floating(x: np.ndarray) -> np.ndarray:
    """The kernels take float32 and float64; other inputs compute in float32 (PyTorch's rule)."""
    return x if x.dtype in (np.float32, np.float64) else x.astype(np.float32)


def _normalized_input_gradient(gw: Any, xhat: np.ndarray, rstd: np.ndarray, axes: tuple) -> Any:
    """rstd * (gw - mean(gw) - xhat * mean(gw * xhat)), means over ``axes``; the form for a
    tensor ``grad`` (higher-order gradients), where the fused kernels cannot run."""
    mean_gw = gw.mean(axis=axes, keepdims=True)
    mean_gwx = (gw * xhat).mean(axis=axes, keepdims=True)
    return (gw - mean_gw - xhat * mean_gwx) * rstd


class LayerNorm(operation):
    """(x - mean) * rstd * w + b over the last axes;  d/dx = rstd (gw - mean(gw) - xhat
    mean(gw xhat)), d/dw = sum(grad xhat), d/db = sum(grad) over the leading axes.

    The input is viewed as (M, N) rows, N the size of the normalised shape.
    """

    def __init__(self, n_axes: int, eps: float, has_weight: bool, has_bias: bool) -> None:
        self.n_axes, self.eps = n_axes, eps
        self.has_weight, self.has_bias = has_weight, has_bias

    @poly_func_op()
    def forward(self, x: np.ndarray, *affine: np.ndarray) -> np.ndarray:
        self.save_for_backward(x, affine[0] if self.has_weight else None)
        x = _floating(x)
        self.shape = x.shape
        n = math.prod(x.shape[x.ndim - self.n_axes :])
        # rows, weight and the statistics serve the fused backward kernel (plain arrays only)
        self.rows = x.reshape(math.prod(x.shape[: x.ndim - self.n_axes]), n)
        w = affine[0].reshape(-1) if self.has_weight else None
        b = affine[-1].reshape(-1) if self.has_bias else None
        self.weight = w
        y, self.mean, self.rstd = K.layer_norm_forward(self.rows, w, b, self.eps)
        return y.reshape(x.shape)

    def gradient(self, grad: np.ndarray) -> tuple:
        needs = [p.requires_grad for p in self.parents]
        w_shape = self.parents[1].shape if self.has_weight else None
        x, w = self.saved_tensors
        if not _xp.is_tensor(x, w, grad):
            g = grad.reshape(self.rows.shape)
            dx, dw, db = K.layer_norm_backward(g, self.rows, self.mean, self.rstd, self.weight)
            dx = dx.reshape(self.shape)
            if self.has_bias and db is None:
                db = g.sum(axis=0)
        else:  # recorded (higher-order gradients): the statistics recomputed from x by ops
            g = grad.reshape(self.rows.shape)
            rows = x.reshape(self.rows.shape)
            d = rows - rows.mean(axis=1, keepdims=True)
            rstd = ((d * d).mean(axis=1, keepdims=True) + self.eps) ** -0.5
            xhat = d * rstd
            gw = g * w.reshape(-1) if self.has_weight else g
            dx = _normalized_input_gradient(gw, xhat, rstd, (1,))
            dx = dx.reshape(self.shape)
            dw, db = (g * xhat).sum(axis=0), g.sum(axis=0)
        grads = [dx if needs[0] else None]
        if self.has_weight:
            grads.append(dw.reshape(w_shape) if needs[1] else None)
        if self.has_bias:
            grads.append(db.reshape(self.parents[-1].shape) if needs[-1] else None)
        return tuple(grads) if len(grads) > 1 else grads[0]


class BatchNorm(operation):
    """(x - mean) * rstd * w + b per channel (axis 1), with the batch's statistics (training) or
    given ones;  training d/dx as layer norm's over (N, d1, ...), else d/dx = gw * rstd;
    d/dw = sum(grad xhat), d/db = sum(grad) over every axis but 1.

    The input is viewed as (N, C, L). After the forward, ``batch_mean`` and ``batch_var``
    (biased) hold the statistics it used.
    """

    def __init__(
        self,
        mean: np.ndarray | None,
        var: np.ndarray | None,
        eps: float,
        has_weight: bool,
        has_bias: bool,
    ) -> None:
        self.batch_mean, self.batch_var, self.eps = mean, var, eps
        self.has_weight, self.has_bias = has_weight, has_bias

    @poly_func_op()
    def forward(self, x: np.ndarray, *affine: np.ndarray) -> np.ndarray:
        self.save_for_backward(x, affine[0] if self.has_weight else None)
        x = _floating(x)
        self.shape = x.shape
        # x as (N, C, L), weight and the statistics serve the fused kernels (plain arrays)
        self.x3 = x3 = x.reshape(x.shape[0], x.shape[1], math.prod(x.shape[2:]))
        w = affine[0] if self.has_weight else None
        b = affine[-1] if self.has_bias else None
        self.weight = w
        self.training = self.batch_mean is None
        if self.training:
            y, self.batch_mean, self.batch_var, self.rstd = K.batch_norm_forward(
                x3, w, b, self.eps
            )
        else:
            mean = self.batch_mean.astype(x.dtype, copy=False)
            var = self.batch_var.astype(x.dtype, copy=False)
            y = K.batch_norm_inference(x3, mean, var, w, b, self.eps)
            self.batch_mean = mean
            self.rstd = (1 / np.sqrt(var + x.dtype.type(self.eps))).astype(x.dtype)
        return y.reshape(x.shape)

    def gradient(self, grad: np.ndarray) -> tuple:
        needs = [p.requires_grad for p in self.parents]
        x, w = self.saved_tensors
        g = grad.reshape(self.x3.shape)
        mean, rstd = self.batch_mean[:, None], self.rstd[:, None]
        recorded = _xp.is_tensor(x, w, grad)
        if self.training and not recorded:
            dx, dw, db = K.batch_norm_backward(g, self.x3, self.batch_mean, self.rstd, self.weight)
            if db is None:  # the kernel sums only when there is a weight
                db = g.sum(axis=(0, 2))
        else:
            x3 = self.x3
            if recorded:  # x and, in training, its statistics by ops
                x3 = x.reshape(self.x3.shape)
                if self.training:
                    mean = x3.mean(axis=(0, 2), keepdims=True)
                    var = ((x3 - mean) * (x3 - mean)).mean(axis=(0, 2), keepdims=True)
                    rstd = (var + self.eps) ** -0.5
            xhat = (x3 - mean) * rstd
            gw = g * (w if recorded else self.weight)[:, None] if self.has_weight else g
            if self.training:
                dx = _normalized_input_gradient(gw, xhat, rstd, (0, 2))
            else:
                dx = gw * rstd
            dw, db = (g * xhat).sum(axis=(0, 2)), g.sum(axis=(0, 2))
        grads = [dx.reshape(self.shape) if needs[0] else None]
        if self.has_weight:
            grads.append(dw if needs[1] else None)
        if self.has_bias:
            grads.append(db if needs[-1] else None)
        return tuple(grads) if len(grads) > 1 else grads[0]


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _affine(weight: Any, bias: Any) -> list[Tensor]:
    return [_tensor(p) for p in (weight, bias) if p is not None]


def _check_param(op: str, name: str, p: Any, shape: tuple[int, ...]) -> None:
    if p is not None and tuple(_tensor(p).shape) != shape:
        raise ValueError(f"{op}: {name} must have shape {shape}, got {tuple(_tensor(p).shape)}")


def _check_channel_params(op: str, c: int, *params: Any) -> None:
    """``running_mean``, ``running_var``, ``weight``, ``bias``: each None or of shape (c,)."""
    for name, p in zip(("running_mean", "running_var", "weight", "bias"), params, strict=True):
        _check_param(op, name, p, (c,))


def _trailing_shape(op: str, x: Tensor, normalized_shape: Any) -> tuple[int, ...]:
    """``normalized_shape`` as a tuple, checked to be the last axes of ``x``."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.ndim < k or x.shape[x.ndim - k :] != shape:
        raise ValueError(
            f"{op}: expected an input whose last {k} dimensions are {shape} "
            f"(normalized_shape), got shape {x.shape}"
        )
    return shape


def _channel_affine(out: Tensor, weight: Any, bias: Any) -> Tensor:
    """``out * weight + bias`` per channel (axis 1), each skipped when None."""
    per_channel = (out.shape[1],) + (1,) * (out.ndim - 2)
    if weight is not None:
        out = out * _tensor(weight).reshape(per_channel)
    if bias is not None:
        out = out + _tensor(bias).reshape(per_channel)
    return out


def _update_running(momentum: float, *pairs: tuple[Tensor | None, Any]) -> None:
    """``buffer = (1 - momentum) * buffer + momentum * stat`` in place, for each given buffer."""
    for buffer, stat in pairs:
        if buffer is not None:
            buffer._data[...] = (1 - momentum) * buffer._data + momentum * stat
            buffer._version += 1


def layer_norm(
    input: Any,  # noqa: A002 - PyTorch's name
    normalized_shape: Any,
    weight: Any = None,
    bias: Any = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing axes ``normalized_shape`` (biased variance), then scale and
    shift: ``(x - mean) / sqrt(var + eps) * weight + bias``; ``x``'s shape and float dtype."""
    x = _tensor(input)
    if _xp.is_half(x):
        return _xp.through_float32(layer_norm, x, normalized_shape, weight, bias, eps)
    shape = _trailing_shape("layer_norm", x, normalized_shape)
    _check_param("layer_norm", "weight", weight, shape)
    _check_param("layer_norm", "bias", bias, shape)
    op = LayerNorm(len(shape), eps, weight is not None, bias is not None)
    return op(x, *_affine(weight, bias))


def batch_norm(
    input: Any,  # noqa: A002 - PyTorch's name
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation over every axis but the channel axis 1 of ``input`` (N, C, d1, ...).

    Training: normalise with the batch's mean and biased variance, and update the running
    buffers in place (``running = (1 - momentum) * running + momentum * batch``, the variance
    unbiased, as PyTorch). Evaluation: normalise with the running statistics.
    """
    x = _tensor(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of shape (N, C, ...), got {x.shape}")
    c = x.shape[1]
    _check_channel_params("batch_norm", c, running_mean, running_var, weight, bias)
    affine = _affine(weight, bias)
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation mode needs running_mean and running_var")
        op = BatchNorm(running_mean._data, running_var._data, eps, weight is not None,
                       bias is not None)  # fmt: skip
        return op(x, *affine)
    n = x._data.size // c
    if n <= 1:
        raise ValueError(
            f"batch_norm: expected more than 1 value per channel when training, got input of "
            f"shape {x.shape}"
        )
    op = BatchNorm(None, None, eps, weight is not None, bias is not None)
    out = op(x, *affine)
    _update_running(
        momentum, (running_mean, op.batch_mean), (running_var, op.batch_var * n / (n - 1))
    )
    return out


def group_norm(
    input: Any,  # noqa: A002 - PyTorch's name
    num_groups: int,
    weight: Any = None,
    bias: Any = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise ``input`` (N, C, d1, ...) within each of ``num_groups`` groups of channels
    (over the group's channels and all of d1, ...), then scale and shift per channel."""
    x = _tensor(input)
    if x.ndim < 2 or x.shape[1] % num_groups:
        raise ValueError(
            f"group_norm: expected an input of shape (N, C, ...) with C divisible by "
            f"num_groups={num_groups}, got shape {x.shape}"
        )
    c = x.shape[1]
    _check_param("group_norm", "weight", weight, (c,))
    _check_param("group_norm", "bias", bias, (c,))
    grouped = x.reshape(x.shape[0], num_groups, math.prod(x.shape[1:]) // num_groups)
    out = LayerNorm(1, eps, False, False)(grouped).reshape(x.shape)
    return _channel_affine(out, weight, bias)


# --------------------------------------------------------------------------- instance, RMS, LRN


def instance_norm(
    input: Any,  # noqa: A002 - PyTorch's name
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Any = None,
    bias: Any = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each (sample, channel) of ``input`` (N, C, d1, ...) over d1, ... (biased
    variance), then scale and shift per channel, as ``torch.nn.functional.instance_norm``.

    With ``use_input_stats`` the running buffers, if given, move towards the batch average of
    the instance statistics (the variance unbiased); without it they normalise instead.
    """
    x = _tensor(input)
    if x.ndim < 3:
        raise ValueError(
            f"instance_norm: expected an input of shape (N, C, d1, ...), got {x.shape}"
        )
    n, c = x.shape[:2]
    _check_channel_params("instance_norm", c, running_mean, running_var, weight, bias)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: use_input_stats=False needs running_mean and var")
        return batch_norm(x, running_mean, running_var, weight, bias, False, momentum, eps)
    size = math.prod(x.shape[2:])
    if size <= 1:
        raise ValueError(
            f"instance_norm: expected more than 1 spatial element when training, got input of "
            f"shape {x.shape}"
        )
    op = LayerNorm(1, eps, False, False)
    out = op(x.reshape(n * c, size)).reshape(x.shape)
    out = _channel_affine(out, weight, bias)
    if n and (running_mean is not None or running_var is not None):
        rows = x._data.reshape(n, c, size).astype(np.float64)
        mean, var = rows.mean(axis=(0, 2)), rows.var(axis=2, ddof=1).mean(axis=0)
        _update_running(momentum, (running_mean, mean), (running_var, var))
    return out


def rms_norm(
    input: Any,  # noqa: A002 - PyTorch's name
    normalized_shape: Any,
    weight: Any = None,
    eps: float | None = None,
) -> Tensor:
    """``x / sqrt(mean(x**2) + eps) * weight`` over the trailing ``normalized_shape`` axes, as
    ``torch.nn.functional.rms_norm``; ``eps=None`` is the dtype's machine epsilon."""
    x = _tensor(input)
    shape = _trailing_shape("rms_norm", x, normalized_shape)
    k = len(shape)
    if x.dtype.kind != "f":
        raise TypeError(f"rms_norm: expected a floating-point input, got {x.dtype}")
    _check_param("rms_norm", "weight", weight, shape)
    if eps is None:
        eps = float(np.finfo(x.dtype).eps)
    axes = tuple(range(x.ndim - k, x.ndim))
    out = x * ((x * x).mean(axis=axes, keepdims=True) + eps) ** -0.5
    return out if weight is None else out * _tensor(weight)


def local_response_norm(
    input: Any,  # noqa: A002 - PyTorch's name
    size: int,
    alpha: float = 1e-4,
    beta: float = 0.75,
    k: float = 1.0,
) -> Tensor:
    """``x / (k + alpha * mean(x**2 over size neighbouring channels)) ** beta``, the window
    ``[c - size//2, c + (size-1)//2]`` zero-padded, as ``torch.nn.functional.local_response_norm``
    (input (N, C, ...))."""
    x = _tensor(input)
    if x.ndim < 3:
        raise ValueError(
            f"local_response_norm: expected a 3-D or higher input (N, C, ...), got {x.shape}"
        )
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"local_response_norm: size must be a positive int, got {size!r}")
    c = x.shape[1]
    if x.shape[0] == 0 or c == 0:
        return x * 1
    width = [(0, 0)] * x.ndim
    width[1] = (size // 2, (size - 1) // 2)
    padded = pad(x * x, width)
    total = padded[:, 0:c]
    for i in range(1, size):
        total = total + padded[:, i : i + c]
    return x / (total * (alpha / size) + k) ** beta
