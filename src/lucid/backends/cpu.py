"""``lucid.backends.cpu``: the CPU backend, the only one Lucid has."""


def get_cpu_capability() -> str:
    """``"DEFAULT"``: Lucid picks no instruction set itself (NumPy and Numba do)."""
    return "DEFAULT"
