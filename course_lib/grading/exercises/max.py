"""Exercise ``max``: the largest entry along an axis (lesson 01)."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.grading.cases import arr, below, masked
from course_lib.grading.mistakes import MUTATED, SENTINELS
from course_lib.grading.model import Case, Exercise, Mistake

CONTRACT = """\
`x` is an array or a (nested) list of numbers with at least one axis; it may hold `-inf`,
and a whole row may lie below 0, below -1e4 or near -1e300. `axis` is any valid axis,
negative ones included. The result has the shape of `x` without `axis` (other axes stay,
even those of length 1) and the numbers of `x`: ints stay ints (a float result for ints is
accepted too)."""


def reference(x: Any, axis: int = -1) -> np.ndarray:
    return np.max(np.asarray(x), axis=axis)


def visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case("a vector", (arr(rng, (6,)),)),
        Case("a batch of rows, axis=-1", (arr(rng, (4, 5)),)),
        Case("a batch, axis=0", (arr(rng, (5, 3)),), {"axis": 0}),
        Case("a 3-D batch, axis=1", (arr(rng, (2, 4, 3)),), {"axis": 1}),
        Case("a list of ints", (rng.integers(-9, 10, 7).tolist(),)),
        Case("a length-1 axis that is not reduced", (arr(rng, (3, 1, 4)),)),
        Case("rows entirely below 0, below -1e4 and near -1e300", (below(rng, (4, 5)),)),
    ]


def hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case("a float32 batch", (arr(rng, (5, 4)).astype(np.float32),)),
        Case("-inf entries", (masked(rng, (3, 5)),)),
        Case("magnitudes near 1e300", (arr(rng, (3, 4), 1e300),)),
        Case("a square batch, axis=0", (arr(rng, (4, 4)),), {"axis": 0}),
        Case("axis=-2 of a 3-D array", (arr(rng, (3, 4, 2)),), {"axis": -2}),
        Case("length-1 axes around the reduced one", (arr(rng, (1, 4, 1)),), {"axis": 1}),
        Case("a list of lists", (arr(rng, (2, 3)).round(2).tolist(),)),
        Case("columns entirely below 0, below -1e4 and near -1e300, axis=0",
             (below(rng, (5, 2, 3), 0),), {"axis": 0}),
        Case("a row of only -inf", (np.vstack([arr(rng, (2, 4)), np.full((1, 4), -np.inf)]),)),
    ]


def _started_from(sentinel: float):  # noqa: ANN202
    def loop(x: Any, axis: int = -1) -> np.ndarray:  # best = sentinel; best = max(best, v)
        return np.maximum(np.max(np.asarray(x), axis=axis), sentinel)

    return loop


_LOOPS = tuple(_started_from(s) for s in SENTINELS)


MISTAKES = (
    MUTATED,
    Mistake("whole-array maximum", "you took the maximum of the whole array; pass `axis=axis` "
            "to reduce only that axis", lambda x, axis=-1: np.max(np.asarray(x))),
    Mistake("wrong axis", "you reduced the wrong axis; use the `axis` argument",
            lambda x, axis=-1: np.max(np.asarray(x), axis=0)),
    Mistake("missing axis removal (keepdims)", "your result kept the reduced axis with "
            "length 1; return it without (keepdims=False)",
            lambda x, axis=-1: np.max(np.asarray(x), axis=axis, keepdims=True)),
    Mistake("squeeze without an axis", "`squeeze()` with no axis also removes other axes of "
            "length 1; reduce with `axis=axis` and keep the rest",
            lambda x, axis=-1: np.squeeze(np.max(np.asarray(x), axis=axis, keepdims=True))),
    Mistake("argmax returned", "you returned where the maximum is (argmax), not the maximum "
            "itself", lambda x, axis=-1: np.argmax(np.asarray(x), axis=axis)),
    Mistake("loop started from a fixed value", "some slices came out as your loop's starting "
            "value (like 0 or -9999), because every entry of those slices is below it; start "
            "from the slice's first entry (or from `-np.inf`), or use `np.max(x, axis=axis)`",
            _LOOPS[0], also=_LOOPS[1:]),
)

EXERCISE = Exercise(
    id="max", title="The maximum along an axis", function_name="my_max",
    notebook="ex01_max.ipynb", place=1, contract=CONTRACT, reference=reference,
    visible=visible, hidden=hidden, mistakes=MISTAKES,
)
