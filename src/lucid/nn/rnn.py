"""Recurrent layers RNN, LSTM, GRU and the cells RNNCell, LSTMCell, GRUCell, as PyTorch's
(weight names, gate orders, shapes, init).

Each layer and direction multiplies the whole sequence by ``W_ih`` once (one ``linear``), then
runs its whole recurrence as ONE op (``lucid.ops.rnn``): forward through time, and
backpropagation through time as its gradient. PackedSequence inputs run the same ops, with
each step's number of active rows. The cells are composed of ordinary ops.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lucid.nn import init
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter
from lucid.nn.utils.rnn import PackedSequence, packed_to_padded, padded_to_packed
from lucid.ops.dropout import dropout
from lucid.ops.index import take
from lucid.ops.rnn import gru_cell, gru_sequence, lstm_cell, lstm_sequence, rnn_cell, rnn_sequence
from lucid.ops.shape import concatenate, stack, swapaxes, unsqueeze
from lucid.tensor import Tensor, _dtype

__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]


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
        # gates buffers handed back by the backward passes, for the next forwards to reuse
        self._workspace: list = []

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

    def flatten_parameters(self) -> None:
        """Nothing to do (PyTorch compacts weights for cuDNN here; on the CPU a no-op too)."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters of each layer and direction, in PyTorch's order."""
        return [
            [p for p in self._weights(layer, d) if p is not None]
            for layer in range(self.num_layers)
            for d in range(self.directions)
        ]

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
        if x.shape[1 if x.ndim == 3 and self.batch_first else 0] == 0:
            raise ValueError(f"{type(self).__name__}: expected a sequence length larger than 0, "
                             f"got input of shape {x.shape}")  # fmt: skip
        self._check_dtype(x)
        if x.ndim == 2:
            return unsqueeze(x, 1), False
        return (swapaxes(x, 0, 1) if self.batch_first else x), True

    def _check_dtype(self, x: Tensor) -> None:
        dtype = self.weight_ih_l0.dtype
        if x.dtype != dtype:
            raise TypeError(
                f"{type(self).__name__}: input dtype {x.dtype} does not match the weights' "
                f"{dtype}; convert one of them (e.g. module.double() or x.float())"
            )

    def _state(self, h: Any, what: str, batch: int, batched: bool, order: Any) -> Tensor | None:
        """A given initial state as ``(layers * directions, N, H)`` (None when not given),
        its batch permuted to the packed order ``order`` if there is one."""
        if h is None:
            return None
        shape = (self.num_layers * self.directions, batch, self.hidden_size)
        h = h if isinstance(h, Tensor) else Tensor(h)
        expected = shape if batched else (shape[0], shape[2])
        if h.shape != expected:
            raise ValueError(
                f"{type(self).__name__}: expected {what} of shape {expected}, got {h.shape}"
            )
        if h.dtype != self.weight_ih_l0.dtype:
            raise TypeError(f"{type(self).__name__}: {what} has dtype {h.dtype}, the weights "
                            f"{self.weight_ih_l0.dtype}")  # fmt: skip
        if not batched:
            return unsqueeze(h, 1)
        return h if order is None else take(h, order._data, axis=1)

    def _weights(self, layer: int, d: int) -> tuple:
        suffix = self._suffixes(layer)[d]
        w_ih, w_hh = getattr(self, "weight_ih" + suffix), getattr(self, "weight_hh" + suffix)
        if not self.bias:
            return w_ih, w_hh, None, None
        return w_ih, w_hh, getattr(self, "bias_ih" + suffix), getattr(self, "bias_hh" + suffix)

    def _run(self, x: Tensor, states: tuple, batch: int, sizes: Any) -> tuple:
        """Every layer and direction. ``x`` is ``(L, N, In)`` (``sizes``: the batch sizes of a
        packed batch, else None); states are ``(D * layers, N, H)`` each, or None. Returns the last
        layer's output ``(L, N, D * H)`` and the final states, ``(D * layers, N, H)`` each."""
        finals: list[list[Tensor]] = [[] for _ in states]
        zeros = None
        for layer in range(self.num_layers):
            outputs = []
            for d in range(self.directions):
                k = layer * self.directions + d
                start = []
                for s in states:
                    if s is None:
                        if zeros is None:
                            shape = (batch, self.hidden_size)
                            zeros = Tensor._wrap(np.zeros(shape, self.weight_ih_l0.dtype))
                        start.append(zeros)
                    else:
                        start.append(s[k])
                out, *last = self._sequence(x, start, *self._weights(layer, d), sizes, d == 1)
                outputs.append(out)
                for final, s in zip(finals, last, strict=True):
                    final.append(s)
            x = outputs[0] if len(outputs) == 1 else concatenate(outputs, axis=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = dropout(x, self.dropout)
        return x, tuple(stack(f, axis=0) for f in finals)

    def _sequence(self, x, start, w_ih, w_hh, b_ih, b_hh, sizes, reverse) -> tuple:
        raise NotImplementedError

    def _forward(self, input: Any, hx: tuple) -> tuple:  # noqa: A002
        """(output, final states) for ``input`` (a tensor or a PackedSequence) and the given
        initial states (each None or a tensor)."""
        name = type(self).__name__
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            data = data if isinstance(data, Tensor) else Tensor(data)
            if data.ndim != 2 or data.shape[1] != self.input_size:
                raise ValueError(f"{name}: expected packed data of shape (*, "
                                 f"{self.input_size}), got {data.shape}")  # fmt: skip
            self._check_dtype(data)
            sizes = batch_sizes._data if isinstance(batch_sizes, Tensor) else batch_sizes
            sizes = np.asarray(sizes, dtype=np.int64)
            batch = int(sizes[0])
            names = ("h_0", "c_0") if len(hx) == 2 else ("hx",)
            states = tuple(
                self._state(h, what, batch, True, sorted_indices)
                for h, what in zip(hx, names, strict=True)
            )
            out, finals = self._run(packed_to_padded(data, sizes), states, batch, sizes)
            out = PackedSequence(padded_to_packed(out, sizes), batch_sizes, sorted_indices,
                                 unsorted_indices)  # fmt: skip
            if unsorted_indices is not None:
                finals = tuple(take(f, unsorted_indices._data, axis=1) for f in finals)
            return out, finals
        x, batched = self._input(input)
        names = ("h_0", "c_0") if len(hx) == 2 else ("hx",)
        states = tuple(
            self._state(h, what, x.shape[1], batched, None)
            for h, what in zip(hx, names, strict=True)
        )
        out, finals = self._run(x, states, x.shape[1], None)
        if not batched:
            return out[:, 0], tuple(f[:, 0] for f in finals)
        return (swapaxes(out, 0, 1) if self.batch_first else out), finals


_DOC_ARGS = """
    ``forward(input, hx)``: input ``(L, N, input_size)`` (``(N, L, input_size)`` with
    ``batch_first``) or unbatched ``(L, input_size)``; states ``(num_layers * D, N, H)`` (D = 2
    when bidirectional), zeros when not given. ``output`` is ``(L, N, D * H)``: the last
    layer's hidden state at every step (both directions concatenated). ``dropout`` applies to
    the outputs of every layer but the last, in training mode. A ``PackedSequence`` input
    gives a PackedSequence output, and each sequence's final state at its own last step (the
    states' batch order is the caller's, as in PyTorch). Input and states must have the
    weights' dtype (TypeError). Higher derivatives (``create_graph``) work, by recomputing
    the recurrence with the cells.
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

    def _sequence(self, x, start, w_ih, w_hh, b_ih, b_hh, sizes, reverse) -> tuple:
        args = (x, start[0], w_ih, w_hh, b_ih, b_hh, self.nonlinearity, sizes, reverse)
        return rnn_sequence(*args)

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Tensor]:  # noqa: A002
        out, (h_n,) = self._forward(input, (hx,))
        return out, h_n

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTM(_RNNBase):
    """Long short-term memory, as ``torch.nn.LSTM``; gates in PyTorch's order i, f, g, o:
    ``i, f, o = sigmoid(.)``, ``g = tanh(.)`` of ``x_t W_ih^T + b_ih + h W_hh^T + b_hh``;
    ``c_t = f * c + i * g``, ``h_t = o * tanh(c_t)``. Weights ``(4H, in)`` and ``(4H, H)``.
    Returns ``(output, (h_n, c_n))``; ``proj_size`` is not supported (NotImplementedError).
    """

    __doc__ += _DOC_ARGS
    gates = 4

    def __init__(self, *args: Any, proj_size: int = 0, **kwargs: Any) -> None:
        if proj_size:
            raise NotImplementedError("LSTM: proj_size is not implemented in Lucid")
        super().__init__(*args, **kwargs)
        self.proj_size = 0

    def _sequence(self, x, start, w_ih, w_hh, b_ih, b_hh, sizes, reverse) -> tuple:
        args = (w_ih, w_hh, b_ih, b_hh, sizes, reverse, self._workspace)
        return lstm_sequence(x, *start, *args)

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, tuple[Tensor, Tensor]]:  # noqa: A002
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise ValueError("LSTM: hx must be a pair (h_0, c_0)")
        out, (h_n, c_n) = self._forward(input, (None, None) if hx is None else tuple(hx))
        return out, (h_n, c_n)


class GRU(_RNNBase):
    """Gated recurrent unit, as ``torch.nn.GRU``; gates in PyTorch's order r, z, n:
    ``r, z = sigmoid(x W_i^T + b_i + h W_h^T + b_h)``,
    ``n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))``, ``h_t = (1 - z) * n + z * h``.
    Weights ``(3H, in)`` and ``(3H, H)``. Returns ``(output, h_n)``.
    """

    __doc__ += _DOC_ARGS
    gates = 3

    def _sequence(self, x, start, w_ih, w_hh, b_ih, b_hh, sizes, reverse) -> tuple:
        args = (w_ih, w_hh, b_ih, b_hh, sizes, reverse, self._workspace)
        return gru_sequence(x, start[0], *args)

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Tensor]:  # noqa: A002
        out, (h_n,) = self._forward(input, (hx,))
        return out, h_n


# --------------------------------------------------------------------------- cells


class _CellBase(Module):
    """Parameters ``weight_ih`` ``(G*H, in)``, ``weight_hh`` ``(G*H, H)``, ``bias_ih``,
    ``bias_hh`` ``(G*H,)``, uniform in +-1/sqrt(H) (PyTorch's names, shapes and init)."""

    gates: int

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        for what, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not (isinstance(value, int) and value > 0):
                raise ValueError(f"{name}: {what} must be a positive int, got {value!r}")
        if device is not None and str(device).split(":")[0] != "cpu":
            raise ValueError(f"{name}: Lucid runs on the CPU only, got device {device!r}")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dt = np.dtype(np.float32) if dtype is None else _dtype(dtype)
        rows = self.gates * hidden_size
        self.weight_ih = Parameter(np.empty((rows, input_size), dt))
        self.weight_hh = Parameter(np.empty((rows, hidden_size), dt))
        if bias:
            self.bias_ih = Parameter(np.empty(rows, dt))
            self.bias_hh = Parameter(np.empty(rows, dt))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: every weight and bias uniform in +-1/sqrt(hidden_size)."""
        bound = 1 / math.sqrt(self.hidden_size)
        for param in self.parameters():
            init.uniform_(param, -bound, bound)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")

    def _input(self, x: Any) -> tuple[Tensor, bool]:
        """x as ``(N, input_size)`` and whether it was batched."""
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{type(self).__name__}: expected input of shape (N, {self.input_size}) or "
                f"({self.input_size},), got {x.shape}"
            )
        if x.dtype != self.weight_ih.dtype:
            raise TypeError(f"{type(self).__name__}: input dtype {x.dtype} does not match the "
                            f"weights' {self.weight_ih.dtype}")  # fmt: skip
        return (x, True) if x.ndim == 2 else (unsqueeze(x, 0), False)

    def _hidden(self, h: Any, what: str, x: Tensor, batched: bool) -> Tensor:
        """A state ``(N, H)``: zeros when not given."""
        shape = (x.shape[0], self.hidden_size)
        if h is None:
            return Tensor._wrap(np.zeros(shape, x.dtype))
        h = h if isinstance(h, Tensor) else Tensor(h)
        expected = shape if batched else shape[1:]
        if h.shape != expected:
            raise ValueError(
                f"{type(self).__name__}: expected {what} of shape {expected}, got {h.shape}"
            )
        return h if batched else unsqueeze(h, 0)

    def _params(self) -> tuple:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh


class RNNCell(_CellBase):
    """One Elman step, as ``torch.nn.RNNCell``: ``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)``,
    ``act`` tanh or relu. Input ``(N, in)`` or ``(in,)``, hx ``(N, H)`` or ``(H,)`` (zeros when
    not given); returns h' of hx's shape."""

    gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Any, hx: Any = None) -> Tensor:  # noqa: A002
        x, batched = self._input(input)
        h = rnn_cell(x, self._hidden(hx, "hx", x, batched), *self._params(), self.nonlinearity)
        return h if batched else h[0]

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTMCell(_CellBase):
    """One LSTM step, as ``torch.nn.LSTMCell`` (gates i, f, g, o): returns ``(h', c')`` with
    ``c' = f * c + i * g``, ``h' = o * tanh(c')``. ``hx`` is a pair ``(h, c)`` or None
    (zeros)."""

    gates = 4

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        x, batched = self._input(input)
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise ValueError("LSTMCell: hx must be a pair (h, c)")
        h0, c0 = (None, None) if hx is None else hx
        h0, c0 = self._hidden(h0, "h", x, batched), self._hidden(c0, "c", x, batched)
        h, c = lstm_cell(x, h0, c0, *self._params())
        return (h, c) if batched else (h[0], c[0])


class GRUCell(_CellBase):
    """One GRU step, as ``torch.nn.GRUCell`` (gates r, z, n): ``h' = (1 - z) * n + z * h``,
    ``n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))``."""

    gates = 3

    def forward(self, input: Any, hx: Any = None) -> Tensor:  # noqa: A002
        x, batched = self._input(input)
        h = gru_cell(x, self._hidden(hx, "hx", x, batched), *self._params())
        return h if batched else h[0]
