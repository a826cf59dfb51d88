"""Tests for the recurrent cells RNNCell, LSTMCell and GRUCell (lucid.nn.rnn)."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.autograd import gradcheck

CELLS = ["RNNCell", "LSTMCell", "GRUCell"]
GATES = {"RNNCell": 1, "LSTMCell": 4, "GRUCell": 3}


def _make(kind, *args, **kwargs):
    return getattr(nn, kind)(*args, **kwargs)


def _outputs(result) -> tuple:
    return result if isinstance(result, tuple) else (result,)


def _hx(kind, values):
    if values is None:
        return None
    return tuple(values) if kind == "LSTMCell" else values[0]


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("bias", [True, False])
def test_cell_gradient_matches_finite_differences(kind, bias, rng):
    cell = _make(kind, 3, 2, bias=bias).double()
    x = lucid.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    states = [lucid.tensor(rng.standard_normal((2, 2)), requires_grad=True)
              for _ in range(2 if kind == "LSTMCell" else 1)]  # fmt: skip

    def run(x, *rest):
        return _outputs(cell(x, _hx(kind, rest[: len(states)])))

    assert gradcheck(run, (x, *states, *cell.parameters()))


@pytest.mark.torch
@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("given", [True, False], ids=["hx", "no-hx"])
def test_cell_matches_torch_in_float64(
    kind, bias, batched, given, rng, copy_to_torch, backward_matches_torch
):
    torch = pytest.importorskip("torch")
    extra = {"nonlinearity": "relu"} if kind == "RNNCell" and bias else {}
    cell = _make(kind, 3, 4, bias=bias, **extra).double()
    reference = getattr(torch.nn, kind)(3, 4, bias=bias, **extra).double()
    copy_to_torch(cell, reference)
    x_data = rng.standard_normal((5, 3) if batched else (3,))
    shape = (5, 4) if batched else (4,)
    starts = [rng.standard_normal(shape) for _ in range(2 if kind == "LSTMCell" else 1)]
    x, xt = lucid.tensor(x_data, requires_grad=True), torch.tensor(x_data, requires_grad=True)
    h = [lucid.tensor(s, requires_grad=True) for s in starts] if given else None
    ht = [torch.tensor(s, requires_grad=True) for s in starts] if given else None
    results = _outputs(cell(x, _hx(kind, h)))
    results_t = _outputs(reference(xt, _hx(kind, ht)))
    backward_matches_torch(
        zip(results, results_t, strict=True),
        [x, *(h or [])],
        [xt, *(ht or [])],
        cell,
        reference,
        out_tol=(1e-10, 1e-12),
        grad_tol=(1e-10, 1e-12),
    )


@pytest.mark.parametrize("kind", CELLS)
def test_cell_parameters_and_init(kind):
    lucid.random.seed(0)
    cell = _make(kind, 3, 16)
    rows = GATES[kind] * 16
    assert [(k, v.shape) for k, v in cell.state_dict().items()] == [
        ("weight_ih", (rows, 3)), ("weight_hh", (rows, 16)), ("bias_ih", (rows,)),
        ("bias_hh", (rows,)),
    ]  # fmt: skip
    for name, p in cell.named_parameters():
        assert p.dtype == np.float32 and 0.2 < np.abs(p.numpy()).max() <= 0.25, name
    assert list(_make(kind, 3, 4, bias=False).state_dict()) == ["weight_ih", "weight_hh"]


@pytest.mark.parametrize("kind", CELLS)
def test_cell_steps_like_a_one_layer_rnn(kind, rng):
    """Stepping a cell through a sequence gives the layer's outputs (same weights)."""
    layer = getattr(nn, kind.replace("Cell", ""))(3, 4).double()
    cell = _make(kind, 3, 4).double()
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = lucid.tensor(rng.standard_normal((6, 2, 3)))
    out = layer(x)[0].numpy()
    state = None
    for t in range(6):
        state = cell(x[t], state)
        h = state[0] if kind == "LSTMCell" else state
        np.testing.assert_allclose(h.numpy(), out[t], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "make, args, error, message",
    [
        (lambda: nn.LSTMCell(3, 4), [(2, 2, 3)], ValueError, r"expected input of shape \(N, 3\)"),
        (lambda: nn.GRUCell(3, 4), [(2, 3), (3, 4)], ValueError,
         r"expected hx of shape \(2, 4\), got \(3, 4\)"),
        (lambda: nn.RNNCell(3, 4), [(3,), (2, 4)], ValueError, r"expected hx of shape \(4,\)"),
    ],
)  # fmt: skip
def test_cell_bad_input_raises(make, args, error, message):
    arrays = [lucid.tensor(np.zeros(shape, np.float32)) for shape in args]
    with pytest.raises(error, match=message):
        make()(*arrays)


def test_cell_bad_arguments_raise():
    with pytest.raises(ValueError, match="'tanh' or 'relu'"):
        nn.RNNCell(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="hidden_size"):
        nn.LSTMCell(3, 0)
    with pytest.raises(ValueError, match="pair"):
        nn.LSTMCell(3, 4)(lucid.tensor(np.zeros((2, 3), np.float32)), np.zeros((2, 4)))
    with pytest.raises(TypeError, match="float64"):
        nn.GRUCell(3, 4)(lucid.tensor(np.zeros((2, 3))))
