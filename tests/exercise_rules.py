"""The rules every exercise must keep, one function each, with a failure message that says
what to change. ``docs/instructor.md`` ("Your own exercise") lists them in the same order.

``tests/test_exercise_rules.py`` runs every rule on every registered exercise, and on a
sample exercise written from ``course_lib/grading/exercises/_template.py`` the way the guide
says, so a teacher's new exercise that follows the guide passes ``make test`` first time.

A rule takes a :class:`Subject`: the exercise, its module, and the ``solutions/`` folder
that holds its notebook.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from scipy import special

from course_lib.grading import judging
from course_lib.grading.attempt import run_case
from course_lib.grading.build_exercises import BEGIN, END, make_exercise, scoring_paragraph
from course_lib.grading.model import Case, Exercise

ROOT = Path(__file__).resolve().parents[1]
SEEDS = (0, 1, 2)
RETURNS = ("input precision", "indices", "floats", "float64")


@dataclass
class Subject:
    """What the rules look at: one exercise, its module, the folder of its notebook, and
    every exercise registered with it (names must not clash)."""

    ex: Exercise
    module: ModuleType
    solutions: Path
    registry: dict[str, Exercise]


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _notebook(s: Subject) -> dict:
    path = s.solutions / s.ex.notebook
    assert path.is_file(), (
        f"{s.ex.id}: its notebook solutions/{s.ex.notebook} does not exist. Set `notebook=` "
        "to an existing solutions/exNN_*.ipynb, or run `make exercises`, which creates it "
        "from the module's TEXT and SOLUTION")
    return json.loads(path.read_text(encoding="utf-8"))


def solution_source(s: Subject) -> str:
    """The answer cell of the exercise in its solution notebook."""
    cells = [c for c in _notebook(s)["cells"]
             if f"answer:{s.ex.id}" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, (
        f"{s.ex.id}: solutions/{s.ex.notebook} must hold exactly one cell tagged "
        f"answer:{s.ex.id} (found {len(cells)}); `make exercises` adds it from SOLUTION")
    return "".join(cells[0]["source"])


def solution_function(s: Subject) -> Any:
    """The reference solution, compiled the way the grader runs an answer cell."""
    namespace: dict = {"np": np, "numpy": np, "__name__": "__main__"}
    exec(compile(solution_source(s), f"<solution {s.ex.id}>", "exec"), namespace)  # noqa: S102
    fn = namespace.get(s.ex.function_name)
    assert callable(fn), (f"{s.ex.id}: the answer cell must define `def "
                          f"{s.ex.function_name}(...)` (the module's function_name)")
    return fn


def draws(ex: Exercise, seeds=SEEDS) -> list[tuple[list[Case], list[Case]]]:
    out = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        out.append((ex.cases(rng, hidden=False), ex.cases(rng, hidden=True)))
    return out


def graded(ex: Exercise, fn: Any, cases: list[Case]):  # noqa: ANN201
    return judging.assess(ex, cases, [run_case(fn, c.args, c.kwargs) for c in cases])


# --- 1. the module -------------------------------------------------------------------------


def rule_module(s: Subject) -> None:
    """The module defines EXERCISE and CONTRACT; the fields are well formed."""
    ex, module = s.ex, s.module
    assert getattr(module, "EXERCISE", None) is ex, f"{ex.id}: define EXERCISE = Exercise(...)"
    assert getattr(module, "CONTRACT", None) == ex.contract, (
        f"{ex.id}: keep the contract in a module constant CONTRACT and pass "
        "contract=CONTRACT to the Exercise")
    assert ex.function_name.isidentifier(), (
        f"{ex.id}: function_name {ex.function_name!r} must be a Python name")
    clash = [e.id for e in s.registry.values()
             if e.function_name == ex.function_name and e.id != ex.id]
    assert not clash, (f"{ex.id}: function_name {ex.function_name!r} is already used by "
                       f"{clash}; choose another (grading finds answers by this name)")
    assert ex.title.strip() and ex.points > 0, (
        f"{ex.id}: give a title and points > 0")
    assert ex.returns in RETURNS, f"{ex.id}: returns= must be one of {RETURNS}"


# --- 2. the notebook -----------------------------------------------------------------------


def rule_notebook(s: Subject) -> None:
    """One answer cell, at its place, with markers; the text quotes contract and scoring."""
    ex = s.ex
    nb = _notebook(s)
    answers = [t.split(":", 1)[1] for c in nb["cells"]
               for t in c.get("metadata", {}).get("tags", []) if t.startswith("answer:")]
    assert ex.id in answers, (f"{ex.id}: no cell tagged answer:{ex.id} in "
                              f"solutions/{ex.notebook}; run `make exercises`")
    assert answers.index(ex.id) + 1 == ex.place, (
        f"{ex.id}: place={ex.place}, but its answer cell is answer cell number "
        f"{answers.index(ex.id) + 1} of solutions/{ex.notebook}: set place= to that number")
    source = solution_source(s)
    assert BEGIN in source and END in source, (
        f"{ex.id}: put the solution between `{BEGIN}` and `{END}` lines in the answer cell")
    assert f"def {ex.function_name}(" in source, (
        f"{ex.id}: the answer cell must define `def {ex.function_name}(...)`")
    markdown = [_words("".join(c["source"])) for c in nb["cells"]
                if c["cell_type"] == "markdown"]
    mine = [m for m in markdown if m.startswith(f"## Exercise `{ex.id}`")]
    assert len(mine) == 1, (f"{ex.id}: solutions/{ex.notebook} needs one markdown cell "
                            f"starting `## Exercise `{ex.id}``")
    assert f"**Contract.** {_words(ex.contract)}" in mine[0], (
        f"{ex.id}: the exercise's text must quote the module's CONTRACT word for word after "
        "**Contract.** (edit one to match the other)")
    assert _words(scoring_paragraph(ex)) in mine[0], (
        f"{ex.id}: the **Scoring.** paragraph is missing or stale: run `make exercises`")


# --- 3. the cases --------------------------------------------------------------------------


def _plain(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biuf"
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    return isinstance(value, bool | int | float | np.integer | np.floating)


def rule_cases(s: Subject) -> None:
    """At least 3 visible and 3 hidden cases; plain data; fixed, distinct labels without
    decimals; fixed shapes; numbers drawn afresh."""
    ex = s.ex
    a = ex.cases(np.random.default_rng(0), hidden=False) + ex.cases(
        np.random.default_rng(0), hidden=True)
    b = ex.cases(np.random.default_rng(1), hidden=False) + ex.cases(
        np.random.default_rng(1), hidden=True)
    assert sum(not c.hidden for c in a) >= 3 and sum(c.hidden for c in a) >= 3, (
        f"{ex.id}: give at least 3 visible and 3 hidden cases")
    assert [c.label for c in a] == [c.label for c in b], (
        f"{ex.id}: case labels must not depend on the random numbers (the check promises "
        "the hidden labels to learners)")
    for hidden in (False, True):
        labels = [c.label for c in a if c.hidden == hidden]
        assert len(set(labels)) == len(labels), f"{ex.id}: case labels must be distinct"
        bad = [lb for lb in labels if re.search(r"\d\.\d", lb)]
        assert not bad, (f"{ex.id}: labels {bad} contain a decimal number; write it in words "
                         "or as 1e-3 (a message must never show a number that could be random)")
    assert [np.shape(c.args[0]) for c in a] == [np.shape(c.args[0]) for c in b], (
        f"{ex.id}: a case's shapes must not depend on the seed")
    for c in a:
        assert all(_plain(v) for v in c.args) and all(_plain(v) for v in c.kwargs.values()), (
            f"{ex.id}: case {c.label!r} must hold plain data (arrays of numbers, lists, ints, "
            "floats): it travels to the sandbox as data")
    differ = sum(not np.array_equal(np.asarray(x.args[0]), np.asarray(y.args[0]))
                 for x, y in zip(a, b, strict=True))
    assert differ >= len(a) - 2, (
        f"{ex.id}: draw the cases' numbers from `rng` (only {differ} of {len(a)} change "
        "between seeds), so a hard-coded answer cannot pass")


# --- 4. the catalogue ----------------------------------------------------------------------


def rule_catalogue(s: Subject) -> None:
    """Distinct names, "input mutated" listed, hints in words (over 30 characters, no final
    full stop, no traceback)."""
    ex = s.ex
    names = [m.name for m in ex.mistakes]
    assert len(set(names)) == len(names), f"{ex.id}: two mistakes share a name"
    assert "input mutated" in names, (
        f"{ex.id}: list MUTATED (from course_lib.grading.mistakes) in MISTAKES")
    for m in ex.mistakes:
        assert len(m.hint) > 30, (f"{ex.id}: the hint of {m.name!r} is too short to help; "
                                  "say what is wrong and what to do instead (over 30 characters)")
        assert not m.hint.endswith("."), (f"{ex.id}: end the hint of {m.name!r} without a full "
                                          "stop (the message adds one)")
        assert "Traceback" not in m.hint, f"{ex.id}: a hint is words, not a traceback"


def _as_learner(variant: Any) -> Any:
    def learner(*args: Any, **kwargs: Any) -> Any:  # a frame of "learner's" code, as in a cell
        return variant(*args, **kwargs)

    return learner


def rule_mistakes_are_named(s: Subject) -> None:
    """Every mistake with a variant fails the visible cases, and the check names it there."""
    ex = s.ex
    for m in ex.mistakes:
        if m.variant is None:
            continue
        for seed, (visible, _) in zip(SEEDS, draws(ex), strict=True):
            result = graded(ex, _as_learner(m.variant), visible)
            assert result.score < 1, (
                f"{ex.id}: mistake {m.name!r} passes the visible cases (seed {seed}); add a "
                "visible case on which its variant differs from the reference")
            assert f"It looks like: {m.name}." in result.message, (
                f"{ex.id}: the check does not name {m.name!r} for its own variant (seed "
                f"{seed}); it said:\n{result.message}\nMake a case where this variant, and no "
                "other mistake's, reproduces the answer first, or order the catalogue")


# --- 5. the reference ----------------------------------------------------------------------


def suite_reference(ex_id: str, args: tuple, kwargs: dict) -> Any:
    """The suite's own second implementation of the original exercises (SciPy), or None."""
    x = np.asarray(args[0], dtype=float)
    axis = kwargs.get("axis", -1)
    if ex_id == "max":
        return np.amax(x, axis=axis)
    if ex_id == "argmax":
        return np.argmax(x, axis=axis)
    if ex_id == "one_hot":
        labels = np.asarray(args[0])
        return (labels[..., None] == np.arange(args[1])).astype(float)
    if ex_id in ("softmax", "softmax_axis"):
        return special.softmax(x, axis=axis)
    if ex_id == "log_softmax":
        return special.log_softmax(x, axis=axis)
    if ex_id == "logsumexp":
        return special.logsumexp(x, axis=axis, keepdims=kwargs.get("keepdims", False))
    if ex_id == "top_k":  # kept when fewer than k logits of the row are larger
        k = args[1]
        return np.where((x[..., None, :] > x[..., :, None]).sum(-1) < k, x, -np.inf)
    if ex_id not in ("perplexity", "cross_entropy", "cross_entropy_grad"):
        return None
    t = np.asarray(args[1])
    if ex_id == "perplexity":
        return np.exp(-np.mean(special.log_softmax(x, axis=-1)[np.arange(len(t)), t]))
    if ex_id == "cross_entropy":
        return -np.mean(special.log_softmax(x, axis=-1)[np.arange(len(t)), t])
    grad = special.softmax(x, axis=-1)
    grad[np.arange(len(t)), t] -= 1.0
    return grad / len(t)


def rule_independent_reference(s: Subject) -> None:
    """The reference agrees with a second implementation that shares no code with it."""
    ex = s.ex
    independent = getattr(s.module, "independent", None)
    if independent is None and suite_reference(
            ex.id, *(lambda c: (c.args, c.kwargs))(ex.cases(np.random.default_rng(0),
                                                              hidden=False)[0])) is None:
        raise AssertionError(
            f"{ex.id}: write `def independent(...)` in the module: the same answer computed "
            "another way (SciPy, scikit-learn, or plain Python loops), never with "
            "course_lib, with imports inside the function; the tests compare the two")
    for visible, hidden in draws(ex):
        for c in visible + hidden:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SciPy warns on ±1e308; its answer is right
                want = (independent(*c.args, **c.kwargs) if independent is not None
                        else suite_reference(ex.id, c.args, c.kwargs))
            got = np.asarray(ex.reference(*c.args, **c.kwargs))
            want = np.asarray(want)
            rtol, atol = judging.tolerance(got, c)
            with np.errstate(all="ignore"):
                ok = got.shape == want.shape and np.allclose(
                    got.astype(float), want.astype(float), rtol=max(rtol, 1e-7),
                    atol=max(atol, 1e-10), equal_nan=True)
            assert ok, (f"{ex.id}: the reference and the independent implementation disagree "
                        f"on case {c.label!r}: {got!r} against {want!r}")


# --- 6. the solution -----------------------------------------------------------------------


def rule_solution(s: Subject) -> None:
    """The solution passes every case; its stub raises NotImplementedError; a hard-coded
    answer and an answer that changes its input are caught; messages name no number."""
    ex = s.ex
    fn = solution_function(s)
    for seed, (visible, hidden) in zip(SEEDS, draws(ex), strict=True):
        result = graded(ex, fn, visible + hidden)
        assert result.passed, (f"{ex.id}: the solution fails its own cases (seed {seed}):\n"
                               f"{result.message}")
        assert not re.search(r"\d\.\d", graded(ex, fn, visible).message)
    nb = make_exercise(s.solutions / ex.notebook)
    stub = next(c for c in nb.cells if f"answer:{ex.id}" in c.metadata.get("tags", []))
    namespace: dict = {"np": np}
    exec(stub.source, namespace)  # noqa: S102 - our own stub
    first = draws(ex)[0][0][0]
    try:
        namespace[ex.function_name](*first.args, **first.kwargs)
    except NotImplementedError:
        pass
    else:
        raise AssertionError(f"{ex.id}: the stub must raise NotImplementedError: keep the "
                             f"`{BEGIN}` / `{END}` lines around the whole body")
    frozen = np.asarray(ex.reference(*first.args, **first.kwargs))
    fixed = graded(ex, lambda *a, **k: frozen.copy(), draws(ex, (1,))[0][0])
    assert "It looks like: hard-coded answer." in fixed.message, (
        f"{ex.id}: a hard-coded answer is not caught: make the visible cases' answers differ "
        "in shape or numbers")

    def mutating(*args: Any, **kwargs: Any) -> Any:
        out = np.array(fn(*args, **kwargs), copy=True)
        for a in args:
            if isinstance(a, np.ndarray) and a.size:
                a[...] = a.flat[0]
                break
        return out

    result = graded(ex, mutating, draws(ex)[0][0])
    assert "It looks like: input mutated." in result.message, (
        f"{ex.id}: an answer that overwrites its input array is not caught: let at least "
        "one visible case pass its first argument as a NumPy array")


# --- 7. mutation -----------------------------------------------------------------------------


def drawn_battery(ex: Exercise, n_seeds: int = 20) -> list[Case]:
    """Valid inputs for the mutation test: the exercise's own cases drawn from other seeds
    (a module may define ``battery(rng)`` for inputs of its own)."""
    out: list[Case] = []
    for seed in range(100, 100 + n_seeds):
        rng = np.random.default_rng(seed)
        out += ex.cases(rng, hidden=False) + ex.cases(rng, hidden=True)
    return out


def rule_mutation(s: Subject) -> None:
    """Single-change mutants of the solution that differ from it on valid input lose points
    on the visible and hidden cases (at least 12 made, 10 kept)."""
    from tests.test_mutation import compile_function, mutants

    ex = s.ex
    source = solution_source(s)
    bat = (s.module.battery(np.random.default_rng(2024)) if hasattr(s.module, "battery")
           else drawn_battery(ex))
    made = mutants(source)
    kept, survivors = [], []
    for desc, code in made:
        try:
            fn = compile_function(code, ex.function_name)
        except Exception:  # noqa: BLE001 - a mutant that does not define the function
            continue
        if not any(graded(ex, fn, [c]).score < 1 for c in bat):
            continue  # no difference on valid input
        kept.append(desc)
        if not all(graded(ex, fn, v + h).score < 1 for v, h in draws(ex)):
            survivors.append(desc)
    assert len(made) >= 12 and len(kept) >= 10, (
        f"{ex.id}: the mutation test made {len(made)} mutants and kept {len(kept)}; write the "
        "solution as a learner would, step by step (np.asarray, the reduction with axis=, "
        "the arithmetic), so that single changes to it can be tried")
    assert not survivors, (
        f"{ex.id}: these changes to the solution are wrong on valid input but keep full "
        f"marks: {survivors}; add cases (visible or hidden) that tell them apart")


RULES = (rule_module, rule_notebook, rule_cases, rule_catalogue, rule_mistakes_are_named,
         rule_independent_reference, rule_solution, rule_mutation)
