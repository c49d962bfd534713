"""Grade a class: ``python -m course_lib.grade SUBMISSIONS... --out DIR``.

The unit is the student (:mod:`.submissions` says who handed in what). For each student,
only the cells tagged ``answer:<id>`` of their notebooks run, in a sandbox of their own
(:mod:`.isolation`: bubblewrap, rlimits, Landlock), on the course's visible and hidden
cases. The sandbox sends back what the functions returned, as data; expected values are
computed and compared here, in the grader's own process (:func:`.registry.assess`).

Outputs (:mod:`.reports`), each file written atomically once every sandbox has ended:
``OUT/<student>/results.json`` (Gradescope's format, one test per exercise of the run),
``OUT/<student>/feedback.md`` (the same in plain words) and ``OUT/grades.csv`` (a row per
student: ``student``, one column per exercise, ``total``), merged with the rows already
there. Without ``--seed`` the cases come from :data:`COURSE_SEED`, so the same notebook
always earns the same grade; ``--seed N`` draws other hidden cases (a new term).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import threading
import time
import warnings
import zlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from course_lib.grading import isolation, reports, written
from course_lib.grading.attempt import Attempt
from course_lib.grading.model import Case
from course_lib.grading.registry import EXERCISES, assess
from course_lib.grading.sandbox import decode
from course_lib.grading.submissions import Student, answer_cells, collect

COURSE_SEED = 1729
"""The seed of every run without ``--seed``: the same submission, the same grade."""

PACKAGE = Path(__file__).resolve().parents[1]


def make_cases(seed: int, exercises: Iterable[str] = EXERCISES) -> dict[str, list[Case]]:
    """Visible then hidden cases of each exercise; each exercise draws from its own stream,
    so adding an exercise to the registry changes no other exercise's cases."""
    cases = {}
    for ex_id in exercises:
        rng = np.random.default_rng([seed, zlib.crc32(ex_id.encode())])
        ex = EXERCISES[ex_id]
        cases[ex_id] = ex.cases(rng, hidden=False) + ex.cases(rng, hidden=True)
    return cases


# --- one student ----------------------------------------------------------------------------


def read_answers(students: list[Student]) -> dict[Path, list[dict] | ValueError]:
    """Every notebook's answer cells, read once: a list of cells, or why it is unreadable."""
    answers: dict[Path, list[dict] | ValueError] = {}
    for path in (p for s in students for p in s.notebooks):
        try:
            answers[path] = answer_cells(path)
        except ValueError as exc:
            answers[path] = exc
    return answers


def plan(student: Student, answers: dict[Path, list[dict] | ValueError], exercises: list[str],
         cases: dict[str, list[Case]], timeout: float) -> tuple[dict, dict[str, str], list[str]]:
    """The sandbox job for ``student``: their answer cells, notebook by notebook, and the
    cases of each exercise they answered. Returns (job, messages for exercises that cannot
    run, notes for the report)."""
    notes: list[str] = []
    found: dict[str, list[int]] = {}
    notebooks: list[dict] = []
    for path in student.notebooks:
        cells = answers[path]
        if isinstance(cells, ValueError):
            notes.append(str(cells))
            continue
        for cell in cells:
            found.setdefault(cell["id"], [])
            if len(notebooks) not in found[cell["id"]]:
                found[cell["id"]].append(len(notebooks))
        notebooks.append({"name": path.name, "cells": cells})
    messages: dict[str, str] = {}
    jobs = []
    for ex_id in exercises:
        where = found.get(ex_id, [])
        if not where:
            messages[ex_id] = (f"{ex_id}: no answer found (no cell tagged answer:{ex_id} in "
                               "the notebooks handed in)")
            continue
        preferred = [i for i in where if notebooks[i]["name"] == EXERCISES[ex_id].notebook]
        chosen = (preferred or where)[0]
        if len(where) > 1:
            names = ", ".join(notebooks[i]["name"] for i in where)
            notes.append(f"{ex_id} is answered in {len(where)} notebooks ({names}); "
                         f"graded the one in {notebooks[chosen]['name']}")
        jobs.append({"id": ex_id, "function_name": EXERCISES[ex_id].function_name,
                     "notebook": chosen,
                     "cases": [{"args": list(c.args), "kwargs": c.kwargs}
                               for c in cases[ex_id]]})
    job = {"notebooks": notebooks, "exercises": jobs,
           "seconds_per_exercise": max(1, int(timeout))}
    return job, messages, notes


def _attempt(item: dict) -> Attempt:
    """An attempt as sent back by the sandbox; anything malformed is a wrong answer."""
    output = item.get("output")
    try:
        decoded = decode(output) if output is not None else None
        if decoded is not None:
            decoded = np.asarray(decoded)
            if decoded.dtype.kind not in "biuf":
                raise TypeError
    except Exception:
        return Attempt(error="its result could not be read back")
    return Attempt(output=decoded, error=item.get("error"),
                   not_implemented=bool(item.get("not_implemented")),
                   mutated=bool(item.get("mutated")),
                   warnings=[str(w) for w in item.get("warnings", [])][:10])


def judge(student: Student, exercises: list[str], cases: dict[str, list[Case]],
          messages: dict[str, str], outcome: isolation.Outcome | None,
          header: list[str]) -> reports.StudentResult:
    """Compare what came back with the expected values, here in the grader's process."""
    result = reports.StudentResult(student.name, list(exercises), messages=dict(messages),
                                   notebooks=[p.name for p in student.notebooks])
    by_id = {x.get("id"): x for x in (outcome.lines if outcome else [])
             if isinstance(x.get("id"), str)}
    for ex_id in exercises:
        if ex_id in result.messages:
            continue
        item = by_id.get(ex_id)
        if item is None:
            why = f" ({outcome.note})" if outcome and outcome.note else ""
            result.messages[ex_id] = f"{ex_id}: no result came back{why}"
        elif "error" in item:
            result.messages[ex_id] = f"{ex_id}: {str(item['error'])[:400]}"
        elif not isinstance(item.get("attempts"), list) or len(item["attempts"]) != len(
                cases[ex_id]):
            result.messages[ex_id] = f"{ex_id}: an incomplete result came back"
        else:
            verdict = assess(ex_id, cases[ex_id], [_attempt(a) for a in item["attempts"]])
            result.scores[ex_id] = verdict.score
            result.messages[ex_id] = verdict.message
    parts = list(header)
    if outcome and outcome.note:
        parts.append(outcome.note)
    if outcome and outcome.printed.strip():
        parts.append("printed:\n" + outcome.printed)
    result.output = "\n".join(parts)
    return result


# --- the class -----------------------------------------------------------------------------


def _digest() -> str:
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        h.update(str(path).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


class _Progress:
    """A bar on a terminal; silence elsewhere (the summary line says the rest)."""

    def __init__(self, total: int, show: bool) -> None:
        self.total, self.done, self.show = total, 0, show
        self.lock = threading.Lock()

    def step(self) -> None:
        with self.lock:
            self.done += 1
            if self.show:
                bar = "#" * (30 * self.done // max(1, self.total))
                print(f"\r[{bar:<30}] {self.done}/{self.total} students", end="",
                      file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.show and self.total:
            print(file=sys.stderr)


def grade(submissions: Iterable[str | Path], out: str | Path, *, student: str | None = None,
          only: Iterable[str] | None = None, seed: int | None = None, jobs: int | None = None,
          timeout: float = 10.0, exercises: list[str] | None = None,
          progress: bool | None = None, isolation_mode: str = "auto",
          ) -> list[reports.StudentResult]:
    """Grade every student in ``submissions`` into ``out``; return their results.

    Parameters
    ----------
    submissions : folders and notebooks
        Each sub-folder of a folder is a student; a notebook directly inside a folder, or
        named itself, is a student named by its stem.
    out : path
        ``OUT/<student>/results.json``, ``OUT/<student>/feedback.md``, ``OUT/grades.csv``
        (merged with the rows already there).
    student : str, optional
        Everything in ``submissions`` is this one student's (a Gradescope submission).
    only : names, optional
        Grade only these students of ``submissions`` (a regrade); the others' rows stay.
    seed : int, optional
        Draw the cases from this seed; default :data:`COURSE_SEED`.
    jobs : int, optional
        Students graded at once (default: the number of CPUs).
    timeout : float
        Seconds per exercise, for each cell and each exercise's cases; a student's sandbox
        is killed after ``timeout`` times the number of exercises, plus 2 s.
    exercises : list of ids, optional
        The exercises of the run: the columns of ``grades.csv`` and the tests of every
        ``results.json``. Default: those already in ``grades.csv`` and those answered by
        anyone in this run.
    progress : bool, optional
        Draw a progress bar (default: when standard error is a terminal).
    isolation_mode : ``"auto"``, ``"bwrap"`` or ``"basic"``
        See :func:`course_lib.grading.isolation.choose`.
    """
    out = Path(out)
    students = collect(submissions, student=student)
    if only is not None:
        wanted = list(only)
        known = {s.name for s in students}
        missing = [n for n in wanted if n not in known]
        if missing:
            raise ValueError(f"no student named {', '.join(missing)} in the submissions "
                             f"(there are: {', '.join(sorted(known)) or 'none'})")
        students = [s for s in students if s.name in wanted]
    if not students:
        return []
    previous, _ = reports.read_grades(out)  # refuses a foreign grades.csv before any work
    unknown = [e for e in exercises or [] if e not in EXERCISES]
    if unknown:
        raise ValueError(f"unknown exercise id(s): {', '.join(unknown)}; the exercises are "
                         f"{', '.join(EXERCISES)}")
    answers = read_answers(students)
    if not exercises:
        answered = set(previous)
        for cells in answers.values():
            if not isinstance(cells, ValueError):
                answered |= {c["id"] for c in cells}
        exercises = [e for e in EXERCISES if e in answered] or list(EXERCISES)
    seed = COURSE_SEED if seed is None else int(seed)
    cases = make_cases(seed, exercises)
    chosen = isolation.choose(isolation_mode)
    if chosen.mode != "bwrap":
        print("WARNING: " + chosen.describe(), file=sys.stderr)
    box = isolation.Sandbox(chosen.mode)
    wall = timeout * max(1, len(exercises)) + 2
    header = [f"graded with seed {seed}", chosen.describe()]
    before = _digest()
    bar = _Progress(len(students), sys.stderr.isatty() if progress is None else progress)

    def run(s: Student) -> tuple[dict[str, str], isolation.Outcome | None, list[str]]:
        try:
            job, messages, notes = plan(s, answers, exercises, cases, timeout)
            outcome = box.run(job, wall) if job["exercises"] else None
            return messages, outcome, notes
        except Exception as exc:  # the grader's own failure on one student stops nothing
            why = f"grading failed: {type(exc).__name__}: {exc}"
            return {e: f"{e}: not graded, {why}" for e in exercises}, None, [why]
        finally:
            bar.step()

    try:
        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
            raw = list(pool.map(run, students))
    finally:
        bar.close()
    tampered = _digest() != before
    results = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # the reference's own warnings are not the student's
        for s, (messages, outcome, notes) in zip(students, raw, strict=True):
            try:
                results.append(judge(s, exercises, cases, messages, outcome, header + notes))
            except Exception as exc:  # the grader's own bug costs this student a regrade only
                why = f"grading failed: {type(exc).__name__}: {exc}; please regrade"
                print(f"WARNING: {s.name}: {why}", file=sys.stderr)
                results.append(reports.StudentResult(
                    s.name, list(exercises), messages={e: f"{e}: not graded" for e in exercises},
                    output="\n".join([*header, why]),
                    notebooks=[p.name for p in s.notebooks]))
    if tampered:  # only possible without bubblewrap and Landlock
        print("WARNING: course_lib changed on disk during the run; reinstall it and regrade",
              file=sys.stderr)
    written.attach(results, students, out)  # answers to written questions, for a person
    for r in results:
        reports.write_student(out, r)
    reports.write_grades(out, results, exercises)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.grade",
        description="Grade a class of exercise notebooks, student by student, in sandboxes.")
    parser.add_argument("submissions", nargs="+",
                        help="folders (each sub-folder is a student) or .ipynb files")
    parser.add_argument("--out", required=True,
                        help="folder for <student>/results.json, feedback.md and grades.csv")
    parser.add_argument("--seed", type=int, default=None,
                        help=f"draw other hidden cases (default: the course's {COURSE_SEED})")
    parser.add_argument("--exercises", default=None,
                        help="comma-separated exercise ids (default: those answered)")
    parser.add_argument("--student", default=None,
                        help="grade everything given as ONE student of this name")
    parser.add_argument("--only", default=None,
                        help="comma-separated students to (re)grade; the others' rows stay")
    parser.add_argument("--jobs", type=int, default=None, help="students at once (default: CPUs)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per exercise")
    parser.add_argument("--isolation", default="auto", choices=["auto", "bwrap", "basic"],
                        help="auto: bubblewrap where it works, else basic, said loudly")
    bar = parser.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="draw a progress bar (default: on a terminal only)")
    bar.add_argument("--no-progress", dest="progress", action="store_false")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        results = grade(
            args.submissions, args.out, student=args.student,
            only=args.only.split(",") if args.only else None, seed=args.seed,
            jobs=args.jobs, timeout=args.timeout,
            exercises=args.exercises.split(",") if args.exercises else None,
            progress=args.progress, isolation_mode=args.isolation)
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not results:
        print("error: no .ipynb notebooks found in " + " ".join(args.submissions),
              file=sys.stderr)
        return 2
    notebooks = sum(len(r.notebooks) for r in results)
    mean = float(np.mean([r.total for r in results]))
    print(f"graded {len(results)} student(s), {notebooks} notebook(s), in "
          f"{time.perf_counter() - started:.1f} s; mean {mean:.2f} / {results[0].max_total:g}; "
          f"{isolation.choose(args.isolation).mode} isolation; "
          f"grades in {Path(args.out) / reports.GRADES}")
    return 0
