"""lucid.datasets: MNIST from the shared IDX files, checksums, download fallbacks, digits."""

import gzip
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import lucid
from lucid.data import DataLoader
from lucid.datasets import MNIST, FashionMNIST, load_digits, read_idx

MNIST_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "mnist"
TEST_FILES = ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]

needs_mnist = pytest.mark.skipif(
    not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").is_file(),
    reason=f"the shared MNIST files are not in {MNIST_DIR}",
)


def published_counts(split):
    """The class counts SOURCE.md publishes for `split` ('t10k' or 'train')."""
    text = (MNIST_DIR / "SOURCE.md").read_text()
    line = re.search(rf"- {split}-labels:.*class counts \[([\d, ]+)\]", text)
    return [int(n) for n in line.group(1).split(",")]


def raw_labels(path):
    """Labels read straight from the gzipped IDX file: 8 header bytes, then uint8s."""
    return np.frombuffer(gzip.decompress(path.read_bytes()), np.uint8, offset=8)


def copy_test_files(folder, decompress=False):
    folder.mkdir(parents=True, exist_ok=True)
    for name in TEST_FILES:
        source = MNIST_DIR / f"{name}.gz"
        if decompress:
            (folder / name).write_bytes(gzip.decompress(source.read_bytes()))
        else:
            shutil.copy(source, folder / f"{name}.gz")


@pytest.fixture(scope="module")
def test_set():
    return MNIST(MNIST_DIR, train=False)


@needs_mnist
def test_mnist_test_split_shapes_dtypes_and_label_counts(test_set):
    assert len(test_set) == 10_000
    assert test_set.data.shape == (10_000, 28, 28) and test_set.data.dtype == np.uint8
    assert test_set.targets.dtype == np.int64
    labels = raw_labels(MNIST_DIR / "t10k-labels-idx1-ubyte.gz")
    np.testing.assert_array_equal(test_set.targets, labels)
    assert np.bincount(test_set.targets).tolist() == published_counts("t10k")


@needs_mnist
@pytest.mark.parametrize("index", [0, 1234, -1])
def test_mnist_item_is_a_scaled_float32_image_and_an_int_label(test_set, index):
    image, label = test_set[index]
    assert isinstance(image, lucid.Tensor) and image.shape == (1, 28, 28)
    assert image.dtype == np.float32 and 0 <= image.numpy().min() and image.numpy().max() <= 1
    np.testing.assert_array_equal(image.numpy()[0] * 255, test_set.data[index].astype(np.float32))
    assert type(label) is int and label == test_set.targets[index]


@needs_mnist
def test_mnist_batches_through_a_dataloader(test_set):
    images, labels = next(iter(DataLoader(test_set, batch_size=32)))
    assert images.shape == (32, 1, 28, 28) and images.dtype == np.float32
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(labels.numpy(), test_set.targets[:32])


@needs_mnist
def test_mnist_train_split_fails_clearly_without_its_images():
    with pytest.raises(FileNotFoundError, match="missing train-images-idx3-ubyte") as info:
        MNIST(MNIST_DIR, train=True)
    assert str(MNIST_DIR) in str(info.value) and "download=True" in str(info.value)


@needs_mnist
@pytest.mark.parametrize(("where", "decompress"), [("MNIST/raw", False), ("", True)])
def test_mnist_reads_raw_or_gzipped_files_in_either_folder(where, decompress, tmp_path, test_set):
    copy_test_files(tmp_path / where, decompress)
    ds = MNIST(tmp_path, train=False)
    np.testing.assert_array_equal(ds.data, test_set.data)
    np.testing.assert_array_equal(ds.targets, test_set.targets)


@needs_mnist
def test_mnist_refuses_a_file_whose_md5_differs(tmp_path):
    copy_test_files(tmp_path)
    labels = bytearray(gzip.decompress((MNIST_DIR / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    labels[100] = (labels[100] + 1) % 10
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(labels)))
    with pytest.raises(ValueError, match="md5 of its decompressed contents is [0-9a-f]{32}"):
        MNIST(tmp_path, train=False)


@needs_mnist
def test_mnist_transforms_apply_to_image_and_label(test_set):
    ds = MNIST(MNIST_DIR, train=False, transform=lambda x: x * 2, target_transform=str)
    image, label = ds[5]
    np.testing.assert_allclose(image.numpy(), test_set[5][0].numpy() * 2)
    assert label == str(test_set.targets[5])


@needs_mnist
def test_download_falls_back_to_the_next_mirror(tmp_path, monkeypatch):
    mirrors = ((tmp_path / "nowhere").as_uri() + "/", MNIST_DIR.resolve().as_uri() + "/")
    monkeypatch.setattr(MNIST, "mirrors", mirrors)
    ds = MNIST(tmp_path / "root", train=False, download=True)
    assert len(ds) == 10_000
    for name in TEST_FILES:
        assert (tmp_path / "root" / "MNIST" / "raw" / f"{name}.gz").is_file()


def test_download_offline_names_the_files_and_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setattr(MNIST, "mirrors", ((tmp_path / "offline").as_uri() + "/",))
    with pytest.raises(RuntimeError, match="could not download t10k-images-idx3-ubyte.gz") as info:
        MNIST(tmp_path, train=False, download=True)
    message = str(info.value)
    assert "t10k-labels-idx1-ubyte(.gz)" in message
    assert str(tmp_path / "MNIST" / "raw") in message


def test_missing_files_without_download_raise_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"missing t10k-images-idx3-ubyte\(.gz\)"):
        FashionMNIST(tmp_path, train=False)


@needs_mnist
def test_fashion_mnist_reads_its_folder_and_checks_downloads_by_gz_md5(tmp_path, monkeypatch):
    # The MNIST files stand in for Fashion-MNIST's: same format, and no decompressed md5
    # is published for Fashion-MNIST, so local files are read unverified ...
    copy_test_files(tmp_path / "FashionMNIST" / "raw")
    assert len(FashionMNIST(tmp_path, train=False)) == 10_000
    # ... but a download must match the published .gz md5, which MNIST's files do not.
    monkeypatch.setattr(FashionMNIST, "mirrors", (MNIST_DIR.resolve().as_uri() + "/",))
    with pytest.raises(RuntimeError, match="md5 [0-9a-f]{32} does not match"):
        FashionMNIST(tmp_path / "other", train=False, download=True)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"\x00\x00\x08\x01\x00\x00\x00\x05abcd", "needs 13 bytes, the file has 12"),
        (b"\x1f\x8b\x08\x00", "not an IDX file"),
        (b"\x00\x00\x08\x03\x00\x00", "header is cut short"),
    ],
)
def test_read_idx_refuses_malformed_data(content, match):
    with pytest.raises(ValueError, match=match):
        read_idx(content, "x")


def test_read_idx_reads_big_endian_values():
    header = b"\x00\x00\x0b\x02" + (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    values = np.arange(-3, 3, dtype=">i2")
    out = read_idx(header + values.tobytes())
    assert out.dtype == np.int16 and out.dtype.isnative
    np.testing.assert_array_equal(out, np.arange(-3, 3).reshape(2, 3))


def test_load_digits_gives_scaled_images_and_int64_labels():
    pytest.importorskip("sklearn")
    images, labels = load_digits()
    assert images.shape == (1797, 1, 8, 8) and images.dtype == np.float32
    assert 0 <= images.numpy().min() and images.numpy().max() == 1
    assert labels.dtype == np.int64 and set(labels.tolist()) == set(range(10))


def test_load_digits_without_scikit_learn_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r'pip install "lucid\[examples\]"'):
        load_digits()
