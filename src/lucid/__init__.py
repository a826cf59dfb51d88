"""Lucid: PyTorch's surface over NumPy arrays, with a graph layer you can read end to end."""

# ruff: noqa: F401, F403, I001  (a list of re-exports, ordered by layer)

from lucid._graph import (
    binary_func_op,
    enable_grad,
    func_op,
    is_grad_enabled,
    no_grad,
    operation,
    poly_func_op,
    unary_func_op,
)
from lucid._warmup import precompile
from lucid.ops.activation import *  # noqa: F403
from lucid.ops.creation import *  # noqa: F403
from lucid.ops.elementwise import *  # noqa: F403
from lucid.ops.index import *  # noqa: F403
from lucid.ops.inplace import *  # noqa: F403
from lucid.ops.linalg import *  # noqa: F403
from lucid.ops.reduce import *  # noqa: F403
from lucid.ops.shape import *  # noqa: F403
from lucid.dlpack import from_dlpack
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
from lucid import autograd, data, datasets, nn, optim, random  # noqa: E402, I001
from lucid import distributed  # noqa: E402  (imports mpi4py only when a group starts)

# Interop; each imports its optional package (safetensors, onnx) on first use only.
from lucid import onnx, safetensors  # noqa: E402

__version__ = "0.1.0.dev0"
from lucid import backends, utils  # noqa: E402, I001  (torch.backends, torch.utils.data)

# lucid.compile (torch.compile): the function; its package stays importable as lucid.compile.*
from lucid.compile import compile  # noqa: E402, A004
