"""max → argmax → softmax: the reference functions of the course.

Every function here

* accepts lists and arrays and never writes into its input;
* gives float64 for integer or bool input and keeps float16, float32 and float64;
* works along one ``axis`` (default ``-1``, the class axis of a batch of logits);
* raises ``ValueError`` for an empty slice along ``axis`` and numpy's ``AxisError`` for an
  axis the array does not have.

The stable ones (:func:`logsumexp`, :func:`softmax`, :func:`log_softmax`) never give NaN,
inf or a ``RuntimeWarning`` for finite input, whatever its magnitude, unless the exact answer
lies beyond the float range; their float64 results are within a few ulp of the exact value
(see ``course_lib/_kernels.py`` for how). The one rule for non-finite entries:

* ``-inf`` is a mask: its probability is exactly 0 and its log-probability ``-inf``;
* a slice that is entirely ``-inf`` has no distribution: ``logsumexp`` is ``-inf`` (the log
  of an empty sum) and ``softmax`` / ``log_softmax`` are NaN, quietly;
* ``+inf`` entries share the probability equally (the limit of softmax), finite ones get 0;
* a NaN anywhere in a slice makes that whole slice NaN.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from course_lib import _kernels as K
from course_lib._validation import (
    as_float_array,
    check_axis,
    check_temperature,
    require_nonempty,
)

__all__ = [
    "argmax",
    "hardmax",
    "log_softmax",
    "logsumexp",
    "naive_softmax",
    "one_hot",
    "sigmoid",
    "softmax",
]

_Kind = Literal["softmax", "log_softmax", "logsumexp", "lse_parts"]


def _prepare(x: ArrayLike, axis: Any, func: str) -> tuple[np.ndarray, int]:
    a = as_float_array(x, "x", func)
    ax = check_axis(a, axis, func)
    require_nonempty(a, ax, func)
    return a, ax


SMALL = 4096  # up to this many entries, one unblocked pass with few NumPy calls is fastest


def _small(a: np.ndarray, ax: int, kind: _Kind, temperature: float | None) -> np.ndarray | None:
    """The blocked kernels' algorithm for a small input along its last axis, in as few NumPy
    calls as possible (at this size each call costs more than the arithmetic).

    Returns None when a sum came out non-finite (a slice with inf, -inf or NaN), so the
    caller takes the general path that handles those cases.
    """
    cdt, exact = K.compute_plan(a.dtype)
    x = a.astype(cdt, copy=False).reshape(-1, a.shape[ax])
    with np.errstate(all="ignore"):
        m = np.maximum.reduce(x, axis=1, keepdims=True)
        d = x - m
        if exact:  # TwoSum: the exact rounding error of d
            bb = d - x
            err = (x - (d - bb)) - (bb + m)
        if temperature is not None:
            d /= temperature
            if exact:
                err /= temperature
        e = np.exp(d)
        if exact:
            err *= e
            e += err
        if kind == "softmax":
            s = K.split_sum(e, 1, np.empty_like(e), d, d)
            res = np.divide(e, s, out=e)
        else:  # leave the maxima's exp(0) = 1 out of the sum, add back all but one
            top = e == 1.0
            e[top] = 0.0
            s = np.add.reduce(e, axis=1, keepdims=True)
            s += np.add.reduce(top, axis=1, keepdims=True, dtype=cdt) - 1
            lse = np.log1p(s)
            res = m + lse if kind == "logsumexp" else np.subtract(d, lse, out=d)
    if not np.isfinite(s).all():  # inf, -inf or NaN in a slice, or overflow
        return None
    shape = a.shape[:ax] + (1,) if kind == "logsumexp" else a.shape
    return res.astype(a.dtype, copy=False).reshape(shape)


def _softmax_family(
    a: np.ndarray, ax: int, kind: _Kind, temperature: float | None
) -> np.ndarray:
    """Shared driver: run the kernel of ``kind`` on cache-sized blocks of whole slices."""
    if 0 < a.size <= SMALL and ax == a.ndim - 1:  # NumPy sums other axes less accurately
        res = _small(a, ax, kind, temperature)
        if res is not None:
            return res
    reduced = kind == "logsumexp"
    out = np.empty(a.shape[:ax] + (1,) + a.shape[ax + 1 :] if reduced else a.shape, a.dtype)
    if a.size == 0:
        return out
    rb = K.RowBlocks(a.shape, ax)
    if rb.red == 1 and rb.n > K.CHUNK and _long_slices(a, rb, out, kind, temperature):
        return out
    x3 = rb.view3(np.ascontiguousarray(a))
    o3 = rb.view3(out, 1 if reduced else None)
    cdt, exact = K.compute_plan(a.dtype)
    in_place = not reduced and cdt == a.dtype  # write straight into out
    red = rb.red

    def work(span: tuple[int, int, int], ws: K.Workspace) -> None:
        if kind == "softmax" and not exact and _widened_softmax(rb, x3, o3, span, ws,
                                                                 temperature):
            return
        xb = rb.read(x3, span, ws.flat[0])
        shape = xb.shape
        tgt = rb.target(o3, span)
        e, err = ws.get(1, shape), ws.get(2, shape)
        if kind == "softmax":
            if in_place:
                e = tgt
            m, _, s = K.exp_and_sum(
                xb, e, err, e, ws.get(3, shape), temperature, exact, red, ws.flat[4],
                exclude_max=False, split=exact,  # float16/32: float64 sums are ample
            )
            res = np.divide(e, s, out=e)
        else:
            d = tgt if in_place else ws.get(3, shape)
            m, _, s = K.exp_and_sum(
                xb, e, err, d, e, temperature, exact, red, ws.flat[4], exclude_max=True
            )
            lse = np.log1p(s)  # logsumexp - max, or with T: logsumexp(x/T) - max/T
            if reduced:
                # -inf, +inf and NaN slices: the max itself is the answer
                res = np.where(np.isfinite(m), m + lse, m)
            else:
                res = np.subtract(d, lse, out=d)
                if not np.isfinite(m).all():  # all -inf, or NaN inside: no distribution
                    np.copyto(res, np.nan, where=(m == -np.inf) | np.isnan(m))
        _fix_posinf(res, xb, m, kind, red)
        if res is not tgt:
            np.copyto(tgt, res, casting="unsafe")

    with np.errstate(all="ignore"):
        K.run_blocks(rb.spans, lambda: K.Workspace(rb.size, cdt, 5), work)
    return out


def _widened_softmax(
    rb: K.RowBlocks, x3: np.ndarray, o3: np.ndarray, span: tuple[int, int, int],
    ws: K.Workspace, temperature: float | None,
) -> bool:
    """float16/32 softmax of one block in five passes: the max in the input's dtype, the
    shift straight into float64 (exact: both operands have at most 24 significant bits),
    exp and sum in float64, and the division written back rounded once. Returns False,
    having written nothing, when a slice's max is not finite (the general path handles it).
    """
    xb, tgt = rb.target(x3, span), rb.target(o3, span)
    m = xb.max(axis=rb.red, keepdims=True)
    if not np.isfinite(m).all():
        return False
    e = ws.get(1, xb.shape)
    np.subtract(xb, m, out=e, dtype=np.float64)
    if temperature is not None:
        np.divide(e, temperature, out=e)
    np.exp(e, out=e)
    np.divide(e, K.row_sums(e, rb.red, ws.flat[4]), out=tgt, casting="unsafe")
    return True


def _long_slices(
    a: np.ndarray, rb: K.RowBlocks, out: np.ndarray, kind: _Kind, temperature: float | None
) -> bool:
    """Slices longer than a block (say one vector of 10**6 logits), one chunk at a time.

    ``kind="lse_parts"`` writes ``(max, log1p(sum of the other terms))`` per slice into a
    float64 ``out`` of shape ``(slices, 2)``, which cross_entropy needs.

    Pass 1 finds each slice's maximum; pass 2 writes exp (softmax) or the shifted logits
    (log_softmax) chunk by chunk and collects exact partial sums; pass 3 normalises in place.
    Returns False, having written nothing, if a slice holds inf or NaN: the general path
    handles those.
    """
    x2 = np.ascontiguousarray(a).reshape(rb.outer, rb.n)
    cdt, exact = K.compute_plan(a.dtype)
    maxima = x2.max(axis=1)
    if not np.isfinite(maxima).all():
        return False
    o2 = out.reshape(rb.outer, -1)
    c = K.CHUNK
    ws = K.Workspace(c, cdt, 5)
    with np.errstate(all="ignore"):
        for r in range(rb.outer):
            row, orow = x2[r], o2[r]
            top = int(np.argmax(row))
            shift = np.full((1, 1), row[top], dtype=cdt)
            parts: list[float] = []
            for j in range(0, rb.n, c):
                xb = row[j : j + c].reshape(1, -1)
                shape = xb.shape
                if cdt != a.dtype:
                    xb64 = ws.get(0, shape)
                    np.copyto(xb64, xb)
                    xb = xb64
                e, err, tmp = ws.get(1, shape), ws.get(2, shape), ws.get(3, shape)
                d = tmp if kind == "softmax" else ws.get(4, shape)
                K.shifted_exp(xb, e, err, d, tmp if d is not tmp else e, temperature, exact, 1,
                              shift=shift)
                if kind != "softmax" and j <= top < j + c:
                    e[0, top - j] = 0.0  # leave the maximum's exp(0) = 1 out: log1p below
                parts.append(float(K.split_sum(e, 1, err, tmp, tmp)[0, 0]))
                if kind == "softmax":
                    np.copyto(orow[j : j + c], e[0], casting="unsafe")
                elif kind == "log_softmax":
                    np.copyto(orow[j : j + c], d[0], casting="unsafe")
            total = math.fsum(parts)
            if kind == "softmax":
                for j in range(0, rb.n, c):  # divide in the working precision, round once
                    seg = orow[j : j + c]
                    np.copyto(seg, seg.astype(cdt, copy=False) / total, casting="unsafe")
            else:
                lse = math.log1p(total)
                if kind == "lse_parts":  # for cross_entropy: logsumexp = max + log1p(...)
                    orow[0], orow[1] = shift[0, 0], lse
                elif kind == "logsumexp":
                    base = float(shift[0, 0]) / (temperature or 1.0)
                    orow[0] = base + lse
                else:
                    for j in range(0, rb.n, c):
                        seg = orow[j : j + c]
                        np.copyto(seg, seg.astype(cdt, copy=False) - lse, casting="unsafe")
    return True


def _fix_posinf(res: np.ndarray, x: np.ndarray, m: np.ndarray, kind: _Kind, red: int) -> None:
    """Slices holding +inf: the limit shares the mass among the +inf entries."""
    rows = m == np.inf
    if kind == "logsumexp" or not rows.any():
        return
    hits = x == np.inf
    count = hits.sum(axis=red, keepdims=True)
    if kind == "softmax":
        limit = hits / np.maximum(count, 1)
    else:
        limit = np.where(hits, -np.log(np.maximum(count, 1)), -np.inf)
    np.copyto(res, limit, where=rows)


def softmax(x: ArrayLike, axis: int = -1, temperature: float = 1.0) -> np.ndarray:
    r"""Turn scores (logits) into probabilities that sum to 1 along ``axis``.

    .. math:: \operatorname{softmax}(x)_i = \frac{e^{x_i / T}}{\sum_j e^{x_j / T}}

    Parameters
    ----------
    x : array_like
        Logits. A list, an int array or a float array; float16/32/64 keep their dtype.
    axis : int, optional
        The axis that holds the classes (default ``-1``: each row of a batch is one sample).
    temperature : float, optional
        ``T > 0``; ``softmax(x, temperature=T)`` equals ``softmax(x / T)``. Small ``T``
        sharpens towards the one-hot of the argmax, large ``T`` flattens towards uniform.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``; entries in [0, 1] that sum to 1 along ``axis`` (to a few ulp).

    Notes
    -----
    Softmax does not change when the same number is added to every logit,
    ``softmax(x) == softmax(x - c)``, so it is computed as ``exp(x - max) / sum(exp(x - max))``
    where no ``exp`` can overflow (Blanchard, Higham & Higham, IMA J. Numer. Anal. 41(4), 2021).
    The rounding of ``x - max`` is corrected exactly (TwoSum), which keeps float64 results
    within a few ulp even when logits spread by hundreds. With a temperature, the result is the
    softmax of ``(x - max) / T`` as rounded to the working precision.

    Edge cases: ``-inf`` entries get probability 0; an all ``-inf`` slice is NaN; ``+inf``
    entries share the mass equally; NaN makes its slice NaN. An empty slice raises
    ``ValueError``; ``temperature <= 0`` or not finite raises ``ValueError``.

    Examples
    --------
    >>> import numpy as np
    >>> np.set_printoptions(precision=8)
    >>> softmax([3.0, 1.0, 0.2])
    array([0.8360188 , 0.11314284, 0.05083836])
    >>> softmax([1000, 5])  # the textbook formula gives nan here
    array([1., 0.])
    >>> softmax([[1, 2], [3, 5]], axis=0).sum(axis=0)
    array([1., 1.])
    >>> softmax([1, 3, 2], temperature=100).round(3)  # high T: almost uniform
    array([0.33 , 0.337, 0.333])
    """
    a, ax = _prepare(x, axis, "softmax")
    t = check_temperature(temperature)
    return _softmax_family(a, ax, "softmax", None if t == 1.0 else t)


def log_softmax(x: ArrayLike, axis: int = -1, temperature: float = 1.0) -> np.ndarray:
    r"""The logarithm of :func:`softmax`, computed directly and stably.

    .. math:: \log\operatorname{softmax}(x)_i = x_i / T - \operatorname{logsumexp}(x / T)

    Parameters
    ----------
    x : array_like
        Logits (list, int or float array).
    axis : int, optional
        Class axis, default ``-1``.
    temperature : float, optional
        ``T > 0``; same meaning as in :func:`softmax`.

    Returns
    -------
    numpy.ndarray
        Same shape and float dtype as ``x``; values in ``[-inf, 0]``.

    Notes
    -----
    Never compute it as ``log(softmax(x))``: a probability that underflows to 0 becomes
    ``-inf`` although its log is an ordinary number (``log_softmax([1000, 1])[1]`` is -999).
    Here ``x - max`` is taken first and ``log1p`` of the sum of the other terms is subtracted,
    so no cancellation or overflow can occur. Edge cases as in :func:`softmax`: a ``-inf``
    entry gives ``-inf``; an all ``-inf`` slice gives NaN; with ``+inf`` entries they get
    ``-log(count)`` and finite entries ``-inf``. The log-probability of -1e308 beside 1e308
    is about -2e308, beyond the float range: ``-inf``.

    Examples
    --------
    >>> import numpy as np
    >>> log_softmax([1000.0, 1.0])
    array([   0., -999.])
    >>> with np.errstate(divide="ignore"):
    ...     np.log(softmax([1000.0, 1.0]))  # the naive way loses the second entry
    array([  0., -inf])
    """
    a, ax = _prepare(x, axis, "log_softmax")
    t = check_temperature(temperature)
    return _softmax_family(a, ax, "log_softmax", None if t == 1.0 else t)


def logsumexp(x: ArrayLike, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    r"""The smooth maximum ``log(sum(exp(x)))`` along ``axis``, computed without overflow.

    .. math:: \max_i x_i \le \operatorname{logsumexp}(x) \le \max_i x_i + \log n

    Parameters
    ----------
    x : array_like
        Numbers (list, int or float array).
    axis : int, optional
        Axis to reduce, default ``-1``.
    keepdims : bool, optional
        Keep the reduced axis with length 1, so the result broadcasts back against ``x``:
        ``x - logsumexp(x, axis, keepdims=True)`` is :func:`log_softmax`.

    Returns
    -------
    numpy.ndarray or numpy scalar
        The reduced result, in the float dtype of ``x``.

    Notes
    -----
    Computed as ``m + log1p(sum_{i != argmax} exp(x_i - m))`` with ``m = max(x)``: the sum is
    never large (no overflow), and ``log1p`` keeps it exact when the other terms are tiny.
    This is the same definition as ``scipy.special.logsumexp``. Edge cases: an all ``-inf``
    slice gives ``-inf`` (the log of an empty sum), any ``+inf`` gives ``+inf``, NaN gives NaN.

    Examples
    --------
    >>> float(logsumexp([1000.0, 1000.0]))  # 1000 + log 2, where exp(1000) overflows
    1000.6931471805599
    >>> logsumexp([[1, 2], [3, 4]], axis=0, keepdims=True).shape
    (1, 2)
    """
    a, ax = _prepare(x, axis, "logsumexp")
    res = _softmax_family(a, ax, "logsumexp", None)
    if not keepdims:
        res = np.squeeze(res, axis=ax)
        if res.ndim == 0:
            return res[()]
    return res


def naive_softmax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    """The textbook formula ``exp(x) / sum(exp(x))``, kept to show how it breaks.

    It is mathematically the same function as :func:`softmax`, but ``exp`` overflows in the
    input's own dtype once a logit passes ``log(finfo(dtype).max)`` (about 11.09 for float16,
    88.72 for float32, 709.78 for float64) and the result becomes ``nan``. Warnings are
    silenced so that demos show the ``nan`` itself. Use it only to learn; use
    :func:`softmax` for everything else.

    Parameters
    ----------
    x : array_like
        Logits.
    axis : int, optional
        Class axis, default ``-1``.

    Returns
    -------
    numpy.ndarray
        Same shape and float dtype as ``x``; may contain ``nan`` and ``0`` where the
        stable softmax does not.

    Examples
    --------
    >>> naive_softmax([1000.0, 5.0])
    array([nan,  0.])
    >>> naive_softmax([1.0, 3.0, 2.0]).round(4)
    array([0.09  , 0.6652, 0.2447])
    """
    a, ax = _prepare(x, axis, "naive_softmax")
    with np.errstate(all="ignore"):
        e = np.exp(a)
        return e / e.sum(axis=ax, keepdims=True)


def sigmoid(x: ArrayLike) -> np.ndarray:
    r"""The logistic function ``1 / (1 + exp(-x))``, stable for every input.

    For two classes with logits ``[0, z]``, ``softmax`` gives ``[1 - sigmoid(z), sigmoid(z)]``:
    sigmoid is the two-class softmax. Thresholding ``sigmoid(z)`` at 0.5 is the same as asking
    whether ``z > 0``; softmax over more classes has no 0.5 threshold at all.

    Computed as ``1 / (1 + e)`` for ``x >= 0`` and ``e / (1 + e)`` for ``x < 0`` with
    ``e = exp(-|x|)``, so ``exp`` never overflows. ``±inf`` give 1 and 0; NaN stays NaN.

    Parameters
    ----------
    x : array_like
        Any shape; int and bool become float64, float dtypes are kept.

    Returns
    -------
    numpy.ndarray
        Values in [0, 1], same shape as ``x``.

    Examples
    --------
    >>> sigmoid([-1000.0, 0.0, 2.0]).round(6)
    array([0.      , 0.5     , 0.880797])
    """
    a = as_float_array(x, "x", "sigmoid")
    with np.errstate(all="ignore"):
        e = np.exp(-np.abs(a))
        out = np.where(a >= 0, 1.0, e) / (1.0 + e)
    return out.astype(a.dtype, copy=False)


def argmax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    """Index of the largest entry along ``axis``; ties go to the first one.

    NaN follows numpy: the index of the first NaN is returned, since NaN is "larger" than
    everything for ``np.argmax``.

    Parameters
    ----------
    x : array_like
        Numbers; the empty slice raises ``ValueError``.
    axis : int, optional
        Default ``-1``.

    Returns
    -------
    numpy.ndarray or numpy.intp
        Integer indices with the shape of ``x`` without ``axis``.

    Examples
    --------
    >>> int(argmax([1, 3, 2]))
    1
    >>> argmax([[5, 5, 1], [0, 2, 9]])  # first of a tie wins
    array([0, 2])
    """
    a, ax = _prepare(x, axis, "argmax")
    return np.argmax(a, axis=ax)


def hardmax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    """One-hot of :func:`argmax` along ``axis``: what people wrongly believe softmax returns.

    Parameters
    ----------
    x : array_like
        Logits.
    axis : int, optional
        Default ``-1``.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x`` (float; int input gives float64), exactly one 1 per slice.

    Examples
    --------
    >>> hardmax([1, 3, 2])
    array([0., 1., 0.])
    >>> softmax([1, 3, 2]).round(3)  # softmax keeps the runners-up
    array([0.09 , 0.665, 0.245])
    """
    a, ax = _prepare(x, axis, "hardmax")
    idx = np.expand_dims(np.argmax(a, axis=ax), ax)
    out = np.zeros(a.shape, dtype=a.dtype)
    np.put_along_axis(out, idx, 1, axis=ax)
    return out


def one_hot(labels: ArrayLike, num_classes: int | None = None) -> np.ndarray:
    """Encode integer class labels as float64 one-hot vectors along a new last axis.

    Parameters
    ----------
    labels : array_like of int
        Class indices ``0 .. num_classes - 1``, any shape. Whole-number floats such as
        ``2.0`` are accepted; anything else (``1.5``, NaN, negative, too large) raises
        ``ValueError`` naming the offending label and where it is.
    num_classes : int, optional
        Number of classes; default ``max(labels) + 1``.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``labels.shape + (num_classes,)``.

    Examples
    --------
    >>> one_hot([0, 1, 2])
    array([[1., 0., 0.],
           [0., 1., 0.],
           [0., 0., 1.]])
    >>> one_hot([1], num_classes=3)
    array([[0., 1., 0.]])
    """
    lab = np.asarray(labels)
    if lab.dtype.kind not in "biuf":
        raise ValueError(f"one_hot needs integer class labels, got dtype {lab.dtype}")
    if lab.dtype.kind == "f":
        bad = ~np.isfinite(lab) | (lab != np.round(lab))
        if bad.any():
            pos = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"label {_num(lab[pos])} at position {pos} is not a whole number: "
                "class labels are integers 0, 1, 2, ..."
            )
    if num_classes is not None:
        if isinstance(num_classes, bool) or not isinstance(num_classes, int | np.integer):
            raise ValueError(f"num_classes must be a whole number, got {num_classes!r}")
        if num_classes < 0:
            raise ValueError(f"num_classes must be 0 or more, got {num_classes}")
    if lab.size and (lab < 0).any():
        pos = tuple(int(i) for i in np.argwhere(lab < 0)[0])
        raise ValueError(
            f"label {_num(lab[pos])} at position {pos} is negative: "
            "class labels count from 0"
        )
    k = int(lab.max()) + 1 if num_classes is None and lab.size else int(num_classes or 0)
    if lab.size and (lab >= k).any():
        pos = tuple(int(i) for i in np.argwhere(lab >= k)[0])
        raise ValueError(
            f"label {_num(lab[pos])} at position {pos} is out of range: with "
            f"num_classes={k} the labels must be 0 to {k - 1}"
        )
    out = np.zeros(lab.shape + (k,), dtype=np.float64)
    if lab.size:
        np.put_along_axis(out, lab.astype(np.intp)[..., None], 1.0, axis=-1)
    return out


def _num(v: Any) -> str:
    """Show a label as the learner wrote it: 5 for 5 or 5.0, 0.5 for 0.5."""
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(f)
