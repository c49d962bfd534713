"""Generate ``exercises/`` from ``solutions/``: ``python -m course_lib.grading.build_exercises``.

In every cell tagged ``answer:<id>``, the lines between ``# BEGIN SOLUTION`` and
``# END SOLUTION`` become ``# YOUR CODE HERE`` and ``raise NotImplementedError``, keeping
the ``def`` line and docstring. A cell tagged ``task:<id>`` (work graded by a person, such
as choosing a weight decay) keeps only ``# YOUR CODE HERE``: its lines before the markers
set defaults, so the notebook still runs. Written questions lose their model answers and
rubrics (:mod:`.written`). A banner cell says the notebook is generated; the "Open in
Colab" and "Launch Binder" badges and the setup cell of :mod:`course_lib.lessons.deploy` are added,
pointing at the exercise notebook (never at its solution). The result is
executed top to bottom (the check cells then say "not implemented yet") and written with
its outputs, normalised so that two builds are byte-identical.

Before building, an exercise whose module carries ``TEXT`` and ``SOLUTION`` (written from
``exercises/_template.py``) and that has no answer cell yet gets its three cells (the text
with contract and scoring, the answer cell, the check cell) appended to its notebook in
``solutions/``, which is created if new (:func:`add_missing`), and that notebook is run so
it is committed with its outputs. Then the "**Scoring.**"
paragraph of every exercise in ``solutions/`` is rewritten from the grading policy
(:func:`course_lib.grading.judging.scoring`), so a change of :mod:`course_lib.grading.policy`
reaches every notebook with one ``make exercises``.

``--check`` builds into a temporary folder and exits 1, naming the stale files, when the
committed ``exercises/`` differs from a fresh build.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import nbformat

from course_lib.grading import written
from course_lib.lessons.deploy import Course, add_launch_cells, is_setup_cell

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
BANNER = "<!--GENERATED-->"
STUB = 'raise NotImplementedError("replace this line with your code")'


def strip_solution(source: str, stub: str | None = STUB) -> str:
    """Replace every marked solution block with a stub (``stub=None``: the comment only),
    keeping its indentation.

    >>> cell = "def f(x):\\n    # BEGIN SOLUTION\\n    return x\\n    # END SOLUTION"
    >>> print(strip_solution(cell))
    def f(x):
        # YOUR CODE HERE
        raise NotImplementedError("replace this line with your code")
    """
    out, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError("nested # BEGIN SOLUTION")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out += [f"{indent}# YOUR CODE HERE"] + ([f"{indent}{stub}"] if stub else [])
        elif stripped == END:
            if not inside:
                raise ValueError("# END SOLUTION without # BEGIN SOLUTION")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError("# BEGIN SOLUTION without # END SOLUTION")
    return "\n".join(out)


def answer_ids(cell: nbformat.NotebookNode, kind: str = "answer") -> list[str]:
    """The ids of the cell's ``answer:<id>`` tags (or ``task:<id>`` with ``kind="task"``)."""
    return [t.split(":", 1)[1] for t in cell.get("metadata", {}).get("tags", [])
            if t.startswith(kind + ":")]


def make_exercise(solution: Path, course: Course | None = None) -> nbformat.NotebookNode:
    """The exercise version of one solution notebook, not yet executed: answers become
    stubs, written questions lose their model answers and rubrics (:mod:`.written`), and the
    launch badges and setup cell are added. ``course`` says where the course is published
    (default: ``pyproject.toml``)."""
    course = course or Course.from_pyproject(ROOT / "pyproject.toml")
    nb = nbformat.read(solution, as_version=4)
    for cell in nb.cells:
        if written.MODEL[0] in cell.source or written.RUBRIC[0] in cell.source:
            if not any(t.startswith("written:") for t in cell.get("metadata", {}).get(
                    "tags", [])):
                raise ValueError(f"{solution.name}: a model answer or rubric outside a cell "
                                 "tagged written:<id>")
            cell.source = written.strip_answers(cell.source)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if answer_ids(cell):
                cell.source = strip_solution(cell.source)
            elif answer_ids(cell, "task"):
                cell.source = strip_solution(cell.source, stub=None)
            elif BEGIN in cell.source:
                raise ValueError(f"{solution.name}: solution markers outside an answer or "
                                 "task cell")
    banner = nbformat.v4.new_markdown_cell(
        f"{BANNER}\n*Generated from `solutions/{solution.name}` by `make exercises`; "
        "edit the solution notebook, not this one.*"
    )
    banner.id = "generated-banner"
    nb.cells = [c for c in nb.cells if BANNER not in c.source and not is_setup_cell(c)]
    nb.cells.insert(1, banner)
    return add_launch_cells(nb, f"exercises/{solution.name}", course)


SCORING = re.compile(r"\*\*Scoring\.\*\*.*?(?=\n\n|\Z)", re.S)
EXERCISE_HEADING = re.compile(r"^## Exercise `(\w+)`")


def scoring_paragraph(ex: Any) -> str:
    """``**Scoring.** ...`` for exercise ``ex`` (an Exercise, or a registered id), from the
    grading policy."""
    from course_lib.grading.judging import scoring

    if isinstance(ex, str):
        from course_lib.grading.registry import EXERCISES

        ex = EXERCISES[ex]
    return textwrap.fill(f"**Scoring.** {scoring(ex)}", width=90, break_long_words=False,
                         break_on_hyphens=False)


def refresh_scoring(solution: Path) -> bool:
    """Rewrite (or add, after the contract) the scoring paragraph of each exercise of
    ``solution``; True if the file changed."""
    from course_lib.grading.registry import EXERCISES

    nb = nbformat.read(solution, as_version=4)
    changed = False
    for cell in nb.cells:
        found = EXERCISE_HEADING.match(cell.source) if cell.cell_type == "markdown" else None
        if not found or found.group(1) not in EXERCISES:
            continue
        para = scoring_paragraph(found.group(1))
        if SCORING.search(cell.source):
            new = SCORING.sub(lambda _, p=para: p, cell.source, count=1)
        else:
            new = cell.source.rstrip() + "\n\n" + para
        if new != cell.source:
            cell.source, changed = new, True
    if changed:
        nbformat.write(nb, solution)
    return changed


def _new_notebook(name: str) -> nbformat.NotebookNode:
    number = re.match(r"ex(\d+)", name)
    title = nbformat.v4.new_markdown_cell(
        f"# Exercises {number.group(1) if number else ''} · your own\n\n"
        "Write each function in its answer cell, in place of `# YOUR CODE HERE`, using NumPy "
        "only, then run the check cell below it. Grading runs the same checks plus hidden "
        "cases.")
    title.id = "cell-00"
    imports = nbformat.v4.new_code_cell(
        "import numpy as np\n\nfrom course_lib.grading import check")
    imports.id = "cell-01"
    nb = nbformat.v4.new_notebook(cells=[title, imports])
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def add_missing(solutions: Path, exercises: dict | None = None) -> list[str]:
    """Append the cells of every exercise that has ``TEXT`` and ``SOLUTION`` in its module
    and no answer cell yet; return their ids. Raises ``ValueError`` when the module's
    ``place`` is not the next free place of its notebook."""
    import sys

    from course_lib.grading.registry import EXERCISES

    added = []
    for ex in (exercises if exercises is not None else EXERCISES).values():
        module = sys.modules.get(f"course_lib.grading.exercises.{ex.id}")
        text, solution = getattr(module, "TEXT", None), getattr(module, "SOLUTION", None)
        if text is None or solution is None:
            continue
        path = Path(solutions) / ex.notebook
        nb = nbformat.read(path, as_version=4) if path.exists() else _new_notebook(path.name)
        have = [i for c in nb.cells for i in answer_ids(c)]
        if ex.id in have:
            continue
        if ex.place != len(have) + 1:
            raise ValueError(f"{ex.id}: place={ex.place}, but it would be answer cell "
                             f"{len(have) + 1} of {path.name}; set place={len(have) + 1}")
        heading = nbformat.v4.new_markdown_cell(
            f"## Exercise `{ex.id}`\n\n{text.strip()}\n\n**Contract.** {ex.contract.strip()}"
            f"\n\n{scoring_paragraph(ex)}")
        answer = nbformat.v4.new_code_cell(solution.strip())
        answer.metadata["tags"] = [f"answer:{ex.id}"]
        checked = nbformat.v4.new_code_cell(f'result = check("{ex.id}", {ex.function_name})')
        for k, cell in enumerate((heading, answer, checked)):
            cell.id = f"{ex.id}-{k}"
        nb.cells += [heading, answer, checked]
        nbformat.write(nb, path)
        added.append(ex.id)
    return added


def execute(nb: nbformat.NotebookNode, cwd: Path) -> None:
    from .kernels import run_notebook

    run_notebook(nb, cwd, timeout=300, record_timing=False)
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)


def build(src: Path, dst: Path, run: bool = True) -> list[Path]:
    """Write ``dst/exNN_*.ipynb`` for every solution notebook in ``src``."""
    dst.mkdir(parents=True, exist_ok=True)
    written = []
    for solution in sorted(src.glob("ex*.ipynb")):
        nb = make_exercise(solution)
        if run:
            execute(nb, dst)
        target = dst / solution.name
        nbformat.write(nb, target)
        written.append(target)
    return written


def stale(src: Path, committed: Path) -> list[str]:
    """Names of exercise notebooks that differ from (or are missing in) ``committed``."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = build(src, Path(tmp))
        names = {p.name for p in fresh} | {p.name for p in committed.glob("ex*.ipynb")}
        bad = []
        for name in sorted(names):
            a, b = Path(tmp) / name, committed / name
            if not (a.exists() and b.exists()) or _norm(a) != _norm(b):
                bad.append(name + _first_difference(a, b))
        return bad


def _first_difference(fresh: Path, committed: Path) -> str:
    """`` (cell <id>: <what>)`` for the first cell that differs, to say where to look."""
    if not (fresh.exists() and committed.exists()):
        return " (missing)"
    a, b = (nbformat.read(p, as_version=4) for p in (fresh, committed))
    for ca, cb in zip(a.cells, b.cells, strict=False):
        if ca.get("source") != cb.get("source"):
            return f" (cell {ca.get('id')}: its source)"
        if ca.get("outputs") != cb.get("outputs"):
            texts = [str(o.get("text", o.get("data", {}).get("text/plain", "")))[:120]
                     for o in ca.get("outputs", [])]
            return f" (cell {ca.get('id')}: its output, now {texts})"
    return " (the notebook's metadata or number of cells)"


def _norm(path: Path) -> str:
    return re.sub(r"\r\n", "\n", path.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--solutions", type=Path, default=ROOT / "solutions")
    parser.add_argument("--out", type=Path, default=ROOT / "exercises")
    parser.add_argument("--check", action="store_true", help="only report stale notebooks")
    args = parser.parse_args(argv)
    if args.check:
        bad = stale(args.solutions, args.out)
        if bad:
            print("exercises/ is stale; run `make exercises`. Differs: " + ", ".join(bad))
            return 1
        print("exercises/ matches solutions/")
        return 0
    from course_lib.grading.registry import EXERCISES

    added = add_missing(args.solutions)
    for notebook in sorted({EXERCISES[e].notebook for e in added}):
        path = args.solutions / notebook
        nb = nbformat.read(path, as_version=4)
        execute(nb, args.solutions)  # solution notebooks are committed with their outputs
        nbformat.write(nb, path)
        print("added", ", ".join(e for e in added if EXERCISES[e].notebook == notebook),
              "to", path.relative_to(ROOT) if path.is_relative_to(ROOT) else path,
              "and ran it")
    for solution in sorted(args.solutions.glob("ex*.ipynb")):
        if refresh_scoring(solution):
            print("scoring paragraphs refreshed in", solution.name)
    for path in build(args.solutions, args.out):
        print("wrote", path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
