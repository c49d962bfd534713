"""Exercise ``cross_entropy_grad``: the gradient of the mean cross-entropy (lesson 05)."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.functions import one_hot, softmax
from course_lib.grading.exercises.cross_entropy import hidden, visible
from course_lib.grading.mistakes import GLOBAL_SHIFT, MUTATED, global_max, quiet, shifted_softmax
from course_lib.grading.model import Exercise, Mistake
from course_lib.losses import cross_entropy_grad

CONTRACT = """\
Inputs as in `my_cross_entropy`. The result has the shape `(n, K)` of the logits and the
dtype rules of `my_cross_entropy` (float32 logits: float32 or float64); a masked (`-inf`)
class gets a gradient of exactly 0."""


def reference(logits: Any, targets: Any) -> np.ndarray:
    return cross_entropy_grad(logits, targets)


@quiet
def _global_shift(z: Any, t: Any) -> np.ndarray:
    p = shifted_softmax(global_max)(z)
    return (p - one_hot(t, p.shape[-1])) / len(np.asarray(t))


MISTAKES = (
    MUTATED,
    Mistake("batch size forgotten", "the loss is a mean, so divide `softmax - one_hot` by the "
            "number of samples", lambda z, t: cross_entropy_grad(z, t, reduction="sum")),
    Mistake("divided by n·K", "divide by the number of samples n only, not by the number of "
            "entries n·K", lambda z, t: cross_entropy_grad(z, t) / np.shape(z)[-1]),
    Mistake("sign flipped", "the gradient is `softmax - one_hot`, not `one_hot - softmax`",
            lambda z, t: -cross_entropy_grad(z, t)),
    Mistake("one-hot not subtracted", "subtract the one-hot target from the probabilities",
            lambda z, t: softmax(z) / len(np.asarray(t))),
    Mistake(GLOBAL_SHIFT.name, GLOBAL_SHIFT.hint, _global_shift),
)

EXERCISE = Exercise(
    id="cross_entropy_grad", title="The gradient of the mean cross-entropy",
    function_name="my_cross_entropy_grad", notebook="ex05_cross_entropy.ipynb", place=2,
    contract=CONTRACT, reference=reference, visible=visible, hidden=hidden, mistakes=MISTAKES,
)
