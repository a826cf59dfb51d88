"""The recurrent kernels (lucid.kernels.rnn): each compiled cell loop against its NumPy
reference, and whole sequences with and without the loops."""

import numpy as np
import pytest

from lucid.kernels import _jit
from lucid.kernels import rnn as K

N, H = 5, 7


def _arrays(rng, dtype, *shapes):
    return [rng.uniform(-0.9, 0.9, shape).astype(dtype) for shape in shapes]


def _run_both(ref, jit, arrays, outputs, extra=()):
    """Run ``ref`` and ``jit`` on copies of ``arrays``; return the arrays at ``outputs`` after."""
    a, b = [x.copy() for x in arrays], [x.copy() for x in arrays]
    ref(*a)
    jit(*b, *extra)
    return [(a[i], b[i]) for i in outputs]


TOL = {np.float32: 1e-6, np.float64: 1e-13}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lstm_cell_kernels_match_reference(dtype, rng):
    one, half = dtype(1), dtype(0.5)
    g, c, out = _arrays(rng, dtype, (N, 4 * H), (N, H), (N, H))
    for ref, jit in _run_both(K.lstm_cell_forward_ref, K.lstm_cell_forward_jit, [g, c, out],
                              [0, 2], (half,)):  # fmt: skip
        assert jit.dtype == dtype
        np.testing.assert_allclose(jit, ref, rtol=TOL[dtype], atol=TOL[dtype])
    arrays = _arrays(rng, dtype, (N, 4 * H), (N, H), (N, H), (N, H), (N, H), (N, H), (N, 4 * H))
    for ref, jit in _run_both(K.lstm_cell_backward_ref, K.lstm_cell_backward_jit, arrays,
                              [5, 6], (one,)):  # fmt: skip
        np.testing.assert_allclose(jit, ref, rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gru_cell_kernels_match_reference(dtype, rng):
    one, half = dtype(1), dtype(0.5)
    g, hw, b, hn = _arrays(rng, dtype, (N, 3 * H), (N, 3 * H), (H,), (N, H))
    cases = [
        (K.gru_cell_input_ref, K.gru_cell_input_jit, [g, hw, b, hn], [0, 3], ()),
        (K.gru_cell_candidate_ref, K.gru_cell_candidate_jit, [g, hn], [0], (half,)),
        (K.gru_cell_output_ref, K.gru_cell_output_jit, [g, hn, b[None].repeat(N, 0)], [2], ()),
        (K.add_product_ref, K.add_product_jit, [g, hw, _arrays(rng, dtype, (3 * H,))[0]], [0],
         ()),
    ]  # fmt: skip
    for ref_fn, jit_fn, arrays, outputs, extra in cases:
        for ref, jit in _run_both(ref_fn, jit_fn, arrays, outputs, extra):
            np.testing.assert_allclose(jit, ref, rtol=TOL[dtype], atol=TOL[dtype])
    arrays = _arrays(rng, dtype, (N, 3 * H), (N, H), (N, H), (N, H), (N, H), (N, 3 * H),
                     (N, 3 * H))  # fmt: skip
    for ref, jit in _run_both(K.gru_cell_backward_ref, K.gru_cell_backward_jit, arrays,
                              [3, 5, 6], (one,)):  # fmt: skip
        np.testing.assert_allclose(jit, ref, rtol=TOL[dtype], atol=TOL[dtype])


def test_backward_cells_may_write_over_the_gates(rng):
    """The references write the gradient over the gates they read (the sequence backward
    passes the same array): the result must not change."""
    g, c, tc, dh, dout, dc = _arrays(rng, np.float64, (N, 4 * H), *[(N, H)] * 5)
    apart = np.empty_like(g)
    K.lstm_cell_backward_ref(g, c, tc, dh, dout, dc.copy(), apart)
    K.lstm_cell_backward_ref(g, c, tc, dh, dout, dc.copy(), g)
    np.testing.assert_array_equal(g, apart)
    g, hn, hp, dh, dout = _arrays(rng, np.float64, (N, 3 * H), *[(N, H)] * 4)
    apart, dhw = np.empty_like(g), np.empty_like(g)
    K.gru_cell_backward_ref(g, hn, hp, dh.copy(), dout, apart, dhw)
    K.gru_cell_backward_ref(g, hn, hp, dh.copy(), dout, g, dhw)
    np.testing.assert_array_equal(g, apart)


SIZES = [None, np.array([4, 3, 3, 1, 1])]


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("sizes", SIZES, ids=["full", "packed"])
@pytest.mark.parametrize("reverse", [False, True])
def test_sequences_with_and_without_the_loops_agree(kind, sizes, reverse, rng, monkeypatch):
    length, batch, size = 5, 4, 3
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = _arrays(
        rng, np.float32, (length, batch, size), (batch, H), (batch, H), (gates * H, size),
        (gates * H, H), (gates * H,), (gates * H,),
    )  # fmt: skip
    dout, dh, dc = _arrays(rng, np.float32, (length, batch, H), (batch, H), (batch, H))
    results = []
    for jit in (True, False):
        monkeypatch.setattr(_jit, "JIT_ENABLED", jit)
        if kind == "lstm":
            out, h, c, saved = K.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih + b_hh, sizes, reverse)
            grads = K.lstm_backward(dout, dh, dc, saved, x, w_ih, w_hh, sizes, reverse)
            results.append((out, h, c, *grads))
        elif kind == "gru":
            out, h, saved = K.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, sizes, reverse)
            grads = K.gru_backward(dout, dh, saved, x, w_ih, w_hh, sizes, reverse)
            results.append((out, h, *grads))
        else:
            out, h, saved = K.rnn_forward(x, h0, w_ih, w_hh, b_ih + b_hh, False, sizes, reverse)
            grads = K.rnn_backward(dout, dh, saved, x, w_ih, w_hh, False, sizes, reverse)
            results.append((out, h, *grads))
    active = None if sizes is None else np.arange(batch)[None, :] < sizes[:, None]
    for i, (a, b) in enumerate(zip(*results, strict=True)):
        assert a.dtype == np.float32
        if i == 0 and active is not None:  # outputs: padding positions are unspecified
            a, b = a[active], b[active]
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6, err_msg=f"result {i}")
