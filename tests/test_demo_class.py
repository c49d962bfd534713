"""The synthetic class of ``make grade-demo``: what it writes, and that its check can fail."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat

from tests._tools import load_tool

REPO = Path(__file__).resolve().parent.parent
demo = load_tool("make_demo_class")


def answer(path: Path, ex_id: str) -> str:
    nb = nbformat.read(path, as_version=4)
    return next(c.source for c in nb.cells if f"answer:{ex_id}" in c.metadata.get("tags", []))


def test_the_class_is_what_it_says(tmp_path):
    out = tmp_path / "submissions"
    expected = demo.make_class(out, correct=8, wrong=3)
    again = demo.make_class(tmp_path / "again", correct=8, wrong=3)
    assert expected == again  # deterministic
    assert json.loads((tmp_path / "expected.json").read_text()) == expected
    students = sorted(p.name for p in out.iterdir())
    assert students == sorted(expected)
    hostile = len(demo.ATTACKS) + len(demo.HARMLESS) + len(demo.SPECIAL)
    assert sum(s.startswith("hostile-") for s in students) == hostile
    assert (out / "hostile-link-root").is_symlink() and (out / "hostile-link-folder").is_symlink()
    assert (out / "hostile-fifo" / "ex03_softmax.ipynb").is_fifo()
    assert "=1+2" in students and "correct-threads" in students
    solution = answer(REPO / "solutions" / "ex03_softmax.ipynb", "softmax")
    assert answer(out / "correct-01" / "ex03_softmax.ipynb", "softmax") == solution
    assert "while True" in answer(out / "hostile-loop" / "ex03_softmax.ipynb", "softmax")
    # every wrong answer is in the notebook of its exercise, and expected to lose points
    for k in range(1, 4):
        for ex in expected[f"wrong-{k:02d}"]["not_full"]:
            nb = next(p for p in (out / f"wrong-{k:02d}").iterdir()
                      if f"answer:{ex}" in p.read_text())
            assert answer(nb, ex) == demo.WRONG[ex]
    # correct-04 handed in an untouched exercise notebook, correct-08 forgot one
    assert expected["correct-04"]["not_full"] and expected["correct-08"]["not_full"]
    handed_out = len(list((REPO / "solutions").glob("ex*.ipynb")))
    assert len(list((out / "correct-08").iterdir())) == handed_out - 1


def test_check_reports_every_difference(tmp_path):
    expected = {"a": {"full": ["max"], "not_full": ["softmax"]},
                "b": {"full": ["softmax"], "not_full": []}}
    grades = tmp_path / "grades.csv"
    with open(grades, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "max", "softmax", "total"])
        w.writerow(["a", "1.0", "1.0", "2.0"])  # softmax should have lost points
        w.writerow(["c", "1.0", "1.0", "2.0"])  # not in the class; b is missing
    problems = demo.check(expected, grades)
    assert problems == ["a: softmax got full marks, expected fewer",
                        f"b: no row in {grades}", "c: graded but not in the class"]
    with open(grades, "w", newline="") as f:
        csv.writer(f).writerows([["student", "max", "softmax", "total"],
                                 ["a", "1.0", "0.25", "1.25"], ["b", "0", "1.0", "1.0"]])
    assert demo.check(expected, grades) == []
    # what the run report must say is checked too, name by name
    expected["a"]["report"] = "it is a link"
    (tmp_path / "run-report.md").write_text("## Anomalies\n\n### a\n- timeout: x\n\n## End\n")
    assert demo.check(expected, grades) == ["a: the run report does not say 'it is a link'"]
    (tmp_path / "run-report.md").write_text("### a\n- refused x.ipynb: it is a link (...)\n")
    assert demo.check(expected, grades) == []
