"""Exercise ``softmax_axis``: softmax along any axis (lesson 03)."""

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
`x` is an array or a (nested) list with any number of axes; `axis` is any valid axis,
negative ones included. The result has the shape of `x` and sums to 1 along `axis`, `-inf`
entries get probability exactly 0, and dtypes are as in `my_softmax` (float32 in: float32 or
float64 out). The checks include columns far apart and columns spanning 1600, so shift by
the maximum **along `axis`**."""


def reference(x: Any, axis: int = -1) -> np.ndarray:
    return softmax(x, axis=axis)


def visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case("axis=-1", (arr(rng, (3, 5)),), {"axis": -1}),
        Case("axis=0", (arr(rng, (4, 3)),), {"axis": 0}),
        Case("a square batch, axis=0", (arr(rng, (4, 4)),), {"axis": 0}),
        Case("3-D, axis=1", (arr(rng, (2, 4, 3)),), {"axis": 1}),
        Case("columns far apart (near +1000 and -1000), axis=0", (far(rng, (3, 4), 0),),
             {"axis": 0}, required=True),
        Case("columns spanning 800 or 1600, axis=0", (wide(rng, (4, 2), 0),), {"axis": 0}),
        Case("-inf masks along axis 0 (their probability must be exactly 0)",
             (np.ascontiguousarray(masked(rng, (4, 5)).T),), {"axis": 0}),
    ]


def hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case("3-D, axis=0", (arr(rng, (3, 2, 4)),), {"axis": 0}),
        Case("float32, axis=0", (arr(rng, (5, 2)).astype(np.float32),), {"axis": 0}),
        Case("1-D, axis=0", (arr(rng, (6,)),), {"axis": 0}),
        Case("ints, axis=0", (rng.integers(-5, 6, (4, 3)),), {"axis": 0}),
        Case("a list of lists, axis=-2", (arr(rng, (3, 2)).round(2).tolist(),), {"axis": -2}),
        Case("3-D far apart and wide, axis=1",
             (wide(rng, (2, 4, 2), 1) + far(rng, (2, 4, 2), 1, 3000.0),), {"axis": 1}),
        Case("-inf masks, axis=-1", (masked(rng, (3, 4)),), {"axis": -1}),
        Case("columns far below 0 (near -5e4 and -1e300), axis=0",
             (below(rng, (5, 4), 0),), {"axis": 0}),
    ]


MISTAKES = (MUTATED, WHOLE_BATCH_SUM, AXIS_IGNORED, WRONG_AXIS, MISSING_KEEPDIMS,
            LOG_PROBABILITIES, HARDMAX, EXP_FORGOTTEN, SIGMOID, *SHIFT_MISTAKES)

EXERCISE = Exercise(
    id="softmax_axis", title="Softmax along any axis", function_name="my_softmax_axis",
    notebook="ex03_softmax.ipynb", place=2, contract=CONTRACT, reference=reference,
    visible=visible, hidden=hidden, mistakes=MISTAKES,
)
