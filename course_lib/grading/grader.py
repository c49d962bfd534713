"""Grade a class: ``python -m course_lib.grade SUBMISSIONS... --out DIR``.

The unit is the student (:mod:`.submissions` says who handed in what). For each student,
only the cells tagged ``answer:<id>`` of their notebooks run, in a sandbox of their own
(:mod:`.isolation`: bubblewrap, rlimits, Landlock, a process limit and a wall-clock budget
of their own), on the course's visible and hidden cases. The sandbox sends back what the
functions returned, as data; expected values are computed and compared here, in the
grader's own process (:func:`.registry.assess`).

Outputs (:mod:`.reports`), each file written atomically once every sandbox has ended:
``OUT/<student>/results.json`` (Gradescope's format, one test per exercise of the run),
``OUT/<student>/feedback.md`` (the same in plain words) and ``OUT/grades.csv`` (a row per
student: ``student``, one column per exercise, ``total``), merged with the rows already
there; ``OUT/names.csv`` (which folder each row belongs to, so a regrade keeps every
student's row); and the run report for the instructor (:mod:`.runreport`:
``OUT/run-report.md``, ``OUT/mistakes.csv`` and standard error). Without ``--seed`` the
cases come from :data:`COURSE_SEED`, so the same notebook always earns the same grade;
``--seed N`` draws other hidden cases (a new term).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import threading
import time
import unicodedata
import warnings
import zlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from course_lib.grading import isolation, reports, runreport, written
from course_lib.grading.attempt import Attempt
from course_lib.grading.judging import explain_cell_error
from course_lib.grading.mistakes import near_miss
from course_lib.grading.model import Assessment, Case
from course_lib.grading.registry import EXERCISES, assess
from course_lib.grading.sandbox import PROCESSES, decode
from course_lib.grading.submissions import Student, answer_cells, collect
from course_lib.grading.untrusted import HostPaths

COURSE_SEED = 1729
"""The seed of every run without ``--seed``: the same submission, the same grade."""

DEFAULT_TIMEOUT = 10.0
"""Seconds each answer cell and each exercise's cases may take, at every entry point
(``course_lib.grade``, the platform import, the Gradescope bundle)."""

BUDGET_PER_TIMEOUT = 3
"""A student's wall-clock budget, all cells and exercises together, when not given: this
many times the timeout (30 s by default), however many exercises there are."""

GRACE = 2.0  # seconds after the budget before the sandbox is killed from outside

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
         cases: dict[str, list[Case]], timeout: float, budget: float | None = None,
         ) -> tuple[dict, dict[str, str], list[str]]:
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
    job = {"notebooks": notebooks, "exercises": jobs, "seconds_per_exercise": float(timeout),
           "budget_seconds": float(budget or BUDGET_PER_TIMEOUT * timeout)}
    return job, messages, notes


_DTYPE = re.compile(r"[<>|=]?[biuf][1248]")


def _attempt(item: dict) -> Attempt:
    """An attempt as sent back by the sandbox; anything malformed is a wrong answer."""
    output = item.get("output")
    try:
        if output is not None and not (isinstance(output, dict)
                                       and _DTYPE.fullmatch(str(output.get("__nd__")))):
            raise TypeError
        decoded = decode(output) if output is not None else None
        if decoded is not None:
            decoded = np.asarray(decoded)
            if decoded.dtype.kind not in "biuf":
                raise TypeError
    except Exception:
        return Attempt(error="its result could not be read back")
    error = item.get("error")
    return Attempt(output=decoded, error=None if error is None else str(error)[:400],
                   not_implemented=bool(item.get("not_implemented")),
                   mutated=bool(item.get("mutated")),
                   warnings=[str(w)[:200] for w in item.get("warnings", [])][:10])


# What a limit looks like from inside the student's code, and how the instructor is told.
_LIMIT_SIGNS = {
    "the process limit": ("can't start new thread", "Resource temporarily unavailable",
                          "BlockingIOError"),
    "the memory limit": ("MemoryError", "Unable to allocate", "Cannot allocate memory"),
    "the scratch space": ("No space left on device", "Disk quota exceeded"),
    "the file size limit": ("File too large",),
    "the open files limit": ("Too many open files",),
}
_LIMIT_WORDS = {
    "the process limit": f"{PROCESSES} processes and threads",
    "the memory limit": "2 GiB",
    "the scratch space": f"{isolation.SCRATCH_BYTES >> 20} MiB",
    "the file size limit": "1 MiB a file",
    "the open files limit": "64 at once",
}


def _anomalies(student: Student, outcome: isolation.Outcome | None, messages: dict[str, str],
               notes: list[str], job: dict | None) -> list[tuple[str, str]]:
    """What the instructor should hear about this student: ``(kind, text)`` pairs."""
    found: list[tuple[str, str]] = [("refused", n) for n in student.notes]
    found += [("refused", n) for n in notes if "could not" in n or "not a regular" in n
              or "larger than" in n]
    if not student.notebooks:
        found.append(("no answers", "no notebook was handed in"))
    elif job is not None and not job["exercises"]:
        found.append(("no answers", "no answer cell for any exercise of the run"))
    if outcome is not None:
        found += [("result", a) for a in outcome.anomalies]
        if "wall-clock" in outcome.note:
            found.append(("timeout", f"the sandbox was {outcome.note}"))
        elif outcome.note:
            found.append(("limit", outcome.note))
    skipped = []
    for ex_id, text in messages.items():
        if "time budget" in text and "not run" in text:
            skipped.append(ex_id)
        elif "ran for more than" in text or "time budget" in text:
            found.append(("timeout", text.splitlines()[0][:200]))
    if skipped:
        found.append(("timeout", f"not run, the time budget used up: {', '.join(skipped)}"))
    seen = "\n".join([*messages.values(), outcome.printed if outcome else ""])
    reported = set(outcome.ready.get("limits", [])) if outcome else set()
    for limit, signs in _LIMIT_SIGNS.items():
        if limit in reported or any(sign in seen for sign in signs):
            found.append(("limit", f"reached {limit} ({_LIMIT_WORDS[limit]})"))
    return found


def judge(student: Student, exercises: list[str], cases: dict[str, list[Case]],
          messages: dict[str, str], outcome: isolation.Outcome | None,
          header: list[str]) -> reports.StudentResult:
    """Compare what came back with the expected values, here in the grader's process."""
    result = reports.StudentResult(student.name, list(exercises), messages=dict(messages),
                                   notebooks=[p.name for p in student.notebooks])
    results = outcome.results if outcome else {}
    for ex_id in exercises:
        if ex_id in result.messages:
            result.diagnoses[ex_id] = "no answer cell"
            continue
        item = results.get(ex_id)
        if item is None:
            why = f" ({outcome.note})" if outcome and outcome.note else ""
            result.messages[ex_id] = f"{ex_id}: no result came back{why}"
            result.diagnoses[ex_id] = "no result (the sandbox stopped)"
        elif "error" in item:
            why = explain_cell_error(ex_id, str(item["error"])[:400])
            result.messages[ex_id] = f"{ex_id}: {why}"
            result.diagnoses[ex_id] = "did not run (an error or a timeout)"
        elif not isinstance(item.get("attempts"), list) or len(item["attempts"]) != len(
                cases[ex_id]):
            result.messages[ex_id] = f"{ex_id}: an incomplete result came back"
            result.diagnoses[ex_id] = "no result (the sandbox stopped)"
        else:
            attempts = [_attempt(a if isinstance(a, dict) else {}) for a in item["attempts"]]
            mutated = _only_values(attempts)
            verdict = assess(ex_id, cases[ex_id], attempts)
            result.scores[ex_id] = verdict.score
            result.messages[ex_id] = verdict.message + (MUTATION_NOTE if mutated else "")
            result.diagnoses[ex_id] = _diagnosis(verdict, attempts)
            if mutated and verdict.score == 1.0:
                result.diagnoses[ex_id] = "input mutated (values right)"
    parts = list(header)
    if outcome and outcome.note:
        parts.append(outcome.note)
    if outcome and outcome.anomalies:
        parts += ["what came back from the sandbox:", *(f"- {a}" for a in outcome.anomalies)]
    if outcome and outcome.printed.strip():
        parts.append("printed:\n" + outcome.printed)
    result.output = "\n".join(parts)
    return result


MUTATION_NOTE = (
    "\nNot graded, but worth fixing: your function changed the array it was given (for "
    "example with `x -= ...`); work on a new array so the caller's data stays as it was.")


def _only_values(attempts: list[Attempt]) -> bool:
    """Whether the sandbox said the function changed its input; the report is then set
    aside. The sandbox's process says that of itself (a student can make it say anything),
    so it teaches, in a note, and only the values, compared here, are graded."""
    mutated = any(a.mutated for a in attempts)
    for a in attempts:
        a.mutated = False
    return mutated


def _diagnosis(verdict: Assessment, attempts: list[Attempt]) -> str:
    """What the class summary counts this answer as: full marks, a catalogued mistake by
    its name, a near miss (right to a few digits, not to the precision asked), not
    implemented, or unexplained (wrong, and no catalogued mistake reproduces it)."""
    if verdict.score == 1.0:
        return "full marks"
    if attempts and all(a.not_implemented for a in attempts):
        return "not implemented"
    if verdict.mistake == NEAR_MISS:
        return f"near miss ({NEAR_MISS})"
    return verdict.mistake or "unexplained"


NEAR_MISS = near_miss(np.dtype(np.float64)).name  # right to a few digits, not to the 1e-9


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


def pick(students: list[Student], wanted: Iterable[str]) -> list[Student]:
    """The students named in ``wanted``: each a folder name as handed in (``"O'Brien,
    Seán"``), a notebook's stem, or a name in ``grades.csv``. A value that names no one
    but whose comma-separated parts each name someone stands for them all (``"ann,ben"``).

    Raises ``ValueError`` naming what matched no one.
    """
    def hits(value: str) -> list[Student]:
        value = unicodedata.normalize("NFC", value.strip())
        exact = [s for s in students if value in (s.folder, s.name)]
        return exact or [s for s in students if value.casefold() == s.folder.casefold()]

    chosen: list[Student] = []
    missing: list[str] = []
    for value in wanted:
        found = hits(value)
        if not found and "," in value:
            parts = [hits(p) for p in value.split(",") if p.strip()]
            if parts and all(parts):
                found = [s for part in parts for s in part]
        if not found:
            missing.append(value)
        chosen += [s for s in found if s not in chosen]
    if missing:
        folders = ", ".join(sorted({s.folder for s in students}, key=str.casefold)) or "none"
        raise ValueError(f"no student named {', '.join(repr(m) for m in missing)} in the "
                         f"submissions (the folders there: {folders})")
    return [s for s in students if s in chosen]


def grade(submissions: Iterable[str | Path], out: str | Path, *, student: str | None = None,
          only: Iterable[str] | None = None, seed: int | None = None, jobs: int | None = None,
          timeout: float = DEFAULT_TIMEOUT, budget: float | None = None,
          exercises: list[str] | None = None, progress: bool | None = None,
          isolation_mode: str = "auto", run_notes: Iterable[str] = (),
          report: bool = True) -> list[reports.StudentResult]:
    """Grade every student in ``submissions`` into ``out``; return their results.

    Parameters
    ----------
    submissions : folders and notebooks
        Each sub-folder of a folder is a student; a notebook directly inside a folder, or
        named itself, is a student named by its stem.
    out : path
        ``OUT/<student>/results.json``, ``OUT/<student>/feedback.md``, ``OUT/grades.csv``
        (merged with the rows already there), ``OUT/names.csv``, the run report,
        ``OUT/run-report.md`` and ``OUT/mistakes.csv``, and the answers to written
        questions, ``OUT/written/`` (:mod:`.written`).
    student : str, optional
        Everything in ``submissions`` is this one student's (a Gradescope submission).
    only : names, optional
        Grade only these students of ``submissions`` (a regrade): folder names as handed
        in (see :func:`pick`); the others' rows stay.
    seed : int, optional
        Draw the cases from this seed; default :data:`COURSE_SEED`.
    jobs : int, optional
        Students graded at once (default: the number of CPUs).
    timeout : float
        Seconds each answer cell and each exercise's cases may take.
    budget : float, optional
        Seconds a student's cells and cases may take in all (default
        :data:`BUDGET_PER_TIMEOUT` times ``timeout``); the sandbox is killed
        :data:`GRACE` seconds after it.
    exercises : list of ids, optional
        The exercises of the run: the columns of ``grades.csv`` and the tests of every
        ``results.json``. Default: those already in ``grades.csv`` and those answered by
        anyone in this run.
    progress : bool, optional
        Draw a progress bar (default: when standard error is a terminal).
    isolation_mode : ``"auto"``, ``"bwrap"`` or ``"basic"``
        See :func:`course_lib.grading.isolation.choose`.
    run_notes : texts
        Anomalies of the run found before it (files a platform download refused), for the
        run report.
    report : bool
        Print the run report on standard error (it is written to OUT in any case).
    """
    started = time.perf_counter()
    out = Path(out)
    submissions = list(submissions)
    previous, _ = reports.read_grades(out)  # refuses a foreign grades.csv before any work
    students = collect(submissions, student=student, remembered=reports.read_names(out))
    if only is not None:
        students = pick(students, list(only))
    if not students:
        return []
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
    loud = chosen.warnings()
    for line in loud:
        print("WARNING: " + line, file=sys.stderr)
    box = isolation.Sandbox.confined(chosen)
    budget = float(budget or BUDGET_PER_TIMEOUT * timeout)
    header = [f"graded with seed {seed}", chosen.describe()]
    before = _digest()
    bar = _Progress(len(students), sys.stderr.isatty() if progress is None else progress)

    def run(s: Student) -> tuple[dict[str, str], isolation.Outcome | None, list[str],
                                 dict | None]:
        try:
            job, messages, notes = plan(s, answers, exercises, cases, timeout, budget)
            outcome = box.run(job, budget + GRACE) if job["exercises"] else None
            return messages, outcome, notes, job
        except Exception as exc:  # the grader's own failure on one student stops nothing
            why = f"grading failed: {type(exc).__name__}: {exc}"
            return {e: f"{e}: not graded, {why}" for e in exercises}, None, [why], None
        finally:
            bar.step()

    try:
        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
            raw = list(pool.map(run, students))
    finally:
        bar.close()
    tampered = _digest() != before
    hide = HostPaths({**{p: "<submissions>" for p in submissions}, out: "<out>"})
    results = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # the reference's own warnings are not the student's
        for s, (messages, outcome, notes, job) in zip(students, raw, strict=True):
            try:
                r = judge(s, exercises, cases, messages, outcome, header + s.notes + notes)
                r.anomalies = _anomalies(s, outcome, r.messages, notes, job)
                if job is None:
                    r.anomalies += [("grader", n) for n in notes]
            except Exception as exc:  # the grader's own bug costs this student a regrade only
                why = f"grading failed: {type(exc).__name__}: {exc}; please regrade"
                r = reports.StudentResult(
                    s.name, list(exercises), messages={e: f"{e}: not graded" for e in exercises},
                    output="\n".join([*header, why]),
                    notebooks=[p.name for p in s.notebooks], anomalies=[("grader", why)])
            r.messages = {e: hide.neutral(m) for e, m in r.messages.items()}
            r.output = hide.neutral(r.output)
            results.append(r)
    if tampered:  # only possible without bubblewrap and Landlock
        loud.append("course_lib changed on disk during the run; reinstall it and regrade")
        print("WARNING: " + loud[-1], file=sys.stderr)
    written.attach(results, students, out)  # answers to written questions, for a person
    for r in results:
        reports.write_student(out, r)
    reports.write_grades(out, results, exercises)
    reports.write_names(out, students)
    text = runreport.write(out, runreport.Run(
        results=results, exercises=exercises, seconds=time.perf_counter() - started,
        seed=seed, isolation=chosen.describe(), warnings=[*loud, *run_notes]))
    if report:
        print(text, file=sys.stderr, end="")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.grade",
        description="Grade a class of exercise notebooks, student by student, in sandboxes.")
    parser.add_argument("submissions", nargs="+",
                        help="folders (each sub-folder is a student) or .ipynb files")
    parser.add_argument("--out", required=True,
                        help="folder for <student>/results.json, feedback.md, grades.csv and "
                             "the run report")
    parser.add_argument("--seed", type=int, default=None,
                        help=f"draw other hidden cases (default: the course's {COURSE_SEED})")
    parser.add_argument("--exercises", default=None,
                        help="comma-separated exercise ids (default: those answered)")
    parser.add_argument("--student", default=None,
                        help="grade everything given as ONE student of this name")
    parser.add_argument("--only", action="append", default=None, metavar="FOLDER",
                        help="(re)grade this student, by the folder name they handed in; "
                             "repeat for several; the others' rows stay")
    parser.add_argument("--jobs", type=int, default=None, help="students at once (default: CPUs)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds per answer cell and per exercise (default "
                             f"{DEFAULT_TIMEOUT:g})")
    parser.add_argument("--budget", type=float, default=None,
                        help=f"seconds per student, everything together (default "
                             f"{BUDGET_PER_TIMEOUT} x --timeout)")
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
            args.submissions, args.out, student=args.student, only=args.only,
            seed=args.seed, jobs=args.jobs, timeout=args.timeout, budget=args.budget,
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
    flagged = sum(1 for r in results if r.anomalies)
    print(f"graded {len(results)} student(s), {notebooks} notebook(s), in "
          f"{time.perf_counter() - started:.1f} s; mean {mean:.2f} / {results[0].max_total:g}; "
          f"{isolation.choose(args.isolation).mode} isolation; {flagged} student(s) flagged "
          f"in {Path(args.out) / runreport.REPORT}; grades in "
          f"{Path(args.out) / reports.GRADES}")
    return 0
