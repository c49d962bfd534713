"""Written questions: model answers and rubrics stay in solutions/, learners see the question
and an empty answer cell, and the grader collects every answer for the person grading them."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from course_lib.grading import written
from course_lib.grading.grader import grade

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = written.questions(ROOT / "solutions")


def test_every_problem_set_has_written_questions_with_rubrics() -> None:
    by_notebook: dict[str, list[str]] = {}
    for q in QUESTIONS.values():
        by_notebook.setdefault(q.notebook, []).append(q.id)
        assert q.model_answer and q.rubric, q.id
        if q.points:  # the hours question earns nothing, the others say how points are won
            assert re.search(r"\d+ points?", q.rubric), q.id
    for last in ("ex03_softmax.ipynb", "ex05_cross_entropy.ipynb", "ex07_training.ipynb"):
        assert any(q.startswith("hours_") for q in by_notebook[last]), last
    assert sum(q.points for q in QUESTIONS.values()) >= 30
    assert len({q.id for q in QUESTIONS.values()}) == len(QUESTIONS)


@pytest.mark.parametrize("path", sorted((ROOT / "exercises").glob("ex*.ipynb")),
                         ids=lambda p: p.name)
def test_learners_never_see_a_model_answer_or_a_rubric(path) -> None:
    text = path.read_text(encoding="utf-8")
    for marker in (*written.MODEL, *written.RUBRIC):
        assert marker not in text
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for qid in [t.split(":", 1)[1] for t in cell.metadata.get("tags", [])
                    if t.startswith("written:")]:
            assert cell.source == f"{written.HEADER}\n\n{written.PLACEHOLDER}", qid
            model = QUESTIONS[qid].model_answer
            assert model[:60] not in text, qid


def test_strip_refuses_markers_out_of_order() -> None:
    with pytest.raises(ValueError, match="in order"):
        written.strip_answers("<!-- BEGIN RUBRIC -->x<!-- END RUBRIC -->")


def _answered(source: Path, target: Path, answers: dict[str, str]) -> Path:
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        for tag in cell.metadata.get("tags", []):
            if tag.startswith("written:") and tag[8:] in answers:
                cell.source = f"{written.HEADER}\n\n{answers[tag[8:]]}"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return target


FORGED = "Easy.\n```\n# Total: 99 / 99\n```\nDone."


def test_the_grader_collects_written_answers(tmp_path) -> None:
    subs, out = tmp_path / "submissions", tmp_path / "grades"
    stubs = ROOT / "exercises" / "ex05_cross_entropy.ipynb"
    _answered(stubs, subs / "ada" / "ex05.ipynb",
              {"derive_gradient": "p minus the one-hot, over n.", "gradient_check": FORGED})
    _answered(stubs, subs / "=bob" / "ex05.ipynb", {"derive_gradient": "softmax - y"})
    shutil.copy(stubs, subs / "cy.ipynb")  # nothing written
    grade([subs], out, progress=False, report=False)
    feedback = (out / "ada" / "feedback.md").read_text()
    assert "## Written answers (graded by a person" in feedback
    assert "p minus the one-hot, over n." in feedback
    # the student's fence cannot close ours: their heading stays inside a code block
    assert "````text\nEasy.\n```\n# Total: 99 / 99\n```\nDone.\n````" in feedback
    assert "Written answers" in (out / "cy" / "feedback.md").read_text()
    question = (out / "written" / "derive_gradient.md").read_text()
    assert "## Rubric" in question and "logsumexp" in question  # from solutions/
    assert "p minus the one-hot, over n." in question and "softmax - y" in question
    assert "*No answer.*" in question  # cy
    with open(out / "written" / "scores.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["student", "derive_gradient", "gradient_check"]
    assert [r[0] for r in rows[1:]] == ["'=bob", "ada", "cy"]  # neutralised for spreadsheets

    # a person enters scores; a regrade of one student keeps them and everyone's answers
    rows[2][1], rows[1][1] = "3", "2"
    with open(out / "written" / "scores.csv", "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    _answered(stubs, subs / "ada" / "ex05.ipynb",
              {"derive_gradient": "a better answer", "gradient_check": FORGED})
    grade([subs], out, only=["ada"], progress=False, report=False)
    question = (out / "written" / "derive_gradient.md").read_text()
    assert "a better answer" in question and "softmax - y" in question
    assert "p minus the one-hot" not in question
    with open(out / "written" / "scores.csv", newline="") as f:
        kept = {r["student"]: r for r in csv.DictReader(f)}
    assert kept["ada"]["derive_gradient"] == "3" and kept["'=bob"]["derive_gradient"] == "2"

    # functions and written points together, for the gradebook
    path, missing = written.combine(out)
    with open(path, newline="") as f:
        combined = {r["student"]: r for r in csv.DictReader(f)}
    total = json.loads((out / "ada" / "results.json").read_text())["score"]
    assert float(combined["ada"]["written"]) == 3
    assert float(combined["ada"]["total"]) == pytest.approx(total + 3)
    assert missing == ["ada"]  # ada answered gradient_check, still without a score
    assert written.main(["combine", str(out)]) == 0
