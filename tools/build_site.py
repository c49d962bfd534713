"""Build the course site: a static folder of HTML pages that reads anywhere, no server needed.

    python tools/build_site.py [--out build/site]
    python tools/build_site.py --slides [--out build/slides]

Every lesson ``notebooks/NN_*.ipynb`` found at build time becomes a page, in order, with its
committed outputs (nothing is re-executed), and every exercise stub in ``exercises/`` becomes
a page too; ``solutions/`` is never read. Pages are rendered by nbconvert (the ``lab``
template, extended by ``tools/site_template/course``) and link to each other with relative
links, so the folder can be opened from disk or copied to any static host as it is.

Nothing is fetched at view time: MathJax comes from the ``jupyter-server-mathjax`` package
and is copied into ``static/mathjax`` (SVG output, so no web fonts are loaded), figures are
embedded in the pages, and no require.js, widget or diagram script is loaded. A live widget
cannot run without a kernel: its page shows what the widget showed at its starting values
(the outputs stored in the notebook's widget state) and says how to run it live.
"""

from __future__ import annotations

import argparse
import copy
import html
import importlib.util
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course_lib.lessons.deploy import badges_as_text, is_setup_cell

ROOT = Path(__file__).resolve().parents[1]

TEMPLATES = Path(__file__).resolve().parent / "site_template"
COURSE_TITLE = "From max to cross-entropy"
NAV_MARKER = "<!--NAVIGATION-->"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# The parts of MathJax 2 the pages use: TeX in, HTML-CSS out with the STIX-Web fonts.
MATHJAX_PARTS = ("MathJax.js", "LICENSE", "config/TeX-AMS-MML_HTMLorMML-full.js", "extensions",
                 "jax/input/TeX", "jax/element", "jax/output/HTML-CSS",
                 "fonts/HTML-CSS/STIX-Web/woff")
MATHJAX_SKIP = ("a11y",)  # the accessibility menu, 3.7 MB, is never loaded (menu off)
# Static slide decks (``--slides``) need reveal.js, which is on the npm registry only: it is
# fetched once at build time with ``npm pack`` (no install, no dependencies) and served
# from the decks' folder.
REVEAL_VERSION = "4.6.1"
DECK_WIDTH, DECK_HEIGHT = 1280, 720  # a slide's size in its own pixels (16:9), scaled to fit
LIVE_HINT = ("run the lesson in JupyterLab: <code>make lab</code> in the course folder, "
             "then open <code>{path}</code> and run all cells")


def _load_tool(name: str):
    """A sibling script of tools/ as a module (tools/ is not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


add_slides = _load_tool("add_slides")  # the slide rules: which cell is a figure, a note


@dataclass
class Page:
    """One notebook of the site: where it comes from and where it goes."""

    source: str  # repo-relative path of the notebook, e.g. notebooks/03_softmax.ipynb
    target: str  # site-relative path of the page, e.g. notebooks/03_softmax.html
    title: str
    summary: str

    @property
    def depth(self) -> int:
        return self.target.count("/")


def lesson_sources(root: Path) -> list[Path]:
    """Every lesson present now, in order: notebooks/NN_*.ipynb (06b_* after 06_*)."""
    return sorted((root / "notebooks").glob("[0-9][0-9]*_*.ipynb"))


def exercise_sources(root: Path) -> list[Path]:
    """The exercise stubs (generated from solutions/, which stays private)."""
    return sorted((root / "exercises").glob("*.ipynb"))


def title_of(nb, fallback: str) -> str:
    """The text of the notebook's first heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#{1,2}\s+(.+?)\s*$", cell.source, re.M)
            if m:
                return re.sub(r"[`*_]", "", m.group(1))  # plain text: no markdown marks
    return fallback


def summary_of(nb) -> str:
    """The first sentence that says what the learner will be able to do, else the first prose."""
    for cell in nb.cells:
        if cell.cell_type != "markdown" or NAV_MARKER in cell.source:
            continue
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", cell.source)]
        prose = [p for p in paragraphs if p and not p.startswith(("#", "|", "-", "*", "<"))]
        for p in prose:
            if "will be able to" in p:
                return " ".join(p.split())
        if prose:
            return " ".join(prose[0].split())
    return ""


def _control_states(state: dict, model_id: str, seen: set[str]) -> tuple[list[str], list]:
    """Labels of the controls and the outputs of the Output widgets below one model."""
    if model_id in seen or model_id not in state:
        return [], []
    seen.add(model_id)
    model = state[model_id]
    s = model.get("state", {})
    labels, outputs = [], []
    name = model.get("model_name", "")
    if name == "OutputModel":
        outputs.extend(s.get("outputs", []))
    elif s.get("description") and "value" in s and name != "ButtonModel":
        labels.append(f"{s['description']} = {s['value']}")
    elif s.get("description") and "_options_labels" in s and s.get("index") is not None:
        labels.append(f"{s['description']} = {s['_options_labels'][s['index']]}")
    for child in s.get("children", []):
        if isinstance(child, str) and child.startswith("IPY_MODEL_"):
            sub_labels, sub_outputs = _control_states(state, child[len("IPY_MODEL_"):], seen)
            labels += sub_labels
            outputs += sub_outputs
    return labels, outputs


def staticize_widgets(nb, source: str) -> int:
    """Replace each live widget output by what it showed at its starting values.

    The notebook's stored widget state holds the Output widget's outputs as they were when
    the lesson was executed with the controls at their starting values: those are shown,
    below a note naming the starting values and how to run the widget live.
    Returns the number of widgets replaced.
    """
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        new_outputs = []
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                new_outputs.append(out)
                continue
            count += 1
            labels, captured = _control_states(state, view.get("model_id", ""), set())
            start = (f" at its starting values ({html.escape(', '.join(labels))})"
                     if labels else " at its starting values")
            shown = "Below is what it shows" + start if captured else (
                "Its output was not stored with the notebook")
            note = (
                '<div class="course-widget-note"><strong>A live widget.</strong> '
                f"{shown}. To move its controls, {LIVE_HINT.format(path=source)}.</div>"
            )
            new_outputs.append(nbformat.v4.new_output(
                "display_data", data={"text/html": note, "text/plain": "live widget"}
            ))
            new_outputs.extend(nbformat.from_dict(o) for o in captured)
        cell.outputs = new_outputs
    nb.metadata.pop("widgets", None)
    return count


_LINK = re.compile(r'<a\s([^>]*?)href="([^"]*)"([^>]*)>(.*?)</a>', re.S)


def rewrite_links(page_html: str, page: Page, published: dict[str, str],
                  dropped: list[str]) -> str:
    """Point links between notebooks at their pages; unwrap links to what is not published.

    ``published`` maps a repo path (``notebooks/01_max.ipynb``) to its page's site path.
    A relative link to anything else (``solutions/``, a source file) cannot work on the site:
    it is unwrapped to its text and recorded in ``dropped``.
    """
    here = posixpath.dirname(page.source)
    site_here = posixpath.dirname(page.target)

    def fix(m: re.Match) -> str:
        before, href, after, text = m.groups()
        if "data-site" in before + after or not href or href.startswith(
            ("#", "http://", "https://", "mailto:", "data:")
        ):
            return m.group(0)
        path, _, fragment = href.partition("#")
        repo_path = posixpath.normpath(posixpath.join(here, html.unescape(path)))
        if repo_path in published:
            new = posixpath.relpath(published[repo_path], site_here or ".")
            new += f"#{fragment}" if fragment else ""
            return f'<a {before}href="{html.escape(new)}"{after}>{text}</a>'
        dropped.append(f"{page.source} -> {href}")
        return f'<span class="course-unpublished" title="{html.escape(repo_path)}">{text}</span>'

    return _LINK.sub(fix, page_html)


def _exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="course",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


def write_notebook_css(target: Path) -> None:
    """nbconvert's JupyterLab style (light theme), once for the whole site."""
    from jupyter_core.paths import jupyter_path

    for folder in map(Path, jupyter_path("nbconvert", "templates", "lab", "static")):
        if (folder / "index.css").is_file():
            target.write_text((folder / "index.css").read_text(encoding="utf-8") + "\n"
                              + (folder / "theme-light.css").read_text(encoding="utf-8"),
                              encoding="utf-8")
            return
    raise FileNotFoundError("nbconvert's lab template style (lab/static/index.css) not found")


def copy_mathjax(static: Path) -> None:
    import jupyter_server_mathjax

    src = Path(jupyter_server_mathjax.__file__).parent / "static"
    dest = static / "mathjax"
    for part in MATHJAX_PARTS:
        s, d = src / part, dest / part
        d.parent.mkdir(parents=True, exist_ok=True)
        if s.is_dir():
            shutil.copytree(s, d, ignore=shutil.ignore_patterns(*MATHJAX_SKIP))
        else:
            shutil.copy2(s, d)


def _prepare(nb, page: Page) -> int:
    # The setup cell only matters where the code runs; the launch badges become plain links
    # (a page loads no image from elsewhere).
    nb.cells = [c for c in nb.cells if NAV_MARKER not in c.source and not is_setup_cell(c)]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = badges_as_text(cell.source)
    return staticize_widgets(nb, page.source)


def _inline_markdown(text: str) -> str:
    """A lesson's summary paragraph as HTML (code spans, emphasis), raw HTML escaped."""
    import mistune

    return mistune.create_markdown(escape=True)(text).strip()


def _index_html(lessons: list[Page], exercises: list[Page], published: dict[str, str],
                dropped: list[str]) -> str:
    def summary(p: Page) -> str:
        # links in a summary are written from the notebook's folder: point them from the root
        at_root = Page(p.source, "index.html", p.title, p.summary)
        return rewrite_links(_inline_markdown(p.summary), at_root, published, dropped)

    def rows(pages: list[Page]) -> str:
        return "\n".join(
            f'<li><a data-site href="{html.escape(p.target)}">{html.escape(p.title)}</a>'
            + (summary(p) if p.summary else "") + "</li>"
            for p in pages
        )

    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{COURSE_TITLE}</title>
<link rel="stylesheet" href="static/site.css">
<link rel="stylesheet" href="static/readable.css">
</head>
<body class="course-index">
<a class="course-skip" href="#content">Skip to the content</a>
<main id="content" tabindex="-1">
<h1>{COURSE_TITLE}</h1>
<p>An interactive course that walks from <code>max</code> to <code>argmax</code> to
<code>softmax</code> to cross-entropy, and on to training a classifier, with NumPy you can
read. These pages show each lesson as it was run, outputs and figures included: read them
anywhere. To run the code, move the sliders and solve the exercises, follow the
"Open in Colab" or "Launch Binder" link at the top of a page (nothing to install), or
install the course and open it in JupyterLab (<code>make lab</code> in the course folder;
see its README).</p>
<h2>Lessons</h2>
<ol class="course-lessons">
{rows(lessons)}
</ol>
<h2>Exercises</h2>
<p>Each exercise notebook holds stubs to fill in and a <code>check</code> cell that tells
you which mistake your answer looks like. Solve them in JupyterLab; the solutions are not
published.</p>
<ul class="course-exercises">
{rows(exercises)}
</ul>
<h2>Widgets and slides</h2>
<p>Lessons 03 and 04 have live widgets (a temperature slider, an overflow explorer). A page
cannot run them without a Python kernel, so it shows what they show at their starting
values; run the lesson in JupyterLab to move them. An instructor can present any lesson as
slides from JupyterLab (the RISE extension is installed with the course).</p>
</main>
</body>
</html>
"""


def build(root: Path = ROOT, out: Path | None = None) -> dict:
    """Build the site into ``out`` (default ``root/build/site``); return what was built."""
    out = out or root / "build" / "site"
    start = time.perf_counter()
    if out.exists():
        shutil.rmtree(out)
    (out / "static").mkdir(parents=True)
    for css in ("site.css", "readable.css"):
        shutil.copy2(TEMPLATES / css, out / "static" / css)
    write_notebook_css(out / "static" / "notebook.css")
    copy_mathjax(out / "static")

    notebooks: dict[str, object] = {}
    lessons, exercises = [], []
    for group, sources in (("lesson", lesson_sources(root)),
                           ("exercise", exercise_sources(root))):
        for path in sources:
            rel = path.relative_to(root).as_posix()
            nb = nbformat.read(path, as_version=4)
            notebooks[rel] = nb
            page = Page(rel, rel[: -len(".ipynb")] + ".html", title_of(nb, path.stem),
                        summary_of(nb))
            (lessons if group == "lesson" else exercises).append(page)
    if not lessons:
        raise SystemExit(f"no lessons found in {root / 'notebooks'}")
    published = {p.source: p.target for p in lessons + exercises}

    exporter = _exporter()
    dropped: list[str] = []
    widgets = 0
    for group in (lessons, exercises):
        for i, page in enumerate(group):
            nb = copy.deepcopy(notebooks[page.source])
            widgets += _prepare(nb, page)
            root_prefix = "../" * page.depth

            def link(p: Page | None, page=page, root_prefix=root_prefix) -> dict | None:
                return p and {"href": root_prefix + p.target, "title": p.title}

            is_lesson = group is lessons
            banner = "" if is_lesson else (
                "An exercise notebook, shown with its empty stubs. Solve it in JupyterLab: "
                f"<code>make lab</code>, then open <code>{page.source}</code>."
            )
            site = {
                "root": root_prefix,
                "course_title": COURSE_TITLE,
                "prev": link(group[i - 1]) if i > 0 else None,
                "next": link(group[i + 1]) if i + 1 < len(group) else None,
                "banner": banner,
                "footer": f"This page is <code>{page.source}</code> of the course, as run. "
                          "Run it yourself with <code>make lab</code>.",
            }
            body, _ = exporter.from_notebook_node(
                nb, resources={"site": site, "metadata": {"name": page.title}}
            )
            body = rewrite_links(body, page, published, dropped)
            target = out / page.target
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")

    index = _index_html(lessons, exercises, published, dropped)
    (out / "index.html").write_text(index, encoding="utf-8")
    (out / ".nojekyll").write_text("")  # GitHub Pages: serve the folder as it is
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    return {
        "out": out, "lessons": lessons, "exercises": exercises, "widgets": widgets,
        "dropped_links": dropped, "seconds": time.perf_counter() - start, "bytes": size,
    }


class SlidesUnavailable(RuntimeError):
    """reveal.js cannot be had: npm is missing and no copy is cached."""


def fetch_reveal(dest: Path, cache: Path) -> None:
    """Put reveal.js (``dist/`` and the notes plugin) into ``dest``, from the npm registry."""
    tarball = cache / f"reveal.js-{REVEAL_VERSION}.tgz"
    if not tarball.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise SlidesUnavailable(
                "static slides need reveal.js from the npm registry, and npm is not installed "
                "(apt-get install npm); RISE in JupyterLab needs none of this"
            )
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "pack", f"reveal.js@{REVEAL_VERSION}", "--silent",
                        "--pack-destination", str(cache)], check=True, stdout=subprocess.DEVNULL)
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            name = member.name.removeprefix("package/")
            if member.isfile() and name.startswith(("dist/", "plugin/notes/", "LICENSE")) \
                    and ".." not in name.split("/") and not name.endswith(".map"):
                target = dest / name
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src:
                    target.write_bytes(src.read())


def _note_cell(source: str, outputs: list | None = None):
    """A speaker-notes cell of a deck: code (or only outputs) the audience does not see."""
    note = nbformat.v4.new_code_cell(source)
    note.outputs = outputs or []
    note.metadata["slideshow"] = {"slide_type": "notes"}
    if not source:
        note.metadata["transient"] = {"remove_source": True}
    return note


def lecture_cells(nb) -> int:
    """Shape the cells of a deck for a lecture hall; the notebook itself is not touched.

    - A figure cell shows its figure, and a cell whose code and output would not fit on one
      slide shows its output (``add_slides.shows_code``): the code follows as a speaker note.
    - A widget shown at its starting values keeps its figure on the slide; the text it
      printed moves to the speaker notes (RISE shows the live widget, text and all).

    Returns the number of notes added.
    """
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        show = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if cell.cell_type != "code" or show in ("notes", "skip"):
            continue
        if not add_slides.shows_code(cell):
            cell.metadata["transient"] = {"remove_source": True}
            cells.append(_note_cell(cell.source))
        if any("course-widget-note" in str(o.get("data", {}).get("text/html", ""))
               for o in cell.outputs):
            text = [o for o in cell.outputs if o.get("output_type") == "stream"]
            if text:
                cell.outputs = [o for o in cell.outputs if o not in text]
                cells.append(_note_cell("", text))
    added = len(cells) - len(nb.cells)
    nb.cells = cells
    return added


def build_slides(root: Path = ROOT, out: Path | None = None) -> dict:
    """Every lesson as a static reveal.js deck in ``out`` (default ``root/build/slides``).

    The cuts are the notebook's RISE metadata (tools/add_slides.py); widgets are shown at
    their starting values, as on the site. Raises SlidesUnavailable without npm.
    """
    from nbconvert import SlidesExporter

    out = out or root / "build" / "slides"
    start = time.perf_counter()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    fetch_reveal(out / "reveal.js", root / "build" / ".cache")
    copy_mathjax(out / "static")
    shutil.copy2(TEMPLATES / "course_slides" / "deck.css", out / "static" / "deck.css")
    shutil.copy2(TEMPLATES / "readable.css", out / "static" / "readable.css")
    exporter = SlidesExporter(
        template_name="course_slides",
        extra_template_basedirs=[str(TEMPLATES)],
        extra_template_paths=[str(TEMPLATES / "course")],
        reveal_url_prefix="reveal.js",
        reveal_theme="white",
        reveal_transition="none",
        reveal_scroll=False,
        reveal_width=str(DECK_WIDTH),
        reveal_height=str(DECK_HEIGHT),
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    decks = []
    for path in lesson_sources(root):
        rel = path.relative_to(root).as_posix()
        nb = nbformat.read(path, as_version=4)
        page = Page(rel, f"{path.stem}.html", title_of(nb, path.stem), summary_of(nb))
        _prepare(nb, page)
        lecture_cells(nb)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": page.title}})
        (out / page.target).write_text(body, encoding="utf-8")
        decks.append(page)
    items = "\n".join(f'<li><a href="{p.target}">{html.escape(p.title)}</a></li>' for p in decks)
    (out / "index.html").write_text(
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{COURSE_TITLE}: '
        f'slides</title></head>\n<body><main><h1>{COURSE_TITLE}: slides</h1>\n<ol start="0">\n'
        f"{items}\n</ol>\n<p>Arrow keys move; <kbd>S</kbd> opens the speaker view. To run the "
        "code and the widgets live, present from JupyterLab with RISE instead.</p>\n"
        "</main></body></html>\n", encoding="utf-8")
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    return {"out": out, "decks": decks, "seconds": time.perf_counter() - start, "bytes": size}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the course folder")
    parser.add_argument("--out", type=Path, default=None, help="default: ROOT/build/site")
    parser.add_argument("--slides", action="store_true",
                        help="build the static slide decks instead (ROOT/build/slides)")
    args = parser.parse_args(argv)
    if args.slides:
        try:
            decks = build_slides(args.root, args.out)
        except SlidesUnavailable as exc:
            raise SystemExit(f"no static slides: {exc}") from None
        print(f"slides: {len(decks['decks'])} decks, {decks['bytes'] / 1e6:.1f} MB in "
              f"{decks['seconds']:.1f} s -> {decks['out']}/index.html")
        return
    result = build(args.root, args.out)
    for link in result["dropped_links"]:
        print(f"warning: link to an unpublished file unwrapped: {link}", file=sys.stderr)
    print(
        f"site: {len(result['lessons'])} lessons, {len(result['exercises'])} exercises, "
        f"{result['widgets']} widgets shown statically, "
        f"{result['bytes'] / 1e6:.1f} MB in {result['seconds']:.1f} s -> {result['out']}/index.html"
    )


if __name__ == "__main__":
    main()
