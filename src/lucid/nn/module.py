"""Module: the base of every layer; registers parameters, buffers and sub-modules by attribute."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from lucid.autograd.module_hooks import BackwardHookCall
from lucid.nn.hooks import RemovableHandle
from lucid.nn.parameter import Parameter
from lucid.tensor import Tensor, _dtype


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` could not match."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (
            f"IncompatibleKeys(missing_keys={self.missing_keys}, "
            f"unexpected_keys={self.unexpected_keys})"
        )

    __str__ = __repr__


_EXTRA_STATE = "_extra_state"
_STATE_HOOKS = (
    "_state_dict_pre_hooks", "_state_dict_hooks", "_load_state_dict_pre_hooks",
    "_load_state_dict_post_hooks",
)  # fmt: skip


def _buffer_value(name: str, value: Any) -> Tensor | None:
    """A buffer's value: a Tensor or None, or an ndarray (kept as a Tensor; PyTorch takes
    tensors only)."""
    if value is None or isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray):
        return Tensor(value)
    raise TypeError(
        f"cannot assign {type(value).__name__!r} as buffer {name!r} (Tensor or None expected)"
    )


def _check_name(kind: str, name: Any) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if not name:
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got {name!r}')


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
        object.__setattr__(self, "_backward_pre_hooks", OrderedDict())
        for hooks in _STATE_HOOKS:
            object.__setattr__(self, hooks, OrderedDict())

    # ----------------------------------------------------------------- registration

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(
                    f"cannot assign {name!r} before Module.__init__() was called "
                    f"(call super().__init__() first in {type(self).__name__}.__init__)"
                )
            object.__setattr__(self, name, value)  # plain attributes are fine, as PyTorch
            return
        # PyTorch's order of checks: a Parameter may take any name; a name holding a
        # Parameter takes only a Parameter or None; a Module may take any other name.
        if isinstance(value, Parameter):
            self._take_name(name, self._parameters)
            self._parameters[name] = value
        elif name in self._parameters:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__!r} as parameter {name!r} "
                    "(Parameter or None expected)"
                )
            self._parameters[name] = None
        elif isinstance(value, Module):
            self._take_name(name, self._modules)
            self._modules[name] = value
        elif name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__!r} as child module {name!r} "
                    "(Module or None expected)"
                )
            self._modules[name] = None
        elif name in self._buffers:
            self._buffers[name] = _buffer_value(name, value)
        else:
            object.__setattr__(self, name, value)

    def _take_name(self, name: str, target: dict) -> None:
        """Drop ``name`` from every place but ``target`` (which keeps its position there)."""
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not target:
                registry.pop(name, None)
        self._non_persistent.discard(name)
        self.__dict__.pop(name, None)

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
        """Register ``param`` (or None, a declared but absent parameter) under ``name``.

        As PyTorch: the name must be a non-empty string without dots (KeyError) and not an
        existing attribute other than a parameter (KeyError); ``param`` a Parameter or None.
        """
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name("parameter", name)
        if name not in self._parameters and (
            name in self.__dict__ or name in self._buffers or name in self._modules
            or hasattr(type(self), name)
        ):  # fmt: skip
            raise KeyError(f"attribute {name!r} already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign {type(param).__name__!r} object to parameter {name!r} "
                "(Parameter or None required)"
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Register a non-learnable tensor; ``persistent=False`` keeps it out of state_dict.

        ``tensor`` is a Tensor or None (an ndarray is kept as a Tensor); the name follows
        ``register_parameter``'s rules.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name("buffer", name)
        if name not in self._buffers and (
            name in self.__dict__ or name in self._parameters or name in self._modules
            or hasattr(type(self), name)
        ):  # fmt: skip
            raise KeyError(f"attribute {name!r} already exists")
        self._buffers[name] = _buffer_value(name, tensor)
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register a sub-module under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got {type(module).__name__}")
        _check_name("module", name)
        if name not in self._modules and (name in self.__dict__ or hasattr(type(self), name)):
            raise KeyError(f"attribute {name!r} already exists")
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

    def _named_members(
        self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool = True
    ) -> Iterator:
        seen = set()
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for module_name, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted name; a parameter shared by two layers once (every
        time with ``remove_duplicate=False``)."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """Every buffer (persistent or not) with its dotted name, as ``named_parameters``."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target: str) -> Module:
        """The sub-module at dotted path ``target`` (``""``: self); AttributeError naming the
        first missing step."""
        if target == "":
            return self
        module: Module = self
        walked = []
        for item in target.split("."):
            child = module._modules.get(item) if isinstance(module, Module) else None
            if child is None:
                where = ".".join(walked) or "the root"
                raise AttributeError(
                    f"{type(module).__name__} ({where}) has no submodule {item!r} "
                    f"(looking up {target!r})"
                )
            walked.append(item)
            module = child
        return module

    def _get_member(self, target: str, registry: str, kind: str) -> Any:
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in getattr(module, registry):
            raise AttributeError(
                f"{type(module).__name__} has no {kind} {name!r} (looking up {target!r})"
            )
        return getattr(module, registry)[name]

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at dotted path ``target`` (``"fc.weight"``)."""
        return self._get_member(target, "_parameters", "parameter")

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path ``target`` (``"bn.running_mean"``)."""
        return self._get_member(target, "_buffers", "buffer")

    # ----------------------------------------------------------------- state

    def state_dict(
        self, destination: OrderedDict | None = None, prefix: str = "", keep_vars: bool = False
    ) -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers by PyTorch's dotted key names, in registration
        order; values are detached tensors sharing the module's arrays (``keep_vars=True``:
        the Parameters themselves). State-dict hooks run as PyTorch's: pre-hooks
        ``hook(module, prefix, keep_vars)`` first, post-hooks ``hook(module, state_dict, prefix,
        local_metadata)`` after the module's children."""
        out = OrderedDict() if destination is None else destination
        return self._collect(out, prefix, keep_vars, run_hooks=True)

    def _collect(self, out: OrderedDict, prefix: str, keep_vars: bool, run_hooks: bool) -> Any:
        for hook in list(self._state_dict_pre_hooks.values()) if run_hooks else ():
            hook(self, prefix, keep_vars)
        for name, param in self._parameters.items():
            if param is not None:
                out[prefix + name] = param if keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent:
                out[prefix + name] = buffer if keep_vars else buffer.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            out[prefix + _EXTRA_STATE] = self.get_extra_state()
        for name, module in self._modules.items():
            if module is None:
                continue
            if run_hooks:  # through state_dict, so that a child's override is honoured
                module.state_dict(out, prefix + name + ".", keep_vars)
            else:
                module._collect(out, prefix + name + ".", keep_vars, run_hooks)
        for hook in list(self._state_dict_hooks.values()) if run_hooks else ():
            if hook(self, out, prefix, {}) is not None:
                raise RuntimeError("a state_dict post-hook must return None (edit it in place)")
        return out

    def load_state_dict(
        self, state_dict: dict[str, Any], strict: bool = True, assign: bool = False
    ) -> IncompatibleKeys:
        """Copy values into this module's parameters and buffers, in place; returns the
        ``(missing_keys, unexpected_keys)`` named tuple.

        Accepts tensors or arrays (PyTorch tensors too). Everything is checked before anything
        is copied, and a refused dict loads nothing: with ``strict=True``, missing and
        unexpected keys raise KeyError naming every one of them (and any wrongly shaped key); a
        value of the wrong shape raises ValueError naming every such key, whatever ``strict``.
        Values are cast to each parameter's dtype; ``assign=True`` makes each parameter and
        buffer hold the given array itself (its dtype too) instead of copying into it.

        Load pre-hooks ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` run first, on a copy of ``state_dict`` they may edit
        (messages in ``error_msgs`` raise RuntimeError); post-hooks ``hook(module,
        incompatible_keys)`` run after loading and may edit the key lists in place, except
        that with ``strict=True`` and key problems they run before anything is loaded, so that
        the keys they clear no longer refuse the load.
        """
        state_dict = OrderedDict(state_dict)
        pre_missing: list[str] = []
        pre_unexpected: list[str] = []
        errors: list[str] = []
        for name, module in self.named_modules():
            for hook in list(module._load_state_dict_pre_hooks.values()):
                prefix = f"{name}." if name else ""
                hook(module, state_dict, prefix, {}, strict, pre_missing, pre_unexpected, errors)
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        own = self._collect(OrderedDict(), "", keep_vars=True, run_hooks=False)
        missing = [k for k in own if k not in state_dict] + pre_missing
        unexpected = [k for k in state_dict if k not in own] + pre_unexpected
        incompatible = IncompatibleKeys(missing, unexpected)
        post_hooks = [
            (module, hook)
            for _, module in self.named_modules()
            for hook in module._load_state_dict_post_hooks.values()
        ]
        extra = {
            (f"{name}." if name else "") + _EXTRA_STATE: module
            for name, module in self.named_modules()
            if type(module).get_extra_state is not Module.get_extra_state
        }
        wrong = []
        values = {}
        for key, target in own.items():
            if key not in state_dict or key in extra:
                continue
            value = state_dict[key]
            array = value._data if isinstance(value, Tensor) else np.asarray(value)
            if array.shape != target._data.shape:
                wrong.append(f"{key}: checkpoint {array.shape}, model {target._data.shape}")
            values[key] = array
        key_problems = strict and bool(missing or unexpected)
        if key_problems and post_hooks:
            for module, hook in post_hooks:
                hook(module, incompatible)
            post_hooks = []
            key_problems = bool(missing or unexpected)
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
            if assign:
                target._data = array if isinstance(array, np.ndarray) else np.asarray(array)
            else:
                target._data[...] = array
            target._version += 1
        for key, module in extra.items():
            if key in state_dict:
                module.set_extra_state(state_dict[key])
        for module, hook in post_hooks:
            if hook(module, incompatible) is not None:
                raise RuntimeError("a load_state_dict post-hook must return None")
        return incompatible

    def register_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, prefix, keep_vars)`` runs before ``state_dict`` saves this module."""
        return self._add_hook(self._state_dict_pre_hooks, hook, False)

    def register_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata)`` runs after this module and its
        children are saved; it may edit ``state_dict`` in place and must return None."""
        return self._add_hook(self._state_dict_hooks, hook, False)

    def register_load_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` runs before loading; it may rename or convert keys of
        ``state_dict`` (a copy) in place."""
        return self._add_hook(self._load_state_dict_pre_hooks, hook, False)

    def register_load_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, incompatible_keys)`` runs after loading; it may remove entries from
        ``incompatible_keys.missing_keys`` / ``unexpected_keys`` in place (see
        ``load_state_dict`` for ``strict=True``)."""
        return self._add_hook(self._load_state_dict_post_hooks, hook, False)

    def get_extra_state(self) -> Any:
        """Extra (non-tensor) state for ``state_dict``, under the key ``_extra_state``; a
        module that overrides this and ``set_extra_state`` saves and restores it, as PyTorch."""
        raise RuntimeError(
            "Reached a code path in Module.get_extra_state() that should never be called: "
            "override get_extra_state and set_extra_state together"
        )

    def set_extra_state(self, state: Any) -> None:
        """Restore what ``get_extra_state`` returned (called by ``load_state_dict``)."""
        raise RuntimeError(
            "Reached a code path in Module.set_extra_state() that should never be called: "
            "override get_extra_state and set_extra_state together"
        )

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
        for arg in args:
            if isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda", "mps"):
                device = arg
            else:
                dtype = arg
        if device is not None and str(device).split(":")[0] != "cpu":
            raise ValueError(f"to: Lucid runs on the CPU only, got device {device!r}")
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
        raise TypeError("bfloat16 is not supported: NumPy has no bfloat16 dtype")

    def type(self, dst_type: Any) -> Module:  # noqa: A003 - PyTorch's name
        """Cast floating parameters and buffers to ``dst_type`` (``to(dst_type)``)."""
        return self.to(dst_type)

    def cpu(self) -> Module:
        return self

    def cuda(self, device: Any = None) -> Module:
        raise RuntimeError("Module.cuda: Lucid runs on the CPU only (no CUDA device)")

    def share_memory(self) -> Module:
        """A no-op returning self: Lucid's worker processes get copies of the arrays."""
        return self

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Set the sub-module at dotted path ``target``; the parent must exist (AttributeError),
        and with ``strict=True`` so must the sub-module itself."""
        if not isinstance(module, Module):
            raise TypeError(f"set_submodule: expected a Module, got {type(module).__name__}")
        parent_path, _, name = target.rpartition(".")
        if not name:
            raise ValueError("set_submodule: cannot set the root module")
        parent = self.get_submodule(parent_path)
        if strict and name not in parent._modules:
            raise AttributeError(f"{type(parent).__name__} has no submodule {name!r}")
        if name not in parent._modules and name in parent.__dict__:
            raise AttributeError(
                f"{name!r} is an attribute of {type(parent).__name__}, not a Module"
            )
        setattr(parent, name, module)

    # ----------------------------------------------------------------- calling

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} defines no forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not (
            self._forward_pre_hooks
            or self._forward_hooks
            or self._backward_hooks
            or self._backward_pre_hooks
        ):
            return self.forward(*args, **kwargs)  # the common case, kept short: once per layer
        for hook, with_kwargs in list(self._forward_pre_hooks.values()):
            if with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            "forward pre-hook with with_kwargs=True must return None or a "
                            f"tuple of (new_args, new_kwargs), got {type(result).__name__}"
                        )
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        backward_hooks = None
        if self._backward_hooks or self._backward_pre_hooks:  # identity ops see the gradients
            backward_hooks = BackwardHookCall(self, self._backward_hooks, self._backward_pre_hooks)
            args = backward_hooks.wrap_inputs(args)
        try:
            out = self.forward(*args, **kwargs)
        except BaseException:
            for hook, with_kwargs, always_call in list(self._forward_hooks.values()):
                if always_call and with_kwargs:  # with output None, then re-raise (PyTorch)
                    hook(self, args, kwargs, None)
                elif always_call:
                    hook(self, args, None)
            raise
        for hook, with_kwargs, _ in list(self._forward_hooks.values()):
            result = hook(self, args, kwargs, out) if with_kwargs else hook(self, args, out)
            if result is not None:
                out = result
        if backward_hooks is not None:
            out = backward_hooks.wrap_outputs(out)
        return out

    @staticmethod
    def _add_hook(hooks: OrderedDict, entry: Any, prepend: bool) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = entry
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_pre_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """``hook(module, args)`` runs before forward; a non-None result replaces ``args``.

        ``with_kwargs=True``: ``hook(module, args, kwargs)``, returning None or a tuple
        ``(args, kwargs)``. ``prepend=True`` runs it before the hooks already registered.
        """
        return self._add_hook(self._forward_pre_hooks, (hook, with_kwargs), prepend)

    def register_forward_hook(
        self,
        hook: Callable,
        *,
        prepend: bool = False,
        with_kwargs: bool = False,
        always_call: bool = False,
    ) -> RemovableHandle:
        """``hook(module, args, output)`` runs after forward; a non-None result replaces it.

        ``with_kwargs=True``: ``hook(module, args, kwargs, output)``. ``prepend=True`` runs it
        first; ``always_call=True`` runs it (with output None) also when forward raises.
        """
        entry = (hook, with_kwargs, always_call)
        return self._add_hook(self._forward_hooks, entry, prepend)

    def register_full_backward_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs in backward once the gradients of the
        module's positional tensor inputs are summed; a non-None result (a tuple, one entry
        per positional argument) replaces ``grad_input``.

        ``grad_input`` holds one entry per positional argument (None for non-tensors and
        tensors that need no gradient; all None, called as soon as ``grad_output`` is known,
        when no input needs one); ``grad_output`` one per output. Entries are ndarrays, or
        Tensors under ``create_graph=True``.
        """
        return self._add_hook(self._backward_hooks, hook, prepend)

    def register_full_backward_pre_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """``hook(module, grad_output)`` runs in backward once the gradients of the module's
        outputs are known, before they flow into the module; a non-None result (a tuple, one
        entry per output) replaces ``grad_output``."""
        return self._add_hook(self._backward_pre_hooks, hook, prepend)

    # ----------------------------------------------------------------- printing

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr``; layers override it."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        """PyTorch's layout: ``Name(extra)`` for a leaf with a one-line ``extra_repr``, else the
        extra lines and ``(name): child`` lines indented by two spaces, one per line."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({name}): " + repr(module).replace("\n", "\n  ")
            for name, module in self._modules.items()
        ]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __dir__(self) -> list[str]:
        return sorted(
            set(super().__dir__())
            | set(self._parameters)
            | set(self._buffers)
            | set(self._modules)
        )
