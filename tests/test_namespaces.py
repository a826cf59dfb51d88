"""Namespaces a PyTorch program imports: lucid.utils.data, lucid.backends, lucid.nn.parallel."""

import subprocess
import sys

import numpy as np
import pytest

import lucid
import lucid.nn as nn


def test_utils_data_is_the_data_module():
    import lucid.utils.data as d
    from lucid.utils.data import DataLoader, TensorDataset

    assert d is lucid.data
    assert lucid.utils.data is lucid.data
    assert DataLoader is lucid.data.DataLoader and TensorDataset is lucid.data.TensorDataset
    assert sys.modules["lucid.utils.data"] is lucid.data


def test_import_utils_data_in_a_fresh_interpreter_imports_no_heavy_module():
    code = (
        "import sys; import lucid.utils.data as d; import lucid; "
        "assert d is lucid.data; "
        "print(sorted(m for m in ('numba', 'scipy', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_backends_report_no_accelerators():
    from lucid import backends

    assert backends.cudnn.is_available() is False
    assert backends.cudnn.version() is None
    assert backends.mps.is_available() is False and backends.mps.is_built() is False
    assert backends.cuda.is_built() is False
    assert backends.openmp.is_available() is False
    assert backends.mkldnn.is_available() is False


def test_backends_flags_are_settable():
    from lucid.backends import cudnn

    old = (cudnn.benchmark, cudnn.deterministic)
    try:
        cudnn.benchmark = True
        cudnn.deterministic = True
        assert lucid.backends.cudnn.benchmark is True
        assert lucid.backends.cudnn.deterministic is True
        lucid.backends.cuda.matmul.allow_tf32 = True
        assert lucid.backends.cuda.matmul.allow_tf32 is True
    finally:
        cudnn.benchmark, cudnn.deterministic = old
        lucid.backends.cuda.matmul.allow_tf32 = False


def test_cudnn_flags_context_restores():
    from lucid.backends import cudnn

    before = cudnn.deterministic
    with cudnn.flags(enabled=False, deterministic=not before):
        assert cudnn.deterministic is (not before) and cudnn.enabled is False
    assert cudnn.deterministic is before and cudnn.enabled is True


def test_data_parallel_runs_the_module_unchanged(rng):
    lucid.random.seed(0)
    inner = nn.Linear(3, 2)
    model = nn.DataParallel(inner)
    assert nn.parallel.DataParallel is nn.DataParallel
    x = lucid.tensor(rng.standard_normal((4, 3)).astype(np.float32))
    np.testing.assert_array_equal(model(x).numpy(), inner(x).numpy())
    assert list(model.state_dict()) == ["module.weight", "module.bias"]
    assert model.module is inner
    assert [p is q for p, q in zip(model.parameters(), inner.parameters(), strict=True)] == [
        True,
        True,
    ]


@pytest.mark.torch
def test_data_parallel_state_dict_keys_match_torch():
    torch = pytest.importorskip("torch")
    ours = nn.DataParallel(nn.Sequential(nn.Linear(3, 2), nn.ReLU()))
    theirs = torch.nn.DataParallel(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU()))
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_data_parallel_refuses_gpu_ids():
    with pytest.raises(RuntimeError, match="device 0 is not available"):
        nn.DataParallel(nn.Linear(2, 2), device_ids=[0])
    with pytest.raises(TypeError, match="must be a Module"):
        nn.DataParallel(lambda x: x)


def test_distributed_data_parallel_says_distributed_is_not_initialised():
    from lucid.distributed.ddp import DistributedDataParallel as Real
    from lucid.nn.parallel import DistributedDataParallel

    assert DistributedDataParallel is Real and nn.parallel.DistributedDataParallel is Real
    with pytest.raises(RuntimeError, match="process group has not been initialized"):
        DistributedDataParallel(nn.Linear(2, 2))
