"""The course site and the static slides pass axe-core's WCAG 2.1 A and AA rules, page by page.

The site (``make site``) and the decks (``make slides``) are built once for this module and
opened from disk in Chromium; axe-core (npm, pinned in tests/browser/axe.py) is injected into
every page and must find no violation, neither of its WCAG 2.0/2.1 A/AA rules nor of the
structural checks (headings in order, landmarks, a skip link that works). Each deck is checked
twice: laid out whole (reveal.js's ``?print-pdf`` view, every slide visible at once, so each
element is checked once) and as presented (its first slide shown, the others hidden, with
reveal's controls).
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import AxeUnavailable, axe_source, describe_violations, run_axe
from tests.browser.conftest import ROOT

pytestmark = pytest.mark.browser

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
PAGES = (["index.html"] + [f"notebooks/{p.stem}.html" for p in LESSONS]
         + [f"exercises/{p.stem}.html" for p in EXERCISES])
DECKS = ["index.html"] + [f"{p.stem}.html" for p in LESSONS]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"accessibility test cannot run under CI=true: {reason}")
    pytest.skip(f"ACCESSIBILITY TESTS SKIPPED: {reason}")


@pytest.fixture(scope="module")
def axe() -> str:
    try:
        return axe_source(ROOT / "build" / ".cache")
    except AxeUnavailable as exc:
        _unavailable(str(exc))


def _assert_clean(result: dict, where: str) -> None:
    assert result["rules"] > 40, "axe ran too few rules to mean anything"
    assert not result["violations"], (
        f"axe-core {result['version']} finds WCAG violations on {where}:\n"
        + describe_violations(result))


@pytest.mark.parametrize("target", PAGES)
def test_site_page_has_no_axe_violation(site, axe, page: Page, target) -> None:
    page.goto((site / target).as_uri())
    if target != "index.html":  # typeset math is part of what is checked
        expect(page.locator("body[data-math='done']")).to_have_count(1, timeout=30_000)
    _assert_clean(run_axe(page, axe), target)


def test_axe_sees_a_violation_when_there_is_one(site, axe, page: Page) -> None:
    """The check can fail: grey code on grey and a link told by colour alone are caught."""
    page.goto((site / "notebooks" / f"{LESSONS[1].stem}.html").as_uri())
    page.add_style_tag(content=".jp-RenderedHTMLCommon a { text-decoration: none !important; "
                               "color: #333 !important } "
                               ".highlight .mi, .highlight .mf { color: #999 !important }")
    found = {v["id"] for v in run_axe(page, axe)["violations"]}
    assert {"color-contrast", "link-in-text-block"} <= found, found


def test_the_first_tab_skips_to_the_lesson(site, page: Page) -> None:
    page.goto((site / "notebooks" / f"{LESSONS[3].stem}.html").as_uri())
    page.keyboard.press("Tab")
    skip = page.locator("a.course-skip")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "the skip link is on screen when focused"
    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is inside the lesson, past the navigation
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


def test_every_formula_has_a_copy_a_screen_reader_reads(site, page: Page) -> None:
    """MathJax draws each formula for the eye and keeps a hidden MathML copy for the ear."""
    page.goto((site / "notebooks" / f"{LESSONS[3].stem}.html").as_uri())
    expect(page.locator("body[data-math='done']")).to_have_count(1, timeout=30_000)
    drawn = page.locator(".MathJax").count()
    assert drawn > 5
    assert page.locator(".MJX_Assistive_MathML > math").count() == drawn
    first = page.locator(".MJX_Assistive_MathML > math").first
    assert first.evaluate("m => m.closest('[aria-hidden=\"true\"]') === null")
    assert first.text_content().strip(), "the MathML copy holds the formula"


@pytest.mark.parametrize("target", DECKS)
def test_deck_laid_out_whole_has_no_axe_violation(decks, axe, page: Page, target) -> None:
    if target == "index.html":
        page.goto((decks / target).as_uri())
    else:
        page.goto((decks / target).as_uri() + "?print-pdf")
        expect(page.locator("body[data-reveal='ready']")).to_have_count(1, timeout=30_000)
        expect(page.locator("body[data-math='done']")).to_have_count(1, timeout=30_000)
        assert page.locator(".pdf-page").count() >= 2, "every slide laid out"
        # reveal's print view shows every slide but leaves the presenting view's "hidden"
        # marks on all but one: an artifact of the print view (the presented deck, where
        # those slides are really hidden, is checked below)
        page.evaluate("document.querySelectorAll('.reveal .slides section[aria-hidden]')"
                      ".forEach(s => { s.removeAttribute('aria-hidden'); "
                      "s.removeAttribute('hidden'); })")
    _assert_clean(run_axe(page, axe), f"slides/{target}")


@pytest.mark.parametrize("target", DECKS[1:])
def test_deck_as_presented_has_no_axe_violation(decks, axe, page: Page, target) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto((decks / target).as_uri())
    expect(page.locator("body[data-reveal='ready']")).to_have_count(1, timeout=30_000)
    expect(page.locator("body[data-math='done']")).to_have_count(1, timeout=30_000)
    _assert_clean(run_axe(page, axe), f"slides/{target}, first slide")
