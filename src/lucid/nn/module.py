"""Module: the base of every layer; registers parameters, buffers and sub-modules by attribute."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from lucid import _device
from lucid.autograd.module_hooks import BackwardHookCall
from lucid.nn.hooks import RemovableHandle
from lucid.nn.parameter import Parameter
from lucid.tensor import Tensor, _dtype


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` could not match."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of layers and models, as ``torch.nn.Module``.

    Setting a ``Parameter`` or a ``Module`` as an attribute registers it; ``register_buffer``
    registers a non-learnable tensor (running statistics) that ``state_dict`` saves.
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_backward_hooks", OrderedDict())

    # ----------------------------------------------------------------- registration

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() was called "
                f"(call super().__init__() first in {type(self).__name__}.__init__)"
            )
        if isinstance(value, (Parameter, Module)):
            # Leave the value's own registry alone: a re-assigned name keeps its place.
            target = self._parameters if isinstance(value, Parameter) else self._modules
            for registry in (self._parameters, self._buffers, self._modules):
                if registry is not target:
                    registry.pop(name, None)
            self._non_persistent.discard(name)
            self.__dict__.pop(name, None)
            target[name] = value
        elif name in self._parameters or name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} to {name!r}: it holds a "
                    "Parameter or Module (assign one, or None)"
                )
            (self._parameters if name in self._parameters else self._modules)[name] = None
        elif name in self._buffers:
            self._buffers[name] = value if value is None or isinstance(value, Tensor) else (
                Tensor(value))  # fmt: skip
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None, a declared but absent parameter) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None")
        self.__dict__.pop(name, None)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Register a non-learnable tensor; ``persistent=False`` keeps it out of state_dict."""
        if "." in name or not name:
            raise KeyError(f"register_buffer: invalid buffer name {name!r}")
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor if tensor is None or isinstance(tensor, Tensor) else (
            Tensor(tensor))  # fmt: skip
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register a sub-module under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got {type(module).__name__}")
        self.__dict__.pop(name, None)
        self._modules[name] = module

    register_module = add_module

    # ----------------------------------------------------------------- traversal

    def named_modules(
        self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """This module and every sub-module, depth first, each once, with dotted names."""
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield name, module
            children = [
                (f"{name}.{child_name}" if name else child_name, child)
                for child_name, child in module._modules.items()
                if child is not None
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool) -> Iterator:
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted name; a parameter shared by two layers once."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ----------------------------------------------------------------- state

    def state_dict(
        self, destination: OrderedDict | None = None, prefix: str = "", keep_vars: bool = False
    ) -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers by PyTorch's dotted key names, in registration
        order; values are detached tensors sharing the module's arrays (``keep_vars=True``:
        the Parameters themselves)."""
        out = OrderedDict() if destination is None else destination
        for name, param in self._parameters.items():
            if param is not None:
                out[prefix + name] = param if keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent:
                out[prefix + name] = buffer if keep_vars else buffer.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(out, prefix + name + ".", keep_vars)
        return out

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values into this module's parameters and buffers, in place.

        Accepts tensors or arrays (PyTorch tensors too). Everything is checked before anything
        is copied, and a refused dict loads nothing: with ``strict=True``, missing and
        unexpected keys raise KeyError naming every one of them (and any wrongly shaped key); a
        value of the wrong shape raises ValueError naming every such key, whatever ``strict``.
        Values are cast to each parameter's dtype.
        """
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        wrong = []
        values = {}
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = value._data if isinstance(value, Tensor) else np.asarray(value)
            if array.shape != target._data.shape:
                wrong.append(f"{key}: checkpoint {array.shape}, model {target._data.shape}")
            values[key] = array
        key_problems = strict and bool(missing or unexpected)
        if wrong or key_problems:
            parts = []
            if key_problems:
                parts.append(f"missing keys {missing}, unexpected keys {unexpected}")
            if wrong:
                parts.append("wrongly shaped keys: " + "; ".join(wrong))
            message = (
                f"load_state_dict into {type(self).__name__}: "
                + "; ".join(parts)
                + " (nothing was loaded)"
            )
            raise KeyError(message) if key_problems else ValueError(message)
        for key, array in values.items():
            target = own[key]
            target._data[...] = array
            target._version += 1
        return IncompatibleKeys(missing, unexpected)

    # ----------------------------------------------------------------- modes and conversions

    def train(self, mode: bool = True) -> Module:
        """Set training mode here and in every sub-module; returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode (``train(False)``): dropout off, batch norm uses running stats."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient (or zero it in place with ``set_to_none=False``)."""
        for param in self.parameters():
            if set_to_none or param._grad is None:
                param._grad = None
            else:
                param._grad[...] = 0

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every sub-module (children first) and then on self; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Cast floating-point parameters and buffers to a dtype; ``"cpu"`` is accepted."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif _device.is_device(arg):
                device = arg
            else:
                dtype = arg
        _device.check_device("Module.to", device)
        if dtype is not None:
            target = _dtype(dtype)
            if target.kind != "f":
                raise TypeError(f"Module.to: only floating dtypes, got {target}")
            for tensor in list(self.parameters()) + list(self.buffers()):
                if tensor._data.dtype.kind == "f":
                    tensor._data = tensor._data.astype(target)
                    if tensor._grad is not None:
                        tensor._grad = tensor._grad.astype(target)
        return self

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    def half(self) -> Module:
        return self.to(np.float16)

    def bfloat16(self) -> Module:
        return self.to("bfloat16")  # raises TypeError naming it: NumPy has no bfloat16

    def cpu(self) -> Module:
        return self

    def cuda(self, device: Any = None) -> Module:
        _device.check_device("Module.cuda", "cuda" if device is None else device)
        return self

    # ----------------------------------------------------------------- calling

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} defines no forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks):
            return self.forward(*args, **kwargs)  # the common case, kept short: once per layer
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        backward_hooks = None
        if self._backward_hooks:  # identity ops around the call see its gradients
            backward_hooks = BackwardHookCall(self, self._backward_hooks)
            args = backward_hooks.wrap_inputs(args)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        if backward_hooks is not None:
            out = backward_hooks.wrap_outputs(out)
        return out

    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, args)`` runs before forward; a non-None result replaces ``args``."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, args, output)`` runs after forward; a non-None result replaces it."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def register_full_backward_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs in backward once the gradients of the
        module's positional tensor inputs are summed; a non-None result (a tuple, one entry
        per positional argument) replaces ``grad_input``.

        ``grad_input`` holds one entry per positional argument (None for non-tensors and
        tensors that need no gradient; all None, called as soon as ``grad_output`` is known,
        when no input needs one); ``grad_output`` one per output. Entries are ndarrays, or
        Tensors under ``create_graph=True``.
        """
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        return handle

    # ----------------------------------------------------------------- printing

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr``; layers override it."""
        return ""

    def __repr__(self) -> str:
        lines = [
            f"({name}): " + repr(module).replace("\n", "\n  ")
            for name, module in self._modules.items()
        ]
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(([extra] if extra else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"

    def __dir__(self) -> list[str]:
        return sorted(
            set(super().__dir__())
            | set(self._parameters)
            | set(self._buffers)
            | set(self._modules)
        )
