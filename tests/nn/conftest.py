"""Fixtures for the layer tests: ``torch_compare`` runs a function in Lucid and in PyTorch on
the same float arrays and compares outputs and input gradients under a random upstream gradient."""

import numpy as np
import pytest

import lucid


@pytest.fixture
def torch_compare(rng):
    torch = pytest.importorskip("torch")

    def check(fn, fn_t, arrays, rtol=1e-12, atol=None, *, none_grad_is_zero=False):
        """Every array becomes a leaf that requires grad; ``atol`` defaults to ``rtol``.

        With ``none_grad_is_zero`` a Lucid input left without a gradient counts as zeros."""
        atol = rtol if atol is None else atol
        xs = [lucid.tensor(a, requires_grad=True) for a in arrays]
        xts = [torch.tensor(a, requires_grad=True) for a in arrays]
        y, yt = fn(*xs), fn_t(*xts)
        upstream = rng.standard_normal(tuple(yt.shape)).astype(arrays[0].dtype)
        y.backward(upstream)
        yt.backward(torch.tensor(upstream))
        assert y.shape == tuple(yt.shape) and y.dtype == arrays[0].dtype
        np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
        for i, (x, xt) in enumerate(zip(xs, xts, strict=True)):
            missing = none_grad_is_zero and x.grad is None
            got = np.zeros(x.shape, x.dtype) if missing else x.grad.numpy()
            np.testing.assert_allclose(
                got, xt.grad.numpy(), rtol=rtol, atol=atol, err_msg=f"gradient of input {i}"
            )

    return check
