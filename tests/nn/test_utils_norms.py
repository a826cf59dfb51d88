"""nn.utils against PyTorch: weight and spectral normalisation (hook and parametrization forms:
state-dict keys, values, power iteration, gradients), parametrize, parameter vectors, clipping."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.autograd import gradcheck
from lucid.nn.utils import parametrizations, parametrize

# PyTorch and Lucid both warn that the hook form of weight_norm is deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:.*weight_norm. is deprecated:FutureWarning")


def _pair(torch, make):
    """The same float64 layer in Lucid and PyTorch (PyTorch's weights copied into Lucid's)."""
    ours, theirs = make(lucid).double(), make(torch).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _copy_state(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})


def _run_both(torch, ours, theirs, x, rng):
    """Forward both on ``x``, backward one random upstream; the outputs."""
    xo, xt = lucid.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, out_t = ours(xo), theirs(xt)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    out_t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def _grads_match(ours, theirs):
    grads = {n: p.grad for n, p in theirs.named_parameters()}
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(
            p.grad.numpy(), grads[name].numpy(), rtol=1e-9, atol=1e-12, err_msg=name
        )


def _linear(lib):
    return lib.nn.Linear(4, 3)


def _conv(lib):
    return lib.nn.Conv2d(2, 3, 3)


def _conv_transpose(lib):
    return lib.nn.ConvTranspose2d(3, 2, 3)


# --------------------------------------------------------------------------- weight norm


@pytest.mark.torch
@pytest.mark.parametrize("dim", [0, 1, None])
@pytest.mark.parametrize("form", ["hook", "parametrization"])
def test_weight_norm_matches_torch(form, dim, rng):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Conv2d(2, 3, 3).double(), torch.nn.Conv2d(2, 3, 3).double()
    if form == "hook":
        nn.utils.weight_norm(ours, dim=dim)
        torch.nn.utils.weight_norm(theirs, dim=dim)
    else:
        parametrizations.weight_norm(ours, dim=dim)
        torch.nn.utils.parametrizations.weight_norm(theirs, dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [v.shape for v in ours.state_dict().values()] == [
        tuple(v.shape) for v in theirs.state_dict().values()
    ]
    assert type(ours).__name__ == type(theirs).__name__
    _copy_state(ours, theirs)
    _run_both(torch, ours, theirs, rng.standard_normal((2, 2, 5, 5)), rng)
    _grads_match(ours, theirs)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-12)


@pytest.mark.torch
def test_weight_norm_forms_repr_matches_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = parametrizations.weight_norm(nn.Linear(3, 4)), torch.nn.Linear(3, 4)
    torch.nn.utils.parametrizations.weight_norm(theirs)
    assert repr(ours) == repr(theirs)


def test_weight_norm_starts_at_the_original_weight_and_removes_cleanly(rng):
    layer = nn.Linear(4, 3).double()
    weight = layer.weight.numpy().copy()
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        nn.utils.weight_norm(layer)
    np.testing.assert_allclose(layer.weight.numpy(), weight, rtol=1e-12)
    with pytest.raises(RuntimeError, match="two weight_norm"):
        nn.utils.weight_norm(layer)
    layer.weight_g.data.mul_(2.0)
    layer(lucid.tensor(rng.standard_normal((2, 4))))  # the pre-hook recomputes the weight
    np.testing.assert_allclose(layer.weight.numpy(), 2 * weight, rtol=1e-12)
    nn.utils.remove_weight_norm(layer)
    assert list(layer.state_dict()) == ["bias", "weight"]
    assert isinstance(layer.weight, nn.Parameter)
    np.testing.assert_allclose(layer.weight.numpy(), 2 * weight, rtol=1e-12)
    assert not layer._forward_pre_hooks
    with pytest.raises(ValueError, match="not normalised"):
        nn.utils.remove_weight_norm(layer)


def test_weight_norm_gradient_matches_finite_differences(rng):
    from lucid.nn.utils import _norms

    v = lucid.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    g = lucid.tensor(rng.uniform(0.5, 2, (1, 2, 1)), requires_grad=True)
    assert gradcheck(lambda a, b: _norms.weight_norm(a, b, 1), (v, g))


# --------------------------------------------------------------------------- spectral norm


@pytest.mark.torch
@pytest.mark.parametrize("make", [_linear, _conv, _conv_transpose])
@pytest.mark.parametrize("form", ["hook", "parametrization"])
def test_spectral_norm_matches_torch_through_training_steps(form, make, rng):
    torch = pytest.importorskip("torch")
    ours, theirs = make(lucid).double(), make(torch).double()
    if form == "hook":
        nn.utils.spectral_norm(ours, n_power_iterations=2)
        torch.nn.utils.spectral_norm(theirs, n_power_iterations=2)
    else:
        parametrizations.spectral_norm(ours, n_power_iterations=2)
        torch.nn.utils.parametrizations.spectral_norm(theirs, n_power_iterations=2)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _copy_state(ours, theirs)  # the random u, v and the weights
    shape = (2, 4) if make is _linear else (2, 2 if make is _conv else 3, 5, 5)
    for _ in range(2):  # each training call runs the power iteration and updates u, v
        _run_both(torch, ours, theirs, rng.standard_normal(shape), rng)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(
            ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-9, atol=1e-12, err_msg=key
        )
    _grads_match(ours, theirs)
    ours.eval()
    theirs.eval()
    before = {k: v.numpy().copy() for k, v in ours.state_dict().items()}
    _run_both(torch, ours, theirs, rng.standard_normal(shape), rng)
    for key, value in ours.state_dict().items():  # eval: no power iteration
        np.testing.assert_array_equal(value.numpy(), before[key])


@pytest.mark.torch
def test_spectral_norm_of_a_vector_normalises_it(rng):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, _linear)
    parametrizations.spectral_norm(ours, "bias")
    torch.nn.utils.parametrizations.spectral_norm(theirs, "bias")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _run_both(torch, ours, theirs, rng.standard_normal((2, 4)), rng)
    _grads_match(ours, theirs)


def test_spectral_norm_divides_by_the_largest_singular_value(rng):
    layer = nn.Linear(6, 5).double()
    parametrizations.spectral_norm(layer, n_power_iterations=30)
    layer(lucid.tensor(rng.standard_normal((1, 6))))
    sigma = np.linalg.svd(layer.weight.numpy(), compute_uv=False)
    np.testing.assert_allclose(sigma[0], 1.0, rtol=1e-6)


def test_spectral_norm_hook_gradient_matches_finite_differences(rng):
    from lucid.nn.utils.spectral_norm import SpectralNorm

    layer = nn.utils.spectral_norm(nn.Linear(4, 3).double()).eval()
    fn = next(h for h, _ in layer._forward_pre_hooks.values() if isinstance(h, SpectralNorm))
    assert gradcheck(lambda w: fn.compute_weight(_Holder(layer, w), False), (layer.weight_orig,))


class _Holder:
    """``weight_orig`` replaced, the buffers of ``layer`` kept: for a gradcheck."""

    def __init__(self, layer, weight):
        self.weight_orig, self.weight_u, self.weight_v = weight, layer.weight_u, layer.weight_v


def test_remove_spectral_norm_keeps_the_normalised_weight(rng):
    layer = nn.utils.spectral_norm(nn.Linear(4, 3).double())
    layer(lucid.tensor(rng.standard_normal((2, 4))))
    layer.eval()
    weight = layer(lucid.tensor(np.eye(4))).numpy() - layer.bias.numpy()
    nn.utils.remove_spectral_norm(layer)
    assert list(layer.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(layer.weight.numpy().T, weight, rtol=1e-12)
    with pytest.raises(ValueError, match="not normalised"):
        nn.utils.remove_spectral_norm(layer)


def test_spectral_norm_errors():
    with pytest.raises(ValueError, match="n_power_iterations"):
        nn.utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="n_power_iterations"):
        parametrizations.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(IndexError, match="dim 2"):
        parametrizations.spectral_norm(nn.Linear(2, 2), dim=2)
    with pytest.raises(ValueError, match="no tensor 'kernel'"):
        parametrizations.spectral_norm(nn.Linear(2, 2), "kernel")


# --------------------------------------------------------------------------- parametrize


class Double(nn.Module):
    def forward(self, x):
        return 2 * x

    def right_inverse(self, x):
        return x / 2


class AddOne(nn.Module):
    def forward(self, x):
        return x + 1


def test_register_parametrization_reads_assigns_chains_and_removes(rng):
    layer = nn.Linear(3, 2).double()
    weight = layer.weight.numpy().copy()
    parametrize.register_parametrization(layer, "weight", Double())
    assert parametrize.is_parametrized(layer) and parametrize.is_parametrized(layer, "weight")
    assert not parametrize.is_parametrized(layer, "bias")
    assert parametrize.type_before_parametrizations(layer) is nn.Linear
    assert type(layer).__name__ == "ParametrizedLinear" and isinstance(layer, nn.Linear)
    np.testing.assert_allclose(layer.weight.numpy(), weight)  # right_inverse kept the value
    np.testing.assert_allclose(layer.parametrizations.weight.original.numpy(), weight / 2)
    target = rng.standard_normal((2, 3))
    layer.weight = lucid.tensor(target)  # runs right_inverse into the original
    np.testing.assert_allclose(layer.weight.numpy(), target)
    parametrize.register_parametrization(layer, "weight", AddOne())  # chained after Double
    np.testing.assert_allclose(layer.weight.numpy(), target + 1)
    with parametrize.cached():
        assert layer.weight is layer.weight
    assert layer.weight is not layer.weight
    x = lucid.tensor(rng.standard_normal((4, 3)))
    layer(x).sum().backward()
    original = layer.parametrizations.weight.original
    np.testing.assert_allclose(original.grad.numpy(), 2 * np.tile(x.numpy().sum(0), (2, 1)))
    parametrize.remove_parametrizations(layer, "weight")
    assert type(layer) is nn.Linear and "parametrizations" not in layer._modules
    assert isinstance(layer.weight, nn.Parameter) and layer.weight is original
    np.testing.assert_allclose(layer.weight.numpy(), target + 1)
    assert list(layer.state_dict()) == ["bias", "weight"]


def test_remove_parametrizations_can_restore_the_original():
    layer = nn.Linear(3, 2).double()
    parametrize.register_parametrization(layer, "bias", AddOne())
    before = layer.parametrizations.bias.original.numpy().copy()
    parametrize.remove_parametrizations(layer, "bias", leave_parametrized=False)
    np.testing.assert_array_equal(layer.bias.numpy(), before)


def test_parametrize_errors():
    class Shrink(nn.Module):
        def forward(self, x):
            return x[:1]

    with pytest.raises(ValueError, match="may not change its shape"):
        parametrize.register_parametrization(nn.Linear(3, 2), "weight", Shrink())
    layer = parametrize.register_parametrization(nn.Linear(3, 2), "weight", Shrink(), unsafe=True)
    assert layer.weight.shape == (1, 3)
    with pytest.raises(ValueError, match="no parameter or buffer 'kernel'"):
        parametrize.register_parametrization(nn.Linear(3, 2), "kernel", Double())
    with pytest.raises(ValueError, match="no parametrization"):
        parametrize.remove_parametrizations(nn.Linear(3, 2), "weight")
    wn = parametrizations.weight_norm(nn.Linear(3, 2))
    with pytest.raises(ValueError, match="several tensors"):
        parametrize.remove_parametrizations(wn, "weight", leave_parametrized=False)


# --------------------------------------------------------------------------- vectors, clipping


@pytest.mark.torch
def test_parameters_to_vector_and_back_match_torch(rng):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, _conv)
    vec, vec_t = nn.utils.parameters_to_vector(ours.parameters()), (
        torch.nn.utils.parameters_to_vector(theirs.parameters()))  # fmt: skip
    np.testing.assert_array_equal(vec.numpy(), vec_t.detach().numpy())
    upstream = rng.standard_normal(vec.shape)
    (vec * lucid.tensor(upstream)).sum().backward()
    (vec_t * torch.tensor(upstream)).sum().backward()
    _grads_match(ours, theirs)
    new = rng.standard_normal(vec.shape)
    nn.utils.vector_to_parameters(lucid.tensor(new), ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs.parameters())
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters(), strict=True):
        np.testing.assert_array_equal(p.numpy(), q.detach().numpy(), err_msg=name)
    with pytest.raises(TypeError, match="Tensor"):
        nn.utils.vector_to_parameters(new, ours.parameters())
    with pytest.raises(ValueError, match="elements"):
        nn.utils.vector_to_parameters(lucid.tensor(new[:-1]), ours.parameters())


@pytest.mark.torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_total_norm_and_clipping_helpers_match_torch(norm_type, rng):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, _linear)
    grads = [rng.standard_normal(p.shape) for p in ours.parameters()]
    for p, q, g in zip(ours.parameters(), theirs.parameters(), grads, strict=True):
        p.grad, q.grad = lucid.tensor(g), torch.tensor(g)
    total = nn.utils.get_total_norm([p.grad for p in ours.parameters()], norm_type)
    total_t = torch.nn.utils.get_total_norm([q.grad for q in theirs.parameters()], norm_type)
    np.testing.assert_allclose(total.item(), total_t.item(), rtol=1e-12)
    nn.utils.clip_grads_with_norm_(ours.parameters(), 0.5, total, foreach=True)
    torch.nn.utils.clip_grads_with_norm_(theirs.parameters(), 0.5, total_t)
    _grads_match(ours, theirs)
    nn.utils.clip_grad_value_(ours.parameters(), 0.1, foreach=False)
    torch.nn.utils.clip_grad_value_(theirs.parameters(), 0.1, foreach=False)
    _grads_match(ours, theirs)
    next(ours.parameters()).grad._data[0, 0] = np.nan
    with pytest.raises(RuntimeError, match="error_if_nonfinite"):
        nn.utils.clip_grad_norm_(ours.parameters(), 1.0, norm_type, error_if_nonfinite=True)


def test_deprecated_clip_grad_norm_and_skip_init():
    layer = nn.utils.skip_init(nn.Linear, 3, 2, device="cpu")
    assert isinstance(layer, nn.Linear) and layer.weight.shape == (2, 3)
    layer.weight.grad = lucid.ones(2, 3) * 3
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        total = nn.utils.clip_grad_norm([layer.weight], 1.0)
    np.testing.assert_allclose(total.item(), np.sqrt(6 * 9.0), rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(layer.weight.grad.numpy()), 1.0, rtol=1e-5)


@pytest.mark.torch
def test_parametrized_weight_norm_loads_a_hook_form_checkpoint_as_torch(rng):
    torch = pytest.importorskip("torch")
    old = torch.nn.utils.weight_norm(torch.nn.Linear(3, 2).double())
    state = {k: v.detach().numpy() for k, v in old.state_dict().items()}
    ours = parametrizations.weight_norm(nn.Linear(3, 2).double())
    theirs = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 2).double())
    assert ours.load_state_dict(state) == ([], [])
    theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.numpy(), old.weight.detach().numpy(), rtol=1e-12)
