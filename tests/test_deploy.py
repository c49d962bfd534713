"""Colab and Binder badges, setup cells, Binder's configuration and the JupyterHub link.

The badges and setup cells are generated (course_lib/lessons/deploy.py): a fresh generation must
equal what is committed. Their addresses are checked by taking them apart with urllib
against the formats Colab, mybinder.org and nbgitpuller document, not against the code
that built them. The nbgitpuller link is followed with nbgitpuller's own ``GitPuller``.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
import tomllib
import types
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import nbformat
import pytest
from packaging.requirements import Requirement

from course_lib.lessons import deploy
from course_lib.lessons.deploy import (
    BADGE_MARKER,
    SETUP_ID,
    Course,
    add_launch_cells,
    badges_as_text,
    is_setup_cell,
)
from course_lib.lessons.widgets import enable_colab_widgets

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("ex*.ipynb"))
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["course"]
REPO, BRANCH = CONFIG["repository"], CONFIG["branch"]
# nbgitpuller's URL options (docs/topic/url-options.rst of jupyterhub/nbgitpuller, and the
# names its UIHandler reads), and the path its link generator builds.
NBGITPULLER_PARAMS = {"repo", "branch", "urlpath", "depth", "targetPath", "targetpath",
                      "backup"}
GIT_PULL_PATH = "/hub/user-redirect/git-pull"


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _badge_links(text: str) -> dict[str, str]:
    """Alt text -> target of the image links on the line under the badge marker."""
    assert text.count(BADGE_MARKER) == 1, "one badge line"
    line = text.split(BADGE_MARKER + "\n", 1)[1].split("\n", 1)[0]
    return dict(re.findall(r"\[!\[([^\]]+)\]\([^)]+\)\]\(([^)]+)\)", line))


def _first_markdown(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return next(c for c in nb.cells if c.cell_type == "markdown").source


README = ROOT / "README.md"


@pytest.mark.parametrize("path", [*LESSONS, *EXERCISES, README], ids=_rel)
def test_badges_open_this_notebook_in_colab_and_binder(path) -> None:
    if path == README:  # the README's badges open lesson 00
        links, path = _badge_links(README.read_text()), LESSONS[0]
    else:
        links = _badge_links(_first_markdown(path))
    assert set(links) == {"Open in Colab", "Launch Binder"}
    owner, name = urlsplit(REPO).path.strip("/").split("/")

    colab = urlsplit(links["Open in Colab"])
    # Colab's GitHub scheme: /github/OWNER/REPO/blob/BRANCH/PATH
    assert (colab.scheme, colab.netloc) == ("https", "colab.research.google.com")
    assert colab.path == f"/github/{owner}/{name}/blob/{BRANCH}/{_rel(path)}"

    binder = urlsplit(links["Launch Binder"])
    # mybinder.org: /v2/gh/OWNER/REPO/REF, and labpath opens a file in JupyterLab
    assert (binder.scheme, binder.netloc) == ("https", "mybinder.org")
    assert binder.path == f"/v2/gh/{owner}/{name}/{BRANCH}"
    assert parse_qs(binder.query) == {"labpath": [_rel(path)]}
    assert "solutions" not in links["Open in Colab"] + links["Launch Binder"]


@pytest.mark.parametrize("path", LESSONS + EXERCISES, ids=_rel)
def test_setup_cell_comes_before_any_other_code(path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].get("id") == SETUP_ID and is_setup_cell(code[0])
    assert sum(is_setup_cell(c) for c in nb.cells) == 1
    assert code[0].outputs == [], "where course_lib imports, the setup cell prints nothing"
    assert code[0].metadata["slideshow"]["slide_type"] == "skip"
    assert len(code[0].source.splitlines()) <= 15, "a learner reads it at a glance"
    assert REPO in code[0].source and "COURSE_LIB_SPEC" in code[0].source


@pytest.mark.parametrize("path", LESSONS, ids=_rel)
def test_launch_cells_are_up_to_date(path) -> None:
    """Regenerating a lesson's badges and setup cell changes nothing (`make launch-cells`)."""
    text = path.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    fresh = add_launch_cells(copy.deepcopy(nb), _rel(path), Course.from_pyproject())
    assert nbformat.writes(fresh) + "\n" == text, "run `make launch-cells` and re-execute"


# What a notebook must not do to run alone in an empty folder: reach for a file or folder
# of the repository (relative paths, the solutions, the package's source, the import path).
REACHING_OUT = re.compile(r"\.\./|\bopen\(|Path\(|__file__|os\.chdir|sys\.path|np\.load|"
                          r"read_csv|read_text|solutions/|course_lib/|notebooks/|exercises/")


@pytest.mark.parametrize("path", [*LESSONS, *EXERCISES], ids=_rel)
def test_code_never_reaches_into_the_repository(path) -> None:
    nb = nbformat.read(path, as_version=4)
    found = [(c.get("id"), m.group(0)) for c in nb.cells if c.cell_type == "code"
             and not is_setup_cell(c) for m in REACHING_OUT.finditer(c.source)]
    assert not found, f"a copied-alone notebook would break here: {found}"


def test_readme_badges_are_up_to_date() -> None:
    badges = Course.from_pyproject().badges(deploy.FIRST_LESSON)
    assert badges in README.read_text(), "run `make launch-cells`"


def test_generation_is_idempotent_and_moves_nothing_else() -> None:
    nb = nbformat.read(LESSONS[3], as_version=4)
    course = Course("https://github.com/someone/fork", "trunk")
    once = add_launch_cells(copy.deepcopy(nb), "notebooks/x.ipynb", course)
    twice = add_launch_cells(copy.deepcopy(once), "notebooks/x.ipynb", course)
    assert nbformat.writes(once) == nbformat.writes(twice)
    assert "/github/someone/fork/blob/trunk/notebooks/x.ipynb)" in once.cells[0].source
    assert once.cells[0].source.count(BADGE_MARKER) == 1
    assert "git+https://github.com/someone/fork@trunk" in once.cells[2].source
    # every other cell is the same object content, in the same order
    others = [c for c in once.cells if not is_setup_cell(c)][1:]
    assert [c.source for c in others] == [c.source for c in nb.cells if not is_setup_cell(c)][1:]


def test_exercise_badges_point_at_exercises_never_solutions() -> None:
    for path in EXERCISES:
        links = _badge_links(_first_markdown(path))
        assert all(f"exercises/{path.name}" in unquote(url) for url in links.values())


def test_install_spec_is_a_pep508_reference_to_the_repository() -> None:
    req = Requirement(Course.from_pyproject().install_spec)
    assert req.name == "course_lib"
    assert req.url == f"git+{REPO}@{BRANCH}"


def test_a_repository_colab_cannot_open_is_refused_in_words() -> None:
    for bad in ("https://gitlab.com/a/b", "http://github.com/a/b", "https://github.com/a"):
        with pytest.raises(ValueError, match="https://github.com/OWNER/NAME"):
            Course(bad)


def test_setup_cell_does_nothing_where_course_lib_imports(tmp_path) -> None:
    source = Course.from_pyproject().setup_source()
    env = {**os.environ, "COURSE_LIB_SPEC": str(tmp_path / "no-such-wheel.whl")}
    done = subprocess.run([sys.executable, "-c", source], env=env, cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""


def test_site_pages_get_plain_links_not_remote_images() -> None:
    first = nbformat.read(LESSONS[3], as_version=4).cells[0].source
    plain = badges_as_text(first)
    assert "colab-badge.svg" not in plain and "badge_logo.svg" not in plain
    assert "[Open in Colab](https://colab.research.google.com/" in plain
    assert "[Launch Binder](https://mybinder.org/" in plain


def test_colab_with_ipywidgets_8_gets_its_custom_widget_manager(monkeypatch) -> None:
    import ipywidgets

    calls = []
    output = types.ModuleType("google.colab.output")
    output.enable_custom_widget_manager = lambda: calls.append("on")
    colab = types.ModuleType("google.colab")
    colab.output = output
    google = types.ModuleType("google")
    google.colab = colab
    assert enable_colab_widgets() is False  # not in Colab: nothing happens
    for name, module in (("google", google), ("google.colab", colab),
                         ("google.colab.output", output)):
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(ipywidgets, "__version__", "7.7.1")  # what Colab preinstalls
    assert enable_colab_widgets() is False and calls == []
    monkeypatch.setattr(ipywidgets, "__version__", "8.1.9")
    assert enable_colab_widgets() is True and calls == ["on"]


# --- Binder -------------------------------------------------------------------------


def test_binder_installs_the_course_pins_and_course_lib() -> None:
    binder = ROOT / ".binder"
    lines = [ln.split("#")[0].strip() for ln in (binder / "requirements.txt").read_text()
             .splitlines()]
    refs = [ln for ln in lines if ln]
    assert refs == ["-r ../requirements.txt"]
    # pip reads a nested -r relative to the file that names it
    assert (binder / "../requirements.txt").resolve() == ROOT / "requirements.txt"
    runtime = (binder / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.11", runtime), runtime
    post = binder / "postBuild"
    assert os.access(post, os.X_OK), "repo2docker runs postBuild only when it is executable"
    text = post.read_text()
    assert "pip install" in text and "-e ." in text and "jupyter_settings.py" in text
    subprocess.run(["bash", "-n", str(post)], check=True)


# --- JupyterHub ---------------------------------------------------------------------


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def course_clone(tmp_path) -> Path:
    """A clone of this repository, where the student branch can be made freely."""
    if not (ROOT / ".git").exists():
        pytest.fail("the JupyterHub tests need the course as a git clone")
    clone = tmp_path / "course"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)],
                   check=True)
    for key, value in (("user.name", "Test"), ("user.email", "test@example.org")):
        _git(clone, "config", key, value)
    return clone


def test_student_branch_holds_lessons_and_exercises_never_solutions(course_clone) -> None:
    first = deploy.student_branch(course_clone)
    files = _git(course_clone, "ls-tree", "-r", "--name-only", "student").splitlines()
    assert {f.split("/")[0] for f in files} == {"notebooks", "exercises"}
    head = set(_git(course_clone, "ls-tree", "-r", "--name-only", "HEAD").splitlines())
    assert {f for f in head if f.startswith(("notebooks/", "exercises/"))} == set(files)
    assert _git(course_clone, "rev-parse", "--abbrev-ref", "HEAD") != "student"
    assert deploy.student_branch(course_clone) == first, "nothing changed: no new commit"

    lesson = course_clone / "notebooks" / LESSONS[1].name
    lesson.write_text(lesson.read_text() + "\n")
    _git(course_clone, "commit", "--quiet", "-am", "a lesson changes")
    second = deploy.student_branch(course_clone)
    assert _git(course_clone, "rev-parse", f"{second}^") == first, "students' copies merge it"
    assert _git(course_clone, "status", "--porcelain") == ""


# nbgitpuller's execute_cmd leaves the pipe of a finished git command to the garbage
# collector, which pytest reports as an unraisable ResourceWarning: theirs, not ours.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_hub_link_follows_nbgitpuller_and_opens_lesson_00(course_clone, tmp_path) -> None:
    from nbgitpuller.pull import GitPuller

    link = Course.from_pyproject().hub_link("https://hub.example.edu/")
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "hub.example.edu",
                                                        GIT_PULL_PATH)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert set(query) <= NBGITPULLER_PARAMS, set(query) - NBGITPULLER_PARAMS
    assert query["repo"] == REPO and query["branch"] == "student"
    # nbgitpuller's UIHandler: the clone goes to targetpath (or targetPath) under the
    # server's root; with urlpath given, the browser is sent there as it is.
    target = query.get("targetpath") or query.get("targetPath")
    assert query["urlpath"].startswith(f"lab/tree/{target}/")
    opened = unquote(query["urlpath"][len("lab/tree/"):])

    deploy.student_branch(course_clone)
    home = tmp_path / "home"
    home.mkdir()
    log = list(GitPuller(str(course_clone), str(home / target), branch="student").pull())
    assert (home / opened).is_file(), f"the link opens {opened}, not pulled: {log[-3:]}"
    pulled = {p.relative_to(home / target).parts[0]
              for p in (home / target).rglob("*") if ".git" not in p.parts}
    assert pulled == {"notebooks", "exercises"}
    assert not list(home.rglob("*solution*")), "no solution reaches a student's home"


def test_hub_link_refuses_what_is_not_a_hub_or_not_for_students() -> None:
    course = Course.from_pyproject()
    with pytest.raises(ValueError, match="hub.example.edu"):
        course.hub_link("hub.example.edu")
    with pytest.raises(ValueError, match="not on the student branch"):
        course.hub_link("https://hub.example.edu", "solutions/ex03_softmax.ipynb")


def test_instructor_guide_shows_the_link_and_install_line_of_this_repository() -> None:
    guide = (ROOT / "docs" / "instructor.md").read_text()
    course = Course.from_pyproject()
    assert course.hub_link("https://hub.example.edu") in guide, "update docs/instructor.md"
    assert f'"{course.install_spec}"' in guide
