"""Lucid's ops, one module per family; each op is a forward and a gradient, nothing else."""
