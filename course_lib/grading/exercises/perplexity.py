"""Exercise ``perplexity``: exp of the mean cross-entropy of a model's predictions (lesson 08)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.functions import softmax
from course_lib.grading.cases import arr, below, labelled, masked_wrong
from course_lib.grading.mistakes import GLOBAL_SHIFT, MUTATED, naive_softmax, quiet
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
        Case("a long text: 400 predictions of 29 classes", labelled(rng, 400, 29)),
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
        Case("rows far below 0 (near -5e4 and -1e300), each target its row's maximum",
             _on_the_maximum(below(rng, (3, 5)))),
    ]


def _on_the_maximum(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return logits, np.argmax(logits, axis=-1)


def _per_sample_nll(z: Any, t: Any) -> np.ndarray:
    return cross_entropy(np.asarray(z, dtype=np.float64), t, reduction="none")


def _log_of(softmax_fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    @quiet
    def variant(z: Any, t: Any) -> np.ndarray:
        p = softmax_fn(np.asarray(z, dtype=np.float64))
        return np.exp(-np.mean(np.log(np.take_along_axis(p, np.asarray(t)[:, None], 1))))

    return variant


@quiet
def _product(z: Any, t: Any) -> np.ndarray:
    p = softmax(np.asarray(z, dtype=np.float64))
    p_y = np.take_along_axis(p, np.asarray(t)[:, None], 1)
    return np.prod(p_y) ** (-1.0 / len(p_y))


@quiet
def _global_shift_logs(z: Any, t: Any) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    s = z - z.max()  # the batch's maximum, not each row's
    log_p = s - np.log(np.exp(s).sum(axis=-1, keepdims=True))
    return np.exp(-np.take_along_axis(log_p, np.asarray(t)[:, None], 1).mean())


@quiet
def _global_shift_probabilities(z: Any, t: Any) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max())
    p = e / e.sum(axis=-1, keepdims=True)
    return np.exp(-np.log(np.take_along_axis(p, np.asarray(t)[:, None], 1)).mean())


MISTAKES = (
    MUTATED,
    Mistake("exp forgotten", "you returned the mean cross-entropy; perplexity is its "
            "exponential, `np.exp(mean_loss)`",
            lambda z, t: cross_entropy(np.asarray(z, dtype=np.float64), t)),
    Mistake("log of softmax", "`np.log(softmax(...))` turns an underflowed probability into "
            "-inf (and perplexity into inf); use log_softmax: `x - logsumexp(x)`",
            _log_of(softmax), also=(_log_of(naive_softmax),)),
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
    Mistake("product of probabilities", "you multiplied the probabilities of the right "
            "answers; a product of hundreds of numbers below 1 underflows to 0 (and one tiny "
            "probability does it alone), so perplexity comes out inf; add their logs instead: "
            "`exp(-mean(log_p))` with `log_p = x - logsumexp(x)`", _product),
    Mistake(GLOBAL_SHIFT.name, GLOBAL_SHIFT.hint, _global_shift_logs,
            also=(_global_shift_probabilities,)),
)

EXERCISE = Exercise(
    id="perplexity", title="Perplexity from logits", function_name="my_perplexity",
    notebook="ex06_language_model.ipynb", place=1, contract=CONTRACT, reference=reference,
    visible=visible, hidden=hidden, mistakes=MISTAKES,
)
