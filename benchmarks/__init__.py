"""Lucid's benchmarks: the asv suite (one ``bench_<family>.py`` per family) and ``compare.py``.

asv imports this package before any benchmark module, so it pins one thread and drops
OpenBLAS's core overrides here too, before anything can load NumPy; every module repeats the
same lines so that it also holds when imported alone. ``set_jit`` is the ``jit`` parameter
shared by the suites: True runs Lucid's Numba kernels, False its NumPy references.
"""

import os

os.environ.update(
    dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"), "1")
)
os.environ.pop("OPENBLAS_CORETYPE", None)  # in this process only, never in tests or CI
os.environ.pop("OPENBLAS_L2_SIZE", None)

# Whether Numba can run at all; read before any benchmark flips the switch.
JIT_AVAILABLE: bool | None = None


def set_jit(jit: bool) -> None:
    """Route Lucid's kernels through Numba (``jit=True``) or the NumPy references.

    Raises NotImplementedError, which asv reports as a skipped benchmark, when ``jit`` is
    asked for and Numba is missing or disabled by ``LUCID_DISABLE_JIT``.
    """
    global JIT_AVAILABLE
    from lucid.kernels import _jit

    if JIT_AVAILABLE is None:
        JIT_AVAILABLE = _jit.JIT_ENABLED
    if jit and not JIT_AVAILABLE:
        raise NotImplementedError("Numba is not available (or LUCID_DISABLE_JIT is set)")
    _jit.JIT_ENABLED = jit


def reset_jit(*params: object) -> None:
    """Put the switch back as it was (a ``teardown`` for every jit-parametrised class)."""
    from lucid.kernels import _jit

    if JIT_AVAILABLE is not None:
        _jit.JIT_ENABLED = JIT_AVAILABLE
