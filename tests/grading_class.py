"""Helpers to stage a class for the grader's tests: notebooks, answers, a bounded run.

Not a test module: the grader's tests import from here.
"""

from __future__ import annotations

import csv
import os
import threading
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from course_lib.grading import isolation

GOOD_SOFTMAX = '''
def my_softmax(x, axis=-1):
    x = np.asarray(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
'''
GOOD_AXIS = GOOD_SOFTMAX.replace("my_softmax", "my_softmax_axis")
WHOLE_BATCH = '''
def my_softmax_axis(x, axis=-1):
    e = np.exp(np.asarray(x) - np.max(x))
    return e / e.sum()
'''
STUB = '''
def my_softmax(x, axis=-1):
    raise NotImplementedError
'''
HONEST = {"softmax": GOOD_SOFTMAX, "softmax_axis": GOOD_AXIS}  # full marks: 2 / 2

BWRAP = isolation.choose("auto").mode == "bwrap"
needs_bwrap = pytest.mark.skipif(
    not BWRAP and not os.environ.get("CI"),
    reason="LOUD SKIP: bubblewrap is not usable here, so the namespace tests cannot run "
           "(make test installs Debian's bubblewrap as root)")


def notebook(path: Path, cells: dict[str, str], extra: list[str] = ()) -> Path:
    """Write an exercise notebook whose answer cells are ``cells`` (exercise id -> code)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell("# Exercises 03"))
    nb.cells.append(nbformat.v4.new_code_cell("import numpy as np"))
    for ex_id, src in cells.items():
        cell = nbformat.v4.new_code_cell(src)
        cell.metadata["tags"] = [f"answer:{ex_id}"]
        nb.cells.append(cell)
    for src in extra:  # not answer cells: must never run
        nb.cells.append(nbformat.v4.new_code_cell(src))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def rows(path: Path) -> dict[str, dict[str, str]]:
    """``grades.csv`` by student, as any CSV reader (not the grader's own) sees it."""
    with path.open(newline="", encoding="utf-8") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def bounded(fn: Callable[[], object], limit: float = 600.0) -> object:
    """Run ``fn`` and return its value; fail (never hang) if it has not ended after
    ``limit`` seconds. A guard against a run that never ends, not a speed test: the
    limit is far above what any of these runs needs, even on a loaded machine."""
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(limit)
    if thread.is_alive():
        pytest.fail(f"the grading run did not end within {limit:g} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def section(report: str, student: str) -> str:
    """The lines of a run report (terminal form) under ``student``'s name."""
    lines = report.splitlines()
    try:
        start = lines.index(f"{student}:")
    except ValueError:
        return ""
    out = []
    for line in lines[start + 1:]:
        if not line.startswith("- "):
            break
        out.append(line)
    return "\n".join(out)
