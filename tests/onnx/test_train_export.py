"""The main job's --export-onnx: the best model, run by onnxruntime, gives Lucid's logits."""

import numpy as np
import pytest

import lucid

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("sklearn")  # the offline digits
from lucid.examples import train  # noqa: E402


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_main_job_exports_the_best_model(model, tmp_path, capsys):
    path = tmp_path / "out" / "digits.onnx"
    ckpt = tmp_path / "best.lucid"
    train.main(["--epochs", "1", "--quiet", "--model", model, "--checkpoint", str(ckpt),
                "--export-onnx", str(path)])  # fmt: skip
    assert f"ONNX model written to {path}" in capsys.readouterr().out
    net = train.build_model(model, 8)
    net.load_state_dict(lucid.load(ckpt)["model"])
    net.eval()
    images = np.random.default_rng(0).random((5, 1, 8, 8), dtype=np.float32)  # batch 5, not 1
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (logits,) = session.run(["logits"], {"images": images})
    np.testing.assert_allclose(logits, net(lucid.tensor(images)).numpy(), rtol=1e-5, atol=1e-5)
