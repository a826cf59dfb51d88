"""lucid.backends.cudnn: not available; its flags are accepted and change nothing."""

from __future__ import annotations

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """False: Lucid has no cuDNN."""
    return False


def version() -> None:
    """None: no cuDNN is loaded (PyTorch's answer without one)."""
    return None
