"""Optimizers: PyTorch trajectories, closed forms, state dicts, parameter groups, errors."""

import numpy as np
import pytest

import lucid
from lucid import optim
from lucid.serialization import load, save

STEPS = 10
# Shapes of the parameters in the two groups; 3000 elements put SGD on its jit path.
SHAPES = [(3, 4), (5,), (50, 60)]

# (optimizer, options): every option of every optimizer, alone and combined.
CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "weight_decay": 0.1}),
    (
        "SGD",
        {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1, "maximize": True},
    ),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "betas": (0.8, 0.99), "eps": 1e-3}),
    ("Adam", {"lr": 0.05, "maximize": True, "amsgrad": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "decoupled_weight_decay": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.2}),
    ("AdamW", {"lr": 0.05, "maximize": True, "betas": (0.5, 0.9)}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "alpha": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "maximize": True, "eps": 1e-3}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "initial_accumulator_value": 0.1}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "maximize": True, "eps": 1e-3}),
    ("NAdam", {"lr": 0.05}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "momentum_decay": 0.01}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.05, "maximize": True, "betas": (0.8, 0.99)}),
    ("RAdam", {"lr": 0.05}),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.05, "maximize": True, "eps": 1e-3}),
]
IDS = [f"{name}-{'-'.join(opts)}" for name, opts in CASES]
# State entries that only the options we test create, by torch's key names.
ARRAY_STATE = {
    "SGD": ["momentum_buffer"],
    "Adam": ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"],
    "AdamW": ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"],
    "RMSprop": ["square_avg", "momentum_buffer", "grad_avg"],
    "Adagrad": ["sum"],
    "NAdam": ["exp_avg", "exp_avg_sq"],
    "RAdam": ["exp_avg", "exp_avg_sq"],
}


def make_params(rng, dtype=np.float32):
    return [lucid.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in SHAPES]


def two_groups(params, opts):
    """Two parameter groups; the second overrides lr."""
    return [{"params": params[:1]}, {"params": params[1:], "lr": opts["lr"] / 2}]


def run(opt, params, grads):
    for g in grads:
        for p, gp in zip(params, g, strict=True):
            p.grad = None if gp is None else gp.copy()
        opt.step()


def random_grads(rng, steps=STEPS, dtype=np.float32, skip=None):
    """Per step, one gradient per parameter; parameter `skip` never gets one."""
    return [
        [None if i == skip else rng.standard_normal(s).astype(dtype) for i, s in enumerate(SHAPES)]
        for _ in range(steps)
    ]


# --------------------------------------------------------------------------- PyTorch


@pytest.mark.torch
@pytest.mark.parametrize(("name", "opts"), CASES, ids=IDS)
def test_optimizer_trajectory_matches_torch(name, opts, rng):
    torch = pytest.importorskip("torch")
    params = make_params(rng)
    tparams = [torch.tensor(p.numpy().copy(), requires_grad=True) for p in params]
    opt = getattr(optim, name)(two_groups(params, opts), **opts)
    topt = getattr(torch.optim, name)(two_groups(tparams, opts), **opts)
    arrays = [p.numpy() for p in params]
    # The last parameter never gets a gradient: both skip it.
    for step, grads in enumerate(random_grads(rng, skip=2)):
        for p, tp, g in zip(params, tparams, grads, strict=True):
            p.grad = None if g is None else g.copy()
            tp.grad = None if g is None else torch.tensor(g)
        opt.step()
        topt.step()
        for i, (p, tp) in enumerate(zip(params, tparams, strict=True)):
            np.testing.assert_allclose(
                p.numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=f"step {step} p{i}"
            )
    assert all(p.numpy() is a for p, a in zip(params, arrays, strict=True)), "arrays replaced"
    assert opt.state[params[2]].get("step", 0) == 0
    for p, tp in zip(params[:2], tparams[:2], strict=True):
        state, tstate = opt.state[p], topt.state[tp]
        assert set(state) == set(tstate)
        if "step" in tstate:
            assert state["step"] == int(tstate["step"])
        for key in ARRAY_STATE[name]:
            if key in tstate:
                assert state[key].dtype == np.float32
                np.testing.assert_allclose(
                    state[key], tstate[key].numpy(), rtol=1e-5, atol=1e-6, err_msg=key
                )


@pytest.mark.torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "NAdam"])
def test_float64_parameters_match_torch_closely(name, rng):
    torch = pytest.importorskip("torch")
    opts = {"lr": 0.05, "weight_decay": 0.1}
    if name in ("SGD", "RMSprop"):
        opts["momentum"] = 0.9
    params = make_params(rng, np.float64)
    tparams = [torch.tensor(p.numpy().copy(), requires_grad=True) for p in params]
    opt = getattr(optim, name)(params, **opts)
    topt = getattr(torch.optim, name)(tparams, **opts)
    for grads in random_grads(rng, dtype=np.float64):
        for p, tp, g in zip(params, tparams, grads, strict=True):
            p.grad, tp.grad = g.copy(), torch.tensor(g)
        opt.step()
        topt.step()
    # PyTorch keeps NAdam's mu_product in a float32 tensor, Lucid in a Python float.
    rtol = 1e-7 if name == "NAdam" else 1e-12
    for p, tp in zip(params, tparams, strict=True):
        assert p.dtype == np.float64
        np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=rtol, atol=rtol)


# --------------------------------------------------------------------------- closed forms


def quadratic_grad(p, a):
    """Backpropagates f(p) = sum(a * p**2) / 2, whose gradient is a * p."""
    p.grad = None
    ((p * p * a).sum() * 0.5).backward()


@pytest.mark.parametrize("weight_decay", [0.0, 0.3])
def test_sgd_on_a_quadratic_follows_the_geometric_closed_form(weight_decay, rng):
    a = rng.uniform(0.5, 2.0, 6)
    p0 = rng.standard_normal(6)
    p = lucid.tensor(p0, requires_grad=True)
    lr = 0.2
    opt = optim.SGD([p], lr=lr, weight_decay=weight_decay)
    for _ in range(STEPS):
        quadratic_grad(p, a)
        opt.step()
    expected = (1 - lr * (a + weight_decay)) ** STEPS * p0
    np.testing.assert_allclose(p.numpy(), expected, rtol=1e-12)


def test_sgd_momentum_on_a_quadratic_follows_the_matrix_power(rng):
    # (p_t, b_t) = M (p_{t-1}, b_{t-1}) with b_t = mu b_{t-1} + a p_{t-1}, p_t = p_{t-1} - lr b_t
    a = rng.uniform(0.5, 2.0, 4)
    p0 = rng.standard_normal(4)
    lr, mu = 0.1, 0.9
    p = lucid.tensor(p0, requires_grad=True)
    opt = optim.SGD([p], lr=lr, momentum=mu)
    for _ in range(STEPS):
        quadratic_grad(p, a)
        opt.step()
    for i in range(4):
        m = np.array([[1 - lr * a[i], -lr * mu], [a[i], mu]])
        expected = np.linalg.matrix_power(m, STEPS) @ np.array([p0[i], 0.0])
        assert p.numpy()[i] == pytest.approx(expected[0], rel=1e-10)
        assert opt.state[p]["momentum_buffer"][i] == pytest.approx(expected[1], rel=1e-10)


def constant_grad_run(opt_cls, c, p0, **opts):
    """Runs STEPS steps on the linear loss sum(c * p): the gradient is c at every step."""
    p = lucid.tensor(p0.copy(), requires_grad=True)
    opt = opt_cls([p], **opts)
    for _ in range(STEPS):
        p.grad = None
        (p * c).sum().backward()
        opt.step()
    return p.numpy()


def test_adam_with_a_constant_gradient_moves_lr_per_step(rng):
    # The bias corrections make m_hat = c and v_hat = c**2 exactly: each step is lr*c/(|c|+eps).
    c, p0 = rng.uniform(0.5, 2, 5) * rng.choice([-1, 1], 5), rng.standard_normal(5)
    lr, eps = 0.01, 1e-3
    out = constant_grad_run(optim.Adam, c, p0, lr=lr, eps=eps)
    np.testing.assert_allclose(out, p0 - STEPS * lr * c / (np.abs(c) + eps), rtol=1e-10)


def test_adamw_with_a_constant_gradient_decays_geometrically(rng):
    c, p0 = rng.uniform(0.5, 2, 5), rng.standard_normal(5)
    lr, eps, wd = 0.01, 1e-3, 0.5
    out = constant_grad_run(optim.AdamW, c, p0, lr=lr, eps=eps, weight_decay=wd)
    d, s = 1 - lr * wd, lr * c / (np.abs(c) + eps)
    np.testing.assert_allclose(out, d**STEPS * p0 - s * (1 - d**STEPS) / (1 - d), rtol=1e-10)


def test_adagrad_with_a_constant_gradient_sums_inverse_square_roots(rng):
    c, p0 = rng.uniform(0.5, 2, 5), rng.standard_normal(5)
    lr, eps = 0.1, 1e-3
    out = constant_grad_run(optim.Adagrad, c, p0, lr=lr, eps=eps)
    k = np.arange(1, STEPS + 1)[:, None]
    np.testing.assert_allclose(out, p0 - lr * np.sum(c / (np.sqrt(k) * c + eps), 0), rtol=1e-10)


def test_rmsprop_with_a_constant_gradient_follows_its_running_average(rng):
    c, p0 = rng.uniform(0.5, 2, 5), rng.standard_normal(5)
    lr, alpha, eps = 0.01, 0.9, 1e-3
    out = constant_grad_run(optim.RMSprop, c, p0, lr=lr, alpha=alpha, eps=eps)
    k = np.arange(1, STEPS + 1)[:, None]
    steps = c / (np.sqrt(1 - alpha**k) * c + eps)
    np.testing.assert_allclose(out, p0 - lr * steps.sum(0), rtol=1e-10)


# --------------------------------------------------------------------------- state dicts


@pytest.mark.parametrize(("name", "opts"), CASES, ids=IDS)
def test_state_dict_round_trip_through_save_continues_exactly(name, opts, rng, tmp_path):
    grads = random_grads(rng, steps=8, skip=2)
    params = make_params(rng)
    start = [p.numpy().copy() for p in params]
    opt = getattr(optim, name)(two_groups(params, opts), **opts)
    run(opt, params, grads)  # the uninterrupted run

    resumed = [lucid.tensor(s, requires_grad=True) for s in start]
    first = getattr(optim, name)(two_groups(resumed, opts), **opts)
    run(first, resumed, grads[:4])
    save({"optimizer": first.state_dict()}, tmp_path / "ckpt")
    params2 = [lucid.tensor(p.numpy(), requires_grad=True) for p in resumed]
    second = getattr(optim, name)(two_groups(params2, {"lr": 1.0}), lr=1.0)  # other lrs
    second.load_state_dict(load(tmp_path / "ckpt")["optimizer"])
    run(second, params2, grads[4:])
    for p, q in zip(params, params2, strict=True):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert second.param_groups[1]["lr"] == opts["lr"] / 2


def test_state_dict_has_torch_layout_and_is_a_copy(rng):
    params = make_params(rng)
    opt = optim.Adam([{"params": params[:2]}, {"params": params[2:], "lr": 0.5}], lr=0.1)
    run(opt, params, random_grads(rng, steps=2, skip=1))
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert sorted(sd["state"]) == [0, 2]  # parameter 1 never had a gradient
    assert sd["state"][0]["step"] == 2
    saved = sd["state"][0]["exp_avg"].copy()
    run(opt, params, random_grads(rng, steps=1))
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], saved)


MISMATCHED = [
    (lambda p: [{"params": p[:1]}, {"params": p[1:]}], "1 parameter groups, the optimizer has 2"),
    (lambda p: [{"params": p[:2]}], "group 0 has 3 parameters in the state dict, 2 in the"),
]


@pytest.mark.parametrize(("groups", "match"), MISMATCHED)
def test_load_state_dict_refuses_mismatched_groups(groups, match, rng):
    params = make_params(rng)
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    run(opt, params, random_grads(rng, steps=1))
    other = optim.SGD(groups(params), lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=match):
        other.load_state_dict(opt.state_dict())


def test_load_state_dict_refuses_wrongly_shaped_state(rng):
    params = make_params(rng)
    opt = optim.Adam(params)
    run(opt, params, random_grads(rng, steps=1))
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"] = np.zeros(7, np.float32)
    with pytest.raises(ValueError, match=r"'exp_avg' has shape \(7,\) for a parameter of shape"):
        optim.Adam(params).load_state_dict(sd)


def test_load_state_dict_casts_state_to_the_parameter_dtype(rng):
    p = lucid.tensor(rng.standard_normal(3).astype(np.float32), requires_grad=True)
    opt = optim.Adam([p])
    state = {0: {"step": 3, "exp_avg": np.ones(3), "exp_avg_sq": np.ones(3)}}
    sd = {"state": state, "param_groups": opt.state_dict()["param_groups"]}
    opt.load_state_dict(sd)
    assert opt.state[p]["exp_avg"].dtype == np.float32 and opt.state[p]["step"] == 3


# --------------------------------------------------------------------------- behaviour


def test_step_skips_parameters_without_gradient_and_keeps_arrays(rng):
    params = make_params(rng)
    before = [p.numpy().copy() for p in params]
    arrays = [p.numpy() for p in params]
    opt = optim.Adam(params, lr=0.1)
    params[0].grad = np.ones(SHAPES[0], np.float32)
    opt.step()
    assert not np.array_equal(params[0].numpy(), before[0])
    for p, b in zip(params[1:], before[1:], strict=True):
        np.testing.assert_array_equal(p.numpy(), b)
        assert not opt.state[p]
    assert all(p.numpy() is a for p, a in zip(params, arrays, strict=True))


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none, rng):
    params = make_params(rng)
    opt = optim.SGD(params, lr=0.1)
    for p in params:
        p.grad = np.ones(p.shape, np.float32)
    opt.zero_grad(set_to_none=set_to_none)
    for p in params:
        if set_to_none:
            assert p.grad is None
        else:
            np.testing.assert_array_equal(p.grad, np.zeros(p.shape))


def test_step_runs_the_closure_with_grad_enabled_and_returns_its_loss(rng):
    p = lucid.tensor(rng.standard_normal(3), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with lucid.no_grad():
        start = p.numpy().copy()
        loss = opt.step(closure)
    assert loss.item() == pytest.approx(float(np.sum(start**2)))
    np.testing.assert_allclose(p.numpy(), start * (1 - 0.2))


def test_a_graph_that_saved_a_parameter_refuses_backward_after_a_step(rng):
    p = lucid.tensor(rng.standard_normal(3), requires_grad=True)
    loss = (p * p).sum()
    loss.backward(retain_graph=True)
    optim.SGD([p], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_assigning_a_gradient_of_another_dtype_or_shape_raises_as_torch(rng):
    p = lucid.tensor(rng.standard_normal(3).astype(np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        p.grad = np.ones(3, np.float64)
    with pytest.raises(RuntimeError, match=r"\(2,\)"):
        p.grad = lucid.ones(2)
    p.grad = lucid.ones(3)
    optim.Adam([p]).step()
    assert p.dtype == np.float32 and p.grad.dtype == np.float32


def test_named_parameters_and_add_param_group(rng):
    params = make_params(rng)
    opt = optim.SGD([("w", params[0]), ("b", params[1])], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    with pytest.raises(ValueError, match="named, or none"):
        opt.add_param_group({"params": [params[2]]})
    opt.add_param_group({"params": [("c", params[2])], "lr": 0.01, "momentum": 0.5})
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["dampening"] == 0
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [("again", params[0])]})


INVALID = [
    (optim.SGD, {"lr": -0.1}, "invalid lr -0.1"),
    (optim.SGD, {"lr": 0.1, "momentum": -0.5}, "invalid momentum"),
    (optim.SGD, {"lr": 0.1, "weight_decay": -1}, "invalid weight_decay"),
    (optim.SGD, {"lr": 0.1, "nesterov": True}, "nesterov=True needs momentum > 0"),
    (optim.SGD, {"lr": 0.1, "nesterov": True, "momentum": 0.9, "dampening": 0.1}, "dampening 0"),
    (optim.Adam, {"betas": (1.0, 0.999)}, r"invalid betas\[0\] 1.0"),
    (optim.Adam, {"betas": (0.9, -0.1)}, r"invalid betas\[1\] -0.1"),
    (optim.Adam, {"eps": -1e-8}, "invalid eps"),
    (optim.AdamW, {"weight_decay": -0.01}, "AdamW: invalid weight_decay"),
    (optim.RMSprop, {"alpha": -0.5}, "invalid alpha"),
    (optim.RMSprop, {"momentum": -0.5}, "invalid momentum"),
    (optim.Adagrad, {"lr_decay": -1}, "invalid lr_decay"),
    (optim.Adagrad, {"initial_accumulator_value": -1}, "invalid initial_accumulator_value"),
    (optim.NAdam, {"momentum_decay": -1}, "invalid momentum_decay"),
    (optim.RAdam, {"betas": (0.9, 1.0)}, r"invalid betas\[1\]"),
    (optim.RAdam, {"lr": float("nan")}, "invalid lr nan"),
]


@pytest.mark.parametrize(("cls", "opts", "match"), INVALID)
def test_invalid_hyperparameters_are_refused_by_name(cls, opts, match, rng):
    p = lucid.tensor(rng.standard_normal(3), requires_grad=True)
    with pytest.raises(ValueError, match=match):
        cls([p], **opts)
    with pytest.raises(ValueError, match=match):  # also in a group of its own
        cls([{"params": [p], **opts}])


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ([], ValueError, "empty parameter list"),
        (lucid.tensor([1.0], requires_grad=True), TypeError, "single Tensor"),
        ({lucid.tensor([1.0])}, TypeError, "not a set"),
        ([np.ones(3)], TypeError, "can only optimize Tensors"),
        ([lucid.tensor([1.0], requires_grad=True) * 2], ValueError, "non-leaf"),
        ([lucid.tensor([1, 2])], TypeError, "float32 or float64"),
    ],
)
def test_bad_parameter_lists_are_refused(params, error, match):
    with pytest.raises(error, match=match):
        optim.SGD(params if not isinstance(params, set) else [{"params": params}], lr=0.1)


def test_the_same_tensor_twice_is_refused():
    p = lucid.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="same tensor twice"):
        optim.SGD([p, p], lr=0.1)
