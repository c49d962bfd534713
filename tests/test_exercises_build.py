"""solutions/ is the single source of exercises/: the committed exercises are a fresh build."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_lib.grading.build_exercises import (
    BEGIN,
    END,
    answer_ids,
    make_exercise,
    stale,
    strip_solution,
)
from course_lib.grading.registry import EXERCISES

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("ex*.ipynb"))


def test_exercises_are_not_stale() -> None:
    bad = stale(ROOT / "solutions", ROOT / "exercises")
    assert not bad, f"exercises/ differs from a fresh build (run `make exercises`): {bad}"


def test_every_exercise_has_exactly_one_answer_cell_with_markers() -> None:
    seen: dict[str, str] = {}
    for path in SOLUTIONS:
        for cell in nbformat.read(path, as_version=4).cells:
            for ex_id in answer_ids(cell):
                assert ex_id not in seen, f"{ex_id} answered in {seen[ex_id]} and {path.name}"
                seen[ex_id] = path.name
                assert BEGIN in cell.source and END in cell.source, f"{ex_id}: no markers"
                assert f"def {EXERCISES[ex_id].function_name}(" in cell.source
                assert EXERCISES[ex_id].notebook == path.name
    assert sorted(seen) == sorted(EXERCISES)


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_stubs_raise_not_implemented(path) -> None:
    nb = make_exercise(path)
    answers = [c for c in nb.cells if c.cell_type == "code" and answer_ids(c)]
    assert answers
    for cell in answers:
        assert BEGIN not in cell.source and "# YOUR CODE HERE" in cell.source
        namespace: dict = {}
        exec("import numpy as np\n" + cell.source, namespace)  # noqa: S102 - our own stub
        ex = EXERCISES[answer_ids(cell)[0]]
        case = ex.cases(np.random.default_rng(0), hidden=False)[0]
        with pytest.raises(NotImplementedError):
            namespace[ex.function_name](*case.args, **case.kwargs)


def test_marker_errors_are_caught() -> None:
    with pytest.raises(ValueError, match="without # END"):
        strip_solution("def f():\n    # BEGIN SOLUTION\n    return 1")
    with pytest.raises(ValueError, match="without # BEGIN"):
        strip_solution("def f():\n    # END SOLUTION")
