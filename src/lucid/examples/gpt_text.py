"""The GPT example's training text: rhyming verses from a small grammar, written for Lucid.

Every word list below was written for this file, so the text is free of anyone's copyright
(Lucid's MIT licence covers it). ``python -m lucid.examples.gpt_text`` rewrites
``data/verses.txt`` from the grammar; the test suite checks that the shipped file is exactly
what the grammar produces, so the text and this script cannot drift apart.
"""

from __future__ import annotations

import random
from pathlib import Path

TEXT_PATH = Path(__file__).with_name("data") / "verses.txt"
SEED = 1729
TARGET_BYTES = 32_000

ANIMALS = ["fox", "owl", "hen", "cat", "mole", "hare", "wren", "goat", "bee", "crow", "frog",
           "mouse", "lamb", "duck", "toad", "deer"]  # fmt: skip
ADJECTIVES = ["little", "sleepy", "merry", "gray", "clever", "tiny", "brave", "quiet", "old",
              "silly", "golden", "busy"]  # fmt: skip
PLACES = ["the hill", "the mill", "the lane", "the well", "the sea", "the tree", "the moon",
          "the dune", "the barn", "the stream", "the gate", "the glade"]  # fmt: skip
VERBS = ["ran to", "sang at", "slept by", "danced on", "looked at", "walked to", "waited by",
         "called to", "dreamed of", "hid near"]  # fmt: skip
# Rhyme families: a line ends with one word of a family, the next line with another of it.
RHYMES = [
    ["day", "way", "hay", "gray", "play", "stay"],
    ["night", "light", "bright", "white", "kite", "sight"],
    ["rain", "lane", "plain", "grain", "again", "chain"],
    ["sun", "run", "fun", "done", "one", "bun"],
    ["sea", "tree", "free", "me", "tea", "three"],
    ["moon", "soon", "tune", "spoon", "noon", "june"],
    ["cold", "gold", "old", "bold", "told", "fold"],
    ["sky", "fly", "high", "by", "why", "pie"],
]
ENDINGS = ["all through the {w}", "and that was the {w}", "to see the {w}", "in the {w}",
           "for a {w}", "so {w}", "with a {w}"]  # fmt: skip
REFRAINS = ["sing hey, sing ho, and round we go.", "one, two, three, and home for tea.",
            "hush now, hush now, the stars are out."]  # fmt: skip


def line(rng: random.Random, rhyme: str) -> str:
    """One line: a subject, a verb, a place and an ending on the rhyme word."""
    subject = f"the {rng.choice(ADJECTIVES)} {rng.choice(ANIMALS)}"
    ending = rng.choice(ENDINGS).format(w=rhyme)
    return f"{subject} {rng.choice(VERBS)} {rng.choice(PLACES)} {ending}"


def verse(rng: random.Random) -> str:
    """Four lines rhyming AABB, then a refrain one time in three."""
    lines = []
    for family in rng.sample(RHYMES, 2):
        first, second = rng.sample(family, 2)
        lines += [line(rng, first) + ",", line(rng, second) + "."]
    if rng.random() < 1 / 3:
        lines.append(rng.choice(REFRAINS))
    return "\n".join(lines) + "\n"


def generate(seed: int = SEED, target_bytes: int = TARGET_BYTES) -> str:
    """Verses separated by blank lines until the text reaches ``target_bytes``."""
    rng = random.Random(seed)
    verses: list[str] = []
    size = 0
    while size < target_bytes:
        verses.append(verse(rng))
        size += len(verses[-1]) + 1
    return "\n".join(verses)


def main() -> None:
    TEXT_PATH.parent.mkdir(exist_ok=True)
    TEXT_PATH.write_text(generate(), encoding="ascii")
    print(f"wrote {TEXT_PATH} ({TEXT_PATH.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
