"""detect_anomaly: check every result for NaN and inf and name the op and the user's line."""

from __future__ import annotations

import os
import traceback
from typing import Any

import numpy as np

from lucid._graph import _mode, _SetGradMode, operation


def user_site() -> str:
    """``file:line`` of the innermost frame outside Lucid: the user code that made an op."""
    package = os.path.dirname(os.path.abspath(__file__))  # src/lucid
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(package):
            return f"{frame.filename}:{frame.lineno} ({frame.line})"
    return "<unknown>"


def check_forward(op: operation, out: Any) -> None:
    """Remember where ``op`` was made and check its results (detect_anomaly is on)."""
    op._site = user_site()
    check_finite(op, out if isinstance(out, tuple) else (out,), "forward")


def check_finite(op: operation, arrays: Any, phase: str) -> None:
    """RuntimeError naming ``op`` and its creation site if an array holds NaN or inf."""
    for a in arrays:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f" and not np.isfinite(a).all():
            bad = "nan" if np.isnan(a).any() else "inf"
            site = op.__dict__.get("_site") or user_site()
            raise RuntimeError(
                f"detect_anomaly: {type(op).__name__} produced {bad} in its {phase}; "
                f"the op was created at {site}"
            )


class detect_anomaly(_SetGradMode):
    """Inside, the first op whose forward or backward makes NaN or inf raises RuntimeError,
    naming the op and the line of user code that created it (slower: every result is checked).
    """

    def __enter__(self) -> None:
        self._previous = _mode.anomaly
        _mode.anomaly = True

    def __exit__(self, *exc_info: object) -> None:
        _mode.anomaly = self._previous
