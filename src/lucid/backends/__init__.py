"""lucid.backends: PyTorch's backend switches, answered for a CPU-only NumPy library.

``lucid.backends.cudnn`` and ``lucid.backends.mps`` exist so that the usual set-up lines
(``torch.backends.cudnn.benchmark = True``, ``torch.backends.mps.is_available()``) run
unchanged; neither backend is available, and their flags change nothing. Lucid's ops are
deterministic, so ``use_deterministic_algorithms(True)`` holds already.
"""

from __future__ import annotations

from lucid.backends import cudnn, mps

__all__ = [
    "cudnn", "mps", "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
    "set_float32_matmul_precision", "get_float32_matmul_precision",
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
