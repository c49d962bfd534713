"""The course's grading policy, in one place: partial credit, required cases, late work.

Every exercise is scored by :func:`score` (the check cell and the grader alike), and every
exercise notebook quotes :func:`scoring_text` under its contract, so a learner reads the
rule that grades them. Canvas exports apply :func:`late_points`.

To change the rule for your course, edit the three constants below, then run
``make exercises`` (it rewrites each notebook's "Scoring" paragraph from them) and
``make test``. Nothing else needs changing.

* :data:`PARTIAL_CREDIT`: ``"fraction"`` (the default) gives the fraction of cases passed,
  visible and hidden counted alike; ``"all or nothing"`` gives the points only when every
  case passes.
* :data:`REQUIRED_CAP`: an exercise may mark cases as *required* (``Case(...,
  required=True)``): the cases that test what the exercise is about (the max shift of a
  stable softmax, the finite loss of a confident wrong answer). Failing any of them caps
  the score at this fraction of the points.
* :data:`LATE_FACTOR`: work the platform marks late (Canvas's ``late`` in ``students.csv``)
  earns this fraction of its points in the LMS export; ``1.0`` turns the penalty off.

Why these defaults: the fraction of cases tells a learner how far they got, which is what
feedback on a weekly problem set is for; but an answer that does everything except the
point of the exercise (a softmax that overflows, in the lesson on overflow) should not
earn 0.73 of it, so a required case caps it at one half.

>>> score([True, True, False, True], [False, False, False, False])
0.75
>>> score([True, True, False, True], [False, False, True, False])  # a required case failed
0.5
>>> late_points(2.0, late=True)
1.6
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

PARTIAL_CREDIT: Literal["fraction", "all or nothing"] = "fraction"
REQUIRED_CAP = 0.5
LATE_FACTOR = 0.8


def score(passed: Sequence[bool], required: Sequence[bool]) -> float:
    """The score (0 to 1) of an exercise whose cases passed as ``passed`` says.

    ``required[i]`` marks case ``i`` as required: failing one caps the score at
    :data:`REQUIRED_CAP`. No cases at all score 0.
    """
    if len(passed) != len(required):
        raise ValueError("passed and required must have one entry per case")
    n = len(passed)
    if n == 0:
        return 0.0
    if PARTIAL_CREDIT == "all or nothing":
        raw = 1.0 if all(passed) else 0.0
    elif PARTIAL_CREDIT == "fraction":
        raw = sum(bool(p) for p in passed) / n
    else:
        raise ValueError(f"PARTIAL_CREDIT must be 'fraction' or 'all or nothing', "
                         f"not {PARTIAL_CREDIT!r}")
    if any(r and not p for p, r in zip(passed, required, strict=True)):
        raw = min(raw, REQUIRED_CAP)
    return raw


def _points(points: float) -> str:
    return f"{points:g} point" + ("" if points == 1 else "s")


def scoring_text(points: float, required: Sequence[str]) -> str:
    """The "Scoring" paragraph of an exercise worth ``points`` whose required cases are
    labelled ``required`` (visible and hidden ones).

    >>> print(scoring_text(1, ["rows far apart"]))  # doctest: +NORMALIZE_WHITESPACE
    1 point: the fraction of the cases that pass, the hidden ones grading adds included.
    Required (failing one caps the score at 0.5): rows far apart.
    """
    if PARTIAL_CREDIT == "all or nothing":
        text = (f"{_points(points)} if every case passes, the hidden ones grading adds "
                "included; otherwise 0.")
    else:
        text = (f"{_points(points)}: the fraction of the cases that pass, the hidden ones "
                "grading adds included.")
    if required and PARTIAL_CREDIT != "all or nothing":
        text += (f" Required (failing one caps the score at {REQUIRED_CAP:g}): "
                 + "; ".join(required) + ".")
    return text


def capped_note(label: str) -> str:
    """What the check and the grader say when required case ``label`` failed."""
    return (f"Required case failed ({label}): the score is capped at {REQUIRED_CAP:g} of the "
            "points until it passes.")


def late_points(points: float, *, late: bool) -> float:
    """Points after the late-work policy: ``points`` times :data:`LATE_FACTOR` if late."""
    return round(points * LATE_FACTOR, 4) if late else points
