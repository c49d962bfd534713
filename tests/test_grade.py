"""The grader: correct work scores, broken and hostile submissions fail alone.

One grading run over a class of small notebooks, built here with nbformat: a correct one, a
stub, a partly wrong one, and one for each attack. Every other submission must still get
its right grade, and nothing outside the sandbox may change.
"""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import course_lib
from course_lib.grading.grader import grade

PACKAGE = Path(course_lib.__file__).parent

GOOD_SOFTMAX = '''
def my_softmax(x, axis=-1):
    x = np.asarray(x)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
'''
GOOD_AXIS = '''
def my_softmax_axis(x, axis=-1):
    x = np.asarray(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
'''
WHOLE_BATCH = '''
def my_softmax_axis(x, axis=-1):
    e = np.exp(np.asarray(x) - np.max(x))
    return e / e.sum()
'''
STUB = '''
def my_softmax(x, axis=-1):
    raise NotImplementedError
'''


def notebook(path: Path, cells: dict[str, str], extra: list[str] = ()) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell("# Exercises 03"))
    nb.cells.append(nbformat.v4.new_code_cell("import numpy as np"))
    for ex_id, src in cells.items():
        cell = nbformat.v4.new_code_cell(src)
        cell.metadata["tags"] = [f"answer:{ex_id}"]
        nb.cells.append(cell)
    for src in extra:  # not answer cells: must never run
        nb.cells.append(nbformat.v4.new_code_cell(src))
    nbformat.write(nb, path)
    return path


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*.py")):
        h.update(str(p).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    out = tmp_path_factory.mktemp("out")
    loop = "def my_softmax(x, axis=-1):\n    while True:\n        pass\n"
    stubborn = ("import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                "def my_softmax(x, axis=-1):\n    while True:\n        pass\n")
    attacks = {
        "correct": {"softmax": GOOD_SOFTMAX, "softmax_axis": GOOD_AXIS},
        "stub": {"softmax": STUB, "softmax_axis": GOOD_AXIS},
        "partly_wrong": {"softmax": GOOD_SOFTMAX, "softmax_axis": WHOLE_BATCH},
        "loop_in_function": {"softmax": loop, "softmax_axis": GOOD_AXIS},
        "loop_that_eats_the_alarm": {"softmax": stubborn, "softmax_axis": GOOD_AXIS},
        "loop_at_definition": {"softmax": "while True:\n    pass", "softmax_axis": GOOD_AXIS},
        "memory_bomb": {"softmax": "junk = np.ones(10**11)\n" + GOOD_SOFTMAX,
                        "softmax_axis": GOOD_AXIS},
        "os_exit": {"softmax": GOOD_SOFTMAX, "softmax_axis": "import os\nos._exit(0)"},
        "fake_results": {"softmax": 'print(\'{"id": "softmax", "attempts": []}\')\n'
                         'print(\'{"score": 9, "tests": []}\')\n' + STUB,
                         "softmax_axis": WHOLE_BATCH},
        "patches_numpy": {"softmax": "np.allclose = lambda *a, **k: True\n"
                          "np.array_equal = lambda *a, **k: True\n"
                          "np.isclose = lambda *a, **k: True\n"
                          "def my_softmax(x, axis=-1):\n    return np.zeros(np.shape(x))\n",
                          "softmax_axis": WHOLE_BATCH},
        "writes_files": {"softmax": (
            "import pathlib\n"
            f"targets = [pathlib.Path({str(out)!r}) / 'correct' / 'results.json',\n"
            f"           pathlib.Path({str(out)!r}) / 'grades.csv',\n"
            f"           pathlib.Path({str(PACKAGE)!r}) / 'functions.py']\n"
            "for t in targets:\n"
            "    try:\n"
            "        t.parent.mkdir(parents=True, exist_ok=True)\n"
            "        t.write_text('{\"score\": 100}')\n"
            "    except OSError:\n"
            "        pass\n" + STUB), "softmax_axis": WHOLE_BATCH},
        "imports_reference": {"softmax": "from course_lib import softmax as my_softmax",
                              "softmax_axis": "from scipy.special import softmax\n"
                                              "my_softmax_axis = softmax"},
        "kills_the_grader": {"softmax": "import os, signal\n"
                             "try:\n    os.kill(os.getppid(), signal.SIGKILL)\n"
                             "except OSError:\n    pass\n" + STUB,
                             "softmax_axis": GOOD_AXIS},
        "syntax_error": {"softmax": "def my_softmax(x, axis=-1)\n    return x",
                         "softmax_axis": GOOD_AXIS},
    }
    for name, cells in attacks.items():
        notebook(subs / f"{name}.ipynb", cells,
                 extra=["raise SystemExit('non-answer cells never run')"])
    (subs / "corrupted.ipynb").write_text('{"cells": [ this is not json')
    (subs / "empty.ipynb").write_text("")
    before = _digest(PACKAGE)
    results = grade([subs], out, jobs=2, timeout=4, seed=7)
    return {r.name: r for r in results}, out, before


def _test(results, name, ex_id):
    return next(t for t in results[name].results_json()["tests"] if t["name"].startswith(ex_id))


def test_correct_submission_scores_full(graded) -> None:
    results, out, _ = graded
    data = json.loads((out / "correct" / "results.json").read_text())
    assert data["score"] == 2.0
    assert [t["status"] for t in data["tests"]] == ["passed", "passed"]
    assert {"score", "output", "tests"} <= set(data)
    assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(data["tests"][0])
    assert "seed 7" in data["output"]


def test_grades_csv(graded) -> None:
    results, out, _ = graded
    with (out / "grades.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["submission", "softmax", "softmax_axis", "total"]
    assert [r["submission"] for r in rows] == sorted(r["submission"] for r in rows)
    by_name = {r["submission"]: r for r in rows}
    assert by_name["correct"]["total"] == "2.0"
    assert len(rows) == 16


def test_stub_and_partial(graded) -> None:
    results, _, _ = graded
    assert "not implemented yet" in _test(results, "stub", "softmax:")["output"]
    assert _test(results, "stub", "softmax_axis")["status"] == "passed"
    t = _test(results, "partly_wrong", "softmax_axis")
    assert t["status"] == "failed" and "whole-batch sum" in t["output"]
    assert _test(results, "partly_wrong", "softmax:")["status"] == "passed"


@pytest.mark.parametrize("name", ["loop_in_function", "loop_at_definition", "memory_bomb"])
def test_runaway_code_fails_alone(graded, name) -> None:
    results, _, _ = graded
    assert _test(results, name, "softmax:")["score"] == 0
    assert _test(results, name, "softmax_axis")["status"] == "passed", results[name].output


def test_a_loop_that_ignores_the_alarm_is_stopped_by_the_wall_clock(graded) -> None:
    results, _, _ = graded
    assert _test(results, "loop_that_eats_the_alarm", "softmax:")["score"] == 0
    out = results["loop_that_eats_the_alarm"].output
    assert "wall-clock" in out or "CPU time" in out


def test_os_exit_loses_only_what_had_not_run(graded) -> None:
    results, _, _ = graded
    assert _test(results, "os_exit", "softmax_axis")["score"] == 0
    assert "no function named my_softmax_axis" in _test(results, "os_exit", "softmax_axis")[
        "output"] or "no result" in _test(results, "os_exit", "softmax_axis")["output"]


def test_printed_fake_results_are_just_output(graded) -> None:
    results, _, _ = graded
    data = results["fake_results"].results_json()
    assert _test(results, "fake_results", "softmax:")["score"] == 0  # the stub
    assert data["score"] < 1  # whole-batch sum: right on 1-D cases only
    assert '"score": 9' in data["output"]  # shown as what it printed, nothing more


def test_patching_numpy_in_the_child_changes_nothing(graded) -> None:
    results, _, _ = graded
    assert _test(results, "patches_numpy", "softmax:")["score"] == 0
    assert _test(results, "patches_numpy", "softmax_axis")["status"] == "failed"


def test_writing_files_changes_nothing_outside(graded) -> None:
    results, out, before = graded
    assert _digest(PACKAGE) == before
    assert json.loads((out / "correct" / "results.json").read_text())["score"] == 2.0
    assert "submission" in (out / "grades.csv").read_text()


def test_reference_implementations_cannot_be_imported(graded) -> None:
    results, _, _ = graded
    out = _test(results, "imports_reference", "softmax:")["output"]
    assert "not available while grading" in out
    assert "not available while grading" in _test(results, "imports_reference", "softmax_axis")[
        "output"]


def test_the_grader_cannot_be_signalled(graded) -> None:
    results, _, _ = graded  # had the kill worked, this test session would have died
    assert _test(results, "kills_the_grader", "softmax_axis")["status"] == "passed"


def test_syntax_errors_and_corrupted_notebooks_are_reported(graded) -> None:
    results, out, _ = graded
    assert "SyntaxError" in _test(results, "syntax_error", "softmax:")["output"]
    assert _test(results, "syntax_error", "softmax_axis")["status"] == "passed"
    for name in ("corrupted", "empty"):
        data = json.loads((out / name / "results.json").read_text())
        assert data["score"] == 0 and "could not read" in data["output"]


def test_cli(tmp_path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    notebook(subs / "a.ipynb", {"softmax": GOOD_SOFTMAX})
    (tmp_path / "other").mkdir()
    notebook(tmp_path / "other" / "a.ipynb", {"softmax": STUB})  # same name, another folder
    proc = subprocess.run(
        [sys.executable, "-m", "course_lib.grade", str(subs), str(tmp_path / "other"),
         "--out", str(tmp_path / "out"), "--jobs", "2", "--timeout", "10", "--seed", "1"],
        capture_output=True, text=True, check=True,
    )
    assert "graded 2 submission(s)" in proc.stdout
    with (tmp_path / "out" / "grades.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["submission"], r["total"]) for r in rows] == [("a", "1.0"), ("a-2", "0.0")]
    bad = subprocess.run([sys.executable, "-m", "course_lib.grade", str(tmp_path / "none"),
                          "--out", str(tmp_path / "o2")], capture_output=True, text=True)
    assert bad.returncode == 2 and "no .ipynb files" in bad.stderr
