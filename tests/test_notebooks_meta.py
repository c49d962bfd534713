"""Committed notebooks are executed, complete and navigable.

nbval silently passes a code cell that was never executed (it has no output to compare),
so this test makes sure every code cell of every committed notebook has run, in order.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ALL = LESSONS + sorted((ROOT / "solutions").glob("*.ipynb")) + sorted(
    (ROOT / "exercises").glob("*.ipynb")
)


def _ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


def test_the_lessons_are_there_in_order() -> None:
    # 06b (overfitting, the confusion matrix, several labels) sits between 06 and 07
    assert [p.name.split("_")[0] for p in LESSONS] == [
        "00", "01", "02", "03", "04", "05", "06", "06b", "07", "08"]


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_every_code_cell_was_executed_in_order(path) -> None:
    nb = nbformat.read(path, as_version=4)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts, "a notebook without code"
    assert counts == list(range(1, len(counts) + 1)), f"execution counts {counts}"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert not errors, f"cell {cell.execution_count} stored an error: {errors[0].ename}"


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_lesson_shape(path) -> None:
    nb = nbformat.read(path, as_version=4)
    md = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert re.match(r"# \d\d[a-z]? · ", md[0]), "starts with its numbered title"
    sections = [i for i, s in enumerate(md) if s.startswith("## ")]
    opening = "\n".join(md[: sections[0]])  # the title and what precedes the first section
    assert "will be able to" in opening, "starts with what the learner will be able to do"
    assert "<!--NAVIGATION-->" in nb.cells[1].source and "<!--NAVIGATION-->" in nb.cells[-1].source
    assert md[sections[-1]].startswith("## Recap"), "ends with a recap"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert max(len(c.source.splitlines()) for c in code) <= 30, "code cells stay short"


def test_navigation_is_up_to_date(tmp_path) -> None:
    before = {p: p.read_bytes() for p in LESSONS}
    subprocess.run([sys.executable, str(ROOT / "tools" / "add_navigation.py")], check=True)
    changed = [p.name for p in LESSONS if p.read_bytes() != before[p]]
    for p, data in before.items():
        if p.read_bytes() != data:  # rewrite only what the tool changed: others read them
            p.write_bytes(data)
    assert not changed, f"run tools/add_navigation.py: {changed}"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_widget_cells_are_the_only_ignored_outputs(path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        assert "nbval-skip" not in tags
        if "nbval-ignore-output" in tags:
            assert "widget(" in cell.source, "only live widget cells may ignore their output"
