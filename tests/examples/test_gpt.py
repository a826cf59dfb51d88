"""The GPT example: its model code runs unchanged on PyTorch with the same numbers, sampling,
the optimizer groups and schedule, the shipped text, and (slow) training and resuming."""

import math
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import lucid
from lucid.examples import gpt, gpt_text

TINY = gpt.GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16)


def tiny_model(seed=0):
    lucid.manual_seed(seed)
    model = gpt.GPT(TINY)
    model.eval()
    return model


def test_generate_appends_tokens_reproducibly():
    model = tiny_model()
    prompt = lucid.tensor([[1, 2, 3], [4, 5, 6]], dtype=lucid.int64)
    out = model.generate(prompt, 12, generator=np.random.default_rng(3))
    assert out.shape == (2, 15) and out.dtype == lucid.int64
    np.testing.assert_array_equal(out.numpy()[:, :3], prompt.numpy())
    assert out.numpy().min() >= 0 and out.numpy().max() < TINY.vocab_size
    again = model.generate(prompt, 12, generator=np.random.default_rng(3))
    np.testing.assert_array_equal(again.numpy(), out.numpy())
    assert not any(p.grad is not None for p in model.parameters())


def test_generate_with_top_k_one_is_greedy_and_crops_to_block_size():
    model = tiny_model(1)
    idx = lucid.tensor([[3]], dtype=lucid.int64)
    out = model.generate(idx, 10, top_k=1, generator=np.random.default_rng(0)).numpy()[0]
    seq = [3]
    for _ in range(10):  # the argmax of the last position, the context cut to block_size
        context = lucid.tensor([seq[-TINY.block_size :]], dtype=lucid.int64)
        logits, _ = model(context)
        seq.append(int(np.argmax(logits.numpy()[0, -1])))
    assert out.tolist() == seq


def test_codec_round_trip_and_the_shipped_text_is_the_grammar_output():
    text = gpt.TEXT.read_text(encoding="ascii")
    assert text == gpt_text.generate()
    assert 20_000 <= len(text) <= 40_000
    codec = gpt.CharCodec(text)
    assert codec.decode(codec.encode(text[:500])) == text[:500]


def test_optimizer_groups_exclude_biases_and_norms_from_weight_decay():
    model = tiny_model()
    opt = model.configure_optimizers(0.1, 1e-3, (0.9, 0.95))
    decay, no_decay = opt.param_groups
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert all(p.ndim == 2 for p in decay["params"])
    assert all(p.ndim == 1 for p in no_decay["params"])
    n = len(list(model.parameters()))
    assert len(decay["params"]) + len(no_decay["params"]) == n


def test_warmup_cosine_schedule():
    f = gpt.warmup_cosine(warmup=4, total=20, floor=0.1)
    assert [f(s) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert f(4) == 1.0 and f(20) == pytest.approx(0.1) and f(40) == pytest.approx(0.1)
    assert f(12) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.5)))


def torch_version_of_the_example():
    """gpt.py's source with its three Lucid imports swapped for PyTorch's."""
    torch = pytest.importorskip("torch")
    source = Path(gpt.__file__).read_text()
    for ours, theirs in [
        ("import lucid as torch", "import torch"),
        ("import lucid.nn as nn", "import torch.nn as nn"),
        ("import lucid.nn.functional as F", "import torch.nn.functional as F"),
    ]:
        assert ours in source
        source = source.replace(ours, theirs)  # fmt: skip
    module = types.ModuleType("gpt_on_torch")
    module.__file__ = gpt.__file__
    sys.modules["gpt_on_torch"] = module  # dataclasses look their module up
    try:
        exec(compile(source, gpt.__file__, "exec"), module.__dict__)
    finally:
        del sys.modules["gpt_on_torch"]
    return torch, module


@pytest.mark.torch
def test_the_model_code_runs_unchanged_on_pytorch_with_the_same_numbers(rng):
    torch, theirs = torch_version_of_the_example()
    ours = tiny_model()
    model = theirs.GPT(theirs.GPTConfig(**vars(TINY)))
    model.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    assert list(model.state_dict()) == list(ours.state_dict())
    idx = rng.integers(0, TINY.vocab_size, (3, TINY.block_size))
    targets = rng.integers(0, TINY.vocab_size, (3, TINY.block_size))
    ours.train()
    logits, loss = ours(lucid.tensor(idx), lucid.tensor(targets))
    tlogits, tloss = model(torch.tensor(idx), torch.tensor(targets))
    np.testing.assert_allclose(logits.numpy(), tlogits.detach().numpy(), rtol=1e-4, atol=1e-5)
    loss.backward()
    tloss.backward()
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-5)
    named = dict(model.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(
            p.grad.numpy(), named[name].grad.numpy(), rtol=1e-3, atol=1e-6, err_msg=name
        )
    # One optimizer step with the example's groups and clipping gives the same weights. Adam's
    # first step is about lr * g / |g|, so float32 noise in a near-zero gradient can move an
    # element by a fraction of lr: compare to 2% of lr.
    opt = ours.configure_optimizers(0.1, 1e-2, (0.9, 0.99))
    topt = model.configure_optimizers(0.1, 1e-2, (0.9, 0.99))
    lucid.nn.utils.clip_grad_norm_(ours.parameters(), 0.5)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
    opt.step()
    topt.step()
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(
            p.numpy(), named[name].detach().numpy(), rtol=0, atol=2e-4, err_msg=name
        )


TINY_ARGS = ["--n-layer", "1", "--n-head", "2", "--n-embd", "32", "--block-size", "32",
             "--batch-size", "8", "--warmup", "5", "--eval-every", "1000", "--sample-chars",
             "40", "--quiet", "--lr", "1e-2"]  # fmt: skip


@pytest.mark.slow
def test_training_lowers_the_loss_saves_and_resumes(tmp_path, capsys):
    ckpt = tmp_path / "gpt.lucid"
    first = gpt.main([*TINY_ARGS, "--steps", "40", "--checkpoint", str(ckpt)])
    losses = [loss for _, loss in first["history"]]
    assert np.mean(losses[-5:]) < np.mean(losses[:5]) - 0.5, losses
    out = capsys.readouterr().out
    assert "train loss" in out and "sample:" in out and f"saved {ckpt}" in out
    saved = lucid.load(ckpt)
    assert saved["step"] == 40 and saved["config"]["n_embd"] == 32
    resumed = gpt.main([*TINY_ARGS, "--steps", "50", "--resume", str(ckpt)])
    assert [s for s, _ in resumed["history"]] == list(range(40, 50))
    assert np.mean([loss for _, loss in resumed["history"]]) < np.mean(losses[:5])
