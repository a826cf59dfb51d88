"""Matrix-structure ops of PyTorch's surface: tril, triu, diagonal, diag, diag_embed, trace,
block_diag, the BLAS-named products (mm bmm mv addmm addmv addr baddbmm addbmm ger), cross,
cdist, and the square-matrix functions inv, det, slogdet/logdet and solve.

Most are compositions of recorded ops (masks, gathers, scatters, matmul), so their gradients
are those ops' and work under ``create_graph``; inv, det and solve are ops of their own with
the textbook adjoint formulas.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._graph import binary_func_op, operation, unary_func_op
from lucid.ops import elementwise as _ew
from lucid.ops import reduce as _red
from lucid.ops import shape as _shp
from lucid.ops._args import normalize_axis
from lucid.ops.index import Scatter, getitem
from lucid.ops.inplace import check_writable
from lucid.ops.linalg import matmul, outer
from lucid.tensor import Tensor

TensorLike = Any

__all__ = [
    "tril", "triu", "diagonal", "diag", "diag_embed", "trace", "block_diag", "mm", "bmm",
    "mv", "addmm", "addmv", "addr", "baddbmm", "addbmm", "ger", "cross", "cdist", "inverse",
    "det", "logdet", "slogdet", "tril_", "triu_", "fill_diagonal_",
]  # fmt: skip


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# --------------------------------------------------------------------------- triangles, diagonals


def _triangle(op: str, x: Any, diagonal: int, lower: bool) -> Tensor:
    x = _tensor(x)
    if x.ndim < 2:
        raise ValueError(f"{op}: needs a tensor of at least 2 dims, got shape {x.shape}")
    n, m = x.shape[-2:]
    keep = np.tri(n, m, int(diagonal), dtype=bool)
    if not lower:
        keep = ~np.tri(n, m, int(diagonal) - 1, dtype=bool)
    return _ew.where(keep, x, np.zeros((), x.dtype))


def tril(x: TensorLike, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (on and below ``diagonal``), zeros above."""
    return _triangle("tril", x, diagonal, True)


def triu(x: TensorLike, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (on and above ``diagonal``), zeros below."""
    return _triangle("triu", x, diagonal, False)


def _store(op: str, x: Tensor, out: np.ndarray) -> Tensor:
    check_writable(op, x)
    x._data[...] = out
    x._version += 1
    return x


def tril_(x: Tensor, diagonal: int = 0) -> Tensor:
    """``tril`` in place (tensors outside the graph); returns x."""
    return _store("tril_", x, tril(x, diagonal)._data)


def triu_(x: Tensor, diagonal: int = 0) -> Tensor:
    """``triu`` in place (tensors outside the graph); returns x."""
    return _store("triu_", x, triu(x, diagonal)._data)


def fill_diagonal_(x: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    """Set the main diagonal (all indices equal) to ``fill_value`` in place; a tall matrix
    restarts the diagonal every ``cols + 1`` rows when ``wrap``, as PyTorch."""
    if x.ndim < 2 or (x.ndim > 2 and len(set(x.shape)) != 1):
        raise ValueError(
            f"fill_diagonal_: needs a matrix or a tensor with all dims equal, got {x.shape}"
        )
    check_writable("fill_diagonal_", x, fill_value)
    out = x._data.copy()
    if x.ndim == 2:
        n, m = x.shape
        rows = np.arange(n if wrap else min(n, m))
        if wrap:  # PyTorch skips one row between the repeats of the diagonal
            rows = rows[rows % (m + 1) < m]
        out[rows, rows % (m + 1)] = fill_value
    else:
        i = np.arange(x.shape[0])
        out[(i,) * x.ndim] = fill_value
    return _store("fill_diagonal_", x, out)


def _diagonal_positions(n: int, m: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    rows0, cols0 = max(-offset, 0), max(offset, 0)
    length = max(min(n - rows0, m - cols0), 0)
    return np.arange(length) + rows0, np.arange(length) + cols0


def diagonal(x: TensorLike, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of the (dim1, dim2) planes as a new last dim, as ``torch.diagonal``
    (``offset`` > 0 above the main diagonal)."""
    x = _tensor(x)
    a, b = normalize_axis(dim1, x.ndim, "diagonal"), normalize_axis(dim2, x.ndim, "diagonal")
    if a == b:
        raise ValueError(f"diagonal: dim1 and dim2 are both dim {a}")
    planes = _shp.moveaxis(x, (a, b), (-2, -1))
    rows, cols = _diagonal_positions(*planes.shape[-2:], int(offset))
    return getitem(planes, (Ellipsis, rows, cols))


def diag_embed(x: TensorLike, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices (in dims ``dim1``, ``dim2`` of the result) with x's last dim on their
    ``offset`` diagonal and zeros elsewhere, as ``torch.diag_embed``."""
    x = _tensor(x)
    if x.ndim == 0:
        raise ValueError("diag_embed: needs at least 1 dim, got a 0-d tensor")
    n = x.shape[-1] + abs(int(offset))
    rows, cols = _diagonal_positions(n, n, int(offset))
    out = Scatter((Ellipsis, rows, cols), x.shape[:-1] + (n, n))(x)
    a = normalize_axis(dim1, x.ndim + 1, "diag_embed")
    b = normalize_axis(dim2, x.ndim + 1, "diag_embed")
    if a == b:
        raise ValueError(f"diag_embed: dim1 and dim2 are both dim {a}")
    return _shp.moveaxis(out, (-2, -1), (a, b))


def diag(x: TensorLike, diagonal: int = 0) -> Tensor:
    """A 1-D x on the ``diagonal`` of a square matrix; of a 2-D x, its ``diagonal``."""
    x = _tensor(x)
    if x.ndim == 1:
        return diag_embed(x, diagonal)
    if x.ndim == 2:
        return globals()["diagonal"](x, diagonal)
    raise ValueError(f"diag: expects a 1-D or 2-D tensor, got shape {x.shape}")


def trace(x: TensorLike) -> Tensor:
    """The sum of the main diagonal of a 2-D tensor."""
    x = _tensor(x)
    if x.ndim != 2:
        raise ValueError(f"trace: expects a 2-D tensor, got shape {x.shape}")
    return _red.sum(diagonal(x))


def block_diag(*tensors: TensorLike) -> Tensor:
    """The tensors (0-d, 1-D as a row, or 2-D) as the blocks of a block-diagonal matrix."""
    ts = [_tensor(t) for t in tensors]
    blocks = []
    for t in ts:
        if t.ndim > 2:
            raise ValueError(f"block_diag: blocks must have at most 2 dims, got shape {t.shape}")
        blocks.append(t.reshape(1, -1) if t.ndim < 2 else t)
    if not blocks:
        return Tensor._wrap(np.zeros((1, 0), np.float32))
    dtype = np.result_type(*[b.dtype for b in blocks])
    shape = (sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks))
    out, r, c = None, 0, 0
    for b in blocks:
        key = (slice(r, r + b.shape[0]), slice(c, c + b.shape[1]))
        placed = Scatter(key, shape)(b.astype(dtype) if b.dtype != dtype else b)
        out = placed if out is None else out + placed
        r, c = r + b.shape[0], c + b.shape[1]
    return out


# --------------------------------------------------------------------------- BLAS names


def _check_ndim(op: str, **tensors: Tensor) -> None:
    for name, (t, n) in tensors.items():
        if t.ndim != n:
            raise ValueError(f"{op}: {name} must be {n}-D, got shape {t.shape}")


def mm(a: TensorLike, b: TensorLike) -> Tensor:
    """The product of two matrices (2-D only, unlike ``matmul``)."""
    a, b = _tensor(a), _tensor(b)
    _check_ndim("mm", a=(a, 2), b=(b, 2))
    return matmul(a, b)


def bmm(a: TensorLike, b: TensorLike) -> Tensor:
    """Batched matrix products of two 3-D tensors with the same batch length."""
    a, b = _tensor(a), _tensor(b)
    _check_ndim("bmm", a=(a, 3), b=(b, 3))
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"bmm: batch lengths differ: {a.shape} and {b.shape}")
    return matmul(a, b)


def mv(a: TensorLike, v: TensorLike) -> Tensor:
    """A matrix times a vector."""
    a, v = _tensor(a), _tensor(v)
    _check_ndim("mv", a=(a, 2), v=(v, 1))
    return matmul(a, v)


def ger(a: TensorLike, b: TensorLike) -> Tensor:
    """The outer product of two vectors (``outer``)."""
    return outer(a, b)


def _scaled_sum(x: Tensor, product: Tensor, beta: Any, alpha: Any) -> Tensor:
    """beta * x + alpha * product; beta == 0 ignores x (its NaNs too), as PyTorch."""
    scaled = product if alpha == 1 else product * alpha
    if beta == 0:
        return _shp.broadcast_to(scaled, np.broadcast_shapes(scaled.shape, _tensor(x).shape))
    return (x if beta == 1 else _tensor(x) * beta) + scaled


def addmm(x: TensorLike, a: TensorLike, b: TensorLike, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * x + alpha * (a @ b)`` for matrices a, b (x broadcast to the product)."""
    return _scaled_sum(x, mm(a, b), beta, alpha)


def addmv(x: TensorLike, a: TensorLike, v: TensorLike, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * x + alpha * (a @ v)`` for a matrix a and a vector v."""
    return _scaled_sum(x, mv(a, v), beta, alpha)


def addr(x: TensorLike, a: TensorLike, b: TensorLike, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * x + alpha * outer(a, b)``."""
    return _scaled_sum(x, outer(a, b), beta, alpha)


def baddbmm(
    x: TensorLike, a: TensorLike, b: TensorLike, *, beta: Any = 1, alpha: Any = 1
) -> Tensor:
    """``beta * x + alpha * bmm(a, b)``."""
    return _scaled_sum(x, bmm(a, b), beta, alpha)


def addbmm(
    x: TensorLike, a: TensorLike, b: TensorLike, *, beta: Any = 1, alpha: Any = 1
) -> Tensor:
    """``beta * x + alpha * sum over the batch of bmm(a, b)``."""
    return _scaled_sum(x, _red.sum(bmm(a, b), 0), beta, alpha)


# --------------------------------------------------------------------------- cross, cdist


def cross(a: TensorLike, b: TensorLike, dim: int | None = None) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (None: the first dim of length 3, as
    ``torch.cross``; ``torch.linalg.cross`` uses -1), a and b broadcast together."""
    a, b = _tensor(a), _tensor(b)
    shape = np.broadcast_shapes(a.shape, b.shape)
    a, b = _shp.broadcast_to(a, shape), _shp.broadcast_to(b, shape)
    if dim is None:
        dims = [i for i, n in enumerate(shape) if n == 3]
        if not dims:
            raise ValueError(f"cross: no dim of length 3 in shape {shape}")
        d = dims[0]
    else:
        d = normalize_axis(dim, len(shape), "cross")
    if shape[d] != 3:
        raise ValueError(f"cross: dim {d} of shape {shape} must have length 3")

    def part(t: Tensor, i: int) -> Tensor:
        return getitem(t, (slice(None),) * d + (i,))

    a0, a1, a2 = (part(a, i) for i in range(3))
    b0, b1, b2 = (part(b, i) for i in range(3))
    return _shp.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def cdist(x1: TensorLike, x2: TensorLike, p: float = 2.0) -> Tensor:
    """The p-norm distance between each row of x1 (..., P, M) and of x2 (..., R, M): shape
    (..., P, R). The gradient at a zero distance is 0, as PyTorch's."""
    x1, x2 = _tensor(x1), _tensor(x2)
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise ValueError(
            f"cdist: x1 {x1.shape} and x2 {x2.shape} must be at least 2-D with equal last dims"
        )
    if p < 0:
        raise ValueError(f"cdist: p must be non-negative, got {p}")
    diff = _shp.unsqueeze(x1, -2) - _shp.unsqueeze(x2, -3)
    return _red.norm(diff, p=p, dim=-1)


# --------------------------------------------------------------------------- inv, det, solve


def _square(op: str, a: np.ndarray) -> None:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{op}: expects square matrices in the last two dims, got {a.shape}")
    if a.dtype.kind != "f":
        raise TypeError(f"{op}: expects a floating-point tensor, got {a.dtype}")


def _mT(x: Any) -> Any:
    return x.swapaxes(-1, -2)


class Inverse(operation):
    """inv(A);  d/dA = -inv(A)^T grad inv(A)^T."""

    @unary_func_op()
    def forward(self, a: np.ndarray) -> np.ndarray:
        _square("inverse", a)
        try:
            out = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise ValueError(f"inverse: a matrix of shape {a.shape} is singular") from None
        self.save_for_backward(out)
        return out

    def gradient(self, grad: Any) -> Any:
        (out,) = self.saved_tensors
        t = _mT(out)
        return -(t @ grad @ t)


class Det(operation):
    """det(A);  d/dA = grad * det(A) * inv(A)^T (A invertible)."""

    @unary_func_op()
    def forward(self, a: np.ndarray) -> np.ndarray:
        _square("det", a)
        out = np.asarray(np.linalg.det(a))
        self.save_for_backward(a, out)
        return out

    def gradient(self, grad: Any) -> Any:
        a, out = self.saved_tensors
        inv_t = _mT(Inverse()(a) if isinstance(a, Tensor) else np.linalg.inv(a))
        scale = grad * out
        return scale.reshape(scale.shape + (1, 1)) * inv_t


def inverse(a: TensorLike) -> Tensor:
    """The inverse of each square matrix in the last two dims; ValueError when singular."""
    return Inverse()(a)


def det(a: TensorLike) -> Tensor:
    """The determinant of each square matrix in the last two dims."""
    return Det()(a)


def slogdet(a: TensorLike) -> tuple[Tensor, Tensor]:
    """``(sign, log|det|)`` of each square matrix; the gradient flows through log|det|."""
    a = _tensor(a)
    d = det(a)
    sign = Tensor._wrap(np.sign(d._data))
    return sign, _ew.log(_ew.abs(d))


def logdet(a: TensorLike) -> Tensor:
    """``log(det(a))``: NaN where the determinant is negative, -inf where it is 0."""
    return _ew.log(det(a))


class Solve(operation):
    """X = solve(A, B) (A X = B);  dB = solve(A^T, grad), dA = -dB X^T."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        _square("solve", a)
        vector = b.ndim == a.ndim - 1
        self.vector = vector
        try:
            out = np.linalg.solve(a, b[..., None] if vector else b)
        except np.linalg.LinAlgError:
            raise ValueError(f"solve: a matrix of shape {a.shape} is singular") from None
        out = out[..., 0] if vector else out
        self.save_for_backward(a, out)
        return out

    def gradient(self, grad: Any) -> tuple:
        a, out = self.saved_tensors
        g = grad[..., None] if self.vector else grad
        x = out[..., None] if self.vector else out
        if isinstance(grad, Tensor) or isinstance(a, Tensor):
            db = Solve()(_mT(a), g)
        else:
            db = np.linalg.solve(_mT(a), g)
        da = -(db @ _mT(x))
        return da, (db[..., 0] if self.vector else db)


def solve(a: TensorLike, b: TensorLike) -> Tensor:
    """X with ``a @ X = b`` for square ``a`` (b a matrix, or a vector of a's order)."""
    return Solve()(a, b)
