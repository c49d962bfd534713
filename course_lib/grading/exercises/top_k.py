"""Exercise ``top_k``: keep the k largest logits of each row, ties included (lesson 08)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.functions import softmax
from course_lib.grading.cases import arr
from course_lib.grading.mistakes import MUTATED, quiet
from course_lib.grading.model import Case, Exercise, Mistake
from course_lib.lessons.sampling import top_k_filter

CONTRACT = """\
`logits` is an array of shape `(..., K)` (1-D, 2-D or more; float64 or float32) or a list
of lists; it may hold `-inf`, and rows may be as far apart as `±1e300`. `k` is an integer
`>= 1`; `k >= K` keeps every token. The result is a **new** array of the logits' shape (do
not change the one you are given): float64, or for float32 logits float32 or float64."""


def reference(logits: Any, k: int) -> np.ndarray:
    return top_k_filter(logits, k)


def visible(rng: np.random.Generator) -> list[Case]:
    ties = rng.integers(0, 2, (5, 6)).astype(float)  # 0s and 1s ...
    ties[:, rng.permutation(6)[:4]] = [3.0, 2.0, 2.0, 2.0]  # ... one 3 and three 2s a row
    return [
        Case("a vector, k=2", (arr(rng, (6,)), 2)),
        Case("a batch of rows, k=3", (arr(rng, (4, 7)), 3)),
        Case("k=1 (greedy)", (arr(rng, (3, 5)), 1)),
        Case("ties at the k-th value, k=2", (ties, 2)),
        Case("k equal to the vocabulary", (arr(rng, (2, 4)), 4)),
        Case("k larger than the number of classes (k=7, 5 classes)", (arr(rng, (3, 5)), 7)),
    ]


def hidden(rng: np.random.Generator) -> list[Case]:
    masked = arr(rng, (3, 6))
    masked[:, :4] = -np.inf  # two finite logits per row, k = 3
    top_tie = arr(rng, (4, 5))
    top_tie[:, 1] = top_tie[:, 3] = top_tie.max(axis=1) + 1.0
    return [
        Case("k larger than the vocabulary", (arr(rng, (3, 4)), 9)),
        Case("float32, k=2", (arr(rng, (4, 6)).astype(np.float32), 2)),
        Case("a 3-D batch, k=2", (arr(rng, (2, 3, 5)), 2)),
        Case("-inf already there, k=3", (masked, 3)),
        Case("two tokens tie at the top, k=1", (top_tie, 1)),
        Case("rows far apart (1e300 and -1e300), k=2",
             (np.stack([arr(rng, (5,), 1e299) + 1e300, arr(rng, (5,), 1e299) - 1e300]), 2)),
        Case("a list of lists, k=2", (arr(rng, (3, 4)).round(1).tolist(), 2)),
    ]


def _kth(x: Any, k: int, axis: int | None = -1, offset: int = 0) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if axis is None:
        return np.sort(a, axis=None)[::-1][min(k - 1 + offset, a.size - 1)]
    s = -np.sort(-a, axis=axis)
    return np.take(s, [min(max(k - 1 + offset, 0), a.shape[axis] - 1)], axis=axis)


def _thresholded(offset: int = 0, axis: int | None = -1,
                 fill: float = -np.inf) -> Callable[..., np.ndarray]:
    @quiet
    def f(x: Any, k: int) -> np.ndarray:
        a = np.asarray(x, dtype=float)
        return np.where(a >= _kth(a, k, axis, offset), a, fill)

    return f


def _exactly_k(last: bool) -> Callable[..., np.ndarray]:
    @quiet
    def f(x: Any, k: int) -> np.ndarray:
        a = np.asarray(x, dtype=float)
        if last:  # argsort ascending, take the end: the last of the tied tokens win
            order = np.argsort(a, axis=-1, kind="stable")[..., max(a.shape[-1] - k, 0):]
        else:  # argsort of -x: the first of the tied tokens win
            order = np.argsort(-a, axis=-1, kind="stable")[..., :k]
        keep = np.zeros(a.shape, dtype=bool)
        np.put_along_axis(keep, order, True, axis=-1)
        return np.where(keep, a, -np.inf)

    return f


def _no_min(x: Any, k: int) -> np.ndarray:
    z = np.asarray(x, dtype=float)
    kth = -np.sort(-z, axis=-1)[..., k - 1 : k]  # empty when k > K
    return np.where(z >= kth, z, -np.inf)


def _smallest(capped: bool) -> Callable[..., np.ndarray]:
    @quiet
    def f(x: Any, k: int) -> np.ndarray:
        a = np.asarray(x, dtype=float)
        k = min(k, a.shape[-1]) if capped else k
        return np.where(a <= np.take(np.sort(a, axis=-1), [k - 1], axis=-1), a, -np.inf)

    return f


TIES = ("you kept exactly k tokens (an argsort cut), so a token that ties with the k-th "
        "largest logit was dropped; keep every logit >= the k-th largest value of its row")

MISTAKES = (
    MUTATED,
    Mistake("ties broken", TIES, _exactly_k(last=False)),
    Mistake("ties broken (the last ones kept)", TIES, _exactly_k(last=True)),
    Mistake("one token too many", "you kept k + 1 tokens: the k-th largest value is at "
            "position k - 1 of the row sorted in descending order", _thresholded(offset=1)),
    Mistake("one token too few", "you kept k - 1 tokens: the k-th largest value is at "
            "position k - 1 of the row sorted in descending order, and it stays",
            _thresholded(offset=-1)),
    Mistake("zeros instead of -inf", "you wrote 0 over the dropped logits, but a logit of 0 "
            "still gets probability from softmax; write -inf (`-np.inf`), which gets exactly 0",
            _thresholded(fill=0.0)),
    Mistake("probabilities returned", "you returned softmax of the kept logits; the function "
            "returns the logits themselves, with -inf where a token is dropped",
            quiet(lambda x, k: softmax(top_k_filter(x, k)))),
    Mistake("whole-batch threshold", "you took the k-th largest value of the whole batch; each "
            "row (the last axis) keeps its own k largest: sort along `axis=-1` and keep the "
            "dims (`keepdims`, or `[..., k-1:k]`)", _thresholded(axis=None)),
    Mistake("k larger than the number of classes", "when `k` is larger than the number of "
            "classes K, the slice `[..., k - 1 : k]` is empty; take `k = min(k, z.shape[-1])` "
            "first (`k >= K` keeps every token)", _no_min),
    Mistake("smallest kept", "you kept the k smallest logits; top-k keeps the largest (sort in "
            "descending order, or take from the end of an ascending sort)", _smallest(capped=True),
            also=(_smallest(capped=False),)),
)

EXERCISE = Exercise(
    id="top_k", title="Top-k: keep the k largest logits of each row", function_name="my_top_k",
    notebook="ex06_language_model.ipynb", place=2, contract=CONTRACT, reference=reference,
    visible=visible, hidden=hidden, mistakes=MISTAKES,
)
