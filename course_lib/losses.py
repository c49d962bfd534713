"""Cross-entropy from logits, and its gradient.

Both functions take *logits* (never probabilities) and work through the log-softmax, so no
probability is ever rounded to 0 and then logged. Targets are either integer class indices
(one per sample) or a probability array of the logits' shape (one distribution per sample).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from course_lib._validation import as_float_array, check_axis, require_nonempty
from course_lib.functions import blocks, log1p_rest, log_softmax, pieces, shifted, softmax

__all__ = ["cross_entropy", "cross_entropy_grad"]

Reduction = Literal["mean", "sum", "none"]
_REDUCTIONS = ("mean", "sum", "none")


def _check_inputs(
    logits: ArrayLike,
    targets: ArrayLike,
    axis: Any,
    reduction: str,
    label_smoothing: float,
    func: str,
) -> tuple[np.ndarray, int, np.ndarray, bool, float]:
    """Validate everything once; return (logits, axis, targets, targets_are_labels, eps)."""
    a = as_float_array(logits, "logits", func)
    ax = check_axis(a, axis, func)
    require_nonempty(a, ax, func)
    if reduction not in _REDUCTIONS:
        raise ValueError(f'reduction must be "mean", "sum" or "none", got {reduction!r}')
    try:
        eps = float(label_smoothing)
    except (TypeError, ValueError):
        raise ValueError(f"label_smoothing must be a number, got {label_smoothing!r}") from None
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"label_smoothing must be between 0 and 1, got {label_smoothing!r}")
    t = np.asarray(targets)
    k = a.shape[ax]
    sample_shape = a.shape[:ax] + a.shape[ax + 1 :]
    if t.dtype.kind in "biu":
        if t.shape != sample_shape:
            raise ValueError(
                f"{func}: integer targets are class labels, one per sample, so their shape "
                f"must be {sample_shape} (the logits' shape {a.shape} without axis {ax}); "
                f"got shape {t.shape}"
            )
        bad = (t < 0) | (t >= k)
        if bad.any():
            pos = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"{func}: label {int(t[pos])} at position {pos} is not a class: with {k} "
                f"classes the labels must be 0 to {k - 1}"
            )
        return a, ax, t.astype(np.intp), True, eps
    if t.dtype.kind != "f":
        raise TypeError(f"{func}: targets must be integer labels or probabilities, got {t.dtype}")
    if t.shape != a.shape:
        hint = (
            " They look like class labels stored as floats: use targets.astype(int)."
            if t.shape == sample_shape
            else ""
        )
        raise ValueError(
            f"{func}: probability targets must have the logits' shape {a.shape}, got "
            f"{t.shape}.{hint}"
        )
    if not np.isfinite(t).all() or (t < 0).any():
        raise ValueError(f"{func}: probability targets must be finite and >= 0")
    sums = t.sum(axis=ax, dtype=np.float64)
    tol = 1e-2 if t.dtype == np.float16 else 1e-4
    if sums.size and np.abs(sums - 1).max() > tol:
        raise ValueError(
            f"{func}: each target distribution must sum to 1 along axis {ax}; one sums to "
            f"{float(sums.flat[np.abs(sums - 1).argmax()]):.6g}. Did you pass logits as targets?"
        )
    return a, ax, t, False, eps


def _per_sample(a: np.ndarray, ax: int, t: np.ndarray, labels: bool, eps: float) -> np.ndarray:
    """float64 loss of every sample, shape ``a.shape`` without ``axis``.

    ``-log p_k = log1p(rest) - (x_k - max)`` adds two numbers that are never negative, so
    nothing cancels and even a tiny loss keeps its full precision; ``log1p(rest)`` comes
    from :func:`~course_lib.functions.log1p_rest`, block by block as in
    :func:`~course_lib.functions.softmax`, without an array of log-probabilities.
    """
    out = np.empty(a.shape[:ax] + (1,) + a.shape[ax + 1 :], np.float64)
    tgt = np.expand_dims(t, ax) if labels else t
    with np.errstate(all="ignore"):  # inf - inf in non-finite slices, 0 * inf for masks
        for xb, tb, ob in blocks(ax, a, tgt, out=out):
            m = np.maximum.reduce(xb, axis=-1, keepdims=True)
            top = xb.argmax(axis=-1, keepdims=True)
            lse = log1p_rest(xb, top, m, 1.0)  # logsumexp(x) - max(x)
            ob[...] = _block_loss(xb, tb, labels, eps, lambda v, r=lse, m=m: r - shifted(v, m, 1.0))
            if not np.isfinite(m).all():  # NaN, all -inf or +inf: log_softmax's limits
                logp = log_softmax(xb)
                np.copyto(ob, _block_loss(logp, tb, labels, eps, lambda v: 0.0 - v),
                          where=~np.isfinite(m))
    return out.reshape(a.shape[:ax] + a.shape[ax + 1 :])


def _block_loss(
    x: np.ndarray, t: np.ndarray, labels: bool, eps: float,
    neg_log_p: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """The loss of each row of a block (keepdims), given ``neg_log_p(v) = -log p`` for
    entries ``v`` of ``x``. Every term is >= 0, so no sum loses anything to cancellation.
    """
    n = x.shape[-1]
    if labels:
        loss = neg_log_p(np.take_along_axis(x, t, axis=-1))
        if eps > 0:  # the smoothed target puts eps / n on every class
            mean = sum(neg_log_p(p).sum(axis=-1, keepdims=True) for p in pieces(x)) / n
            loss = (1 - eps) * loss + eps * mean
        return loss
    total = 0.0
    for p, tp in zip(pieces(x), pieces(t), strict=True):
        tt = tp.astype(np.float64)
        if eps > 0:
            tt = (1 - eps) * tt + eps / n
        terms = np.where(tt > 0, tt * neg_log_p(p), 0.0)  # 0 log 0 = 0, also for masks
        total = total + terms.sum(axis=-1, keepdims=True)
    return total


def cross_entropy(
    logits: ArrayLike,
    targets: ArrayLike,
    axis: int = -1,
    reduction: Reduction = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray:
    r"""Cross-entropy between the softmax of ``logits`` and ``targets``, from logits.

    .. math:: \ell = -\sum_k t_k \log\operatorname{softmax}(z)_k
              = \operatorname{logsumexp}(z) - z_y \quad\text{(one-hot target } y)

    Parameters
    ----------
    logits : array_like
        Unnormalised scores; the classes lie along ``axis``.
    targets : array_like
        Either integer class labels with the logits' shape without ``axis`` (one label per
        sample), or probabilities with the logits' shape that sum to 1 along ``axis``.
    axis : int, optional
        Class axis, default ``-1``.
    reduction : {"mean", "sum", "none"}, optional
        Average over samples (default), add them up, or return one loss per sample.
    label_smoothing : float, optional
        ``eps`` in [0, 1]: the target becomes ``(1 - eps) * target + eps / K`` as in PyTorch
        and Keras.

    Returns
    -------
    numpy.ndarray
        A scalar for "mean"/"sum", else the per-sample losses; the float dtype of ``logits``.

    Notes
    -----
    The per-sample loss is computed as ``log1p(sum_{j != argmax} exp(z_j - m)) - (z_y - m)``
    with ``m = max(z)`` and the rounding of ``z_y - m`` corrected exactly, so both terms are
    non-negative and nothing cancels: even a confident, correct prediction gets its tiny
    loss to full precision. A ``-inf`` logit on the target class gives ``inf``; a NaN logit
    makes that sample's loss NaN. The mean over zero samples raises ``ValueError``.

    Examples
    --------
    >>> round(float(cross_entropy([1.0, 3.0, 2.0], 1)), 6)  # -log(0.66524096)
    0.407606
    >>> cross_entropy([[1.0, 3.0, 2.0]], [[0.0, 1.0, 0.0]]).round(6)  # one-hot: same loss
    np.float64(0.407606)
    >>> cross_entropy([[2.0, 0.0], [0.0, 2.0]], [0, 0], reduction="none").round(4)
    array([0.1269, 2.1269])
    """
    a, ax, t, labels, eps = _check_inputs(
        logits, targets, axis, reduction, label_smoothing, "cross_entropy"
    )
    per = _per_sample(a, ax, t, labels, eps)
    if reduction == "none":
        return per.astype(a.dtype, copy=False)
    if reduction == "sum":
        return a.dtype.type(per.sum())
    if per.size == 0:
        raise ValueError(
            "cross_entropy: the batch has no samples, and the mean of zero losses is undefined; "
            'use reduction="sum" (0) or "none"'
        )
    return a.dtype.type(per.mean())


def cross_entropy_grad(
    logits: ArrayLike,
    targets: ArrayLike,
    axis: int = -1,
    reduction: Reduction = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray:
    r"""Gradient of :func:`cross_entropy` with respect to the logits.

    .. math:: \frac{\partial \ell}{\partial z} = \operatorname{softmax}(z) - t

    divided by the number of samples for ``reduction="mean"``. For ``"none"`` it is the
    gradient of each sample's own loss (no division), for ``"sum"`` the plain difference.
    Arguments are those of :func:`cross_entropy`.

    Returns
    -------
    numpy.ndarray
        Same shape and float dtype as ``logits``; each sample's gradient sums to 0 along
        ``axis``.

    Notes
    -----
    For the target class, ``p_y - 1`` is computed as ``-sum_{j != y} p_j``, which avoids the
    cancellation of ``p_y - 1`` when the model is already confident and right.

    Examples
    --------
    >>> import numpy as np
    >>> np.set_printoptions(precision=8)
    >>> cross_entropy_grad([1.0, 3.0, 2.0], 1)
    array([ 0.09003057, -0.33475904,  0.24472847])
    """
    a, ax, t, labels, eps = _check_inputs(
        logits, targets, axis, reduction, label_smoothing, "cross_entropy_grad"
    )
    k = a.shape[ax]
    cdt = np.float64 if a.dtype in (np.float16, np.float32) else a.dtype
    g = softmax(a.astype(cdt, copy=False), axis=ax)
    if labels:
        lab = np.expand_dims(t, ax)
        np.put_along_axis(g, lab, 0.0, axis=ax)
        # the other classes' probabilities, summed along a contiguous axis (pairwise)
        rest = np.ascontiguousarray(np.moveaxis(g, ax, -1)).sum(axis=-1)
        rest = np.expand_dims(rest, ax)
        np.put_along_axis(g, lab, -rest, axis=ax)  # p_y - 1, without cancellation
        if eps > 0:
            g -= eps / k
            np.put_along_axis(g, lab, np.take_along_axis(g, lab, axis=ax) + eps, axis=ax)
    else:
        tt = t if eps == 0 else (1 - eps) * t + eps / k
        g -= tt
    if reduction == "mean":
        n = a.size // k
        if n == 0:
            raise ValueError("cross_entropy_grad: the batch has no samples; nothing to average")
        g /= n
    return g.astype(a.dtype, copy=False)
