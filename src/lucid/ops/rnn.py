"""Recurrent ops: whole-sequence LSTM, GRU and Elman recurrences as single ops, and the
one-step cells composed of ordinary ops.

A sequence op runs one layer in one direction: its forward steps through time (saving the
gates), its gradient backpropagates through time, both in ``lucid.kernels.rnn``. The input
projection ``x @ W_ih^T + b`` is NOT part of it: the layers compute it for all steps with one
``linear`` beforehand, so its gradient is one GEMM too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._graph import func_op, operation
from lucid.kernels import rnn as K
from lucid.ops.activation import relu, sigmoid
from lucid.ops.elementwise import tanh
from lucid.ops.linalg import linear
from lucid.ops.shape import chunk
from lucid.tensor import Tensor

__all__ = [
    "lstm_sequence", "gru_sequence", "rnn_sequence", "lstm_cell", "gru_cell", "rnn_cell",
]  # fmt: skip


class _Sequence(operation):
    """Shared configuration: ``sizes`` (active batch rows per step, packed sequences, or None)
    and the direction."""

    # The gradient runs NumPy loops on arrays; it is not itself recorded.
    double_backward = False

    def __init__(self, sizes: np.ndarray | None = None, reverse: bool = False) -> None:
        self.sizes, self.reverse = sizes, reverse


class LSTMSequence(_Sequence):
    """(out, h_n, c_n) = LSTM over all steps of ``xw`` from (h0, c0) with ``w_hh``; gradient by
    backpropagation through time (``kernels.rnn.lstm_backward``)."""

    @func_op(4, 3)
    def forward(self, xw: np.ndarray, h0: np.ndarray, c0: np.ndarray, w_hh: np.ndarray):
        out, h, c, self.saved = K.lstm_forward(xw, h0, c0, w_hh, self.sizes, self.reverse)
        self.w_hh = w_hh
        return out, h, c

    def gradient(self, grad: tuple) -> tuple:
        dout, dh, dc = grad
        return K.lstm_backward(dout, dh, dc, self.saved, self.w_hh, self.sizes, self.reverse)


class GRUSequence(_Sequence):
    """(out, h_n) = GRU over all steps of ``xw`` from h0 with ``w_hh`` and ``b_hh`` (whose n part
    sits inside ``r * (...)``); gradient by backpropagation through time."""

    @func_op(4, 2)
    def forward(self, xw: np.ndarray, h0: np.ndarray, w_hh: np.ndarray, b_hh: np.ndarray):
        out, h, self.saved = K.gru_forward(xw, h0, w_hh, b_hh, self.sizes, self.reverse)
        self.w_hh = w_hh
        return out, h

    def gradient(self, grad: tuple) -> tuple:
        dout, dh = grad
        return K.gru_backward(dout, dh, self.saved, self.w_hh, self.sizes, self.reverse)


class RNNSequence(_Sequence):
    """(out, h_n) = Elman RNN (tanh or relu) over all steps of ``xw`` from h0 with ``w_hh``."""

    def __init__(self, relu: bool, sizes: np.ndarray | None = None, reverse: bool = False):
        super().__init__(sizes, reverse)
        self.relu = relu

    @func_op(3, 2)
    def forward(self, xw: np.ndarray, h0: np.ndarray, w_hh: np.ndarray):
        out, h, self.saved = K.rnn_forward(xw, h0, w_hh, self.relu, self.sizes, self.reverse)
        self.w_hh = w_hh
        return out, h

    def gradient(self, grad: tuple) -> tuple:
        dout, dh = grad
        args = (self.saved, self.w_hh, self.relu, self.sizes, self.reverse)
        return K.rnn_backward(dout, dh, *args)


def lstm_sequence(
    xw: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor, sizes: Any = None, reverse: bool = False
) -> tuple[Tensor, Tensor, Tensor]:
    """One LSTM layer and direction: ``xw`` (L, N, 4H) the input pre-activations with both
    biases, ``h0``, ``c0`` (N, H), ``w_hh`` (4H, H). Returns ``out`` (L, N, H), ``h_n``, ``c_n``.
    ``sizes``: active rows per step for packed sequences; ``reverse``: run from the last step."""
    return LSTMSequence(sizes, reverse)(xw, h0, c0, w_hh)


def gru_sequence(
    xw: Tensor, h0: Tensor, w_hh: Tensor, b_hh: Tensor, sizes: Any = None, reverse: bool = False
) -> tuple[Tensor, Tensor]:
    """One GRU layer and direction: ``xw`` (L, N, 3H) the input pre-activations with ``b_ih``,
    ``b_hh`` (3H,) (zeros for a layer without bias). Returns ``out`` (L, N, H) and ``h_n``."""
    return GRUSequence(sizes, reverse)(xw, h0, w_hh, b_hh)


def rnn_sequence(
    xw: Tensor,
    h0: Tensor,
    w_hh: Tensor,
    nonlinearity: str = "tanh",
    sizes: Any = None,
    reverse: bool = False,
) -> tuple[Tensor, Tensor]:
    """One Elman RNN layer and direction: ``xw`` (L, N, H) with both biases. Returns ``out``
    (L, N, H) and ``h_n``."""
    return RNNSequence(nonlinearity == "relu", sizes, reverse)(xw, h0, w_hh)


# --------------------------------------------------------------------------- cells


def lstm_cell(
    x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Any, b_hh: Any
) -> tuple[Tensor, Tensor]:
    """One LSTM step (PyTorch's gate order i, f, g, o): ``(h', c')`` with ``c' = f*c + i*g``,
    ``h' = o * tanh(c')``; x (N, in), h and c (N, H)."""
    i, f, g, o = chunk(linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh), 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * tanh(g)
    return sigmoid(o) * tanh(c), c


def gru_cell(
    x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Any, b_hh: Any
) -> Tensor:
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
