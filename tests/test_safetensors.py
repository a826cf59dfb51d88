"""safetensors files: round trips, errors, and PyTorch weights in both directions."""

import sys

import numpy as np
import pytest

import lucid
import lucid.nn as nn

pytest.importorskip("safetensors")
from lucid.safetensors import load, load_file, load_model, save, save_file, save_model  # noqa: E402

DTYPES = [np.float32, np.float64, np.float16, np.int64, np.int32, np.int8, np.uint8, np.bool_]


@pytest.mark.parametrize("dtype", DTYPES)
def test_save_file_load_file_round_trip(dtype, tmp_path, rng):
    tensors = {
        "w": lucid.tensor((5 * rng.standard_normal((3, 4))).astype(dtype)),
        "scalar": lucid.tensor(np.array(3, dtype=dtype)),
        "empty": lucid.tensor(np.zeros((0, 2), dtype=dtype)),
        "strided": lucid.tensor((5 * rng.standard_normal((4, 6))).astype(dtype))[:, ::2],
        "array": (5 * rng.standard_normal(7)).astype(dtype),  # plain arrays are accepted
    }
    path = tmp_path / "w.safetensors"
    save_file(tensors, path, metadata={"format": "pt"})
    loaded = load_file(path)
    assert set(loaded) == set(tensors)
    for key, value in tensors.items():
        got = loaded[key]
        assert isinstance(got, lucid.Tensor) and not got.requires_grad
        assert got.dtype == dtype and got.shape == np.shape(value)
        np.testing.assert_array_equal(got.numpy(), np.asarray(value))
    loaded["w"][0, 0] = 1  # loaded tensors are writable


def test_bytes_round_trip_and_requires_grad_is_not_stored(rng):
    p = lucid.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    back = load(save({"p": p}))
    np.testing.assert_array_equal(back["p"].numpy(), p.numpy())
    assert not back["p"].requires_grad


def test_save_file_refuses_bad_keys_and_values(tmp_path):
    path = tmp_path / "x.safetensors"
    with pytest.raises(TypeError, match="keys must be str"):
        save_file({1: lucid.ones(2)}, path)
    with pytest.raises(TypeError, match="'a' is a list"):
        save_file({"a": [1.0, 2.0]}, path)
    with pytest.raises(TypeError, match="dict of tensors"):
        save_file([lucid.ones(2)], path)
    with pytest.raises(TypeError, match="metadata"):
        save_file({"a": lucid.ones(2)}, path, metadata={"n": 1})


def test_load_file_refuses_missing_and_foreign_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file"):
        load_file(tmp_path / "absent.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"this is not a safetensors file")
    with pytest.raises(ValueError, match="not a valid safetensors file"):
        load_file(bad)
    with pytest.raises(RuntimeError, match="CPU"):
        load_file(bad, device="cuda")


def test_save_model_load_model_round_trip(tmp_path, rng):
    lucid.random.seed(0)
    a = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    a[1].running_mean.numpy()[:] = rng.standard_normal(3)
    b = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    save_model(a, tmp_path / "m.safetensors")
    load_model(b, tmp_path / "m.safetensors")
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb
        np.testing.assert_array_equal(va.numpy(), vb.numpy())


def test_load_model_strict_names_the_unexpected_key(tmp_path):
    save_file({"weight": lucid.ones(3, 4), "bias": lucid.ones(3), "extra": lucid.ones(1)},
              tmp_path / "m.safetensors")  # fmt: skip
    with pytest.raises((KeyError, RuntimeError), match="extra"):
        load_model(nn.Linear(4, 3), tmp_path / "m.safetensors")
    result = load_model(nn.Linear(4, 3), tmp_path / "m.safetensors", strict=False)
    assert "extra" in result.unexpected_keys


# ----------------------------------------------------------------------------- PyTorch


def _torch_and_lucid(kind, torch):
    """The same architecture in both frameworks, and an input for it."""
    if kind == "linear":
        return torch.nn.Linear(5, 3), nn.Linear(5, 3), (4, 5)
    if kind == "cnn":

        def net(m):
            return m.Sequential(
                m.Conv2d(2, 4, 3, padding=1), m.BatchNorm2d(4), m.ReLU(), m.MaxPool2d(2),
                m.Conv2d(4, 3, 3, stride=2), m.Flatten(), m.Linear(3, 2),
            )  # fmt: skip

        return net(torch.nn), net(nn), (2, 2, 8, 8)
    if kind == "lstm":
        return (
            torch.nn.LSTM(3, 4, num_layers=2, batch_first=True),
            nn.LSTM(3, 4, num_layers=2, batch_first=True),
            (2, 5, 3),
        )
    if kind == "transformer":
        args = dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=True)
        return (
            torch.nn.TransformerEncoderLayer(**args),
            nn.TransformerEncoderLayer(**args),
            (2, 5, 8),
        )
    raise AssertionError(kind)


def _outputs(model, x):
    out = model(x)
    return out[0] if isinstance(out, tuple) else out


def _assert_same_outputs(tmodel, lmodel, shape, rng, torch):
    """The two models give the same (first) output on one random float32 input."""
    x = rng.standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        expected = _outputs(tmodel, torch.tensor(x)).numpy()
    got = _outputs(lmodel, lucid.tensor(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


MODELS = ["linear", "cnn", "lstm", "transformer"]


@pytest.mark.torch
@pytest.mark.parametrize("kind", MODELS)
def test_pytorch_weights_load_into_lucid(kind, tmp_path, rng):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    torch.manual_seed(0)
    tmodel, lmodel, shape = _torch_and_lucid(kind, torch)
    with torch.no_grad():  # running statistics that are not the defaults
        tmodel.train()
        tmodel(torch.tensor(rng.standard_normal(shape).astype(np.float32)))
    tmodel.eval()
    path = tmp_path / "torch.safetensors"
    st_torch.save_file(tmodel.state_dict(), path)
    load_model(lmodel, path)
    lmodel.eval()
    _assert_same_outputs(tmodel, lmodel, shape, rng, torch)


@pytest.mark.torch
@pytest.mark.parametrize("kind", MODELS)
def test_lucid_weights_load_into_pytorch(kind, tmp_path, rng):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    lucid.random.seed(1)
    tmodel, lmodel, shape = _torch_and_lucid(kind, torch)
    lmodel.train()
    lmodel(lucid.tensor(rng.standard_normal(shape).astype(np.float32)))
    lmodel.eval()
    path = tmp_path / "lucid.safetensors"
    save_model(lmodel, path)
    tmodel.load_state_dict(st_torch.load_file(path))  # strict: every key and shape matches
    tmodel.eval()
    _assert_same_outputs(tmodel, lmodel, shape, rng, torch)


@pytest.mark.torch
def test_bfloat16_is_refused_or_widened_exactly(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    values = torch.tensor([1.5, -2.25, 3.0e38, 1e-3]).to(torch.bfloat16)
    path = tmp_path / "bf16.safetensors"
    st_torch.save_file({"w": values, "b": torch.ones(2)}, path)
    with pytest.raises(TypeError, match="bfloat16"):
        load_file(path)
    loaded = load_file(path, bfloat16="float32")
    assert loaded["w"].dtype == np.float32
    np.testing.assert_array_equal(loaded["w"].numpy(), values.float().numpy())
    np.testing.assert_array_equal(loaded["b"].numpy(), np.ones(2, np.float32))


def test_missing_package_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r"lucid\[safetensors\]"):
        save_file({"a": lucid.ones(2)}, tmp_path / "a.safetensors")
