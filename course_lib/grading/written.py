"""Written questions: answered in words, graded by a person, collected by the grader.

In ``solutions/`` a written question is two markdown cells: the question, tagged
``question:<id>``, whose heading ends with its points (``### Question `exp_not_square` (2
points)``), and the answer cell, tagged ``written:<id>``, holding the model answer and the
rubric between markers::

    **Your answer.**

    <!-- BEGIN MODEL ANSWER -->
    ...what a full-marks answer says...
    <!-- END MODEL ANSWER -->

    <!-- BEGIN RUBRIC -->
    - 1 point: ...
    <!-- END RUBRIC -->

The exercise generator (:mod:`.build_exercises`) replaces everything from the first marker
to the last with :data:`PLACEHOLDER`, so learners see the question and an empty answer
cell. When grading, :func:`answers` reads each student's answer cells (any cell tagged
``written:<id>``), the student's ``feedback.md`` shows what they wrote, and
:func:`write_collection` writes, for the person who grades them, one file per question
(``OUT/written/<id>.md``: the question, its rubric and model answer, then every student's
answer) and ``OUT/written/scores.csv`` to fill in (scores already entered are kept).
:func:`combine` (``python -m course_lib.grading.written combine OUT``) then adds the graded
functions and the written points into ``OUT/combined.csv``, one total per student, which the
Canvas export takes like ``grades.csv``.

>>> print(strip_answers("**Your answer.**\\n\\n<!-- BEGIN MODEL ANSWER -->\\nx\\n"
...                     "<!-- END MODEL ANSWER -->\\n<!-- BEGIN RUBRIC -->\\n- 1 point\\n"
...                     "<!-- END RUBRIC -->"))
**Your answer.**
<BLANKLINE>
*Write your answer here, in your own words.*
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course_lib.grading.untrusted import csv_cell, csv_value, escape, fence

MODEL = ("<!-- BEGIN MODEL ANSWER -->", "<!-- END MODEL ANSWER -->")
RUBRIC = ("<!-- BEGIN RUBRIC -->", "<!-- END RUBRIC -->")
PLACEHOLDER = "*Write your answer here, in your own words.*"
HEADER = "**Your answer.**"
POINTS = re.compile(r"\((\d+(?:\.\d+)?) points?\b")
FOLDER = "written"
SCORES = "scores.csv"
_TAG = "written:"
_QUESTION = "question:"


@dataclass(frozen=True)
class Question:
    """One written question as ``solutions/`` holds it."""

    id: str
    notebook: str
    points: float
    prompt: str
    model_answer: str
    rubric: str


def _between(text: str, markers: tuple[str, str]) -> str:
    start, end = text.find(markers[0]), text.find(markers[1])
    if start < 0 or end < start:
        return ""
    return text[start + len(markers[0]):end].strip()


def strip_answers(source: str) -> str:
    """The learner's version of an answer cell: model answer and rubric replaced by
    :data:`PLACEHOLDER`.

    Raises ``ValueError`` if a marker is missing or out of order.
    """
    positions = [source.find(m) for m in (*MODEL, *RUBRIC)]
    if min(positions) < 0 or positions != sorted(positions):
        raise ValueError("a written answer cell needs, in order, " + ", ".join(
            (*MODEL, *RUBRIC)))
    end = positions[-1] + len(RUBRIC[1])
    return (source[:positions[0]] + PLACEHOLDER + source[end:]).strip()


def _ids(cell: dict, prefix: str) -> list[str]:
    return [t[len(prefix):] for t in cell.get("metadata", {}).get("tags", [])
            if isinstance(t, str) and t.startswith(prefix)]


def questions(solutions: Path) -> dict[str, Question]:
    """Every written question of the notebooks in ``solutions``, in notebook order.

    Raises ``ValueError`` naming the notebook when a question has no answer cell, no
    points in its heading, or appears twice.
    """
    found: dict[str, Question] = {}
    for path in sorted(Path(solutions).glob("ex*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        prompts = {q: c.source for c in nb.cells for q in _ids(c, _QUESTION)}
        for cell in nb.cells:
            for qid in _ids(cell, _TAG):
                if qid in found:
                    raise ValueError(f"{path.name}: written question {qid!r} appears twice")
                prompt = prompts.get(qid)
                points = POINTS.search(prompt or "")
                if prompt is None or points is None:
                    raise ValueError(f"{path.name}: written question {qid!r} needs a cell "
                                     f"tagged question:{qid} whose heading gives its points, "
                                     "e.g. '(2 points)'")
                found[qid] = Question(qid, path.name, float(points.group(1)), prompt.strip(),
                                      _between(cell.source, MODEL), _between(cell.source, RUBRIC))
    return found


def answer_text(source: str) -> str:
    """What a learner wrote in an answer cell: without the header and the placeholder."""
    text = source.replace(HEADER, "", 1).replace(PLACEHOLDER, "")
    return text.strip()


def answers(notebooks: Iterable[Path]) -> dict[str, str]:
    """``{question id: answer}`` from a student's notebooks (the first non-empty answer to
    each question wins; unreadable notebooks are skipped, the grader reports them)."""
    out: dict[str, str] = {}
    for path in notebooks:
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - corrupt or foreign files are the grader's to report
            continue
        for cell in nb.get("cells", []):
            if cell.get("cell_type") != "markdown":
                continue
            for qid in _ids(cell, _TAG):
                text = answer_text(str(cell.get("source", "")))
                if text and not out.get(qid):
                    out[qid] = text
                else:
                    out.setdefault(qid, "")
    return out


def feedback_section(written: dict[str, str]) -> list[str]:
    """Lines for ``feedback.md``: what the student wrote to each question, to be graded by a
    person (nothing if the student's notebooks hold no written question)."""
    if not written:
        return []
    lines = ["", "## Written answers (graded by a person, not included in the total above)"]
    for qid, text in written.items():
        lines += ["", f"### {escape(qid)}", "", fence(text) if text else "*No answer.*"]
    return lines


SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"


def attach(results: list, students: list, out: Path) -> None:
    """The grader's hook: each student's written answers into their result (and so their
    ``feedback.md``), and every answer into ``OUT/written/`` for the person grading them.
    ``results`` and ``students`` are in the same order."""
    class_answers = {}
    for result, student in zip(results, students, strict=True):
        result.written = answers(student.notebooks)
        if result.written:
            class_answers[result.name] = result.written
    write_collection(out, class_answers, SOLUTIONS if SOLUTIONS.is_dir() else None)


def write_collection(out: Path, written: dict[str, dict[str, str]],
                     solutions: Path | None) -> list[Path]:
    """Write ``OUT/written/<id>.md`` per question and ``OUT/written/scores.csv``.

    ``written`` is ``{student: {question id: answer}}`` for the students of this run; the
    files of a question keep the answers of students graded earlier. ``solutions`` (the
    course's ``solutions/`` folder, if at hand) gives each file its question, rubric and
    model answer. Returns the files written.
    """
    from course_lib.grading.reports import write_atomic

    folder = Path(out) / FOLDER
    known = questions(solutions) if solutions is not None and Path(solutions).is_dir() else {}
    ids = list(dict.fromkeys([*known, *(q for a in written.values() for q in a)]))
    ids = [q for q in ids if any(q in a for a in written.values())]
    if not ids:
        return []
    written_files = []
    for qid in ids:
        path = folder / f"{qid}.md"
        earlier = _read_answers(path)  # by heading: the student's name, escaped
        earlier.update({escape(s): a[qid] for s, a in written.items() if qid in a})
        q = known.get(qid)
        lines = [f"# Written question {escape(qid)}", ""]
        if q is not None:
            lines += [f"From {escape(q.notebook)}, {q.points:g} points.", "", q.prompt, "",
                      "## Rubric", "", q.rubric or "(none given)", "", "## Model answer", "",
                      q.model_answer or "(none given)", ""]
        lines += ["## Answers", ""]
        for student in sorted(earlier, key=str.casefold):
            lines += [f"### {student}", "", fence(earlier[student]) if earlier[student]
                      else "*No answer.*", ""]
        write_atomic(path, "\n".join(lines))
        written_files.append(path)
    written_files.append(_write_scores(folder / SCORES, ids, written))
    return written_files


_ANSWER = re.compile(r"^### ([^\n]+)\n\n(?:(`{3,})text\n(.*?)\n\2|\*No answer\.\*)$", re.M | re.S)
"""One student's answer in a question's file, as :func:`write_collection` writes it."""


def _read_answers(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8")
    body = text.split("\n## Answers\n", 1)[-1]
    return {m.group(1): m.group(3) or "" for m in _ANSWER.finditer(body)}


def _write_scores(path: Path, ids: list[str], written: dict[str, dict[str, str]]) -> Path:
    from course_lib.grading.reports import write_atomic

    rows: dict[str, dict[str, str]] = {}
    header = ["student", *ids]
    if path.is_file():
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            old = [csv_value(h) for h in next(reader, ["student"])]
            header = list(dict.fromkeys([*old, *ids]))
            rows = {}
            for raw in reader:
                row = dict(zip(old, (csv_value(v) for v in raw), strict=False))
                if row.get("student"):
                    rows[row["student"]] = row
    for student in written:
        rows.setdefault(student, {"student": student})
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_cell(h) for h in header])
    for student in sorted(rows, key=str.casefold):
        w.writerow([csv_cell(student), *(csv_cell(rows[student].get(q, "") or "")
                                         for q in header[1:])])
    write_atomic(path, buf.getvalue())
    return path


COMBINED = "combined.csv"


def combine(out: Path) -> tuple[Path, list[str]]:
    """``OUT/combined.csv``: per student the functions' points (``grades.csv``), the written
    points (``written/scores.csv``) and their sum. Returns the file and the students who
    still have an answer without a score (their written points count what is entered)."""
    from course_lib.grading.reports import GRADES, read_csv, write_csv

    out = Path(out)
    header, rows = read_csv(out / GRADES) if (out / GRADES).is_file() else ([], [])
    machine = {r["student"]: float(r.get("total") or 0) for r in rows if r.get("student")}
    scores_path = out / FOLDER / SCORES
    s_header, s_rows = read_csv(scores_path) if scores_path.is_file() else (["student"], [])
    answered = {q: _read_answers(out / FOLDER / f"{q}.md") for q in s_header[1:]}
    by_person: dict[str, float] = {}
    missing: list[str] = []
    for row in s_rows:
        student, total = row["student"], 0.0
        for q in s_header[1:]:
            cell = (row.get(q) or "").strip()
            if cell:
                try:
                    total += float(cell)
                except ValueError:
                    raise ValueError(f"{scores_path}: the score of {student} for {q} is not a "
                                     f"number: {cell!r}") from None
            elif answered[q].get(escape(student)):
                missing.append(student)
        by_person[student] = total
    names = sorted(set(machine) | set(by_person), key=str.casefold)
    path = write_csv(out / COMBINED, ["student", "functions", "written", "total"], [
        [n, f"{machine.get(n, 0.0):g}", f"{by_person.get(n, 0.0):g}",
         f"{machine.get(n, 0.0) + by_person.get(n, 0.0):g}"] for n in names])
    return path, sorted(set(missing), key=str.casefold)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m course_lib.grading.written",
                                     description="Written answers after grading.")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("combine", help="OUT/combined.csv: functions + written points")
    c.add_argument("out", type=Path, help="the grader's --out folder")
    args = parser.parse_args(argv)
    try:
        path, missing = combine(args.out)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}", file=sys.stderr)
    if missing:
        print(f"{len(missing)} student(s) have written answers without a score in "
              f"{args.out / FOLDER / SCORES}: " + ", ".join(missing), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
