"""Every slide of every static deck (``make slides``), measured in Chromium as a hall sees it.

At 1280x720 and at 1024x768, each slide of each lesson's deck is shown and measured by
tools/measure_slides.py. A slide fails when anything it shows is cut (below the slide, at a
side, or inside a box) or scrolls, when it holds more than ``MAX_WORDS`` words of prose, or
when a figure is shown so small that its lettering (drawn at 14 pt or more, see
tests/test_slides.py) reads below 14 pt on the slide. The deck has the slides the notebook
plans, and the lesson's prose is in the speaker notes, which the speaker view (S) shows.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from tests._tools import load_tool
from tests.browser.conftest import ROOT

pytestmark = pytest.mark.browser


add_slides = load_tool("add_slides")
measure_slides = load_tool("measure_slides")

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
SIZES = [(1280, 720), (1024, 768)]
LECTURE_PT = 14  # the smallest lettering of a figure (notebooks/matplotlibrc)


def _words(text: str) -> str:
    """Text as its words only, lower case: markup and punctuation do not count."""
    return " ".join(re.findall(r"[a-z]+", text.lower()))


def _spoken_phrases(nb) -> list[str]:
    """From each speaker-notes cell, its longest run of plain words (no formula, no code),
    which the deck's notes must contain."""
    phrases = []
    for cell in nb.cells:
        if cell.metadata.get("slideshow", {}).get("slide_type") != "notes" \
                or cell.cell_type != "markdown":
            continue
        text = re.sub(r"`[^`]*`|\$\$.+?\$\$|\$[^$\n]+\$", "|", cell.source, flags=re.S)
        runs = [_words(run) for run in re.split(r"[|\n*_#>\[\]()]", text)]
        runs = [r for r in runs if r.count(" ") >= 3]
        if runs:
            phrases.append(max(runs, key=len))
    return phrases


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_slide_fits_holds_few_words_and_shows_figures_large(decks, page, lesson,
                                                                  size) -> None:
    nb = nbformat.read(lesson, as_version=4)
    kinds = [c.metadata.get("slideshow", {}).get("slide_type", "-") for c in nb.cells]
    slides = measure_slides.measure_deck(page, decks / f"{lesson.stem}.html", size)
    assert len(slides) == kinds.count("slide") + kinds.count("subslide")

    breaches = []
    for s in slides:
        if not s.fits:
            breaches.append(f"{s.where}: cut by {s.cut:.0f} px "
                            f"({s.overflow_bottom:.0f} px below the slide), scrolls {s.scrolls}")
        if s.prose_words > add_slides.MAX_WORDS:
            breaches.append(f"{s.where}: {s.prose_words} words of prose "
                            f"(at most {add_slides.MAX_WORDS})")
        for f in s.figures:
            assert f["dpi"], f"{s.where}: a figure without its dpi"
            seen_pt = LECTURE_PT * f["dpi"] * f["slide_px_per_image_px"] / 96
            if seen_pt < LECTURE_PT:
                breaches.append(f"{s.where}: a {f['natural_width']}x{f['natural_height']} "
                                f"figure shown at {f['slide_px_per_image_px']:.2f}: its "
                                f"{LECTURE_PT} pt lettering reads as {seen_pt:.1f} pt")
    assert not breaches, "\n".join(breaches)

    notes = _words(" ".join(s.notes_text for s in slides))
    missing = [p for p in _spoken_phrases(nb) if p not in notes]
    assert not missing, f"prose missing from the speaker notes: {missing[:3]}"


def test_the_speaker_view_shows_the_notes(decks, page) -> None:
    """A lecturer presses S: a second window shows this slide's notes, the next slide, a clock."""
    lesson = ROOT / "notebooks" / "03_softmax.ipynb"
    nb = nbformat.read(lesson, as_version=4)
    phrase = _spoken_phrases(nb)[0]
    page.set_viewport_size({"width": 1280, "height": 720})
    measure_slides.open_deck(page, decks / f"{lesson.stem}.html")
    h, v = page.evaluate(
        "(p) => { const words = (t) => (t.toLowerCase().match(/[a-z]+/g) || []).join(' ');"
        " const s = [...document.querySelectorAll('.slides section')].find("
        "  x => !x.classList.contains('stack') && x.querySelector('aside.notes') &&"
        "  words(x.querySelector('aside.notes').textContent).includes(p));"
        " const i = Reveal.getIndices(s); return [i.h, i.v || 0]; }", phrase)
    page.evaluate(f"Reveal.slide({h}, {v})")
    with page.expect_popup() as opened:
        page.keyboard.press("s")
    speaker = opened.value
    notes = speaker.locator(".speaker-controls-notes")
    notes.wait_for(state="visible", timeout=30_000)
    speaker.wait_for_function(
        "(p) => (document.querySelector('.speaker-controls-notes').textContent.toLowerCase()"
        ".match(/[a-z]+/g) || []).join(' ').includes(p)", arg=phrase, timeout=30_000)
    speaker.close()
