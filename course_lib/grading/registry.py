"""The registry of exercises: every module of :mod:`course_lib.grading.exercises`, found by
itself.

Each module there is one exercise (its contract, reference, visible and hidden cases and
catalogued mistakes, in one ``EXERCISE``); adding an exercise means adding one file. The
in-notebook check (:mod:`.checks`) and the grader (:mod:`.grader`) both read
:data:`EXERCISES`, ordered by notebook and by place in the notebook, and judge with
:func:`assess`.

>>> list(EXERCISES)[:3]
['max', 'argmax', 'one_hot']
>>> EXERCISES["softmax"].function_name
'my_softmax'
"""

from __future__ import annotations

import importlib
import pkgutil

from course_lib.grading import exercises, judging
from course_lib.grading.attempt import Attempt
from course_lib.grading.model import Assessment, Case, Exercise


def discover() -> dict[str, Exercise]:
    """Every ``EXERCISE`` of the modules in :mod:`course_lib.grading.exercises`, by id.

    Modules whose names start with ``_`` are skipped. A module without ``EXERCISE``, a
    module whose exercise id is not its file name, or two exercises with the same function
    name or the same place in one notebook are errors, said at import.
    """
    found: list[Exercise] = []
    for info in sorted(pkgutil.iter_modules(exercises.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{exercises.__name__}.{info.name}")
        ex = getattr(module, "EXERCISE", None)
        if not isinstance(ex, Exercise):
            raise TypeError(f"{module.__name__} defines no EXERCISE (an Exercise)")
        if ex.id != info.name:
            raise ValueError(f"{module.__name__} holds exercise {ex.id!r}: name the file "
                             f"{ex.id}.py")
        found.append(ex)
    found.sort(key=lambda e: (e.notebook, e.place))
    for what in ("function_name", "notebook and place"):
        keys = [(e.notebook, e.place) if what != "function_name" else e.function_name
                for e in found]
        if len(set(keys)) != len(keys):
            raise ValueError(f"two exercises share a {what}: {keys}")
    return {e.id: e for e in found}


EXERCISES: dict[str, Exercise] = discover()


def assess(exercise_id: str, cases: list[Case], attempts: list[Attempt]) -> Assessment:
    """Judge ``attempts`` on ``cases`` for exercise ``exercise_id`` (see :mod:`.judging`)."""
    return judging.assess(EXERCISES[exercise_id], cases, attempts)
