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
from lucid.ops.bitwise import *  # noqa: F403
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
from lucid.dlpack import from_dlpack
from lucid.ops.sorting import *  # noqa: F403
from lucid.ops.special import *  # noqa: F403
from lucid.ops.aliases import *  # noqa: F403  (after elementwise: torch.equal wins)
from lucid._promotion import can_cast, promote_types
from lucid._promotion import result_type_of as result_type
from lucid.serialization import load, save
from lucid.tensor import Tensor, is_tensor
from lucid._device import device, get_default_device, set_default_device
from lucid._dtypes import (
    bfloat16,
    bool_,
    double,
    finfo,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from lucid._dtypes import bool_ as bool  # noqa: A004 - PyTorch's dtype names
from lucid._dtypes import float32 as float  # noqa: A004
from lucid._dtypes import int32 as int  # noqa: A004
from lucid._dtypes import is_floating_point
from lucid.random import (
    Generator,
    bernoulli,
    default_generator,
    get_rng_state,
    initial_seed,
    multinomial,
    normal,
    poisson,
    rand_like,
    randint_like,
    randn_like,
    seed,
    set_rng_state,
)


# Subpackages built on the ops above (DESIGN.md's top layer), importable as lucid.nn etc.
from lucid import amp, autograd, backends, cuda, data, datasets, linalg, nn, optim  # noqa: E402, I001
from lucid import random, return_types, special  # noqa: E402, I001
from lucid import distributed  # noqa: E402  (imports mpi4py only when a group starts)
from lucid.amp import autocast  # noqa: E402, I001
from lucid.backends import (  # noqa: E402, I001
    are_deterministic_algorithms_enabled,
    get_float32_matmul_precision,
    set_float32_matmul_precision,
    use_deterministic_algorithms,
)

# Interop; each imports its optional package (safetensors, onnx) on first use only.
from lucid import onnx, safetensors  # noqa: E402

__version__ = "0.1.0.dev0"
from lucid import utils  # noqa: E402, I001  (torch.utils.data, torch.utils.dlpack)

# lucid.compile (torch.compile): the function; its package stays importable as lucid.compile.*
from lucid.compile import compile  # noqa: E402, A004
