"""Links and special files in a class: never followed, never read, each refused with a note.

Submissions arrive as cloned repositories or archives, and both can carry links. A class
is staged beside an honest student: notebooks and student folders that are links to the
course's solutions, to the repository, to ``/`` and to a classmate's notebook, a link to a
folder deep inside a student's folder, FIFOs and a device named ``*.ipynb``. The honest
student keeps full marks, every attacker gets nothing from the link, every refusal is in
the run report, and the walk never leaves the submissions folder (so it ends, whatever the
links lead to).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from course_lib.grading import submissions
from course_lib.grading.grader import grade
from tests.grading_class import HONEST, bounded, notebook, rows, section

REPO = Path(__file__).resolve().parent.parent
SOLVED = REPO / "solutions" / "ex03_softmax.ipynb"


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    out = tmp_path_factory.mktemp("out")
    notebook(subs / "honest" / "ex03_softmax.ipynb", HONEST)
    (subs / "link-notebook").mkdir()
    (subs / "link-notebook" / "ex03_softmax.ipynb").symlink_to(SOLVED)
    (subs / "link-folder-solutions").symlink_to(REPO / "solutions")
    (subs / "link-folder-repo").symlink_to(REPO)
    (subs / "link-root").symlink_to("/")
    (subs / "link-neighbour").mkdir()
    (subs / "link-neighbour" / "mine.ipynb").symlink_to(
        subs / "honest" / "ex03_softmax.ipynb")
    (subs / "inner-link" / "work").mkdir(parents=True)
    (subs / "inner-link" / "work" / "solutions").symlink_to(REPO / "solutions")
    notebook(subs / "mixed" / "ex03_softmax.ipynb", HONEST)
    (subs / "mixed" / "better.ipynb").symlink_to(SOLVED)
    (subs / "link-top.ipynb").symlink_to(SOLVED)
    (subs / "fifo").mkdir()
    os.mkfifo(subs / "fifo" / "ex03_softmax.ipynb")
    os.mkfifo(subs / "lone.ipynb")
    device = False
    try:  # a character device, as root can make one (like /dev/null)
        (subs / "device").mkdir()
        os.mknod(subs / "device" / "ex03.ipynb", stat.S_IFCHR | 0o600, os.makedev(1, 3))
        device = True
    except (PermissionError, OSError):
        (subs / "device").rmdir()

    walked: list[str] = []

    class RecordingOs:
        def __getattr__(self, name: str):  # noqa: ANN204
            return getattr(os, name)

        def scandir(self, path):  # noqa: ANN001, ANN201
            walked.append(os.path.realpath(path))
            return os.scandir(path)

    mp = pytest.MonkeyPatch()
    mp.setattr(submissions, "os", RecordingOs())
    try:
        results = bounded(lambda: grade([subs], out, jobs=2, timeout=5, progress=False,
                                        report=False))
    finally:
        mp.undo()
    return {r.name: r for r in results}, out, subs, walked, device


def test_the_honest_student_keeps_full_marks(staged) -> None:
    results, out, *_ = staged
    assert results["honest"].total == 2
    assert rows(out / "grades.csv")["honest"]["total"] == "2"


@pytest.mark.parametrize("name", ["link-notebook", "link-folder-solutions", "link-folder-repo",
                                  "link-root", "link-neighbour", "inner-link", "link-top"])
def test_a_link_earns_nothing_and_is_refused_with_a_note(staged, name) -> None:
    results, out, *_ = staged
    assert results[name].total == 0, results[name].output
    assert rows(out / "grades.csv")[name]["total"] == "0"  # a row all the same
    feedback = (out / name / "feedback.md").read_text()
    assert "it is a link" in feedback and "links are never followed" in feedback
    report = (out / "run-report.md").read_text()
    assert "refused" in report and "it is a link" in report


def test_where_a_link_leads_is_said_without_the_host_path(staged) -> None:
    results, out, *_ = staged
    assert "out of the submissions folder" in results["link-root"].output
    assert "another student's work" in results["link-neighbour"].output
    for name in ("link-root", "link-folder-repo"):
        assert str(REPO) not in (out / name / "feedback.md").read_text()


def test_a_real_notebook_beside_a_link_is_graded_and_the_link_noted(staged) -> None:
    results, _, *_ = staged
    assert results["mixed"].total == 2
    assert "refused better.ipynb: it is a link" in results["mixed"].output


def test_fifos_and_devices_are_never_read_and_still_get_a_row(staged) -> None:
    results, out, _, _, device = staged
    names = ["fifo", "lone"] + (["device"] if device else [])
    for name in names:
        assert results[name].total == 0
        assert "not a regular file" in results[name].output
    assert "it is a FIFO" in results["lone"].output  # a lone one: a row of its own
    if device:
        assert "it is a device" in results["device"].output
    assert set(names) <= set(rows(out / "grades.csv"))


def test_the_walk_never_leaves_the_submissions_folder(staged) -> None:
    _, _, subs, walked, _ = staged
    root = os.path.realpath(subs)
    assert walked, "the walk was not recorded"
    outside = [p for p in walked if p != root and not p.startswith(root + os.sep)]
    assert outside == []  # the link to / was not followed: the run cannot walk the disk


def test_the_run_report_lists_every_refusal_by_student(staged) -> None:
    results, out, *_ = staged
    from course_lib.grading import runreport

    text = runreport.render(runreport.Run(list(results.values()), ["softmax", "softmax_axis"]),
                            {}, markdown=False)
    for name in ("link-notebook", "link-root", "link-neighbour", "inner-link", "fifo", "lone"):
        assert "refused" in section(text, name), name
    assert section(text, "honest") == ""  # nothing to say about the honest student
    md = (out / "run-report.md").read_text()
    assert "### link\\-root" in md  # names escaped in the Markdown


@pytest.mark.parametrize("where", ["/", "/proc/self", "REPO", "REPO/solutions", "PARENT"])
def test_walking_the_disk_the_kernel_or_the_course_is_refused(tmp_path, where) -> None:
    path = {"REPO": str(REPO), "REPO/solutions": str(REPO / "solutions"),
            "PARENT": str(REPO.parent)}.get(where, where)
    with pytest.raises(ValueError, match="is not graded"):
        grade([path], tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_results_json_of_a_refused_student_says_why(staged) -> None:
    _, out, *_ = staged
    data = json.loads((out / "link-folder-solutions" / "results.json").read_text())
    assert data["score"] == 0 and "refused your folder: it is a link" in data["output"]
