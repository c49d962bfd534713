"""The one registry of exercises: cases, reference, known mistakes and how to judge an attempt.

The in-notebook check (:mod:`.checks`) and the grader (:mod:`.grader`)
both read it. Cases are drawn afresh from a random generator every time, so a hard-coded
answer cannot pass; their shapes and labels are fixed, so the printed verdicts are the same
on every run. Expected values are computed here, with ``course_lib``'s reference functions,
never inside the learner's process.

Cases are chosen to tell mistakes apart: the visible ones catch every catalogued mistake,
the hidden ones everything else (``tests/test_mutation.py`` proves it on mutants of the
solutions). A hint is given only when the mistake's variant reproduces what the learner's
code did on the first failing case; an exception is reported as itself. Types: integer
indices for ``argmax``, floats for ``one_hot``, and elsewhere floats at least as precise as
the reference's (float64 for float32 input is accepted, judged at float32 tolerance).
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
    shape_hint: str | None = None  # what shape comes back, said for this exercise

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
WRONG_DTYPE = Mistake(
    "wrong dtype",
    "your numbers are right but in a lower precision than the input's: do not convert to "
    "float32 or float16 (float64 in, float64 out; float32 input may come back as either)",
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


# --- case makers ------------------------------------------------------------------------
#
# Every case is built to tell mistakes apart (see DESIGN.md): rows far apart catch a shift by
# the batch's maximum; a row spanning 800 catches a shift by the minimum, one logit 1600 above
# the rest a shift by the mean; a length-1 axis that is not reduced catches `squeeze()`
# without an axis; square batches catch a wrong axis that keeps the shape; ties catch an
# argmax that gives them to the last entry. tests/test_mutation.py proves it by mutation.


def _arr(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 3.0) -> np.ndarray:
    return rng.standard_normal(shape) * scale


def _along(y: np.ndarray, axis: int) -> np.ndarray:
    """``y`` has its slices on the last axis; move them to ``axis``."""
    return np.ascontiguousarray(np.moveaxis(y, -1, axis))


def _far(rng: np.random.Generator, shape: tuple[int, ...], axis: int = -1,
         gap: float = 1000.0) -> np.ndarray:
    """Slices along ``axis`` alternately near ``+gap`` and ``-gap``."""
    lead = tuple(np.delete(np.array(shape), axis % len(shape)))
    y = _arr(rng, (*lead, shape[axis]))
    n = int(np.prod(lead, dtype=int))
    y += gap * np.where(np.arange(n) % 2 == 0, 1.0, -1.0).reshape((*lead, 1))
    return _along(y, axis)


def _wide(rng: np.random.Generator, shape: tuple[int, ...], axis: int = -1) -> np.ndarray:
    """Wide slices: even ones half at +400 and half at -400 (a shift by the minimum
    overflows), odd ones with one logit 1600 above the rest (so does a shift by the mean)."""
    lead = tuple(np.delete(np.array(shape), axis % len(shape)))
    k = shape[axis]
    y = _arr(rng, (*lead, k), 1.0).reshape(-1, k)
    for r, row in enumerate(y):
        order = rng.permutation(k)
        if r % 2 == 0:
            row[order[: k // 2]] += 400.0
            row[order[k // 2:]] -= 400.0
        else:
            row[order[0]] += 1600.0
    return _along(y.reshape((*lead, k)), axis)


def _tied(rng: np.random.Generator, shape: tuple[int, ...], axis: int = -1) -> np.ndarray:
    """Small integers (as floats) where every slice's maximum appears at least twice."""
    lead = tuple(np.delete(np.array(shape), axis % len(shape)))
    k = shape[axis]
    y = rng.integers(0, 4, (*lead, k)).astype(float).reshape(-1, k)
    for row in y:
        i, j = rng.choice(k, 2, replace=False)
        row[[i, j]] = row.max() + 1.0
    return _along(y.reshape((*lead, k)), axis)


def _masked(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """-inf entries, never a whole slice along the last axis."""
    x = _arr(rng, shape)
    mask = rng.random(shape) < 0.4
    mask[..., rng.integers(0, shape[-1])] = False
    x[mask] = -np.inf
    return x


def _huge_rows(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Rows near 1e300 whose maximum is never their first entry (float32 would make every
    entry inf, and argmax then picks the first)."""
    x = rng.uniform(1.0, 9.0, shape) * 1e300
    for row in x:
        i = int(np.argmax(row))
        if i == 0:
            j = int(rng.integers(1, shape[1]))
            row[[0, j]] = row[[j, 0]]
    return x


def _max_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    if not hidden:
        return [
            Case("a vector", (_arr(rng, (6,)),)),
            Case("a batch of rows, axis=-1", (_arr(rng, (4, 5)),)),
            Case("a batch, axis=0", (_arr(rng, (5, 3)),), {"axis": 0}),
            Case("a 3-D batch, axis=1", (_arr(rng, (2, 4, 3)),), {"axis": 1}),
            Case("a list of ints", (rng.integers(-9, 10, 7).tolist(),)),
            Case("a length-1 axis that is not reduced", (_arr(rng, (3, 1, 4)),)),
        ]
    return [
        Case("a float32 batch", (_arr(rng, (5, 4)).astype(np.float32),), hidden=True),
        Case("-inf entries", (_masked(rng, (3, 5)),), hidden=True),
        Case("magnitudes near 1e300", (_arr(rng, (3, 4), 1e300),), hidden=True),
        Case("a square batch, axis=0", (_arr(rng, (4, 4)),), {"axis": 0}, hidden=True),
        Case("axis=-2 of a 3-D array", (_arr(rng, (3, 4, 2)),), {"axis": -2}, hidden=True),
        Case("length-1 axes around the reduced one", (_arr(rng, (1, 4, 1)),), {"axis": 1},
             hidden=True),
        Case("a list of lists", (_arr(rng, (2, 3)).round(2).tolist(),), hidden=True),
    ]


def _argmax_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    if not hidden:
        return [
            Case("a vector", (_arr(rng, (6,)),)),
            Case("a batch of rows, axis=-1", (_arr(rng, (4, 5)),)),
            Case("a batch, axis=0", (_arr(rng, (5, 3)),), {"axis": 0}),
            Case("a 3-D batch, axis=1", (_arr(rng, (2, 4, 3)),), {"axis": 1}),
            Case("ties (the first maximum wins)", (_tied(rng, (4, 5)),)),
            Case("a list of ints", (rng.integers(-9, 10, 7).tolist(),)),
            Case("a length-1 axis that is not reduced", (_arr(rng, (3, 1, 4)),)),
        ]
    return [
        Case("a float32 batch", (_arr(rng, (5, 4)).astype(np.float32),), hidden=True),
        Case("-inf entries", (_masked(rng, (3, 5)),), hidden=True),
        Case("ties along axis 0 of a 3-D array", (_tied(rng, (4, 2, 3), 0),), {"axis": 0},
             hidden=True),
        Case("magnitudes near 1e300", (_huge_rows(rng, (3, 4)),), hidden=True),
        Case("a square batch, axis=0", (_arr(rng, (4, 4)),), {"axis": 0}, hidden=True),
        Case("axis=-2 of a 3-D array", (_arr(rng, (3, 4, 2)),), {"axis": -2}, hidden=True),
        Case("length-1 axes around the reduced one", (_arr(rng, (1, 4, 1)),), {"axis": 1},
             hidden=True),
        Case("a list of lists", (_arr(rng, (2, 3)).round(2).tolist(),), hidden=True),
    ]


def _one_hot_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    if not hidden:
        return [
            Case("labels 0..2", (rng.permutation(np.arange(5) % 3), 3)),
            Case("a batch of labels", (rng.integers(0, 4, 8), 4)),
            Case("classes missing from the batch", (rng.integers(0, 3, 5), 6)),
            Case("a 2-D array of labels", (rng.integers(0, 5, (3, 4)), 5)),
        ]
    return [
        Case("a 3-D array of labels", (rng.integers(0, 4, (2, 3, 2)), 4), hidden=True),
        Case("a list", (rng.integers(0, 10, 6).tolist(), 10), hidden=True),
        Case("a list of lists", (rng.integers(0, 3, (2, 4)).tolist(), 3), hidden=True),
        Case("a single label (an int)", (int(rng.integers(0, 5)), 5), hidden=True),
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
            Case("rows far apart (near +1000 and -1000)", (_far(rng, (4, 5)),)),
            Case("rows spanning 800 or 1600", (_wide(rng, (2, 4)),)),
        ]
    return [
        Case("a 3-D batch", (_arr(rng, (2, 3, 4)),), hidden=True),
        Case("a square batch", (_arr(rng, (5, 5)),), hidden=True),
        Case("ints", (rng.integers(-5, 6, (3, 4)),), hidden=True),
        Case("ties", (_tied(rng, (4, 3)),), hidden=True),
        Case("-inf masks", (_masked(rng, (3, 4)),), hidden=True),
        Case("a list of lists", (_arr(rng, (2, 3)).round(3).tolist(),), hidden=True),
        Case("a 3-D batch far apart and wide", (_wide(rng, (2, 2, 4)) + _far(rng, (2, 2, 4),
                                                                             gap=3000.0),),
             hidden=True),
        Case("float32 rows far apart", (_far(rng, (2, 3)).astype(np.float32),), hidden=True),
    ]


def _softmax_axis_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    if not hidden:
        return [
            Case("axis=-1", (_arr(rng, (3, 5)),), {"axis": -1}),
            Case("axis=0", (_arr(rng, (4, 3)),), {"axis": 0}),
            Case("a square batch, axis=0", (_arr(rng, (4, 4)),), {"axis": 0}),
            Case("3-D, axis=1", (_arr(rng, (2, 4, 3)),), {"axis": 1}),
            Case("columns far apart (near +1000 and -1000), axis=0", (_far(rng, (3, 4), 0),),
                 {"axis": 0}),
            Case("columns spanning 800 or 1600, axis=0", (_wide(rng, (4, 2), 0),), {"axis": 0}),
        ]
    return [
        Case("3-D, axis=0", (_arr(rng, (3, 2, 4)),), {"axis": 0}, hidden=True),
        Case("float32, axis=0", (_arr(rng, (5, 2)).astype(np.float32),), {"axis": 0},
             hidden=True),
        Case("1-D, axis=0", (_arr(rng, (6,)),), {"axis": 0}, hidden=True),
        Case("ints, axis=0", (rng.integers(-5, 6, (4, 3)),), {"axis": 0}, hidden=True),
        Case("a list of lists, axis=-2", (_arr(rng, (3, 2)).round(2).tolist(),), {"axis": -2},
             hidden=True),
        Case("3-D far apart and wide, axis=1", (_wide(rng, (2, 4, 2), 1) + _far(
            rng, (2, 4, 2), 1, 3000.0),), {"axis": 1}, hidden=True),
        Case("-inf masks, axis=-1", (_masked(rng, (3, 4)),), {"axis": -1}, hidden=True),
    ]


def _stable_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    if not hidden:
        return [
            Case("ordinary logits", (_arr(rng, (3, 4)),)),
            Case("logits near 1000", (_arr(rng, (3, 4)) + 1000.0,)),
            Case("rows far apart (near +1000 and -1000)", (_far(rng, (2, 4)),)),
            Case("a vector like [1000, 5]", (np.array([1000.0, 5.0]) + rng.uniform(0, 1, 2),)),
            Case("rows spanning 800 or 1600", (_wide(rng, (2, 4)),)),
            Case("a 3-D batch, axis=0", (_arr(rng, (3, 2, 4)),), {"axis": 0}),
        ]
    mixed = _arr(rng, (2, 5))
    mixed[0, :2] = [1e308, -1e308]
    return [
        Case("±1e308 in one row", (mixed,), hidden=True),
        Case("-inf masks", (_masked(rng, (3, 4)),), hidden=True),
        Case("float32 near 100", ((_arr(rng, (3, 5)) + 100).astype(np.float32),), hidden=True),
        Case("logits near -1e4", (_arr(rng, (2, 6)) - 1e4,), hidden=True),
        Case("a 3-D batch near ±1e4, axis=0", (_far(rng, (2, 3, 4), 0, 1e4),), {"axis": 0},
             hidden=True),
        Case("columns spanning 800 or 1600, axis=0", (_wide(rng, (4, 3), 0),), {"axis": 0},
             hidden=True),
        Case("float32 rows far apart", (_far(rng, (2, 3)).astype(np.float32),), hidden=True),
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
            Case("rows far apart (near +1000 and -1000)", (_far(rng, (2, 4)),)),
            Case("rows spanning 800 or 1600", (_wide(rng, (2, 4)),)),
            Case("a length-1 axis that is not reduced", (_arr(rng, (2, 1, 3)),)),
        ]
    return [
        Case("logits near -1000", (_arr(rng, (2, 4)) - 1000,), hidden=True),
        Case("3-D, axis=1, keepdims", (_arr(rng, (2, 3, 4)),), {"axis": 1, "keepdims": True},
             hidden=True),
        Case("a float32 batch", (_arr(rng, (3, 4)).astype(np.float32),), hidden=True),
        Case("±1e308 in one row", (np.concatenate([[1e308, -1e308], _arr(rng, (3,))]),),
             hidden=True),
        Case("-inf masks", (_masked(rng, (3, 4)),), hidden=True),
        Case("a list of ints", (rng.integers(-9, 10, 5).tolist(),), hidden=True),
        Case("length-1 axes around the reduced one, axis=1", (_arr(rng, (1, 4, 1)),),
             {"axis": 1}, hidden=True),
        Case("3-D far apart and wide, axis=0", (_wide(rng, (4, 2, 2), 0) + _far(
            rng, (4, 2, 2), 0, 3000.0),), {"axis": 0}, hidden=True),
        Case("columns far apart, axis=0, keepdims", (_far(rng, (3, 2), 0),),
             {"axis": 0, "keepdims": True}, hidden=True),
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
            Case("rows far apart (near +1000 and -1000)", (_far(rng, (4, 3)),
                                                          rng.integers(0, 3, 4))),
        ]
    return [
        Case("logits near 1e4", batch(4, 3, 3.0, 1e4), hidden=True),
        Case("a big batch", batch(64, 10), hidden=True),
        Case("float32", tuple([batch(6, 4)[0].astype(np.float32), rng.integers(0, 4, 6)]),
             hidden=True),
        Case("-inf on a wrong class", _masked_wrong(rng), hidden=True),
        Case("lists", tuple(a.tolist() for a in batch(3, 4)), hidden=True),
        Case("rows far apart and wide", (_wide(rng, (4, 3)) + _far(rng, (4, 3), gap=3000.0),
                                         rng.integers(0, 3, 4)), hidden=True),
        Case("float32 rows far apart", (_far(rng, (2, 4)).astype(np.float32),
                                        rng.integers(0, 4, 2)), hidden=True),
    ]


# --- mistaken variants ------------------------------------------------------------------


def _f(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=float)


def _shifted_softmax(shift: Callable[[np.ndarray, int], Any]) -> Callable[..., np.ndarray]:
    @_quiet
    def variant(x: Any, axis: int = -1) -> np.ndarray:
        x = _f(x)
        e = np.exp(x - shift(x, axis))
        return e / e.sum(axis=axis, keepdims=True)

    return variant


def _shifted_lse(shift: Callable[[np.ndarray, int], Any]) -> Callable[..., np.ndarray]:
    @_quiet
    def variant(x: Any, axis: int = -1, keepdims: bool = False) -> np.ndarray:
        x = _f(x)
        c = shift(x, axis)
        out = c + np.log(np.exp(x - c).sum(axis=axis, keepdims=True))
        return out if keepdims else np.squeeze(out, axis=axis)

    return variant


def _global_max(x: np.ndarray, axis: int) -> Any:
    return x.max()


def _slice_min(x: np.ndarray, axis: int) -> Any:
    return x.min(axis=axis, keepdims=True)


def _slice_mean(x: np.ndarray, axis: int) -> Any:
    return x.mean(axis=axis, keepdims=True)


def _nothing(x: np.ndarray, axis: int) -> Any:
    return 0.0


@_quiet
def _whole_batch_softmax(x: Any, axis: int = -1) -> np.ndarray:
    x = _f(x)
    e = np.exp(x - x.max())
    return e / e.sum()


@_quiet
def _axis0_softmax(x: Any, axis: int = -1) -> np.ndarray:
    x = _f(x)
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


@_quiet
def _last_axis_softmax(x: Any, axis: int = -1) -> np.ndarray:
    return softmax(_f(x), axis=-1)


@_quiet
def _no_exp(x: Any, axis: int = -1) -> np.ndarray:
    x = _f(x)
    return x / x.sum(axis=axis, keepdims=True)


@_quiet
def _sigmoid_each(x: Any, axis: int = -1) -> np.ndarray:
    return 1 / (1 + np.exp(-_f(x)))


@_quiet
def _hardmax(x: Any, axis: int = -1) -> np.ndarray:
    x = _f(x)
    return (np.arange(x.shape[axis]).reshape([-1 if i == axis % x.ndim else 1
                                              for i in range(x.ndim)])
            == np.expand_dims(np.argmax(x, axis=axis), axis)).astype(float)


@_quiet
def _no_keepdims(x: Any, axis: int = -1) -> np.ndarray:
    x = _f(x)
    e = np.exp(x - x.max(axis=axis))
    return e / e.sum(axis=axis)


def _last_of_ties(x: Any, axis: int = -1) -> np.ndarray:
    x = np.asarray(x)
    return x.shape[axis] - 1 - np.argmax(np.flip(x, axis=axis), axis=axis)


def _log_of_softmax_ce(z: Any, t: Any) -> Any:
    with np.errstate(all="ignore"):
        p = _naive_softmax(z)
        return -np.mean(np.log(np.take_along_axis(p, np.asarray(t)[:, None], 1)))


_naive_softmax = _shifted_softmax(_nothing)

OVERFLOW = Mistake(
    "no max shift (overflow)",
    "`np.exp` overflowed to inf for large logits; subtract each slice's maximum before `exp` "
    "(it does not change the result), and exponentiate those shifted values, not `x`",
    _naive_softmax,
)
GLOBAL_SHIFT = Mistake(
    "shift by the global max of the batch", "you subtracted the maximum of the whole batch; "
    "rows far below it underflow to 0/0; subtract each slice's own max "
    "(`x.max(axis=axis, keepdims=True)`)", _shifted_softmax(_global_max),
)
MIN_SHIFT = Mistake(
    "shift by the minimum", "you subtracted each slice's minimum; then `exp` overflows when "
    "the slice spans more than about 709; subtract the maximum, so that every exponent is at "
    "most 0", _shifted_softmax(_slice_min),
)
MEAN_SHIFT = Mistake(
    "shift by the mean", "you subtracted each slice's mean; then `exp` overflows when one "
    "logit sits far above the others; subtract the maximum, so that every exponent is at "
    "most 0", _shifted_softmax(_slice_mean),
)

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
SHIFT_MISTAKES = (OVERFLOW, GLOBAL_SHIFT, MIN_SHIFT, MEAN_SHIFT)


@_quiet
def _lse_no_keepdims(x: Any, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    x = _f(x)
    m = x.max(axis=axis)
    return m + np.log(np.exp(x - m).sum(axis=axis, keepdims=keepdims))


@_quiet
def _grad_global_shift(z: Any, t: Any) -> np.ndarray:
    p = _shifted_softmax(_global_max)(z)
    return (p - one_hot(t, p.shape[-1])) / len(np.asarray(t))


def _lse_shift(m: Mistake, shift: Callable[[np.ndarray, int], Any], extra: str = "") -> Mistake:
    return Mistake(m.name, m.hint + extra, _shifted_lse(shift))


# --- the registry -------------------------------------------------------------------------


def _exercises() -> dict[str, Exercise]:
    ex = [
        Exercise(
            "max", "The maximum along an axis", "my_max", "ex01_max.ipynb",
            _max_cases, lambda x, axis=-1: np.max(np.asarray(x), axis=axis),
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
                Mistake("squeeze without an axis", "`squeeze()` with no axis also removes "
                        "other axes of length 1; reduce with `axis=axis` and keep the rest",
                        lambda x, axis=-1: np.squeeze(np.max(np.asarray(x), axis=axis,
                                                             keepdims=True))),
                Mistake("argmax returned", "you returned where the maximum is (argmax), not "
                        "the maximum itself",
                        lambda x, axis=-1: np.argmax(np.asarray(x), axis=axis)),
            ),
        ),
        Exercise(
            "argmax", "The index of the maximum", "my_argmax", "ex02_argmax_one_hot.ipynb",
            _argmax_cases, lambda x, axis=-1: ref_argmax(x, axis=axis),
            (
                MUTATED,
                Mistake("ties go to the last", "with ties the first maximum wins; yours picked "
                        "a later one (`np.argmax` already takes the first)", _last_of_ties),
                Mistake("max returned", "you returned the largest values, not their positions",
                        lambda x, axis=-1: np.max(np.asarray(x), axis=axis)),
                Mistake("flat index", "you returned one index into the flattened array; pass "
                        "`axis=axis` to get one index per slice",
                        lambda x, axis=-1: np.argmax(np.asarray(x))),
                Mistake("wrong axis", "you searched along the wrong axis; use `axis`",
                        lambda x, axis=-1: np.argmax(np.asarray(x), axis=0)),
                Mistake("squeeze without an axis", "`squeeze()` with no axis also removes "
                        "other axes of length 1; keep them", lambda x, axis=-1: np.squeeze(
                            np.argmax(np.asarray(x), axis=axis))),
                Mistake("float indices", "indices are integers (`np.argmax` gives int64); do "
                        "not turn them into floats", None),
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
                Mistake("labels shifted by one", "label 0 is the first class: row `labels[i]` "
                        "of the identity, with no `- 1` or `+ 1`",
                        lambda labels, k: np.eye(k)[np.asarray(labels) - 1]),
                Mistake("transposed", "your result has the classes on the first axis; put "
                        "them on a new last axis: shape labels.shape + (num_classes,)",
                        lambda labels, k: np.moveaxis(one_hot(labels, k), -1, 0)),
                Mistake("wrong dtype", "return floats (`np.eye(num_classes)[labels]` is "
                        "float64), not integers or booleans", None),
            ),
            shape_hint="the result has shape `labels.shape + (num_classes,)`, and labels "
                       "may come in any shape, not only as a 1-D list: "
                       "`np.eye(num_classes)[labels]` handles every shape",
        ),
        Exercise(
            "softmax", "Softmax of a vector or a batch of rows", "my_softmax",
            "ex03_softmax.ipynb", _softmax_cases,
            lambda x, axis=-1: softmax(x, axis=axis), SOFTMAX_MISTAKES + SHIFT_MISTAKES,
        ),
        Exercise(
            "softmax_axis", "Softmax along any axis", "my_softmax_axis", "ex03_softmax.ipynb",
            _softmax_axis_cases, lambda x, axis=-1: softmax(x, axis=axis),
            (
                *SOFTMAX_MISTAKES[:2],
                Mistake("axis ignored", "your function always works along the last axis; use "
                        "the `axis` argument in max, sum and keepdims", _last_axis_softmax),
                *SOFTMAX_MISTAKES[2:],
                *SHIFT_MISTAKES,
            ),
        ),
        Exercise(
            "stable_softmax", "Softmax that never overflows", "stable_softmax",
            "ex04_stability.ipynb", _stable_cases, lambda x, axis=-1: softmax(x, axis=axis),
            (
                *SOFTMAX_MISTAKES[:2],
                Mistake("axis ignored", "your function always works along the last axis; use "
                        "the `axis` argument in max, sum and keepdims", _last_axis_softmax),
                *SOFTMAX_MISTAKES[2:],
                *SHIFT_MISTAKES,
            ),
        ),
        Exercise(
            "logsumexp", "The smooth maximum, computed stably", "my_logsumexp",
            "ex04_stability.ipynb", _lse_cases,
            lambda x, axis=-1, keepdims=False: logsumexp(x, axis=axis, keepdims=keepdims),
            (
                MUTATED,
                _lse_shift(OVERFLOW, _nothing, "; add it back after the log"),
                _lse_shift(GLOBAL_SHIFT, _global_max),
                _lse_shift(MIN_SHIFT, _slice_min),
                _lse_shift(MEAN_SHIFT, _slice_mean),
                Mistake("max not added back", "after `log(sum(exp(x - m)))` add the maximum `m` "
                        "back", lambda x, axis=-1, keepdims=False: logsumexp(
                            _f(x) - np.max(_f(x), axis=axis, keepdims=True),
                            axis=axis, keepdims=keepdims)),
                Mistake("missing keepdims", "`x.max(axis=axis)` drops the reduced axis, so "
                        "`x - m` no longer lines up; take `m = x.max(axis=axis, "
                        "keepdims=True)`, and drop that axis at the end unless `keepdims`",
                        _lse_no_keepdims),
                Mistake("keepdims ignored", "honour `keepdims`: keep the reduced axis with "
                        "length 1 only when it is True",
                        lambda x, axis=-1, keepdims=False: logsumexp(
                            x, axis=axis, keepdims=not keepdims)),
                Mistake("squeeze without an axis", "`np.squeeze(out)` with no axis also "
                        "removes other axes of length 1; squeeze only the reduced one: "
                        "`np.squeeze(out, axis=axis)`",
                        lambda x, axis=-1, keepdims=False: logsumexp(
                            x, axis=axis, keepdims=True) if keepdims else np.squeeze(
                            logsumexp(x, axis=axis, keepdims=True))),
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
                        _log_of_softmax_ce),
                Mistake("sum instead of mean", "average over the batch (divide by the number "
                        "of samples), do not add the losses up",
                        lambda z, t: cross_entropy(z, t, reduction="sum")),
                Mistake("mean over all n·K entries", "you averaged over every entry of the "
                        "(n, K) array, classes included; add up over the classes (only the "
                        "target's entry counts), then average over the n samples",
                        lambda z, t: cross_entropy(z, t) / np.shape(z)[-1]),
                Mistake("every target picked for every row", "`lp[:, targets]` takes every "
                        "target column for every row (an n×n block); take one entry per row: "
                        "`lp[np.arange(n), targets]`",
                        lambda z, t: -np.mean(log_softmax(z)[:, np.asarray(t)])),
                Mistake("per-sample losses returned", "return one number, the mean over the "
                        "batch", lambda z, t: cross_entropy(z, t, reduction="none")),
                Mistake("sign flipped", "cross-entropy is minus the mean log-probability of the "
                        "right class; yours has the opposite sign",
                        lambda z, t: -cross_entropy(z, t)),
                Mistake("the predicted class instead of the label", "you took the "
                        "log-probability of each row's most likely class; the loss takes the "
                        "log-probability of the *true* class: `lp[np.arange(n), targets]`",
                        lambda z, t: -np.mean(np.max(log_softmax(z), axis=-1))),
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
                Mistake("divided by n·K", "divide by the number of samples n only, not by "
                        "the number of entries n·K",
                        lambda z, t: cross_entropy_grad(z, t) / np.shape(z)[-1]),
                Mistake("sign flipped", "the gradient is `softmax - one_hot`, not "
                        "`one_hot - softmax`", lambda z, t: -cross_entropy_grad(z, t)),
                Mistake("one-hot not subtracted", "subtract the one-hot target from the "
                        "probabilities", lambda z, t: softmax(z) / len(np.asarray(t))),
                Mistake(GLOBAL_SHIFT.name, GLOBAL_SHIFT.hint, _grad_global_shift),
            ),
        ),
    ]
    return {e.id: e for e in ex}


EXERCISES: dict[str, Exercise] = _exercises()


# --- judging ------------------------------------------------------------------------------


def _tolerance(expected: np.ndarray, case: Case | None = None) -> tuple[float, float]:
    """(rtol, atol). In float32 the logits themselves carry rounding errors of about
    ``eps * |x|``, and so does any correct answer computed from them in float32: the
    absolute tolerance grows with the largest finite input."""
    if expected.dtype in (np.float16, np.float32):
        eps = float(np.finfo(expected.dtype).eps)
        big = 1.0
        if case is not None and case.args:
            with np.errstate(all="ignore"):
                x = np.asarray(case.args[0], dtype=np.float64)
            finite = np.abs(x[np.isfinite(x)])
            big = max(big, float(finite.max()) if finite.size else 1.0)
        return 100 * eps, 8 * eps * big
    return 1e-9, 1e-12


def _compare(ex: Exercise, got: np.ndarray, expected: np.ndarray,
             case: Case | None = None) -> str | None:
    """None if ``got`` is right, else a short deterministic reason.

    The contract on types: integer indices for ``argmax``; floats for ``one_hot``; for the
    rest, floats at least as precise as the reference's (a float64 result for float32 input
    is accepted and judged at float32 tolerance; float32 for float64 input is not).
    """
    if got.shape != expected.shape:
        return f"expected shape {expected.shape}, got {got.shape}"
    if ex.exact:
        if not np.array_equal(got, expected):
            return "wrong indices"
        return None if got.dtype.kind in "iu" else f"expected integer indices, got {got.dtype}"
    if ex.id == "one_hot":
        if got.dtype.kind != "f":
            return f"expected floats, got {got.dtype}"
    elif (expected.dtype.kind == "f" and got.dtype.kind == "f"
          and got.dtype.itemsize < expected.dtype.itemsize):
        return f"expected {expected.dtype} (the input's precision or more), got {got.dtype}"
    rtol, atol = _tolerance(expected, case)
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


def _variant_outcome(m: Mistake, case: Case) -> Any:
    """What the mistaken variant gives on ``case``: an array, or ``"Type: message"``."""
    assert m.variant is not None
    try:
        with np.errstate(all="ignore"):
            return np.asarray(m.variant(*case.args, **case.kwargs))
    except Exception as exc:  # noqa: BLE001 - the variant's own error is what we compare
        return f"{type(exc).__name__}: {exc}"


def _reproduces(outcome: Any, att: Attempt) -> bool:
    if isinstance(outcome, str):
        return att.error is not None and att.error.startswith(outcome)
    return att.output is not None and att.error is None and _matches(att.output, outcome)


def _diagnose(ex: Exercise, cases: list[Case], attempts: list[Attempt],
              bad: list[int], reasons: list[str]) -> Mistake | None:
    """The mistake that explains the first failing case, or None (no guess).

    A mistake is named only when its variant reproduces what the learner's code did on the
    first failing case (the same output, or the same exception). When several do, the one
    that also reproduces the most other cases wins (catalogue order breaks ties).
    """
    if any(attempts[i].mutated for i in bad):
        return MUTATED
    first, reason = bad[0], reasons[0]
    att, case = attempts[first], cases[first]
    if att.not_implemented:
        return None
    if reason.startswith(("expected integer indices", "expected floats")):
        return next(m for m in ex.mistakes if m.name in ("float indices", "wrong dtype"))
    if "the input's precision" in reason:
        return WRONG_DTYPE
    outputs = [a.output for a in attempts if a.output is not None and a.error is None]
    if att.output is not None and len(outputs) == len(cases) >= 2 and all(
        o.shape == att.output.shape and np.array_equal(o, att.output, equal_nan=True)
        for o in outputs
    ):
        return HARD_CODED
    best: Mistake | None = None
    best_score = 0
    for m in ex.mistakes:
        if m.variant is None or not _reproduces(_variant_outcome(m, case), att):
            continue
        score = sum(_reproduces(_variant_outcome(m, c), a)
                    for c, a in zip(cases, attempts, strict=True))
        if score > best_score:
            best, best_score = m, score
    if best is not None:
        return best
    if att.output is not None and att.error is None and reason.startswith("expected shape"):
        if ex.shape_hint:
            return Mistake(WRONG_SHAPE.name, "your result does not have the expected shape "
                           "(the first failure below shows both); " + ex.shape_hint)
        return WRONG_SHAPE
    return None


def _hidden_summary(ex: Exercise) -> str:
    """What the hidden cases of ``ex`` contain, from their labels (which never change)."""
    labels = [c.label for c in ex.cases(np.random.default_rng(0), hidden=True)]
    return f"{len(labels)} hidden cases ({'; '.join(labels)})"


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
    reasons: list[str] = []
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
            reason = _compare(ex, att.output, expected, case)
        if reason is not None:
            bad.append(i)
            reasons.append(reason)
            failures.append(f"{case.label}: {reason}")
    score = (n - len(bad)) / n if n else 0.0
    hidden = any(c.hidden for c in cases)
    if not bad:
        scope = (f"all {n} cases passed, hidden ones included" if hidden else
                 f"all {n} visible cases passed; grading adds {_hidden_summary(ex)}, so keep "
                 "your code general")
        return Assessment(True, 1.0, f"{ex.id}: {scope}.")
    mistake = _diagnose(ex, cases, attempts, bad, reasons)
    lines = [f"{ex.id}: {len(bad)} of {n} {'' if hidden else 'visible '}cases failed."]
    if mistake is not None:
        lines.append(f"It looks like: {mistake.name}. Hint: {mistake.hint}.")
    lines.append("First failure: " + failures[0])
    return Assessment(False, score, "\n".join(lines), failures)


# --- lesson 08: perplexity and top-k (one block, appended) ---------------------------------
# Self-contained on purpose: its case makers, references and mistakes live here and it only
# adds two entries to EXERCISES.


def _ppl(z: Any, t: Any) -> np.ndarray:
    with np.errstate(over="ignore"):  # a mean loss above ~709 nats: perplexity inf, exactly
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
        Case("rows far apart (1000 and -1000)", (np.stack([_arr(rng, (5,)) + 1000.0, _arr(
            rng, (5,)) - 1000.0]), rng.integers(0, 5, 2)), hidden=True),
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
