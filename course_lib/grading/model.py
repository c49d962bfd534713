"""What an exercise is made of, as data: cases, catalogued mistakes, the exercise, a verdict.

Every exercise module in :mod:`course_lib.grading.exercises` builds one :class:`Exercise`
from these pieces; the judging (:mod:`.judging`) reads them and knows no exercise by name.

>>> import numpy as np
>>> ex = Exercise(
...     id="double", title="Twice x", function_name="my_double", notebook="ex00.ipynb",
...     place=1, contract="`x` is an array; the result has its shape.",
...     reference=lambda x: 2 * np.asarray(x),
...     visible=lambda rng: [Case("a vector", (rng.normal(size=3),))],
...     hidden=lambda rng: [Case("a list", ([1.0, 2.0],))],
...     mistakes=())
>>> [(c.label, c.hidden) for c in ex.cases(np.random.default_rng(0), hidden=True)]
[('a list', True)]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

Returns = Literal["input precision", "indices", "float64"]
"""What dtype an exercise's answer must have (judged by :func:`.judging.compare`):

* ``"input precision"``: floats at least as precise as the reference's (float64 for float64,
  int or list input; float32 or float64 for float32 input, judged at float32 tolerance);
* ``"indices"``: integers, compared exactly;
* ``"float64"``: float64 and nothing else.
"""


@dataclass(frozen=True)
class Case:
    """One call of the learner's function: ``fn(*args, **kwargs)``; ``label`` names it.

    ``args`` and ``kwargs`` are plain data (arrays, lists, numbers): they travel to the
    sandbox as they are. ``hidden`` is set by :meth:`Exercise.cases`. A ``required`` case
    tests the point of the exercise: failing it caps the score (:mod:`.policy`).
    """

    label: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    hidden: bool = False
    required: bool = False


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: ``variant(*args, **kwargs)`` computes what it would return.

    ``hint`` is said to the learner (no final full stop: the message adds it). ``also``
    holds other ways to make the same mistake (another constant, another order of the
    steps), each judged like ``variant``. A mistake with ``dtype=True`` is the one named when
    the answer's dtype breaks the exercise's rule; it needs no variant.
    """

    name: str
    hint: str
    variant: Callable[..., Any] | None = None
    dtype: bool = False
    also: tuple[Callable[..., Any], ...] = ()

    @property
    def variants(self) -> tuple[Callable[..., Any], ...]:
        """Every variant of this mistake: ``variant`` first, then ``also``."""
        return ((self.variant,) if self.variant is not None else ()) + self.also


@dataclass(frozen=True)
class Exercise:
    """One exercise: everything the check cell and the grader need to know about it.

    ``place`` is its position in ``notebook`` (1 for the first answer cell), which orders
    the registry. ``contract`` is the paragraph of the exercise notebook that says what
    comes in and what must come back. ``visible(rng)`` and ``hidden(rng)`` draw the cases
    (the grader draws the visible ones first, from the same generator); their labels and
    shapes never change, only the numbers.
    """

    id: str
    title: str
    function_name: str
    notebook: str
    place: int
    contract: str
    reference: Callable[..., Any]
    visible: Callable[[np.random.Generator], list[Case]]
    hidden: Callable[[np.random.Generator], list[Case]]
    mistakes: tuple[Mistake, ...]
    points: float = 1.0
    returns: Returns = "input precision"
    shape_hint: str | None = None  # what shape comes back, said for this exercise

    def cases(self, rng: np.random.Generator, *, hidden: bool) -> list[Case]:
        """Visible cases (``hidden=False``) or the extra ones only the grader uses."""
        made = self.hidden(rng) if hidden else self.visible(rng)
        return [replace(c, hidden=hidden) for c in made]


@dataclass
class Assessment:
    """The verdict on one exercise: passed, a score from 0 to 1, a message in words, one
    line per failing case, and the name of the catalogued mistake the message names (None
    when it names none), which the grader's run report counts over the class."""

    passed: bool
    score: float
    message: str
    failures: list[str] = field(default_factory=list)
    mistake: str | None = None
