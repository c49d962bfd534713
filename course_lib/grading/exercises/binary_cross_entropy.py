"""Exercise ``binary_cross_entropy``: the loss of independent sigmoids (lesson 06b)."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.functions import log_softmax, sigmoid
from course_lib.grading.cases import arr
from course_lib.grading.mistakes import MUTATED, as_float, quiet
from course_lib.grading.model import Case, Exercise, Mistake
from course_lib.lessons.multilabel import binary_cross_entropy

CONTRACT = """\
`logits` is an `(n, K)` array or list of lists of finite numbers (float64 or float32, as
large as ±1e4); `targets` has the same shape and holds 0s and 1s (ints, floats or bools).
The result is one number, the mean over all `n · K` entries: a Python float, a NumPy scalar
or a 0-d array, float64, or for float32 logits float32 or float64."""


def reference(logits: Any, targets: Any) -> np.ndarray:
    return binary_cross_entropy(logits, targets)


def independent(logits: Any, targets: Any) -> float:
    """SciPy's log-sigmoid, term by term (for the test suite only)."""
    from scipy.special import log_expit

    z = np.asarray(logits, dtype=np.float64)
    t = np.asarray(targets, dtype=np.float64)
    return float(-np.mean(t * log_expit(z) + (1 - t) * log_expit(-z)))


def labels(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """0/1 targets, about half of them 1."""
    return (rng.random(shape) < 0.5).astype(np.int64)


def visible(rng: np.random.Generator) -> list[Case]:
    wrong_t = labels(rng, (3, 4))
    wrong_z = np.where(wrong_t == 1, -800.0, 800.0) + arr(rng, (3, 4), 1.0)
    return [
        Case("4 samples, 3 labels", (arr(rng, (4, 3)), labels(rng, (4, 3)))),
        Case("one sample, 5 labels", (arr(rng, (1, 5)), labels(rng, (1, 5)))),
        Case("several labels on at once", (arr(rng, (3, 4)), np.ones((3, 4), dtype=int))),
        Case("confident and wrong (logits near ±800)", (wrong_z, wrong_t), required=True),
        Case("float targets", (arr(rng, (2, 6)), labels(rng, (2, 6)).astype(float))),
    ]


def hidden(rng: np.random.Generator) -> list[Case]:
    big = arr(rng, (3, 3), 1.0) + np.where(rng.random((3, 3)) < 0.5, 1e4, -1e4)
    return [
        Case("logits near ±1e4", (big, labels(rng, (3, 3)))),
        Case("float32 logits", (arr(rng, (5, 4)).astype(np.float32), labels(rng, (5, 4)))),
        Case("lists", (arr(rng, (2, 3)).round(2).tolist(), labels(rng, (2, 3)).tolist())),
        Case("no label on", (arr(rng, (4, 2)), np.zeros((4, 2), dtype=int))),
        Case("bool targets, a big batch", (arr(rng, (64, 6)), labels(rng, (64, 6)) > 0)),
        Case("confident and right (logits near ±50)",
             (np.where(labels(rng, (3, 5)) > 0, 50.0, -50.0), np.ones((3, 5), dtype=int))),
    ]


def _t(targets: Any) -> np.ndarray:
    return np.asarray(targets, dtype=np.float64)


@quiet
def _log_of_sigmoid(z: Any, t: Any) -> np.ndarray:
    p = sigmoid(as_float(z))
    return -np.mean(_t(t) * np.log(p) + (1 - _t(t)) * np.log(1 - p))


@quiet
def _softmax_over_labels(z: Any, t: Any) -> np.ndarray:
    logp = log_softmax(as_float(z), axis=-1)
    return -np.mean(np.sum(_t(t) * logp, axis=-1))


MISTAKES = (
    MUTATED,
    Mistake("log of the sigmoid", "`np.log(sigmoid(z))` and `np.log(1 - sigmoid(z))` hit "
            "log(0) for large logits; use `max(z, 0) - z * t + log1p(exp(-abs(z)))`, which "
            "never overflows", _log_of_sigmoid),
    Mistake("softmax over the labels", "the labels are independent yes/no questions: one "
            "sigmoid per entry, not a softmax across the labels of a sample",
            _softmax_over_labels),
    Mistake("summed over the labels", "the mean runs over all `n · K` entries; you summed "
            "over the labels of each sample and averaged over the samples",
            lambda z, t: binary_cross_entropy(z, t) * np.shape(z)[-1]),
    Mistake("sum instead of mean", "return the mean over all entries, not their sum",
            lambda z, t: binary_cross_entropy(z, t) * np.size(z)),
    Mistake("targets swapped", "a target of 1 pays `-log sigmoid(z)`, a target of 0 pays "
            "`-log(1 - sigmoid(z))`; yours are the other way round",
            lambda z, t: binary_cross_entropy(z, 1 - _t(t))),
    Mistake("sign flipped", "the loss is minus the mean log-likelihood, so it is never "
            "negative", lambda z, t: -binary_cross_entropy(z, t)),
)

EXERCISE = Exercise(
    id="binary_cross_entropy", title="Binary cross-entropy for several labels",
    function_name="my_binary_cross_entropy", notebook="ex07_training.ipynb", place=2,
    contract=CONTRACT, reference=reference, visible=visible, hidden=hidden, mistakes=MISTAKES,
)
