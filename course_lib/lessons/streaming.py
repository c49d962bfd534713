"""Online softmax: the normaliser in one pass, with a running max and a rescaled running sum.

The stable softmax reads its input three times: once for the max, once for the sum of
``exp(x - max)``, once to divide. When the values arrive as a stream (or do not fit in
memory, or sit in slow memory as in attention kernels) we can fold the first two passes into
one. Keep ``m``, the largest value seen so far, and ``s``, the sum of ``exp(x - m)`` over
the values seen so far. A new value ``x`` changes them to

    m' = max(m, x)
    s' = s * exp(m - m') + exp(x - m')

The factor ``exp(m - m')`` re-expresses the old sum relative to the new max; every exponent
is <= 0, so nothing overflows. At the end ``logsumexp = m + log(s)``. Two partial results
combine by the same rule, in any grouping, which is what lets GPUs split the work
(Milakov & Gimelshein, "Online normalizer calculation for softmax", arXiv:1805.02867, 2018).

Special values follow :mod:`course_lib.functions`: ``-inf`` entries add nothing; a stream of
only ``-inf`` has ``logsumexp = -inf`` and no softmax (NaN); ``+inf`` entries share the
probability equally; NaN makes the result NaN. No ``RuntimeWarning`` is raised for any of them.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike

from course_lib._validation import as_float_array, check_axis, require_nonempty

__all__ = ["RunningLogSumExp", "online_logsumexp", "online_softmax"]


def _exp_diff(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """``exp(a - b)`` for ``a <= b``, and exactly 1 where ``a == b`` (also when both are ±inf)."""
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf, and -1e308 - 1e308
        return np.where(a == b, 1.0, np.exp(np.subtract(a, b)))


class RunningLogSumExp:
    """A running ``logsumexp`` of everything passed to :meth:`update`, in one pass.

    State: ``max`` (largest value so far, ``-inf`` at the start) and ``scaled_sum``
    (the sum of ``exp(x - max)`` so far; with ``max = +inf`` it counts the ``+inf`` values).

    Examples
    --------
    >>> acc = RunningLogSumExp()
    >>> for x in [1.0, 3.0, 2.0]:
    ...     acc.update(x)
    >>> round(acc.value, 6), round(float(np.log(np.exp(1) + np.exp(3) + np.exp(2))), 6)
    (3.407606, 3.407606)
    >>> acc.update([1000.0, 1000.0])  # chunks work too; no overflow
    >>> round(acc.value - 1000.0, 6)  # log 2
    0.693147
    """

    def __init__(self) -> None:
        self.max = -np.inf
        self.scaled_sum = 0.0

    def update(self, values: ArrayLike) -> None:
        """Fold a number, or a chunk of numbers (any shape), into the running state."""
        chunk = as_float_array(values, "values", "RunningLogSumExp.update").astype(
            np.float64, copy=False
        )
        if chunk.size == 0:
            return
        chunk_max = float(chunk.max())  # NaN if the chunk holds a NaN
        chunk_sum = float(np.sum(_exp_diff(chunk, chunk_max)))
        self.merge(chunk_max, chunk_sum)

    def merge(self, other_max: float, other_scaled_sum: float) -> None:
        """Combine with another partial result ``(max, scaled_sum)``, e.g. from another worker."""
        new_max = max(self.max, other_max) if not np.isnan(other_max) else other_max
        if np.isnan(self.max):
            new_max = self.max
        self.scaled_sum = float(
            self.scaled_sum * _exp_diff(self.max, new_max)
            + other_scaled_sum * _exp_diff(other_max, new_max)
        )
        self.max = float(new_max)

    @property
    def value(self) -> float:
        """``log(sum(exp(x)))`` of all values seen; ``-inf`` if none (or only -inf) were seen."""
        if self.scaled_sum == 0.0:  # empty stream: the log of an empty sum
            return -np.inf
        return float(self.max + np.log(self.scaled_sum))


def online_logsumexp(stream: Iterable[ArrayLike]) -> float:
    """``logsumexp`` of a stream of numbers (or chunks of numbers), reading each one once.

    Parameters
    ----------
    stream : iterable of float or array_like
        Values in any order and grouping; a generator is consumed once.

    Returns
    -------
    float
        Agrees with :func:`course_lib.logsumexp` of all the values together; ``-inf`` for an
        empty stream or one holding only ``-inf``.

    Examples
    --------
    >>> round(online_logsumexp(iter([1.0, 3.0, 2.0])), 6)
    3.407606
    >>> online_logsumexp([[-np.inf, -np.inf], [1e308, 1e308]]) == 1e308  # + log 2 is lost
    True
    """
    acc = RunningLogSumExp()
    for item in stream:
        acc.update(item)
    return acc.value


def online_softmax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis`` computed with the one-pass normaliser, then one pass to divide.

    The first pass walks along ``axis`` one position at a time (all other positions at once)
    keeping the running max ``m`` and the rescaled running sum ``s``; the second pass writes
    ``exp(x - m) / s``. Two reads of the input instead of three.

    Parameters
    ----------
    x : array_like
        Logits; not modified.
    axis : int, optional
        The axis to normalise along (default -1).

    Returns
    -------
    ndarray of float64
        Same shape as ``x``; sums to 1 along ``axis`` (NaN for a slice of only ``-inf``
        or containing NaN).

    Examples
    --------
    >>> online_softmax([1.0, 3.0, 2.0]).round(8)
    array([0.09003057, 0.66524096, 0.24472847])
    >>> online_softmax([[-np.inf, 0.0], [np.inf, np.inf]])
    array([[0. , 1. ],
           [0.5, 0.5]])
    """
    a = as_float_array(x, "x", "online_softmax").astype(np.float64, copy=False)
    ax = check_axis(a, axis, "online_softmax")
    require_nonempty(a, ax, "online_softmax")
    a = np.moveaxis(a, ax, 0)  # walk along the first axis
    m = np.full(a.shape[1:], -np.inf)
    s = np.zeros(a.shape[1:])
    for xi in a:  # pass 1: running max and rescaled running sum
        new_m = np.where(np.isnan(xi), np.nan, np.maximum(m, xi))
        s = s * _exp_diff(m, new_m) + _exp_diff(xi, new_m)
        m = new_m
    with np.errstate(invalid="ignore", divide="ignore"):
        out = _exp_diff(a, m) / s  # pass 2
    out[..., m == -np.inf] = np.nan  # only -inf in the slice: no distribution
    return np.moveaxis(out, 0, ax)
