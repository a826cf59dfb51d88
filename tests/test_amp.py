"""lucid.amp / lucid.cuda.amp: PyTorch's scaler as it behaves without CUDA (disabled,
pass-through), autocast only when disabled; default-device queries."""

import numpy as np
import pytest

import lucid


def _train(use_scaler: bool) -> np.ndarray:
    lucid.manual_seed(0)
    model = lucid.nn.Linear(3, 1)
    opt = lucid.optim.SGD(model.parameters(), lr=0.1)
    x, y = lucid.randn(16, 3), lucid.randn(16, 1)
    with pytest.warns(UserWarning, match="CUDA is not available"):
        scaler = lucid.cuda.amp.GradScaler(enabled=True)
    for _ in range(5):
        opt.zero_grad()
        loss = lucid.nn.functional.mse_loss(model(x), y)
        if use_scaler:
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            opt.step()
    return model.weight.numpy().copy()


def test_a_grad_scaler_loop_trains_exactly_as_a_plain_loop():
    np.testing.assert_array_equal(_train(True), _train(False))


def test_grad_scaler_reports_what_torch_reports_without_cuda():
    torch = pytest.importorskip("torch")
    ours = lucid.amp.GradScaler("cuda", enabled=False)
    theirs = torch.amp.GradScaler("cuda", enabled=False)
    assert ours.is_enabled() == theirs.is_enabled() is False
    assert ours.get_scale() == theirs.get_scale() and ours.state_dict() == theirs.state_dict()
    ours.load_state_dict({})


def test_autocast_is_a_no_op_only_when_disabled():
    with lucid.autocast(device_type="cpu", enabled=False):
        assert lucid.ones(2).dtype == np.float32
    with lucid.amp.autocast("cpu", dtype=lucid.float16, enabled=False):
        pass
    with pytest.raises(NotImplementedError, match="mixed precision"):
        lucid.autocast(device_type="cpu", dtype=lucid.float16)
    with pytest.raises(TypeError, match="bfloat16"):
        lucid.autocast(device_type="cpu", dtype=lucid.bfloat16, enabled=False)


def test_default_device_is_the_cpu():
    assert lucid.get_default_device() == lucid.device("cpu")
    lucid.set_default_device("cpu")
    with pytest.raises(RuntimeError, match="cuda"):
        lucid.set_default_device("cuda")
