"""Matrix decompositions with gradients: Cholesky, QR, symmetric eigen, SVD, pseudo-inverse,
least squares (``torch.linalg``'s, real matrices, batched over leading dims).

The gradients are the standard real-case formulas (as PyTorch's): they are written with
matmuls, transposes and masks, so they also run on Tensors under ``create_graph``.
Eigenvectors and singular vectors are unique only up to sign (and up to rotation within a
repeated eigenvalue): as in PyTorch, a gradient is meaningful for losses that do not depend
on that choice, and it is not finite at repeated eigen- or singular values.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from lucid._graph import func_op, operation, unary_func_op
from lucid.ops import linalg as _la
from lucid.ops import matrix as _mx
from lucid.tensor import Tensor

TensorLike = Any

__all__ = ["cholesky", "qr", "eigh", "eigvalsh", "svd", "svdvals", "pinv", "lstsq"]

QR = namedtuple("QR", ["Q", "R"])
Eigh = namedtuple("Eigh", ["eigenvalues", "eigenvectors"])
SVD = namedtuple("SVD", ["U", "S", "Vh"])
Lstsq = namedtuple("Lstsq", ["solution", "residuals", "rank", "singular_values"])


def _mT(x: Any) -> Any:
    return x.swapaxes(-1, -2)


def _tril(x: Any, k: int = 0) -> Any:
    """The lower triangle (on and below diagonal k) of the last two dims, as a product with a
    mask, so it is recorded on Tensors."""
    return x * np.tril(np.ones(x.shape[-2:], dtype=bool), k)


def _inv(x: Any) -> Any:
    return _mx.inverse(x) if isinstance(x, Tensor) else np.linalg.inv(x)


def _diag_embed(v: Any) -> Any:
    """Vectors of the last dim on the diagonals of square matrices."""
    return v[..., None] * np.eye(v.shape[-1], dtype=bool)


def _check(op: str, a: np.ndarray, square: bool = False) -> None:
    if a.ndim < 2:
        raise ValueError(f"{op}: expects matrices in the last two dims, got shape {a.shape}")
    if square and a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{op}: expects square matrices in the last two dims, got {a.shape}")
    if a.dtype.kind != "f":
        raise TypeError(f"{op}: expects a floating-point tensor, got {a.dtype}")


# --------------------------------------------------------------------------- Cholesky


class Cholesky(operation):
    """L with A = L L^T (lower);  gA = L^-T P L^-1, P = the symmetrised tril(L^T gL) with the
    diagonal halved, as PyTorch's (not symmetrised: only A's lower triangle is read)."""

    @unary_func_op()
    def forward(self, a: np.ndarray, upper: bool = False) -> np.ndarray:
        _check("cholesky", a, square=True)
        try:
            out = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise ValueError(
                f"cholesky: a matrix of the batch of shape {a.shape} is not positive-definite"
            ) from None
        self.upper = upper
        out = _mT(out) if upper else out
        self.save_for_backward(out)
        return out

    def gradient(self, grad: Any) -> Any:
        (out,) = self.saved_tensors
        low, g = (_mT(out), _mT(grad)) if self.upper else (out, grad)
        m = _tril(_mT(low) @ g)
        p = 0.5 * (m + _mT(_tril(m, -1)))
        inv = _inv(low)
        return _mT(inv) @ p @ inv


def cholesky(a: TensorLike, *, upper: bool = False) -> Tensor:
    """The Cholesky factor of each symmetric positive-definite matrix: lower L with
    ``A = L @ L.mT`` (``upper=True``: ``U = L.mT``); only the lower triangle of A is read.
    ValueError when a matrix is not positive-definite (``torch.linalg.cholesky``)."""
    return Cholesky()(a, upper)


# --------------------------------------------------------------------------- QR


class Qr(operation):
    """A = Q R (reduced);  for m >= n:  gA = [Q (gR + S R^-T) + (gQ - Q Q^T gQ)] R^-T-ish, with
    S = tril(Q^T gQ - gQ^T Q + R gR^T - gR R^T) (see ``gradient``)."""

    @func_op(1, 2)
    def forward(self, a: np.ndarray, mode: str = "reduced") -> tuple:
        _check("qr", a)
        q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        self.wide = a.shape[-2] < a.shape[-1]
        self.complete = mode == "complete" and a.shape[-2] > a.shape[-1]
        self.save_for_backward(q, r)
        return q, r

    def gradient(self, grad: tuple) -> Any:
        if self.wide or self.complete:
            raise NotImplementedError(
                "qr: the gradient is implemented for reduced QR of tall or square matrices "
                "(m >= n) only"
            )
        q, r = self.saved_tensors
        gq, gr = grad
        qdq = _mT(q) @ gq
        rdr = r @ _mT(gr)
        s = _tril(qdq - _mT(qdq) + rdr - _mT(rdr), -1)
        inv_rt = _mT(_inv(r))
        return q @ (gr + s @ inv_rt) + (gq - q @ qdq) @ inv_rt


def qr(a: TensorLike, mode: str = "reduced") -> tuple[Tensor, Tensor]:
    """``(Q, R)`` with ``A = Q @ R``, Q with orthonormal columns, R upper triangular;
    ``mode`` "reduced" (k = min(m, n) columns) or "complete"; "r" is not supported.
    Gradients for reduced QR with m >= n (``torch.linalg.qr``)."""
    if mode not in ("reduced", "complete"):
        raise NotImplementedError(f"qr: mode {mode!r} is not supported (reduced, complete)")
    return QR(*Qr()(a, mode))


# --------------------------------------------------------------------------- eigh


class EighOp(operation):
    """(w, V) with A = V diag(w) V^T;  gA = V (diag(gw) + sym(V^T gV) / (w_j - w_i)) V^T,
    sym(X) = (X - X^T) / 2 (the skew part; the quotient is then symmetric)."""

    @func_op(1, 2)
    def forward(self, a: np.ndarray, uplo: str = "L") -> tuple:
        _check("eigh", a, square=True)
        w, v = np.linalg.eigh(a, UPLO=uplo)
        self.save_for_backward(w, v)
        return w, v

    def gradient(self, grad: tuple) -> Any:
        w, v = self.saved_tensors
        gw, gv = grad
        vgv = _mT(v) @ gv
        skew = 0.5 * (vgv - _mT(vgv))
        n = w.shape[-1]
        gaps = w[..., None, :] - w[..., :, None]  # w_j - w_i
        eye = np.eye(n, dtype=bool)
        with np.errstate(divide="ignore", invalid="ignore"):
            inner = skew / (gaps + eye) * ~eye + _diag_embed(gw)
        return v @ inner @ _mT(v)


def eigh(a: TensorLike, UPLO: str = "L") -> tuple[Tensor, Tensor]:  # noqa: N803 - torch's
    """``(eigenvalues, eigenvectors)`` of symmetric matrices, eigenvalues ascending; only the
    ``UPLO`` triangle is read (``torch.linalg.eigh``)."""
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return Eigh(*EighOp()(a, UPLO))


def eigvalsh(a: TensorLike, UPLO: str = "L") -> Tensor:  # noqa: N803
    """The ascending eigenvalues of symmetric matrices (``torch.linalg.eigvalsh``)."""
    return eigh(a, UPLO)[0]


# --------------------------------------------------------------------------- SVD


class SvdOp(operation):
    """A = U diag(S) Vh (reduced);  the gradient is Townsend's real-case formula."""

    @func_op(1, 3)
    def forward(self, a: np.ndarray, full_matrices: bool = False) -> tuple:
        _check("svd", a)
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        self.full = full_matrices and a.shape[-1] != a.shape[-2]
        self.save_for_backward(u, s, vh)
        return u, s, vh

    def gradient(self, grad: tuple) -> Any:
        if self.full:
            raise NotImplementedError(
                "svd: the gradient with full_matrices=True of a non-square matrix is not "
                "defined (as PyTorch); use full_matrices=False"
            )
        u, s, vh = self.saved_tensors
        gu, gs, gvh = grad
        v, gv = _mT(vh), _mT(gvh)
        k = s.shape[-1]
        eye = np.eye(k, dtype=bool)
        s2 = s * s
        with np.errstate(divide="ignore", invalid="ignore"):
            f = ~eye / (s2[..., None, :] - s2[..., :, None] + eye)  # 1 / (s_j^2 - s_i^2)
        utgu, vtgv = _mT(u) @ gu, _mT(v) @ gv
        core = (
            (f * (utgu - _mT(utgu))) * s[..., None, :]
            + s[..., :, None] * (f * (vtgv - _mT(vtgv)))
            + _diag_embed(gs)
        )
        out = u @ core @ vh
        m, n = u.shape[-2], v.shape[-2]
        if m > k:
            out = out + (gu - u @ utgu) / s[..., None, :] @ vh
        if n > k:
            out = out + u @ (_mT(gv - v @ vtgv) / s[..., :, None])
        return out


def svd(a: TensorLike, full_matrices: bool = True) -> tuple[Tensor, Tensor, Tensor]:
    """``(U, S, Vh)`` with ``A = U @ diag(S) @ Vh``, S descending (``torch.linalg.svd``; its
    default ``full_matrices=True``). Gradients need distinct non-zero singular values, and
    ``full_matrices=False`` unless A is square."""
    return SVD(*SvdOp()(a, full_matrices))


def svdvals(a: TensorLike) -> Tensor:
    """The singular values, descending (``torch.linalg.svdvals``)."""
    return svd(a, full_matrices=False)[1]


# --------------------------------------------------------------------------- pinv, lstsq


class Pinv(operation):
    """P = pinv(A);  gA = -P^T g P^T + (I - A P)^T... (Golub-Pereyra, see ``gradient``)."""

    @unary_func_op()
    def forward(self, a: np.ndarray, rtol: Any = None, hermitian: bool = False) -> np.ndarray:
        _check("pinv", a)
        if rtol is None:
            rtol = max(a.shape[-2:]) * np.finfo(a.dtype).eps
        out = np.linalg.pinv(a, rtol=rtol, hermitian=hermitian)
        self.save_for_backward(a, out)
        return out

    def gradient(self, grad: Any) -> Any:
        a, p = self.saved_tensors
        pt, gt = _mT(p), _mT(grad)
        ap, pa = a @ p, p @ a
        m, n = a.shape[-2], a.shape[-1]
        return (
            -(pt @ grad @ pt)
            + (np.eye(m, dtype=a.dtype) - ap) @ gt @ p @ pt
            + pt @ p @ gt @ (np.eye(n, dtype=a.dtype) - pa)
        )


def pinv(a: TensorLike, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Tensor:
    """The Moore-Penrose pseudo-inverse of each matrix: singular values below
    ``rtol * largest`` are treated as zero (default ``max(m, n) * eps``, PyTorch's).
    The gradient is that of a constant-rank matrix (``torch.linalg.pinv``)."""
    if atol is not None:
        raise NotImplementedError("pinv: atol is not supported; use rtol")
    return Pinv()(a, rtol, hermitian)


def lstsq(a: TensorLike, b: TensorLike, rcond: Any = None, *, driver: Any = None) -> tuple:
    """``(solution, residuals, rank, singular_values)`` of ``min ||A X - B||`` per matrix:
    the solution is ``pinv(A) @ B`` (differentiable in both); as PyTorch's default CPU
    driver 'gelsy', residuals and singular values are empty and rank is returned.
    A 1-D ``b`` is refused, as PyTorch (use ``b[:, None]``)."""
    a = a if isinstance(a, Tensor) else Tensor(a)
    b = b if isinstance(b, Tensor) else Tensor(b)
    if driver not in (None, "gelsy"):
        raise NotImplementedError(f"lstsq: driver {driver!r} is not supported (gelsy)")
    if b.ndim < 2 or a.ndim < 2 or a.shape[-2] != b.shape[-2]:
        raise ValueError(
            f"lstsq: a of shape {a.shape} and b of shape {b.shape} must be matrices with one "
            "number of rows"
        )
    solution = _la.matmul(pinv(a, rtol=rcond), b)
    tol = rcond if rcond is not None else np.finfo(a._data.dtype).eps * max(a.shape[-2:])
    s = np.linalg.svd(a._data, compute_uv=False)
    rank = (s > tol * s[..., :1]).sum(-1).astype(np.int64)
    empty = np.zeros((0,), dtype=a._data.dtype)
    return Lstsq(solution, Tensor._wrap(empty), Tensor._wrap(rank), Tensor._wrap(empty.copy()))
