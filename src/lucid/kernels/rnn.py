"""Recurrent kernels: whole-sequence LSTM, GRU and Elman recurrences, forward and backward.

Each layer and direction runs as one call: the input projection ``x @ W_ih^T`` of all steps
is one GEMM, then the forward steps through time with one ``h @ W_hh^T`` GEMM per step
(NumPy/BLAS) and fused cell loops for the gate arithmetic. The backward steps back through
time the same way (one ``dgates @ W_hh`` GEMM per step) and ends with whole-sequence GEMMs for
``dx``, ``dW_ih`` and ``dW_hh``. Memory traffic is what costs beyond the GEMMs, so the forward
saves only the gates and the outputs (and the LSTM's cell states), reads each step's previous
state from the previous output, and the backward writes the gates' gradients over the saved
gates (fresh pages cost ~1 us each: an LSTM step took 25% longer with those arrays fresh).

What runs where (measured on the 2-core AVX-512 dev machine, float32, batch 32, hidden 128):
numba calls scalar libm for exp/tanh (~4x slower per element than NumPy's SIMD tanh: a fused
LSTM cell with exps takes 59 us where NumPy's tanh plus an arithmetic loop take 10 us), so
the transcendental part stays in NumPy: the sigmoid lanes are computed as
``sigmoid(a) = 0.5 * tanh(a / 2) + 0.5``, their pre-activations halved once (the rows of
``W_ih`` and ``W_hh`` and the biases), so that ONE ``np.tanh`` over the gate block does every
gate; the arithmetic-only cell loops (``*_jit``) then turn tanh values into gates and states.
Backward cells are arithmetic only and run in numba entirely.

Packed sequences: ``sizes[t]`` is the number of batch rows active at step ``t`` (rows sorted
by decreasing length, as PyTorch packs them); ``sizes=None`` means every row at every step.
Outputs at inactive (padding) positions are unspecified: packing drops them, and the next
layer never reads them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid.kernels import _jit
from lucid.kernels._jit import njit

# ---------------------------------------------------------------------------------------------
# The cells. The loops take each row's gate blocks as 1-D slices: LLVM then sees unit strides
# and vectorises (3x faster than indexing g[b, k * h + j], measured at N=32, H=128).
# LSTM: gates in PyTorch's order i, f, g, o.


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
        gi, gf, gg, go = g[b, :h], g[b, h : 2 * h], g[b, 2 * h : 3 * h], g[b, 3 * h :]
        cb, cn = c[b], c_out[b]
        for j in range(h):
            i = half * gi[j] + half
            f = half * gf[j] + half
            gi[j] = i
            gf[j] = f
            go[j] = half * go[j] + half
            cn[j] = f * cb[j] + i * gg[j]


def lstm_cell_backward_ref(
    g: np.ndarray,
    c: np.ndarray,
    tc: np.ndarray,
    dh: np.ndarray,
    dout: np.ndarray,
    dc: np.ndarray,
    dg: np.ndarray,
) -> None:
    """One LSTM step backward. ``g`` the gates (N, 4H), ``c`` the previous cell state, ``tc`` =
    tanh(new cell state), ``dh + dout`` and ``dc`` the gradients of the new h and c. Writes
    the gradient of the pre-activations into ``dg`` (N, 4H; may be ``g`` itself) and the
    previous cell state's into ``dc``."""
    h = c.shape[1]
    i, f, gg, o = g[:, :h], g[:, h : 2 * h], g[:, 2 * h : 3 * h], g[:, 3 * h :]
    d = dh + dout
    dct = dc + d * o * (1 - tc * tc)
    grads = [dct * gg * i * (1 - i), dct * c * f * (1 - f), dct * i * (1 - gg * gg),
             d * tc * o * (1 - o)]  # fmt: skip
    dc[...] = dct * f
    for k, block in enumerate(grads):  # only now: dg may be g itself
        dg[:, k * h : (k + 1) * h] = block


@njit
def lstm_cell_backward_jit(g, c, tc, dh, dout, dc, dg, one):
    n, h = c.shape
    for b in range(n):
        gi, gf, gg, go = g[b, :h], g[b, h : 2 * h], g[b, 2 * h : 3 * h], g[b, 3 * h :]
        di, df, dgg, do = dg[b, :h], dg[b, h : 2 * h], dg[b, 2 * h : 3 * h], dg[b, 3 * h :]
        cb, tb, dhb, dob, dcb = c[b], tc[b], dh[b], dout[b], dc[b]
        for j in range(h):
            i, f, gv, o, t = gi[j], gf[j], gg[j], go[j], tb[j]
            d = dhb[j] + dob[j]
            dct = dcb[j] + d * o * (one - t * t)
            di[j] = dct * gv * i * (one - i)
            df[j] = dct * cb[j] * f * (one - f)
            dgg[j] = dct * i * (one - gv * gv)
            do[j] = d * t * o * (one - o)
            dcb[j] = dct * f


# GRU: gates in PyTorch's order r, z, n; n = tanh(x_n + r * (h W_hn^T + b_hn)).


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
        grz, hrz, hwn, hnb = g[b, : 2 * h], hw[b, : 2 * h], hw[b, 2 * h :], hn[b]
        for j in range(2 * h):
            grz[j] += hrz[j]
        for j in range(h):
            hnb[j] = hwn[j] + b_hn[j]


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
        gr, gz, gn, hnb = g[b, :h], g[b, h : 2 * h], g[b, 2 * h :], hn[b]
        for j in range(h):
            r = half * gr[j] + half
            gr[j] = r
            gz[j] = half * gz[j] + half
            gn[j] += r * hnb[j]


def gru_cell_output_ref(g: np.ndarray, h_prev: np.ndarray, out: np.ndarray) -> None:
    """``out = n + z * (h_prev - n)`` from the gates ``g`` (N, 3H)."""
    h = h_prev.shape[1]
    z, n = g[:, h : 2 * h], g[:, 2 * h :]
    out[...] = n + z * (h_prev - n)


@njit
def gru_cell_output_jit(g, h_prev, out):
    n, h = h_prev.shape
    for b in range(n):
        gz, gn, hp, ob = g[b, h : 2 * h], g[b, 2 * h :], h_prev[b], out[b]
        for j in range(h):
            ob[j] = gn[j] + gz[j] * (hp[j] - gn[j])


def gru_cell_backward_ref(
    g: np.ndarray,
    hn: np.ndarray,
    h_prev: np.ndarray,
    dh: np.ndarray,
    dout: np.ndarray,
    dx: np.ndarray,
    dhw: np.ndarray,
) -> None:
    """One GRU step backward from ``dh + dout`` (gradient of the new h). Writes the gradients
    of the input pre-activations into ``dx`` (N, 3H; may be ``g`` itself), of the recurrent ones
    ``h W_hh^T + b_hh`` into ``dhw`` (N, 3H), and of ``h_prev`` through ``z * h_prev`` into
    ``dh``."""
    h = hn.shape[1]
    r, z, n = g[:, :h], g[:, h : 2 * h], g[:, 2 * h :]
    d = dh + dout
    dn = d * (1 - z) * (1 - n * n)
    dr = dn * hn * r * (1 - r)
    dz = d * (h_prev - n) * z * (1 - z)
    dhw[:, 2 * h :] = dn * r
    dh[...] = d * z
    dx[:, :h] = dr  # only now: dx may be g itself
    dx[:, h : 2 * h] = dz
    dx[:, 2 * h :] = dn
    dhw[:, :h] = dr
    dhw[:, h : 2 * h] = dz


@njit
def gru_cell_backward_jit(g, hn, h_prev, dh, dout, dx, dhw, one):
    n_rows, h = hn.shape
    for b in range(n_rows):
        gr, gz, gn = g[b, :h], g[b, h : 2 * h], g[b, 2 * h :]
        xr, xz, xn = dx[b, :h], dx[b, h : 2 * h], dx[b, 2 * h :]
        wr, wz, wn = dhw[b, :h], dhw[b, h : 2 * h], dhw[b, 2 * h :]
        hnb, hp, dhb, dob = hn[b], h_prev[b], dh[b], dout[b]
        for j in range(h):
            r, z, n = gr[j], gz[j], gn[j]
            d = dhb[j] + dob[j]
            dn = d * (one - z) * (one - n * n)
            dr = dn * hnb[j] * r * (one - r)
            dz = d * (hp[j] - n) * z * (one - z)
            xr[j] = dr
            xz[j] = dz
            xn[j] = dn
            wr[j] = dr
            wz[j] = dz
            wn[j] = dn * r
            dhb[j] = d * z


# ---------------------------------------------------------------------------------------------
# Whole sequences
#
# Saved between forward and backward: the gates (L, N, G*H), the outputs (L, N, H) and, for the
# LSTM, the cell states. The state before step t is read from the previous step's output
# (no copies); for the first step it is h0. Packed sequences, reverse direction: a row starts
# when its sequence does, from h0, so h0's rows are written into the previous step's output
# at positions where that row was not yet running (padding positions, never read as outputs).


def _order(length: int, reverse: bool) -> list[int]:
    return list(range(length - 1, -1, -1) if reverse else range(length))


def _sizes(sizes: np.ndarray | None, length: int, batch: int) -> list[int]:
    return [batch] * length if sizes is None else [int(s) for s in sizes]


def _alloc(sizes: np.ndarray | None, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """Per-step buffers: zeros when some rows are inactive (they must read as zeros)."""
    return np.empty(shape, dtype) if sizes is None else np.zeros(shape, dtype)


def _lanes(hidden: int, gates: str, dtype: np.dtype) -> np.ndarray:
    """0.5 for the sigmoid lanes of each gate block (letters 's'), 1 for the tanh ones."""
    return np.repeat(np.array([0.5 if k == "s" else 1.0 for k in gates], dtype), hidden)


def _project(x: np.ndarray, w_ih: np.ndarray, lanes: np.ndarray, out: Any = None) -> np.ndarray:
    """``x (W_ih^T * lanes)`` for every step at once: one GEMM, into ``out`` (L, N, G*H) if
    given (a buffer the caller reuses), else a fresh array. (The biases are added step by
    step, with the recurrent product: one pass fewer.)"""
    length, batch, size = x.shape
    w = w_ih * lanes[:, None]
    shape = (length, batch, w.shape[0])
    if out is None or out.shape != shape or out.dtype != x.dtype:
        out = np.empty(shape, x.dtype)
    np.matmul(x.reshape(length * batch, size), w.T, out=out.reshape(length * batch, w.shape[0]))
    return out


def add_product_ref(g: np.ndarray, hw: np.ndarray, b: np.ndarray) -> None:
    """``g += hw + b``: a step's recurrent product and bias added to its input projection."""
    g += hw
    g += b


@njit
def add_product_jit(g, hw, b):
    n, m = g.shape
    for i in range(n):
        gi, hi = g[i], hw[i]
        for j in range(m):
            gi[j] += hi[j] + b[j]


def _steps(sizes: np.ndarray | None, length: int, batch: int, reverse: bool) -> list:
    """(t, previous t or -1, active rows) in processing order."""
    counts = _sizes(sizes, length, batch)
    order = _order(length, reverse)
    return [(t, order[k - 1] if k else -1, counts[t]) for k, t in enumerate(order)]


def _start_rows(states: tuple, starts: tuple, prev: int, rows: int, prev_rows: int) -> None:
    """Packed, reverse direction: rows ``prev_rows:rows`` begin now, from the initial states."""
    if rows > prev_rows:
        for state, start in zip(states, starts, strict=True):
            state[prev, prev_rows:rows] = start[prev_rows:rows]


def _walk(sizes: np.ndarray | None, length: int, batch: int, reverse: bool, states: tuple,
          starts: tuple):  # fmt: skip
    """Forward processing order: ``(t, rows, before)``, ``before`` the views of each state
    (L, N, H) one step back (the ``starts`` (N, H) for the first step) on the active rows.
    Rows that begin late (packed, reverse) are started from ``starts`` on the way."""
    rows_before = batch
    for t, prev, rows in _steps(sizes, length, batch, reverse):
        if prev < 0:
            yield t, rows, tuple(s[:rows] for s in starts)
        else:
            _start_rows(states, starts, prev, rows, rows_before)
            yield t, rows, tuple(s[prev, :rows] for s in states)
        rows_before = rows


def _finals(arrays: tuple, sizes: np.ndarray | None, length: int, reverse: bool) -> list:
    """Each sequence's last state: at step len-1 (forward) or 0 (reverse), copied."""
    if length == 0:
        return [None] * len(arrays)
    if reverse:
        return [a[0].copy() for a in arrays]
    if sizes is None:
        return [a[-1].copy() for a in arrays]
    batch = int(sizes[0])
    last = (np.asarray(sizes)[None, :] > np.arange(batch)[:, None]).sum(axis=1) - 1
    return [a[last, np.arange(batch)] for a in arrays]


def _input_grads(dg, x, w_ih, need_x: bool) -> tuple:
    """dx (or None), dW_ih and db from the pre-activation gradients ``dg`` (L, N, G*H)."""
    flat = dg.reshape(-1, dg.shape[-1])
    dx = (flat @ w_ih).reshape(x.shape) if need_x else None
    return dx, flat.T @ x.reshape(-1, x.shape[-1]), flat.sum(axis=0)


def _recurrent_weight_grad(dg: np.ndarray, out: np.ndarray, h0: np.ndarray, reverse: bool):
    """sum_t dg_t^T h_(t-1): the first step's h is h0, the others the outputs one step back."""
    width, hidden = dg.shape[-1], out.shape[-1]
    first, rest, before = (dg[-1], dg[:-1], out[1:]) if reverse else (dg[0], dg[1:], out[:-1])
    dw = first.T @ h0
    if rest.size:
        dw += rest.reshape(-1, width).T @ before.reshape(-1, hidden)
    return dw


def _state(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    return np.array(a, dtype=dtype, order="C", copy=True)


def lstm_forward(x, h0, c0, w_ih, w_hh, b, sizes=None, reverse=False, gates=None) -> tuple:
    """LSTM over a sequence: ``x`` (L, N, In), ``h0``, ``c0`` (N, H), ``w_ih`` (4H, In),
    ``w_hh`` (4H, H), ``b`` (4H,) the summed biases. Returns ``(out, h_n, c_n, saved)`` with
    ``out`` (L, N, H); ``saved`` is what ``lstm_backward`` needs. ``gates``: a free
    (L, N, 4H) buffer to keep the gates in (used when its shape and dtype fit)."""
    length, batch = x.shape[:2]
    hidden = w_hh.shape[1]
    dtype = x.dtype
    jit = _jit.JIT_ENABLED
    half = dtype.type(0.5)
    lanes = _lanes(hidden, "ssts", dtype)
    gates = _project(x, w_ih, lanes, gates)  # pre-activations, then the gates, step by step
    wt = np.ascontiguousarray((w_hh * lanes[:, None]).T)
    b = np.ascontiguousarray(b * lanes, dtype=dtype)
    h0, c0 = _state(h0, dtype), _state(c0, dtype)
    out = _alloc(sizes, (length, batch, hidden), dtype)
    cs = _alloc(sizes, (length, batch, hidden), dtype)  # the cell states
    buf = np.empty((batch, 4 * hidden), dtype)
    tanh_c = np.empty((batch, hidden), dtype)
    for t, rows, (hp, cp) in _walk(sizes, length, batch, reverse, (out, cs), (h0, c0)):
        g = gates[t, :rows]
        hw = np.matmul(hp, wt, out=buf[:rows])
        if jit:
            add_product_jit(g, hw, b)
        else:
            add_product_ref(g, hw, b)
        np.tanh(g, out=g)
        if jit:
            lstm_cell_forward_jit(g, cp, cs[t, :rows], half)
        else:
            lstm_cell_forward_ref(g, cp, cs[t, :rows])
        tc = np.tanh(cs[t, :rows], out=tanh_c[:rows])
        np.multiply(g[:, 3 * hidden :], tc, out=out[t, :rows])
    h_n, c_n = _finals((out, cs), sizes, length, reverse)
    if h_n is None:
        h_n, c_n = h0, c0
    return out, h_n, c_n, (gates, out, cs, h0, c0)


def lstm_backward(dout, dh_n, dc_n, saved, x, w_ih, w_hh, sizes=None, reverse=False,
                  need_x=True) -> tuple:  # fmt: skip
    """Backward of ``lstm_forward`` from the gradients of ``out``, ``h_n`` and ``c_n``.
    Returns ``(dx, dh0, dc0, dw_ih, dw_hh, db)`` (dx None unless ``need_x``). The saved gates
    are overwritten by their gradients (no second array of that size): run the forward again
    before another backward."""
    gates, out, cs, h0, c0 = saved
    length, batch, width = gates.shape
    hidden = width // 4
    dtype = gates.dtype
    jit = _jit.JIT_ENABLED
    one = dtype.type(1)
    dg_all = gates
    dh, dc = _state(dh_n, dtype), _state(dc_n, dtype)
    tanh_c = np.empty((batch, hidden), dtype)
    # The loop writes into a scratch block, copied into the gates after: writing over the
    # gates it reads would stop LLVM from vectorising it (4x slower).
    scratch = np.empty((batch, width), dtype)
    for t, prev, rows in reversed(_steps(sizes, length, batch, reverse)):
        cp = c0[:rows] if prev < 0 else cs[prev, :rows]
        tc = np.tanh(cs[t, :rows], out=tanh_c[:rows])
        d, dg = dh[:rows], scratch[:rows]
        args = (gates[t, :rows], cp, tc, d, dout[t, :rows], dc[:rows], dg)
        if jit:
            lstm_cell_backward_jit(*args, one)
        else:
            lstm_cell_backward_ref(*args)
        dg_all[t, :rows] = dg
        dg_all[t, rows:] = 0  # inactive rows (packed): no gradient
        np.matmul(dg, w_hh, out=d)
    dx, dw_ih, db = _input_grads(dg_all, x, w_ih, need_x)
    dw_hh = _recurrent_weight_grad(dg_all, out, h0, reverse)
    return dx, dh, dc, dw_ih, dw_hh, db


def gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, sizes=None, reverse=False, gates=None) -> tuple:
    """GRU over a sequence: ``x`` (L, N, In), ``h0`` (N, H), ``w_ih`` (3H, In), ``w_hh``
    (3H, H), ``b_ih``, ``b_hh`` (3H,) (the n part of ``b_hh`` sits inside ``r * (...)``).
    Returns ``(out, h_n, saved)``; ``gates`` as in ``lstm_forward``."""
    length, batch = x.shape[:2]
    hidden = w_hh.shape[1]
    dtype = x.dtype
    jit = _jit.JIT_ENABLED
    half = dtype.type(0.5)
    lanes = _lanes(hidden, "sst", dtype)
    b_hh = b_hh.astype(dtype, copy=False)
    b = b_ih + np.concatenate([b_hh[: 2 * hidden], np.zeros(hidden, dtype)])
    gates = _project(x, w_ih, lanes, gates)
    gates += b * lanes
    b_hn = np.ascontiguousarray(b_hh[2 * hidden :])
    wt = np.ascontiguousarray((w_hh * lanes[:, None]).T)
    h0 = _state(h0, dtype)
    out = _alloc(sizes, (length, batch, hidden), dtype)
    hn = _alloc(sizes, (length, batch, hidden), dtype)  # h W_hn^T + b_hn
    buf = np.empty((batch, 3 * hidden), dtype)
    for t, rows, (hp,) in _walk(sizes, length, batch, reverse, (out,), (h0,)):
        g = gates[t, :rows]
        hw = np.matmul(hp, wt, out=buf[:rows])
        rz, n = g[:, : 2 * hidden], g[:, 2 * hidden :]
        if jit:
            gru_cell_input_jit(g, hw, b_hn, hn[t, :rows])
            np.tanh(rz, out=rz)
            gru_cell_candidate_jit(g, hn[t, :rows], half)
            np.tanh(n, out=n)
            gru_cell_output_jit(g, hp, out[t, :rows])
        else:
            gru_cell_input_ref(g, hw, b_hn, hn[t, :rows])
            np.tanh(rz, out=rz)
            gru_cell_candidate_ref(g, hn[t, :rows])
            np.tanh(n, out=n)
            gru_cell_output_ref(g, hp, out[t, :rows])
    (h_n,) = _finals((out,), sizes, length, reverse)
    return out, (h0 if h_n is None else h_n), (gates, out, hn, h0)


def gru_backward(dout, dh_n, saved, x, w_ih, w_hh, sizes=None, reverse=False,
                 need_x=True) -> tuple:  # fmt: skip
    """Backward of ``gru_forward``; returns ``(dx, dh0, dw_ih, dw_hh, db_ih, db_hh)``. The
    saved gates are overwritten by the gradients of the input pre-activations."""
    gates, out, hn, h0 = saved
    length, batch, width = gates.shape
    dtype = gates.dtype
    jit = _jit.JIT_ENABLED
    one = dtype.type(1)
    dx_all = gates
    dhw_all = _alloc(sizes, gates.shape, dtype)
    dh = _state(dh_n, dtype)
    buf = np.empty((batch, width // 3), dtype)
    for t, prev, rows in reversed(_steps(sizes, length, batch, reverse)):
        hp = h0[:rows] if prev < 0 else out[prev, :rows]
        d = dh[:rows]
        dx_all[t, rows:] = 0  # inactive rows (packed): no gradient
        args = (gates[t, :rows], hn[t, :rows], hp, d, dout[t, :rows], dx_all[t, :rows],
                dhw_all[t, :rows])  # fmt: skip
        if jit:
            gru_cell_backward_jit(*args, one)
        else:
            gru_cell_backward_ref(*args)
        d += np.matmul(dhw_all[t, :rows], w_hh, out=buf[:rows])
    dx, dw_ih, db_ih = _input_grads(dx_all, x, w_ih, need_x)
    dw_hh = _recurrent_weight_grad(dhw_all, out, h0, reverse)
    # b_hh enters exactly where the recurrent pre-activations do
    return dx, dh, dw_ih, dw_hh, db_ih, dhw_all.reshape(-1, width).sum(axis=0)


def rnn_forward(x, h0, w_ih, w_hh, b, relu=False, sizes=None, reverse=False) -> tuple:
    """Elman RNN over a sequence: ``h_t = act(x_t W_ih^T + b + h_(t-1) W_hh^T)``, act tanh or
    relu, ``b`` the summed biases. Returns ``(out, h_n, saved)``. NumPy only: the cell is one
    ufunc, nothing to fuse."""
    length, batch = x.shape[:2]
    hidden = w_hh.shape[1]
    dtype = x.dtype
    out = _project(x, w_ih, np.ones(hidden, dtype))  # pre-activations, then outputs
    out += b
    wt = np.ascontiguousarray(w_hh.T)
    h0 = _state(h0, dtype)
    buf = np.empty((batch, hidden), dtype)
    for t, rows, (hp,) in _walk(sizes, length, batch, reverse, (out,), (h0,)):
        o = out[t, :rows]
        o += np.matmul(hp, wt, out=buf[:rows])
        if relu:
            np.maximum(o, 0, out=o)
        else:
            np.tanh(o, out=o)
    (h_n,) = _finals((out,), sizes, length, reverse)
    return out, (h0 if h_n is None else h_n), (out, h0)


def rnn_backward(dout, dh_n, saved, x, w_ih, w_hh, relu=False, sizes=None, reverse=False,
                 need_x=True) -> tuple:  # fmt: skip
    """Backward of ``rnn_forward``; returns ``(dx, dh0, dw_ih, dw_hh, db)``."""
    out, h0 = saved
    length, batch, hidden = out.shape
    dz_all = _alloc(sizes, out.shape, out.dtype)
    dh = _state(dh_n, out.dtype)
    for t, _, rows in reversed(_steps(sizes, length, batch, reverse)):
        d, o, dz = dh[:rows], out[t, :rows], dz_all[t, :rows]
        d += dout[t, :rows]
        if relu:
            np.multiply(d, o > 0, out=dz)
        else:
            np.multiply(d, 1 - o * o, out=dz)
        np.matmul(dz, w_hh, out=d)
    dx, dw_ih, db = _input_grads(dz_all, x, w_ih, need_x)
    return dx, dh, dw_ih, _recurrent_weight_grad(dz_all, out, h0, reverse), db
