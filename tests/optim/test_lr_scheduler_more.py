"""The further schedulers (warm restarts, cyclic, polynomial, constant, multiplicative,
sequential, chained): PyTorch's exact sequences and state dicts that resume exactly."""

import numpy as np
import pytest

import lucid
from lucid.optim import lr_scheduler as S
from lucid.serialization import load, save

from .test_lr_scheduler import optimizer


def shrink(epoch):
    return 0.9 if epoch % 3 else 0.5


def tri_scale(x):
    return 1 / (1.0 + x)


# Each case builds a scheduler from a module (lucid's or torch's lr_scheduler) and an optimizer.
CASES = {
    "warm-restarts": ("SGD", {}, lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=4)),
    "warm-restarts-mult": (
        "SGD", {}, lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-3)
    ),
    "cyclic": ("SGD", {"momentum": 0.9}, lambda M, o: M.CyclicLR(o, 0.01, 0.1, step_size_up=4)),
    "cyclic-tri2": (
        "SGD", {"momentum": 0.9},
        lambda M, o: M.CyclicLR(o, [0.01, 0.002], [0.1, 0.05], 3, 5, mode="triangular2"),
    ),
    "cyclic-exp-adam": (
        "Adam", {}, lambda M, o: M.CyclicLR(o, 0.001, 0.01, 3, mode="exp_range", gamma=0.9)
    ),
    "cyclic-scale-fn": (
        "SGD", {}, lambda M, o: M.CyclicLR(o, 0.01, 0.1, 2, scale_fn=tri_scale,
                                           scale_mode="iterations", cycle_momentum=False)
    ),
    "polynomial": ("SGD", {}, lambda M, o: M.PolynomialLR(o, total_iters=7, power=2.0)),
    "constant": ("SGD", {}, lambda M, o: M.ConstantLR(o, factor=0.25, total_iters=4)),
    "multiplicative": ("SGD", {}, lambda M, o: M.MultiplicativeLR(o, shrink)),
    "sequential": (
        "SGD", {},
        lambda M, o: M.SequentialLR(
            o, [M.LinearLR(o, 0.1, total_iters=4), M.CosineAnnealingLR(o, T_max=10)], [4]
        ),
    ),
    "sequential-3": (
        "Adam", {},
        lambda M, o: M.SequentialLR(
            o,
            [M.ConstantLR(o, 0.5, 3), M.ExponentialLR(o, 0.9), M.StepLR(o, 2, 0.5)],
            milestones=[3, 8],
        ),
    ),
    "chained": (
        "SGD", {},
        lambda M, o: M.ChainedScheduler([M.ConstantLR(o, 0.2, 5), M.ExponentialLR(o, 0.9)]),
    ),
}  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize("case", list(CASES))
def test_schedule_matches_torch_exactly(case):
    torch = pytest.importorskip("torch")
    cls, opts, make = CASES[case]
    opt, topt = optimizer(lucid, cls, **opts), optimizer(torch, cls, **opts)
    sched, tsched = make(S, opt), make(torch.optim.lr_scheduler, topt)
    for epoch in range(20):
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-14, abs=0), (
            f"epoch {epoch}"
        )
        for g, tg in zip(opt.param_groups, topt.param_groups, strict=True):
            momentum = "betas" if cls == "Adam" else "momentum"
            assert g[momentum] == pytest.approx(tg[momentum], rel=1e-14), f"epoch {epoch}"
        opt.step()
        topt.step()
        sched.step()
        tsched.step()


@pytest.mark.torch
@pytest.mark.parametrize("epoch", [0, 2, 3.5, 7, 20.25])
@pytest.mark.parametrize("mult", [1, 2])
def test_warm_restarts_with_an_epoch_matches_torch(epoch, mult):
    torch = pytest.importorskip("torch")
    opt, topt = optimizer(lucid), optimizer(torch)
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=mult)
    tsched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0=3, T_mult=mult)
    sched.step(epoch)
    tsched.step(epoch)
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-14)
    assert sched.T_i == tsched.T_i and sched.last_epoch == tsched.last_epoch


def lrs_over(opt, sched, n):
    out = []
    for _ in range(n):
        opt.step()
        sched.step()
        out.append(list(sched.get_last_lr()) + [g.get("momentum", 0) for g in opt.param_groups])
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_state_dicts_resume_exactly_through_save(case, tmp_path):
    cls, opts, make = CASES[case]

    def fresh():
        opt = optimizer(lucid, cls, **opts)
        return opt, make(S, opt)

    opt, sched = fresh()
    expected = lrs_over(opt, sched, 18)
    opt, sched = fresh()
    first = lrs_over(opt, sched, 7)
    save({"opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "ckpt")
    opt, sched = fresh()
    lrs_over(opt, sched, 3)  # a different position: the load must overwrite it
    ckpt = load(tmp_path / "ckpt")
    opt.load_state_dict(ckpt["opt"])
    sched.load_state_dict(ckpt["sched"])
    assert first + lrs_over(opt, sched, 11) == expected


def test_polynomial_and_constant_follow_their_closed_forms():
    opt = optimizer(lucid)
    sched = S.PolynomialLR(opt, total_iters=5, power=3.0)
    for epoch in range(1, 9):
        opt.step()
        sched.step()
        expected = [lr * (1 - min(epoch, 5) / 5) ** 3 for lr in (0.1, 0.02)]
        np.testing.assert_allclose(sched.get_last_lr(), expected, rtol=1e-12, atol=1e-18)
    opt = optimizer(lucid)
    sched = S.ConstantLR(opt, factor=0.5, total_iters=3)
    seen = [sched.get_last_lr()[0]]
    for _ in range(5):
        opt.step()
        sched.step()
        seen.append(sched.get_last_lr()[0])
    assert seen == pytest.approx([0.05, 0.05, 0.05, 0.1, 0.1, 0.1])


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda o: S.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0"),
        (lambda o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError, "T_mult"),
        (lambda o: S.CyclicLR(o, 0.1, 1.0, mode="zigzag"), ValueError, "mode must be"),
        (lambda o: S.ConstantLR(o, factor=2.0), ValueError, "factor"),
        (lambda o: S.SequentialLR(o, [S.StepLR(o, 2)], [3]), ValueError, "milestones"),
        (lambda o: S.SequentialLR(o, [S.ReduceLROnPlateau(o)], []), ValueError, "metric"),
        (lambda o: S.ChainedScheduler([]), ValueError, "at least one"),
        (lambda o: S.ChainedScheduler([S.StepLR(optimizer(lucid), 2)], o), ValueError,
         "another optimizer"),
        (lambda o: S.MultiplicativeLR(o, 0.5), TypeError, "callable"),
    ],
)  # fmt: skip
def test_invalid_arguments_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make(optimizer(lucid))


def test_cyclic_lr_needs_momentum_to_cycle():
    p = lucid.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="cycle_momentum"):
        S.CyclicLR(lucid.optim.Adagrad([p]), 0.01, 0.1)
