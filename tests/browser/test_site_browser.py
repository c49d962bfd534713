"""The built course site, opened from disk (file://) in Chromium as a reader would.

The site is built once for this module. For every page of a lesson or an exercise: it loads
with no console error, page error or failed request, asks nothing from the network, its math
is typeset by the site's own MathJax (no TeX source left visible, no MathJax error), and it
shows every figure the notebook holds. Then a reader walks the course from the home page by
the "next" links to the last lesson, and back home.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from playwright.sync_api import Page, expect

from tests._tools import load_tool
from tests.browser.conftest import ROOT

pytestmark = pytest.mark.browser
build_site = load_tool("build_site")

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
NOTEBOOKS = LESSONS + EXERCISES
MATH = re.compile(r"\$[^$\n]+\$|\$\$.+?\$\$", re.S)
RAW_TEX = re.compile(r"\\(frac|sum|log|exp|mathrm|operatorname|partial|left|right|cdot)\b")
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")


def _figures_in(out: dict) -> int:
    data = out.get("data", {})
    page = data.get("text/html", "")
    images = ("".join(page) if isinstance(page, list) else page).count("<img")
    return images or int(any(m in data for m in IMAGE_MIMES))


def _expected_figures(nb) -> int:
    """Figures the page must show: image outputs (an image, or an <img> with its words, as
    course_lib's show() displays them), and those a widget stored in its state."""
    count = sum(_figures_in(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    state = nb.metadata.get("widgets", {}).get(build_site.WIDGET_STATE, {}).get("state", {})
    for model in state.values():
        for out in model.get("state", {}).get("outputs", []) or []:
            count += _figures_in(out)
    return count


def _title(nb) -> str:
    md = next(c.source for c in nb.cells if c.cell_type == "markdown")
    return re.sub(r"[`*_]", "", re.search(r"^#{1,2}\s+(.+?)\s*$", md, re.M).group(1))


def _watch(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on("request", lambda r: r.url.startswith(("file:", "data:", "about:"))
            or problems.append(f"network: {r.url}"))
    return problems


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_page_loads_typesets_its_math_and_shows_its_figures(site, page, source) -> None:
    nb = nbformat.read(source, as_version=4)
    problems = _watch(page)
    target = site / source.parent.name / f"{source.stem}.html"
    page.goto(target.as_uri())
    expect(page.locator("body[data-math='done']")).to_have_count(1, timeout=30_000)
    expect(page.locator("h1").first).to_contain_text(_title(nb))

    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    if MATH.search(prose):
        assert page.locator(".MathJax").count() >= 1, "math in the notebook, none typeset"
        expect(page.locator(".MathJax").first).to_be_visible()
    assert page.locator(".MathJax .merror, .MathJax .noError").count() == 0, "MathJax error"
    shown = page.locator(".jp-RenderedMarkdown").all_inner_texts()
    left = [m.group(0) for t in shown for m in [RAW_TEX.search(t)] if m]
    assert not left, f"TeX left as source text: {left[:3]}"

    figures = page.locator(".jp-OutputArea-output img")
    assert figures.count() == _expected_figures(nb)
    for i in range(figures.count()):
        img = figures.nth(i)
        img.scroll_into_view_if_needed()
        expect(img).to_be_visible()
        assert img.evaluate("e => e.complete && e.naturalWidth > 0"), f"figure {i} is empty"
        alt = img.get_attribute("alt") or ""
        assert len(alt.split()) >= 8 and "No description" not in alt, f"figure {i}: {alt!r}"
    assert not problems, problems


def test_a_reader_walks_the_course_by_its_links(site, page) -> None:
    problems = _watch(page)
    page.goto((site / "index.html").as_uri())
    titles = [_title(nbformat.read(p, as_version=4)) for p in LESSONS]
    page.locator("ol.course-lessons > li > a").first.click()
    for i, title in enumerate(titles):
        expect(page.locator("h1").first).to_contain_text(title)
        assert page.url.endswith(f"notebooks/{LESSONS[i].stem}.html")
        # leave only once the page is complete (leaving aborts MathJax's own loads)
        expect(page.locator("body[data-math='done']")).to_have_count(1, timeout=30_000)
        if i + 1 < len(titles):
            page.locator("nav.course-nav-bottom a.course-next").click()
    expect(page.locator("nav.course-nav-bottom a.course-next")).to_have_count(0)
    page.locator("nav.course-nav-top a.course-prev").click()
    expect(page.locator("h1").first).to_contain_text(titles[-2])
    expect(page.locator("body[data-math='done']")).to_have_count(1, timeout=30_000)
    page.locator("nav.course-nav-top a.course-home").click()
    expect(page.locator("ol.course-lessons > li > a")).to_have_count(len(LESSONS))
    for ex in EXERCISES:  # the exercises are listed; their pages open
        expect(page.locator(f"ul.course-exercises > li > a[href='exercises/{ex.stem}.html']")
               ).to_have_count(1)
    assert not problems, problems


def test_a_widget_page_shows_the_widget_at_its_starting_values(site, page) -> None:
    from course_lib.lessons.widgets import temperature_report

    page.goto((site / "notebooks" / "03_softmax.html").as_uri())
    note = page.locator(".course-widget-note")
    expect(note).to_contain_text("make lab")
    box = page.locator(".jp-Cell", has=note)
    text = box.inner_text()
    for line in temperature_report([1, 3, 2], 1.0).splitlines():
        assert line in text
    expect(box.locator("img")).to_be_visible()


def test_a_static_deck_presents_from_disk(decks, page) -> None:
    source = ROOT / "notebooks" / "03_softmax.ipynb"
    nb = nbformat.read(source, as_version=4)
    kinds = [c.metadata.get("slideshow", {}).get("slide_type", "-") for c in nb.cells]
    section = next(c.source for c in nb.cells if c.cell_type == "markdown"
                   and c.source.startswith("## ")).splitlines()[0][3:]
    problems = _watch(page)
    page.goto((decks / f"{source.stem}.html").as_uri())
    expect(page.locator("body[data-reveal='ready']")).to_have_count(1, timeout=30_000)
    expect(page.locator("body[data-math='done']")).to_have_count(1, timeout=30_000)
    assert page.evaluate("Reveal.getTotalSlides()") == kinds.count("slide") + kinds.count(
        "subslide")
    expect(page.locator(".slides section.present h1").first).to_contain_text(_title(nb))
    page.keyboard.press("ArrowRight")
    current = page.locator(".slides section.present section.present, "
                           ".slides > section.present:not(.stack)").last
    expect(current.locator("h2")).to_contain_text(section)
    expect(current.locator(".MathJax").first).to_be_visible()
    assert not problems, problems
