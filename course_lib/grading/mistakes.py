"""Mistakes that several exercises share, with the variants that reproduce them.

The judging (:mod:`.judging`) names the first four itself (a mutated input, a hard-coded
answer, a lower precision, a wrong shape); the others are the softmax family's: what goes
wrong in the shift, the sum and the axis. An exercise module lists the ones that apply to
it in its own catalogue.

>>> import numpy as np
>>> p = GLOBAL_SHIFT.variant(np.array([[1000.0, 999.0], [-1000.0, -999.0]]))
>>> bool(np.isnan(p[1]).all())  # the second row underflowed to 0 / 0
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.functions import log_softmax, softmax
from course_lib.grading.model import Mistake

# --- named by the judging itself ---------------------------------------------------------

MUTATED = Mistake(
    "input mutated",
    "your function changed the array it was given (for example with `x -= ...` or "
    "`np.exp(x, out=x)`); work on a new array so the caller's data stays as it was",
)
HARD_CODED = Mistake(
    "hard-coded answer",
    "your function returns the same thing whatever the input; compute the answer from `x`, "
    "the checks draw new numbers every time",
)
WRONG_DTYPE = Mistake(
    "wrong dtype",
    "your result has a lower precision than the input's: do not convert to float32 or "
    "float16 (float64 in, float64 out; float32 input may come back as either)",
    dtype=True,
)
WRONG_SHAPE = Mistake(
    "wrong shape",
    "your result does not have the expected shape (the first failure below shows both); "
    "an elementwise answer keeps the input's shape, a reduction drops `axis`",
)
MASK_NOT_ZERO = Mistake(
    "masked entries above 0",
    "an entry that is -inf in the input must get exactly 0 (`np.exp(-np.inf)` is 0.0), but "
    "yours got a tiny positive number: do not clip the shifted logits (`np.maximum(x - m, "
    "-700)`, `np.clip`) and do not add an epsilon before or after `exp`; let `exp` give 0",
)


def near_miss(dtype: np.dtype) -> Mistake:
    """Numbers right to about six digits (float64) but not to the precision the checks ask
    for; ``dtype`` is the right answer's."""
    if np.dtype(dtype) == np.float64:
        said, asked = "about 6 significant digits", "about 9 (a relative error of 1e-9)"
    else:
        said, asked = "a few digits", f"{np.dtype(dtype)} precision"
    return Mistake(
        "close, but not to the precision asked",
        f"your numbers are right to {said} but the checks ask for {asked}: look for an "
        "epsilon added somewhere (`+ 1e-8`), a float32 or float16 step (a cast, or "
        "`dtype=np.float32` in a sum), a clip, or a rounding",
    )


def undefined_name(name: str, exercise_id: str) -> Mistake:
    """The answer uses ``name``, which is not defined where it runs."""
    return Mistake(
        "a name from outside the answer cell",
        f"`{name}` is not defined where your answer runs. Grading runs only the cells tagged "
        f"`answer:{exercise_id}` (with NumPy as `np`), never the other cells of your "
        "notebook, so a helper function, an import or a variable from another cell is "
        "missing there: define (or import) it inside the answer cell, or fix the name if "
        "it is a typo",
    )


def quiet(f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` with NumPy's floating-point warnings silenced (a variant overflows on purpose)."""

    def g(*a: Any, **k: Any) -> Any:
        with np.errstate(all="ignore"):
            return f(*a, **k)

    return g


def as_float(x: Any) -> np.ndarray:
    """``x`` as a float64 array, the way learners usually start."""
    return np.asarray(x, dtype=float)


# --- a loop's starting value -----------------------------------------------------------

SENTINELS = (0.0, -1.0, -99.0, -100.0, -999.0, -1000.0, -9999.0, -1e4, -99999.0, -1e5, -1e6,
             -1e8, -1e9, -1e10, -1e12, -1e15, -1e18, -2.0**31, -2.0**63, -1e20, -1e30, -1e38,
             -1e50, -1e100, -1e300, -float(np.finfo(np.float64).max))
"""Values a loop for the maximum is often started from instead of the slice's first entry;
the cases hold slices entirely below each of them (every one but the last, which only a
slice of ``-inf`` is below)."""


# --- the shifts: each slice's max is right, the others are not -----------------------------

Shift = Callable[[np.ndarray, int], Any]


def global_max(x: np.ndarray, axis: int) -> Any:
    """The maximum of the whole batch."""
    return x.max()


def slice_min(x: np.ndarray, axis: int) -> Any:
    """Each slice's minimum."""
    return x.min(axis=axis, keepdims=True)


def slice_mean(x: np.ndarray, axis: int) -> Any:
    """Each slice's mean."""
    return x.mean(axis=axis, keepdims=True)


def nothing(x: np.ndarray, axis: int) -> Any:
    """No shift at all."""
    return 0.0


def shifted_softmax(shift: Shift) -> Callable[..., np.ndarray]:
    """Softmax along ``axis`` with ``shift`` subtracted before ``exp``."""

    @quiet
    def variant(x: Any, axis: int = -1) -> np.ndarray:
        x = as_float(x)
        e = np.exp(x - shift(x, axis))
        return e / e.sum(axis=axis, keepdims=True)

    return variant


def shifted_logsumexp(shift: Shift) -> Callable[..., np.ndarray]:
    """logsumexp along ``axis`` with ``shift`` subtracted before ``exp`` and added back."""

    @quiet
    def variant(x: Any, axis: int = -1, keepdims: bool = False) -> np.ndarray:
        x = as_float(x)
        c = shift(x, axis)
        out = c + np.log(np.exp(x - c).sum(axis=axis, keepdims=True))
        return out if keepdims else np.squeeze(out, axis=axis)

    return variant


naive_softmax = shifted_softmax(nothing)

OVERFLOW = Mistake(
    "no max shift (overflow)",
    "`np.exp` overflowed to inf for large logits; subtract each slice's maximum before `exp` "
    "(it does not change the result), and exponentiate those shifted values, not `x`",
    naive_softmax,
)
GLOBAL_SHIFT = Mistake(
    "shift by the global max of the batch", "you subtracted the maximum of the whole batch; "
    "rows far below it underflow to 0/0; subtract each slice's own max "
    "(`x.max(axis=axis, keepdims=True)`)", shifted_softmax(global_max),
)
MIN_SHIFT = Mistake(
    "shift by the minimum", "you subtracted each slice's minimum; then `exp` overflows when "
    "the slice spans more than about 709; subtract the maximum, so that every exponent is at "
    "most 0", shifted_softmax(slice_min),
)
MEAN_SHIFT = Mistake(
    "shift by the mean", "you subtracted each slice's mean; then `exp` overflows when one "
    "logit sits far above the others; subtract the maximum, so that every exponent is at "
    "most 0", shifted_softmax(slice_mean),
)
SHIFT_MISTAKES = (OVERFLOW, GLOBAL_SHIFT, MIN_SHIFT, MEAN_SHIFT)


def logsumexp_shift(m: Mistake, shift: Shift, extra: str = "") -> Mistake:
    """The softmax shift mistake ``m``, made in logsumexp instead."""
    return Mistake(m.name, m.hint + extra, shifted_logsumexp(shift))


# --- the softmax family: the sum, the axis, what comes back ------------------------------


@quiet
def _whole_batch_softmax(x: Any, axis: int = -1) -> np.ndarray:
    x = as_float(x)
    e = np.exp(x - x.max())
    return e / e.sum()


@quiet
def _axis0_softmax(x: Any, axis: int = -1) -> np.ndarray:
    x = as_float(x)
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


@quiet
def _last_axis_softmax(x: Any, axis: int = -1) -> np.ndarray:
    return softmax(as_float(x), axis=-1)


@quiet
def _no_exp(x: Any, axis: int = -1) -> np.ndarray:
    x = as_float(x)
    return x / x.sum(axis=axis, keepdims=True)


@quiet
def _sigmoid_each(x: Any, axis: int = -1) -> np.ndarray:
    return 1 / (1 + np.exp(-as_float(x)))


@quiet
def _hardmax(x: Any, axis: int = -1) -> np.ndarray:
    x = as_float(x)
    return (np.arange(x.shape[axis]).reshape([-1 if i == axis % x.ndim else 1
                                              for i in range(x.ndim)])
            == np.expand_dims(np.argmax(x, axis=axis), axis)).astype(float)


@quiet
def _no_keepdims(x: Any, axis: int = -1) -> np.ndarray:
    x = as_float(x)
    e = np.exp(x - x.max(axis=axis))
    return e / e.sum(axis=axis)


@quiet
def _whole_batch_sum_rows_shifted(x: Any, axis: int = -1) -> np.ndarray:
    x = as_float(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))  # each row shifted by its own max ...
    return e / e.sum()  # ... but one sum for the whole batch


@quiet
def _whole_batch_sum_unshifted(x: Any, axis: int = -1) -> np.ndarray:
    e = np.exp(as_float(x))
    return e / e.sum()


WHOLE_BATCH_SUM = Mistake(
    "whole-batch sum", "you divided by the sum of the whole batch; divide each row by its own "
    "sum: `e.sum(axis=axis, keepdims=True)`", _whole_batch_softmax,
    also=(_whole_batch_sum_rows_shifted, _whole_batch_sum_unshifted))
WRONG_AXIS = Mistake(
    "wrong axis", "your probabilities sum to 1 down the columns (axis 0); the classes are "
    "along `axis` (the last one by default)", _axis0_softmax)
AXIS_IGNORED = Mistake(
    "axis ignored", "your function always works along the last axis; use the `axis` argument "
    "in max, sum and keepdims", _last_axis_softmax)
MISSING_KEEPDIMS = Mistake(
    "missing keepdims", "`x.max(axis=axis)` and `e.sum(axis=axis)` drop the reduced axis, so "
    "a batch of rows no longer lines up with them; pass `keepdims=True` to both", _no_keepdims)
LOG_PROBABILITIES = Mistake(
    "log-probabilities returned", "you returned log-probabilities (log_softmax); softmax "
    "returns the probabilities themselves", quiet(log_softmax))
HARDMAX = Mistake(
    "hardmax returned", "you returned a one-hot of the largest entry (hardmax); softmax keeps "
    "a probability for every class", _hardmax)
EXP_FORGOTTEN = Mistake(
    "exp forgotten", "you divided the logits by their sum without `np.exp`; softmax "
    "exponentiates first", _no_exp)
SIGMOID = Mistake(
    "sigmoid per element", "you applied the sigmoid to each entry; softmax divides `exp(x)` "
    "by the sum over the slice so the result sums to 1", _sigmoid_each)
