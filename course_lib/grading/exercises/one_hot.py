"""Exercise ``one_hot``: one-hot rows for integer labels of any shape (lesson 02)."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.functions import one_hot
from course_lib.grading.mistakes import MUTATED
from course_lib.grading.model import Case, Exercise, Mistake

CONTRACT = """\
`labels` holds integers from `0` to `num_classes - 1`: a single int, a list, a nested list
or an array of **any shape**; `num_classes` is at least 1. The result has shape
`np.shape(labels) + (num_classes,)` and holds float64, as `np.eye` makes them (integers,
booleans, float32 and float16 are refused)."""


def reference(labels: Any, num_classes: int) -> np.ndarray:
    return one_hot(labels, num_classes)


def visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case("labels 0..2", (rng.permutation(np.arange(5) % 3), 3)),
        Case("a batch of labels", (rng.integers(0, 4, 8), 4)),
        Case("classes missing from the batch", (rng.integers(0, 3, 5), 6)),
        Case("a 2-D array of labels", (rng.integers(0, 5, (3, 4)), 5)),
    ]


def hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case("a 3-D array of labels", (rng.integers(0, 4, (2, 3, 2)), 4)),
        Case("a list", (rng.integers(0, 10, 6).tolist(), 10)),
        Case("a list of lists", (rng.integers(0, 3, (2, 4)).tolist(), 3)),
        Case("a single label (an int)", (int(rng.integers(0, 5)), 5)),
        Case("one class", (np.zeros(4, dtype=int), 1)),
    ]


MISTAKES = (
    MUTATED,
    Mistake("num_classes ignored", "you used `max(labels) + 1` classes; the caller's "
            "`num_classes` decides, even if some classes are missing",
            lambda labels, k: one_hot(labels)),
    Mistake("labels shifted by one", "label 0 is the first class: row `labels[i]` of the "
            "identity, with no `- 1` or `+ 1`",
            lambda labels, k: np.eye(k)[np.asarray(labels) - 1]),
    Mistake("transposed", "your result has the classes on the first axis; put them on a new "
            "last axis: shape labels.shape + (num_classes,)",
            lambda labels, k: np.moveaxis(one_hot(labels, k), -1, 0)),
    Mistake("wrong dtype", "return float64 (`np.eye(num_classes)[labels]` is float64), not "
            "integers, booleans or a lower precision such as float16", dtype=True),
)

EXERCISE = Exercise(
    id="one_hot", title="One-hot encoding", function_name="my_one_hot",
    notebook="ex02_argmax_one_hot.ipynb", place=2, contract=CONTRACT, reference=reference,
    visible=visible, hidden=hidden, mistakes=MISTAKES, returns="float64",
    shape_hint="the result has shape `labels.shape + (num_classes,)`, and labels may come in "
               "any shape, not only as a 1-D list: `np.eye(num_classes)[labels]` handles "
               "every shape",
)
