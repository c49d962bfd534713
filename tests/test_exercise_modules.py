"""Exercises as rooms: one module per exercise, found by the registry, and machinery that
knows no exercise by name."""

from __future__ import annotations

import ast
import json
import re
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from course_lib.grading import exercises, registry
from course_lib.grading.model import Exercise
from course_lib.grading.registry import EXERCISES

ROOT = Path(__file__).resolve().parents[1]
GRADING = ROOT / "course_lib" / "grading"
MACHINERY = ("model.py", "cases.py", "mistakes.py", "judging.py", "registry.py", "checks.py",
             "grader.py", "attempt.py")


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _answer_ids(notebook: str) -> list[str]:
    nb = json.loads((ROOT / "solutions" / notebook).read_text(encoding="utf-8"))
    tags = [t for c in nb["cells"] for t in c.get("metadata", {}).get("tags", [])]
    return [t.split(":", 1)[1] for t in tags if t.startswith("answer:")]


def test_one_module_per_exercise() -> None:
    files = sorted(p.stem for p in (GRADING / "exercises").glob("*.py")
                   if not p.name.startswith("_"))
    assert files == sorted(EXERCISES)
    for ex_id, ex in EXERCISES.items():
        module = sys.modules[f"course_lib.grading.exercises.{ex_id}"]
        assert module.EXERCISE is ex
        assert module.CONTRACT == ex.contract


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_the_contract_is_the_notebooks_word_for_word(ex_id) -> None:
    ex = EXERCISES[ex_id]
    nb = json.loads((ROOT / "solutions" / ex.notebook).read_text(encoding="utf-8"))
    markdown = [_words("".join(c["source"])) for c in nb["cells"] if c["cell_type"] == "markdown"]
    mine = [m for m in markdown if m.startswith(f"## Exercise `{ex_id}`")]
    assert len(mine) == 1, ex_id
    assert f"**Contract.** {_words(ex.contract)}" in mine[0]


def test_the_registry_is_in_notebook_order() -> None:
    order = [i for nb in sorted({e.notebook for e in EXERCISES.values()})
             for i in _answer_ids(nb)]
    assert list(EXERCISES) == order
    for ex in EXERCISES.values():
        assert _answer_ids(ex.notebook)[ex.place - 1] == ex.id


def _string_constants(path: Path) -> set[str]:
    """Every string literal of a module, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.FunctionDef | ast.ClassDef) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return {n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs}


@pytest.mark.parametrize("name", MACHINERY)
def test_the_machinery_names_no_exercise(name) -> None:
    assert not (_string_constants(GRADING / name) & set(EXERCISES)), name
    source = (GRADING / name).read_text(encoding="utf-8")
    assert "grading.exercises." not in source, name


OUTSIDE = ("DESIGN.md", ".agents/", "/work/", "shared/notes", "shared/seeds", "../shared")
"""How a pointer to a document outside the repository would look (the course's design notes
and seed material live elsewhere; nothing a reader gets may point there)."""


def test_nothing_points_outside_the_repository() -> None:
    skip = {".git", ".venv", "build", "node_modules", ".pytest_cache", ".ruff_cache",
            ".hypothesis"}
    suffixes = {".py", ".md", ".ipynb", ".toml", ".cfg", ".txt", ".sh", ".yml", ".json"}
    files = [p for p in ROOT.rglob("*") if p.is_file() and not skip & set(
        p.relative_to(ROOT).parts) and (p.suffix in suffixes or p.name == "Makefile")]
    assert len(files) > 50
    this = Path(__file__).resolve()
    for path in files:
        if path.resolve() == this:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found = [o for o in OUTSIDE if o in text]
        assert not found, f"{path.relative_to(ROOT)} points outside the repository: {found}"


NEW_EXERCISE = '''
    """A made-up exercise: twice x."""
    import numpy as np

    from course_lib.grading.cases import arr
    from course_lib.grading.mistakes import MUTATED
    from course_lib.grading.model import Case, Exercise, Mistake

    EXERCISE = Exercise(
        id="double", title="Twice x", function_name="my_double", notebook="ex99_demo.ipynb",
        place=1, contract="`x` is an array; the result has its shape.",
        reference=lambda x: 2.0 * np.asarray(x, dtype=float),
        visible=lambda rng: [Case("a vector", (arr(rng, (4,)),)),
                             Case("a batch", (arr(rng, (2, 3)),))],
        hidden=lambda rng: [Case("a list", (arr(rng, (3,)).tolist(),))],
        mistakes=(MUTATED, Mistake("squared", "you squared x; double it instead",
                                   lambda x: np.asarray(x, dtype=float) ** 2)),
    )
'''


def test_adding_an_exercise_is_adding_one_file(tmp_path, monkeypatch) -> None:
    (tmp_path / "double.py").write_text(textwrap.dedent(NEW_EXERCISE), encoding="utf-8")
    monkeypatch.setattr(exercises, "__path__", [*exercises.__path__, str(tmp_path)])
    try:
        found = registry.discover()
        assert list(found)[-1] == "double" and list(found)[:-1] == list(EXERCISES)
        ex = found["double"]
        from course_lib.grading.attempt import run_case
        from course_lib.grading.judging import assess

        cases = ex.cases(np.random.default_rng(0), hidden=False)
        squared = ex.mistakes[1].variant
        verdict = assess(ex, cases, [run_case(squared, c.args, c.kwargs) for c in cases])
        assert not verdict.passed and "It looks like: squared." in verdict.message
        right = assess(ex, cases, [run_case(lambda x: 2 * np.asarray(x), c.args, c.kwargs)
                                   for c in cases])
        assert right.passed and "grading adds 1 hidden cases (a list)" in right.message
    finally:
        sys.modules.pop("course_lib.grading.exercises.double", None)


def test_a_misnamed_or_empty_module_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(exercises, "__path__", [*exercises.__path__, str(tmp_path)])
    (tmp_path / "twice.py").write_text(textwrap.dedent(NEW_EXERCISE), encoding="utf-8")
    try:
        with pytest.raises(ValueError, match="name the file double.py"):
            registry.discover()
        (tmp_path / "twice.py").write_text("X = 1\n", encoding="utf-8")
        sys.modules.pop("course_lib.grading.exercises.twice", None)
        with pytest.raises(TypeError, match="defines no EXERCISE"):
            registry.discover()
    finally:
        sys.modules.pop("course_lib.grading.exercises.twice", None)


def test_every_exercise_is_an_exercise() -> None:
    for ex in EXERCISES.values():
        assert isinstance(ex, Exercise)
        assert ex.returns in ("input precision", "indices", "float64")
