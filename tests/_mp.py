"""High-precision references (mpmath, 50 digits) and ulp distances, for the accuracy tests.

Nothing here calls course_lib: the references are computed from the definitions.
"""

from __future__ import annotations

import mpmath
import numpy as np

mpmath.mp.dps = 50


def mp_row(row: np.ndarray) -> list[mpmath.mpf]:
    return [mpmath.mpf(float(v)) for v in row]


def shift_and_log1p(row: np.ndarray) -> tuple[mpmath.mpf, mpmath.mpf]:
    """(m, L) with logsumexp = m + L: L = log1p(sum of exp(x_j - m) over all but one max).

    Written this way so that 50 digits suffice even when L is 1e-300 (a plain
    ``log(sum(exp))`` would need 300 digits to see it).
    """
    xs = mp_row(row)
    k = int(np.argmax(row))
    m = xs[k]
    rest = mpmath.fsum(mpmath.exp(v - m) for j, v in enumerate(xs) if j != k)
    return m, mpmath.log1p(rest)


def mp_logsumexp(row: np.ndarray) -> mpmath.mpf:
    m, big_l = shift_and_log1p(row)
    return m + big_l


def mp_log_softmax(row: np.ndarray) -> list[mpmath.mpf]:
    m, big_l = shift_and_log1p(row)
    return [(v - m) - big_l for v in mp_row(row)]


def mp_softmax(row: np.ndarray) -> list[mpmath.mpf]:
    return [mpmath.exp(v) for v in mp_log_softmax(row)]


def ulps(got: float, ref: mpmath.mpf, dtype: type = np.float64) -> float:
    """Distance from ``got`` to the exact ``ref`` in units of the last place of ``ref``."""
    rf = dtype(float(ref))
    if not np.isfinite(rf):
        return 0.0 if got == rf else float("inf")
    spacing = float(np.spacing(np.abs(rf))) if rf != 0 else float(np.spacing(dtype(0)))
    return float(abs(mpmath.mpf(float(got)) - ref) / spacing)


def max_ulps(got: np.ndarray, refs: list[mpmath.mpf], dtype: type = np.float64) -> float:
    return max(ulps(g, r, dtype) for g, r in zip(np.ravel(got), refs, strict=True))
