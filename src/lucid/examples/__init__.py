"""Runnable examples; ``python -m lucid.examples.train`` is Lucid's main job."""
