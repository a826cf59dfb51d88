"""lucid.backends: PyTorch's backend switches, answered for a CPU-only NumPy library.

``lucid.backends.cudnn`` and ``lucid.backends.mps`` exist so that the usual set-up lines
(``torch.backends.cudnn.benchmark = True``, ``torch.backends.mps.is_available()``) run
unchanged; neither backend is available, and their flags change nothing. Lucid's ops are
deterministic, so ``use_deterministic_algorithms(True)`` holds already.
"""

from __future__ import annotations

from lucid.backends import cudnn, mps

__all__ = ["cudnn", "mps", "use_deterministic_algorithms", "are_deterministic_algorithms_enabled"]

_deterministic = False


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Accepted: Lucid's ops give the same result for the same input on every run anyway."""
    global _deterministic
    _deterministic = bool(mode)


def are_deterministic_algorithms_enabled() -> bool:
    """Whether ``use_deterministic_algorithms(True)`` was called (Lucid is deterministic either
    way)."""
    return _deterministic
