"""Ready-made datasets: MNIST and Fashion-MNIST from IDX files, and the small digits set."""

from lucid.datasets.digits import load_digits
from lucid.datasets.mnist import MNIST, FashionMNIST, read_idx

__all__ = ["MNIST", "FashionMNIST", "load_digits", "read_idx"]
