"""Tensor hooks and module full backward hooks: what they receive, replacing gradients,
removal."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn


def test_tensor_hook_sees_the_gradient_and_can_replace_it(rng):
    x = lucid.tensor(rng.standard_normal(4), requires_grad=True)
    h = x * 3.0
    seen = []
    h.register_hook(lambda g: seen.append(g.clone()))
    h.register_hook(lambda g: g * 10)
    upstream = rng.standard_normal(4)
    (h * h).backward(upstream)
    expected = 2 * h.numpy() * upstream
    assert isinstance(seen[0], lucid.Tensor)  # a Tensor, as PyTorch's hooks get
    np.testing.assert_allclose(seen[0].numpy(), expected)
    np.testing.assert_allclose(x.grad, 3 * 10 * expected)


def test_removed_tensor_hook_is_not_called(rng):
    x = lucid.tensor(rng.standard_normal(4), requires_grad=True)
    calls = []
    handle = x.register_hook(lambda g: calls.append(1))
    (x * 2.0).sum().backward()
    handle.remove()
    handle.remove()  # idempotent
    (x * 2.0).sum().backward()
    assert calls == [1]


def test_tensor_hook_on_a_leaf_sees_the_summed_gradient_once(rng):
    x = lucid.tensor(rng.standard_normal(3), requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.clone()))
    (x * 2.0 + x * 5.0).sum().backward()
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], np.full(3, 7.0))


def test_tensor_hook_gets_a_tensor_under_create_graph(rng):
    x = lucid.tensor(rng.standard_normal(3), dtype=lucid.float64, requires_grad=True)
    h = x * x
    seen = []
    h.register_hook(lambda g: seen.append(g) or g * 2)
    (g,) = lucid.autograd.grad((h * x).sum(), x, create_graph=True)
    assert isinstance(seen[0], lucid.Tensor)
    # d/dx sum(h x) with the hook doubling dL/dh = x: 2 x * (2 x) + x**2 = 5 x**2
    np.testing.assert_allclose(g.numpy(), 5 * x.numpy()**2)
    # g = 4 x**2 + h; the second pass goes through h again and so does its hook (as in
    # PyTorch): d/dx sum(g) = 8 x + 2 * (2 x)
    (gg,) = lucid.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 12 * x.numpy())


def test_register_hook_on_a_constant_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        lucid.tensor([1.0]).register_hook(lambda g: g)


class Scale(nn.Module):
    """y = x * w + z, with a non-tensor argument in the middle."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(np.array([2.0, 3.0]))

    def forward(self, x, factor, z):
        return x * self.w * factor + z


def test_module_backward_hook_sees_grad_input_and_grad_output(rng):
    module = Scale()
    x = lucid.tensor(rng.standard_normal(2), dtype=lucid.float64, requires_grad=True)
    z = lucid.tensor(rng.standard_normal(2), dtype=lucid.float64)  # needs no gradient
    seen = []
    module.register_full_backward_hook(lambda m, gi, go: seen.append((m, gi, go)))
    upstream = rng.standard_normal(2)
    (module(x, 0.5, z) * 1.0).backward(upstream)
    ((m, grad_input, grad_output),) = seen
    assert m is module and len(grad_input) == 3 and len(grad_output) == 1
    np.testing.assert_allclose(grad_output[0], upstream)
    np.testing.assert_allclose(grad_input[0], upstream * module.w.numpy() * 0.5)
    assert grad_input[1] is None and grad_input[2] is None
    np.testing.assert_allclose(x.grad, grad_input[0])


def test_module_backward_hook_can_replace_grad_input(rng):
    module = nn.Linear(3, 2).double()
    x = lucid.tensor(rng.standard_normal((4, 3)), dtype=lucid.float64, requires_grad=True)
    module.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0 + 1,))
    module(x).sum().backward()
    np.testing.assert_allclose(x.grad, np.ones((4, 3)))
    assert module.weight.grad is not None  # the parameters' gradients are left alone


def test_module_backward_hook_removal(rng):
    module = nn.Tanh()
    calls = []
    handle = module.register_full_backward_hook(lambda m, gi, go: calls.append(1))
    x = lucid.tensor(rng.standard_normal(3), requires_grad=True)
    module(x).sum().backward()
    handle.remove()
    module(x).sum().backward()
    assert calls == [1]


def test_module_backward_hook_without_input_gradients_is_called_once(rng):
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
    seen = []
    model[0].register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    model(lucid.tensor(rng.standard_normal((2, 3)))).sum().backward()
    ((grad_input, grad_output),) = seen
    assert grad_input == (None,) and grad_output[0].shape == (2, 4)


@pytest.mark.torch
def test_module_backward_hook_matches_torch(rng):
    torch = pytest.importorskip("torch")
    layer = nn.Linear(3, 2)
    tlayer = torch.nn.Linear(3, 2)
    with torch.no_grad():
        tlayer.weight.copy_(torch.tensor(layer.weight.numpy()))
        tlayer.bias.copy_(torch.tensor(layer.bias.numpy()))
    data = rng.standard_normal((4, 3)).astype(np.float32)
    upstream = rng.standard_normal((4, 2)).astype(np.float32)
    seen, tseen = [], []
    layer.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    tlayer.register_full_backward_hook(lambda m, gi, go: tseen.append((gi, go)))
    layer(lucid.tensor(data, requires_grad=True)).backward(upstream)
    tlayer(torch.tensor(data, requires_grad=True)).backward(torch.tensor(upstream))
    (gi, go), (tgi, tgo) = seen[0], tseen[0]
    np.testing.assert_allclose(gi[0], tgi[0].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(go[0], tgo[0].numpy(), rtol=1e-5, atol=1e-6)


def test_module_backward_hook_under_create_graph_gets_tensors(rng):
    module = nn.Tanh()
    x = lucid.tensor(rng.standard_normal(3), dtype=lucid.float64, requires_grad=True)
    kinds = []
    module.register_full_backward_hook(lambda m, gi, go: kinds.append(type(gi[0])))
    (g,) = lucid.autograd.grad(module(x).sum(), x, create_graph=True)
    (gg,) = lucid.autograd.grad(g.sum(), x)
    # the second pass goes through the module's graph again, and so calls the hook again
    assert kinds == [lucid.Tensor, np.ndarray]
    t = np.tanh(x.numpy())
    np.testing.assert_allclose(gg.numpy(), -2 * t * (1 - t**2))


def test_module_backward_hook_returning_the_wrong_count_raises(rng):
    module = nn.Tanh()
    module.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    x = lucid.tensor(rng.standard_normal(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="returned 2 gradients for 1 inputs"):
        module(x).sum().backward()
