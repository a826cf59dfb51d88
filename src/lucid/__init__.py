"""Lucid: PyTorch's surface over NumPy arrays, with a graph layer you can read end to end."""

# ruff: noqa: F401, F403, I001  (a list of re-exports, ordered by layer)

from lucid._graph import enable_grad, is_grad_enabled, no_grad
from lucid._warmup import precompile
from lucid.ops.activation import *  # noqa: F403
from lucid.ops.creation import *  # noqa: F403
from lucid.ops.elementwise import *  # noqa: F403
from lucid.ops.index import *  # noqa: F403
from lucid.ops.inplace import *  # noqa: F403
from lucid.ops.layout import *  # noqa: F403
from lucid.ops.linalg import *  # noqa: F403
from lucid.ops.matrix import *  # noqa: F403
from lucid.ops.reduce import *  # noqa: F403
from lucid.ops.scatter import *  # noqa: F403
from lucid.ops.shape import *  # noqa: F403
from lucid.ops.sorting import *  # noqa: F403
from lucid.serialization import load, save
from lucid.tensor import (
    Tensor,
    bool_,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
)

# Subpackages built on the ops above (DESIGN.md's top layer), importable as lucid.nn etc.
from lucid import autograd, data, datasets, linalg, nn, optim, random, return_types  # noqa: E402, I001

__version__ = "0.1.0.dev0"
