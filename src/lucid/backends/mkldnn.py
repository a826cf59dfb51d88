"""``lucid.backends.mkldnn``: oneDNN is not available; ``enabled`` is a settable flag."""

enabled = False


def is_available() -> bool:
    """False: Lucid has no oneDNN kernels."""
    return False
