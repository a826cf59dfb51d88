"""Regression tests for the engine v2 bug list: zero-size shapes, forged files, NaN in BCE."""

import io
import zipfile

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F

ZERO_SIZE_CASES = {
    "broadcast with a 0-d scalar": (
        lambda s: (lucid.zeros(0, 3, dtype=lucid.float64) * s[0]).sum(),
        lambda t, s: (t.zeros(0, 3, dtype=t.float64) * s[0]).sum(),
        [()],
    ),
    "batched matmul over an empty inner axis": (
        lambda s: (s[0] @ s[1]).sum(),
        lambda t, s: (s[0] @ s[1]).sum(),
        [(2, 3, 0), (0, 5)],
    ),
    "integer-array index of an empty row": (
        lambda s: s[0][[0]].sum(),
        lambda t, s: s[0][[0]].sum(),
        [(1, 0)],
    ),
    "attention with zero keys": (
        lambda s: F.scaled_dot_product_attention(*s).sum(),
        lambda t, s: t.nn.functional.scaled_dot_product_attention(*s).sum(),
        [(2, 4), (0, 4), (0, 3)],
    ),
    "max_pool2d on an empty batch": (
        lambda s: F.max_pool2d(s[0], 2).sum(),
        lambda t, s: t.nn.functional.max_pool2d(s[0], 2).sum(),
        [(0, 3, 8, 8)],
    ),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", list(ZERO_SIZE_CASES))
def test_zero_size_shapes_forward_and_backward_as_torch(name, rng):
    torch = pytest.importorskip("torch")
    ours, theirs, shapes = ZERO_SIZE_CASES[name]
    data = [rng.standard_normal(s) for s in shapes]
    xs = [lucid.tensor(d, requires_grad=True) for d in data]
    ts = [torch.tensor(d, requires_grad=True) for d in data]
    y, yt = ours(xs), theirs(torch, ts)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy())
    y.backward()
    yt.backward()
    for x, t in zip(xs, ts, strict=True):
        assert x.grad.shape == tuple(t.grad.shape)
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize(
    "module, shape",
    [
        (lambda: nn.Conv2d(3, 4, 3), (0, 3, 8, 8)),
        (lambda: nn.Conv1d(3, 4, 3), (0, 3, 8)),
        (lambda: nn.ConvTranspose2d(3, 4, 3), (0, 3, 5, 5)),
        (lambda: nn.BatchNorm2d(3).eval(), (0, 3, 4, 4)),
    ],
    ids=["Conv2d", "Conv1d", "ConvTranspose2d", "BatchNorm2d-eval"],
)
def test_layers_take_an_empty_batch(module, shape):
    layer = module()
    x = lucid.zeros(*shape).requires_grad_()
    y = layer(x)
    assert y.shape[0] == 0
    y.sum().backward()
    assert x.grad.shape == x.shape
    for p in layer.parameters():
        assert p.grad is not None and not p.grad.numpy().any()


def test_load_refuses_a_member_declaring_a_huge_shape(tmp_path):
    path = tmp_path / "forged.lucid"
    lucid.save({"w": lucid.ones(3)}, path)
    with zipfile.ZipFile(path) as archive:
        members = {i.filename: archive.read(i) for i in archive.infolist()}
    name = next(n for n in members if n.endswith(".npy"))
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (10**8, 10**6)}
    )
    members[name] = header.getvalue() + b"\0" * 12
    with zipfile.ZipFile(path, "w") as archive:
        for n, raw in members.items():
            archive.writestr(n, raw)
    with pytest.raises(ValueError, match=r"declares shape \(100000000, 1000000\)"):
        lucid.load(path)


@pytest.mark.parametrize("bad", [np.nan, -0.5, 1.5])
def test_binary_cross_entropy_refuses_nan_and_out_of_range_inputs(bad):
    x = lucid.tensor([0.2, bad, 0.7])
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
        F.binary_cross_entropy(x, lucid.tensor([0.0, 1.0, 1.0]))
