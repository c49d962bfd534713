"""Run a learner's function on one case and record what happened, as plain data.

This module imports only the standard library and NumPy: the grader loads it by file path
inside a sandboxed process where ``course_lib`` itself cannot be imported.
"""

from __future__ import annotations

import copy
import linecache
import os
import sysconfig
import traceback
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


def _library_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    dirs = {os.path.dirname(np.__file__), paths["stdlib"], paths["platstdlib"], paths["purelib"],
            paths["platlib"], os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
    return tuple(os.path.normcase(os.path.realpath(d)) + os.sep for d in dirs if d)


_LIBRARY_DIRS = _library_dirs()
_HERE = os.path.normcase(os.path.realpath(__file__))


def _is_learners(filename: str) -> bool:
    """True for a frame of the learner's own code: a notebook cell, an answer cell, a script.

    NumPy, the standard library, installed packages and ``course_lib`` itself are not.
    """
    if filename.startswith("<"):
        return not filename.startswith(("<frozen", "<__array_function__"))
    path = os.path.normcase(os.path.realpath(filename))
    return path != _HERE and not path.startswith(_LIBRARY_DIRS)


def describe_error(exc: BaseException) -> str:
    """``"TypeError: message (line N of your cell: `code`)"``: the exception, and where in the
    learner's code it happened (the innermost frame that is theirs, not NumPy's).

    >>> def f(x):
    ...     return x + "a"
    >>> try:
    ...     f(1)
    ... except TypeError as e:
    ...     print(describe_error(e))
    TypeError: unsupported operand type(s) for +: 'int' and 'str' (line 2 of your cell: \
`return x + "a"`)
    """
    text = f"{type(exc).__name__}: {exc}".strip()
    if len(text) > 240:
        text = text[:237] + "..."
    mine = [(f.f_code.co_filename, n) for f, n in traceback.walk_tb(exc.__traceback__)
            if _is_learners(f.f_code.co_filename)]  # reads no source but the learner's
    if not mine:
        return text
    filename, lineno = mine[-1]
    code = linecache.getline(filename, lineno).strip()
    if len(code) > 80:
        code = code[:77] + "..."
    where = f"line {lineno} of your cell"
    return f"{text} ({where}: `{code}`)" if code else f"{text} ({where})"


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
            attempt.error = describe_error(exc)
            value = None
    attempt.warnings = sorted({str(w.message)[:120] for w in caught})
    attempt.mutated = not all(_same(g, b) for g, b in zip(given, before, strict=True))
    if attempt.error is None:
        attempt.output = _as_output(value)
        if attempt.output is None:
            attempt.error = f"it returned {type(value).__name__}, not an array of numbers"
    return attempt
