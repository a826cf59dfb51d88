"""``torch.nn.utils.parametrize``: a parameter or buffer computed by modules from "original"
tensors each time it is read.

``register_parametrization(module, "weight", p)`` moves the parameter to
``module.parametrizations.weight.original`` (``original0``, ``original1``, ... when ``p``'s
``right_inverse`` returns several tensors), swaps the module's class for a subclass named
``Parametrized<Class>`` whose ``weight`` property returns ``p(original)``, and assigning to
``module.weight`` runs the ``right_inverse`` chain into the originals, as PyTorch does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from lucid import _graph
from lucid.nn.containers import ModuleDict, ModuleList
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter
from lucid.tensor import Tensor

__all__ = [
    "ParametrizationList", "register_parametrization", "remove_parametrizations",
    "is_parametrized", "cached", "type_before_parametrizations",
]  # fmt: skip

_cache_enabled = 0
_cache: dict[tuple[int, str], Tensor] = {}


@contextlib.contextmanager
def cached() -> Iterator[None]:
    """Inside, each parametrized tensor is computed once and reused (PyTorch's ``cached``)."""
    global _cache_enabled
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache.clear()


def _as_tuple(value: Any) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _right_inverse(modules: Sequence[Module], value: Any) -> Any:
    with _graph.no_grad():
        for module in reversed(list(modules)):
            if hasattr(module, "right_inverse"):
                value = module.right_inverse(value)
    return value


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order to its ``original`` tensor(s)."""

    def __init__(self, modules: Sequence[Module], original: Tensor, unsafe: bool = False):
        super().__init__(modules)
        self.unsafe = unsafe
        is_buffer = not isinstance(original, Parameter)
        new = _right_inverse(self, original)
        if isinstance(new, Tensor):
            self.is_tensor, self.ntensors = True, 1
            if new is not original:  # PyTorch's original.set_(new): the same object, new data
                original._data = np.array(new._data, dtype=new.dtype)
                original._version += 1
            self._register("original", original, is_buffer)
        else:
            self.is_tensor, self.ntensors = False, len(new)
            for i, value in enumerate(new):
                if not isinstance(value, Tensor):
                    raise ValueError(
                        "right_inverse must return a Tensor or a sequence of Tensors, got "
                        f"{type(value).__name__} at position {i}"
                    )
                tensor = value if is_buffer else Parameter(value, original.requires_grad)
                self._register(f"original{i}", tensor, is_buffer)

    def _register(self, name: str, tensor: Tensor, is_buffer: bool) -> None:
        if is_buffer:
            self.register_buffer(name, tensor)
        else:
            self.register_parameter(name, tensor)

    def right_inverse(self, value: Tensor) -> None:
        """Set the originals so that the parametrized tensor becomes ``value``."""
        new = _right_inverse(self, value)
        targets = [self.original] if self.is_tensor else [
            getattr(self, f"original{i}") for i in range(self.ntensors)]  # fmt: skip
        values = _as_tuple(new) if not self.is_tensor else (new,)
        if len(values) != len(targets):
            raise ValueError(
                f"right_inverse returned {len(values)} tensors, expected {len(targets)}"
            )
        for target, v in zip(targets, values, strict=True):
            array = v._data if isinstance(v, Tensor) else np.asarray(v)
            target._data = np.array(array, dtype=target.dtype)
            target._version += 1

    def forward(self) -> Tensor:
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for i in range(1, len(self)):
            x = self[i](x)
        return x


def _inject_new_class(module: Module) -> None:
    cls = type(module)
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), {})


def _inject_property(module: Module, tensor_name: str) -> None:
    def get_parametrized(self: Module) -> Tensor:
        parametrization = self.parametrizations[tensor_name]
        if not _cache_enabled:
            return parametrization()
        key = (id(self), tensor_name)
        if key not in _cache:
            _cache[key] = parametrization()
        return _cache[key]

    def set_original(self: Module, value: Tensor) -> None:
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(type(module), tensor_name, property(get_parametrized, set_original))


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has parametrizations (on ``tensor_name``, if given)."""
    parametrizations = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(parametrizations, ModuleDict):
        return False
    return len(parametrizations) > 0 if tensor_name is None else tensor_name in parametrizations


def type_before_parametrizations(module: Module) -> type:
    """The module's class before ``register_parametrization`` swapped it."""
    return type(module).__bases__[0] if is_parametrized(module) else type(module)


def register_parametrization(
    module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False
) -> Module:
    """Make ``module.<tensor_name>`` read as ``parametrization(original)``; a second call on the
    same name chains another parametrization after the first. Unless ``unsafe``, the result must
    keep the original's shape and dtype (ValueError). Returns the module."""
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            with _graph.no_grad():
                value = getattr(module, tensor_name)
                out = parametrization(value)
            _check_same(tensor_name, value, out)
        module.parametrizations[tensor_name].append(parametrization)
        module.parametrizations[tensor_name].unsafe |= unsafe
        return module
    registry = module._parameters if tensor_name in module._parameters else module._buffers
    original = registry.get(tensor_name)
    if original is None:
        raise ValueError(
            f"register_parametrization: {type(module).__name__} has no parameter or buffer "
            f"{tensor_name!r}"
        )
    parametrizations = ParametrizationList([parametrization], original, unsafe=unsafe)
    if not unsafe:
        with _graph.no_grad():
            _check_same(tensor_name, original, parametrizations())
    delattr(module, tensor_name)
    if not is_parametrized(module):
        _inject_new_class(module)
        module.parametrizations = ModuleDict()
    _inject_property(module, tensor_name)
    module.parametrizations[tensor_name] = parametrizations
    return module


def _check_same(name: str, original: Tensor, out: Any) -> None:
    if not isinstance(out, Tensor):
        raise ValueError(f"a parametrization of {name!r} must return a Tensor")
    if out.shape != original.shape or out.dtype != original.dtype:
        raise ValueError(
            f"a parametrization of {name!r} may not change its shape or dtype (pass unsafe=True "
            f"to allow it): {original.shape} {original.dtype} became {out.shape} {out.dtype}"
        )


def remove_parametrizations(
    module: Module, tensor_name: str, leave_parametrized: bool = True
) -> Module:
    """Remove the parametrizations of ``tensor_name``: it becomes a plain parameter (or buffer)
    holding its current parametrized value, or its original if ``leave_parametrized=False``."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(
            f"remove_parametrizations: {type(module).__name__} has no parametrization on "
            f"{tensor_name!r}"
        )
    parametrizations = module.parametrizations[tensor_name]
    if parametrizations.is_tensor:
        original = parametrizations.original
        if leave_parametrized:
            with _graph.no_grad():
                value = getattr(module, tensor_name)
            original._data = np.array(value._data, dtype=value.dtype)
            original._version += 1
    else:
        if not leave_parametrized:
            raise ValueError(
                "remove_parametrizations: cannot leave unparametrized (leave_parametrized=False) "
                "a tensor parametrized by several tensors"
            )
        with _graph.no_grad():
            value = getattr(module, tensor_name)
        first = parametrizations.original0
        if isinstance(first, Parameter):
            original = Parameter(value._data.copy(), first.requires_grad)
        else:
            original = Tensor(value._data.copy())
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    if isinstance(original, Parameter):
        module.register_parameter(tensor_name, original)
    else:
        module.register_buffer(tensor_name, original)
    if not is_parametrized(module):
        del module.parametrizations
        module.__class__ = type(module).__bases__[0]
    return module
