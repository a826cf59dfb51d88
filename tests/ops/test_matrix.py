"""Matrix-structure ops (tril/triu, diagonals, BLAS names, cross, cdist, inv/det/solve and
lucid.linalg) against PyTorch, finite differences and their laws."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import lucid
from lucid.autograd import gradcheck, gradgradcheck


def _well_conditioned(rng, shape):
    n = shape[-1]
    return rng.standard_normal(shape) + 3 * np.eye(n)


# name: (input shapes, lucid fn, torch fn or None for the same spelling)
CASES = {
    "tril": ([(4, 5)], lambda x: x.tril(), None),
    "tril_k": ([(2, 4, 3)], lambda x: x.tril(-1), None),
    "triu": ([(4, 5)], lambda x: x.triu(2), None),
    "triu_empty": ([(0, 3)], lambda x: x.triu(), None),
    "diagonal": ([(4, 5)], lambda x: x.diagonal(), None),
    "diagonal_offset": ([(3, 4, 5)], lambda x: x.diagonal(-1, 2, 0), None),
    "diagonal_far": ([(3, 4)], lambda x: x.diagonal(7), None),
    "diag_1d": ([(4,)], lambda x: x.diag(1), None),
    "diag_2d": ([(4, 3)], lambda x: x.diag(-1), None),
    "diag_embed": ([(2, 3)], lambda x: x.diag_embed(), None),
    "diag_embed_dims": ([(2, 3)], lambda x: x.diag_embed(-1, 0, 2), None),
    "trace": ([(4, 3)], lambda x: x.trace(), None),
    "block_diag": ([(2, 2), (3,), ()], lambda *t: lucid.block_diag(*t), "block_diag"),
    "mm": ([(3, 4), (4, 2)], lambda a, b: a.mm(b), None),
    "bmm": ([(2, 3, 4), (2, 4, 5)], lambda a, b: a.bmm(b), None),
    "mv": ([(3, 4), (4,)], lambda a, b: a.mv(b), None),
    "ger": ([(3,), (4,)], lambda a, b: a.ger(b), "outer"),
    "outer": ([(3,), (4,)], lambda a, b: a.outer(b), None),
    "addmm": ([(3, 2), (3, 4), (4, 2)], lambda x, a, b: x.addmm(a, b, beta=0.5, alpha=2), None),
    "addmm_broadcast": ([(2,), (3, 4), (4, 2)], lambda x, a, b: lucid.addmm(x, a, b), "addmm"),
    "addmv": ([(3,), (3, 4), (4,)], lambda x, a, b: x.addmv(a, b, alpha=-1), None),
    "addr": ([(3, 4), (3,), (4,)], lambda x, a, b: x.addr(a, b, beta=2), None),
    "baddbmm": ([(2, 3, 5), (2, 3, 4), (2, 4, 5)], lambda x, a, b: x.baddbmm(a, b), None),
    "addbmm": ([(3, 5), (2, 3, 4), (2, 4, 5)], lambda x, a, b: x.addbmm(a, b, beta=3), None),
    "cross": ([(4, 3), (4, 3)], lambda a, b: a.cross(b, dim=1), None),
    "cross_default": ([(3, 4), (3, 1)], lambda a, b: lucid.cross(a, b), "cross0"),
    "cdist": ([(5, 3), (4, 3)], lambda a, b: lucid.cdist(a, b), "cdist"),
    "cdist_p1": ([(2, 5, 3), (2, 4, 3)], lambda a, b: lucid.cdist(a, b, 1.0), "cdist1"),
    "cdist_inf": ([(5, 3), (4, 3)], lambda a, b: lucid.cdist(a, b, float("inf")), "cdistinf"),
}

TORCH_FNS = {
    "block_diag": lambda t: lambda *u: t.block_diag(*u),
    "outer": lambda t: lambda a, b: t.outer(a, b),
    "addmm": lambda t: lambda x, a, b: t.addmm(x, a, b),
    "cross0": lambda t: lambda a, b: t.cross(a, b, dim=0),
    "cdist": lambda t: lambda a, b: t.cdist(a, b),
    "cdist1": lambda t: lambda a, b: t.cdist(a, b, 1.0),
    "cdistinf": lambda t: lambda a, b: t.cdist(a, b, float("inf")),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", CASES)
def test_matrix_op_matches_torch(name, torch_parity, rng):
    torch = pytest.importorskip("torch")
    shapes, fn, torch_name = CASES[name]
    tfn = TORCH_FNS[torch_name](torch) if torch_name else fn
    torch_parity(fn, tfn, *[rng.standard_normal(s) for s in shapes], rtol=1e-9)


@pytest.mark.parametrize("name", [n for n in CASES if not n.endswith("empty")])
def test_matrix_op_gradcheck(name, rng):
    shapes, fn, _ = CASES[name]
    xs = [lucid.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    assert gradcheck(fn, xs)


@pytest.mark.parametrize(
    "name", ["tril_k", "diagonal_offset", "diag_embed_dims", "cross", "cdist"]
)
def test_matrix_op_gradgradcheck(name, rng):
    shapes, fn, _ = CASES[name]
    xs = [lucid.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    assert gradgradcheck(fn, xs)


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1)])
def test_inverse_det_logdet_solve_match_torch(shape, torch_parity, rng):
    torch = pytest.importorskip("torch")
    a = _well_conditioned(rng, shape)
    torch_parity(lambda x: x.inverse(), lambda x: x.inverse(), a, rtol=1e-9)
    torch_parity(lambda x: lucid.linalg.inv(x), lambda x: torch.linalg.inv(x), a, rtol=1e-9)
    torch_parity(lambda x: x.det(), lambda x: x.det(), a, rtol=1e-9)
    torch_parity(lambda x: lucid.logdet(x * x), lambda x: torch.logdet(x * x), a, rtol=1e-9)
    torch_parity(lambda x: lucid.linalg.slogdet(x), lambda x: torch.linalg.slogdet(x), a,
                 rtol=1e-9)  # fmt: skip
    b = rng.standard_normal(shape[:-1] + (2,))
    torch_parity(lambda x, y: lucid.linalg.solve(x, y), lambda x, y: torch.linalg.solve(x, y),
                 a, b, rtol=1e-9)  # fmt: skip
    v = rng.standard_normal(shape[:-1])
    torch_parity(lambda x, y: lucid.linalg.solve(x, y), lambda x, y: torch.linalg.solve(x, y),
                 a, v, rtol=1e-9)  # fmt: skip


@pytest.mark.parametrize("fn", [lambda a: a.inverse(), lambda a: a.det(),
                                lambda a: lucid.linalg.solve(a, a[..., :1] * 2 + 1)])  # fmt: skip
def test_inverse_det_solve_gradcheck_and_gradgradcheck(fn, rng):
    a = lucid.tensor(_well_conditioned(rng, (2, 3, 3)), requires_grad=True)
    assert gradcheck(fn, (a,))
    assert gradgradcheck(fn, (a,))


@pytest.mark.torch
@pytest.mark.parametrize("ord_,dim", [(None, None), (2, 1), (1, (0, 1)), ("fro", (0, 1)),
                                      (float("inf"), 0), ("nuc", (0, 1))])  # fmt: skip
def test_linalg_norms_match_torch(ord_, dim, torch_parity, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((4, 3))
    torch_parity(
        lambda a: lucid.linalg.norm(a, ord_, dim), lambda a: torch.linalg.norm(a, ord_, dim), x
    )
    torch_parity(
        lambda a: lucid.linalg.vector_norm(a, 3, dim=1, keepdim=True),
        lambda a: torch.linalg.vector_norm(a, 3, dim=1, keepdim=True),
        x,
    )
    torch_parity(lambda a: lucid.linalg.matrix_norm(a), lambda a: torch.linalg.matrix_norm(a), x)
    torch_parity(lambda a: lucid.linalg.cross(a[:, :3], a[:, :3] ** 2),
                 lambda a: torch.linalg.cross(a[:, :3], a[:, :3] ** 2), x)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, array_shapes(min_dims=2, max_dims=3, max_side=5),
              elements=st.floats(-100, 100)), st.integers(-6, 6))  # fmt: skip
def test_tril_plus_triu_minus_the_diagonal_is_x(data, k):
    x = lucid.tensor(data)
    band = lucid.tril(x, k) + lucid.triu(x, k) - lucid.tril(lucid.triu(x, k), k)
    np.testing.assert_array_equal(band.numpy(), data)
    np.testing.assert_array_equal((lucid.tril(x, k) + lucid.triu(x, k + 1)).numpy(), data)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=5)), st.integers(-3, 3))
def test_diagonal_of_diag_embed_is_x(data, k):
    x = lucid.tensor(data)
    np.testing.assert_array_equal(x.diag_embed(k).diagonal(k, -2, -1).numpy(), data)


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(3, 3), (7, 3), (3, 5), (2, 2, 2)])
@pytest.mark.parametrize("wrap", [False, True])
def test_in_place_triangles_and_fill_diagonal_match_torch(shape, wrap, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal(shape)
    x, xt = lucid.tensor(data), torch.tensor(data)
    assert x.fill_diagonal_(-2.0, wrap) is x
    xt.fill_diagonal_(-2.0, wrap)
    np.testing.assert_array_equal(x.numpy(), xt.numpy())
    if len(shape) == 2:
        x.tril_(1), xt.tril_(1)
        x.triu_(-1), xt.triu_(-1)
        np.testing.assert_array_equal(x.numpy(), xt.numpy())
    with pytest.raises(RuntimeError, match="tril_"):
        lucid.tensor(data, requires_grad=True).tril_()


ERRORS = {
    "tril_1d": (ValueError, "at least 2", lambda x: x[0].tril()),
    "diagonal_same": (ValueError, "both dim 0", lambda x: x.diagonal(0, 0, -2)),
    "diag_3d": (ValueError, "1-D or 2-D", lambda x: x.reshape(1, 2, 3).diag()),
    "trace_1d": (ValueError, "2-D", lambda x: x[0].trace()),
    "mm_3d": (ValueError, "must be 2-D", lambda x: x.mm(x.reshape(1, 3, 2))),
    "bmm_batch": (
        ValueError,
        "batch",
        lambda x: lucid.bmm(x.reshape(2, 1, 3), x.reshape(1, 3, 2)),
    ),
    "cross_length": (ValueError, "length 3", lambda x: lucid.cross(x, x, 0)),
    "cdist_dims": (ValueError, "equal last dims", lambda x: lucid.cdist(x, x.T)),
    "inverse_square": (ValueError, "square", lambda x: x.inverse()),
    "inverse_singular": (ValueError, "singular", lambda x: lucid.zeros(2, 2).inverse()),
    "det_int": (TypeError, "floating", lambda x: lucid.det(lucid.zeros(2, 2, dtype=lucid.int64))),
    "matrix_norm_ord": (ValueError, "order", lambda x: lucid.linalg.matrix_norm(x, 3)),
    "fill_diagonal_dims": (
        ValueError,
        "all dims equal",
        lambda x: x.reshape(1, 2, 3).fill_diagonal_(0),
    ),
}


@pytest.mark.parametrize("name", ERRORS)
def test_matrix_ops_reject_bad_input(name):
    error, match, fn = ERRORS[name]
    with pytest.raises(error, match=match):
        fn(lucid.tensor(np.arange(6.0).reshape(2, 3)))
