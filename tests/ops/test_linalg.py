"""Linear algebra ops: matmul, dot, outer, tensordot and einsum against NumPy, finite
differences and PyTorch."""

import operator
from functools import partial

import numpy as np
import pytest

import lucid
from lucid.autograd import gradcheck


def _leaf(data):
    return lucid.tensor(data, dtype=lucid.float64, requires_grad=True)


def _leaves(rng, *shapes):
    return tuple(_leaf(rng.standard_normal(s)) for s in shapes)


def _backward_both(torch, outs, upstream_rng):
    """Backpropagate one random upstream gradient through a Lucid and a PyTorch result."""
    y, yt = outs
    upstream = upstream_rng.standard_normal(yt.shape).astype(np.float32)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)


def _torch_pairs(torch, rng, *shapes):
    data = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    return [
        (lucid.tensor(d, requires_grad=True), torch.tensor(d, requires_grad=True)) for d in data
    ]


def _assert_grads(pairs):
    for x, xt in pairs:
        np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-4, atol=1e-5)


def _assert_matches_torch(torch, rng, fn, torch_fn, *shapes):
    """``fn`` on Lucid leaves and ``torch_fn`` on PyTorch ones: same values and gradients."""
    pairs = _torch_pairs(torch, rng, *shapes)
    _backward_both(torch, (fn(*[p[0] for p in pairs]), torch_fn(*[p[1] for p in pairs])), rng)
    _assert_grads(pairs)


def _assert_follows_numpy_with_gradients(rng, fn, numpy_fn, shape_a, shape_b):
    """``fn(a, b)`` equals ``numpy_fn`` on the same float64 data and passes gradcheck."""
    a, b = _leaves(rng, shape_a, shape_b)
    np.testing.assert_allclose(fn(a, b).numpy(), numpy_fn(a.numpy(), b.numpy()), rtol=1e-12)
    assert gradcheck(fn, (a, b))


# --------------------------------------------------------------------------- matmul


MATMUL_SHAPES = [
    ((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((2, 3, 4), (2, 4, 1)),
]  # fmt: skip


@pytest.mark.parametrize(("shape_a", "shape_b"), MATMUL_SHAPES)
def test_matmul_gradient(shape_a, shape_b, rng):
    assert gradcheck(lucid.matmul, _leaves(rng, shape_a, shape_b))


def test_matmul_gradient_on_transposed_inputs(rng):
    a, b = _leaves(rng, (4, 3), (2, 4))
    assert gradcheck(lambda x, y: x.T @ y.T, (a, b))


@pytest.mark.torch
@pytest.mark.parametrize(("shape_a", "shape_b"), MATMUL_SHAPES)
def test_matmul_matches_torch(shape_a, shape_b, rng):
    torch = pytest.importorskip("torch")
    _assert_matches_torch(torch, rng, operator.matmul, operator.matmul, shape_a, shape_b)


def test_matmul_names_misaligned_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(5, 2\) are not aligned"):
        lucid.matmul(np.ones((3, 4)), np.ones((5, 2)))


# --------------------------------------------------------------------------- dot, outer


DOT_SHAPES = [
    ((4,), (4,)), ((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((), (3,)), ((2, 3), ()),
    ((2, 3, 4), (5, 4, 2)), ((3, 4), (5, 4, 2)), ((4,), (2, 4, 3)),
]  # fmt: skip


@pytest.mark.parametrize(("shape_a", "shape_b"), DOT_SHAPES)
def test_dot_follows_numpy_and_has_gradients(shape_a, shape_b, rng):
    _assert_follows_numpy_with_gradients(rng, lucid.dot, np.dot, shape_a, shape_b)


@pytest.mark.torch
def test_dot_of_vectors_matches_torch(rng):
    torch = pytest.importorskip("torch")
    _assert_matches_torch(torch, rng, lambda a, b: a.dot(b), torch.dot, (5,), (5,))


def test_dot_of_vectors_of_different_lengths_is_refused():
    with pytest.raises(ValueError, match=r"\(3,\) and \(4,\)"):
        lucid.dot(np.ones(3), np.ones(4))


@pytest.mark.parametrize(("shape_a", "shape_b"), [((3,), (4,)), ((2, 3), (4,)), ((), (2,))])
def test_outer_flattens_and_has_gradients(shape_a, shape_b, rng):
    _assert_follows_numpy_with_gradients(rng, lucid.outer, np.outer, shape_a, shape_b)


@pytest.mark.torch
def test_outer_matches_torch(rng):
    torch = pytest.importorskip("torch")
    _assert_matches_torch(torch, rng, lucid.outer, torch.outer, (3,), (4,))


# --------------------------------------------------------------------------- tensordot


TENSORDOT_CASES = [
    ((3, 4), (4, 5), 1), ((2, 3, 4), (3, 4, 5), 2), ((3,), (4,), 0), ((2, 3), (2, 3), 2),
    ((2, 3, 4), (4, 2, 5), ([0, 2], [1, 0])), ((2, 3, 4), (5, 3), ([-2], [-1])),
    ((3, 4, 2), (2, 3), ([2, 0], [0, 1])),
]  # fmt: skip


@pytest.mark.parametrize(("shape_a", "shape_b", "axes"), TENSORDOT_CASES)
def test_tensordot_follows_numpy_and_has_gradients(shape_a, shape_b, axes, rng):
    a, b = _leaves(rng, shape_a, shape_b)
    y = lucid.tensordot(a, b, axes)
    np.testing.assert_allclose(y.numpy(), np.tensordot(a.numpy(), b.numpy(), axes), rtol=1e-12)
    assert gradcheck(lambda x, z: lucid.tensordot(x, z, axes), (a, b))
    assert gradcheck(lambda x, z: lucid.tensordot(x.T.T, z, dims=axes), (a, b))


@pytest.mark.torch
@pytest.mark.parametrize(("shape_a", "shape_b", "axes"), TENSORDOT_CASES)
def test_tensordot_matches_torch(shape_a, shape_b, axes, rng):
    torch = pytest.importorskip("torch")
    ours, theirs = partial(lucid.tensordot, axes=axes), partial(torch.tensordot, dims=axes)
    _assert_matches_torch(torch, rng, ours, theirs, shape_a, shape_b)


def test_tensordot_refuses_mismatched_axes():
    a, b = lucid.tensor(np.ones((2, 3))), lucid.tensor(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"\(2, 3\) and .*\(4, 3\) do not pair up"):
        lucid.tensordot(a, b, ([0], [0]))
    with pytest.raises(ValueError, match="cannot contract 3 axes"):
        lucid.tensordot(a, b, 3)
    with pytest.raises(IndexError, match="axis 2 is out of range"):
        lucid.tensordot(a, b, ([2], [0]))


# --------------------------------------------------------------------------- einsum


EINSUM_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 2)]),
    ("ij,jk", [(3, 4), (4, 2)]),  # implicit: the result is 'ik'
    ("ji,jk", [(4, 3), (4, 2)]),
    ("ij->ji", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("ij", [(3, 4)]),
    ("i,i->", [(5,)]),
    ("i,i", [(5,), (5,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),  # ellipses broadcast
    ("...ij,...jk", [(2, 3, 4), (4, 5)]),
    ("i...,i...->...", [(3, 2, 4), (3, 1, 4)]),
    ("ijk,kj->i", [(2, 3, 4), (4, 3)]),  # j and k summed
    ("ijk->i", [(2, 3, 4)]),  # labels only one operand has
    ("ij,ij->ij", [(1, 3), (2, 3)]),  # a length-1 axis broadcasts
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ii->i", [(4, 4)]),  # diagonal
    ("ii", [(4, 4)]),  # trace
    ("iij->j", [(3, 3, 2)]),
    ("iji,j->i", [(3, 2, 3), (2,)]),
    ("Ab,bC->AC", [(2, 3), (3, 4)]),
]


def _einsum_operands(rng, subscripts, shapes):
    if subscripts == "i,i->":  # one operand used twice: the gradients add up
        (x,) = _leaves(rng, shapes[0])
        return (x, x)
    return _leaves(rng, *shapes)


@pytest.mark.parametrize(("subscripts", "shapes"), EINSUM_CASES)
def test_einsum_follows_numpy_and_has_gradients(subscripts, shapes, rng):
    operands = _einsum_operands(rng, subscripts, shapes)
    y = lucid.einsum(subscripts, *operands)
    expected = np.einsum(subscripts, *[o.numpy() for o in operands])
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12)
    leaves = tuple({id(o): o for o in operands}.values())
    if len(leaves) == len(operands):
        assert gradcheck(lambda *xs: lucid.einsum(subscripts, *xs), leaves)
    else:
        assert gradcheck(lambda x: lucid.einsum(subscripts, x, x), leaves)


@pytest.mark.parametrize(("subscripts", "shapes"), EINSUM_CASES[:6])
def test_einsum_gradient_on_transposed_operands(subscripts, shapes, rng):
    leaves = _leaves(rng, *[s[::-1] for s in shapes])
    assert gradcheck(lambda *xs: lucid.einsum(subscripts, *[x.T for x in xs]), leaves)


@pytest.mark.torch
@pytest.mark.parametrize(("subscripts", "shapes"), [c for c in EINSUM_CASES if c[0] != "i,i->"])
def test_einsum_matches_torch(subscripts, shapes, rng):
    torch = pytest.importorskip("torch")
    pairs = _torch_pairs(torch, rng, *shapes)
    y = lucid.einsum(subscripts, [p[0] for p in pairs])  # one list, as PyTorch allows
    yt = torch.einsum(subscripts, *[p[1] for p in pairs])
    assert y.dtype == np.float32
    _backward_both(torch, (y, yt), rng)
    _assert_grads(pairs)


def test_einsum_above_the_planning_threshold_agrees_with_matmul(rng):
    """A large contraction takes NumPy's planned (BLAS) path; three operands always do."""
    a, b = _leaves(rng, (50, 40), (40, 60))
    a2, b2 = _leaf(a.numpy()), _leaf(b.numpy())
    upstream = rng.standard_normal((50, 60))
    lucid.einsum("ij,jk->ik", a, b).backward(upstream)
    (a2 @ b2).backward(upstream)
    np.testing.assert_allclose(a.grad, a2.grad, rtol=1e-12)
    np.testing.assert_allclose(b.grad, b2.grad, rtol=1e-12)


BAD_EINSUMS = [
    ("ij,jk->ik", [(3, 4)], "2 operand terms for 1 operands"),
    ("ijk,jk->ik", [(3, 4), (4, 2)], "has 3 labels for an operand of 2 axes"),
    ("ij,jk->il", [(3, 4), (4, 2)], "names one that no operand has"),
    ("ij,jk->ii", [(3, 4), (4, 2)], "repeats a label"),
    ("ij,jk->ik", [(3, 4), (5, 2)], "label 'j' stands for lengths 4 and 5"),
    ("i1,jk->ik", [(3, 4), (4, 2)], "not a letter"),
    ("ij->i->j", [(3, 4)], "more than one '->'"),
    ("...ij->ij", [(2, 3, 4)], "names no '...'"),
    ("ii->i", [(3, 4)], "label 'i' stands for lengths 3 and 4"),
]


@pytest.mark.parametrize(("subscripts", "shapes", "message"), BAD_EINSUMS)
def test_bad_einsum_raises_value_error_naming_subscripts_and_shapes(subscripts, shapes, message):
    operands = [np.ones(s) for s in shapes]
    with pytest.raises(ValueError, match=message) as info:
        lucid.einsum(subscripts, *operands)
    assert repr(subscripts) in str(info.value)
    assert str(shapes[0]) in str(info.value)


# --------------------------------------------------------------------------- dtypes


@pytest.mark.parametrize("fn", [
    lambda a, b: a @ b, lucid.dot, lambda a, b: lucid.einsum("ij,jk->ik", a, b),
    lambda a, b: lucid.tensordot(a, b, 1), lambda a, b: lucid.outer(a, b),
])  # fmt: skip
def test_float32_stays_float32(fn, rng):
    a = lucid.tensor(rng.standard_normal((3, 4)), dtype=lucid.float32, requires_grad=True)
    b = lucid.tensor(rng.standard_normal((4, 2)), dtype=lucid.float32, requires_grad=True)
    y = fn(a, b)
    assert y.dtype == np.float32
    y.backward(np.ones(y.shape, np.float32))
    assert a.grad.dtype == b.grad.dtype == np.float32


def test_integer_beside_float_gives_the_float_dtype():
    i = lucid.tensor([[1, 2], [3, 4]])
    f = lucid.tensor([[0.5, 1.0], [1.5, 2.0]])
    assert (i @ f).dtype == np.float32
    assert lucid.einsum("ij,jk", i, f).dtype == np.float32
    assert (i @ i).dtype == np.int64
