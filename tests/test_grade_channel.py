"""The result channel cannot hurt the grader: capped, never parsed recursively, first
result per exercise.

A student's code can write to the pipe its sandbox sends results on (its number is in
``sys.argv``). Staged beside an honest student: a thread that writes a 60 MB line after the
answers returned, a line nested 100,000 deep, forged results written before the real ones,
results for exercises nobody asked for, bytes that are not JSON. The grader keeps reading
only :data:`~course_lib.grading.isolation.RESULT_BYTES`, parses no line deeper than
:data:`~course_lib.grading.isolation.MAX_NESTING`, takes the first result of each exercise,
and says the rest on that student's report and in the run report.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import threading

import pytest

from course_lib.grading import isolation
from course_lib.grading.grader import grade
from tests.grading_class import GOOD_AXIS, GOOD_SOFTMAX, HONEST, bounded, notebook, section

DUP = '''
import os, sys
fd = os.dup(int(sys.argv[sys.argv.index("--result-fd") + 1]))
'''
FLOOD = DUP + '''
import atexit
def flood():  # runs after the sandbox has sent every answer back
    os.write(fd, b'{"id": "softmax", "junk": "' + b"A" * 60_000_000 + b'"}\\n')
atexit.register(flood)
''' + GOOD_SOFTMAX
DEEP = DUP + '''
os.write(fd, b'{"id": "softmax", "attempts": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\\n")
''' + GOOD_SOFTMAX
FORGED = DUP + '''
import json
fake = {"output": {"__nd__": "<f8", "shape": [1], "data": "AAAAAAAA8D8="}}
os.write(fd, (json.dumps({"id": "softmax", "attempts": [fake] * 40}) + "\\n").encode())
os.write(fd, b'{"id": "max", "attempts": []}\\n{"score": 99}\\n\\xff\\xfe not json\\n')
''' + GOOD_SOFTMAX


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    out = tmp_path_factory.mktemp("out")
    notebook(subs / "honest" / "ex03_softmax.ipynb", HONEST)
    for name, code in (("flood", FLOOD), ("deep", DEEP), ("forged", FORGED)):
        notebook(subs / name / "ex03_softmax.ipynb", {"softmax": code, "softmax_axis": GOOD_AXIS})
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        results = bounded(lambda: grade([subs], out, jobs=2, timeout=20, progress=False))
    return {r.name: r for r in results}, out, err.getvalue()


def test_the_honest_student_keeps_full_marks(staged) -> None:
    results, _, report = staged
    assert results["honest"].total == 2
    assert section(report, "honest") == ""


def test_a_flood_after_the_answers_is_cut_and_the_answers_still_count(staged) -> None:
    results, _, report = staged
    assert results["flood"].total == 2, results["flood"].output  # its own answers, graded
    assert "results cut: more than 4 MiB came back" in section(report, "flood")
    assert "results cut" in results["flood"].output  # and on the student's own report


def test_a_deeply_nested_line_is_dropped_unread(staged) -> None:
    results, _, report = staged
    assert results["deep"].total == 2, results["deep"].output
    assert "nested more than 8 levels deep" in section(report, "deep")


def test_only_the_first_result_of_an_exercise_counts(staged) -> None:
    results, _, report = staged
    # the forged line came first: it is the one judged (and it is wrong), the real one not
    assert results["forged"].scores.get("softmax", 0) == 0
    assert results["forged"].scores["softmax_axis"] == 1
    lines = section(report, "forged")
    assert "ignored 1 more result for softmax: only the first result" in lines
    assert "exercises that were not asked for: max (1), no exercise (1)" in lines
    assert "ignored 1 result line that was not a JSON object" in lines


def test_the_channel_keeps_no_more_than_its_cap() -> None:
    r, w = os.pipe()
    channel = isolation._Channel()
    reader = threading.Thread(target=channel.drain, args=(r,))
    reader.start()
    block = b"x" * (1 << 20)
    with os.fdopen(w, "wb") as f:
        for _ in range(60):  # 60 MiB
            f.write(block)
    reader.join()
    assert channel.cut and channel.size == isolation.RESULT_BYTES
    assert sum(len(c) for c in channel.chunks) == isolation.RESULT_BYTES


@pytest.mark.parametrize("depth", [isolation.MAX_NESTING - 1, isolation.MAX_NESTING,
                                   isolation.MAX_NESTING + 1, 100_000])
def test_nesting_is_measured_without_parsing(depth) -> None:
    line = b'{"id": "x", "a": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"
    assert isolation.nesting(line) == depth
    if depth < 100:
        assert json.loads(line)["id"] == "x"  # a well-formed line all the same
    _, results, notes = isolation.read_results(line + b"\n", False, ["x"])
    assert ("x" in results) == (depth <= isolation.MAX_NESTING)
    assert bool(notes) == (depth > isolation.MAX_NESTING)


def test_brackets_inside_strings_do_not_count() -> None:
    assert isolation.nesting(b'{"a": "[[[[[[[[[[[[", "b": "\\\\\\"{{{{{{{{{{"}') == 1
