"""lucid.random: every random number Lucid draws comes from a seeded Generator.

``lucid.manual_seed(0)`` (also ``lucid.random.seed``) makes a whole program reproducible: the
samplers here, ``nn.init``, ``Dropout`` and ``DataLoader`` shuffling all draw from
``lucid.default_generator`` (its NumPy generator is ``generator()``). Until seeded it starts
from fresh OS entropy, as NumPy's ``default_rng()`` (PyTorch starts from a fixed seed instead).
After ``manual_seed(s)`` the stream is exactly that of ``np.random.default_rng(s)`` (not
PyTorch's numbers). Every sampler also takes ``generator=``, a ``lucid.Generator`` of its own.
Floating-point samples have the default float dtype (float32) unless ``dtype=`` says
otherwise, and are drawn in that dtype.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from lucid import _dtypes
from lucid._device import CPU, check_device
from lucid.ops._args import sizes_keyword
from lucid.ops.index import getitem
from lucid.ops.inplace import check_writable
from lucid.ops.shape import size_arg
from lucid.tensor import Tensor, _dtype

__all__ = [
    "Generator", "default_generator", "seed", "manual_seed", "initial_seed", "get_rng_state",
    "set_rng_state", "generator", "randn", "rand", "randint", "uniform", "normal",
    "permutation", "randperm", "bernoulli", "multinomial", "poisson", "randn_like",
    "rand_like", "randint_like",
]  # fmt: skip

_STATE_BYTES = 16 + 16 + 1 + 4  # PCG64: 128-bit state and increment, a cached 32-bit draw


def _entropy() -> int:
    """A fresh 63-bit seed from the OS (what ``seed()`` and a new generator start from)."""
    return int.from_bytes(os.urandom(8), "little") >> 1


class Generator:
    """A random number generator, as ``torch.Generator``: ``Generator().manual_seed(0)``.

    It wraps a NumPy ``Generator`` over PCG64; pass it as ``generator=`` to any sampler.
    ``get_state()`` is a uint8 tensor that ``set_state`` restores (and ``lucid.save`` keeps).
    """

    def __init__(self, device: Any = "cpu") -> None:
        check_device("Generator", device)
        self._initial_seed = _entropy()
        self._rng = np.random.Generator(np.random.PCG64(self._initial_seed))

    device = property(lambda self: CPU, doc="The CPU, Lucid's only device.")

    def manual_seed(self, seed: int) -> Generator:
        """Reseed in place (code holding this generator sees it too); returns self."""
        try:
            value = int(seed)
            state = np.random.PCG64(value if value >= 0 else value + 2**64).state
        except (TypeError, ValueError) as exc:
            raise ValueError(f"manual_seed: expected an int, got {seed!r} ({exc})") from None
        self._rng.bit_generator.state = state
        self._initial_seed = value
        return self

    def seed(self) -> int:
        """Reseed from OS entropy; returns the new seed."""
        new = _entropy()
        self.manual_seed(new)
        return new

    def initial_seed(self) -> int:
        """The seed last set by ``manual_seed`` or ``seed`` (or drawn at creation)."""
        return self._initial_seed

    def get_state(self) -> Tensor:
        """The generator's whole state as a uint8 tensor of 37 bytes."""
        st = self._rng.bit_generator.state
        raw = (
            st["state"]["state"].to_bytes(16, "little")
            + st["state"]["inc"].to_bytes(16, "little")
            + bytes([st["has_uint32"]])
            + int(st["uinteger"]).to_bytes(4, "little")
        )
        return Tensor._wrap(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, state: Any) -> Generator:
        """Restore a state from ``get_state()``; returns self."""
        raw = np.asarray(state._data if isinstance(state, Tensor) else state)
        if raw.dtype != np.uint8 or raw.shape != (_STATE_BYTES,):
            raise ValueError(
                f"set_state: expected a uint8 tensor of shape ({_STATE_BYTES},) from "
                f"get_state(), got dtype {raw.dtype} and shape {raw.shape}"
            )
        b = raw.tobytes()
        self._rng.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {
                "state": int.from_bytes(b[:16], "little"),
                "inc": int.from_bytes(b[16:32], "little"),
            },
            "has_uint32": b[32],
            "uinteger": int.from_bytes(b[33:37], "little"),
        }
        return self

    def __repr__(self) -> str:
        return f"<lucid.Generator initial_seed={self._initial_seed}>"


default_generator = Generator()
_generator = default_generator._rng


def _rng(op: str, gen: Any) -> np.random.Generator:
    """The NumPy generator behind ``generator=`` (None: the default generator)."""
    if gen is None:
        return _generator
    if isinstance(gen, Generator):
        return gen._rng
    raise TypeError(f"{op}: generator must be a lucid.Generator, got {type(gen).__name__}")


def manual_seed(seed: int) -> Generator:
    """Seed Lucid's default generator in place; returns it, as ``torch.manual_seed``."""
    return default_generator.manual_seed(seed)


def seed(seed: int | None = None) -> int:
    """Reseed the default generator in place; returns the seed.

    ``seed(n)`` (NumPy's spelling, a non-negative int) seeds it with ``n``; ``seed()``
    (PyTorch's ``torch.seed``) seeds it from OS entropy.
    """
    if seed is None:
        return default_generator.seed()
    if not isinstance(seed, (int, np.integer)) or int(seed) < 0:
        raise ValueError(f"seed: expected a non-negative int, got {seed!r}")
    default_generator.manual_seed(seed)
    return int(seed)


def initial_seed() -> int:
    """The default generator's last seed."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state (a uint8 tensor), for ``set_rng_state``."""
    return default_generator.get_state()


def set_rng_state(state: Any) -> None:
    """Restore the default generator's state from ``get_rng_state()``."""
    default_generator.set_state(state)


def generator() -> np.random.Generator:
    """The NumPy generator behind ``default_generator``; draw from it, never a private one."""
    return _generator


def _shape(op: str, size: Any) -> tuple[int, ...]:
    shape = size_arg(op, size)
    if any(n < 0 for n in shape):
        raise ValueError(f"{op}: sizes must not be negative, got {shape}")
    return shape


def _float_dtype(op: str, dtype: Any) -> np.dtype:
    dt = _dtypes.get_default_dtype() if dtype is None else _dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{op}: dtype must be a floating-point dtype, got {dt}")
    return dt


def _floats(draw: Any, shape: tuple, dt: np.dtype) -> np.ndarray:
    """``draw(shape, dtype=dt)``; NumPy draws float32 and float64 only, so float16 is cast."""
    if dt in (np.float32, np.float64):
        return draw(shape, dtype=dt)
    return draw(shape, dtype=np.float32).astype(dt)


def _tensor(op: str, data: np.ndarray, device: Any, requires_grad: bool) -> Tensor:
    check_device(op, device)
    t = Tensor._wrap(data)
    return t.requires_grad_(True) if requires_grad else t


def _array(x: Any) -> np.ndarray:
    return Tensor._to_array(x, None, copy=False)


def _sized_floats(
    op: str,
    method: str,
    size: tuple,
    kwargs: dict[str, Any],
    generator: Any,
    dtype: Any,
    device: Any,
    requires_grad: bool,
) -> Tensor:
    """``rand``/``randn``: the generator's ``method`` drawn in the shape of ``size`` (varargs,
    a tuple, or ``size=``) in a floating-point ``dtype``."""
    dt = _float_dtype(op, dtype)
    draw = getattr(_rng(op, generator), method)
    shape = _shape(op, sizes_keyword(op, size, kwargs))
    return _tensor(op, _floats(draw, shape, dt), device, requires_grad)


def randn(
    *size: Any,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    **kwargs: Any,
) -> Tensor:
    """Standard normal samples of shape ``size`` (``randn(2, 3)`` or ``randn((2, 3))``)."""
    return _sized_floats(
        "randn", "standard_normal", size, kwargs, generator, dtype, device, requires_grad
    )


def rand(
    *size: Any,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    **kwargs: Any,
) -> Tensor:
    """Samples uniform in [0, 1) of shape ``size`` (varargs or a tuple)."""
    return _sized_floats("rand", "random", size, kwargs, generator, dtype, device, requires_grad)


def randint(
    low: int,
    high: Any = None,
    size: Any = (),
    *,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Integers uniform in ``[low, high)``; with one bound, in ``[0, low)``. int64 by default.

    Reads NumPy's ``randint(low, high, size)``, PyTorch's ``randint(low, high, size)`` and
    PyTorch's two-argument ``randint(high, size)``.
    """
    if high is not None and not isinstance(high, (int, np.integer)):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if int(high) <= int(low):
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    dt = np.dtype(np.int64) if dtype is None else _dtype(dtype)
    shape = _shape("randint", (() if size is None else size,))
    values = _rng("randint", generator).integers(int(low), int(high), shape)
    return _tensor("randint", values.astype(dt, copy=False), device, requires_grad)


def uniform(
    low: float = 0.0,
    high: float = 1.0,
    size: Any = (),
    *,
    generator: Any = None,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Samples uniform in ``[low, high)`` of shape ``size``, as NumPy's ``uniform``."""
    dt = _float_dtype("uniform", dtype)
    if not high >= low:
        raise ValueError(f"uniform: high ({high}) must not be below low ({low})")
    draw = _rng("uniform", generator).random
    unit = _floats(draw, _shape("uniform", (() if size is None else size,)), dt)
    return _tensor("uniform", unit * dt.type(high - low) + dt.type(low), None, requires_grad)


def normal(
    mean: Any = 0.0,
    std: Any = 1.0,
    size: Any = None,
    *,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Normal samples ``mean + std * z``; mean and std may be arrays or tensors (no gradient).

    ``size`` defaults to the broadcast shape of mean and std (NumPy's ``loc``, ``scale``);
    tensor means give their dtype, as PyTorch.
    """
    if dtype is None and isinstance(mean, Tensor) and mean.dtype.kind == "f":
        dtype = mean.dtype
    dt = _float_dtype("normal", dtype)
    mean = np.asarray(mean._data if isinstance(mean, Tensor) else mean, dtype=dt)
    std = np.asarray(std._data if isinstance(std, Tensor) else std, dtype=dt)
    if (std < 0).any():
        raise ValueError("normal: std must not be negative")
    shape = np.broadcast_shapes(mean.shape, std.shape) if size is None else size
    z = _floats(_rng("normal", generator).standard_normal, _shape("normal", (shape,)), dt)
    try:
        return _tensor("normal", z * std + mean, device, requires_grad)
    except ValueError:
        raise ValueError(
            f"normal: mean of shape {mean.shape} and std of shape {std.shape} do not broadcast "
            f"to size {tuple(shape)}"
        ) from None


def permutation(x: Any, *, generator: Any = None) -> Tensor:
    """``np.random.permutation``: an int n gives a random order of ``0..n-1`` (int64); a tensor
    or array gives its rows shuffled (differentiable, through indexing)."""
    if isinstance(x, (int, np.integer)):
        return randperm(int(x), generator=generator)
    t = x if isinstance(x, Tensor) else Tensor(x)
    if t.ndim == 0:
        raise ValueError("permutation: expected an int or a tensor of at least one axis")
    return getitem(t, _rng("permutation", generator).permutation(len(t)))


def randperm(
    n: int,
    *,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``torch.randperm``: a random order of ``0..n-1``, int64 unless ``dtype`` says otherwise."""
    if int(n) < 0:
        raise ValueError(f"randperm: n must not be negative, got {n}")
    dt = np.dtype(np.int64) if dtype is None else _dtype(dtype)
    values = _rng("randperm", generator).permutation(int(n)).astype(dt, copy=False)
    return _tensor("randperm", values, device, requires_grad)


def _probabilities(op: str, p: np.ndarray) -> None:
    if p.dtype.kind != "f":
        raise TypeError(f"{op}: probabilities must be a floating-point tensor, got {p.dtype}")
    if p.size and not ((p >= 0) & (p <= 1)).all():
        raise ValueError(f"{op}: probabilities must be in [0, 1]")


def bernoulli(
    input: Any,  # noqa: A002 - PyTorch's name
    p: float | None = None,
    *,
    generator: Any = None,
) -> Tensor:
    """0/1 samples, 1 with probability ``input`` (or the scalar ``p``), in input's dtype.

    Sampling records no gradient (PyTorch's is zero everywhere).
    """
    probs = _array(input)
    if p is not None:
        probs = np.full(probs.shape, p, dtype=probs.dtype if probs.dtype.kind == "f" else None)
    _probabilities("bernoulli", probs)
    u = _rng("bernoulli", generator).random(probs.shape)
    return Tensor._wrap((u < probs).astype(_array(input).dtype))


def multinomial(
    input: Any,  # noqa: A002 - PyTorch's name
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Any = None,
) -> Tensor:
    """Indices drawn from the categorical distributions in the rows of ``input`` (1-D or 2-D,
    non-negative weights, not necessarily normalised); int64 of shape ``(..., num_samples)``.

    Without replacement each row needs at least ``num_samples`` non-zero weights.
    """
    w = _array(input)
    if w.ndim not in (1, 2):
        raise ValueError(f"multinomial: input must be 1-D or 2-D, got shape {w.shape}")
    if w.dtype.kind != "f":
        raise TypeError(f"multinomial: input must be a floating-point tensor, got {w.dtype}")
    n = int(num_samples)
    if n <= 0:
        raise ValueError(f"multinomial: num_samples must be positive, got {num_samples}")
    rows = w.reshape(-1, w.shape[-1]).astype(np.float64)
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise ValueError("multinomial: weights must be finite and non-negative")
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise ValueError("multinomial: every row of weights must have a positive sum")
    if not replacement and ((rows > 0).sum(axis=1) < n).any():
        raise ValueError(
            f"multinomial: cannot draw {n} samples without replacement from a row with fewer "
            f"than {n} non-zero weights (input shape {w.shape})"
        )
    rng = _rng("multinomial", generator)
    if replacement:  # inverse CDF: class i where cdf[i - 1] <= u < cdf[i] (empty for w_i = 0)
        cdf = np.cumsum(rows, axis=1)
        u = rng.random((rows.shape[0], n)) * totals[:, None]
        out = np.empty((rows.shape[0], n), dtype=np.int64)
        for i, (c, v) in enumerate(zip(cdf, u, strict=True)):
            out[i] = np.searchsorted(c, v, side="right")
        # u rounded up to the total would pick past the end: the last class of non-zero weight
        last = rows.shape[1] - 1 - np.argmax(rows[:, ::-1] > 0, axis=1)
        out = np.minimum(out, last[:, None])
    else:  # exponential race: E_i / w_i in increasing order samples without replacement
        with np.errstate(divide="ignore"):
            keys = rng.standard_exponential(rows.shape) / rows  # weight 0: inf, never drawn
        out = np.argsort(keys, axis=1, kind="stable")[:, :n]
    return Tensor._wrap(out.reshape(*w.shape[:-1], n))


def poisson(input: Any, generator: Any = None) -> Tensor:  # noqa: A002 - PyTorch's name
    """Poisson samples with rates ``input`` (non-negative), in input's float dtype."""
    rates = _array(input)
    if rates.dtype.kind != "f":
        raise TypeError(f"poisson: rates must be a floating-point tensor, got {rates.dtype}")
    if (rates < 0).any():
        raise ValueError("poisson: rates must not be negative")
    return Tensor._wrap(_rng("poisson", generator).poisson(rates).astype(rates.dtype))


def _like(x: Any, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:
    a = _array(x)
    return a.shape, (a.dtype if dtype is None else _dtype(dtype))


def randn_like(
    input: Any,  # noqa: A002
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal samples of input's shape and (unless ``dtype`` says) float dtype."""
    shape, dt = _like(input, dtype)
    return randn(shape, dtype=dt, device=device, requires_grad=requires_grad)


def rand_like(
    input: Any,  # noqa: A002
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Samples uniform in [0, 1) of input's shape and (unless ``dtype`` says) float dtype."""
    shape, dt = _like(input, dtype)
    return rand(shape, dtype=dt, device=device, requires_grad=requires_grad)


def randint_like(
    input: Any,  # noqa: A002
    low: int,
    high: int | None = None,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Integers in ``[low, high)`` (or ``[0, low)``) of input's shape and dtype."""
    shape, dt = _like(input, dtype)
    if high is None:
        low, high = 0, low
    return randint(low, high, shape, dtype=dt, device=device, requires_grad=requires_grad)


# --------------------------------------------------------------------------- in place


def _fill(op: str, x: Tensor, values: np.ndarray) -> Tensor:
    """Write ``values`` into ``x`` (x's dtype), as every in-place sampler does."""
    check_writable(op, x)
    np.copyto(x._data, values, casting="unsafe")
    x._version += 1
    return x


def _float_target(op: str, x: Tensor) -> np.dtype:
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point tensor, got {x.dtype}")
    return x.dtype


def uniform_(x: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill ``x`` with samples uniform in ``[a, b)``; returns x."""
    dt = _float_target("uniform_", x)
    unit = _floats(_rng("uniform_", generator).random, x.shape, dt)
    return _fill("uniform_", x, unit * dt.type(b - a) + dt.type(a))


def normal_(x: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill ``x`` with normal samples ``mean + std * z``; returns x."""
    dt = _float_target("normal_", x)
    if std < 0:
        raise ValueError(f"normal_: std must not be negative, got {std}")
    z = _floats(_rng("normal_", generator).standard_normal, x.shape, dt)
    return _fill("normal_", x, z * dt.type(std) + dt.type(mean))


def random_(x: Tensor, low: int = 0, high: int | None = None, *, generator: Any = None) -> Tensor:
    """Fill ``x`` with integers uniform in ``[low, high)`` (``random_(n)``: ``[0, n)``; no
    bound: ``[0, 2**mantissa]`` for floats, the dtype's range for integers); returns x."""
    if high is None and low != 0:
        low, high = 0, low
    if high is None:
        if x.dtype.kind == "f":
            high = 2 ** (np.finfo(x.dtype).nmant + 1) + 1
        elif x.dtype.kind == "b":
            high = 2
        else:
            high = int(np.iinfo(x.dtype).max) + 1
    if int(high) <= int(low):
        raise ValueError(f"random_: high ({high}) must be greater than low ({low})")
    values = _rng("random_", generator).integers(int(low), int(high), x.shape)
    return _fill("random_", x, values)


def bernoulli_(x: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """Fill ``x`` with 0/1 samples, 1 with probability ``p`` (a number or a tensor)."""
    probs = np.asarray(_array(p) if isinstance(p, Tensor) else p, dtype=np.float64)
    _probabilities("bernoulli_", probs)
    u = _rng("bernoulli_", generator).random(x.shape)
    return _fill("bernoulli_", x, u < probs)


def exponential_(x: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill ``x`` with exponential samples of rate ``lambd``; returns x."""
    dt = _float_target("exponential_", x)
    if not lambd > 0:
        raise ValueError(f"exponential_: lambd must be positive, got {lambd}")
    e = _floats(_rng("exponential_", generator).standard_exponential, x.shape, dt)
    return _fill("exponential_", x, e / dt.type(lambd))
