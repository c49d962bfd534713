"""Cross-entropy from logits, and its gradient.

Both functions take *logits* (never probabilities) and work through the log-softmax, so no
probability is ever rounded to 0 and then logged. Targets are either integer class indices
(one per sample) or a probability array of the logits' shape (one distribution per sample).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from course_lib import _kernels as K
from course_lib._validation import as_float_array, check_axis, require_nonempty
from course_lib.functions import SMALL, _long_slices, log_softmax, softmax

__all__ = ["cross_entropy", "cross_entropy_grad"]

Reduction = Literal["mean", "sum", "none"]
_REDUCTIONS = ("mean", "sum", "none")


def _two_sum_err(x: np.ndarray, shift: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Exact rounding error of ``d = fl(x - shift)`` (0 where it is not finite)."""
    bb = d - x
    err = (x - (d - bb)) + (-shift - bb)
    return np.where(np.isfinite(err), err, 0.0)


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
    """float64 loss of every sample, shape ``a.shape`` without ``axis``."""
    if a.size <= SMALL or (ax == a.ndim - 1 and a.shape[ax] > K.CHUNK):
        return _per_sample_simple(a, ax, t, labels, eps)
    return _per_sample_blocked(a, ax, t, labels, eps)


def _per_sample_blocked(
    a: np.ndarray, ax: int, t: np.ndarray, labels: bool, eps: float
) -> np.ndarray:
    """The blocked kernel: cache-sized blocks, no array of log-probabilities."""
    k = a.shape[ax]
    out = np.empty(a.shape[:ax] + (1,) + a.shape[ax + 1 :], dtype=np.float64)
    rb = K.RowBlocks(a.shape, ax)
    x3 = rb.view3(np.ascontiguousarray(a))
    o3 = rb.view3(out, 1)
    t3 = rb.view3(np.ascontiguousarray(t), 1 if labels else None)
    cdt, exact = K.compute_plan(a.dtype)
    keep_d = eps > 0 or not labels  # the loss needs every shifted logit, not just the label's
    red = rb.red

    def work(span: tuple[int, int, int], ws: K.Workspace) -> None:
        xb = rb.read(x3, span, ws.flat[0])
        shape = xb.shape
        tb = rb.target(t3, span) if labels else rb.read(t3, span, ws.flat[5])
        e, err = ws.get(1, shape), ws.get(2, shape)
        d = ws.get(3, shape) if keep_d else e
        corr = ws.get(4, shape) if keep_d else None
        tmp = e if keep_d else ws.get(3, shape)
        m, _, s = K.exp_and_sum(
            xb, e, err, d, tmp, None, exact, red, ws.flat[6], exclude_max=True, corr=corr
        )
        lse = np.log1p(s)  # logsumexp(x) - max(x)
        if keep_d and not exact:
            err = 0.0
        elif keep_d:
            err[~np.isfinite(err)] = 0.0
        if labels:
            ms = np.where(np.isfinite(m), m, 0.0)
            xy = np.take_along_axis(xb, tb, axis=red)
            dy = xy - ms
            ey = _two_sum_err(xy, ms, dy) if exact else 0.0
            loss = (lse - dy) - ey  # both terms >= 0: nothing cancels
            if eps > 0:
                shifted = d.mean(axis=red, keepdims=True) + np.mean(err, axis=red, keepdims=True)
                mean_v = lse - shifted  # mean over classes of -log p
                loss = (1 - eps) * loss + eps * mean_v
        else:
            v = (lse - d) - err  # -log p_k >= 0
            tt = tb if eps == 0 else (1 - eps) * tb + eps / k
            loss = np.where(tt > 0, tt * v, 0.0).sum(axis=red, keepdims=True)
        rows = ~np.isfinite(m)
        if rows.any():  # masked, +inf or NaN slices: use the limits log_softmax gives
            logp = log_softmax(xb, axis=red)
            if labels:
                fb = -np.take_along_axis(logp, tb, axis=red)
                if eps > 0:
                    fb = (1 - eps) * fb - eps * logp.mean(axis=red, keepdims=True)
            else:
                tt = tb if eps == 0 else (1 - eps) * tb + eps / k
                fb = -np.where(tt > 0, tt * logp, 0.0).sum(axis=red, keepdims=True)
            loss = np.where(rows, fb, loss)
        rb.target(o3, span)[...] = loss

    with np.errstate(all="ignore"):
        K.run_blocks(rb.spans, lambda: K.Workspace(rb.size, cdt, 7), work)
    return out.reshape(a.shape[:ax] + a.shape[ax + 1 :])


def _per_sample_simple(
    a: np.ndarray, ax: int, t: np.ndarray, labels: bool, eps: float
) -> np.ndarray:
    """The loss through :func:`log_softmax` (small inputs) or, for slices longer than a
    block, through ``max + log1p(...)`` parts computed chunk by chunk.

    Both are as accurate as the blocked path: ``-log p_y = (max - x_y) + log1p(...)`` adds
    two non-negative numbers, so rounding ``max - x_y`` costs at most half an ulp.
    """
    k = a.shape[ax]
    x = np.moveaxis(a, ax, -1)  # float16/32 stay as they are: chunks are widened one by one
    tt = t if labels else np.moveaxis(t, ax, -1)
    if x.size <= SMALL:
        x = x.astype(np.float64, copy=False)
        logp = log_softmax(x, axis=-1)  # small: one extra array costs nothing
        neg = None
    else:  # long slices: never materialise log-probabilities
        rows = x.reshape(-1, k)
        parts = np.empty((rows.shape[0], 2))
        if not _long_slices(rows, K.RowBlocks(rows.shape, 1), parts, "lse_parts", None):
            return _per_sample_blocked(a, ax, t, labels, eps)
        m, big_l = parts[:, 0].reshape(x.shape[:-1]), parts[:, 1].reshape(x.shape[:-1])
        logp = None

        def neg(v: np.ndarray) -> np.ndarray:  # -log p of the logits v, given m and L
            return (m[..., None] - v) + big_l[..., None]

    if labels:
        if logp is not None:
            loss = -np.take_along_axis(logp, tt[..., None], axis=-1)[..., 0]
        else:
            loss = neg(np.take_along_axis(x, tt[..., None], axis=-1))[..., 0]
        if eps > 0:
            mean_neg = (-logp.mean(axis=-1) if logp is not None
                        else (m - x.mean(axis=-1, dtype=np.float64)) + big_l)
            loss = (1 - eps) * loss + eps * mean_neg
        return loss
    tt = tt if eps == 0 else (1 - eps) * tt + eps / k
    if logp is not None:
        return -np.where(tt > 0, tt * logp, 0.0).sum(axis=-1)
    return np.where(tt > 0, tt * neg(x), 0.0).sum(axis=-1)


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
        rest = g.sum(axis=ax, keepdims=True)  # sum of the other classes' probabilities
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
