"""The exercise registry: names, cases, references and a catalogue in which every mistake can
be told apart from the right answer and has a test proving its hint fires."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from course_lib.grading.model import Case
from course_lib.grading.registry import EXERCISES
from tests import exercise_rules, test_checks

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = {"max", "argmax", "one_hot", "softmax", "softmax_axis", "stable_softmax",
            "logsumexp", "cross_entropy", "cross_entropy_grad"}


def _all_cases(ex, seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    return ex.cases(rng, hidden=False) + ex.cases(rng, hidden=True)


def test_ids_names_and_notebooks() -> None:
    assert set(EXERCISES) >= REQUIRED
    names = [ex.function_name for ex in EXERCISES.values()]
    assert len(set(names)) == len(names)
    for ex_id, ex in EXERCISES.items():
        assert ex.id == ex_id
        assert ex.function_name.isidentifier()
        assert (ROOT / "solutions" / ex.notebook).exists()  # its answer cell: exercise_rules
        assert ex.points > 0 and ex.title


def test_catalogue_is_well_formed() -> None:
    for ex in EXERCISES.values():
        names = [m.name for m in ex.mistakes]
        assert len(set(names)) == len(names), ex.id
        assert "input mutated" in names
        for m in ex.mistakes:
            assert len(m.hint) > 30 and not m.hint.endswith("."), (ex.id, m.name)
            assert "Traceback" not in m.hint


def test_the_hand_written_mistakes_are_catalogued() -> None:
    # learner-style versions of mistakes, written out in tests/test_checks.py, must name a
    # catalogued mistake; every catalogued mistake is also proven to be named from its own
    # variant, for every exercise (tests/exercise_rules.py, rule_mistakes_are_named)
    tested = {(e, m) for e, _, m in test_checks.SOFTMAX_CASES + test_checks.OTHER_CASES}
    tested |= test_checks.TESTED_ELSEWHERE
    catalogued = {(ex.id, m.name) for ex in EXERCISES.values() for m in ex.mistakes}
    assert tested - catalogued == set()


def _plain(value) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biuf"
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return isinstance(value, bool | int | float)


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_cases_are_plain_data_drawn_fresh_with_fixed_labels(ex_id) -> None:
    ex = EXERCISES[ex_id]
    a, b = _all_cases(ex, 0), _all_cases(ex, 1)
    assert [c.label for c in a] == [c.label for c in b]  # printed messages do not move
    assert [np.shape(c.args[0]) for c in a] == [np.shape(c.args[0]) for c in b]
    assert sum(not c.hidden for c in a) >= 3 and sum(c.hidden for c in a) >= 3
    for c in a:
        assert all(_plain(v) for v in c.args) and all(_plain(v) for v in c.kwargs.values())
    differ = [not np.array_equal(np.asarray(x.args[0]), np.asarray(y.args[0]))
              for x, y in zip(a, b, strict=True)]
    assert sum(differ) >= len(a) - 2  # drawn afresh (a fixed example or two may repeat)
    visible = ex.cases(np.random.default_rng(0), hidden=False)
    hidden = ex.cases(np.random.default_rng(0), hidden=True)
    assert not any(c.hidden for c in visible) and all(c.hidden for c in hidden)


def test_hidden_cases_cover_the_hard_inputs() -> None:
    seen: set[str] = set()
    for ex in EXERCISES.values():
        for c in ex.cases(np.random.default_rng(0), hidden=True):
            x = c.args[0]
            arr = np.asarray(x, dtype=float)
            if isinstance(x, list):
                seen.add("list")
            if np.asarray(x).dtype.kind in "iu":
                seen.add("int")
            if np.asarray(x).dtype == np.float32:
                seen.add("float32")
            if arr.ndim == 3:
                seen.add("3-D")
            if c.kwargs.get("axis", -1) not in (-1, arr.ndim - 1):
                seen.add("other axis")
            if np.isneginf(arr).any():
                seen.add("-inf")
            if np.isfinite(arr).all() and np.abs(arr).max() > 5e3:
                seen.add("1e4")
            if (np.abs(arr) >= 1e307).any():
                seen.add("1e308")
            flat = arr.reshape(-1, arr.shape[-1]) if arr.ndim else arr.reshape(1, 1)
            if any(len(set(r)) < len(r) and r.max() == np.sort(r)[-2] for r in flat):
                seen.add("ties")
    assert seen >= {"list", "int", "float32", "3-D", "other axis", "-inf", "1e4", "1e308",
                    "ties"}
    stable = [c.label for c in EXERCISES["stable_softmax"].cases(np.random.default_rng(0),
                                                                  hidden=True)]
    assert any("1e308" in label for label in stable)


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_every_mistake_fails_the_visible_cases(ex_id) -> None:
    from course_lib.grading.attempt import run_case
    from course_lib.grading.registry import assess

    ex = EXERCISES[ex_id]
    for seed in range(3):
        cases = ex.cases(np.random.default_rng(seed), hidden=False)
        for m in ex.mistakes:
            if m.variant is None:
                continue
            res = assess(ex_id, cases, [run_case(m.variant, c.args, c.kwargs) for c in cases])
            assert res.score < 1, f"{ex_id}: {m.name} passes the visible cases (seed {seed})"


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_references_agree_with_an_independent_implementation(ex_id) -> None:
    # SciPy for the original exercises, the module's own `independent` for the others
    exercise_rules.rule_independent_reference(exercise_rules.Subject(
        EXERCISES[ex_id], sys.modules[f"course_lib.grading.exercises.{ex_id}"],
        ROOT / "solutions", EXERCISES))


def test_messages_name_no_random_number() -> None:
    from course_lib.grading import check

    for ex_id, good in test_checks.GOOD.items():
        message = check(ex_id, good, quiet=True).message
        assert not re.search(r"\d\.\d", message), message


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_labels_are_unique_and_name_no_random_number(ex_id) -> None:
    # the pass message lists the hidden labels: they must be distinct and never move
    for hidden in (False, True):
        labels = [c.label for c in EXERCISES[ex_id].cases(np.random.default_rng(3),
                                                           hidden=hidden)]
        assert len(set(labels)) == len(labels), labels
        assert not any(re.search(r"\d\.\d", label) for label in labels), labels


def test_stability_cases_are_where_stability_is_the_point() -> None:
    # rows far apart are visible wherever the exercise is about stability (or promises it)
    for ex_id in ("softmax", "softmax_axis", "stable_softmax", "logsumexp", "cross_entropy",
                  "cross_entropy_grad"):
        labels = [c.label for c in EXERCISES[ex_id].cases(np.random.default_rng(0),
                                                           hidden=False)]
        assert any("far apart" in label for label in labels), (ex_id, labels)
    for ex_id in ("softmax", "softmax_axis", "stable_softmax", "logsumexp"):
        for c in EXERCISES[ex_id].cases(np.random.default_rng(0), hidden=False):
            if "spanning 800 or 1600" in c.label:
                x = np.asarray(c.args[0], dtype=float)
                spread = np.ptp(x, axis=c.kwargs.get("axis", -1))
                assert spread.max() > 1500 and spread.min() > 750
                break
        else:
            raise AssertionError(f"{ex_id}: no wide rows among the visible cases")
