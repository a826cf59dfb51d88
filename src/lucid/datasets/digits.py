"""The small 8 x 8 digits set (1,797 images) that scikit-learn ships, for offline examples."""

from __future__ import annotations

import numpy as np

from lucid.tensor import Tensor

__all__ = ["load_digits"]


def load_digits() -> tuple[Tensor, Tensor]:
    """``(images, labels)``: float32 images of shape (1797, 1, 8, 8) scaled to [0, 1] (the raw
    values are 0..16) and int64 labels 0..9, from ``sklearn.datasets.load_digits``.

    Needs scikit-learn, which the optional extra installs: ``pip install "lucid[examples]"``.
    The data ships inside scikit-learn, so nothing is downloaded.
    """
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError as exc:
        raise ImportError(
            'lucid.datasets.load_digits needs scikit-learn: pip install "lucid[examples]"'
        ) from exc
    digits = sklearn_digits()
    images = (np.asarray(digits.images, dtype=np.float32) / np.float32(16))[:, None]
    labels = np.asarray(digits.target, dtype=np.int64)
    return Tensor._wrap(np.ascontiguousarray(images)), Tensor._wrap(labels)
