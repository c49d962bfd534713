"""Feedback a learner can trust.

1. The wrong answers a new learner handed in, written as they wrote them: each loses points
   on every seed (the course's own, 1729, and others) and gets the right hint or none.
2. The diagnosis rule, proven on the catalogue itself: every variant of every catalogued
   mistake, and the reference, run through the diagnosis on every case of every seed; a
   mistake is named only when its variant reproduces the output, and near misses (right to
   about 1e-7) are told exactly that.
3. A helper defined in a cell the grader does not run is explained in plain words, naming
   the ``answer:<id>`` tags, in the check and in a real grading run.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_lib import softmax
from course_lib.grading import check
from course_lib.grading.attempt import run_case
from course_lib.grading.grader import COURSE_SEED, grade, make_cases
from course_lib.grading.judging import _Run, compare, tolerance
from course_lib.grading.registry import EXERCISES, assess

SEEDS = (COURSE_SEED, 0, 1, 2, 3)
NEAR = "close, but not to the precision asked"


def hint_of(message: str) -> str | None:
    found = re.search(r"It looks like: (.+?)\. Hint:", message)
    return found.group(1) if found else None


def graded(ex_id: str, fn, seed: int, hidden: bool = True):  # noqa: ANN001, ANN201
    cases = make_cases(seed, [ex_id])[ex_id]
    if not hidden:
        cases = [c for c in cases if not c.hidden]
    return assess(ex_id, cases, [run_case(fn, c.args, c.kwargs) for c in cases])


# --- 1. full marks from the grader before ---------------------------------------------------


def max_loop_from(start):  # noqa: ANN001, ANN201
    def my_max(x, axis=-1):
        x = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
        best = np.full(x.shape[:-1], start, dtype=float)
        for i in range(x.shape[-1]):
            best = np.where(x[..., i] > best, x[..., i], best)
        return best

    return my_max


def max_python_loop_from_zero(x, axis=-1):
    x = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
    out = np.empty(x.shape[:-1])
    for idx in np.ndindex(out.shape):
        best = 0
        for v in x[idx]:
            if v > best:
                best = v
        out[idx] = best
    return out


def argmax_loop_from(start):  # noqa: ANN001, ANN201
    def my_argmax(x, axis=-1):
        x = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
        best = np.full(x.shape[:-1], start, dtype=float)
        where = np.zeros(x.shape[:-1], dtype=int)
        for i in range(x.shape[-1]):
            bigger = x[..., i] > best
            best = np.where(bigger, x[..., i], best)
            where = np.where(bigger, i, where)
        return where

    return my_argmax


def stable_softmax_clipped(x, axis=-1):
    x = np.asarray(x, dtype=float)
    z = np.maximum(x - x.max(axis=axis, keepdims=True), -700.0)  # "no underflow"
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def stable_softmax_np_clip(x, axis=-1):
    x = np.asarray(x, dtype=float)
    e = np.exp(np.clip(x - x.max(axis=axis, keepdims=True), -50, 0))
    return e / e.sum(axis=axis, keepdims=True)


def stable_softmax_clipped_t(x, axis=-1, temperature=1.0):  # stable_softmax takes a T
    x = np.asarray(x, dtype=float)
    z = np.maximum((x - x.max(axis=axis, keepdims=True)) / temperature, -700.0)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def stable_softmax_np_clip_t(x, axis=-1, temperature=1.0):
    x = np.asarray(x, dtype=float)
    e = np.exp(np.clip((x - x.max(axis=axis, keepdims=True)) / temperature, -50, 0))
    return e / e.sum(axis=axis, keepdims=True)


def divide_first(fn):  # noqa: ANN001, ANN201
    """``fn``'s softmax for stable_softmax, the logits divided by the temperature first."""
    def with_temperature(x, axis=-1, temperature=1.0):
        return fn(np.asarray(x, dtype=float) / temperature, axis=axis)

    with_temperature.__name__ = fn.__name__
    return with_temperature


def one_hot_float16(labels, num_classes):
    return np.eye(num_classes, dtype=np.float16)[np.asarray(labels)]


def one_hot_float32(labels, num_classes):
    return np.eye(num_classes, dtype=np.float32)[np.asarray(labels)]


# --- 1. hints that named a mistake the learner did not make -------------------------------


def softmax_eps(x, axis=-1):
    x = np.asarray(x, dtype=float)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / (e.sum(axis=axis, keepdims=True) + 1e-8)


def softmax_float32_sum(x, axis=-1):
    x = np.asarray(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True, dtype=np.float32)


def lse_float32_sum(x, axis=-1, keepdims=False):
    x = np.asarray(x, dtype=float)
    m = x.max(axis=axis, keepdims=True)
    out = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True, dtype=np.float32))
    return out if keepdims else np.squeeze(out, axis=axis)


def lse_float32_detour(x, axis=-1, keepdims=False):
    x = np.asarray(x, dtype=float)
    m = x.max(axis=axis, keepdims=True)
    s = np.log(np.exp((x - m).astype(np.float32)).sum(axis=axis, keepdims=True))
    out = m + s.astype(np.float64)
    return out if keepdims else np.squeeze(out, axis=axis)


def lse_longdouble(x, axis=-1, keepdims=False):  # no shift: longdouble does not overflow...
    x = np.asarray(x, dtype=np.longdouble)
    return np.log(np.exp(x).sum(axis=axis, keepdims=keepdims)).astype(np.float64)


def ce_longdouble_via_float32(logits, targets):
    z = np.asarray(logits, dtype=np.longdouble)
    m = z.max(axis=-1, keepdims=True)
    lp = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    return float(np.float32(-lp[np.arange(len(targets)), targets].mean()))


def ce_eps(logits, targets):
    z = np.asarray(logits, dtype=float)
    m = z.max(axis=-1, keepdims=True)
    lp = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True) + 1e-7)
    return -lp[np.arange(len(targets)), targets].mean()


def grad_float32_softmax(logits, targets):
    z = np.asarray(logits, dtype=float)
    p = softmax(z.astype(np.float32)).astype(np.float64)  # a float32 softmax inside
    p[np.arange(len(targets)), targets] -= 1
    return p / len(targets)


def perplexity_global_max(logits, targets):
    z = np.asarray(logits, dtype=float)
    s = z - z.max()  # the batch's maximum
    log_p = s - np.log(np.exp(s).sum(axis=-1, keepdims=True))
    return np.exp(-log_p[np.arange(len(targets)), targets].mean())


def perplexity_product(logits, targets):
    p = softmax(np.asarray(logits, dtype=float))
    p_y = p[np.arange(len(targets)), targets]
    return np.prod(p_y) ** (-1 / len(p_y))


def perplexity_float32(logits, targets):
    z = np.asarray(logits, dtype=np.float32)
    m = z.max(axis=-1, keepdims=True)
    lp = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    return np.exp(-lp[np.arange(len(targets)), targets].mean(dtype=np.float64))


# --- 1. hints missing or wrong ---------------------------------------------------------------


def top_k_old_hint(logits, k):  # the exercise's old hint, followed to the letter
    z = np.asarray(logits, dtype=float)
    kth = -np.sort(-z, axis=-1)[..., k - 1 : k]
    return np.where(z >= kth, z, -np.inf)


def softmax_rows_shifted_batch_sum(x, axis=-1):
    x = np.asarray(x, dtype=float)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum()


WRONG = [
    # (exercise, the learner's function, the hint it must get, or None for none)
    ("max", max_loop_from(-9999), "loop started from a fixed value"),
    ("max", max_loop_from(0), "loop started from a fixed value"),
    ("max", max_loop_from(-1e9), "loop started from a fixed value"),
    ("max", max_python_loop_from_zero, "loop started from a fixed value"),
    ("max", max_loop_from(-12345.0), None),  # a start that is not catalogued: no guess
    ("argmax", argmax_loop_from(-9999), "loop started from a fixed value"),
    ("argmax", argmax_loop_from(0), "loop started from a fixed value"),
    ("stable_softmax", stable_softmax_clipped_t, "masked entries above 0"),
    ("stable_softmax", stable_softmax_np_clip_t, "masked entries above 0"),
    ("softmax_axis", stable_softmax_np_clip, "masked entries above 0"),
    ("softmax", stable_softmax_clipped, "masked entries above 0"),
    ("one_hot", one_hot_float16, "wrong dtype"),
    ("one_hot", one_hot_float32, "wrong dtype"),
    ("softmax", softmax_eps, NEAR),
    ("softmax_axis", softmax_eps, NEAR),
    ("stable_softmax", divide_first(softmax_eps), NEAR),
    ("softmax", softmax_float32_sum, NEAR),
    ("logsumexp", lse_float32_sum, NEAR),
    ("logsumexp", lse_float32_detour, NEAR),
    ("logsumexp", lse_longdouble, None),
    ("cross_entropy", ce_longdouble_via_float32, NEAR),
    ("cross_entropy", ce_eps, NEAR),
    ("cross_entropy_grad", grad_float32_softmax, NEAR),
    ("perplexity", perplexity_global_max, "shift by the global max of the batch"),
    ("perplexity", perplexity_product, "product of probabilities"),
    ("perplexity", perplexity_float32, NEAR),
    ("top_k", top_k_old_hint, "k larger than the number of classes"),
    ("softmax", softmax_rows_shifted_batch_sum, "whole-batch sum"),
    ("softmax_axis", softmax_rows_shifted_batch_sum, "whole-batch sum"),
    ("stable_softmax", divide_first(softmax_rows_shifted_batch_sum), "whole-batch sum"),
]
NEVER = {"shift by the minimum", "shift by the mean", "no max shift (overflow)",
         "squeeze without an axis", "sign flipped", "log of softmax"}


@pytest.mark.parametrize("ex_id,fn,hint", WRONG,
                         ids=[f"{e}-{getattr(f, '__name__', '')}-{i}"
                              for i, (e, f, _) in enumerate(WRONG)])
def test_wrong_answer_loses_points_on_every_seed_with_the_right_hint_or_none(
        ex_id, fn, hint) -> None:
    for seed in SEEDS:
        result = graded(ex_id, fn, seed)  # as the grader does: visible and hidden cases
        assert result.score < 1, (seed, result.message)
        assert hint_of(result.message) == hint, (seed, result.message)
        checked = graded(ex_id, fn, seed, hidden=False)  # the check cell: visible cases only
        if not checked.passed:
            assert hint_of(checked.message) == hint, (seed, checked.message)
        assert hint_of(checked.message) not in NEVER


def test_the_near_miss_message_says_what_to_look_for() -> None:
    message = graded("softmax", softmax_eps, COURSE_SEED).message
    assert "right to about 6 significant digits" in message
    assert "about 9 (a relative error of 1e-9)" in message
    assert "epsilon" in message and "float32" in message and "clip" in message


def test_the_masked_entry_message_names_the_clip() -> None:
    message = check("stable_softmax", stable_softmax_clipped_t, seed=0, quiet=True).message
    assert "a masked entry (-inf in the input) is not exactly 0" in message
    assert "do not clip the shifted logits" in message


def test_the_top_k_hint_of_the_exercise_works_for_k_above_the_classes() -> None:
    nb = nbformat.read(Path(__file__).resolve().parents[1] / "solutions"
                       / "ex06_language_model.ipynb", as_version=4)
    text = next(c.source for c in nb.cells if c.source.startswith("## Exercise `top_k`"))
    assert "k = min(k, z.shape[-1])" in text and "[..., k - 1 : k]" in text

    def as_hinted(logits, k):  # the hint as the exercise now gives it
        z = np.asarray(logits, dtype=float)
        k = min(k, z.shape[-1])
        kth = -np.sort(-z, axis=-1)[..., k - 1 : k]
        return np.where(z >= kth, z, -np.inf)

    for seed in SEEDS:
        assert graded("top_k", as_hinted, seed).passed
    message = graded("top_k", top_k_old_hint, COURSE_SEED).message
    assert "`k = min(k, z.shape[-1])`" in message


def test_the_cases_hold_rows_below_every_sentinel_masks_and_dtypes() -> None:
    # every seed, visible and hidden: rows entirely below 0 and below -1e4 for max/argmax
    for seed in SEEDS:
        for ex_id in ("max", "argmax"):
            cases = make_cases(seed, [ex_id])[ex_id]
            for hidden in (False, True):
                lows = set()
                for c in (c for c in cases if c.hidden == hidden and "below" in c.label):
                    x = np.moveaxis(np.asarray(c.args[0], dtype=float),
                                    c.kwargs.get("axis", -1), -1)
                    top = x.max(axis=-1)
                    lows |= {"0"} if (top < 0).any() else set()
                    lows |= {"-1e4"} if (top < -1e4).any() else set()
                    lows |= {"-1e300"} if (top <= -1e300).any() else set()
                    assert (np.argmax(x, axis=-1) != 0).all()  # a loop kept at 0 is wrong
                assert lows == {"0", "-1e4", "-1e300"}, (seed, ex_id, hidden)
        # masks that must give exactly 0, visible and hidden, in the softmax family
        for ex_id in ("softmax", "softmax_axis", "stable_softmax", "cross_entropy_grad"):
            cases = make_cases(seed, [ex_id])[ex_id]
            for hidden in (False, True):
                assert any(np.isneginf(np.asarray(c.args[0], dtype=float)).any()
                           for c in cases if c.hidden == hidden), (ex_id, hidden)


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_every_contract_dtype_is_held_on_every_seed(ex_id) -> None:
    ex = EXERCISES[ex_id]
    lower = {"indices": np.float64, "float64": np.float16}.get(ex.returns, np.float16)

    def cast(*args, **kwargs):  # the right numbers, in the dtype the contract refuses
        return np.asarray(ex.reference(*args, **kwargs)).astype(lower)

    dtype_mistake = next((m.name for m in ex.mistakes if m.dtype), "wrong dtype")
    for seed in SEEDS:
        for hidden in (False, True):
            result = graded(ex_id, cast, seed, hidden)
            assert result.score < 1, (seed, hidden, result.message)
            assert hint_of(result.message) == dtype_mistake, (seed, result.message)
    if ex_id == "one_hot":  # float64 and nothing else: float32 is refused too
        result = graded(ex_id, one_hot_float32, COURSE_SEED)
        assert "expected float64, got float32" in result.message


# --- 2. the diagnosis rule, on the catalogue itself ------------------------------------------


def _variants():  # noqa: ANN202
    for ex_id, ex in EXERCISES.items():
        for m in ex.mistakes:
            for k, v in enumerate(m.variants):
                yield pytest.param(ex_id, m.name, v, id=f"{ex_id}-{m.name}-{k}")


def _explained_by(ex_id: str, name: str, cases, attempts, first: int) -> bool:
    """Does some variant of the mistake called ``name`` reproduce attempt ``first``?"""
    run = _Run(EXERCISES[ex_id], cases, attempts, [True] * len(cases))
    for m in EXERCISES[ex_id].mistakes:
        if m.name == name:
            for v in m.variants:
                out = run.outcome(v, first)
                if run.wrong(out, first) and run.reproduces(out, first):
                    return True
    return False


@pytest.mark.parametrize("ex_id,name,variant", list(_variants()))
def test_a_catalogued_mistake_is_named_as_itself_and_nothing_else(ex_id, name, variant):
    for seed in SEEDS:
        cases = make_cases(seed, [ex_id])[ex_id]
        attempts = [run_case(variant, c.args, c.kwargs) for c in cases]
        for scope in (cases, [c for c in cases if not c.hidden]):
            idx = [cases.index(c) for c in scope]
            result = assess(ex_id, scope, [attempts[i] for i in idx])
            if result.passed:
                continue  # this variant is right on all of them (a sentinel below every row)
            assert hint_of(result.message) in (name, None), (seed, result.message)
        # every case alone: a name only where that mistake's variant reproduces the output
        for i, case in enumerate(cases):
            alone = assess(ex_id, [case], [attempts[i]])
            said = hint_of(alone.message)
            if alone.passed or said in (None, "input mutated"):
                continue
            if said == name:
                continue
            assert said in ("wrong dtype", "float indices", "wrong shape",
                            "masked entries above 0", NEAR) or _explained_by(
                ex_id, said, [case], [attempts[i]], 0), (seed, case.label, alone.message)
    # the variant's own result, named on the run as a whole, on the course's seed
    cases = make_cases(COURSE_SEED, [ex_id])[ex_id]
    result = assess(ex_id, cases, [run_case(variant, c.args, c.kwargs) for c in cases])
    if not result.passed:
        assert hint_of(result.message) in (name, None), result.message


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_the_reference_passes_every_case_and_near_misses_are_told_so(ex_id) -> None:
    ex = EXERCISES[ex_id]

    def scaled(*args, **kwargs):  # right to about 1e-7, everywhere
        out = np.asarray(ex.reference(*args, **kwargs))
        return out * (1 + 3e-7) if out.dtype.kind == "f" else out

    for seed in SEEDS:
        cases = make_cases(seed, [ex_id])[ex_id]
        for case in cases:
            ref = assess(ex_id, [case], [run_case(ex.reference, case.args, case.kwargs)])
            assert ref.passed, (seed, case.label, ref.message)
            if ex.returns == "indices":
                continue
            near = assess(ex_id, [case], [run_case(scaled, case.args, case.kwargs)])
            expected = np.asarray(ex.reference(*case.args, **case.kwargs))
            if expected.dtype != np.float64 or near.passed:
                continue  # float32 answers are judged at float32 tolerance: 3e-7 is right
            assert hint_of(near.message) == NEAR, (seed, case.label, near.message)


def test_a_variant_that_is_right_on_the_first_failure_is_never_named() -> None:
    # on ordinary rows the min- and mean-shifts ARE the softmax: a near miss there must not
    # be told "shift by the minimum" (the old rule compared at rtol 1e-6)
    case_rows = np.random.default_rng(0).normal(size=(3, 4))
    from course_lib.grading.model import Case

    case = Case("ordinary rows", (case_rows,))
    result = assess("softmax", [case], [run_case(softmax_eps, case.args, case.kwargs)])
    assert hint_of(result.message) == NEAR, result.message
    assert tolerance(np.asarray(softmax(case_rows))) == (1e-9, 1e-12)
    assert compare(EXERCISES["softmax"], np.asarray(softmax_eps(case_rows)),
                   softmax(case_rows), case) == "wrong values"


# --- 3. a helper from a cell the grader does not run -----------------------------------------


HELPER_CELL = "def shift(x, axis):\n    return x - x.max(axis=axis, keepdims=True)\n"
USES_HELPER = ("def my_softmax(x, axis=-1):\n    e = np.exp(shift(np.asarray(x), axis))\n"
               "    return e / e.sum(axis=axis, keepdims=True)\n")


def test_an_untagged_helper_is_explained_in_the_check() -> None:
    namespace: dict = {"np": np}
    exec(compile(USES_HELPER, "<answer cell>", "exec"), namespace)  # noqa: S102
    result = check("softmax", namespace["my_softmax"], seed=0, quiet=True)
    assert not result.passed
    assert hint_of(result.message) == "a name from outside the answer cell"
    assert "`shift` is not defined where your answer runs" in result.message
    assert "`answer:softmax`" in result.message


def _notebook(path: Path, answer: str, others: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells.append(nbformat.v4.new_code_cell("import numpy as np"))
    for src in others:  # not tagged: grading never runs them
        nb.cells.append(nbformat.v4.new_code_cell(src))
    cell = nbformat.v4.new_code_cell(answer)
    cell.metadata["tags"] = ["answer:softmax"]
    nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_an_untagged_helper_is_explained_by_the_grader(tmp_path) -> None:
    subs = tmp_path / "subs"
    _notebook(subs / "ann" / "ex03.ipynb", USES_HELPER, [HELPER_CELL])
    _notebook(subs / "ben" / "ex03.ipynb", "SCALE = TEMPERATURE * 2\n" + USES_HELPER,
              ["TEMPERATURE = 1.0", HELPER_CELL])
    results = {r.name: r for r in grade([subs], tmp_path / "out", exercises=["softmax"])}
    ann, ben = results["ann"].messages["softmax"], results["ben"].messages["softmax"]
    assert results["ann"].scores.get("softmax", 0) == 0 and "softmax" not in results["ben"].scores
    assert "`shift` is not defined where your answer runs" in ann
    assert "`TEMPERATURE` is not defined where your answer runs" in ben
    for message in (ann, ben):
        assert "Grading runs only the cells tagged `answer:softmax`" in message
