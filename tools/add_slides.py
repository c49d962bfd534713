"""Set the RISE slide boundaries of every lesson in notebooks/ from the lesson's structure.

Each cell's ``metadata.slideshow.slide_type`` is computed from the notebook alone, so running
this twice changes nothing and a new lesson needs no edit here:

- the title cell and every ``##`` heading start a new **slide** (a section);
- a ``###`` heading starts a **subslide** (a vertical step inside the section);
- a live widget cell gets a subslide of its own, and the cell after it starts the next one;
- inside a section, a cell that would make the current slide too long for a projector
  (more than about ``BUDGET`` lines of prose, code, printed output and figures) starts a
  subslide; prose is weighed together with the code cell it introduces, and that code cell
  stays on the prose's slide;
- the navigation bars (``<!--NAVIGATION-->``, see add_navigation.py) are **skipped**.

Outputs, sources and other metadata are left as they are. The notebook also gets RISE
settings (``metadata.rise``): scrolling on, so a slide longer than the screen still shows all.

Usage: ``python tools/add_slides.py [NOTEBOOK ...]`` (default: notebooks/NN_*.ipynb)
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NAV_MARKER = "<!--NAVIGATION-->"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
BUDGET = 24  # lines that fit on a projected slide at RISE's default zoom
FIGURE_LINES = 14  # a figure takes about this many lines of the slide
OUTPUT_CAP = 12  # long printed output scrolls; count at most this many of its lines
RISE_SETTINGS = {"scroll": True, "transition": "none", "enable_chalkboard": False}


def lessons() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _heading_level(cell) -> int:
    if cell.cell_type != "markdown":
        return 0
    m = re.match(r"\s*(#{1,6})\s", cell.source)
    return len(m.group(1)) if m else 0


def is_widget_cell(cell) -> bool:
    """A code cell whose stored output is a live ipywidget."""
    return cell.cell_type == "code" and any(
        WIDGET_MIME in out.get("data", {}) for out in cell.get("outputs", [])
    )


def _text_lines(text: str) -> int:
    return sum(max(1, len(textwrap.wrap(line, 90)) or 1) for line in text.splitlines())


def weight(cell) -> int:
    """About how many lines of a slide the cell fills (source plus outputs)."""
    lines = _text_lines(cell.source)
    if cell.cell_type != "code":
        # a markdown image or a display equation is taller than a line of text
        return lines + 4 * cell.source.count("$$") // 2 + FIGURE_LINES * cell.source.count("![")
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        # a figure: an image, a live widget, or an <img> with its alt text (plots.show)
        if ("image/png" in data or "image/svg+xml" in data or WIDGET_MIME in data
                or "<img" in "".join(data.get("text/html", ""))):
            lines += FIGURE_LINES
        elif out.get("output_type") == "stream":
            lines += min(OUTPUT_CAP, _text_lines(out.get("text", "")))
        elif "text/plain" in data:
            lines += min(OUTPUT_CAP, _text_lines(data["text/plain"]))
    return lines


def _code_after(nb, index: int) -> int:
    """The weight of the code cell that prose at ``index`` introduces (it moves with it)."""
    cell, following = nb.cells[index], nb.cells[index + 1: index + 2]
    if cell.cell_type == "markdown" and following and following[0].cell_type == "code":
        return weight(following[0])
    return 0


def slide_types(nb) -> list[str]:
    """The slide type of each cell, from the notebook's structure only."""
    types: list[str] = []
    used = 0  # lines on the current slide so far
    after_widget = False
    previous = None  # the last cell shown (not skipped)
    for index, cell in enumerate(nb.cells):
        if NAV_MARKER in cell.source:
            types.append("skip")
            continue
        level = _heading_level(cell)
        w = weight(cell)
        if previous is None or level in (1, 2):
            kind = "slide"
        elif level == 3 or is_widget_cell(cell) or after_widget:
            kind = "subslide"
        elif used + w + _code_after(nb, index) > BUDGET and used > 0 and not (
            cell.cell_type == "code" and previous.cell_type == "markdown"
        ):
            kind = "subslide"
        else:
            kind = "-"
        used = w if kind != "-" else used + w
        after_widget = is_widget_cell(cell)
        previous = cell
        types.append(kind)
    return types


def apply(nb) -> bool:
    """Write the slide types (and RISE settings) into ``nb``; True when something changed."""
    changed = False
    for cell, kind in zip(nb.cells, slide_types(nb), strict=True):
        show = cell.metadata.get("slideshow", {})
        if show.get("slide_type") != kind:
            cell.metadata["slideshow"] = {**show, "slide_type": kind}
            changed = True
    if nb.metadata.get("rise") != RISE_SETTINGS:
        nb.metadata["rise"] = dict(RISE_SETTINGS)
        changed = True
    return changed


def main(argv: list[str]) -> None:
    paths = [Path(a) for a in argv] or lessons()
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if apply(nb):
            nbformat.write(nb, path)
            print(f"slides set: {path.name}")


if __name__ == "__main__":
    main(sys.argv[1:])
