"""Slides to lecture from, set from each lesson's structure by tools/add_slides.py.

The rules are checked on small notebooks made here; every committed lesson must carry
exactly the slide types the tool computes (run ``python tools/add_slides.py`` after editing)
and its planned slides must fit: at most ``MAX_WORDS`` words of prose and the height of a
1280 x 720 slide. The real decks are measured in Chromium by tests/browser/
test_slides_browser.py. The lessons' figures are drawn at 14 pt or more: notebooks/matplotlibrc
says so, matplotlib reads it there, and no figure code asks for less.
"""

from __future__ import annotations

import ast
import base64
import copy
import io
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_lib.lessons.deploy import is_setup_cell
from tests._tools import load_tool

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
add_slides = load_tool("add_slides")

LECTURE_PT = 14  # the smallest lettering a figure may have
RC_FILE = ROOT / "notebooks" / "matplotlibrc"


def _types(nb) -> list[str]:
    return [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]


def _points(text: str):
    cell = new_markdown_cell(text)
    cell.metadata["tags"] = [add_slides.KEY_POINTS_TAG]
    return cell


def _prose(n_words: int):
    return new_markdown_cell(" ".join(["word"] * n_words) + ".")


def _code(lines: int, output_lines: int = 0):
    cell = new_code_cell("\n".join(f"y{i} = {i}" for i in range(lines)), execution_count=1)
    if output_lines:
        cell.outputs = [new_output("stream", name="stdout",
                                   text="".join(f"{i}\n" for i in range(output_lines)))]
    return cell


def _png(width: int, height: int) -> str:
    """A real PNG of the given size, base64 as a notebook stores it."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _figure(width: int = 600, height: int = 350):
    cell = new_code_cell("fig, ax = plt.subplots()\nax.plot([1, 2])\nplt.show()",
                         execution_count=1)
    cell.outputs = [new_output("display_data", data={"image/png": _png(width, height),
                                                     "text/plain": "<Figure>"})]
    return cell


def _widget_cell():
    cell = new_code_cell("temperature_widget()", execution_count=3)
    cell.outputs = [new_output("display_data", data={
        "text/plain": "VBox()",
        "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2,
                                                      "version_minor": 0},
    })]
    return cell


def _lesson():
    return new_notebook(cells=[
        new_markdown_cell("# 09 · A lesson"),
        _points("- one idea\n- another idea"),
        _prose(80),  # the lesson's introduction: a note
        new_markdown_cell("<!--NAVIGATION-->\n[next](10_x.ipynb)"),
        new_code_cell("import numpy as np", execution_count=1),
        new_markdown_cell("## 1. First section\n\nSome prose."),
        new_code_cell("x = 1\nx", execution_count=2),
        new_markdown_cell("### A step inside it"),
        new_markdown_cell("Move the slider:"),
        _widget_cell(),
        new_markdown_cell("What you saw."),
        new_markdown_cell("## 2. Second section"),
        new_markdown_cell("<!--NAVIGATION-->\n[next](10_x.ipynb)"),
    ])


def test_rules_on_a_small_lesson() -> None:
    nb = _lesson()
    assert add_slides.slide_types(nb) == [
        "slide",  # title
        "-",  # its key points
        "notes",  # the introduction is spoken, not shown
        "skip",  # navigation bar
        "-",  # the imports stay on the title slide
        "slide",  # ## heading
        "-",
        "subslide",  # ### heading
        "subslide",  # the prose that leads into the widget opens the widget's slide...
        "-",  # ...and the widget shares it
        "subslide",  # what follows the widget starts afresh
        "slide",  # ## heading
        "skip",
    ]


def test_long_prose_is_a_note_of_the_slide_its_key_points_open() -> None:
    nb = new_notebook(cells=[
        new_markdown_cell("## 1. A section"),
        _code(3),
        _points("- the point of what follows"),
        _prose(add_slides.SHORT_PROSE + 1),
        _code(3),
        _prose(add_slides.SHORT_PROSE),  # short: stays on the slide
    ])
    types, slides = add_slides.plan(nb)
    assert types == ["slide", "-", "subslide", "notes", "-", "-"]
    assert [s.cells for s in slides] == [[0, 1], [2, 4, 5]]
    assert slides[1].notes == [3]


def test_key_points_after_a_heading_share_its_slide_and_never_become_notes() -> None:
    nb = new_notebook(cells=[new_markdown_cell("## 1. A section"), _points("- a\n- b")])
    assert add_slides.slide_types(nb) == ["slide", "-"]
    long_points = _points(" ".join(["word"] * 50))
    nb = new_notebook(cells=[new_markdown_cell("## 1. A section"), _code(2), long_points])
    assert add_slides.slide_types(nb)[2] == "subslide"


def test_a_slide_holds_at_most_max_words_of_prose() -> None:
    nb = new_notebook(cells=[
        new_markdown_cell("## 1. A section"),  # 3 words
        _points(" ".join(["word"] * 45)),
        _prose(add_slides.SHORT_PROSE),  # 45 + 3 + 30 > 60: spoken instead
    ])
    types, slides = add_slides.plan(nb)
    assert types == ["slide", "-", "notes"]
    assert slides[0].words == 48 <= add_slides.MAX_WORDS


def test_word_count_matches_what_a_slide_shows() -> None:
    cell = new_markdown_cell(
        "## 2. Softmax\n\n- $e^{x_i}$ over the sum, see [lesson 03](03_softmax.ipynb)\n"
        "$$\\sum_j p_j = 1$$\n| a | b |\n| --- | --- |\n<span>html</span>")
    # "2." "Softmax" formula "over" "the" "sum," "see" "lesson" "03" formula a b html
    assert add_slides.words(cell) == 13
    assert add_slides.words(_code(3)) == 0


def test_a_long_section_is_cut_where_the_slide_is_full() -> None:
    lines = int(add_slides.SLIDE_HEIGHT // add_slides.CODE_LINE) // 3
    heading, code = new_markdown_cell("## 1. Long"), _code(lines)
    assert add_slides.height(heading) + 2 * add_slides.height(code) <= add_slides.SLIDE_HEIGHT
    assert add_slides.height(heading) + 3 * add_slides.height(code) > add_slides.SLIDE_HEIGHT
    nb = new_notebook(cells=[heading] + [_code(lines) for _ in range(4)])
    types, slides = add_slides.plan(nb)
    assert types == ["slide", "-", "-", "subslide", "-"]
    assert all(s.height <= add_slides.SLIDE_HEIGHT for s in slides)


def test_short_prose_opens_the_next_slide_with_its_code_or_else_is_spoken() -> None:
    rows = int(add_slides.SLIDE_HEIGHT // add_slides.CODE_LINE)
    nb = new_notebook(cells=[new_markdown_cell("## 1. A"), _code(rows - 4),
                             new_markdown_cell("Then this:"), _code(3),
                             _code(rows - 2), new_markdown_cell("A remark.")])
    assert add_slides.slide_types(nb) == ["slide", "-", "subslide", "-", "subslide", "notes"]


def test_a_figure_shows_its_figure_and_a_too_tall_cell_its_output() -> None:
    figure = _figure(600, 350)
    assert add_slides.is_figure_cell(figure) and not add_slides.shows_code(figure)
    # the figure is planned at no less than FIGURE_MIN_SCALE of its natural height
    assert add_slides.height(figure) >= 350 * add_slides.FIGURE_MIN_SCALE
    assert add_slides.height(figure) < 350 * add_slides.FIGURE_MIN_SCALE + 30
    small = _code(10, output_lines=5)
    assert add_slides.shows_code(small)
    assert add_slides.height(small) == pytest.approx(
        add_slides.CELL_PAD + 15 * add_slides.CODE_LINE + add_slides.CODE_PAD + 4)
    rows = int(add_slides.SLIDE_HEIGHT // add_slides.CODE_LINE)
    tall = _code(rows // 2 + 2, output_lines=rows // 2 + 2)
    assert not add_slides.shows_code(tall)
    assert add_slides.height(tall) < add_slides.SLIDE_HEIGHT


def test_a_figure_with_words_is_a_figure_of_the_same_height() -> None:
    """A figure shown by plots.show: an <img> with alt text in HTML, no bare PNG."""
    png = _figure(600, 350)
    html = new_code_cell("show(fig, alt='Bars.')", execution_count=1)
    payload = png.outputs[0]["data"]["image/png"]
    html.outputs = [new_output("display_data", data={
        "text/html": f'<img src="data:image/png;base64,{payload}" alt="Bars.">',
        "text/plain": "Bars."})]
    assert add_slides.is_figure_cell(html) and not add_slides.shows_code(html)
    assert add_slides.height(html) == add_slides.height(png)


def test_two_figures_do_not_share_a_slide() -> None:
    nb = new_notebook(cells=[new_markdown_cell("## A"), _figure(900, 400),
                             new_markdown_cell("Then."), _figure(900, 400)])
    types = add_slides.slide_types(nb)
    assert types[:2] == ["slide", "-"]
    assert types[2:] == ["subslide", "-"]


def test_apply_is_idempotent_and_touches_only_slide_metadata() -> None:
    nb = _lesson()
    nb.cells[6].metadata["tags"] = ["keep-me"]
    nb.cells[6].outputs = [new_output("execute_result", data={"text/plain": "1"},
                                      execution_count=2)]
    before = copy.deepcopy(nb)
    assert add_slides.apply(nb) is True
    assert add_slides.apply(nb) is False  # a second run changes nothing
    assert nb.cells[6].metadata["tags"] == ["keep-me"]
    for old, new in zip(before.cells, nb.cells, strict=True):
        assert old.source == new.source
        assert old.get("outputs") == new.get("outputs")
    rise = nb.metadata["rise"]
    assert (rise["width"], rise["height"]) == (1280, 720) and rise["center"] is False


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_every_lesson_has_sensible_slides(path) -> None:
    nb = nbformat.read(path, as_version=4)
    types = _types(nb)
    assert all(t in {"slide", "subslide", "fragment", "-", "skip", "notes"} for t in types), types
    assert types[0] == "slide", "the title opens the deck"
    for cell, kind in zip(nb.cells, types, strict=True):
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            assert kind == "slide", f"a section heading is not a slide: {cell.source[:40]!r}"
        if kind == "skip":
            assert "<!--NAVIGATION-->" in cell.source or is_setup_cell(cell), (
                "only navigation bars and the setup cell are hidden")
        if add_slides.is_widget_cell(cell):
            assert kind in {"slide", "subslide", "-"}, "a widget is shown"
        if add_slides.is_key_points(cell):
            assert kind != "notes", f"key points are for the slide: {cell.source[:40]!r}"
            assert add_slides.words(cell) <= 45, (
                f"key points are a few short lines (at most 45 words): {cell.source[:40]!r}")
        if cell.cell_type == "code":
            assert kind != "notes", "code is shown, and runs in RISE"


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_every_planned_slide_fits_and_every_section_has_key_points(path) -> None:
    nb = nbformat.read(path, as_version=4)
    _, slides = add_slides.plan(nb)
    for slide in slides:
        first = nb.cells[slide.cells[0]].source.splitlines()[0][:50]
        assert slide.words <= add_slides.MAX_WORDS, f"{slide.words} words on {first!r}"
        assert slide.height <= add_slides.SLIDE_HEIGHT, (
            f"{first!r} is planned {slide.height:.0f} px tall; a slide has "
            f"{add_slides.SLIDE_HEIGHT}: move prose to the notes or split the cell")
    spoken = {i for s in slides for i in s.notes}
    for slide in slides:
        shown = [nb.cells[i] for i in slide.cells]
        if spoken & set(slide.notes) and not any(c.cell_type == "code" for c in shown):
            # a slide of words only: a heading or key points say what the notes explain
            assert any(add_slides.heading_level(c) or add_slides.is_key_points(c)
                       for c in shown), f"notes without a point on the slide: {slide.cells}"


def test_slides_are_up_to_date() -> None:
    """Fails when a lesson was edited (or added) without re-running tools/add_slides.py."""
    before = {p: p.read_bytes() for p in LESSONS}
    try:
        subprocess.run([sys.executable, str(ROOT / "tools" / "add_slides.py")], check=True,
                       capture_output=True)
        changed = [p.name for p in LESSONS if p.read_bytes() != before[p]]
    finally:
        for p, data in before.items():
            if p.read_bytes() != data:  # rewrite only what the tool changed: others read them
                p.write_bytes(data)
    assert not changed, f"run python tools/add_slides.py: {changed}"


# --- figures that read in a lecture hall -----------------------------------------------------

_FONT_KEYS = ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize",
              "ytick.labelsize", "legend.fontsize", "legend.title_fontsize", "figure.titlesize")


def test_the_lessons_figures_are_drawn_at_14_pt_or_more() -> None:
    """matplotlib, started in notebooks/ as every lesson kernel is, reads notebooks/matplotlibrc:
    every text size it resolves is 14 pt or more."""
    script = (
        "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "from matplotlib.font_manager import FontProperties\n"
        f"keys = {_FONT_KEYS!r}\n"
        "rc = matplotlib.rcParams\n"
        "sizes = {k: FontProperties(size=rc[k] if rc[k] is not None else rc['legend.fontsize'])"
        ".get_size_in_points() for k in keys}\n"
        "print(matplotlib.matplotlib_fname())\nprint(repr(sizes))\nprint(rc['figure.dpi'])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT / "notebooks",
                          capture_output=True, text=True, check=True)
    fname, sizes, dpi = done.stdout.strip().splitlines()
    assert (RC_FILE.parent / fname).resolve() == RC_FILE.resolve(), "the course's rc was not read"
    small = {k: v for k, v in ast.literal_eval(sizes).items() if v < LECTURE_PT}
    assert not small, f"text below {LECTURE_PT} pt: {small}"
    # FIGURE_MIN_SCALE is chosen for this dpi: 14 pt at 100 dpi, shown at 0.97 of its size,
    # is still 14 pt (18.7 px) on a 1280 x 720 slide
    assert float(dpi) == 100.0
    assert LECTURE_PT * float(dpi) / 72 * add_slides.FIGURE_MIN_SCALE >= LECTURE_PT * 4 / 3


# Calls that set a text size, and the sizes named by words (relative to font.size).
_SIZE_ARGS = {"fontsize", "labelsize", "titlesize", "size"}
_SIZE_CALLS = {"text", "annotate", "set_title", "set_xlabel", "set_ylabel", "suptitle",
               "title", "xlabel", "ylabel", "legend", "bar_label", "tick_params", "table",
               "clabel", "set_fontsize", "FontProperties"}
_SMALL_WORDS = {"xx-small", "x-small", "small", "smaller"}


def _small_text_sizes(source: str, where: str) -> list[str]:
    """Places in Python source that ask matplotlib for text smaller than LECTURE_PT."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        values = [kw.value for kw in node.keywords
                  if kw.arg in _SIZE_ARGS and (kw.arg != "size" or name in _SIZE_CALLS)]
        if name == "set_fontsize" and node.args:
            values.append(node.args[0])
        if name in ("rc", "rcParams.update") or (isinstance(func, ast.Attribute)
                                                  and func.attr == "update"
                                                  and "rcParams" in ast.unparse(func)):
            found.append(f"{where}: {ast.unparse(node)} (set sizes in notebooks/matplotlibrc)")
        for value in values:
            if isinstance(value, ast.Constant) and (
                (isinstance(value.value, int | float) and value.value < LECTURE_PT)
                or value.value in _SMALL_WORDS
            ):
                found.append(f"{where}: {ast.unparse(node)[:80]}")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript) and "rcParams" in ast.unparse(node.value) and \
                isinstance(getattr(node, "ctx", None), ast.Store):
            key = node.slice.value if isinstance(node.slice, ast.Constant) else None
            if not isinstance(key, str) or "size" in key or "font" in key:  # colours may stay
                found.append(f"{where}: {ast.unparse(node)} = ... "
                             "(set it in notebooks/matplotlibrc)")
    return found


def test_the_lint_sees_a_small_font() -> None:
    assert _small_text_sizes("ax.legend(fontsize=8)", "x")
    assert _small_text_sizes("ax.set_title('t', size='small')", "x")
    assert _small_text_sizes("plt.rcParams['font.size'] = 9", "x")
    assert _small_text_sizes("plt.rcParams[key] = 9", "x")
    assert not _small_text_sizes("plt.rcParams['axes.prop_cycle'] = cycler(color=['k'])", "x")
    assert not _small_text_sizes("ax.legend(fontsize=14)\nrng.normal(size=3)", "x")


def test_no_figure_code_asks_for_smaller_text() -> None:
    found = []
    for path in LESSONS:
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                source = re.sub(r"^\s*[%!].*$", "", cell.source, flags=re.M)  # magics
                found += _small_text_sizes(source, f"{path.name} cell {i}")
    for path in sorted((ROOT / "course_lib" / "lessons").glob("*.py")):
        found += _small_text_sizes(path.read_text(encoding="utf-8"), path.name)
    assert not found, f"figure text below {LECTURE_PT} pt (a lecture hall cannot read it): {found}"
