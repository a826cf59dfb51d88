"""Module API against PyTorch: registration rules, lookups by dotted path, traversal
arguments, dtype casts, hooks (kwargs, prepend, always_call, full backward), repr, state dicts."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn


def _models(torch):
    """The same small tree in Lucid and PyTorch: a block with a shared layer and a buffer."""

    def build(lib, tensor):
        class Block(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = lib.nn.Linear(3, 4)
                self.bn = lib.nn.BatchNorm1d(4)
                self.register_buffer("steps", tensor(np.zeros(2)))

            def forward(self, x, scale=1.0):
                return self.bn(self.fc(x)) * scale

        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.block = Block()
                self.head = lib.nn.Linear(4, 2)
                self.tied = self.head

            def forward(self, x):
                return self.head(self.block(x))

        return Net()

    return build(lucid, lucid.tensor), build(torch, torch.tensor)


@pytest.mark.torch
def test_traversal_names_match_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _models(torch)
    for method, kwargs in [
        ("named_parameters", {}),
        ("named_parameters", {"prefix": "net", "remove_duplicate": False}),
        ("named_parameters", {"recurse": False}),
        ("named_buffers", {"prefix": "m"}),
        ("named_buffers", {"remove_duplicate": False}),
        ("named_modules", {"prefix": "root"}),
        ("named_modules", {"remove_duplicate": False}),
        ("named_children", {}),
    ]:
        names = [n for n, _ in getattr(ours, method)(**kwargs)]
        assert names == [n for n, _ in getattr(theirs, method)(**kwargs)], (method, kwargs)
    assert list(ours.state_dict(prefix="p.")) == list(theirs.state_dict(prefix="p."))
    assert len(list(ours.buffers())) == len(list(theirs.buffers()))


@pytest.mark.torch
def test_lookups_by_dotted_path_match_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _models(torch)
    assert ours.get_submodule("block.fc") is ours.block.fc
    assert ours.get_submodule("") is ours
    assert ours.get_parameter("block.fc.weight") is ours.block.fc.weight
    assert ours.get_buffer("block.bn.running_var") is ours.block.bn.running_var
    assert ours.get_buffer("block.steps") is ours.block.steps
    for bad, getter in [
        ("block.nothing", "get_submodule"), ("block.fc.nothing", "get_parameter"),
        ("block.fc.weight", "get_buffer"), ("head.weight.x", "get_parameter"),
    ]:  # fmt: skip
        with pytest.raises(AttributeError):
            getattr(theirs, getter)(bad)
        with pytest.raises(AttributeError, match="nothing|weight"):
            getattr(ours, getter)(bad)


@pytest.mark.torch
@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda m, lib: m.register_parameter("a.b", None), KeyError),
        (lambda m, lib: m.register_parameter("", None), KeyError),
        (lambda m, lib: m.register_parameter("fc", None), KeyError),
        (lambda m, lib: m.register_parameter("forward", None), KeyError),
        (lambda m, lib: m.register_parameter("w", lib.ones(2)), TypeError),
        (lambda m, lib: m.register_parameter(3, None), TypeError),
        (lambda m, lib: m.register_buffer("fc", None), KeyError),
        (lambda m, lib: m.register_buffer("x.y", None), KeyError),
        (lambda m, lib: m.add_module("a.b", None), KeyError),
        (lambda m, lib: setattr(m, "fc", lib.ones(2)), TypeError),
        (lambda m, lib: setattr(m.bn, "running_mean", 3), TypeError),
        (lambda m, lib: setattr(m.fc, "weight", lib.ones(2)), TypeError),
        (lambda m, lib: setattr(m.fc, "weight", lib.nn.Linear(1, 1)), TypeError),
    ],
)
def test_registration_errors_match_torch(call, error):
    torch = pytest.importorskip("torch")
    for lib in (lucid, torch):
        model = lib.nn.Sequential()
        model.add_module("fc", lib.nn.Linear(2, 2))
        model.add_module("bn", lib.nn.BatchNorm1d(2))
        with pytest.raises(error):
            call(model, lib)


@pytest.mark.torch
def test_setattr_moves_names_between_registries_as_torch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (lucid, torch):
        m = lib.nn.Module()
        m.x = 1
        m.x = lib.nn.Parameter(lib.ones(2))  # a plain attribute becomes a parameter
        m.register_buffer("b", lib.zeros(1))
        m.b = lib.nn.Parameter(lib.zeros(3))  # a buffer's name now holds a parameter
        m.register_buffer("q", lib.ones(1))
        m.q = lib.nn.Linear(1, 1)  # a buffer's name now holds a module
        m.q = lib.nn.Parameter(lib.ones(1))  # and then a parameter
        m.b = None
        results.append((list(m._parameters), list(m._buffers), list(m._modules), m.b))
    assert results[0] == results[1]


def test_plain_attributes_before_init_are_allowed_but_parameters_are_not():
    class Early(nn.Module):
        def __init__(self):
            self.size_hint = 3  # PyTorch allows this
            super().__init__()
            self.fc = nn.Linear(self.size_hint, 1)

    assert Early().fc.in_features == 3

    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(lucid.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Broken()


def test_dtype_casts_and_requires_grad():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    assert model.half() is model
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float16)}
    assert model[1].num_batches_tracked.dtype == np.int64  # integer buffers are kept
    model.double()
    assert {b.dtype for b in model.buffers() if b.dtype.kind == "f"} == {np.dtype(np.float64)}
    model.float()
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    with pytest.raises(TypeError, match="bfloat16"):
        model.bfloat16()
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())


def test_zero_grad_set_to_none_false_zeroes_in_place(rng):
    model = nn.Linear(3, 2)
    model(lucid.tensor(rng.standard_normal((4, 3)).astype(np.float32))).sum().backward()
    grad = model.weight.grad.numpy()
    model.zero_grad(set_to_none=False)
    assert model.weight.grad.numpy() is grad or np.shares_memory(model.weight.grad.numpy(), grad)
    np.testing.assert_array_equal(grad, 0)
    model.zero_grad()
    assert model.weight.grad is None


@pytest.mark.torch
def test_load_state_dict_strict_false_reports_keys_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _models(torch)
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    del state["head.bias"]
    state["extra.weight"] = np.zeros(2)
    result = ours.load_state_dict(state, strict=False)
    state_t = {k: torch.tensor(v) for k, v in state.items()}
    result_t = theirs.load_state_dict(state_t, strict=False)
    assert result.missing_keys == result_t.missing_keys
    assert result.unexpected_keys == result_t.unexpected_keys
    missing, unexpected = result
    assert (missing, unexpected) == (["head.bias"], ["extra.weight"])
    full = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert repr(ours.load_state_dict(full)) == repr(theirs.load_state_dict(theirs.state_dict()))


def test_load_state_dict_assign_uses_the_given_arrays():
    model = nn.Linear(2, 2)
    weight = np.arange(4.0).reshape(2, 2)
    model.load_state_dict({"weight": weight, "bias": np.zeros(2)}, assign=True)
    assert model.weight.numpy() is weight and model.weight.dtype == np.float64
    assert model.weight.requires_grad
    copied = nn.Linear(2, 2)
    copied.load_state_dict({"weight": weight, "bias": np.zeros(2)})
    assert copied.weight.dtype == np.float32 and not np.shares_memory(copied.weight, weight)


def _hook_order(lib, block):
    log = []
    block.register_forward_pre_hook(lambda m, a: log.append("pre1"))
    block.register_forward_pre_hook(lambda m, a: log.append("pre0"), prepend=True)

    def pre_kwargs(m, args, kwargs):
        log.append(("pre_kw", sorted(kwargs)))
        return args, {"scale": 2.0}

    block.register_forward_pre_hook(pre_kwargs, with_kwargs=True)
    block.register_forward_hook(lambda m, a, out: log.append("post1"))
    block.register_forward_hook(
        lambda m, a, kw, out: log.append(("post_kw", kw["scale"])), with_kwargs=True, prepend=True
    )
    out = block(lib.ones(2, 3), scale=1.0)
    plain = block.bn(block.fc(lib.ones(2, 3)))
    np.testing.assert_allclose(np.asarray(out.detach()), 2 * np.asarray(plain.detach()))
    return log


@pytest.mark.torch
def test_forward_hooks_with_kwargs_prepend_and_order_match_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _models(torch)
    assert _hook_order(lucid, ours.block) == _hook_order(torch, theirs.block)


def _always_call(lib):
    layer, seen = lib.nn.Linear(2, 2), []
    layer.register_forward_hook(lambda m, a, out: seen.append(out), always_call=True)
    layer.register_forward_hook(lambda m, a, out: seen.append("never"))
    with pytest.raises(Exception):  # noqa: B017 - the libraries raise different types
        layer(lib.ones(3, 5))
    return seen


@pytest.mark.torch
def test_always_call_forward_hook_runs_when_forward_raises():
    torch = pytest.importorskip("torch")
    assert _always_call(lucid) == _always_call(torch) == [None]


def _on_linear_twins(run, rng):
    """``run(lib, layer, x, upstream)`` on a float64 Linear(3, 2) of Lucid and of PyTorch with
    the same weights; every array it returns must agree. Lucid's arrays, x and upstream."""
    torch = pytest.importorskip("torch")
    x, upstream = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    ours, theirs = nn.Linear(3, 2).double(), torch.nn.Linear(3, 2).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    got = run(lucid, ours, x, upstream)
    expected = run(torch, theirs, x, upstream)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    return got, x, upstream


def _backward_hook_gradients(lib, layer, x, upstream):
    grads = []
    layer.register_full_backward_hook(lambda m, gi, go: grads.append((gi, go)))
    layer(lib.tensor(x, requires_grad=True)).backward(lib.tensor(upstream))
    (grad_input,), (grad_output,) = grads[0]
    return np.asarray(grad_input), np.asarray(grad_output)


@pytest.mark.torch
def test_full_backward_hook_sees_torchs_gradients(rng):
    _on_linear_twins(_backward_hook_gradients, rng)  # grad_input and grad_output agree


def _repr_classes(lib):
    class Multi(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(2, 2)

        def extra_repr(self):
            return "first line\nsecond line"

    class Leaf(lib.nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"

    return Multi, Leaf


@pytest.mark.torch
def test_repr_layout_matches_torch():
    torch = pytest.importorskip("torch")
    reprs = []
    for lib in (lucid, torch):
        multi, leaf = _repr_classes(lib)
        tree = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Sequential(lib.nn.ReLU(), leaf()))
        reprs.append((repr(multi()), repr(leaf()), repr(tree)))
    assert reprs[0] == reprs[1]


def _backward_pre_hook_gradients(lib, layer, x, upstream):
    seen = []

    def pre_hook(module, grad_output):
        seen.append(np.asarray(grad_output[0]).copy())
        return (grad_output[0] * 3,)

    layer.register_full_backward_pre_hook(pre_hook)
    inp = lib.tensor(x, requires_grad=True)
    layer(inp).backward(lib.tensor(upstream))
    return seen[0], inp.grad.numpy(), layer.weight.grad.numpy()


@pytest.mark.torch
def test_full_backward_pre_hook_replaces_grad_output_as_torch(rng):
    got, x, upstream = _on_linear_twins(_backward_pre_hook_gradients, rng)
    np.testing.assert_allclose(got[2], 3 * upstream.T @ x, rtol=1e-12)


def _with_extra_state(lib):
    class Counter(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(2, 2)
            self.calls = 0

        def get_extra_state(self):
            return {"calls": self.calls}

        def set_extra_state(self, state):
            self.calls = state["calls"]

    return lib.nn.Sequential(Counter())


@pytest.mark.torch
def test_extra_state_round_trips_under_torchs_key():
    torch = pytest.importorskip("torch")
    ours, theirs = _with_extra_state(lucid), _with_extra_state(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours[0].calls = 7
    state = ours.state_dict()
    assert state["0._extra_state"] == {"calls": 7}
    fresh = _with_extra_state(lucid)
    fresh.load_state_dict(state)
    assert fresh[0].calls == 7
    del state["0._extra_state"]
    assert fresh.load_state_dict(state, strict=False).missing_keys == ["0._extra_state"]
    with pytest.raises(RuntimeError, match="get_extra_state"):
        nn.Linear(2, 2).get_extra_state()


def test_set_submodule_cuda_and_share_memory():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU()))
    model.set_submodule("1.0", nn.Tanh())
    assert isinstance(model[1][0], nn.Tanh)
    with pytest.raises(AttributeError, match="no submodule"):
        model.set_submodule("1.5", nn.Tanh(), strict=True)
    with pytest.raises(AttributeError, match="no submodule"):
        model.set_submodule("2.0", nn.Tanh())
    with pytest.raises(TypeError, match="Module"):
        model.set_submodule("1.0", 3)
    with pytest.raises(RuntimeError, match="CPU only"):
        model.cuda()
    assert model.share_memory() is model


def _state_hook_log(lib):
    log = []
    model = lib.nn.Sequential(lib.nn.Linear(2, 2))
    model.register_state_dict_pre_hook(lambda m, prefix, keep: log.append(("pre", prefix)))
    model[0].register_state_dict_pre_hook(lambda m, prefix, keep: log.append(("pre", prefix)))

    def post(module, state, prefix, meta):
        log.append(("post", prefix, sorted(state)))
        state[prefix + "note"] = 1  # post-hooks may edit the dict in place

    model[0].register_state_dict_post_hook(post)
    keys = list(model.state_dict())
    return log, keys


@pytest.mark.torch
def test_state_dict_hooks_run_as_torch():
    torch = pytest.importorskip("torch")
    assert _state_hook_log(lucid) == _state_hook_log(torch)


def _load_hooks(lib):
    log = []
    model = lib.nn.Sequential(lib.nn.Linear(2, 2))

    def rename(module, state, prefix, meta, strict, missing, unexpected, errors):
        log.append(("pre", prefix))
        if prefix + "w" in state:
            state[prefix + "weight"] = state.pop(prefix + "w")

    def forgive(module, incompatible):
        log.append(("post", list(incompatible.missing_keys)))
        incompatible.missing_keys.clear()

    model[0].register_load_state_dict_pre_hook(rename)
    model.register_load_state_dict_post_hook(forgive)
    state = {"0.w": np.ones((2, 2))}  # "0.bias" is missing; the post-hook forgives it
    result = model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    return log, list(result.missing_keys), np.asarray(model[0].weight.detach()).tolist()


@pytest.mark.torch
def test_load_state_dict_hooks_rename_and_forgive_keys_as_torch():
    torch = pytest.importorskip("torch")
    assert _load_hooks(lucid) == _load_hooks(torch)


def test_load_state_dict_pre_hook_errors_raise():
    model = nn.Linear(2, 2)
    model.register_load_state_dict_pre_hook(
        lambda m, sd, p, meta, s, mk, uk, errs: errs.append("bad")
    )
    with pytest.raises(RuntimeError, match="bad"):
        model.load_state_dict(model.state_dict())
