"""Linear algebra ops: matmul, dot, outer, tensordot and einsum, with gradients arranged for
BLAS (each gradient is itself a matrix product, tensordot or einsum)."""

from __future__ import annotations

import math
import string
from typing import Any

import numpy as np

from lucid._graph import binary_func_op, operation, poly_func_op
from lucid.kernels import linalg as K
from lucid.ops import _xp
from lucid.ops._args import normalize_axis
from lucid.ops.elementwise import _promote, multiply
from lucid.tensor import Tensor

__all__ = ["matmul", "dot", "outer", "tensordot", "einsum"]


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# --------------------------------------------------------------------------- matmul


def _matmul_shapes_error(a: np.ndarray, b: np.ndarray) -> ValueError:
    ka = a.shape[-1] if a.ndim else None
    kb = b.shape[-2] if b.ndim >= 2 else (b.shape[0] if b.ndim == 1 else None)
    where_b = f"dim {max(b.ndim - 2, 0)}"
    return ValueError(
        f"matmul: shapes {a.shape} and {b.shape} are not aligned: "
        f"{ka} (dim {max(a.ndim - 1, 0)}) != {kb} ({where_b})"
    )


class MatMul(operation):
    """a @ b;  d/da = grad @ b^T, d/db = a^T @ grad (summed over broadcast batch axes)."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: 0-d operands are not allowed, got {a.shape} @ {b.shape}")
        self.save_for_backward(a, b)
        try:
            return np.matmul(*_promote(a, b))
        except ValueError:
            if a.shape[-1] != (b.shape[-2] if b.ndim >= 2 else b.shape[0]):
                raise _matmul_shapes_error(a, b) from None
            raise ValueError(
                f"matmul: batch axes of shapes {a.shape} and {b.shape} cannot be broadcast"
            ) from None

    def gradient(self, grad: np.ndarray) -> tuple:
        a, b = self.saved_tensors
        need_a, need_b = self.parents[0].requires_grad, self.parents[1].requires_grad
        if not _xp.is_tensor(a, b, grad):  # one folded BLAS product per operand
            return K.matmul_backward(*_promote(a, b), grad, need_a, need_b)
        # The same formulas as ops (recorded); the graph layer sums the broadcast batch axes.
        # A 1-D operand is a row (a) or a column (b) meanwhile.
        g = grad
        if b.ndim == 1:
            g = g.reshape(g.shape + (1,))
        if a.ndim == 1:
            g = g.reshape(g.shape[:-1] + (1, g.shape[-1]))
        da = db = None
        if need_a:
            da = g @ (b.reshape(-1, 1) if b.ndim == 1 else b).swapaxes(-1, -2)
            da = da.reshape(da.shape[:-2] + da.shape[-1:]) if a.ndim == 1 else da
        if need_b:
            db = (a.reshape(1, -1) if a.ndim == 1 else a).swapaxes(-1, -2) @ g
            db = db.reshape(db.shape[:-1]) if b.ndim == 1 else db
        return da, db


# --------------------------------------------------------------------------- outer, tensordot


class Outer(operation):
    """a_i b_j of the flattened a and b;  d/da = grad @ b, d/db = a @ grad."""

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a_shape, self.b_shape = a.shape, b.shape
        self.save_for_backward(a, b)  # flattened in the gradient: views, or recorded ops
        return np.outer(*_promote(a, b))

    def gradient(self, grad: np.ndarray) -> tuple:
        a, b = (v.reshape(-1) for v in self.saved_tensors)
        to_a = (grad @ b).reshape(self.a_shape) if self.parents[0].requires_grad else None
        to_b = (a @ grad).reshape(self.b_shape) if self.parents[1].requires_grad else None
        return to_a, to_b


def _axis_list(axes: Any, ndim: int) -> list[int]:
    axes = [axes] if isinstance(axes, int) or hasattr(axes, "__index__") else list(axes)
    return [normalize_axis(int(a), ndim, "tensordot") for a in axes]


class TensorDot(operation):
    """Sum of a * b over paired axes;  each gradient is a tensordot of grad with the other
    operand over its free axes, transposed back to the operand's axis order."""

    def __init__(self, axes: Any) -> None:
        self.axes = axes

    def _pairs(self, a: np.ndarray, b: np.ndarray) -> tuple[list[int], list[int]]:
        axes = self.axes
        if isinstance(axes, int) or hasattr(axes, "__index__"):
            n = int(axes)
            if not 0 <= n <= min(a.ndim, b.ndim):
                raise ValueError(
                    f"tensordot: cannot contract {n} axes of shapes {a.shape} and {b.shape}"
                )
            return list(range(a.ndim - n, a.ndim)), list(range(n))
        try:
            axes_a, axes_b = axes
        except (TypeError, ValueError):
            raise TypeError(
                f"tensordot: axes must be an int or a pair of axis lists, got {axes!r}"
            ) from None
        return _axis_list(axes_a, a.ndim), _axis_list(axes_b, b.ndim)

    @binary_func_op()
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save_for_backward(a, b)
        self.axes_a, self.axes_b = pa, pb = self._pairs(a, b)
        if (
            len(pa) != len(pb)
            or len(set(pa)) != len(pa)
            or len(set(pb)) != len(pb)
            or any(a.shape[i] != b.shape[j] for i, j in zip(pa, pb, strict=True))
        ):
            raise ValueError(
                f"tensordot: axes {pa} of shape {a.shape} and {pb} of shape {b.shape} do not "
                "pair up (each pair of axes must have one length, each axis named once)"
            )
        return np.tensordot(*_promote(a, b), axes=(pa, pb))

    def gradient(self, grad: np.ndarray) -> tuple:
        (a, b), pa, pb = self.saved_tensors, self.axes_a, self.axes_b
        free_a = [i for i in range(a.ndim) if i not in pa]
        free_b = [j for j in range(b.ndim) if j not in pb]
        to_a = to_b = None
        if self.parents[0].requires_grad:
            g = _tensordot(grad, b, (list(range(len(free_a), grad.ndim)), free_b))
            # g's axes: free_a, then b's contracted axes in b's order, each standing for its pair
            held = free_a + [pa[pb.index(j)] for j in sorted(pb)]
            to_a = g.transpose(tuple(int(i) for i in np.argsort(held)))
        if self.parents[1].requires_grad:
            g = _tensordot(a, grad, (free_a, list(range(len(free_a)))))
            held = [pb[pa.index(i)] for i in sorted(pa)] + free_b
            to_b = g.transpose(tuple(int(i) for i in np.argsort(held)))
        return to_a, to_b


def _tensordot(a: Any, b: Any, axes: tuple) -> Any:
    """``np.tensordot`` for arrays, the TensorDot op when either is a tensor (recorded)."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return TensorDot(axes)(a, b)
    return np.tensordot(a, b, axes=axes)


# --------------------------------------------------------------------------- einsum

_LABELS = string.ascii_uppercase + string.ascii_lowercase


def _einsum_error(subscripts: str, shapes: list, why: str) -> ValueError:
    return ValueError(f"einsum: {why}, in subscripts {subscripts!r} for operand shapes {shapes}")


def _parse_einsum(subscripts: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    """One explicit label string per operand and one for the result, ellipses replaced by
    fresh labels (right-aligned, as NumPy broadcasts them). ValueError on anything invalid."""

    def fail(why: str) -> ValueError:
        return _einsum_error(subscripts, shapes, why)

    spec = subscripts.replace(" ", "")
    lhs, arrow, out = spec.partition("->")
    terms = lhs.split(",")
    if "->" in out:
        raise fail("more than one '->'")
    if len(terms) != len(shapes):
        raise fail(f"{len(terms)} operand terms for {len(shapes)} operands")
    for term in [*terms, out]:
        if not all(c in _LABELS for c in term.replace("...", "", 1)):
            raise fail(f"term {term!r} holds a character that is not a letter or one '...'")
    covered = []  # how many axes each operand's ellipsis stands for
    for term, shape in zip(terms, shapes, strict=True):
        n_labels = len(term) - 3 if "..." in term else len(term)
        extra = len(shape) - n_labels
        if extra < 0 or (extra and "..." not in term):
            raise fail(f"term {term!r} has {n_labels} labels for an operand of {len(shape)} axes")
        covered.append(extra)
    n_ell = max(covered, default=0)
    fresh = "".join(c for c in _LABELS if c not in spec)[:n_ell]
    if len(fresh) < n_ell:
        raise fail("too many axes for the 52 labels")
    terms = [t.replace("...", fresh[n_ell - e :]) for t, e in zip(terms, covered, strict=True)]
    if not arrow:  # NumPy's implicit result: the ellipsis axes, then labels used once, sorted
        joined = "".join(terms)
        once = sorted(c for c in set(joined) if joined.count(c) == 1 and c not in fresh)
        out = fresh + "".join(once)
    elif "..." in out:
        out = out.replace("...", fresh)
    elif n_ell:
        raise fail("the operands' '...' stands for axes but the result names no '...'")
    if len(set(out)) != len(out) or not set(out) <= set("".join(terms)):
        raise fail(f"result {out!r} repeats a label or names one that no operand has")
    sizes: dict[str, int] = {}
    for term, shape in zip(terms, shapes, strict=True):
        for c, n in zip(term, shape, strict=True):
            if n != 1 and sizes.setdefault(c, n) != n:  # length 1 broadcasts, as in NumPy
                raise fail(f"label {c!r} stands for lengths {sizes[c]} and {n}")
    return terms, out


# np.einsum(optimize=True) plans a pairwise contraction through BLAS (tensordot) but spends
# ~25 us planning; the plain nested loop wins while the product of all label lengths (its work)
# is small. Measured on float32 matrix products (numpy 2.4, 2 cores): the loop wins at
# 40**3 = 6.4e4, the plan from 48**3 = 1.1e5 on (2.6x at 64**3, 30x at 128**3).
EINSUM_PLAN_MIN_WORK = 80_000


def _einsum(terms: list[str], out: str, *arrays: np.ndarray) -> np.ndarray:
    """np.einsum over explicit terms, planned when there is enough work (or three operands);
    the Einsum op when an operand is a tensor (a recorded gradient)."""
    if any(isinstance(a, Tensor) for a in arrays):
        return Einsum(",".join(terms) + "->" + out)(*arrays)
    sizes: dict[str, int] = {}
    for term, a in zip(terms, arrays, strict=True):
        for c, n in zip(term, a.shape, strict=True):
            sizes[c] = max(sizes.get(c, 1), n)
    plan = len(arrays) > 2 or math.prod(sizes.values()) >= EINSUM_PLAN_MIN_WORK
    return np.einsum(",".join(terms) + "->" + out, *arrays, optimize=plan)


class Einsum(operation):
    """Einstein summation;  the gradient of each operand is the einsum of grad with the other
    operands, broadcast over labels only that operand has and written onto its diagonal where
    a label repeats within it (``'ii->i'``)."""

    def __init__(self, subscripts: str) -> None:
        self.subscripts = subscripts

    @poly_func_op()
    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        self.terms, self.out = _parse_einsum(self.subscripts, [a.shape for a in arrays])
        self.save_for_backward(*arrays)
        if len(arrays) == 2:
            arrays = _promote(*arrays)
        try:
            return _einsum(self.terms, self.out, *arrays)
        except ValueError as exc:
            raise _einsum_error(self.subscripts, [a.shape for a in arrays], str(exc)) from None

    def gradient(self, grad: np.ndarray) -> tuple | np.ndarray:
        arrays = self.saved_tensors
        if len(arrays) == 2 and not _xp.is_tensor(*arrays):
            arrays = _promote(*arrays)
        grads = tuple(
            self._operand_gradient(k, grad, arrays) if t.requires_grad else None
            for k, t in enumerate(self.parents)
        )
        return grads if len(grads) > 1 else grads[0]  # one input: one array, not a tuple

    def _operand_gradient(self, k: int, grad: np.ndarray, arrays: tuple) -> np.ndarray:
        term, x = self.terms[k], arrays[k]
        others = [a for j, a in enumerate(arrays) if j != k]
        other_terms = [t for j, t in enumerate(self.terms) if j != k]
        unique = "".join(dict.fromkeys(term))  # the labels of x, each once, in order
        known = set(self.out).union(*other_terms)
        target = "".join(c for c in unique if c in known)
        g = _einsum([self.out, *other_terms], target, grad, *others)
        size = {c: n for c, n in zip(term, x.shape, strict=True)}
        # labels only x has were summed away: their axes come back as length 1 ...
        g = g.reshape([g.shape[target.index(c)] if c in target else 1 for c in unique])
        # ... and broadcast; axes where x has length 1 but the others more are summed
        wide = tuple(i for i, c in enumerate(unique) if size[c] == 1 and g.shape[i] != 1)
        if wide:
            g = g.sum(axis=wide, keepdims=True)
        g = _xp.broadcast_to(g, tuple(size[c] for c in unique))
        if unique == term:
            return g
        if isinstance(g, Tensor):
            raise RuntimeError(
                f"Einsum cannot be differentiated twice (create_graph=True) for a label "
                f"repeated within one operand ({self.subscripts!r})"
            )
        # a repeated label: the gradient lives on that diagonal of x, zero elsewhere
        full = np.zeros(x.shape, g.dtype)
        strides = [sum(full.strides[i] for i, t in enumerate(term) if t == c) for c in unique]
        diagonal = np.lib.stride_tricks.as_strided(full, g.shape, strides, writeable=True)
        diagonal[...] = g
        return full


# --------------------------------------------------------------------------- public functions


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product ``a @ b`` with NumPy's rules: 1-D operands, broadcast batch axes.

    Result dtype as NumPy's (float32 @ float32 is float32); an integer operand beside a float
    one takes the float's dtype.
    """
    return MatMul()(a, b)


def dot(a: Any, b: Any) -> Tensor:
    """Dot product: ``torch.dot`` for two 1-D tensors (their inner product, a 0-d tensor;
    lengths must match), ``numpy.dot`` otherwise.

    NumPy's rules: a 0-d operand multiplies; 2-D operands (or a 1-D one) give ``matmul``;
    N-D operands sum over the last axis of ``a`` and the second-to-last of ``b``
    (``tensordot(a, b, ([-1], [-2]))``), which differs from ``matmul``'s batching.
    """
    a, b = _tensor(a), _tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    if a.ndim == 1 and b.ndim == 1 and a.shape != b.shape:
        raise ValueError(f"dot: 1-D tensors of shapes {a.shape} and {b.shape} differ in length")
    if a.ndim == 1 or b.ndim <= 2:
        return MatMul()(a, b)
    return TensorDot(([-1], [-2]))(a, b)


def outer(a: Any, b: Any) -> Tensor:
    """Outer product ``a[i] * b[j]`` of the flattened ``a`` and ``b`` (NumPy; PyTorch requires
    1-D inputs); shape ``(a.size, b.size)``."""
    return Outer()(a, b)


def tensordot(a: Any, b: Any, axes: Any = 2, *, dims: Any = None) -> Tensor:
    """Sum of products over paired axes, as ``numpy.tensordot`` (``dims`` is PyTorch's name).

    ``axes=n`` pairs the last n axes of ``a`` with the first n of ``b``; ``axes=(la, lb)``
    pairs ``la[i]`` with ``lb[i]``. The result has ``a``'s free axes, then ``b``'s.
    """
    if dims is not None:
        if axes != 2:
            raise TypeError("tensordot: pass axes or dims, not both")
        axes = dims
    return TensorDot(axes)(a, b)


def einsum(subscripts: str, *operands: Any) -> Tensor:
    """Einstein summation as ``numpy.einsum``/``torch.einsum``: ``'ij,jk->ik'``, implicit
    ``'ij,jk'`` (the result takes the labels used once, sorted) and ellipses
    (``'...ij,...jk->...ik'``, broadcast as NumPy). A label repeated within one operand takes
    its diagonal (``'ii->i'``, ``'ii'`` the trace). Operands may also come as one list, as in
    PyTorch. ValueError naming the subscripts and shapes when they do not fit.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string, got {type(subscripts).__name__}")
    if not operands:
        raise ValueError(f"einsum: no operands for subscripts {subscripts!r}")
    return Einsum(subscripts)(*operands)


class Linear(operation):
    """x @ w.T (+ b);  d/dx = grad @ w, d/dw = grad^T @ x over all leading axes, d/db = sum.

    One op instead of transpose, matmul and add: a layer costs one graph node, and the weight
    gradient is a single BLAS product over the folded batch. The gradient uses only
    operators and methods that Tensors share, so it also runs under ``create_graph``.
    """

    @poly_func_op()
    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        self.save_for_backward(x, w)
        if x.ndim > 2:  # one 2-D GEMM over the folded batch: NumPy loops over stacked ones
            rows = math.prod(x.shape[:-1])
            out = (x.reshape(rows, x.shape[-1]) @ w.T).reshape(*x.shape[:-1], w.shape[0])
        else:
            out = x @ w.T
        if b is None:
            return out
        if b.dtype == out.dtype and out.ndim:
            out += b  # out is fresh: no second array of the output's size
            return out
        return out + b

    def gradient(self, grad: Any) -> tuple:
        x, w = self.saved_tensors
        rows = math.prod(grad.shape[:-1])  # not -1: the batch may be empty
        dx = None
        if self.parents[0].requires_grad:
            if x.ndim > 2:
                dx = (grad.reshape(rows, grad.shape[-1]) @ w).reshape(x.shape)
            else:
                dx = grad @ w
        dw = db = None
        if self.parents[1].requires_grad:
            dw = grad.reshape(rows, grad.shape[-1]).T @ x.reshape(rows, x.shape[-1])
        if len(self.parents) == 3 and self.parents[2].requires_grad:
            db = grad.reshape(rows, grad.shape[-1]).sum(axis=0)
        return (dx, dw) if len(self.parents) == 2 else (dx, dw, db)


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """``x @ weight.T + bias`` as one op: x (..., in), weight (out, in), bias (out,) or None.

    Same as ``torch.nn.functional.linear``; ValueError names the shapes when they disagree.
    """
    x, w = _tensor(x), _tensor(weight)
    if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise ValueError(
            f"linear: input of shape {x.shape} does not match weight of shape {w.shape} "
            f"(out_features, in_features): the input's last dimension must be in_features"
        )
    if bias is None:
        return Linear()(x, w)
    b = _tensor(bias)
    if b.shape != (w.shape[0],):
        raise ValueError(f"linear: bias of shape {b.shape} does not match weight {w.shape}")
    return Linear()(x, w, b)
