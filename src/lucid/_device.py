"""Devices: Lucid computes on the CPU, and ``lucid.device`` says so in PyTorch's words.

``lucid.device("cpu")`` (or ``"cpu:0"``) is the one device a tensor lives on. Naming a device
type PyTorch knows but Lucid lacks (``"cuda"``, ``"mps"``, ...) builds a ``device`` object, as
PyTorch does without a GPU, and using it (``x.to("cuda")``, ``zeros(2, device="cuda")``)
raises RuntimeError naming it. An unknown type raises at once.
"""

from __future__ import annotations

from typing import Any

_KNOWN_TYPES = (
    "cpu", "cuda", "mps", "xpu", "xla", "meta", "hip", "ipu", "hpu", "mtia", "vulkan",
    "privateuseone",
)  # fmt: skip


class device:  # noqa: N801 - PyTorch's name
    """A device: ``device("cpu")``, ``device("cuda:0")``, ``device("cuda", 0)``.

    Only ``"cpu"`` can hold tensors. ``type`` is the kind, ``index`` the number or None.
    """

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type  # PyTorch reads a bare int as a CUDA ordinal
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string or a device, got {type!r}")
        kind, _, number = type.partition(":")
        if number:
            if index is not None:
                raise RuntimeError(f"device: type {type!r} already has an index; got {index}")
            if not number.isdigit():
                raise RuntimeError(f"device: invalid device string {type!r}")
            index = int(number)
        if kind not in _KNOWN_TYPES:
            raise RuntimeError(
                f"device: expected one of {', '.join(_KNOWN_TYPES)} at the start of the "
                f"device string, got {type!r}"
            )
        if index is not None and int(index) < 0:
            raise RuntimeError(f"device: index must not be negative, got {index}")
        self.type = kind
        self.index = None if index is None else int(index)

    def __repr__(self) -> str:
        extra = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{extra})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except RuntimeError:
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self) -> tuple:
        return device, (self.type, self.index)

    def __enter__(self) -> device:
        """``with device("cpu"):`` -- the default device already; another one raises."""
        check_device("device", self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


CPU = device("cpu")


def check_device(op: str, where: Any) -> None:
    """Raise unless ``where`` (None, a string, an int or a ``device``) is Lucid's CPU."""
    if where is None:
        return
    d = where if isinstance(where, device) else device(where)
    if d.type != "cpu" or d.index not in (None, 0):
        raise RuntimeError(
            f"{op}: device {str(d)!r} is not available: Lucid runs on the CPU only "
            "(lucid.cuda.is_available() is False); use device='cpu'"
        )


def is_device(value: Any) -> bool:
    """Whether ``value`` names a device (a ``device`` or a string such as 'cpu', 'cuda:0')."""
    if isinstance(value, device):
        return True
    if isinstance(value, str):
        return value.partition(":")[0] in _KNOWN_TYPES
    return False


def get_default_device() -> device:
    """The device new tensors go to: always the CPU."""
    return CPU


def set_default_device(where: Any) -> None:
    """Accepted for the CPU (or None); any other device raises RuntimeError naming it."""
    check_device("set_default_device", where)
