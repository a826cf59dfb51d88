"""``lucid.backends``, as ``torch.backends``: which accelerated backends exist (none do).

Lucid runs on NumPy and Numba on the CPU, so every accelerator reports unavailable. The flags
programs set (``cudnn.benchmark``, ``cudnn.deterministic``, ``cuda.matmul.allow_tf32``) are
plain attributes: setting them is accepted and changes nothing, which is what PyTorch does
without those backends.
"""

# ruff: noqa: F401
from lucid.backends import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp

__all__ = ["cpu", "cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp"]
