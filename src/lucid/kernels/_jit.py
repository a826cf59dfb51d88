"""The only module that imports numba: the JIT switch and a lazy, cached ``njit``.

Nothing here compiles or even imports numba at import time. ``njit`` wraps a function in a
proxy that imports numba and compiles (with ``cache=True``, no signatures) on the first call.
``JIT_ENABLED`` is read at call time by every kernel wrapper (``_jit.JIT_ENABLED``), so a test
may flip it; it is false under ``LUCID_DISABLE_JIT=1``, when numba is not installed, and after
numba failed to import (then a warning is issued once and the NumPy references run). A kernel
that numba cannot type is a bug and raises.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from collections.abc import Callable
from typing import Any

JIT_ENABLED: bool = (
    os.environ.get("LUCID_DISABLE_JIT", "0") not in ("1", "true", "True")
    and importlib.util.find_spec("numba") is not None
)

# fastmath flags safe for reductions: reassociation lets LLVM vectorise sums; no "nnan"/"ninf",
# which would silently break NaN propagation.
REDUCE_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


def _numba() -> Any:
    """Import numba, pointing its cache at a user directory when the package is read-only."""
    if "NUMBA_CACHE_DIR" not in os.environ and not os.access(os.path.dirname(__file__), os.W_OK):
        cache = os.path.join(os.path.expanduser("~"), ".cache", "lucid", "numba")
        os.makedirs(cache, exist_ok=True)
        os.environ["NUMBA_CACHE_DIR"] = cache
    import numba

    return numba


def _disable(reason: BaseException) -> None:
    global JIT_ENABLED
    if JIT_ENABLED:
        warnings.warn(
            f"lucid: numba failed ({type(reason).__name__}: {reason}); "
            "falling back to the NumPy kernels",
            RuntimeWarning,
            stacklevel=3,
        )
    JIT_ENABLED = False


class _LazyJit:
    """A function compiled by numba on its first call (then served from numba's cache)."""

    __slots__ = ("py_func", "options", "_compiled", "__name__")

    def __init__(self, fn: Callable, options: dict) -> None:
        self.py_func = fn
        self.options = options
        self._compiled: Callable | None = None
        self.__name__ = fn.__name__

    def compile(self) -> Callable:
        """The numba dispatcher (compilation itself happens per signature, at call time)."""
        if self._compiled is None:
            module_globals = self.py_func.__globals__
            for name in self.py_func.__code__.co_names:
                callee = module_globals.get(name)
                if isinstance(callee, _LazyJit):
                    module_globals[name] = callee.compile()
            self._compiled = _numba().njit(cache=True, **self.options)(self.py_func)
        return self._compiled

    def __call__(self, *args: Any) -> Any:
        compiled = self._compiled
        if compiled is not None:
            return compiled(*args)
        try:
            return self.compile()(*args)
        except ImportError as exc:  # numba missing or broken: this call runs as plain Python
            _disable(exc)
            return self.py_func(*args)


def njit(fn: Callable | None = None, **options: Any) -> Any:
    """``numba.njit(cache=True, **options)``, applied lazily; usable bare or with options.

    A kernel may call another ``@njit`` function (a scalar helper such as a stable sigmoid):
    when the caller compiles, the helpers it names are compiled first and swapped into its
    module's globals, so numba sees real dispatchers.
    """

    def wrap(f: Callable) -> _LazyJit:
        return _LazyJit(f, options)

    return wrap(fn) if fn is not None else wrap
