"""Every exercise keeps every rule of tests/exercise_rules.py, and an exercise written from
the template, the way docs/instructor.md says, keeps them all too (the mutation test
included), so that a teacher's own exercise passes ``make test`` first time."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

from course_lib.grading import build_exercises, exercises, registry
from course_lib.grading.registry import EXERCISES
from tests import exercise_rules
from tests.exercise_rules import RULES, Subject, rule_mutation

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "course_lib" / "grading" / "exercises" / "_template.py"
GUIDE = ROOT / "docs" / "instructor.md"
# the mutation rule runs for the registered exercises in tests/test_mutation.py
QUICK = [r for r in RULES if r is not rule_mutation]


@pytest.mark.parametrize("rule", QUICK, ids=[r.__name__ for r in QUICK])
@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_every_exercise_keeps_every_rule(ex_id, rule) -> None:
    module = sys.modules[f"course_lib.grading.exercises.{ex_id}"]
    rule(Subject(EXERCISES[ex_id], module, ROOT / "solutions", EXERCISES))


@pytest.fixture
def sample(tmp_path, monkeypatch):
    """The template copied as the guide says, registered, and added to a solutions folder
    by the generator, as `make exercises` does."""
    folder = tmp_path / "exercises_py"
    folder.mkdir()
    # the template as a teacher copies it, with an id, a function and a notebook of its
    # own (a teacher's exercise made from the template may already use the template's)
    text = TEMPLATE.read_text(encoding="utf-8")
    for old, new in (('"softmax_temperature"', '"template_sample"'),
                     ("my_softmax_temperature", "my_template_sample"),
                     ("ex90_my_exercises.ipynb", "ex99_template_sample.ipynb")):
        assert old in text, old
        text = text.replace(old, new)
    (folder / "template_sample.py").write_text(text, encoding="utf-8")
    monkeypatch.setattr(exercises, "__path__", [*exercises.__path__, str(folder)])
    found = registry.discover()
    monkeypatch.setattr(registry, "EXERCISES", found)
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    mine = {"template_sample": found["template_sample"]}  # a teacher's own may be there too
    assert build_exercises.add_missing(solutions, mine) == ["template_sample"]
    assert build_exercises.add_missing(solutions, mine) == []  # twice changes nothing
    module = sys.modules["course_lib.grading.exercises.template_sample"]
    yield Subject(found["template_sample"], module, solutions, found)
    sys.modules.pop("course_lib.grading.exercises.template_sample", None)


@pytest.mark.slow
def test_an_exercise_from_the_template_keeps_every_rule(sample) -> None:
    assert list(sample.registry)[-1] == "template_sample"
    for rule in RULES:
        rule(sample)
    nb = build_exercises.make_exercise(sample.solutions / sample.ex.notebook)
    answer = next(c for c in nb.cells
                  if "answer:template_sample" in c.metadata.get("tags", []))
    assert "# YOUR CODE HERE" in answer.source and "np.exp" not in answer.source


def test_a_broken_rule_says_what_to_change(sample) -> None:
    # a label with a decimal, a hint too short: each rule names the fix
    ex = sample.ex
    short = exercise_rules.Subject(
        type(ex)(**{**ex.__dict__, "mistakes": (*ex.mistakes[:-1],
                                                 type(ex.mistakes[-1])("x", "too short"))}),
        sample.module, sample.solutions, sample.registry)
    with pytest.raises(AssertionError, match="too short to help"):
        exercise_rules.rule_catalogue(short)
    wrong_place = exercise_rules.Subject(type(ex)(**{**ex.__dict__, "place": 2}),
                                         sample.module, sample.solutions, sample.registry)
    with pytest.raises(AssertionError, match="set place= to that number"):
        exercise_rules.rule_notebook(wrong_place)


def test_the_generator_refuses_a_wrong_place(tmp_path, sample) -> None:
    other = tmp_path / "other"
    other.mkdir()
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("def f(x):\n    # BEGIN SOLUTION\n    return x\n"
                                     "    # END SOLUTION")
    cell.metadata["tags"] = ["answer:something_else"]
    nb.cells.append(cell)
    nbformat.write(nb, other / sample.ex.notebook)
    with pytest.raises(ValueError, match="set place=2"):
        build_exercises.add_missing(other, sample.registry)


def test_the_guide_lists_every_rule() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    for rule in RULES:
        assert f"`{rule.__name__}`" in guide, f"docs/instructor.md does not explain {rule}"
    assert "_template.py" in guide and "make exercises" in guide
