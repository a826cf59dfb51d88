"""Module machinery: registration, traversal, state dicts, modes, dtypes, hooks, repr, lists."""

import copy
from collections import OrderedDict

import numpy as np
import pytest

import lucid
import lucid.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.scale = nn.Parameter(lucid.ones(4))
        self.register_buffer("steps", lucid.zeros(1))
        self.register_buffer("scratch", lucid.zeros(2), persistent=False)

    def forward(self, x):
        return self.bn(self.fc(x)) * self.scale


class Tied(nn.Module):
    """Two layers sharing one weight, and one sub-module registered twice."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 3)
        self.b = nn.Linear(3, 3)
        self.b.weight = self.a.weight
        self.again = self.a


def test_attributes_register_parameters_buffers_and_modules():
    block = Block()
    assert list(block._parameters) == ["scale"]
    assert list(block._modules) == ["fc", "bn"]
    assert list(block._buffers) == ["steps", "scratch"]
    assert [name for name, _ in block.named_parameters()] == [
        "scale", "fc.weight", "fc.bias", "bn.weight", "bn.bias",
    ]  # fmt: skip
    assert [name for name, _ in block.named_buffers()] == [
        "steps", "scratch", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked",
    ]  # fmt: skip
    assert [name for name, _ in block.named_children()] == ["fc", "bn"]
    assert [name for name, _ in block.named_modules()] == ["", "fc", "bn"]


def test_reassigning_registered_names():
    block = Block()
    block.fc = None
    assert block.fc is None and "fc" in block._modules
    block.fc = nn.Linear(3, 4)
    assert isinstance(block.fc, nn.Linear)
    with pytest.raises(TypeError, match="scale"):
        block.scale = lucid.ones(4)  # a plain tensor where a Parameter lives
    block.steps = np.ones(1)  # buffers accept arrays and keep them as tensors
    assert isinstance(block.steps, lucid.Tensor)
    del block.scale
    assert "scale" not in block._parameters


def test_setting_attributes_before_init_is_an_error():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="super"):
        Broken()


def test_shared_parameters_and_modules_are_listed_once():
    model = Tied()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["a.weight", "a.bias", "b.bias"]
    assert len(list(model.parameters())) == 3
    assert [name for name, _ in model.named_modules()] == ["", "a", "b"]
    assert len(list(model.children())) == 2
    # state_dict keeps every name, as PyTorch's does
    assert list(model.state_dict()) == [
        "a.weight", "a.bias", "b.weight", "b.bias", "again.weight", "again.bias",
    ]  # fmt: skip


def test_state_dict_keys_values_and_non_persistent_buffers():
    block = Block()
    state = block.state_dict()
    assert list(state) == [
        "scale", "steps", "fc.weight", "fc.bias", "bn.weight", "bn.bias", "bn.running_mean",
        "bn.running_var", "bn.num_batches_tracked",
    ]  # fmt: skip
    assert not state["fc.weight"].requires_grad
    assert np.shares_memory(state["fc.weight"].numpy(), block.fc.weight.numpy())
    assert state["bn.num_batches_tracked"].dtype == np.int64
    assert block.state_dict(keep_vars=True)["fc.weight"] is block.fc.weight


def test_load_state_dict_round_trip(rng):
    source, target = Block(), Block()
    for p in source.parameters():
        p.numpy()[...] = rng.standard_normal(p.shape)
    source.bn.running_mean.numpy()[...] = rng.standard_normal(4)
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    pairs = zip(source.state_dict().items(), target.state_dict().values(), strict=True)
    for (name, a), b in pairs:
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    # arrays are accepted too, and values are copied, not shared
    arrays = {k: v.numpy().copy() for k, v in source.state_dict().items()}
    target.load_state_dict(arrays)
    assert not np.shares_memory(target.fc.weight.numpy(), source.fc.weight.numpy())


def test_load_state_dict_strict_names_every_bad_key_and_loads_nothing():
    model = nn.Linear(3, 2)
    before = model.weight.numpy().copy()
    state = {"weight": np.zeros((2, 3)), "extra": np.zeros(1)}
    with pytest.raises(KeyError, match=r"missing keys \['bias'\].*unexpected keys \['extra'\]"):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model.weight.numpy(), before)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(model.weight.numpy(), 0)


def test_load_state_dict_refuses_wrong_shapes_by_name():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 2))
    state = model.state_dict()
    state = {k: v.numpy().copy() for k, v in state.items()}
    state["0.weight"] = np.zeros((3, 3))
    state["1.bias"] = np.zeros(5)
    before = model[1].weight.numpy().copy()
    state["1.weight"] = before + 1
    with pytest.raises(ValueError, match=r"0\.weight: checkpoint \(3, 3\).*1\.bias"):
        model.load_state_dict(state, strict=False)
    np.testing.assert_array_equal(model[1].weight.numpy(), before)  # refused whole


def test_train_and_eval_recurse_and_return_the_module():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(), nn.BatchNorm1d(2)))
    assert model.eval() is model
    assert all(not m.training for m in model.modules())
    assert model.train() is model
    assert all(m.training for m in model.modules())


def test_zero_grad_drops_or_zeroes_gradients(rng):
    model = nn.Linear(3, 2)
    model(lucid.tensor(rng.standard_normal((4, 3)).astype(np.float32))).sum().backward()
    assert model.weight.grad is not None
    model.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(model.weight.grad, 0)
    model.zero_grad()
    assert model.weight.grad is None and model.bias.grad is None


def test_apply_visits_children_first_then_self():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Tanh()))
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "ReLU", "Tanh", "Sequential", "Sequential"]


def test_to_float64_casts_floating_parameters_and_buffers_only(rng):
    block = Block()
    assert block.to(lucid.float64) is block
    assert all(p.dtype == np.float64 for p in block.parameters())
    assert block.bn.running_var.dtype == np.float64
    assert block.bn.num_batches_tracked.dtype == np.int64
    out = block(lucid.tensor(rng.standard_normal((5, 3))))
    assert out.dtype == np.float64
    block.to("cpu").to(device="cpu", dtype="float32")
    assert block.fc.weight.dtype == np.float32
    with pytest.raises(RuntimeError, match="cuda"):
        block.to("cuda")
    with pytest.raises(TypeError, match="floating"):
        block.to(lucid.int64)


def test_forward_hooks_change_inputs_and_outputs_and_can_be_removed():
    model = nn.Identity()
    x = lucid.tensor([1.0, 2.0])
    pre = model.register_forward_pre_hook(lambda m, args: (args[0] * 10,))
    post = model.register_forward_hook(lambda m, args, out: out + 1)
    np.testing.assert_array_equal(model(x).numpy(), [11.0, 21.0])
    pre.remove()
    np.testing.assert_array_equal(model(x).numpy(), [2.0, 3.0])
    post.remove()
    post.remove()  # idempotent
    np.testing.assert_array_equal(model(x).numpy(), [1.0, 2.0])
    seen = []
    with model.register_forward_hook(lambda m, args, out: seen.append(out.shape)):
        model(x)
    model(x)
    assert seen == [(2,)]


def test_parameter_requires_grad_and_shares_a_tensors_array():
    t = lucid.zeros(3)
    p = nn.Parameter(t)
    assert p.requires_grad and p.is_leaf
    assert np.shares_memory(p.numpy(), t.data)
    assert repr(p).startswith("Parameter containing:")
    assert not nn.Parameter(lucid.zeros(2), requires_grad=False).requires_grad


def test_sequential_indexing_slicing_len_append():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and model[0] is layers[0] and model[-1] is layers[2]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    with pytest.raises(IndexError, match="out of range"):
        model[3]
    model.append(nn.Sigmoid())
    assert len(model) == 4 and list(model.state_dict()) == [
        "0.weight", "0.bias", "2.weight", "2.bias",
    ]  # fmt: skip
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]
    assert named(lucid.ones(1, 2)).shape == (1, 2)


def test_module_list_and_module_dict():
    blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
    blocks.append(nn.Linear(2, 3))
    blocks.insert(0, nn.ReLU())
    assert len(blocks) == 4 and isinstance(blocks[0], nn.ReLU)
    assert list(blocks.state_dict())[:2] == ["1.weight", "1.bias"]
    assert len(blocks[1:]) == 3
    heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 2)})
    heads["c"] = nn.Tanh()
    assert list(heads) == ["a", "b", "c"] and "b" in heads and len(heads) == 3
    assert list(heads.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    heads.pop("a")
    assert list(heads.keys()) == ["b", "c"]


def test_repr_shows_the_tree_with_extra_repr():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Dropout(0.1)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Dropout(p=0.1, inplace=False)\n"
        "  )\n"
        ")"
    )


def test_deepcopy_gives_an_independent_module():
    model = Block()
    clone = copy.deepcopy(model)
    assert clone.fc.weight is not model.fc.weight
    np.testing.assert_array_equal(clone.fc.weight.numpy(), model.fc.weight.numpy())
    clone.fc.weight.numpy()[...] = 0
    assert model.fc.weight.numpy().any()


@pytest.mark.torch
def test_state_dict_keys_and_repr_match_torch():
    torch = pytest.importorskip("torch")

    def build(nn_):
        return nn_.Sequential(
            nn_.Linear(4, 8), nn_.BatchNorm1d(8), nn_.ReLU(), nn_.Dropout(0.25),
            nn_.LayerNorm(8), nn_.GELU(), nn_.Linear(8, 8, bias=False),
            nn_.Sequential(nn_.LeakyReLU(0.2), nn_.ELU(), nn_.Softplus(), nn_.Hardtanh()),
            nn_.GroupNorm(2, 8), nn_.Softmax(dim=1), nn_.LogSoftmax(dim=-1), nn_.Flatten(),
            nn_.Unflatten(1, (2, 4)), nn_.Identity(), nn_.Sigmoid(), nn_.Tanh(), nn_.SiLU(),
            nn_.Mish(), nn_.Embedding(10, 3, padding_idx=0), nn_.Bilinear(2, 3, 4),
            nn_.BatchNorm2d(3, momentum=None, affine=False), nn_.CrossEntropyLoss(),
        )  # fmt: skip

    ours, theirs = build(nn), build(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    for (key, a), b in zip(ours.state_dict().items(), theirs.state_dict().values(), strict=True):
        assert a.shape == tuple(b.shape), key
    # Lucid's state dict loads into torch and back unchanged.
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    fresh = build(nn)
    fresh.load_state_dict(theirs.state_dict())
    for key, value in ours.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[key].numpy(), value.numpy(), key)
