"""``lucid.utils``, as ``torch.utils``: ``lucid.utils.data`` is the module ``lucid.data``.

PyTorch programs import ``torch.utils.data``; here that name is an alias registered in
``sys.modules``, so ``import lucid.utils.data as d`` and ``from lucid.utils.data import
DataLoader`` give the very objects of ``lucid.data`` (one module, not a copy).
"""

import sys

from lucid import data

sys.modules[__name__ + ".data"] = data

__all__ = ["data"]
