"""Regression, margin and embedding losses (huber, poisson/gaussian NLL, margin ranking, hinge,
cosine, triplet, soft/multi margins) against PyTorch in float64, finite differences, the
modules and their errors."""

import warnings

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck, gradgradcheck

REDUCTIONS = ["none", "mean", "sum"]


def _normal(*shape):
    return lambda rng: rng.standard_normal(shape)


def _positive(*shape):
    return lambda rng: rng.uniform(0.2, 2.0, shape)


def _signs(*shape):
    return lambda rng: rng.choice([-1.0, 1.0], shape)


def _classes(n, c):
    return lambda rng: rng.integers(0, c, (n,) if n is not None else ())


def _multilabel(n, c):
    def draw(rng):
        t = np.full((n, c), -1, dtype=np.int64)
        for i in range(n):
            k = rng.integers(1, c)
            t[i, :k] = rng.choice(c, k, replace=False)
        t[0, 0], t[0, 1] = 2, -1  # a row with one label, then junk after the -1
        t[0, 2] = 1
        return t

    return draw


def _probabilities(*shape):
    def draw(rng):
        p = rng.uniform(0.1, 1.0, shape)
        return p / p.sum(axis=1, keepdims=True)

    return draw


# name: (function name, argument makers, which arguments get gradients, keyword arguments)
CASES = {
    "huber": ("huber_loss", [_normal(4, 5), _normal(4, 5)], (0, 1), {"delta": 0.6}),
    "huber_0d": ("huber_loss", [_normal(), _normal()], (0, 1), {"delta": 2.0}),
    "huber_weight": (
        "huber_loss",
        [_normal(3, 4), _normal(3, 4)],
        (0, 1),
        {"delta": 0.5, "weight": np.linspace(0.5, 2, 12).reshape(3, 4)},
    ),  # fmt: skip
    "smooth_l1_beta": ("smooth_l1_loss", [_normal(4, 5), _normal(4, 5)], (0, 1), {"beta": 0.4}),
    "smooth_l1_beta0": ("smooth_l1_loss", [_normal(6), _normal(6)], (0, 1), {"beta": 0.0}),
    "mse_weight": (
        "mse_loss",
        [_normal(3, 4), _normal(3, 4)],
        (0, 1),
        {"weight": np.linspace(0.5, 2, 12).reshape(3, 4)},
    ),  # fmt: skip
    "l1_weight": (
        "l1_loss",
        [_normal(3, 4), _normal(3, 4)],
        (0, 1),
        {"weight": np.linspace(0.5, 2, 12).reshape(3, 4)},
    ),  # fmt: skip
    "kl_log_target": ("kl_div", [_normal(3, 4), _normal(3, 4)], (0, 1), {"log_target": True}),
    "kl_batchmean": ("kl_div", [_normal(3, 4), _positive(3, 4)], (0, 1), {}),
    "poisson_log": ("poisson_nll_loss", [_normal(3, 4), _positive(3, 4)], (0, 1), {}),
    "poisson_rate_full": (
        "poisson_nll_loss",
        [_positive(3, 4), lambda rng: rng.uniform(0, 4, (3, 4))],
        (0, 1),
        {"log_input": False, "full": True},
    ),  # fmt: skip
    "poisson_full": (
        "poisson_nll_loss",
        [_normal(5), lambda rng: rng.uniform(0, 4, 5)],
        (0, 1),
        {"full": True},
    ),  # fmt: skip
    "gaussian": (
        "gaussian_nll_loss",
        [_normal(4, 3), _normal(4, 3), _positive(4, 3)],
        (0, 1, 2),
        {"full": True},
    ),  # fmt: skip
    "gaussian_homoscedastic": (
        "gaussian_nll_loss",
        [_normal(4, 3), _normal(4, 3), _positive(4)],
        (0, 1, 2),
        {},
    ),  # fmt: skip
    "gaussian_one_dim": (
        "gaussian_nll_loss",
        [_normal(2, 3, 4), _normal(2, 3, 4), _positive(2, 1, 4)],
        (0, 2),
        {},
    ),  # fmt: skip
    "gaussian_clamped": (
        "gaussian_nll_loss",
        [_normal(6), _normal(6), lambda rng: rng.uniform(0, 0.01, 6)],
        (0, 2),
        {"eps": 0.005},
    ),  # fmt: skip
    "margin_ranking": (
        "margin_ranking_loss",
        [_normal(6), _normal(6), _signs(6)],
        (0, 1, 2),
        {"margin": 0.3},
    ),  # fmt: skip
    "hinge_embedding": (
        "hinge_embedding_loss",
        [_normal(3, 4), _signs(3, 4)],
        (0,),
        {"margin": 0.7},
    ),  # fmt: skip
    "soft_margin": ("soft_margin_loss", [_normal(3, 4), _signs(3, 4)], (0,), {}),
    "cosine_embedding": (
        "cosine_embedding_loss",
        [_normal(5, 3), _normal(5, 3), _signs(5)],
        (0, 1),
        {"margin": -0.2},
    ),  # fmt: skip
    "cosine_embedding_1d": (
        "cosine_embedding_loss",
        [_normal(4), _normal(4), lambda rng: np.array(-1.0)],
        (0, 1),
        {},
    ),  # fmt: skip
    "triplet": (
        "triplet_margin_loss",
        [_normal(5, 3), _normal(5, 3), _normal(5, 3)],
        (0, 1, 2),
        {"margin": 2.0},
    ),  # fmt: skip
    "triplet_p1_swap": (
        "triplet_margin_loss",
        [_normal(5, 3), _normal(5, 3), _normal(5, 3)],
        (0, 1, 2),
        {"margin": 1.5, "p": 1, "swap": True},
    ),  # fmt: skip
    "triplet_p3": (
        "triplet_margin_loss",
        [_normal(4), _normal(4), _normal(4)],
        (0, 1, 2),
        {"margin": 1.5, "p": 3},
    ),  # fmt: skip
    "multilabel_soft_margin": (
        "multilabel_soft_margin_loss",
        [_normal(3, 4), lambda rng: rng.integers(0, 2, (3, 4)).astype(float)],
        (0,),
        {"weight": np.array([0.5, 1.0, 2.0, 1.5])},
    ),  # fmt: skip
    "multi_margin": ("multi_margin_loss", [_normal(5, 4), _classes(5, 4)], (0,), {}),
    "multi_margin_p2_weight": (
        "multi_margin_loss",
        [_normal(5, 4), _classes(5, 4)],
        (0,),
        {"p": 2, "margin": 0.8, "weight": np.array([0.5, 1.0, 2.0, 1.5])},
    ),  # fmt: skip
    "multi_margin_1d": ("multi_margin_loss", [_normal(4), _classes(None, 4)], (0,), {}),
    "multilabel_margin": ("multilabel_margin_loss", [_normal(4, 5), _multilabel(4, 5)], (0,), {}),
    "multilabel_margin_1d": (
        "multilabel_margin_loss",
        [_normal(4), lambda rng: np.array([3, 0, -1, 1])],
        (0,),
        {},
    ),  # fmt: skip
    "cross_entropy_probabilities": (
        "cross_entropy",
        [_normal(4, 3, 2), _probabilities(4, 3, 2)],
        (0, 1),
        {"label_smoothing": 0.2, "weight": np.array([0.5, 2.0, 1.0])},
    ),  # fmt: skip
}


def _build(case, rng):
    name, makers, diff, kwargs = CASES[case]
    return name, [m(rng) for m in makers], diff, kwargs


def _kwargs(kwargs, tensor):
    return {k: tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_loss_matches_torch(case, reduction, rng):
    torch = pytest.importorskip("torch")
    name, arrays, diff, kwargs = _build(case, rng)
    if name == "kl_div" and reduction == "mean" and "log_target" not in kwargs:
        reduction = "batchmean"
    ours = [lucid.tensor(a, requires_grad=i in diff) for i, a in enumerate(arrays)]
    theirs = [torch.tensor(a, requires_grad=i in diff) for i, a in enumerate(arrays)]
    out = getattr(F, name)(*ours, reduction=reduction, **_kwargs(kwargs, lucid.tensor))
    out_t = getattr(torch.nn.functional, name)(
        *theirs, reduction=reduction, **_kwargs(kwargs, torch.tensor)
    )
    assert out.shape == tuple(out_t.shape)
    assert out.dtype == lucid.float64
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    out_t.backward(torch.tensor(upstream))
    for i in diff:
        np.testing.assert_allclose(
            ours[i].grad.numpy(), theirs[i].grad.numpy(), rtol=1e-9, atol=1e-12,
            err_msg=f"{case}: gradient of argument {i}",
        )  # fmt: skip


# PyTorch clamps the variance at eps outside the graph: below eps the gradient is on purpose
# not the derivative of the clamped loss (the torch comparison covers it).
NOT_DIFFERENTIABLE = {"gaussian_clamped"}


@pytest.mark.parametrize("case", sorted(set(CASES) - NOT_DIFFERENTIABLE))
def test_loss_gradient_matches_finite_differences(case, rng):
    name, arrays, diff, kwargs = _build(case, rng)
    fn = getattr(F, name)
    ours = [lucid.tensor(a, requires_grad=i in diff) for i, a in enumerate(arrays)]
    kw = _kwargs(kwargs, lucid.tensor)
    reduction = "batchmean" if name == "kl_div" else "none"
    assert gradcheck(lambda *xs: fn(*xs, reduction=reduction, **kw), ours)


# the arguments PyTorch differentiates (beyond the first)
MODULE_GRAD_ARGS = {
    "HuberLoss": (0, 1), "SmoothL1Loss": (0, 1), "KLDivLoss": (0, 1), "PoissonNLLLoss": (0, 1),
    "GaussianNLLLoss": (0, 1, 2), "MarginRankingLoss": (0, 1, 2), "CosineEmbeddingLoss": (0, 1),
    "TripletMarginLoss": (0, 1, 2), "TripletMarginWithDistanceLoss": (0, 1, 2),
    "CrossEntropyLoss": (0, 1), "MSELoss": (0, 1), "L1Loss": (0, 1),
}  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize(
    ("module", "args", "kwargs"),
    [
        ("HuberLoss", [_normal(3, 4), _normal(3, 4)], {"delta": 0.5}),
        ("SmoothL1Loss", [_normal(3, 4), _normal(3, 4)], {"beta": 0.3, "reduction": "sum"}),
        ("KLDivLoss", [_normal(3, 4), _normal(3, 4)], {"log_target": True, "reduction": "sum"}),
        ("PoissonNLLLoss", [_normal(3, 4), _positive(3, 4)], {"full": True}),
        ("GaussianNLLLoss", [_normal(3, 4), _normal(3, 4), _positive(3, 4)], {"eps": 1e-3}),
        ("MarginRankingLoss", [_normal(5), _normal(5), _signs(5)], {"margin": 0.1}),
        ("HingeEmbeddingLoss", [_normal(5), _signs(5)], {"margin": 2.0}),
        ("SoftMarginLoss", [_normal(5), _signs(5)], {"reduction": "none"}),
        ("CosineEmbeddingLoss", [_normal(5, 3), _normal(5, 3), _signs(5)], {"margin": 0.1}),
        ("TripletMarginLoss", [_normal(5, 3), _normal(5, 3), _normal(5, 3)], {"p": 1.0}),
        (
            "TripletMarginWithDistanceLoss",
            [_normal(5, 3), _normal(5, 3), _normal(5, 3)],
            {"margin": 0.5, "swap": True},
        ),  # fmt: skip
        (
            "MultiLabelSoftMarginLoss",
            [_normal(3, 4), lambda r: r.integers(0, 2, (3, 4)) * 1.0],
            {},
        ),  # fmt: skip
        ("MultiMarginLoss", [_normal(5, 4), _classes(5, 4)], {"p": 2}),
        ("MultiLabelMarginLoss", [_normal(4, 5), _multilabel(4, 5)], {}),
        ("CrossEntropyLoss", [_normal(4, 3), _probabilities(4, 3)], {"label_smoothing": 0.1}),
        ("MSELoss", [_normal(3), _normal(3)], {"size_average": False}),
        ("L1Loss", [_normal(3), _normal(3)], {"reduce": False}),
    ],
)
def test_loss_modules_match_torch(module, args, kwargs, rng):
    torch = pytest.importorskip("torch")
    arrays = [make(rng) for make in args]
    diff = MODULE_GRAD_ARGS.get(module, (0,))
    ours = [lucid.tensor(a, requires_grad=i in diff) for i, a in enumerate(arrays)]
    theirs = [torch.tensor(a, requires_grad=i in diff) for i, a in enumerate(arrays)]
    layer, layer_t = getattr(nn, module)(**kwargs), getattr(torch.nn, module)(**kwargs)
    out, out_t = layer(*ours), layer_t(*theirs)
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    out_t.backward(torch.tensor(upstream))
    for a, b in zip(ours, theirs, strict=True):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert layer.reduction == layer_t.reduction
    if module != "TripletMarginWithDistanceLoss":  # PyTorch's default is a PairwiseDistance
        assert repr(layer) == repr(layer_t)


@pytest.mark.torch
@pytest.mark.parametrize(
    "name", ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "kl_div", "smooth_l1_loss"]
)
@pytest.mark.parametrize(("size_average", "reduce"), [(False, None), (None, False), (True, True)])
def test_deprecated_size_average_and_reduce_match_torch(name, size_average, reduce, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((4, 3))
    y = (
        rng.integers(0, 3, 4)
        if name in ("cross_entropy", "nll_loss")
        else rng.uniform(size=(4, 3))
    )
    kw = {"size_average": size_average, "reduce": reduce}
    out = getattr(F, name)(lucid.tensor(x), lucid.tensor(y), **kw)
    with warnings.catch_warnings():  # PyTorch warns that the arguments are deprecated
        warnings.simplefilter("ignore", UserWarning)
        out_t = getattr(torch.nn.functional, name)(torch.tensor(x), torch.tensor(y), **kw)
    np.testing.assert_allclose(out.numpy(), out_t.numpy(), rtol=1e-10, atol=1e-12)


def test_huber_is_delta_times_smooth_l1(rng):
    x, y = lucid.tensor(rng.standard_normal(20)), lucid.tensor(rng.standard_normal(20))
    np.testing.assert_allclose(
        F.huber_loss(x, y, delta=0.3, reduction="none").numpy(),
        0.3 * F.smooth_l1_loss(x, y, beta=0.3, reduction="none").numpy(),
    )


def test_soft_margin_is_stable_for_large_inputs():
    x = lucid.tensor([1000.0, -1000.0], dtype=lucid.float64, requires_grad=True)
    loss = F.soft_margin_loss(x, lucid.tensor([-1.0, -1.0], dtype=lucid.float64), reduction="sum")
    loss.backward()
    np.testing.assert_allclose(loss.item(), 1000.0)
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 0.0])


@pytest.mark.torch
@pytest.mark.parametrize(
    ("name", "arrays"),
    [
        ("huber_loss", [np.zeros((0, 4)), np.zeros((0, 4))]),
        ("soft_margin_loss", [np.zeros(0), np.zeros(0)]),
        ("cosine_embedding_loss", [np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0)]),
        ("multi_margin_loss", [np.zeros((0, 3)), np.zeros(0, np.int64)]),
        ("multilabel_margin_loss", [np.zeros((0, 3)), np.zeros((0, 3), np.int64)]),
        ("cross_entropy", [np.zeros((0, 3)), np.zeros(0, np.int64)]),
        ("cross_entropy", [np.zeros((0, 3)), np.zeros((0, 3))]),
    ],
)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_empty_batches_match_torch(name, arrays, reduction):
    torch = pytest.importorskip("torch")
    out = getattr(F, name)(*[lucid.tensor(a) for a in arrays], reduction=reduction)
    out_t = getattr(torch.nn.functional, name)(*map(torch.tensor, arrays), reduction=reduction)
    assert out.shape == tuple(out_t.shape)
    if reduction != "none" and name in ("multi_margin_loss", "multilabel_margin_loss"):
        # PyTorch's multi-margin kernels return uninitialised memory here; Lucid's mean of
        # nothing is NaN and its sum 0, as everywhere else.
        assert np.isnan(out.item()) if reduction == "mean" else out.item() == 0.0
        return
    np.testing.assert_array_equal(out.numpy(), out_t.numpy())  # NaN or 0, as PyTorch


@pytest.mark.torch
@pytest.mark.parametrize(
    ("name", "shapes"),
    [
        ("soft_margin_loss", [(2, 3), (3,)]),
        ("multilabel_soft_margin_loss", [(2, 3), (3,)]),
        ("hinge_embedding_loss", [(2, 3), (3,)]),
        ("cosine_embedding_loss", [(2, 3), (1, 3), (1,)]),
        ("margin_ranking_loss", [(3,), (3,), (1,)]),
    ],
)
def test_broadcasting_targets_match_torch(name, shapes, rng):
    torch = pytest.importorskip("torch")
    arrays = [rng.standard_normal(s) for s in shapes]
    arrays[-1] = np.sign(arrays[-1])
    out = getattr(F, name)(*[lucid.tensor(a) for a in arrays])
    out_t = getattr(torch.nn.functional, name)(*map(torch.tensor, arrays))
    np.testing.assert_allclose(out.numpy(), out_t.numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda x: F.huber_loss(x, x, delta=0.0), ValueError, "delta must be positive"),
        (lambda x: F.smooth_l1_loss(x, x, beta=-1.0), ValueError, "beta"),
        (lambda x: F.huber_loss(x, x, reduction="avg"), ValueError, "reduction"),
        (lambda x: F.mse_loss(x, x, weight=lucid.ones(3)), ValueError, "weight of shape"),
        (lambda x: F.gaussian_nll_loss(x, x, -lucid.ones(2, 3)), ValueError, "negative"),
        (lambda x: F.gaussian_nll_loss(x, x, lucid.ones(3, 2)), ValueError, "does not fit"),
        (lambda x: F.gaussian_nll_loss(x, x, -1.0), ValueError, "negative"),
        (lambda x: F.margin_ranking_loss(x, x, lucid.ones(3)), ValueError, "dimensions"),
        (lambda x: F.cosine_embedding_loss(x, x, lucid.ones(2, 1)), ValueError, "target"),
        (lambda x: F.cosine_embedding_loss(x, x, lucid.tensor(1.0)), ValueError, "target"),
        (lambda x: F.triplet_margin_loss(x, x, x, margin=0.0), ValueError, "margin"),
        (lambda x: F.triplet_margin_loss(x, x, x[0]), ValueError, "anchor"),
        (lambda x: F.multi_margin_loss(x, np.array([0, 3])), IndexError, "out of range"),
        (lambda x: F.multi_margin_loss(x, np.array([0.0, 1.0])), TypeError, "integer"),
        (lambda x: F.multi_margin_loss(x, np.array([0, 1]), p=3), ValueError, "p == 1"),
        (lambda x: F.multi_margin_loss(x, np.array([0])), ValueError, "target"),
        (lambda x: F.multi_margin_loss(x, np.array([0, 1]), weight=[1, 2]), ValueError, "weight"),
        (
            lambda x: F.multilabel_margin_loss(x, np.array([[0, 3, -1], [0, 1, 2]])),
            IndexError,
            r"\[-1, 2\]",
        ),  # fmt: skip
        (lambda x: F.multilabel_margin_loss(x, np.zeros(3, np.int64)), ValueError, "shape"),
        (lambda x: F.multilabel_soft_margin_loss(x[0, 0], x[0, 0]), ValueError, "class dim"),
        (lambda x: F.cross_entropy(x, lucid.ones(2, 3, dtype=lucid.float32)), TypeError, "dtype"),
        (lambda x: F.cross_entropy(x.long(), np.array([0, 1])), TypeError, "floating"),
        (lambda x: nn.MultiMarginLoss(p=0), ValueError, "p == 1"),
    ],
)
def test_losses_reject_bad_arguments(call, error, match):
    x = lucid.tensor(np.arange(6.0).reshape(2, 3), dtype=lucid.float64)
    with pytest.raises(error, match=match):
        call(x)


def test_loss_modules_register_class_weights_as_buffers():
    weight = lucid.tensor([1.0, 2.0, 3.0])
    for layer in (nn.MultiMarginLoss(weight=weight), nn.MultiLabelSoftMarginLoss(weight)):
        assert list(layer.state_dict()) == ["weight"]


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("shape", [(4, 3, 2, 2), (5, 3), (3,)])
def test_class_losses_float64_match_torch(name, shape, reduction, rng):
    """K-dimensional inputs, class weights, a class-valued ignore_index and (for
    cross_entropy) label smoothing, in float64."""
    torch = pytest.importorskip("torch")
    x = rng.standard_normal(shape)
    target = rng.integers(0, 3, shape[:1] + shape[2:] if len(shape) > 1 else ())
    target.reshape(-1)[0] = 2  # at least one target counts
    weight = np.array([0.5, 2.0, 1.25])
    kw = {"weight": weight, "ignore_index": 1, "reduction": reduction}
    if name == "cross_entropy":
        kw["label_smoothing"] = 0.15
    ours, theirs = lucid.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = getattr(F, name)(ours, target, **kw)
    kw["weight"] = torch.tensor(weight)
    out_t = getattr(torch.nn.functional, name)(theirs, torch.tensor(target), **kw)
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    out_t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
    kw["weight"] = weight
    leaf = lucid.tensor(x, requires_grad=True)
    assert gradcheck(lambda v: getattr(F, name)(v, target, **kw), (leaf,))


@pytest.mark.torch
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_all_ignored_mean_is_nan_with_zero_gradient_as_torch(name):
    torch = pytest.importorskip("torch")
    x = lucid.tensor(np.ones((2, 3)), requires_grad=True)
    loss = getattr(F, name)(x, np.array([-100, -100]))
    loss.backward()
    xt = torch.ones(2, 3, dtype=torch.float64, requires_grad=True)
    getattr(torch.nn.functional, name)(xt, torch.tensor([-100, -100])).backward()
    assert np.isnan(loss.item())
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("case", sorted(set(CASES) - NOT_DIFFERENTIABLE))
def test_loss_second_derivatives_match_finite_differences(case, rng):
    name, arrays, diff, kwargs = _build(case, rng)
    fn = getattr(F, name)
    ours = [lucid.tensor(a, requires_grad=i in diff) for i, a in enumerate(arrays)]
    kw = _kwargs(kwargs, lucid.tensor)
    assert gradgradcheck(lambda *xs: fn(*xs, reduction="sum", **kw), ours)
