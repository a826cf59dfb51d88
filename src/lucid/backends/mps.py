"""lucid.backends.mps: Apple's Metal backend, which Lucid does not have."""

from __future__ import annotations


def is_available() -> bool:
    """False: Lucid runs on the CPU only."""
    return False


def is_built() -> bool:
    """False: Lucid has no MPS backend."""
    return False
