"""``lucid.backends.cuda``: CUDA is not built in; ``matmul.allow_tf32`` and co. are settable."""

from types import SimpleNamespace

matmul = SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True)


def is_built() -> bool:
    """False: Lucid has no CUDA."""
    return False


def flash_sdp_enabled() -> bool:
    """False: no fused CUDA attention kernels."""
    return False


def mem_efficient_sdp_enabled() -> bool:
    """False: no fused CUDA attention kernels."""
    return False


def math_sdp_enabled() -> bool:
    """True: ``F.scaled_dot_product_attention`` runs the plain formula."""
    return True
