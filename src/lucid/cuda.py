"""lucid.cuda: PyTorch's CUDA queries, answered for a machine Lucid runs on (no GPU).

``is_available()`` is False and ``device_count()`` 0, so the common
``device = "cuda" if torch.cuda.is_available() else "cpu"`` picks the CPU. Seeding calls are
accepted and seed nothing (there is no CUDA generator); ``lucid.manual_seed`` seeds Lucid's.
"""

from __future__ import annotations

from lucid import amp  # lucid.cuda.amp.GradScaler / autocast, PyTorch's older spelling

__all__ = [
    "is_available", "device_count", "manual_seed", "manual_seed_all", "is_bf16_supported",
    "empty_cache", "synchronize", "current_device", "amp",
]  # fmt: skip


def is_available() -> bool:
    """False: Lucid has no CUDA backend."""
    return False


def device_count() -> int:
    """0: Lucid sees no CUDA devices."""
    return 0


def is_bf16_supported() -> bool:
    """False: there is no CUDA device (and Lucid has no bfloat16)."""
    return False


def manual_seed(seed: int) -> None:
    """Accepted and ignored, as PyTorch without CUDA: there is no CUDA generator to seed."""
    int(seed)


def manual_seed_all(seed: int) -> None:
    """Accepted and ignored, as PyTorch without CUDA."""
    int(seed)


def empty_cache() -> None:
    """Nothing to free: accepted, as PyTorch does when CUDA was never initialised."""


def _unavailable(name: str) -> RuntimeError:
    return RuntimeError(f"lucid.cuda.{name}: CUDA is not available; Lucid runs on the CPU only")


def synchronize(device: object = None) -> None:
    """Raises RuntimeError: there is no CUDA device to wait for."""
    raise _unavailable("synchronize")


def current_device() -> int:
    """Raises RuntimeError: there is no CUDA device."""
    raise _unavailable("current_device")
