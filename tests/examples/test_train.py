"""The main job end to end, and README's training loop exactly as printed."""

import re
from pathlib import Path

import numpy as np
import pytest

import lucid

pytest.importorskip("sklearn", reason="the digits set ships with scikit-learn (lucid[examples])")
from lucid.examples import train  # noqa: E402

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.slow
def test_main_job_trains_saves_and_resumes(tmp_path, capsys):
    ckpt = tmp_path / "best.lucid"
    common = ["--epochs", "2", "--quiet", "--checkpoint", str(ckpt), "--seed", "3"]
    first = train.main(common)
    out = capsys.readouterr().out
    assert "epoch 2: val loss" in out and "macro F1" in out and "micro F1" in out
    assert first["best"]["val_acc"] > 0.8  # two epochs already separate most digits
    assert ckpt.exists()
    saved = lucid.load(ckpt)
    assert int(saved["epoch"]) == first["best"]["epoch"]
    again = train.main(common)  # the same seed gives the same numbers
    assert again["history"] == first["history"]


@pytest.mark.slow
def test_resume_continues_where_the_checkpoint_stopped(tmp_path):
    ckpt = tmp_path / "best.lucid"
    full = train.main(["--epochs", "3", "--quiet", "--checkpoint", str(tmp_path / "f.lucid"),
                       "--model", "mlp"])  # fmt: skip
    train.main(["--epochs", "1", "--quiet", "--checkpoint", str(ckpt), "--model", "mlp"])
    resumed = train.main(["--epochs", "3", "--quiet", "--checkpoint", str(tmp_path / "r.lucid"),
                          "--model", "mlp", "--resume", str(ckpt)])  # fmt: skip
    np.testing.assert_allclose(
        [h["val_loss"] for h in resumed["history"]],
        [h["val_loss"] for h in full["history"]],
        rtol=1e-5,
    )


def test_f1_scores_against_their_definition():
    true = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([0, 1, 1, 1, 2, 0])
    macro, micro = train.f1_scores(pred, true, 3)
    per_class = [2 * 1 / (2 * 1 + 1 + 1), 2 * 2 / (2 * 2 + 1 + 0), 2 * 1 / (2 * 1 + 0 + 1)]
    assert macro == pytest.approx(np.mean(per_class))
    assert micro == pytest.approx((pred == true).mean())


def test_bad_arguments_are_refused():
    with pytest.raises(SystemExit):
        train.parse_args(["--epochs", "0"])


def test_readme_training_loop_runs_as_printed():
    text = README.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    loops = [b for b in blocks if "backward()" in b and "optim" in b]
    assert loops, "README has no training loop to run"
    assert "import lucid as torch" in loops[0], "README's loop should be PyTorch's spelling"
    namespace: dict = {}
    exec(compile(loops[0], str(README), "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["losses"][-1] < namespace["losses"][0] / 10
    assert float(namespace["accuracy"]) > 0.9


@pytest.mark.torch
def test_readme_training_loop_is_a_pytorch_program():
    """The same text with PyTorch's imports runs under PyTorch: it is PyTorch code."""
    pytest.importorskip("torch")
    loop = next(
        b
        for b in re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
        if "backward()" in b and "optim" in b
    )
    torch_loop = (
        loop.replace("import lucid as torch", "import torch")
        .replace("import lucid.nn as nn", "import torch.nn as nn")
        .replace("import lucid.nn.functional as F", "import torch.nn.functional as F")
    )
    assert "lucid" not in torch_loop
    namespace: dict = {}
    exec(compile(torch_loop, str(README), "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["losses"][-1] < namespace["losses"][0] / 10


def test_readme_custom_op_guide_runs_as_printed():
    text = README.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    guides = [b for b in blocks if "save_for_backward" in b]
    assert guides, "README has no custom-op example to run"
    namespace: dict = {}
    exec(compile(guides[0], str(README), "exec"), namespace)  # noqa: S102 - our own README
    x = namespace["x"]
    y = namespace["Softplus"]()(x)
    np.testing.assert_allclose(y.numpy(), np.logaddexp(0, x.numpy()), rtol=1e-12)


@pytest.mark.slow
def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "curves.png"
    train.main(["--epochs", "1", "--quiet", "--model", "mlp", "--plot", str(png),
                "--checkpoint", str(tmp_path / "c.lucid")])  # fmt: skip
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_readme_compiled_training_step_matches_eager_bit_for_bit():
    import warnings

    block = next(
        b
        for b in re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
        if "@lucid.compile" in b
    )
    results = []
    for source in (block, block.replace("@lucid.compile\n", "")):  # compiled, then eager
        lucid.manual_seed(0)
        namespace: dict = {}
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a graph break would warn
            exec(compile(source, str(README), "exec"), namespace)  # noqa: S102 - our README
        results.append(namespace["losses"])
    assert results[0] == results[1]
