"""PyTorch's other spellings and small composites (lucid/ops/aliases.py), against PyTorch."""

import numpy as np
import pytest

import lucid
from lucid.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


def _leaf(a):
    return lucid.tensor(a, requires_grad=True)


# --------------------------------------------------------------------------- atan2


@pytest.mark.parametrize("shapes", [((), ()), ((5,), (5,)), ((3, 1), (1, 4)), ((0, 2), (2,))])
def test_atan2_gradient_matches_finite_differences(shapes, rng):
    a = _leaf(rng.standard_normal(shapes[0]))
    b = _leaf(rng.standard_normal(shapes[1]))
    assert gradcheck(lucid.atan2, (a, b))
    assert gradgradcheck(lucid.atan2, (a, b))


@pytest.mark.torch
@pytest.mark.parametrize("shapes", [((), ()), ((7,), (7,)), ((3, 1), (1, 4))])
def test_atan2_matches_torch(shapes, torch_parity, rng):
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    torch_parity(lucid.atan2, torch.atan2, a, b)
    torch_parity(lucid.arctan2, torch.arctan2, a, b)
    torch_parity(lambda x, y: x.atan2(y), lambda x, y: x.atan2(y), a, b)


@pytest.mark.torch
def test_atan2_of_integers_is_default_float_and_quadrants_match_torch():
    a = np.array([1, -1, 0, 0, 2, -2], dtype=np.int64)
    b = np.array([0, 0, 1, -1, -3, -3], dtype=np.int64)
    out, want = (
        lucid.atan2(lucid.tensor(a), lucid.tensor(b)),
        torch.atan2(torch.tensor(a), torch.tensor(b)),
    )
    assert out.dtype == lucid.float32 and want.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-6)


@pytest.mark.torch
def test_atan2_in_place_matches_torch(rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4,))
    x, xt = lucid.tensor(a), torch.tensor(a)
    assert x.atan2_(lucid.tensor(b)) is x
    xt.atan2_(torch.tensor(b))
    np.testing.assert_allclose(x.numpy(), xt.numpy(), rtol=1e-12)
    y = lucid.tensor(a)
    y.arctan2_(lucid.tensor(b))
    np.testing.assert_allclose(y.numpy(), xt.numpy(), rtol=1e-12)


# --------------------------------------------------------------------------- comparisons


COMPARISONS = [("eq", "eq_"), ("ne", "ne_"), ("lt", "lt_"), ("le", "le_"), ("gt", "gt_"),
               ("ge", "ge_"), ("greater", "greater_"), ("greater_equal", "greater_equal_"),
               ("less", "less_"), ("less_equal", "less_equal_"),
               ("not_equal", "not_equal_")]  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize("name, inplace", COMPARISONS)
def test_comparisons_and_in_place_twins_match_torch(name, inplace, rng):
    a = rng.integers(0, 3, (4, 5)).astype(np.float32)
    b = rng.integers(0, 3, (5,)).astype(np.float32)
    want = getattr(torch.tensor(a), name)(torch.tensor(b)).numpy()
    np.testing.assert_array_equal(getattr(lucid.tensor(a), name)(lucid.tensor(b)).numpy(), want)
    if hasattr(torch, name):
        got = getattr(lucid, name)(lucid.tensor(a), lucid.tensor(b))
        np.testing.assert_array_equal(got.numpy(), want)
    x, xt = lucid.tensor(a), torch.tensor(a)
    assert getattr(x, inplace)(lucid.tensor(b)) is x
    getattr(xt, inplace)(torch.tensor(b))
    assert x.dtype == lucid.float32
    np.testing.assert_array_equal(x.numpy(), xt.numpy())


def test_in_place_comparison_refuses_a_leaf_that_requires_grad():
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x.eq_(1.0)


@pytest.mark.torch
def test_equal_is_torch_equal_a_python_bool():
    a = lucid.tensor([1.0, 2.0, 3.0])
    assert lucid.equal(a, lucid.tensor([1.0, 2.0, 3.0])) is True
    assert lucid.equal(a, lucid.tensor([1.0, 2.0, 4.0])) is False
    assert lucid.equal(a, lucid.tensor([[1.0, 2.0, 3.0]])) is False  # shapes differ: no broadcast
    assert torch.equal(torch.tensor([1.0, 2, 3]), torch.tensor([[1.0, 2, 3]])) is False
    assert a.equal(a) is True
    assert a.is_same_size(lucid.zeros(3)) and not lucid.is_same_size(a, lucid.zeros(1, 3))


# --------------------------------------------------------------------------- aliases


@pytest.mark.torch
def test_negative_subtract_and_in_place_arithmetic_match_torch(rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4,))
    torch_ref = torch.tensor(a)
    np.testing.assert_allclose(lucid.tensor(a).negative().numpy(), (-torch_ref).numpy())
    got = lucid.tensor(a).subtract(lucid.tensor(b), alpha=3)
    np.testing.assert_allclose(got.numpy(), torch_ref.subtract(torch.tensor(b), alpha=3).numpy())
    for name, args, kwargs in [
        ("negative_", (), {}),
        ("subtract_", (b,), {"alpha": 2}),
        ("multiply_", (b,), {}),
        ("divide_", (b,), {}),
        ("divide_", (b,), {"rounding_mode": "floor"}),
    ]:
        x, xt = lucid.tensor(a), torch.tensor(a)
        assert getattr(x, name)(*map(lucid.tensor, args), **kwargs) is x
        getattr(xt, name)(*map(torch.tensor, args), **kwargs)
        np.testing.assert_allclose(x.numpy(), xt.numpy(), rtol=1e-12, err_msg=name)


UNARY_TWINS = ["acos_", "asin_", "atan_", "cosh_", "sinh_", "arccos_", "arcsin_", "arctan_"]


@pytest.mark.torch
@pytest.mark.parametrize("name", UNARY_TWINS)
def test_unary_in_place_twins_match_torch(name, rng):
    a = rng.uniform(-0.9, 0.9, (3, 4))
    x, xt = lucid.tensor(a), torch.tensor(a)
    version = x._version
    assert getattr(x, name)() is x
    getattr(xt, name)()
    assert x._version == version + 1
    np.testing.assert_allclose(x.numpy(), xt.numpy(), rtol=1e-12)
    if hasattr(torch, name):
        y = lucid.tensor(a)
        assert getattr(lucid, name)(y) is y
        np.testing.assert_allclose(y.numpy(), xt.numpy(), rtol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["cumsum_", "cumprod_"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumulative_in_place_match_torch(name, dim, rng):
    a = rng.standard_normal((3, 4))
    x, xt = lucid.tensor(a), torch.tensor(a)
    getattr(x, name)(dim)
    getattr(xt, name)(dim)
    np.testing.assert_allclose(x.numpy(), xt.numpy(), rtol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize(
    "name, args",
    [("squeeze_", ()), ("squeeze_", (1,)), ("unsqueeze_", (0,)), ("unsqueeze_", (-1,)),
     ("transpose_", (0, 2)), ("swapaxes_", (1, 2)), ("swapdims_", (0, 1))],
)  # fmt: skip
def test_shape_in_place_twins_match_torch_and_keep_memory(name, args, rng):
    a = rng.standard_normal((3, 1, 4))
    x, xt = lucid.tensor(a), torch.tensor(a)
    view = x.data
    assert getattr(x, name)(*args) is x
    getattr(xt, name)(*args)
    assert x.shape == tuple(xt.shape)
    np.testing.assert_array_equal(x.numpy(), xt.numpy())
    view.mul_(2)  # x still shares its memory
    np.testing.assert_array_equal(x.numpy(), 2 * xt.numpy())


@pytest.mark.torch
def test_t_in_place_matches_torch(rng):
    for shape in [(), (4,), (2, 3)]:
        a = rng.standard_normal(shape)
        x, xt = lucid.tensor(a), torch.tensor(a)
        x.t_()
        xt.t_()
        np.testing.assert_array_equal(x.numpy(), xt.numpy())


def test_shape_in_place_twins_refuse_a_leaf_that_requires_grad():
    x = lucid.zeros(2, 1, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x.squeeze_()


def test_detach_in_place_makes_a_leaf_without_grad(rng):
    x = _leaf(rng.standard_normal(3))
    y = x * 2
    assert y.detach_() is y
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None
    (x * y).sum().backward()  # y is a constant now
    np.testing.assert_allclose(x.grad.numpy(), y.numpy())
    assert not lucid.detach(x).requires_grad


# --------------------------------------------------------------------------- predicates


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int8", "uint8", "bool"])
def test_predicates_match_torch(dtype):
    a = np.array([[1, 0, 1]], dtype=dtype)
    x, xt = lucid.tensor(a), torch.tensor(a)
    assert x.is_signed() == xt.is_signed() == lucid.is_signed(x)
    assert x.is_complex() is False and lucid.is_complex(x) is False
    assert x.ndimension() == xt.ndimension() == 2
    one = np.array([[0]], dtype=dtype)
    assert lucid.tensor(one).is_nonzero() is torch.tensor(one).is_nonzero() is False


def test_is_nonzero_refuses_more_than_one_element():
    with pytest.raises(RuntimeError, match="ambiguous"):
        lucid.is_nonzero(lucid.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="0 elements"):
        lucid.tensor([]).is_nonzero()


def test_retains_grad_only_on_non_leaves_that_asked():
    x = lucid.ones(2, requires_grad=True)
    y, z = x * 2, x * 3
    y.retain_grad()
    x.retain_grad()
    assert y.retains_grad and not z.retains_grad and not x.retains_grad


TORCH_INPLACE_FUNCTIONS = [
    name for name in lucid.ops.aliases.__all__ if name.endswith("_") and name != "detach_"
]


@pytest.mark.torch
@pytest.mark.parametrize("name", TORCH_INPLACE_FUNCTIONS)
def test_in_place_functions_match_torch_functions_or_methods(name, rng):
    a = rng.uniform(0.1, 0.9, (2, 3))
    args = (rng.uniform(0.1, 0.9, (3,)),) if name in ("atan2_", "arctan2_") else ()
    args = (
        (rng.uniform(0.1, 0.9, (3,)),) if name in ("subtract_", "multiply_", "divide_") else args
    )
    args = (1,) if name in ("cumsum_", "cumprod_") else args
    x, xt = lucid.tensor(a), torch.tensor(a)
    assert getattr(lucid, name)(x, *map(_as_lucid, args)) is x
    torch_fn = getattr(torch, name, None) or getattr(torch.Tensor, name)
    torch_fn(xt, *map(_as_torch, args))
    np.testing.assert_allclose(x.numpy(), xt.numpy(), rtol=1e-12, err_msg=name)


def _as_lucid(a):
    return lucid.tensor(a) if isinstance(a, np.ndarray) else a


def _as_torch(a):
    return torch.tensor(a) if isinstance(a, np.ndarray) else a


# --------------------------------------------------------------------------- grad mode


def test_set_grad_enabled_as_call_context_manager_and_decorator():
    x = lucid.ones(2, requires_grad=True)
    try:
        lucid.set_grad_enabled(False)
        assert not lucid.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        lucid.set_grad_enabled(True)
    assert lucid.is_grad_enabled()
    with lucid.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with lucid.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not lucid.is_grad_enabled()
    assert lucid.is_grad_enabled()

    @lucid.set_grad_enabled(False)
    def double(t):
        return t * 2

    assert lucid.is_grad_enabled()  # decorating changes nothing
    assert not double(x).requires_grad and lucid.is_grad_enabled()


@pytest.mark.torch
def test_inference_mode_matches_torch_grad_mode():
    for lib in (lucid, torch):
        x = lib.ones(2, requires_grad=True)
        with lib.inference_mode():
            assert not (x * 2).requires_grad and lib.is_inference_mode_enabled()
        assert not lib.is_inference_mode_enabled()
        with lib.inference_mode(False):
            assert (x * 2).requires_grad and not lib.is_inference_mode_enabled()

        @lib.inference_mode()
        def called(t):
            return t * 2

        @lib.inference_mode
        def bare(t):
            return t * 2

        assert not called(x).requires_grad and not bare(x).requires_grad
        assert (x * 2).requires_grad
