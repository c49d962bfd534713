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


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z]+", text.lower()))


def test_rise_reads_in_a_hall_and_keeps_the_prose_in_the_speaker_notes(lab, page) -> None:
    """Presenting from RISE: a 1280x720 slide with lecture-size text (notebooks/rise.css), no
    plotting code over a figure, and the lesson's prose in the notes that T opens."""
    nb = nbformat.read(ROOT / LESSON, as_version=4)
    intro = next(c.source for c in nb.cells
                 if c.metadata.get("slideshow", {}).get("slide_type") == "notes")
    phrase = _words(re.sub(r"`[^`]*`|\$[^$]+\$", "|", intro).split("|")[0])
    phrase = " ".join(phrase.split()[:6])
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{lab.url}/rise/{LESSON}?token={lab.token}")
    slide = page.locator(".reveal .slides section.present").last
    expect(slide.locator("h1")).to_be_visible(timeout=60_000)
    assert page.evaluate("() => getComputedStyle(document.querySelector('.reveal .slides'))"
                         ".width") == "1280px"
    point = slide.locator(".jp-RenderedMarkdown li").first
    expect(point).to_be_visible()
    size = float(point.evaluate("e => getComputedStyle(e).fontSize").removesuffix("px"))
    assert size >= 24, f"body text of {size} px on a 1280 x 720 slide is too small for a hall"
    hidden = page.evaluate(
        "() => [...document.querySelectorAll('.reveal .jp-CodeCell')]"
        ".filter(c => c.querySelector('.jp-OutputArea-output img')"
        " && !c.querySelector('.widget-output'))"
        ".map(c => getComputedStyle(c.querySelector('.jp-Cell-inputWrapper')).display)")
    assert hidden and set(hidden) == {"none"}, "a figure's code is shown over it"
    assert phrase in _words(slide.locator("aside.notes").first.text_content())

    slide.locator(".jp-Cell").last.click()
    page.keyboard.press("Escape")  # command mode, where T opens the speaker notes
    with page.expect_popup() as opened:
        page.keyboard.press("t")
    speaker = opened.value
    speaker.wait_for_function(
        "(p) => { const n = document.querySelector('.speaker-controls-notes');"
        " const words = n ? n.textContent.toLowerCase().match(/[a-z]+/g) || [] : [];"
        " return words.join(' ').includes(p); }",
        arg=phrase, timeout=30_000)
    speaker.close()
