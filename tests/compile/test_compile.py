"""lucid.compile: compiled calls give eager results; guards retrace; graph breaks stay correct."""

import warnings

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.compile import compiler


def _tol(dtype):
    return {"rtol": 1e-12, "atol": 1e-12} if dtype == np.float64 else {"rtol": 1e-6, "atol": 1e-6}


def _chain(x, b):
    y = x
    for _ in range(6):
        y = (y * 1.0001 + b).tanh()
    return F.sigmoid(y).exp() - y.square() / 3 + lucid.maximum(y, b).relu()


def _mlp(seed):
    lucid.random.seed(seed)
    return nn.Sequential(
        nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3)
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compile_elementwise_chain_matches_eager(dtype, rng):
    x = lucid.tensor(rng.standard_normal((5, 7)).astype(dtype))
    b = lucid.tensor(rng.standard_normal(7).astype(dtype))
    compiled = lucid.compile(_chain)
    first, second = compiled(x, b), compiled(x, b)  # traced, then replayed
    expected = _chain(x, b)
    assert second.dtype == expected.dtype and second.shape == (5, 7)
    np.testing.assert_allclose(first.numpy(), expected.numpy(), **_tol(dtype))
    np.testing.assert_allclose(second.numpy(), expected.numpy(), **_tol(dtype))
    x2 = lucid.tensor(rng.standard_normal((5, 7)).astype(dtype))  # new values, same guards
    np.testing.assert_allclose(compiled(x2, b).numpy(), _chain(x2, b).numpy(), **_tol(dtype))
    assert compiled.traces == 1
    assert "fused" in compiled.graph


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compile_mlp_module_in_eval_mode_matches_eager(dtype, rng):
    model = _mlp(0)
    if dtype == np.float64:
        model = model.double()
    model.eval()
    compiled = lucid.compile(model)
    for _ in range(3):
        x = lucid.tensor(rng.standard_normal((4, 8)).astype(dtype))
        with lucid.no_grad():
            out = compiled(x)
        assert not out.requires_grad
        np.testing.assert_allclose(out.numpy(), model(x).detach().numpy(), **_tol(dtype))
    assert compiled.traces == 1
    assert compiled.parameters is not None  # attributes come from the module


def test_compile_module_train_eval_switch_retraces_and_dropout_draws_afresh(rng):
    lucid.random.seed(1)
    model = nn.Sequential(nn.Linear(6, 32), nn.Dropout(0.5), nn.Linear(32, 2))
    compiled = lucid.compile(model)
    x = lucid.tensor(rng.standard_normal((64, 6)).astype(np.float32))
    with lucid.no_grad():
        compiled(x)
        lucid.random.seed(7)
        replayed = compiled(x).numpy()
        lucid.random.seed(7)
        eager = model(x).numpy()
        again = compiled(x).numpy()
        np.testing.assert_allclose(replayed, eager, rtol=1e-6, atol=1e-6)  # same stream
        assert not np.allclose(replayed, again)  # fresh draws on every replay
        model.eval()
        np.testing.assert_allclose(compiled(x).numpy(), model(x).numpy(), rtol=1e-6, atol=1e-6)
    assert compiled.traces == 2


def test_compile_guard_misses_retrace(rng):
    calls = []

    def f(x, scale):
        calls.append(1)
        return x * scale + 1.0

    compiled = lucid.compile(f)
    x3 = lucid.tensor(rng.standard_normal(3))
    x4 = lucid.tensor(rng.standard_normal(4))
    compiled(x3, 2.0)
    compiled(x3, 2.0)
    assert len(calls) == 1  # a replay runs no Python of f
    np.testing.assert_allclose(compiled(x4, 2.0).numpy(), f(x4, 2.0).numpy())  # shape
    np.testing.assert_allclose(compiled(x3, 3.0).numpy(), f(x3, 3.0).numpy())  # scalar
    x3f = lucid.tensor(x3.numpy().astype(np.float32))
    assert compiled(x3f, 2.0).dtype == lucid.float32  # dtype
    x3g = lucid.tensor(x3.numpy(), requires_grad=True)
    assert compiled(x3g, 2.0).requires_grad  # requires_grad
    with lucid.no_grad():
        assert not compiled(x3g, 2.0).requires_grad  # grad mode
    assert compiled.traces == 6


def test_compile_keeps_at_most_cache_size_variants(rng):
    compiled = lucid.compile(lambda x: x * 2.0)
    for n in range(1, compiler.CACHE_SIZE + 3):
        x = lucid.tensor(rng.standard_normal(n))
        np.testing.assert_allclose(compiled(x).numpy(), 2 * x.numpy())
    assert len(compiled.variants) == compiler.CACHE_SIZE


def test_compile_graph_break_warns_once_and_stays_correct(rng):
    def f(x):
        y = x * 2.0
        if y.sum() > 0:  # data-dependent Python
            return y + 1.0
        return y - 1.0

    compiled = lucid.compile(f)
    pos = lucid.tensor(np.abs(rng.standard_normal(5)))
    with pytest.warns(UserWarning, match=r"graph break \(bool\(tensor\) at .*test_compile.py"):
        np.testing.assert_allclose(compiled(pos).numpy(), f(pos).numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no second warning
        np.testing.assert_allclose(compiled(-pos).numpy(), f(-pos).numpy())
    assert "graph break" in compiled.graph


@pytest.mark.parametrize("read", ["item", "float", "numpy"])
def test_compile_fullgraph_raises_naming_the_line(read, rng):
    def f(x):
        s = x.sum()
        if read == "item":
            s.item()
        elif read == "float":
            float(s)
        else:
            s.numpy()
        return x * 2.0

    compiled = lucid.compile(f, fullgraph=True)
    line = {"item": r"s\.item\(\)", "float": r"float\(s\)", "numpy": r"s\.numpy\(\)"}[read]
    with pytest.raises(RuntimeError, match=rf"fullgraph=True.*test_compile.py:\d+ \({line}\)"):
        compiled(lucid.tensor(rng.standard_normal(3)))


def test_compile_backward_with_retain_graph_inside_is_a_graph_break(rng):
    w = lucid.tensor(rng.standard_normal(3), requires_grad=True)

    def step(x):
        loss = (w * x).sum()
        loss.backward(retain_graph=True)  # a plain backward() is captured (test_training.py)
        return loss

    compiled = lucid.compile(step)
    x = lucid.tensor(rng.standard_normal(3))
    with pytest.warns(UserWarning, match=r"graph break \(backward\(retain_graph"):
        compiled(x)
    np.testing.assert_allclose(w.grad.numpy(), x.numpy())
    compiled(x)
    np.testing.assert_allclose(w.grad.numpy(), 2 * x.numpy())


def test_compile_no_grad_block_and_detach_inside_are_respected(rng):
    w = lucid.tensor(rng.standard_normal(4), requires_grad=True)

    def f(x):
        with lucid.no_grad():
            scale = w * 2.0  # a constant for the gradient
        return (w * scale + w.detach() * x).sum()

    compiled = lucid.compile(f)
    x = lucid.tensor(rng.standard_normal(4))
    compiled(x)
    out = compiled(x)
    out.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * w.numpy(), rtol=1e-12)
    np.testing.assert_allclose(out.numpy(), f(x).numpy(), rtol=1e-12)


def test_compile_returns_structures_inputs_and_python_values(rng):
    def f(x, k):
        return {"x": x, "y": [x + k, k * 2]}, "label"

    compiled = lucid.compile(f)
    x = lucid.tensor(rng.standard_normal(3))
    compiled(x, 1.5)
    out, label = compiled(x, 1.5)
    assert out["x"] is x and label == "label" and out["y"][1] == 3.0
    np.testing.assert_allclose(out["y"][0].numpy(), x.numpy() + 1.5)


def test_compile_in_place_change_of_a_buffer_runs_eagerly(rng):
    model = nn.BatchNorm1d(4)  # training mode: running statistics change on every call
    compiled = lucid.compile(model)
    x = lucid.tensor(rng.standard_normal((8, 4)).astype(np.float32))
    with pytest.warns(UserWarning, match="changed in place"):
        compiled(x)
    compiled(x)
    assert int(model.num_batches_tracked.numpy()) == 2


def test_compile_rejects_dynamic_and_non_callables():
    with pytest.raises(NotImplementedError, match="dynamic"):
        lucid.compile(lambda x: x, dynamic=True)
    with pytest.raises(TypeError, match="function or Module"):
        lucid.compile(3)
    with pytest.raises(RuntimeError, match="call the compiled function first"):
        _ = lucid.compile(lambda x: x).graph


def test_compile_as_decorator(rng):
    @lucid.compile(fullgraph=True)
    def f(x):
        return (x - 1.0).exp()

    x = lucid.tensor(rng.standard_normal(3))
    f(x)
    np.testing.assert_allclose(f(x).numpy(), np.exp(x.numpy() - 1), rtol=1e-12)


def test_compile_in_place_change_inside_is_a_graph_break(rng):
    def f(x):
        y = x * 2.0
        y.add_(1.0)
        return y * 3.0

    x = lucid.tensor(rng.standard_normal(4))
    compiled = lucid.compile(f)
    with pytest.warns(UserWarning, match=r"graph break \(in-place add_ at .*test_compile.py"):
        compiled(x)
    np.testing.assert_allclose(compiled(x).numpy(), f(x).numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match=r"in-place add_ at .*cannot be compiled"):
        lucid.compile(f, fullgraph=True)(x)


def test_compile_reads_captured_tensors_live_and_inlines_nested_compiled_calls(rng):
    w = lucid.tensor(rng.standard_normal((3, 2)), requires_grad=True)  # read live (a param)
    c = lucid.tensor(rng.standard_normal(2))  # a constant, by reference
    inner = lucid.compile(lambda x: x @ w + c)
    outer = lucid.compile(lambda x: inner(x) * 2.0)
    x = lucid.tensor(rng.standard_normal((4, 3)))
    outer(x)
    with lucid.no_grad():
        w -= 1.0  # as an optimizer step does
    c._data[...] = 3.0
    np.testing.assert_allclose(outer(x).numpy(), 2 * (x.numpy() @ w.numpy() + 3.0), rtol=1e-12)
    assert "MatMul" in outer.graph and inner.traces == 0  # inlined into outer's trace


def test_compile_same_tensor_twice_is_its_own_signature(rng):
    compiled = lucid.compile(lambda x, y: x * y + 1.0)
    a, b = lucid.tensor(rng.standard_normal(3)), lucid.tensor(rng.standard_normal(3))
    compiled(a, a)
    compiled(a, a)
    np.testing.assert_allclose(compiled(a, b).numpy(), a.numpy() * b.numpy() + 1, rtol=1e-12)
    assert compiled.traces == 2


def test_compile_values_made_outside_ops_run_eagerly(rng):
    def sliced(x):
        part = lucid.Tensor._wrap(x._data[1:])  # NumPy on the array: not an op
        return part * 2.0

    def promoted(n):
        return n * 0.5  # an integer tensor meets a Python float: converted outside the op

    x = lucid.tensor(rng.standard_normal(5))
    compiled = lucid.compile(sliced)
    with pytest.warns(UserWarning, match="viewing part of a traced value"):
        compiled(x)
    np.testing.assert_allclose(compiled(x + 1.0).numpy(), 2 * (x.numpy()[1:] + 1))
    n = lucid.tensor(np.arange(6))
    compiled = lucid.compile(promoted)
    with pytest.warns(UserWarning, match="converted to float32 outside an op"):
        compiled(n)
    np.testing.assert_allclose(compiled(n + 1).numpy(), (np.arange(6) + 1) * 0.5)
    with pytest.raises(RuntimeError, match="fullgraph=True.*outside an op"):
        lucid.compile(promoted, fullgraph=True)(n)


def test_compile_replays_ops_that_decorate_their_forward_per_call(rng):
    # Split decorates its forward per call (its number of results varies): replayed on arrays
    # and, when a gradient is needed, through its own __call__.
    def fn(x):
        a, b = x.split(3, dim=1)
        return a * b.tanh()

    compiled = lucid.compile(fn)
    for requires_grad in (False, True):
        x = lucid.tensor(rng.standard_normal((4, 6)), requires_grad=requires_grad)
        for _ in range(2):  # trace, then replay
            got, want = compiled(x).detach().numpy(), fn(x).detach().numpy()
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)  # fused: Numba tanh
    assert compiled.traces == 2
