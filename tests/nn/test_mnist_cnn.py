"""End to end: a small CNN learns MNIST digits in one epoch over 8,000 images."""

import os
from pathlib import Path

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F

TRAIN, TEST = 8_000, 2_000
# The test-set files in the repository's sibling shared/ (or LUCID_MNIST_DIR).
MNIST_DIR = Path(
    os.environ.get("LUCID_MNIST_DIR")
    or Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist"
)


def _load_test_split() -> tuple[np.ndarray, np.ndarray]:
    """Images as float32 (N, 1, 28, 28) in [0, 1], standardised, and int64 labels."""
    from lucid.datasets import MNIST

    try:
        ds = MNIST(MNIST_DIR, train=False)
    except FileNotFoundError:
        pytest.skip(f"MNIST test-set files not found in {MNIST_DIR} (set LUCID_MNIST_DIR)")
    images = ds.data[: TRAIN + TEST].astype(np.float32)[:, None] / 255
    return (images - 0.1307) / 0.3081, ds.targets[: TRAIN + TEST]


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        )  # fmt: skip
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.1), nn.Linear(16 * 7 * 7, 10))

    def forward(self, x):
        return self.head(self.features(x))


@pytest.mark.slow
def test_small_cnn_learns_mnist_in_one_epoch():
    images, labels = _load_test_split()
    lucid.random.seed(0)
    model = SmallCNN()
    optimizer = lucid.optim.Adam(model.parameters(), lr=2e-3)
    order = lucid.random.generator().permutation(TRAIN)
    for start in range(0, TRAIN, 64):
        batch = order[start : start + 64]
        loss = F.cross_entropy(model(lucid.tensor(images[batch])), labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with lucid.no_grad():
        logits = model(lucid.tensor(images[TRAIN:]))
    accuracy = (logits.numpy().argmax(axis=1) == labels[TRAIN:]).mean()
    assert accuracy > 0.90, f"accuracy {accuracy:.3f} on the held-out 2,000 images"
