"""Recurrent layers: RNN, LSTM and GRU, as PyTorch's (weight names, gate orders, shapes).

Each layer and direction multiplies the whole sequence by ``W_ih`` once, then steps through
time with one ``h @ W_hh^T`` per step. The hidden state is kept as ``(1, N, H)`` so that the
per-step pieces of the input split off along time and the outputs concatenate back without
reshapes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lucid.nn import init
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter
from lucid.ops.activation import relu, sigmoid
from lucid.ops.dropout import dropout
from lucid.ops.elementwise import tanh
from lucid.ops.shape import concatenate, swapaxes, tensor_split, unsqueeze
from lucid.tensor import Tensor, _dtype

__all__ = ["RNN", "LSTM", "GRU"]


class _RNNBase(Module):
    """Parameters, init, input checks and the layer/direction loop shared by RNN, LSTM, GRU."""

    gates: int  # row blocks of the weights: 1 (RNN), 4 (LSTM), 3 (GRU)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if not (isinstance(hidden_size, int) and hidden_size > 0):
            raise ValueError(f"{name}: hidden_size must be a positive int, got {hidden_size!r}")
        if not (isinstance(num_layers, int) and num_layers > 0):
            raise ValueError(f"{name}: num_layers must be a positive int, got {num_layers!r}")
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError(f"{name}: dropout must be a probability in [0, 1], got {dropout!r}")
        if device is not None and str(device).split(":")[0] != "cpu":
            raise ValueError(f"{name}: Lucid runs on the CPU only, got device {device!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        dt = np.dtype(np.float32) if dtype is None else _dtype(dtype)
        rows = self.gates * hidden_size
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size * self.directions
            for suffix in self._suffixes(layer):
                setattr(self, "weight_ih" + suffix, Parameter(np.empty((rows, width), dt)))
                setattr(self, "weight_hh" + suffix, Parameter(np.empty((rows, hidden_size), dt)))
                if bias:
                    setattr(self, "bias_ih" + suffix, Parameter(np.empty(rows, dt)))
                    setattr(self, "bias_hh" + suffix, Parameter(np.empty(rows, dt)))
        self.reset_parameters()

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _suffixes(self, layer: int) -> list[str]:
        """PyTorch's parameter name suffixes: ``_l0`` and, bidirectional, ``_l0_reverse``."""
        return [f"_l{layer}", f"_l{layer}_reverse"][: self.directions]

    def reset_parameters(self) -> None:
        """PyTorch's default: every weight and bias uniform in +-1/sqrt(hidden_size)."""
        bound = 1 / math.sqrt(self.hidden_size)
        for param in self.parameters():
            init.uniform_(param, -bound, bound)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text

    # ----------------------------------------------------------------- forward

    def _input(self, x: Any) -> tuple[Tensor, bool]:
        """x as ``(L, N, input_size)`` and whether it was batched."""
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            batched = "(N, L, {0})" if self.batch_first else "(L, N, {0})"
            raise ValueError(
                f"{type(self).__name__}: expected input of shape "
                f"{batched.format(self.input_size)} or (L, {self.input_size}), got {x.shape}"
            )
        if x.ndim == 2:
            return unsqueeze(x, 1), False
        return (swapaxes(x, 0, 1) if self.batch_first else x), True

    def _state(self, h: Any, what: str, batch: int, batched: bool, like: Tensor) -> Tensor:
        """An initial state as ``(layers * directions, N, H)``: zeros when not given."""
        shape = (self.num_layers * self.directions, batch, self.hidden_size)
        if h is None:
            return Tensor._wrap(np.zeros(shape, dtype=like.dtype))
        h = h if isinstance(h, Tensor) else Tensor(h)
        expected = shape if batched else (shape[0], shape[2])
        if h.shape != expected:
            raise ValueError(
                f"{type(self).__name__}: expected {what} of shape {expected}, got {h.shape}"
            )
        return h if batched else unsqueeze(h, 1)

    def _weights(self, layer: int, d: int) -> tuple:
        suffix = self._suffixes(layer)[d]
        w_ih, w_hh = getattr(self, "weight_ih" + suffix), getattr(self, "weight_hh" + suffix)
        if not self.bias:
            return w_ih, w_hh, None, None
        return w_ih, w_hh, getattr(self, "bias_ih" + suffix), getattr(self, "bias_hh" + suffix)

    def _run(self, x: Tensor, states: tuple[Tensor, ...]) -> tuple[Tensor, tuple]:
        """Every layer and direction over x ``(L, N, In)``; states are ``(D*layers, N, H)``
        each. Returns the last layer's output ``(L, N, D*H)`` and the final states."""
        finals: list[list[Tensor]] = [[] for _ in states]
        for layer in range(self.num_layers):
            outputs = []
            for d in range(self.directions):
                k = layer * self.directions + d
                start = tuple(s[k : k + 1] for s in states)  # (1, N, H) each
                out, last = self._direction(x, self._weights(layer, d), start, reverse=d == 1)
                outputs.append(out)
                for final, s in zip(finals, last, strict=True):
                    final.append(s)
            x = outputs[0] if len(outputs) == 1 else concatenate(outputs, axis=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = dropout(x, self.dropout)
        return x, tuple(concatenate(f, axis=0) if len(f) > 1 else f[0] for f in finals)

    def _direction(self, x: Tensor, weights: tuple, state: tuple, reverse: bool) -> tuple:
        """One layer in one direction: the per-step outputs concatenated, and the last state."""
        w_ih, w_hh, b_ih, b_hh = weights
        xw = x @ w_ih.T
        if b_ih is not None and self.gates != 3:  # GRU keeps b_hh inside r * (...)
            xw = xw + (b_ih + b_hh)
        elif b_ih is not None:
            xw = xw + b_ih
        steps = tensor_split(xw, x.shape[0], dim=0)
        order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
        w_hh_t = w_hh.T
        outputs: list[Tensor] = [None] * len(steps)  # type: ignore[list-item]
        for t in order:
            state = self._cell(steps[t], state, w_hh_t, b_hh)
            outputs[t] = state[0]
        out = outputs[0] if len(outputs) == 1 else concatenate(outputs, axis=0)
        return out, state

    def _cell(self, xw: Tensor, state: tuple, w_hh_t: Tensor, b_hh: Tensor | None) -> tuple:
        raise NotImplementedError

    def _output(self, out: Tensor, batched: bool) -> Tensor:
        if not batched:
            return out[:, 0]
        return swapaxes(out, 0, 1) if self.batch_first else out

    @staticmethod
    def _final(h: Tensor, batched: bool) -> Tensor:
        return h if batched else h[:, 0]


_DOC_ARGS = """
    ``forward(input, hx)``: input ``(L, N, input_size)`` (``(N, L, input_size)`` with
    ``batch_first``) or unbatched ``(L, input_size)``; states ``(num_layers * D, N, H)`` (D = 2
    when bidirectional), zeros when not given. ``output`` is ``(L, N, D * H)``: the last
    layer's hidden state at every step (both directions concatenated). ``dropout`` applies to
    the outputs of every layer but the last, in training mode.
"""


class RNN(_RNNBase):
    """Elman RNN, as ``torch.nn.RNN``: ``h_t = act(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh)``
    with ``act`` tanh or relu. Parameters ``weight_ih_l{k}`` ``(H, in)``, ``weight_hh_l{k}``
    ``(H, H)``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (``_reverse`` for the backward direction),
    uniform in +-1/sqrt(H). Returns ``(output, h_n)``.
    """

    __doc__ += _DOC_ARGS
    gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device,
            dtype,
        )
        self.nonlinearity = nonlinearity

    def _cell(self, xw: Tensor, state: tuple, w_hh_t: Tensor, b_hh: Tensor | None) -> tuple:
        (h,) = state
        z = xw + h @ w_hh_t
        return (tanh(z) if self.nonlinearity == "tanh" else relu(z),)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        x, batched = self._input(input)
        h0 = self._state(hx, "hx", x.shape[1], batched, x)
        out, (h_n,) = self._run(x, (h0,))
        return self._output(out, batched), self._final(h_n, batched)

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTM(_RNNBase):
    """Long short-term memory, as ``torch.nn.LSTM``; gates in PyTorch's order i, f, g, o:
    ``i, f, o = sigmoid(.)``, ``g = tanh(.)`` of ``x_t W_ih^T + b_ih + h W_hh^T + b_hh``;
    ``c_t = f * c + i * g``, ``h_t = o * tanh(c_t)``. Weights ``(4H, in)`` and ``(4H, H)``.
    Returns ``(output, (h_n, c_n))``; ``proj_size`` is not supported.
    """

    __doc__ += _DOC_ARGS
    gates = 4

    def __init__(self, *args: Any, proj_size: int = 0, **kwargs: Any) -> None:
        if proj_size:
            raise NotImplementedError("LSTM: proj_size is not implemented in Lucid")
        super().__init__(*args, **kwargs)

    def _cell(self, xw: Tensor, state: tuple, w_hh_t: Tensor, b_hh: Tensor | None) -> tuple:
        h, c = state
        i, f, g, o = tensor_split(xw + h @ w_hh_t, 4, dim=-1)
        c = sigmoid(f) * c + sigmoid(i) * tanh(g)
        return sigmoid(o) * tanh(c), c

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:  # noqa: A002
        x, batched = self._input(input)
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise ValueError("LSTM: hx must be a pair (h_0, c_0)")
        h0, c0 = (None, None) if hx is None else hx
        h0 = self._state(h0, "h_0", x.shape[1], batched, x)
        c0 = self._state(c0, "c_0", x.shape[1], batched, x)
        out, (h_n, c_n) = self._run(x, (h0, c0))
        return self._output(out, batched), (self._final(h_n, batched), self._final(c_n, batched))


class GRU(_RNNBase):
    """Gated recurrent unit, as ``torch.nn.GRU``; gates in PyTorch's order r, z, n:
    ``r, z = sigmoid(x W_i^T + b_i + h W_h^T + b_h)``,
    ``n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))``, ``h_t = (1 - z) * n + z * h``.
    Weights ``(3H, in)`` and ``(3H, H)``. Returns ``(output, h_n)``.
    """

    __doc__ += _DOC_ARGS
    gates = 3

    def _cell(self, xw: Tensor, state: tuple, w_hh_t: Tensor, b_hh: Tensor | None) -> tuple:
        (h,) = state
        hw = h @ w_hh_t if b_hh is None else h @ w_hh_t + b_hh
        x_r, x_z, x_n = tensor_split(xw, 3, dim=-1)
        h_r, h_z, h_n = tensor_split(hw, 3, dim=-1)
        r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
        n = tanh(x_n + r * h_n)
        return (n + z * (h - n),)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        x, batched = self._input(input)
        h0 = self._state(hx, "hx", x.shape[1], batched, x)
        out, (h_n,) = self._run(x, (h0,))
        return self._output(out, batched), self._final(h_n, batched)
