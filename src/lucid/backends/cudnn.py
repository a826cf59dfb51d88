"""``lucid.backends.cudnn``: cuDNN is never available; its flags are settable attributes."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10


def is_available() -> bool:
    """False: Lucid has no cuDNN."""
    return False


def version() -> None:
    """None, as PyTorch reports without cuDNN."""
    return None


@contextlib.contextmanager
def flags(
    enabled: bool = False,
    benchmark: bool = False,
    benchmark_limit: int = 10,
    deterministic: bool = False,
    allow_tf32: bool = True,
) -> Iterator[None]:
    """Set the flags for the ``with`` block and restore them after, as ``torch``'s."""
    module = globals()
    names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")
    saved = {name: module[name] for name in names}
    values = (enabled, benchmark, benchmark_limit, deterministic, allow_tf32)
    module.update(zip(names, values, strict=True))
    try:
        yield
    finally:
        module.update(saved)
