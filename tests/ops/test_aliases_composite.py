"""The composites of lucid/ops/aliases.py (inner, kron, renorm, put, matrix_power, cov ...)
against PyTorch: values, and gradients of a random upstream gradient."""

import numpy as np
import pytest

import lucid
from lucid.autograd import gradcheck

torch = pytest.importorskip("torch")


def _leaf(a):
    return lucid.tensor(a, requires_grad=True)


@pytest.mark.torch
@pytest.mark.parametrize("sizes, dim", [([1, 2, 3], 1), ([0, 4], 0), ([2, 2], -1)])
def test_split_with_sizes_matches_torch(sizes, dim, torch_parity, rng):
    a = rng.standard_normal((4, 6, 4))
    if dim == 1:
        a = a[:, :6]
    torch_parity(
        lambda x: x.split_with_sizes(sizes, dim), lambda x: x.split_with_sizes(sizes, dim), a
    )
    torch_parity(
        lambda x: lucid.split_with_sizes(x, sizes, dim),
        lambda x: torch.split_with_sizes(x, sizes, dim),
        a,
    )


def test_split_with_sizes_refuses_sizes_that_do_not_add_up():
    with pytest.raises(ValueError, match="sum to the length 4"):
        lucid.zeros(4, 2).split_with_sizes([1, 2])


@pytest.mark.torch
@pytest.mark.parametrize(
    "shape, size", [((2, 3, 4), (3, 1)), ((6, 4), (1, 4)), ((3,), (3,)), ((2, 3), (1, 1))]
)
def test_sum_to_size_matches_torch(shape, size, torch_parity, rng):
    torch_parity(lambda x: x.sum_to_size(*size), lambda x: x.sum_to_size(*size),
                 rng.standard_normal(shape))  # fmt: skip
    torch_parity(lambda x: x.sum_to_size(size), lambda x: x.sum_to_size(size),
                 rng.standard_normal(shape))  # fmt: skip


def test_sum_to_size_refuses_a_size_it_cannot_expand_to():
    with pytest.raises(ValueError, match="not expandable"):
        lucid.zeros(2, 3).sum_to_size(2)


@pytest.mark.torch
@pytest.mark.parametrize("shape, offset", [((3,), 0), ((2, 2), 1), ((4,), -2), ((), 0)])
def test_diagflat_matches_torch(shape, offset, torch_parity, rng):
    a = rng.standard_normal(shape)
    torch_parity(lambda x: x.diagflat(offset), lambda x: x.diagflat(offset), a)
    torch_parity(lambda x: lucid.diagflat(x, offset), lambda x: torch.diagflat(x, offset), a)


@pytest.mark.torch
@pytest.mark.parametrize("sa, sb", [((3,), (3,)), ((2, 3), (4, 3)), ((2, 1, 3), (3,)),
                                    ((), (2, 3)), ((0, 3), (2, 3))])  # fmt: skip
def test_inner_matches_torch(sa, sb, torch_parity, rng):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    torch_parity(lucid.inner, torch.inner, a, b)
    torch_parity(lambda x, y: x.inner(y), lambda x, y: x.inner(y), a, b)


def test_inner_and_vdot_refuse_mismatched_shapes():
    with pytest.raises(ValueError, match="last dims"):
        lucid.inner(lucid.zeros(2, 3), lucid.zeros(3, 2))
    with pytest.raises(ValueError, match="1-D"):
        lucid.vdot(lucid.zeros(2, 3), lucid.zeros(2, 3))


@pytest.mark.torch
def test_vdot_matches_torch(torch_parity, rng):
    a, b = rng.standard_normal(5), rng.standard_normal(5)
    torch_parity(lucid.vdot, torch.vdot, a, b)
    torch_parity(lambda x, y: x.vdot(y), lambda x, y: x.vdot(y), a, b)


@pytest.mark.torch
@pytest.mark.parametrize("sa, sb", [((2,), (3,)), ((2, 3), (3, 2)), ((2, 1, 2), (3, 2)),
                                    ((), (2, 2)), ((0, 2), (2, 2))])  # fmt: skip
def test_kron_matches_torch(sa, sb, torch_parity, rng):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    torch_parity(lucid.kron, torch.kron, a, b)
    torch_parity(lambda x, y: x.kron(y), lambda x, y: x.kron(y), a, b)


def test_kron_gradient_matches_finite_differences(rng):
    assert gradcheck(lucid.kron, (_leaf(rng.standard_normal((2, 3))),
                                  _leaf(rng.standard_normal((3, 2)))))  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize("p", [2, 1, 3.5, float("inf")])
@pytest.mark.parametrize("sa, sb", [((3, 4), (4,)), ((5,), (5,))])
def test_dist_matches_torch(p, sa, sb, torch_parity, rng):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    torch_parity(lambda x, y: lucid.dist(x, y, p), lambda x, y: torch.dist(x, y, p), a, b)
    torch_parity(lambda x, y: x.dist(y, p), lambda x, y: x.dist(y, p), a, b)


@pytest.mark.torch
@pytest.mark.parametrize("p, dim, maxnorm", [(2, 0, 1.5), (1, 1, 2.0), (3, -1, 0.8), (2, 2, 1.0)])
def test_renorm_matches_torch(p, dim, maxnorm, torch_parity, rng):
    a = rng.standard_normal((3, 4, 2))
    torch_parity(lambda x: lucid.renorm(x, p, dim, maxnorm),
                 lambda x: torch.renorm(x, p, dim, maxnorm), a)  # fmt: skip
    x, xt = lucid.tensor(a), torch.tensor(a)
    x.renorm_(p, dim, maxnorm)
    xt.renorm_(p, dim, maxnorm)
    np.testing.assert_allclose(x.numpy(), xt.numpy(), rtol=1e-12)


def test_renorm_gradient_matches_finite_differences(rng):
    x = _leaf(rng.standard_normal((3, 4)))
    assert gradcheck(lambda t: lucid.renorm(t, 2, 0, 1.2), (x,))


def test_renorm_refuses_bad_arguments():
    with pytest.raises(IndexError, match="out of range"):
        lucid.renorm(lucid.zeros(2, 3), 2, 2, 1.0)
    with pytest.raises(ValueError, match="positive"):
        lucid.renorm(lucid.zeros(2, 3), 0, 0, 1.0)


@pytest.mark.torch
def test_hardshrink_and_prelu_methods_match_torch(torch_parity, rng):
    a = rng.standard_normal((2, 3, 4)) + 0.01  # away from the kinks at +-0.5 and 0
    torch_parity(lambda x: x.hardshrink(0.3), lambda x: x.hardshrink(0.3), a)
    torch_parity(lambda x, w: x.prelu(w), lambda x, w: x.prelu(w), a, rng.uniform(0, 1, 3))


@pytest.mark.torch
@pytest.mark.parametrize("accumulate", [False, True])
def test_put_matches_torch(accumulate, torch_parity, rng):
    a = rng.standard_normal((3, 4))
    index = np.array([[0, -1], [5, 7]]) if not accumulate else np.array([1, 1, 11, -12])
    src = rng.standard_normal(index.shape)
    torch_parity(lambda x, i, s: lucid.put(x, i, s, accumulate),
                 lambda x, i, s: torch.put(x, i, s, accumulate), a, index, src)  # fmt: skip
    torch_parity(lambda x, i, s: x.put(i, s, accumulate),
                 lambda x, i, s: x.put(i, s, accumulate), a, index, src)  # fmt: skip
    x, xt = lucid.tensor(a), torch.tensor(a)
    assert x.put_(lucid.tensor(index), lucid.tensor(src), accumulate) is x
    xt.put_(torch.tensor(index), torch.tensor(src), accumulate)
    np.testing.assert_allclose(x.numpy(), xt.numpy(), rtol=1e-12)


def test_put_refuses_out_of_range_and_float_indices():
    with pytest.raises(IndexError, match="out of range"):
        lucid.put(lucid.zeros(2, 2), lucid.tensor([4]), lucid.tensor([1.0]))
    with pytest.raises(TypeError, match="integer"):
        lucid.put(lucid.zeros(2, 2), lucid.tensor([1.0]), lucid.tensor([1.0]))


@pytest.mark.torch
@pytest.mark.parametrize("n", [1, 2, 3, 5, -1, -3])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_matrix_power_matches_torch(n, shape, torch_parity, rng):
    a = rng.standard_normal(shape) / 2 + 2 * np.eye(shape[-1])  # well conditioned
    torch_parity(lambda x: lucid.matrix_power(x, n), lambda x: torch.matrix_power(x, n), a,
                 rtol=1e-9, atol=1e-10)  # fmt: skip
    torch_parity(lambda x: x.matrix_power(n), lambda x: x.matrix_power(n), a,
                 rtol=1e-9, atol=1e-10)  # fmt: skip


@pytest.mark.torch
def test_matrix_power_zero_is_the_identity(rng):
    a = rng.standard_normal((2, 3, 3))
    out = lucid.matrix_power(lucid.tensor(a), 0)
    np.testing.assert_array_equal(out.numpy(), torch.matrix_power(torch.tensor(a), 0).numpy())


def test_matrix_power_gradient_matches_finite_differences(rng):
    x = _leaf(rng.standard_normal((3, 3)) / 2 + 2 * np.eye(3))
    assert gradcheck(lambda t: lucid.matrix_power(t, 3), (x,))
    assert gradcheck(lambda t: lucid.matrix_power(t, -2), (x,))


def test_matrix_power_refuses_non_square_and_non_integer():
    with pytest.raises(ValueError, match="square"):
        lucid.matrix_power(lucid.zeros(2, 3), 2)
    with pytest.raises(TypeError, match="int"):
        lucid.matrix_power(lucid.zeros(2, 2), 1.5)


# --------------------------------------------------------------------------- statistics


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(3, 6), (6,), (1, 5)])
@pytest.mark.parametrize("correction", [1, 0, 2])
def test_cov_matches_torch(shape, correction, torch_parity, rng):
    a = rng.standard_normal(shape)
    torch_parity(lambda x: lucid.cov(x, correction=correction),
                 lambda x: torch.cov(x, correction=correction), a)  # fmt: skip
    torch_parity(lambda x: x.cov(correction=correction),
                 lambda x: x.cov(correction=correction), a)  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize("correction", [1, 0])
@pytest.mark.parametrize("weights", ["f", "a", "fa"])
def test_cov_with_weights_matches_torch(correction, weights, torch_parity, rng):
    a = rng.standard_normal((3, 5))
    f = rng.integers(1, 4, 5) if "f" in weights else None
    w = rng.uniform(0.1, 1.0, 5) if "a" in weights else None

    def lucid_cov(x):
        fw = None if f is None else lucid.tensor(f)
        aw = None if w is None else lucid.tensor(w)
        return lucid.cov(x, correction=correction, fweights=fw, aweights=aw)

    def torch_cov(x):
        fw = None if f is None else torch.tensor(f)
        aw = None if w is None else torch.tensor(w)
        return torch.cov(x, correction=correction, fweights=fw, aweights=aw)

    torch_parity(lucid_cov, torch_cov, a)


def test_cov_gradient_matches_finite_differences(rng):
    assert gradcheck(lucid.cov, (_leaf(rng.standard_normal((3, 5))),))


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(3, 6), (2, 4)])
def test_corrcoef_matches_torch(shape, torch_parity, rng):
    a = rng.standard_normal(shape)
    torch_parity(lucid.corrcoef, torch.corrcoef, a)
    torch_parity(lambda x: x.corrcoef(), lambda x: x.corrcoef(), a)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_histogram_matches_torch(dtype, rng):
    a = rng.standard_normal((4, 25)).astype(dtype)
    w = rng.uniform(0, 1, (4, 25)).astype(dtype)
    cases = [
        ((7,), {}),
        ((5,), {"range": (-1.0, 1.0)}),
        ((5,), {"weight": w, "density": True}),
        ((np.array([-2.0, -0.5, 0.0, 0.3, 2.0], dtype=dtype),), {}),
    ]
    for args, kwargs in cases:
        got = lucid.histogram(lucid.tensor(a), *[lucid.tensor(x) if isinstance(x, np.ndarray)
                              else x for x in args],
                              **{k: lucid.tensor(v) if isinstance(v, np.ndarray) else v
                                 for k, v in kwargs.items()})  # fmt: skip
        want = torch.histogram(torch.tensor(a), *[torch.tensor(x) if isinstance(x, np.ndarray)
                               else x for x in args],
                               **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                                  for k, v in kwargs.items()})  # fmt: skip
        for g, t in zip(got, want, strict=True):
            assert g.dtype == lucid.tensor(t.numpy()).dtype
            np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)
    hist, edges = lucid.tensor(a).histogram(3)
    assert hist.shape == (3,) and edges.shape == (4,)


def test_histogram_refuses_integer_input():
    with pytest.raises(TypeError, match="float"):
        lucid.histogram(lucid.tensor([1, 2, 3]))


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_frexp_matches_torch(dtype, rng):
    a = np.concatenate([rng.standard_normal(8) * 1e3, [0.0, -0.0, 1.0, 0.5]]).astype(dtype)
    m, e = lucid.frexp(lucid.tensor(a))
    mt, et = torch.frexp(torch.tensor(a))
    assert e.dtype == lucid.int32 and m.dtype == lucid.tensor(a).dtype
    np.testing.assert_array_equal(m.numpy(), mt.numpy())
    np.testing.assert_array_equal(e.numpy(), et.numpy())
    mm, ee = lucid.tensor(a).frexp()
    np.testing.assert_array_equal(mm.numpy() * 2.0 ** ee.numpy(), a)


def test_post_accumulate_grad_hook_runs_after_accumulation_as_torch():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).standard_normal(3)
    seen, seen_t = [], []
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    handle = x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    xt.register_post_accumulate_grad_hook(lambda t: seen_t.append(t.grad.numpy().copy()))
    for _ in range(2):  # the second pass sees the accumulated sum
        (x * x).sum().backward()
        (xt * xt).sum().backward()
    np.testing.assert_allclose(np.array(seen), np.array(seen_t), rtol=1e-12)
    (g,) = lucid.autograd.grad((x * 3.0).sum(), x)  # autograd.grad accumulates nothing
    assert len(seen) == 2
    handle.remove()
    (x * x).sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        (x * 2.0).register_post_accumulate_grad_hook(lambda t: None)
