"""Tests for lucid.nn.utils.rnn (PackedSequence, packing, padding) and packed RNN inputs."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.autograd import gradcheck
from lucid.nn.utils import rnn as R

LENGTHS = {"sorted": [5, 3, 3, 1], "unsorted": [3, 5, 1, 3]}


def _padded(rng, lengths, size=3, batch_first=False):
    """A padded batch whose padding positions hold NaN: they must never be read."""
    x = rng.standard_normal((len(lengths), max(lengths), size))
    for b, n in enumerate(lengths):
        x[b, n:] = np.nan
    return x if batch_first else x.swapaxes(0, 1).copy()


@pytest.mark.torch
@pytest.mark.parametrize("order", ["sorted", "unsorted"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_match_torch(order, batch_first, rng):
    torch = pytest.importorskip("torch")
    lengths = LENGTHS[order]
    data = np.nan_to_num(_padded(rng, lengths, batch_first=batch_first))
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    sort = order == "sorted"
    packed = R.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=sort)
    packed_t = torch.nn.utils.rnn.pack_padded_sequence(
        xt, lengths, batch_first=batch_first, enforce_sorted=sort
    )
    np.testing.assert_array_equal(packed.data.numpy(), packed_t.data.detach().numpy())
    np.testing.assert_array_equal(packed.batch_sizes.numpy(), packed_t.batch_sizes.numpy())
    for mine, theirs in [(packed.sorted_indices, packed_t.sorted_indices),
                         (packed.unsorted_indices, packed_t.unsorted_indices)]:  # fmt: skip
        assert (mine is None) == (theirs is None)
        if mine is not None:
            np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    padded, out_lengths = R.pad_packed_sequence(packed, batch_first=batch_first, total_length=6,
                                                padding_value=-1.0)  # fmt: skip
    padded_t, out_lengths_t = torch.nn.utils.rnn.pad_packed_sequence(
        packed_t, batch_first=batch_first, total_length=6, padding_value=-1.0
    )
    np.testing.assert_array_equal(padded.numpy(), padded_t.detach().numpy())
    np.testing.assert_array_equal(out_lengths.numpy(), out_lengths_t.numpy())
    assert out_lengths.dtype == np.int64
    upstream = rng.standard_normal(padded.shape)
    padded.backward(upstream)
    padded_t.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, side, rng):
    torch = pytest.importorskip("torch")
    arrays = [rng.standard_normal((n, 2)) for n in (2, 4, 1)]
    seqs = [lucid.tensor(a, requires_grad=True) for a in arrays]
    seqs_t = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = R.pad_sequence(seqs, batch_first=batch_first, padding_value=7.0, padding_side=side)
    yt = torch.nn.utils.rnn.pad_sequence(seqs_t, batch_first=batch_first, padding_value=7.0,
                                         padding_side=side)  # fmt: skip
    np.testing.assert_array_equal(y.numpy(), yt.detach().numpy())
    upstream = rng.standard_normal(y.shape)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    for s, st in zip(seqs, seqs_t, strict=True):
        np.testing.assert_array_equal(s.grad.numpy(), st.grad.numpy())


def test_pack_sequence_and_unpack_round_trip(rng):
    seqs = [lucid.tensor(rng.standard_normal((n, 3))) for n in (2, 4, 1)]
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        R.pack_sequence(seqs)
    packed = R.pack_sequence(seqs, enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [3, 2, 1, 1]
    for s, back in zip(seqs, R.unpack_sequence(packed), strict=True):
        np.testing.assert_array_equal(s.numpy(), back.numpy())
    padded = R.pad_sequence(seqs, batch_first=True)
    for s, back in zip(seqs, R.unpad_sequence(padded, [2, 4, 1], batch_first=True), strict=True):
        np.testing.assert_array_equal(s.numpy(), back.numpy())


def test_packing_bad_input_raises():
    x = lucid.tensor(np.zeros((4, 2, 3), np.float32))
    with pytest.raises(RuntimeError, match="greater than 0"):
        R.pack_padded_sequence(x, [3, 0])
    with pytest.raises(ValueError, match="2 lengths for a batch of 3|3 lengths for a batch"):
        R.pack_padded_sequence(x, [3, 2, 1])
    with pytest.raises(ValueError, match="exceeds"):
        R.pack_padded_sequence(x, [5, 2])
    with pytest.raises(TypeError, match="ints"):
        R.pack_padded_sequence(x, [2.5, 1.0])
    packed = R.pack_padded_sequence(x, [3, 2])
    with pytest.raises(ValueError, match="total_length 2 is less"):
        R.pad_packed_sequence(packed, total_length=2)


# --------------------------------------------------------------------------- packed RNNs

PACKED_CASES = [
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("RNN", {"num_layers": 2, "bidirectional": True, "nonlinearity": "relu"}),
    ("LSTM", {"bias": False}),
    ("GRU", {"batch_first": True, "bidirectional": True}),
    ("RNN", {"batch_first": True}),
]


@pytest.mark.torch
@pytest.mark.parametrize(
    "kind, kwargs", PACKED_CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(PACKED_CASES)]
)
@pytest.mark.parametrize("order", ["sorted", "unsorted"])
@pytest.mark.parametrize("given", [True, False], ids=["h0", "no-h0"])
def test_packed_rnn_matches_torch_in_float64(
    kind, kwargs, order, given, rng, backward_matches_torch
):
    torch = pytest.importorskip("torch")
    layer = getattr(nn, kind)(3, 4, **kwargs).double()
    reference = getattr(torch.nn, kind)(3, 4, **kwargs).double()
    with torch.no_grad():
        for key, value in reference.state_dict().items():
            value.copy_(torch.tensor(layer.state_dict()[key].numpy()))
    lengths, batch_first = LENGTHS[order], kwargs.get("batch_first", False)
    data = np.nan_to_num(_padded(rng, lengths, batch_first=batch_first))
    x, xt = lucid.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    sort = order == "sorted"
    packed = R.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=sort)
    packed_t = torch.nn.utils.rnn.pack_padded_sequence(xt, lengths, batch_first=batch_first,
                                                       enforce_sorted=sort)  # fmt: skip
    n_states = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    starts = [rng.standard_normal((n_states, 4, 4)) for _ in range(2 if kind == "LSTM" else 1)]
    h = [lucid.tensor(s, requires_grad=True) for s in starts] if given else None
    ht = [torch.tensor(s, requires_grad=True) for s in starts] if given else None

    def hx(values):
        return None if values is None else (tuple(values) if kind == "LSTM" else values[0])

    out, hidden = layer(packed, hx(h))
    out_t, hidden_t = reference(packed_t, hx(ht))
    assert isinstance(out, R.PackedSequence)
    np.testing.assert_array_equal(out.batch_sizes.numpy(), out_t.batch_sizes.numpy())
    results = (out.data, *(hidden if kind == "LSTM" else (hidden,)))
    results_t = (out_t.data, *(hidden_t if kind == "LSTM" else (hidden_t,)))
    backward_matches_torch(
        zip(results, results_t, strict=True),
        [x, *(h or [])],
        [xt, *(ht or [])],
        layer,
        reference,
        out_tol=(1e-10, 1e-12),
        grad_tol=(1e-9, 1e-12),
    )


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_packed_rnn_gradient_matches_finite_differences(kind, rng):
    layer = getattr(nn, kind)(2, 2, bidirectional=True).double()
    data = rng.standard_normal((3, 3, 2))
    x = lucid.tensor(data, requires_grad=True)

    def run(x, *params):
        out, hidden = layer(R.pack_padded_sequence(x, [3, 1, 2], enforce_sorted=False))
        return (out.data, *(hidden if kind == "LSTM" else (hidden,)))

    assert gradcheck(run, (x, *layer.parameters()))


def test_packed_rnn_ignores_padding_values(rng):
    """Packed inputs never read the padding: NaN there leaves every result finite."""
    layer = nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    lengths = LENGTHS["unsorted"]
    clean = np.nan_to_num(_padded(rng, lengths))
    packed = R.pack_padded_sequence(lucid.tensor(clean), lengths, enforce_sorted=False)
    out, (h, c) = layer(packed)
    padded, _ = R.pad_packed_sequence(out)
    assert np.isfinite(padded.numpy()).all() and np.isfinite(h.numpy()).all()
    with pytest.raises(ValueError, match=r"packed data of shape \(\*, 3\)"):
        nn.GRU(3, 4)(R.PackedSequence(lucid.tensor(np.zeros((5, 2))), lucid.tensor([2, 2, 1])))
