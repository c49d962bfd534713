"""Write course_lib/data/course_prose.txt: the prose of lessons 00-07, as plain lowercase text.

Lesson 08 trains a character-level bigram model on this text. It is a *snapshot*, committed
so that the lesson is deterministic and needs no download; re-running this script after the
lessons change rewrites it, and then lesson 08 must be re-executed (its numbers move).

Kept: the markdown cells' words (inline code keeps its text, links keep their words).
Dropped: navigation cells, code blocks, LaTeX, HTML and tables. Letters are lowercased,
``! ? ; :`` become a full stop, every other character becomes a space, and runs of spaces
collapse, so the alphabet is ``a-z``, space, ``,`` and ``.`` (29 characters).

Usage: ``python tools/make_prose_corpus.py``
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "course_lib" / "data" / "course_prose.txt"


def clean(markdown: str) -> str:
    s = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    s = re.sub(r"\$\$.*?\$\$", " ", s, flags=re.S)
    s = re.sub(r"\$[^$]*\$", " ", s)
    s = re.sub(r"`([^`]*)`", r"\1", s)
    s = re.sub(r"<[^>]*>", " ", s)
    s = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", s)
    s = re.sub(r"^\s*\|.*$", " ", s, flags=re.M)
    s = re.sub(r"[!?;:]", ".", s.lower())
    s = re.sub(r"[^a-z.,\s]", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def main() -> None:
    parts = []
    for path in sorted((ROOT / "notebooks").glob("0[0-7]_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown" and "<!--NAVIGATION-->" not in cell.source:
                parts.append(clean(cell.source))
    text = re.sub(r"\s+([.,])", r"\1", " ".join(parts))
    text = re.sub(r"([.,])[.,]+", r"\1", text)
    text = re.sub(r"\s+", " ", text)
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(textwrap.fill(text, width=88, break_long_words=False,
                                 break_on_hyphens=False) + "\n")


if __name__ == "__main__":
    main()
