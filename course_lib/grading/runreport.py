"""What the instructor is told after a run: ``OUT/run-report.md``, ``OUT/mistakes.csv``
and the same on standard error.

Two parts. First, every anomaly of the run, one line each, grouped by student: timeouts,
results forged or cut, links and special files refused, limits hit, the grader's own
failures, students with no answers; and, above them, what the run could not apply
(isolation fallbacks, a shared process limit) and files a platform download refused.
Second, what the class got wrong: for each exercise, how many students' answers were each
catalogued mistake (and how many were unexplained, not implemented or missing), most
frequent first, over every student in ``grades.csv`` (so a regrade of one student keeps
the whole class's picture). ``mistakes.csv`` holds the same table with the students' names.

Names and texts that students control are printed without control characters on the
terminal and escaped in the Markdown file.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.grading import reports
from course_lib.grading.submissions import natural_key
from course_lib.grading.untrusted import escape, inline, printable

REPORT = "run-report.md"
MISTAKES = "mistakes.csv"
KINDS = {  # anomaly kind -> how it is headed, in the order it is listed
    "refused": "refused", "timeout": "timeout", "result": "result forged or cut",
    "limit": "limit hit", "no answers": "no answers", "grader": "grader failure",
}


@dataclass
class Run:
    """One run: its students' results and what the run itself has to say."""

    results: list[reports.StudentResult]
    exercises: list[str]
    seconds: float = 0.0
    seed: int | None = None
    isolation: str = ""
    warnings: list[str] = field(default_factory=list)


def class_diagnoses(out: Path, exercises: list[str]) -> dict[str, dict[str, list[str]]]:
    """``{exercise: {what: [students]}}`` over every student in ``OUT/grades.csv``, read
    from their ``results.json`` (students graded before diagnoses were recorded are left
    out)."""
    _, rows = reports.read_grades(out)
    table: dict[str, dict[str, list[str]]] = {e: {} for e in exercises}
    for name in sorted(rows, key=natural_key):
        try:
            data = json.loads((out / name / "results.json").read_text(encoding="utf-8"))
            diagnoses = data.get("extra_data", {}).get("diagnoses", {})
        except (OSError, ValueError, AttributeError):
            continue
        for ex_id, what in diagnoses.items() if isinstance(diagnoses, dict) else ():
            if ex_id in table:
                table[ex_id].setdefault(str(what), []).append(name)
    return table


def _ranked(whats: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
    return sorted(whats.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def render(run: Run, table: dict[str, dict[str, list[str]]], markdown: bool) -> str:
    """The report as Markdown (``markdown``) or as plain text for a terminal."""
    name = escape if markdown else printable
    text = inline if markdown else printable
    flagged = [r for r in run.results if r.anomalies]
    lines = ["# Run report" if markdown else "RUN REPORT", "",
             f"Graded {len(run.results)} student(s) in {run.seconds:.1f} s, seed {run.seed}; "
             f"{run.isolation}.", ""]
    if run.warnings:
        lines += ["## Warnings" if markdown else "WARNINGS", ""]
        lines += [f"- {text(w)}" for w in run.warnings] + [""]
    lines += [f"## Anomalies: {len(flagged)} student(s)" if markdown
              else f"ANOMALIES: {len(flagged)} student(s)", ""]
    if not flagged:
        lines += ["None: every sandbox ended normally and sent back one result per "
                  "exercise.", ""]
    for r in flagged:
        lines.append(f"### {name(r.name)}" if markdown else f"{printable(r.name)}:")
        order = list(KINDS)
        for kind, what in sorted(r.anomalies, key=lambda a: order.index(a[0])
                                 if a[0] in order else len(order)):
            label = KINDS.get(kind, kind)  # a refusal says "refused ..." itself
            lines.append(f"- {text(what)}" if kind == "refused" and what.startswith("refused")
                         else f"- {label}: {text(what)}")
        lines.append("")
    lines += ["## What the class got wrong" if markdown else "WHAT THE CLASS GOT WRONG", "",
              "Every student in grades.csv, per exercise: each catalogued mistake by its name "
              "(the one the feedback names), near misses (right to a few digits, not to the "
              "precision asked), unexplained answers (wrong, and no catalogued mistake "
              "reproduces them), stubs, and answers that did not run or were missing; most "
              "frequent first.", ""]
    for ex_id, whats in table.items():
        counted = sum(len(v) for v in whats.values())
        if not counted:
            continue
        full = len(whats.get("full marks", []))
        title = f"{ex_id}: {counted} student(s), {full} with full marks"
        lines.append(f"### {title}" if markdown else title)
        rest = [(w, who) for w, who in _ranked(whats) if w != "full marks"]
        if markdown and rest:
            lines += ["", "| what | students |", "| --- | --- |"]
        for what, who in rest:
            lines.append(f"| {escape(what)} | {len(who)} |" if markdown
                         else f"  {len(who):4d}  {what}")
        lines.append("")
    return "\n".join(lines)


def write(out: Path, run: Run) -> str:
    """Write ``OUT/run-report.md`` and ``OUT/mistakes.csv``; return the terminal text."""
    table = class_diagnoses(out, run.exercises)
    reports.write_atomic(out / REPORT, render(run, table, markdown=True))
    rows = []
    for ex_id, whats in table.items():
        counted = sum(len(v) for v in whats.values())
        rows += [[ex_id, what, len(who), counted, "; ".join(who)]
                 for what, who in _ranked(whats)]
    reports.write_csv(out / MISTAKES, ["exercise", "what", "students", "of", "names"], rows)
    return render(run, table, markdown=False)


def counts(out: Path, exercise: str) -> Counter:
    """How many students of OUT were judged each way on ``exercise`` (for tests and tools).

    >>> counts(Path("/nonexistent"), "softmax")
    Counter()
    """
    return Counter({w: len(who) for w, who in
                    class_diagnoses(out, [exercise]).get(exercise, {}).items()})

