"""``parameters_to_vector`` and ``vector_to_parameters``: parameters as one flat vector."""

from __future__ import annotations

from collections.abc import Iterable

from lucid.ops.shape import concatenate
from lucid.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and concatenated in order, one 1-D tensor (recorded, so a
    loss on the vector backpropagates into the parameters, as PyTorch's ``cat``)."""
    params = list(parameters)
    if not params:
        raise ValueError("parameters_to_vector: got no parameters")
    return concatenate([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Make each parameter's data the matching slice of ``vec`` (reshaped; it shares ``vec``'s
    memory, as PyTorch's ``param.data = ...``); the total size must equal ``vec``'s."""
    if not isinstance(vec, Tensor):
        raise TypeError(
            f"vector_to_parameters: expected vec to be a Tensor, got {type(vec).__name__}"
        )
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: vec must be 1-D, got shape {vec.shape}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if total != vec.numel():
        raise ValueError(
            f"vector_to_parameters: vec has {vec.numel()} elements but the parameters need {total}"
        )
    start = 0
    for p in params:
        n = p.numel()
        p._data = vec._data[start : start + n].reshape(p.shape).astype(p.dtype, copy=False)
        p._version += 1
        start += n
