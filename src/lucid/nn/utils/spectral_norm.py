"""``spectral_norm`` and ``remove_spectral_norm``: PyTorch's hook-based spectral normalisation,
with its ``weight_orig`` parameter and ``weight_u``/``weight_v`` power-iteration buffers (the
parametrization form lives in ``lucid.nn.utils.parametrizations``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _graph
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter
from lucid.nn.utils import _norms
from lucid.nn.utils.weight_norm import _find_hook, _parameter_to_hook
from lucid.tensor import Tensor

__all__ = ["spectral_norm", "remove_spectral_norm"]


def weight_matrix(weight: Any, dim: int) -> Any:
    """``weight`` with axis ``dim`` moved first and the rest flattened: (size of dim, -1)."""
    if dim != 0:
        weight = weight.permute(dim, *[a for a in range(weight.ndim) if a != dim])
    return weight.reshape(weight.shape[0], -1)


def default_dim(module: Module) -> int:
    """0, or 1 for transposed convolutions (whose output channels are axis 1)."""
    return 1 if type(module).__name__.startswith("ConvTranspose") else 0


class SpectralNorm:
    """The forward pre-hook: ``weight = weight_orig / sigma``, sigma the largest singular value
    of the weight matrix estimated by power iteration (in training mode, updating the ``u`` and
    ``v`` buffers in place: ``v = W^T u / |.|``, then ``u = W v / |.|``)."""

    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        _norms.check_power_iterations(n_power_iterations)
        self.name, self.n_power_iterations, self.dim, self.eps = (
            name, n_power_iterations, dim, eps)  # fmt: skip

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        w = weight_matrix(weight, self.dim)
        if do_power_iteration:
            mat = w._data
            for _ in range(self.n_power_iterations):
                v._data[...] = _norms.normalize_array(mat.T @ u._data, self.eps)
                u._data[...] = _norms.normalize_array(mat @ v._data, self.eps)
            u._version += 1
            v._version += 1
        return weight / _norms.sigma(w, u._data, v._data)

    def __call__(self, module: Module, args: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Divide ``module.<name>`` by its spectral norm before each call: parameter ``<name>_orig``
    replaces it, buffers ``<name>_u`` and ``<name>_v`` (random unit vectors at first, drawn from
    Lucid's generator) carry the power iteration. Returns the module."""
    twice = f"spectral_norm: two spectral_norm hooks on {name!r}"
    weight = _parameter_to_hook(module, SpectralNorm, name, "spectral_norm", twice)
    if dim is None:
        dim = default_dim(module)
    fn = SpectralNorm(name, n_power_iterations, dim, eps)
    u, v = _norms.random_unit_vectors(weight_matrix(weight, dim).shape, weight.dtype, eps)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, Tensor._wrap(weight._data))
    module.register_buffer(name + "_u", Tensor._wrap(np.asarray(u)))
    module.register_buffer(name + "_v", Tensor._wrap(np.asarray(v)))
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``spectral_norm``: ``<name>`` becomes a Parameter holding the normalised weight
    (no further power iteration)."""
    key, fn = _find_hook(module, SpectralNorm, name, "remove_spectral_norm")
    with _graph.no_grad():
        weight = fn.compute_weight(module, do_power_iteration=False)
    del module._forward_pre_hooks[key]
    module.__dict__.pop(name, None)
    del module._parameters[name + "_orig"]
    del module._buffers[name + "_u"], module._buffers[name + "_v"]
    module.register_parameter(name, Parameter(weight._data.copy()))
    return module
