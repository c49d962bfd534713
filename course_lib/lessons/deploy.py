"""The course away from this folder: Colab, Binder and a JupyterHub.

Every lesson and exercise notebook carries two generated things, found again by their
markers, so regenerating them changes nothing:

- **badges** under its title: "Open in Colab" and "Launch Binder", both built from the
  repository named once in ``pyproject.toml`` (``[tool.course]``);
- a **setup cell** before its first code cell. Where ``course_lib`` imports (after
  ``make lab``, on Binder, on a hub whose image has it) the cell does nothing. Elsewhere
  (Colab, a bare hub) it installs ``course_lib`` with pip, from the requirement in the
  environment variable ``COURSE_LIB_SPEC`` when that is set (the tests point it at a
  wheel), else from the repository, and says so in one line.

The notebooks never reach into the repository's folders, so each one runs alone.

Command line (from the repository's root; ``make launch-cells`` and ``make hub-link`` call
it)::

    python -m course_lib.lessons.deploy cells            # badges, setup cells: notebooks/
                                                         # (and lesson 00's in README.md)
    python -m course_lib.lessons.deploy urls NOTEBOOK    # its Colab and Binder addresses
    python -m course_lib.lessons.deploy student-branch   # `student`: notebooks/, exercises/
    python -m course_lib.lessons.deploy hub-link HUB_URL # the JupyterHub's nbgitpuller link

``exercises/`` gets its badges and setup cells from the exercise generator
(:mod:`course_lib.grading.build_exercises`), which calls :func:`add_launch_cells`.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
BADGE_MARKER = "<!--LAUNCH-->"
SETUP_MARKER = "# Course setup:"
SETUP_ID = "course-setup"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
# The leading cells that stay above the setup cell: the navigation bar of a lesson
# (tools/add_navigation.py) and the "generated" banner of an exercise notebook.
LEADING_MARKERS = ("<!--NAVIGATION-->", "<!--GENERATED-->")
STUDENT_BRANCH = "student"
STUDENT_FOLDERS = ("notebooks", "exercises")  # never solutions/
HUB_FOLDER = "max-to-cross-entropy"  # the folder nbgitpuller makes in each student's home
FIRST_LESSON = "notebooks/00_start_here.ipynb"


@dataclass(frozen=True)
class Course:
    """Where the course is published: a GitHub repository and the branch learners use.

    >>> course = Course("https://github.com/ada/course")
    >>> course.colab_url("notebooks/03_softmax.ipynb")
    'https://colab.research.google.com/github/ada/course/blob/main/notebooks/03_softmax.ipynb'
    >>> course.binder_url("notebooks/03_softmax.ipynb")
    'https://mybinder.org/v2/gh/ada/course/main?labpath=notebooks%2F03_softmax.ipynb'
    >>> course.install_spec
    'course_lib @ git+https://github.com/ada/course@main'
    """

    repository: str
    branch: str = "main"

    def __post_init__(self) -> None:
        parts = urlsplit(self.repository)
        path = [p for p in parts.path.split("/") if p]
        if parts.scheme != "https" or parts.netloc != "github.com" or len(path) != 2:
            raise ValueError(
                f"[tool.course] repository must be https://github.com/OWNER/NAME, not "
                f"{self.repository!r}: Colab opens notebooks from GitHub only"
            )
        if not re.fullmatch(r"[A-Za-z0-9._/-]+", self.branch):
            raise ValueError(f"[tool.course] branch {self.branch!r} is not a branch name")

    @classmethod
    def from_pyproject(cls, pyproject: Path = ROOT / "pyproject.toml") -> Course:
        """The course named in ``pyproject.toml``'s ``[tool.course]`` table."""
        table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
        config = table.get("course")
        if not config or "repository" not in config:
            raise SystemExit(f"{pyproject} has no [tool.course] repository = ...")
        return cls(config["repository"].rstrip("/"), config.get("branch", "main"))

    @property
    def slug(self) -> str:
        """``OWNER/NAME`` of the GitHub repository."""
        return urlsplit(self.repository).path.strip("/").removesuffix(".git")

    @property
    def install_spec(self) -> str:
        """The pip requirement that installs ``course_lib`` from the repository."""
        return f"course_lib @ git+{self.repository}@{self.branch}"

    def colab_url(self, notebook: str) -> str:
        """Open ``notebook`` (a path inside the repository) in Google Colab."""
        return f"https://colab.research.google.com/github/{self.slug}/blob/{self.branch}/{notebook}"

    def binder_url(self, notebook: str) -> str:
        """Build the repository on mybinder.org and open ``notebook`` in JupyterLab."""
        return (f"https://mybinder.org/v2/gh/{self.slug}/{self.branch}"
                f"?labpath={quote(notebook, safe='')}")

    def badges(self, notebook: str) -> str:
        """The marked badge line for ``notebook``, as markdown (images with alt text)."""
        return (f"{BADGE_MARKER}\n"
                f"[![Open in Colab]({COLAB_BADGE})]({self.colab_url(notebook)}) "
                f"[![Launch Binder]({BINDER_BADGE})]({self.binder_url(notebook)})")

    def setup_source(self) -> str:
        """The source of the setup cell (see the module's docstring)."""
        return f'''{SETUP_MARKER} where course_lib is missing (Colab, a JupyterHub), install it with
# pip (under a minute) and say so; where it is installed (make lab, Binder), do nothing.
import importlib.util
import os
import site
import subprocess
import sys

if importlib.util.find_spec("course_lib") is None:
    source = os.environ.get("COURSE_LIB_SPEC", "{self.install_spec}")
    print(f"Installing course_lib from {{source}}")
    subprocess.run([sys.executable, "-m", "pip", "install", "-qq", source], check=True)
    site.addsitedir(site.getusersitepackages())  # where pip installs if it may not write elsewhere
    importlib.invalidate_caches()'''

    def hub_link(self, hub: str, notebook: str = FIRST_LESSON,
                 branch: str = STUDENT_BRANCH, folder: str = HUB_FOLDER) -> str:
        """The nbgitpuller link that puts the ``student`` branch in each student's home.

        ``hub`` is the JupyterHub's address; the parameters are nbgitpuller's (``repo``,
        ``branch``, ``targetPath``, ``urlpath``). The first click clones the branch into
        ``~/<folder>``, later clicks merge new commits without touching the student's
        changes; JupyterLab then opens ``notebook``.

        >>> Course("https://github.com/ada/course").hub_link("https://hub.example.edu")
        'https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fada%2Fcourse&branch=student&targetPath=max-to-cross-entropy&urlpath=lab%2Ftree%2Fmax-to-cross-entropy%2Fnotebooks%2F00_start_here.ipynb'
        """
        parts = urlsplit(hub)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError(f"the hub's address must look like https://hub.example.edu, "
                             f"not {hub!r}")
        if not notebook.startswith(tuple(f"{f}/" for f in STUDENT_FOLDERS)):
            raise ValueError(f"{notebook!r} is not on the student branch "
                             f"(only {', '.join(STUDENT_FOLDERS)} are)")
        query = urlencode({"repo": self.repository, "branch": branch, "targetPath": folder,
                           "urlpath": f"lab/tree/{folder}/{notebook}"}, quote_via=quote)
        return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def notebook_path(path: Path, root: Path = ROOT) -> str:
    """The path of a notebook inside the repository, with forward slashes."""
    return path.resolve().relative_to(root.resolve()).as_posix()


def add_launch_cells(nb: Any, notebook: str, course: Course) -> Any:
    """Put the badges under the title of ``nb`` and the setup cell before its code.

    ``notebook`` is the notebook's path in the repository (it is what the badges open).
    Earlier badges and setup cells are replaced, so running this twice changes nothing.
    Returns ``nb``, changed in place.
    """
    import nbformat

    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first is None:
        raise ValueError(f"{notebook}: no markdown cell to put the badges in")
    first.source = with_badges(first.source, course.badges(notebook))

    cells = [c for c in nb.cells if c.get("id") != SETUP_ID]
    at = cells.index(first) + 1
    while at < len(cells) and cells[at].cell_type == "markdown" and any(
            m in cells[at].source for m in LEADING_MARKERS):
        at += 1
    setup = nbformat.v4.new_code_cell(course.setup_source())
    setup.id = SETUP_ID
    setup.metadata["slideshow"] = {"slide_type": "skip"}  # never on a slide (add_slides.py)
    old = next((c for c in nb.cells if c.get("id") == SETUP_ID), None)
    if old is not None and old.source == setup.source:
        setup = old  # keep its outputs and execution count: nothing changed
    nb.cells = cells[:at] + [setup] + cells[at:]
    return nb


def with_badges(markdown: str, badges: str) -> str:
    """``markdown`` with ``badges`` right under its first line (the title), once.

    >>> print(with_badges("# Title\\n\\nText.", "<!--LAUNCH-->\\n[b](u)"))
    # Title
    <BLANKLINE>
    <!--LAUNCH-->
    [b](u)
    <BLANKLINE>
    Text.
    """
    title, _, rest = without_badges(markdown).partition("\n")
    rest = rest.lstrip("\n")
    return f"{title}\n\n{badges}\n\n{rest}".rstrip("\n")


def without_badges(markdown: str) -> str:
    """``markdown`` with the marked badge line (and the blank line after it) removed."""
    return re.sub(rf"\n*{re.escape(BADGE_MARKER)}\n[^\n]*\n*", "\n\n", markdown).strip("\n")


def badges_as_text(markdown: str) -> str:
    """The badges turned into plain links, for pages that load no image from elsewhere.

    >>> badges_as_text("<!--LAUNCH-->\\n[![Open in Colab](https://x/b.svg)](https://c)")
    '<!--LAUNCH-->\\n[Open in Colab](https://c)'
    """
    def plain(m: re.Match) -> str:
        line = re.sub(r"\[!\[([^\]]*)\]\([^)]*\)\]\(([^)]*)\)", r"[\1](\2)", m.group(2))
        return m.group(1) + line.replace(") [", ") · [")

    return re.sub(rf"({re.escape(BADGE_MARKER)}\n)([^\n]*)", plain, markdown)


def is_setup_cell(cell: Any) -> bool:
    """True for the generated setup cell."""
    return cell.get("id") == SETUP_ID or cell.get("source", "").startswith(SETUP_MARKER)


def lesson_paths(root: Path = ROOT) -> list[Path]:
    """Every lesson notebook: ``notebooks/NN_*.ipynb`` (and ``NNb_*``, which sorts after NN)."""
    return sorted((root / "notebooks").glob("[0-9][0-9]*_*.ipynb"))


def write_lesson_cells(root: Path = ROOT, course: Course | None = None) -> list[Path]:
    """Regenerate badges and setup cells of every lesson; return the notebooks changed."""
    import nbformat

    course = course or Course.from_pyproject(root / "pyproject.toml")
    changed = []
    for path in lesson_paths(root):
        before = path.read_text(encoding="utf-8")
        nb = add_launch_cells(nbformat.reads(before, as_version=4), notebook_path(path, root),
                              course)
        after = nbformat.writes(nb) + "\n"
        if after != before:
            _replace(path, after)
            changed.append(path)
    return changed


def write_readme_badges(root: Path = ROOT, course: Course | None = None) -> bool:
    """Regenerate the README's badge line (lesson 00); True when it changed."""
    course = course or Course.from_pyproject(root / "pyproject.toml")
    readme = root / "README.md"
    before = readme.read_text(encoding="utf-8")
    pattern = rf"{re.escape(BADGE_MARKER)}\n[^\n]*"
    if not re.search(pattern, before):
        raise SystemExit(f"{readme} has no {BADGE_MARKER} line for lesson 00's badges")
    after = re.sub(pattern, lambda _: course.badges(FIRST_LESSON), before, count=1)
    if after != before:
        _replace(readme, after)
    return after != before


def _replace(path: Path, text: str) -> None:
    """Write ``text`` beside ``path``, then rename: a reader never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def student_branch(root: Path = ROOT, branch: str = STUDENT_BRANCH, ref: str = "HEAD") -> str:
    """Commit ``notebooks/`` and ``exercises/`` of ``ref`` alone on ``branch``; return its id.

    The branch is what nbgitpuller puts in students' homes: lessons and exercise notebooks,
    never ``solutions/``. Only git objects and the branch's ref are written; the work tree
    and the current branch are left alone. Each run adds a commit on top of the branch's
    last one (students' copies merge it), or none when nothing changed.
    """
    def git(*args: str, stdin: str | None = None) -> str:
        return subprocess.run(["git", "-C", str(root), *args], input=stdin, text=True,
                              capture_output=True, check=True).stdout.strip()

    entries = git("ls-tree", ref, "--", *STUDENT_FOLDERS)
    found = {line.split("\t", 1)[1] for line in entries.splitlines()}
    if found != set(STUDENT_FOLDERS):
        raise SystemExit(f"{ref} lacks {', '.join(sorted(set(STUDENT_FOLDERS) - found))}")
    tree = git("mktree", stdin=entries + "\n")
    try:
        parent = git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}")
    except subprocess.CalledProcessError:
        parent = ""
    if parent and git("rev-parse", f"{parent}^{{tree}}") == tree:
        return parent
    source = git("rev-parse", "--short", ref)
    args = ["commit-tree", tree, "-m", f"Lessons and exercises of {source} (no solutions)"]
    commit = git(*args, *(["-p", parent] if parent else []))
    git("update-ref", f"refs/heads/{branch}", commit, *([parent] if parent else []))
    return commit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.lessons.deploy",
                                     description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("cells", help="regenerate the badges and setup cells of notebooks/")
    urls = sub.add_parser("urls", help="print a notebook's Colab and Binder addresses")
    urls.add_argument("notebook", type=Path)
    sub.add_parser("student-branch", help="commit notebooks/ and exercises/ on `student`")
    hub = sub.add_parser("hub-link", help="print the nbgitpuller link for a JupyterHub")
    hub.add_argument("hub", help="the hub's address, e.g. https://hub.example.edu")
    hub.add_argument("--notebook", default=FIRST_LESSON,
                     help=f"what JupyterLab opens (default {FIRST_LESSON})")
    args = parser.parse_args(argv)

    course = Course.from_pyproject()
    if args.command == "cells":
        changed = write_lesson_cells(ROOT, course)
        if write_readme_badges(ROOT, course):
            changed.append(ROOT / "README.md")
        print(f"{len(changed)} file(s) changed" + "".join(
            f"\n  {p.relative_to(ROOT)}" for p in changed)
              + ("\nre-execute the lessons (make exercises does the exercise notebooks)"
                 if changed else ""))
    elif args.command == "urls":
        nb = notebook_path(args.notebook.resolve(), ROOT)
        print(f"Colab:  {course.colab_url(nb)}\nBinder: {course.binder_url(nb)}")
    elif args.command == "student-branch":
        commit = student_branch(ROOT)
        print(f"branch {STUDENT_BRANCH} is at {commit[:12]}: notebooks/ and exercises/ only.\n"
              f"Publish it with: git push origin {STUDENT_BRANCH}")
    else:
        try:
            print(course.hub_link(args.hub, args.notebook))
        except ValueError as exc:
            parser.error(str(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
