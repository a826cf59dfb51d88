"""Shape ops: gradients, PyTorch parity, NumPy semantics, views, dtypes and bad input."""

import numpy as np
import pytest

import lucid
from lucid.autograd import gradcheck
from lucid.ops.shape import pad_torch

# name -> (input shape, function); the function may return a tensor or a tuple of them
GRAD_CASES = {
    "reshape": ((2, 3, 4), lambda x: x.reshape(4, -1)),
    "reshape_0d": ((), lambda x: x.reshape(1, 1)),
    "view_tuple": ((2, 3, 4), lambda x: x.view((6, 4))),
    "transpose_reverse": ((2, 3, 4), lambda x: x.transpose()),
    "transpose_perm": ((2, 3, 4), lambda x: lucid.transpose(x, (1, 2, 0))),
    "transpose_two_ints": ((2, 3, 4), lambda x: x.transpose(0, -1)),
    "permute": ((2, 3, 4), lambda x: x.permute(2, 0, 1)),
    "T": ((2, 3, 4), lambda x: x.T),
    "swapaxes": ((2, 3, 4), lambda x: x.swapaxes(-1, 0)),
    "moveaxis": ((2, 3, 4), lambda x: lucid.moveaxis(x, (0, -1), (-1, 0))),
    "squeeze_all": ((2, 1, 3, 1), lambda x: x.squeeze()),
    "squeeze_dim": ((2, 1, 3, 1), lambda x: x.squeeze(dim=-1)),
    "squeeze_0d": ((), lambda x: x.squeeze()),
    "unsqueeze": ((2, 3), lambda x: x.unsqueeze(-1)),
    "unsqueeze_0d": ((), lambda x: x.unsqueeze(0)),
    "expand_dims_tuple": ((2, 3), lambda x: lucid.expand_dims(x, (0, 2))),
    "flatten": ((2, 3, 4), lambda x: x.flatten()),
    "flatten_range": ((2, 3, 4, 2), lambda x: x.flatten(1, -2)),
    "flatten_0d": ((), lambda x: lucid.flatten(x)),
    "broadcast_to": ((3, 1), lambda x: x.broadcast_to(2, 3, 4)),
    "broadcast_to_0d": ((), lambda x: lucid.broadcast_to(x, (2, 3))),
    "expand": ((3, 1), lambda x: x.expand(2, -1, 4)),
    "concatenate": ((2, 3), lambda x: lucid.concatenate([x, 2 * x[:, :2], x], axis=-1)),
    "cat_one": ((2, 3), lambda x: lucid.cat([x], dim=0)),
    "concatenate_none": ((2, 3), lambda x: lucid.concatenate([x, x[0]], axis=None)),
    "stack": ((2, 3), lambda x: lucid.stack([x, 3 * x], axis=1)),
    "stack_0d": ((), lambda x: lucid.stack([x, 2 * x, x])),
    "split_size": ((5, 6), lambda x: lucid.split(x, 4, dim=1)),
    "split_sizes": ((5, 3), lambda x: lucid.split(x, [1, 0, 4])),
    "split_one": ((4, 2), lambda x: x.split(1)),
    "tensor_split_sections": ((4, 7), lambda x: lucid.tensor_split(x, 3, dim=1)),
    "tensor_split_indices": ((5, 3), lambda x: lucid.tensor_split(x, [1, -2, 9])),
    "chunk": ((7, 2), lambda x: lucid.chunk(x, 3)),
    "chunk_dim": ((2, 5), lambda x: x.chunk(2, dim=-1)),
    "repeat_interleave_int": ((2, 3), lambda x: lucid.repeat_interleave(x, 2, dim=1)),
    "repeat_interleave_counts": ((2, 3), lambda x: x.repeat_interleave([2, 0, 3], dim=-1)),
    "repeat_interleave_flat": ((2, 3), lambda x: lucid.repeat_interleave(x, 2)),
    "repeat_interleave_0d": ((), lambda x: lucid.repeat_interleave(x, 3)),
    "repeat": ((2, 3), lambda x: x.repeat(2, 1, 3)),
    "repeat_0d": ((), lambda x: x.repeat(2, 3)),
    "repeat_interleave": ((2, 3), lambda x: lucid.repeat_interleave(x, 2, dim=0)),
    "tile": ((2, 3), lambda x: x.tile(2, 1)),
    "tile_more_reps": ((2, 3), lambda x: lucid.tile(x, (2, 1, 3))),
    "tile_fewer_reps": ((2, 3), lambda x: lucid.tile(x, 2)),
    "tile_0d": ((), lambda x: lucid.tile(x, (2, 3))),
    "pad_constant": ((2, 3), lambda x: lucid.pad(x, ((1, 0), (2, 1)), constant_values=0.5)),
    "pad_edge": ((2, 3), lambda x: lucid.pad(x, 2, mode="edge")),
    "pad_reflect": ((3, 4), lambda x: lucid.pad(x, (2, 5), mode="reflect")),
    "pad_symmetric": ((3, 4), lambda x: lucid.pad(x, ((1, 2), (0, 3)), mode="symmetric")),
    "pad_wrap": ((3, 4), lambda x: lucid.pad(x, ((4, 1), (2, 2)), mode="wrap")),
    "pad_torch": ((2, 3, 4), lambda x: pad_torch(x, (1, 2, 0, 1), mode="replicate")),
    "flip": ((2, 3, 4), lambda x: x.flip(0, -1)),
    "flip_all": ((2, 3), lambda x: lucid.flip(x)),
    "flip_0d": ((), lambda x: lucid.flip(x)),
    # non-contiguous inputs: a transposed or strided view goes into the op
    "reshape_of_transposed": ((3, 4), lambda x: x.T.reshape(-1)),
    "concatenate_of_strided": ((4, 6), lambda x: lucid.concatenate([x[::2], x[1::2, ::-1]])),
    "split_of_transposed": ((4, 6), lambda x: lucid.tensor_split(x.T, [2, 3], dim=1)),
    "pad_of_flipped": ((3, 4), lambda x: lucid.pad(x.flip(1)[:, ::2], 1, mode="reflect")),
    "repeat_of_transposed": ((3, 4), lambda x: lucid.repeat_interleave(x.T, [1, 2, 0], 1)),
}


@pytest.mark.parametrize("name", GRAD_CASES)
def test_shape_op_gradient_matches_finite_differences(name, rng):
    shape, fn = GRAD_CASES[name]
    x = lucid.tensor(rng.standard_normal(shape), dtype=lucid.float64, requires_grad=True)
    assert gradcheck(fn, (x,))


def test_concatenate_and_stack_gradients_reach_every_input(rng):
    a, b = (lucid.tensor(rng.standard_normal((2, 3)), dtype=lucid.float64, requires_grad=True)
            for _ in range(2))  # fmt: skip
    c = lucid.tensor(rng.standard_normal((2, 1)), dtype=lucid.float64, requires_grad=True)
    assert gradcheck(lambda a, b, c: lucid.concatenate([a, c, b], axis=1), (a, b, c))
    assert gradcheck(lambda a, b: lucid.stack([b, a], axis=-1), (a, b))


def test_split_gives_zero_gradient_to_unused_pieces(rng):
    x = lucid.tensor(rng.standard_normal((6, 2)), requires_grad=True)
    _, middle, _ = lucid.split(x, 2)
    upstream = rng.standard_normal((2, 2)).astype(np.float32)
    middle.backward(upstream)
    expected = np.zeros((6, 2), np.float32)
    expected[2:4] = upstream
    np.testing.assert_array_equal(x.grad, expected)


# --------------------------------------------------------------------------- PyTorch parity


def _lucid_backward(out, upstream):
    outs = out if isinstance(out, tuple) else (out,)
    total = sum((o * u).sum() for o, u in zip(outs, upstream, strict=True))
    total.backward()


def _torch_backward(torch, out, upstream):
    outs = out if isinstance(out, tuple) else (out,)
    sum((o * torch.tensor(u)).sum() for o, u in zip(outs, upstream, strict=True)).backward()


# name -> (input shape, lucid function, torch function of (torch, x))
TORCH_CASES = {
    "reshape": ((2, 3, 4), lambda x: x.view(3, -1), lambda t, x: x.view(3, -1)),
    "transpose": ((2, 3, 4), lambda x: x.transpose(2, 0), lambda t, x: x.transpose(2, 0)),
    "permute": ((2, 3, 4), lambda x: x.permute(1, 2, 0), lambda t, x: x.permute(1, 2, 0)),
    "T": ((2, 3, 4), lambda x: x.T, lambda t, x: x.permute(2, 1, 0)),
    "movedim": ((2, 3, 4), lambda x: lucid.movedim(x, 0, 2), lambda t, x: t.movedim(x, 0, 2)),
    "squeeze": ((2, 1, 3), lambda x: x.squeeze(1), lambda t, x: x.squeeze(1)),
    "squeeze_not_1": ((2, 1, 3), lambda x: x.squeeze(0), lambda t, x: x.squeeze(0)),
    "unsqueeze": ((2, 3), lambda x: x.unsqueeze(-2), lambda t, x: x.unsqueeze(-2)),
    "flatten": ((2, 3, 4, 5), lambda x: x.flatten(1, 2), lambda t, x: x.flatten(1, 2)),
    "expand": ((3, 1), lambda x: x.expand(2, 3, 4), lambda t, x: x.expand(2, 3, 4)),
    "broadcast_to": (
        (1, 4),
        lambda x: lucid.broadcast_to(x, (3, 4)),
        lambda t, x: t.broadcast_to(x, (3, 4)),
    ),
    "cat": (
        (2, 3),
        lambda x: lucid.cat([x, x[:, 1:] * 2], dim=1),
        lambda t, x: t.cat([x, x[:, 1:] * 2], dim=1),
    ),
    "stack": ((2, 3), lambda x: lucid.stack([x, -x], dim=2), lambda t, x: t.stack([x, -x], 2)),
    "split_indices": (
        (7, 2),
        lambda x: lucid.tensor_split(x, [2, 5]),
        lambda t, x: t.tensor_split(x, [2, 5]),
    ),
    "tensor_split_uneven": ((7, 2), lambda x: x.tensor_split(3), lambda t, x: x.tensor_split(3)),
    "split_size": ((7, 2), lambda x: x.split(3), lambda t, x: x.split(3)),
    "split_sizes": (
        (2, 7),
        lambda x: lucid.split(x, [2, 0, 5], 1),
        lambda t, x: t.split(x, [2, 0, 5], 1),
    ),
    "chunk_10_in_4": ((10, 2), lambda x: x.chunk(4), lambda t, x: x.chunk(4)),
    "chunk_6_in_4": ((3, 6), lambda x: x.chunk(4, dim=1), lambda t, x: x.chunk(4, dim=1)),
    "repeat": (
        (2, 3),
        lambda x: x.repeat_interleave(lucid.tensor([1, 3, 2]), dim=1),
        lambda t, x: t.repeat_interleave(x, t.tensor([1, 3, 2]), dim=1),
    ),
    "repeat_tiles": ((2, 3), lambda x: x.repeat(2, 1, 3), lambda t, x: x.repeat(2, 1, 3)),
    "tile": ((2, 3), lambda x: x.tile(2, 1, 3), lambda t, x: x.tile(2, 1, 3)),
    "flip": ((2, 3, 4), lambda x: x.flip(0, 2), lambda t, x: x.flip(0, 2)),
    "pad_constant": (
        (2, 3, 4),
        lambda x: pad_torch(x, (1, 2, 0, 3), value=1.5),
        lambda t, x: t.nn.functional.pad(x, (1, 2, 0, 3), value=1.5),
    ),
    "pad_reflect": (
        (2, 3, 5),
        lambda x: pad_torch(x, (2, 3), mode="reflect"),
        lambda t, x: t.nn.functional.pad(x, (2, 3), mode="reflect"),
    ),
    "pad_replicate": (
        (2, 2, 3, 4),
        lambda x: pad_torch(x, (1, 2, 3, 0), mode="replicate"),
        lambda t, x: t.nn.functional.pad(x, (1, 2, 3, 0), mode="replicate"),
    ),
    "pad_circular": (
        (2, 2, 3, 4),
        lambda x: pad_torch(x, (1, 2, 2, 1), mode="circular"),
        lambda t, x: t.nn.functional.pad(x, (1, 2, 2, 1), mode="circular"),
    ),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", TORCH_CASES)
def test_shape_op_matches_torch(name, rng):
    torch = pytest.importorskip("torch")
    shape, fn, torch_fn = TORCH_CASES[name]
    data = rng.standard_normal(shape).astype(np.float32)
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, out_t = fn(x), torch_fn(torch, xt)
    outs = out if isinstance(out, tuple) else (out,)
    outs_t = out_t if isinstance(out_t, tuple) else (out_t,)
    assert len(outs) == len(outs_t)
    for o, ot in zip(outs, outs_t, strict=True):
        assert o.dtype == np.float32
        np.testing.assert_allclose(o.numpy(), ot.detach().numpy(), rtol=1e-6, atol=1e-6)
    upstream = [rng.standard_normal(o.shape).astype(np.float32) for o in outs]
    _lucid_backward(out, upstream)
    _torch_backward(torch, out_t, upstream)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- NumPy semantics

NUMPY_CASES = {
    "tensor_split_sections": (
        lambda x: lucid.tensor_split(x, 4, dim=1),
        lambda a: np.array_split(a, 4, axis=1),
    ),
    "tensor_split_indices": (
        lambda x: lucid.tensor_split(x, [1, 3]),
        lambda a: np.split(a, [1, 3]),
    ),
    "hsplit": (lambda x: lucid.hsplit(x, 3), lambda a: np.hsplit(a, 3)),
    "vsplit": (lambda x: lucid.vsplit(x, [1]), lambda a: np.vsplit(a, [1])),
    "repeat_interleave": (lambda x: lucid.repeat_interleave(x, 3), lambda a: np.repeat(a, 3)),
    "repeat": (lambda x: x.repeat(2, 3), lambda a: np.tile(a, (2, 3))),
    "tile": (lambda x: lucid.tile(x, 3), lambda a: np.tile(a, 3)),
    "pad": (
        lambda x: lucid.pad(x, ((2, 0), (1, 3)), mode="symmetric"),
        lambda a: np.pad(a, ((2, 0), (1, 3)), mode="symmetric"),
    ),
    "concatenate_none": (
        lambda x: lucid.concatenate([x, x], axis=None),
        lambda a: np.concatenate([a, a], axis=None),
    ),
    "flip_all": (lambda x: lucid.flip(x), lambda a: np.flip(a)),
    "moveaxis": (lambda x: lucid.moveaxis(x, -1, 0), lambda a: np.moveaxis(a, -1, 0)),
    "transpose_perm": (lambda x: lucid.transpose(x, (1, 0)), lambda a: np.transpose(a, (1, 0))),
    "transpose_identity": (lambda x: lucid.transpose(x, [0, 1]), lambda a: a),
    "transpose_two_ints": (lambda x: x.transpose(0, 1), lambda a: a.T),
}


@pytest.mark.parametrize("name", NUMPY_CASES)
def test_shape_op_matches_numpy(name, rng):
    fn, np_fn = NUMPY_CASES[name]
    data = rng.standard_normal((4, 6)).astype(np.float32)
    out, expected = fn(lucid.tensor(data)), np_fn(data)
    outs = out if isinstance(out, tuple) else (out,)
    expected = expected if isinstance(expected, list) else [expected]
    assert len(outs) == len(expected)
    for o, e in zip(outs, expected, strict=True):
        assert o.dtype == np.float32
        np.testing.assert_array_equal(o.numpy(), e)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_shape_ops_keep_the_dtype(dtype, rng):
    x = lucid.tensor((rng.standard_normal((2, 4)) > 0).astype(dtype))
    outs = [x.reshape(4, 2), x.T, lucid.stack([x, x]), lucid.pad(x, 1), x.tile(2), x.flip(0),
            *lucid.split(x, 2, dim=1), lucid.repeat_interleave(x, 2, 0), x.repeat(1, 2),
            x.expand(3, 2, 4)]  # fmt: skip
    assert all(o.dtype == dtype for o in outs)


def test_reshape_and_transpose_are_views():
    x = lucid.tensor(np.arange(6.0).reshape(2, 3))
    x.reshape(-1).numpy()[0] = 10.0
    x.T.numpy()[2, 1] = 20.0
    assert x.numpy()[0, 0] == 10.0 and x.numpy()[1, 2] == 20.0


def test_concatenate_promotes_dtypes_as_numpy(rng):
    a = lucid.tensor(rng.standard_normal(2).astype(np.float32), requires_grad=True)
    b = lucid.tensor(rng.standard_normal(3), dtype=lucid.float64, requires_grad=True)
    out = lucid.concatenate([a, b])
    assert out.dtype == np.float64
    out.backward(np.ones(5))
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


# --------------------------------------------------------------------------- bad input

ERRORS = {
    "reshape": (ValueError, r"\(2, 3\).*\(4, 2\)", lambda x: x.reshape(4, 2)),
    "concatenate_shapes": (
        ValueError,
        r"\(2, 3\), \(3, 3\)",
        lambda x: lucid.concatenate([x, lucid.zeros(3, 3)], axis=1),
    ),
    "concatenate_ndim": (
        ValueError,
        r"\(2, 3\), \(3,\)",
        lambda x: lucid.concatenate([x, lucid.zeros(3)]),
    ),
    "concatenate_0d": (ValueError, "0-d", lambda x: lucid.concatenate([x[0, 0], x[0, 1]])),
    "concatenate_empty": (ValueError, "at least one", lambda x: lucid.concatenate([])),
    "concatenate_tensor": (TypeError, "list or tuple", lambda x: lucid.concatenate(x)),
    "stack_shapes": (ValueError, r"\(2, 3\), \(2, 2\)", lambda x: lucid.stack([x, x[:, :2]])),
    "broadcast_to": (ValueError, r"\(2, 3\) to \(4, 3\)", lambda x: x.broadcast_to(4, 3)),
    "expand": (ValueError, "-1", lambda x: x.expand(-1, 2, 3)),
    "split_sizes_sum": (ValueError, "add up to the length 3", lambda x: x.split([2, 2], 1)),
    "split_size_zero": (ValueError, "positive", lambda x: x.split(0)),
    "tensor_split_decreasing": (ValueError, "decrease", lambda x: x.tensor_split([2, 1], 1)),
    "tensor_split_zero": (ValueError, "at least 1", lambda x: x.tensor_split(0)),
    "chunk_zero": (ValueError, "at least 1", lambda x: lucid.chunk(x, 0)),
    "repeat_interleave_counts": (
        ValueError,
        "one count per element",
        lambda x: x.repeat_interleave([1, 2], dim=1),
    ),
    "repeat_interleave_negative": (ValueError, "negative", lambda x: x.repeat_interleave(-1)),
    "repeat_interleave_float": (TypeError, "ints", lambda x: x.repeat_interleave(1.5)),
    "repeat_fewer_sizes": (ValueError, "at least one per axis", lambda x: x.repeat(2)),
    "repeat_negative": (ValueError, "negative", lambda x: x.repeat(1, -1)),
    "tile_negative": (ValueError, "negative", lambda x: x.tile(-1, 1)),
    "pad_mode": (ValueError, "mode", lambda x: lucid.pad(x, 1, mode="mean")),
    "pad_width": (ValueError, r"\(2, 3\)", lambda x: lucid.pad(x, ((1, 1), (1, 1), (1, 1)))),
    "pad_negative": (ValueError, "negative", lambda x: lucid.pad(x, -1)),
    "pad_torch_odd": (ValueError, "even", lambda x: pad_torch(x, (1, 2, 3))),
    "permute": (ValueError, "permutation", lambda x: x.permute(0, 0)),
    "flatten_order": (ValueError, "start_dim", lambda x: x.flatten(1, 0)),
    "squeeze_axis": (IndexError, "axis 2 .* 2 dimensions", lambda x: x.squeeze(2)),
    "unsqueeze_axis": (IndexError, "axis 4", lambda x: x.unsqueeze(4)),
    "transpose_axis": (IndexError, "axis -3", lambda x: x.transpose(-3, 0)),
    "swapaxes_axis": (IndexError, "axis 5", lambda x: lucid.swapaxes(x, 0, 5)),
    "concatenate_axis": (IndexError, "axis 2", lambda x: lucid.cat([x, x], dim=2)),
    "stack_axis": (IndexError, "axis 4", lambda x: lucid.stack([x, x], axis=4)),
    "split_axis": (IndexError, "axis -3", lambda x: lucid.split(x, 1, dim=-3)),
    "repeat_interleave_axis": (IndexError, "axis 2", lambda x: x.repeat_interleave(2, dim=2)),
    "flip_axis": (IndexError, "axis 3", lambda x: x.flip(3)),
    "moveaxis_axis": (IndexError, "axis 2", lambda x: lucid.moveaxis(x, 2, 0)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_shape_op_rejects_bad_input(name):
    error, match, fn = ERRORS[name]
    x = lucid.zeros(2, 3, requires_grad=True)
    with pytest.raises(error, match=match):
        fn(x)
