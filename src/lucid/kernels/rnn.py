"""Recurrent kernels: whole-sequence LSTM, GRU and Elman recurrences, forward and backward.

Each layer and direction runs as one call: the input projection ``xw = x @ W_ih^T + b`` of all
steps is computed beforehand (one GEMM), and these functions step through time with one
``h @ W_hh^T`` GEMM per step (NumPy/BLAS) and a fused cell kernel for the gate arithmetic.
The backward steps back through time the same way and ends with ONE GEMM for ``dW_hh`` over
all steps.

What runs where (measured on the 2-core AVX-512 dev machine, float32, batch 32, hidden 128):
numba calls scalar libm for exp/tanh (~4x slower per element than NumPy's SIMD tanh: a fused
LSTM cell with exps takes 59 us where NumPy's tanh plus an arithmetic loop take 10 us), so
the transcendental part stays in NumPy: the sigmoid lanes are computed as
``sigmoid(a) = 0.5 * tanh(a / 2) + 0.5``, their pre-activations halved once (the rows of
``W_hh`` and the columns of ``xw``), so that ONE ``np.tanh`` over the gate block does every
gate; the arithmetic-only cell loops (``*_jit``) then turn tanh values into gates and states.
Backward cells are arithmetic only and run in numba entirely.

Packed sequences: ``sizes[t]`` is the number of batch rows active at step ``t`` (rows sorted
by decreasing length, as PyTorch packs them); inactive rows keep their state and get zero
outputs. ``sizes=None`` means every row at every step.
"""

from __future__ import annotations

import numpy as np

from lucid.kernels import _jit
from lucid.kernels._jit import njit

# ---------------------------------------------------------------------------------------------
# LSTM cell (gates in PyTorch's order i, f, g, o)


def lstm_cell_forward_ref(g: np.ndarray, c: np.ndarray, c_out: np.ndarray) -> None:
    """From ``g`` = tanh of the pre-activations (i, f, o lanes halved): the gates i, f, g, o
    written back into ``g`` and ``c_out = f * c + i * g``. ``g`` (N, 4H), ``c`` (N, H)."""
    h = c.shape[1]
    g[:, : 2 * h] = 0.5 * g[:, : 2 * h] + 0.5
    g[:, 3 * h :] = 0.5 * g[:, 3 * h :] + 0.5
    c_out[...] = g[:, h : 2 * h] * c + g[:, :h] * g[:, 2 * h : 3 * h]


@njit
def lstm_cell_forward_jit(g, c, c_out, half):
    n, h = c.shape
    for b in range(n):
        for j in range(h):
            i = half * g[b, j] + half
            f = half * g[b, h + j] + half
            o = half * g[b, 3 * h + j] + half
            g[b, j] = i
            g[b, h + j] = f
            g[b, 3 * h + j] = o
            c_out[b, j] = f * c[b, j] + i * g[b, 2 * h + j]


def lstm_cell_backward_ref(
    g: np.ndarray, c: np.ndarray, tc: np.ndarray, dh: np.ndarray, dc: np.ndarray, dg: np.ndarray
) -> None:
    """One LSTM step backward. ``g`` the gates (N, 4H), ``c`` the previous cell state, ``tc`` =
    tanh(new cell state), ``dh``/``dc`` the gradients of the new h and c. Writes the gradient
    of the pre-activations into ``dg`` (N, 4H) and the previous cell state's into ``dc``."""
    h = c.shape[1]
    i, f, gg, o = g[:, :h], g[:, h : 2 * h], g[:, 2 * h : 3 * h], g[:, 3 * h :]
    dct = dc + dh * o * (1 - tc * tc)
    dg[:, :h] = dct * gg * i * (1 - i)
    dg[:, h : 2 * h] = dct * c * f * (1 - f)
    dg[:, 2 * h : 3 * h] = dct * i * (1 - gg * gg)
    dg[:, 3 * h :] = dh * tc * o * (1 - o)
    dc[...] = dct * f


@njit
def lstm_cell_backward_jit(g, c, tc, dh, dc, dg, one):
    n, h = c.shape
    for b in range(n):
        for j in range(h):
            i = g[b, j]
            f = g[b, h + j]
            gg = g[b, 2 * h + j]
            o = g[b, 3 * h + j]
            t = tc[b, j]
            dct = dc[b, j] + dh[b, j] * o * (one - t * t)
            dg[b, j] = dct * gg * i * (one - i)
            dg[b, h + j] = dct * c[b, j] * f * (one - f)
            dg[b, 2 * h + j] = dct * i * (one - gg * gg)
            dg[b, 3 * h + j] = dh[b, j] * t * o * (one - o)
            dc[b, j] = dct * f


# ---------------------------------------------------------------------------------------------
# GRU cell (gates in PyTorch's order r, z, n; n = tanh(x_n + r * (h W_hn^T + b_hn)))


def gru_cell_input_ref(g: np.ndarray, hw: np.ndarray, b_hn: np.ndarray, hn: np.ndarray) -> None:
    """Adds the (halved) recurrent r, z pre-activations ``hw[:, :2H]`` into ``g`` and writes
    ``hn = hw[:, 2H:] + b_hn``. ``g``, ``hw`` (N, 3H), ``b_hn`` (H,), ``hn`` (N, H)."""
    h = hn.shape[1]
    g[:, : 2 * h] += hw[:, : 2 * h]
    hn[...] = hw[:, 2 * h :] + b_hn


@njit
def gru_cell_input_jit(g, hw, b_hn, hn):
    n, h = hn.shape
    for b in range(n):
        for j in range(2 * h):
            g[b, j] += hw[b, j]
        for j in range(h):
            hn[b, j] = hw[b, 2 * h + j] + b_hn[j]


def gru_cell_candidate_ref(g: np.ndarray, hn: np.ndarray) -> None:
    """From tanh of the halved r, z pre-activations in ``g``: r and z written back, and the
    n lane turned into its pre-activation ``x_n + r * hn``."""
    h = hn.shape[1]
    g[:, : 2 * h] = 0.5 * g[:, : 2 * h] + 0.5
    g[:, 2 * h :] += g[:, :h] * hn


@njit
def gru_cell_candidate_jit(g, hn, half):
    n, h = hn.shape
    for b in range(n):
        for j in range(h):
            r = half * g[b, j] + half
            g[b, j] = r
            g[b, h + j] = half * g[b, h + j] + half
            g[b, 2 * h + j] += r * hn[b, j]


def gru_cell_output_ref(g: np.ndarray, h_prev: np.ndarray, out: np.ndarray) -> None:
    """``out = n + z * (h_prev - n)`` from the gates ``g`` (N, 3H)."""
    h = h_prev.shape[1]
    z, n = g[:, h : 2 * h], g[:, 2 * h :]
    out[...] = n + z * (h_prev - n)


@njit
def gru_cell_output_jit(g, h_prev, out):
    n, h = h_prev.shape
    for b in range(n):
        for j in range(h):
            z = g[b, h + j]
            nn = g[b, 2 * h + j]
            out[b, j] = nn + z * (h_prev[b, j] - nn)


def gru_cell_backward_ref(
    g: np.ndarray,
    hn: np.ndarray,
    h_prev: np.ndarray,
    dh: np.ndarray,
    dx: np.ndarray,
    dhw: np.ndarray,
) -> None:
    """One GRU step backward from ``dh`` (gradient of the new h). Writes the gradients of the
    input pre-activations into ``dx`` (N, 3H), of the recurrent ones ``h W_hh^T + b_hh`` into
    ``dhw`` (N, 3H), and of ``h_prev`` through ``z * h_prev`` into ``dh`` (in place)."""
    h = hn.shape[1]
    r, z, n = g[:, :h], g[:, h : 2 * h], g[:, 2 * h :]
    dn = dh * (1 - z) * (1 - n * n)
    dr = dn * hn * r * (1 - r)
    dz = dh * (h_prev - n) * z * (1 - z)
    dx[:, :h] = dr
    dx[:, h : 2 * h] = dz
    dx[:, 2 * h :] = dn
    dhw[:, :h] = dr
    dhw[:, h : 2 * h] = dz
    dhw[:, 2 * h :] = dn * r
    dh[...] = dh * z


@njit
def gru_cell_backward_jit(g, hn, h_prev, dh, dx, dhw, one):
    n_rows, h = hn.shape
    for b in range(n_rows):
        for j in range(h):
            r = g[b, j]
            z = g[b, h + j]
            n = g[b, 2 * h + j]
            d = dh[b, j]
            dn = d * (one - z) * (one - n * n)
            dr = dn * hn[b, j] * r * (one - r)
            dz = d * (h_prev[b, j] - n) * z * (one - z)
            dx[b, j] = dr
            dx[b, h + j] = dz
            dx[b, 2 * h + j] = dn
            dhw[b, j] = dr
            dhw[b, h + j] = dz
            dhw[b, 2 * h + j] = dn * r
            dh[b, j] = d * z


# ---------------------------------------------------------------------------------------------
# Whole sequences


def _order(length: int, reverse: bool) -> range:
    return range(length - 1, -1, -1) if reverse else range(length)


def _sizes(sizes: np.ndarray | None, length: int, batch: int) -> list[int]:
    return [batch] * length if sizes is None else [int(s) for s in sizes]


def _alloc(sizes: np.ndarray | None, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """Per-step buffers: zeros when some rows are inactive (they must read as zeros)."""
    return np.empty(shape, dtype) if sizes is None else np.zeros(shape, dtype)


def _halved(w_hh: np.ndarray, lanes: np.ndarray) -> np.ndarray:
    """``(W_hh * lanes[:, None]).T`` contiguous: the recurrent product's right factor."""
    return np.ascontiguousarray((w_hh * lanes[:, None]).T)


def _lanes(hidden: int, gates: str, dtype: np.dtype) -> np.ndarray:
    """0.5 for the sigmoid lanes of each gate block (letters 's'), 1 for the tanh ones."""
    return np.repeat(np.array([0.5 if k == "s" else 1.0 for k in gates], dtype), hidden)


def lstm_forward(
    xw: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    w_hh: np.ndarray,
    sizes: np.ndarray | None = None,
    reverse: bool = False,
) -> tuple:
    """LSTM over a sequence. ``xw`` (L, N, 4H): input pre-activations with both biases;
    ``h0``, ``c0`` (N, H); ``w_hh`` (4H, H). Returns ``(out, h_n, c_n, saved)``: ``out``
    (L, N, H) the hidden states, and what ``lstm_backward`` needs."""
    length, batch, h4 = xw.shape
    hidden = h4 // 4
    dtype = xw.dtype
    jit = _jit.JIT_ENABLED
    half = dtype.type(0.5)
    lanes = _lanes(hidden, "ssts", dtype)
    gates = xw * lanes  # a new array: the pre-activations, then the gates, step by step
    wt = _halved(w_hh, lanes)
    out = _alloc(sizes, (length, batch, hidden), dtype)
    h_prev = _alloc(sizes, (length, batch, hidden), dtype)  # h before each step
    c_prev = _alloc(sizes, (length, batch, hidden), dtype)
    tanh_c = _alloc(sizes, (length, batch, hidden), dtype)  # tanh of the new cell state
    h, c = h0.astype(dtype, copy=True), c0.astype(dtype, copy=True)
    buf = np.empty((batch, h4), dtype)
    steps = _sizes(sizes, length, batch)
    for t in _order(length, reverse):
        bs = steps[t]
        hp, cp = h_prev[t, :bs], c_prev[t, :bs]
        hp[...] = h[:bs]
        cp[...] = c[:bs]
        g = gates[t, :bs]
        g += np.matmul(hp, wt, out=buf[:bs])
        np.tanh(g, out=g)
        if jit:
            lstm_cell_forward_jit(g, cp, c[:bs], half)
        else:
            lstm_cell_forward_ref(g, cp, c[:bs])
        np.tanh(c[:bs], out=tanh_c[t, :bs])
        np.multiply(g[:, 3 * hidden :], tanh_c[t, :bs], out=out[t, :bs])
        h[:bs] = out[t, :bs]
    return out, h, c, (gates, h_prev, c_prev, tanh_c)


def lstm_backward(
    dout: np.ndarray,
    dh_n: np.ndarray,
    dc_n: np.ndarray,
    saved: tuple,
    w_hh: np.ndarray,
    sizes: np.ndarray | None = None,
    reverse: bool = False,
) -> tuple:
    """Backward of ``lstm_forward`` from the gradients of ``out``, ``h_n`` and ``c_n``.
    Returns ``(dxw, dh0, dc0, dw_hh)``."""
    gates, h_prev, c_prev, tanh_c = saved
    length, batch, h4 = gates.shape
    hidden = h4 // 4
    dtype = gates.dtype
    jit = _jit.JIT_ENABLED
    one = dtype.type(1)
    dxw = _alloc(sizes, gates.shape, dtype)
    dh = dh_n.astype(dtype, copy=True)
    dc = dc_n.astype(dtype, copy=True)
    steps = _sizes(sizes, length, batch)
    for t in reversed(_order(length, reverse)):
        bs = steps[t]
        d = dh[:bs]
        d += dout[t, :bs]
        dg = dxw[t, :bs]
        if jit:
            lstm_cell_backward_jit(gates[t, :bs], c_prev[t, :bs], tanh_c[t, :bs], d, dc[:bs], dg, one)
        else:
            lstm_cell_backward_ref(gates[t, :bs], c_prev[t, :bs], tanh_c[t, :bs], d, dc[:bs], dg)
        np.matmul(dg, w_hh, out=d)
    dw_hh = dxw.reshape(-1, h4).T @ h_prev.reshape(-1, hidden)
    return dxw, dh, dc, dw_hh


def gru_forward(
    xw: np.ndarray,
    h0: np.ndarray,
    w_hh: np.ndarray,
    b_hh: np.ndarray,
    sizes: np.ndarray | None = None,
    reverse: bool = False,
) -> tuple:
    """GRU over a sequence. ``xw`` (L, N, 3H): input pre-activations with ``b_ih``; ``h0``
    (N, H); ``w_hh`` (3H, H); ``b_hh`` (3H,) (its n part sits inside ``r * (...)``).
    Returns ``(out, h_n, saved)``."""
    length, batch, h3 = xw.shape
    hidden = h3 // 3
    dtype = xw.dtype
    jit = _jit.JIT_ENABLED
    half = dtype.type(0.5)
    lanes = _lanes(hidden, "sst", dtype)
    b_hh = b_hh.astype(dtype, copy=False)
    b_rz = np.concatenate([b_hh[: 2 * hidden], np.zeros(hidden, dtype)])
    gates = (xw + b_rz) * lanes  # a new array: pre-activations, then the gates, step by step
    b_hn = np.ascontiguousarray(b_hh[2 * hidden :])
    wt = _halved(w_hh, lanes)
    out = _alloc(sizes, (length, batch, hidden), dtype)
    h_prev = _alloc(sizes, (length, batch, hidden), dtype)
    hn = _alloc(sizes, (length, batch, hidden), dtype)  # h W_hn^T + b_hn
    h = h0.astype(dtype, copy=True)
    buf = np.empty((batch, h3), dtype)
    steps = _sizes(sizes, length, batch)
    for t in _order(length, reverse):
        bs = steps[t]
        hp, g = h_prev[t, :bs], gates[t, :bs]
        hp[...] = h[:bs]
        hw = np.matmul(hp, wt, out=buf[:bs])
        rz = g[:, : 2 * hidden]
        if jit:
            gru_cell_input_jit(g, hw, b_hn, hn[t, :bs])
            np.tanh(rz, out=rz)
            gru_cell_candidate_jit(g, hn[t, :bs], half)
        else:
            gru_cell_input_ref(g, hw, b_hn, hn[t, :bs])
            np.tanh(rz, out=rz)
            gru_cell_candidate_ref(g, hn[t, :bs])
        n = g[:, 2 * hidden :]
        np.tanh(n, out=n)
        if jit:
            gru_cell_output_jit(g, hp, out[t, :bs])
        else:
            gru_cell_output_ref(g, hp, out[t, :bs])
        h[:bs] = out[t, :bs]
    return out, h, (gates, h_prev, hn)


def gru_backward(
    dout: np.ndarray,
    dh_n: np.ndarray,
    saved: tuple,
    w_hh: np.ndarray,
    sizes: np.ndarray | None = None,
    reverse: bool = False,
) -> tuple:
    """Backward of ``gru_forward``; returns ``(dxw, dh0, dw_hh, db_hh)``."""
    gates, h_prev, hn = saved
    length, batch, h3 = gates.shape
    hidden = h3 // 3
    dtype = gates.dtype
    jit = _jit.JIT_ENABLED
    one = dtype.type(1)
    dxw = _alloc(sizes, gates.shape, dtype)
    dhw = _alloc(sizes, gates.shape, dtype)
    dh = dh_n.astype(dtype, copy=True)
    buf = np.empty((batch, hidden), dtype)
    steps = _sizes(sizes, length, batch)
    for t in reversed(_order(length, reverse)):
        bs = steps[t]
        d = dh[:bs]
        d += dout[t, :bs]
        args = (gates[t, :bs], hn[t, :bs], h_prev[t, :bs], d, dxw[t, :bs], dhw[t, :bs])
        if jit:
            gru_cell_backward_jit(*args, one)
        else:
            gru_cell_backward_ref(*args)
        d += np.matmul(dhw[t, :bs], w_hh, out=buf[:bs])
    flat = dhw.reshape(-1, h3)
    dw_hh = flat.T @ h_prev.reshape(-1, hidden)
    # b_hh enters exactly where the recurrent pre-activations do
    return dxw, dh, dw_hh, flat.sum(axis=0)


def rnn_forward(
    xw: np.ndarray,
    h0: np.ndarray,
    w_hh: np.ndarray,
    relu: bool = False,
    sizes: np.ndarray | None = None,
    reverse: bool = False,
) -> tuple:
    """Elman RNN over a sequence: ``h_t = act(xw_t + h_(t-1) W_hh^T)`` with act tanh or relu;
    ``xw`` (L, N, H) includes both biases. Returns ``(out, h_n, saved)``. All NumPy: the cell is
    one ufunc, nothing to fuse."""
    length, batch, hidden = xw.shape
    dtype = xw.dtype
    wt = np.ascontiguousarray(w_hh.T)
    out = _alloc(sizes, xw.shape, dtype)
    h_prev = _alloc(sizes, xw.shape, dtype)
    h = h0.astype(dtype, copy=True)
    buf = np.empty((batch, hidden), dtype)
    steps = _sizes(sizes, length, batch)
    for t in _order(length, reverse):
        bs = steps[t]
        hp, o = h_prev[t, :bs], out[t, :bs]
        hp[...] = h[:bs]
        np.add(xw[t, :bs], np.matmul(hp, wt, out=buf[:bs]), out=o)
        if relu:
            np.maximum(o, 0, out=o)
        else:
            np.tanh(o, out=o)
        h[:bs] = o
    return out, h, (out, h_prev)


def rnn_backward(
    dout: np.ndarray,
    dh_n: np.ndarray,
    saved: tuple,
    w_hh: np.ndarray,
    relu: bool = False,
    sizes: np.ndarray | None = None,
    reverse: bool = False,
) -> tuple:
    """Backward of ``rnn_forward``; returns ``(dxw, dh0, dw_hh)``."""
    out, h_prev = saved
    length, batch, hidden = out.shape
    dxw = _alloc(sizes, out.shape, out.dtype)
    dh = dh_n.astype(out.dtype, copy=True)
    steps = _sizes(sizes, length, batch)
    for t in reversed(_order(length, reverse)):
        bs = steps[t]
        d, o, dz = dh[:bs], out[t, :bs], dxw[t, :bs]
        d += dout[t, :bs]
        if relu:
            np.multiply(d, o > 0, out=dz)
        else:
            np.multiply(d, 1 - o * o, out=dz)
        np.matmul(dz, w_hh, out=d)
    dw_hh = dxw.reshape(-1, hidden).T @ h_prev.reshape(-1, hidden)
    return dxw, dh, dw_hh
