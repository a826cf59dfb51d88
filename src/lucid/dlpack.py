"""DLPack: zero-copy exchange of tensors with NumPy, PyTorch and any other DLPack library.

``lucid.from_dlpack(obj)`` wraps the memory of any object with ``__dlpack__`` (a NumPy array,
a PyTorch tensor, a JAX array on the CPU) or a legacy DLPack capsule in a Lucid Tensor; the
Tensor methods ``__dlpack__`` and ``__dlpack_device__`` let those libraries do the same with
Lucid's tensors. ``to_dlpack`` and ``from_dlpack`` are also ``torch.utils.dlpack``'s names.
Lucid lives on the CPU, so only CPU (and CPU-accessible) memory can be exchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid.tensor import _SUPPORTED_KINDS, Tensor

__all__ = ["from_dlpack", "to_dlpack"]

_CPU = 1  # DLDeviceType kDLCPU


def export(
    t: Tensor,
    *,
    stream: Any = None,
    max_version: tuple[int, int] | None = None,
    dl_device: tuple[int, int] | None = None,
    copy: bool | None = None,
) -> Any:
    """``Tensor.__dlpack__``: a DLPack capsule over the tensor's array (no copy by default).

    As in PyTorch, a tensor that requires grad is refused (the consumer could change values
    the graph has saved): export ``t.detach()``, which shares the same memory.
    """
    if t._requires_grad:
        raise BufferError(
            "cannot export a tensor that requires grad through DLPack; use tensor.detach()"
        )
    if stream is not None:
        raise BufferError(f"Lucid tensors live on the CPU, which has no streams; got {stream!r}")
    kwargs: dict[str, Any] = {}
    if max_version is not None:
        kwargs["max_version"] = max_version
    if dl_device is not None:
        kwargs["dl_device"] = dl_device
    if copy is not None:
        kwargs["copy"] = copy
    return t._data.__dlpack__(**kwargs)


def device(t: Tensor) -> tuple[int, int]:
    """``Tensor.__dlpack_device__``: ``(kDLCPU, 0)``, as a NumPy array reports."""
    return t._data.__dlpack_device__()


class _Capsule:
    """A legacy capsule (``torch.utils.dlpack.to_dlpack``'s result) dressed as a producer.

    NumPy reads the device from the capsule itself and refuses anything not on the CPU.
    """

    def __init__(self, capsule: Any) -> None:
        self.capsule = capsule

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self.capsule

    def __dlpack_device__(self) -> tuple[int, int]:
        return (_CPU, 0)


def from_dlpack(ext_tensor: Any, *, copy: bool | None = None) -> Tensor:
    """A Tensor sharing memory with ``ext_tensor`` (``torch.from_dlpack``'s meaning).

    ``ext_tensor`` is any object with ``__dlpack__``/``__dlpack_device__`` or a DLPack
    capsule (consumed: a capsule can be read once). Writes through either side are seen by
    the other, except that a legacy capsule, which cannot say whether its memory is writable,
    gives a read-only tensor (NumPy's rule; pass the producer's tensor itself instead).
    ``copy=True`` copies instead; ``copy=False`` refuses to copy. The result needs
    no grad. Memory on a device other than the CPU raises BufferError (or RuntimeError, from
    the producer); dtypes Lucid has no tensors for (complex, bfloat16) raise TypeError.
    """
    source = ext_tensor
    if type(ext_tensor).__name__ == "PyCapsule":
        source = _Capsule(ext_tensor)
    elif not hasattr(ext_tensor, "__dlpack__"):
        raise TypeError(
            f"from_dlpack: expected an object with __dlpack__ or a DLPack capsule, "
            f"got {type(ext_tensor).__name__}"
        )
    try:
        array = np.from_dlpack(source, copy=copy)
    except RuntimeError as exc:  # NumPy's word for a dtype it has no array for (bfloat16)
        if "dtype" not in str(exc):
            raise
        raise TypeError(f"from_dlpack: {exc} (Lucid holds bools, ints and floats)") from exc
    if array.dtype.kind not in _SUPPORTED_KINDS:
        raise TypeError(
            f"from_dlpack: Lucid tensors hold bools, ints and floats, not {array.dtype}"
        )
    return Tensor._wrap(array)


def to_dlpack(tensor: Tensor) -> Any:
    """A DLPack capsule of ``tensor`` (``torch.utils.dlpack.to_dlpack``): pass it to one
    consumer's ``from_dlpack``. Newer code can pass the tensor itself instead."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"to_dlpack: expected a Tensor, got {type(tensor).__name__}")
    return export(tensor)
