"""``lucid.backends.mps``: Apple's Metal backend is neither built nor available."""


def is_available() -> bool:
    """False: Lucid has no MPS backend."""
    return False


def is_built() -> bool:
    """False: Lucid has no MPS backend."""
    return False
