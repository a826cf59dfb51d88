"""Activation kernels: JIT loops against the NumPy references, the references against closed
forms and PyTorch, backwards against central differences, and the wrappers' errors."""

import math

import numpy as np
import pytest

from lucid.kernels import _jit
from lucid.kernels import activation as K

requires_jit = pytest.mark.skipif(
    not _jit.JIT_ENABLED, reason="numba disabled (LUCID_DISABLE_JIT=1) or not installed"
)
DTYPES = [np.float32, np.float64]
TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-6}, np.float64: {"rtol": 1e-10, "atol": 1e-12}}


def _hyper(x, v):
    """A hyperparameter cast to x's dtype, as the wrappers pass it to the references."""
    return x.dtype.type(v)


def _elu_out(x):
    return K.elu_ref(x, _hyper(x, 1.5))


# name -> (wrapper call, reference call, jit kernel, regime). Backwards from the forward's
# output ("out" in their signature) receive sigmoid(x), tanh(x) or elu(x) as computed here.
# Regimes: "above" (JIT from ELEMENTWISE_JIT_MIN_SIZE), "fwd"/"bwd" (JIT below the
# transcendental limits), "always" (exact GELU).
CASES = {
    "relu_backward": (
        lambda x, g: K.relu_backward(x, g),
        lambda x, g: K.relu_backward_ref(x, g),
        "relu_backward_jit",
        "above",
    ),
    "leaky_relu": (
        lambda x, g: K.leaky_relu(x, 0.2),
        lambda x, g: K.leaky_relu_ref(x, _hyper(x, 0.2)),
        "leaky_relu_jit",
        "above",
    ),
    "leaky_relu_backward": (
        lambda x, g: K.leaky_relu_backward(x, g, 0.2),
        lambda x, g: K.leaky_relu_backward_ref(x, g, _hyper(x, 0.2)),
        "leaky_relu_backward_jit",
        "above",
    ),
    "hardtanh_backward": (
        lambda x, g: K.hardtanh_backward(x, g, -2.0, 3.0),
        lambda x, g: K.hardtanh_backward_ref(x, g, _hyper(x, -2.0), _hyper(x, 3.0)),
        "hardtanh_backward_jit",
        "above",
    ),
    "sigmoid": (lambda x, g: K.sigmoid(x), lambda x, g: K.sigmoid_ref(x), "sigmoid_jit", "fwd"),
    "sigmoid_backward": (
        lambda x, g: K.sigmoid_backward(K.sigmoid_ref(x), g),
        lambda x, g: K.sigmoid_backward_ref(K.sigmoid_ref(x), g),
        "sigmoid_backward_jit",
        "above",
    ),
    "tanh_backward": (
        lambda x, g: K.tanh_backward(np.tanh(x), g),
        lambda x, g: K.tanh_backward_ref(np.tanh(x), g),
        "tanh_backward_jit",
        "above",
    ),
    "gelu": (lambda x, g: K.gelu(x), lambda x, g: K.gelu_ref(x), "gelu_jit", "always"),
    "gelu_tanh": (
        lambda x, g: K.gelu(x, "tanh"),
        lambda x, g: K.gelu_ref(x, "tanh"),
        "gelu_tanh_jit",
        "fwd",
    ),
    "gelu_backward": (
        lambda x, g: K.gelu_backward(x, g),
        lambda x, g: K.gelu_backward_ref(x, g),
        "gelu_backward_jit",
        "always",
    ),
    "gelu_tanh_backward": (
        lambda x, g: K.gelu_backward(x, g, "tanh"),
        lambda x, g: K.gelu_backward_ref(x, g, "tanh"),
        "gelu_tanh_backward_jit",
        "bwd",
    ),
    "silu": (lambda x, g: K.silu(x), lambda x, g: K.silu_ref(x), "silu_jit", "fwd"),
    "silu_backward": (
        lambda x, g: K.silu_backward(x, g),
        lambda x, g: K.silu_backward_ref(x, g),
        "silu_backward_jit",
        "bwd",
    ),
    "elu": (lambda x, g: K.elu(x, 1.5), lambda x, g: _elu_out(x), "elu_jit", "fwd"),
    "elu_backward": (
        lambda x, g: K.elu_backward(x, _elu_out(x), g, 1.5),
        lambda x, g: K.elu_backward_ref(x, _elu_out(x), g, _hyper(x, 1.5)),
        "elu_backward_jit",
        "above",
    ),
    "softplus": (
        lambda x, g: K.softplus(x, 2.0, 5.0),
        lambda x, g: K.softplus_ref(x, _hyper(x, 2.0), _hyper(x, 5.0)),
        "softplus_jit",
        "fwd",
    ),
    "softplus_backward": (
        lambda x, g: K.softplus_backward(x, g, 2.0, 5.0),
        lambda x, g: K.softplus_backward_ref(x, g, _hyper(x, 2.0), _hyper(x, 5.0)),
        "softplus_backward_jit",
        "bwd",
    ),
    "mish": (lambda x, g: K.mish(x), lambda x, g: K.mish_ref(x), "mish_jit", "fwd"),
    "mish_backward": (
        lambda x, g: K.mish_backward(x, g),
        lambda x, g: K.mish_backward_ref(x, g),
        "mish_backward_jit",
        "bwd",
    ),
}


def _jit_size(regime: str) -> int:
    """An element count for which the wrapper takes the JIT path."""
    return {
        "above": K.ELEMENTWISE_JIT_MIN_SIZE + 3,
        "fwd": K.TRANSCENDENTAL_FORWARD_JIT_MAX_SIZE - 3,
        "bwd": K.TRANSCENDENTAL_BACKWARD_JIT_MAX_SIZE - 3,
        "always": 1001,
    }[regime]


def _numpy_size(regime: str) -> int:
    """An element count for which the wrapper takes the NumPy path (JIT enabled)."""
    return {
        "above": K.ELEMENTWISE_JIT_MIN_SIZE - 3,
        "fwd": K.TRANSCENDENTAL_FORWARD_JIT_MAX_SIZE + 3,
        "bwd": K.TRANSCENDENTAL_BACKWARD_JIT_MAX_SIZE + 3,
    }[regime]


def _away_from_kinks(rng, n, scale=3.0):
    """Values at least 0.05 from 0 and from the kinks the cases use (-2, 3, 2.5 = 5 / beta)."""
    x = scale * rng.standard_normal(n)
    for kink in (0.0, -2.0, 3.0, 2.5):
        near = np.abs(x - kink) < 0.05
        x[near] = kink + np.where(x[near] >= kink, 0.05, -0.05) + 0.01
    return x


@requires_jit
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(CASES))
def test_kernel_jit_path_matches_reference(name, dtype, rng, spy):
    call, ref, jit_name, regime = CASES[name]
    n = _jit_size(regime)
    x = _away_from_kinks(rng, n).astype(dtype)
    g = rng.standard_normal(n).astype(dtype)
    calls = spy(K, jit_name)
    out = call(x, g)
    assert calls == [jit_name], f"{name} did not take the JIT path for {n} elements"
    assert out.dtype == dtype and out.shape == x.shape
    np.testing.assert_allclose(out, ref(x, g), **TOL[dtype])


@requires_jit
@pytest.mark.parametrize("name", [n for n, case in CASES.items() if case[3] != "always"])
def test_kernel_takes_numpy_path_on_the_other_side_of_its_crossover(name, rng, spy):
    call, ref, jit_name, regime = CASES[name]
    n = _numpy_size(regime)
    x = _away_from_kinks(rng, n).astype(np.float32)
    g = rng.standard_normal(n).astype(np.float32)
    calls = spy(K, jit_name)
    out = call(x, g)
    assert calls == [], f"{name} took the JIT path for {n} elements"
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, ref(x, g))


@pytest.mark.parametrize("name", list(CASES))
def test_kernel_without_jit_gives_the_reference_answer(name, rng, forbid_jit):
    call, ref, jit_name, regime = CASES[name]
    forbid_jit(K, jit_name)
    n = _jit_size(regime)
    x = _away_from_kinks(rng, n)
    g = rng.standard_normal(n)
    out = call(x, g)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, ref(x, g))


@pytest.mark.parametrize("shape", [(), (0,), (3, 1, 4)])
@pytest.mark.parametrize("name", list(CASES))
def test_kernel_keeps_shape_and_dtype_of_any_input(name, shape, rng):
    call, ref, _, _ = CASES[name]
    x = _away_from_kinks(rng, int(np.prod(shape))).reshape(shape).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    out = call(x, g)
    assert out.shape == shape and out.dtype == np.float32
    np.testing.assert_allclose(out, ref(x, g), **TOL[np.float32])


@requires_jit
@pytest.mark.parametrize(
    "name", [n for n, case in CASES.items() if case[3] in ("above", "always")]
)
def test_kernel_jit_path_reads_non_contiguous_inputs(name, rng):
    call, ref, _, regime = CASES[name]
    n = _jit_size(regime) + 1
    x = _away_from_kinks(rng, 2 * n).reshape(n, 2).astype(np.float32).T  # F-ordered view
    g = rng.standard_normal((n, 2)).astype(np.float32).T
    out = call(x, g)
    assert out.shape == (2, n) and out.flags.c_contiguous
    np.testing.assert_allclose(out, ref(x, g), **TOL[np.float32])


@pytest.mark.parametrize("jit_size", [True, False])
@pytest.mark.parametrize("name", list(CASES))
def test_kernel_is_finite_for_huge_inputs_in_float32(name, jit_size, rng):
    call, _, _, regime = CASES[name]
    n = _jit_size(regime) if jit_size or regime == "always" else _numpy_size(regime)
    x = np.resize(np.array([-1e4, 1e4, -88.0, 88.0, -30.0, 30.0, 0.5], np.float32), n)
    out = call(x, np.ones_like(x))
    assert np.isfinite(out).all(), f"{name}: non-finite at {x[~np.isfinite(out)][:3]}"


# ---------------------------------------------------------------------------------------------
# Backwards against central differences of the forward references (float64)

# name -> (backward call, forward). The gradient of an elementwise map is diagonal, so one
# central difference per element of the whole array gives the Jacobian's diagonal.
FD_CASES = {
    "relu_backward": (K.relu_backward, lambda x: np.maximum(x, 0)),
    "leaky_relu_backward": (
        lambda x, g: K.leaky_relu_backward(x, g, 0.2),
        lambda x: K.leaky_relu_ref(x, 0.2),
    ),
    "hardtanh_backward": (
        lambda x, g: K.hardtanh_backward(x, g, -2.0, 3.0),
        lambda x: np.clip(x, -2.0, 3.0),
    ),
    "sigmoid_backward": (lambda x, g: K.sigmoid_backward(K.sigmoid_ref(x), g), K.sigmoid_ref),
    "tanh_backward": (lambda x, g: K.tanh_backward(np.tanh(x), g), np.tanh),
    "gelu_backward": (K.gelu_backward, K.gelu_ref),
    "gelu_tanh_backward": (
        lambda x, g: K.gelu_backward(x, g, "tanh"),
        lambda x: K.gelu_ref(x, "tanh"),
    ),
    "silu_backward": (K.silu_backward, K.silu_ref),
    "elu_backward": (lambda x, g: K.elu_backward(x, _elu_out(x), g, 1.5), _elu_out),
    "softplus_backward": (
        lambda x, g: K.softplus_backward(x, g, 2.0, 5.0),
        lambda x: K.softplus_ref(x, 2.0, 5.0),
    ),
    "mish_backward": (K.mish_backward, K.mish_ref),
}


@pytest.mark.parametrize("n", [300, K.ELEMENTWISE_JIT_MIN_SIZE + 3])  # both sides of crossovers
@pytest.mark.parametrize("name", list(FD_CASES))
def test_backward_matches_central_differences(name, n, rng):
    backward, forward = FD_CASES[name]
    x = _away_from_kinks(rng, n)
    g = rng.standard_normal(n)
    h = 1e-6
    numeric = g * (forward(x + h) - forward(x - h)) / (2 * h)
    np.testing.assert_allclose(backward(x, g), numeric, rtol=1e-6, atol=1e-7, err_msg=name)


# ---------------------------------------------------------------------------------------------
# References against closed forms


def test_erfc_ref_matches_math_erfc_to_full_double_precision():
    z = np.concatenate([np.linspace(-30, 30, 6001), [0.0, -0.0, 1e-300, 0.46875, 4.0, 26.9]])
    expected = np.array([math.erfc(v) for v in z])
    # atol: past z = 27 erfc is subnormal (< 6e-319) and the reference flushes it to 0.
    np.testing.assert_allclose(K.erfc_ref(z), expected, rtol=2e-15, atol=1e-318)


def test_erfc_ref_handles_infinities_and_nan():
    out = K.erfc_ref(np.array([np.inf, -np.inf, np.nan, 1e300, -1e300]))
    np.testing.assert_array_equal(out, [0.0, 2.0, np.nan, 0.0, 2.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_gelu_ref_matches_the_normal_cdf_closed_form(dtype, rng):
    x = (4 * rng.standard_normal(200)).astype(dtype)
    expected = [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(np.float64)]
    np.testing.assert_allclose(K.gelu_ref(x), expected, rtol=TOL[dtype]["rtol"], atol=1e-12)


def test_gelu_keeps_relative_accuracy_in_the_negative_tail():
    x = np.array([-8.0, -20.0, -37.0])
    expected = [v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in x]  # erfc: no cancellation
    np.testing.assert_allclose(K.gelu(x), expected, rtol=1e-13)
    np.testing.assert_allclose(K.gelu_ref(x), expected, rtol=1e-13)


def test_sigmoid_and_silu_refs_match_their_closed_forms(rng):
    x = 10 * rng.standard_normal(100)
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(K.sigmoid_ref(x), s, rtol=1e-14)
    np.testing.assert_allclose(K.silu_ref(x), x * s, rtol=1e-14, atol=1e-300)


def test_softplus_is_linear_above_the_threshold_and_smooth_below():
    x = np.array([-3.0, 0.0, 2.0, 2.6, 100.0])
    out = K.softplus(x, beta=2.0, threshold=5.0)
    expected = [np.log1p(np.exp(-6.0)) / 2, np.log(2) / 2, np.log1p(np.exp(4.0)) / 2, 2.6, 100.0]
    np.testing.assert_allclose(out, expected, rtol=1e-14)
    np.testing.assert_allclose(K.softplus_backward(x, np.ones(5), 2.0, 5.0)[-2:], [1.0, 1.0])


def test_softplus_does_not_overflow_with_a_huge_threshold():
    x = np.array([1e4, -1e4], np.float32)
    np.testing.assert_allclose(K.softplus(x, 1.0, 1e30), [1e4, 0.0])
    np.testing.assert_allclose(K.softplus_backward(x, np.ones(2, np.float32), 1.0, 1e30), [1, 0])


def test_relu_and_leaky_relu_backwards_at_the_kink_follow_pytorch():
    x, g = np.array([0.0, np.nan]), np.array([2.0, 3.0])
    np.testing.assert_array_equal(K.relu_backward(x, g), [0.0, 3.0])
    np.testing.assert_array_equal(K.leaky_relu_backward(x, g, 0.1), [2.0 * 0.1, 3.0 * 0.1])


def test_hardtanh_backward_is_zero_on_the_edges():
    x = np.array([-1.0, -0.5, 1.0, 2.0])
    np.testing.assert_array_equal(K.hardtanh_backward(x, np.ones(4)), [0, 1, 0, 0])


# ---------------------------------------------------------------------------------------------
# References against PyTorch


def _torch_cases(torch):
    F = torch.nn.functional
    return {
        "sigmoid": (torch.sigmoid, lambda x: K.sigmoid_ref(x), "out"),
        "tanh": (torch.tanh, np.tanh, "out"),
        "relu": (F.relu, lambda x: np.maximum(x, 0), "x"),
        "leaky_relu": (lambda t: F.leaky_relu(t, 0.2), lambda x: K.leaky_relu_ref(x, 0.2), "x"),
        "hardtanh": (lambda t: F.hardtanh(t, -2.0, 3.0), lambda x: np.clip(x, -2.0, 3.0), "x"),
        "gelu": (F.gelu, K.gelu_ref, "x"),
        "gelu_tanh": (
            lambda t: F.gelu(t, approximate="tanh"),
            lambda x: K.gelu_ref(x, "tanh"),
            "x",
        ),
        "silu": (F.silu, K.silu_ref, "x"),
        "elu": (lambda t: F.elu(t, 1.5), _elu_out, "x"),
        "softplus": (
            lambda t: F.softplus(t, 2.0, 5.0),
            lambda x: K.softplus_ref(x, x.dtype.type(2), x.dtype.type(5)),
            "x",
        ),
        "mish": (F.mish, K.mish_ref, "x"),
    }


def _our_backward(name, x, out, g):
    return {
        "sigmoid": lambda: K.sigmoid_backward(out, g),
        "tanh": lambda: K.tanh_backward(out, g),
        "relu": lambda: K.relu_backward(x, g),
        "leaky_relu": lambda: K.leaky_relu_backward(x, g, 0.2),
        "hardtanh": lambda: K.hardtanh_backward(x, g, -2.0, 3.0),
        "gelu": lambda: K.gelu_backward(x, g),
        "gelu_tanh": lambda: K.gelu_backward(x, g, "tanh"),
        "silu": lambda: K.silu_backward(x, g),
        "elu": lambda: K.elu_backward(x, out, g, 1.5),
        "softplus": lambda: K.softplus_backward(x, g, 2.0, 5.0),
        "mish": lambda: K.mish_backward(x, g),
    }[name]()


TORCH_NAMES = ["sigmoid", "tanh", "relu", "leaky_relu", "hardtanh", "gelu", "gelu_tanh"]
TORCH_NAMES += ["silu", "elu", "softplus", "mish"]


@pytest.mark.torch
@pytest.mark.parametrize("n", [300, K.ELEMENTWISE_JIT_MIN_SIZE + 3])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", TORCH_NAMES)
def test_forward_and_backward_match_torch(name, dtype, n, rng):
    torch = pytest.importorskip("torch")
    torch_fn, ref_fn, _ = _torch_cases(torch)[name]
    x = _away_from_kinks(rng, n).astype(dtype)
    x[:4] = [-1e4, 1e4, -40.0, 40.0]
    g = rng.standard_normal(n).astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch_fn(xt)
    yt.backward(torch.tensor(g))
    out = ref_fn(x)
    assert out.dtype == dtype
    tol = {"rtol": 2e-6, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-14}
    if name == "gelu_tanh" and dtype == np.float32:
        tol["atol"] = 4e-6  # PyTorch's float32 1 + tanh(u) cancels for x < -3; ours does not
    np.testing.assert_allclose(out, yt.detach().numpy(), **tol)
    grad = _our_backward(name, x, out, g)
    assert grad.dtype == dtype
    np.testing.assert_allclose(grad, xt.grad.numpy(), **tol)


# ---------------------------------------------------------------------------------------------
# Errors


def test_integer_input_raises_type_error_naming_the_dtype():
    with pytest.raises(TypeError, match="relu_backward: x must be a float32 or float64 array"):
        K.relu_backward(np.arange(3), np.ones(3))
    with pytest.raises(TypeError, match="sigmoid: x .* got int64"):
        K.sigmoid(np.arange(3, dtype=np.int64))


@pytest.mark.parametrize(
    "call",
    [
        lambda x, g: K.relu_backward(x, g),
        lambda x, g: K.gelu_backward(x, g, "tanh"),
        lambda x, g: K.elu_backward(x, x, g),
        lambda x, g: K.softplus_backward(x, g),
    ],
)
def test_backward_with_mismatched_grad_shape_names_both_shapes(call):
    with pytest.raises(ValueError, match=r"grad has shape \(4, 2\) but x has shape \(2, 4\)"):
        call(np.ones((2, 4)), np.ones((4, 2)))


def test_backward_from_output_names_out_in_the_shape_error():
    with pytest.raises(ValueError, match=r"grad has shape \(3,\) but out has shape \(2,\)"):
        K.sigmoid_backward(np.ones(2), np.ones(3))


def test_grad_of_another_float_dtype_is_cast_to_the_input_dtype():
    out = K.relu_backward(np.ones(3, np.float32), np.ones(3, np.float64))
    assert out.dtype == np.float32


@pytest.mark.parametrize("fn", [K.gelu, lambda x, a: K.gelu_backward(x, x, a)])
def test_gelu_rejects_an_unknown_approximation(fn):
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'fast'"):
        fn(np.ones(3), "fast")


def test_hardtanh_backward_rejects_min_above_max():
    with pytest.raises(ValueError, match=r"min_val \(2.0\) must not be greater than max_val"):
        K.hardtanh_backward(np.ones(3), np.ones(3), 2.0, 1.0)


def test_softplus_rejects_zero_beta():
    with pytest.raises(ValueError, match="beta must be nonzero, got 0"):
        K.softplus(np.ones(3), beta=0)
