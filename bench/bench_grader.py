"""How fast the grader grades a class, against one kernel per notebook (``make bench``).

A class of 40 students, each handing in every exercise notebook (six): solutions, stubs,
answers with a classic mistake, syntax errors, and two students whose softmax loops
forever. The grader grades it with 2 jobs, each student in a bubblewrap sandbox of their
own (its own process limit, tmpfs scratch and time budget), writing every report, the run
report included; then nbclient runs a sample of the same notebooks top to bottom, each in a
fresh kernel (as classic autograders do), and the mean is extrapolated to the class.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from course_lib.grading import isolation
from course_lib.grading.build_exercises import answer_ids
from course_lib.grading.grader import grade

ROOT = Path(__file__).resolve().parents[1]
STUDENTS = 40
WRONG = {  # a classic mistake per exercise (the name it is defined under stays)
    "softmax": "def my_softmax(x, axis=-1):\n    e = np.exp(np.asarray(x) - np.max(x))\n"
               "    return e / e.sum()\n",
    "max": "def my_max(x, axis=-1):\n    return np.max(x)\n",
}
LOOP = "def my_softmax(x, axis=-1):\n    while True:\n        pass\n"


def make_class(folder: Path) -> list[Path]:
    """Write the class; return every notebook written."""
    solutions = sorted((ROOT / "solutions").glob("ex*.ipynb"))
    stubs = {p.name: p for p in (ROOT / "exercises").glob("ex*.ipynb")}
    written = []
    for i in range(STUDENTS):
        kind = "loop" if i in (7, 29) else ["correct", "correct", "mixed", "stub", "syntax"][i % 5]
        for sol in solutions:
            nb = nbformat.read(stubs[sol.name] if kind == "stub" else sol, as_version=4)
            for cell in nb.cells:
                ids = answer_ids(cell) if cell.cell_type == "code" else []
                if not ids:
                    continue
                if kind == "mixed" and ids[0] in WRONG:
                    cell.source = WRONG[ids[0]]
                elif kind == "syntax" and ids[0] == "argmax":
                    cell.source = "def my_argmax(x, axis=-1)\n    return x\n"
                elif kind == "loop" and ids[0] == "softmax":
                    cell.source = LOOP
            path = folder / f"student{i:02d}" / sol.name
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
            written.append(path)
    return written


def time_nbclient(paths: list[Path]) -> list[float]:
    from nbclient import NotebookClient

    times = []
    for p in paths:
        nb = nbformat.read(p, as_version=4)
        t0 = time.perf_counter()
        try:
            NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                           resources={"metadata": {"path": str(p.parent)}}).execute()
        finally:
            times.append(time.perf_counter() - t0)
    return times


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        notebooks = make_class(folder)
        mode = isolation.choose("auto").mode
        t0 = time.perf_counter()
        results = grade([folder], Path(tmp) / "out", jobs=2, timeout=2, progress=False,
                         report=False)
        ours = time.perf_counter() - t0
        sample = [p for p in notebooks if p.parent.name in ("student00", "student03")]
        per = time_nbclient(sample)
        classic = statistics.mean(per) * len(notebooks)
        totals = [r.total for r in results]
        print(f"grader ({mode} isolation): {len(results)} students, {len(notebooks)} notebooks "
              f"in {ours:.1f} s with 2 jobs ({ours / len(results) * 1000:.0f} ms per student; "
              "2 students loop until their time limit; "
              f"{sum(1 for r in results if r.anomalies)} flagged in the run report)")
        print(f"nbclient, one kernel per notebook: {statistics.mean(per):.2f} s per notebook "
              f"(mean of {len(per)}), so about {classic:.0f} s for the class, one by one")
        print(f"speed-up: {classic / ours:.1f}x; mean total {statistics.mean(totals):.2f} / "
              f"{results[0].max_total:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
