"""lucid.compile: trace a function once, optimise its graph, replay it (see ``compiler``).

One module per stage: ``trace`` (record the ops of one eager call), ``ir`` (values and nodes),
the passes ``dce``, ``fold`` and ``fuse`` (with ``codegen``, the generated Numba kernels),
``guards`` (when a replay is valid) and ``compiler`` (the wrapper that ties them together).
"""

from lucid.compile.compiler import CompiledFunction, compile

__all__ = ["compile", "CompiledFunction"]
