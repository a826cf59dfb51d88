"""safetensors files: weights to and from PyTorch and the Hugging Face ecosystem.

Files are written by the ``safetensors`` package's NumPy API and parsed by its
``deserialize`` (the ``safetensors`` extra: ``pip install "lucid[safetensors]"``); the package
is imported on first use, never by ``import lucid``. Names follow ``safetensors.torch``:
``save_file``/``load_file`` for dicts of tensors, ``save``/``load`` for the same as bytes,
``save_model``/``load_model`` for a Module's ``state_dict()``. A state dict PyTorch wrote
with ``safetensors.torch.save_file`` loads into the Lucid module of the same architecture,
and PyTorch loads Lucid's.

The format stores each tensor's dtype, shape and bytes (little-endian, C order) and a flat
``str -> str`` metadata dict. NumPy has no bfloat16, so BF16 entries raise TypeError unless
``load_file(..., bfloat16="float32")`` is asked to widen them (exactly: every bfloat16 is a
float32).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from lucid.tensor import Tensor

__all__ = ["save_file", "load_file", "save", "load", "save_model", "load_model"]


def _package() -> Any:
    try:
        import safetensors.numpy as stn
    except ImportError as exc:
        raise ImportError(
            "lucid.safetensors needs the safetensors package: pip install 'lucid[safetensors]'"
        ) from exc
    return stn


def _arrays(tensors: Any, where: str) -> dict[str, np.ndarray]:
    """The dict safetensors.numpy writes: str keys, C-contiguous arrays of storable dtypes."""
    if not isinstance(tensors, dict):
        raise TypeError(f"{where}: expected a dict of tensors, got {type(tensors).__name__}")
    out = {}
    for key, value in tensors.items():
        if not isinstance(key, str):
            raise TypeError(f"{where}: keys must be str, got {key!r} ({type(key).__name__})")
        if isinstance(value, Tensor):
            array = value._data
        elif isinstance(value, np.ndarray):
            array = value
        else:
            raise TypeError(
                f"{where}: {key!r} is a {type(value).__name__}; expected a Tensor or an ndarray"
            )
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{where}: {key!r} has dtype {array.dtype}, which safetensors lacks")
        # (not np.ascontiguousarray: it turns 0-d arrays into 1-d ones)
        out[key] = array if array.flags.c_contiguous else array.copy(order="C")
    return out


def _metadata(metadata: Any, where: str) -> dict[str, str] | None:
    if metadata is None:
        return None
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise TypeError(f"{where}: metadata must be a dict of str to str, got {metadata!r}")
    return metadata


def save_file(
    tensors: dict[str, Any], filename: str | os.PathLike, metadata: dict[str, str] | None = None
) -> None:
    """Write a dict of tensors (or arrays) to ``filename`` in the safetensors format.

    Values are stored by value (tensors sharing memory are written twice), with their dtype
    and shape; ``requires_grad`` is not stored. ``metadata`` is an optional ``str -> str``
    dict kept in the file's header.
    """
    arrays = _arrays(tensors, "save_file")
    _package().save_file(arrays, os.fspath(filename), metadata=_metadata(metadata, "save_file"))


def save(tensors: dict[str, Any], metadata: dict[str, str] | None = None) -> bytes:
    """The bytes of a safetensors file holding ``tensors`` (see ``save_file``)."""
    return _package().save(_arrays(tensors, "save"), metadata=_metadata(metadata, "save"))


# safetensors' dtype names and the little-endian NumPy dtypes of their bytes
_DTYPES = {
    "BOOL": "?", "U8": "u1", "I8": "i1", "I16": "<i2", "U16": "<u2", "I32": "<i4",
    "U32": "<u4", "I64": "<i8", "U64": "<u8", "F16": "<f2", "F32": "<f4", "F64": "<f8",
}  # fmt: skip


def _tensors(raw: bytes, where: str, bfloat16: str) -> dict[str, Tensor]:
    """Parse with the package (it checks the header and offsets), then view each entry's
    bytes as an array of its dtype; BF16 entries are widened to float32 when asked."""
    if bfloat16 not in ("error", "float32"):
        raise ValueError(f"{where}: bfloat16 must be 'error' or 'float32', got {bfloat16!r}")
    _package()
    import safetensors

    try:
        entries = safetensors.deserialize(raw)
    except Exception as exc:  # the package's SafetensorError: a damaged or foreign file
        raise ValueError(f"{where}: not a valid safetensors file: {exc}") from None
    bf16 = [name for name, info in entries if info["dtype"] == "BF16"]
    if bf16 and bfloat16 == "error":
        raise TypeError(
            f"{where}: {bf16[:3]} {'are' if len(bf16) > 1 else 'is'} bfloat16, which Lucid "
            "(NumPy) has no dtype for; pass bfloat16='float32' to widen exactly"
        )
    out = {}
    for name, info in entries:
        kind = info["dtype"]
        if kind == "BF16":  # a bfloat16 is the top 16 bits of the float32 of equal value
            bits = np.frombuffer(info["data"], dtype="<u2")
            array = (bits.astype(np.uint32) << 16).view(np.float32)
        elif kind in _DTYPES:
            array = np.frombuffer(info["data"], dtype=_DTYPES[kind])
        else:
            raise TypeError(f"{where}: {name!r} has dtype {kind}, which Lucid has no tensor for")
        out[name] = Tensor._wrap(
            array.astype(array.dtype.newbyteorder("="), copy=False).reshape(info["shape"])
        )
    return out


def load(data: bytes, bfloat16: str = "error") -> dict[str, Tensor]:
    """The tensors in the bytes of a safetensors file (see ``load_file``)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"load: expected bytes, got {type(data).__name__}")
    return _tensors(bytes(data), "load", bfloat16)


def load_file(
    filename: str | os.PathLike, device: str = "cpu", bfloat16: str = "error"
) -> dict[str, Tensor]:
    """Read a safetensors file into a dict of Tensors (no grad; writable, owning their memory).

    Keys come in the file's order. ``device`` is accepted for ``safetensors.torch``'s
    signature and must be ``"cpu"``. BF16 entries raise TypeError unless
    ``bfloat16="float32"`` (the float32 of equal value). A missing file raises
    FileNotFoundError; a file that is not safetensors raises ValueError.
    """
    if str(device).split(":")[0] != "cpu":
        raise RuntimeError(f"load_file: Lucid runs on the CPU only, got device {device!r}")
    path = os.fspath(filename)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load_file: no file {path!r}")
    with open(path, "rb") as f:
        raw = f.read()
    return _tensors(raw, f"load_file({path!r})", bfloat16)


def save_model(
    model: Any, filename: str | os.PathLike, metadata: dict[str, str] | None = None
) -> None:
    """``save_file(model.state_dict(), filename, metadata)``: PyTorch's
    ``model.load_state_dict(safetensors.torch.load_file(filename))`` reads it back."""
    save_file(model.state_dict(), filename, metadata)


def load_model(
    model: Any, filename: str | os.PathLike, strict: bool = True, bfloat16: str = "error"
) -> Any:
    """Load a safetensors state dict into ``model`` (``model.load_state_dict(load_file(...),
    strict)``), e.g. one written by ``safetensors.torch.save_model``; returns what
    ``load_state_dict`` returns (missing and unexpected keys)."""
    return model.load_state_dict(load_file(filename, bfloat16=bfloat16), strict=strict)
