"""Exercise ``logits_from_probs``: softmax run backwards (lesson 03).

Softmax forgets a constant added to every logit of a slice, so probabilities give the logits
back only up to that constant; the exercise asks for the one representative whose mean is
0. It needs the shift-invariance of softmax, not a formula from the lesson.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.functions import softmax
from course_lib.grading.cases import arr, wide
from course_lib.grading.mistakes import MUTATED, as_float, quiet
from course_lib.grading.model import Case, Exercise, Mistake

CONTRACT = """\
`p` is an array or a (nested) list of probabilities, every entry above 0 (as small as
1e-300), summing to 1 along `axis`, which is any valid axis. The result has the shape of
`p`: logits `z` whose softmax along `axis` is `p` and whose mean along `axis` is 0. Its
dtype: float64, or for float32 input float32 or float64 (both accepted)."""


def reference(p: Any, axis: int = -1) -> np.ndarray:
    log_p = np.log(np.asarray(p))
    if log_p.dtype.kind != "f":
        log_p = log_p.astype(np.float64)
    return log_p - log_p.mean(axis=axis, keepdims=True)


def independent(p: Any, axis: int = -1) -> np.ndarray:
    """The same, one slice at a time with :mod:`math` (for the test suite only)."""
    import math

    a = np.moveaxis(np.asarray(p, dtype=float), axis, -1)
    out = np.empty_like(a)
    for idx in np.ndindex(a.shape[:-1]):
        logs = [math.log(v) for v in a[idx]]
        out[idx] = [v - math.fsum(logs) / len(logs) for v in logs]
    return np.moveaxis(out, -1, axis)


def probs(rng: np.random.Generator, shape: tuple[int, ...], axis: int = -1,
          scale: float = 2.0) -> np.ndarray:
    """Probabilities of ``shape`` summing to 1 along ``axis``: softmax of random logits."""
    return softmax(arr(rng, shape, scale), axis=axis)


def visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case("a vector", (probs(rng, (4,)),)),
        Case("a batch of rows", (probs(rng, (3, 5)),)),
        Case("a batch, axis=0", (probs(rng, (4, 3), 0),), {"axis": 0}),
        Case("a list", (probs(rng, (3,)).tolist(),)),
        Case("tiny probabilities (logits spanning 800 or 1600)",
             (softmax(wide(rng, (2, 4)) / 3.0),)),
        Case("a 3-D batch, axis=1", (probs(rng, (2, 3, 4), 1),), {"axis": 1}),
    ]


def hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case("float32 rows", (probs(rng, (3, 4)).astype(np.float32),)),
        Case("two classes", (probs(rng, (5, 2)),)),
        Case("a uniform row and a sharp one",
             (np.stack([np.full(4, 0.25), softmax(arr(rng, (4,), 30.0))]),)),
        Case("3-D, axis=0", (probs(rng, (3, 2, 4), 0),), {"axis": 0}),
        Case("a length-1 axis that is not reduced", (probs(rng, (3, 1, 4)),)),
        Case("probabilities near 1e-300", (softmax(wide(rng, (3, 3)) * 0.43),)),
        Case("a list of lists, axis=0", (probs(rng, (4, 3), 0).tolist(),), {"axis": 0}),
    ]


def _centred(center: Any) -> Any:
    @quiet
    def variant(p: Any, axis: int = -1) -> np.ndarray:
        z = np.log(as_float(p))
        return z - center(z, axis)

    return variant


MISTAKES = (
    MUTATED,
    Mistake("not centred", "`np.log(p)` has the right softmax but not mean 0; subtract its "
            "mean along `axis` (softmax does not notice a shift, so this is allowed)",
            _centred(lambda z, axis: 0.0)),
    Mistake("centred on the maximum", "you subtracted the largest log-probability; the "
            "contract asks for mean 0, so subtract the mean along `axis`",
            _centred(lambda z, axis: z.max(axis=axis, keepdims=True))),
    Mistake("whole-array mean", "you subtracted the mean of the whole array; each slice "
            "along `axis` needs its own mean: `z.mean(axis=axis, keepdims=True)`",
            _centred(lambda z, axis: z.mean())),
    Mistake("sum instead of mean", "you subtracted the sum of the log-probabilities; "
            "subtract their mean, so that the result has mean 0",
            _centred(lambda z, axis: z.sum(axis=axis, keepdims=True))),
    Mistake("missing keepdims", "`z.mean(axis=axis)` drops the reduced axis, so it no "
            "longer lines up with `z`; pass `keepdims=True`",
            _centred(lambda z, axis: z.mean(axis=axis))),
    Mistake("axis ignored", "your function always works along the last axis; use the "
            "`axis` argument", _centred(lambda z, axis: z.mean(axis=-1, keepdims=True))),
    Mistake("log forgotten", "softmax exponentiates, so going back takes the log: start "
            "from `np.log(p)`, not from `p`",
            quiet(lambda p, axis=-1: as_float(p) - as_float(p).mean(axis=axis,
                                                                   keepdims=True))),
    Mistake("exp instead of log", "going back from softmax takes the log of `p`, not its "
            "exp", quiet(lambda p, axis=-1: np.exp(as_float(p)) - np.exp(as_float(p)).mean(
                axis=axis, keepdims=True))),
)

EXERCISE = Exercise(
    id="logits_from_probs", title="Softmax run backwards",
    function_name="my_logits_from_probs", notebook="ex03_softmax.ipynb", place=3,
    contract=CONTRACT, reference=reference, visible=visible, hidden=hidden, mistakes=MISTAKES,
)
