"""How fast the grader is against running each notebook in its own kernel (``make bench``).

Makes 100 submissions of the softmax exercise notebook (correct, partly wrong, stubs,
syntax errors and a few infinite loops), grades them with ``course_lib.grading.grader`` (2 jobs),
then times nbclient executing notebooks top to bottom in a fresh kernel each, as classic
autograders do, on a sample of the loop-free ones, and extrapolates to the class.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from course_lib.grading.build_exercises import answer_ids
from course_lib.grading.grader import grade

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "ex03_softmax.ipynb"
WRONG = {
    "softmax": "def my_softmax(x, axis=-1):\n    e = np.exp(np.asarray(x) - np.max(x))\n"
               "    return e / e.sum()\n",
    "softmax_axis": "def my_softmax_axis(x, axis=-1):\n    e = np.exp(np.asarray(x))\n"
                    "    return e / e.sum(axis=0)\n",
}
STUB = "def {name}(x, axis=-1):\n    raise NotImplementedError\n"
SYNTAX = "def {name}(x, axis=-1)\n    return x\n"
LOOP = "def {name}(x, axis=-1):\n    while True:\n        pass\n"
NAMES = {"softmax": "my_softmax", "softmax_axis": "my_softmax_axis"}


def make_class(folder: Path, n: int = 100) -> list[tuple[Path, str]]:
    base = nbformat.read(SOLUTION, as_version=4)
    made = []
    for i in range(n):
        kind = ["correct", "correct", "wrong", "stub", "syntax"][i % 5] if i % 25 else "loop"
        nb = nbformat.from_dict(base)
        for cell in nb.cells:
            ids = answer_ids(cell) if cell.cell_type == "code" else []
            if ids and kind != "correct":
                ex = ids[0]
                if kind == "wrong":
                    cell.source = WRONG[ex]
                elif ex == "softmax" or kind == "stub":
                    template = {"stub": STUB, "syntax": SYNTAX, "loop": LOOP}[kind]
                    cell.source = template.format(name=NAMES[ex])
        path = folder / f"student{i:03d}.ipynb"
        nbformat.write(nb, path)
        made.append((path, kind))
    return made


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
        folder.mkdir()
        made = make_class(folder)
        t0 = time.perf_counter()
        results = grade([folder], Path(tmp) / "out", jobs=2, timeout=6, seed=0, progress=False)
        ours = time.perf_counter() - t0
        sample = [p for p, kind in made if kind != "loop"][:10]
        per = time_nbclient(sample)
        classic = statistics.mean(per) * len(made)
        scores = [r.results_json()["score"] for r in results]
        print(f"grader: {len(made)} submissions in {ours:.1f} s with --jobs 2 "
              f"({ours / len(made) * 1000:.0f} ms each; 4 of them loop until their timeout)")
        print(f"nbclient, one kernel per notebook: {statistics.mean(per):.2f} s per notebook "
              f"(mean of {len(per)}), so about {classic:.0f} s for the class, run one by one "
              "(loops would add their timeouts)")
        print(f"speed-up: {classic / ours:.1f}x; mean score {statistics.mean(scores):.2f} / 2")
    return 0


if __name__ == "__main__":
    sys.exit(main())
