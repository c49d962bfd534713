"""Exercise ``calibration_error``: the expected calibration error (lesson 07)."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.functions import softmax
from course_lib.grading.cases import arr
from course_lib.grading.mistakes import MUTATED
from course_lib.grading.model import Case, Exercise, Mistake
from course_lib.lessons.calibration import expected_calibration_error

CONTRACT = """\
`probs` is an `(n, K)` array or list of lists of float64 probabilities, each row summing
to 1; `labels` holds the `n` true classes (ints); `n_bins` is an int of at least 1. A
prediction is its row's most probable class (the first one on ties) and its confidence that
probability. Bin `b` holds the confidences in `(b / n_bins, (b + 1) / n_bins]` (bin 0 also
holds 0). The result is one number, `sum over bins of (count / n) · |accuracy − mean
confidence|` (empty bins add nothing): a float, a NumPy scalar or a 0-d array, float64."""


def reference(probs: Any, labels: Any, n_bins: int = 10) -> np.ndarray:
    return np.asarray(expected_calibration_error(probs, labels, n_bins))


def independent(probs: Any, labels: Any, n_bins: int = 10) -> float:
    """The definition, one prediction at a time with exact fractions for the bin edges (for
    the test suite only)."""
    from fractions import Fraction

    rows = [list(map(float, r)) for r in np.asarray(probs, dtype=float)]
    bins: dict[int, list[tuple[float, bool]]] = {}
    for row, label in zip(rows, np.asarray(labels).tolist(), strict=True):
        conf = max(row)
        pred = row.index(conf)
        c = Fraction(conf)
        b = next(i for i in range(n_bins) if c <= Fraction(i + 1, n_bins))
        bins.setdefault(b, []).append((conf, pred == label))
    total = sum(len(v) for v in bins.values())
    return sum(len(v) / total * abs(sum(ok for _, ok in v) / len(v)
                                    - sum(c for c, _ in v) / len(v)) for v in bins.values())


def predictions(rng: np.random.Generator, n: int, k: int, sharp: float = 2.0,
                right: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    """``(probs, labels)``: softmax of random logits, the label the argmax a share
    ``right`` of the time."""
    probs = softmax(arr(rng, (n, k), sharp))
    pred = probs.argmax(axis=1)
    labels = np.where(rng.random(n) < right, pred, rng.integers(0, k, n))
    return probs, labels


def on_edges(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Six rows whose confidences are exactly 0.5, 0.75 or 1 (edges of 2 and 4 bins), right
    and wrong so that moving an edge case into the next bin changes the error."""
    rows = [([0.75, 0.25, 0.0], True), ([0.75, 0.0, 0.25], True), ([1.0, 0.0, 0.0], False),
            ([0.5, 0.25, 0.25], True), ([0.5, 0.25, 0.25], True), ([0.5, 0.25, 0.25], False)]
    probs, labels = [], []
    for k in rng.permutation(len(rows)):
        row, right = rows[k]
        shift = int(rng.integers(0, 3))  # which class is predicted
        probs.append(np.roll(row, shift))
        labels.append(shift if right else (shift + 1) % 3)
    return np.array(probs), np.array(labels)


def visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case("twenty predictions, 10 bins", (*predictions(rng, 20, 3), 10)),
        Case("5 bins", (*predictions(rng, 30, 4), 5)),
        Case("confidences exactly on the edges of 4 bins", (*on_edges(rng), 4)),
        Case("an over-confident model", (*predictions(rng, 40, 3, sharp=6.0, right=0.5),
                                         10)),
        Case("lists", tuple(v.tolist() if isinstance(v, np.ndarray) else v
                            for v in (*predictions(rng, 12, 3), 6))),
    ]


def hidden(rng: np.random.Generator) -> list[Case]:
    certain = np.eye(4)[rng.integers(0, 4, 10)]
    probs, labels = predictions(rng, 8, 2)
    probs[:3] = 0.5  # ties: the first class is the prediction
    return [
        Case("one bin", (*predictions(rng, 25, 3), 1)),
        Case("a certain model, always right", (certain, certain.argmax(axis=1), 10)),
        Case("ties in the largest probability", (probs, labels, 10)),
        Case("a thousand predictions, 15 bins", (*predictions(rng, 1000, 10, 3.0), 15)),
        Case("every prediction wrong", (lambda p: (p, (p.argmax(axis=1) + 1) % 3))(
            softmax(arr(rng, (12, 3)))) + (10,)),
        Case("edges of 2 bins", (*on_edges(rng), 2)),
    ]


def _parts(probs: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(probs, dtype=float)
    pred = p.argmax(axis=1)
    return p[np.arange(len(p)), pred], (pred == np.asarray(labels)).astype(float)


def _binned(conf: np.ndarray, n_bins: int, left_closed: bool = False) -> np.ndarray:
    if left_closed:
        return np.minimum(np.floor(conf * n_bins), n_bins - 1).astype(int)
    return np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)


def _ece(conf: np.ndarray, ok: np.ndarray, which: np.ndarray, n_bins: int,
         weighted: bool = True, signed: bool = False, empty_too: bool = False) -> float:
    gaps, weights = [], []
    for b in range(n_bins):
        inside = which == b
        if not inside.any():
            if empty_too:
                gaps.append(0.0)
                weights.append(0.0)
            continue
        gap = ok[inside].mean() - conf[inside].mean()
        gaps.append(gap if signed else abs(gap))
        weights.append(inside.mean())
    if weighted:
        return float(np.dot(weights, gaps))
    return float(np.mean(gaps))


def _variant(**how: Any) -> Any:
    left = how.pop("left_closed", False)
    fixed = how.pop("fixed_bins", None)
    true_class = how.pop("true_class", False)

    def variant(probs: Any, labels: Any, n_bins: int = 10) -> float:
        conf, ok = _parts(probs, labels)
        if true_class:
            conf = np.asarray(probs, dtype=float)[np.arange(len(conf)), np.asarray(labels)]
        bins = fixed or n_bins
        return _ece(conf, ok, _binned(conf, bins, left), bins, **how)

    return variant


MISTAKES = (
    MUTATED,
    Mistake("bins not weighted by their counts", "each bin's gap counts in proportion to "
            "the predictions in it: multiply by `count / n` and sum, do not average the bins",
            _variant(weighted=False)),
    Mistake("empty bins averaged in", "empty bins add nothing; averaging over all `n_bins` "
            "bins counts them as gaps of 0", _variant(weighted=False, empty_too=True)),
    Mistake("gaps not made absolute", "take `|accuracy - confidence|` in every bin: signed "
            "gaps of over- and under-confident bins cancel out", _variant(signed=True)),
    Mistake("bins closed on the left", "a confidence on a bin edge belongs to the bin below "
            "it, `(lo, hi]`: 0.5 with 4 bins is in bin 1, not bin 2 (try `np.ceil(conf * "
            "n_bins) - 1`, clipped at 0)", _variant(left_closed=True)),
    Mistake("confidence of the true class", "the confidence is the largest probability of "
            "the row (the predicted class's), not the probability of the true label",
            _variant(true_class=True)),
    Mistake("n_bins ignored", "use the `n_bins` argument; you always used 10 bins",
            _variant(fixed_bins=10)),
)

EXERCISE = Exercise(
    id="calibration_error", title="The expected calibration error",
    function_name="my_calibration_error", notebook="ex07_training.ipynb", place=3,
    contract=CONTRACT, reference=reference, visible=visible, hidden=hidden, mistakes=MISTAKES,
)
