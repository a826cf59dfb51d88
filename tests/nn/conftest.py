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


@pytest.fixture
def copy_to_torch():
    """``copy(module, torch_module, training=None)``: the PyTorch twin takes the Lucid module's
    state, after checking that both name the same keys in the same order; with ``training``
    both modules are then put in that mode."""
    torch = pytest.importorskip("torch")

    def copy(module, torch_module, training: bool | None = None) -> None:
        assert list(module.state_dict()) == list(torch_module.state_dict())
        with torch.no_grad():
            for key, value in torch_module.state_dict().items():
                value.copy_(torch.tensor(module.state_dict()[key].numpy()))
        if training is not None:
            module.train(training)
            torch_module.train(training)

    return copy


@pytest.fixture
def backward_matches_torch(rng):
    """``check(pairs, leaves, leaves_t, module, module_t, ...)``: every (Lucid, PyTorch) output
    pair agrees; then sum(output * random upstream) is backpropagated on both sides and the
    gradients of the leaves and of the modules' parameters (by name) agree."""
    torch = pytest.importorskip("torch")

    def check(pairs, leaves, leaves_t, module, module_t, *, out_tol, grad_tol, dtype=np.float64):
        loss, loss_t = 0, 0
        for r, rt in pairs:
            assert r.shape == tuple(rt.shape) and r.dtype == dtype, (r.shape, r.dtype)
            np.testing.assert_allclose(r.numpy(), rt.detach().numpy(), *out_tol)
            upstream = rng.standard_normal(r.shape).astype(dtype)
            loss = loss + (r * upstream).sum()
            loss_t = loss_t + (rt * torch.tensor(upstream)).sum()
        loss.backward()
        loss_t.backward()
        rtol, atol = grad_tol
        for a, t in zip(leaves, leaves_t, strict=True):
            np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol, atol)
        for (key, p), (_, pt) in zip(
            module.named_parameters(), module_t.named_parameters(), strict=True
        ):
            np.testing.assert_allclose(p.grad.numpy(), pt.grad.numpy(), rtol, atol, err_msg=key)

    return check
