"""Cross-entropy from logits, and its gradient.

Both functions take *logits* (never probabilities) and work through the log-softmax, so no
probability is ever rounded to 0 and then logged. Targets are either integer class indices
(one per sample) or a probability array of the logits' shape (one distribution per sample).

``weight`` (one number per class), ``ignore_index`` (a label that marks a sample to leave
out, such as padding) and ``label_smoothing`` mean what they mean in PyTorch's
``torch.nn.functional.cross_entropy``, for every ``reduction``. Two differences: the classes
lie along ``axis`` (default ``-1``, where torch has no choice and takes dimension 1), and
nothing is ignored unless ``ignore_index`` is given (torch's default is -100).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from course_lib._validation import as_float_array, check_axis, require_nonempty
from course_lib.functions import (
    BLOCK,
    _all_finite,
    blocks,
    exact_sum_parts,
    full_precision,
    log1p_rest,
    log_softmax,
    pieces,
    shifted,
    softmax,
    work_dtype,
)

__all__ = ["cross_entropy", "cross_entropy_grad"]

Reduction = Literal["mean", "sum", "none"]
_REDUCTIONS = ("mean", "sum", "none")


@dataclass(slots=True)
class _Problem:
    """The checked arguments of one call."""

    a: np.ndarray  # the logits
    axis: int
    t: np.ndarray  # labels (intp; ignored ones replaced by 0) or probabilities
    labels: bool  # are the targets class labels?
    eps: float  # label smoothing
    weight: np.ndarray | None  # one weight per class (work dtype), or None
    ignored: np.ndarray | None  # one bool per sample, or None

    @property
    def classes(self) -> int:
        return self.a.shape[self.axis]


def _check_inputs(
    logits: ArrayLike,
    targets: ArrayLike,
    axis: Any,
    reduction: str,
    label_smoothing: float,
    weight: ArrayLike | None,
    ignore_index: Any,
    func: str,
) -> _Problem:
    """Validate everything once."""
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
    k = a.shape[ax]
    w = None if weight is None else _check_weight(weight, k, work_dtype(a), func)
    if ignore_index is not None and (
        isinstance(ignore_index, bool) or not isinstance(ignore_index, int | np.integer)
    ):
        raise TypeError(f"{func}: ignore_index must be an integer label, got {ignore_index!r}")
    t = np.asarray(targets)
    sample_shape = a.shape[:ax] + a.shape[ax + 1 :]
    if t.dtype.kind in "biu":
        if reduction == "mean" and w is not None and w.max() > 0:
            # the mean divides by the labels' total weight: scaling every weight by a power
            # of two changes nothing in it, and no weight above 1 can make a term overflow
            w = np.ldexp(w, -math.frexp(float(w.max()))[1])
        return _labels(a, ax, t, sample_shape, eps, w, ignore_index, func)
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
    if ignore_index is not None:
        raise ValueError(
            f"{func}: ignore_index leaves out the samples whose class label is "
            f"{ignore_index}, but these targets are probabilities, one distribution per "
            "sample, with no label to compare. To leave samples "
            "out, drop them from the batch, or pass class labels instead."
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
    return _Problem(a, ax, t, False, eps, w, None)


def _labels(
    a: np.ndarray, ax: int, t: np.ndarray, sample_shape: tuple[int, ...], eps: float,
    w: np.ndarray | None, ignore_index: int | None, func: str,
) -> _Problem:
    if t.shape != sample_shape:
        raise ValueError(
            f"{func}: integer targets are class labels, one per sample, so their shape "
            f"must be {sample_shape} (the logits' shape {a.shape} without axis {ax}); "
            f"got shape {t.shape}"
        )
    k = a.shape[ax]
    ignored = None if ignore_index is None else t == ignore_index
    bad = (t < 0) | (t >= k)
    if ignored is not None:
        bad &= ~ignored
    if bad.any():
        pos = tuple(int(i) for i in np.argwhere(bad)[0])
        hint = (
            " (-100 marks padding for PyTorch, whose default ignore_index is -100; here "
            "nothing is ignored unless you pass ignore_index=-100)"
            if int(t[pos]) == -100 and ignore_index is None
            else ""
        )
        raise ValueError(
            f"{func}: label {int(t[pos])} at position {pos} is not a class: with {k} "
            f"classes the labels must be 0 to {k - 1}{hint}"
        )
    labels = t.astype(np.intp)
    if ignored is not None:
        labels[ignored] = 0  # any class will do: these samples count for nothing
        if not ignored.any():
            ignored = None
    return _Problem(a, ax, labels, True, eps, w, ignored)


def _check_weight(weight: ArrayLike, k: int, dtype: np.dtype, func: str) -> np.ndarray:
    w = np.asarray(weight)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"{func}: weight must hold real numbers, one per class; got {w.dtype}")
    if w.shape != (k,):
        raise ValueError(
            f"{func}: weight needs one number per class, shape ({k},); got shape {w.shape}"
        )
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError(
            f"{func}: class weights must be finite and >= 0 (0 leaves a class out); got {w}"
        )
    return w.astype(dtype)


# --- the loss -------------------------------------------------------------------------------


def _per_sample(prob: _Problem) -> np.ndarray:
    """The loss of every sample (0 for an ignored one), in the work dtype, shape
    ``a.shape`` without ``axis``.

    ``-log p_k = log1p(rest) - (x_k - max)`` adds two numbers that are never negative, so
    nothing cancels and even a tiny loss keeps its full precision; ``log1p(rest)`` comes
    from :func:`~course_lib.functions.log1p_rest`, block by block as in
    :func:`~course_lib.functions.softmax`, without an array of log-probabilities. Rows with
    non-finite logits, or whose loss overflows although their logits are finite (a spread
    beyond the float range, as in ``[1.7e308, -1.7e308]``), are redone by :func:`_fix_rows`.
    """
    a, ax = prob.a, prob.axis
    out = np.empty(a.shape[:ax] + (1,) + a.shape[ax + 1 :], work_dtype(a))
    tgt = np.expand_dims(prob.t, ax) if prob.labels else prob.t
    with np.errstate(all="ignore"):  # inf - inf in non-finite slices, 0 * inf for masks
        for xb, tb, ob in blocks(ax, a, tgt, out=out):
            m = np.maximum.reduce(xb, axis=-1, keepdims=True)
            top = xb.argmax(axis=-1, keepdims=True)
            lse = log1p_rest(xb, top, m, 1.0)  # logsumexp(x) - max(x)
            ob[...] = _block_loss(xb, tb, prob, _minus_log_p(lse, m))
            if not (_all_finite(m) and _all_finite(ob)):  # inf or NaN logits, an overflow
                _fix_rows(xb, tb, ob, m, lse, prob)
    per = out.reshape(a.shape[:ax] + a.shape[ax + 1 :])
    if prob.ignored is not None:
        per[prob.ignored] = 0.0  # whatever their logits hold
    return per


def _fix_rows(
    x: np.ndarray, t: np.ndarray, out: np.ndarray, m: np.ndarray, lse: np.ndarray,
    prob: _Problem,
) -> None:
    """Redo the rows of a block whose logits are not all finite, or whose loss overflowed.

    A row whose maximum ``m`` is not finite (NaN, all ``-inf``, ``+inf``) takes the limits
    of :func:`~course_lib.functions.log_softmax`. A row of finite logits whose loss
    overflowed (a spread beyond the float range) is redone at a quarter of the scale, where
    ``x - m`` cannot overflow, and is ``inf`` only if the exact loss is.
    """
    odd = ~np.isfinite(m[:, 0])
    if odd.any():
        logp = log_softmax(x[odd])
        out[odd] = _block_loss(logp, t[odd], prob, lambda v: 0.0 - v)
    big = np.isinf(out[:, 0]) & ~odd
    if big.any():
        quarter = _minus_log_p(lse[big] * 0.25, m[big] * 0.25)
        out[big] = 4.0 * _block_loss(x[big] * 0.25, t[big], prob, quarter)


def _minus_log_p(r: np.ndarray, m: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """``v -> -log p(v) = r - (v - m)``, where ``r = logsumexp(row) - m`` and ``m = max(row)``."""
    return lambda v: r - shifted(v, m, 1.0)


def _block_loss(
    x: np.ndarray, t: np.ndarray, prob: _Problem, neg_log_p: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """The loss of each row of a block (keepdims), given ``neg_log_p(v) = -log p`` for
    entries ``v`` of ``x``. Every term is >= 0, so no sum loses anything to cancellation;
    a term whose coefficient is 0 (a target probability, a class weight, ``1 - eps``)
    counts 0 even where ``-log p`` is ``inf`` (a masked class).
    """
    n, eps, w = x.shape[-1], prob.eps, prob.weight
    if prob.labels:
        loss = neg_log_p(np.take_along_axis(x, t, axis=-1))
        if w is not None:
            loss = _times(w[t], loss)
        if eps > 0:  # the smoothed target puts eps / n on every class (weighted: eps / n * w)
            loss = _times(1.0 - eps, loss)
            for p, c in _pieces_with(x, w):
                coef = eps / n if c is None else (eps / n) * c
                loss = loss + _times(coef, neg_log_p(p)).sum(axis=-1, keepdims=True)
        return loss
    total = 0.0
    for (p, c), tp in zip(_pieces_with(x, w), pieces(t), strict=True):
        tt = tp.astype(work_dtype(x))
        if eps > 0:
            tt = (1 - eps) * tt + eps / n
        coef = tt if c is None else tt * c
        total = total + _times(coef, neg_log_p(p)).sum(axis=-1, keepdims=True)
    return total


def _pieces_with(x: np.ndarray, w: np.ndarray | None):
    """The pieces of the rows of ``x``, each with its columns' class weights (or None)."""
    start = 0
    for p in pieces(x):
        yield p, None if w is None else w[start : start + p.shape[-1]]
        start += p.shape[-1]


def _times(c: Any, v: np.ndarray) -> np.ndarray:
    """``c * v`` for coefficients ``c >= 0``, and 0 where ``c`` is 0, even if ``v`` is inf."""
    if c is None:
        return v
    if np.ndim(c) == 0 and c > 0:
        return c * v
    return np.where(c > 0, c * v, 0.0)


def _total(v: np.ndarray, divisor: Any = 1) -> Any:
    """``sum(v) / divisor`` for numbers ``v >= 0`` (or inf, NaN): the sum rounded once, then
    divided, in ``v``'s dtype.

    A sum of :data:`~course_lib.functions.BLOCK` numbers or fewer is ``math.fsum``; a longer
    one is added by :func:`~course_lib.functions.exact_sum_parts` after scaling by a power of
    two into [0, 1). Either way the sum is exact before its rounding. A sum beyond the float
    range is divided before it is scaled back, so a mean is ``inf`` only when it lies beyond
    the range itself.
    """
    v = v.ravel()
    if v.dtype != np.float64:  # longdouble: its extra bits make NumPy's sum ample
        return v.sum() / divisor
    if v.size <= BLOCK:
        try:
            return math.fsum(v.tolist()) / divisor  # Python floats: inf, never a warning
        except OverflowError:  # partial sums beyond the range: add a scaled copy
            return math.fsum(np.ldexp(v, -64).tolist()) / divisor * 2.0**64  # inf if beyond
    with np.errstate(all="ignore"):
        top = float(np.max(v))
        if not 0.0 < top < math.inf:  # all 0, or inf or NaN, which the sum keeps
            return np.add.reduce(v) / divisor
        e = math.frexp(top)[1]
        big, small = exact_sum_parts(np.ldexp(v, -e)[None, :])
        return np.ldexp((big + small)[0, 0] / divisor, e)


def _denominator(prob: _Problem, func: str) -> Any:
    """What ``reduction="mean"`` divides by: with class labels, the total weight of the
    samples not ignored (their number without ``weight``); with probabilities, the number of
    samples, as in PyTorch."""
    n = prob.a.size // prob.classes
    if not prob.labels:
        d = n
    elif prob.weight is not None:
        wy = prob.weight[prob.t]
        d = _total(wy if prob.ignored is None else wy[~prob.ignored])
    else:
        d = n if prob.ignored is None else n - int(prob.ignored.sum())
    if d == 0:
        why = (
            "the batch has no samples" if n == 0
            else "every sample is ignored or has weight 0"
        )
        raise ValueError(
            f"{func}: {why}, and the mean of zero losses is undefined (PyTorch returns NaN); "
            'use reduction="sum" (0) or "none"'
        )
    return d


def cross_entropy(
    logits: ArrayLike,
    targets: ArrayLike,
    axis: int = -1,
    reduction: Reduction = "mean",
    label_smoothing: float = 0.0,
    weight: ArrayLike | None = None,
    ignore_index: int | None = None,
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
        Class axis, default ``-1``. PyTorch takes the classes from dimension 1 of an
        ``(N, C, d1, ...)`` input: pass ``axis=1`` for that layout (with the default, such
        logits are refused, or silently read wrongly when ``C`` equals the last size).
    reduction : {"mean", "sum", "none"}, optional
        Average over samples (default), add them up, or return one loss per sample.
    label_smoothing : float, optional
        ``eps`` in [0, 1]: the target becomes ``(1 - eps) * target + eps / K`` as in PyTorch
        and Keras.
    weight : array_like, optional
        One weight ``>= 0`` per class, as in PyTorch: a sample with label ``y`` counts
        ``weight[y]`` times, and ``"mean"`` divides by the total weight of the samples'
        labels instead of their number. With label smoothing, the ``eps / K`` part on
        class ``c`` counts ``weight[c]`` times; with probability targets, the term of class
        ``c`` does, and ``"mean"`` divides by the number of samples (both as in PyTorch).
    ignore_index : int, optional
        A label that marks a sample to leave out (padding): its loss is 0, whatever its
        logits hold, and ``"mean"`` does not count it. Default ``None``: no label is
        ignored (PyTorch's default is -100: pass ``ignore_index=-100`` for its behaviour).
        Only for class labels; with probability targets it is a ``ValueError`` for any
        value (PyTorch refuses an index >= 0 there but lets its default -100 through).

    Returns
    -------
    numpy.ndarray
        A scalar for "mean"/"sum", else the per-sample losses; the float dtype of ``logits``.

    Notes
    -----
    The per-sample loss is computed as ``log1p(sum_{j != argmax} exp(z_j - m)) - (z_y - m)``
    with ``m = max(z)`` and the rounding of ``z_y - m`` corrected exactly, so both terms are
    non-negative and nothing cancels: even a confident, correct prediction gets its tiny
    loss to full precision. Sums and means over samples are rounded once.

    Edge cases: a ``-inf`` logit on the target class gives ``inf`` (and so does label
    smoothing with any ``-inf`` logit, up to ``label_smoothing=1``); a term with coefficient
    0 (a zero probability or class weight) counts 0 even there, where PyTorch gives NaN. A
    NaN logit or an all ``-inf`` row makes that sample's loss NaN (it has no distribution),
    unless the sample is ignored. A loss beyond the float range of the dtype is ``inf``,
    without a warning. The mean over zero samples, or zero total weight, raises
    ``ValueError`` (PyTorch returns NaN). Logits: as in
    :func:`~course_lib.functions.softmax` (lists, any layout, float16 to longdouble;
    complex and object arrays raise ``TypeError``; 0-d logits have no class axis).

    Examples
    --------
    >>> round(float(cross_entropy([1.0, 3.0, 2.0], 1)), 6)  # -log(0.66524096)
    0.407606
    >>> cross_entropy([[1.0, 3.0, 2.0]], [[0.0, 1.0, 0.0]]).round(6)  # one-hot: same loss
    np.float64(0.407606)
    >>> cross_entropy([[2.0, 0.0], [0.0, 2.0]], [0, 0], reduction="none").round(4)
    array([0.1269, 2.1269])
    >>> z = [[2.0, 0.0], [0.0, 2.0], [5.0, -5.0]]
    >>> cross_entropy(z, [0, 0, -100], ignore_index=-100, reduction="none").round(4)
    array([0.1269, 2.1269, 0.    ])
    >>> cross_entropy(z, [0, 0, -100], ignore_index=-100).round(4)  # mean of 2 samples
    np.float64(1.1269)
    >>> w = [1.0, 3.0]  # class 1 counts 3 times: (0.12693 + 3 * 0.12693 + 0.00005) / 5
    >>> cross_entropy(z, [0, 1, 0], weight=w).round(4)
    np.float64(0.1016)
    """
    prob = _check_inputs(
        logits, targets, axis, reduction, label_smoothing, weight, ignore_index, "cross_entropy"
    )
    per = _per_sample(prob)
    if reduction == "sum":
        per = _total(per)
    elif reduction == "mean":
        per = _total(per, _denominator(prob, "cross_entropy"))
    return _in_dtype(per, prob.a.dtype)


def cross_entropy_grad(
    logits: ArrayLike,
    targets: ArrayLike,
    axis: int = -1,
    reduction: Reduction = "mean",
    label_smoothing: float = 0.0,
    weight: ArrayLike | None = None,
    ignore_index: int | None = None,
) -> np.ndarray:
    r"""Gradient of :func:`cross_entropy` with respect to the logits.

    .. math:: \frac{\partial \ell}{\partial z} = \operatorname{softmax}(z) - t

    divided by the number of samples for ``reduction="mean"``. For ``"none"`` it is the
    gradient of each sample's own loss (no division), for ``"sum"`` the plain difference.
    Arguments are those of :func:`cross_entropy`; with ``weight`` a sample's gradient is
    ``(sum_c w_c t_c) softmax(z) - w t`` (``w_y (softmax(z) - onehot(y))`` for a label
    ``y``), and ``"mean"`` divides by what the loss's mean divides by. An ignored sample's
    gradient is 0.

    Returns
    -------
    numpy.ndarray
        Same shape and float dtype as ``logits``; each sample's gradient sums to 0 along
        ``axis`` when the weights are equal.

    Notes
    -----
    For the target class, ``p_y - 1`` is computed as ``-sum_{j != y} p_j``, which avoids the
    cancellation of ``p_y - 1`` when the model is already confident and right. A sample
    whose loss is NaN (a NaN logit, an all ``-inf`` row) has an all-NaN gradient.

    Examples
    --------
    >>> import numpy as np
    >>> np.set_printoptions(precision=8)
    >>> cross_entropy_grad([1.0, 3.0, 2.0], 1)
    array([ 0.09003057, -0.33475904,  0.24472847])
    >>> cross_entropy_grad([[1.0, 3.0], [0.0, 0.0]], [1, -1], ignore_index=-1)
    array([[ 0.11920292, -0.11920292],
           [ 0.        ,  0.        ]])
    """
    prob = _check_inputs(
        logits, targets, axis, reduction, label_smoothing, weight, ignore_index,
        "cross_entropy_grad",
    )
    a, ax, k, eps, w = prob.a, prob.axis, prob.classes, prob.eps, prob.weight
    g = softmax(a.astype(work_dtype(a), copy=False), axis=ax)
    wb = None if w is None else w.reshape([k if i == ax else 1 for i in range(a.ndim)])
    with np.errstate(invalid="ignore"):  # NaN rows stay NaN
        if prob.labels:
            _label_grad(g, prob, wb)
        else:
            tt = prob.t.astype(g.dtype, copy=False)  # in the gradient's precision
            if eps > 0:
                tt = (1 - eps) * tt + eps / k  # the smoothed target
            if wb is not None:
                tt = tt * wb
                g *= tt.sum(axis=ax, keepdims=True)
            g -= tt
    if prob.ignored is not None:
        np.copyto(g, 0.0, where=np.expand_dims(prob.ignored, ax))
    if reduction == "mean":
        g /= _denominator(prob, "cross_entropy_grad")
    return _in_dtype(g, a.dtype)


def _in_dtype(v: Any, dtype: np.dtype) -> Any:
    """``v`` (an array or a number) in ``dtype``: a value beyond its range is inf, quietly."""
    if isinstance(v, np.ndarray):
        if v.dtype == dtype:
            return v
        with np.errstate(over="ignore"):
            return v.astype(dtype)
    if full_precision(dtype):
        return dtype.type(v)
    with np.errstate(over="ignore"):
        return dtype.type(v)


def _label_grad(g: np.ndarray, prob: _Problem, wb: np.ndarray | None) -> None:
    """Turn ``g = softmax(z)`` into the gradient for class labels, in place.

    Per sample, ``A p_j - c_j`` off the label, with ``A = (1 - eps) w_y + eps / K W``,
    ``c = eps / K w`` and ``W = sum(w)`` (all weights 1 without ``weight``: ``A = 1``). On
    the label it is ``A p_y - t_y`` with ``t_y = (1 - eps + eps / K) w_y``; when ``p_y`` is
    close to 1 that subtraction would cancel what is known more exactly, so there it is
    ``eps / K (W - w_y) - A sum_{j != y} p_j`` (for ``eps = 0``: ``-w_y sum_{j != y} p_j``).
    """
    ax, k, eps, w = prob.axis, prob.classes, prob.eps, prob.weight
    lab = np.expand_dims(prob.t, ax)
    p_y = np.take_along_axis(g, lab, axis=ax)
    np.put_along_axis(g, lab, 0.0, axis=ax)
    # the other classes' probabilities, summed along a contiguous axis (pairwise)
    rest = np.expand_dims(np.ascontiguousarray(np.moveaxis(g, ax, -1)).sum(axis=-1), ax)
    np.copyto(rest, p_y, where=np.isnan(p_y))  # a NaN row (one class too) stays NaN
    if w is None:
        big_w, w_y, scale = k, 1.0, 1.0
    else:
        big_w, w_y = _total(w), w[lab]
        scale = (1.0 - eps) * w_y + (eps / k) * big_w
        g *= scale
    label = -scale * rest
    if eps > 0:
        g -= (eps / k) * (1.0 if wb is None else wb)
        t_y = (1.0 - eps + eps / k) * w_y
        label = np.where(p_y > 0.5, label + (eps / k) * (big_w - w_y), scale * p_y - t_y)
    np.put_along_axis(g, lab, label, axis=ax)
