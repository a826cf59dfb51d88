"""nn.init: bounds and statistics against the formulas, fans, gains, reproducibility."""

import math

import numpy as np
import pytest

import lucid
from lucid.nn import init

BIG = (256, 64, 3, 3)  # fan_in 576, fan_out 2304; 147,456 draws: std within ~0.5%


def _param(shape, dtype=np.float32):
    return lucid.nn.Parameter(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize(
    ("name", "param", "expected"),
    [("linear", None, 1.0), ("conv2d", None, 1.0), ("sigmoid", None, 1.0),
     ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)), ("selu", None, 0.75),
     ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
     ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3))],
)  # fmt: skip
def test_calculate_gain(name, param, expected):
    assert init.calculate_gain(name, param) == pytest.approx(expected)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["linear", "tanh", "relu", "leaky_relu", "selu", "conv1d"])
def test_calculate_gain_matches_torch(name):
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))


@pytest.mark.parametrize(
    ("fn", "kwargs", "bound"),
    [
        (init.kaiming_uniform_, {}, math.sqrt(2) * math.sqrt(3 / 576)),  # a = 0: leaky = relu
        (init.kaiming_uniform_, {"mode": "fan_out", "nonlinearity": "relu"},
         math.sqrt(2) * math.sqrt(3 / 2304)),
        (init.kaiming_uniform_, {"a": math.sqrt(5)}, 1 / math.sqrt(576)),
        (init.xavier_uniform_, {"gain": 2.0}, 2.0 * math.sqrt(6 / (576 + 2304))),
        (init.uniform_, {"a": -0.3, "b": 0.3}, 0.3),
    ],
)  # fmt: skip
def test_uniform_initialisers_respect_bounds_and_variance(fn, kwargs, bound):
    lucid.random.seed(0)
    w = _param(BIG)
    assert fn(w, **kwargs) is w
    values = w.numpy()
    assert np.abs(values).max() <= bound * (1 + 1e-6)
    assert np.abs(values).max() > 0.99 * bound
    np.testing.assert_allclose(values.std(), bound / math.sqrt(3), rtol=0.01)
    assert abs(values.mean()) < 0.01 * bound


@pytest.mark.parametrize(
    ("fn", "kwargs", "std"),
    [
        (init.kaiming_normal_, {"nonlinearity": "relu"}, math.sqrt(2 / 576)),
        (init.kaiming_normal_, {"mode": "fan_out", "a": 0.2},
         math.sqrt(2 / (1 + 0.04)) / math.sqrt(2304)),
        (init.xavier_normal_, {}, math.sqrt(2 / (576 + 2304))),
        (init.normal_, {"mean": 0.0, "std": 0.02}, 0.02),
    ],
)  # fmt: skip
def test_normal_initialisers_have_the_formula_std(fn, kwargs, std):
    lucid.random.seed(1)
    w = fn(_param(BIG), **kwargs)
    np.testing.assert_allclose(w.numpy().std(), std, rtol=0.01)
    assert abs(w.numpy().mean()) < 0.01 * std


def test_normal_mean_and_constants():
    lucid.random.seed(2)
    w = init.normal_(_param((100, 100)), mean=3.0, std=0.5)
    np.testing.assert_allclose(w.numpy().mean(), 3.0, atol=0.02)
    np.testing.assert_array_equal(init.constant_(_param((2, 3)), 0.5).numpy(), 0.5)
    np.testing.assert_array_equal(init.zeros_(lucid.ones(4)).numpy(), 0)
    np.testing.assert_array_equal(init.ones_(_param(3)).numpy(), 1)


def test_trunc_normal_stays_within_bounds_with_the_truncated_std():
    lucid.random.seed(3)
    w = init.trunc_normal_(_param((300, 300)), mean=0.5, std=1.0, a=-0.5, b=1.5)
    values = w.numpy()
    assert values.min() >= -0.5 and values.max() <= 1.5
    # N(0, 1) truncated to [-1, 1]: variance 1 - 2 phi(1) / (Phi(1) - Phi(-1))
    phi1 = math.exp(-0.5) / math.sqrt(2 * math.pi)
    mass = math.erf(1 / math.sqrt(2))
    np.testing.assert_allclose(values.std(), math.sqrt(1 - 2 * phi1 / mass), rtol=0.01)
    np.testing.assert_allclose(values.mean(), 0.5, atol=0.01)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 2, 2, 2)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    lucid.random.seed(4)
    w = init.orthogonal_(_param(shape, np.float64), gain=2.0).numpy().reshape(shape[0], -1)
    small = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    np.testing.assert_allclose(small, 4.0 * np.eye(small.shape[0]), atol=1e-10)


@pytest.mark.parametrize(
    "fn", [init.uniform_, init.normal_, init.kaiming_uniform_, init.kaiming_normal_,
           init.xavier_uniform_, init.xavier_normal_, init.trunc_normal_, init.orthogonal_],
)  # fmt: skip
def test_initialisers_are_reproducible_in_place_and_keep_dtype(fn):
    for dtype in (np.float32, np.float64):
        w = _param((8, 5), dtype)
        array = w.numpy()
        lucid.random.seed(5)
        first = fn(w).numpy().copy()
        lucid.random.seed(5)
        second = fn(w).numpy()
        assert w.numpy() is array and w.dtype == dtype
        assert w.requires_grad and w.is_leaf
        np.testing.assert_array_equal(first, second)
        assert not np.array_equal(fn(w).numpy(), first)


def test_initialising_a_saved_tensor_invalidates_its_graph():
    w = _param((3, 3))
    init.ones_(w)
    out = (w * w).sum()
    init.normal_(w)
    with pytest.raises(RuntimeError, match="modified in place"):
        out.backward()


def test_initialiser_errors():
    with pytest.raises(ValueError, match="at least 2 dimensions.*\\(5,\\)"):
        init.xavier_uniform_(_param(5))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(_param((2, 2)), mode="fan_avg")
    with pytest.raises(ValueError, match="nonlinearity 'swish'"):
        init.kaiming_uniform_(_param((2, 2)), nonlinearity="swish")
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(_param((2, 2)), a=1.0, b=0.0)


@pytest.mark.parametrize(
    ("fn", "args"),
    [(init.uniform_, ()), (init.normal_, ()), (init.trunc_normal_, ()),
     (init.kaiming_uniform_, ()), (init.kaiming_normal_, ()), (init.xavier_uniform_, ()),
     (init.xavier_normal_, ()), (init.orthogonal_, ()), (init.sparse_, (0.5,))],
)  # fmt: skip
def test_generator_argument_draws_from_that_generator_only(fn, args):
    lucid.random.seed(6)
    expected_global = lucid.random.generator().random()
    lucid.random.seed(6)
    a = fn(_param((6, 5), np.float64), *args, generator=np.random.default_rng(11)).numpy()
    b = fn(_param((6, 5), np.float64), *args, generator=np.random.default_rng(11)).numpy()
    np.testing.assert_array_equal(a, b)
    assert lucid.random.generator().random() == expected_global  # the global stream untouched
    c = fn(_param((6, 5), np.float64), *args, generator=np.random.default_rng(12)).numpy()
    assert not np.array_equal(a, c)
    with pytest.raises(TypeError, match="generator must be"):
        fn(_param((6, 5)), *args, generator=11)


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2)])
def test_eye_matches_torch(shape):
    torch = pytest.importorskip("torch")
    w = init.eye_(_param(shape))
    np.testing.assert_array_equal(w.numpy(), torch.nn.init.eye_(torch.empty(shape)).numpy())


@pytest.mark.torch
@pytest.mark.parametrize(
    ("shape", "groups"), [((4, 4, 3), 1), ((6, 2, 3, 3), 2), ((3, 5, 1, 3, 2), 1), ((4, 6, 2), 2)]
)
def test_dirac_matches_torch(shape, groups):
    torch = pytest.importorskip("torch")
    w = init.dirac_(lucid.ones(shape), groups)
    expected = torch.nn.init.dirac_(torch.ones(shape), groups)
    np.testing.assert_array_equal(w.numpy(), expected.numpy())


def test_dirac_weight_makes_a_convolution_the_identity(rng):
    x = lucid.tensor(rng.standard_normal((2, 3, 5, 5)))
    w = init.dirac_(lucid.zeros(3, 3, 3, 3, dtype=lucid.float64))
    out = lucid.nn.functional.conv2d(x, w, padding=1)
    np.testing.assert_allclose(out.numpy(), x.numpy(), atol=1e-6)


def test_sparse_zeroes_the_same_count_in_every_column():
    lucid.random.seed(7)
    w = init.sparse_(_param((40, 300), np.float64), sparsity=0.3, std=0.5).numpy()
    np.testing.assert_array_equal((w == 0).sum(axis=0), math.ceil(0.3 * 40))
    np.testing.assert_allclose(w[w != 0].std(), 0.5, rtol=0.02)


def test_new_initialiser_errors():
    with pytest.raises(ValueError, match="2-D"):
        init.sparse_(_param((2, 2, 2)), 0.1)
    with pytest.raises(ValueError, match="sparsity"):
        init.sparse_(_param((2, 2)), 1.5)
    with pytest.raises(ValueError, match="2-D"):
        init.eye_(_param(3))
    with pytest.raises(ValueError, match="3, 4 or 5-D"):
        init.dirac_(_param((2, 2)))
    with pytest.raises(ValueError, match="divisible by groups"):
        init.dirac_(_param((3, 2, 3)), groups=2)
    assert init.orthogonal_(_param((0, 3))).shape == (0, 3)


@pytest.mark.parametrize(
    "name", ["uniform", "normal", "xavier_uniform", "xavier_normal", "kaiming_uniform",
             "kaiming_normal", "orthogonal", "eye", "dirac", "constant", "sparse"],
)  # fmt: skip
def test_deprecated_names_warn_and_call_the_new_ones(name):
    shape = (3, 3, 3) if name == "dirac" else (4, 3)
    args = {"constant": (0.5,), "sparse": (0.5,)}.get(name, ())
    lucid.random.seed(8)
    expected = getattr(init, name + "_")(_param(shape), *args).numpy()
    lucid.random.seed(8)
    with pytest.warns(FutureWarning, match=f"nn.init.{name}` is now deprecated"):
        got = getattr(init, name)(_param(shape), *args).numpy()
    np.testing.assert_array_equal(got, expected)


def test_normal_quantile_inverts_the_cdf():
    p = np.array([1e-300, 1e-12, 0.01, 0.02425, 0.3, 0.5, 0.9, 0.99, 1 - 1e-12])
    x = init._normal_ppf(p)
    back = np.array([init._normal_cdf(v) for v in x])
    np.testing.assert_allclose(back, p, rtol=1e-9)


@pytest.mark.parametrize(("a", "b"), [(5.0, 6.0), (-9.0, -8.5), (0.1, 0.2), (-0.05, 0.05)])
def test_trunc_normal_handles_narrow_and_far_intervals(a, b):
    lucid.random.seed(9)
    values = init.trunc_normal_(_param(20_000, np.float64), a=a, b=b).numpy()
    assert values.min() >= a and values.max() <= b
    # the truncated normal's mean: (phi(a) - phi(b)) / (Phi(b) - Phi(a)), in the lower tail
    lo, hi = (-b, -a) if a > 0 else (a, b)
    phi = lambda t: math.exp(-t * t / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    mean = (phi(lo) - phi(hi)) / (init._normal_cdf(hi) - init._normal_cdf(lo))
    expected = -mean if a > 0 else mean
    np.testing.assert_allclose(values.mean(), expected, atol=0.01 * (b - a) + 1e-3)


def test_generator_argument_accepts_a_wrapping_generator_object():
    class Wrapper:  # the shape of a lucid Generator: a NumPy generator as ``_rng``
        def __init__(self, seed):
            self._rng = np.random.default_rng(seed)

    a = init.normal_(_param((3, 4), np.float64), generator=Wrapper(3)).numpy()
    b = init.normal_(_param((3, 4), np.float64), generator=np.random.default_rng(3)).numpy()
    np.testing.assert_array_equal(a, b)
