"""Generate ``exercises/`` from ``solutions/``: ``python -m course_lib.grading.build_exercises``.

In every cell tagged ``answer:<id>``, the lines between ``# BEGIN SOLUTION`` and
``# END SOLUTION`` become ``# YOUR CODE HERE`` and ``raise NotImplementedError``, keeping
the ``def`` line and docstring. A banner cell says the notebook is generated. The result is
executed top to bottom (the check cells then say "not implemented yet") and written with
its outputs, normalised so that two builds are byte-identical.

Before building, the "**Scoring.**" paragraph of every exercise in ``solutions/`` is
rewritten from the grading policy (:func:`course_lib.grading.judging.scoring`), so a change
of :mod:`course_lib.grading.policy` reaches every notebook with one ``make exercises``.

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

import nbformat

from course_lib.grading import written

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
BANNER = "<!--GENERATED-->"
STUB = 'raise NotImplementedError("replace this line with your code")'


def strip_solution(source: str) -> str:
    """Replace every marked solution block with a stub, keeping its indentation.

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
            out += [f"{indent}# YOUR CODE HERE", f"{indent}{STUB}"]
        elif stripped == END:
            if not inside:
                raise ValueError("# END SOLUTION without # BEGIN SOLUTION")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError("# BEGIN SOLUTION without # END SOLUTION")
    return "\n".join(out)


def answer_ids(cell: nbformat.NotebookNode) -> list[str]:
    return [t.split(":", 1)[1] for t in cell.get("metadata", {}).get("tags", [])
            if t.startswith("answer:")]


def make_exercise(solution: Path) -> nbformat.NotebookNode:
    """The exercise version of one solution notebook, not yet executed: answers become
    stubs, written questions lose their model answers and rubrics (:mod:`.written`)."""
    nb = nbformat.read(solution, as_version=4)
    for cell in nb.cells:
        if written.MODEL[0] in cell.source or written.RUBRIC[0] in cell.source:
            if not any(t.startswith("written:") for t in cell.get("metadata", {}).get(
                    "tags", [])):
                raise ValueError(f"{solution.name}: a model answer or rubric outside a cell "
                                 "tagged written:<id>")
            cell.source = written.strip(cell.source)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if answer_ids(cell):
                cell.source = strip_solution(cell.source)
            elif BEGIN in cell.source:
                raise ValueError(f"{solution.name}: solution markers outside an answer cell")
    banner = nbformat.v4.new_markdown_cell(
        f"{BANNER}\n*Generated from `solutions/{solution.name}` by `make exercises`; "
        "edit the solution notebook, not this one.*"
    )
    banner.id = "generated-banner"
    nb.cells = [c for c in nb.cells if BANNER not in c.source]
    nb.cells.insert(1, banner)
    return nb


SCORING = re.compile(r"\*\*Scoring\.\*\*.*?(?=\n\n|\Z)", re.S)
EXERCISE_HEADING = re.compile(r"^## Exercise `(\w+)`")


def scoring_paragraph(ex_id: str) -> str:
    """``**Scoring.** ...`` for exercise ``ex_id``, from the grading policy."""
    from course_lib.grading.judging import scoring
    from course_lib.grading.registry import EXERCISES

    return textwrap.fill(f"**Scoring.** {scoring(EXERCISES[ex_id])}", width=90,
                         break_long_words=False, break_on_hyphens=False)


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


def execute(nb: nbformat.NotebookNode, cwd: Path) -> None:
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=300, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(cwd)}}).execute()
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
                bad.append(name)
        return bad


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
    for solution in sorted(args.solutions.glob("ex*.ipynb")):
        if refresh_scoring(solution):
            print("scoring paragraphs refreshed in", solution.name)
    for path in build(args.solutions, args.out):
        print("wrote", path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
