"""CTC kernels: the compiled recursions against the NumPy references."""

import numpy as np
import pytest

from lucid.kernels import _jit
from lucid.kernels import ctc as K


@pytest.mark.skipif(not _jit.JIT_ENABLED, reason="Numba disabled: the references run alone")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ctc_kernels_match_references(dtype, rng):
    t, n, c, s = 9, 4, 6, 4
    logits = rng.standard_normal((t, n, c))
    lp = (logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))).astype(dtype)
    targets = rng.integers(1, c, (n, s))
    targets[1, 1] = targets[1, 0]
    in_lens, tgt_lens = np.array([9, 7, 2, 0]), np.array([4, 2, 2, 0])  # sample 2: impossible
    nll, alpha = K.ctc_forward(lp, targets, in_lens, tgt_lens, 0)
    nll_ref, alpha_ref = K.ctc_forward_ref(lp, targets, in_lens, tgt_lens, 0)
    np.testing.assert_allclose(nll, nll_ref, rtol=1e-12)
    assert np.isinf(nll[2]) and nll[3] == 0.0
    grad = K.ctc_backward(lp, targets, in_lens, tgt_lens, 0, nll, alpha)
    grad_ref = K.ctc_backward_ref(lp, targets, in_lens, tgt_lens, 0, nll_ref, alpha_ref)
    assert grad.dtype == dtype
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-6, atol=1e-7)
