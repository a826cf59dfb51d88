"""lucid.save / lucid.load as PyTorch programs call them: file objects, map_location,
weights_only, checkpoints of a model, an optimizer and a scheduler together."""

import io
import os

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid import optim
from lucid.serialization import load, save


def checkpoint(rng):
    lucid.random.seed(1)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    opt = optim.AdamW(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    x = lucid.tensor(rng.standard_normal((8, 3)).astype(np.float32))
    for _ in range(3):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()
        sched.step()
    return model, opt, sched, x


def assert_tree_equal(a, b):
    if isinstance(a, dict):  # an OrderedDict state dict loads as a dict
        assert isinstance(b, dict)
    else:
        assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, lucid.Tensor):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_tree_equal(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_tree_equal(x, y)
    else:
        assert a == b


def test_bytesio_round_trip_of_a_full_checkpoint(rng):
    model, opt, sched, _ = checkpoint(rng)
    ckpt = {
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "scheduler": sched.state_dict(),
        "epoch": 3,
        "best": 0.25,
    }
    buffer = io.BytesIO()
    lucid.save(ckpt, buffer)
    assert buffer.tell() > 0
    buffer.seek(0)
    back = lucid.load(buffer)
    assert_tree_equal(back["model"], ckpt["model"])
    assert back["epoch"] == 3 and back["best"] == 0.25
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert_tree_equal(back["optimizer"]["state"], ckpt["optimizer"]["state"])


def test_open_file_objects_and_resume_exactly(tmp_path, rng):
    model, opt, sched, x = checkpoint(rng)
    path = tmp_path / "ckpt.pt"
    with open(path, "wb") as f:
        lucid.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict()}, f)  # fmt: skip
    lucid.random.seed(99)
    model2 = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    opt2 = optim.AdamW(model2.parameters(), lr=0.01)
    sched2 = optim.lr_scheduler.StepLR(opt2, step_size=2, gamma=0.5)
    with open(path, "rb") as f:
        ckpt = lucid.load(f, map_location="cpu", weights_only=True)
    model2.load_state_dict(ckpt["model"])
    opt2.load_state_dict(ckpt["optimizer"])
    sched2.load_state_dict(ckpt["scheduler"])
    for m, o, s in ((model, opt, sched), (model2, opt2, sched2)):
        for _ in range(3):
            o.zero_grad()
            m(x).pow(2).mean().backward()
            o.step()
            s.step()
    for p, q in zip(model.parameters(), model2.parameters(), strict=True):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert sched.get_last_lr() == sched2.get_last_lr()


class Device:
    def __init__(self, kind):
        self.type = kind

    def __str__(self):
        return self.type


@pytest.mark.parametrize(
    "map_location",
    ["cpu", "cpu:0", Device("cpu"), {"cuda:0": "cpu"}, {"cpu": Device("cpu")}, None],
    ids=["str", "str-index", "device", "dict", "dict-device", "none"],
)
def test_map_location_forms_load_on_the_cpu(map_location, tmp_path):
    save({"w": lucid.tensor([1.0, 2.0])}, tmp_path / "w")
    out = load(tmp_path / "w", map_location=map_location)
    np.testing.assert_array_equal(out["w"].numpy(), [1.0, 2.0])


def test_map_location_callable_is_applied_to_each_tensor(tmp_path):
    save({"a": lucid.tensor([1.0]), "b": [lucid.tensor([2.0]), 3]}, tmp_path / "w")
    seen = []

    def keep(storage, location):
        seen.append(location)
        return storage

    out = load(tmp_path / "w", map_location=keep)
    assert seen == ["cpu", "cpu"] and out["b"][1] == 3
    doubled = load(tmp_path / "w", map_location=lambda t, loc: t * 2)
    np.testing.assert_array_equal(doubled["b"][0].numpy(), [4.0])
    kept = load(tmp_path / "w", map_location=lambda t, loc: None)
    np.testing.assert_array_equal(kept["a"].numpy(), [1.0])


@pytest.mark.parametrize("where", ["cuda", "cuda:1", Device("mps"), {"cpu": "cuda:0"}])
def test_map_location_to_a_missing_device_raises(where, tmp_path):
    save(lucid.tensor([1.0]), tmp_path / "w")
    with pytest.raises(RuntimeError, match="does not have"):
        load(tmp_path / "w", map_location=where)


def test_saving_a_module_or_an_optimizer_object_says_save_the_state_dict(tmp_path):
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"Linear object.*state_dict\(\)"):
        save(model, tmp_path / "m")
    with pytest.raises(TypeError, match=r"SGD object.*state_dict\(\)"):
        save(optim.SGD(model.parameters(), lr=0.1), io.BytesIO())
    with pytest.raises(
        TypeError, match=r"obj\['model'\] is a Linear \(save its state_dict\(\) instead\)"
    ):
        save({"model": model}, tmp_path / "m")
    assert not os.listdir(tmp_path)


def test_weights_only_false_and_pickle_module_are_refused(tmp_path):
    save({"w": lucid.tensor([1.0])}, tmp_path / "w")
    with pytest.raises(TypeError, match=r"weights_only=False.*state_dict\(\)"):
        load(tmp_path / "w", weights_only=False)
    import pickle

    with pytest.raises(TypeError, match="pickle_module"):
        load(tmp_path / "w", pickle_module=pickle)
    with pytest.raises(NotImplementedError, match="mmap"):
        load(tmp_path / "w", mmap=True)
    assert load(tmp_path / "w", weights_only=None)["w"].shape == (1,)


def test_corrupt_file_object_is_refused():
    buffer = io.BytesIO()
    save([lucid.tensor([1.0, 2.0])], buffer)
    truncated = io.BytesIO(buffer.getvalue()[:-20])
    with pytest.raises(ValueError, match="not a valid Lucid file"):
        load(truncated)
    with pytest.raises(TypeError, match="must be a path"):
        load(42)
    with pytest.raises(TypeError, match="binary mode"):
        load(io.StringIO("text"))


@pytest.mark.torch
def test_torch_state_dict_values_round_trip_as_lucid_does(tmp_path):
    torch = pytest.importorskip("torch")
    ours = nn.Linear(3, 2)
    theirs = torch.nn.Linear(3, 2)
    sd = {k: lucid.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    buffer = io.BytesIO()
    save({"model": sd, "epoch": 1}, buffer)
    buffer.seek(0)
    ours.load_state_dict(load(buffer, map_location="cpu")["model"])
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(
        ours(lucid.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6
    )
