"""Exercise ``stable_softmax``: a softmax that never overflows, along any axis (lesson 04)."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.functions import softmax
from course_lib.grading.cases import arr, below, far, masked, wide
from course_lib.grading.mistakes import (
    AXIS_IGNORED,
    EXP_FORGOTTEN,
    HARDMAX,
    LOG_PROBABILITIES,
    MISSING_KEEPDIMS,
    MUTATED,
    SHIFT_MISTAKES,
    SIGMOID,
    WHOLE_BATCH_SUM,
    WRONG_AXIS,
)
from course_lib.grading.model import Case, Exercise

CONTRACT = """\
`x` is an array or a (nested) list of any finite logits (±1e308 included), with `-inf`
entries as masks (probability exactly 0) but never a slice that is all `-inf`; `axis` is
any valid axis. The result has the shape of `x` and sums to 1 along `axis`, with no `nan`;
dtypes as in `my_softmax` (float32 in: float32 or float64 out)."""


def reference(x: Any, axis: int = -1) -> np.ndarray:
    return softmax(x, axis=axis)


def visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case("ordinary logits", (arr(rng, (3, 4)),)),
        Case("logits near 1000", (arr(rng, (3, 4)) + 1000.0,)),
        Case("rows far apart (near +1000 and -1000)", (far(rng, (2, 4)),)),
        Case("a vector like [1000, 5]", (np.array([1000.0, 5.0]) + rng.uniform(0, 1, 2),)),
        Case("rows spanning 800 or 1600", (wide(rng, (2, 4)),)),
        Case("a 3-D batch, axis=0", (arr(rng, (3, 2, 4)),), {"axis": 0}),
        Case("-inf masks (their probability must be exactly 0)", (masked(rng, (3, 5)),)),
    ]


def hidden(rng: np.random.Generator) -> list[Case]:
    mixed = arr(rng, (2, 5))
    mixed[0, :2] = [1e308, -1e308]
    return [
        Case("±1e308 in one row", (mixed,)),
        Case("-inf masks", (masked(rng, (3, 4)),)),
        Case("float32 near 100", ((arr(rng, (3, 5)) + 100).astype(np.float32),)),
        Case("logits near -1e4", (arr(rng, (2, 6)) - 1e4,)),
        Case("a 3-D batch near ±1e4, axis=0", (far(rng, (2, 3, 4), 0, 1e4),), {"axis": 0}),
        Case("columns spanning 800 or 1600, axis=0", (wide(rng, (4, 3), 0),), {"axis": 0}),
        Case("float32 rows far apart", (far(rng, (2, 3)).astype(np.float32),)),
        Case("ints near 1000", (rng.integers(995, 1005, (3, 4)),)),
        Case("a list with ties", ([[1000.0, 1000.0, 5.0], [-3.0, -3.0, -3.0]],)),
        Case("slices far below 0 (near -5e4 and -1e300), axis=1",
             (below(rng, (2, 5, 2), 1),), {"axis": 1}),
    ]


MISTAKES = (MUTATED, WHOLE_BATCH_SUM, AXIS_IGNORED, WRONG_AXIS, MISSING_KEEPDIMS,
            LOG_PROBABILITIES, HARDMAX, EXP_FORGOTTEN, SIGMOID, *SHIFT_MISTAKES)

EXERCISE = Exercise(
    id="stable_softmax", title="Softmax that never overflows", function_name="stable_softmax",
    notebook="ex04_stability.ipynb", place=1, contract=CONTRACT, reference=reference,
    visible=visible, hidden=hidden, mistakes=MISTAKES,
)
