"""Judging attempts: is each case right, what score, and which known mistake (if any) explains
the first failure. It knows no exercise by name: everything comes from the
:class:`~course_lib.grading.model.Exercise` it is given.

Expected values are computed here, in the checking (or grading) process, with the
exercise's reference, never inside the learner's process. A hint is given only when the
mistake's variant reproduces what the learner's code did on the first failing case; an
exception is reported as itself. The message names no random number, so the same code gets
the same message on every run.

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

from typing import Any

import numpy as np

from course_lib.grading import policy
from course_lib.grading.attempt import Attempt
from course_lib.grading.mistakes import HARD_CODED, MUTATED, WRONG_DTYPE, WRONG_SHAPE
from course_lib.grading.model import Assessment, Case, Exercise, Mistake

ERRORED = "your function raised an error"
DTYPE_REASONS = ("expected integer indices", "expected float")  # how compare() starts them


def tolerance(expected: np.ndarray, case: Case | None = None) -> tuple[float, float]:
    """(rtol, atol) of the comparison. In float32 the logits themselves carry rounding errors
    of about ``eps * |x|``, and so does any correct answer computed from them in float32: the
    absolute tolerance grows with the largest finite input."""
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


def compare(ex: Exercise, got: np.ndarray, expected: np.ndarray,
            case: Case | None = None) -> str | None:
    """None if ``got`` is right, else a short deterministic reason.

    The dtype comes from ``ex.returns``: ``"indices"`` wants integers (compared exactly),
    ``"floats"`` any float, ``"input precision"`` floats at least as precise as the
    reference's (a float64 result for float32 input is accepted and judged at float32
    tolerance; float32 for float64 input is not).
    """
    if got.shape != expected.shape:
        return f"expected shape {expected.shape}, got {got.shape}"
    if ex.returns == "indices":
        if not np.array_equal(got, expected):
            return "wrong indices"
        return None if got.dtype.kind in "iu" else f"expected integer indices, got {got.dtype}"
    if ex.returns == "floats":
        if got.dtype.kind != "f":
            return f"expected floats, got {got.dtype}"
    elif (expected.dtype.kind == "f" and got.dtype.kind == "f"
          and got.dtype.itemsize < expected.dtype.itemsize):
        return f"expected {expected.dtype} (the input's precision or more), got {got.dtype}"
    rtol, atol = tolerance(expected, case)
    with np.errstate(all="ignore"):
        ok = np.allclose(got.astype(np.float64), expected.astype(np.float64), rtol=rtol,
                         atol=atol, equal_nan=True)
    if ok:
        return None
    if not np.isfinite(got).all() and np.isfinite(expected).all():
        return "nan or inf where the answer is finite"
    return "wrong values"


def _matches(got: np.ndarray, value: Any) -> bool:
    try:
        v = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if v.shape != got.shape:
        return False
    with np.errstate(all="ignore"):
        return bool(np.allclose(got.astype(np.float64), v, rtol=1e-6, atol=1e-9,
                                equal_nan=True))


def _variant_outcome(m: Mistake, case: Case) -> Any:
    """What the mistaken variant gives on ``case``: an array, or ``"Type: message"``."""
    assert m.variant is not None
    try:
        with np.errstate(all="ignore"):
            return np.asarray(m.variant(*case.args, **case.kwargs))
    except Exception as exc:  # noqa: BLE001 - the variant's own error is what we compare
        return f"{type(exc).__name__}: {exc}"


def _reproduces(outcome: Any, att: Attempt) -> bool:
    if isinstance(outcome, str):
        return att.error is not None and att.error.startswith(outcome)
    return att.output is not None and att.error is None and _matches(att.output, outcome)


def diagnose(ex: Exercise, cases: list[Case], attempts: list[Attempt],
             bad: list[int], reasons: list[str]) -> Mistake | None:
    """The mistake that explains the first failing case, or None (no guess).

    A mistake is named only when its variant reproduces what the learner's code did on the
    first failing case (the same output, or the same exception). When several do, the one
    that also reproduces the most other cases wins (catalogue order breaks ties).
    """
    if any(attempts[i].mutated for i in bad):
        return MUTATED
    first, reason = bad[0], reasons[0]
    att, case = attempts[first], cases[first]
    if att.not_implemented:
        return None
    if reason.startswith(DTYPE_REASONS):
        return next((m for m in ex.mistakes if m.dtype), WRONG_DTYPE)
    outputs = [a.output for a in attempts if a.output is not None and a.error is None]
    if att.output is not None and len(outputs) == len(cases) >= 2 and all(
        o.shape == att.output.shape and np.array_equal(o, att.output, equal_nan=True)
        for o in outputs
    ):
        return HARD_CODED
    best: Mistake | None = None
    best_score = 0
    for m in ex.mistakes:
        if m.variant is None or not _reproduces(_variant_outcome(m, case), att):
            continue
        score = sum(_reproduces(_variant_outcome(m, c), a)
                    for c, a in zip(cases, attempts, strict=True))
        if score > best_score:
            best, best_score = m, score
    if best is not None:
        return best
    if att.output is not None and att.error is None and reason.startswith("expected shape"):
        if ex.shape_hint:
            return Mistake(WRONG_SHAPE.name, "your result does not have the expected shape "
                           "(the first failure below shows both); " + ex.shape_hint)
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
    return Assessment(False, score, "\n".join(lines), failures)
