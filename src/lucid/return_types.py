"""Named tuples returned by ops with several results, as ``torch.return_types``.

Each is a ``collections.namedtuple``: unpack it (``values, indices = x.max(1)``), index it, or
read its fields (``.values``, ``.indices``).
"""

from __future__ import annotations

from collections import namedtuple

# ruff: noqa: A001  (PyTorch's names: torch.return_types.max, .min, .sort, ...)
max = namedtuple("max", ["values", "indices"])
min = namedtuple("min", ["values", "indices"])
sort = namedtuple("sort", ["values", "indices"])
topk = namedtuple("topk", ["values", "indices"])
kthvalue = namedtuple("kthvalue", ["values", "indices"])
median = namedtuple("median", ["values", "indices"])
nanmedian = namedtuple("nanmedian", ["values", "indices"])
mode = namedtuple("mode", ["values", "indices"])
cummax = namedtuple("cummax", ["values", "indices"])
cummin = namedtuple("cummin", ["values", "indices"])
aminmax = namedtuple("aminmax", ["min", "max"])
