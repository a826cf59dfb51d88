"""Tests for the recurrent layers RNN, LSTM and GRU (lucid.nn.rnn)."""

import itertools

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.autograd import gradcheck

KINDS = ["RNN", "LSTM", "GRU"]
# constructor keywords beyond (input_size=3, hidden_size=4): every combination of layers,
# direction, layout and bias
VARIANTS = [
    dict(zip(("num_layers", "bidirectional", "batch_first", "bias"), combo, strict=True))
    for combo in itertools.product((1, 2), (False, True), (False, True), (True, False))
]
VARIANT_IDS = [
    f"L{v['num_layers']}{'-bi' if v['bidirectional'] else ''}{'-bf' if v['batch_first'] else ''}"
    f"{'' if v['bias'] else '-nobias'}"
    for v in VARIANTS
]


def _states(hidden) -> tuple:
    """The final state(s) of a forward as a tuple: (h_n,) or (h_n, c_n)."""
    return hidden if isinstance(hidden, tuple) else (hidden,)


def _x_shape(kwargs: dict, batched: bool, length: int = 5, batch: int = 2, size: int = 3):
    if not batched:
        return (length, size)
    return (batch, length, size) if kwargs.get("batch_first") else (length, batch, size)


def _hx(kind, values):
    """The forward's hx argument from a list of initial states (None: not given)."""
    if values is None:
        return None
    return tuple(values) if kind == "LSTM" else values[0]


def _compare(layer, reference, kind, x_data, starts, check, torch, atol=1e-10):
    """Outputs and gradients (random upstream) of ``layer`` and its PyTorch twin; ``check``
    is the backward_matches_torch fixture."""
    x, xt = lucid.tensor(x_data, requires_grad=True), torch.tensor(x_data, requires_grad=True)
    h = None if starts is None else [lucid.tensor(s, requires_grad=True) for s in starts]
    ht = None if starts is None else [torch.tensor(s, requires_grad=True) for s in starts]
    out, hidden = layer(x, _hx(kind, h))
    out_t, hidden_t = reference(xt, _hx(kind, ht))
    results, results_t = (out, *_states(hidden)), (out_t, *_states(hidden_t))
    check(
        zip(results, results_t, strict=True),
        [x, *(h or [])],
        [xt, *(ht or [])],
        layer,
        reference,
        out_tol=(1e-8, atol),
        grad_tol=(1e-7, atol),
        dtype=x_data.dtype,
    )


@pytest.mark.torch
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("kwargs", VARIANTS, ids=VARIANT_IDS)
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("given", [True, False], ids=["h0", "no-h0"])
def test_rnn_matches_torch_in_float64(
    kind, kwargs, batched, given, rng, copy_to_torch, backward_matches_torch
):
    torch = pytest.importorskip("torch")
    layer = getattr(nn, kind)(3, 4, **kwargs).double()
    reference = getattr(torch.nn, kind)(3, 4, **kwargs).double()
    copy_to_torch(layer, reference)
    n_states = kwargs["num_layers"] * (2 if kwargs["bidirectional"] else 1)
    state_shape = (n_states, 2, 4) if batched else (n_states, 4)
    starts = [rng.standard_normal(state_shape) for _ in range(2 if kind == "LSTM" else 1)]
    x = rng.standard_normal(_x_shape(kwargs, batched))
    _compare(layer, reference, kind, x, starts if given else None, backward_matches_torch, torch)


@pytest.mark.torch
@pytest.mark.parametrize("kind", KINDS)
def test_rnn_float32_matches_torch(kind, rng, copy_to_torch, backward_matches_torch):
    torch = pytest.importorskip("torch")
    layer = getattr(nn, kind)(6, 8, num_layers=2, bidirectional=True)
    reference = getattr(torch.nn, kind)(6, 8, num_layers=2, bidirectional=True)
    copy_to_torch(layer, reference)
    x = rng.standard_normal((7, 3, 6)).astype(np.float32)
    _compare(layer, reference, kind, x, None, backward_matches_torch, torch, atol=1e-5)


@pytest.mark.torch
@pytest.mark.parametrize("bidirectional", [False, True])
def test_rnn_relu_nonlinearity_matches_torch(
    bidirectional, rng, copy_to_torch, backward_matches_torch
):
    torch = pytest.importorskip("torch")
    kwargs = {"nonlinearity": "relu", "num_layers": 2, "bidirectional": bidirectional}
    layer, reference = nn.RNN(3, 4, **kwargs).double(), torch.nn.RNN(3, 4, **kwargs).double()
    copy_to_torch(layer, reference)
    starts = [rng.standard_normal((2 * (2 if bidirectional else 1), 2, 4))]
    _compare(
        layer,
        reference,
        "RNN",
        rng.standard_normal((5, 2, 3)),
        starts,
        backward_matches_torch,
        torch,
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "kwargs", [VARIANTS[0], VARIANTS[-1]], ids=[VARIANT_IDS[0], VARIANT_IDS[-1]]
)
def test_rnn_gradient_matches_finite_differences(kind, kwargs, rng):
    layer = getattr(nn, kind)(2, 2, **kwargs).double()
    x = lucid.tensor(rng.standard_normal(_x_shape(kwargs, True, length=3, size=2)),
                     requires_grad=True)  # fmt: skip

    def run(x, *params):
        out, hidden = layer(x)
        return (out, *_states(hidden))

    assert gradcheck(run, (x, *layer.parameters()))


@pytest.mark.parametrize("kind", KINDS)
def test_rnn_gradient_reaches_the_initial_state(kind, rng):
    layer = getattr(nn, kind)(2, 3, bidirectional=True).double()
    x = lucid.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h0 = lucid.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
    if kind == "LSTM":
        c0 = lucid.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
        assert gradcheck(lambda x, h, c: layer(x, (h, c))[1], (x, h0, c0))
    else:
        assert gradcheck(lambda x, h: layer(x, h)[0], (x, h0))


@pytest.mark.parametrize("kind", KINDS)
def test_rnn_second_backward_with_retain_graph_accumulates(kind, rng):
    """The backward overwrites the saved gates; a second one recomputes them."""
    layer = getattr(nn, kind)(3, 4).double()
    x = lucid.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
    upstream = rng.standard_normal((4, 2, 4))
    out = layer(x)[0]
    out.backward(upstream, retain_graph=True)
    first = x.grad.numpy().copy()
    out.backward(upstream)
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_rnn_interleaved_forwards_and_backwards_are_independent(kind, rng):
    """Backward passes hand their gates buffer to the next forward: graphs alive at the same
    time, run in any order, must not share one."""
    layer = getattr(nn, kind)(3, 4, num_layers=2).double()
    xs = [lucid.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True) for _ in range(3)]
    ups = [rng.standard_normal((4, 2, 4)) for _ in range(3)]
    expected = []
    for x, up in zip(xs, ups, strict=True):
        layer(x)[0].backward(up)
        expected.append(x.grad.numpy().copy())
        x.grad = None
    first, second = layer(xs[0])[0], layer(xs[1])[0]
    second.backward(ups[1])
    third = layer(xs[2])[0]  # may take the buffer the second backward gave back
    first.backward(ups[0])
    third.backward(ups[2])
    for x, grad in zip(xs, expected, strict=True):
        np.testing.assert_allclose(x.grad.numpy(), grad, rtol=1e-12, atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("kind", KINDS)
def test_rnn_dropout_between_layers_only_in_training(kind, rng, copy_to_torch):
    torch = pytest.importorskip("torch")
    layer = getattr(nn, kind)(3, 4, num_layers=2, dropout=0.5)
    reference = getattr(torch.nn, kind)(3, 4, num_layers=2, dropout=0.5)
    copy_to_torch(layer, reference)
    data = rng.standard_normal((5, 2, 3)).astype(np.float32)
    x = lucid.tensor(data)
    layer.eval()
    reference.eval()
    evaluated = layer(x)[0].numpy()
    np.testing.assert_allclose(evaluated, reference(torch.tensor(data))[0].detach().numpy(),
                               rtol=1e-5, atol=1e-5)  # fmt: skip
    layer.train()
    lucid.random.seed(3)
    first = layer(x)[0].numpy()
    lucid.random.seed(3)
    np.testing.assert_array_equal(layer(x)[0].numpy(), first)  # reproducible under a seed
    assert not np.allclose(first, evaluated)
    single = getattr(nn, kind)(3, 4, num_layers=1, dropout=0.5)  # dropout after no layer
    lucid.random.seed(3)
    np.testing.assert_array_equal(single(x)[0].numpy(), single.eval()(x)[0].numpy())


@pytest.mark.parametrize("kind", KINDS)
def test_rnn_default_init_is_uniform_within_one_over_sqrt_hidden(kind):
    lucid.random.seed(0)
    layer = getattr(nn, kind)(3, 16, num_layers=2, bidirectional=True)
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}[kind]
    assert layer.weight_ih_l1_reverse.shape == (gates * 16, 32)
    assert list(layer.state_dict())[:4] == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"
    ]  # fmt: skip
    for name, p in layer.named_parameters():
        assert p.dtype == np.float32, name
        assert 0.2 < np.abs(p.numpy()).max() <= 0.25, name


@pytest.mark.torch
def test_rnn_all_weights_and_flatten_parameters_as_torch():
    torch = pytest.importorskip("torch")
    layer = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    reference = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True)
    layer.flatten_parameters()
    shapes = [[p.shape for p in group] for group in layer.all_weights]
    assert shapes == [[tuple(p.shape) for p in group] for group in reference.all_weights]
    assert layer.all_weights[1][0] is layer.weight_ih_l0_reverse


def test_rnn_float64_layer_runs_in_float64(rng):
    layer = nn.GRU(3, 4, dtype=lucid.float64)
    out, h = layer(lucid.tensor(rng.standard_normal((5, 2, 3))))
    assert out.dtype == h.dtype == np.float64


@pytest.mark.parametrize("kind", KINDS)
def test_rnn_runs_on_the_reference_kernels_alike(kind, rng, monkeypatch):
    from lucid.kernels import _jit

    layer = getattr(nn, kind)(3, 4, bidirectional=True).double()
    x = lucid.tensor(rng.standard_normal((5, 2, 3)), requires_grad=True)
    upstream = rng.standard_normal((5, 2, 8))
    results = []
    for jit in (True, False):
        monkeypatch.setattr(_jit, "JIT_ENABLED", jit)
        x.grad = None
        out = layer(x)[0]
        out.backward(upstream)
        results.append((out.numpy(), x.grad.numpy()))
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "layer, x_shape, message",
    [
        (nn.LSTM(3, 4), (5, 2, 2), r"LSTM: expected input of shape \(L, N, 3\) or \(L, 3\), "
         r"got \(5, 2, 2\)"),
        (nn.GRU(3, 4, batch_first=True), (5, 2, 1, 3), r"GRU: expected input of shape "
         r"\(N, L, 3\)"),
        (nn.RNN(3, 4), (3,), r"RNN: expected input"),
    ],
)  # fmt: skip
def test_rnn_bad_input_raises_value_error(layer, x_shape, message):
    with pytest.raises(ValueError, match=message):
        layer(lucid.tensor(np.zeros(x_shape, np.float32)))


@pytest.mark.parametrize("kind", KINDS)
def test_rnn_empty_batch_and_empty_sequence(kind):
    layer = getattr(nn, kind)(3, 4, bidirectional=True)
    x = lucid.tensor(np.zeros((5, 0, 3), np.float32), requires_grad=True)
    out, hidden = layer(x)
    assert out.shape == (5, 0, 8) and _states(hidden)[0].shape == (2, 0, 4)
    out.sum().backward()
    assert x.grad.shape == (5, 0, 3)
    assert all(np.all(p.grad.numpy() == 0) for p in layer.parameters())
    with pytest.raises(ValueError, match="sequence length larger than 0"):
        layer(lucid.tensor(np.zeros((0, 2, 3), np.float32)))


def test_rnn_input_dtype_must_match_the_weights():
    with pytest.raises(TypeError, match="input dtype float64 does not match the weights' float32"):
        nn.LSTM(3, 4)(lucid.tensor(np.zeros((5, 2, 3))))


def test_rnn_bad_initial_state_raises_value_error():
    x = lucid.tensor(np.zeros((5, 2, 3), np.float32))
    with pytest.raises(ValueError, match=r"expected hx of shape \(2, 2, 4\), got \(1, 2, 4\)"):
        nn.RNN(3, 4, num_layers=2)(x, np.zeros((1, 2, 4), np.float32))
    with pytest.raises(ValueError, match=r"expected c_0 of shape \(1, 2, 4\), got \(1, 3, 4\)"):
        nn.LSTM(3, 4)(x, (np.zeros((1, 2, 4), np.float32), np.zeros((1, 3, 4), np.float32)))
    with pytest.raises(ValueError, match="pair"):
        nn.LSTM(3, 4)(x, np.zeros((1, 2, 4), np.float32))


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError, "'tanh' or 'relu'"),
        (lambda: nn.LSTM(3, 4, proj_size=2), NotImplementedError, "proj_size"),
        (lambda: nn.GRU(3, 0), ValueError, "hidden_size"),
        (lambda: nn.GRU(3, 4, num_layers=0), ValueError, "num_layers"),
        (lambda: nn.LSTM(3, 4, dropout=1.5), ValueError, "dropout"),
    ],
)
def test_rnn_bad_arguments_raise(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.torch
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("packed", [False, True], ids=["padded", "packed"])
def test_rnn_second_derivative_matches_torch(kind, packed, rng, copy_to_torch):
    """create_graph through a layer (a gradient penalty): the recorded gradient."""
    torch = pytest.importorskip("torch")
    from lucid.nn.utils import rnn as R

    layer = getattr(nn, kind)(3, 4, bidirectional=True).double()
    reference = getattr(torch.nn, kind)(3, 4, bidirectional=True).double()
    copy_to_torch(layer, reference)
    lengths = [5, 2, 4]
    data = rng.standard_normal((5, 3, 3))
    upstream = rng.standard_normal((sum(lengths), 8) if packed else (5, 3, 8))
    results = []
    twins = [(lucid, layer, R.pack_padded_sequence),
             (torch, reference, torch.nn.utils.rnn.pack_padded_sequence)]  # fmt: skip
    for fw, module, pack in twins:
        x = fw.tensor(data, requires_grad=True)
        if packed:
            out = module(pack(x, lengths, enforce_sorted=False))[0].data
        else:
            out = module(x)[0]
        weights = fw.tensor(upstream)
        (g,) = fw.autograd.grad((out * weights).sum(), x, create_graph=True)
        (g * g).sum().backward()
        results.append((g.detach().numpy(), x.grad.numpy(),
                        [p.grad.numpy() for p in module.parameters()]))  # fmt: skip
    (g, dx, dps), (g_t, dx_t, dps_t) = results
    np.testing.assert_allclose(g, g_t, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(dx, dx_t, rtol=1e-8, atol=1e-11)
    for dp, dp_t in zip(dps, dps_t, strict=True):
        np.testing.assert_allclose(dp, dp_t, rtol=1e-8, atol=1e-11)
