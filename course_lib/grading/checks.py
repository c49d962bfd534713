"""``check(exercise_id, fn)``: the check cell of every exercise notebook.

It draws fresh visible cases (a new seed on every call, so a hard-coded answer cannot
pass), runs the learner's function on each, and prints a verdict in plain words: passed,
not implemented yet, or which known mistake the answer looks like.

In a notebook it runs the answer the way grading will (:mod:`.as_graded`): the answer cell
alone, with NumPy and the standard library only, and says plainly when that differs from
the notebook (an import grading cannot do, a helper from another cell).
"""

from __future__ import annotations

import secrets
from typing import Any

import numpy as np

from course_lib.grading import as_graded
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
    names = getattr(fn, "__globals__", {})
    siblings = [names[e.function_name] for e in EXERCISES.values()
                if e.notebook == ex.notebook and e.id != ex.id
                and callable(names.get(e.function_name))]
    prepared = as_graded.prepare(fn, ex.function_name, siblings)
    if prepared.fn is None:
        result = Assessment(False, 0.0, f"{exercise_id}: this answer would score 0 when "
                            "graded (grading runs only the answer cells, with NumPy and "
                            f"Python's standard library): {prepared.fatal}."
                            + _when_graded(prepared.notes))
    else:
        result = assess(exercise_id, cases,
                        [run_case(prepared.fn, c.args, c.kwargs) for c in cases])
        said = "not defined where your answer runs" in result.message  # the hint says it
        result.message += _when_graded([n for n in prepared.notes
                                        if not (said and n.startswith("it uses"))])
    if not quiet:
        print(result.message)
    return result


def _when_graded(notes: list[str]) -> str:
    """The notes of :func:`.as_graded.prepare`, as the end of a check's message."""
    if not notes:
        return ""
    return ("\nWhen graded, only the answer cells run, with NumPy and Python's standard "
            "library: " + "; ".join(notes) + ".")
