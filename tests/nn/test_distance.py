"""normalize, cosine_similarity, pairwise_distance and their layers against PyTorch."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck


@pytest.mark.torch
@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((3, 4), {}),
        ((2, 3, 4), {"p": 1.0, "dim": -1}),
        ((5,), {"dim": 0}),
        ((2, 3), {"p": float("inf"), "dim": 0}),
        ((3, 4), {"p": 3.0, "eps": 0.5}),
        ((0, 3), {}),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normalize_matches_torch(shape, kwargs, dtype, rng, torch_compare):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal(shape).astype(dtype)
    if data.size:
        data.reshape(-1)[:3] = 0  # a zero vector where the shapes allow one
    tol = 1e-6 if dtype == np.float32 else 1e-12
    torch_compare(
        lambda x: F.normalize(x, **kwargs),
        lambda x: torch.nn.functional.normalize(x, **kwargs),
        [data],
        tol,
    )


@pytest.mark.torch
@pytest.mark.parametrize(
    ("shapes", "kwargs"),
    [
        (((4, 5), (4, 5)), {}),
        (((2, 3, 4), (1, 3, 4)), {"dim": -1}),
        (((3, 4), (4,)), {"dim": 1, "eps": 1e-2}),
        (((6,), (6,)), {"dim": 0}),
    ],
)
def test_cosine_similarity_matches_torch(shapes, kwargs, rng, torch_compare):
    torch = pytest.importorskip("torch")
    arrays = [rng.standard_normal(s) for s in shapes]
    arrays[0].reshape(-1)[:2] = 1e-4  # small norms: the clamp's side
    torch_compare(
        lambda a, b: F.cosine_similarity(a, b, **kwargs),
        lambda a, b: torch.nn.functional.cosine_similarity(a, b, **kwargs),
        arrays,
    )
    xs = [lucid.tensor(a, requires_grad=True) for a in arrays]
    assert gradcheck(lambda a, b: F.cosine_similarity(a, b, **kwargs), xs)


@pytest.mark.torch
@pytest.mark.parametrize(
    ("shapes", "kwargs"),
    [
        (((4, 5), (4, 5)), {}),
        (((2, 3, 4), (3, 4)), {"p": 1.0, "keepdim": True}),
        (((3, 4), (1, 4)), {"p": 3.0}),
        (((5,), (5,)), {"eps": 0.1}),
    ],
)
def test_pairwise_distance_matches_torch(shapes, kwargs, rng, torch_compare):
    torch = pytest.importorskip("torch")
    arrays = [rng.standard_normal(s) for s in shapes]
    torch_compare(
        lambda a, b: F.pairwise_distance(a, b, **kwargs),
        lambda a, b: torch.nn.functional.pairwise_distance(a, b, **kwargs),
        arrays,
    )
    xs = [lucid.tensor(a, requires_grad=True) for a in arrays]
    assert gradcheck(lambda a, b: F.pairwise_distance(a, b, **kwargs), xs)


@pytest.mark.torch
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("CosineSimilarity", {"dim": 0}), ("PairwiseDistance", {"p": 1.0, "keepdim": True})],
)
def test_distance_modules_match_torch(name, kwargs, rng, torch_compare):
    torch = pytest.importorskip("torch")
    module, module_t = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(module) == repr(module_t) and module.state_dict() == {}
    torch_compare(module, module_t, [rng.standard_normal((3, 4)), rng.standard_normal((3, 4))])


def test_normalize_gradient_matches_finite_differences(rng):
    x = lucid.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda t: F.normalize(t, p=3.0, dim=0), (x,))


def test_distance_functions_reject_bad_inputs():
    with pytest.raises(ValueError, match=r"shapes \(3, 4\) and \(3, 5\) do not broadcast"):
        F.cosine_similarity(lucid.ones(3, 4), lucid.ones(3, 5))
    with pytest.raises(ValueError, match="do not broadcast"):
        F.pairwise_distance(lucid.ones(3, 4), lucid.ones(2, 4))
    with pytest.raises(IndexError, match="axis 2"):
        F.normalize(lucid.ones(3, 4), dim=2)
    with pytest.raises(TypeError, match="floating-point"):
        F.normalize(lucid.tensor([1, 2]), dim=0)
