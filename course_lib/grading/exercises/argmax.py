"""Exercise ``argmax``: the index of the first maximum along an axis (lesson 02)."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.functions import argmax
from course_lib.grading.cases import arr, below, huge_rows, masked, tied
from course_lib.grading.mistakes import MUTATED, SENTINELS
from course_lib.grading.model import Case, Exercise, Mistake

CONTRACT = """\
`x` is an array or a (nested) list of numbers with at least one axis, `-inf` and huge
magnitudes included (a whole row may lie below 0, below -1e4 or near -1e300); `axis` is any
valid axis. The result has the shape of `x` without `axis` (other axes stay, even those of
length 1) and holds **integers**, as `np.argmax` returns them: float indices are refused.
Ties go to the first maximum."""


def reference(x: Any, axis: int = -1) -> np.ndarray:
    return argmax(x, axis=axis)


def visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case("a vector", (arr(rng, (6,)),)),
        Case("a batch of rows, axis=-1", (arr(rng, (4, 5)),)),
        Case("a batch, axis=0", (arr(rng, (5, 3)),), {"axis": 0}),
        Case("a 3-D batch, axis=1", (arr(rng, (2, 4, 3)),), {"axis": 1}),
        Case("ties (the first maximum wins)", (tied(rng, (4, 5)),)),
        Case("a list of ints", (rng.integers(-9, 10, 7).tolist(),)),
        Case("a length-1 axis that is not reduced", (arr(rng, (3, 1, 4)),)),
        Case("rows entirely below 0, below -1e4 and near -1e300", (below(rng, (4, 5)),)),
    ]


def hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case("a float32 batch", (arr(rng, (5, 4)).astype(np.float32),)),
        Case("-inf entries", (masked(rng, (3, 5)),)),
        Case("ties along axis 0 of a 3-D array", (tied(rng, (4, 2, 3), 0),), {"axis": 0}),
        Case("magnitudes near 1e300", (huge_rows(rng, (3, 4)),)),
        Case("a square batch, axis=0", (arr(rng, (4, 4)),), {"axis": 0}),
        Case("axis=-2 of a 3-D array", (arr(rng, (3, 4, 2)),), {"axis": -2}),
        Case("length-1 axes around the reduced one", (arr(rng, (1, 4, 1)),), {"axis": 1}),
        Case("a list of lists", (arr(rng, (2, 3)).round(2).tolist(),)),
        Case("columns entirely below 0, below -1e4 and near -1e300, axis=0",
             (below(rng, (5, 2, 3), 0),), {"axis": 0}),
    ]


def _last_of_ties(x: Any, axis: int = -1) -> np.ndarray:
    x = np.asarray(x)
    return x.shape[axis] - 1 - np.argmax(np.flip(x, axis=axis), axis=axis)


def _started_from(sentinel: float):  # noqa: ANN202
    def loop(x: Any, axis: int = -1) -> np.ndarray:  # best, i = sentinel, 0; if v > best: ...
        x = np.asarray(x)
        return np.where(np.max(x, axis=axis) > sentinel, np.argmax(x, axis=axis), 0)

    return loop


# the last sentinel, -1.8e308, is below every finite entry: started there, argmax is right
_LOOPS = tuple(_started_from(s) for s in SENTINELS[:-1])

MISTAKES = (
    MUTATED,
    Mistake("ties go to the last", "with ties the first maximum wins; yours picked a later "
            "one (`np.argmax` already takes the first)", _last_of_ties),
    Mistake("max returned", "you returned the largest values, not their positions",
            lambda x, axis=-1: np.max(np.asarray(x), axis=axis)),
    Mistake("flat index", "you returned one index into the flattened array; pass `axis=axis` "
            "to get one index per slice", lambda x, axis=-1: np.argmax(np.asarray(x))),
    Mistake("wrong axis", "you searched along the wrong axis; use `axis`",
            lambda x, axis=-1: np.argmax(np.asarray(x), axis=0)),
    Mistake("squeeze without an axis", "`squeeze()` with no axis also removes other axes of "
            "length 1; keep them",
            lambda x, axis=-1: np.squeeze(np.argmax(np.asarray(x), axis=axis))),
    Mistake("loop started from a fixed value", "the slices whose entries all lie below your "
            "loop's starting value (like 0 or -9999) kept index 0; start from the slice's first "
            "entry (or from `-np.inf`), or use `np.argmax(x, axis=axis)`",
            _LOOPS[0], also=_LOOPS[1:]),
    Mistake("float indices", "indices are integers (`np.argmax` gives int64); do not turn "
            "them into floats", dtype=True),
)

EXERCISE = Exercise(
    id="argmax", title="The index of the maximum", function_name="my_argmax",
    notebook="ex02_argmax_one_hot.ipynb", place=1, contract=CONTRACT, reference=reference,
    visible=visible, hidden=hidden, mistakes=MISTAKES, returns="indices",
)
