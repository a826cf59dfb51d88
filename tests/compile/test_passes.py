"""lucid.compile's passes: dead code, constant folding, fusion and the generated kernels."""

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid.compile import codegen, fuse
from lucid.kernels import _jit

FUSIBLE = sorted(codegen.EXPRESSIONS)


def _last_graph(compiled):
    return compiled.last.graph


def test_dead_code_is_dropped(rng):
    def f(x):
        unused = (x * 3.0).exp()  # noqa: F841
        return x + 1.0

    compiled = lucid.compile(f)
    compiled(lucid.tensor(rng.standard_normal(4)))
    names = [node.name for node in _last_graph(compiled).nodes]
    assert names == ["Add"]


def test_constants_are_folded(rng):
    def f(x):
        table = lucid.arange(4, dtype=lucid.float64)
        scale = (table * 2.0 + 1.0).exp()  # constants only: computed once, at trace time
        return x * scale

    compiled = lucid.compile(f)
    x = lucid.tensor(rng.standard_normal(4))
    compiled(x)
    np.testing.assert_allclose(compiled(x).numpy(), f(x).numpy(), rtol=1e-12)
    assert [node.name for node in _last_graph(compiled).nodes] == ["Multiply"]


def _ops_of(name, x, y):
    return {
        "Add": lambda: x + y,
        "Sub": lambda: x - y,
        "Multiply": lambda: x * y,
        "Div": lambda: x / (y.abs() + 0.5),
        "Neg": lambda: -x,
        "Square": lambda: x.square(),
        "Sqrt": lambda: x.abs().sqrt(),
        "Exp": lambda: x.exp(),
        "Log": lambda: (x.abs() + 0.1).log(),
        "Tanh": lambda: x.tanh(),
        "Sigmoid": lambda: F.sigmoid(x),
        "Relu": lambda: F.relu(x),
        "Maximum": lambda: lucid.maximum(x, y),
        "Minimum": lambda: lucid.minimum(x, y),
    }[name]()


@pytest.mark.parametrize("name", FUSIBLE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_kernel_matches_reference_for_each_op(name, dtype, rng):
    # (x * 1.5 + y) then the op then * 0.5: a chain that the op sits inside
    def f(x, y):
        return _ops_of(name, x * 1.5 + y, y) * 0.5

    data = (3 * rng.standard_normal((4, 6))).astype(dtype)
    data[0, 0] = 0.0  # relu, max at a tie-free zero
    x, y = lucid.tensor(data), lucid.tensor(rng.standard_normal((4, 6)).astype(dtype))
    compiled = lucid.compile(f)
    compiled(x, y)
    out = compiled(x, y)
    fused = compiled.last.fused
    assert any(name in [n.name for n in node.members] for node in fused)
    tol = {"rtol": 1e-12, "atol": 1e-12} if dtype == np.float64 else {"rtol": 1e-6, "atol": 1e-6}
    np.testing.assert_allclose(out.numpy(), f(x, y).numpy(), **tol)
    env = compiled.last.evaluate([x, y])
    for node in fused:
        arrays = [env[v] for v in node.inputs]
        (kernel_out,) = node.forward_arrays(arrays)
        np.testing.assert_allclose(kernel_out, node.reference(arrays), **tol)
    assert out.dtype == x.dtype


def test_fused_kernel_broadcasts_and_propagates_nan(rng):
    def f(x, b, s):
        return lucid.maximum(F.relu(x * b + s), s - 5.0)

    x = rng.standard_normal((3, 5))
    x[1, 2] = np.nan
    args = (lucid.tensor(x), lucid.tensor(rng.standard_normal(5)), lucid.tensor(np.array([0.3])))
    compiled = lucid.compile(f)
    compiled(*args)
    out = compiled(*args).numpy()
    assert len(compiled.last.fused) == 1
    np.testing.assert_allclose(out, f(*args).numpy(), rtol=1e-12)
    assert np.isnan(out[1, 2])


def test_generated_source_compiles_and_is_cached_by_its_hash(tmp_path, monkeypatch, rng):
    monkeypatch.setenv("LUCID_COMPILE_CACHE_DIR", str(tmp_path))
    members = [type("N", (), {"name": n, "inputs": i, "outputs": o})()
               for n, i, o in (("Multiply", [0, 1], [2]), ("Tanh", [2], [3]))]  # fmt: skip
    source = codegen.kernel_source(members, [0, 1], [False, True])
    compile(source, "kernel.py", "exec")  # valid Python
    assert "math.tanh(t0)" in source and "b1 = s1[0]" in source
    if not _jit.JIT_ENABLED:
        pytest.skip("numba disabled: the kernel itself is not compiled")
    kernel, path = codegen.load_kernel(source)
    assert path.parent == tmp_path and path.read_text() == source
    assert path.name == codegen.load_kernel(source)[1].name  # same source, same file
    x = rng.standard_normal(10)
    out = np.empty(10)
    kernel(10, out, x, np.array([0.7]), np.array([0.0, 1.0]))
    np.testing.assert_allclose(out, np.tanh(x * 0.7), rtol=1e-12)


def test_long_chains_are_cut_into_kernels_of_bounded_size(monkeypatch, rng):
    monkeypatch.setattr(fuse, "MAX_OPS_PER_KERNEL", 30)

    def f(x):
        for _ in range(50):
            x = (x * 1.0001 + 0.01).tanh()
        return x

    compiled = lucid.compile(f)
    x = lucid.tensor((0.5 * rng.standard_normal(16)).astype(np.float32))
    compiled(x)
    np.testing.assert_allclose(compiled(x).numpy(), f(x).numpy(), rtol=1e-6, atol=1e-6)
    fused = compiled.last.fused
    assert sum(len(n.members) for n in fused) == 150
    assert [len(n.members) for n in fused] == [30] * 5
    assert len({n.source for n in fused}) == 1  # a periodic chain: one kernel, compiled once


def test_large_transcendental_chains_stay_numpy(rng):
    compiled = lucid.compile(lambda x: (x * 2.0).tanh().exp())
    x = lucid.tensor(rng.standard_normal(1 << 14).astype(np.float32))
    compiled(x)
    assert compiled.last.fused == []  # past the measured crossover
    compiled = lucid.compile(lambda x: (x * 2.0 + 1.0).relu())
    compiled(x)
    assert len(compiled.last.fused) == 1  # arithmetic chains win at every size


def test_disable_jit_replays_on_the_numpy_references(monkeypatch, rng):
    monkeypatch.setattr(_jit, "JIT_ENABLED", False)
    x = lucid.tensor(rng.standard_normal(8))
    compiled = lucid.compile(lambda x: (x * 2.0 - 1.0).tanh())
    compiled(x)
    out = compiled(x)
    assert compiled.last.fused[0].kernel is None
    np.testing.assert_allclose(out.numpy(), np.tanh(x.numpy() * 2 - 1), rtol=1e-12)


def test_debug_writes_the_ir_and_names_the_kernel_files(tmp_path, monkeypatch, capsys, rng):
    monkeypatch.setenv("LUCID_COMPILE_CACHE_DIR", str(tmp_path))

    def chain(x):
        return (x * 2.0 + 1.0).relu()

    compiled = lucid.compile(chain, debug=True)
    compiled(lucid.tensor(rng.standard_normal(8)))
    err = capsys.readouterr().err
    assert f"IR in {tmp_path}" in err and "kernel of 3 ops in" in err
    assert "Relu" in (tmp_path / "graph_chain.txt").read_text()
    kernel_file = err.split("kernel of 3 ops in ")[1].strip()
    assert "def kernel(" in open(kernel_file).read()


def test_graph_prints_the_ir(rng):
    compiled = lucid.compile(lambda x, w: (x @ w).relu().sum(axis=1))
    compiled(lucid.tensor(rng.standard_normal((2, 3))), lucid.tensor(rng.standard_normal((3, 4))))
    text = compiled.graph
    assert "v0: float64[2, 3] = input 0" in text and "v1: float64[3, 4] = input 1" in text
    assert "Matmul(v0, v1)" in text or "MatMul(v0, v1)" in text
    assert "return v" in text


def test_memory_plan_keeps_buffers_only_inside_the_graph(monkeypatch, rng):
    monkeypatch.setattr(fuse, "MAX_OPS_PER_KERNEL", 30)

    def f(x):
        for _ in range(50):
            x = (x * 1.0001 + 0.01).tanh()
        return x, x[1:]  # a view of the last kernel's result is returned: fresh every call

    compiled = lucid.compile(f)
    x1, x2 = (lucid.tensor(0.5 * rng.standard_normal(16)) for _ in range(2))
    compiled(x1)
    first, view = compiled(x1)
    second, _ = compiled(x2)
    assert [n.keep_buffer for n in compiled.last.fused] == [True] * 4 + [False]
    np.testing.assert_allclose(first.numpy(), f(x1)[0].numpy(), rtol=1e-12)  # not overwritten
    np.testing.assert_allclose(view.numpy(), f(x1)[1].numpy(), rtol=1e-12)
    np.testing.assert_allclose(second.numpy(), f(x2)[0].numpy(), rtol=1e-12)
