"""EmbeddingBag / F.embedding_bag and embedding's max_norm against PyTorch."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck

# (input, offsets, keyword arguments)
BAGS = [
    ([[1, 2, 3], [4, 4, 2]], None, {}),
    ([[1, 2, 3], [4, 4, 2]], None, {"mode": "max"}),
    ([1, 2, 3, 5, 6, 1, 0], [0, 2, 2, 5], {"mode": "sum"}),
    ([1, 2, 3, 5, 6, 1, 0], [0, 2, 2, 5], {"mode": "max"}),
    ([1, 2, 3, 5, 6, 1, 0], [0, 2, 2, 5, 7], {"include_last_offset": True}),
    ([1, 2, 3, 5, 2, 1, 0], [0, 2, 3], {"padding_idx": 2}),
    ([1, 2, 3, 5, 2, 1, 2], [0, 2, 6], {"mode": "max", "padding_idx": -8}),
    ([], [0, 0], {"mode": "mean"}),
]


@pytest.mark.torch
@pytest.mark.parametrize(("index", "offsets", "kwargs"), BAGS)
def test_embedding_bag_matches_torch(index, offsets, kwargs, rng):
    torch = pytest.importorskip("torch")
    w = rng.standard_normal((10, 3))
    weight, weight_t = lucid.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)

    def args(lib):
        idx = lib.tensor(np.array(index, dtype=np.int64))
        return idx, None if offsets is None else lib.tensor(np.array(offsets, dtype=np.int64))

    y = F.embedding_bag(args(lucid)[0], weight, args(lucid)[1], **kwargs)
    yt = torch.nn.functional.embedding_bag(args(torch)[0], weight_t, args(torch)[1], **kwargs)
    upstream = rng.standard_normal(tuple(yt.shape))
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(weight.grad.numpy(), weight_t.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.torch
def test_embedding_bag_per_sample_weights_get_gradients(rng):
    torch = pytest.importorskip("torch")
    w, ps = rng.standard_normal((10, 3)), rng.standard_normal(7)
    index, offsets = np.array([1, 2, 3, 5, 6, 1, 0]), np.array([0, 2, 2, 5])
    module, module_t = nn.EmbeddingBag(10, 3, mode="sum"), torch.nn.EmbeddingBag(10, 3, mode="sum")
    module.double(), module_t.double()
    module.load_state_dict({"weight": w}), module_t.load_state_dict({"weight": torch.tensor(w)})
    p, pt = lucid.tensor(ps, requires_grad=True), torch.tensor(ps, requires_grad=True)
    y = module(lucid.tensor(index), lucid.tensor(offsets), per_sample_weights=p)
    yt = module_t(torch.tensor(index), torch.tensor(offsets), per_sample_weights=pt)
    upstream = rng.standard_normal(tuple(yt.shape))
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(p.grad.numpy(), pt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        module.weight.grad.numpy(), module_t.weight.grad.numpy(), rtol=1e-12
    )
    weights = lucid.tensor(w, requires_grad=True)
    assert gradcheck(
        lambda a, b: F.embedding_bag(
            lucid.tensor(index), a, lucid.tensor(offsets), mode="sum", per_sample_weights=b
        ),
        (weights, lucid.tensor(ps, requires_grad=True)),
    )


@pytest.mark.torch
@pytest.mark.parametrize(
    "kwargs", [{}, {"mode": "max", "padding_idx": 2, "max_norm": 1.0}, {"norm_type": 1.0}]
)
def test_embedding_bag_module_repr_state_and_init_match_torch(kwargs):
    torch = pytest.importorskip("torch")
    module, module_t = nn.EmbeddingBag(10, 3, **kwargs), torch.nn.EmbeddingBag(10, 3, **kwargs)
    assert repr(module) == repr(module_t)
    assert list(module.state_dict()) == list(module_t.state_dict()) == ["weight"]
    lucid.random.seed(0)
    w = nn.EmbeddingBag(200, 50, **kwargs).weight.numpy()
    assert abs(w.std() - 1) < 0.05 and abs(w.mean()) < 0.05
    if "padding_idx" in kwargs:
        assert (w[2] == 0).all()


@pytest.mark.torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_embedding_max_norm_renormalises_rows_as_torch(norm_type, rng):
    torch = pytest.importorskip("torch")
    w = 3 * rng.standard_normal((6, 4))
    module = nn.Embedding(6, 4, max_norm=1.5, norm_type=norm_type).double()
    module_t = torch.nn.Embedding(6, 4, max_norm=1.5, norm_type=norm_type).double()
    assert repr(module) == repr(module_t)
    module.load_state_dict({"weight": w}), module_t.load_state_dict({"weight": torch.tensor(w)})
    index = np.array([[0, 2, 2], [5, 0, 1]])
    y, yt = module(lucid.tensor(index)), module_t(torch.tensor(index))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(module.weight.numpy(), module_t.weight.detach().numpy(), rtol=1e-12)


def test_embedding_bag_rejects_bad_arguments():
    w = lucid.ones(5, 2)
    with pytest.raises(ValueError, match="offsets must be None"):
        F.embedding_bag(lucid.tensor([[1, 2]]), w, lucid.tensor([0]))
    with pytest.raises(ValueError, match="needs offsets"):
        F.embedding_bag(lucid.tensor([1, 2]), w)
    with pytest.raises(ValueError, match=r"offsets\[0\] has to be 0, got 1"):
        F.embedding_bag(lucid.tensor([1, 2]), w, lucid.tensor([1]))
    with pytest.raises(ValueError, match="only supported for mode='sum'"):
        F.embedding_bag(lucid.tensor([[1, 2]]), w, per_sample_weights=lucid.ones(1, 2))
    with pytest.raises(IndexError, match="out of range for 5 rows"):
        F.embedding_bag(lucid.tensor([[1, 7]]), w)
    with pytest.raises(ValueError, match="mode must be one of"):
        nn.EmbeddingBag(5, 2, mode="median")
    with pytest.raises(NotImplementedError, match="scale_grad_by_freq"):
        nn.EmbeddingBag(5, 2, scale_grad_by_freq=True)
    with pytest.raises(TypeError, match="integer"):
        F.embedding_bag(lucid.tensor([1, 2]), w, lucid.tensor([0.0]))
