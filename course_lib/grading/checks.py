"""``check(exercise_id, fn)``: the check cell of every exercise notebook.

It draws fresh visible cases (a new seed on every call, so a hard-coded answer cannot
pass), runs the learner's function on each, and prints a verdict in plain words: passed,
not implemented yet, or which known mistake the answer looks like.
"""

from __future__ import annotations

import secrets
from typing import Any

import numpy as np

from course_lib.grading.attempt import run_case
from course_lib.grading.model import Assessment
from course_lib.grading.registry import EXERCISES, assess

__all__ = ["check"]


def check(exercise_id: str, fn: Any, *, seed: int | None = None, quiet: bool = False) -> Assessment:
    """Run exercise ``exercise_id``'s visible cases on ``fn`` and print the verdict.

    Parameters
    ----------
    exercise_id : str
        One of ``course_lib.grading.registry.EXERCISES`` (``"max"``, ``"softmax"``, ...).
    fn : callable
        The learner's function.
    seed : int, optional
        Fix the cases (for tests); by default each call draws new ones.
    quiet : bool, optional
        Return the result without printing it.

    Returns
    -------
    Assessment
        ``.passed`` (bool), ``.score`` (0 to 1), ``.message`` (str), ``.failures``.

    Examples
    --------
    >>> import numpy as np
    >>> result = check("max", lambda x, axis=-1: np.max(x, axis=axis))  # doctest: +ELLIPSIS
    max: all 7 visible cases passed; grading adds 9 hidden cases (a float32 batch; ...
    >>> result.passed
    True
    """
    if exercise_id not in EXERCISES:
        known = ", ".join(EXERCISES)
        raise ValueError(f"unknown exercise {exercise_id!r}; the exercises are: {known}")
    if not callable(fn):
        raise TypeError(f"check needs your function itself (no parentheses), got {fn!r}")
    ex = EXERCISES[exercise_id]
    rng = np.random.default_rng(secrets.randbits(64) if seed is None else seed)
    cases = ex.cases(rng, hidden=False)
    result = assess(exercise_id, cases, [run_case(fn, c.args, c.kwargs) for c in cases])
    if not quiet:
        print(result.message)
    return result
