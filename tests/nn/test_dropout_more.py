"""Channel dropout (1d/2d/3d) and alpha dropout: masks, scaling, gradients, statistics, errors.

Random masks cannot match PyTorch's generator, so the tests check the rules PyTorch states:
which elements share a mask value, the scale of kept values, and the gradient's mask.
"""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F

ALPHA = 1.7580993408473766


@pytest.mark.parametrize(
    ("fn", "shape", "channel_axes"),
    [
        (F.dropout1d, (4, 5, 7), 2),
        (F.dropout1d, (6, 7), 1),
        (F.dropout2d, (3, 4, 5, 6), 2),
        (F.dropout3d, (2, 3, 2, 3, 4), 2),
        (F.dropout3d, (5, 2, 3, 4), 1),
    ],
)
def test_channel_dropout_zeroes_whole_channels_and_scales_the_rest(fn, shape, channel_axes, rng):
    lucid.random.seed(3)
    data = rng.uniform(1, 2, shape)
    x = lucid.tensor(data, requires_grad=True)
    y = fn(x, p=0.3)
    upstream = rng.standard_normal(shape)
    y.backward(upstream)
    ratio = y.numpy() / data
    per_channel = ratio.reshape(*shape[:channel_axes], -1)
    assert np.allclose(per_channel, per_channel[..., :1])  # one mask value per channel
    assert set(np.round(np.unique(per_channel), 12)) <= {0.0, round(1 / 0.7, 12)}
    assert 0 < (per_channel[..., 0] == 0).mean() < 1
    np.testing.assert_allclose(x.grad.numpy(), upstream * ratio, rtol=1e-12)


def test_channel_dropout_rate_is_p(rng):
    lucid.random.seed(0)
    y = F.dropout2d(lucid.ones(200, 100, 2, 2), p=0.25)
    assert abs((y.numpy()[:, :, 0, 0] == 0).mean() - 0.25) < 0.01


@pytest.mark.parametrize("fn", [F.dropout1d, F.dropout2d, F.dropout3d])
def test_channel_dropout_is_the_identity_when_off_and_zero_at_p_1(fn):
    shape = {F.dropout1d: (2, 3, 4), F.dropout2d: (2, 3, 4, 4), F.dropout3d: (2, 3, 2, 2, 2)}[fn]
    x = lucid.ones(*shape)
    assert fn(x, 0.5, training=False) is x
    assert fn(x, 0.0) is x
    np.testing.assert_array_equal(fn(x, 1.0).numpy(), 0)


def test_dropout2d_reads_a_3d_input_as_n_c_l_with_a_warning():
    lucid.random.seed(1)
    with pytest.warns(UserWarning, match=r"\(N, C, L\)"):
        y = F.dropout2d(lucid.ones(8, 6, 5), 0.5).numpy()
    assert (y == y[:, :, :1]).all() and not (y == y[:1, :, :1]).all()


def test_alpha_dropout_follows_pytorchs_affine_map(rng):
    lucid.random.seed(2)
    p = 0.2
    a = 1 / np.sqrt((ALPHA**2 * p + 1) * (1 - p))
    data = rng.standard_normal((50, 40))
    x = lucid.tensor(data, requires_grad=True)
    y = F.alpha_dropout(x, p, training=True)
    upstream = rng.standard_normal(data.shape)
    y.backward(upstream)
    kept = np.isclose(y.numpy(), a * data + ALPHA * a * p, rtol=1e-12, atol=1e-12)
    dropped = np.isclose(y.numpy(), ALPHA * a * (p - 1), rtol=1e-12)
    assert (kept | dropped).all() and 0.1 < dropped.mean() < 0.3
    np.testing.assert_allclose(x.grad.numpy(), upstream * a * kept, rtol=1e-12)


def test_alpha_dropout_keeps_zero_mean_and_unit_variance(rng):
    lucid.random.seed(4)
    y = F.alpha_dropout(lucid.tensor(rng.standard_normal(200_000)), 0.3, training=True).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.var() - 1) < 0.02


def test_feature_alpha_dropout_shares_the_mask_per_channel(rng):
    lucid.random.seed(5)
    y = F.feature_alpha_dropout(lucid.zeros(6, 5, 4), 0.5, training=True).numpy()
    assert (y == y[:, :, :1]).all() and len(np.unique(y)) == 2


def test_alpha_dropout_defaults_to_evaluation_as_pytorch():
    x = lucid.ones(3)
    assert F.alpha_dropout(x) is x and F.feature_alpha_dropout(x) is x


@pytest.mark.torch
@pytest.mark.parametrize(
    "name", ["Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]
)
def test_dropout_modules_match_torch_reprs_and_eval(name, rng):
    torch = pytest.importorskip("torch")
    module, module_t = getattr(nn, name)(0.3), getattr(torch.nn, name)(0.3)
    assert repr(module) == repr(module_t) and module.state_dict() == {}
    module.eval()
    data = rng.standard_normal((2, 3, 4, 4, 2))[: 3 if name == "Dropout1d" else None]
    data = data.reshape(2, 3, -1) if name == "Dropout1d" else data
    data = data[..., 0] if name == "Dropout2d" else data
    np.testing.assert_array_equal(module(lucid.tensor(data)).numpy(), data)
    module.train()
    lucid.random.seed(6)
    out = module(lucid.tensor(data)).numpy()
    assert out.shape == data.shape and not np.array_equal(out, data)


def test_dropout_variants_reject_bad_arguments():
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout2d(lucid.ones(2, 3, 4, 4), 1.5)
    with pytest.raises(ValueError, match=r"2-D or 3-D input, got shape \(2, 3, 4, 4\)"):
        F.dropout1d(lucid.ones(2, 3, 4, 4))
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.alpha_dropout(lucid.ones(3), -0.1, training=True)
    with pytest.raises(ValueError, match=r"\(N, C, \.\.\.\) input"):
        F.feature_alpha_dropout(lucid.ones(3), 0.5, training=True)
