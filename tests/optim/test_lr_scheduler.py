"""Learning-rate schedulers: PyTorch's exact sequences, closed forms, state dicts, errors."""

import math

import numpy as np
import pytest

import lucid
from lucid import optim
from lucid.optim import lr_scheduler as S
from lucid.serialization import load, save

EPOCHS = 25
LRS = (0.1, 0.02)


def optimizer(lib, cls="SGD", **opts):
    """An optimizer of `lib` (lucid or torch) with two groups of one parameter each."""
    make = lib.tensor
    params = [make(np.ones(2, np.float32), requires_grad=True) for _ in LRS]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, LRS, strict=True)]
    return getattr(lib.optim, cls)(groups, lr=LRS[0], **opts)


def halve(epoch):
    return 0.5 ** (epoch // 4)


# (scheduler, arguments, optimizer, optimizer options); a module-level function for LambdaLR
# so that both libraries get the same one.
SCHEDULES = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}, "SGD", {}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 0.3}, "SGD", {}),
    ("ExponentialLR", {"gamma": 0.9}, "SGD", {}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.001}, "SGD", {}),
    ("CosineAnnealingLR", {"T_max": 10}, "Adam", {}),
    ("LambdaLR", {"lr_lambda": halve}, "SGD", {}),
    ("LinearLR", {"start_factor": 0.25, "total_iters": 6}, "SGD", {}),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 4}, "Adam", {}),
    ("OneCycleLR", {"max_lr": [1.0, 0.1], "total_steps": EPOCHS}, "SGD", {"momentum": 0.9}),
    ("OneCycleLR", {"max_lr": 0.5, "epochs": 5, "steps_per_epoch": 5, "three_phase": True,
                    "anneal_strategy": "linear", "pct_start": 0.25}, "Adam", {}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": EPOCHS, "cycle_momentum": False}, "SGD", {}),
]  # fmt: skip
IDS = [f"{s[0]}-{i}" for i, s in enumerate(SCHEDULES)]


@pytest.mark.torch
@pytest.mark.parametrize(("name", "args", "cls", "opts"), SCHEDULES, ids=IDS)
def test_schedule_matches_torch_exactly(name, args, cls, opts):
    torch = pytest.importorskip("torch")
    opt, topt = optimizer(lucid, cls, **opts), optimizer(torch, cls, **opts)
    sched, tsched = (
        getattr(S, name)(opt, **args),
        getattr(torch.optim.lr_scheduler, name)(topt, **args),
    )
    steps = EPOCHS if name == "OneCycleLR" else EPOCHS + 5
    for epoch in range(steps):
        assert sched.get_last_lr() == tsched.get_last_lr(), f"epoch {epoch}"
        for g, tg in zip(opt.param_groups, topt.param_groups, strict=True):
            assert g["lr"] == tg["lr"]
            momentum = "betas" if cls == "Adam" else "momentum"
            assert g[momentum] == pytest.approx(tg[momentum], rel=1e-15), f"epoch {epoch}"
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
    assert sched.last_epoch == tsched.last_epoch


PLATEAU = [
    {},
    {"mode": "max", "patience": 2, "factor": 0.5},
    {"patience": 1, "cooldown": 2, "threshold": 0.05, "threshold_mode": "abs"},
    {"patience": 0, "min_lr": [0.05, 0.001], "factor": 0.2},
    {"patience": 1, "eps": 0.02},
]


@pytest.mark.torch
@pytest.mark.parametrize("args", PLATEAU)
def test_reduce_lr_on_plateau_matches_torch(args, rng):
    torch = pytest.importorskip("torch")
    opt, topt = optimizer(lucid), optimizer(torch)
    sched = S.ReduceLROnPlateau(opt, **args)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **args)
    # A metric that improves, stalls and wanders, so every rule gets to act.
    metrics = np.concatenate([np.linspace(1, 0.5, 5), np.full(6, 0.5), rng.uniform(0.4, 0.6, 25)])
    for m in metrics:
        sched.step(m)
        tsched.step(m)
        assert sched.get_last_lr() == tsched.get_last_lr()
        assert sched.num_bad_epochs == tsched.num_bad_epochs
        assert sched.best == tsched.best


def lrs_over(sched, epochs=EPOCHS):
    out = []
    for _ in range(epochs):
        out.append(sched.get_last_lr())
        sched.optimizer.step()
        sched.step()
    return np.array(out)


CLOSED_FORMS = [
    (S.StepLR, {"step_size": 3, "gamma": 0.5}, lambda t: 0.5 ** (t // 3)),
    (S.MultiStepLR, {"milestones": [4, 9, 9]}, lambda t: 0.1 ** ((t >= 4) + 2 * (t >= 9))),
    (S.ExponentialLR, {"gamma": 0.8}, lambda t: 0.8**t),
    (S.LambdaLR, {"lr_lambda": halve}, halve),
    (S.LinearLR, {"start_factor": 0.2, "total_iters": 8},
     lambda t: 0.2 + 0.8 * min(t, 8) / 8),
    (S.CosineAnnealingLR, {"T_max": 12}, lambda t: (1 + math.cos(math.pi * t / 12)) / 2),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "args", "factor"), CLOSED_FORMS)
def test_schedule_follows_its_closed_form(cls, args, factor):
    got = lrs_over(cls(optimizer(lucid), **args))
    expected = np.array([[lr * factor(t) for lr in LRS] for t in range(EPOCHS)])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("cls", "args", "factor"), CLOSED_FORMS)
def test_step_with_an_epoch_jumps_to_the_closed_form(cls, args, factor):
    sched = cls(optimizer(lucid), **args)
    for epoch in (7, 3, 11):
        sched.step(epoch)
        assert sched.last_epoch == epoch
        np.testing.assert_allclose(sched.get_last_lr(), [lr * factor(epoch) for lr in LRS])


def test_one_cycle_lr_reaches_its_peak_and_floor():
    opt = optimizer(lucid, momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=20, pct_start=0.25, div_factor=10.0)
    got = lrs_over(sched, 20)[:, 0]
    assert got[0] == pytest.approx(0.1)
    assert got.max() == pytest.approx(1.0) and got.argmax() == 4  # pct_start * total - 1
    assert got[-1] == pytest.approx(0.1 / 1e4)
    opt.step()
    with pytest.raises(ValueError, match="stepped 21 times, but total_steps is 20"):
        sched.step()


def test_one_cycle_lr_cycles_momentum_against_the_lr():
    opt = optimizer(lucid, momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)
    for _ in range(2):
        opt.step()
        sched.step()
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.85)  # at the lr's peak


def test_reduce_lr_on_plateau_waits_for_patience_then_reduces():
    opt = optimizer(lucid)
    sched = S.ReduceLROnPlateau(opt, patience=2, factor=0.5)
    history = []
    for metric in [1.0, 0.9, 0.9, 0.9, 0.9, 0.8]:
        sched.step(metric)
        history.append(sched.get_last_lr()[0])
    # improve, then 3 bad epochs: the third exceeds patience=2 and halves the lr.
    assert history == [0.1, 0.1, 0.1, 0.1, 0.05, 0.05]


@pytest.mark.parametrize(("name", "args", "cls", "opts"), SCHEDULES, ids=IDS)
def test_scheduler_and_optimizer_state_round_trip_continue_exactly(
    name, args, cls, opts, tmp_path
):
    def fresh():
        opt = optimizer(lucid, cls, **opts)
        return opt, getattr(S, name)(opt, **args)

    opt, sched = fresh()
    expected = lrs_over(sched, 20)
    opt, sched = fresh()
    first = lrs_over(sched, 8)
    save({"opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "ckpt")
    opt, sched = fresh()
    ckpt = load(tmp_path / "ckpt")
    opt.load_state_dict(ckpt["opt"])
    sched.load_state_dict(ckpt["sched"])
    np.testing.assert_array_equal(np.concatenate([first, lrs_over(sched, 12)]), expected)


def test_plateau_state_round_trips_through_save(tmp_path):
    sched = S.ReduceLROnPlateau(optimizer(lucid), patience=1)
    for m in [1.0, 2.0]:
        sched.step(m)
    save(sched.state_dict(), tmp_path / "plateau")
    other = S.ReduceLROnPlateau(optimizer(lucid), patience=1)
    other.load_state_dict(load(tmp_path / "plateau"))
    for s in (sched, other):
        s.step(3.0)
    assert other.get_last_lr() == sched.get_last_lr() == pytest.approx([0.01, 0.002])


def test_resuming_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(optimizer(lucid), step_size=2, last_epoch=4)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["ExponentialLR", "CosineAnnealingLR"])
def test_resuming_with_last_epoch_matches_torch(name):
    torch = pytest.importorskip("torch")
    args = {"gamma": 0.5} if name == "ExponentialLR" else {"T_max": 6}
    got = []
    for lib, module in ((lucid, S), (torch, torch.optim.lr_scheduler)):
        opt = optimizer(lib)
        sched = getattr(module, name)(opt, **args)
        for _ in range(3):
            opt.step()
            sched.step()
        resumed = getattr(module, name)(opt, **args, last_epoch=sched.last_epoch)
        lrs = [resumed.get_last_lr()]
        for _ in range(4):
            opt.step()
            resumed.step()
            lrs.append(resumed.get_last_lr())
        got.append((lrs, resumed.last_epoch))
    assert got[0] == got[1]


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda o: S.StepLR(o, step_size=0), ValueError, "step_size must be >= 1"),
        (lambda o: S.LinearLR(o, start_factor=0), ValueError, "start_factor"),
        (lambda o: S.LambdaLR(o, [halve]), ValueError, "1 values, the optimizer has 2"),
        (lambda o: S.CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
        (lambda o: S.OneCycleLR(o, max_lr=1.0), ValueError, "total_steps, or epochs"),
        (lambda o: S.OneCycleLR(o, 1.0, 10, anneal_strategy="x"), ValueError, "anneal"),
        (lambda o: S.ReduceLROnPlateau(o, factor=1.0), ValueError, "factor must be < 1"),
        (lambda o: S.ReduceLROnPlateau(o, mode="up"), ValueError, "mode"),
        (lambda o: S.StepLR(object(), step_size=1), TypeError, "not an Optimizer"),
    ],
)
def test_invalid_scheduler_arguments_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make(optimizer(lucid))


def test_one_cycle_lr_needs_momentum_to_cycle():
    p = lucid.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="cycle_momentum"):
        S.OneCycleLR(optim.Adagrad([p]), max_lr=1.0, total_steps=10)
