"""Exercise ``logsumexp``: the smooth maximum, computed stably (lesson 04)."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.functions import log_softmax, logsumexp
from course_lib.grading.cases import arr, below, far, masked, wide
from course_lib.grading.mistakes import (
    GLOBAL_SHIFT,
    MEAN_SHIFT,
    MIN_SHIFT,
    MUTATED,
    OVERFLOW,
    as_float,
    global_max,
    logsumexp_shift,
    nothing,
    quiet,
    slice_mean,
    slice_min,
)
from course_lib.grading.model import Case, Exercise, Mistake

CONTRACT = """\
`x` is an array or a (nested) list of numbers (ints, float32 and float64; huge magnitudes
and `-inf` entries included); `axis` is any valid axis. The result has the shape of `x`
without `axis`, or with `axis` kept at length 1 when `keepdims=True`; every other axis
stays, even one of length 1. Its dtype: float64, or for float32 input float32 or float64
(both accepted)."""


def reference(x: Any, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    return logsumexp(x, axis=axis, keepdims=keepdims)


def visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case("a vector", (arr(rng, (6,)),)),
        Case("a batch, axis=-1", (arr(rng, (3, 5)),)),
        Case("a batch, keepdims=True", (arr(rng, (3, 5)),), {"keepdims": True}),
        Case("a batch near 1000, axis=0", (arr(rng, (4, 3)) + 1000,), {"axis": 0},
             required=True),
        Case("rows far apart (near +1000 and -1000)", (far(rng, (2, 4)),)),
        Case("rows spanning 800 or 1600", (wide(rng, (2, 4)),)),
        Case("a length-1 axis that is not reduced", (arr(rng, (2, 1, 3)),)),
    ]


def hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case("logits near -1000", (arr(rng, (2, 4)) - 1000,)),
        Case("3-D, axis=1, keepdims", (arr(rng, (2, 3, 4)),), {"axis": 1, "keepdims": True}),
        Case("a float32 batch", (arr(rng, (3, 4)).astype(np.float32),)),
        Case("±1e308 in one row", (np.concatenate([[1e308, -1e308], arr(rng, (3,))]),)),
        Case("-inf masks", (masked(rng, (3, 4)),)),
        Case("a list of ints", (rng.integers(-9, 10, 5).tolist(),)),
        Case("length-1 axes around the reduced one, axis=1", (arr(rng, (1, 4, 1)),),
             {"axis": 1}),
        Case("3-D far apart and wide, axis=0",
             (wide(rng, (4, 2, 2), 0) + far(rng, (4, 2, 2), 0, 3000.0),), {"axis": 0}),
        Case("columns far apart, axis=0, keepdims", (far(rng, (3, 2), 0),),
             {"axis": 0, "keepdims": True}),
        Case("rows far below 0 (near -5e4 and -1e300)", (below(rng, (4, 5)),)),
        Case("log-probabilities (a logsumexp near 0)", (log_softmax(arr(rng, (3, 6))),)),
    ]


@quiet
def _no_keepdims(x: Any, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    x = as_float(x)
    m = x.max(axis=axis)
    return m + np.log(np.exp(x - m).sum(axis=axis, keepdims=keepdims))


def _max_not_added_back(x: Any, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    x = as_float(x)
    return logsumexp(x - np.max(x, axis=axis, keepdims=True), axis=axis, keepdims=keepdims)


def _squeezed(x: Any, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    out = logsumexp(x, axis=axis, keepdims=True)
    return out if keepdims else np.squeeze(out)


MISTAKES = (
    MUTATED,
    logsumexp_shift(OVERFLOW, nothing, "; add it back after the log"),
    logsumexp_shift(GLOBAL_SHIFT, global_max),
    logsumexp_shift(MIN_SHIFT, slice_min),
    logsumexp_shift(MEAN_SHIFT, slice_mean),
    Mistake("max not added back", "after `log(sum(exp(x - m)))` add the maximum `m` back",
            _max_not_added_back),
    Mistake("missing keepdims", "`x.max(axis=axis)` drops the reduced axis, so `x - m` no "
            "longer lines up; take `m = x.max(axis=axis, keepdims=True)`, and drop that axis "
            "at the end unless `keepdims`", _no_keepdims),
    Mistake("keepdims ignored", "honour `keepdims`: keep the reduced axis with length 1 only "
            "when it is True", lambda x, axis=-1, keepdims=False: logsumexp(
                x, axis=axis, keepdims=not keepdims)),
    Mistake("squeeze without an axis", "`np.squeeze(out)` with no axis also removes other "
            "axes of length 1; squeeze only the reduced one: `np.squeeze(out, axis=axis)`",
            _squeezed),
    Mistake("max returned", "you returned the plain maximum; logsumexp also adds "
            "`log(sum(exp(x - max)))`", lambda x, axis=-1, keepdims=False: np.max(
                x, axis=axis, keepdims=keepdims)),
)

EXERCISE = Exercise(
    id="logsumexp", title="The smooth maximum, computed stably", function_name="my_logsumexp",
    notebook="ex04_stability.ipynb", place=2, contract=CONTRACT, reference=reference,
    visible=visible, hidden=hidden, mistakes=MISTAKES,
)
