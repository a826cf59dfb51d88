"""MNIST and Fashion-MNIST read from IDX files (gzipped or raw), with optional download."""

from __future__ import annotations

import gzip
import hashlib
import os
import secrets
from collections.abc import Callable
from typing import Any

import numpy as np

from lucid.data.dataset import Dataset
from lucid.tensor import Tensor

__all__ = ["MNIST", "FashionMNIST", "read_idx"]

# IDX type codes -> big-endian NumPy dtypes.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(content: bytes, name: str = "IDX data") -> np.ndarray:
    """The array in an IDX file's (decompressed) bytes, in native byte order.

    Header: two zero bytes, a type code, the number of axes, then one big-endian uint32 per
    axis; the values follow, big-endian. ValueError naming ``name`` when the bytes do not fit.
    """
    if len(content) < 4 or content[0] != 0 or content[1] != 0 or content[2] not in _IDX_DTYPES:
        raise ValueError(f"{name}: not an IDX file (magic bytes {content[:4].hex()})")
    ndim = content[3]
    start = 4 + 4 * ndim
    if len(content) < start:
        raise ValueError(f"{name}: the IDX header is cut short")
    shape = tuple(int(d) for d in np.frombuffer(content, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[content[2]])
    expected = start + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(content) != expected:
        raise ValueError(
            f"{name}: an IDX array of shape {shape} needs {expected} bytes, the file has "
            f"{len(content)}; it is truncated or corrupt"
        )
    values = np.frombuffer(content, dtype=dtype, offset=start).reshape(shape)
    return values.astype(dtype.newbyteorder("="))  # a native, writable copy


class MNIST(Dataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images of 28 x 28.

    Looks for the canonical files ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (each raw or ``.gz``) in
    ``root/MNIST/raw``, ``root/MNIST`` or ``root`` itself, and checks the md5 of their
    decompressed contents (ValueError when one differs). ``download=True`` fetches missing
    files (gzipped, checked before they are written) into ``root/MNIST/raw`` from the usual
    mirrors; when no mirror serves a valid file (offline) it raises RuntimeError, as
    torchvision does, naming the files to put there. Without ``download``, a missing file
    raises FileNotFoundError with the same advice.

    ``ds[i]`` is ``(image, label)``: a float32 tensor of shape (1, 28, 28) scaled to [0, 1]
    (as torchvision's ``ToTensor``) and an int, passed through ``transform`` and
    ``target_transform`` when given. For whole-array use, ``ds.data`` is the uint8 array
    (N, 28, 28) and ``ds.targets`` the int64 labels (N,).
    """

    mirrors: tuple[str, ...] = (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    )
    # md5 of each file's decompressed (IDX) bytes, the canonical values torchvision verifies.
    md5s: dict[str, str] = {
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    }
    # md5 of the .gz files as published, checked on download when the decompressed md5 is
    # unknown (Fashion-MNIST).
    gz_md5s: dict[str, str] = {}
    classes = [
        "0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
        "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine",
    ]  # fmt: skip

    def __init__(
        self,
        root: str | os.PathLike,
        train: bool = True,
        download: bool = False,
        transform: Callable[[Tensor], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
    ) -> None:
        self.root = os.fspath(root)
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        split = "train" if self.train else "t10k"
        images_name, labels_name = f"{split}-images-idx3-ubyte", f"{split}-labels-idx1-ubyte"
        if download:
            self._download([images_name, labels_name])
        images = read_idx(self._read(images_name), images_name)
        labels = read_idx(self._read(labels_name), labels_name)
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
            raise ValueError(
                f"{type(self).__name__}: {images_name} holds {images.dtype} of shape "
                f"{images.shape}, expected uint8 of shape (N, 28, 28)"
            )
        if labels.ndim != 1 or len(labels) != len(images):
            raise ValueError(
                f"{type(self).__name__}: {labels_name} has shape {labels.shape} for "
                f"{len(images)} images"
            )
        self.data = images
        self.targets = labels.astype(np.int64)

    # ------------------------------------------------------------------ the dataset

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image = Tensor._wrap(self.data[index][None].astype(np.float32) / np.float32(255))
        label = int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"{type(self).__name__}(split={split}, n={len(self)}, root={self.root!r})"

    # ------------------------------------------------------------------ files

    @property
    def raw_folder(self) -> str:
        """Where ``download=True`` puts the files: ``root/<ClassName>/raw``."""
        return os.path.join(self.root, type(self).__name__, "raw")

    def _folders(self) -> list[str]:
        return [self.raw_folder, os.path.join(self.root, type(self).__name__), self.root]

    def _find(self, name: str) -> str | None:
        for folder in self._folders():
            for candidate in (name, name + ".gz"):
                path = os.path.join(folder, candidate)
                if os.path.isfile(path):
                    return path
        return None

    def _where(self, names: list[str]) -> str:
        files = ", ".join(f"{n}(.gz)" for n in names)
        return f"put {files} (gzipped or raw) in {self.raw_folder!r} or directly in {self.root!r}"

    def _read(self, name: str) -> bytes:
        """The decompressed bytes of ``name``, with their md5 checked when it is known."""
        path = self._find(name)
        if path is None:
            raise FileNotFoundError(
                f"{type(self).__name__}: missing {name}(.gz); {self._where([name])}, "
                "or pass download=True"
            )
        with open(path, "rb") as f:
            content = f.read()
        if path.endswith(".gz"):
            try:
                content = gzip.decompress(content)
            except (OSError, EOFError) as exc:
                raise ValueError(
                    f"{type(self).__name__}: {path} is not valid gzip: {exc}"
                ) from None
        expected = self.md5s.get(name)
        if expected is not None:
            actual = hashlib.md5(content).hexdigest()
            if actual != expected:
                raise ValueError(
                    f"{type(self).__name__}: {path} is corrupt: md5 of its decompressed "
                    f"contents is {actual}, expected {expected}; delete it and get it again"
                )
        return content

    def _download(self, names: list[str]) -> None:
        """Fetch each missing file from the first mirror that serves it, checked before it is
        written (atomically) into ``raw_folder``."""
        missing = [n for n in names if self._find(n) is None]
        if not missing:
            return
        import urllib.request  # only here: it costs ~0.1 s at import (http, email, ssl)

        os.makedirs(self.raw_folder, exist_ok=True)
        for name in missing:
            errors = []
            for mirror in self.mirrors:
                url = mirror + name + ".gz"
                try:
                    request = urllib.request.Request(url, headers={"User-Agent": "lucid"})
                    with urllib.request.urlopen(request, timeout=60) as response:
                        packed = response.read()
                    self._check_download(name, packed)
                except (OSError, ValueError, EOFError) as exc:  # URLError is an OSError
                    errors.append(f"{url}: {exc}")
                    continue
                _write_atomic(os.path.join(self.raw_folder, name + ".gz"), packed)
                break
            else:
                raise RuntimeError(
                    f"{type(self).__name__}: could not download {name}.gz from any mirror "
                    f"({'; '.join(errors)}). Offline? {self._where(missing)}"
                )

    def _check_download(self, name: str, packed: bytes) -> None:
        expected = self.md5s.get(name)
        if expected is not None:
            actual = hashlib.md5(gzip.decompress(packed)).hexdigest()
        else:
            expected, actual = self.gz_md5s.get(name), hashlib.md5(packed).hexdigest()
        if expected is not None and actual != expected:
            raise ValueError(f"md5 {actual} does not match the expected {expected}")


def _write_atomic(path: str, content: bytes) -> None:
    tmp = f"{path}.{secrets.token_hex(6)}.tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: MNIST's layout and file names, ten kinds of clothing.

    Same arguments, files and items as ``MNIST``; files are looked for in
    ``root/FashionMNIST/raw``, ``root/FashionMNIST`` or ``root``. The md5s of the decompressed
    files are not published, so local files are not checksum-verified (their IDX structure
    is); a download is checked against the published md5 of each ``.gz``.
    """

    mirrors = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
    md5s: dict[str, str] = {}
    gz_md5s = {
        "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
    }
    classes = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]  # fmt: skip
