"""Exercise ``perplexity``: exp of the mean cross-entropy of a model's predictions (lesson 08)."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.grading.cases import arr, labelled, masked_wrong
from course_lib.grading.mistakes import MUTATED, naive_softmax, quiet
from course_lib.grading.model import Case, Exercise, Mistake
from course_lib.losses import cross_entropy

CONTRACT = """\
`logits` is an `(n, K)` float64 array or list of lists (`-inf` allowed on wrong classes,
rows as far apart as you like); `targets` is an array or list of `n` integers from `0` to
`K - 1`. The result is one number (a Python float, a NumPy scalar or a 0-d array),
float64."""


def reference(logits: Any, targets: Any) -> np.ndarray:
    with np.errstate(over="ignore"):  # a mean loss above ~709 nats: perplexity inf, exactly
        return np.exp(cross_entropy(np.asarray(logits, dtype=np.float64), targets))


def visible(rng: np.random.Generator) -> list[Case]:
    one_bad = arr(rng, (4, 5))
    labels = rng.integers(0, 5, 4)
    one_bad[0, (labels[0] + 1) % 5] += 800.0  # one confident mistake: -log p = ~800
    return [
        Case("a batch of 6, 4 classes", labelled(rng, 6, 4)),
        Case("a batch of 8, 3 classes", labelled(rng, 8, 3)),
        Case("a batch of 5, 29 classes", labelled(rng, 5, 29)),
        Case("equal logits (the uniform model: perplexity K)",
             (np.full((3, 7), rng.normal()), rng.integers(0, 7, 3))),
        Case("one confident mistake (a logit gap of 800) in a batch of 4", (one_bad, labels)),
    ]


def hidden(rng: np.random.Generator) -> list[Case]:
    sure = arr(rng, (5, 6))
    right = rng.integers(0, 6, 5)
    sure[np.arange(5), right] += 40.0  # confident and right: perplexity just above 1
    return [
        Case("logits near 1e4", labelled(rng, 4, 5, 3.0, 1e4)),
        Case("rows far apart (1000 and -1000)", (np.stack([
            arr(rng, (5,)) + 1000.0, arr(rng, (5,)) - 1000.0]), rng.integers(0, 5, 2))),
        Case("a big batch, 29 classes", labelled(rng, 64, 29)),
        Case("-inf on a wrong class", masked_wrong(rng)),
        Case("confident and right", (sure, right)),
        Case("one sample", labelled(rng, 1, 5)),
        Case("lists", tuple(a.tolist() for a in labelled(rng, 3, 4))),
    ]


def _per_sample_nll(z: Any, t: Any) -> np.ndarray:
    return cross_entropy(np.asarray(z, dtype=np.float64), t, reduction="none")


MISTAKES = (
    MUTATED,
    Mistake("exp forgotten", "you returned the mean cross-entropy; perplexity is its "
            "exponential, `np.exp(mean_loss)`",
            lambda z, t: cross_entropy(np.asarray(z, dtype=np.float64), t)),
    Mistake("log of softmax", "`np.log(softmax(...))` turns an underflowed probability into "
            "-inf (and perplexity into inf); use log_softmax: `x - logsumexp(x)`",
            quiet(lambda z, t: np.exp(-np.mean(np.log(np.take_along_axis(
                naive_softmax(z), np.asarray(t)[:, None], 1)))))),
    Mistake("mean of per-sample perplexities", "you averaged `exp(loss)` of each sample; "
            "perplexity is `exp` of the mean loss (a geometric mean of 1/p), which one very "
            "wrong sample cannot blow up as much",
            quiet(lambda z, t: np.mean(np.exp(_per_sample_nll(z, t))))),
    Mistake("exp of the sum", "you exponentiated the *sum* of the losses; take the mean over "
            "the batch first, then `np.exp`",
            quiet(lambda z, t: np.exp(_per_sample_nll(z, t).sum()))),
    Mistake("sign flipped", "you returned `exp(-loss)`, the geometric mean probability of the "
            "right answers; perplexity is its inverse, `exp(+mean loss)`",
            quiet(lambda z, t: 1.0 / reference(z, t))),
    Mistake("inverse of the mean probability", "you returned 1 / mean(p_y); perplexity is exp "
            "of the mean of -log p_y (average the logs, not the probabilities)",
            quiet(lambda z, t: 1.0 / np.mean(np.exp(-_per_sample_nll(z, t))))),
)

EXERCISE = Exercise(
    id="perplexity", title="Perplexity from logits", function_name="my_perplexity",
    notebook="ex06_language_model.ipynb", place=1, contract=CONTRACT, reference=reference,
    visible=visible, hidden=hidden, mistakes=MISTAKES,
)
