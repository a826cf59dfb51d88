"""``lucid.save`` and ``lucid.load``: tensors, arrays and nested containers in one .npz, no pickle.

File format, version 1. The file is a zip archive as ``np.savez`` writes it (uncompressed),
holding ``.npy`` members only:

- ``__lucid__.npy``: a uint8 array, the UTF-8 bytes of a JSON object
  ``{"format": "lucid", "version": 1, "root": NODE}``;
- ``a0.npy``, ``a1.npy``, ...: one per array in the saved object, in the order met.

A NODE is a JSON object with a ``"type"``:

==========  ====================================================================
``none``    ``None``
``bool``    ``{"value": true}``; ``int``, ``str`` likewise
``float``   ``{"value": 0.1}``, or the strings ``"nan"``, ``"inf"``, ``"-inf"``
``tensor``  ``{"array": "a0", "requires_grad": false}``: a Tensor (subclasses load as Tensor)
``array``   ``{"array": "a1"}``: an ndarray of any non-object dtype
``scalar``  ``{"array": "a2"}``: a NumPy scalar (``np.float32(1.5)``), stored 0-d
``list``    ``{"items": [NODE, ...]}``; ``tuple`` likewise
``dict``    ``{"items": [[KEY, NODE], ...]}`` in order; a KEY is a NODE of type none, bool,
            int, float, str or a tuple of those. Any mapping (``OrderedDict``) loads as dict.
==========  ====================================================================

Nothing in a file is ever executed: the JSON is parsed as data and the arrays are read with
``allow_pickle=False``. ``load`` checks the whole file (zip CRCs, member names, node types,
array references) before it returns anything and refuses any fault with a ValueError.
"""

from __future__ import annotations

import io
import json
import math
import os
import secrets
import zipfile
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

from lucid.tensor import Tensor

__all__ = ["save", "load"]

FORMAT = "lucid"
VERSION = 1
_META = "__lucid__"
_KEY_TYPES = ("none", "bool", "int", "float", "str", "tuple")


# --------------------------------------------------------------------------- saving


class _Encoder:
    """Walks an object into a JSON node tree, collecting its arrays as a0, a1, ..."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._active: set[int] = set()  # ids of the containers being walked (cycle check)

    def _array(self, a: np.ndarray, where: str) -> str:
        if a.dtype.hasobject:
            raise TypeError(f"lucid.save: {where} is an array of dtype object, which needs pickle")
        name = f"a{len(self.arrays)}"
        self.arrays[name] = a
        return name

    def node(self, obj: Any, where: str) -> dict:
        if obj is None:
            return {"type": "none"}
        if isinstance(obj, bool):
            return {"type": "bool", "value": obj}
        if isinstance(obj, int):
            return {"type": "int", "value": int(obj)}
        if isinstance(obj, float):
            value: Any = float(obj) if math.isfinite(obj) else str(float(obj))
            return {"type": "float", "value": value}
        if isinstance(obj, str):
            return {"type": "str", "value": str(obj)}
        if isinstance(obj, Tensor):
            name = self._array(obj._data, where)
            return {"type": "tensor", "array": name, "requires_grad": bool(obj.requires_grad)}
        if isinstance(obj, np.ndarray):
            return {"type": "array", "array": self._array(obj, where)}
        if isinstance(obj, (np.number, np.bool_)):
            return {"type": "scalar", "array": self._array(np.asarray(obj), where)}
        if isinstance(obj, (list, tuple, dict)):
            if id(obj) in self._active:
                raise ValueError(f"lucid.save: {where} contains itself")
            self._active.add(id(obj))
            try:
                if isinstance(obj, dict):
                    items = [
                        [self.key(k, where), self.node(v, f"{where}[{k!r}]")]
                        for k, v in obj.items()
                    ]
                    return {"type": "dict", "items": items}
                kind = "tuple" if isinstance(obj, tuple) else "list"
                items = [self.node(v, f"{where}[{i}]") for i, v in enumerate(obj)]
                return {"type": kind, "items": items}
            finally:
                self._active.discard(id(obj))
        hint = " (save its state_dict() instead)" if hasattr(obj, "state_dict") else ""
        raise TypeError(
            f"lucid.save: {where} is a {type(obj).__name__}{hint}; Lucid saves tensors, "
            "arrays, numbers, strings, bools, None, and lists, tuples and dicts of them"
        )

    def key(self, k: Any, where: str) -> dict:
        if isinstance(k, tuple):
            return {"type": "tuple", "items": [self.key(part, where) for part in k]}
        if k is None or isinstance(k, (bool, int, float, str)):
            return self.node(k, where)
        raise TypeError(
            f"lucid.save: {where} has a key of type {type(k).__name__}; dict keys must be "
            "str, int, float, bool, None or tuples of them"
        )


def _refuse_objects_with_state(obj: Any) -> None:
    """TypeError for a Module, optimizer or scheduler object: Lucid saves their state dicts."""
    state_dict = getattr(obj, "state_dict", None)
    if callable(state_dict) and not isinstance(obj, (dict, list, tuple, Tensor, np.ndarray)):
        raise TypeError(
            f"lucid.save: cannot save a {type(obj).__name__} object: that would need pickle, "
            "which Lucid never uses; save its state_dict() instead "
            "(lucid.save(model.state_dict(), f)) and load it with load_state_dict"
        )


def _is_file_object(f: Any, method: str) -> bool:
    return not isinstance(f, (str, bytes, os.PathLike)) and callable(getattr(f, method, None))


def save(
    obj: Any,
    f: str | os.PathLike | BinaryIO,
    pickle_module: Any = None,
    pickle_protocol: int = 2,
    _use_new_zipfile_serialization: bool = True,
) -> None:
    """Write ``obj`` (tensors, arrays, numbers, strings, bools, None, and nested lists, tuples
    and dicts of them, e.g. ``{"model": model.state_dict(), "optimizer": opt.state_dict(),
    "epoch": 3}``) to exactly the path ``f``, or to the binary file object ``f``.

    The format is described in this module's docstring: an uncompressed ``.npz`` whose JSON
    entry describes the structure; no pickle. Writing to a path is atomic: the data goes to a
    temporary file in the same directory, is flushed to disk, and then replaces ``f`` in one
    step, so a crash mid-write leaves any previous file intact. A file object (``BytesIO``,
    ``open(..., "wb")``) gets the bytes written at its position in one ``write`` call.

    Unlike ``torch.save``, arbitrary objects are not pickled: a Module, optimizer or scheduler
    object raises TypeError saying to save its ``state_dict()``. ``pickle_module``,
    ``pickle_protocol`` and ``_use_new_zipfile_serialization`` are accepted for PyTorch's
    signature and have no effect.
    """
    _refuse_objects_with_state(obj)
    to_file = _is_file_object(f, "write")
    if not to_file and not isinstance(f, (str, os.PathLike)):
        raise TypeError(
            "lucid.save: f must be a path (str or os.PathLike) or a binary file object, "
            f"got {type(f).__name__}"
        )
    encoder = _Encoder()
    root = encoder.node(obj, "obj")
    meta = json.dumps({"format": FORMAT, "version": VERSION, "root": root}, allow_nan=False)
    members = {_META: np.frombuffer(meta.encode("utf-8"), dtype=np.uint8), **encoder.arrays}
    if to_file:
        buffer = io.BytesIO()
        np.savez(buffer, **members)
        f.write(buffer.getvalue())
        return
    _save_atomic(os.fspath(f), members)


def _save_atomic(path: str, members: dict[str, np.ndarray]) -> None:
    directory, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
    # O_EXCL: never clobber another writer's temporary file; mode 0o666 lets the umask decide
    # the permissions, as for any new file.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **members)  # a file object: savez adds no ".npz" to the name
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- loading


class _Invalid(Exception):
    """Any fault found by ``load``; it becomes a ValueError naming the path."""


def _check_declared_size(member: str, raw: bytes) -> None:
    """Refuse a member whose header declares more data than it holds, before NumPy would
    allocate the declared shape (a forged header could ask for terabytes)."""
    stream = io.BytesIO(raw)
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
    else:
        shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
    if dtype.hasobject:
        raise _Invalid(f"member {member!r} holds Python objects")
    declared = math.prod(shape) * dtype.itemsize
    held = len(raw) - stream.tell()
    if declared != held:
        raise _Invalid(
            f"member {member!r} declares shape {shape} of {dtype} ({declared} bytes) but holds "
            f"{held} bytes"
        )


def _read_members(source: str | BinaryIO) -> dict[str, np.ndarray]:
    """Every ``.npy`` member of the archive, read in full (zipfile checks each CRC)."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise _Invalid(f"not a zip archive ({exc}); it may be truncated") from None
    members: dict[str, np.ndarray] = {}
    with archive:
        for info in archive.infolist():
            name = info.filename[: -len(".npy")]
            if not info.filename.endswith(".npy") or name in members:
                raise _Invalid(f"unexpected member {info.filename!r}")
            try:
                raw = archive.read(info)
                _check_declared_size(info.filename, raw)
                array = np.lib.format.read_array(io.BytesIO(raw), allow_pickle=False)
            except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError) as exc:
                raise _Invalid(f"member {info.filename!r} is corrupt ({exc})") from None
            members[name] = array
    return members


class _Decoder:
    """Rebuilds the object from the JSON node tree, checking every node."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays
        self.used: set[str] = set()

    def _array(self, node: dict) -> np.ndarray:
        name = node.get("array")
        if not isinstance(name, str) or name not in self.arrays:
            raise _Invalid(f"a {node['type']} node refers to a missing array {name!r}")
        if name in self.used:
            raise _Invalid(f"array {name!r} is referred to twice")
        self.used.add(name)
        return self.arrays[name]

    def _items(self, node: dict) -> list:
        items = node.get("items")
        if not isinstance(items, list):
            raise _Invalid(f"a {node['type']} node has no list of items")
        return items

    def value(self, node: Any) -> Any:
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            raise _Invalid(f"malformed node {str(node)[:80]!r}")
        kind = node["type"]
        if kind == "none":
            return None
        if kind in ("bool", "int", "str"):
            value = node.get("value")
            expected = {"bool": bool, "int": int, "str": str}[kind]
            if type(value) is not expected:
                raise _Invalid(f"a {kind} node holds {value!r}")
            return value
        if kind == "float":
            value = node.get("value")
            if value in ("nan", "inf", "-inf"):
                return float(value)
            if type(value) not in (int, float):
                raise _Invalid(f"a float node holds {value!r}")
            return float(value)
        if kind == "tensor":
            array = self._array(node)
            requires_grad = node.get("requires_grad")
            if type(requires_grad) is not bool:
                raise _Invalid(f"a tensor node has requires_grad {requires_grad!r}")
            if array.dtype.kind not in "biuf" or (requires_grad and array.dtype.kind != "f"):
                raise _Invalid(f"a tensor node holds an array of dtype {array.dtype}")
            t = Tensor._wrap(array)
            return t.requires_grad_(True) if requires_grad else t
        if kind == "array":
            return self._array(node)
        if kind == "scalar":
            array = self._array(node)
            if array.ndim != 0:
                raise _Invalid(f"a scalar node holds an array of shape {array.shape}")
            return array[()]
        if kind == "list":
            return [self.value(item) for item in self._items(node)]
        if kind == "tuple":
            return tuple(self.value(item) for item in self._items(node))
        if kind == "dict":
            out = {}
            for pair in self._items(node):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise _Invalid("a dict node has an item that is not a [key, value] pair")
                out[self.key(pair[0])] = self.value(pair[1])
            return out
        raise _Invalid(f"unknown node type {kind!r}")

    def key(self, node: Any) -> Any:
        if not isinstance(node, dict) or node.get("type") not in _KEY_TYPES:
            raise _Invalid(f"a dict key is not a number, string, bool, None or tuple: {node!r}")
        if node["type"] == "tuple":
            return tuple(self.key(part) for part in self._items(node))
        return self.value(node)


def _decode(members: dict[str, np.ndarray]) -> Any:
    meta = members.pop(_META, None)
    if meta is None:
        raise _Invalid(f"no {_META!r} entry: not written by lucid.save")
    if meta.dtype != np.uint8 or meta.ndim != 1:
        raise _Invalid(f"the {_META!r} entry is not a byte string")
    header = json.loads(meta.tobytes().decode("utf-8"))
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _Invalid("the metadata does not describe a Lucid file")
    version = header.get("version")
    if version != VERSION:
        raise _Invalid(f"format version {version!r}; this Lucid reads version {VERSION}")
    decoder = _Decoder(members)
    obj = decoder.value(header.get("root"))
    unused = sorted(set(members) - decoder.used)
    if unused:
        raise _Invalid(f"arrays {unused} are not referred to by the metadata")
    return obj


def _check_device(where: str, device: Any) -> None:
    """RuntimeError unless ``device`` (a string, or an object with ``.type``) is the CPU."""
    kind = getattr(device, "type", device)
    if not isinstance(kind, str):
        raise TypeError(f"lucid.load: {where} must name a device, got {type(device).__name__}")
    if kind.split(":")[0] != "cpu":
        raise RuntimeError(
            f"lucid.load: {where} asks for device {str(device)!r}, which Lucid does not have; "
            "every tensor loads on the CPU (use map_location='cpu')"
        )


def _map_location(map_location: Any) -> Callable[[Tensor], Tensor] | None:
    """The function applied to each loaded tensor, after checking ``map_location``."""
    if map_location is None:
        return None
    if isinstance(map_location, dict):
        for key, value in map_location.items():
            _check_device(f"map_location[{key!r}]", value)
        return None
    if callable(map_location) and not hasattr(map_location, "type"):

        def apply(t: Tensor) -> Tensor:
            # PyTorch calls it with (storage, location) and keeps the storage when it
            # returns None; a Lucid tensor stands in for the storage.
            out = map_location(t, "cpu")
            if out is None:
                return t
            if not isinstance(out, Tensor):
                raise TypeError(
                    f"lucid.load: map_location returned a {type(out).__name__}, not a Tensor"
                )
            return out

        return apply
    _check_device("map_location", map_location)
    return None


def _mapped(obj: Any, fn: Callable[[Tensor], Tensor]) -> Any:
    if isinstance(obj, Tensor):
        return fn(obj)
    if isinstance(obj, dict):
        return {k: _mapped(v, fn) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_mapped(v, fn) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_mapped(v, fn) for v in obj)
    return obj


def load(
    f: str | os.PathLike | BinaryIO,
    map_location: Any = None,
    pickle_module: Any = None,
    *,
    weights_only: bool | None = True,
    mmap: bool | None = None,
) -> Any:
    """Read an object written by ``lucid.save`` from the path ``f`` or the binary file object
    ``f`` (read from its position to the end): tensors come back as Tensors (with their
    ``requires_grad``), arrays as arrays, containers as lists, tuples and dicts.

    The data is checked whole before anything is returned; a truncated or corrupt file, or
    one ``lucid.save`` did not write, raises ValueError naming ``f``. Nothing in the file is
    executed (no pickle). A missing file raises FileNotFoundError.

    ``map_location`` may be None, ``"cpu"``, a device object whose ``.type`` is ``"cpu"``, a
    dict of locations to such devices, or a callable ``fn(tensor, "cpu")`` applied to each
    loaded tensor (None keeps it); everything loads on the CPU, and any other device raises
    RuntimeError. ``weights_only=True`` (or None) is what Lucid always does: ``False``, or a
    ``pickle_module``, asks for pickle and raises TypeError. ``mmap=True`` is not supported.
    """
    if weights_only is False or pickle_module is not None:
        what = "weights_only=False" if weights_only is False else "a pickle_module"
        raise TypeError(
            f"lucid.load: {what} asks to unpickle arbitrary objects, which Lucid never does; "
            "save the model's state_dict() (lucid.save(model.state_dict(), f)) and load that"
        )
    if mmap:
        raise NotImplementedError("lucid.load: mmap=True is not supported; files are read whole")
    mapping = _map_location(map_location)
    from_file = _is_file_object(f, "read")
    if from_file:
        name = repr(getattr(f, "name", type(f).__name__))
        raw = f.read()
        if not isinstance(raw, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"lucid.load: the file object {name} gave {type(raw).__name__}, not bytes; "
                "open the file in binary mode ('rb')"
            )
        source: str | BinaryIO = io.BytesIO(raw)
    elif isinstance(f, (str, os.PathLike)):
        source = os.fspath(f)
        name = repr(source)
        if not os.path.isfile(source):
            raise FileNotFoundError(f"lucid.load: no file {source!r}")
    else:
        raise TypeError(
            "lucid.load: f must be a path (str or os.PathLike) or a binary file object, "
            f"got {type(f).__name__}"
        )
    try:
        obj = _decode(_read_members(source))
    except _Invalid as exc:
        raise ValueError(f"lucid.load: {name} is not a valid Lucid file: {exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(
            f"lucid.load: {name} is not a valid Lucid file: unreadable metadata ({exc})"
        ) from None
    return obj if mapping is None else _mapped(obj, mapping)
