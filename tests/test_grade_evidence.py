"""What the sandbox cannot see: a student's process reports its own behaviour.

Whether a function changed its input is observed inside the student's own process, which
the student controls: it can be made to say anything. So the grader grades values only
(computed and compared in its own process) and passes that report on as a note that
teaches. Staged beside an honest student: one whose function changes its input, and one
that does the same and also rewrites the sandbox's report to hide it. Neither gains or
loses a point by it; only the one who did not tamper is told.
"""

from __future__ import annotations

import pytest

from course_lib.grading.grader import MUTATION_NOTE, grade
from tests.grading_class import GOOD_AXIS, HONEST, bounded, notebook, section

MUTATES = '''
def my_softmax(x, axis=-1):
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        x -= x.max(axis=axis, keepdims=True)  # in place: the caller's array changes
    else:
        x = np.asarray(x, dtype=float) - np.max(x, axis=axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)
'''
HIDES = '''
import sys
sys.modules["_grading_attempt"]._same = lambda a, b: True  # "nothing was changed"
''' + MUTATES


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    out = tmp_path_factory.mktemp("out")
    notebook(subs / "honest" / "ex03_softmax.ipynb", HONEST)
    notebook(subs / "mutates" / "ex03_softmax.ipynb", {"softmax": MUTATES,
                                                       "softmax_axis": GOOD_AXIS})
    notebook(subs / "hides" / "ex03_softmax.ipynb", {"softmax": HIDES,
                                                     "softmax_axis": GOOD_AXIS})
    results = bounded(lambda: grade([subs], out, jobs=2, timeout=10, progress=False,
                                    report=False))
    return {r.name: r for r in results}, out


def test_values_alone_are_graded(staged) -> None:
    results, _ = staged
    assert results["honest"].total == 2
    assert results["mutates"].total == results["hides"].total == 2  # the values are right


def test_what_the_process_says_of_itself_teaches(staged) -> None:
    results, _ = staged
    assert results["mutates"].messages["softmax"].endswith(MUTATION_NOTE)
    assert MUTATION_NOTE not in results["hides"].messages["softmax"]  # it lied: it can
    assert results["mutates"].diagnoses["softmax"] == "input mutated (values right)"


def test_the_run_report_does_not_pretend_to_know(staged) -> None:
    _, out = staged
    text = (out / "run-report.md").read_text()
    assert section(text, "hides") == "" and "### hides" not in text
    assert "| input mutated \\(values right\\) | 1 |" in text  # one told, one not
