"""interpolate / Upsample, pixel (un)shuffle, affine_grid and grid_sample against PyTorch."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck

# (input shape, interpolate keyword arguments)
RESIZES = [
    ((2, 3, 5), {"scale_factor": 2, "mode": "nearest"}),
    ((2, 3, 5), {"size": 8, "mode": "linear"}),
    ((2, 3, 5), {"scale_factor": 1.7, "mode": "linear", "align_corners": True}),
    ((1, 2, 4, 5), {"scale_factor": 2, "mode": "nearest"}),
    ((1, 2, 4, 5), {"size": (3, 7), "mode": "nearest"}),
    ((1, 2, 4, 5), {"scale_factor": 1.3, "mode": "nearest-exact"}),
    ((1, 2, 4, 5), {"scale_factor": 2, "mode": "bilinear"}),
    ((1, 2, 4, 5), {"size": (7, 3), "mode": "bilinear", "align_corners": True}),
    ((1, 2, 4, 5), {"scale_factor": (0.6, 1.5), "mode": "bilinear"}),
    ((1, 2, 4, 5), {"scale_factor": 0.7, "mode": "bilinear", "recompute_scale_factor": True}),
    ((1, 2, 4, 5), {"size": (4, 5), "mode": "bilinear"}),
    ((1, 2, 4, 5), {"scale_factor": 2, "mode": "bicubic"}),
    ((1, 2, 4, 5), {"size": (9, 3), "mode": "bicubic", "align_corners": True}),
    ((1, 2, 6, 5), {"size": (4, 3), "mode": "area"}),
    ((1, 2, 3, 4, 2), {"scale_factor": (2, 1.5, 0.5), "mode": "trilinear"}),
    ((1, 2, 3, 4, 2), {"size": (2, 5, 3), "mode": "nearest"}),
    ((0, 2, 4, 5), {"scale_factor": 2, "mode": "bilinear"}),
]


@pytest.mark.torch
@pytest.mark.parametrize(("shape", "kwargs"), RESIZES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_interpolate_matches_torch(shape, kwargs, dtype, rng, torch_compare):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal(shape).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    torch_compare(
        lambda x: F.interpolate(x, **kwargs),
        lambda x: torch.nn.functional.interpolate(x, **kwargs),
        [data],
        tol,
        tol,
    )


@pytest.mark.parametrize(("shape", "kwargs"), RESIZES[1:15:2])
def test_interpolate_gradient_matches_finite_differences(shape, kwargs, rng):
    x = lucid.tensor(rng.standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda t: F.interpolate(t, **kwargs), (x,))


def test_interpolate_nearest_keeps_integers():
    x = lucid.tensor(np.arange(6).reshape(1, 1, 2, 3))
    y = F.interpolate(x, scale_factor=2)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y.numpy()[0, 0, ::2, ::2], x.numpy()[0, 0])


def test_interpolate_rejects_bad_arguments():
    x = lucid.ones(1, 2, 4, 4)
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(NotImplementedError, match="'trilinear' needs a 5-D"):
        F.interpolate(x, scale_factor=2, mode="trilinear")
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(x, scale_factor=2, mode="nearest", align_corners=True)
    with pytest.raises(ValueError, match="mode must be one of"):
        F.interpolate(x, scale_factor=2, mode="lanczos")
    with pytest.raises(ValueError, match=r"size \(2, 3, 4\) must have 2 entries"):
        F.interpolate(x, size=(2, 3, 4))
    with pytest.raises(ValueError, match="greater than 0"):
        F.interpolate(x, scale_factor=0.1)
    with pytest.raises(ValueError, match=r"3-D, 4-D or 5-D.*\(4, 4\)"):
        F.interpolate(lucid.ones(4, 4), size=2)
    with pytest.raises(NotImplementedError, match="antialias"):
        F.interpolate(x, scale_factor=2, mode="bilinear", antialias=True)
    with pytest.raises(TypeError, match="floating-point"):
        F.interpolate(lucid.tensor(np.ones((1, 1, 2), np.int64)), size=3, mode="linear")


UPSAMPLERS = [
    ("Upsample", {"scale_factor": 2}), ("Upsample", {"size": (3, 7), "mode": "bilinear"}),
    ("Upsample", {"scale_factor": (2, 3), "mode": "bicubic", "align_corners": True}),
    ("UpsamplingNearest2d", {"scale_factor": 3}), ("UpsamplingBilinear2d", {"size": 5}),
    ("PixelShuffle", {"upscale_factor": 2}), ("PixelUnshuffle", {"downscale_factor": 2}),
]  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize(("name", "kwargs"), UPSAMPLERS)
def test_resampling_modules_match_torch(name, kwargs, rng, torch_compare):
    torch = pytest.importorskip("torch")
    module, module_t = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(module) == repr(module_t)
    assert module.state_dict() == {}
    torch_compare(module, module_t, [rng.standard_normal((2, 8, 4, 6))], 1e-12, 1e-12)


@pytest.mark.torch
@pytest.mark.parametrize(
    ("shape", "r"), [((2, 8, 3, 4), 2), ((9, 2, 3), 3), ((1, 2, 3, 4, 1, 1), 1)]
)
def test_pixel_shuffle_and_unshuffle_match_torch_and_invert(shape, r, rng, torch_compare):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal(shape)
    torch_compare(
        lambda t: F.pixel_shuffle(t, r),
        lambda t: torch.nn.functional.pixel_shuffle(t, r),
        [data],
        0,
        0,
    )
    x = lucid.tensor(data)
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, r), r).numpy(), data)


def test_pixel_shuffle_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"divide by upscale_factor\*\*2 = 4.*\(1, 6, 2, 2\)"):
        F.pixel_shuffle(lucid.ones(1, 6, 2, 2), 2)
    with pytest.raises(ValueError, match=r"H and W divide by downscale_factor = 2"):
        F.pixel_unshuffle(lucid.ones(1, 1, 3, 2), 2)
    with pytest.raises(ValueError, match="positive int"):
        F.pixel_shuffle(lucid.ones(1, 4, 2, 2), 0)


@pytest.mark.torch
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 3, 4, 2), (1, 1, 1, 1)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_torch(size, align_corners, rng, torch_compare):
    torch = pytest.importorskip("torch")
    k = len(size) - 2
    theta = rng.standard_normal((size[0], k, k + 1))
    torch_compare(
        lambda t: F.affine_grid(t, size, align_corners=align_corners),
        lambda t: torch.nn.functional.affine_grid(t, size, align_corners=align_corners),
        [theta],
        1e-12,
        1e-12,
    )
    assert gradcheck(
        lambda t: F.affine_grid(t, size, align_corners), (lucid.tensor(theta, requires_grad=True),)
    )


def _grid_away_from_pixel_edges(rng, shape, h, w, align_corners, spread=1.3):
    """Grid points whose pixel coordinates keep 0.05 from integers (kinks of bilinear)."""
    g = spread * rng.uniform(-1, 1, shape)
    for axis, n in ((0, w), (1, h)):
        pix = (
            (g[..., axis] + 1) * (n - 1) / 2 if align_corners else ((g[..., axis] + 1) * n - 1) / 2
        )
        frac = pix - np.round(pix)
        pix = np.where(np.abs(frac) < 0.05, np.round(pix) + 0.1, pix)
        g[..., axis] = 2 * pix / (n - 1) - 1 if align_corners else (2 * pix + 1) / n - 1
    return g


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_matches_torch(mode, padding_mode, align_corners, rng, torch_compare):
    torch = pytest.importorskip("torch")
    inp = rng.standard_normal((2, 3, 5, 6))
    grid = _grid_away_from_pixel_edges(rng, (2, 4, 7, 2), 5, 6, align_corners)
    args = (mode, padding_mode, align_corners)
    torch_compare(
        lambda x, g: F.grid_sample(x, g, *args),
        lambda x, g: torch.nn.functional.grid_sample(x, g, *args),
        [inp, grid],
        1e-10,
        1e-10,
        none_grad_is_zero=True,  # nearest sampling leaves the grid without a gradient
    )


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_gradient_matches_finite_differences(padding_mode, rng):
    x = lucid.tensor(rng.standard_normal((1, 2, 4, 5)), requires_grad=True)
    g = lucid.tensor(
        _grid_away_from_pixel_edges(rng, (1, 3, 3, 2), 4, 5, False), requires_grad=True
    )
    assert gradcheck(lambda a, b: F.grid_sample(a, b, padding_mode=padding_mode), (x, g))


def test_grid_sample_rejects_bad_arguments():
    x, g = lucid.ones(1, 2, 3, 3), lucid.zeros(1, 2, 2, 2)
    with pytest.raises(ValueError, match=r"grid \(N, Ho, Wo, 2\).*\(2, 2, 2, 2\)"):
        F.grid_sample(x, lucid.zeros(2, 2, 2, 2))
    with pytest.raises(ValueError, match="padding_mode"):
        F.grid_sample(x, g, padding_mode="wrap")
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.grid_sample(x, g, mode="bicubic")
    with pytest.raises(TypeError, match="float dtype"):
        F.grid_sample(x, lucid.zeros(1, 2, 2, 2, dtype=lucid.float64))
    with pytest.raises(ValueError, match=r"expected \(2, 2, 3\)"):
        F.affine_grid(lucid.zeros(2, 3, 3), (2, 1, 4, 4))
