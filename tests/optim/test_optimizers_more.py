"""Adadelta, Adamax, ASGD, LBFGS, SparseAdam and the implementation flags: PyTorch
trajectories in float64 and float32, state dicts that resume exactly, errors."""

import numpy as np
import pytest

import lucid
from lucid import optim
from lucid.serialization import load, save

STEPS = 12
SHAPES = [(3, 4), (5,)]

CASES = [
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1}),
    ("Adadelta", {"lr": 0.5, "maximize": True}),
    ("Adamax", {"lr": 0.05}),
    ("Adamax", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-3, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.05, "maximize": True}),
    ("ASGD", {"lr": 0.05}),
    ("ASGD", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 4, "weight_decay": 0.1}),
    ("ASGD", {"lr": 0.05, "t0": 0, "maximize": True}),
]
IDS = [f"{name}-{'-'.join(opts) or 'default'}" for name, opts in CASES]
ARRAY_STATE = {
    "Adadelta": ["square_avg", "acc_delta"],
    "Adamax": ["exp_avg", "exp_inf"],
    "ASGD": ["ax"],
}


@pytest.fixture
def torch64():
    """torch with float64 as its default dtype, so that its scalar state (ASGD's eta and mu,
    the step counts) is float64 as Lucid's Python floats are."""
    torch = pytest.importorskip("torch")
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(old)


def params_and_grads(rng, dtype):
    params = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(STEPS)]
    return params, grads


def groups(params, opts):
    lr = opts.get("lr", 1.0)
    return [{"params": params[:1]}, {"params": params[1:], "lr": lr / 2}]


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("name", "opts"), CASES, ids=IDS)
def test_trajectory_matches_torch(name, opts, dtype, rng, torch64):
    torch = torch64
    init, grads = params_and_grads(rng, dtype)
    params = [lucid.tensor(a.copy(), requires_grad=True) for a in init]
    tparams = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    opt = getattr(optim, name)(groups(params, opts), **opts)
    topt = getattr(torch.optim, name)(groups(tparams, opts), **opts)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    for step, g in enumerate(grads):
        for p, tp, gi in zip(params, tparams, g, strict=True):
            p.grad, tp.grad = gi.copy(), torch.tensor(gi)
        opt.step()
        topt.step()
        for p, tp in zip(params, tparams, strict=True):
            assert p.dtype == dtype
            np.testing.assert_allclose(
                p.numpy(), tp.detach().numpy(), rtol=tol, atol=tol, err_msg=f"step {step}"
            )
    for p, tp in zip(params, tparams, strict=True):
        state, tstate = opt.state[p], topt.state[tp]
        assert set(state) == set(tstate)
        assert state["step"] == int(tstate["step"]) == STEPS
        for key in ARRAY_STATE[name]:
            np.testing.assert_allclose(state[key], tstate[key].numpy(), rtol=tol, atol=tol)
        for key in ("eta", "mu"):
            if key in tstate:
                assert state[key] == pytest.approx(float(tstate[key]), rel=1e-12)


@pytest.mark.parametrize(("name", "opts"), CASES, ids=IDS)
def test_state_dict_round_trip_through_save_continues_exactly(name, opts, rng, tmp_path):
    init, grads = params_and_grads(rng, np.float64)

    def run(params, opt, steps):
        for g in steps:
            for p, gi in zip(params, g, strict=True):
                p.grad = gi.copy()
            opt.step()

    full = [lucid.tensor(a.copy(), requires_grad=True) for a in init]
    run(full, getattr(optim, name)(groups(full, opts), **opts), grads)
    half = [lucid.tensor(a.copy(), requires_grad=True) for a in init]
    opt = getattr(optim, name)(groups(half, opts), **opts)
    run(half, opt, grads[:5])
    save({"opt": opt.state_dict(), "params": [p.numpy() for p in half]}, tmp_path / "ckpt")
    ckpt = load(tmp_path / "ckpt")
    resumed = [lucid.tensor(a, requires_grad=True) for a in ckpt["params"]]
    opt = getattr(optim, name)(groups(resumed, opts), **opts)
    opt.load_state_dict(ckpt["opt"])
    run(resumed, opt, grads[5:])
    for p, q in zip(full, resumed, strict=True):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_adamax_with_a_constant_gradient_moves_lr_per_step(rng):
    # u = |c| + eps from the first step on (beta2 * u < |c| + eps), and m / (1 - beta1**t) = c:
    # every step moves each element by lr * c / (|c| + eps).
    c = rng.uniform(0.5, 2.0, 5) * rng.choice([-1, 1], 5)
    p = lucid.tensor(np.zeros(5), requires_grad=True)
    opt = optim.Adamax([p], lr=0.01)
    for _ in range(STEPS):
        p.grad = c.copy()
        opt.step()
    np.testing.assert_allclose(p.numpy(), -STEPS * 0.01 * c / (np.abs(c) + 1e-8), rtol=1e-12)


def test_asgd_averages_its_iterates_after_t0(rng):
    p = lucid.tensor(rng.standard_normal(4), requires_grad=True)
    opt = optim.ASGD([p], lr=0.1, t0=3)
    seen = []
    for _ in range(8):
        p.grad = rng.standard_normal(4)
        opt.step()
        seen.append(p.numpy().copy())
    # Step t uses mu = 1 / max(1, (t - 1) - t0), set by the step before: ax is p itself up to
    # step t0 + 2 = 5, then the running mean of the iterates from step 5 on.
    np.testing.assert_allclose(opt.state[p]["ax"], np.mean(seen[4:], axis=0), rtol=1e-12)


# --------------------------------------------------------------------------- LBFGS


def rosenbrock(x):
    return ((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum()


LBFGS_CASES = [
    {},
    {"lr": 0.5, "max_iter": 5},
    {"line_search_fn": "strong_wolfe"},
    {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 8},
    {"history_size": 2, "tolerance_grad": 1e-3, "tolerance_change": 1e-4, "max_iter": 6},
    {"line_search_fn": "strong_wolfe", "max_eval": 7},
]


@pytest.mark.torch
@pytest.mark.parametrize("opts", LBFGS_CASES, ids=[str(o) for o in LBFGS_CASES])
def test_lbfgs_matches_torch(opts, rng, torch64):
    torch = torch64
    x0 = rng.uniform(-1.5, 1.5, 6)
    x = lucid.tensor(x0.copy(), requires_grad=True)
    tx = torch.tensor(x0.copy(), requires_grad=True)
    opt, topt = optim.LBFGS([x], **opts), torch.optim.LBFGS([tx], **opts)

    def closure():
        opt.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        return loss

    def tclosure():
        topt.zero_grad()
        loss = rosenbrock(tx)
        loss.backward()
        return loss

    for step in range(4):
        loss, tloss = opt.step(closure), topt.step(tclosure)
        assert float(loss) == pytest.approx(float(tloss.detach()), rel=1e-9, abs=1e-12)
        np.testing.assert_allclose(
            x.numpy(), tx.detach().numpy(), rtol=1e-8, atol=1e-10, err_msg=f"step {step}"
        )
        state, tstate = opt.state[x], topt.state[tx]
        assert state["func_evals"] == tstate["func_evals"]
        assert state["n_iter"] == tstate["n_iter"]
        assert len(state["old_dirs"]) == len(tstate["old_dirs"])


def test_lbfgs_minimises_a_quadratic_with_several_parameters(rng):
    a = rng.standard_normal((5, 5))
    a = a @ a.T + np.eye(5)
    b = rng.standard_normal(5)
    w = lucid.tensor(np.zeros((2, 1)), requires_grad=True)
    v = lucid.tensor(np.zeros(3), requires_grad=True)
    opt = optim.LBFGS([w, v], line_search_fn="strong_wolfe", tolerance_grad=1e-12)

    def closure():
        opt.zero_grad()
        z = lucid.cat([w.reshape(-1), v])
        loss = 0.5 * (z @ lucid.tensor(a) @ z) - (z * lucid.tensor(b)).sum()
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    z = np.concatenate([w.numpy().ravel(), v.numpy()])
    np.testing.assert_allclose(z, np.linalg.solve(a, b), rtol=1e-6, atol=1e-8)


def test_lbfgs_state_dict_resumes_exactly(rng, tmp_path):
    x0 = rng.uniform(-1, 1, 4)

    def make(values):
        x = lucid.tensor(values, requires_grad=True)
        opt = optim.LBFGS([x], max_iter=3, history_size=4, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = rosenbrock(x)
            loss.backward()
            return loss

        return x, opt, closure

    x, opt, closure = make(x0.copy())
    for _ in range(6):
        opt.step(closure)
    y, opt2, closure2 = make(x0.copy())
    for _ in range(3):
        opt2.step(closure2)
    save({"opt": opt2.state_dict(), "y": y.numpy()}, tmp_path / "ckpt")
    ckpt = load(tmp_path / "ckpt")
    z, opt3, closure3 = make(ckpt["y"])
    opt3.load_state_dict(ckpt["opt"])
    for _ in range(3):
        opt3.step(closure3)
    np.testing.assert_array_equal(z.numpy(), x.numpy())


def test_lbfgs_refuses_groups_bad_line_search_and_a_missing_closure():
    p, q = (lucid.tensor([1.0], requires_grad=True) for _ in range(2))
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [p]}, {"params": [q]}])
    with pytest.raises(ValueError, match="strong_wolfe"):
        optim.LBFGS([p], line_search_fn="armijo")
    with pytest.raises(RuntimeError, match="closure"):
        optim.LBFGS([p]).step(None)


# --------------------------------------------------------------------------- SparseAdam, flags


@pytest.mark.torch
def test_sparse_adam_refuses_dense_gradients_as_torch():
    torch = pytest.importorskip("torch")
    p = lucid.tensor([1.0, 2.0], requires_grad=True)
    tp = torch.tensor([1.0, 2.0], requires_grad=True)
    opt, topt = optim.SparseAdam([p]), torch.optim.SparseAdam([tp])
    opt.step()  # no gradient: nothing to do, as in torch
    topt.step()
    p.grad, tp.grad = np.ones(2, np.float32), torch.ones(2)
    with pytest.raises(RuntimeError, match="does not support dense gradients") as ours:
        opt.step()
    with pytest.raises(RuntimeError, match="does not support dense gradients"):
        topt.step()
    assert "Adam" in str(ours.value)


ALL = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "RAdam", "Adadelta", "Adamax",
       "ASGD"]  # fmt: skip


@pytest.mark.parametrize("name", ALL)
def test_implementation_flags_are_accepted_and_change_nothing(name, rng):
    init = rng.standard_normal(6)
    grads = [rng.standard_normal(6) for _ in range(4)]
    out = []
    for flags in ({}, {"foreach": True, "capturable": True, "differentiable": False}):
        if name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "RAdam"):
            flags = {**flags, "fused": bool(flags)}
        p = lucid.tensor(init.copy(), requires_grad=True)
        opt = getattr(optim, name)([p], lr=0.01, **flags)
        for g in grads:
            p.grad = g.copy()
            opt.step()
        out.append(p.numpy())
    np.testing.assert_array_equal(out[0], out[1])
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        getattr(optim, name)([lucid.tensor([1.0], requires_grad=True)], differentiable=True)


@pytest.mark.parametrize(
    ("name", "opts", "match"),
    [
        ("Adadelta", {"rho": 1.5}, "rho"),
        ("Adadelta", {"lr": -1.0}, "lr"),
        ("Adamax", {"betas": (1.0, 0.9)}, "betas"),
        ("ASGD", {"weight_decay": -0.1}, "weight_decay"),
        ("LBFGS", {"history_size": 0}, "history_size"),
        ("SparseAdam", {"eps": -1.0}, "eps"),
    ],
)
def test_invalid_hyperparameters_are_refused_by_name(name, opts, match):
    with pytest.raises(ValueError, match=match):
        getattr(optim, name)([lucid.tensor([1.0], requires_grad=True)], **opts)
