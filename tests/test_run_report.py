"""The run report's second part: what the class got wrong, exercise by exercise.

A class is staged whose mistakes are known by construction: three students divide by the
sum of the whole batch, two normalise down the columns, one is off by a relative 3e-8
(a near miss), one returns a constant, one hands in the stub, one is right. The report
must count exactly those (the catalogued mistakes by name, the near miss, the unexplained
one, the stub), most frequent first, in ``run-report.md``, on standard error and in
``mistakes.csv`` with the students' names; and a regrade of one student must change their
count and keep the rest of the class.
"""

from __future__ import annotations

import csv

import pytest

from course_lib.grading import runreport
from course_lib.grading.grader import grade
from tests.grading_class import GOOD_SOFTMAX, WHOLE_BATCH, bounded, notebook

GOOD_AXIS = GOOD_SOFTMAX.replace("my_softmax", "my_softmax_axis")
DOWN_THE_COLUMNS = '''
def my_softmax_axis(x, axis=-1):
    x = np.asarray(x, dtype=float)
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
'''
CONSTANT = '''
def my_softmax_axis(x, axis=-1):
    return np.full(np.shape(x), 0.5)
'''
NEAR = GOOD_AXIS.replace("return e / e.sum(axis=axis, keepdims=True)",
                         "return e / e.sum(axis=axis, keepdims=True) * (1 + 3e-8)")
STUB_AXIS = '''
def my_softmax_axis(x, axis=-1):
    raise NotImplementedError
'''
CLASS = {"batch-1": WHOLE_BATCH, "batch-2": WHOLE_BATCH, "batch-3": WHOLE_BATCH,
         "columns-1": DOWN_THE_COLUMNS, "columns-2": DOWN_THE_COLUMNS,
         "constant": CONSTANT, "near": NEAR, "stub": STUB_AXIS, "right": GOOD_AXIS}
EXPECTED = [("whole-batch sum", ["batch-1", "batch-2", "batch-3"]),
            ("wrong axis", ["columns-1", "columns-2"]),
            ("full marks", ["right"]),
            ("near miss (close, but not to the precision asked)", ["near"]),
            ("not implemented", ["stub"]),
            ("unexplained", ["constant"])]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    out = tmp_path_factory.mktemp("out")
    for name, code in CLASS.items():
        notebook(subs / name / "ex03_softmax.ipynb", {"softmax_axis": code})
    bounded(lambda: grade([subs], out, jobs=2, timeout=10, progress=False, report=False))
    return subs, out


def test_each_mistake_is_counted_most_frequent_first(graded) -> None:
    _, out = graded
    table = runreport.class_diagnoses(out, ["softmax_axis"])["softmax_axis"]
    ranked = sorted(table.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    assert [(what, sorted(who)) for what, who in ranked] == EXPECTED


def test_the_report_file_and_the_csv_say_the_same(graded) -> None:
    _, out = graded
    text = (out / "run-report.md").read_text()
    block = text.split("### softmax_axis: 9 student(s), 1 with full marks")[1]
    rows = [line for line in block.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[1:] == ["| whole\\-batch sum | 3 |", "| wrong axis | 2 |",
                        "| near miss \\(close\\, but not to the precision asked\\) | 1 |",
                        "| not implemented | 1 |", "| unexplained | 1 |"]
    with (out / "mistakes.csv").open(newline="") as f:
        got = [(r["what"], r["students"], r["of"], r["names"]) for r in csv.DictReader(f)]
    assert got == [(what, str(len(who)), "9", "; ".join(who)) for what, who in EXPECTED]


def test_a_regrade_moves_one_student_and_keeps_the_class(graded, capsys) -> None:
    subs, out = graded
    notebook(subs / "batch-2" / "ex03_softmax.ipynb", {"softmax_axis": GOOD_AXIS})
    bounded(lambda: grade([subs], out, only=["batch-2"], timeout=10, progress=False))
    table = runreport.class_diagnoses(out, ["softmax_axis"])["softmax_axis"]
    assert sorted(table["whole-batch sum"]) == ["batch-1", "batch-3"]
    assert sorted(table["full marks"]) == ["batch-2", "right"]
    err = capsys.readouterr().err  # the same on standard error, for the terminal
    assert "softmax_axis: 9 student(s), 2 with full marks" in err
    assert "     2  whole-batch sum" in err and "     2  wrong axis" in err
