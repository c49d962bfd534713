"""The one registry of exercises: cases, reference, known mistakes and how to judge an attempt.

The in-notebook check (:mod:`.checks`) and the grader (:mod:`.grader`)
both read it. Cases are drawn afresh from a random generator every time, so a hard-coded
answer cannot pass; their shapes and labels are fixed, so the printed verdicts are the same
on every run. Expected values are computed here, with ``course_lib``'s reference functions,
never inside the learner's process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from course_lib.functions import argmax as ref_argmax
from course_lib.functions import log_softmax, logsumexp, one_hot, softmax
from course_lib.grading.attempt import Attempt
from course_lib.losses import cross_entropy, cross_entropy_grad


@dataclass(frozen=True)
class Case:
    """One call of the learner's function: ``fn(*args, **kwargs)``; ``label`` names it."""

    label: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    hidden: bool = False


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: ``variant(*args, **kwargs)`` computes what it would return."""

    name: str
    hint: str
    variant: Callable[..., Any] | None = None


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    function_name: str
    notebook: str
    make_cases: Callable[[np.random.Generator, bool], list[Case]]
    reference: Callable[..., Any]
    mistakes: tuple[Mistake, ...]
    points: float = 1.0
    exact: bool = False  # integer answers compare exactly

    def cases(self, rng: np.random.Generator, *, hidden: bool) -> list[Case]:
        """Visible cases (``hidden=False``) or the extra ones only the grader uses."""
        return self.make_cases(rng, hidden)


@dataclass
class Assessment:
    passed: bool
    score: float
    message: str
    failures: list[str] = field(default_factory=list)


# --- shared mistakes --------------------------------------------------------------------

MUTATED = Mistake(
    "input mutated",
    "your function changed the array it was given (for example with `x -= ...` or "
    "`np.exp(x, out=x)`); work on a new array so the caller's data stays as it was",
)
HARD_CODED = Mistake(
    "hard-coded answer",
    "your function returns the same thing whatever the input; compute the answer from `x`, "
    "the checks draw new numbers every time",
)
OVERFLOW = Mistake(
    "no max shift (overflow)",
    "`np.exp` overflowed to inf for large logits; subtract each slice's maximum before `exp` "
    "(it does not change the result)",
)
WRONG_DTYPE = Mistake(
    "wrong dtype",
    "your numbers are right but their type is not: return floats in the input's precision "
    "(float32 in, float32 out; NumPy keeps it if you do not convert)",
)
WRONG_SHAPE = Mistake(
    "wrong shape",
    "your result does not have the expected shape (the first failure below shows both); "
    "an elementwise answer keeps the input's shape, a reduction drops `axis`",
)
ERRORED = "your function raised an error"


def _quiet(f: Callable[..., Any]) -> Callable[..., Any]:
    def g(*a: Any, **k: Any) -> Any:
        with np.errstate(all="ignore"):
            return f(*a, **k)

    return g


def _ax(k: dict) -> int:
    return k.get("axis", -1)


# --- case makers ------------------------------------------------------------------------


def _arr(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 3.0) -> np.ndarray:
    return rng.standard_normal(shape) * scale


def _reduce_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    if not hidden:
        return [
            Case("a vector", (_arr(rng, (6,)),)),
            Case("a batch of rows, axis=-1", (_arr(rng, (4, 5)),)),
            Case("a batch, axis=0", (_arr(rng, (5, 3)),), {"axis": 0}),
            Case("a 3-D batch, axis=1", (_arr(rng, (2, 4, 3)),), {"axis": 1}),
            Case("a list of ints", (rng.integers(-9, 10, 7).tolist(),)),
        ]
    ties = rng.integers(0, 3, (6, 4)).astype(float)
    masked = _arr(rng, (3, 5))
    masked[:, 0] = -np.inf
    return [
        Case("float32 batch", (_arr(rng, (5, 4)).astype(np.float32),), hidden=True),
        Case("ties", (ties,), hidden=True),
        Case("-inf entries", (masked,), hidden=True),
        Case("huge magnitudes", (_arr(rng, (3, 4), 1e300),), hidden=True),
        Case("axis=-2 of a 3-D array", (_arr(rng, (3, 4, 2)),), {"axis": -2}, hidden=True),
    ]


def _one_hot_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    if not hidden:
        return [
            Case("labels 0..2", (rng.permutation(3), 3)),
            Case("a batch of labels", (rng.integers(0, 4, 8), 4)),
            Case("classes missing from the batch", (rng.integers(0, 3, 5), 6)),
        ]
    return [
        Case("a 2-D array of labels", (rng.integers(0, 5, (3, 4)), 5), hidden=True),
        Case("a list", (rng.integers(0, 10, 6).tolist(), 10), hidden=True),
        Case("one class", (np.zeros(4, dtype=int), 1), hidden=True),
    ]


def _softmax_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    if not hidden:
        return [
            Case("a vector", (_arr(rng, (5,)),)),
            Case("a batch of rows", (_arr(rng, (4, 6)),)),
            Case("a batch with one row", (_arr(rng, (1, 4)),)),
            Case("a float32 batch", (_arr(rng, (3, 5)).astype(np.float32),)),
            Case("a list", (_arr(rng, (4,)).round(2).tolist(),)),
        ]
    masked = _arr(rng, (3, 4))
    masked[1, [0, 2]] = -np.inf
    return [
        Case("a 3-D batch", (_arr(rng, (2, 3, 4)),), hidden=True),
        Case("a square batch", (_arr(rng, (5, 5)),), hidden=True),
        Case("ints", (rng.integers(-5, 6, (3, 4)),), hidden=True),
        Case("ties", (rng.integers(0, 2, (4, 3)).astype(float),), hidden=True),
        Case("-inf masks", (masked,), hidden=True),
        Case("a list of lists", (_arr(rng, (2, 3)).round(3).tolist(),), hidden=True),
    ]


def _softmax_axis_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    if not hidden:
        return [
            Case("axis=-1", (_arr(rng, (3, 5)),), {"axis": -1}),
            Case("axis=0", (_arr(rng, (4, 3)),), {"axis": 0}),
            Case("a square batch, axis=0", (_arr(rng, (4, 4)),), {"axis": 0}),
            Case("3-D, axis=1", (_arr(rng, (2, 4, 3)),), {"axis": 1}),
        ]
    return [
        Case("3-D, axis=0", (_arr(rng, (3, 2, 4)),), {"axis": 0}, hidden=True),
        Case("float32, axis=0", (_arr(rng, (5, 2)).astype(np.float32),), {"axis": 0}, hidden=True),
        Case("1-D, axis=0", (_arr(rng, (6,)),), {"axis": 0}, hidden=True),
        Case("ints, axis=0", (rng.integers(-5, 6, (4, 3)),), {"axis": 0}, hidden=True),
        Case("a list of lists, axis=-2", (_arr(rng, (3, 2)).round(2).tolist(),), {"axis": -2},
             hidden=True),
    ]


def _stable_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    far = np.stack([_arr(rng, (4,)) + 1000.0, _arr(rng, (4,)) - 1000.0])
    if not hidden:
        return [
            Case("ordinary logits", (_arr(rng, (3, 4)),)),
            Case("logits near 1000", (_arr(rng, (3, 4)) + 1000.0,)),
            Case("rows far apart (1000 and -1000)", (far,)),
            Case("a vector like [1000, 5]", (np.array([1000.0, 5.0]) + rng.uniform(0, 1, 2),)),
        ]
    mixed = _arr(rng, (2, 5))
    mixed[0, :2] = [1e308, -1e308]
    masked = _arr(rng, (3, 4))
    masked[:, 1] = -np.inf
    return [
        Case("±1e308 in one row", (mixed,), hidden=True),
        Case("-inf masks", (masked,), hidden=True),
        Case("float32 near 100", ((_arr(rng, (3, 5)) + 100).astype(np.float32),), hidden=True),
        Case("logits near -1e4", (_arr(rng, (2, 6)) - 1e4,), hidden=True),
        Case("a 3-D batch near ±1e4, axis=0", (_arr(rng, (2, 3, 4)) + 1e4 * np.array(
            [[[1.0]], [[-1.0]]]),), {"axis": 0}, hidden=True),
        Case("ints near 1000", (rng.integers(995, 1005, (3, 4)),), hidden=True),
        Case("a list with ties", ([[1000.0, 1000.0, 5.0], [-3.0, -3.0, -3.0]],), hidden=True),
    ]


def _lse_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    if not hidden:
        return [
            Case("a vector", (_arr(rng, (6,)),)),
            Case("a batch, axis=-1", (_arr(rng, (3, 5)),)),
            Case("a batch, keepdims=True", (_arr(rng, (3, 5)),), {"keepdims": True}),
            Case("a batch near 1000, axis=0", (_arr(rng, (4, 3)) + 1000,), {"axis": 0}),
        ]
    return [
        Case("logits near -1000", (_arr(rng, (2, 4)) - 1000,), hidden=True),
        Case("3-D, axis=1, keepdims", (_arr(rng, (2, 3, 4)),), {"axis": 1, "keepdims": True},
             hidden=True),
        Case("float32", (_arr(rng, (3, 4)).astype(np.float32),), hidden=True),
        Case("±1e308 in one row", (np.concatenate([[1e308, -1e308], _arr(rng, (3,))]),),
             hidden=True),
        Case("-inf masks", (np.where(rng.random((3, 4)) < 0.3, -np.inf, _arr(rng, (3, 4))),),
             hidden=True),
        Case("a list of ints", (rng.integers(-9, 10, 5).tolist(),), hidden=True),
    ]


def _masked_wrong(rng: np.random.Generator) -> tuple:
    logits = _arr(rng, (4, 5))
    targets = rng.integers(0, 5, 4)
    logits[np.arange(4), (targets + 2) % 5] = -np.inf  # masked, never the target
    return logits, targets


def _ce_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    def batch(n: int, k: int, scale: float = 3.0, shift: float = 0.0) -> tuple:
        return (_arr(rng, (n, k), scale) + shift, rng.integers(0, k, n))

    if not hidden:
        confident = _arr(rng, (3, 4))
        labels = rng.integers(0, 4, 3)
        confident[np.arange(3), (labels + 1) % 4] += 800.0  # confidently wrong
        return [
            Case("a batch of 5", batch(5, 4)),
            Case("a batch of 8, 3 classes", batch(8, 3)),
            Case("one sample", batch(1, 5)),
            Case("confident and wrong (logit gaps of 800)", (confident, labels)),
        ]
    return [
        Case("logits near 1e4", batch(4, 3, 3.0, 1e4), hidden=True),
        Case("a big batch", batch(64, 10), hidden=True),
        Case("float32", tuple([batch(6, 4)[0].astype(np.float32), rng.integers(0, 4, 6)]),
             hidden=True),
        Case("-inf on a wrong class", _masked_wrong(rng), hidden=True),
        Case("lists", tuple(a.tolist() for a in batch(3, 4)), hidden=True),
    ]


# --- mistaken variants ------------------------------------------------------------------


@_quiet
def _whole_batch_softmax(x: Any, axis: int = -1) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    e = np.exp(x - x.max())
    return e / e.sum()


@_quiet
def _axis0_softmax(x: Any, axis: int = -1) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


@_quiet
def _last_axis_softmax(x: Any, axis: int = -1) -> np.ndarray:
    return softmax(np.asarray(x, dtype=float), axis=-1)


@_quiet
def _no_exp(x: Any, axis: int = -1) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return x / x.sum(axis=axis, keepdims=True)


@_quiet
def _sigmoid_each(x: Any, axis: int = -1) -> np.ndarray:
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))


@_quiet
def _hardmax(x: Any, axis: int = -1) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return (np.arange(x.shape[axis]).reshape([-1 if i == axis % x.ndim else 1
                                              for i in range(x.ndim)])
            == np.expand_dims(np.argmax(x, axis=axis), axis)).astype(float)


@_quiet
def _naive_softmax(x: Any, axis: int = -1) -> np.ndarray:
    e = np.exp(np.asarray(x, dtype=float))
    return e / e.sum(axis=axis, keepdims=True)


@_quiet
def _no_keepdims(x: Any, axis: int = -1) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    e = np.exp(x - x.max(axis=axis))
    return e / e.sum(axis=axis)


@_quiet
def _global_shift(x: Any, axis: int = -1) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    e = np.exp(x - x.max())
    return e / e.sum(axis=axis, keepdims=True)


SOFTMAX_MISTAKES = (
    MUTATED,
    Mistake("whole-batch sum", "you divided by the sum of the whole batch; divide each row by "
            "its own sum: `e.sum(axis=axis, keepdims=True)`", _whole_batch_softmax),
    Mistake("wrong axis", "your probabilities sum to 1 down the columns (axis 0); the classes "
            "are along `axis` (the last one by default)", _axis0_softmax),
    Mistake("missing keepdims", "`x.max(axis=axis)` and `e.sum(axis=axis)` drop the reduced "
            "axis, so a batch of rows no longer lines up with them; pass `keepdims=True` to "
            "both", _no_keepdims),
    Mistake("log-probabilities returned", "you returned log-probabilities (log_softmax); "
            "softmax returns the probabilities themselves", _quiet(log_softmax)),
    Mistake("hardmax returned", "you returned a one-hot of the largest entry (hardmax); softmax "
            "keeps a probability for every class", _hardmax),
    Mistake("exp forgotten", "you divided the logits by their sum without `np.exp`; softmax "
            "exponentiates first", _no_exp),
    Mistake("sigmoid per element", "you applied the sigmoid to each entry; softmax divides "
            "`exp(x)` by the sum over the slice so the result sums to 1", _sigmoid_each),
)


# --- the registry -------------------------------------------------------------------------


def _exercises() -> dict[str, Exercise]:
    ex = [
        Exercise(
            "max", "The maximum along an axis", "my_max", "ex01_max.ipynb",
            _reduce_cases, lambda x, axis=-1: np.max(np.asarray(x), axis=axis),
            (
                MUTATED,
                Mistake("whole-array maximum", "you took the maximum of the whole array; "
                        "pass `axis=axis` to reduce only that axis",
                        lambda x, axis=-1: np.max(np.asarray(x))),
                Mistake("wrong axis", "you reduced the wrong axis; use the `axis` argument",
                        lambda x, axis=-1: np.max(np.asarray(x), axis=0)),
                Mistake("missing axis removal (keepdims)", "your result kept the reduced axis "
                        "with length 1; return it without (keepdims=False)",
                        lambda x, axis=-1: np.max(np.asarray(x), axis=axis, keepdims=True)),
                Mistake("argmax returned", "you returned where the maximum is (argmax), not "
                        "the maximum itself",
                        lambda x, axis=-1: np.argmax(np.asarray(x), axis=axis)),
            ),
        ),
        Exercise(
            "argmax", "The index of the maximum", "my_argmax", "ex02_argmax_one_hot.ipynb",
            _reduce_cases, lambda x, axis=-1: ref_argmax(x, axis=axis),
            (
                MUTATED,
                Mistake("max returned", "you returned the largest values, not their positions",
                        lambda x, axis=-1: np.max(np.asarray(x), axis=axis)),
                Mistake("flat index", "you returned one index into the flattened array; pass "
                        "`axis=axis` to get one index per slice",
                        lambda x, axis=-1: np.argmax(np.asarray(x))),
                Mistake("wrong axis", "you searched along the wrong axis; use `axis`",
                        lambda x, axis=-1: np.argmax(np.asarray(x), axis=0)),
                Mistake("ties go to the last", "with ties the first maximum wins; yours picked "
                        "a later one", None),
            ),
            exact=True,
        ),
        Exercise(
            "one_hot", "One-hot encoding", "my_one_hot", "ex02_argmax_one_hot.ipynb",
            _one_hot_cases, lambda labels, num_classes: one_hot(labels, num_classes),
            (
                MUTATED,
                Mistake("num_classes ignored", "you used `max(labels) + 1` classes; the "
                        "caller's `num_classes` decides, even if some classes are missing",
                        lambda labels, k: one_hot(labels)),
                Mistake("transposed", "your result has the classes on the first axis; put "
                        "them on a new last axis: shape labels.shape + (num_classes,)",
                        lambda labels, k: np.moveaxis(one_hot(labels, k), -1, 0)),
                Mistake("wrong dtype", "return floats (`np.eye(num_classes)[labels]` is "
                        "float64), not integers or booleans", None),
            ),
        ),
        Exercise(
            "softmax", "Softmax of a vector or a batch of rows", "my_softmax",
            "ex03_softmax.ipynb", _softmax_cases,
            lambda x, axis=-1: softmax(x, axis=axis), SOFTMAX_MISTAKES,
        ),
        Exercise(
            "softmax_axis", "Softmax along any axis", "my_softmax_axis", "ex03_softmax.ipynb",
            _softmax_axis_cases, lambda x, axis=-1: softmax(x, axis=axis),
            (
                *SOFTMAX_MISTAKES[:2],
                Mistake("axis ignored", "your function always works along the last axis; use "
                        "the `axis` argument in max, sum and keepdims", _last_axis_softmax),
                *SOFTMAX_MISTAKES[2:],
            ),
        ),
        Exercise(
            "stable_softmax", "Softmax that never overflows", "stable_softmax",
            "ex04_stability.ipynb", _stable_cases, lambda x, axis=-1: softmax(x, axis=axis),
            (
                MUTATED,
                Mistake(OVERFLOW.name, OVERFLOW.hint, _naive_softmax),
                Mistake("shift by the global max of the batch", "you subtracted the maximum of "
                        "the whole batch; rows far below it underflow to 0/0; subtract each "
                        "row's own max (`keepdims=True`)", _global_shift),
                *SOFTMAX_MISTAKES[1:],
            ),
        ),
        Exercise(
            "logsumexp", "The smooth maximum, computed stably", "my_logsumexp",
            "ex04_stability.ipynb", _lse_cases,
            lambda x, axis=-1, keepdims=False: logsumexp(x, axis=axis, keepdims=keepdims),
            (
                MUTATED,
                Mistake(OVERFLOW.name, OVERFLOW.hint + "; add it back after the log",
                        _quiet(lambda x, axis=-1, keepdims=False: np.log(
                            np.exp(np.asarray(x, float)).sum(axis=axis, keepdims=keepdims)))),
                Mistake("max not added back", "after `log(sum(exp(x - m)))` add the maximum `m` "
                        "back", lambda x, axis=-1, keepdims=False: logsumexp(
                            np.asarray(x, float) - np.max(x, axis=axis, keepdims=True),
                            axis=axis, keepdims=keepdims)),
                Mistake("keepdims ignored", "honour `keepdims`: keep the reduced axis with "
                        "length 1 only when it is True", None),
                Mistake("max returned", "you returned the plain maximum; logsumexp also adds "
                        "`log(sum(exp(x - max)))`", lambda x, axis=-1, keepdims=False: np.max(
                            x, axis=axis, keepdims=keepdims)),
            ),
        ),
        Exercise(
            "cross_entropy", "Mean cross-entropy from logits", "my_cross_entropy",
            "ex05_cross_entropy.ipynb", _ce_cases,
            lambda z, t: cross_entropy(z, t),
            (
                MUTATED,
                Mistake("log of softmax", "`np.log(softmax(...))` turns an underflowed "
                        "probability into -inf; use log_softmax: `x - logsumexp(x)`",
                        _quiet(lambda z, t: -np.mean(np.log(np.take_along_axis(
                            _naive_softmax(z), np.asarray(t)[:, None], 1))))),
                Mistake("sum instead of mean", "average over the batch (divide by the number "
                        "of samples), do not add the losses up",
                        lambda z, t: cross_entropy(z, t, reduction="sum")),
                Mistake("per-sample losses returned", "return one number, the mean over the "
                        "batch", lambda z, t: cross_entropy(z, t, reduction="none")),
                Mistake("sign flipped", "cross-entropy is minus the mean log-probability of the "
                        "right class; yours has the opposite sign",
                        lambda z, t: -cross_entropy(z, t)),
            ),
        ),
        Exercise(
            "cross_entropy_grad", "The gradient of the mean cross-entropy",
            "my_cross_entropy_grad", "ex05_cross_entropy.ipynb", _ce_cases,
            lambda z, t: cross_entropy_grad(z, t),
            (
                MUTATED,
                Mistake("batch size forgotten", "the loss is a mean, so divide "
                        "`softmax - one_hot` by the number of samples",
                        lambda z, t: cross_entropy_grad(z, t, reduction="sum")),
                Mistake("sign flipped", "the gradient is `softmax - one_hot`, not "
                        "`one_hot - softmax`", lambda z, t: -cross_entropy_grad(z, t)),
                Mistake("one-hot not subtracted", "subtract the one-hot target from the "
                        "probabilities", lambda z, t: softmax(z) / len(np.asarray(t))),
            ),
        ),
    ]
    return {e.id: e for e in ex}


EXERCISES: dict[str, Exercise] = _exercises()


# --- judging ------------------------------------------------------------------------------


def _tolerance(expected: np.ndarray) -> tuple[float, float]:
    if expected.dtype == np.float16:
        return 2e-3, 1e-4
    if expected.dtype == np.float32:
        return 1e-5, 1e-7
    return 1e-9, 1e-12


def _compare(ex: Exercise, got: np.ndarray, expected: np.ndarray) -> str | None:
    """None if ``got`` is right, else a short deterministic reason."""
    if got.shape != expected.shape:
        return f"expected shape {expected.shape}, got {got.shape}"
    if ex.exact:
        return None if np.array_equal(got, expected) else "wrong indices"
    if got.dtype.kind not in "f" and expected.dtype.kind == "f" and ex.id == "one_hot":
        return f"expected floats, got {got.dtype}"
    if expected.dtype in (np.float16, np.float32) and got.dtype != expected.dtype:
        return f"expected dtype {expected.dtype} (the input's), got {got.dtype}"
    rtol, atol = _tolerance(expected)
    with np.errstate(all="ignore"):
        ok = np.allclose(got.astype(np.float64), expected.astype(np.float64), rtol=rtol,
                         atol=atol, equal_nan=True)
    if ok:
        return None
    if not np.isfinite(got).all() and np.isfinite(expected).all():
        return "nan or inf where the answer is finite"
    return "wrong values"


def _matches(got: np.ndarray, value: Any) -> bool:
    try:
        v = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if v.shape != got.shape:
        return False
    with np.errstate(all="ignore"):
        return bool(np.allclose(got.astype(np.float64), v, rtol=1e-6, atol=1e-9,
                                equal_nan=True))


def _diagnose(ex: Exercise, cases: list[Case], attempts: list[Attempt],
              bad: list[int]) -> Mistake | None:
    if any(attempts[i].mutated for i in range(len(cases))):
        return MUTATED
    keep = next((m for m in ex.mistakes if m.name == "missing keepdims"), None)
    if keep and any("could not be broadcast" in (attempts[i].error or "") for i in bad):
        return keep
    outputs = [attempts[i].output for i in bad if attempts[i].output is not None]
    if outputs and len(outputs) == len(bad) and all(
        _matches(attempts[i].output, ex.reference(*cases[i].args, **cases[i].kwargs))
        for i in bad
    ):  # right values, wrong type
        return next((m for m in ex.mistakes if m.name == "wrong dtype"), WRONG_DTYPE)
    for mistake in ex.mistakes:
        if mistake.variant is None:
            continue
        hits = 0
        for i in bad:
            got = attempts[i].output
            if got is None:
                continue
            try:
                value = mistake.variant(*cases[i].args, **cases[i].kwargs)
            except Exception:  # the variant does not apply to this case
                continue
            if _matches(got, value):
                hits += 1
        if hits and hits >= max(1, len(outputs) // 2):
            return mistake
    if any(not np.isfinite(o).all() for o in outputs if o.dtype.kind == "f"):
        if any("overflow" in w for i in bad for w in attempts[i].warnings):
            return OVERFLOW
    if len(outputs) >= 2 and all(
        o.shape == outputs[0].shape and np.array_equal(o, outputs[0], equal_nan=True)
        for o in outputs[1:]
    ):
        return HARD_CODED
    for m in ex.mistakes:
        if m.variant is None and m.name in ("ties go to the last", "keepdims ignored",
                                             "wrong dtype"):
            if _special(m.name, ex, cases, attempts, bad):
                return m
    with_output = [i for i in bad if attempts[i].output is not None]
    if with_output and all(
        attempts[i].output.shape != np.shape(ex.reference(*cases[i].args, **cases[i].kwargs))
        for i in with_output
    ):
        return WRONG_SHAPE
    return None


def _special(name: str, ex: Exercise, cases: list[Case], attempts: list[Attempt],
             bad: list[int]) -> bool:
    for i in bad:
        got, case = attempts[i].output, cases[i]
        if got is None:
            continue
        if name == "keepdims ignored":
            exp = np.asarray(ex.reference(*case.args, **case.kwargs))
            if got.shape != exp.shape and got.size == exp.size:
                return True
        if name == "wrong dtype" and got.dtype.kind in "biu":
            return True
        if name == "ties go to the last":
            x = np.asarray(case.args[0])
            ax = _ax(case.kwargs)
            last = x.shape[ax] - 1 - np.argmax(np.flip(x, axis=ax), axis=ax)
            if got.shape == last.shape and np.array_equal(got, last):
                return True
    return False


def assess(exercise_id: str, cases: list[Case], attempts: list[Attempt]) -> Assessment:
    """Judge the attempts on the cases: score, and a message in plain words.

    The message names no random number, so it is the same on every run for the same code.
    """
    ex = EXERCISES[exercise_id]
    n = len(cases)
    if n and all(a.not_implemented for a in attempts):
        return Assessment(False, 0.0, f"{ex.id}: not implemented yet. Replace the "
                          f"`raise NotImplementedError` in `{ex.function_name}` with your code, "
                          "then run this cell again.")
    failures: list[str] = []
    bad: list[int] = []
    for i, (case, att) in enumerate(zip(cases, attempts, strict=True)):
        reason: str | None
        if att.not_implemented:
            reason = "raised NotImplementedError"
        elif att.error is not None:
            reason = f"{ERRORED}: {att.error}"
        elif att.mutated:
            reason = "changed its input array in place"
        else:
            expected = np.asarray(ex.reference(*case.args, **case.kwargs))
            reason = _compare(ex, att.output, expected)
        if reason is not None:
            bad.append(i)
            failures.append(f"{case.label}: {reason}")
    score = (n - len(bad)) / n if n else 0.0
    hidden = any(c.hidden for c in cases)
    if not bad:
        scope = (f"all {n} cases passed, hidden ones included" if hidden else
                 f"all {n} visible cases passed; grading adds hidden ones (huge logits, "
                 "masks, float32, other axes), so keep your code general")
        return Assessment(True, 1.0, f"{ex.id}: {scope}.")
    mistake = _diagnose(ex, cases, attempts, bad)
    lines = [f"{ex.id}: {len(bad)} of {n} {'' if hidden else 'visible '}cases failed."]
    if mistake is not None:
        lines.append(f"It looks like: {mistake.name}. Hint: {mistake.hint}.")
    lines.append("First failure: " + failures[0])
    return Assessment(False, score, "\n".join(lines), failures)


# --- lesson 08: perplexity and top-k (one block, appended) ---------------------------------
# Self-contained on purpose: its case makers, references and mistakes live here and it only
# adds two entries to EXERCISES.


def _ppl(z: Any, t: Any) -> np.ndarray:
    return np.exp(cross_entropy(np.asarray(z, dtype=np.float64), t))


def _perplexity_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    def batch(n: int, k: int, scale: float = 3.0, shift: float = 0.0) -> tuple:
        return (_arr(rng, (n, k), scale) + shift, rng.integers(0, k, n))

    if not hidden:
        one_bad = _arr(rng, (4, 5))
        labels = rng.integers(0, 5, 4)
        one_bad[0, (labels[0] + 1) % 5] += 800.0  # one confident mistake: -log p = ~800
        return [
            Case("a batch of 6, 4 classes", batch(6, 4)),
            Case("a batch of 8, 3 classes", batch(8, 3)),
            Case("a batch of 5, 29 classes", batch(5, 29)),
            Case("equal logits (the uniform model: perplexity K)",
                 (np.full((3, 7), rng.normal()), rng.integers(0, 7, 3))),
            Case("one confident mistake (a logit gap of 800) in a batch of 4", (one_bad, labels)),
        ]
    sure = _arr(rng, (5, 6))
    right = rng.integers(0, 6, 5)
    sure[np.arange(5), right] += 40.0  # confident and right: perplexity just above 1
    return [
        Case("logits near 1e4", batch(4, 5, 3.0, 1e4), hidden=True),
        Case("a big batch, 29 classes", batch(64, 29), hidden=True),
        Case("-inf on a wrong class", _masked_wrong(rng), hidden=True),
        Case("confident and right", (sure, right), hidden=True),
        Case("one sample", batch(1, 5), hidden=True),
        Case("lists", tuple(a.tolist() for a in batch(3, 4)), hidden=True),
    ]


def _per_sample_nll(z: Any, t: Any) -> np.ndarray:
    return cross_entropy(np.asarray(z, dtype=np.float64), t, reduction="none")


def _top_k_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    if not hidden:
        ties = rng.integers(0, 2, (5, 6)).astype(float)  # 0s and 1s ...
        ties[:, rng.permutation(6)[:4]] = [3.0, 2.0, 2.0, 2.0]  # ... one 3 and three 2s a row
        return [
            Case("a vector, k=2", (_arr(rng, (6,)), 2)),
            Case("a batch of rows, k=3", (_arr(rng, (4, 7)), 3)),
            Case("k=1 (greedy)", (_arr(rng, (3, 5)), 1)),
            Case("ties at the k-th value, k=2", (ties, 2)),
            Case("k equal to the vocabulary", (_arr(rng, (2, 4)), 4)),
        ]
    masked = _arr(rng, (3, 6))
    masked[:, :4] = -np.inf  # two finite logits per row, k = 3
    top_tie = _arr(rng, (4, 5))
    top_tie[:, 1] = top_tie[:, 3] = top_tie.max(axis=1) + 1.0
    return [
        Case("k larger than the vocabulary", (_arr(rng, (3, 4)), 9), hidden=True),
        Case("float32, k=2", (_arr(rng, (4, 6)).astype(np.float32), 2), hidden=True),
        Case("a 3-D batch, k=2", (_arr(rng, (2, 3, 5)), 2), hidden=True),
        Case("-inf already there, k=3", (masked, 3), hidden=True),
        Case("two tokens tie at the top, k=1", (top_tie, 1), hidden=True),
        Case("rows far apart (1e300 and -1e300), k=2",
             (np.stack([_arr(rng, (5,), 1e299) + 1e300, _arr(rng, (5,), 1e299) - 1e300]), 2),
             hidden=True),
        Case("a list of lists, k=2", (_arr(rng, (3, 4)).round(1).tolist(), 2), hidden=True),
    ]


def _kth(x: Any, k: int, axis: int | None = -1, offset: int = 0) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if axis is None:
        return np.sort(a, axis=None)[::-1][min(k - 1 + offset, a.size - 1)]
    s = -np.sort(-a, axis=axis)
    return np.take(s, [min(max(k - 1 + offset, 0), a.shape[axis] - 1)], axis=axis)


def _top_k_exactly_k(last: bool) -> Callable[..., np.ndarray]:
    @_quiet
    def f(x: Any, k: int) -> np.ndarray:
        a = np.asarray(x, dtype=float)
        if last:  # argsort ascending, take the end: the last of the tied tokens win
            order = np.argsort(a, axis=-1, kind="stable")[..., max(a.shape[-1] - k, 0):]
        else:  # argsort of -x: the first of the tied tokens win
            order = np.argsort(-a, axis=-1, kind="stable")[..., :k]
        keep = np.zeros(a.shape, dtype=bool)
        np.put_along_axis(keep, order, True, axis=-1)
        return np.where(keep, a, -np.inf)

    return f


def _top_k_mistakes() -> tuple[Mistake, ...]:
    from course_lib.lessons.sampling import top_k_filter

    def thresholded(offset: int = 0, axis: int | None = -1, fill: float = -np.inf):
        @_quiet
        def f(x: Any, k: int) -> np.ndarray:
            a = np.asarray(x, dtype=float)
            return np.where(a >= _kth(a, k, axis, offset), a, fill)

        return f

    ties = ("you kept exactly k tokens (an argsort cut), so a token that ties with the k-th "
            "largest logit was dropped; keep every logit >= the k-th largest value of its row")
    return (
        MUTATED,
        Mistake("ties broken", ties, _top_k_exactly_k(last=False)),
        Mistake("ties broken (the last ones kept)", ties, _top_k_exactly_k(last=True)),
        Mistake("one token too many", "you kept k + 1 tokens: the k-th largest value is at "
                "position k - 1 of the row sorted in descending order", thresholded(offset=1)),
        Mistake("one token too few", "you kept k - 1 tokens: the k-th largest value is at "
                "position k - 1 of the row sorted in descending order, and it stays",
                thresholded(offset=-1)),
        Mistake("zeros instead of -inf", "you wrote 0 over the dropped logits, but a logit of 0 "
                "still gets probability from softmax; write -inf (`-np.inf`), which gets exactly 0",
                thresholded(fill=0.0)),
        Mistake("probabilities returned", "you returned softmax of the kept logits; the "
                "function returns the logits themselves, with -inf where a token is dropped",
                _quiet(lambda x, k: softmax(top_k_filter(x, k)))),
        Mistake("whole-batch threshold", "you took the k-th largest value of the whole batch; "
                "each row (the last axis) keeps its own k largest: sort along `axis=-1` and "
                "keep the dims (`keepdims`, or `[..., k-1:k]`)", thresholded(axis=None)),
        Mistake("smallest kept", "you kept the k smallest logits; top-k keeps the largest "
                "(sort in descending order, or take from the end of an ascending sort)",
                _quiet(lambda x, k: np.where(np.asarray(x, dtype=float) <= np.take(np.sort(
                    np.asarray(x, dtype=float), axis=-1), [k - 1], axis=-1),
                    np.asarray(x, dtype=float), -np.inf))),
    )


def _lesson08_exercises() -> dict[str, Exercise]:
    from course_lib.lessons.sampling import top_k_filter

    ex = [
        Exercise(
            "perplexity", "Perplexity from logits", "my_perplexity",
            "ex06_language_model.ipynb", _perplexity_cases, _ppl,
            (
                MUTATED,
                Mistake("exp forgotten", "you returned the mean cross-entropy; perplexity is "
                        "its exponential, `np.exp(mean_loss)`",
                        lambda z, t: cross_entropy(np.asarray(z, dtype=np.float64), t)),
                Mistake("log of softmax", "`np.log(softmax(...))` turns an underflowed "
                        "probability into -inf (and perplexity into inf); use log_softmax: "
                        "`x - logsumexp(x)`",
                        _quiet(lambda z, t: np.exp(-np.mean(np.log(np.take_along_axis(
                            _naive_softmax(z), np.asarray(t)[:, None], 1)))))),
                Mistake("mean of per-sample perplexities", "you averaged `exp(loss)` of each "
                        "sample; perplexity is `exp` of the mean loss (a geometric mean of "
                        "1/p), which one very wrong sample cannot blow up as much",
                        _quiet(lambda z, t: np.mean(np.exp(_per_sample_nll(z, t))))),
                Mistake("exp of the sum", "you exponentiated the *sum* of the losses; take the "
                        "mean over the batch first, then `np.exp`",
                        _quiet(lambda z, t: np.exp(_per_sample_nll(z, t).sum()))),
                Mistake("sign flipped", "you returned `exp(-loss)`, the geometric mean "
                        "probability of the right answers; perplexity is its inverse, "
                        "`exp(+mean loss)`", _quiet(lambda z, t: 1.0 / _ppl(z, t))),
                Mistake("inverse of the mean probability", "you returned 1 / mean(p_y); "
                        "perplexity is exp of the mean of -log p_y (average the logs, not the "
                        "probabilities)", _quiet(lambda z, t: 1.0 / np.mean(np.exp(
                            -_per_sample_nll(z, t))))),
            ),
        ),
        Exercise(
            "top_k", "Top-k: keep the k largest logits of each row", "my_top_k",
            "ex06_language_model.ipynb", _top_k_cases, lambda x, k: top_k_filter(x, k),
            _top_k_mistakes(),
        ),
    ]
    return {e.id: e for e in ex}


EXERCISES.update(_lesson08_exercises())
