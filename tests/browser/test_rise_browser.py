"""A lecturer presents a lesson from JupyterLab with RISE: View > Render as Reveal Slideshow.

The slideshow is cut where tools/add_slides.py put the boundaries: the first slide is the
lesson's title, the next one (a step to the right) is its first ``##`` section, whose
formula is typeset.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT
from tests.browser.jlab import open_notebook

pytestmark = pytest.mark.browser
LESSON = "notebooks/03_softmax.ipynb"


def _first_headings(path) -> tuple[str, str]:
    """The lesson's title and its first section heading, read from the notebook itself."""
    nb = nbformat.read(path, as_version=4)
    heads = [m.group(2) for c in nb.cells if c.cell_type == "markdown"
             for m in [re.match(r"(#+)\s+(.+)", c.source)] if m]
    title = heads[0]
    section = next(h for c in nb.cells if c.cell_type == "markdown"
                   for h in [re.match(r"##\s+(.+)", c.source)] if h).group(1)
    return title, section


def test_rise_slideshow_shows_the_title_then_the_first_section(lab, page) -> None:
    title, section = _first_headings(ROOT / LESSON)
    open_notebook(page, lab.notebook_url(LESSON))
    page.locator(".lm-MenuBar-itemLabel:text-is('View')").click()
    page.locator(".lm-Menu-itemLabel:text-is('Render as Reveal Slideshow')").click()
    frame = page.frame_locator("iframe").first
    current = frame.locator(".reveal .slides section.present").last
    expect(current).to_be_visible(timeout=60_000)
    expect(current.locator("h1")).to_contain_text(title.split(":")[0], timeout=60_000)
    current.click()
    frame.locator("body").press("ArrowRight")
    now = frame.locator(".reveal .slides section.present").last
    expect(now.locator("h2")).to_contain_text(section, timeout=30_000)
    expect(now.locator("mjx-container").first).to_be_visible()  # its formula is typeset
