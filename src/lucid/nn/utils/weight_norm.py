"""``weight_norm`` and ``remove_weight_norm``: PyTorch's hook-based weight normalisation, with
its ``weight_g`` and ``weight_v`` parameters (the parametrization form lives in
``lucid.nn.utils.parametrizations``)."""

from __future__ import annotations

import warnings
from typing import Any

from lucid import _graph
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter
from lucid.nn.utils import _norms

__all__ = ["weight_norm", "remove_weight_norm"]


class WeightNorm:
    """The forward pre-hook: recomputes ``name`` as ``g * v / ||v||`` before each call."""

    def __init__(self, name: str, dim: int) -> None:
        self.name, self.dim = name, dim

    def compute_weight(self, module: Module) -> Any:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _norms.weight_norm(v, g, self.dim)

    def __call__(self, module: Module, args: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def _find_hook(module: Module, kind: type, name: str, op: str) -> tuple[int, Any]:
    for key, (hook, _) in module._forward_pre_hooks.items():
        if isinstance(hook, kind) and hook.name == name:
            return key, hook
    raise ValueError(f"{op}: {name!r} is not normalised in {type(module).__name__}")


def _parameter_to_hook(module: Module, kind: type, name: str, op: str, twice: str) -> Parameter:
    """The Parameter ``name`` that a ``kind`` hook is about to take over: RuntimeError
    ``twice`` if such a hook has it already, AttributeError if there is no such parameter."""
    for hook, _ in module._forward_pre_hooks.values():
        if isinstance(hook, kind) and hook.name == name:
            raise RuntimeError(twice)
    weight = module._parameters.get(name)
    if weight is None:
        raise AttributeError(f"{op}: {type(module).__name__} has no parameter {name!r}")
    return weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrise ``module.<name>`` as ``g * v / ||v||``: parameters ``<name>_g`` (the norm
    over every axis but ``dim``, kept as size-1 axes; ``dim=None`` one norm for the whole
    tensor) and ``<name>_v`` (the direction) replace it, and a forward pre-hook recomputes it.
    Returns the module."""
    warnings.warn(
        "`lucid.nn.utils.weight_norm` is deprecated in favor of "
        "`lucid.nn.utils.parametrizations.weight_norm` (as in PyTorch).",
        FutureWarning,
        stacklevel=2,
    )
    if dim is None:
        dim = -1
    twice = f"weight_norm: cannot register two weight_norm hooks on {name!r}"
    weight = _parameter_to_hook(module, WeightNorm, name, "weight_norm", twice)
    fn = WeightNorm(name, dim)
    del module._parameters[name]
    with _graph.no_grad():
        g = _norms.norm_except_dim(weight, dim)
    module.register_parameter(name + "_g", Parameter(g._data.copy()))
    module.register_parameter(name + "_v", Parameter(weight._data))
    setattr(module, name, fn.compute_weight(module))
    module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``weight_norm``: ``<name>`` becomes a Parameter again, holding the current weight."""
    key, fn = _find_hook(module, WeightNorm, name, "remove_weight_norm")
    with _graph.no_grad():
        weight = fn.compute_weight(module)
    module.__dict__.pop(name, None)
    del module._parameters[name + "_g"], module._parameters[name + "_v"]
    del module._forward_pre_hooks[key]
    module.register_parameter(name, Parameter(weight._data.copy()))
    return module
