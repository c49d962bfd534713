"""Exercise ``stable_softmax``: softmax with a temperature that never overflows (lesson 04).

Exercise 03 already shifts by the maximum for huge logits. Here the overflow comes from the
temperature too: ``x / T`` is ``inf`` for ordinary logits when ``T`` is tiny, so *where*
the division goes matters (after the shift, never before).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.functions import softmax
from course_lib.grading.cases import arr, below, far, masked, wide
from course_lib.grading.mistakes import (
    AXIS_IGNORED,
    EXP_FORGOTTEN,
    GLOBAL_SHIFT,
    LOG_PROBABILITIES,
    MEAN_SHIFT,
    MIN_SHIFT,
    MISSING_KEEPDIMS,
    MUTATED,
    OVERFLOW,
    WHOLE_BATCH_SUM,
    WRONG_AXIS,
    as_float,
    quiet,
)
from course_lib.grading.model import Case, Exercise, Mistake

CONTRACT = """\
`x` is an array or a (nested) list of any finite logits (±1e308 included), with `-inf`
entries as masks (probability exactly 0) but never a slice that is all `-inf`; `axis` is
any valid axis; `temperature` is any finite number above 0, from 1e-306 to 1e300. The
result is `softmax(x / temperature)` along `axis`: the shape of `x`, summing to 1 along
`axis`, with no `nan`; dtypes as in `my_softmax` (float32 in: float32 or float64 out)."""

TINY = 1e-306  # 1000 / TINY overflows; (x - max) / TINY does not


def reference(x: Any, axis: int = -1, temperature: float = 1.0) -> np.ndarray:
    return softmax(x, axis=axis, temperature=temperature)


def independent(x: Any, axis: int = -1, temperature: float = 1.0) -> np.ndarray:
    """``softmax(x / temperature)`` with mpmath's unbounded exponents: no shift needed (for
    the test suite only)."""
    import mpmath

    a = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    out = np.empty(a.shape)
    with mpmath.workdps(30):
        for idx in np.ndindex(a.shape[:-1]):
            e = [mpmath.exp(mpmath.mpf(float(v)) / mpmath.mpf(temperature)) for v in a[idx]]
            total = mpmath.fsum(e)
            out[idx] = [float(v / total) for v in e]
    return np.moveaxis(out, -1, axis)


def visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case("ordinary logits", (arr(rng, (3, 4)),)),
        Case("logits near 1000", (arr(rng, (3, 4)) + 1000.0,), required=True),
        Case("rows far apart (near +1000 and -1000)", (far(rng, (2, 4)),), required=True),
        Case("rows spanning 800 or 1600", (wide(rng, (2, 4)),)),
        Case("temperature 5, axis=0", (arr(rng, (4, 3)),), {"axis": 0, "temperature": 5.0}),
        Case("a temperature of one half", (arr(rng, (2, 5)),), {"temperature": 0.5}),
        Case("a tiny temperature (1e-306) on logits near 1000", (arr(rng, (3, 4)) + 1000.0,),
             {"temperature": TINY}, required=True),
        Case("a 3-D batch, axis=1, temperature 2", (arr(rng, (2, 3, 4)),),
             {"axis": 1, "temperature": 2.0}),
        Case("-inf masks (their probability must be exactly 0)", (masked(rng, (3, 5)),)),
    ]


def hidden(rng: np.random.Generator) -> list[Case]:
    mixed = arr(rng, (2, 5))
    mixed[0, :2] = [1e308, -1e308]
    return [
        Case("±1e308 in one row", (mixed,)),
        Case("-inf masks, temperature 3", (masked(rng, (3, 4)),), {"temperature": 3.0}),
        Case("float32 near 100, temperature 1e-30",
             ((arr(rng, (3, 5)) + 100).astype(np.float32),), {"temperature": 1e-30}),
        Case("logits near -1e4, temperature 10", (arr(rng, (2, 6)) - 1e4,),
             {"temperature": 10.0}),
        Case("a huge temperature (1e300): uniform rows", (arr(rng, (3, 4)),),
             {"temperature": 1e300}),
        Case("a 3-D batch near ±1e4, axis=0, a tiny temperature (1e-306)",
             (far(rng, (2, 3, 4), 0, 1e4),), {"axis": 0, "temperature": TINY}),
        Case("columns spanning 800 or 1600, axis=0, temperature 4", (wide(rng, (4, 3), 0),),
             {"axis": 0, "temperature": 4.0}),
        Case("float32 rows far apart", (far(rng, (2, 3)).astype(np.float32),)),
        Case("ints near 1000, temperature 2", (rng.integers(995, 1005, (3, 4)),),
             {"temperature": 2.0}),
        Case("a list with ties, a tiny temperature (1e-306)",
             ([[1000.0, 1000.0, 5.0], [-3.0, -3.0, -3.0]],), {"temperature": TINY}),
        Case("slices far below 0 (near -5e4 and -1e300), axis=1",
             (below(rng, (2, 5, 2), 1),), {"axis": 1}),
    ]


def scaled_first(variant: Any) -> Any:
    """``variant`` (a softmax of ``(x, axis)``) applied to ``x / temperature``: the
    division done first, as most learners write it."""

    @quiet
    def scaled(x: Any, axis: int = -1, temperature: float = 1.0) -> np.ndarray:
        return variant(as_float(x) / temperature, axis=axis)

    return scaled


def _like(m: Mistake) -> Mistake:
    """A shared softmax mistake, made after dividing by the temperature."""
    return Mistake(m.name, m.hint, scaled_first(m.variant),
                   also=tuple(scaled_first(v) for v in m.also))


@quiet
def _divided_first(x: Any, axis: int = -1, temperature: float = 1.0) -> np.ndarray:
    z = as_float(x) / temperature
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


MISTAKES = (
    MUTATED,
    Mistake("divided before the shift", "at a tiny temperature `x / temperature` itself "
            "overflows to inf (and inf - inf is nan); subtract each slice's maximum first, "
            "then divide: `(x - m) / temperature`", _divided_first),
    Mistake("temperature ignored", "use the `temperature` argument: the result is "
            "`softmax(x / temperature)`", lambda x, axis=-1, temperature=1.0: softmax(
                x, axis=axis)),
    Mistake("multiplied by the temperature", "divide the logits by the temperature, do not "
            "multiply: a small temperature must sharpen the distribution",
            quiet(lambda x, axis=-1, temperature=1.0: softmax(as_float(x) * temperature,
                                                              axis=axis))),
    *(_like(m) for m in (OVERFLOW, GLOBAL_SHIFT, MIN_SHIFT, MEAN_SHIFT, WHOLE_BATCH_SUM,
                         AXIS_IGNORED, WRONG_AXIS, MISSING_KEEPDIMS, LOG_PROBABILITIES,
                         EXP_FORGOTTEN)),
)

EXERCISE = Exercise(
    id="stable_softmax", title="Softmax with a temperature that never overflows",
    function_name="stable_softmax", notebook="ex04_stability.ipynb", place=1,
    contract=CONTRACT, reference=reference, visible=visible, hidden=hidden, mistakes=MISTAKES,
)
