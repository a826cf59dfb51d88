"""Fixtures for the op tests: ``torch_parity`` runs an op in Lucid and in PyTorch and compares
the results and the gradients of a random (never all-ones) upstream gradient."""

import numpy as np
import pytest

import lucid


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


@pytest.fixture
def torch_parity(rng):
    torch = pytest.importorskip("torch")

    def check(lucid_fn, torch_fn, *arrays, grad=True, rtol=1e-10, atol=1e-12):
        """Float arrays become float64 leaves that require grad; others constants."""
        leaves = [lucid.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
        leaves_t = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
        outs, outs_t = _outputs(lucid_fn(*leaves)), _outputs(torch_fn(*leaves_t))
        assert len(outs) == len(outs_t)
        for o, ot in zip(outs, outs_t, strict=True):
            assert o.shape == tuple(ot.shape), (o.shape, tuple(ot.shape))
            expected = ot.detach().numpy()
            if expected.dtype.kind == "f":
                np.testing.assert_allclose(o.numpy(), expected, rtol=rtol, atol=atol)
            else:
                np.testing.assert_array_equal(o.numpy(), expected)
        pairs = [
            (o, ot)
            for o, ot in zip(outs, outs_t, strict=True)
            if ot.requires_grad and o.requires_grad
        ]
        if pairs:
            total, total_t = 0, 0
            for o, ot in pairs:
                up = rng.standard_normal(o.shape)
                total = total + (o * lucid.tensor(up)).sum()
                total_t = total_t + (ot * torch.tensor(up)).sum()
            total.backward()
            total_t.backward()
            for x, xt in zip(leaves, leaves_t, strict=True):
                if xt.requires_grad:
                    want = np.zeros(xt.shape) if xt.grad is None else xt.grad.numpy()
                    got = np.zeros(x.shape) if x.grad is None else x.grad.numpy()
                    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
        return outs

    return check
