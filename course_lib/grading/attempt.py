"""Run a learner's function on one case and record what happened, as plain data.

This module imports only the standard library and NumPy: the grader loads it by file path
inside a sandboxed process where ``course_lib`` itself cannot be imported.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Attempt:
    """What one call of the learner's function gave.

    ``output`` is an array (or None after an error); ``error`` is ``"TypeError: ..."``;
    ``not_implemented`` means the untouched stub raised ``NotImplementedError``; ``mutated``
    means an input array was changed in place; ``warnings`` lists NumPy's runtime warnings.
    """

    output: Any = None
    error: str | None = None
    not_implemented: bool = False
    mutated: bool = False
    warnings: list[str] = field(default_factory=list)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and bool(
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
        )
    return a == b


def _as_output(value: Any) -> Any:
    if isinstance(value, np.ndarray | np.generic | int | float | bool | list | tuple):
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError):
            return None
        if arr.dtype.kind in "biuf":
            return arr
    return None


def run_case(fn: Any, args: tuple, kwargs: dict | None = None) -> Attempt:
    """Call ``fn(*args, **kwargs)`` on copies of the inputs and describe the outcome.

    >>> import numpy as np
    >>> a = run_case(lambda x, axis=-1: np.max(x, axis=axis), (np.array([1.0, 3.0]),))
    >>> a.output, a.error, a.mutated
    (array(3.), None, False)
    """
    kwargs = dict(kwargs or {})
    given = copy.deepcopy(args)
    before = copy.deepcopy(args)
    attempt = Attempt()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with np.errstate(all="warn"):
                value = fn(*given, **kwargs)
        except NotImplementedError:
            attempt.not_implemented = True
            return attempt
        except Exception as exc:  # the learner's bug, reported in words
            attempt.error = f"{type(exc).__name__}: {exc}"[:300]
            value = None
    attempt.warnings = sorted({str(w.message)[:120] for w in caught})
    attempt.mutated = not all(_same(g, b) for g, b in zip(given, before, strict=True))
    if attempt.error is None:
        attempt.output = _as_output(value)
        if attempt.output is None:
            attempt.error = f"it returned {type(value).__name__}, not an array of numbers"
    return attempt
