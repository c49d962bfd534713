"""Exercise ``confusion_matrix``: where a classifier errs (lesson 06b)."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.grading.mistakes import MUTATED
from course_lib.grading.model import Case, Exercise, Mistake
from course_lib.lessons.diagnostics import confusion_matrix

CONTRACT = """\
`y_true` and `y_pred` hold the same number `n` of integer class labels (arrays or lists,
`n` at least 1), each from `0` to `num_classes - 1`; some classes may never occur. The
result is an integer array of shape `(num_classes, num_classes)` whose entry `[i, j]`
counts the samples of true class `i` predicted as class `j`."""


def reference(y_true: Any, y_pred: Any, num_classes: int) -> np.ndarray:
    return confusion_matrix(y_true, y_pred, num_classes)


def independent(y_true: Any, y_pred: Any, num_classes: int) -> np.ndarray:
    """scikit-learn's confusion matrix over every class (for the test suite only)."""
    from sklearn.metrics import confusion_matrix as sk_confusion_matrix

    return sk_confusion_matrix(y_true, y_pred, labels=list(range(num_classes)))


def predictions(rng: np.random.Generator, n: int, k: int, right: float = 0.7
                ) -> tuple[np.ndarray, np.ndarray, int]:
    """``(y_true, y_pred, k)``: ``n`` labels, a share ``right`` of them predicted right."""
    t = rng.integers(0, k, n)
    p = np.where(rng.random(n) < right, t, rng.integers(0, k, n))
    return t, p, k


def visible(rng: np.random.Generator) -> list[Case]:
    t, p, _ = predictions(rng, 12, 3)
    t[:4], p[:4] = 2, 0  # one (true, predicted) pair four times
    return [
        Case("twelve samples of 3 classes, one mistake repeated", (t, p, 3), required=True),
        Case("ten classes, a hundred samples", predictions(rng, 100, 10)),
        Case("a class that is never predicted", (np.array([0, 1, 2, 2, 1]),
                                                 rng.permutation([0, 1, 1, 1, 0]), 3)),
        Case("lists", tuple(a.tolist() if isinstance(a, np.ndarray) else a
                            for a in predictions(rng, 9, 4))),
        Case("a class missing from both", (rng.integers(0, 3, 8), rng.integers(0, 3, 8), 5)),
    ]


def hidden(rng: np.random.Generator) -> list[Case]:
    t = rng.integers(0, 4, 30)
    return [
        Case("every prediction right", (t, t.copy(), 4)),
        Case("everything predicted as one class", (rng.integers(0, 5, 20),
                                                  np.full(20, 3), 5)),
        Case("one sample", (np.array([int(rng.integers(0, 3))]),
                            np.array([int(rng.integers(0, 3))]), 3)),
        Case("int32 labels, a thousand samples", tuple(
            a.astype(np.int32) if isinstance(a, np.ndarray) else a
            for a in predictions(rng, 1000, 7, 0.5))),
        Case("true and predicted swapped often (two classes)", predictions(rng, 40, 2, 0.3)),
        Case("lists with repeats", tuple(a.tolist() if isinstance(a, np.ndarray) else a
                                         for a in predictions(rng, 25, 3, 0.2))),
    ]


def _once_per_pair(y_true: Any, y_pred: Any, k: int) -> np.ndarray:
    counts = np.zeros((k, k), dtype=np.int64)
    counts[np.asarray(y_true), np.asarray(y_pred)] += 1  # a repeated pair counts once
    return counts


def _classes_seen(y_true: Any, y_pred: Any, k: int) -> np.ndarray:
    seen = int(max(np.max(y_true), np.max(y_pred))) + 1
    return confusion_matrix(y_true, y_pred, seen)


MISTAKES = (
    MUTATED,
    Mistake("a repeated pair counted once", "`counts[y_true, y_pred] += 1` adds 1 only once "
            "for a (true, predicted) pair that occurs several times; use "
            "`np.add.at(counts, (y_true, y_pred), 1)` or a loop", _once_per_pair),
    Mistake("transposed", "rows are the true classes and columns the predictions: entry "
            "`[i, j]` counts true class `i` predicted as `j`",
            lambda t, p, k: confusion_matrix(t, p, k).T),
    Mistake("num_classes ignored", "the matrix has `num_classes` rows and columns even when "
            "some classes never occur; do not count the classes from the labels",
            _classes_seen),
    Mistake("only the right answers counted", "count every sample, the mistakes too: each "
            "one adds 1 to row `y_true`, column `y_pred`",
            lambda t, p, k: np.diag(np.diag(confusion_matrix(t, p, k)))),
    Mistake("rows normalised", "return the counts themselves (integers), not the share of "
            "each row", lambda t, p, k: confusion_matrix(t, p, k) / np.maximum(
                confusion_matrix(t, p, k).sum(axis=1, keepdims=True), 1)),
)

EXERCISE = Exercise(
    id="confusion_matrix", title="The confusion matrix", function_name="my_confusion_matrix",
    notebook="ex07_training.ipynb", place=1, contract=CONTRACT, reference=reference,
    visible=visible, hidden=hidden, mistakes=MISTAKES, returns="indices",
)
