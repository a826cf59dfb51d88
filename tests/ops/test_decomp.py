"""lucid.linalg's decompositions (lucid/ops/decomp.py) against PyTorch and finite differences.

Eigen- and singular vectors are unique up to sign, so the losses compared through them are
sign-invariant (products of a vector with itself, or the reconstruction)."""

import numpy as np
import pytest

import lucid
from lucid.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


def _leaf(a):
    return lucid.tensor(a, requires_grad=True)


def _spd(rng, shape):
    """Symmetric positive-definite matrices with well separated eigenvalues."""
    a = rng.standard_normal(shape)
    n = shape[-1]
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _sym(rng, shape):
    a = rng.standard_normal(shape)
    return a + np.swapaxes(a, -1, -2)


# --------------------------------------------------------------------------- cholesky


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 4, 4), (0, 2, 2)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_matches_torch(shape, upper, torch_parity, rng):
    torch_parity(lambda x: lucid.linalg.cholesky(x, upper=upper),
                 lambda x: torch.linalg.cholesky(x, upper=upper), _spd(rng, shape),
                 rtol=1e-9, atol=1e-10)  # fmt: skip


def test_cholesky_gradient_matches_finite_differences(rng):
    x = _leaf(rng.standard_normal((3, 3)))
    eye = lucid.eye(3, dtype=lucid.float64)

    def f(t):
        return lucid.linalg.cholesky(t @ t.mT + 3 * eye)

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_cholesky_refuses_a_matrix_that_is_not_positive_definite():
    with pytest.raises(ValueError, match="positive-definite"):
        lucid.linalg.cholesky(lucid.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="square"):
        lucid.linalg.cholesky(lucid.zeros(2, 3))


# --------------------------------------------------------------------------- qr


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (2, 4, 2)])
def test_qr_matches_torch(shape, torch_parity, rng):
    torch_parity(lambda x: tuple(lucid.linalg.qr(x)), lambda x: tuple(torch.linalg.qr(x)),
                 rng.standard_normal(shape), rtol=1e-9, atol=1e-10)  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(2, 4), (4, 2)])
def test_qr_values_of_wide_and_complete_match_torch(shape, rng):
    a = rng.standard_normal(shape)
    for mode in ("reduced", "complete"):
        q, r = lucid.linalg.qr(lucid.tensor(a), mode=mode)
        qt, rt = torch.linalg.qr(torch.tensor(a), mode=mode)
        np.testing.assert_allclose(q.numpy(), qt.numpy(), atol=1e-12)
        np.testing.assert_allclose(r.numpy(), rt.numpy(), atol=1e-12)


def test_qr_gradient_matches_finite_differences(rng):
    assert gradcheck(lambda t: tuple(lucid.linalg.qr(t)), (_leaf(rng.standard_normal((4, 3))),))


def test_qr_gradient_of_a_wide_matrix_is_refused_by_name():
    x = _leaf(np.eye(2, 3))
    q, r = lucid.linalg.qr(x)
    with pytest.raises(NotImplementedError, match="m >= n"):
        r.sum().backward()


# --------------------------------------------------------------------------- eigh


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(1, 1), (4, 4), (2, 3, 3)])
def test_eigh_matches_torch(shape, torch_parity, rng):
    def through(eigh):
        def f(x):
            w, v = eigh(x + x.mT)
            return w, v * v

        return f

    torch_parity(through(lucid.linalg.eigh), through(torch.linalg.eigh),
                 rng.standard_normal(shape), rtol=1e-8, atol=1e-10)  # fmt: skip
    torch_parity(lambda x: lucid.linalg.eigvalsh(x, "U"), lambda x: torch.linalg.eigvalsh(x, "U"),
                 _sym(rng, shape), rtol=1e-9, atol=1e-10)  # fmt: skip


def test_eigh_gradient_matches_finite_differences(rng):
    x = _leaf(rng.standard_normal((4, 4)))

    def f(t):
        w, v = lucid.linalg.eigh(t + t.mT)
        return w, v * v

    assert gradcheck(f, (x,))


# --------------------------------------------------------------------------- svd


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (3, 5), (2, 4, 3)])
def test_svd_matches_torch(shape, torch_parity, rng):
    def through(svd):
        def f(x):
            u, s, vh = svd(x, full_matrices=False)
            return u * u, s, vh * vh, (u * s[..., None, :]) @ vh

        return f

    a = rng.standard_normal(shape)
    torch_parity(through(lucid.linalg.svd), through(torch.linalg.svd), a, rtol=1e-8, atol=1e-10)
    torch_parity(lucid.linalg.svdvals, torch.linalg.svdvals, a, rtol=1e-9, atol=1e-10)


@pytest.mark.torch
def test_svd_full_matrices_values_match_torch(rng):
    a = rng.standard_normal((4, 2))
    u, s, vh = lucid.linalg.svd(lucid.tensor(a))  # PyTorch's default: full_matrices=True
    ut, st, vht = torch.linalg.svd(torch.tensor(a))
    assert u.shape == tuple(ut.shape) == (4, 4)
    np.testing.assert_allclose(np.abs(u.numpy()), np.abs(ut.numpy()), atol=1e-12)
    np.testing.assert_allclose(s.numpy(), st.numpy(), rtol=1e-12)
    np.testing.assert_allclose(np.abs(vh.numpy()), np.abs(vht.numpy()), atol=1e-12)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
def test_svd_gradient_matches_finite_differences(shape, rng):
    def f(t):
        u, s, vh = lucid.linalg.svd(t, full_matrices=False)
        return u * u, s, vh * vh

    assert gradcheck(f, (_leaf(rng.standard_normal(shape)),))


# --------------------------------------------------------------------------- pinv, lstsq


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (3, 5), (2, 4, 3)])
def test_pinv_matches_torch(shape, torch_parity, rng):
    a = rng.standard_normal(shape)
    torch_parity(lucid.linalg.pinv, torch.linalg.pinv, a, rtol=1e-8, atol=1e-10)
    torch_parity(lucid.pinverse, torch.pinverse, a, rtol=1e-8, atol=1e-10)
    torch_parity(lambda x: x.pinverse(), lambda x: x.pinverse(), a, rtol=1e-8, atol=1e-10)


def test_pinv_gradients_match_finite_differences(rng):
    x = _leaf(rng.standard_normal((4, 3)))
    assert gradcheck(lucid.linalg.pinv, (x,))
    assert gradgradcheck(lucid.linalg.pinv, (x,))


@pytest.mark.torch
def test_pinv_of_a_rank_deficient_matrix_matches_torch(rng):
    a = rng.standard_normal((4, 1)) @ rng.standard_normal((1, 3))
    got = lucid.linalg.pinv(lucid.tensor(a)).numpy()
    np.testing.assert_allclose(got, torch.linalg.pinv(torch.tensor(a)).numpy(), atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("sa, sb", [((5, 3), (5, 2)), ((3, 3), (3, 1)), ((2, 6, 4), (2, 6, 3))])
def test_lstsq_matches_torch(sa, sb, torch_parity, rng):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    torch_parity(lambda x, y: lucid.linalg.lstsq(x, y).solution,
                 lambda x, y: torch.linalg.lstsq(x, y).solution, a, b,
                 rtol=1e-8, atol=1e-10)  # fmt: skip
    got, want = (
        lucid.linalg.lstsq(lucid.tensor(a), lucid.tensor(b)),
        torch.linalg.lstsq(torch.tensor(a), torch.tensor(b)),
    )
    np.testing.assert_array_equal(got.rank.numpy(), want.rank.numpy())
    assert got.residuals.shape == tuple(want.residuals.shape)
    assert got.singular_values.shape == tuple(want.singular_values.shape)


def test_lstsq_refuses_mismatched_rows():
    with pytest.raises(ValueError, match="number of rows"):
        lucid.linalg.lstsq(lucid.zeros(3, 2), lucid.zeros(4, 1))


@pytest.mark.torch
def test_linalg_matrix_power_is_the_same_function(rng):
    a = rng.standard_normal((3, 3))
    np.testing.assert_allclose(
        lucid.linalg.matrix_power(lucid.tensor(a), 3).numpy(),
        torch.linalg.matrix_power(torch.tensor(a), 3).numpy(),
        rtol=1e-12,
    )
