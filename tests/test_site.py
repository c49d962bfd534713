"""The course site (tools/build_site.py): every lesson, in order, nothing private, nothing remote.

The site is built once into a temporary folder. What it must contain is read independently
of the builder: the notebooks' own files, the solutions' answers (which must not appear),
and the widget callbacks of course_lib (whose outputs the static widget pages must show).
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from course_lib.lessons.widgets import overflow_report, temperature_report
from tests._tools import load_tool

ROOT = Path(__file__).resolve().parents[1]
build_site = load_tool("build_site")

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> dict:
    return build_site.build(ROOT, tmp_path_factory.mktemp("site") / "site")


def _pages(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def _nav(text: str, kind: str) -> list[str]:
    """The hrefs of the site's prev/next links on a page (attribute order may vary)."""
    tags = re.findall(rf'<a\s[^>]*class="{kind}"[^>]*>', text)
    return [re.search(r'href="([^"]+)"', t).group(1) for t in tags]


def _hrefs(text: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'<a\s[^>]*href="([^"]*)"', text)]


def test_a_page_per_lesson_and_exercise_in_order(site) -> None:
    out = site["out"]
    assert [p.source for p in site["lessons"]] == [
        f"notebooks/{p.name}" for p in LESSONS
    ]
    for nb in LESSONS:
        assert (out / "notebooks" / f"{nb.stem}.html").is_file()
    for nb in EXERCISES:
        assert (out / "exercises" / f"{nb.stem}.html").is_file()
    index = (out / "index.html").read_text()
    positions = [index.index(f'data-site href="notebooks/{p.stem}.html"') for p in LESSONS]
    assert positions == sorted(positions), "the home page lists the lessons in order"
    for nb in EXERCISES:
        assert f'href="exercises/{nb.stem}.html"' in index


def test_prev_next_chain_the_lessons(site) -> None:
    out = site["out"]
    for i, nb in enumerate(LESSONS):
        text = (out / "notebooks" / f"{nb.stem}.html").read_text()
        prev, nxt = _nav(text, "course-prev"), _nav(text, "course-next")
        assert prev == ([f"../notebooks/{LESSONS[i - 1].stem}.html"] * 2 if i else [])
        assert nxt == ([f"../notebooks/{LESSONS[i + 1].stem}.html"] * 2
                       if i + 1 < len(LESSONS) else [])


def test_every_relative_link_and_anchor_resolves(site) -> None:
    out = site["out"]
    ids: dict[Path, set[str]] = {}
    for page in _pages(out):
        for href in _hrefs(page.read_text()):
            parts = urlsplit(href)
            if parts.scheme or href.startswith("//"):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            assert target.is_file(), f"{page.relative_to(out)}: broken link {href}"
            assert out.resolve() in target.parents, f"link leaves the site: {href}"
            if parts.fragment:
                if target not in ids:
                    ids[target] = set(re.findall(r'\sid="([^"]+)"', target.read_text()))
                # a browser tries the fragment as written, then percent-decoded
                names = {html.unescape(i) for i in ids[target]}
                assert parts.fragment in names or unquote(parts.fragment) in names, (
                    f"{page.relative_to(out)}: no anchor for {href}")


def test_nothing_is_fetched_from_the_network(site) -> None:
    for page in _pages(site["out"]):
        text = page.read_text()
        remote = re.findall(r'<(?:script|link|img|iframe)\b[^>]*(?:src|href)="(https?:)?//', text)
        assert not remote, f"{page.name} loads something remote"
        assert "application/vnd.jupyter.widget" not in text
        assert "require.js" not in text and "require.min.js" not in text
    assert (site["out"] / "static" / "mathjax" / "MathJax.js").is_file()


def test_solutions_are_never_published(site) -> None:
    assert not list(site["out"].rglob("solutions*")), "a solutions page or folder"
    text = "\n".join(p.read_text() for p in _pages(site["out"]))
    assert "BEGIN SOLUTION" not in text
    answers = []
    for path in SOLUTIONS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for m in re.finditer(r"# BEGIN SOLUTION\n(.*?)# END SOLUTION", cell.source, re.S):
                answers += [ln.strip() for ln in m.group(1).splitlines() if len(ln.strip()) > 25]
    assert answers, "the solutions hold answers between markers"
    leaked = [a for a in answers if html.escape(a) in text or a in text]
    assert not leaked, f"solution lines on the site: {leaked[:3]}"


def test_widgets_show_their_starting_values_and_how_to_run_them(site) -> None:
    out = site["out"]
    soft = (out / "notebooks" / "03_softmax.html").read_text()
    stab = (out / "notebooks" / "04_numerical_stability.html").read_text()
    for text, report in ((soft, temperature_report([1, 3, 2], 1.0)),
                         (stab, overflow_report(10.0, "float32"))):
        assert "course-widget-note" in text and "make lab" in text
        note_at = text.index("course-widget-note")
        for line in report.splitlines():
            assert html.escape(line) in text[note_at:], f"missing widget line {line!r}"
        assert "data:image/png;base64" in text[note_at: note_at + 20000], "the widget's figure"
    assert "T = 1.0" in soft and "dtype = float32" in stab  # the starting values named


def test_new_lessons_are_picked_up_without_edits(tmp_path) -> None:
    root = tmp_path / "course"
    (root / "notebooks").mkdir(parents=True)
    (root / "exercises").mkdir()
    (root / "solutions").mkdir()
    for nb in LESSONS[:2]:
        shutil.copy(nb, root / "notebooks")
    new = nbformat.read(LESSONS[1], as_version=4)
    new.cells[0].source = "# 08 · A new lesson\n\nYou will be able to read it."
    nbformat.write(new, root / "notebooks" / "08_new_lesson.ipynb")
    nbformat.write(new, root / "solutions" / "ex08_secret.ipynb")
    result = build_site.build(root, tmp_path / "site")
    assert [p.target for p in result["lessons"]] == [
        f"notebooks/{LESSONS[0].stem}.html", f"notebooks/{LESSONS[1].stem}.html",
        "notebooks/08_new_lesson.html",
    ]
    page = (tmp_path / "site" / "notebooks" / f"{LESSONS[1].stem}.html").read_text()
    assert _nav(page, "course-next") == ["../notebooks/08_new_lesson.html"] * 2
    assert "08 · A new lesson" in (tmp_path / "site" / "index.html").read_text()
    assert not list((tmp_path / "site").rglob("*secret*"))


def test_links_to_unpublished_files_are_unwrapped() -> None:
    page = build_site.Page("notebooks/01_max.ipynb", "notebooks/01_max.html", "t", "")
    published = {"notebooks/02_x.ipynb": "notebooks/02_x.html",
                 "exercises/ex01.ipynb": "exercises/ex01.html"}
    dropped: list[str] = []
    out = build_site.rewrite_links(
        '<a href="02_x.ipynb#A-b">next</a> <a href="../exercises/ex01.ipynb">ex</a> '
        '<a href="../solutions/ex01.ipynb">answers</a> <a href="https://numpy.org">np</a> '
        '<a href="#top">top</a>',
        page, published, dropped,
    )
    assert '<a href="02_x.html#A-b">next</a>' in out
    assert '<a href="../exercises/ex01.html">ex</a>' in out
    assert "solutions" not in out.replace('title="solutions/ex01.ipynb"', "")
    assert ">answers</span>" in out
    assert '<a href="https://numpy.org">np</a>' in out and '<a href="#top">top</a>' in out
    assert dropped == ["notebooks/01_max.ipynb -> ../solutions/ex01.ipynb"]


@pytest.fixture(scope="module")
def decks(tmp_path_factory) -> dict:
    try:
        return build_site.build_slides(ROOT, tmp_path_factory.mktemp("slides") / "slides")
    except build_site.SlidesUnavailable as exc:
        pytest.skip(f"STATIC SLIDES NOT BUILT: {exc}")


def test_a_deck_per_lesson_cut_where_the_metadata_says(decks) -> None:
    out = decks["out"]
    assert [p.target for p in decks["decks"]] == [f"{p.stem}.html" for p in LESSONS]
    for path in LESSONS:
        nb = nbformat.read(path, as_version=4)
        kinds = [c.metadata.get("slideshow", {}).get("slide_type", "-") for c in nb.cells]
        text = (out / f"{path.stem}.html").read_text()
        # reveal.js nests: a slide is an outer <section> holding its first step's <section>,
        # and each subslide adds one more step
        assert text.count("<section") == 2 * kinds.count("slide") + kinds.count("subslide")
        remote = re.findall(r'<(?:script|link|img)\b[^>]*(?:src|href)="(https?:)?//', text)
        assert not remote, f"{path.name} deck loads something remote"
        assert "application/vnd.jupyter.widget" not in text
    for part in ("reveal.js/dist/reveal.js", "reveal.js/dist/reveal.css",
                 "reveal.js/plugin/notes/notes.js", "static/mathjax/MathJax.js"):
        assert (out / part).is_file(), part
