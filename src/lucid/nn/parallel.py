"""``lucid.nn.parallel``: ``DataParallel`` (runs the module as is: Lucid has one CPU device) and
``DistributedDataParallel`` from ``lucid.distributed`` (which needs an initialised process
group)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lucid.nn.module import Module

__all__ = ["DataParallel", "DistributedDataParallel"]


class DataParallel(Module):
    """Wraps ``module`` as ``self.module`` and runs it unchanged, as ``torch.nn.DataParallel``
    does when no GPU is visible. State-dict keys gain the ``module.`` prefix, as in PyTorch.

    ``device_ids`` and ``output_device`` may be None, ``"cpu"`` or empty; a GPU id raises
    RuntimeError, since Lucid has no GPUs.
    """

    def __init__(
        self,
        module: Module,
        device_ids: Sequence[Any] | None = None,
        output_device: Any = None,
        dim: int = 0,
    ) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: module must be a Module, got {type(module).__name__}")
        for device in [*(device_ids or ()), output_device]:
            if device is not None and str(getattr(device, "type", device)) != "cpu":
                raise RuntimeError(
                    f"DataParallel: device {device!r} is not available; Lucid runs on the CPU "
                    "only (pass device_ids=None)"
                )
        self.module = module
        self.device_ids: list[Any] = []
        self.output_device = None
        self.dim = dim

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)


def __getattr__(name: str) -> Any:
    """``DistributedDataParallel`` lives in ``lucid.distributed`` (MPI); it is imported on first
    use, so that ``import lucid.nn`` loads nothing of it."""
    if name == "DistributedDataParallel":
        from lucid.distributed.ddp import DistributedDataParallel

        return DistributedDataParallel
    raise AttributeError(f"module 'lucid.nn.parallel' has no attribute {name!r}")
