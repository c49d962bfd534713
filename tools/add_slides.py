"""Set the slides of every lesson in notebooks/ from the lesson's structure: a deck to lecture
from, with the lesson's full prose as speaker notes.

A lesson is read twice: by a learner, top to bottom, every cell; and by a lecture hall, as
slides. This tool computes each cell's ``metadata.slideshow.slide_type`` (used by RISE in
JupyterLab and by the static decks of ``make slides``) from the notebook alone, so running it
twice changes nothing and a new lesson needs no edit here.

What a slide shows:

- a **heading** (``#``, ``##`` start a slide; ``###`` a vertical step, a subslide);
- a **key-points cell**: a short markdown cell tagged ``key-points``, written for the
  projector (at most about 45 words), that says what the prose after it explains;
- **short prose** (at most ``SHORT_PROSE`` words) that leads into code, such as "Move the
  slider:";
- **code and its printed output**. A figure cell shows its figure only, and a cell whose code
  and output would not fit on one slide shows its output only (:func:`shows_code`): the
  static decks put that code in the speaker notes, and ``notebooks/rise.css`` hides a figure
  cell's code in RISE;
- a live **widget**, on a subslide of its own with the short prose or key points that lead
  into it.

Every other markdown cell becomes a **speaker note** (slide type ``notes``) of the slide it
follows; the navigation bars (``<!--NAVIGATION-->``) and the setup cell
(course_lib/lessons/deploy.py) are **skipped**. So a key-points cell
goes *before* the prose it summarises: it opens the slide the prose is the notes of.

A slide ends where the next one would overflow: each cell's height on a 1280 x 720 slide is
estimated with the sizes of the decks' style sheet (tools/site_template/course_slides/
deck.css; the ``SLIDE_*``, ``PROSE_*`` and ``CODE_*`` constants below), and a slide holds at
most ``MAX_WORDS`` words of prose. Prose is weighed together with the code it leads into,
and that code stays on the prose's slide when it fits. :func:`plan` gives each slide's
estimated height and words; tests/test_slides.py checks them for every lesson, and
tests/browser/test_slides_browser.py measures the real decks in Chromium.

The notebook also gets RISE settings (``metadata.rise``): a 1280 x 720 slide scaled to the
screen, laid out from the top as in the static decks. Outputs, sources and other metadata
are left as they are.

Usage: ``python tools/add_slides.py [NOTEBOOK ...]`` (default: notebooks/NN_*.ipynb and NNb_*.ipynb)
"""

from __future__ import annotations

import base64
import math
import re
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course_lib.lessons.deploy import is_setup_cell

ROOT = Path(__file__).resolve().parents[1]
NAV_MARKER = "<!--NAVIGATION-->"
KEY_POINTS_TAG = "key-points"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
IMAGE_MIMES = ("image/png", "image/jpeg")

MAX_WORDS = 60  # words of prose on one slide (headings and key points included)
SHORT_PROSE = 30  # a prose cell this short may stay on its slide; a longer one is a note

# A slide in slide pixels, as deck.css lays it out (1280 x 720 less the padding).
SLIDE_WIDTH = 1280 - 2 * 48
SLIDE_HEIGHT = 720 - 24 - 32
CELL_PAD = 8  # each cell's own padding, top and bottom
HEADING = {1: 46 * 1.2 + 14, 2: 38 * 1.2 + 12, 3: 32 * 1.2 + 12}  # with their margins
PROSE_LINE = 28 * 1.3  # prose: 28 px type
PROSE_CHARS = 72  # characters of prose on a line (a little under the measured 82)
PARAGRAPH_GAP = 10
DISPLAY_MATH = 64  # a $$ ... $$ line
CODE_LINE = 19 * 1.25  # code and printed output: 19 px type (14 pt)
CODE_CHARS = 96  # characters of code on a line before it wraps
CODE_PAD = 18  # the code box's padding and border
# A figure is never shown smaller than its natural size times this: its lettering, drawn at
# the 14 pt of notebooks/matplotlibrc at 100 dpi, then reads as at least 14 pt in the deck.
FIGURE_MIN_SCALE = 0.97
# RISE lays slides out as the static decks do (1280 x 720, scaled to the screen, from the
# top); notebooks/rise.css sets the type sizes. "scroll" is only a safety net there: a slide
# this tool plans fits, and the static decks are measured to prove it.
RISE_SETTINGS = {
    "width": 1280, "height": 720, "margin": 0, "minScale": 0.1, "maxScale": 3.0,
    "center": False, "scroll": True, "transition": "none", "enable_chalkboard": False,
}


def lessons() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))


def heading_level(cell) -> int:
    """1, 2 or 3 for a markdown cell that starts with a heading; 0 otherwise."""
    if cell.cell_type != "markdown":
        return 0
    m = re.match(r"\s*(#{1,6})\s", cell.source)
    return min(3, len(m.group(1))) if m else 0


def is_key_points(cell) -> bool:
    return cell.cell_type == "markdown" and KEY_POINTS_TAG in cell.metadata.get("tags", [])


def is_widget_cell(cell) -> bool:
    """A code cell whose stored output is a live ipywidget."""
    return cell.cell_type == "code" and any(
        WIDGET_MIME in out.get("data", {}) for out in cell.get("outputs", [])
    )


_IMG = re.compile(r'<img\s[^>]*src="data:image/(?:png|jpeg);base64,([^"]+)"')


def image_data(data: dict) -> str | None:
    """The base64 image of an output: a PNG or JPEG, or the one an ``<img>`` with its alt text
    carries (``course_lib.lessons.plots.show``); None when the output holds no image."""
    for mime in IMAGE_MIMES:
        if mime in data:
            return data[mime] if isinstance(data[mime], str) else "".join(data[mime])
    page = data.get("text/html", "")
    found = _IMG.search(page if isinstance(page, str) else "".join(page))
    return found.group(1) if found else None


def is_figure_cell(cell) -> bool:
    """A code cell that draws a figure: on a slide it shows the figure, not its code."""
    return cell.cell_type == "code" and not is_widget_cell(cell) and any(
        image_data(out.get("data", {})) for out in cell.get("outputs", [])
    )


def shows_code(cell) -> bool:
    """Whether a slide shows the cell's code: not for a figure, whose figure needs the room,
    nor when code and output together are taller than a slide; the output is what the
    audience needs, and the code goes to the speaker notes (of the static decks)."""
    if cell.cell_type != "code" or is_figure_cell(cell):
        return False
    return _code_height(cell) + _outputs_height(cell) <= SLIDE_HEIGHT


def _plain(markdown: str) -> str:
    """Markdown as the words a reader sees: a formula is one word, link targets are gone."""
    text = re.sub(r"\$\$.+?\$\$", " formula ", markdown, flags=re.S)
    text = re.sub(r"\$[^$\n]+\$", " formula ", text)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"[#*_`|>]", " ", text)


def words(cell) -> int:
    """Words of a markdown cell as a slide shows them (a formula counts as one).

    >>> from nbformat.v4 import new_markdown_cell
    >>> words(new_markdown_cell("## 1. Softmax\\n\\n$e^{x_i}$ over the sum, see [this](x.ipynb)."))
    8
    """
    if cell.cell_type != "markdown":
        return 0
    return sum(1 for w in _plain(cell.source).split() if re.search(r"\w", w))


def _markdown_height(source: str) -> float:
    height = 0.0
    blocks = [b for b in re.split(r"\n\s*\n", source.strip()) if b.strip()]
    for block in blocks:
        level = re.match(r"\s*(#{1,6})\s", block)
        if level:
            height += HEADING[min(3, len(level.group(1)))]
            block = block.split("\n", 1)[1] if "\n" in block else ""
            if not block.strip():
                continue
        height += DISPLAY_MATH * block.count("$$") // 2
        block = re.sub(r"\$\$.+?\$\$", "", block, flags=re.S)
        items = re.split(r"\n(?=\s*(?:[-*+]|\d+\.)\s)", block)  # list items wrap apart
        for item in items:
            chars = len(" ".join(_plain(item).split()))
            if chars:
                height += math.ceil(chars / PROSE_CHARS) * PROSE_LINE
        height += PARAGRAPH_GAP
    return height + CELL_PAD


def _text_lines(text: str) -> int:
    return sum(max(1, math.ceil(len(line.rstrip()) / CODE_CHARS)) for line in text.splitlines())


def _image_size(data: str) -> tuple[int, int]:
    """(width, height) in pixels of a base64 PNG or JPEG."""
    raw = base64.b64decode(data[:4096] if isinstance(data, str) else "".join(data)[:4096])
    if raw[:8] == b"\x89PNG\r\n\x1a\n":
        return struct.unpack(">II", raw[16:24])
    i = 2  # JPEG: walk the markers to the frame header
    while i < len(raw) - 9:
        marker, length = raw[i + 1], struct.unpack(">H", raw[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            h, w = struct.unpack(">HH", raw[i + 5:i + 9])
            return w, h
        i += 2 + length
    raise ValueError("cannot read the image size")


def _code_height(cell) -> float:
    return _text_lines(cell.source) * CODE_LINE + CODE_PAD


def _outputs_height(cell) -> float:
    total = 0.0
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        image = image_data(data)
        if image:
            w, h = _image_size(image)
            total += max(h * FIGURE_MIN_SCALE, h * SLIDE_WIDTH / w if w > SLIDE_WIDTH else 0)
        elif out.get("output_type") == "stream":
            total += _text_lines(out.get("text", "")) * CODE_LINE + 4
        elif "text/plain" in data and WIDGET_MIME not in data:
            total += _text_lines(data["text/plain"]) * CODE_LINE + 4
    return total


def height(cell) -> float:
    """About how many slide pixels the cell fills on a 1280 x 720 slide."""
    if cell.cell_type == "markdown":
        return _markdown_height(cell.source)
    code = _code_height(cell) if shows_code(cell) else 0.0
    return CELL_PAD + code + _outputs_height(cell)


@dataclass
class Slide:
    """One planned slide: the cells it shows and notes, its estimated height and words."""

    kind: str  # "slide" or "subslide"
    cells: list[int] = field(default_factory=list)  # indices of the cells it shows
    notes: list[int] = field(default_factory=list)  # indices of its speaker notes
    height: float = 0.0
    words: int = 0

    def fits(self, extra_height: float = 0.0, extra_words: int = 0) -> bool:
        return (self.height + extra_height <= SLIDE_HEIGHT
                and self.words + extra_words <= MAX_WORDS)


def _next_code(nb, index: int):
    """The code cell a markdown cell leads into: the next code cell, when only prose that
    becomes notes stands between (a heading, key points or short prose start something
    new). None if there is none."""
    for cell in nb.cells[index + 1:]:
        if cell.cell_type == "code":
            return cell
        if heading_level(cell) or is_key_points(cell) or words(cell) <= SHORT_PROSE \
                or NAV_MARKER in cell.source or is_setup_cell(cell):
            return None
    return None


def plan(nb) -> tuple[list[str], list[Slide]]:
    """Each cell's slide type, and the slides they make (see the module's docstring)."""
    types: list[str] = []
    slides: list[Slide] = []
    after_widget = False

    for index, cell in enumerate(nb.cells):
        if NAV_MARKER in cell.source or is_setup_cell(cell):
            types.append("skip")
            continue
        level, n, h = heading_level(cell), words(cell), height(cell)
        current = slides[-1] if slides else None
        follow = _next_code(nb, index) if cell.cell_type == "markdown" else None
        widget_next = follow is not None and is_widget_cell(follow)
        need = 0.0 if follow is None or widget_next else height(follow)
        last = nb.cells[current.cells[-1]] if current else None
        if current is None or level in (1, 2):
            kind = "slide"
        elif level == 3 or after_widget:
            kind = "subslide"
        elif is_widget_cell(cell):
            # a widget has a slide of its own, with the short prose that leads into it
            led = last.cell_type == "markdown" and _next_code(nb, current.cells[-1]) is cell
            kind = "-" if led and len(current.cells) == 1 else "subslide"
        elif is_key_points(cell):
            shows_body = any(nb.cells[i].cell_type == "code" or is_key_points(nb.cells[i])
                             for i in current.cells)
            kind = "subslide" if shows_body or not current.fits(h, n) else "-"
        elif cell.cell_type == "markdown":
            if n > SHORT_PROSE or not current.fits(0, n):
                kind = "notes"
            elif widget_next or not current.fits(h + need):
                # short prose opens the next slide with the code it leads into; a remark
                # that leads nowhere and no longer fits becomes a note instead
                kind = "subslide" if follow is not None else "notes"
            else:
                kind = "-"
        elif not shows_code(cell) and not is_figure_cell(cell):
            # too tall to show with its code: a slide of its own (the static decks show its
            # output, RISE its code and output)
            kind, h = "subslide", SLIDE_HEIGHT
        else:
            kind = "-" if current.fits(h) else "subslide"
        if kind in ("slide", "subslide"):
            slides.append(Slide(kind, [index], [], h, n))
        elif kind == "notes":
            current.notes.append(index)
        else:
            current.cells.append(index)
            current.height += h
            current.words += n
        if kind != "notes":
            after_widget = is_widget_cell(cell)
        types.append(kind)
    return types, slides


def slide_types(nb) -> list[str]:
    """The slide type of each cell, from the notebook's structure only."""
    return plan(nb)[0]


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
