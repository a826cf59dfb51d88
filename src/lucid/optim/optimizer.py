"""The ``Optimizer`` base class: parameter groups, per-parameter state, state dicts, ``step``."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from lucid import _graph
from lucid._graph import enable_grad
from lucid.tensor import Tensor

__all__ = ["Optimizer"]

_PARAM_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_nonnegative(name: str, group: Mapping[str, Any], *keys: str) -> None:
    """ValueError naming the first of ``keys`` whose value in ``group`` is negative (or NaN)."""
    for key in keys:
        value = group[key]
        if not value >= 0:
            raise ValueError(f"{name}: invalid {key} {value!r}: must be >= 0")


def check_betas(name: str, group: Mapping[str, Any]) -> None:
    """ValueError unless ``group["betas"]`` is two numbers in [0, 1)."""
    betas = group["betas"]
    if len(betas) != 2:
        raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        if not 0 <= beta < 1:
            raise ValueError(f"{name}: invalid betas[{i}] {beta!r}: must be in [0, 1)")


def check_adam_hyperparameters(name: str, group: Mapping[str, Any], *nonnegative: str) -> None:
    """ValueError naming the first invalid hyperparameter of an Adam-style ``group``.

    In order: lr and eps must be >= 0, betas a pair in [0, 1), weight_decay and then each of
    ``nonnegative`` >= 0.
    """
    check_nonnegative(name, group, "lr", "eps")
    check_betas(name, group)
    check_nonnegative(name, group, "weight_decay", *nonnegative)


def implementation_flags(
    name: str,
    foreach: bool | None = None,
    capturable: bool = False,
    differentiable: bool = False,
    fused: bool | None = None,
) -> dict[str, Any]:
    """PyTorch's implementation switches, as group entries. ``foreach``, ``fused`` and
    ``capturable`` choose how PyTorch runs the same update (per tensor, batched, fused kernel,
    CUDA-graph safe); Lucid has one implementation, so they are accepted and change nothing.
    ``differentiable=True`` would record the update in the graph, which Lucid does not do:
    NotImplementedError.
    """
    if differentiable:
        raise NotImplementedError(
            f"{name}: differentiable=True (backpropagating through the update) is not supported"
        )
    return {"foreach": foreach, "capturable": capturable, "differentiable": False, "fused": fused}


def count_step(state: dict[str, Any], param: np.ndarray, *arrays: str, **scalars: Any) -> int:
    """Count one more step of ``param`` in its ``state`` and return the count (1 on the first).

    An empty ``state`` (the parameter's first step) is filled first, in PyTorch's order:
    ``"step"`` 0, then ``scalars``, then a zero array like ``param`` under each of ``arrays``.
    """
    if not state:
        state["step"] = 0
        state.update(scalars)
        for key in arrays:
            state[key] = np.zeros(param.shape, param.dtype)
    state["step"] += 1
    return state["step"]


def _copy_value(value: Any) -> Any:
    """A deep copy of a state or group value: arrays are copied, tensors become arrays."""
    if isinstance(value, Tensor):
        return value._data.copy()
    if isinstance(value, np.ndarray):
        return value.copy()
    return copy.deepcopy(value)


class Optimizer:
    """Base class of the optimizers, with PyTorch's structure.

    ``param_groups`` is a list of dicts, each with ``"params"`` (a list of tensors) and the
    group's hyperparameters (``"lr"``, ...), filled from ``defaults`` where a group does not
    set them. ``state[p]`` is the per-parameter state dict (``"step"``, moment arrays, ...).
    ``step()`` updates ``p.data`` of every parameter that has a gradient, in place: the array
    object stays the same, so modules holding it see the new values. A subclass defines
    ``_update(param, grad, state, group)`` on arrays, and may define ``_validate(group)`` and
    ``_init_state(param, state, group)``.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, (Tensor, np.ndarray)):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of tensors or of dicts, "
                f"got a single {type(params).__name__}; pass [tensor]"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        return "\n".join(lines) + "\n)"

    # ------------------------------------------------------------------ groups

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (defaults fill the rest).

        ``"params"`` is a tensor, or a list of tensors or of ``(name, tensor)`` pairs (then the
        names are kept as ``"param_names"``). Raises ValueError for a parameter already in a
        group, or an invalid hyperparameter; TypeError for a non-tensor or a non-float one.
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a param group must be a dict, got {type(param_group)}")
        if "params" not in param_group:
            raise KeyError(f"{name}: a param group needs a 'params' entry")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                f"{name}: params must be an ordered collection (a list), not a set: the order "
                "of a set changes between runs"
            )
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params):
                raise ValueError(f"{name}: give every parameter a name, or none")
            params = [p[1] for p in params]
            group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf tensor (shape {p.shape})")
            if p.dtype not in _PARAM_DTYPES:
                raise TypeError(f"{name}: parameters must be float32 or float64, got {p.dtype}")
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._validate(group)
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{name}: a parameter group holds the same tensor twice")
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if taken.intersection(ids):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        if self.param_groups and ("param_names" in group) != (
            "param_names" in self.param_groups[0]
        ):
            raise ValueError(f"{name}: all parameter groups must be named, or none")
        self.param_groups.append(group)
        for p in params:
            self._init_state(p, self.state[p], group)

    def _validate(self, group: dict[str, Any]) -> None:
        """Raise ValueError naming an invalid hyperparameter of ``group``."""
        check_nonnegative(type(self).__name__, group, "lr")

    def _init_state(self, param: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Fill the state of a new parameter (most optimizers wait for its first step)."""

    # ------------------------------------------------------------------ stepping

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient (``.grad = None``), or with ``set_to_none=False``
        fill it with zeros in place."""
        if _graph._mode.tracer is not None:  # lucid.compile records the call (compile/steps.py)
            _graph._mode.tracer.optimizer_call(self, "zero_grad", set_to_none=set_to_none)
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                elif isinstance(p._grad, np.ndarray) and p._grad.flags.writeable:
                    p._grad.fill(0)
                else:
                    p._grad = np.zeros(p.shape, p.dtype)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns ``closure()`` if given.

        ``closure`` re-evaluates the model and returns the loss (it runs with grad enabled,
        before the update). Parameters whose ``.grad`` is None are skipped.
        """
        if _graph._mode.tracer is not None:  # lucid.compile records the call (compile/steps.py)
            _graph._mode.tracer.optimizer_call(self, "step", closure=closure)
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:
                    continue
                grad = p._grad._data if isinstance(p._grad, Tensor) else np.asarray(p._grad)
                if grad.dtype != p.dtype:
                    grad = grad.astype(p.dtype)
                self._update(p._data, grad, self.state[p], group)
                # Graphs that saved p before this update now refuse to backpropagate, as in
                # PyTorch, where the optimizer's in-place update bumps the version counter.
                p._version += 1
        return loss

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        """Update ``param`` (and ``state``) in place from ``grad``, by ``group``'s settings."""
        raise NotImplementedError(f"{type(self).__name__} defines no _update")

    # ------------------------------------------------------------------ state dicts

    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``.

        PyTorch's layout: parameters are numbered across the groups in order; the state of
        each is a copy (arrays copied), so later steps do not change a saved dict.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: _copy_value(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {k: _copy_value(v) for k, v in s.items()}
            for p, s in self.state.items()
            if id(p) in index and s
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore the state and hyperparameters saved by ``state_dict()`` (or read back by
        ``lucid.load``), so that training continues exactly where it stopped.

        The optimizer must hold the same number of groups with the same number of parameters,
        in the same order (ValueError naming the counts otherwise); state arrays must match
        their parameter's shape and are cast to its dtype (``"step"`` is kept as is).
        """
        name = type(self).__name__
        for key in ("state", "param_groups"):
            if key not in state_dict:
                raise KeyError(f"{name}.load_state_dict: the state dict has no {key!r} entry")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the state dict has {len(saved_groups)} parameter "
                f"groups, the optimizer has {len(self.param_groups)}"
            )
        by_index: dict[int, Tensor] = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: parameter group {i} has {len(saved['params'])} "
                    f"parameters in the state dict, {len(group['params'])} in the optimizer"
                )
            by_index.update(zip((int(k) for k in saved["params"]), group["params"], strict=True))
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, saved_state in state_dict["state"].items():
            if int(key) not in by_index:
                raise ValueError(
                    f"{name}.load_state_dict: state for parameter {key}, which no group lists"
                )
            p = by_index[int(key)]
            state[p] = {k: self._restore(p, k, v) for k, v in saved_state.items()}
        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups, strict=True):
            restored = {k: _copy_value(v) for k, v in saved.items() if k != "params"}
            if "param_names" not in saved and "param_names" in group:
                restored["param_names"] = group["param_names"]
            restored["params"] = group["params"]
            new_groups.append(restored)
        self.param_groups = new_groups
        self.state = state

    def _restore(self, param: Tensor, key: str, value: Any) -> Any:
        """A state value as loaded: arrays copied, float ones cast to the parameter's dtype."""
        if isinstance(value, Tensor):
            value = value._data
        if not isinstance(value, np.ndarray):
            return copy.deepcopy(value)
        if key == "step":
            return value.copy()
        if value.ndim and value.shape != param.shape:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: state {key!r} has shape {value.shape} "
                f"for a parameter of shape {param.shape}"
            )
        if value.dtype.kind == "f":
            return value.astype(param.dtype)  # always a copy
        return value.copy()
