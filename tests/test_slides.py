"""RISE slide boundaries: set from each lesson's structure by tools/add_slides.py, never stale.

The rules are checked on small notebooks made here, and every committed lesson must carry
exactly the boundaries the tool computes (run ``python tools/add_slides.py`` after editing).
"""

from __future__ import annotations

import copy
import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
_spec = importlib.util.spec_from_file_location("add_slides", ROOT / "tools" / "add_slides.py")
add_slides = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(add_slides)


def _types(nb) -> list[str]:
    return [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]


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
        new_markdown_cell("# 09 · A lesson\n\nYou will be able to do it."),
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
        "skip",  # navigation bar
        "-",  # the imports stay on the title slide
        "slide",  # ## heading
        "-",
        "subslide",  # ### heading
        "-",
        "subslide",  # the widget, on its own
        "subslide",  # what follows the widget starts afresh
        "slide",  # ## heading
        "skip",
    ]


def test_a_long_section_is_cut_at_prose_and_code_stays_with_its_prose() -> None:
    long_md = "\n".join(f"line {i}" for i in range(15))
    nb = new_notebook(cells=[
        new_markdown_cell("## 1. Long"),
        new_markdown_cell(long_md),
        new_markdown_cell(long_md),  # over the budget: a new subslide
        new_code_cell("\n".join(f"y{i} = {i}" for i in range(15)), execution_count=1),
    ])
    assert add_slides.slide_types(nb) == ["slide", "-", "subslide", "-"]


def test_a_figure_counts_for_many_lines() -> None:
    def fig():
        cell = new_code_cell("plot()", execution_count=1)
        cell.outputs = [new_output("display_data", data={"image/png": "iVBOR", "text/plain": "F"})]
        return cell

    assert add_slides.weight(fig()) >= add_slides.FIGURE_LINES
    nb = new_notebook(cells=[new_markdown_cell("## A"), fig(), new_markdown_cell("Then."), fig()])
    types = add_slides.slide_types(nb)
    assert types[:2] == ["slide", "-"]
    assert "subslide" in types[2:], "two figures do not share one slide"


def test_apply_is_idempotent_and_touches_only_slide_metadata() -> None:
    nb = _lesson()
    nb.cells[4].metadata["tags"] = ["keep-me"]
    nb.cells[4].outputs = [new_output("execute_result", data={"text/plain": "1"},
                                      execution_count=2)]
    before = copy.deepcopy(nb)
    assert add_slides.apply(nb) is True
    assert add_slides.apply(nb) is False  # a second run changes nothing
    assert nb.cells[4].metadata["tags"] == ["keep-me"]
    for old, new in zip(before.cells, nb.cells, strict=True):
        assert old.source == new.source
        assert old.get("outputs") == new.get("outputs")
    assert nb.metadata["rise"]["scroll"] is True


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
            assert "<!--NAVIGATION-->" in cell.source, "only navigation bars are hidden"
        if add_slides.is_widget_cell(cell):
            assert kind in {"slide", "subslide"}, "a widget gets a slide of its own"


def test_slides_are_up_to_date() -> None:
    """Fails when a lesson was edited (or added) without re-running tools/add_slides.py."""
    before = {p: p.read_bytes() for p in LESSONS}
    try:
        subprocess.run([sys.executable, str(ROOT / "tools" / "add_slides.py")], check=True,
                       capture_output=True)
        changed = [p.name for p in LESSONS if p.read_bytes() != before[p]]
    finally:
        for p, data in before.items():
            p.write_bytes(data)
    assert not changed, f"run python tools/add_slides.py: {changed}"
