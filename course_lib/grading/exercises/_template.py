"""Exercise ``softmax_temperature``: the template for an exercise of your own.

Copy this file to ``course_lib/grading/exercises/<your id>.py`` (the file name is the
exercise id), change what the comments marked TODO say, then run ``make exercises`` (it adds
the exercise to its notebook in ``solutions/`` and generates ``exercises/``) and
``make test``. ``docs/instructor.md``, section "Your own exercise", lists every rule the
tests check; each failing test says what to change. As it stands, this file is a complete,
working exercise (a softmax with a temperature), so you can copy it, run both commands and
see it pass before you change anything. (Files whose names start with ``_``, like this one,
are skipped by the registry.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.functions import softmax
from course_lib.grading.cases import arr, far, wide
from course_lib.grading.mistakes import MUTATED, WHOLE_BATCH_SUM, as_float, quiet
from course_lib.grading.model import Case, Exercise, Mistake

# TODO: what the learner reads above the contract: the task, one worked example.
TEXT = """\
Write `my_softmax_temperature(x, temperature)`: the softmax of `x / temperature` along the
last axis. A temperature above 1 flattens the distribution, below 1 sharpens it:
`my_softmax_temperature([1, 2], 0.5)` is `softmax([2, 4])`, about `[0.119, 0.881]`."""

# TODO: what comes in, what shape and dtype must come back. The notebook quotes it word for
# word; the check and grader promise nothing beyond it.
CONTRACT = """\
`x` is a vector or a batch of rows (an array or a list; float64, float32 or ints), with
logits of any size (rows near ±1000 included); `temperature` is a number from 0.1 to 100.
The result has the shape of `x`, each row sums to 1; its dtype: float64, or for float32
input float32 or float64."""

# TODO: the answer cell as the solution notebook holds it: the `def` line and docstring the
# learner keeps, the answer between the markers (written as a learner would, step by step).
SOLUTION = '''\
def my_softmax_temperature(x, temperature):
    """Softmax of x / temperature along the last axis."""
    # BEGIN SOLUTION
    x = np.asarray(x)
    z = (x - x.max(axis=-1, keepdims=True)) / temperature
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
    # END SOLUTION
'''


def reference(x: Any, temperature: float) -> np.ndarray:
    """The right answer, computed with course_lib (in the grader's process, never the
    learner's)."""
    return softmax(x, temperature=temperature)


def independent(x: Any, temperature: float) -> np.ndarray:
    """The same answer another way, for the test suite only: SciPy, scikit-learn or plain
    loops, never course_lib; imports stay inside the function."""
    from scipy.special import softmax as scipy_softmax

    return scipy_softmax(np.asarray(x, dtype=np.float64) / temperature, axis=-1)


# TODO: the cases. Labels say what a case holds, never change with the seed, hold no decimal
# number ("one half", "1e-3"), and are distinct; numbers come from `rng`. At least 3 visible
# and 3 hidden; mark `required=True` the cases that test the point of the exercise (failing
# one caps the score, see course_lib/grading/policy.py).
def visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case("a vector, temperature 2", (arr(rng, (5,)), 2.0)),
        Case("a batch of rows, temperature one half", (arr(rng, (3, 4)), 0.5)),
        Case("a batch, temperature 1", (arr(rng, (4, 3)), 1.0)),
        Case("logits close together, temperature one tenth", (arr(rng, (3, 4), 0.3), 0.1)),
        Case("rows far apart (near +1000 and -1000), temperature 3", (far(rng, (2, 4)), 3.0),
             required=True),
        Case("rows spanning 800 or 1600, temperature 1", (wide(rng, (2, 5)), 1.0)),
    ]


def hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case("a list, temperature 10", (arr(rng, (4,)).round(2).tolist(), 10.0)),
        Case("a float32 batch, temperature one half", (arr(rng, (3, 5)).astype(np.float32),
                                                      0.5)),
        Case("ints, temperature 4", (rng.integers(-9, 10, (3, 4)), 4.0)),
        Case("logits near -1e4, temperature one tenth", (arr(rng, (2, 3)) - 1e4, 0.1)),
        Case("a 3-D batch, temperature 100", (arr(rng, (2, 3, 4)), 100.0)),
    ]


# TODO: the catalogue of known mistakes. MUTATED always; each other mistake has a hint (what
# is wrong and what to do, over 30 characters, no final full stop) and a variant that
# computes what the mistaken code returns. The tests prove that the check names each one.
MISTAKES = (
    MUTATED,
    Mistake("temperature ignored", "divide the logits by `temperature` before the softmax",
            quiet(lambda x, temperature: softmax(x))),
    Mistake("multiplied by the temperature", "divide by the temperature, do not multiply: a "
            "temperature above 1 must flatten the distribution",
            quiet(lambda x, temperature: softmax(as_float(x) * temperature))),
    Mistake("no max shift (overflow)", "`np.exp` overflowed: subtract each row's maximum "
            "before `exp`; it changes no probability",
            quiet(lambda x, temperature: np.exp(as_float(x) / temperature) / np.exp(
                as_float(x) / temperature).sum(axis=-1, keepdims=True))),
    Mistake(WHOLE_BATCH_SUM.name, WHOLE_BATCH_SUM.hint,
            quiet(lambda x, temperature: WHOLE_BATCH_SUM.variant(as_float(x) / temperature))),
)

EXERCISE = Exercise(
    id="softmax_temperature",  # TODO: the file's name, without .py
    title="Softmax with a temperature",  # TODO: shown in grades and feedback
    function_name="my_softmax_temperature",  # TODO: the learner's function, a new name
    notebook="ex90_my_exercises.ipynb",  # TODO: an exNN_*.ipynb of solutions/ (made if new)
    place=1,  # TODO: 1 + the number of exercises already in that notebook
    contract=CONTRACT, reference=reference, visible=visible, hidden=hidden, mistakes=MISTAKES,
)
