"""Parameter: a leaf tensor that a Module registers as one of its learnable weights."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid.tensor import Tensor


class Parameter(Tensor):
    """A tensor that requires grad by default and is registered when set on a Module.

    ``Parameter(tensor)`` shares the tensor's array (as PyTorch); other data is copied.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=np.float32)
        shared = isinstance(data, Tensor)
        self._setup(data._data if shared else Tensor._to_array(data, None, True), requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
