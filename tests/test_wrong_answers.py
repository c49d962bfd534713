"""Wrong implementations that learners handed in, written as they wrote them: each loses
points in grading (visible + hidden cases, three seeds, graded in-process as the grader
does) and gets either the right hint or none. And the float64 casts learners write all the
time are accepted."""

from __future__ import annotations

import inspect
import linecache
import re

import numpy as np
import pytest

from course_lib.grading import check
from course_lib.grading.attempt import run_case
from course_lib.grading.registry import EXERCISES, assess

SEEDS = (0, 1, 2)


def grade(ex_id: str, fn, seed: int):  # noqa: ANN001, ANN201
    ex = EXERCISES[ex_id]
    rng = np.random.default_rng(seed)
    cases = ex.cases(rng, hidden=False) + ex.cases(rng, hidden=True)
    return assess(ex_id, cases, [run_case(fn, c.args, c.kwargs) for c in cases])


def hint_of(message: str) -> str | None:
    found = re.search(r"It looks like: (.+?)\. Hint:", message)
    return found.group(1) if found else None


# --- full marks from the grader before ---------------------------------------------------


def lse_global_max(x, axis=-1, keepdims=False):
    x = np.asarray(x, dtype=float)
    m = x.max()
    return m + np.log(np.exp(x - m).sum(axis=axis, keepdims=keepdims))


def grad_global_max(logits, targets):
    z = np.asarray(logits, dtype=float)
    e = np.exp(z - z.max())
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(targets)), targets] -= 1
    return p / len(targets)


def lse_squeeze_all(x, axis=-1, keepdims=False):
    x = np.asarray(x)
    m = x.max(axis=axis, keepdims=True)
    out = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
    if keepdims:
        return out
    return np.squeeze(out)


def softmax_shift(shift):  # noqa: ANN001, ANN201
    def fn(x, axis=-1):
        x = np.asarray(x, dtype=float)
        e = np.exp(x - shift(x, axis))
        return e / e.sum(axis=axis, keepdims=True)

    return fn


global_max = softmax_shift(lambda x, axis: np.max(x))
min_shift = softmax_shift(lambda x, axis: np.min(x, axis=axis, keepdims=True))
mean_shift = softmax_shift(lambda x, axis: np.mean(x, axis=axis, keepdims=True))
unshifted = softmax_shift(lambda x, axis: 0.0)


def argmax_float(x, axis=-1):
    return np.argmax(x, axis=axis).astype(float)


# --- passed the visible check before, caught only by grading ------------------------------


def argmax_last_tie(x, axis=-1):
    x = np.asarray(x)
    flipped = np.flip(x, axis=axis)
    return x.shape[axis] - 1 - np.argmax(flipped, axis=axis)


def stable_ignores_axis(x, axis=-1):
    x = np.asarray(x)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def stable_divides_first(x, axis=-1, temperature=1.0):
    z = np.asarray(x, dtype=float) / temperature  # 1000 / 1e-306 is inf
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def stable_mean_shift(x, axis=-1, temperature=1.0):
    z = np.asarray(x, dtype=float) / temperature
    e = np.exp(z - z.mean(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def one_hot_1d_only(labels, num_classes):
    labels = np.asarray(labels)
    out = np.zeros((len(labels), num_classes))
    out[np.arange(len(labels)), labels] = 1
    return out


# --- diagnosed wrongly before -----------------------------------------------------------


def one_hot_minus_one(labels, num_classes):
    return np.eye(num_classes)[np.asarray(labels) - 1]


def whole_batch_sum(x, axis=-1):
    x = np.asarray(x)
    e = np.exp(x - x.max())
    return e / e.sum()


def wrong_axis(x, axis=-1):
    x = np.asarray(x)
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def exp_over_sum_of_exp(x, axis=-1):
    return np.exp(x) / np.sum(np.exp(x))


def exp_over_sum(x, axis=-1):
    return np.exp(x) / np.sum(x)


def lse_returns_sum(x, axis=-1, keepdims=False):
    return np.sum(x, axis=axis, keepdims=keepdims)


def max_by_rows(x, axis=-1):
    return np.array([max(r) for r in x])


# --- no hint before ----------------------------------------------------------------------


def ce_every_target(logits, targets):
    z = np.asarray(logits)
    lp = z - np.log(np.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True)) \
        - z.max(axis=1, keepdims=True)
    return -np.mean(lp[:, targets])


def ce_mean_all(logits, targets):
    z = np.asarray(logits)
    m = z.max(axis=1, keepdims=True)
    lp = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    y = np.eye(z.shape[1])[targets]
    return -np.mean(y * lp)


WRONG = [
    # (exercise, learner's function, the hint it must get (None: no hint), caught visibly)
    ("logsumexp", lse_global_max, "shift by the global max of the batch", True),
    ("cross_entropy_grad", grad_global_max, "shift by the global max of the batch", True),
    ("logsumexp", lse_squeeze_all, "squeeze without an axis", True),
    ("softmax_axis", global_max, "shift by the global max of the batch", True),
    ("softmax_axis", min_shift, "shift by the minimum", True),
    ("softmax_axis", mean_shift, "shift by the mean", True),
    ("argmax", argmax_float, "float indices", True),
    ("softmax", unshifted, "no max shift (overflow)", True),
    ("softmax", global_max, "shift by the global max of the batch", True),
    ("argmax", argmax_last_tie, "ties go to the last", True),
    ("softmax_axis", stable_ignores_axis, "axis ignored", True),
    ("stable_softmax", stable_divides_first, "divided before the shift", True),
    ("stable_softmax", stable_mean_shift, "shift by the mean", True),
    ("one_hot", one_hot_1d_only, None, True),
    ("one_hot", one_hot_minus_one, "labels shifted by one", True),
    ("softmax_axis", whole_batch_sum, "whole-batch sum", True),
    ("softmax_axis", wrong_axis, "wrong axis", True),
    ("softmax_axis", exp_over_sum_of_exp, "whole-batch sum", True),
    ("softmax_axis", exp_over_sum, None, True),
    ("logsumexp", lse_returns_sum, None, True),
    ("max", max_by_rows, None, True),
    ("cross_entropy", ce_every_target, "every target picked for every row", True),
    ("cross_entropy", ce_mean_all, "mean over all n·K entries", True),
    ("softmax", min_shift, "shift by the minimum", True),
]


@pytest.mark.parametrize("ex_id,fn,hint,visible", WRONG,
                         ids=[f"{e}-{f.__name__}" for e, f, _, _ in WRONG])
def test_wrong_answer_loses_points_with_the_right_hint_or_none(ex_id, fn, hint,
                                                               visible) -> None:
    for seed in SEEDS:
        graded = grade(ex_id, fn, seed)
        assert graded.score < 1, graded.message
        assert hint_of(graded.message) == hint, graded.message
        if hint is not None:
            want = next(m.hint for m in EXERCISES[ex_id].mistakes if m.name == hint)
            assert want in graded.message
        if visible:
            checked = check(ex_id, fn, seed=seed, quiet=True)
            assert not checked.passed
            assert hint_of(checked.message) == hint, checked.message


def test_the_global_max_logsumexp_of_the_issue() -> None:
    # the issue's example, checked against the formula written out by hand
    x = np.array([[1000.0, 999.0], [-1000.0, -999.0]])
    with np.errstate(all="ignore"):
        got = lse_global_max(x)
    assert got[0] == pytest.approx(1000 + np.log1p(np.exp(-1.0)))
    assert got[1] == -np.inf  # the second row underflowed


def _cell(source: str, filename: str, name: str):  # noqa: ANN202
    """Define ``name`` as a cell does: compiled under the cell's filename, its source in
    linecache (the sandbox names cells ``<answer cell ID>``; IPython uses a file path)."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102
    return namespace[name]


CELL = "import numpy as np\n\ndef my_max(x, axis=-1):\n    return np.array([max(r) for r in x])\n"


@pytest.mark.parametrize("filename", ["<answer cell cell-03>", "/tmp/ipykernel_1/2384.py"])
def test_exceptions_are_reported_as_themselves_with_the_line(filename) -> None:
    fn = _cell(CELL, filename, "my_max")
    result = check("max", fn, seed=0, quiet=True)
    assert "It looks like" not in result.message
    assert "shape" not in result.message.splitlines()[1]
    assert ("First failure: a vector: your function raised an error: TypeError: "
            "'numpy.float64' object is not iterable (line 4 of your cell: "
            "`return np.array([max(r) for r in x])`)") in result.message, result.message
    lines = inspect.getsourcelines(max_by_rows)
    result = check("max", max_by_rows, seed=0, quiet=True)
    assert f"(line {lines[1] + 1} of your cell: `return np.array" in result.message
    result = check("one_hot", one_hot_1d_only, seed=0, quiet=True)
    assert "IndexError" in result.message
    assert "`out[np.arange(len(labels)), labels] = 1`" in result.message


def test_lse_sum_is_not_called_overflow() -> None:
    result = check("logsumexp", lse_returns_sum, seed=0, quiet=True)
    assert "overflow" not in result.message


@pytest.mark.parametrize("ex_id", ["softmax", "softmax_axis", "stable_softmax", "logsumexp",
                                   "cross_entropy", "cross_entropy_grad"])
def test_a_float64_cast_is_accepted(ex_id) -> None:
    def cast(fn):  # noqa: ANN001, ANN202
        def wrapped(x, *args, **kwargs):
            return fn(np.asarray(x, float), *args, **kwargs)

        return wrapped

    from tests.test_checks import GOOD

    for seed in SEEDS:
        graded = grade(ex_id, cast(GOOD[ex_id]), seed)
        assert graded.passed, graded.message
        # and the float32 cases really were float32
        ex = EXERCISES[ex_id]
        cases = ex.cases(np.random.default_rng(seed), hidden=True)
        assert any(np.asarray(c.args[0]).dtype == np.float32 for c in cases)


def test_float32_for_float64_is_refused() -> None:
    def lossy(x, axis=-1, keepdims=False):
        x = np.asarray(x, dtype=np.float32)
        m = x.max(axis=axis, keepdims=True)
        out = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
        return out if keepdims else np.squeeze(out, axis=axis)

    graded = grade("logsumexp", lossy, 0)
    assert graded.score < 1
    assert hint_of(graded.message) == "wrong dtype"


# --- right answers in other styles pass every draw -----------------------------------------


def softmax_inplace(x, axis=-1):
    x = np.asarray(x, dtype=float)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def lse_in_float32_kept(x, axis=-1, keepdims=False):
    x = np.asarray(x)  # float32 stays float32
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else out.squeeze(axis)


def ce_take_along(logits, targets):
    z = np.asarray(logits)
    m = z.max(axis=-1, keepdims=True)
    lp = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    return -np.take_along_axis(lp, np.asarray(targets)[:, None], axis=-1).mean()


def grad_with_eye(logits, targets):
    z = np.asarray(logits)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return (p - np.eye(z.shape[1])[targets]) / z.shape[0]


def one_hot_compare(labels, num_classes):
    return (np.asarray(labels)[..., None] == np.arange(num_classes)).astype(float)


def argmax_by_hand(x, axis=-1):
    x = np.moveaxis(np.asarray(x), axis, -1)
    is_max = x == x.max(axis=-1, keepdims=True)
    return np.argmax(is_max, axis=-1)  # the first True


def stable_log_domain(x, axis=-1, temperature=1.0):
    x = np.asarray(x, dtype=float)
    z = (x - np.max(x, axis=axis, keepdims=True)) / temperature
    return np.exp(z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True)))


RIGHT = [("softmax", softmax_inplace), ("softmax_axis", softmax_inplace),
         ("stable_softmax", stable_log_domain), ("logsumexp", lse_in_float32_kept),
         ("cross_entropy", ce_take_along), ("cross_entropy_grad", grad_with_eye),
         ("one_hot", one_hot_compare), ("argmax", argmax_by_hand)]


@pytest.mark.parametrize("ex_id,fn", RIGHT, ids=[f"{e}-{f.__name__}" for e, f in RIGHT])
def test_right_answers_in_other_styles_pass_every_draw(ex_id, fn) -> None:
    for seed in range(20):
        graded = grade(ex_id, fn, seed)
        assert graded.passed, (seed, graded.message)


def test_one_hot_for_1d_labels_only_is_told_labels_come_in_any_shape() -> None:
    def loop_one_hot(labels, num_classes):  # a beginner's loop: right for 1-D labels only
        out = np.zeros((len(labels), num_classes))
        for i, label in enumerate(labels):
            out[i, label] = 1
        return out

    for seed in (0, 1, 2):
        result = check("one_hot", loop_one_hot, seed=seed, quiet=True)
        assert not result.passed
        assert "labels.shape + (num_classes,)" in result.message, result.message
        assert "any shape" in result.message


def test_a_shift_computed_but_not_used_is_told_to_use_it() -> None:
    def stable(x, axis=-1):
        x = np.asarray(x, dtype=float)
        shifted = x - np.max(x, axis=axis, keepdims=True)  # noqa: F841 - the mistake
        return np.exp(x) / np.sum(np.exp(x), axis=axis, keepdims=True)

    for seed in (0, 1, 2):
        result = check("softmax_axis", stable, seed=seed, quiet=True)
        assert not result.passed and "no max shift" in result.message
        assert "exponentiate those shifted values" in result.message


def test_the_predicted_class_instead_of_the_label_is_named() -> None:
    def ce(logits, targets):
        z = np.asarray(logits, dtype=float)
        m = z.max(axis=1, keepdims=True)
        logp = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        return -np.mean(np.max(logp, axis=1))

    for seed in (0, 1, 2):
        result = check("cross_entropy", ce, seed=seed, quiet=True)
        assert not result.passed
        assert "the predicted class instead of the label" in result.message, result.message
