"""Module full backward hooks: two identity ops around a module call see its gradients.

``Module.__call__`` passes the tensor inputs through one identity op before ``forward`` and the
tensor outputs through another after it. In backward the outputs' identity runs first and
records ``grad_output``; the inputs' identity runs once every gradient of the inputs is summed,
calls each ``hook(module, grad_input, grad_output)`` and passes on what the hooks return. No
engine change: the identities are ordinary ops with several results.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from lucid._graph import func_op, operation
from lucid.tensor import Tensor


class _Identity(operation):
    """The tensors unchanged (new views of their arrays);  the gradients pass through
    ``receive``, which may replace them."""

    def __init__(self, receive: Callable[[tuple], tuple]) -> None:
        self.receive = receive

    def forward(self, *xs: np.ndarray) -> Any:  # decorated per call, by _identity
        # views, not the arrays: the graph layer tells saved arrays apart by identity
        views = tuple(x.view() for x in xs)
        return views if len(views) > 1 else views[0]

    def gradient(self, grad: Any) -> Any:
        grads = self.receive(grad if isinstance(grad, tuple) else (grad,))
        return grads if len(grads) > 1 else grads[0]


@functools.cache
def _identity(n: int) -> Callable:
    """``_Identity.forward`` decorated for ``n`` inputs and results."""
    return func_op(None, n)(_Identity.forward)


def _pass_through(receive: Callable[[tuple], tuple], tensors: list[Tensor]) -> tuple:
    out = _identity(len(tensors))(_Identity(receive), *tensors)
    return out if isinstance(out, tuple) else (out,)


def _wire(items: list | tuple, receive: Callable[[tuple], tuple]) -> tuple[list[int], list]:
    """Pass the tensors among ``items`` that need a gradient through one identity op (their
    gradients go to ``receive``): their positions, and ``items`` with them replaced."""
    wired = [i for i, a in enumerate(items) if isinstance(a, Tensor) and a.requires_grad]
    items = list(items)
    if wired:
        passed = _pass_through(receive, [items[i] for i in wired])
        for i, t in zip(wired, passed, strict=True):
            items[i] = t
    return wired, items


def _as_gradient(value: Any, like: Any) -> Any:
    """A hook's replacement gradient in the form the pass uses (Tensor or array)."""
    if value is None or isinstance(like, Tensor):
        return value
    return np.asarray(value._data if isinstance(value, Tensor) else value)


def _spread(n: int, positions: list[int], grads: tuple) -> tuple:
    """A length-``n`` tuple: ``grads`` at ``positions``, None elsewhere."""
    full: list[Any] = [None] * n
    for i, g in zip(positions, grads, strict=True):
        full[i] = g
    return tuple(full)


def _apply(hooks: dict, call: Callable, grads: tuple, module: Any, what: str, of: str) -> tuple:
    """``call(hook, grads)`` for each hook in turn; a result that is not None replaces
    ``grads`` (as many gradients, else RuntimeError naming ``what`` and ``of``)."""
    for hook in list(hooks.values()):
        result = call(hook, grads)
        if result is None:
            continue
        result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        if len(result) != len(grads):
            raise RuntimeError(
                f"{what} of {type(module).__name__} returned {len(result)} gradients for "
                f"{len(grads)} {of}"
            )
        grads = result
    return grads


class BackwardHookCall:
    """One call of a module with full backward hooks: wraps its inputs and outputs and calls
    ``hook(module, grad_input, grad_output)`` for each hook in ``hooks`` (read at backward
    time, so a removed hook is not called). ``grad_input`` has one entry per positional
    argument (None for non-tensors and tensors that need no gradient)."""

    def __init__(self, module: Any, hooks: dict, pre_hooks: dict | None = None) -> None:
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks or {}
        self.n_args = 0
        self.wired: list[int] = []  # positions of the arguments passed through the identity
        self.grad_output: tuple = ()

    def wrap_inputs(self, args: tuple) -> tuple:
        self.n_args = len(args)
        self.wired, passed = _wire(args, self._inputs_done)
        return tuple(passed) if self.wired else args

    def wrap_outputs(self, result: Any) -> Any:
        outputs = list(result) if isinstance(result, (tuple, list)) else [result]
        self.n_outputs = len(outputs)
        self.outputs_wired, outputs = _wire(outputs, self._outputs_done)
        if not self.outputs_wired:
            return result
        if isinstance(result, (tuple, list)):
            return type(result)(outputs)
        return outputs[0]

    def _outputs_done(self, grads: tuple) -> tuple:
        grad_output = _spread(self.n_outputs, self.outputs_wired, grads)
        # full backward pre-hooks may replace them
        self.grad_output = grad_output = _apply(
            self.pre_hooks, lambda hook, g: hook(self.module, g), grad_output, self.module,
            "backward pre-hook", "outputs",
        )  # fmt: skip
        if self.hooks and not self.wired:  # no input needs a gradient: hooks see None for each
            self._call_hooks((None,) * self.n_args)
        return tuple(
            _as_gradient(grad_output[i], g) for i, g in zip(self.outputs_wired, grads, strict=True)
        )

    def _inputs_done(self, grads: tuple) -> tuple:
        full = self._call_hooks(_spread(self.n_args, self.wired, grads))
        return tuple(_as_gradient(full[i], g) for i, g in zip(self.wired, grads, strict=True))

    def _call_hooks(self, grad_input: tuple) -> tuple:
        return _apply(self.hooks, lambda hook, g: hook(self.module, g, self.grad_output),
                      grad_input, self.module, "backward hook", "inputs")  # fmt: skip
