"""RemovableHandle: what registering a hook returns; ``handle.remove()`` unregisters it.

The class lives in the graph layer (tensors register hooks too); nn re-exports it.
"""

from lucid._graph import RemovableHandle

__all__ = ["RemovableHandle"]
