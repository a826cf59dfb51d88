"""Loss functions as ops: fused, numerically stable cross-entropy and its relatives.

Each op returns the loss per element (PyTorch's ``reduction="none"``); the public functions
reduce it with the ``sum`` op, dividing by PyTorch's denominator for ``"mean"``. Gradients
build a coefficient array from the saved forward arrays and multiply it by ``grad`` last, so
that a tensor ``grad`` (higher-order gradients) stays a tensor.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from lucid._graph import binary_func_op, operation, unary_func_op
from lucid.kernels import loss as KL
from lucid.ops import _xp
from lucid.ops.activation import log_softmax, softmax
from lucid.ops.elementwise import abs as _abs
from lucid.ops.elementwise import exp as _exp
from lucid.ops.elementwise import log as _log
from lucid.ops.elementwise import sub
from lucid.ops.elementwise import where as _where
from lucid.ops.reduce import sum as _sum
from lucid.ops.shape import unsqueeze as _unsqueeze
from lucid.tensor import Tensor

__all__ = [
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "huber_loss",
    "poisson_nll_loss", "gaussian_nll_loss",
]  # fmt: skip

REDUCTIONS = ("none", "mean", "sum")
# PyTorch clamps BCE's logs at -100 so that a prediction of exactly 0 or 1 costs 100, not inf,
# and its gradient divides by max(x (1 - x), 1e-12).
_LOG_FLOOR = -100.0
_BCE_EPS = 1e-12


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _floating(x: np.ndarray) -> np.ndarray:
    return x if x.dtype.kind == "f" else x.astype(np.float32)


def _float_dtype(x: Tensor) -> np.dtype:
    """The dtype a float-valued op computes in for input ``x`` (integers: float32)."""
    return x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)


def _array(value: Any, dtype: np.dtype) -> np.ndarray | None:
    """A constant argument (weight, pos_weight) as an array of the input's dtype, or None."""
    if value is None:
        return None
    return np.asarray(value._data if isinstance(value, Tensor) else value, dtype=dtype)


def _check_reduction(op: str, reduction: str, allowed: tuple[str, ...] = REDUCTIONS) -> None:
    if reduction not in allowed:
        raise ValueError(f"{op}: reduction must be one of {allowed}, got {reduction!r}")


def _legacy_reduction(reduction: str, size_average: Any, reduce: Any) -> str:
    """PyTorch's deprecated ``size_average``/``reduce`` pair, when given, as a reduction."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _reduction(
    op: str, reduction: str, size_average: Any, reduce: Any, allowed: tuple[str, ...] = REDUCTIONS
) -> str:
    """The reduction to use (the legacy pair honoured, as ``_legacy_reduction``), checked."""
    reduction = _legacy_reduction(reduction, size_average, reduce)
    _check_reduction(op, reduction, allowed)
    return reduction


def _reduce(loss: Tensor, reduction: str, denominator: float | None = None) -> Tensor:
    """``loss`` itself, its sum, or its sum over ``denominator`` (default: its size)."""
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    n = loss._data.size if denominator is None else denominator
    # 0 / 0 is NaN, as in PyTorch (every target ignored, or an empty batch).
    return total * (1 / n) if n else total * math.nan


def _input_target(op: str, input: Any, target: Any) -> tuple[Tensor, Tensor]:
    """Both as tensors, warning (at the loss's caller) when their shapes differ, as PyTorch."""
    a, b = _tensor(input), _tensor(target)
    if a.shape != b.shape:
        warnings.warn(
            f"{op}: input shape {a.shape} and target shape {b.shape} differ and will be "
            "broadcast, which is likely a mistake; make them equal",
            UserWarning,
            stacklevel=3,
        )
    return a, b


# --------------------------------------------------------------------------- class targets


def _classes_last(x: np.ndarray) -> np.ndarray:
    """(N, C, d1, ...) as (N * d1 * ..., C); (C,) as (1, C). Arrays or tensors."""
    if x.ndim == 1:
        return x.reshape(1, -1)
    return _xp.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _classes_back(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The inverse of ``_classes_last`` for a gradient of shape (M, C). Arrays or tensors."""
    if len(shape) == 1:
        return g.reshape(shape)
    moved = g.reshape((shape[0],) + shape[2:] + (shape[1],))
    return _xp.moveaxis(moved, -1, 1)


def _check_class_target(
    op: str, x: np.ndarray, target: np.ndarray, ignore_index: int
) -> np.ndarray:
    """Class-index targets as a flat int64 array, after checking shape, dtype and range."""
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: target must be an integer tensor of class indices, got {target.dtype}"
        )
    expected = x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()
    if x.ndim == 0 or target.shape != expected:
        raise ValueError(
            f"{op}: input of shape {x.shape} (N, C, d1, ...) needs a target of shape "
            f"{expected} (N, d1, ...), got {target.shape}"
        )
    flat = target.reshape(-1).astype(np.int64, copy=False)
    n_classes = x.shape[1] if x.ndim > 1 else x.shape[0]
    bad = (flat != ignore_index) & ((flat < 0) | (flat >= n_classes))
    if bad.any():
        raise IndexError(
            f"{op}: target value {int(flat[bad][0])} is out of range for {n_classes} classes "
            f"(valid: 0 to {n_classes - 1}, or ignore_index={ignore_index})"
        )
    return flat


def _check_weight(op: str, weight: np.ndarray | None, n_classes: int) -> None:
    if weight is not None and weight.shape != (n_classes,):
        raise ValueError(
            f"{op}: weight must have shape ({n_classes},), one per class, got {weight.shape}"
        )


def _target_class_weights(
    target: np.ndarray, weight: np.ndarray | None, ignore_index: int, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For flat class-index targets (M,): which are counted (``valid``), each one's class
    ``y`` (0 where ignored) and its weight ``w_y`` in ``dtype`` (0 where ignored)."""
    valid = target != ignore_index
    y = np.where(valid, target, 0)
    wy = (weight[y] if weight is not None else np.ones(target.shape[0], dtype)) * valid
    return valid, y, wy.astype(dtype, copy=False)


class CrossEntropy(operation):
    """l_i = -sum_c a_ic log softmax(x_i)_c;  d/dx_ij = A_i softmax(x_i)_j - a_ij, A = sum_c a.

    ``a`` is (1 - s) w_y at the target class plus s/C w_c everywhere (class indices y, label
    smoothing s, class weights w; ignored rows 0). The input arrives as (M, C) rows; the loss
    is one value per row, computed by the fused kernels of ``lucid.kernels.loss``. (Class
    probabilities are composed of ops in ``cross_entropy``, so that the target gets a gradient.)
    """

    def __init__(
        self, target: np.ndarray, weight: np.ndarray | None, ignore_index: int, smoothing: float
    ) -> None:
        self.target, self.weight = target, weight
        self.ignore_index, self.smoothing = ignore_index, smoothing

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        self.save_for_backward(x)
        # The rows and their logsumexp serve the fused backward kernel (plain arrays only).
        self.rows = rows = _classes_last(_floating(x))
        loss, self.lse = KL.softmax_cross_entropy_forward(
            rows, self.target, self.weight, self.ignore_index, self.smoothing
        )
        return loss

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        (x,) = self.saved_tensors
        if _xp.is_tensor(x, grad):
            # Recorded (higher-order gradients): A p - a with p = softmax of the input rows
            # as ops, so that its dependence on the input is recorded too.
            total, a = self._target_weights()
            p = softmax(_classes_last(x), axis=1)
            return _classes_back((total * p - a) * grad.reshape(-1, 1), self.shape)
        d = KL.softmax_cross_entropy_backward(
            grad.reshape(-1), self.rows, self.lse, self.target, self.weight, self.ignore_index,
            self.smoothing,
        )  # fmt: skip
        return _classes_back(d, self.shape)

    def _target_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """A (M, 1) and a (M, C) of the class docstring: d l_i / d x_i = A_i p_i - a_i."""
        n, c = self.rows.shape
        s, w, dtype = self.smoothing, self.weight, self.rows.dtype
        valid, y, wy = _target_class_weights(self.target, w, self.ignore_index, dtype)
        total = (1 - s) * wy + s * (1.0 if w is None else w.mean()) * valid
        a = np.zeros((n, c), dtype)
        a[np.arange(n), y] = (1 - s) * wy
        if s:
            a += (s / c) * (1 if w is None else w) * valid[:, None]
        return total[:, None].astype(dtype), a


class NllLoss(operation):
    """l_i = -w_y x_iy (x: log-probabilities);  d/dx_ij = -w_y where j = y_i, else 0."""

    def __init__(self, target: np.ndarray, weight: np.ndarray | None, ignore_index: int) -> None:
        self.target, self.weight, self.ignore_index = target, weight, ignore_index

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        self.save_for_backward()  # the gradient is a constant: -w_y at the target class
        x = _classes_last(x)
        _, self.y, self.wy = _target_class_weights(
            self.target, self.weight, self.ignore_index, x.dtype
        )
        return -self.wy * x[np.arange(x.shape[0]), self.y]

    def gradient(self, grad: np.ndarray) -> np.ndarray:
        n = self.y.shape[0]
        c = self.shape[1] if len(self.shape) > 1 else self.shape[0]
        d = np.zeros((n, c), dtype=self.wy.dtype)
        d[np.arange(n), self.y] = -self.wy
        return _classes_back(d * grad.reshape(-1, 1), self.shape)


def _class_loss_setup(op: str, input: Any, target: Any, weight: Any) -> tuple:
    x = _tensor(input)
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have a class axis, got a 0-d tensor")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be a floating-point tensor, got {x.dtype}")
    n_classes = x.shape[1] if x.ndim > 1 else x.shape[0]
    w = _array(weight, x.dtype)
    _check_weight(op, w, n_classes)
    return x, w


def _class_mean_divisor(flat: np.ndarray, w: np.ndarray | None, ignore_index: int) -> float:
    """PyTorch's ``"mean"`` denominator: the summed weight of the counted targets."""
    valid = flat != ignore_index
    return float(w[flat[valid]].sum()) if w is not None else int(valid.sum())


def _class_reduce(
    loss: Tensor, reduction: str, flat: np.ndarray, w: np.ndarray | None, ignore_index: int
) -> Tensor:
    """Reduce per-target losses as PyTorch: ``"mean"`` over the summed weight of the counted
    targets, and NaN when every target is ignored, with a zero gradient then (PyTorch's)."""
    if reduction != "mean":
        return _reduce(loss, reduction)
    if not (flat != ignore_index).any():
        return loss.sum() * 0 + math.nan
    return _reduce(loss, reduction, _class_mean_divisor(flat, w, ignore_index))


def _probability_cross_entropy(x: Tensor, t: Any, w: Any, smoothing: float) -> Tensor:
    """``-sum_c w_c ((1 - s) t_c + s / C) log_softmax(x)_c`` over the class axis, by ops, so
    that both ``x`` and a target that requires grad get gradients (of any order)."""
    axis = 1 if x.ndim > 1 else 0
    n_classes = x.shape[axis]
    t = _tensor(t)
    a = (1 - smoothing) * t + smoothing / n_classes if smoothing else t
    if w is not None:
        w = w.reshape((-1,) + (1,) * (x.ndim - axis - 1))
        a = a * w
    return -_sum(a * log_softmax(x, axis=axis), axis=axis)


def cross_entropy(
    input: Any,  # noqa: A002 - PyTorch's name
    target: Any,
    weight: Any = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,  # noqa: A002 - PyTorch's name
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy of logits ``input`` (N, C), (C,) or (N, C, d1, ...) against
    ``target``, as ``torch.nn.functional.cross_entropy``.

    ``target`` holds class indices (ints of shape (N, d1, ...)) or class probabilities (floats
    of the input's shape; then the target gets a gradient too). Class indices run one fused op:
    ``-sum_c a_c log_softmax(x)_c`` with a stable log-softmax, so logits of any magnitude give a
    finite loss and gradient. ``weight`` (C,) weighs classes; targets equal to ``ignore_index``
    count for nothing; ``label_smoothing`` mixes the target with the uniform distribution.
    ``"mean"`` divides by the summed weight of the counted targets (by N * d1 * ... for
    probabilities), as PyTorch; the deprecated ``size_average``/``reduce`` are honoured. An index
    out of range raises IndexError naming it.
    """
    reduction = _reduction("cross_entropy", reduction, size_average, reduce)
    if _xp.is_half(input):
        return _xp.through_float32(
            cross_entropy,
            input,
            target,
            weight,
            ignore_index=ignore_index,
            reduction=reduction,
            label_smoothing=label_smoothing,
        )
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}"
        )
    x, w = _class_loss_setup("cross_entropy", input, target, weight)
    t_array = target._data if isinstance(target, Tensor) else np.asarray(target)
    if t_array.dtype.kind == "f":
        if t_array.shape != x.shape:
            raise ValueError(
                f"cross_entropy: class-probability target of shape {t_array.shape} must have "
                f"the input's shape {x.shape} (or pass integer class indices)"
            )
        if t_array.dtype != x.dtype:
            raise TypeError(
                f"cross_entropy: class-probability target of dtype {t_array.dtype} must have "
                f"the input's dtype {x.dtype}"
            )
        loss = _probability_cross_entropy(x, target, w, label_smoothing)
        return _reduce(loss, reduction)
    flat = _check_class_target("cross_entropy", x._data, t_array, ignore_index)
    loss = CrossEntropy(flat, w, ignore_index, label_smoothing)(x).reshape(t_array.shape)
    return _class_reduce(loss, reduction, flat, w, ignore_index)


def nll_loss(
    input: Any,  # noqa: A002 - PyTorch's name
    target: Any,
    weight: Any = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,  # noqa: A002 - PyTorch's name
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood ``-w_y input[y]`` of log-probabilities ``input`` (N, C), (C,) or
    (N, C, d1, ...) against class indices ``target`` (N, d1, ...); ``"mean"`` divides by the
    summed weights of the counted targets, as PyTorch."""
    reduction = _reduction("nll_loss", reduction, size_average, reduce)
    x, w = _class_loss_setup("nll_loss", input, target, weight)
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    flat = _check_class_target("nll_loss", x._data, t, ignore_index)
    loss = NllLoss(flat, w, ignore_index)(x).reshape(t.shape)
    return _class_reduce(loss, reduction, flat, w, ignore_index)


# --------------------------------------------------------------------------- regression


class MseLoss(operation):
    """(x - t)**2, then mean, sum or none;  d/dx = 2 (x - t) grad / n = -d/dt.

    One op instead of sub, square and mean. The gradient recomputes ``x - t`` from the inputs
    rather than saving it, so it is right under ``create_graph`` too.
    """

    def __init__(self, reduction: str) -> None:
        self.reduction = reduction

    @binary_func_op()
    def forward(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        self.save_for_backward(x, t)
        d = x - t
        squared = d * d
        if self.reduction == "none":
            return squared
        total = squared.sum()
        if self.reduction == "sum":
            return total
        return total / squared.size if squared.size else total * np.nan

    def gradient(self, grad: Any) -> tuple:
        x, t = self.saved_tensors
        d = x - t
        scale = 2.0 if self.reduction != "mean" else 2.0 / max(d.size, 1)
        to_x = grad * d * scale
        return to_x, (-to_x if self.parents[1].requires_grad else None)


def _elementwise_weight(op: str, weight: Any, x: Tensor) -> Tensor:
    w = _tensor(weight)
    if w.shape != x.shape:
        raise ValueError(f"{op}: weight of shape {w.shape} must have the input's shape {x.shape}")
    return w


def _weighted_mean(loss: Tensor, w: Tensor, reduction: str) -> Tensor:
    """``loss * w``, its sum, or its sum over ``sum(w)`` (PyTorch's weighted mse/l1 mean)."""
    weighted = loss * w
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    return weighted.sum() / w.sum()


def mse_loss(
    input: Any,  # noqa: A002 - PyTorch's name
    target: Any,
    size_average: Any = None,
    reduce: Any = None,  # noqa: A002 - PyTorch's name
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """Squared error ``(input - target)**2``, reduced; gradients flow to both arguments.

    ``weight`` (the input's shape) multiplies each element; its ``"mean"`` is
    ``sum(w l) / sum(w)``, as PyTorch's.
    """
    reduction = _reduction("mse_loss", reduction, size_average, reduce)
    x, t = _input_target("mse_loss", input, target)
    if weight is not None:
        w = _elementwise_weight("mse_loss", weight, x)
        return _weighted_mean(MseLoss("none")(x, t), w, reduction)
    return MseLoss(reduction)(x, t)


def l1_loss(
    input: Any,  # noqa: A002 - PyTorch's name
    target: Any,
    size_average: Any = None,
    reduce: Any = None,  # noqa: A002 - PyTorch's name
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """Absolute error ``|input - target|``, reduced (subgradient 0 where they are equal);
    ``weight`` as in ``mse_loss``."""
    reduction = _reduction("l1_loss", reduction, size_average, reduce)
    x, t = _input_target("l1_loss", input, target)
    if weight is not None:
        w = _elementwise_weight("l1_loss", weight, x)
        return _weighted_mean(_abs(sub(x, t)), w, reduction)
    return _reduce(_abs(sub(x, t)), reduction)


class SmoothL1(operation):
    """0.5 d**2 / beta where |d| < beta, else |d| - beta / 2 (d = a - b);  d/da = clip(d / beta,
    -1, 1) = -d/db (sign(d) when beta is 0)."""

    def __init__(self, beta: float) -> None:
        self.beta = beta

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save_for_backward(a, b)
        d = _floating(a) - b
        self.dtype = d.dtype
        ad = np.abs(d)
        if self.beta == 0:
            return ad
        return np.where(ad < self.beta, 0.5 * d * d / self.beta, ad - 0.5 * self.beta)

    def gradient(self, grad: np.ndarray) -> tuple:
        a, b = self.saved_tensors
        d = a - b
        if self.beta == 0:
            slope = np.sign(_xp.data(d))  # piecewise constant
        else:
            slope = _xp.clip(d / self.beta, -1, 1)
        dtype = self.dtype
        to_a = grad * (slope if slope.dtype == dtype else slope.astype(dtype))
        return to_a, -to_a


def smooth_l1_loss(
    input: Any,  # noqa: A002 - PyTorch's name
    target: Any,
    size_average: Any = None,
    reduce: Any = None,  # noqa: A002 - PyTorch's name
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """``0.5 d**2 / beta`` for ``|d| < beta``, else ``|d| - 0.5 beta`` (d = input - target);
    ``beta=0`` is the L1 loss."""
    reduction = _reduction("smooth_l1_loss", reduction, size_average, reduce)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must not be negative, got {beta}")
    x, t = _input_target("smooth_l1_loss", input, target)
    return _reduce(SmoothL1(beta)(x, t), reduction)


def huber_loss(
    input: Any,  # noqa: A002 - PyTorch's name
    target: Any,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Any = None,
) -> Tensor:
    """``0.5 d**2`` for ``|d| < delta``, else ``delta (|d| - 0.5 delta)``: ``delta`` times
    ``smooth_l1_loss`` with ``beta=delta``. ``weight`` (the input's shape) multiplies each
    element, and its ``"mean"`` is the plain mean of the weighted losses, as PyTorch's."""
    _check_reduction("huber_loss", reduction)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    x, t = _input_target("huber_loss", input, target)
    loss = SmoothL1(delta)(x, t) * delta
    if weight is not None:
        loss = loss * _elementwise_weight("huber_loss", weight, x)
    return _reduce(loss, reduction)


def poisson_nll_loss(
    input: Any,  # noqa: A002 - PyTorch's name
    target: Any,
    log_input: bool = True,
    full: bool = False,
    size_average: Any = None,
    eps: float = 1e-8,
    reduce: Any = None,  # noqa: A002 - PyTorch's name
    reduction: str = "mean",
) -> Tensor:
    """Poisson negative log-likelihood of ``target`` under rate ``exp(input)`` (``log_input``)
    or ``input``: ``exp(x) - t x``, or ``x - t log(x + eps)``. ``full`` adds Stirling's
    approximation of ``log(t!)``, ``t log t - t + 0.5 log(2 pi t)``, where ``t > 1``."""
    reduction = _reduction("poisson_nll_loss", reduction, size_average, reduce)
    x, t = _tensor(input), _tensor(target)
    if log_input:
        loss = _exp(x) - t * x
    else:
        loss = x - t * _log(x + eps)
    if full:
        big = t._data > 1
        safe_t = _where(big, t, 1.0)  # log 1 = 0 where masked: no NaN in either direction
        stirling = safe_t * _log(safe_t) - safe_t + 0.5 * _log(2 * math.pi * safe_t)
        loss = loss + _where(big, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(
    input: Any,  # noqa: A002 - PyTorch's name
    target: Any,
    var: Any,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Gaussian negative log-likelihood ``0.5 (log v + (input - target)**2 / v)`` (plus
    ``0.5 log(2 pi)`` if ``full``), with ``v = max(var, eps)``.

    ``var`` has the input's shape, or one dimension fewer (its last dimension, one variance
    shared), or a size of 1 in exactly one dimension, or is a float. As PyTorch, the clamp at
    ``eps`` is outside the graph: ``var`` gets the gradient as if it were not clamped.
    """
    x, t = _tensor(input), _tensor(target)
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError(f"gaussian_nll_loss: var must not be negative, got {var}")
        var = Tensor(np.full(x.shape, var, dtype=_float_dtype(x)))
    v = _tensor(var)
    if (v._data < 0).any():
        raise ValueError("gaussian_nll_loss: var has negative entries")
    if v.shape != x.shape:
        if x.shape[:-1] == v.shape:
            v = _unsqueeze(v, -1)
        elif (
            x.ndim != v.ndim
            or sum(b for a, b in zip(x.shape, v.shape, strict=True) if a != b) != 1
        ):
            raise ValueError(
                f"gaussian_nll_loss: var of shape {v.shape} does not fit the input's shape "
                f"{x.shape} (same shape, the last dimension dropped, or one dimension of size 1)"
            )
    _check_reduction("gaussian_nll_loss", reduction)
    # v + (clamped - v) with the correction a constant: clamped values, identity gradient.
    v = v + Tensor._wrap(np.maximum(v._data, eps) - v._data)
    loss = 0.5 * (_log(v) + (x - t) ** 2 / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# --------------------------------------------------------------------------- binary targets


def _check_same_shape(op: str, x: Tensor, t: Tensor) -> None:
    if x.shape != t.shape:
        raise ValueError(f"{op}: target shape {t.shape} must equal the input shape {x.shape}")


class _WeightedBinaryLoss(operation):
    """The part of the two binary cross-entropies that ``weight`` w touches: the loss and both
    local derivatives are multiplied by it."""

    weight: np.ndarray | None

    def _weighted(self, loss: np.ndarray) -> np.ndarray:
        return loss * self.weight if self.weight is not None else loss

    def _to_parents(self, grad: Any, dx: Any, dt: Any, dtype: np.dtype) -> tuple:
        """``grad`` times w dx to the input and times w dt to the target (in ``dtype``), None
        to a parent that needs no gradient."""
        dx, dt = self._weighted(dx), self._weighted(dt)
        to_x = grad * dx.astype(dtype) if self.parents[0].requires_grad else None
        to_t = grad * dt.astype(dtype) if self.parents[1].requires_grad else None
        return to_x, to_t


class BinaryCrossEntropy(_WeightedBinaryLoss):
    """-w (t log x + (1 - t) log(1 - x)), logs floored at -100;  d/dx = w (x - t) /
    max(x (1 - x), 1e-12), d/dt = w (log(1 - x) - log x)."""

    def __init__(self, weight: np.ndarray | None) -> None:
        self.weight = weight

    @binary_func_op()
    def forward(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        x = _floating(x)
        if not ((x >= 0) & (x <= 1)).all():  # written so that NaN fails too, as in PyTorch
            bad = "NaN" if np.isnan(x).any() else "a value outside [0, 1]"
            raise ValueError(
                f"binary_cross_entropy: every input element must be in [0, 1], got {bad}"
            )
        self.save_for_backward(x, t)
        t = t.astype(x.dtype, copy=False)
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), _LOG_FLOOR)
            log_1mx = np.maximum(np.log1p(-x), _LOG_FLOOR)
        loss = -(t * log_x + (1 - t) * log_1mx)
        return self._weighted(loss).astype(x.dtype)

    def gradient(self, grad: np.ndarray) -> tuple:
        x, t = self.saved_tensors
        with np.errstate(divide="ignore"):  # the logs again: recorded under create_graph
            log_x = _xp.maximum(_xp.log(x), _LOG_FLOOR)
            log_1mx = _xp.maximum(_xp.log(1 - x), _LOG_FLOOR)
        dx = (x - t) / _xp.maximum(x * (1 - x), _BCE_EPS)
        dt = log_1mx - log_x
        return self._to_parents(grad, dx, dt, x.dtype)


class BinaryCrossEntropyWithLogits(_WeightedBinaryLoss):
    """(1 - t) x + (1 + (p - 1) t) softplus(-x), times w (p: pos_weight);  d/dx = w (sigmoid(x)
    (1 - t + p t) - p t), d/dt = w (p softplus(-x) - softplus(x))."""

    def __init__(self, weight: np.ndarray | None, pos_weight: np.ndarray | None) -> None:
        self.weight, self.pos_weight = weight, pos_weight

    @binary_func_op()
    def forward(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        x = _floating(x)
        self.save_for_backward(x, t)
        t = t.astype(x.dtype, copy=False)
        # softplus(-x) = log(1 + exp(-x)) = max(-x, 0) + log1p(exp(-|x|)): never overflows.
        sp_neg = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
        p = self.pos_weight
        loss = (1 - t) * x + (1 + (p - 1) * t if p is not None else 1) * sp_neg
        return self._weighted(loss).astype(x.dtype)

    def gradient(self, grad: np.ndarray) -> tuple:
        x, t = self.saved_tensors
        p = 1 if self.pos_weight is None else self.pos_weight
        # softplus(-x) again (recorded under create_graph); NumPy's ufuncs run Lucid's ops on
        # Tensors, so log1p keeps its precision for large |x| in both
        sp_neg = np.maximum(-x, 0) + np.log1p(np.exp(-abs(x)))
        s = _xp.exp(-sp_neg)  # sigmoid(x) = exp(-softplus(-x))
        dx = s * (1 - t + p * t) - p * t
        dt = p * sp_neg - (sp_neg + x)  # softplus(x) = softplus(-x) + x
        return self._to_parents(grad, dx, dt, x.dtype)


def binary_cross_entropy(
    input: Any,  # noqa: A002 - PyTorch's name
    target: Any,
    weight: Any = None,
    size_average: Any = None,
    reduce: Any = None,  # noqa: A002 - PyTorch's name
    reduction: str = "mean",
) -> Tensor:
    """``-w (t log x + (1 - t) log(1 - x))`` for probabilities ``x`` in [0, 1], logs floored at
    -100 as in PyTorch; ``weight`` broadcasts against the input. Prefer
    ``binary_cross_entropy_with_logits`` on logits: it is stable."""
    reduction = _reduction("binary_cross_entropy", reduction, size_average, reduce)
    x, t = _tensor(input), _tensor(target)
    _check_same_shape("binary_cross_entropy", x, t)
    w = _array(weight, _float_dtype(x))
    return _reduce(BinaryCrossEntropy(w)(x, t), reduction)


def binary_cross_entropy_with_logits(
    input: Any,  # noqa: A002 - PyTorch's name
    target: Any,
    weight: Any = None,
    size_average: Any = None,
    reduce: Any = None,  # noqa: A002 - PyTorch's name
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """Sigmoid plus binary cross-entropy in one stable op: ``-w (p t log sigmoid(x) + (1 - t)
    log(1 - sigmoid(x)))`` for logits ``x`` of any magnitude. ``pos_weight`` p weighs positives
    and broadcasts along the last (class) axis; ``weight`` w broadcasts against the input."""
    reduction = _reduction("binary_cross_entropy_with_logits", reduction, size_average, reduce)
    x, t = _tensor(input), _tensor(target)
    _check_same_shape("binary_cross_entropy_with_logits", x, t)
    dtype = _float_dtype(x)
    w, p = _array(weight, dtype), _array(pos_weight, dtype)
    return _reduce(BinaryCrossEntropyWithLogits(w, p)(x, t), reduction)


class KlDiv(operation):
    """t (log t - x), 0 where t = 0 (or exp(t) (t - x) for log targets);  d/dx = -t (-exp(t)),
    d/dt = log t + 1 - x where t > 0 (exp(t) (t - x + 1))."""

    def __init__(self, log_target: bool) -> None:
        self.log_target = log_target

    @binary_func_op()
    def forward(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        x = _floating(x)
        self.save_for_backward(x, t)
        t = t.astype(x.dtype, copy=False)
        if self.log_target:
            return np.exp(t) * (t - x)
        positive = t > 0
        log_t = np.log(np.where(positive, t, 1))  # log 1 = 0 where t = 0: 0 log 0 = 0
        return np.where(positive, t * (log_t - x), 0).astype(x.dtype)

    def gradient(self, grad: np.ndarray) -> tuple:
        x, t = self.saved_tensors  # exp(t), log(t) again: recorded under create_graph
        if self.log_target:
            p = _xp.exp(t)
            dx, dt = -p, p * (t - x + 1)
        else:
            positive = _xp.data(t) > 0
            log_t = _xp.log(_xp.where(positive, t, 1))
            dx, dt = -t, _xp.where(positive, log_t + 1 - x, 0).astype(x.dtype)
        to_x = grad * dx if self.parents[0].requires_grad else None
        to_t = grad * dt if self.parents[1].requires_grad else None
        return to_x, to_t


def kl_div(
    input: Any,  # noqa: A002 - PyTorch's name
    target: Any,
    size_average: Any = None,
    reduce: Any = None,  # noqa: A002 - PyTorch's name
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Kullback-Leibler divergence ``t (log t - input)`` with ``input`` log-probabilities and
    ``target`` t probabilities (log-probabilities if ``log_target``).

    ``reduction="batchmean"`` divides the sum by the batch size (the KL divergence proper);
    ``"mean"`` divides by the element count, as PyTorch (which warns about it).
    """
    reduction = _reduction("kl_div", reduction, size_average, reduce, REDUCTIONS + ("batchmean",))
    x, t = _input_target("kl_div", input, target)
    loss = KlDiv(log_target)(x, t)
    if reduction == "batchmean":
        return _reduce(loss, "mean", loss.shape[0] if loss.ndim else 1)
    return _reduce(loss, reduction)
