"""lucid.Generator objects, generator= on every sampler, and the new samplers."""

import numpy as np
import pytest

import lucid

SAMPLERS = {
    "randn": lambda g: lucid.randn(3, 4, generator=g),
    "rand": lambda g: lucid.rand((3, 4), generator=g),
    "randint": lambda g: lucid.randint(0, 10, (3, 4), generator=g),
    "randperm": lambda g: lucid.randperm(12, generator=g),
    "normal": lambda g: lucid.normal(1.0, 2.0, (3, 4), generator=g),
    "normal_tensor": lambda g: lucid.normal(lucid.zeros(3, 4), lucid.ones(3, 4), generator=g),
    "uniform": lambda g: lucid.random.uniform(-1.0, 1.0, (5,), generator=g),
    "permutation": lambda g: lucid.random.permutation(7, generator=g),
    "bernoulli": lambda g: lucid.bernoulli(lucid.full((20,), 0.5), generator=g),
    "multinomial": lambda g: lucid.multinomial(lucid.ones(2, 5), 3, generator=g),
    "multinomial_repl": lambda g: lucid.multinomial(lucid.ones(5), 9, True, generator=g),
    "poisson": lambda g: lucid.poisson(lucid.full((6,), 3.0), generator=g),
    "uniform_": lambda g: lucid.empty(5).uniform_(-2, 2, generator=g),
    "normal_": lambda g: lucid.empty(5).normal_(1, 3, generator=g),
    "random_": lambda g: lucid.empty(5).random_(0, 100, generator=g),
    "bernoulli_": lambda g: lucid.empty(9).bernoulli_(0.3, generator=g),
    "exponential_": lambda g: lucid.empty(5).exponential_(2.0, generator=g),
}


@pytest.mark.parametrize("name", SAMPLERS)
def test_a_seeded_generator_reproduces_and_leaves_the_default_alone(name):
    draw = SAMPLERS[name]
    before = lucid.default_generator.get_state().numpy().copy()
    first = draw(lucid.Generator().manual_seed(5)).numpy().copy()
    second = draw(lucid.Generator().manual_seed(5)).numpy()
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(lucid.default_generator.get_state().numpy(), before)
    lucid.manual_seed(5)  # the default generator, seeded alike, gives the same stream
    np.testing.assert_array_equal(draw(None).numpy(), first)


def test_generator_methods():
    g = lucid.Generator()
    assert g.manual_seed(42) is g and g.initial_seed() == 42
    s = g.seed()
    assert isinstance(s, int) and g.initial_seed() == s
    state = g.get_state()
    assert state.dtype == np.uint8 and state.ndim == 1
    a = lucid.randn(4, generator=g).numpy().copy()
    assert g.set_state(state) is g
    np.testing.assert_array_equal(lucid.randn(4, generator=g).numpy(), a)
    with pytest.raises(ValueError, match="uint8"):
        g.set_state(lucid.zeros(3))
    assert g.device == lucid.device("cpu")
    with pytest.raises(RuntimeError, match="cuda"):
        lucid.Generator(device="cuda")
    with pytest.raises(TypeError, match="Generator"):
        lucid.randn(2, generator=np.random.default_rng(0))


def test_manual_seed_returns_the_default_generator_and_rng_state_round_trips():
    g = lucid.manual_seed(3)
    assert g is lucid.default_generator and lucid.initial_seed() == 3
    state = lucid.get_rng_state()
    a = lucid.rand(3).numpy().copy()
    lucid.set_rng_state(state)
    np.testing.assert_array_equal(lucid.rand(3).numpy(), a)


def test_dataloader_accepts_a_lucid_generator():
    ds = lucid.data.TensorDataset(lucid.arange(10))
    loaders = [
        lucid.data.DataLoader(ds, shuffle=True, generator=lucid.Generator().manual_seed(1))
        for _ in range(2)
    ]
    order = [[int(b[0][0]) for b in loader] for loader in loaders]
    assert order[0] == order[1] and sorted(order[0]) == list(range(10))


def test_multinomial_frequencies_and_rules():
    g = lucid.Generator().manual_seed(0)
    probs = lucid.tensor([0.1, 0.0, 0.6, 0.3])
    draws = lucid.multinomial(probs, 20000, replacement=True, generator=g).numpy()
    assert draws.dtype == np.int64 and draws.shape == (20000,)
    freq = np.bincount(draws, minlength=4) / draws.size
    np.testing.assert_allclose(freq, [0.1, 0.0, 0.6, 0.3], atol=0.02)
    rows = lucid.multinomial(lucid.rand(6, 8) + 0.01, 8, generator=g).numpy()
    assert all(sorted(r) == list(range(8)) for r in rows)  # no replacement: a permutation
    with pytest.raises(ValueError, match="without replacement"):
        lucid.multinomial(probs, 4)
    with pytest.raises(ValueError, match="non-negative"):
        lucid.multinomial(lucid.tensor([-0.1, 1.0]), 1)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        lucid.multinomial(lucid.ones(2, 2, 2), 1)
    assert probs.multinomial(2).shape == (2,)


def test_bernoulli_and_poisson_moments():
    g = lucid.Generator().manual_seed(1)
    p = lucid.tensor(np.linspace(0.05, 0.95, 5), dtype=lucid.float64)
    draws = np.stack([lucid.bernoulli(p, generator=g).numpy() for _ in range(4000)])
    assert draws.dtype == np.float64 and set(np.unique(draws)) <= {0.0, 1.0}
    np.testing.assert_allclose(draws.mean(0), p.numpy(), atol=0.03)
    assert lucid.bernoulli(lucid.zeros(3), 0.0).sum().item() == 0
    rates = lucid.poisson(lucid.full((20000,), 4.0), generator=g).numpy()
    assert rates.dtype == np.float32 and abs(rates.mean() - 4.0) < 0.1
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        lucid.bernoulli(lucid.tensor([1.5]))


def test_like_samplers_follow_their_input():
    x = lucid.zeros(2, 3, dtype=lucid.float64)
    assert lucid.randn_like(x).shape == (2, 3) and lucid.randn_like(x).dtype == np.float64
    assert lucid.rand_like(x, dtype=lucid.float16).dtype == np.float16
    r = lucid.randint_like(x, 3, 7)
    assert r.dtype == np.float64 and r.numpy().min() >= 3 and r.numpy().max() < 7
    assert lucid.randint_like(lucid.zeros(50, dtype=lucid.int32), 2).numpy().max() <= 1


def test_in_place_samplers_ranges_and_refusals():
    g = lucid.Generator().manual_seed(2)
    u = lucid.empty(10000).uniform_(-2, 3, generator=g).numpy()
    assert u.min() >= -2 and u.max() < 3
    e = lucid.empty(20000, dtype=lucid.float64).exponential_(2.0, generator=g).numpy()
    assert e.min() >= 0 and abs(e.mean() - 0.5) < 0.02
    r = lucid.zeros(1000, dtype=lucid.int64).random_(5, generator=g).numpy()
    assert r.min() >= 0 and r.max() <= 4
    w = lucid.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.uniform_()
    with lucid.no_grad():
        w.normal_(0.0, 0.1)  # as nn.init does
    with pytest.raises(TypeError, match="floating"):
        lucid.zeros(2, dtype=lucid.int64).normal_()


def test_seed_without_an_argument_reseeds_from_entropy_as_torch_seed():
    s = lucid.seed()
    assert isinstance(s, int) and lucid.initial_seed() == s
    a = lucid.rand(3).numpy().copy()
    lucid.manual_seed(s)
    np.testing.assert_array_equal(lucid.rand(3).numpy(), a)
    assert lucid.random.seed(5) == 5 and lucid.initial_seed() == 5
