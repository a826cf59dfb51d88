"""Weight initialisers, as ``torch.nn.init``: in place, outside the graph, from lucid.random.

Every function overwrites ``tensor.data`` with draws from ``lucid.random.generator()`` (so
``lucid.random.seed`` reproduces them), or from ``generator=`` (a ``numpy.random.Generator``
or a Lucid generator wrapping one) where PyTorch takes one, in the tensor's dtype, and returns
the tensor. The fan computations, gains and defaults are PyTorch's (the random streams are
NumPy's, not PyTorch's).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from lucid import random
from lucid.tensor import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "zeros_", "ones_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
    "sparse_", "eye_", "dirac_",
]  # fmt: skip

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")  # fmt: skip


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain that keeps activations' variance steady through ``nonlinearity``.

    1 for linear layers and sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + a**2)) for
    leaky_relu with negative slope ``param`` (default 0.01), 3/4 for selu.
    """
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fans(tensor: Tensor, op: str) -> tuple[int, int]:
    """(fan_in, fan_out): dims 1 and 0 times the receptive field (the product of dims 2...)."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(
            f"{op}: fan in and fan out need a tensor of at least 2 dimensions, got shape {shape}"
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor: Tensor, mode: str, op: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{op}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor, op)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Tensor, values: Any) -> Tensor:
    """Write ``values`` into ``tensor`` in place (cast to its dtype); returns the tensor."""
    tensor._data[...] = values
    tensor._version += 1
    return tensor


def _rng(generator: Any) -> np.random.Generator:
    """``generator`` itself, or Lucid's global generator when None."""
    if generator is None:
        return random.generator()
    if isinstance(generator, np.random.Generator):
        return generator
    # a lucid Generator (torch.Generator's analogue) wraps its NumPy generator as ``_rng``
    inner = getattr(generator, "_rng", None)
    if isinstance(inner, np.random.Generator):
        return inner
    raise TypeError(
        f"generator must be a numpy.random.Generator or None, got {type(generator).__name__}"
    )


def _draw_dtype(tensor: Tensor) -> type:
    """NumPy draws float32 and float64 directly; anything else is drawn in float64 and cast."""
    return np.float32 if tensor.dtype == np.float32 else np.float64


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with draws from U(a, b)."""
    u = _rng(generator).random(tensor.shape, dtype=_draw_dtype(tensor))
    return _fill(tensor, a + (b - a) * u)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with draws from N(mean, std**2)."""
    z = _rng(generator).standard_normal(tensor.shape, dtype=_draw_dtype(tensor))
    return _fill(tensor, mean + std * z)


# Below this probability of a draw landing in [a, b], redrawing would take too many rounds
# and trunc_normal_ inverts the normal CDF instead.
_REJECTION_MIN_MASS = 0.25


# Acklam's coefficients: the central region's numerator (a) and denominator (b), the tails'
# numerator (c) and denominator (d).
_ACKLAM = (
    (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02, 1.383577518672690e02,
     -3.066479806614716e01, 2.506628277459239e00),
    (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02, 6.680131188771972e01,
     -1.328068155288572e01),
    (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
     -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00),
    (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00),
)  # fmt: skip


def _normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


def _normal_ppf(p: np.ndarray) -> np.ndarray:
    """The standard normal quantile function, elementwise for p in (0, 1): Acklam's rational
    approximation (relative error below 1.2e-9), then one Halley step against ``math.erfc``."""
    a, b, c, d = _ACKLAM
    p = np.asarray(p, dtype=np.float64)
    x = np.empty_like(p)
    low, high = p < 0.02425, p > 1 - 0.02425
    mid = ~(low | high)
    q = p[mid] - 0.5
    r = q * q
    x[mid] = (
        (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
        * q
        / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    )
    for mask, sign, tail in ((low, 1.0, p), (high, -1.0, 1 - p)):
        q = np.sqrt(-2 * np.log(tail[mask]))
        x[mask] = (
            sign
            * (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
            / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        )
    cdf = np.vectorize(_normal_cdf, otypes=[np.float64])(x)
    e = cdf - p
    u = e * math.sqrt(2 * math.pi) * np.exp(x * x / 2)
    return x - u / (1 + x * u / 2)


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Any = None,
) -> Tensor:
    """Fill with N(mean, std**2) draws conditioned on lying in [a, b] (absolute bounds, as
    PyTorch). Out-of-range draws are redrawn while [a, b] holds at least a quarter of the
    mass; a narrower or far-off interval inverts the normal CDF on uniform draws instead
    (in the lower tail, where it is accurate), so any interval works."""
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    if not std > 0:
        raise ValueError(f"trunc_normal_: std must be positive, got {std}")
    gen = _rng(generator)
    lo, hi = (a - mean) / std, (b - mean) / std
    flip = lo > 0  # mirror an upper-tail interval into the lower tail
    if flip:
        lo, hi = -hi, -lo
    p_lo, p_hi = _normal_cdf(lo), _normal_cdf(hi)
    if p_hi - p_lo >= _REJECTION_MIN_MASS:
        z = gen.standard_normal(tensor.shape)
        outside = (z < lo) | (z > hi)
        while outside.any():
            z[outside] = gen.standard_normal(int(outside.sum()))
            outside = (z < lo) | (z > hi)
    else:
        u = gen.uniform(p_lo, p_hi, tensor.shape)
        z = np.clip(_normal_ppf(np.clip(u, np.nextafter(0, 1), None)), lo, hi)
    return _fill(tensor, mean + std * (-z if flip else z))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return _fill(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return _fill(tensor, 1)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot normal: N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    """He uniform: U(-bound, bound), bound = gain * sqrt(3 / fan), gain from ``nonlinearity``
    (and negative slope ``a``), fan the ``mode``'s fan. ``a=sqrt(5)`` gives PyTorch's default
    ``Linear``/``Conv`` weight init, U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    fan = _fan(tensor, mode, "kaiming_uniform_")
    if fan == 0:
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    """He normal: N(0, std**2) with std = gain / sqrt(fan), as ``kaiming_uniform_``."""
    fan = _fan(tensor, mode, "kaiming_normal_")
    if fan == 0:
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix times ``gain``: the Q of a Gaussian matrix's QR,
    its signs fixed by R's diagonal so that Q is uniformly distributed; dims after the first
    are flattened."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: needs at least 2 dimensions, got shape {tensor.shape}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: Any = None) -> Tensor:
    """Fill a 2-D tensor with N(0, std**2) draws, then zero ``ceil(sparsity * rows)`` randomly
    chosen entries in every column (Martens, 2010)."""
    if tensor.ndim != 2:
        raise ValueError(f"sparse_: only 2-D tensors are supported, got shape {tensor.shape}")
    if not 0 <= sparsity <= 1:
        raise ValueError(f"sparse_: sparsity must be in [0, 1], got {sparsity}")
    rows, cols = tensor.shape
    gen = _rng(generator)
    values = std * gen.standard_normal((rows, cols))
    n_zeros = math.ceil(sparsity * rows)
    for col in range(cols):
        values[gen.permutation(rows)[:n_zeros], col] = 0
    return _fill(tensor, values)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the diagonal, also when not square)."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape {tensor.shape}")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta: each of the first
    ``min(out / groups, in)`` output channels of every group copies its input channel, so the
    convolution is the identity there."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: only 3, 4 or 5-D tensors are supported, got {tensor.shape}")
    if groups < 1 or tensor.shape[0] % groups:
        raise ValueError(
            f"dirac_: dim 0 ({tensor.shape[0]}) must be divisible by groups ({groups})"
        )
    per_group = tensor.shape[0] // groups
    values = np.zeros(tensor.shape)
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(per_group, tensor.shape[1])):
            values[(g * per_group + d, d) + centre] = 1
    return _fill(tensor, values)


def _deprecated(fn: Any) -> Any:
    """PyTorch's old in-place-less names (``uniform`` for ``uniform_``): they warn and call."""
    old, new = fn.__name__[:-1], fn.__name__

    def deprecated_init(*args: Any, **kwargs: Any) -> Tensor:
        warnings.warn(
            f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new}`.",
            FutureWarning,
            stacklevel=2,
        )
        return fn(*args, **kwargs)

    deprecated_init.__name__ = deprecated_init.__qualname__ = old
    deprecated_init.__doc__ = f"Deprecated: use ``{new}``."
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
