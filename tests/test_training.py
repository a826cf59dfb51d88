"""End to end: a two-layer MLP trained with a hand-written SGD loop lowers its loss."""

import numpy as np

import lucid


def test_two_layer_mlp_with_hand_written_sgd_lowers_its_loss(rng):
    x = lucid.tensor(rng.standard_normal((64, 5)).astype(np.float32))
    true_w = rng.standard_normal((5, 1)).astype(np.float32)
    y = lucid.tensor(np.tanh(x.numpy() @ true_w))
    w1 = lucid.tensor(rng.standard_normal((5, 16)).astype(np.float32) * 0.5, requires_grad=True)
    b1 = lucid.tensor(np.zeros(16, dtype=np.float32), requires_grad=True)
    w2 = lucid.tensor(rng.standard_normal((16, 1)).astype(np.float32) * 0.5, requires_grad=True)
    b2 = lucid.tensor(np.zeros(1, dtype=np.float32), requires_grad=True)
    params = [w1, b1, w2, b2]
    losses = []
    for _ in range(200):
        pred = (x @ w1 + b1).relu() @ w2 + b2
        loss = ((pred - y) ** 2).mean()
        for p in params:
            p.zero_grad()
        loss.backward()
        with lucid.no_grad():
            for p in params:
                p.data -= 0.1 * p.grad
        losses.append(loss.item())
    assert loss.dtype == np.float32
    assert losses[-1] < 0.2 * losses[0], (losses[0], losses[-1])
