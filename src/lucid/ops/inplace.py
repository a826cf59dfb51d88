"""In-place ops on tensors outside the graph: ``add_``, ``mul_``, ``x += y`` and friends."""

__all__: list[str] = []
