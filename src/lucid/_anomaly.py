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


def check_forward(
    op: operation, out: Any, inputs: Any = (), args: tuple = (), kwargs: dict | None = None
) -> None:
    """Remember where ``op`` was made and check its results (detect_anomaly is on); while
    ``lucid.compile`` traces, first hand the op, its input arrays, its other arguments and its
    result to the tracer. Returns the result, a NumPy scalar turned into a 0-d array (as the
    engine would turn it next), so that the tracer knows the very array later ops receive."""
    if isinstance(out, tuple):
        out = tuple(o if type(o) is np.ndarray else np.asarray(o) for o in out)
    elif type(out) is not np.ndarray:
        out = np.asarray(out)
    tracer = _mode.tracer
    if tracer is not None:
        tracer.record(op, inputs, args, kwargs or {}, out)
        if not tracer.anomaly:  # detect_anomaly was off: tracing alone switched the flag on
            return out
    op._site = user_site()
    check_finite(op, out if isinstance(out, tuple) else (out,), "forward")
    return out


def check_finite(op: operation, arrays: Any, phase: str) -> None:
    """RuntimeError naming ``op`` and its creation site if an array holds NaN or inf."""
    if _mode.tracer is not None and not _mode.tracer.anomaly:
        return
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
