"""lucid.save / lucid.load: round trips, exact paths, atomic writes, corrupt files refused."""

import io
import json
import math
import os
import zipfile

import numpy as np
import pytest

import lucid
from lucid.serialization import load, save


def assert_same(a, b):
    """Equal values and equal types, recursively (tensors, arrays and scalars by dtype)."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, lucid.Tensor):
        assert a.requires_grad == b.requires_grad and a.dtype == b.dtype
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b)
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


OBJECTS = {
    "tensor": lucid.tensor([[1.5, -2.0]], requires_grad=True),
    "int tensor": lucid.tensor([1, 2, 3]),
    "float64 tensor": lucid.tensor(np.linspace(0, 1, 7)),
    "arrays": [np.arange(6, dtype=np.int8).reshape(2, 3), np.zeros((0, 4)), np.array(True),
               np.ones(3, np.float16), np.array([1 + 2j]), np.arange(12.0).reshape(3, 4).T],
    "numbers": [0, -(2**70), 0.1, float("inf"), float("-inf"), float("nan"), True, None],
    "strings": ["", "héllo\nwörld", "\x00"],
    "numpy scalars": (np.float32(1.25), np.int64(-3), np.bool_(False)),
    "nested": {"a": {1: [(), {"b": None}]}, 2.5: (1, [2, (3,)]), (1, "x"): "tuple key",
               None: 0, False: 1},
    "empty": {},
}  # fmt: skip


@pytest.mark.parametrize("name", list(OBJECTS))
def test_round_trip_keeps_values_types_and_structure(name, tmp_path):
    save(OBJECTS[name], tmp_path / "obj")
    assert_same(OBJECTS[name], load(tmp_path / "obj"))


def test_round_trip_of_an_optimizer_state_dict(tmp_path, rng):
    p = lucid.tensor(rng.standard_normal((3, 2)).astype(np.float32), requires_grad=True)
    opt = lucid.optim.Adam([p], lr=0.01, amsgrad=True)
    p.grad = np.ones((3, 2), np.float32)
    opt.step()
    save(opt.state_dict(), str(tmp_path / "opt.state"))
    assert_same(opt.state_dict(), load(str(tmp_path / "opt.state")))


def test_load_gives_independent_writable_arrays(tmp_path):
    save({"w": lucid.tensor([1.0, 2.0])}, tmp_path / "w")
    w = load(tmp_path / "w")["w"]
    w.data += 1
    assert w.tolist() == [2.0, 3.0]


@pytest.mark.parametrize("name", ["model.pt", "ckpt", "weights.npz.tmp", "no.suffix."])
def test_save_writes_exactly_the_given_path(name, tmp_path):
    save([1, 2], tmp_path / name)
    assert os.listdir(tmp_path) == [name]


def test_save_overwrites_an_existing_file(tmp_path):
    save("old", tmp_path / "f")
    save("new", tmp_path / "f")
    assert load(tmp_path / "f") == "new"


@pytest.mark.parametrize("fail_after", [0, 3])
def test_a_crash_mid_write_leaves_the_previous_file_intact(fail_after, tmp_path, monkeypatch):
    path = tmp_path / "ckpt"
    save({"w": np.arange(10)}, path)
    calls = []
    write_array = np.lib.format.write_array

    def crash(fp, array, *args, **kwargs):
        calls.append(1)
        if len(calls) > fail_after:
            fp.write(b"partial")
            raise OSError("disk full")
        return write_array(fp, array, *args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", crash)
    with pytest.raises(OSError, match="disk full"):
        save({"w": np.zeros(5), "x": [np.ones(3)] * 5}, path)
    monkeypatch.undo()
    assert_same(load(path), {"w": np.arange(10)})
    assert os.listdir(tmp_path) == ["ckpt"]  # no temporary file left behind


def test_refuses_what_it_cannot_store_without_pickle(tmp_path):
    for obj, match in [
        ({"f": print}, r"obj\['f'\] is a builtin_function_or_method"),
        ([{1, 2}], r"obj\[0\] is a set"),
        (np.array([None, 1]), "dtype object"),
        ({object(): 1}, "has a key of type object"),
    ]:
        with pytest.raises(TypeError, match=match):
            save(obj, tmp_path / "x")
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        save(loop, tmp_path / "x")
    assert not os.listdir(tmp_path)


def write_zip(path, members):
    """A zip of .npy members, as np.savez writes them, but with any content."""
    with zipfile.ZipFile(path, "w") as z:
        for name, array in members.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(array), allow_pickle=True)
            z.writestr(name + ".npy", buf.getvalue())


def meta(root, version=1):
    text = json.dumps({"format": "lucid", "version": version, "root": root})
    return np.frombuffer(text.encode(), np.uint8)


BAD_FILES = {
    "truncated": lambda path: path.write_bytes(path.read_bytes()[:-40]),
    "half": lambda path: path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2]),
    "flipped byte": lambda path: path.write_bytes(_flip(path.read_bytes())),
    "garbage": lambda path: path.write_bytes(os.urandom(300)),
    "empty": lambda path: path.write_bytes(b""),
    "plain npz": lambda path: np.savez(open(path, "wb"), w=np.ones(3)),
    "npy": lambda path: np.save(open(path, "wb"), np.ones(3)),
    "future version": lambda path: write_zip(path, {"__lucid__": meta({"type": "none"}, 2)}),
    "unknown node": lambda path: write_zip(path, {"__lucid__": meta({"type": "code"})}),
    "missing array": lambda path: write_zip(
        path, {"__lucid__": meta({"type": "array", "array": "a0"})}
    ),
    "unused array": lambda path: write_zip(
        path, {"__lucid__": meta({"type": "none"}), "a0": np.ones(2)}
    ),
    "bad json": lambda path: write_zip(path, {"__lucid__": np.frombuffer(b"{nope", np.uint8)}),
    "int tensor needing grad": lambda path: write_zip(
        path,
        {
            "__lucid__": meta({"type": "tensor", "array": "a0", "requires_grad": True}),
            "a0": np.arange(3),
        },
    ),  # fmt: skip
}


def _flip(data):
    """The file with one byte of the array's data changed (the zip CRC no longer matches)."""
    at = data.index(np.arange(40.0).tobytes()) + 17
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_corrupt_truncated_or_foreign_files_are_refused_whole(kind, tmp_path):
    path = tmp_path / "bad.lucid"
    save({"w": np.arange(40.0)}, path)
    BAD_FILES[kind](path)
    with pytest.raises(ValueError, match=r"lucid.load: '.*bad.lucid' is not a valid Lucid file"):
        load(path)


class Boom:
    """Unpickling this would create the file named by EXPLOITED: load must never do it."""

    def __reduce__(self):
        return (open, (os.environ["LUCID_TEST_EXPLOITED"], "w"))


def test_pickled_content_is_never_executed(tmp_path, monkeypatch):
    marker = tmp_path / "exploited"
    monkeypatch.setenv("LUCID_TEST_EXPLOITED", str(marker))
    evil = np.empty(1, dtype=object)
    evil[0] = Boom()
    path = tmp_path / "evil"
    write_zip(path, {"__lucid__": meta({"type": "array", "array": "a0"}), "a0": evil})
    with pytest.raises(ValueError, match="not a valid Lucid file"):
        load(path)
    with open(path.with_suffix(".pkl"), "wb") as f:
        import pickle

        pickle.dump(Boom(), f)
    with pytest.raises(ValueError, match="not a valid Lucid file"):
        load(path.with_suffix(".pkl"))
    assert not marker.exists()


def test_missing_file_and_bad_path_type(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file"):
        load(tmp_path / "absent")
    with pytest.raises(TypeError, match="must be a path"):
        save(1, 42)
