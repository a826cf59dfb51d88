"""lucid.amp: PyTorch's mixed-precision helpers, as they behave on a machine without a GPU.

``GradScaler`` is PyTorch's scaler after it found no CUDA: disabled (with the same warning
when asked to be enabled), so ``scale(loss)`` is ``loss`` and ``step(opt)`` is ``opt.step()``;
training scripts written for mixed precision run unchanged, in full precision. ``autocast``
with ``enabled=False`` is a no-op context; Lucid has no automatic mixed precision, so an
enabled ``autocast`` raises NotImplementedError instead of silently computing otherwise.
"""

from __future__ import annotations

import warnings
from typing import Any

from lucid._dtypes import resolve

__all__ = ["GradScaler", "autocast"]


class GradScaler:
    """A loss scaler that is always disabled (there is no CUDA): every method passes through."""

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        if enabled:
            warnings.warn(
                "lucid.amp.GradScaler is enabled, but CUDA is not available. Disabling.",
                UserWarning,
                stacklevel=2,
            )

    def is_enabled(self) -> bool:
        return False

    def scale(self, outputs: Any) -> Any:
        """``outputs`` unchanged (a disabled scaler does not scale)."""
        return outputs

    def unscale_(self, optimizer: Any) -> None:
        """Nothing to unscale."""

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """``optimizer.step(*args, **kwargs)``."""
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale: Any = None) -> None:
        """Nothing to update."""

    def get_scale(self) -> float:
        return 1.0

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        """Accepted (a disabled scaler has no state)."""


class autocast:  # noqa: N801 - PyTorch's name
    """``with autocast(device_type, dtype=None, enabled=True):`` -- only ``enabled=False`` is
    supported (a no-op); Lucid has no automatic mixed precision."""

    def __init__(
        self,
        device_type: str = "cpu",
        dtype: Any = None,
        enabled: bool = True,
        cache_enabled: Any = None,
    ) -> None:
        if dtype is not None:
            resolve(dtype)  # bfloat16 raises TypeError naming it
        if enabled:
            raise NotImplementedError(
                "autocast: Lucid has no automatic mixed precision; run in full precision "
                "(autocast(..., enabled=False) or contextlib.nullcontext()), or cast the model "
                "and inputs with .half()"
            )

    def __enter__(self) -> autocast:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def __call__(self, fn: Any) -> Any:
        return fn
