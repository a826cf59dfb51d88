"""Layout ops (narrow, roll, rot90, unfold, meshgrid, stacks, *_as, new_*) against PyTorch,
finite differences and their laws."""

# ruff: noqa: B023  (torch_parity calls each lambda at once, inside the loop)

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import lucid
from lucid.autograd import gradcheck, gradgradcheck

# name: (input shapes, lucid fn, torch fn); the same fn runs on both where the names agree
CASES = {
    "narrow": ([(4, 5)], lambda x: x.narrow(1, 1, 3), None),
    "narrow_negative": ([(4, 5)], lambda x: x.narrow(0, -3, 2), None),
    "narrow_empty": ([(0, 5)], lambda x: x.narrow(1, 2, 0), None),
    "select": ([(3, 4, 2)], lambda x: x.select(1, -1), None),
    "swapdims": ([(2, 3, 4)], lambda x: x.swapdims(0, 2), None),
    "movedim": ([(2, 3, 4)], lambda x: x.movedim((0, 1), (2, 0)), None),
    "t": ([(3, 4)], lambda x: x.t(), None),
    "t_1d": ([(3,)], lambda x: x.t(), None),
    "roll_flat": ([(3, 4)], lambda x: x.roll(5), None),
    "roll_dims": ([(3, 4, 2)], lambda x: x.roll((1, -3), (0, 1)), None),
    "roll_empty": ([(0, 4)], lambda x: x.roll(2, 1), None),
    "rot90": ([(3, 4)], lambda x: x.rot90(), None),
    "rot90_k": ([(2, 3, 4)], lambda x: x.rot90(-3, (2, 0)), None),
    "rot90_2": ([(2, 3, 4)], lambda x: x.rot90(2, (1, 2)), None),
    "fliplr": ([(3, 4)], lambda x: x.fliplr(), None),
    "flipud": ([(3, 4)], lambda x: x.flipud(), None),
    "unflatten": ([(2, 12)], lambda x: x.unflatten(1, (3, -1)), None),
    "unfold": ([(2, 7)], lambda x: x.unfold(1, 3, 2), None),
    "unfold_overlap": ([(6, 2)], lambda x: x.unfold(0, 4, 1), None),
    "unfold_0d": ([()], lambda x: x.unfold(0, 1, 1), None),
    "view_as": ([(2, 6), (3, 4)], lambda x, y: x.view_as(y) * y, None),
    "reshape_as": ([(2, 6), (4, 3)], lambda x, y: x.reshape_as(y) + y, None),
    "expand_as": ([(3, 1), (2, 3, 4)], lambda x, y: x.expand_as(y) * y, None),
    "meshgrid_ij": ([(3,), (4,)], lambda x, y: lucid.meshgrid(x, y, indexing="ij"), "meshgrid"),
    "meshgrid_xy": ([(3,), (4,), (2,)], lambda *t: lucid.meshgrid(*t, indexing="xy"), "mesh_xy"),
    "cartesian_prod": ([(3,), (2,)], lambda x, y: lucid.cartesian_prod(x, y), "cartesian"),
    "hstack": ([(2, 3), (2, 1)], lambda x, y: lucid.hstack([x, y]), "hstack"),
    "hstack_1d": ([(3,), (2,)], lambda x, y: lucid.hstack((x, y)), "hstack"),
    "vstack": ([(3,), (2, 3)], lambda x, y: lucid.vstack([x, y]), "vstack"),
    "dstack": ([(2, 3), (2, 3, 2)], lambda x, y: lucid.dstack([x, y]), "dstack"),
    "column_stack": ([(3,), (3, 2), (3,)], None, "column_stack"),
    "atleast_3d": ([(3,), (2, 3), ()], lambda *t: lucid.atleast_3d(*t), "atleast_3d"),
    "atleast_2d": ([()], lambda x: lucid.atleast_2d(x), "atleast_2d"),
    "atleast_1d": ([(), (2,)], lambda *t: lucid.atleast_1d(t), "atleast_1d"),
    "unbind": ([(3, 4)], lambda x: x.unbind(1), None),
    "unbind_empty": ([(0, 2)], lambda x: x.unbind(), None),
    "ravel": ([(3, 4)], lambda x: x.T.ravel(), None),
    "diff": ([(3, 5)], lambda x: x.diff(), None),
    "diff_n_dim": ([(4, 3), (1, 3)], lambda x, p: x.diff(2, 0, prepend=p), "diff"),
    "broadcast_tensors": ([(3, 1), (4,)], lambda *t: lucid.broadcast_tensors(*t), "bcast"),
}


TORCH_FNS = {
    "meshgrid": lambda t: lambda x, y: t.meshgrid(x, y, indexing="ij"),
    "mesh_xy": lambda t: lambda *u: t.meshgrid(*u, indexing="xy"),
    "cartesian": lambda t: lambda x, y: t.cartesian_prod(x, y),
    "hstack": lambda t: lambda x, y: t.hstack([x, y]),
    "vstack": lambda t: lambda x, y: t.vstack([x, y]),
    "dstack": lambda t: lambda x, y: t.dstack([x, y]),
    "column_stack": lambda t: lambda *u: t.column_stack(u),
    "atleast_3d": lambda t: lambda *u: t.atleast_3d(*u),
    "atleast_2d": lambda t: lambda x: t.atleast_2d(x),
    "atleast_1d": lambda t: lambda *u: t.atleast_1d(u),
    "diff": lambda t: lambda x, p: x.diff(2, 0, prepend=p),
    "bcast": lambda t: lambda *u: t.broadcast_tensors(*u),
}


def _lucid_fn(name):
    shapes, fn, _ = CASES[name]
    return shapes, fn or (lambda *u: lucid.column_stack(u))


@pytest.mark.torch
@pytest.mark.parametrize("name", CASES)
def test_layout_op_matches_torch(name, torch_parity, rng):
    torch = pytest.importorskip("torch")
    shapes, fn = _lucid_fn(name)
    torch_name = CASES[name][2]
    tfn = TORCH_FNS[torch_name](torch) if torch_name else fn
    torch_parity(fn, tfn, *[rng.standard_normal(s) for s in shapes])


@pytest.mark.parametrize("name", [n for n in CASES if not n.endswith("empty")])
def test_layout_op_gradcheck(name, rng):
    shapes, fn = _lucid_fn(name)
    xs = [lucid.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    assert gradcheck(fn, xs)


@pytest.mark.parametrize("name", ["roll_dims", "unfold_overlap", "rot90_k", "narrow"])
def test_layout_op_gradgradcheck(name, rng):
    shapes, fn = _lucid_fn(name)
    xs = [lucid.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    assert gradgradcheck(lambda *t: fn(*[u * u for u in t]), xs)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=5)),
       st.integers(-7, 7), st.integers(-7, 7))  # fmt: skip
def test_roll_composes_and_inverts(data, a, b):
    x = lucid.tensor(data)
    np.testing.assert_array_equal(x.roll(a, 0).roll(b, 0).numpy(), x.roll(a + b, 0).numpy())
    np.testing.assert_array_equal(x.roll(a).roll(-a).numpy(), data)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, array_shapes(min_dims=2, max_dims=3, max_side=4)), st.integers(-5, 5))
def test_rot90_four_times_is_the_identity_and_k_adds(data, k):
    x = lucid.tensor(data)
    np.testing.assert_array_equal(x.rot90(k).rot90(4 - k).numpy(), data)
    np.testing.assert_array_equal(x.rot90(k).rot90(1).numpy(), x.rot90(k + 1).numpy())


def test_new_factories_take_the_dtype_and_memory_queries():
    x = lucid.zeros(2, 3, dtype=lucid.float64)
    assert x.new_zeros(4).dtype == np.float64 and x.new_ones((2, 2)).shape == (2, 2)
    assert x.new_full((3,), 7).numpy().tolist() == [7.0, 7.0, 7.0]
    assert x.new_empty(2, 1).shape == (2, 1) and x.new_empty(2, 1).dtype == np.float64
    assert x.new_tensor([1, 2]).dtype == np.float64
    assert x.new_zeros(2, dtype=lucid.int64).dtype == np.int64
    y = lucid.tensor(np.arange(24.0).reshape(2, 3, 4))
    assert y.stride() == (12, 4, 1) and y.stride(1) == 4 and y.T.stride() == (1, 4, 12)
    assert y.storage_offset() == 0 and y.is_contiguous() and y.contiguous() is y
    assert y.clone(memory_format=None).numpy().tolist() == y.numpy().tolist()
    assert x.type_as(y.long()).dtype == np.int64 and lucid.numel(y) == 24 == y.nelement()


@pytest.mark.torch
def test_index_helpers_match_torch():
    torch = pytest.importorskip("torch")
    for row, col, offset in [(3, 4, 0), (4, 3, -1), (3, 3, 2), (0, 2, 0)]:
        for name in ("tril_indices", "triu_indices"):
            got = getattr(lucid, name)(row, col, offset).numpy()
            np.testing.assert_array_equal(got, getattr(torch, name)(row, col, offset).numpy())
    assert lucid.broadcast_shapes((3, 1), (4,), 4) == tuple(
        torch.broadcast_shapes((3, 1), (4,), 4)
    )
    with pytest.raises(ValueError, match="do not broadcast"):
        lucid.broadcast_shapes((3,), (4,))


ERRORS = {
    "narrow_range": (IndexError, "do not fit", lambda x: x.narrow(1, 2, 5)),
    "select_range": (IndexError, "out of range", lambda x: x.select(0, 4)),
    "t_3d": (ValueError, "at most 2", lambda x: x.reshape(1, 2, 3).t()),
    "roll_lengths": (ValueError, "2 shifts for 1 dims", lambda x: x.roll((1, 2), 0)),
    "rot90_dims": (ValueError, "twice", lambda x: x.rot90(1, (0, 0))),
    "unflatten_sizes": (ValueError, "do not multiply", lambda x: x.unflatten(1, (2, 2))),
    "unfold_size": (ValueError, "size 5", lambda x: x.unfold(1, 5, 1)),
    "meshgrid_indexing": (ValueError, "indexing", lambda x: lucid.meshgrid(x[0], indexing="q")),
    "meshgrid_2d": (ValueError, "1-D", lambda x: lucid.meshgrid(x, x)),
    "fliplr_1d": (ValueError, "at least 2", lambda x: x[0].fliplr()),
}


@pytest.mark.parametrize("name", ERRORS)
def test_layout_ops_reject_bad_input(name):
    error, match, fn = ERRORS[name]
    with pytest.raises(error, match=match):
        fn(lucid.tensor(np.arange(6.0).reshape(2, 3)))
