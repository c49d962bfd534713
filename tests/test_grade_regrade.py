"""Regrades by identity: a student keeps their row, whoever else is graded and how.

A class with names that clash but for case (``Ana Maria``, ``ana maria``), a "Last, First"
name with a comma and an apostrophe, and an honest classmate. Regrades pick students by the
folder they handed in (``--only`` repeatable, commas kept), or grade a folder holding just
them; every student keeps the row they had (``OUT/names.csv`` remembers it), and a newcomer
whose folder is named like someone else's row gets a row of their own, never theirs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from course_lib.grading.grader import grade
from tests.grading_class import (
    GOOD_AXIS,
    GOOD_SOFTMAX,
    HONEST,
    STUB,
    WHOLE_BATCH,
    bounded,
    notebook,
    rows,
)

OBRIEN = "O'Brien, Seán"


def _class(subs: Path) -> None:
    notebook(subs / "Ana Maria" / "ex03_softmax.ipynb", HONEST)
    notebook(subs / "ana maria" / "ex03_softmax.ipynb", {"softmax": STUB,
                                                         "softmax_axis": GOOD_AXIS})
    notebook(subs / OBRIEN / "ex03_softmax.ipynb", {"softmax": GOOD_SOFTMAX,
                                                    "softmax_axis": WHOLE_BATCH})
    notebook(subs / "honest" / "ex03_softmax.ipynb", HONEST)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "course_lib.grade", *args],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)


def test_regrades_keep_every_student_on_their_row(tmp_path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    _class(subs)
    bounded(lambda: grade([subs], out, timeout=10, progress=False, report=False))
    first = rows(out / "grades.csv")
    assert sorted(first) == sorted(["Ana Maria", "ana maria-2", OBRIEN, "honest"])
    assert first["ana maria-2"]["total"] == "1" and float(first[OBRIEN]["total"]) < 2

    # both fix their answers; regraded by the folder names they handed in
    notebook(subs / "ana maria" / "ex03_softmax.ipynb", HONEST)
    notebook(subs / OBRIEN / "ex03_softmax.ipynb", HONEST)
    proc = bounded(lambda: _cli(str(subs), "--out", str(out), "--only", OBRIEN,
                                "--only", "ana maria"))
    assert proc.returncode == 0, proc.stderr
    second = rows(out / "grades.csv")
    assert sorted(second) == sorted(first)  # four rows for four students
    assert second["ana maria-2"]["total"] == "2" and second[OBRIEN]["total"] == "2"
    assert second["Ana Maria"] == first["Ana Maria"] and second["honest"] == first["honest"]

    # a folder holding only one of them: the same row again, not a new one
    late = tmp_path / "late"
    notebook(late / "ana maria" / "ex03_softmax.ipynb", {"softmax": STUB,
                                                         "softmax_axis": STUB})
    bounded(lambda: grade([late], out, timeout=10, progress=False, report=False))
    third = rows(out / "grades.csv")
    assert sorted(third) == sorted(first)
    assert third["ana maria-2"]["total"] == "0" and third["Ana Maria"] == first["Ana Maria"]
    report = (out / "run-report.md").read_text()
    assert "Graded 1 student(s)" in report  # this run: one student ...
    assert "### softmax: 4 student(s), 3 with full marks" in report  # ... the class: four


def test_a_folder_named_like_someone_elses_row_gets_its_own(tmp_path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    _class(subs)
    bounded(lambda: grade([subs], out, timeout=10, progress=False, report=False))
    before = rows(out / "grades.csv")
    intruder = tmp_path / "intruder"
    notebook(intruder / "ana maria-2" / "ex03_softmax.ipynb", {"softmax": STUB})
    notebook(intruder / "Honest" / "ex03_softmax.ipynb", {"softmax": STUB})
    results = bounded(lambda: grade([intruder], out, timeout=10, progress=False,
                                    report=False))
    assert {r.name for r in results} == {"ana maria-2-2", "Honest-2"}
    after = rows(out / "grades.csv")
    for name in before:  # nobody's row was taken over
        assert after[name] == before[name]
    assert len(after) == len(before) + 2


def test_only_takes_output_names_too_and_old_comma_lists(tmp_path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    _class(subs)
    bounded(lambda: grade([subs], out, timeout=10, progress=False, report=False))
    results = grade([subs], out, only=["ana maria-2"], timeout=10, progress=False,
                    report=False)
    assert [r.name for r in results] == ["ana maria-2"]
    results = grade([subs], out, only=["honest,Ana Maria"], timeout=10, progress=False,
                    report=False)
    assert sorted(r.name for r in results) == ["Ana Maria", "honest"]
    with pytest.raises(ValueError, match="no student named 'zed'.*O'Brien, Seán"):
        grade([subs], out, only=["zed"], progress=False, report=False)
    assert len(rows(out / "grades.csv")) == 4


def test_names_csv_remembers_every_folder(tmp_path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    _class(subs)
    bounded(lambda: grade([subs], out, timeout=10, progress=False, report=False))
    names = {r["student"]: r for r in rows(out / "names.csv").values()}
    assert names["ana maria-2"]["folder"] == "ana maria"
    assert names[OBRIEN]["folder"] == OBRIEN
    assert Path(names["honest"]["source"]) == subs / "honest"
