"""Loss kernels: JIT loops against the NumPy references, the references against PyTorch,
backwards against central differences, extreme logits, and the wrappers' errors."""

import numpy as np
import pytest

from lucid.kernels import _jit
from lucid.kernels import loss as K

requires_jit = pytest.mark.skipif(
    not _jit.JIT_ENABLED, reason="numba disabled (LUCID_DISABLE_JIT=1) or not installed"
)
DTYPES = [np.float32, np.float64]
TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-6}, np.float64: {"rtol": 1e-11, "atol": 1e-13}}
SHORT = K.SOFTMAX_JIT_MAX_CLASSES  # rows this long take the JIT path
LONG = K.SOFTMAX_JIT_MAX_CLASSES + 7  # and these the NumPy one


# ---------------------------------------------------------------------------------------------
# softmax and log-softmax

# name -> (wrapper(x, g), reference(x, g), jit kernel, JIT only for short rows)
SOFTMAX_CASES = {
    "softmax": (lambda x, g: K.softmax(x), lambda x, g: K.softmax_ref(x), "softmax_jit", True),
    "log_softmax": (
        lambda x, g: K.log_softmax(x),
        lambda x, g: K.log_softmax_ref(x),
        "log_softmax_jit",
        True,
    ),
    "softmax_backward": (
        lambda x, g: K.softmax_backward(K.softmax_ref(x), g),
        lambda x, g: K.softmax_backward_ref(K.softmax_ref(x), g),
        "softmax_backward_jit",
        False,
    ),
    "log_softmax_backward": (
        lambda x, g: K.log_softmax_backward(K.log_softmax_ref(x), g),
        lambda x, g: K.log_softmax_backward_ref(K.log_softmax_ref(x), g),
        "log_softmax_backward_jit",
        True,
    ),
}


@requires_jit
@pytest.mark.parametrize("shape", [(17, SHORT), (2, 3, 5), (4, 1)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(SOFTMAX_CASES))
def test_softmax_family_jit_matches_reference(name, dtype, shape, rng, spy):
    call, ref, jit_name, _ = SOFTMAX_CASES[name]
    x = (5 * rng.standard_normal(shape)).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    calls = spy(K, jit_name)
    out = call(x, g)
    assert calls == [jit_name]
    assert out.dtype == dtype and out.shape == shape
    np.testing.assert_allclose(out, ref(x, g), **TOL[dtype])


@requires_jit
@pytest.mark.parametrize("name", list(SOFTMAX_CASES))
def test_softmax_family_on_long_rows(name, rng, spy):
    call, ref, jit_name, short_only = SOFTMAX_CASES[name]
    x = (5 * rng.standard_normal((6, LONG))).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    calls = spy(K, jit_name)
    out = call(x, g)
    assert calls == ([] if short_only else [jit_name])
    np.testing.assert_allclose(out, ref(x, g), **TOL[np.float32])


@pytest.mark.parametrize("name", list(SOFTMAX_CASES))
def test_softmax_family_without_jit_gives_the_reference_answer(name, rng, forbid_jit):
    call, ref, jit_name, _ = SOFTMAX_CASES[name]
    forbid_jit(K, jit_name)
    x, g = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    np.testing.assert_array_equal(call(x, g), ref(x, g))


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0,)])
@pytest.mark.parametrize(
    "fn", [K.softmax, K.log_softmax, K.softmax_backward, K.log_softmax_backward]
)
def test_softmax_family_accepts_empty_arrays(fn, shape):
    args = (np.ones(shape, np.float32),) * (2 if fn.__name__.endswith("backward") else 1)
    out = fn(*args)
    assert out.shape == shape and out.dtype == np.float32


@pytest.mark.parametrize("k", [3, LONG])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_is_finite_and_exact_for_huge_logits(dtype, k):
    x = np.zeros((2, k), dtype)
    x[0, :3] = [1e4, -1e4, 1e4]
    x[1, :3] = [-1e4, -1e4, -1e4 + np.log(2)]
    p, logp = K.softmax(x), K.log_softmax(x)
    assert np.isfinite(logp).all() and np.isfinite(p).all()
    np.testing.assert_allclose(p[0, :3], [0.5, 0.0, 0.5], atol=1e-7)
    np.testing.assert_allclose(logp[0, :3], [-np.log(2), -2e4 - np.log(2), -np.log(2)], rtol=1e-6)
    # Row 1: shifting a row leaves differences of log-probabilities as those of the logits
    # (up to the rounding of values near -1e4: an ulp of 1e-3 in float32).
    atol = 2e-3 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(logp[1, 2] - logp[1, 0], x[1, 2] - x[1, 0], rtol=0, atol=atol)
    g = np.ones_like(x)
    assert np.isfinite(K.softmax_backward(p, g)).all()
    assert np.isfinite(K.log_softmax_backward(logp, g)).all()


@pytest.mark.parametrize("k", [5, LONG])
@pytest.mark.parametrize("log", [False, True])
def test_softmax_backwards_match_central_differences(log, k, rng, numeric_gradient):
    x = 3 * rng.standard_normal((3, k))
    upstream = rng.standard_normal(x.shape)
    forward, backward = (
        (K.log_softmax_ref, K.log_softmax_backward) if log else (K.softmax_ref, K.softmax_backward)
    )
    numeric = numeric_gradient(lambda: np.sum(forward(x) * upstream), x)
    np.testing.assert_allclose(backward(forward(x), upstream), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.torch
@pytest.mark.parametrize("k", [5, LONG])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_family_matches_torch(dtype, k, rng):
    torch = pytest.importorskip("torch")
    x = (4 * rng.standard_normal((6, k))).astype(dtype)
    upstream = rng.standard_normal(x.shape).astype(dtype)
    for ours, ours_backward, theirs in [
        (K.softmax, K.softmax_backward, torch.softmax),
        (K.log_softmax, K.log_softmax_backward, torch.log_softmax),
    ]:
        xt = torch.tensor(x, requires_grad=True)
        yt = theirs(xt, -1)
        yt.backward(torch.tensor(upstream))
        out = ours(x)
        np.testing.assert_allclose(out, yt.detach().numpy(), **TOL[dtype])
        np.testing.assert_allclose(ours_backward(out, upstream), xt.grad.numpy(), **TOL[dtype])


def test_softmax_errors_name_the_problem():
    with pytest.raises(
        TypeError, match="softmax: x must be a float32 or float64 array, got int64"
    ):
        K.softmax(np.arange(4))
    with pytest.raises(ValueError, match="at least 1 dimension"):
        K.log_softmax(np.float64(1.0))
    with pytest.raises(ValueError, match=r"grad has shape \(2, 3\) but out has shape \(3, 2\)"):
        K.softmax_backward(np.ones((3, 2)), np.ones((2, 3)))


# ---------------------------------------------------------------------------------------------
# Fused softmax + cross-entropy

CE_OPTIONS = [  # (weighted, ignore_index, label_smoothing)
    (False, -100, 0.0),
    (True, -100, 0.0),
    (False, 2, 0.0),
    (True, 2, 0.25),
    (False, -100, 0.1),
    (True, -1, 1.0),
]


def _ce_inputs(rng, m, k, dtype, weighted, ignore_index):
    logits = (4 * rng.standard_normal((m, k))).astype(dtype)
    target = rng.integers(0, k, m)
    target[::4] = ignore_index if ignore_index >= 0 else ignore_index  # some ignored samples
    weight = (0.2 + rng.random(k)).astype(dtype) if weighted else None
    return logits, target, weight


@requires_jit
@pytest.mark.parametrize("options", CE_OPTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_jit_matches_reference(dtype, options, rng, spy):
    weighted, ignore_index, smoothing = options
    logits, target, weight = _ce_inputs(rng, 37, 6, dtype, weighted, ignore_index)
    grad = rng.standard_normal(37).astype(dtype)
    w = np.ones(6, dtype) if weight is None else weight
    s = dtype(smoothing)
    forward_calls = spy(K, "softmax_cross_entropy_forward_jit")
    backward_calls = spy(K, "softmax_cross_entropy_backward_jit")
    loss, lse = K.softmax_cross_entropy_forward(logits, target, weight, ignore_index, smoothing)
    ref_loss, ref_lse = K.softmax_cross_entropy_forward_ref(logits, target, w, ignore_index, s)
    assert loss.dtype == dtype and lse.dtype == np.float64
    np.testing.assert_allclose(loss, ref_loss, **TOL[dtype])
    np.testing.assert_allclose(lse, ref_lse, rtol=1e-12)
    d = K.softmax_cross_entropy_backward(
        grad, logits, lse, target, weight, ignore_index, smoothing
    )
    ref_d = K.softmax_cross_entropy_backward_ref(grad, logits, lse, target, w, ignore_index, s)
    assert d.dtype == dtype
    np.testing.assert_allclose(d, ref_d, **TOL[dtype])
    assert forward_calls and backward_calls, "the JIT path was not taken"


def test_cross_entropy_without_jit_gives_the_reference_answer(rng, forbid_jit):
    forbid_jit(K, "softmax_cross_entropy_forward_jit", "softmax_cross_entropy_backward_jit")
    logits, target, weight = _ce_inputs(rng, 9, 4, np.float64, True, 1)
    loss, lse = K.softmax_cross_entropy_forward(logits, target, weight, 1, 0.2)
    ref_loss, ref_lse = K.softmax_cross_entropy_forward_ref(logits, target, weight, 1, 0.2)
    np.testing.assert_array_equal(loss, ref_loss)
    grad = rng.standard_normal(9)
    np.testing.assert_array_equal(
        K.softmax_cross_entropy_backward(grad, logits, lse, target, weight, 1, 0.2),
        K.softmax_cross_entropy_backward_ref(grad, logits, ref_lse, target, weight, 1, 0.2),
    )


@pytest.mark.parametrize("options", CE_OPTIONS)
def test_cross_entropy_backward_matches_central_differences(options, rng, numeric_gradient):
    weighted, ignore_index, smoothing = options
    logits, target, weight = _ce_inputs(rng, 5, 4, np.float64, weighted, ignore_index)
    upstream = rng.standard_normal(5)

    def total():
        return K.softmax_cross_entropy_forward(
            logits, target, weight, ignore_index, smoothing
        )[0] @ upstream  # fmt: skip

    _, lse = K.softmax_cross_entropy_forward(logits, target, weight, ignore_index, smoothing)
    d = K.softmax_cross_entropy_backward(
        upstream, logits, lse, target, weight, ignore_index, smoothing
    )
    np.testing.assert_allclose(d, numeric_gradient(total, logits), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("jit", [True, False])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_is_finite_and_exact_for_logits_of_1e4(dtype, smoothing, jit, monkeypatch):
    monkeypatch.setattr(_jit, "JIT_ENABLED", jit and _jit.JIT_ENABLED)
    logits = np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype)
    target = np.array([0, 1, 2])
    loss, lse = K.softmax_cross_entropy_forward(logits, target, None, -100, smoothing)
    # -log p: [0, 2e4, 1e4] for row 0, so sum over classes = 3e4; row 2 is uniform.
    expected = [smoothing * 3e4 / 3, (1 - smoothing) * 2e4 + smoothing * 3e4 / 3, np.log(3)]
    np.testing.assert_allclose(loss, expected, rtol=1e-6)
    d = K.softmax_cross_entropy_backward(np.ones(3, dtype), logits, lse, target, None, -100, 0.0)
    assert np.isfinite(d).all()
    np.testing.assert_allclose(d[:2], [[0, 0, 0], [1, -1, 0]], atol=1e-6)
    np.testing.assert_allclose(d[2], [1 / 3, 1 / 3, -2 / 3], rtol=1e-6)


@pytest.mark.torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", CE_OPTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_with_caller_reduction_matches_torch(dtype, options, reduction, rng):
    torch = pytest.importorskip("torch")
    weighted, ignore_index, smoothing = options
    logits, target, weight = _ce_inputs(rng, 13, 5, dtype, weighted, ignore_index)
    logits[0, 0] = 1e4  # extreme logits too
    upstream = rng.standard_normal(13 if reduction == "none" else ()).astype(dtype)
    xt = torch.tensor(logits, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(
        xt,
        torch.tensor(target),
        weight=None if weight is None else torch.tensor(weight),
        ignore_index=ignore_index,
        reduction=reduction,
        label_smoothing=smoothing,
    )
    lt.backward(torch.tensor(upstream))

    loss, lse = K.softmax_cross_entropy_forward(logits, target, weight, ignore_index, smoothing)
    if reduction == "none":
        ours, grad = loss, upstream
    elif reduction == "sum":
        ours, grad = loss.sum(), np.full(13, upstream, dtype)
    else:
        divisor = K.cross_entropy_mean_divisor(target, weight, ignore_index)
        ours, grad = loss.sum() / divisor, np.full(13, upstream / divisor, dtype)
    d = K.softmax_cross_entropy_backward(
        grad, logits, lse, target, weight, ignore_index, smoothing
    )
    tol = {"rtol": 2e-5, "atol": 1e-5} if dtype == np.float32 else TOL[dtype]
    np.testing.assert_allclose(ours, lt.detach().numpy(), **tol)
    np.testing.assert_allclose(d, xt.grad.numpy(), **tol)


def test_mean_divisor_sums_target_weights_of_kept_samples():
    target = np.array([0, 2, -100, 2])
    assert K.cross_entropy_mean_divisor(target) == 3
    assert K.cross_entropy_mean_divisor(target, np.array([0.5, 1.0, 2.0])) == 4.5
    assert K.cross_entropy_mean_divisor(np.array([-100, -100])) == 0  # the mean is then nan


@pytest.mark.parametrize("bad", [5, -1, 7])
def test_out_of_range_target_raises_index_error_naming_it(bad):
    target = np.array([0, bad, -100])
    with pytest.raises(IndexError, match=f"target {bad} is out of bounds for 5 classes"):
        K.softmax_cross_entropy_forward(np.zeros((3, 5)), target)
    with pytest.raises(IndexError, match=f"target {bad} is out of bounds"):
        K.softmax_cross_entropy_backward(np.ones(3), np.zeros((3, 5)), np.zeros(3), target)


def test_ignored_targets_need_not_be_valid_classes(rng):
    logits = rng.standard_normal((3, 4))
    loss, _ = K.softmax_cross_entropy_forward(logits, np.array([1, -7, 3]), ignore_index=-7)
    assert loss[1] == 0 and loss[0] > 0


def test_cross_entropy_argument_errors_name_shapes_and_types():
    logits = np.zeros((3, 4))
    with pytest.raises(TypeError, match="target must be an integer array, got float64"):
        K.softmax_cross_entropy_forward(logits, np.zeros(3))
    with pytest.raises(ValueError, match=r"target must have shape \(3,\) .* got \(2,\)"):
        K.softmax_cross_entropy_forward(logits, np.zeros(2, np.int64))
    with pytest.raises(ValueError, match=r"logits must be 2-D .* got \(4,\)"):
        K.softmax_cross_entropy_forward(np.zeros(4), np.zeros(1, np.int64))
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\), got \(3,\)"):
        K.softmax_cross_entropy_forward(logits, np.zeros(3, np.int64), np.ones(3))
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 1.5"):
        K.softmax_cross_entropy_forward(logits, np.zeros(3, np.int64), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"grad and lse must have shape \(3,\)"):
        K.softmax_cross_entropy_backward(np.ones(2), logits, np.zeros(3), np.zeros(3, np.int64))
