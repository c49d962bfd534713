"""max → argmax → softmax: the reference functions of the course.

Every function here

* accepts lists and arrays and never writes into its input (views, transposes, broadcast
  and read-only arrays included; results are new arrays);
* gives float64 for integer or bool input and keeps float16, float32, float64 and
  longdouble; complex and object arrays are refused with ``TypeError``;
* works along ``axis``: by default ``-1``, the class axis of a batch of logits. The softmax
  family (and :func:`hardmax`, :func:`naive_softmax`) also takes SciPy's tuple of axes or
  ``None`` (the whole array: for a single number, ``axis=None`` is the only axis it has);
  :func:`argmax` takes an int or ``None``, as ``np.argmax`` does;
* raises ``ValueError`` for an empty slice and numpy's ``AxisError`` for an axis the
  array does not have.

The stable ones (:func:`logsumexp`, :func:`softmax`, :func:`log_softmax`) never give NaN,
inf or a ``RuntimeWarning`` for finite input, whatever its magnitude, unless the exact answer
lies beyond the float range. The one rule for non-finite entries:

* ``-inf`` is a mask: its probability is exactly 0 and its log-probability ``-inf``;
* a slice that is entirely ``-inf`` has no distribution: ``logsumexp`` is ``-inf`` (the log
  of an empty sum) and ``softmax`` / ``log_softmax`` are NaN, quietly;
* ``+inf`` entries share the probability equally (the limit of softmax), finite ones get 0;
* a NaN anywhere in a slice makes that whole slice NaN.

``where=`` (a boolean mask) has JAX's meaning: the entries where it is False take no part at
all, whatever they hold (NaN and ``inf`` included): their probability is 0 and their
log-probability ``-inf``, and ``logsumexp`` sums the others. A slice with no entry taken
is empty by choice, not by accident: ``softmax`` gives it 0s, ``log_softmax`` and
``logsumexp`` ``-inf``, without NaN or a warning.

How to read the softmax family
------------------------------
:func:`softmax` is the lesson's algorithm, in the lesson's order: shift each slice by its
maximum, exponentiate, sum, divide. Two refinements make float64 results agree with the
exact value to a few ulp (units in the last place) at every scale, where the textbook
version is hundreds of ulp off once logits spread by hundreds; each is a helper below with
its reason:

* :func:`shifted_exp` corrects the rounding of ``x - max`` (TwoSum, :func:`shift_error`);
* :func:`exact_sum` adds the exponentials with a single rounding.

float16 and float32 are computed in float64, where their shift is exact and a plain sum is
ample, and rounded once; longdouble is computed in longdouble, like float64. The work runs
over blocks of whole slices of about :data:`BLOCK` numbers (:func:`blocks`), so that the
temporaries stay small and in the CPU cache; a slice longer than a block is taken in pieces
(:func:`pieces`, :func:`softmax_in_pieces`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib._axes import Slices, slices
from course_lib._validation import as_float_array, check_temperature

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

BLOCK = 65536  # numbers per block (512 KiB of float64): cached, and few NumPy calls per number

Axis = int | tuple[int, ...] | None


def _prepare(x: ArrayLike, axis: Any, func: str, where: ArrayLike | None = None) -> Slices:
    return slices(as_float_array(x, "x", func), axis, func, where)


# --- the softmax family -------------------------------------------------------------------


def softmax(
    x: ArrayLike, axis: Axis = -1, temperature: float = 1.0, where: ArrayLike | None = None
) -> np.ndarray:
    r"""Turn scores (logits) into probabilities that sum to 1 along ``axis``.

    .. math:: \operatorname{softmax}(x)_i = \frac{e^{x_i / T}}{\sum_j e^{x_j / T}}

    Parameters
    ----------
    x : array_like
        Logits. A list, an int array or a float array; float16/32/64 keep their dtype.
    axis : int, tuple of ints or None, optional
        The axis that holds the classes (default ``-1``: each row of a batch is one sample).
        A tuple names axes that together hold one slice, and ``None`` the whole array, as
        in SciPy, whose default is ``None``. PyTorch's ``(N, C, d1, ...)`` layout holds
        its classes on axis 1: pass ``axis=1``.
    temperature : float, optional
        ``T > 0``; ``softmax(x, temperature=T)`` equals ``softmax(x / T)``. Small ``T``
        sharpens towards the one-hot of the argmax, large ``T`` flattens towards uniform.
    where : array_like of bool, optional
        JAX's mask, broadcast to ``x``: only the entries where it is True take part (an
        integer array of 0s and 1s, a tokenizer's attention mask, is read as booleans).

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``; entries in [0, 1] that sum to 1 along ``axis`` (to a few ulp).

    Notes
    -----
    Softmax does not change when the same number is added to every logit,
    ``softmax(x) == softmax(x - c)``, so it is computed as ``exp(x - max) / sum(exp(x - max))``
    where no ``exp`` can overflow (Blanchard, Higham & Higham, IMA J. Numer. Anal. 41(4), 2021).
    The rounding of ``x - max`` is corrected exactly (TwoSum) and the sum is rounded once,
    which keeps float64 results within a few ulp even when logits spread by hundreds. With a
    temperature, the result is the softmax of ``(x - max) / T`` as rounded to float64.

    Edge cases: ``-inf`` entries get probability 0; an all ``-inf`` slice is NaN (no
    distribution); ``+inf`` entries share the mass equally; NaN makes its slice NaN. With
    ``where``, excluded entries are ignored whatever they hold, and a slice with no entry
    taken gives 0s, without NaN or warning. A single number (0-d input) has no axis
    -1 (``AxisError``); with ``axis=None`` it is a slice of one entry. An empty slice
    raises ``ValueError``; ``axis=()`` makes every entry a slice of its own. Any layout
    (views, transposes, Fortran order, broadcast arrays) gives the numbers of a contiguous
    copy in a new array. longdouble is computed in longdouble; complex and object arrays
    raise ``TypeError``.

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
    >>> float(softmax([[1, 2], [3, 5]], axis=None).sum())  # one distribution, as in SciPy
    1.0
    >>> softmax([1, 3, 2], temperature=100).round(3)  # high T: almost uniform
    array([0.33 , 0.337, 0.333])
    >>> softmax([[1, 3, 2], [4, 0, 0]], where=[[True, True, False], [False] * 3])
    array([[0.11920292, 0.88079708, 0.        ],
           [0.        , 0.        , 0.        ]])
    """
    s = _prepare(x, axis, "softmax", where)
    t = check_temperature(temperature)
    out = np.empty(s.a.shape, s.a.dtype)
    with np.errstate(all="ignore"):  # inf - inf and 0 / 0 in non-finite slices: see below
        for xb, ob in blocks(s.axis, s.a, out=out, where=s.where):  # rows: whole slices
            m = np.maximum.reduce(xb, axis=-1, keepdims=True)  # 1. each slice's maximum
            if xb.shape[-1] <= BLOCK:
                e = shifted_exp(xb, m, t)  # 2. exp((x - max) / T): no overflow
                total = exact_sum(e, exact=full_precision(xb.dtype))  # 3. each slice's sum
                np.divide(e, total, out=ob, casting="unsafe")  # 4. divide: they sum to 1
            else:  # the same four steps for a long slice, one piece at a time
                softmax_in_pieces(xb, m, t, ob)
            non_finite_limits(xb, m, ob, log=False)
    return s.full(out, nothing_taken=0.0)


def log_softmax(
    x: ArrayLike, axis: Axis = -1, temperature: float = 1.0, where: ArrayLike | None = None
) -> np.ndarray:
    r"""The logarithm of :func:`softmax`, computed directly and stably.

    .. math:: \log\operatorname{softmax}(x)_i = x_i / T - \operatorname{logsumexp}(x / T)

    Parameters
    ----------
    x : array_like
        Logits (list, int or float array).
    axis : int, tuple of ints or None, optional
        The axis that holds the classes (default ``-1``: each row of a batch is one sample).
        A tuple names axes that together hold one slice, and ``None`` the whole array, as
        in SciPy, whose default is ``None``. PyTorch's ``(N, C, d1, ...)`` layout holds
        its classes on axis 1: pass ``axis=1``.
    temperature : float, optional
        ``T > 0``; same meaning as in :func:`softmax`.
    where : array_like of bool, optional
        JAX's mask, broadcast to ``x``: only the entries where it is True take part (an
        integer array of 0s and 1s, a tokenizer's attention mask, is read as booleans).

    Returns
    -------
    numpy.ndarray
        Same shape and float dtype as ``x``; values in ``[-inf, 0]``.

    Notes
    -----
    Never compute it as ``log(softmax(x))``: a probability that underflows to 0 becomes
    ``-inf`` although its log is an ordinary number (``log_softmax([1000, 1])[1]`` is -999).
    Here ``x - max`` is taken first and ``log1p`` of the sum of the other terms is subtracted,
    so no cancellation or overflow can occur. With ``+inf`` entries, those get
    ``-log(count)`` and finite entries ``-inf``. The log-probability of -1e308 beside 1e308
    is about -2e308, beyond the float range: ``-inf``.

    Edge cases: ``-inf`` entries get probability 0; an all ``-inf`` slice is NaN (no
    distribution); ``+inf`` entries share the mass equally; NaN makes its slice NaN. With
    ``where``, excluded entries are ignored whatever they hold, and a slice with no entry
    taken gives ``-inf``, without NaN or warning. A single number (0-d input) has no axis
    -1 (``AxisError``); with ``axis=None`` it is a slice of one entry. An empty slice
    raises ``ValueError``; ``axis=()`` makes every entry a slice of its own. Any layout
    (views, transposes, Fortran order, broadcast arrays) gives the numbers of a contiguous
    copy in a new array. longdouble is computed in longdouble; complex and object arrays
    raise ``TypeError``.

    Examples
    --------
    >>> import numpy as np
    >>> log_softmax([1000.0, 1.0])
    array([   0., -999.])
    >>> with np.errstate(divide="ignore"):
    ...     np.log(softmax([1000.0, 1.0]))  # the naive way loses the second entry
    array([  0., -inf])
    """
    s = _prepare(x, axis, "log_softmax", where)
    t = check_temperature(temperature)
    out = np.empty(s.a.shape, s.a.dtype)
    with np.errstate(all="ignore"):
        for xb, ob in blocks(s.axis, s.a, out=out, where=s.where):
            m = np.maximum.reduce(xb, axis=-1, keepdims=True)  # shift by the maximum ...
            top = xb.argmax(axis=-1, keepdims=True)  # ... found here
            if xb.shape[-1] <= BLOCK:
                d = ob if full_precision(ob.dtype) else np.empty(xb.shape, work_dtype(xb))
                rest = log1p_rest(xb, top, m, t, shifts=d)  # d = (x - max) / T; logsumexp(d)
                np.subtract(d, rest, out=ob, casting="unsafe")  # log p = d - logsumexp(d)
            else:  # the same for a long slice, one cache-sized piece at a time
                rest = log1p_rest(xb, top, m, t)
                for p, o in zip(pieces(xb), pieces(ob), strict=True):
                    np.subtract(shifted(p, m, t), rest, out=o, casting="unsafe")
            non_finite_limits(xb, m, ob, log=True)
    return s.full(out, nothing_taken=-np.inf)


def logsumexp(
    x: ArrayLike, axis: Axis = -1, keepdims: bool = False, where: ArrayLike | None = None
) -> np.ndarray:
    r"""The smooth maximum ``log(sum(exp(x)))`` along ``axis``, computed without overflow.

    .. math:: \max_i x_i \le \operatorname{logsumexp}(x) \le \max_i x_i + \log n

    Parameters
    ----------
    x : array_like
        Numbers (list, int or float array).
    axis : int, tuple of ints or None, optional
        The axis that holds the classes (default ``-1``: each row of a batch is one sample).
        A tuple names axes that together hold one slice, and ``None`` the whole array, as
        in SciPy, whose default is ``None``. PyTorch's ``(N, C, d1, ...)`` layout holds
        its classes on axis 1: pass ``axis=1``.
    keepdims : bool, optional
        Keep the reduced axes with length 1, so the result broadcasts back against ``x``:
        ``x - logsumexp(x, axis, keepdims=True)`` is :func:`log_softmax`.
    where : array_like of bool, optional
        JAX's mask, broadcast to ``x``: only the entries where it is True take part (an
        integer array of 0s and 1s, a tokenizer's attention mask, is read as booleans).

    Returns
    -------
    numpy.ndarray or numpy scalar
        The reduced result, in the float dtype of ``x``.

    Notes
    -----
    Computed as ``m + log1p(sum_{i != argmax} exp(x_i - m))`` with ``m = max(x)``: the sum is
    never large (no overflow), and ``log1p`` keeps it exact when the other terms are tiny.
    This is the same definition as ``scipy.special.logsumexp`` (without its ``b`` and
    ``return_sign``). Edge cases: an all ``-inf`` slice gives ``-inf`` (the log of an empty
    sum), and so does a slice with no entry taken by ``where``; any ``+inf`` gives ``+inf``;
    NaN gives NaN. A single number with ``axis=None`` gives itself, and ``axis=()`` gives
    ``x`` back. An empty slice raises ``ValueError`` (SciPy returns ``-inf``). Layouts,
    longdouble, complex and object arrays as in :func:`softmax`.

    Examples
    --------
    >>> float(logsumexp([1000.0, 1000.0]))  # 1000 + log 2, where exp(1000) overflows
    1000.6931471805599
    >>> logsumexp([[1, 2], [3, 4]], axis=0, keepdims=True).shape
    (1, 2)
    >>> float(logsumexp([[0, 0], [0, 0]], axis=None))  # log 4, over the whole array
    1.3862943611198906
    """
    s = _prepare(x, axis, "logsumexp", where)
    out = np.empty(s.a.shape[: s.axis] + (1,) + s.a.shape[s.axis + 1 :], s.a.dtype)
    with np.errstate(all="ignore"):
        for xb, ob in blocks(s.axis, s.a, out=out, where=s.where):
            m = np.maximum.reduce(xb, axis=-1, keepdims=True)
            top = xb.argmax(axis=-1, keepdims=True)
            lse = m + log1p_rest(xb, top, m, 1.0)
            if not _all_finite(m):  # -inf, +inf or NaN maximum: the maximum is the answer
                lse = np.where(np.isfinite(m), lse, m)
            np.copyto(ob, lse, casting="unsafe")
    res = s.reduced(out, keepdims)
    return res[()] if res.ndim == 0 else res


# --- the helpers: the accuracy refinements, then the blocks -------------------------------


def shifted(x: np.ndarray, m: np.ndarray, t: float) -> np.ndarray:
    """``(x - m) / t`` in float64 (longdouble for longdouble), the shift every stable formula
    starts with.

    A maximum that is not finite (an all ``-inf``, ``+inf`` or NaN slice) is replaced by 0,
    so that such slices come out as their documented limits instead of ``inf - inf``.
    """
    d = np.subtract(x, _finite_or_zero(m), dtype=work_dtype(x))
    if t != 1.0:
        d /= t
    return d


def shifted_exp(
    x: np.ndarray, m: np.ndarray, t: float, shifts: np.ndarray | None = None
) -> np.ndarray:
    """``exp((x - m) / t)`` in float64 (or longdouble), with the rounding of ``x - m`` corrected.

    ``d = x - m`` rounds, by up to half an ulp of ``d``; ``exp`` turns that absolute error
    into a *relative* error of the same size, which is hundreds of ulp once ``|d|`` is in the
    hundreds. :func:`shift_error` gives the exact rounding error ``err``, and since ``err``
    is tiny, ``exp(d + err) = exp(d) * (1 + err)`` to far below an ulp. float16 and float32
    inputs need no correction: ``x - m`` of two such numbers is exact in float64 (or its
    error far below their precision). ``shifts`` (of :func:`work_dtype`), if given, keeps
    the shifted values ``(x - m) / t`` of :func:`shifted`.
    """
    m = _finite_or_zero(m)
    d = np.subtract(x, m, out=shifts, dtype=work_dtype(x))
    err = shift_error(x, m, d) if full_precision(x.dtype) else None
    if t != 1.0:
        d /= t
        if err is not None:
            err /= t
    e = np.exp(d, out=None if d is shifts else d)
    if err is not None:
        err *= e
        e += err
    return e


def shift_error(x: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """The exact rounding error of ``d = fl(x - m)``: ``(x - m) - d``, by Knuth's TwoSum.

    Five more additions recover it without any assumption on the sizes of ``x`` and ``m``
    (Knuth, TAOCP vol. 2, 4.2.2). Where ``x`` is ``-inf`` or ``x - m`` overflows, the
    formula meets ``inf - inf``; there ``exp(d)`` is 0 and the error is set to 0.
    """
    bb = d - x  # the part of -m that made it into d
    err = x - (d - bb)  # what was lost of x ...
    err -= bb + m  # ... plus what was lost of -m
    err[np.isnan(err)] = 0.0
    return err


def exact_sum(e: np.ndarray, exact: bool = True) -> np.ndarray:
    """Sums of the rows of ``e`` (terms in [0, 1]; keepdims), as if rounded only once.

    A plain sum rounds at every addition; softmax divides every entry by this sum, so its
    error would be the largest in the result (see :func:`exact_sum_parts` for how).
    ``exact=False``, for results to be rounded to float16 or float32, takes NumPy's
    pairwise float64 sum instead, accurate far beyond their precision (see
    :func:`full_precision`).
    """
    if not exact:
        return np.add.reduce(e, axis=-1, keepdims=True)
    big, small = exact_sum_parts(e)
    return big + small


def exact_sum_parts(e: np.ndarray, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(big, small)``: the row sums of ``e`` (terms in [0, 1]) are ``big + small``.

    Rump's error-free extraction (Rump, Ogita & Oishi, SIAM J. Sci. Comput. 31(1), 2008):
    with ``sigma`` a power of two at least twice the number of terms,
    ``hi = (sigma + e) - sigma`` is ``e`` rounded to a multiple of ``ulp(sigma)``, and such
    multiples add up *exactly*, in any order, to ``big``. The remainders ``lo = e - hi`` are
    exact too, and so small that their rounded sum ``small`` is right to far below an ulp of
    ``big``. ``n`` is the full length of the rows when ``e`` is one piece of them.
    """
    sigma = 2.0 ** (math.ceil(math.log2(n or e.shape[-1])) + 1)
    hi = e + sigma
    hi -= sigma
    lo = e - hi
    return np.add.reduce(hi, axis=-1, keepdims=True), np.add.reduce(lo, axis=-1, keepdims=True)


def log1p_rest(
    x: np.ndarray, top: np.ndarray, m: np.ndarray, t: float, shifts: np.ndarray | None = None
) -> np.ndarray:
    """``logsumexp((x - m) / t)`` of each row (keepdims, float64), accurately.

    ``m`` is the rows' maximum, found at column ``top``; its own term is ``exp(0) = 1``.
    The result is ``log1p`` of the sum of all the *other* terms: a sum that is tiny (a
    confident prediction) keeps its full precision, where ``log(1 + tiny)`` would round it
    away. Long rows are summed piece by piece; rows that fit in one piece can keep their
    ``shifts`` (see :func:`shifted_exp`).
    """
    if x.shape[-1] <= BLOCK:  # one piece: every row holds its maximum
        e = shifted_exp(x, m, t, shifts)
        e[np.arange(len(e)), top[:, 0]] = 0.0  # leave the maximum's exp(0) = 1 out
        return np.log1p(np.add.reduce(e, axis=-1, keepdims=True))
    sums, start = [], 0
    for p in pieces(x):  # a long row (alone in its block), one piece at a time
        e = shifted_exp(p, m, t)
        if start <= top[0, 0] < start + p.shape[-1]:
            e[0, top[0, 0] - start] = 0.0
        sums.append(np.add.reduce(e, axis=-1, keepdims=True))
        start += p.shape[-1]
    return np.log1p(np.add.reduce(np.concatenate(sums, axis=-1), axis=-1, keepdims=True))


def blocks(
    axis: int, *arrays: np.ndarray, out: np.ndarray, where: np.ndarray | None = None
) -> Iterator[tuple[np.ndarray, ...]]:
    """Cut ``arrays`` and ``out`` into matching 2-D blocks whose rows are whole slices.

    Every helper above works along the rows of a C-contiguous block, where NumPy is fastest
    and sums pairwise (accurately). Along the last axis a block is a few consecutive rows
    (views). Along another axis, a few slices are copied side by side into rows, and the
    rows of ``out``'s block are copied back after use. A block holds about :data:`BLOCK`
    numbers and at least one slice. ``arrays`` have the shape of the first one, or length
    1 along ``axis`` (a label per slice), as has ``out`` for a reduction.

    With a mask ``where`` (bool, the first array's shape), the first array's block comes
    with its excluded entries replaced by ``-inf``, the mask of softmax: one block-sized
    copy, never one of the whole input (slices with none: :meth:`Slices.full`).
    """
    if where is not None:
        for xb, wb, *rest in blocks(axis, arrays[0], where, *arrays[1:], out=out):
            yield np.where(wb, xb, -np.inf), *rest
        return
    shape = arrays[0].shape
    n, inner = shape[axis], math.prod(shape[axis + 1 :])
    per = max(1, BLOCK // n)
    if inner == 1:  # the slices are rows already (out is C-contiguous: writes go through)
        rows = [np.ascontiguousarray(v).reshape(-1, v.shape[axis]) for v in (*arrays, out)]
        if len(rows[0]) <= per:  # one block: the whole array
            yield tuple(rows)
            return
        for i in range(0, len(rows[0]), per):
            yield tuple(r[i : i + per] for r in rows)
        return
    outer = math.prod(shape[:axis])
    views = [np.ascontiguousarray(v).reshape(outer, v.shape[axis], inner) for v in arrays]
    o3 = out.reshape(outer, out.shape[axis], inner)
    for i in range(outer):
        for j in range(0, inner, per):
            # copy the columns as they lie in memory, then transpose that copy in the cache:
            # a transposing copy straight from the array reads a cache line per number
            rows = [np.ascontiguousarray(v[i, :, j : j + per].copy().T) for v in views]
            ob = np.empty((len(rows[0]), o3.shape[1]), out.dtype)
            yield *rows, ob
            o3[i, :, j : j + per] = ob.T


def pieces(a: np.ndarray) -> Iterator[np.ndarray]:
    """The rows of ``a`` cut into pieces of at most :data:`BLOCK` numbers (views)."""
    step = max(1, BLOCK // a.shape[0])
    for j in range(0, a.shape[-1], step):
        yield a[:, j : j + step]


def softmax_in_pieces(x: np.ndarray, m: np.ndarray, t: float, out: np.ndarray) -> None:
    """Steps 2-4 of :func:`softmax` for rows longer than :data:`BLOCK`, a piece at a time.

    The sum of a row is known only after its last piece, so the exponentials wait somewhere
    for the division. In float64 (or longdouble) they wait in ``out`` itself, with the sum
    kept as exact parts (:func:`exact_sum_parts`). A float16 or float32 ``out`` cannot hold
    them without rounding them once before the division and once after, so there they are
    computed again, piece by piece, once the sum is known: that ``exp`` is cheaper than
    the float64 copy of the row it saves.
    """
    if not full_precision(out.dtype):
        total = sum(exact_sum(shifted_exp(p, m, t), exact=False) for p in pieces(x))
        for p, o in zip(pieces(x), pieces(out), strict=True):
            np.divide(shifted_exp(p, m, t), total, out=o, casting="unsafe")
        return
    big = small = 0.0
    for p, o in zip(pieces(x), pieces(out), strict=True):
        e = shifted_exp(p, m, t)
        b, s = exact_sum_parts(e, x.shape[-1])
        big, small = big + b, small + s  # the big parts still add exactly
        np.copyto(o, e)
    for o in pieces(out):
        np.divide(o, big + small, out=o)


_FULL = frozenset({np.dtype(np.float64), np.dtype(np.longdouble)})


def full_precision(dtype: np.dtype) -> bool:
    """True when results are kept in the working precision itself (float64, longdouble):
    then every rounding counts. float16 and float32 results are rounded once at the end,
    from a float64 value far more precise than they are."""
    return dtype in _FULL


def work_dtype(x: np.ndarray) -> np.dtype:
    """The precision the work is done in: float64, or longdouble for longdouble input."""
    return x.dtype if x.dtype in _FULL else np.dtype(np.float64)


def non_finite_limits(x: np.ndarray, m: np.ndarray, out: np.ndarray, log: bool) -> None:
    """The documented results of rows whose maximum ``m`` is not finite: a row holding
    ``+inf`` shares the mass among those entries (``1 / count`` each, or ``-log(count)``
    for ``log=True``), finite entries get 0; an all ``-inf`` row has no distribution, and
    a row holding NaN has none either: NaN."""
    if _all_finite(m):
        return
    hits = x == np.inf
    count = hits.sum(axis=-1, keepdims=True)
    limit = np.where(hits, -np.log(count), -np.inf) if log else hits / count
    np.copyto(out, limit, where=m == np.inf, casting="unsafe")
    np.copyto(out, np.nan, where=(m == -np.inf) | np.isnan(m))


def _all_finite(m: np.ndarray) -> bool:
    return math.isfinite(np.add.reduce(m, axis=None))  # (a sum that overflows says False)


def _finite_or_zero(m: np.ndarray) -> np.ndarray:
    return m if _all_finite(m) else np.where(np.isfinite(m), m, 0.0)


def naive_softmax(x: ArrayLike, axis: Axis = -1) -> np.ndarray:
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
    axis : int, tuple of ints or None, optional
        Class axis, default ``-1``; a tuple or ``None`` as in :func:`softmax`.

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
    s = _prepare(x, axis, "naive_softmax")
    with np.errstate(all="ignore"):
        e = np.exp(s.a)
        return s.full(e / e.sum(axis=s.axis, keepdims=True))


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


def argmax(x: ArrayLike, axis: int | None = -1) -> np.ndarray:
    """Index of the largest entry along ``axis``; ties go to the first one.

    NaN follows numpy: the index of the first NaN is returned, since NaN is "larger" than
    everything for ``np.argmax``.

    Parameters
    ----------
    x : array_like
        Numbers; the empty slice raises ``ValueError``.
    axis : int or None, optional
        Default ``-1`` (NumPy's default is ``None``). ``None`` gives the index into the
        flattened array, as ``np.argmax`` does; like NumPy, a tuple of axes is refused
        (one index cannot name a position in several axes).

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
    >>> int(argmax([[5, 5, 1], [0, 2, 9]], axis=None))  # the flat index of the 9
    5
    """
    if isinstance(axis, tuple):
        raise TypeError(
            f"argmax takes one axis or None, as np.argmax does, got axis={axis!r}: an index "
            "names a position along one axis (use axis=None for the flattened array)"
        )
    a = as_float_array(x, "x", "argmax")
    s = slices(a, axis, "argmax")
    return np.argmax(s.a, axis=s.axis)


def hardmax(x: ArrayLike, axis: Axis = -1) -> np.ndarray:
    """One-hot of :func:`argmax` along ``axis``: what people wrongly believe softmax returns.

    Parameters
    ----------
    x : array_like
        Logits.
    axis : int, tuple of ints or None, optional
        Default ``-1``; a tuple or ``None`` as in :func:`softmax`, whose limit it is as the
        temperature goes to 0.

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
    s = _prepare(x, axis, "hardmax")
    idx = np.expand_dims(np.argmax(s.a, axis=s.axis), s.axis)
    out = np.zeros(s.a.shape, dtype=s.a.dtype)
    np.put_along_axis(out, idx, 1, axis=s.axis)
    return s.full(out)


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
