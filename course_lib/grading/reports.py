"""What the grader writes: ``results.json`` and ``feedback.md`` per student, ``grades.csv``,
and ``names.csv`` (which folder each student's row belongs to).

Every file is written atomically (a temporary file in the same folder, then a rename), so
a crash or a full disk leaves the old file or the new one, never half of one. Grading some
students into an OUT that already holds a class replaces their rows and keeps everyone
else's; ``names.csv`` lets a regrade find each student's row again by the folder they
handed in.

Nothing a student wrote can forge what others read (:mod:`.untrusted`): in
``feedback.md`` their text sits in fences it cannot close, names are escaped; every CSV cell
a spreadsheet would run is neutralised; ``results.json`` asks Gradescope to show its text
as plain text.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.grading import written as written_answers
from course_lib.grading.registry import EXERCISES
from course_lib.grading.submissions import Student, natural_key
from course_lib.grading.untrusted import csv_row, csv_value, escape, fence, inline

GRADES = "grades.csv"
NAMES = "names.csv"


@dataclass
class StudentResult:
    """One student's grade: a fraction (0..1) and a message per exercise, and notes.

    ``anomalies`` are ``(kind, text)`` pairs for the instructor's run report;
    ``diagnoses`` says per exercise what the answer was judged to be (``"full marks"``, a
    catalogued mistake's name, ``"unexplained"``, ...), for the class summary.
    """

    name: str
    exercises: list[str]
    scores: dict[str, float] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    output: str = ""
    notebooks: list[str] = field(default_factory=list)
    anomalies: list[tuple[str, str]] = field(default_factory=list)
    diagnoses: dict[str, str] = field(default_factory=dict)
    written: dict[str, str] = field(default_factory=dict)  # question id -> answer

    def points(self, ex_id: str) -> float:
        return round(self.scores.get(ex_id, 0.0) * EXERCISES[ex_id].points, 4)

    @property
    def total(self) -> float:
        return round(sum(self.points(e) for e in self.exercises), 4)

    @property
    def max_total(self) -> float:
        return sum(EXERCISES[e].points for e in self.exercises)

    def results_json(self) -> dict:
        """Gradescope's format: ``score``, ``output``, one test per exercise of the run,
        every text shown as plain text (never as HTML or Markdown)."""
        tests = [{
            "name": f"{ex_id}: {EXERCISES[ex_id].title}",
            "score": self.points(ex_id),
            "max_score": EXERCISES[ex_id].points,
            "status": "passed" if self.scores.get(ex_id, 0.0) == 1.0 else "failed",
            "output": self.messages.get(ex_id, "not graded"),
            "visibility": "visible",
        } for ex_id in self.exercises]
        return {"score": self.total, "output": self.output, "output_format": "text",
                "test_output_format": "text", "test_name_format": "text", "tests": tests,
                "extra_data": {"diagnoses": {e: self.diagnoses[e] for e in self.exercises
                                             if e in self.diagnoses}}}

    def feedback_md(self) -> str:
        """The same in plain words, to hand back to the student.

        Everything the student controls (their name, file names, what their code printed
        or raised) is escaped or fenced so it can never pose as the grader's words.
        """
        lines = [f"# Feedback for {escape(self.name)}", "",
                 f"Total: **{self.total:g} / {self.max_total:g}**", "",
                 "Graded from: " + (", ".join(inline(n) for n in self.notebooks) or "nothing"),
                 "",
                 "| exercise | points |", "| --- | --- |"]
        lines += [f"| {EXERCISES[e].title} (`{e}`) | {self.points(e):g} / "
                  f"{EXERCISES[e].points:g} |" for e in self.exercises]
        for ex_id in self.exercises:
            lines += ["", f"## {EXERCISES[ex_id].title} (`{ex_id}`)", "",
                      fence(self.messages.get(ex_id, "not graded").strip())]
        lines += written_answers.feedback_section(self.written)
        if self.output.strip():
            lines += ["", "## How it was graded", "", fence(self.output.strip())]
        return "\n".join(lines) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` in one step: a temporary file beside it, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; grades are read by people and tools
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV this grader wrote, every cell as it was before
    :func:`~course_lib.grading.untrusted.csv_cell` neutralised it."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = [csv_value(h) for h in next(reader, [])]
        rows = [dict(zip(header, (csv_value(c) for c in row), strict=False)) for row in reader]
    return header, rows


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    """Write a CSV atomically, every cell neutralised for spreadsheets."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(csv_row(header))
    writer.writerows(csv_row(r) for r in rows)
    write_atomic(path, buf.getvalue())
    return path


def read_grades(out: Path) -> tuple[list[str], dict[str, dict[str, str]]]:
    """The exercise columns and the rows (by student) of an existing ``OUT/grades.csv``.

    Raises ``ValueError`` if the file is there but is not a grade sheet of this grader.
    """
    path = out / GRADES
    if not path.exists():
        return [], {}
    header, rows = read_csv(path)
    if header[:1] != ["student"] or header[-1:] != ["total"] or any(
            h not in EXERCISES for h in header[1:-1]):
        raise ValueError(f"{path} is not a grade sheet written by this grader; move it away "
                         "or choose another --out folder")
    return header[1:-1], {r["student"]: r for r in rows}


def write_grades(out: Path, results: list[StudentResult], exercises: list[str]) -> Path:
    """Merge ``results`` into ``OUT/grades.csv``: their rows replaced, everyone else kept."""
    _, rows = read_grades(out)
    for r in results:
        rows[r.name] = {"student": r.name, **{e: f"{r.points(e):g}" for e in r.exercises},
                        "total": f"{r.total:g}"}
    return write_csv(out / GRADES, ["student", *exercises, "total"],
                     [[name, *[rows[name].get(e, "") for e in exercises],
                       rows[name].get("total", "")] for name in sorted(rows, key=natural_key)])


def read_names(out: Path) -> dict[str, dict[str, str]]:
    """``{student: {"folder": ..., "source": ...}}`` from ``OUT/names.csv`` (empty if none)."""
    path = out / NAMES
    if not path.is_file():
        return {}
    _, rows = read_csv(path)
    return {r["student"]: {"folder": r.get("folder", ""), "source": r.get("source", "")}
            for r in rows if r.get("student")}


def write_names(out: Path, students: list[Student]) -> Path:
    """Remember which folder each of ``students`` was graded from (their rows kept)."""
    names = read_names(out)
    for s in students:
        names[s.name] = {"folder": s.folder, "source": s.source}
    return write_csv(out / NAMES, ["student", "folder", "source"],
                     [[n, names[n]["folder"], names[n]["source"]]
                      for n in sorted(names, key=natural_key)])


def write_student(out: Path, result: StudentResult) -> None:
    """``OUT/<student>/results.json`` and ``OUT/<student>/feedback.md``."""
    folder = out / result.name
    write_atomic(folder / "results.json", json.dumps(result.results_json(), indent=2) + "\n")
    write_atomic(folder / "feedback.md", result.feedback_md())
