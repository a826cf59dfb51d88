"""lucid.random: one seeded generator, reproducible draws, shapes, dtypes and ranges."""

import numpy as np
import pytest

import lucid

SAMPLERS = {
    "randn": lambda: lucid.random.randn(3, 4),
    "rand": lambda: lucid.random.rand((3, 4)),
    "randint": lambda: lucid.random.randint(0, 10, (3, 4)),
    "uniform": lambda: lucid.random.uniform(-2.0, 3.0, (3, 4)),
    "normal": lambda: lucid.random.normal(1.0, 2.0, (3, 4)),
    "permutation": lambda: lucid.random.permutation(12),
    "randperm": lambda: lucid.randperm(12),
    "top_level_randn": lambda: lucid.randn(3, 4),
}


@pytest.mark.parametrize("name", SAMPLERS)
def test_seeding_twice_gives_the_same_numbers(name):
    lucid.random.seed(123)
    first = SAMPLERS[name]().numpy().copy()
    lucid.manual_seed(123)
    second = SAMPLERS[name]().numpy()
    np.testing.assert_array_equal(first, second)
    lucid.random.seed(124)
    assert not np.array_equal(first, SAMPLERS[name]().numpy())


def test_one_generator_behind_everything():
    g = lucid.random.generator()
    lucid.random.seed(7)
    assert lucid.random.generator() is g  # reseeding keeps the object others may hold
    a = g.standard_normal(3)
    lucid.random.seed(7)
    np.testing.assert_array_equal(a, np.random.default_rng(7).standard_normal(3))
    lucid.random.seed(7)
    b = lucid.random.randn(3, dtype=lucid.float64).numpy()
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("sampler", "dtype"),
    [
        (lambda: lucid.random.randn(2000), np.float32),
        (lambda: lucid.random.rand(2000, dtype=lucid.float64), np.float64),
        (lambda: lucid.random.normal(size=2000, dtype="float16"), np.float16),
        (lambda: lucid.random.uniform(size=(2000,)), np.float32),
        (lambda: lucid.random.randint(5, size=2000), np.int64),
        (lambda: lucid.random.randint(5, (2000,), dtype=lucid.int32), np.int32),
    ],  # fmt: skip
)
def test_samplers_dtypes(sampler, dtype):
    assert sampler().dtype == dtype


def test_sample_ranges_and_moments():
    lucid.random.seed(0)
    u = lucid.random.uniform(-2.0, 3.0, 20000).numpy()
    assert u.min() >= -2.0 and u.max() < 3.0 and abs(u.mean() - 0.5) < 0.05
    r = lucid.random.rand(20000).numpy()
    assert r.min() >= 0.0 and r.max() < 1.0
    n = lucid.random.normal(1.0, 2.0, 20000).numpy()
    assert abs(n.mean() - 1.0) < 0.05 and abs(n.std() - 2.0) < 0.05
    z = lucid.random.randn(20000).numpy()
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1.0) < 0.03


@pytest.mark.parametrize(
    ("args", "low", "high", "shape"),
    [
        ((10, (3, 4)), 0, 10, (3, 4)),  # PyTorch's randint(high, size)
        ((2, 5, (50,)), 2, 5, (50,)),  # PyTorch's and NumPy's randint(low, high, size)
        ((4,), 0, 4, ()),
    ],  # NumPy's randint(high)  # fmt: skip
)
def test_randint_spellings(args, low, high, shape):
    x = lucid.random.randint(*args)
    assert x.shape == shape and x.dtype == np.int64
    assert x.numpy().min() >= low and x.numpy().max() < high


def test_normal_broadcasts_mean_and_std():
    x = lucid.random.normal(np.array([0.0, 100.0]), lucid.tensor([[1e-3], [1e-3], [1e-3]]))
    assert x.shape == (3, 2) and x.dtype == np.float32
    np.testing.assert_allclose(x.numpy(), [[0.0, 100.0]] * 3, atol=0.05)


def test_permutation_of_an_int_and_of_a_tensor(rng):
    p = lucid.random.permutation(10)
    assert sorted(p.tolist()) == list(range(10)) and p.dtype == np.int64
    x = lucid.tensor(rng.standard_normal((5, 2)), requires_grad=True)
    shuffled = lucid.random.permutation(x)
    assert sorted(shuffled.numpy()[:, 0].tolist()) == sorted(x.numpy()[:, 0].tolist())
    shuffled.sum().backward()  # rows are picked through indexing, so gradients flow
    np.testing.assert_array_equal(x.grad, np.ones((5, 2)))


def test_requires_grad_on_float_samples():
    assert lucid.random.randn(2, requires_grad=True).requires_grad
    assert lucid.random.uniform(size=2, requires_grad=True).is_leaf


RANDOM_ERRORS = [
    (lambda: lucid.random.randn(2, dtype=lucid.int64), TypeError, "floating-point"),
    (lambda: lucid.random.randint(5, 5), ValueError, "greater"),
    (lambda: lucid.random.uniform(1.0, 0.0), ValueError, "below"),
    (lambda: lucid.random.normal(0.0, -1.0), ValueError, "negative"),
    (lambda: lucid.random.rand(-1), ValueError, "negative"),
    (lambda: lucid.random.seed(-1), ValueError, "non-negative"),
    (lambda: lucid.random.permutation(lucid.tensor(1.0)), ValueError, "axis"),
]


@pytest.mark.parametrize(("fn", "error", "match"), RANDOM_ERRORS)
def test_random_rejects_bad_input(fn, error, match):
    with pytest.raises(error, match=match):
        fn()
