"""Exercise ``cross_entropy``: the mean cross-entropy from logits and labels (lesson 05)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.functions import log_softmax, softmax
from course_lib.grading.cases import arr, below, far, labelled, masked_wrong, wide
from course_lib.grading.mistakes import MUTATED, naive_softmax
from course_lib.grading.model import Case, Exercise, Mistake
from course_lib.losses import cross_entropy

CONTRACT = """\
`logits` is an `(n, K)` array or list of lists (float64 or float32, with `-inf` allowed on
wrong classes, rows as far apart as you like); `targets` is an array or list of `n` integers
from `0` to `K - 1`. The result is one number (a Python float, a NumPy scalar or a 0-d
array): float64, or for float32 logits float32 or float64."""


def reference(logits: Any, targets: Any) -> np.ndarray:
    return cross_entropy(logits, targets)


def visible(rng: np.random.Generator) -> list[Case]:
    confident = arr(rng, (3, 4))
    labels = rng.integers(0, 4, 3)
    confident[np.arange(3), (labels + 1) % 4] += 800.0  # confidently wrong
    return [
        Case("a batch of 5", labelled(rng, 5, 4)),
        Case("a batch of 8, 3 classes", labelled(rng, 8, 3)),
        Case("one sample", labelled(rng, 1, 5)),
        Case("confident and wrong (logit gaps of 800)", (confident, labels), required=True),
        Case("rows far apart (near +1000 and -1000)", (far(rng, (4, 3)),
                                                      rng.integers(0, 3, 4))),
        Case("a masked wrong class (-inf)", masked_wrong(rng)),
    ]


def hidden(rng: np.random.Generator) -> list[Case]:
    sure = arr(rng, (5, 6))
    right = rng.integers(0, 6, 5)
    sure[np.arange(5), right] += 40.0  # confident and right: a loss near e^-40
    return [
        Case("logits near 1e4", labelled(rng, 4, 3, 3.0, 1e4)),
        Case("a big batch", labelled(rng, 64, 10)),
        Case("float32", (labelled(rng, 6, 4)[0].astype(np.float32), rng.integers(0, 4, 6))),
        Case("-inf on a wrong class", masked_wrong(rng)),
        Case("lists", tuple(a.tolist() for a in labelled(rng, 3, 4))),
        Case("rows far apart and wide", (wide(rng, (4, 3)) + far(rng, (4, 3), gap=3000.0),
                                         rng.integers(0, 3, 4))),
        Case("float32 rows far apart", (far(rng, (2, 4)).astype(np.float32),
                                        rng.integers(0, 4, 2))),
        Case("rows far below 0 (near -5e4 and -1e300)", (below(rng, (4, 5)),
                                                                rng.integers(0, 5, 4))),
        Case("confident and right (a loss near 0)", (sure, right)),
    ]


def log_of(softmax_fn: Callable[..., np.ndarray]) -> Callable[..., Any]:
    """``-mean(log(p[i, t_i]))`` with ``p = softmax_fn(z)``: inf once a p underflows."""

    def variant(z: Any, t: Any) -> Any:
        with np.errstate(all="ignore"):
            p = softmax_fn(np.asarray(z, dtype=np.float64))
            return -np.mean(np.log(np.take_along_axis(p, np.asarray(t)[:, None], 1)))

    return variant


MISTAKES = (
    MUTATED,
    Mistake("log of softmax", "`np.log(softmax(...))` turns an underflowed probability into "
            "-inf; use log_softmax: `x - logsumexp(x)`", log_of(softmax),
            also=(log_of(naive_softmax),)),
    Mistake("sum instead of mean", "average over the batch (divide by the number of samples), "
            "do not add the losses up", lambda z, t: cross_entropy(z, t, reduction="sum")),
    Mistake("mean over all n·K entries", "you averaged over every entry of the (n, K) array, "
            "classes included; add up over the classes (only the target's entry counts), then "
            "average over the n samples", lambda z, t: cross_entropy(z, t) / np.shape(z)[-1]),
    Mistake("every target picked for every row", "`lp[:, targets]` takes every target column "
            "for every row (an n×n block); take one entry per row: `lp[np.arange(n), targets]`",
            lambda z, t: -np.mean(log_softmax(z)[:, np.asarray(t)])),
    Mistake("per-sample losses returned", "return one number, the mean over the batch",
            lambda z, t: cross_entropy(z, t, reduction="none")),
    Mistake("sign flipped", "cross-entropy is minus the mean log-probability of the right "
            "class; yours has the opposite sign", lambda z, t: -cross_entropy(z, t)),
    Mistake("the predicted class instead of the label", "you took the log-probability of each "
            "row's most likely class; the loss takes the log-probability of the *true* class: "
            "`lp[np.arange(n), targets]`",
            lambda z, t: -np.mean(np.max(log_softmax(z), axis=-1))),
)

EXERCISE = Exercise(
    id="cross_entropy", title="Mean cross-entropy from logits",
    function_name="my_cross_entropy", notebook="ex05_cross_entropy.ipynb", place=1,
    contract=CONTRACT, reference=reference, visible=visible, hidden=hidden, mistakes=MISTAKES,
)
