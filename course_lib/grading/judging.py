"""Judging attempts: is each case right, what score, and which known mistake (if any) explains
the first failure. It knows no exercise by name: everything comes from the
:class:`~course_lib.grading.model.Exercise` it is given.

Expected values are computed here, in the checking (or grading) process, with the
exercise's reference, never inside the learner's process. The message names no random
number, so the same code gets the same message on every run.

A hint must never mislead (a wrong hint is worse than none). A catalogued mistake is named
only when one of its variants

1. differs from the reference on the first failing case (a variant that happens to be right
   there explains nothing),
2. reproduces what the learner's code did there, at the grader's own tolerance (the same
   numbers, or the same exception), and
3. is never wrong where the learner's code is right, on any case of the run.

When several qualify, the one that reproduces the most cases wins (catalogue order breaks
ties). Otherwise the judging says only what it can see for itself: a changed input, a
hard-coded answer, a dtype or a shape, a masked entry that is not exactly 0, a name that is
not defined where the answer runs, or numbers close to right but not to the precision asked.

>>> import numpy as np
>>> from course_lib.grading.attempt import run_case
>>> from course_lib.grading.registry import EXERCISES
>>> ex = EXERCISES["max"]
>>> cases = ex.cases(np.random.default_rng(0), hidden=False)
>>> attempts = [run_case(lambda x, axis=-1: np.max(x), c.args, c.kwargs) for c in cases]
>>> print(assess(ex, cases, attempts).message.splitlines()[1])  # doctest: +ELLIPSIS
It looks like: whole-array maximum. Hint: you took the maximum of the whole array; ...
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.grading import policy
from course_lib.grading.attempt import Attempt
from course_lib.grading.mistakes import (
    HARD_CODED,
    MASK_NOT_ZERO,
    MUTATED,
    WRONG_DTYPE,
    WRONG_SHAPE,
    near_miss,
    undefined_name,
)
from course_lib.grading.model import Assessment, Case, Exercise, Mistake

ERRORED = "your function raised an error"
DTYPE_REASONS = ("expected integer indices", "expected float")  # how compare() starts them
MASK_REASON = "a masked entry (-inf in the input) is not exactly 0"
NEAR = 1000.0  # "close": within this many times the grader's tolerance (1e-6 for float64)
_UNDEFINED = re.compile(r"NameError: name '([^']+)' is not defined")


def tolerance(expected: np.ndarray, case: Case | None = None) -> tuple[float, float]:
    """(rtol, atol) of the comparison. In float32 the logits themselves carry rounding errors
    of about ``eps * |x|``, and so does any correct answer computed from them in float32: the
    absolute tolerance grows with the largest finite input.

    >>> tolerance(np.zeros(3))
    (1e-09, 1e-12)
    """
    if expected.dtype in (np.float16, np.float32):
        eps = float(np.finfo(expected.dtype).eps)
        big = 1.0
        if case is not None and case.args:
            with np.errstate(all="ignore"):
                x = np.asarray(case.args[0], dtype=np.float64)
            finite = np.abs(x[np.isfinite(x)])
            big = max(big, float(finite.max()) if finite.size else 1.0)
        return 100 * eps, 8 * eps * big
    return 1e-9, 1e-12


def _masked_zeros(expected: np.ndarray, case: Case | None) -> np.ndarray | None:
    """Where the first input is ``-inf`` and the answer is exactly 0 (a masked probability),
    for answers of the input's shape; None when there is no such entry."""
    if case is None or not case.args or expected.dtype.kind != "f":
        return None
    with np.errstate(all="ignore"):
        try:
            x = np.asarray(case.args[0], dtype=np.float64)
        except (TypeError, ValueError):
            return None
    if x.shape != expected.shape:
        return None
    where = np.isneginf(x) & (expected == 0)
    return where if where.any() else None


def _value_reason(got: np.ndarray, expected: np.ndarray, case: Case | None,
                  exact: bool = False) -> str | None:
    """None if ``got`` has the expected shape and values (at the grader's tolerance, masked
    entries exactly 0), else why not. Dtypes are not looked at."""
    if got.shape != expected.shape:
        return f"expected shape {expected.shape}, got {got.shape}"
    if exact:
        return None if np.array_equal(got, expected) else "wrong indices"
    rtol, atol = tolerance(expected, case)
    with np.errstate(all="ignore"):
        g = got.astype(np.float64)
        ok = np.allclose(g, expected.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True)
    if not ok:
        if not np.isfinite(got).all() and np.isfinite(expected).all():
            return "nan or inf where the answer is finite"
        return "wrong values"
    masked = _masked_zeros(expected, case)
    if masked is not None and (g[masked] != 0).any():
        return MASK_REASON
    return None


def compare(ex: Exercise, got: np.ndarray, expected: np.ndarray,
            case: Case | None = None) -> str | None:
    """None if ``got`` is right, else a short deterministic reason.

    The dtype comes from ``ex.returns``: ``"indices"`` wants integers (compared exactly),
    ``"float64"`` float64 only, ``"input precision"`` floats at least as precise as the
    reference's (a float64 result for float32 input is accepted and judged at float32
    tolerance; float32 for float64 input is not). Where the input is ``-inf`` and the answer
    is 0 (a masked probability), the result must be exactly 0.
    """
    if got.shape != expected.shape:
        return f"expected shape {expected.shape}, got {got.shape}"
    if ex.returns == "indices":
        if not np.array_equal(got, expected):
            return "wrong indices"
        return None if got.dtype.kind in "iu" else f"expected integer indices, got {got.dtype}"
    if ex.returns == "float64":
        if got.dtype != np.float64:
            return f"expected float64, got {got.dtype}"
    elif (expected.dtype.kind == "f" and got.dtype.kind == "f"
          and got.dtype.itemsize < expected.dtype.itemsize):
        return f"expected {expected.dtype} (the input's precision or more), got {got.dtype}"
    return _value_reason(got, expected, case)


def _near(got: np.ndarray, expected: np.ndarray, case: Case) -> bool:
    """Right to about :data:`NEAR` times the grader's tolerance, everywhere: the same
    non-finite entries, and finite ones within ``NEAR * rtol`` of the largest answer."""
    if got.shape != expected.shape or expected.dtype.kind != "f" or got.dtype.kind != "f":
        return False
    with np.errstate(all="ignore"):
        g, e = got.astype(np.float64), expected.astype(np.float64)
        fin = np.isfinite(e)
        if not np.array_equal(np.isfinite(g), fin) or not np.array_equal(
                g[~fin], e[~fin], equal_nan=True):
            return False
        if not fin.any():
            return False
        rtol = NEAR * tolerance(expected, case)[0]
        scale = float(np.abs(e[fin]).max()) or 1.0
        return bool(np.allclose(g[fin], e[fin], rtol=rtol, atol=rtol * scale))


# --- the catalogue, under the three conditions ------------------------------------------------


class _Run:
    """One judging run: the cases, the learner's attempts, and what is right on each case
    (computed once, when first asked for)."""

    def __init__(self, ex: Exercise, cases: list[Case], attempts: list[Attempt],
                 passed: list[bool]) -> None:
        self.ex, self.cases, self.attempts, self.passed = ex, cases, attempts, passed
        self._expected: dict[int, np.ndarray] = {}

    def expected(self, i: int) -> np.ndarray:
        if i not in self._expected:
            c = self.cases[i]
            with np.errstate(all="ignore"):
                self._expected[i] = np.asarray(self.ex.reference(*c.args, **c.kwargs))
        return self._expected[i]

    def outcome(self, variant: Callable[..., Any], i: int) -> Any:
        """What ``variant`` gives on case ``i``: an array, or ``"Type: message"``."""
        c = self.cases[i]
        try:
            with np.errstate(all="ignore"):
                return np.asarray(variant(*c.args, **c.kwargs))
        except Exception as exc:  # noqa: BLE001 - the variant's own error is what we compare
            return f"{type(exc).__name__}: {exc}"

    def wrong(self, outcome: Any, i: int) -> bool:
        """Does ``outcome`` differ from the right answer on case ``i``?"""
        if isinstance(outcome, str) or outcome.dtype.kind not in "biuf":
            return True
        exact = self.ex.returns == "indices"
        return _value_reason(outcome, self.expected(i), self.cases[i], exact) is not None

    def reproduces(self, outcome: Any, i: int) -> bool:
        """Did the learner's code do what ``outcome`` says, at the grader's tolerance?"""
        att = self.attempts[i]
        if isinstance(outcome, str):
            return att.error is not None and att.error.startswith(outcome)
        if att.output is None or att.error is not None:
            return False
        got = att.output
        if got.shape != np.shape(outcome):
            return False
        if self.ex.returns == "indices":
            return bool(np.array_equal(got, outcome))
        rtol, atol = tolerance(self.expected(i), self.cases[i])
        with np.errstate(all="ignore"):
            try:
                v = np.asarray(outcome, dtype=np.float64)
            except (TypeError, ValueError):
                return False
            return bool(np.allclose(got.astype(np.float64), v, rtol=rtol, atol=atol,
                                    equal_nan=True))

    def explains(self, variant: Callable[..., Any], first: int) -> int | None:
        """How many cases ``variant`` reproduces, if it meets the three conditions (module
        docstring) with ``first`` the first failing case; else None."""
        head = self.outcome(variant, first)
        if not self.wrong(head, first) or not self.reproduces(head, first):
            return None
        score = 1
        for i in range(len(self.cases)):
            if i == first:
                continue
            out = self.outcome(variant, i)
            if self.reproduces(out, i):
                score += 1
            elif self.passed[i] and self.wrong(out, i):
                return None  # the variant is wrong where the learner is right: not theirs
        return score


def diagnose(ex: Exercise, cases: list[Case], attempts: list[Attempt],
             bad: list[int], reasons: list[str]) -> Mistake | None:
    """The mistake that explains the first failing case, or None (no guess); see the module
    docstring for the rule."""
    if any(attempts[i].mutated for i in bad):
        return MUTATED
    first, reason = bad[0], reasons[0]
    att, case = attempts[first], cases[first]
    if att.not_implemented:
        return None
    if reason.startswith(DTYPE_REASONS):
        return next((m for m in ex.mistakes if m.dtype), WRONG_DTYPE)
    if reason == MASK_REASON:
        return MASK_NOT_ZERO
    undefined = _UNDEFINED.search(att.error or "")
    if undefined:
        return undefined_name(undefined.group(1), ex.id)
    outputs = [a.output for a in attempts if a.output is not None and a.error is None]
    if att.output is not None and len(outputs) == len(cases) >= 2 and all(
        o.shape == att.output.shape and np.array_equal(o, att.output, equal_nan=True)
        for o in outputs
    ):
        return HARD_CODED
    failed = set(bad)
    run = _Run(ex, cases, attempts, [i not in failed for i in range(len(cases))])
    best: Mistake | None = None
    best_score = 0
    for m in ex.mistakes:
        for variant in m.variants:
            score = run.explains(variant, first)
            if score is not None and score > best_score:
                best, best_score = m, score
    if best is not None:
        return best
    if att.output is not None and att.error is None:
        if reason == "wrong values" and ex.returns != "indices" and _near(
                att.output, run.expected(first), case):
            return near_miss(run.expected(first).dtype)
        if reason.startswith("expected shape"):
            if ex.shape_hint:
                return Mistake(WRONG_SHAPE.name, "your result does not have the expected "
                               "shape (the first failure below shows both); " + ex.shape_hint)
            return WRONG_SHAPE
    return None


def scoring(ex: Exercise) -> str:
    """The "Scoring" paragraph of ``ex``'s notebook: :func:`.policy.scoring_text` with its
    required cases (visible, then hidden; their labels never change)."""
    rng = np.random.default_rng(0)
    required = [c.label for hidden in (False, True) for c in ex.cases(rng, hidden=hidden)
                if c.required]
    return policy.scoring_text(ex.points, required)


def hidden_summary(ex: Exercise) -> str:
    """What the hidden cases of ``ex`` contain, from their labels (which never change)."""
    labels = [c.label for c in ex.cases(np.random.default_rng(0), hidden=True)]
    return f"{len(labels)} hidden cases ({'; '.join(labels)})"


def explain_cell_error(exercise_id: str, error: str) -> str:
    """``error`` (an answer cell that failed), with plain words added when it is a name the
    answer cell does not define.

    >>> print(explain_cell_error("max", "NameError: name 'helper' is not defined"))
    ... # doctest: +ELLIPSIS
    NameError: name 'helper' is not defined. `helper` is not defined where your answer runs...
    """
    undefined = _UNDEFINED.search(error)
    if not undefined:
        return error
    return f"{error}. {undefined_name(undefined.group(1), exercise_id).hint}."


def assess(ex: Exercise, cases: list[Case], attempts: list[Attempt]) -> Assessment:
    """Judge the attempts on the cases: score, and a message in plain words."""
    n = len(cases)
    if n and all(a.not_implemented for a in attempts):
        return Assessment(False, 0.0, f"{ex.id}: not implemented yet. Replace the "
                          f"`raise NotImplementedError` in `{ex.function_name}` with your code, "
                          "then run this cell again.")
    failures: list[str] = []
    reasons: list[str] = []
    bad: list[int] = []
    for i, (case, att) in enumerate(zip(cases, attempts, strict=True)):
        reason: str | None
        if att.not_implemented:
            reason = "raised NotImplementedError"
        elif att.error is not None:
            reason = f"{ERRORED}: {att.error}"
        elif att.mutated:
            reason = "changed its input array in place"
        else:
            expected = np.asarray(ex.reference(*case.args, **case.kwargs))
            reason = compare(ex, att.output, expected, case)
        if reason is not None:
            bad.append(i)
            reasons.append(reason)
            failures.append(f"{case.label}: {reason}")
    score = policy.score([i not in bad for i in range(n)], [c.required for c in cases])
    hidden = any(c.hidden for c in cases)
    if not bad:
        scope = (f"all {n} cases passed, hidden ones included" if hidden else
                 f"all {n} visible cases passed; grading adds {hidden_summary(ex)}, so keep "
                 "your code general")
        return Assessment(True, 1.0, f"{ex.id}: {scope}.")
    mistake = diagnose(ex, cases, attempts, bad, reasons)
    lines = [f"{ex.id}: {len(bad)} of {n} {'' if hidden else 'visible '}cases failed."]
    if mistake is not None:
        lines.append(f"It looks like: {mistake.name}. Hint: {mistake.hint}.")
    lines.append("First failure: " + failures[0])
    lines += [policy.capped_note(cases[i].label) for i in bad if cases[i].required][:1]
    return Assessment(False, score, "\n".join(lines), failures,
                      mistake.name if mistake is not None else None)
