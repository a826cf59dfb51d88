"""lucid.compile: trace a function once, optimise its graph, replay it (see ``compiler``).

One module per stage: ``trace`` (record the ops of one eager call), ``ir`` (values and nodes),
the passes ``dce``, ``fold``, ``fuse`` (with ``codegen``, the generated Numba kernels) and
``memory`` (kept buffers for fused results that never leave the graph),
``backward`` and ``steps`` (a captured ``backward()`` and optimizer ``step()``/``zero_grad()``),
``guards`` (when a replay is valid) and ``compiler`` (the wrapper that ties them together).
"""

from lucid.compile.compiler import CompiledFunction, compile

__all__ = ["compile", "CompiledFunction"]
