"""``lucid.backends.mkl``: Lucid calls no MKL routine itself (NumPy's BLAS is its own)."""


def is_available() -> bool:
    """False: Lucid calls no MKL routine directly."""
    return False
