"""Grading one Gradescope submission with the course's own grader.

Gradescope builds one container per assignment from ``autograder.zip`` (``setup.sh`` runs
once, at build time) and, for every submission, puts the student's files in
``/autograder/submission``, runs ``/autograder/run_autograder`` and uploads
``/autograder/results/results.json``. The bundle's ``run_autograder`` only finds Python and
calls :func:`main` here, so everything it does is tested like the rest of the course:

* the uploaded notebooks are graded as ONE student, by
  :func:`course_lib.grading.grader.grade`, with the assignment's exercise set, seed and
  time limit written into ``source/autograder.json`` when the bundle was built;
* the student's ``results.json`` (already in Gradescope's format) is copied to
  ``results/results.json`` with the run time and the run's settings added;
* whatever goes wrong, ``results.json`` is written: an upload with no notebook, or a failure
  of the grader itself, gives every exercise zero and says why in plain words.

The layout (``AUTOGRADER_ROOT``, default ``/autograder``) is Gradescope's documented one:
``source/`` (the unpacked zip), ``submission/``, ``results/`` and, beside them,
``submission_metadata.json`` (who submitted, read only for the log).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CONFIG_NAME = "autograder.json"
STUDENT = "submission"  # the one student of a Gradescope run; Gradescope knows who it is

GradeFn = Callable[..., Any]


def load_config(path: Path) -> dict:
    """The assignment's settings written by the bundle builder.

    ``exercises`` (ids, in order), ``seed`` (``None``: the course's fixed seed),
    ``timeout`` (seconds per answer cell and exercise), ``budget`` (seconds for the whole
    submission; ``None``: the grader's default) and ``isolation`` (``auto``: bubblewrap
    where the container allows it, else rlimits and Landlock, said in every result). A
    missing file means: every exercise, the grader's defaults.

    >>> cfg = load_config(Path("/nonexistent/autograder.json"))
    >>> cfg["seed"], cfg["timeout"], cfg["budget"], "softmax" in cfg["exercises"]
    (None, 10.0, None, True)
    """
    from course_lib.grading.grader import DEFAULT_TIMEOUT
    from course_lib.grading.registry import EXERCISES

    cfg: dict = {"exercises": list(EXERCISES), "seed": None, "timeout": DEFAULT_TIMEOUT,
                 "budget": None, "isolation": "auto"}
    if path.is_file():
        cfg.update(json.loads(path.read_text(encoding="utf-8")))
    unknown = [e for e in cfg["exercises"] if e not in EXERCISES]
    if unknown:
        raise ValueError(f"{path}: unknown exercise id(s): {', '.join(unknown)}")
    if cfg["isolation"] not in ("auto", "bwrap", "basic"):
        raise ValueError(f"{path}: isolation must be auto, bwrap or basic")
    return cfg


def find_notebooks(folder: Path) -> list[Path]:
    """Every regular ``.ipynb`` file the student uploaded, as the grader finds them (links
    never followed, checkpoints and macOS debris left out)."""
    from course_lib.grading.submissions import collect

    if not folder.is_dir():
        return []
    return sorted(nb for s in collect([folder], student=STUDENT) for nb in s.notebooks)


def empty_results(exercises: list[str], reason: str) -> dict:
    """A results.json with zero for every exercise of the run and ``reason`` on each.

    >>> r = empty_results(["max"], "no notebook was uploaded")
    >>> r["score"], r["tests"][0]["max_score"], r["tests"][0]["status"]
    (0.0, 1.0, 'failed')
    """
    from course_lib.grading.registry import EXERCISES

    tests = [{"name": f"{e}: {EXERCISES[e].title}", "score": 0.0,
              "max_score": float(EXERCISES[e].points), "status": "failed",
              "output": f"{e}: not graded: {reason}", "visibility": "visible"}
             for e in exercises]
    return {"score": 0.0, "output": reason, "tests": tests}


def _metadata(root: Path) -> dict:
    try:
        data = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _who(meta: dict) -> str:
    users = meta.get("users") if isinstance(meta.get("users"), list) else []
    names = [str(u.get("name") or u.get("email") or u.get("id")) for u in users
             if isinstance(u, dict)]
    sub = meta.get("id")
    return (", ".join(names) or "unknown submitter") + (f" (submission {sub})" if sub else "")


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def run(root: str | Path, grade_fn: GradeFn | None = None) -> dict:
    """Grade ``root/submission`` and write ``root/results/results.json``; return it.

    ``grade_fn`` defaults to the course's grader (:func:`course_lib.grading.grader.grade`).
    """
    root = Path(root)
    started = time.perf_counter()
    try:
        cfg = load_config(root / "source" / CONFIG_NAME)
    except (OSError, ValueError) as exc:  # a broken bundle: say so, grade nothing
        print(f"cannot read the bundle's settings: {exc}", file=sys.stderr, flush=True)
        from course_lib.grading.registry import EXERCISES
        cfg = {"exercises": list(EXERCISES), "seed": None, "broken": str(exc)}
    exercises = list(cfg["exercises"])
    notebooks = find_notebooks(root / "submission")
    meta = _metadata(root)
    print(f"grading {len(notebooks)} notebook(s) from {_who(meta)}: "
          f"exercises {', '.join(exercises)}", flush=True)
    if cfg.get("broken"):
        results = empty_results(exercises, (
            "the autograder is misconfigured; this is not your fault. Your instructor can "
            "see the details and will regrade."))
    elif not notebooks:
        results = empty_results(exercises, (
            "no .ipynb file was found in your upload. Upload your exercise notebooks "
            "(for example ex03_softmax.ipynb) as they are, not inside a folder of another "
            "format."))
    else:
        if grade_fn is None:
            from course_lib.grading.grader import grade as grade_fn
        with tempfile.TemporaryDirectory(prefix="gradescope-") as tmp:
            try:
                grade_fn([root / "submission"], tmp, student=STUDENT, exercises=exercises,
                         seed=cfg.get("seed"), timeout=float(cfg["timeout"]),
                         budget=cfg.get("budget"), progress=False,
                         isolation_mode=cfg.get("isolation", "auto"))
                folder = Path(tmp) / STUDENT
                results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
            except Exception as exc:  # the grader's own failure: still a results.json
                print(f"the grader failed: {exc!r}", file=sys.stderr, flush=True)
                results = empty_results(exercises, (
                    f"the autograder itself failed ({type(exc).__name__}); this is not "
                    "your fault. Your instructor can see the details and will regrade."))
    results["execution_time"] = round(time.perf_counter() - started, 3)
    results.setdefault("extra_data", {}).update(
        {"exercises": exercises, "seed": cfg.get("seed")})
    _write_atomic(root / "results" / "results.json", json.dumps(results, indent=2))
    print(f"score {results.get('score')} / "
          f"{sum(t.get('max_score', 0) for t in results.get('tests', []))} "
          f"in {results['execution_time']:.2f} s", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.grading.gradescope",
        description="Grade the submission in a Gradescope autograder root "
                    "(what the bundle's run_autograder calls).")
    parser.add_argument("--root", default=os.environ.get("AUTOGRADER_ROOT", "/autograder"),
                        help="the autograder root (default: $AUTOGRADER_ROOT or /autograder)")
    args = parser.parse_args(argv)
    run(args.root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
