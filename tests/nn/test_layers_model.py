"""A small image-to-image model built from this issue's layers trains as PyTorch's does."""

import numpy as np
import pytest


def _model(nn):
    return nn.Sequential(
        nn.ReflectionPad2d(1),
        nn.Conv2d(2, 8, 3),
        nn.InstanceNorm2d(8, affine=True),
        nn.LeakyReLU(0.2, inplace=True),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, padding=1),
        nn.GroupNorm(2, 8),
        nn.Hardswish(),
        nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
        nn.Conv2d(8, 12, 1),
        nn.PixelShuffle(2),
        nn.ReplicationPad2d((0, 1, 1, 0)),
        nn.Conv2d(3, 2, 2),
        nn.PReLU(2),
        nn.AvgPool2d(2),
        nn.Upsample(size=(8, 8), mode="bicubic"),
    )


@pytest.mark.torch
def test_small_model_from_new_layers_trains_like_torch(rng):
    torch = pytest.importorskip("torch")
    import lucid
    import lucid.nn as nn

    model, model_t = _model(nn).double(), _model(torch.nn).double()
    assert list(model.state_dict()) == list(model_t.state_dict())
    model.load_state_dict({k: v.detach().numpy() for k, v in model_t.state_dict().items()})
    opt = lucid.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    opt_t = torch.optim.SGD(model_t.parameters(), lr=0.05, momentum=0.9)
    for _ in range(4):
        x, target = rng.standard_normal((3, 2, 8, 8)), rng.standard_normal((3, 2, 8, 8))
        loss = ((model(lucid.tensor(x)) - lucid.tensor(target)) ** 2).mean()
        loss_t = ((model_t(torch.tensor(x)) - torch.tensor(target)) ** 2).mean()
        opt.zero_grad(), opt_t.zero_grad()
        loss.backward(), loss_t.backward()
        opt.step(), opt_t.step()
        np.testing.assert_allclose(loss.item(), loss_t.item(), rtol=1e-9)
    for key, value in model_t.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[key].numpy(), value.numpy(), rtol=1e-7,
                                   atol=1e-10, err_msg=key)  # fmt: skip
