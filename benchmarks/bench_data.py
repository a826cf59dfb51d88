"""asv: batching data with DataLoader, over a TensorDataset and over a per-sample Dataset."""

import os

for _var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread, set before NumPy or Numba loads
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)  # in the benchmark process only, never in tests or CI

import numpy as np  # noqa: E402

import lucid  # noqa: E402
from lucid.data import DataLoader, Dataset, TensorDataset  # noqa: E402


class _Samples(Dataset):
    """A map-style dataset read one sample at a time (the DataLoader's general path)."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


class Epoch:
    """One pass over 10,000 MNIST-sized samples in shuffled batches of 128."""

    params = ["TensorDataset", "per-sample Dataset"]
    param_names = ["dataset"]

    def setup(self, dataset):
        rng = np.random.default_rng(0)
        x = rng.standard_normal((10_000, 784)).astype(np.float32)
        y = rng.integers(0, 10, 10_000)
        if dataset == "TensorDataset":
            data = TensorDataset(lucid.tensor(x), lucid.tensor(y))
        else:
            data = _Samples(x, y)
        self.loader = DataLoader(data, batch_size=128, shuffle=True, generator=0)

    def time_epoch(self, dataset):
        for _ in self.loader:
            pass

    def peakmem_epoch(self, dataset):
        for _ in self.loader:
            pass
