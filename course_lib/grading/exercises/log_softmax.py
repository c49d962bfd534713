"""Exercise ``log_softmax``: log-probabilities straight from the logits (lesson 04)."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.functions import log_softmax, logsumexp, softmax
from course_lib.grading.cases import arr, below, far, masked, wide
from course_lib.grading.mistakes import (
    AXIS_IGNORED,
    MUTATED,
    WRONG_AXIS,
    as_float,
    global_max,
    nothing,
    quiet,
    slice_min,
)
from course_lib.grading.model import Case, Exercise, Mistake

CONTRACT = """\
`x` is an array or a (nested) list of any finite logits (±1e308 included), with `-inf`
entries as masks but never a slice that is all `-inf`; `axis` is any valid axis. The
result has the shape of `x`: the log of the softmax along `axis`, every entry finite
where the exact answer is (a log-probability of -1000 is -1000, not `-inf`), `-inf`
exactly where `x` is `-inf`. Its dtype: float64, or for float32 input float32 or float64
(both accepted)."""


def reference(x: Any, axis: int = -1) -> np.ndarray:
    return log_softmax(x, axis=axis)


def gap(rng: np.random.Generator, shape: tuple[int, int], size: float) -> np.ndarray:
    """Rows with one logit ``size`` above the others: log-probabilities near ``-size``."""
    x = arr(rng, shape, 1.0)
    x[np.arange(shape[0]), rng.integers(0, shape[1], shape[0])] += size
    return x


def visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case("a vector", (arr(rng, (5,)),)),
        Case("a batch of rows", (arr(rng, (3, 4)),)),
        Case("one logit 1000 above the others in each row", (gap(rng, (3, 4), 1000.0),),
             required=True),
        Case("logits near 1000", (arr(rng, (2, 5)) + 1000.0,), required=True),
        Case("rows far apart (near +1000 and -1000)", (far(rng, (2, 4)),)),
        Case("rows spanning 800 or 1600", (wide(rng, (2, 4)),)),
        Case("a 3-D batch, axis=1", (arr(rng, (2, 3, 4)),), {"axis": 1}),
    ]


def hidden(rng: np.random.Generator) -> list[Case]:
    mixed = arr(rng, (2, 4))
    mixed[1, :2] = [1e308, -1e308]
    return [
        Case("±1e308 in one row", (mixed,)),
        Case("-inf masks", (masked(rng, (3, 5)),)),
        Case("a float32 batch with a gap of 200", (gap(rng, (3, 4), 200.0).astype(
            np.float32),)),
        Case("ints", (rng.integers(-9, 10, (3, 4)),)),
        Case("a list of lists, axis=0", (arr(rng, (4, 3)).round(2).tolist(),), {"axis": 0}),
        Case("columns spanning 800 or 1600, axis=0", (wide(rng, (4, 3), 0),), {"axis": 0}),
        Case("logits near -1e4 with gaps of 5000", (gap(rng, (2, 5), 5000.0) - 1e4,)),
        Case("3-D far apart, axis=0", (far(rng, (3, 2, 2), 0, 3000.0),), {"axis": 0}),
        Case("rows far below 0 (near -5e4 and -1e300)", (below(rng, (4, 5)),)),
    ]


@quiet
def _log_of_softmax(x: Any, axis: int = -1) -> np.ndarray:
    return np.log(softmax(as_float(x), axis=axis))


def _shifted(shift: Any) -> Any:
    @quiet
    def variant(x: Any, axis: int = -1) -> np.ndarray:
        x = as_float(x)
        c = shift(x, axis)
        return x - (c + np.log(np.exp(x - c).sum(axis=axis, keepdims=True)))

    return variant


@quiet
def _max_not_subtracted(x: Any, axis: int = -1) -> np.ndarray:
    x = as_float(x)
    m = x.max(axis=axis, keepdims=True)
    return x - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


@quiet
def _no_keepdims(x: Any, axis: int = -1) -> np.ndarray:
    x = as_float(x)
    return x - logsumexp(x, axis=axis)


MISTAKES = (
    MUTATED,
    Mistake("log of softmax", "`np.log(softmax(x))` rounds a tiny probability to 0 first, "
            "and its log is -inf; work in logs: `x - logsumexp(x)`, i.e. `(x - m) - "
            "log(sum(exp(x - m)))`", _log_of_softmax),
    Mistake("no max shift (overflow)", "`np.exp(x)` overflows to inf for large logits; "
            "subtract each slice's maximum `m` before `exp`, and use the shifted values in "
            "both places: `(x - m) - log(sum(exp(x - m)))`", _shifted(nothing)),
    Mistake("max not subtracted", "you shifted inside the log but not outside: the result "
            "is `(x - m) - log(sum(exp(x - m)))`, with `m` subtracted from `x` too",
            _max_not_subtracted),
    Mistake("shift by the global max of the batch", "you subtracted the maximum of the "
            "whole batch; rows far below it underflow to log(0); subtract each slice's own "
            "max (`x.max(axis=axis, keepdims=True)`)", _shifted(global_max)),
    Mistake("shift by the minimum", "you subtracted each slice's minimum; then `exp` "
            "overflows when the slice spans more than about 709; subtract the maximum",
            _shifted(slice_min)),
    Mistake("missing keepdims", "the logsumexp of each slice must keep its axis (length 1) "
            "to line up with `x`: `keepdims=True` in the max and the sum", _no_keepdims),
    Mistake("probabilities returned", "you returned the probabilities; log_softmax returns "
            "their logs (all at most 0)", quiet(lambda x, axis=-1: softmax(x, axis=axis))),
    Mistake("sign flipped", "log-probabilities are at most 0: return `x - logsumexp(x)`, "
            "not its negative", quiet(lambda x, axis=-1: -log_softmax(x, axis=axis))),
    Mistake(WRONG_AXIS.name, WRONG_AXIS.hint, quiet(lambda x, axis=-1: log_softmax(
        x, axis=0))),
    Mistake(AXIS_IGNORED.name, AXIS_IGNORED.hint, quiet(lambda x, axis=-1: log_softmax(
        x, axis=-1))),
)

EXERCISE = Exercise(
    id="log_softmax", title="Log-probabilities straight from the logits",
    function_name="my_log_softmax", notebook="ex04_stability.ipynb", place=3,
    contract=CONTRACT, reference=reference, visible=visible, hidden=hidden, mistakes=MISTAKES,
)
