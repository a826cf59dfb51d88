"""Recurrent ops: whole-sequence LSTM, GRU and Elman recurrences as single ops, and the
one-step cells composed of ordinary ops (which also give the sequence ops their recorded
gradient, for higher derivatives).

A sequence op runs one layer in one direction: its forward steps through time (saving the
gates), its gradient backpropagates through time, both in ``lucid.kernels.rnn``. The input
projection ``x @ W_ih^T + b`` is NOT part of it: the layers compute it for all steps with one
``linear`` beforehand, so its gradient is one GEMM too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._graph import func_op, operation, run_backward, unary_func_op
from lucid.kernels import rnn as K
from lucid.ops.activation import relu, sigmoid
from lucid.ops.elementwise import tanh
from lucid.ops.linalg import linear
from lucid.ops.shape import chunk, concatenate, stack
from lucid.tensor import Tensor

__all__ = [
    "lstm_sequence", "gru_sequence", "rnn_sequence", "lstm_cell", "gru_cell", "rnn_cell",
]  # fmt: skip


class _Sequence(operation):
    """Shared configuration: ``sizes`` (active batch rows per step, packed sequences, or None)
    and the direction; and the saved values, which the gradient consumes.

    The backward kernels overwrite the saved gates with their gradients (one array of the
    gates' size less per step: fewer fresh pages, measured as a third of the LSTM step's
    overhead). A second backward through the same graph (``retain_graph=True``) therefore
    runs the forward again first, from the saved inputs.
    """

    consumed = False
    n_states = 1  # recurrent states: h, or h and c

    def __init__(
        self, sizes: np.ndarray | None = None, reverse: bool = False, workspace: Any = None
    ) -> None:
        self.sizes, self.reverse, self.workspace = sizes, reverse, workspace

    def buffer(self) -> np.ndarray | None:
        """A gates buffer that an earlier backward gave back to the ``workspace`` (a list the
        layer keeps), or None. Reusing it spares the fresh pages of a new array of the gates'
        size at every step (~0.5 ms of an LSTM training step of batch 32, length 32)."""
        return self.workspace.pop() if self.workspace else None

    def give_back(self, gates: np.ndarray) -> None:
        """After the backward: the consumed gates buffer is free for the next forward."""
        if self.workspace is not None and len(self.workspace) < 4:
            self.workspace.append(gates)

    def saved_values(self) -> tuple:
        """The forward's saved values, recomputed when an earlier backward consumed them."""
        if self.consumed:
            self.run(*self.inputs)
        self.consumed = True
        return self.saved

    def gradient(self, grad: tuple) -> tuple:
        if isinstance(grad[0], Tensor):
            return self.recorded_gradient(grad)
        return self.array_gradient(grad)

    def recorded_gradient(self, grad: tuple) -> tuple:
        """The gradient as recorded ops (``create_graph``): the recurrence is recomputed from
        the inputs with the one-step cells, and differentiated by a nested backward pass.

        The recomputation starts from identity ops (``_Barrier``) on the inputs that stop the
        nested pass there (it must not reach the graph around this op); afterwards they pass
        gradients through, so that a higher derivative reaches the inputs.
        """
        barriers = [_Barrier()(p) if p.requires_grad else p for p in self.parents]
        outs = self.composite(*barriers)
        wanted = [b for b in barriers if b._op is not None and isinstance(b._op, _Barrier)]
        for b in wanted:
            b._op.blocking = True
        try:
            found = run_backward(list(outs), list(grad), True, True, inputs=wanted)
        finally:
            for b in wanted:
                b._op.blocking = False
        by_id = {id(b): g for b, g in zip(wanted, found, strict=True)}
        return tuple(by_id.get(id(b)) for b in barriers)

    def composite(self, x, *rest) -> tuple:
        """The forward as one-step cells (recorded ops): ``(out, *final states)``."""
        states, (w_ih, w_hh, b_ih, b_hh) = list(rest[: self.n_states]), rest[self.n_states :]
        length, batch = x.shape[:2]
        counts = [batch] * length if self.sizes is None else [int(n) for n in self.sizes]
        outs: list = [None] * length
        for t in range(length - 1, -1, -1) if self.reverse else range(length):
            rows = counts[t]
            active = [s if rows == batch else s[:rows] for s in states]
            xt = x[t] if rows == batch else x[t, :rows]
            new = self.cell(xt, *active, w_ih, w_hh, b_ih, b_hh)
            if rows < batch:  # inactive rows keep their state, and output zeros
                pad = Tensor._wrap(np.zeros((batch - rows, new[0].shape[1]), new[0].dtype))
                outs[t] = concatenate([new[0], pad], axis=0)
                new = [
                    concatenate([n, s[rows:]], axis=0) for n, s in zip(new, states, strict=True)
                ]
            else:
                outs[t] = new[0]
            states = list(new)
        return (stack(outs, axis=0), *states)


class _Barrier(operation):
    """Identity; its gradient is cut while ``blocking`` (see ``_Sequence.recorded_gradient``)."""

    blocking = False

    @unary_func_op()
    def forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def gradient(self, grad: Any) -> Any:
        return None if self.blocking else grad


class LSTMSequence(_Sequence):
    """(out, h_n, c_n) = LSTM over all steps of x from (h0, c0); the input projection is one
    GEMM, the gradient backpropagation through time (``kernels.rnn.lstm_backward``)."""

    n_states = 2

    @func_op(7, 3)
    def forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        self.inputs = (x, h0, c0, w_ih, w_hh, b_ih + b_hh)
        return self.run(*self.inputs)

    def run(self, x, h0, c0, w_ih, w_hh, b) -> tuple:
        out, h, c, self.saved = K.lstm_forward(
            x, h0, c0, w_ih, w_hh, b, self.sizes, self.reverse, self.buffer()
        )
        return out, h, c

    def cell(self, x, h, c, w_ih, w_hh, b_ih, b_hh) -> tuple:
        return lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh)

    def array_gradient(self, grad: tuple) -> tuple:
        dout, dh, dc = grad
        x, _, _, w_ih, w_hh, _ = self.inputs
        need_x = self.parents[0].requires_grad
        saved = self.saved_values()
        dx, dh0, dc0, dw_ih, dw_hh, db = K.lstm_backward(
            dout, dh, dc, saved, x, w_ih, w_hh, self.sizes, self.reverse, need_x
        )
        self.give_back(saved[0])
        return dx, dh0, dc0, dw_ih, dw_hh, db, db


class GRUSequence(_Sequence):
    """(out, h_n) = GRU over all steps of x from h0 (the n part of ``b_hh`` sits inside
    ``r * (...)``); gradient by backpropagation through time."""

    @func_op(6, 2)
    def forward(self, x, h0, w_ih, w_hh, b_ih, b_hh):
        self.inputs = (x, h0, w_ih, w_hh, b_ih, b_hh)
        return self.run(*self.inputs)

    def run(self, x, h0, w_ih, w_hh, b_ih, b_hh) -> tuple:
        out, h, self.saved = K.gru_forward(
            x, h0, w_ih, w_hh, b_ih, b_hh, self.sizes, self.reverse, self.buffer()
        )
        return out, h

    def cell(self, x, h, w_ih, w_hh, b_ih, b_hh) -> tuple:
        return (gru_cell(x, h, w_ih, w_hh, b_ih, b_hh),)

    def array_gradient(self, grad: tuple) -> tuple:
        dout, dh = grad
        x, _, w_ih, w_hh, _, _ = self.inputs
        need_x = self.parents[0].requires_grad
        saved = self.saved_values()
        dx, dh0, dw_ih, dw_hh, db_ih, db_hh = K.gru_backward(
            dout, dh, saved, x, w_ih, w_hh, self.sizes, self.reverse, need_x
        )
        self.give_back(saved[0])
        return dx, dh0, dw_ih, dw_hh, db_ih, db_hh


class RNNSequence(_Sequence):
    """(out, h_n) = Elman RNN (tanh or relu) over all steps of x from h0."""

    def __init__(self, relu: bool, sizes: np.ndarray | None = None, reverse: bool = False):
        super().__init__(sizes, reverse)
        self.relu = relu  # (no workspace: the saved values are the outputs)

    @func_op(6, 2)
    def forward(self, x, h0, w_ih, w_hh, b_ih, b_hh):
        out, h, self.saved = K.rnn_forward(
            x, h0, w_ih, w_hh, b_ih + b_hh, self.relu, self.sizes, self.reverse
        )
        self.x, self.w_ih, self.w_hh = x, w_ih, w_hh
        return out, h

    def cell(self, x, h, w_ih, w_hh, b_ih, b_hh) -> tuple:
        return (rnn_cell(x, h, w_ih, w_hh, b_ih, b_hh, "relu" if self.relu else "tanh"),)

    def array_gradient(self, grad: tuple) -> tuple:
        dout, dh = grad
        need_x = self.parents[0].requires_grad
        dx, dh0, dw_ih, dw_hh, db = K.rnn_backward(
            dout,
            dh,
            self.saved,
            self.x,
            self.w_ih,
            self.w_hh,
            self.relu,
            self.sizes,
            self.reverse,
            need_x,
        )  # fmt: skip  (nothing consumed: the saved values are the outputs)
        return dx, dh0, dw_ih, dw_hh, db, db


def _biases(w_hh: Tensor, b_ih: Any, b_hh: Any) -> tuple:
    """The biases, or constant zeros for a layer without them."""
    if b_ih is None:
        zeros = Tensor._wrap(np.zeros(w_hh.shape[0], w_hh.dtype))
        return zeros, zeros
    return b_ih, b_hh


def lstm_sequence(
    x: Tensor, h0: Tensor, c0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Any = None,
    b_hh: Any = None, sizes: Any = None, reverse: bool = False, workspace: Any = None,
) -> tuple[Tensor, Tensor, Tensor]:  # fmt: skip
    """One LSTM layer and direction over ``x`` (L, N, In) from ``h0``, ``c0`` (N, H), with
    PyTorch's weights ``w_ih`` (4H, In), ``w_hh`` (4H, H), biases (4H,) or None. Returns
    ``out`` (L, N, H), ``h_n``, ``c_n``. ``sizes``: active rows per step (packed sequences,
    rows sorted by decreasing length); ``reverse``: run from the last step to the first;
    ``workspace``: a list through which successive calls recycle the gates buffer."""
    op = LSTMSequence(sizes, reverse, workspace)
    return op(x, h0, c0, w_ih, w_hh, *_biases(w_hh, b_ih, b_hh))


def gru_sequence(
    x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Any = None, b_hh: Any = None,
    sizes: Any = None, reverse: bool = False, workspace: Any = None,
) -> tuple[Tensor, Tensor]:  # fmt: skip
    """One GRU layer and direction, as ``lstm_sequence`` (weights (3H, *)); returns ``out``
    (L, N, H) and ``h_n``."""
    op = GRUSequence(sizes, reverse, workspace)
    return op(x, h0, w_ih, w_hh, *_biases(w_hh, b_ih, b_hh))


def rnn_sequence(
    x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Any = None, b_hh: Any = None,
    nonlinearity: str = "tanh", sizes: Any = None, reverse: bool = False,
) -> tuple[Tensor, Tensor]:  # fmt: skip
    """One Elman RNN layer and direction (tanh or relu), as ``lstm_sequence`` (weights
    (H, *)); returns ``out`` (L, N, H) and ``h_n``."""
    args = (x, h0, w_ih, w_hh, *_biases(w_hh, b_ih, b_hh))
    return RNNSequence(nonlinearity == "relu", sizes, reverse)(*args)


# --------------------------------------------------------------------------- cells


def lstm_cell(
    x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Any, b_hh: Any
) -> tuple[Tensor, Tensor]:
    """One LSTM step (PyTorch's gate order i, f, g, o): ``(h', c')`` with ``c' = f*c + i*g``,
    ``h' = o * tanh(c')``; x (N, in), h and c (N, H)."""
    i, f, g, o = chunk(linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh), 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * tanh(g)
    return sigmoid(o) * tanh(c), c


def gru_cell(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Any, b_hh: Any) -> Tensor:
    """One GRU step (gate order r, z, n): ``h' = (1 - z) * n + z * h`` with
    ``n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))``."""
    x_r, x_z, x_n = chunk(linear(x, w_ih, b_ih), 3, axis=-1)
    h_r, h_z, h_n = chunk(linear(h, w_hh, b_hh), 3, axis=-1)
    r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
    n = tanh(x_n + r * h_n)
    return n + z * (h - n)


def rnn_cell(
    x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Any, b_hh: Any, nonlinearity: str
) -> Tensor:
    """One Elman step: ``act(x W_ih^T + b_ih + h W_hh^T + b_hh)``, act tanh or relu."""
    z = linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh)
    return tanh(z) if nonlinearity == "tanh" else relu(z)
