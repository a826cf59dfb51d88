"""detect_anomaly: the first op whose forward or backward makes NaN or inf is named."""

import numpy as np
import pytest

import lucid
from lucid.autograd import detect_anomaly


def test_detect_anomaly_names_the_op_of_log_of_zero(rng):
    x = lucid.tensor(rng.standard_normal(3) + 2, requires_grad=True)
    with np.errstate(divide="ignore"), detect_anomaly():
        with pytest.raises(RuntimeError, match=r"Log produced inf in its forward") as info:
            lucid.log(x - x)
    assert "test_anomaly.py" in str(info.value)  # the user line that made the op


def test_detect_anomaly_names_the_op_whose_backward_overflows(rng):
    x = lucid.tensor(rng.standard_normal(3) + 2, requires_grad=True)
    with detect_anomaly():
        y = lucid.sqrt(x - x).sum()  # sqrt(0) = 0 is fine; its gradient 1 / (2 sqrt(0)) is not
        with pytest.raises(RuntimeError, match=r"Sqrt produced inf in its backward") as info:
            y.backward()
    assert "lucid.sqrt(x - x)" in str(info.value)


def test_detect_anomaly_checks_backward_under_create_graph(rng):
    x = lucid.tensor(rng.standard_normal(3) + 2, requires_grad=True)
    with detect_anomaly():
        y = (lucid.sqrt(x - x) * 2.0).sum()
        # the gradient's own ops are recorded and checked as they run
        with pytest.raises(RuntimeError, match=r"detect_anomaly: \w+ produced inf"):
            lucid.autograd.grad(y, x, create_graph=True)


def test_without_detect_anomaly_nan_passes_silently(rng):
    x = lucid.tensor(rng.standard_normal(3) + 2, requires_grad=True)
    with np.errstate(all="ignore"):
        y = lucid.log(x - x).sum()
        y.backward()
    assert np.isinf(y.item()) and not np.isfinite(x.grad).all()


def test_detect_anomaly_is_restored_after_the_block(rng):
    x = lucid.tensor([0.0], requires_grad=True)
    with np.errstate(divide="ignore"), pytest.raises(RuntimeError), detect_anomaly():
        lucid.log(x)
    with np.errstate(divide="ignore"):
        assert np.isinf(lucid.log(x).item())  # no longer checked
