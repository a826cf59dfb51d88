"""``lucid.backends``, as ``torch.backends``: which accelerated backends exist (none do).

Lucid runs on NumPy and Numba on the CPU, so every accelerator reports unavailable. The flags
programs set (``cudnn.benchmark``, ``cudnn.deterministic``, ``cuda.matmul.allow_tf32``) are
plain attributes: setting them is accepted and changes nothing, which is what PyTorch does
without those backends. Lucid's ops are deterministic, so ``use_deterministic_algorithms(True)``
holds already.
"""

# ruff: noqa: F401
from lucid.backends import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp

__all__ = [
    "cpu", "cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp", "use_deterministic_algorithms",
    "are_deterministic_algorithms_enabled", "set_float32_matmul_precision",
    "get_float32_matmul_precision",
]  # fmt: skip

_deterministic = False
_matmul_precision = "highest"


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Accepted: Lucid's ops give the same result for the same input on every run anyway."""
    global _deterministic
    _deterministic = bool(mode)


def are_deterministic_algorithms_enabled() -> bool:
    """Whether ``use_deterministic_algorithms(True)`` was called (Lucid is deterministic either
    way)."""
    return _deterministic


def set_float32_matmul_precision(precision: str) -> None:
    """Accepted ("highest", "high", "medium"); Lucid's float32 matmuls are always full float32
    (BLAS), which is PyTorch's "highest"."""
    global _matmul_precision
    if precision not in ("highest", "high", "medium"):
        raise ValueError(
            f"set_float32_matmul_precision: expected 'highest', 'high' or 'medium', got "
            f"{precision!r}"
        )
    _matmul_precision = precision


def get_float32_matmul_precision() -> str:
    """The value last set (Lucid computes at "highest" whatever it is)."""
    return _matmul_precision
