"""Helpers shared by test modules (import with ``from .._helpers import ...``).

Input samplers: ``sampler(rng, shape)`` -> float64 array, drawn where an op is smooth and
well-conditioned, so that finite differences and PyTorch comparisons are meaningful."""

import numpy as np


def normal(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.standard_normal(shape)


def positive(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.uniform(0.3, 3.0, shape)


def away_from_zero(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def unit(rng: np.random.Generator, shape) -> np.ndarray:
    """Inside (-1, 1), kept 0.1 from its ends."""
    return rng.uniform(-0.9, 0.9, shape)


def off_integers(rng: np.random.Generator, shape) -> np.ndarray:
    """Values whose floor, ceil, round and trunc stay put under a small step (no half-integers)."""
    return rng.integers(-3, 4, shape) + rng.choice([0.2, 0.3, 0.7, 0.8], shape)


def away_from_kinks(kinks, rng: np.random.Generator, shape, scale=4.0) -> np.ndarray:
    """``scale`` * N(0, 1) samples, those within 0.05 of a kink moved to 0.1 from it (same side),
    so that finite differences never straddle a kink."""
    x = scale * rng.standard_normal(shape)
    for k in kinks:
        near = np.abs(x - k) < 0.05
        x = np.where(near, k + 0.1 * np.sign(x - k + 1e-12), x)
    return x
