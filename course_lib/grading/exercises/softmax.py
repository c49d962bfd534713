"""Exercise ``softmax``: softmax of a vector or of each row of a batch (lesson 03)."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.functions import softmax
from course_lib.grading.cases import arr, below, far, masked, tied, wide
from course_lib.grading.mistakes import (
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
`x` is a vector or a batch of rows (an array or a list, ints allowed); the classes lie
along the last axis, and `axis` keeps its default here (the next exercise honours it). The
result has the shape of `x`, each row sums to 1, and `-inf` entries get probability exactly 0. Its
dtype: float64 for float64, int or list input; for float32 input, float32 or float64 are
both accepted (so `np.asarray(x, float)` is fine), and judged at float32 precision. Logits
may be **huge**: the checks include rows near +1000 and −1000 in one batch and rows spanning
1600, so subtract each row's maximum before `np.exp`."""


def reference(x: Any, axis: int = -1) -> np.ndarray:
    return softmax(x, axis=axis)


def visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case("a vector", (arr(rng, (5,)),)),
        Case("a batch of rows", (arr(rng, (4, 6)),)),
        Case("a batch with one row", (arr(rng, (1, 4)),)),
        Case("a float32 batch", (arr(rng, (3, 5)).astype(np.float32),)),
        Case("a list", (arr(rng, (4,)).round(2).tolist(),)),
        Case("rows far apart (near +1000 and -1000)", (far(rng, (4, 5)),), required=True),
        Case("rows spanning 800 or 1600", (wide(rng, (2, 4)),)),
        Case("-inf masks (their probability must be exactly 0)", (masked(rng, (3, 5)),)),
    ]


def hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case("a 3-D batch", (arr(rng, (2, 3, 4)),)),
        Case("a square batch", (arr(rng, (5, 5)),)),
        Case("ints", (rng.integers(-5, 6, (3, 4)),)),
        Case("ties", (tied(rng, (4, 3)),)),
        Case("-inf masks", (masked(rng, (3, 4)),)),
        Case("a list of lists", (arr(rng, (2, 3)).round(3).tolist(),)),
        Case("a 3-D batch far apart and wide",
             (wide(rng, (2, 2, 4)) + far(rng, (2, 2, 4), gap=3000.0),)),
        Case("float32 rows far apart", (far(rng, (2, 3)).astype(np.float32),)),
        Case("rows far below 0 (near -5e4 and -1e300)", (below(rng, (4, 5)),)),
    ]


MISTAKES = (MUTATED, WHOLE_BATCH_SUM, WRONG_AXIS, MISSING_KEEPDIMS, LOG_PROBABILITIES, HARDMAX,
            EXP_FORGOTTEN, SIGMOID, *SHIFT_MISTAKES)

EXERCISE = Exercise(
    id="softmax", title="Softmax of a vector or a batch of rows", function_name="my_softmax",
    notebook="ex03_softmax.ipynb", place=1, contract=CONTRACT, reference=reference,
    visible=visible, hidden=hidden, mistakes=MISTAKES,
)
