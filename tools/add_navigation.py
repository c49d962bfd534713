"""Insert (or refresh) the navigation bar of every lesson in notebooks/.

Each lesson gets a markdown cell ``< previous | contents | next >`` as its second cell and
its last cell, found again on later runs by the ``<!--NAVIGATION-->`` marker, with titles
taken from each notebook's first heading. Running it twice changes nothing, and a
notebook that needs no change is not rewritten.

Usage: ``python tools/add_navigation.py``
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat

MARKER = "<!--NAVIGATION-->"
LESSONS = Path(__file__).resolve().parents[1] / "notebooks"


def title(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if m:
                return m.group(1).split(":")[0].strip()
    return path.stem


def bar(paths: list[Path], i: int) -> str:
    parts = []
    if i > 0:
        parts.append(f"[< {title(paths[i - 1])}]({paths[i - 1].name})")
    parts.append(f"[contents]({paths[0].name}#4.-The-map)")
    if i + 1 < len(paths):
        parts.append(f"[{title(paths[i + 1])} >]({paths[i + 1].name})")
    return f"{MARKER}\n" + " | ".join(parts)


def main() -> None:
    paths = sorted(LESSONS.glob("[0-9][0-9]*_*.ipynb"))  # 06b sorts after 06
    for i, path in enumerate(paths):
        nb = nbformat.read(path, as_version=4)
        cells = [c for c in nb.cells if MARKER not in c.get("source", "")]
        nav = bar(paths, i)
        top, bottom = nbformat.v4.new_markdown_cell(nav), nbformat.v4.new_markdown_cell(nav)
        top.id, bottom.id = "navigation-top", "navigation-bottom"
        for cell in (top, bottom):  # never a slide of its own (tools/add_slides.py agrees)
            cell.metadata["slideshow"] = {"slide_type": "skip"}
        nb.cells = cells[:1] + [top] + cells[1:] + [bottom]
        text = nbformat.writes(nb) + "\n"
        if text != path.read_text(encoding="utf-8"):
            # written beside, then renamed: a test reading the lesson meanwhile (nbval,
            # another pytest worker) sees the old file or the new one, never a half-written one
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)


if __name__ == "__main__":
    main()
