"""``lucid.backends.openmp``: Lucid's own code uses no OpenMP (its kernels run serially)."""


def is_available() -> bool:
    """False: Lucid's kernels are serial Numba loops, not OpenMP regions."""
    return False
