"""``lucid.onnx.export``: a model's recorded forward written as an ONNX graph.

Needs the ``onnx`` extra (``pip install "lucid[onnx]"``: onnx, and onnxruntime to run the
result); neither is imported by ``import lucid``. See ``export`` for what is supported.
"""

from lucid.onnx._export import SUPPORTED_OPS, export

__all__ = ["export", "SUPPORTED_OPS"]
