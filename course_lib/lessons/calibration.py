"""Calibration: do the predicted probabilities mean what they say?

A classifier is *calibrated* when, among the predictions it makes with confidence about
0.8, about 80 % are right. This module measures that and repairs the commonest failure,
over-confidence, with one number:

- :func:`reliability_bins` sorts predictions into confidence bins and compares each bin's
  average confidence with its accuracy (the data of a reliability diagram);
- :func:`expected_calibration_error` (ECE) is the count-weighted average gap over the bins;
- :func:`fit_temperature` finds the single temperature ``T`` that makes
  ``softmax(logits / T)`` best predict held-out labels (minimum negative log-likelihood),
  as in Guo, Pleiss, Sun & Weinberger, "On Calibration of Modern Neural Networks", ICML 2017.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from course_lib.losses import cross_entropy

__all__ = [
    "ReliabilityBins",
    "expected_calibration_error",
    "fit_temperature",
    "reliability_bins",
]


@dataclass(frozen=True)
class ReliabilityBins:
    """Per-bin summary of predictions grouped by confidence.

    Attributes
    ----------
    edges : ndarray, shape (n_bins + 1,)
        Bin edges from 0 to 1; bin ``m`` holds confidences in ``(edges[m], edges[m + 1]]``
        (bin 0 also holds 0 itself).
    count : ndarray of int, shape (n_bins,)
        Predictions in each bin.
    confidence : ndarray, shape (n_bins,)
        Mean confidence (largest probability) in each bin; NaN for an empty bin.
    accuracy : ndarray, shape (n_bins,)
        Share of correct predictions in each bin; NaN for an empty bin.
    """

    edges: np.ndarray
    count: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray


def _check_probs_labels(probs: ArrayLike, labels: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(labels)
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] == 0:
        raise ValueError(
            f"probs must be a non-empty 2-D array (samples x classes), got shape {p.shape}"
        )
    if y.shape != (p.shape[0],) or y.dtype.kind not in "iu":
        raise ValueError(
            f"labels must be integer class indices, one per row of probs ({p.shape[0]}); "
            f"got shape {y.shape} and dtype {y.dtype}"
        )
    if not np.isfinite(p).all() or (p < 0).any() or np.abs(p.sum(axis=1) - 1).max() > 1e-6:
        raise ValueError(
            "probs must hold probabilities: finite, >= 0 and summing to 1 in every row. "
            "Did you pass logits? Apply softmax first."
        )
    if (y < 0).any() or (y >= p.shape[1]).any():
        raise ValueError(f"labels must lie between 0 and {p.shape[1] - 1}")
    return p, y


def reliability_bins(probs: ArrayLike, labels: ArrayLike, n_bins: int = 10) -> ReliabilityBins:
    """Group predictions into equal-width confidence bins; compare confidence and accuracy.

    The prediction for a row is its most probable class (the first one on ties), and its
    *confidence* is that largest probability.

    Parameters
    ----------
    probs : array_like, shape (n, K)
        Predicted class probabilities, rows summing to 1.
    labels : array_like of int, shape (n,)
        True classes.
    n_bins : int, optional
        Number of equal-width bins on [0, 1] (default 10).

    Returns
    -------
    ReliabilityBins

    Examples
    --------
    >>> probs = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.45, 0.55]]
    >>> b = reliability_bins(probs, [0, 1, 1, 0], n_bins=2)
    >>> b.count.tolist(), b.confidence.round(4).tolist(), b.accuracy.tolist()
    ([0, 4], [nan, 0.7375], [nan, 0.5])
    """
    p, y = _check_probs_labels(probs, labels)
    n_bins = int(n_bins)
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    pred = p.argmax(axis=1)
    conf = p[np.arange(len(p)), pred]
    correct = (pred == y).astype(np.float64)
    which = np.searchsorted(edges[1:-1], conf, side="left")  # bins are (lo, hi]
    count = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        confidence = np.bincount(which, weights=conf, minlength=n_bins) / count
        accuracy = np.bincount(which, weights=correct, minlength=n_bins) / count
    return ReliabilityBins(edges, count, confidence, accuracy)


def expected_calibration_error(probs: ArrayLike, labels: ArrayLike, n_bins: int = 10) -> float:
    """Expected calibration error: the count-weighted mean of |accuracy - confidence| over bins.

    ``ECE = sum_m (n_m / n) * |acc_m - conf_m|``, with the bins of :func:`reliability_bins`
    (empty bins contribute nothing). 0 means every bin's accuracy equals its confidence.

    Parameters
    ----------
    probs : array_like, shape (n, K)
        Predicted class probabilities, rows summing to 1.
    labels : array_like of int, shape (n,)
        True classes.
    n_bins : int, optional
        Number of equal-width bins (default 10).

    Returns
    -------
    float
        Between 0 and 1.

    Examples
    --------
    >>> probs = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.45, 0.55]]
    >>> round(expected_calibration_error(probs, [0, 1, 1, 0], n_bins=2), 4)
    0.2375
    """
    b = reliability_bins(probs, labels, n_bins)
    used = b.count > 0
    gaps = np.abs(b.accuracy[used] - b.confidence[used])
    return float(np.sum(b.count[used] * gaps) / b.count.sum())


def _nll(logits: np.ndarray, labels: np.ndarray, log_t: float) -> float:
    return float(cross_entropy(logits / math.exp(log_t), labels))


def fit_temperature(
    logits: ArrayLike,
    labels: ArrayLike,
    bounds: tuple[float, float] = (0.01, 100.0),
    tol: float = 1e-8,
) -> float:
    """The temperature ``T`` that minimises the mean cross-entropy of ``softmax(logits / T)``.

    Fit it on held-out data (never on the training set, where the model is over-confident by
    construction), then use ``softmax(logits / T)`` for new predictions. Dividing every row by
    the same positive ``T`` never changes the argmax, so accuracy is untouched; only the
    confidence moves.

    Parameters
    ----------
    logits : array_like, shape (n, K)
        Held-out logits.
    labels : array_like of int, shape (n,)
        Their true classes.
    bounds : (float, float), optional
        Search interval for ``T`` (default 0.01 to 100); a result at a bound means the best
        ``T`` lies outside it.
    tol : float, optional
        Width of the final bracket in ``log T`` (default 1e-8).

    Returns
    -------
    float
        The fitted temperature: above 1 for an over-confident model, below 1 for an
        under-confident one.

    Notes
    -----
    The loss is convex in ``1 / T`` (cross-entropy is convex in the logits, and the logits
    ``z / T`` are linear in ``1 / T``), so it has a single minimum and is unimodal in
    ``log T`` as well. A golden-section search on ``log T`` finds it without derivatives and
    without ever trying a negative temperature.

    Examples
    --------
    >>> z = np.array([[4.0, 0.0], [4.0, 0.0], [4.0, 0.0], [4.0, 0.0]])
    >>> y = np.array([0, 0, 0, 1])  # right 3 times in 4: the best probability is 0.75
    >>> T = fit_temperature(z, y)
    >>> round(T, 3), round(float(1 / (1 + np.exp(-4 / T))), 4)  # T = 4 / ln 3
    (3.641, 0.75)
    """
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels)
    if z.ndim != 2 or z.shape[0] == 0:
        raise ValueError(f"logits must be a non-empty 2-D array (samples x classes), got {z.shape}")
    if y.shape != (z.shape[0],) or y.dtype.kind not in "iu":
        raise ValueError("labels must be integer class indices, one per row of logits")
    if not np.isfinite(z).all():
        raise ValueError("logits must be finite to fit a temperature")
    lo, hi = (math.log(float(b)) for b in bounds)
    if not lo < hi:
        raise ValueError(f"bounds must be (low, high) with 0 < low < high, got {bounds}")
    inv_phi = (math.sqrt(5.0) - 1.0) / 2.0  # 0.618...
    a, b = lo, hi
    c, d = b - inv_phi * (b - a), a + inv_phi * (b - a)
    fc, fd = _nll(z, y, c), _nll(z, y, d)
    while b - a > tol:
        if fc <= fd:  # the minimum lies in [a, d]
            b, d, fd = d, c, fc
            c = b - inv_phi * (b - a)
            fc = _nll(z, y, c)
        else:  # the minimum lies in [c, b]
            a, c, fc = c, d, fd
            d = a + inv_phi * (b - a)
            fd = _nll(z, y, d)
    return math.exp((a + b) / 2.0)
