"""Nothing a student writes can forge what others read: feedback, grade sheets, host paths.

Staged beside an honest student: an answer that prints a closing fence and a heading
("Total: 11 / 11"), answers that raise with Markdown and HTML in the message, folders named
like spreadsheet formulas (``=1+2``, ``@SUM(A1)``, ``+1``, ``-1``) and like Markdown, a
notebook whose file name holds backticks, and an answer that prints where Python, NumPy and
its sandbox live on the host, and the bubblewrap command line. ``feedback.md`` is read by a
CommonMark parser (mistune): only the grader's own headings exist and no HTML; every CSV
cell (``grades.csv``, ``names.csv``, ``mistakes.csv``, the Canvas import and its list of
the unmatched) is text to a spreadsheet; no host path reaches a student.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import mistune
import numpy as np
import pytest

from course_lib.grading import lms
from course_lib.grading.grader import grade
from course_lib.grading.registry import EXERCISES
from course_lib.grading.submissions import safe_name
from tests.grading_class import GOOD_AXIS, GOOD_SOFTMAX, HONEST, bounded, notebook

REPO = Path(__file__).resolve().parent.parent
FORMULAS = ("=", "+", "-", "@", "\t", "\r")

FENCE = '''
print("```")
print("# Total: 11 / 11")
print("## softmax")
print("````````")
print("<b>all cases passed</b>")
''' + GOOD_SOFTMAX
RAISES_AT_DEFINITION = '''
raise ValueError("\\n\\n# Total: 11 / 11\\n\\n```\\n<script>alert(1)</script>\\n## Graded")
'''
RAISES_IN_CALL = '''
def my_softmax(x, axis=-1):
    raise ValueError("```\\n# Total: 11 / 11\\n<img src=x onerror=alert(1)>")
'''
PATHS = '''
import os, sys
print("executable", sys.executable)
print("stdlib", os.__file__)
print("numpy", np.__file__)
print("cwd", os.getcwd())
print("pid1", open("/proc/1/cmdline", "rb").read().replace(b"\\0", b" ").decode()[:1500])
def my_softmax(x, axis=-1):
    open(np.__file__ + ".missing")
'''
NAMES = ["=1+2", "@SUM(A1)", "+1", "-1", "# Total 11 of 11 **bold** <b>x<\\b>"]


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    out = tmp_path_factory.mktemp("out")
    notebook(subs / "honest" / "ex03_softmax.ipynb", HONEST)
    notebook(subs / "fence" / "ex03_softmax.ipynb", {"softmax": FENCE,
                                                     "softmax_axis": GOOD_AXIS})
    notebook(subs / "raises" / "ex03_softmax.ipynb",
             {"softmax": RAISES_IN_CALL, "softmax_axis": RAISES_AT_DEFINITION})
    notebook(subs / "paths" / "ex03_softmax.ipynb", {"softmax": PATHS,
                                                     "softmax_axis": GOOD_AXIS})
    notebook(subs / "backticks" / "a ``` b\n# Total.ipynb", HONEST)
    for name in NAMES:
        notebook(subs / name / "ex03_softmax.ipynb", HONEST)
    results = bounded(lambda: grade([subs], out, jobs=2, timeout=10, progress=False,
                                    report=False))
    return {r.name: r for r in results}, out, subs


def _headings(markdown: str) -> list[tuple[int, str]]:
    found = []

    def walk(nodes: list[dict]) -> None:
        for node in nodes:
            assert node["type"] not in ("block_html", "inline_html"), node
            if node["type"] == "heading":
                text = "".join(c.get("raw", "") for c in node.get("children", [])
                               if c["type"] in ("text", "codespan"))
                found.append((node["attrs"]["level"], text))
            walk(node.get("children", []))

    walk(mistune.create_markdown(renderer="ast")(markdown))
    return found


def test_the_honest_student_keeps_full_marks(staged) -> None:
    results, *_ = staged
    assert results["honest"].total == 2


def test_feedback_has_only_the_graders_headings_and_no_html(staged) -> None:
    results, out, _ = staged
    titles = [(2, f"{EXERCISES[e].title} ({e})") for e in ("softmax", "softmax_axis")]
    for name, r in results.items():
        text = (out / name / "feedback.md").read_text()
        want = [(1, f"Feedback for {name}"), *titles]
        if r.output.strip():
            want.append((2, "How it was graded"))
        assert _headings(text) == want, name
        assert text.count("Total: **") == 1


def test_forged_text_is_still_shown_as_it_was_printed_or_raised(staged) -> None:
    results, out, _ = staged
    fence = (out / "fence" / "feedback.md").read_text()
    assert "# Total: 11 / 11" in fence and "`````````text" in fence  # longer than 8 ticks
    assert results["fence"].total == 2  # printing costs nothing, and forges nothing
    raised = (out / "raises" / "feedback.md").read_text()
    assert "<script>alert(1)</script>" in raised and "onerror=alert(1)" in raised
    assert results["raises"].total == 0


def test_names_from_the_file_system_are_escaped(staged) -> None:
    results, out, _ = staged
    assert results["backticks"].total == 2
    text = (out / "backticks" / "feedback.md").read_text()
    assert "Graded from: ````a ``` b_# Total.ipynb````" in text
    md_name = safe_name(NAMES[-1])  # the backslash becomes "_"
    assert results[md_name].total == 2
    assert _headings((out / md_name / "feedback.md").read_text())[0] == (
        1, f"Feedback for {md_name}")


def _cells(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as f:
        return [cell for row in csv.reader(f) for cell in row]


def test_no_csv_cell_is_a_formula(staged) -> None:
    _, out, _ = staged
    for sheet in ("grades.csv", "names.csv", "mistakes.csv"):
        cells = _cells(out / sheet)
        assert not [c for c in cells if c.startswith(FORMULAS)], sheet
    assert {"'=1+2", "'@SUM(A1)", "'+1", "'-1"} <= set(_cells(out / "grades.csv"))


def test_a_formula_named_student_keeps_one_row_through_a_regrade(staged, tmp_path) -> None:
    _, out, subs = staged
    before = (out / "grades.csv").read_text()
    bounded(lambda: grade([subs], out, only=["=1+2", "-1"], timeout=10, progress=False,
                          report=False))
    assert (out / "grades.csv").read_text() == before


def test_the_canvas_import_neutralises_every_cell(staged, tmp_path) -> None:
    _, out, _ = staged
    gradebook = tmp_path / "gradebook.csv"
    gradebook.write_text("Student,ID,SIS User ID,SIS Login ID,Section\n"
                         '"=1+2",4001,,,"@Tue"\n'
                         '"@SUM(A1)",4002,,,\n'
                         '"=HYPERLINK(""http://x"")",4003,,,\n')
    target = tmp_path / "canvas_import.csv"
    result = lms.export(gradebook, out / "grades.csv", "=Exercises", target)
    assert {"=1+2", "@SUM(A1)"} <= set(result.rows)  # each found its row
    for path in (target, target.with_name("canvas_import.unmatched.csv")):
        cells = _cells(path)
        assert not [c for c in cells if c.startswith(FORMULAS)], path.name
    assert "'=1+2" in _cells(target) and "'=Exercises" in _cells(target)
    with target.open(newline="") as f:
        rows = list(csv.reader(f))
    by_id = {r[1]: r for r in rows[2:]}
    assert by_id["4001"][5] == "2" and by_id["4002"][5] == "2"


def _host_paths(out: Path, subs: Path) -> list[str]:
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.__file__),
             os.path.dirname(np.__file__), str(REPO), str(subs), str(out),
             os.path.realpath(subs), os.path.realpath(out),
             os.path.realpath(os.path.dirname(os.__file__))}
    if str(Path.home()) != "/":
        paths.add(str(Path.home()))
    return sorted(p for p in paths if p not in ("/", "/usr", "/usr/local"))


def test_host_paths_never_reach_a_student(staged) -> None:
    results, out, subs = staged
    printed = results["paths"].output
    assert "executable <python" in printed and "stdlib <python-lib>/os.py" in printed
    for name in results:
        for handed in ("feedback.md", "results.json"):
            text = (out / name / handed).read_text()
            if handed == "results.json":
                text = json.dumps(json.loads(text))  # the text as a student sees it
            leaked = [p for p in _host_paths(out, subs) if p in text]
            assert leaked == [], (name, handed, leaked)
            tmp = re.escape(tempfile.gettempdir())
            assert not re.search(tmp + r"/(grade|unpacked|gradescope)-", text), (name, handed)


def test_gradescope_shows_student_text_as_plain_text(staged) -> None:
    _, out, _ = staged
    data = json.loads((out / "fence" / "results.json").read_text())
    assert data["output_format"] == data["test_output_format"] == "text"
    assert data["test_name_format"] == "text"
