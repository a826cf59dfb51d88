"""``torch.nn.utils.parametrizations``: ``weight_norm`` and ``spectral_norm`` as
parametrizations (``lucid.nn.utils.parametrize``), with PyTorch's state-dict keys."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _graph
from lucid.nn.module import Module
from lucid.nn.utils import _norms
from lucid.nn.utils.parametrize import register_parametrization
from lucid.nn.utils.spectral_norm import default_dim, weight_matrix
from lucid.tensor import Tensor

__all__ = ["weight_norm", "spectral_norm"]


class _WeightNorm(Module):
    """``g * v / ||v||`` from the originals ``(g, v)``; right_inverse splits a weight into
    its norm over every axis but ``dim`` and itself."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _norms.weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return _norms.norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Weight normalisation as a parametrization: ``parametrizations.<name>.original0`` is the
    norm g (over every axis but ``dim``), ``original1`` the direction v. A state dict saved with
    the hook form (``<name>_g``, ``<name>_v``) loads too, its keys renamed, as PyTorch."""
    register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def rename_hook_form_keys(module, state_dict, prefix, *_: Any) -> None:
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module.register_load_state_dict_pre_hook(rename_hook_form_keys)
    return module


class _SpectralNorm(Module):
    """``W / sigma`` with sigma from power iteration on the buffers ``_u`` and ``_v`` (updated in
    training mode: ``u = W v / |.|``, then ``v = W^T u / |.|``); a vector is just normalised."""

    def __init__(
        self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        super().__init__()
        ndim = weight.ndim
        if not -ndim <= dim < max(ndim, 1):
            raise IndexError(
                f"spectral_norm: dim {dim} is out of range for a weight of {ndim} dimensions"
            )
        _norms.check_power_iterations(n_power_iterations)
        self.dim = dim % ndim if ndim else 0
        self.eps, self.n_power_iterations = eps, n_power_iterations
        if ndim > 1:
            mat = weight_matrix(weight, self.dim)._data
            u, v = _norms.random_unit_vectors(mat.shape, weight.dtype, eps)
            self.register_buffer("_u", Tensor._wrap(u))
            self.register_buffer("_v", Tensor._wrap(v))
            self._power_method(mat, 15)

    def _power_method(self, mat: np.ndarray, n: int) -> None:
        u, v = self._u._data, self._v._data
        for _ in range(n):
            u[...] = _norms.normalize_array(mat @ v, self.eps)
            v[...] = _norms.normalize_array(mat.conj().T @ u, self.eps)
        self._u._version += 1
        self._v._version += 1

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return _norms.normalize(weight, self.eps)
        w = weight_matrix(weight, self.dim)
        if self.training:
            with _graph.no_grad():
                self._power_method(w._data, self.n_power_iterations)
        return weight / _norms.sigma(w, self._u._data, self._v._data)

    def right_inverse(self, value: Any) -> Any:
        return value


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Spectral normalisation as a parametrization: ``parametrizations.<name>.original`` holds
    the weight, ``parametrizations.<name>.0._u`` and ``._v`` the power-iteration vectors (15
    iterations at registration, from random unit vectors drawn from Lucid's generator)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"spectral_norm: {type(module).__name__} has no tensor {name!r}")
    if dim is None:
        dim = default_dim(module)
    return register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
