"""Tests for the fused optimizer updates: loops against references, layouts, PyTorch."""

import itertools

import numpy as np
import pytest

from lucid.kernels import _jit
from lucid.kernels import optim as K

DTYPES = [np.float32, np.float64]
# Above every dispatch threshold, so the wrappers take the jit path.
N_JIT = max(K.JIT_MIN_SIZE, K.SGD_JIT_MIN_SIZE, K.SGD_PLAIN_JIT_MIN_SIZE) + 5
# With the thresholds patched to 0 (fixture `jit_at_any_size`), a size that is no multiple of
# the SIMD width, so the vectorised loops also run their scalar tails.
N_SMALL = 1_027
# RAdam switches on its rectification at step 6 with beta2 = 0.999: 8 steps see both branches.
STEPS = 8
# eps is large enough that adding it before or after a bias correction shows at these tolerances.
EPS = 1e-3
LOOP_TOL = {np.float32: {"rtol": 1e-6, "atol": 1e-7}, np.float64: {"rtol": 1e-12, "atol": 1e-14}}
TORCH_TOL = {np.float32: {"rtol": 5e-5, "atol": 5e-6}, np.float64: {"rtol": 1e-9, "atol": 1e-12}}


SGD_FLAGS = {"nesterov": False, "maximize": False, "first_step": False}
ADAM_FLAGS = {"amsgrad": False, "maximize": False, "decoupled_weight_decay": False}


# --- running a few steps ----------------------------------------------------------------------
# Each runner applies `fn` (a kernel or its reference) once per gradient and returns the state
# under torch.optim's key names; the options are torch.optim's keyword arguments.


def run_sgd(fn, param, grads, opts):
    state = {"momentum_buffer": np.zeros_like(param)}
    for t, g in enumerate(grads, 1):
        fn(param, g, state["momentum_buffer"], **opts, first_step=t == 1)
    return state


def run_adam(fn, param, grads, opts):
    opts = dict(opts)
    beta1, beta2 = opts.pop("betas")
    state = {k: np.zeros_like(param) for k in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")}
    for t, g in enumerate(grads, 1):
        fn(param, g, *state.values(), t, beta1=beta1, beta2=beta2, **opts)
    return state


def run_rmsprop(fn, param, grads, opts):
    state = {k: np.zeros_like(param) for k in ("square_avg", "grad_avg", "momentum_buffer")}
    for g in grads:
        fn(param, g, *state.values(), **opts)
    return state


def run_adagrad(fn, param, grads, opts):
    opts = dict(opts)
    state = {"sum": np.full_like(param, opts.pop("initial_accumulator_value"))}
    for t, g in enumerate(grads, 1):
        fn(param, g, state["sum"], t, **opts)
    return state


def run_nadam(fn, param, grads, opts):
    opts = dict(opts)
    beta1, beta2 = opts.pop("betas")
    state = {k: np.zeros_like(param) for k in ("exp_avg", "exp_avg_sq")}
    mu_product = 1.0
    for t, g in enumerate(grads, 1):
        mu_product = fn(param, g, *state.values(), t, mu_product, beta1=beta1, beta2=beta2, **opts)
    state["mu_product"] = np.asarray(mu_product)
    return state


def run_radam(fn, param, grads, opts):
    opts = dict(opts)
    beta1, beta2 = opts.pop("betas")
    state = {k: np.zeros_like(param) for k in ("exp_avg", "exp_avg_sq")}
    for t, g in enumerate(grads, 1):
        fn(param, g, *state.values(), t, beta1=beta1, beta2=beta2, **opts)
    return state


RUNNERS = {
    "sgd": run_sgd,
    "adam": run_adam,
    "rmsprop": run_rmsprop,
    "adagrad": run_adagrad,
    "nadam": run_nadam,
    "radam": run_radam,
}
TORCH_CLASSES = {
    "sgd": "SGD",
    "adam": "Adam",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "nadam": "NAdam",
    "radam": "RAdam",
}


def _grid(**choices):
    """Every combination of the given option values, as dicts."""
    return [
        dict(zip(choices, values, strict=True)) for values in itertools.product(*choices.values())
    ]


FLAGS = [False, True]
OPTIONS = {
    "sgd": [
        {"lr": 0.05, **o}
        for o in _grid(
            momentum=[0.0, 0.9],
            dampening=[0.0, 0.3],
            weight_decay=[0.0, 0.1],
            nesterov=FLAGS,
            maximize=FLAGS,
        )
        if not o["nesterov"] or (o["momentum"] > 0 and o["dampening"] == 0)  # torch's rule
    ],
    "adam": [
        {"lr": 0.05, "betas": (0.9, 0.999), "eps": EPS, **o}
        for o in _grid(
            weight_decay=[0.0, 0.1], amsgrad=FLAGS, maximize=FLAGS, decoupled_weight_decay=FLAGS
        )
    ],
    "rmsprop": [
        {"lr": 0.01, "alpha": 0.9, "eps": EPS, **o}
        for o in _grid(
            weight_decay=[0.0, 0.1], momentum=[0.0, 0.9], centered=FLAGS, maximize=FLAGS
        )
    ],
    "adagrad": [
        {"lr": 0.05, "eps": EPS, **o}
        for o in _grid(
            lr_decay=[0.0, 0.1],
            weight_decay=[0.0, 0.1],
            initial_accumulator_value=[0.0, 0.5],
            maximize=FLAGS,
        )
    ],
    "nadam": [
        {"lr": 0.05, "betas": (0.9, 0.999), "eps": EPS, "momentum_decay": 0.004, **o}
        for o in _grid(weight_decay=[0.0, 0.1], decoupled_weight_decay=FLAGS, maximize=FLAGS)
    ],
    "radam": [
        {"lr": 0.05, "betas": (0.9, 0.999), "eps": EPS, **o}
        for o in _grid(weight_decay=[0.0, 0.1], decoupled_weight_decay=FLAGS, maximize=FLAGS)
    ],
}
CASES = [
    pytest.param(name, opts, id=f"{name}-{i}")
    for name, option_list in OPTIONS.items()
    for i, opts in enumerate(option_list)
]
# One demanding combination per optimizer, for the tests that do not need the full grid.
RICH = {
    "sgd": OPTIONS["sgd"][-1],
    "adam": {**OPTIONS["adam"][-1], "amsgrad": True},
    "rmsprop": {**OPTIONS["rmsprop"][-1], "centered": True, "momentum": 0.9},
    "adagrad": OPTIONS["adagrad"][-1],
    "nadam": {**OPTIONS["nadam"][-1], "decoupled_weight_decay": False},
    "radam": OPTIONS["radam"][-1],
}


@pytest.fixture
def jit_at_any_size(monkeypatch):
    """Dispatch every size to the compiled loop (when the JIT is enabled), to keep tests fast."""
    for name in ("JIT_MIN_SIZE", "SGD_JIT_MIN_SIZE", "SGD_PLAIN_JIT_MIN_SIZE"):
        monkeypatch.setattr(K, name, 0)


def _problem(rng, shape, dtype, steps=STEPS):
    param = rng.standard_normal(shape).astype(dtype)
    grads = [rng.standard_normal(shape).astype(dtype) for _ in range(steps)]
    return param, grads


def _assert_same(actual, expected, tol, what):
    np.testing.assert_allclose(actual, expected, **tol, err_msg=what)


# --- the compiled loops against the references --------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "opts"), CASES)
def test_optim_kernel_matches_reference(name, opts, dtype, rng, jit_at_any_size):
    param, grads = _problem(rng, N_SMALL, dtype)
    expected = param.copy()
    run = RUNNERS[name]
    state = run(getattr(K, name), param, grads, opts)
    expected_state = run(getattr(K, f"{name}_ref"), expected, grads, opts)
    assert param.dtype == dtype
    _assert_same(param, expected, LOOP_TOL[dtype], f"{name} param")
    for key, value in state.items():
        assert value.dtype == dtype or key == "mu_product", f"{name} {key} became {value.dtype}"
        _assert_same(value, expected_state[key], LOOP_TOL[dtype], f"{name} {key}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", RUNNERS)
def test_optim_kernel_passes_scalars_in_the_param_dtype(
    name, dtype, rng, monkeypatch, jit_at_any_size
):
    seen = []
    monkeypatch.setattr(K, f"{name}_jit", lambda *args: seen.append(args))
    monkeypatch.setattr(_jit, "JIT_ENABLED", True)
    param, grads = _problem(rng, N_SMALL, dtype, steps=1)
    RUNNERS[name](getattr(K, name), param, grads, RICH[name])
    (args,) = seen
    for arg in args:
        if isinstance(arg, np.ndarray):
            assert arg.dtype == dtype and arg.ndim == 1 and arg.flags.c_contiguous
        else:  # a float scalar must not be a Python float, which numba would run in float64
            assert isinstance(arg, bool) or type(arg) is np.dtype(dtype).type, repr(arg)


@pytest.mark.parametrize("name", RUNNERS)
def test_optim_kernel_uses_reference_when_jit_disabled(name, rng, monkeypatch):
    def no_loop(*args):
        raise AssertionError("the compiled loop ran with JIT_ENABLED False")

    monkeypatch.setattr(K, f"{name}_jit", no_loop)
    monkeypatch.setattr(_jit, "JIT_ENABLED", False)
    param, grads = _problem(rng, N_JIT, np.float32)
    expected = param.copy()
    state = RUNNERS[name](getattr(K, name), param, grads, RICH[name])
    expected_state = RUNNERS[name](getattr(K, f"{name}_ref"), expected, grads, RICH[name])
    np.testing.assert_array_equal(param, expected)
    for key, value in state.items():
        np.testing.assert_array_equal(value, expected_state[key], err_msg=key)


@pytest.mark.parametrize("size", [7, N_JIT])  # the NumPy path and the jit path
@pytest.mark.parametrize("name", RUNNERS)
def test_optim_kernel_updates_non_contiguous_param_in_place(name, size, rng):
    base = rng.standard_normal((2 * size, 3))
    param = base[::2, 1]  # strided: every other row of one column
    untouched = base.copy()
    untouched[::2, 1] = np.nan
    grads = [g[::-1] for g in _problem(rng, size, np.float64)[1]]  # negative strides
    expected = param.copy()
    state = RUNNERS[name](getattr(K, name), param, grads, RICH[name])
    expected_state = RUNNERS[name](getattr(K, f"{name}_ref"), expected, grads, RICH[name])
    _assert_same(base[::2, 1], expected, LOOP_TOL[np.float64], f"{name} param")
    mask = ~np.isnan(untouched)
    np.testing.assert_array_equal(base[mask], untouched[mask], err_msg="wrote outside param")
    for key, value in state.items():
        _assert_same(value, expected_state[key], LOOP_TOL[np.float64], f"{name} {key}")


@pytest.mark.parametrize("name", RUNNERS)
def test_optim_kernel_writes_back_transposed_state(name, rng):
    param, grads = _problem(rng, (N_JIT // 64 + 1, 64), np.float32, steps=3)
    param_t, grads_t = param.T.copy().T, [g.T.copy().T for g in grads]  # Fortran order
    RUNNERS[name](getattr(K, name), param, grads, RICH[name])
    RUNNERS[name](getattr(K, name), param_t, grads_t, RICH[name])  # state is Fortran too
    assert not param_t.flags.c_contiguous
    _assert_same(param_t, param, LOOP_TOL[np.float32], name)


# --- closed forms -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [5, N_JIT])
def test_sgd_on_a_quadratic_follows_the_closed_form(size, rng):
    # f(x) = sum(a * x**2) / 2 has gradient a * x, so plain SGD gives x_n = (1 - lr * a)**n x_0.
    a = rng.uniform(0.5, 2.0, size)
    x0 = rng.standard_normal(size)
    x, lr = x0.copy(), 0.1
    for _ in range(STEPS):
        K.sgd(x, a * x, None, lr, 0.0, 0.0, 0.0, nesterov=False, maximize=False, first_step=False)
    np.testing.assert_allclose(x, (1 - lr * a) ** STEPS * x0, rtol=1e-12)


@pytest.mark.parametrize("maximize", FLAGS)
@pytest.mark.parametrize("size", [5, N_JIT])
def test_adam_first_step_moves_every_element_by_lr(size, maximize, rng):
    # After one step m_hat = g and v_hat = g**2, so the update is lr * sign(g) when eps -> 0.
    g = rng.choice([-1.0, 1.0], size) * rng.uniform(0.1, 10.0, size)
    param = rng.standard_normal(size)
    start, lr = param.copy(), 0.01
    exp_avg, exp_avg_sq = np.zeros(size), np.zeros(size)
    K.adam(
        param, g, exp_avg, exp_avg_sq, None, 1, lr, 0.9, 0.999, 1e-15, 0.0,
        amsgrad=False, maximize=maximize, decoupled_weight_decay=False,
    )  # fmt: skip
    direction = 1 if maximize else -1
    np.testing.assert_allclose(param - start, direction * lr * np.sign(g), rtol=1e-12)


# --- errors -----------------------------------------------------------------------------------


def test_optim_kernel_rejects_mismatched_arrays():
    p = np.zeros((3, 4), np.float32)
    z = np.zeros_like(p)
    with pytest.raises(ValueError, match=r"adam: exp_avg has shape \(4, 3\) but param has"):
        K.adam(p, z, z.T, z, None, 1, 1e-3, 0.9, 0.999, 1e-8, 0, **ADAM_FLAGS)
    with pytest.raises(TypeError, match="sgd: grad is float64 but param is float32"):
        K.sgd(p, z.astype(np.float64), None, 0.1, 0, 0, 0, **SGD_FLAGS)
    with pytest.raises(TypeError, match="float32 or float64, got int64"):
        K.adagrad(p.astype(np.int64), z, z, 1, 0.1, 0, 0, 1e-10, maximize=False)
    with pytest.raises(TypeError, match="rmsprop: square_avg must be a numpy array, got list"):
        K.rmsprop(p, z, [0.0], None, None, 0.01, 0.99, 1e-8, 0, 0, centered=False, maximize=False)


def test_optim_kernel_rejects_missing_buffers_bad_steps_and_read_only_params():
    p = np.zeros(3)
    z = np.zeros_like(p)
    with pytest.raises(ValueError, match="momentum_buf is None but momentum is not 0"):
        K.sgd(p, z, None, 0.1, 0.9, 0, 0, **SGD_FLAGS)
    with pytest.raises(ValueError, match="max_exp_avg_sq is None but amsgrad is True"):
        K.adam(p, z, z, z, None, 1, 1e-3, 0.9, 0.999, 1e-8, 0, **{**ADAM_FLAGS, "amsgrad": True})
    with pytest.raises(ValueError, match="grad_avg is None but centered is True"):
        K.rmsprop(p, z, z, None, None, 0.01, 0.99, 1e-8, 0, 0, centered=True, maximize=False)
    with pytest.raises(ValueError, match="step must be >= 1"):
        K.nadam(p, z, z, z, 0, 1.0, 2e-3, 0.9, 0.999, 1e-8, 0, 0.004, decoupled_weight_decay=False)
    p.flags.writeable = False
    with pytest.raises(ValueError, match="radam: param is read-only"):
        K.radam(p, z, z, z, 1, 1e-3, 0.9, 0.999, 1e-8, 0, decoupled_weight_decay=False)


def test_optim_kernel_ignores_buffers_its_options_do_not_use():
    p, g = np.ones(4), np.ones(4)
    K.sgd(p, g, "unused", 0.5, 0.0, 0.0, 0.0, **SGD_FLAGS)
    K.rmsprop(
        p, g, np.zeros(4), None, None, 0.1, 0.9, 1e-8, 0.0, 0.0, centered=False, maximize=False
    )
    np.testing.assert_allclose(p, 0.5 - 0.1 / (np.sqrt(0.1) + 1e-8))


# --- PyTorch ----------------------------------------------------------------------------------


@pytest.mark.torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "opts"), CASES)
def test_optim_reference_matches_torch(name, opts, dtype, rng):
    torch = pytest.importorskip("torch")
    param, grads = _problem(rng, (4, 5), dtype)
    weight = torch.tensor(param.copy(), requires_grad=True)
    optimizer = getattr(torch.optim, TORCH_CLASSES[name])([weight], **opts)
    for g in grads:
        weight.grad = torch.tensor(g)
        optimizer.step()
    state = RUNNERS[name](getattr(K, f"{name}_ref"), param, grads, opts)
    tol = TORCH_TOL[dtype]
    if name == "nadam":  # torch keeps mu_product in a float32 tensor
        tol = {**tol, "rtol": max(tol["rtol"], 1e-6)}
    _assert_same(param, weight.detach().numpy(), tol, f"{name} param")
    torch_state = {k: v for k, v in optimizer.state[weight].items() if k != "step"}
    assert torch_state.keys() <= state.keys()
    for key, value in torch_state.items():
        _assert_same(state[key], value.numpy(), tol, f"{name} {key}")


# --- Adadelta, Adamax, ASGD (NumPy only) ------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_only_updates_stay_in_dtype_and_write_in_place(dtype, rng):
    base = rng.standard_normal((5, 4)).astype(dtype)
    runs = {
        "adadelta": lambda p, g, a, b: K.adadelta(p, g, a, b, 1.0, 0.9, 1e-6, 0.1, maximize=False),
        "adamax": lambda p, g, a, b: K.adamax(
            p, g, a, b, 3, 2e-3, 0.9, 0.999, 1e-8, 0.1, maximize=True
        ),
        "asgd": lambda p, g, a, b: K.asgd(p, g, a, 0.01, 0.5, 1e-4, 0.1, maximize=False),
    }
    for name, run in runs.items():
        p = base.copy().T  # a transposed (non-contiguous) param is updated through its view
        g = rng.standard_normal(p.shape).astype(dtype)
        a, b = np.zeros_like(p), np.full_like(p, 0.5)
        before = p.copy()
        run(p, g, a, b)
        assert p.dtype == a.dtype == dtype, name
        assert not np.array_equal(p, before) and np.all(np.isfinite(p)), name


def test_numpy_only_updates_reject_mismatched_arrays():
    p = np.zeros((3, 4), np.float32)
    z = np.zeros_like(p)
    with pytest.raises(ValueError, match=r"adadelta: acc_delta has shape \(4, 3\)"):
        K.adadelta(p, z, z, z.T, 1.0, 0.9, 1e-6, 0, maximize=False)
    with pytest.raises(TypeError, match="adamax: exp_inf is float64 but param is float32"):
        K.adamax(p, z, z, z.astype(np.float64), 1, 2e-3, 0.9, 0.999, 1e-8, 0, maximize=False)
    with pytest.raises(ValueError, match="adamax: step must be >= 1"):
        K.adamax(p, z, z, z, 0, 2e-3, 0.9, 0.999, 1e-8, 0, maximize=False)
    with pytest.raises(TypeError, match="asgd: grad is float64"):
        K.asgd(p, z.astype(np.float64), z, 0.01, 1.0, 1e-4, 0, maximize=False)
