"""asv: losses, forward + backward (softmax cross-entropy for few and many classes, ...)."""

import os

for _var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread, set before NumPy or Numba loads
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)  # in the benchmark process only, never in tests or CI

import numpy as np  # noqa: E402

import lucid  # noqa: E402
import lucid.nn.functional as F  # noqa: E402

from . import reset_jit, set_jit  # noqa: E402


class CrossEntropy:
    """``F.cross_entropy`` of (batch, classes) logits against integer targets."""

    params = ([True, False], ["128x10", "128x1000", "4096x10"])
    param_names = ["jit", "shape"]

    def setup(self, jit, shape):
        set_jit(jit)
        n, c = map(int, shape.split("x"))
        rng = np.random.default_rng(0)
        self.x = lucid.tensor(rng.standard_normal((n, c)).astype(np.float32), requires_grad=True)
        self.y = lucid.tensor(rng.integers(0, c, n))
        self.time_forward_backward(jit, shape)

    def teardown(self, jit, shape):
        reset_jit()

    def time_forward_backward(self, jit, shape):
        self.x.grad = None
        F.cross_entropy(self.x, self.y).backward()

    def time_log_softmax_nll_forward_backward(self, jit, shape):
        # the unfused spelling of the same loss, for comparison
        self.x.grad = None
        F.nll_loss(F.log_softmax(self.x, dim=1), self.y).backward()


class RegressionLosses:
    """mse, l1, smooth-l1 and BCE-with-logits on (128, 256), gradients to the input."""

    params = ([True, False], ["mse_loss", "l1_loss", "smooth_l1_loss", "bce_with_logits"])
    param_names = ["jit", "loss"]

    def setup(self, jit, loss):
        set_jit(jit)
        rng = np.random.default_rng(0)
        self.x = lucid.tensor(
            rng.standard_normal((128, 256)).astype(np.float32), requires_grad=True
        )
        if loss == "bce_with_logits":
            self.f = F.binary_cross_entropy_with_logits
            self.t = lucid.tensor(rng.integers(0, 2, (128, 256)).astype(np.float32))
        else:
            self.f = getattr(F, loss)
            self.t = lucid.tensor(rng.standard_normal((128, 256)).astype(np.float32))
        self.time_forward_backward(jit, loss)

    def teardown(self, jit, loss):
        reset_jit()

    def time_forward_backward(self, jit, loss):
        self.x.grad = None
        self.f(self.x, self.t).backward()


class CTCLoss:
    """``F.ctc_loss`` of log-softmax outputs (T, N, C) against padded targets, forward +
    backward; the jit parameter picks the compiled alpha-beta loops or the NumPy references."""

    params = ([True, False], ["50x8x20x10", "200x16x30x40"])
    param_names = ["jit", "shape"]

    def setup(self, jit, shape):
        set_jit(jit)
        t, n, c, s = map(int, shape.split("x"))
        rng = np.random.default_rng(0)
        self.x = lucid.tensor(
            rng.standard_normal((t, n, c)).astype(np.float32), requires_grad=True
        )
        self.targets = rng.integers(1, c, (n, s))
        self.lengths = (np.full(n, t), np.full(n, s))
        self.time_forward_backward(jit, shape)

    def teardown(self, jit, shape):
        reset_jit()

    def time_forward_backward(self, jit, shape):
        self.x.grad = None
        F.ctc_loss(F.log_softmax(self.x, dim=2), self.targets, *self.lengths).backward()


class MarginLosses:
    """Composed margin and embedding losses on (128, 64) inputs, forward + backward."""

    params = ["triplet_margin_loss", "cosine_embedding_loss", "multi_margin_loss", "huber_loss"]
    param_names = ["loss"]

    def setup(self, loss):
        rng = np.random.default_rng(0)
        data = rng.standard_normal((3, 128, 64)).astype(np.float32)
        self.x = lucid.tensor(data[0], requires_grad=True)
        others = {
            "triplet_margin_loss": (lucid.tensor(data[1]), lucid.tensor(data[2])),
            "cosine_embedding_loss": (
                lucid.tensor(data[1]),
                lucid.tensor(rng.choice([-1.0, 1.0], 128).astype(np.float32)),
            ),
            "multi_margin_loss": (rng.integers(0, 64, 128),),
            "huber_loss": (lucid.tensor(data[1]),),
        }
        self.f, self.args = getattr(F, loss), others[loss]
        self.time_forward_backward(loss)

    def time_forward_backward(self, loss):
        self.x.grad = None
        self.f(self.x, *self.args).backward()
