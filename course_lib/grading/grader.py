"""Grade submitted exercise notebooks (the command is ``python -m course_lib.grade``).

For each notebook, only the cells tagged ``answer:<id>`` run, in a separate process: a
pre-warmed worker (:mod:`course_lib.grading.sandbox`, NumPy already imported) forks one child
per submission, with limits on CPU time, memory, file size and open files, a wall-clock
timeout, a fresh scratch folder as working directory, a scrubbed environment, and imports of
``course_lib`` and SciPy refused. With Landlock (Linux 5.13 and later; 6.12 and later for
signals) the child can write only in its scratch folder, read only Python's installation and
the system (not the course's reference code or solutions), and signal no process outside
itself; as a second line of defence the grader puts back any package file that changed.
The child sends back only data (JSON, never pickle). Expected values are computed and
compared here, in the grader's own process, on the public cases and hidden ones.

Outputs, written only after every child has finished, each file atomically:

* ``OUT/<submission>/results.json``: Gradescope format, one test per exercise;
* ``OUT/grades.csv``: one row per submission, one column per exercise, and ``total``.

A submission that loops, eats memory, crashes, prints fake results or tampers with files
gets a failing report of its own; every other submission is graded as usual.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from course_lib.grading import sandbox as child
from course_lib.grading.attempt import Attempt
from course_lib.grading.registry import EXERCISES, Case, assess

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent  # the whole course_lib package
OUTPUT_CHARS = 2000


@dataclass
class Graded:
    """One submission's outcome: per exercise (score 0..1, message), and notes."""

    name: str
    source: str
    exercises: list[str] = field(default_factory=lambda: list(EXERCISES))
    scores: dict[str, float] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    output: str = ""

    def results_json(self) -> dict:
        tests = []
        for ex_id in self.exercises:
            ex = EXERCISES[ex_id]
            frac = self.scores.get(ex_id, 0.0)
            tests.append({
                "name": f"{ex_id}: {ex.title}",
                "score": round(frac * ex.points, 4),
                "max_score": ex.points,
                "status": "passed" if frac == 1.0 else "failed",
                "output": self.messages.get(ex_id, "not graded"),
                "visibility": "visible",
            })
        return {"score": round(sum(t["score"] for t in tests), 4), "output": self.output,
                "tests": tests}


# --- reading a submission --------------------------------------------------------------


def answer_cells(path: Path) -> list[dict]:
    """``[{"id": ..., "source": ...}]`` for the answer cells of a notebook, in order.

    Raises ``ValueError`` with a readable reason if the file is not a notebook.
    """
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # corrupt JSON, wrong format, unreadable file
        reason = type(exc).__name__
        raise ValueError(f"could not read {path.name} as a notebook ({reason})") from None
    cells = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for tag in cell.get("metadata", {}).get("tags", []):
            if isinstance(tag, str) and tag.startswith("answer:"):
                cells.append({"id": tag.split(":", 1)[1], "source": str(cell.get("source", ""))})
    return cells


# --- the workers ------------------------------------------------------------------------


def _read_roots() -> list[str]:
    """What a confined child may read: Python's installation and the system, never a folder
    that holds the course itself (its reference code and solutions)."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, "/usr", "/lib", "/lib64", "/etc",
             "/proc", "/sys", "/dev"}
    roots |= {p for p in sys.path if p.endswith("site-packages")}
    course = str(PACKAGE.parent) + os.sep
    return sorted(r for r in roots if r and not course.startswith(r.rstrip(os.sep) + os.sep))


class Worker:
    """A pre-warmed ``_sandbox_child`` process: NumPy imported once, one fork per job."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="grade-worker-"))
        env = {"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "HOME": str(self.home), "LANG": "C.UTF-8"}
        self.proc = subprocess.Popen(
            [sys.executable, "-I", str(HERE / "sandbox.py"), str(HERE / "attempt.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=self.home, env=env, start_new_session=True, text=True,
        )

    def run(self, request: dict) -> dict | None:
        try:
            self.proc.stdin.write(json.dumps(request, default=child.encode) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
            return json.loads(line) if line else None
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        shutil.rmtree(self.home, ignore_errors=True)


def run_child(worker: Worker, cells: list[dict], jobs: list[dict], timeout: float
              ) -> tuple[list[dict], str, str, Worker]:
    """Run the answer cells and the cases in a confined child of ``worker``.

    Returns (result lines, what it printed, a note on how it ended, the worker to reuse:
    a fresh one if this one died).
    """
    scratch = Path(tempfile.mkdtemp(prefix="grade-"))
    request = {
        "job": {"cells": cells, "exercises": jobs,
                "seconds_per_exercise": max(1, int(timeout / 3))},
        "scratch": str(scratch), "cpu_seconds": int(timeout) + 1, "timeout": timeout,
        "read_roots": _read_roots(),
    }
    try:
        reply = worker.run(request)
        if reply is None:  # the worker itself died: restart it and try once more
            worker.close()
            worker = Worker()
            reply = worker.run(request) or {"lines": [], "printed": "", "exit_code": None}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    note = ""
    if reply.get("timed_out"):
        note = f"stopped after {timeout:g} s (wall-clock limit)"
    elif reply.get("signal"):
        note = _describe_signal(int(reply["signal"]))
    elif reply.get("exit_code") not in (0, None):
        note = f"the process exited early with code {reply['exit_code']}"
    lines = [x for x in reply.get("lines", []) if isinstance(x, dict)]
    return lines, str(reply.get("printed", ""))[:OUTPUT_CHARS], note, worker


def _describe_signal(sig: int) -> str:
    names = {9: "killed (memory or time limit)", 24: "CPU time limit", 25: "file size limit",
             11: "crashed (segmentation fault)", 6: "aborted"}
    return f"the process ended by signal {sig}: {names.get(sig, 'killed')}"


# --- grading ------------------------------------------------------------------------------


def make_cases(seed: int) -> dict[str, list[Case]]:
    rng = np.random.default_rng(seed)
    return {ex_id: ex.cases(rng, hidden=False) + ex.cases(rng, hidden=True)
            for ex_id, ex in EXERCISES.items()}


def _attempt(item: dict) -> Attempt:
    output = item.get("output")
    try:
        decoded = child.decode(output) if output is not None else None
        if decoded is not None:
            decoded = np.asarray(decoded)
            if decoded.dtype.kind not in "biuf":
                raise TypeError
    except Exception:  # anything malformed counts as a wrong answer
        return Attempt(error="its result could not be read back")
    return Attempt(output=decoded, error=item.get("error"), not_implemented=bool(
        item.get("not_implemented")), mutated=bool(item.get("mutated")),
        warnings=[str(w) for w in item.get("warnings", [])][:10])


def grade_submission(path: Path, name: str, cases: dict[str, list[Case]], timeout: float,
                     seed: int, exercises: list[str] | None = None,
                     worker: Worker | None = None) -> tuple[Graded, Worker | None]:
    g = Graded(name=name, source=path.name, exercises=list(exercises or EXERCISES))
    try:
        cells = answer_cells(path)
    except ValueError as exc:
        g.output = str(exc)
        for ex_id in g.exercises:
            g.messages[ex_id] = f"{ex_id}: not graded: {exc}"
        return g, worker
    present = {c["id"] for c in cells}
    jobs = [{"id": ex_id, "function_name": ex.function_name,
             "cases": [{"args": list(c.args), "kwargs": c.kwargs} for c in cases[ex_id]]}
            for ex_id, ex in EXERCISES.items() if ex_id in present and ex_id in g.exercises]
    lines: list[dict] = []
    printed = note = ""
    if jobs:
        worker = worker or Worker()
        lines, printed, note, worker = run_child(worker, cells, jobs, timeout)
    if _restore_package():
        note = (note + "; " if note else "") + "the course package changed on disk while it ran"
    by_id = {item.get("id"): item for item in lines if isinstance(item.get("id"), str)}
    for ex_id in g.exercises:
        item = by_id.get(ex_id)
        if ex_id not in present:
            g.messages[ex_id] = f"{ex_id}: no answer cell tagged answer:{ex_id} was found"
        elif item is None:
            g.messages[ex_id] = f"{ex_id}: no result came back" + (f" ({note})" if note else "")
        elif "error" in item:
            g.messages[ex_id] = f"{ex_id}: {str(item['error'])[:300]}"
        else:
            raw = item.get("attempts")
            if not isinstance(raw, list) or len(raw) != len(cases[ex_id]):
                g.messages[ex_id] = f"{ex_id}: an incomplete result came back"
                continue
            res = assess(ex_id, cases[ex_id], [_attempt(a) for a in raw])
            g.scores[ex_id] = res.score
            g.messages[ex_id] = res.message
    parts = [f"graded with seed {seed}"]
    if note:
        parts.append(note)
        if "changed on disk" in note:
            g.scores.clear()
            for ex_id in g.exercises:
                g.messages[ex_id] = f"{ex_id}: not graded: the submission tampered with files"
    if printed.strip():
        parts.append("printed:\n" + printed)
    g.output = "\n".join(parts)
    return g, worker


_SNAPSHOT = {p: p.read_bytes() for p in PACKAGE.rglob("*.py")}


def _restore_package() -> bool:
    """Put back any package file a submission changed (a second line of defence when
    Landlock is not available); return whether anything had changed."""
    changed = False
    for path, data in _SNAPSHOT.items():
        try:
            same = path.read_bytes() == data
        except OSError:
            same = False
        if not same:
            changed = True
            path.write_bytes(data)
    return changed


def _names(paths: list[Path]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for p in paths:
        base = p.stem
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return names


def collect(items: Iterable[str | Path]) -> list[Path]:
    """The notebooks named, and those inside the folders named (checkpoints left out)."""
    paths: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            paths += sorted(x for x in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in x.parts)
        elif p.is_file():
            paths.append(p)
        else:
            print(f"skipping {p}: no such file or folder", file=sys.stderr)
    return paths


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


def exercises_in(paths: list[Path]) -> list[str]:
    """The exercises answered in at least one of the notebooks, in registry order (or all)."""
    found: set[str] = set()
    for p in paths:
        try:
            found |= {c["id"] for c in answer_cells(p)}
        except ValueError:
            continue
    return [e for e in EXERCISES if e in found] or list(EXERCISES)


def grade(submissions: Iterable[str | Path], out: str | Path, *, jobs: int | None = None,
          timeout: float = 30.0, seed: int | None = None, progress: bool | None = None,
          exercises: list[str] | None = None) -> list[Graded]:
    """Grade every notebook in ``submissions``; write results under ``out``; return them.

    ``exercises`` (default: those answered in any of the submissions) are the columns of
    ``grades.csv`` and the tests of each ``results.json``.
    """
    paths = collect(submissions)
    unknown = [e for e in exercises or [] if e not in EXERCISES]
    if unknown:
        raise ValueError(f"unknown exercise id(s): {', '.join(unknown)}")
    exercises = list(exercises) if exercises else exercises_in(paths)
    out = Path(out)
    seed = secrets.randbits(32) if seed is None else seed
    cases = make_cases(seed)
    names = _names(paths)
    jobs = jobs or os.cpu_count() or 1
    show = sys.stderr.isatty() if progress is None else progress
    done = 0
    lock = threading.Lock()
    local = threading.local()
    workers: list[Worker] = []

    def one(i: int) -> Graded:
        nonlocal done
        try:
            result, worker = grade_submission(paths[i], names[i], cases, timeout, seed,
                                              exercises, getattr(local, "worker", None))
            if worker is not None and worker is not getattr(local, "worker", None):
                local.worker = worker
                with lock:
                    workers.append(worker)
        except Exception as exc:  # the grader's own failure on one file never stops the run
            result = Graded(names[i], paths[i].name, exercises,
                            output=f"grading failed: {exc!r}")
        with lock:
            done += 1
            if show:
                bar = "#" * (30 * done // len(paths))
                print(f"\r[{bar:<30}] {done}/{len(paths)}", end="", file=sys.stderr, flush=True)
        return result

    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(one, range(len(paths))))
    finally:
        for w in workers:
            w.close()
    if show and paths:
        print(file=sys.stderr)
    for g in results:  # written only now: no submission is running any more
        _write_atomic(out / g.name / "results.json", json.dumps(g.results_json(), indent=2))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["submission", *exercises, "total"])
    for g in sorted(results, key=lambda r: r.name):
        row = g.results_json()
        writer.writerow([g.name, *[t["score"] for t in row["tests"]], row["score"]])
    _write_atomic(out / "grades.csv", buf.getvalue())
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.grade",
                                     description="Grade exercise notebooks safely.")
    parser.add_argument("submissions", nargs="+", help=".ipynb files or folders of them")
    parser.add_argument("--out", required=True, help="folder for results.json and grades.csv")
    parser.add_argument("--jobs", type=int, default=None, help="parallel children (default: CPUs)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per submission")
    parser.add_argument("--seed", type=int, default=None, help="fix the cases (default: random)")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    parser.add_argument("--exercises", default=None,
                        help="comma-separated exercise ids (default: those answered)")
    args = parser.parse_args(argv)
    paths = collect(args.submissions)
    if not paths:
        print("no .ipynb files found in " + " ".join(args.submissions), file=sys.stderr)
        return 2
    started = time.perf_counter()
    chosen = args.exercises.split(",") if args.exercises else None
    results = grade(paths, args.out, jobs=args.jobs, timeout=args.timeout, seed=args.seed,
                    progress=args.progress or None, exercises=chosen)
    total = sum(EXERCISES[e].points for e in results[0].exercises) if results else 0
    print(f"graded {len(results)} submission(s) in {time.perf_counter() - started:.1f} s; "
          f"mean score {np.mean([g.results_json()['score'] for g in results]):.2f} / {total:g}; "
          f"results in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
