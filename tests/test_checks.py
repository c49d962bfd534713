"""Every catalogued mistake is recognised, with its hint; correct answers pass; stubs and
hard-coded answers fail. The wrong implementations are written out here, the way learners
really write them."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import cross_entropy, cross_entropy_grad, log_softmax, logsumexp, softmax
from course_lib.grading import check
from course_lib.grading.registry import EXERCISES
from tests.test_language_model_exercises import GOOD as LM_GOOD
from tests.test_language_model_exercises import OTHER_CASES as LM_CASES


def stub(*args, **kwargs):
    raise NotImplementedError


# --- correct answers, written the way the solutions do ---------------------------------


def good_max(x, axis=-1):
    return np.max(np.asarray(x), axis=axis)


def good_argmax(x, axis=-1):
    return np.argmax(np.asarray(x), axis=axis)


def good_one_hot(labels, num_classes):
    return np.eye(num_classes)[np.asarray(labels)]


def good_softmax(x, axis=-1):
    x = np.asarray(x)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def good_stable(x, axis=-1, temperature=1.0):
    x = np.asarray(x)
    e = np.exp((x - np.max(x, axis=axis, keepdims=True)) / temperature)
    return e / e.sum(axis=axis, keepdims=True)


def good_lse(x, axis=-1, keepdims=False):
    x = np.asarray(x)
    m = np.max(x, axis=axis, keepdims=True)
    out = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def good_ce(logits, targets):
    logp = logits - good_lse(logits, axis=-1, keepdims=True)
    return -np.mean(logp[np.arange(len(targets)), targets])


def good_ce_grad(logits, targets):
    g = good_softmax(logits)
    g[np.arange(len(targets)), targets] -= 1
    return g / len(targets)


GOOD = {
    "max": good_max, "argmax": good_argmax, "one_hot": good_one_hot, "softmax": good_softmax,
    "softmax_axis": good_softmax, "stable_softmax": good_stable, "logsumexp": good_lse,
    "cross_entropy": good_ce, "cross_entropy_grad": good_ce_grad,
}
GOOD.update(LM_GOOD)  # lesson 08's exercises: tests/test_language_model_exercises.py


def good(exercise_id: str):  # noqa: ANN201
    """A right answer: written out above, or else the solution notebook's answer cell."""
    if exercise_id in GOOD:
        return GOOD[exercise_id]
    from tests.exercise_rules import ROOT, Subject, solution_function

    ex = EXERCISES[exercise_id]
    return solution_function(Subject(ex, None, ROOT / "solutions", EXERCISES))


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_correct_answers_pass(exercise_id, seed, capsys) -> None:
    result = check(exercise_id, good(exercise_id), seed=seed)
    assert result.passed, result.message
    assert result.score == 1.0
    out = capsys.readouterr().out
    assert "visible cases passed; grading adds" in out
    hidden = EXERCISES[exercise_id].cases(np.random.default_rng(seed), hidden=True)
    assert f"grading adds {len(hidden)} hidden cases (" in out
    for case in hidden:  # the message promises exactly what the hidden cases contain
        assert case.label in out


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_correct_answers_pass_hidden_cases(exercise_id) -> None:
    from course_lib.grading.attempt import run_case
    from course_lib.grading.registry import assess

    ex = EXERCISES[exercise_id]
    rng = np.random.default_rng(5)
    cases = ex.cases(rng, hidden=False) + ex.cases(rng, hidden=True)
    res = assess(exercise_id, cases, [run_case(good(exercise_id), c.args, c.kwargs)
                                     for c in cases])
    assert res.passed, res.message
    assert "hidden ones included" in res.message


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_stub_says_not_implemented(exercise_id) -> None:
    result = check(exercise_id, stub, quiet=True)
    assert not result.passed and result.score == 0
    assert "not implemented yet" in result.message
    assert "Traceback" not in result.message


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_hard_coded_answer_fails(exercise_id) -> None:
    ex = EXERCISES[exercise_id]
    first = ex.cases(np.random.default_rng(0), hidden=False)[0]
    frozen = np.asarray(ex.reference(*first.args, **first.kwargs))  # right for ONE input

    def hard_coded(*args, **kwargs):
        return frozen.copy()

    result = check(exercise_id, hard_coded, seed=1, quiet=True)
    assert not result.passed
    assert result.score < 1
    assert "It looks like: hard-coded answer." in result.message, result.message
    # same seed as the frozen example, so the first case is right: still caught
    result = check(exercise_id, hard_coded, seed=0, quiet=True)
    assert not result.passed
    assert "It looks like: hard-coded answer." in result.message, result.message


def test_a_hard_coded_answer_is_named() -> None:
    def frozen(x, axis=-1):
        return np.array([0.09003057, 0.24472847, 0.66524096])  # softmax([1, 2, 3])

    result = check("softmax", frozen, seed=4, quiet=True)
    assert not result.passed
    assert "It looks like: hard-coded answer." in result.message, result.message


def test_messages_are_the_same_on_every_run() -> None:
    def whole_batch(x, axis=-1):
        e = np.exp(np.asarray(x) - np.max(x))
        return e / e.sum()

    messages = {check("softmax", whole_batch, quiet=True).message for _ in range(5)}
    assert len(messages) == 1


# --- each mistake, and its hint -----------------------------------------------------------


def _as(x):
    return np.asarray(x, dtype=float)


def whole_batch_sum(x, axis=-1):
    e = np.exp(_as(x) - np.max(x))
    return e / e.sum()


def wrong_axis(x, axis=-1):
    e = np.exp(_as(x) - np.max(x, axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def missing_keepdims(x, axis=-1):
    x = _as(x)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis)


def no_max_shift(x, axis=-1):
    e = np.exp(_as(x))
    return e / e.sum(axis=axis, keepdims=True)


def global_max_shift(x, axis=-1):
    e = np.exp(_as(x) - np.max(x))
    return e / e.sum(axis=axis, keepdims=True)


def mutates(x, axis=-1):
    x -= np.max(x, axis=axis, keepdims=True)  # writes into the caller's array
    np.exp(x, out=x)
    x /= x.sum(axis=axis, keepdims=True)
    return x


def mutates_safe(x, axis=-1):  # mutates arrays; lists are copied by np.asarray
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return mutates(x, axis)
    return good_softmax(x, axis)


def returns_log(x, axis=-1):
    return log_softmax(x, axis=axis)


def returns_hardmax(x, axis=-1):
    x = _as(x)
    return (x == np.max(x, axis=axis, keepdims=True)).astype(float)


def forgot_exp(x, axis=-1):
    x = _as(x)
    return x / x.sum(axis=axis, keepdims=True)


def sigmoid_each(x, axis=-1):
    return 1 / (1 + np.exp(-_as(x)))


def ignores_axis(x, axis=-1):
    return good_softmax(x, axis=-1)


def min_shift(x, axis=-1):
    x = _as(x)
    e = np.exp(x - np.min(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def mean_shift(x, axis=-1):
    x = _as(x)
    e = np.exp(x - np.mean(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def no_max_shift_axis(x, axis=-1):
    e = np.exp(np.asarray(x))
    return e / np.sum(e, axis=axis, keepdims=True)


def temperature_first(fn):  # noqa: ANN001, ANN201
    """A softmax-family learner's code for ``stable_softmax``: divides by the temperature
    first, as most learners do, then makes the same mistake."""
    def with_temperature(x, axis=-1, temperature=1.0):
        return fn(np.asarray(x, dtype=float) / temperature, axis=axis)

    with_temperature.__name__ = fn.__name__
    return with_temperature


def stable_divides_first(x, axis=-1, temperature=1.0):
    z = np.asarray(x, dtype=float) / temperature  # inf for 1000 / 1e-306
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def stable_forgets_temperature(x, axis=-1, temperature=1.0):
    return good_softmax(x, axis=axis)


def stable_multiplies(x, axis=-1, temperature=1.0):
    return good_softmax(np.asarray(x, dtype=float) * temperature, axis=axis)


SOFTMAX_CASES = [
    ("softmax", whole_batch_sum, "whole-batch sum"),
    ("softmax", wrong_axis, "wrong axis"),
    ("softmax", mutates_safe, "input mutated"),
    ("softmax", returns_log, "log-probabilities returned"),
    ("softmax", returns_hardmax, "hardmax returned"),
    ("softmax", forgot_exp, "exp forgotten"),
    ("softmax", sigmoid_each, "sigmoid per element"),
    ("softmax_axis", ignores_axis, "axis ignored"),
    ("softmax_axis", whole_batch_sum, "whole-batch sum"),
    ("stable_softmax", stable_divides_first, "divided before the shift"),
    ("stable_softmax", stable_forgets_temperature, "temperature ignored"),
    ("stable_softmax", stable_multiplies, "multiplied by the temperature"),
    *(("stable_softmax", temperature_first(fn), m) for fn, m in [
        (no_max_shift, "no max shift (overflow)"),
        (global_max_shift, "shift by the global max of the batch"),
        (whole_batch_sum, "whole-batch sum"), (ignores_axis, "axis ignored"),
        (wrong_axis, "wrong axis"), (returns_log, "log-probabilities returned"),
        (forgot_exp, "exp forgotten"), (min_shift, "shift by the minimum"),
        (mean_shift, "shift by the mean")]),
    *(("softmax_axis", fn, m) for fn, m in [
        (wrong_axis, "wrong axis"), (returns_log, "log-probabilities returned"),
        (returns_hardmax, "hardmax returned"), (forgot_exp, "exp forgotten"),
        (sigmoid_each, "sigmoid per element")]),
    *((e, fn, m) for e in ("softmax", "softmax_axis") for fn, m in [
        (min_shift, "shift by the minimum"), (mean_shift, "shift by the mean")]),
    ("softmax", no_max_shift, "no max shift (overflow)"),
    ("softmax", global_max_shift, "shift by the global max of the batch"),
    ("softmax_axis", no_max_shift_axis, "no max shift (overflow)"),
    ("softmax_axis", global_max_shift, "shift by the global max of the batch"),
]


@pytest.mark.parametrize("exercise_id,fn,mistake", SOFTMAX_CASES,
                         ids=[f"{e}-{m}" for e, _, m in SOFTMAX_CASES])
def test_softmax_family_mistakes(exercise_id, fn, mistake) -> None:
    for seed in range(3):
        result = check(exercise_id, fn, seed=seed, quiet=True)
        assert not result.passed
        assert f"It looks like: {mistake}." in result.message, result.message
    hint = next(m.hint for m in EXERCISES[exercise_id].mistakes if m.name == mistake)
    assert hint in result.message


def no_keepdims_anywhere(x, axis=-1):
    x = _as(x)
    e = np.exp(x - np.max(x, axis=axis))  # broadcasts wrongly on square batches
    return e / e.sum(axis=axis)


def float64_always(x, axis=-1):
    return good_softmax(np.asarray(x, dtype=np.float64), axis=axis)


def flattened(x, axis=-1):
    return good_softmax(x, axis=axis).ravel()


@pytest.mark.parametrize("exercise_id,fn", [
    ("softmax", missing_keepdims),  # a broadcasting error on a 4x6 batch
    ("softmax_axis", no_keepdims_anywhere),  # wrong numbers on a square batch
    ("stable_softmax", temperature_first(missing_keepdims)),
])
def test_missing_keepdims(exercise_id, fn) -> None:
    for seed in range(3):
        result = check(exercise_id, fn, seed=seed, quiet=True)
        assert not result.passed
        assert "It looks like: missing keepdims." in result.message, result.message
        assert "keepdims=True" in result.message


def float32_always(x, axis=-1):
    return good_softmax(np.asarray(x, dtype=np.float32), axis=axis)


def test_wrong_dtype_and_wrong_shape() -> None:
    # the contract: float64 for float32 input is accepted (learners write np.asarray(x, float))
    for ex_id, fn in (("softmax", float64_always), ("softmax_axis", float64_always),
                      ("stable_softmax", lambda x, axis=-1, temperature=1.0: good_stable(
                          np.asarray(x, dtype=np.float64), axis, temperature))):
        result = check(ex_id, fn, seed=0, quiet=True)
        assert result.passed, result.message
    # float32 for float64 input loses precision: refused, with the dtype hint
    result = check("softmax", float32_always, seed=0, quiet=True)
    assert not result.passed
    assert "It looks like: wrong dtype." in result.message, result.message
    assert "expected float64 (the input's precision or more), got float32" in result.message
    result = check("softmax", flattened, seed=0, quiet=True)
    assert not result.passed
    assert "It looks like: wrong shape." in result.message, result.message


def max_whole(x, axis=-1):
    return np.max(x)


def max_keepdims(x, axis=-1):
    return np.max(x, axis=axis, keepdims=True)


def max_argmax(x, axis=-1):
    return np.argmax(x, axis=axis)


def max_axis0(x, axis=-1):
    return np.max(x, axis=0)


def argmax_axis0(x, axis=-1):
    return np.argmax(x, axis=0)


def argmax_flat(x, axis=-1):
    return np.argmax(x)


def argmax_values(x, axis=-1):
    return np.max(x, axis=axis)


def argmax_last_tie(x, axis=-1):
    x = np.asarray(x)
    return x.shape[axis] - 1 - np.argmax(np.flip(x, axis=axis), axis=axis)


def max_squeezed(x, axis=-1):
    return np.max(x, axis=axis, keepdims=True).squeeze()


def argmax_squeezed(x, axis=-1):
    return np.squeeze(np.argmax(x, axis=axis))


def argmax_floats(x, axis=-1):
    return np.argmax(x, axis=axis).astype(float)


def one_hot_off_by_one(labels, num_classes):
    return np.eye(num_classes)[np.asarray(labels) - 1]


def one_hot_ignores_k(labels, num_classes):
    labels = np.asarray(labels)
    return np.eye(labels.max() + 1)[labels]


def one_hot_transposed(labels, num_classes):
    return np.eye(num_classes)[np.asarray(labels)].T


def one_hot_ints(labels, num_classes):
    return np.eye(num_classes, dtype=int)[np.asarray(labels)]


def lse_no_shift(x, axis=-1, keepdims=False):
    return np.log(np.exp(_as(x)).sum(axis=axis, keepdims=keepdims))


def lse_forgot_m(x, axis=-1, keepdims=False):
    x = _as(x)
    m = np.max(x, axis=axis, keepdims=True)
    return np.log(np.exp(x - m).sum(axis=axis, keepdims=keepdims))


def lse_plain_max(x, axis=-1, keepdims=False):
    return np.max(x, axis=axis, keepdims=keepdims)


def lse_ignores_keepdims(x, axis=-1, keepdims=False):
    return good_lse(x, axis=axis, keepdims=not keepdims)


def lse_no_keepdims(x, axis=-1, keepdims=False):
    x = np.asarray(x)
    m = x.max(axis=axis)
    return m + np.log(np.exp(x - m).sum(axis=axis))


def lse_global_shift(x, axis=-1, keepdims=False):
    x = _as(x)
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=keepdims))


def lse_min_shift(x, axis=-1, keepdims=False):
    x = _as(x)
    m = np.min(x, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def lse_mean_shift(x, axis=-1, keepdims=False):
    x = _as(x)
    m = np.mean(x, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def lse_squeezed(x, axis=-1, keepdims=False):
    x = _as(x)
    m = np.max(x, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out)


def ce_all_targets(logits, targets):
    lp = logits - good_lse(logits, axis=-1, keepdims=True)
    return -np.mean(lp[:, targets])


def ce_predicted_class(logits, targets):
    lp = logits - good_lse(logits, axis=-1, keepdims=True)
    return -np.mean(lp.max(axis=-1))


def ce_mean_nk(logits, targets):
    logits = np.asarray(logits)
    lp = logits - good_lse(logits, axis=-1, keepdims=True)
    onehot = np.eye(logits.shape[-1])[targets]
    return -np.mean(onehot * lp)


def grad_mean_nk(logits, targets):
    logits = np.asarray(logits)
    return (good_softmax(logits) - np.eye(logits.shape[-1])[targets]) / logits.size


def grad_global_shift(logits, targets):
    z = np.asarray(logits, dtype=float)
    e = np.exp(z - z.max())
    p = e / e.sum(axis=-1, keepdims=True)
    return (p - np.eye(z.shape[-1])[targets]) / len(targets)


def ce_log_softmax_naive(logits, targets):
    p = softmax(logits)
    return -np.mean(np.log(p[np.arange(len(targets)), targets]))


def ce_sum(logits, targets):
    return good_ce(logits, targets) * len(targets)


def ce_per_sample(logits, targets):
    return cross_entropy(logits, targets, reduction="none")


def ce_sign(logits, targets):
    return -good_ce(logits, targets)


def grad_no_mean(logits, targets):
    return good_ce_grad(logits, targets) * len(targets)


def grad_sign(logits, targets):
    return -good_ce_grad(logits, targets)


def grad_no_onehot(logits, targets):
    return good_softmax(logits) / len(targets)


def max_loop_from_zero(x, axis=-1):
    x = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
    best = np.zeros(x.shape[:-1])  # the loop starts from 0 ...
    for i in range(x.shape[-1]):
        best = np.maximum(best, x[..., i])  # ... so an all-negative row gives 0
    return best


def argmax_loop_from_minus_9999(x, axis=-1):
    x = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
    best, where = np.full(x.shape[:-1], -9999.0), np.zeros(x.shape[:-1], dtype=int)
    for i in range(x.shape[-1]):
        bigger = x[..., i] > best
        best, where = np.where(bigger, x[..., i], best), np.where(bigger, i, where)
    return where


OTHER_CASES = [
    ("max", max_loop_from_zero, "loop started from a fixed value"),
    ("argmax", argmax_loop_from_minus_9999, "loop started from a fixed value"),
    ("max", max_whole, "whole-array maximum"),
    ("max", max_keepdims, "missing axis removal (keepdims)"),
    ("max", max_argmax, "argmax returned"),
    ("max", max_axis0, "wrong axis"),
    ("argmax", argmax_axis0, "wrong axis"),
    ("argmax", argmax_flat, "flat index"),
    ("argmax", argmax_values, "max returned"),
    ("argmax", argmax_last_tie, "ties go to the last"),
    ("argmax", argmax_squeezed, "squeeze without an axis"),
    ("argmax", argmax_floats, "float indices"),
    ("max", max_squeezed, "squeeze without an axis"),
    ("one_hot", one_hot_off_by_one, "labels shifted by one"),
    ("logsumexp", lse_global_shift, "shift by the global max of the batch"),
    ("logsumexp", lse_min_shift, "shift by the minimum"),
    ("logsumexp", lse_mean_shift, "shift by the mean"),
    ("logsumexp", lse_squeezed, "squeeze without an axis"),
    ("logsumexp", lse_no_keepdims, "missing keepdims"),
    ("cross_entropy", ce_all_targets, "every target picked for every row"),
    ("cross_entropy", ce_mean_nk, "mean over all n·K entries"),
    ("cross_entropy", ce_predicted_class, "the predicted class instead of the label"),
    ("cross_entropy_grad", grad_mean_nk, "divided by n·K"),
    ("cross_entropy_grad", grad_global_shift, "shift by the global max of the batch"),
    ("one_hot", one_hot_ignores_k, "num_classes ignored"),
    ("one_hot", one_hot_transposed, "transposed"),
    ("one_hot", one_hot_ints, "wrong dtype"),
    ("logsumexp", lse_no_shift, "no max shift (overflow)"),
    ("logsumexp", lse_forgot_m, "max not added back"),
    ("logsumexp", lse_ignores_keepdims, "keepdims ignored"),
    ("logsumexp", lse_plain_max, "max returned"),
    ("cross_entropy", ce_log_softmax_naive, "log of softmax"),
    ("cross_entropy", ce_sum, "sum instead of mean"),
    ("cross_entropy", ce_per_sample, "per-sample losses returned"),
    ("cross_entropy", ce_sign, "sign flipped"),
    ("cross_entropy_grad", grad_no_mean, "batch size forgotten"),
    ("cross_entropy_grad", grad_sign, "sign flipped"),
    ("cross_entropy_grad", grad_no_onehot, "one-hot not subtracted"),
]


@pytest.mark.parametrize("exercise_id,fn,mistake", OTHER_CASES,
                         ids=[f"{e}-{m}" for e, _, m in OTHER_CASES])
def test_other_mistakes(exercise_id, fn, mistake) -> None:
    for seed in range(3):
        result = check(exercise_id, fn, seed=seed, quiet=True)
        assert not result.passed
        assert f"It looks like: {mistake}." in result.message, result.message


def test_ties_go_to_the_first_is_checked_by_the_grader() -> None:
    from course_lib.grading.attempt import run_case
    from course_lib.grading.registry import assess

    ex = EXERCISES["argmax"]
    cases = ex.cases(np.random.default_rng(3), hidden=True)
    res = assess("argmax", cases, [run_case(argmax_last_tie, c.args, c.kwargs) for c in cases])
    assert not res.passed
    assert "ties go to the last" in res.message


def test_mutation_of_lists_is_harmless_and_arrays_are_caught() -> None:
    result = check("max", lambda x, axis=-1: np.sort(x, axis=axis).take(-1, axis=axis),
                   seed=0, quiet=True)
    assert result.passed

    def sorts_in_place(x, axis=-1):
        x.sort(axis=axis)
        return np.take(x, -1, axis=axis)

    result = check("max", sorts_in_place, seed=0, quiet=True)
    assert not result.passed and "input mutated" in result.message


def test_errors_are_reported_in_words() -> None:
    def broken(x, axis=-1):
        return x.nonexistent

    result = check("softmax", broken, seed=0, quiet=True)
    assert "raised an error: AttributeError" in result.message


def test_unknown_exercise_and_not_a_function() -> None:
    with pytest.raises(ValueError, match="unknown exercise"):
        check("sofmax", good_softmax)
    with pytest.raises(TypeError, match="no parentheses"):
        check("softmax", good_softmax([1.0, 2.0]))


def test_references_are_course_lib() -> None:
    rng = np.random.default_rng(0)
    z, t = rng.normal(size=(4, 3)), np.array([0, 2, 1, 1])
    assert EXERCISES["cross_entropy"].reference(z, t) == cross_entropy(z, t)
    np.testing.assert_array_equal(EXERCISES["cross_entropy_grad"].reference(z, t),
                                  cross_entropy_grad(z, t))
    np.testing.assert_array_equal(EXERCISES["logsumexp"].reference(z), logsumexp(z))


def _mutating(good):
    def fn(*args, **kwargs):
        out = np.array(good(*args, **kwargs), copy=True)
        first = args[0]
        if isinstance(first, np.ndarray):
            first[...] = 0  # the caller's array is overwritten after the answer is computed
        return out

    return fn


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_input_mutated_is_caught_for_every_exercise(exercise_id) -> None:
    result = check(exercise_id, _mutating(good(exercise_id)), seed=0, quiet=True)
    assert not result.passed
    assert "It looks like: input mutated." in result.message, result.message
    assert "work on a new array" in result.message


# mistakes proven by the tests above that are not in SOFTMAX_CASES / OTHER_CASES
TESTED_ELSEWHERE = {
    *((e, "input mutated") for e in EXERCISES),
    ("softmax", "missing keepdims"), ("softmax_axis", "missing keepdims"),
    ("stable_softmax", "missing keepdims"),
    *((e, m) for e, _, m in LM_CASES),  # proven in tests/test_language_model_exercises.py
}
