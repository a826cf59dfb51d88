"""ops/special: erf & co, log/exp variants, inverse hyperbolics, logaddexp, lerp, hypot,
copysign, xlogy, nan_to_num, float tests and composites, against PyTorch and finite differences."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import lucid
from lucid.autograd import gradcheck, gradgradcheck

from .._helpers import away_from_zero, normal, off_integers, positive, unit

SHAPES = [(), (0,), (5,), (3, 4), (2, 1, 3)]


def _above_one(rng, shape):
    return rng.uniform(1.2, 4.0, shape)


# name: (lucid function, torch function, sampler, smooth: gradgradcheck applies)
UNARY = {
    "erf": (lucid.erf, "erf", normal, True),
    "erfc": (lucid.erfc, "erfc", normal, True),
    "erfinv": (lucid.erfinv, "erfinv", unit, True),
    "log10": (lucid.log10, "log10", positive, True),
    "log1p": (lucid.log1p, "log1p", positive, True),
    "expm1": (lucid.expm1, "expm1", normal, True),
    "exp2": (lucid.exp2, "exp2", normal, True),
    "rsqrt": (lucid.rsqrt, "rsqrt", positive, True),
    "trunc": (lucid.trunc, "trunc", off_integers, False),
    "frac": (lucid.frac, "frac", off_integers, False),
    "sinc": (lucid.sinc, "sinc", normal, True),
    "asinh": (lucid.asinh, "asinh", normal, True),
    "acosh": (lucid.acosh, "acosh", _above_one, True),
    "atanh": (lucid.atanh, "atanh", unit, True),
    "deg2rad": (lucid.deg2rad, "deg2rad", normal, False),
    "rad2deg": (lucid.rad2deg, "rad2deg", normal, False),
    "sgn": (lucid.sgn, "sgn", away_from_zero, False),
    "nan_to_num": (lucid.nan_to_num, "nan_to_num", normal, False),
}

# name: (lucid function, torch function, sampler of a, sampler of b)
BINARY = {
    "logaddexp": (lucid.logaddexp, "logaddexp", normal, normal),
    "logaddexp2": (lucid.logaddexp2, "logaddexp2", normal, normal),
    "hypot": (lucid.hypot, "hypot", away_from_zero, away_from_zero),
    "copysign": (lucid.copysign, "copysign", away_from_zero, away_from_zero),
    "xlogy": (lucid.xlogy, "xlogy", normal, positive),
    "remainder": (lucid.remainder, "remainder", normal, away_from_zero),
    "fmod": (lucid.fmod, "fmod", normal, away_from_zero),
    "float_power": (lucid.float_power, "float_power", positive, normal),
}

BROADCAST_PAIRS = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((2, 1, 3), (4, 1)),
    ((), (3,)),
    ((0, 3), (3,)),
]


def _leaf(data):
    return lucid.tensor(data, dtype=lucid.float64, requires_grad=True)


def _compare(ours, theirs, xs, xts, upstream, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
    if not theirs.requires_grad:
        return
    torch = pytest.importorskip("torch")
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    for x, xt in zip(xs, xts, strict=True):
        expected = np.zeros(x.shape) if xt.grad is None else xt.grad.numpy(force=True)
        np.testing.assert_allclose(x.grad.numpy(), expected, rtol=rtol, atol=atol)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", UNARY)
def test_unary_gradient_matches_finite_differences(name, shape, rng):
    fn, _, sample, smooth = UNARY[name]
    x = _leaf(sample(rng, shape))
    assert gradcheck(fn, (x,))
    if smooth and shape:
        assert gradgradcheck(fn, (x,))


@pytest.mark.torch
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_torch(name, shape, rng):
    torch = pytest.importorskip("torch")
    fn, torch_name, sample, _ = UNARY[name]
    data, upstream = sample(rng, shape), rng.standard_normal(shape)
    x, xt = _leaf(data), torch.tensor(data, requires_grad=True)
    _compare(fn(x), getattr(torch, torch_name)(xt), [x], [xt], upstream)


@pytest.mark.parametrize(("shape_a", "shape_b"), BROADCAST_PAIRS)
@pytest.mark.parametrize("name", BINARY)
def test_binary_gradient_matches_finite_differences(name, shape_a, shape_b, rng):
    fn, _, sample_a, sample_b = BINARY[name]
    a, b = _leaf(sample_a(rng, shape_a)), _leaf(sample_b(rng, shape_b))
    assert gradcheck(fn, (a, b))
    if name in ("logaddexp", "logaddexp2", "hypot", "xlogy") and 0 not in shape_a:
        assert gradgradcheck(fn, (a, b))


@pytest.mark.torch
@pytest.mark.parametrize(("shape_a", "shape_b"), BROADCAST_PAIRS)
@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_torch(name, shape_a, shape_b, rng):
    torch = pytest.importorskip("torch")
    fn, torch_name, sample_a, sample_b = BINARY[name]
    da, db = sample_a(rng, shape_a), sample_b(rng, shape_b)
    upstream = rng.standard_normal(np.broadcast_shapes(shape_a, shape_b))
    a, b = _leaf(da), _leaf(db)
    at, bt = torch.tensor(da, requires_grad=True), torch.tensor(db, requires_grad=True)
    _compare(fn(a, b), getattr(torch, torch_name)(at, bt), [a, b], [at, bt], upstream)


@pytest.mark.torch
@pytest.mark.parametrize(
    "shapes", [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), ()), ((2, 1), (3,), (2, 3))]
)
def test_lerp_matches_torch_and_finite_differences(shapes, rng):
    torch = pytest.importorskip("torch")
    data = [rng.standard_normal(s) for s in shapes]
    ours = [_leaf(d) for d in data]
    assert gradcheck(lucid.lerp, ours)
    assert gradgradcheck(lucid.lerp, ours)
    ours = [_leaf(d) for d in data]
    theirs = [torch.tensor(d, requires_grad=True) for d in data]
    upstream = rng.standard_normal(np.broadcast_shapes(*shapes))
    _compare(lucid.lerp(*ours), torch.lerp(*theirs), ours, theirs, upstream)
    assert np.allclose(lucid.lerp(ours[0], ours[1], 0.25).detach().numpy(),
                       torch.lerp(theirs[0], theirs[1], 0.25).detach().numpy())  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize("value", [1, 0.5, -2.0])
@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
def test_addcmul_addcdiv_match_torch(name, value, rng):
    torch = pytest.importorskip("torch")
    data = [rng.standard_normal((3, 4)), rng.standard_normal((4,)), away_from_zero(rng, (3, 1))]
    ours = [_leaf(d) for d in data]
    theirs = [torch.tensor(d, requires_grad=True) for d in data]
    upstream = rng.standard_normal((3, 4))
    out = getattr(lucid, name)(*ours, value=value)
    _compare(out, getattr(torch, name)(*theirs, value=value), ours, theirs, upstream)
    assert gradcheck(lambda *t: getattr(lucid, name)(*t, value=value), [_leaf(d) for d in data])
    method = getattr(ours[0].detach(), name)(ours[1].detach(), ours[2].detach(), value=value)
    np.testing.assert_allclose(method.numpy(), out.detach().numpy())


def test_addcdiv_refuses_integer_division():
    with pytest.raises(TypeError, match="integer division"):
        lucid.addcdiv(lucid.zeros(2), lucid.tensor([1, 2]), lucid.tensor([1, 1]))


@pytest.mark.torch
def test_special_values_match_torch():
    torch = pytest.importorskip("torch")
    inf, nan = math.inf, math.nan
    x = np.array([0.0, -0.0, 1.0, -1.0, inf, -inf, nan, 1e-300, 30.0, -30.0])
    for name in ("erf", "erfc", "erfinv", "log1p", "expm1", "exp2", "rsqrt", "sinc", "asinh",
                 "acosh", "atanh", "log10", "trunc", "signbit", "isnan", "isinf", "isfinite",
                 "isposinf", "isneginf", "isreal"):  # fmt: skip
        with np.errstate(all="ignore"):
            ours = getattr(lucid, name)(lucid.tensor(x, dtype=lucid.float64)).numpy()
        theirs = getattr(torch, name)(torch.tensor(x)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0, err_msg=name)
    y = np.array([nan, inf, -inf, 1.5], dtype=np.float32)
    for kwargs in ({}, {"nan": 2.0, "posinf": 9.0, "neginf": -9.0}):
        np.testing.assert_array_equal(
            lucid.nan_to_num(lucid.tensor(y), **kwargs).numpy(),
            torch.nan_to_num(torch.tensor(y), **kwargs).numpy(),
        )
    xy = [(0.0, nan), (0.0, 0.0), (0.0, -1.0), (2.0, 0.0), (1.0, inf)]
    for a, b in xy:
        with np.errstate(all="ignore"):
            ours = lucid.xlogy(lucid.tensor(a), lucid.tensor(b)).item()
        theirs = torch.xlogy(torch.tensor(a), torch.tensor(b)).item()
        assert (math.isnan(ours) and math.isnan(theirs)) or ours == theirs, (a, b)


def test_nan_to_num_gradient_passes_only_where_finite():
    x = lucid.tensor([1.0, math.nan, math.inf, -2.0], dtype=lucid.float64, requires_grad=True)
    up = np.array([0.3, 0.5, 0.7, 0.9])
    lucid.nan_to_num(x).backward(up)
    np.testing.assert_array_equal(x.grad.numpy(), [0.3, 0.0, 0.0, 0.9])


@pytest.mark.parametrize("name", ["erf", "log1p", "expm1", "sinc", "asinh", "deg2rad", "exp2"])
def test_integer_inputs_give_the_default_float(name):
    torch = pytest.importorskip("torch")
    ours = getattr(lucid, name)(lucid.tensor([0, 1, 2]))
    theirs = getattr(torch, name)(torch.tensor([0, 1, 2]))
    assert ours.dtype == np.float32 and str(theirs.dtype) == "torch.float32"
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log10, acosh of negatives: NaN
def test_aliases_and_method_twins(rng):
    x = lucid.tensor(unit(rng, (4,)))
    assert lucid.arcsinh is lucid.asinh and lucid.arctanh is lucid.atanh
    assert lucid.arccosh is lucid.acosh and lucid.fix is lucid.trunc
    for name in UNARY:
        if name != "nan_to_num":
            np.testing.assert_array_equal(getattr(x, name)().numpy(), UNARY[name][0](x).numpy())
    y = lucid.tensor(positive(rng, (4,)))
    for name in BINARY:
        np.testing.assert_array_equal(getattr(x, name)(y).numpy(), BINARY[name][0](x, y).numpy())


@pytest.mark.torch
@pytest.mark.parametrize("bounds", [("min", 0.2), ("max", -0.1)])
def test_clamp_min_and_clamp_max_match_torch(bounds, rng):
    torch = pytest.importorskip("torch")
    kind, value = bounds
    data, upstream = away_from_zero(rng, (3, 4)), rng.standard_normal((3, 4))
    x, xt = _leaf(data), torch.tensor(data, requires_grad=True)
    ours = getattr(lucid, f"clamp_{kind}")(x, value)
    _compare(ours, getattr(torch, f"clamp_{kind}")(xt, value), [x], [xt], upstream)
    np.testing.assert_array_equal(
        getattr(x.detach(), f"clamp_{kind}")(value).numpy(), ours.detach().numpy()
    )


@pytest.mark.torch
def test_clamp_with_tensor_bounds_matches_torch(rng):
    torch = pytest.importorskip("torch")
    data = [
        rng.uniform(-2, 2, (3, 4)),
        rng.uniform(-1.5, -0.2, (4,)),
        rng.uniform(0.2, 1.5, (3, 1)),
    ]
    ours = [_leaf(d) for d in data]
    theirs = [torch.tensor(d, requires_grad=True) for d in data]
    upstream = rng.standard_normal((3, 4))
    _compare(lucid.clamp(*ours), torch.clamp(*theirs), ours, theirs, upstream)


# --------------------------------------------------------------------------- laws

finite = st.floats(-30, 30, allow_nan=False, width=64)
vectors = arrays(np.float64, st.integers(0, 6), elements=finite)


@settings(max_examples=60, deadline=None)
@given(a=vectors, data=st.data())
def test_logaddexp_is_log_of_the_sum_of_exps(a, data):
    b = data.draw(arrays(np.float64, a.shape, elements=finite))
    got = lucid.logaddexp(lucid.tensor(a), lucid.tensor(b)).numpy()
    np.testing.assert_allclose(got, np.log(np.exp(a) + np.exp(b)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(lucid.logaddexp(lucid.tensor(b), lucid.tensor(a)).numpy(), got)
    got2 = lucid.logaddexp2(lucid.tensor(a), lucid.tensor(b)).numpy()
    np.testing.assert_allclose(got2, np.log2(np.exp2(a) + np.exp2(b)), rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(y=arrays(np.float64, st.integers(0, 6), elements=st.floats(-0.999999, 0.999999)))
def test_erfinv_inverts_erf(y):
    x = lucid.erfinv(lucid.tensor(y))
    np.testing.assert_allclose(lucid.erf(x).numpy(), y, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(lucid.erfc(x).numpy() + lucid.erf(x).numpy(), 1.0, rtol=1e-14)


@settings(max_examples=60, deadline=None)
@given(x=vectors)
def test_inverse_hyperbolics_invert(x):
    t = lucid.tensor(x)
    np.testing.assert_allclose(lucid.asinh(lucid.sinh(t)).numpy(), x, rtol=1e-9, atol=1e-12)
    u = lucid.tensor(np.tanh(x / 10))
    np.testing.assert_allclose(lucid.atanh(u).numpy(), x / 10, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        lucid.log1p(lucid.expm1(t / 10)).numpy(), x / 10, rtol=1e-12, atol=1e-14
    )


@settings(max_examples=60, deadline=None)
@given(a=vectors, data=st.data())
def test_hypot_copysign_laws(a, data):
    b = data.draw(arrays(np.float64, a.shape, elements=finite))
    ta, tb = lucid.tensor(a), lucid.tensor(b)
    expected = np.sqrt(a * a + b * b)  # a**2 underflows below 1e-154: hence the atol
    np.testing.assert_allclose(lucid.hypot(ta, tb).numpy(), expected, rtol=1e-12, atol=1e-150)
    c = lucid.copysign(ta, tb).numpy()
    np.testing.assert_array_equal(np.abs(c), np.abs(a))
    np.testing.assert_array_equal(np.signbit(c), np.signbit(b))
    np.testing.assert_allclose(lucid.frac(ta).numpy() + lucid.trunc(ta).numpy(), a)


# --------------------------------------------------------------------------- gamma family & co


def _negative(rng, shape):
    return off_integers(rng, shape) - 4


def _probability(rng, shape):
    return rng.uniform(0.05, 0.95, shape)


GAMMA = {
    "lgamma": (lucid.lgamma, lambda t, x: t.lgamma(x), positive),
    "lgamma_negative": (lucid.lgamma, lambda t, x: t.lgamma(x), _negative),
    "digamma": (lucid.digamma, lambda t, x: t.digamma(x), positive),
    "digamma_negative": (lucid.digamma, lambda t, x: t.digamma(x), _negative),
    "trigamma": (lambda x: lucid.polygamma(1, x), lambda t, x: t.polygamma(1, x), positive),
    "logit": (lucid.logit, lambda t, x: t.logit(x), _probability),
    "logit_eps": (lambda x: lucid.logit(x, 0.2), lambda t, x: t.logit(x, 0.2), _probability),
}


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(), (0,), (7,), (2, 3)])
@pytest.mark.parametrize("name", GAMMA)
def test_gamma_family_and_logit_match_torch(name, shape, rng):
    torch = pytest.importorskip("torch")
    fn, torch_fn, sample = GAMMA[name]
    data, upstream = sample(rng, shape), rng.standard_normal(shape)
    x, xt = _leaf(data), torch.tensor(data, requires_grad=name != "trigamma")
    _compare(fn(x), torch_fn(torch, xt), [x], [xt], upstream, rtol=1e-9, atol=1e-10)
    if name == "trigamma":
        return
    x = _leaf(data)
    assert gradcheck(fn, (x,))
    if name in ("lgamma", "logit") and shape:
        assert gradgradcheck(fn, (x,))


def test_polygamma_beyond_one_is_not_implemented():
    with pytest.raises(NotImplementedError, match="polygamma"):
        lucid.polygamma(2, lucid.ones(2))


@pytest.mark.torch
@pytest.mark.parametrize("name", ["fmax", "fmin", "ldexp"])
def test_fmax_fmin_ldexp_match_torch(name, rng):
    torch = pytest.importorskip("torch")
    da, db = rng.standard_normal((3, 4)), rng.standard_normal((4,))
    if name != "ldexp":
        da[0, 0], db[1] = math.nan, math.nan
    upstream = rng.standard_normal((3, 4))
    a, b = _leaf(da), _leaf(db)
    at, bt = torch.tensor(da, requires_grad=True), torch.tensor(db, requires_grad=True)
    ours, theirs = getattr(lucid, name)(a, b), getattr(torch, name)(at, bt)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), bt.grad.numpy(), rtol=1e-12)


@pytest.mark.torch
def test_heaviside_gcd_lcm_rsub_positive_match_torch():
    torch = pytest.importorskip("torch")
    x = np.array([-1.5, 0.0, 2.0])
    np.testing.assert_array_equal(
        lucid.heaviside(lucid.tensor(x, dtype=lucid.float32), lucid.tensor(0.5)).numpy(),
        torch.heaviside(torch.tensor(x, dtype=torch.float32), torch.tensor(0.5)).numpy(),
    )
    a, b = np.array([12, -18, 0, 7]), np.array([18, 12, 5, 0])
    for name in ("gcd", "lcm"):
        np.testing.assert_array_equal(
            getattr(lucid, name)(lucid.tensor(a), lucid.tensor(b)).numpy(),
            getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy(),
        )
    with pytest.raises(TypeError, match="integer"):
        lucid.gcd(lucid.tensor([1.0]), lucid.tensor([2.0]))
    r = lucid.rsub(lucid.tensor([1.0, 2.0]), lucid.tensor([5.0, 5.0]), alpha=2)
    np.testing.assert_array_equal(
        r.numpy(), torch.rsub(torch.tensor([1.0, 2.0]), torch.tensor([5.0, 5.0]), alpha=2).numpy()
    )
    t = lucid.tensor([1.0])
    assert lucid.positive(t) is t and lucid.absolute(lucid.tensor([-2.0])).item() == 2.0


def test_special_namespace_matches_torch_special():
    torch = pytest.importorskip("torch")
    x = np.linspace(0.1, 0.9, 5)
    for name in ("expit", "logit", "erf", "erfinv", "gammaln", "digamma", "psi", "sinc", "log1p"):
        ours = getattr(lucid.special, name)(lucid.tensor(x)).numpy()
        theirs = getattr(torch.special, name)(torch.tensor(x)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, err_msg=name)


@settings(max_examples=60, deadline=None)
@given(x=arrays(np.float64, st.integers(0, 6), elements=st.floats(0.05, 50)))
def test_gamma_recurrences(x):
    t = lucid.tensor(x)
    # Gamma(x + 1) = x Gamma(x): lgamma steps by log x, digamma by 1 / x
    np.testing.assert_allclose(
        (lucid.lgamma(t + 1) - lucid.lgamma(t)).numpy(), np.log(x), atol=1e-10
    )
    np.testing.assert_allclose(
        (lucid.digamma(t + 1) - lucid.digamma(t)).numpy(), 1 / x, rtol=1e-9, atol=1e-10
    )
    np.testing.assert_allclose(
        lucid.sigmoid(lucid.logit(lucid.tensor(x / 51))).numpy(), x / 51, rtol=1e-12
    )
