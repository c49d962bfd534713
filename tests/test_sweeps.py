"""Sizes swept across every internal threshold of the softmax family: just below, at, just above.

The thresholds are module constants of ``course_lib.functions``; ``test_every_threshold_is_swept``
fails when one is added without a sweep here. References are mpmath (50 digits) and scipy.

* ``BLOCK``: a block holds about BLOCK numbers of whole slices, so ``BLOCK // n`` slices go
  side by side (rows along the last axis, columns copied into rows along another axis), and a
  slice longer than BLOCK is taken in pieces.
* the exact sum's ``sigma`` is the power of two above ``2 n``: n is swept around powers of two.
"""

from __future__ import annotations

import inspect
import warnings

import mpmath
import numpy as np
import pytest
import scipy.special as sp

import course_lib.functions as F
from course_lib import cross_entropy, cross_entropy_grad, log_softmax, logsumexp, softmax
from course_lib.functions import BLOCK
from tests._mp import mp_row, shift_and_log1p, ulps

SWEPT = {"BLOCK": BLOCK}
MAX_ULPS = 4
LONG = [BLOCK - 1, BLOCK, BLOCK + 1]  # the longest slice in one piece, and one more
PER = BLOCK // 1000  # slices of 1000 per block
SIDE_BY_SIDE = [PER - 1, PER, PER + 1, 2 * PER + 1]
POWERS = [7, 8, 9, 1023, 1024, 1025]  # sigma of the exact sum changes at powers of two


def test_every_threshold_is_swept() -> None:
    consts = {
        name for name, v in inspect.getmembers(F)
        if name.isupper() and isinstance(v, int) and not isinstance(v, bool)
    }
    assert consts == set(SWEPT), "a new threshold needs its sweep in tests/test_sweeps.py"
    assert 1000 < BLOCK and BLOCK // 1000 >= 2  # the sizes below assume this


def _quiet(f, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return f(*args, **kw)


def _check_row_f64(x: np.ndarray, axis: int, i: int, label: int, mask: int | None) -> None:
    """Slice i along the other axis of 2-D x: every function within MAX_ULPS of mpmath, at
    sampled entries (the maximum, the label, the mask, the ends, a seeded few)."""
    row = np.take(x, i, axis=1 - axis % 2)
    m, big_l = shift_and_log1p(row)  # logsumexp = m + L, L to 50 digits even when tiny
    take = np.take
    assert ulps(_quiet(logsumexp, x, axis=axis)[i], m + big_l) <= MAX_ULPS
    p = take(_quiet(softmax, x, axis=axis), i, axis=1 - axis % 2)
    lp = take(_quiet(log_softmax, x, axis=axis), i, axis=1 - axis % 2)
    n = row.size
    picks = {0, n - 1, int(np.argmax(row)), label, *np.random.default_rng(n).integers(0, n, 8)}
    for j in sorted(picks):
        if j == mask:
            assert p[j] == 0.0 and lp[j] == -np.inf
            continue
        ref = (mpmath.mpf(float(row[j])) - m) - big_l
        assert ulps(lp[j], ref) <= MAX_ULPS
        assert ulps(p[j], mpmath.exp(ref)) <= MAX_ULPS
    labels = np.full(x.shape[1 - axis % 2], label)
    ce = _quiet(cross_entropy, x, labels, axis=axis, reduction="none")[i]
    ref = (mpmath.mpf(float(row[label])) - m) - big_l  # log p of the label
    assert ulps(ce, -ref) <= MAX_ULPS
    g = take(_quiet(cross_entropy_grad, x, labels, axis=axis, reduction="sum"), i, 1 - axis % 2)
    assert ulps(g[label], mpmath.expm1(ref)) <= MAX_ULPS


@pytest.mark.parametrize("n", LONG)
@pytest.mark.parametrize("axis", [-1, 0])
def test_long_slices_against_mpmath(n, axis) -> None:
    rng = np.random.default_rng(n)
    x = rng.normal(0, 30 / 3, (2, n))  # scale 30
    x[1, 5] = -np.inf  # a mask in a slice longer than a block
    x[1, 0] = x[1].max() + 40.0  # and a confident maximum: tiny losses, tiny log-probabilities
    if axis == 0:
        x = x.T.copy()
    _check_row_f64(x, axis, 0, label=int(np.argmax(x[0] if axis else x[:, 0])), mask=None)
    _check_row_f64(x, axis, 1, label=0, mask=5)


@pytest.mark.parametrize("scale", [1, 30, 700])
@pytest.mark.parametrize("batch", SIDE_BY_SIDE)
@pytest.mark.parametrize("axis", [-1, 0])
def test_slices_side_by_side_against_mpmath(scale, batch, axis) -> None:
    rng = np.random.default_rng(batch * scale)
    x = rng.normal(0, scale / 3, (batch, 1000))
    x = x if axis == -1 else x.T.copy()
    for i in (0, batch // 2, batch - 1):  # first block, middle, the last (maybe partial) block
        _check_row_f64(x, axis, i, label=int(rng.integers(0, 1000)), mask=None)


@pytest.mark.parametrize("n", POWERS)
def test_lengths_around_powers_of_two(n) -> None:
    x = np.random.default_rng(n).normal(0, 700 / 3, (3, n))
    for i in range(3):
        _check_row_f64(x, -1, i, label=i, mask=None)


def _sizes() -> list[tuple[tuple[int, ...], int]]:
    """Shapes and axes that put each threshold just below, at and just above."""
    cases = [((2, n), -1) for n in LONG] + [((n, 2), 0) for n in LONG]
    cases += [((b, 1000), -1) for b in SIDE_BY_SIDE] + [((1000, b), 0) for b in SIDE_BY_SIDE]
    cases += [((2, 1000, b), 1) for b in (PER - 1, PER + 1)] + [((3, n), -1) for n in POWERS]
    return cases


SIZES = _sizes()


@pytest.mark.parametrize("shape,axis", SIZES)
def test_every_function_matches_scipy(shape, axis) -> None:
    rng = np.random.default_rng(sum(shape))
    x = rng.normal(0, 5, shape)
    # scipy's log_softmax near 0 loses digits to cancellation (mpmath above is the judge of
    # those): an absolute tolerance too for the log family
    for ours, theirs, atol in ((softmax, sp.softmax, 1e-300), (log_softmax, sp.log_softmax, 1e-13),
                               (logsumexp, sp.logsumexp, 1e-13)):
        np.testing.assert_allclose(_quiet(ours, x, axis=axis), theirs(x, axis=axis),
                                   rtol=1e-13, atol=atol)
    np.testing.assert_allclose(_quiet(softmax, x, axis=axis, temperature=3.0),
                               sp.softmax(x / 3.0, axis=axis), rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("shape,axis", SIZES)
@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_low_precision_is_rounded_once(shape, axis, dtype) -> None:
    x = np.random.default_rng(sum(shape)).normal(0, 4, shape).astype(dtype)
    x64 = x.astype(np.float64)
    for ours, theirs in ((softmax, sp.softmax), (log_softmax, sp.log_softmax),
                         (logsumexp, sp.logsumexp)):
        got = _quiet(ours, x, axis=axis)
        assert got.dtype == dtype
        np.testing.assert_array_max_ulp(got, theirs(x64, axis=axis).astype(dtype), maxulp=1)


def _one_hot(labels, k, axis):
    t = np.zeros(labels.shape + (k,))
    np.put_along_axis(t, labels[..., None], 1.0, axis=-1)
    return np.moveaxis(t, -1, axis)


def _ref_loss(z, t, axis, eps):
    """The definition, -sum(target * log_softmax), with scipy, in float64."""
    z = np.asarray(z, np.float64)
    k = z.shape[axis]
    logp = sp.log_softmax(z, axis=axis)
    if np.asarray(t).dtype.kind in "iu":
        t = _one_hot(t, k, axis)
    t = (1 - eps) * t + eps / k
    with np.errstate(invalid="ignore"):
        return -np.where(t > 0, t * logp, 0.0).sum(axis=axis)


@pytest.mark.parametrize("shape,axis", SIZES)
@pytest.mark.parametrize("eps", [0.0, 0.1])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_cross_entropy_and_gradient_match_the_definition(shape, axis, eps, dtype) -> None:
    rng = np.random.default_rng(sum(shape) + int(10 * eps))
    z = rng.normal(0, 3, shape).astype(dtype)
    k = shape[axis]
    labels = rng.integers(0, k, np.delete(np.array(shape), axis))
    probs = sp.softmax(rng.normal(size=shape), axis=axis)
    tol = {np.float16: 2e-3, np.float32: 2e-6, np.float64: 1e-12}[dtype]
    for t in (labels, probs):
        per = _quiet(cross_entropy, z, t, axis=axis, reduction="none", label_smoothing=eps)
        assert per.dtype == dtype
        np.testing.assert_allclose(per, _ref_loss(z, t, axis, eps), rtol=tol)
        g = _quiet(cross_entropy_grad, z, t, axis=axis, reduction="sum", label_smoothing=eps)
        tt = _one_hot(t, k, axis) if t is labels else t
        want = sp.softmax(z.astype(np.float64), axis=axis) - ((1 - eps) * tt + eps / k)
        np.testing.assert_allclose(g, want.astype(dtype), rtol=tol, atol=tol * 1e-3)


@pytest.mark.parametrize("shape,axis", SIZES)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_non_finite_entries_follow_the_rules(shape, axis, dtype) -> None:
    if len(shape) == 2:  # at least four slices: one of each kind below
        shape = tuple(v if i == axis % 2 else max(v, 4) for i, v in enumerate(shape))
    x = np.moveaxis(np.random.default_rng(1).normal(0, 3, shape).astype(dtype), axis, -1).copy()
    # the slices (last axis here): 0 ordinary with masks, 1 all -inf, 2 one +inf, 3 NaN
    x = x.reshape(-1, x.shape[-1])
    n = x.shape[1]
    x[0, ::3] = -np.inf
    x[0, 1] = 2.0
    x[1] = -np.inf
    x[-1, n // 2] = np.inf
    x[-1, n - 1] = np.inf
    x[2, n - 1] = np.nan
    xs = np.moveaxis(x.reshape(np.moveaxis(np.empty(shape), axis, -1).shape), -1, axis)
    p = np.moveaxis(_quiet(softmax, xs, axis=axis), axis, -1).reshape(x.shape)
    lp = np.moveaxis(_quiet(log_softmax, xs, axis=axis), axis, -1).reshape(x.shape)
    lse = _quiet(logsumexp, xs, axis=axis).reshape(-1)
    ok = x[0] > -np.inf
    assert (p[0][~ok] == 0).all() and (lp[0][~ok] == -np.inf).all()
    want = sp.softmax(x[0][ok].astype(np.float64))
    if dtype == np.float64:  # scipy itself is a few ulp off here (see test_accuracy.py)
        np.testing.assert_allclose(p[0][ok], want, rtol=1e-13)
    else:
        np.testing.assert_array_max_ulp(p[0][ok], want.astype(dtype), maxulp=1)
    assert lse[1] == -np.inf and np.isnan(p[1]).all() and np.isnan(lp[1]).all()
    two = np.zeros(n, dtype)
    two[[n // 2, n - 1]] = 0.5
    assert (p[-1] == two).all()
    assert lp[-1][n // 2] == dtype(-np.log(2)) and lp[-1][0] == -np.inf and lse[-1] == np.inf
    assert np.isnan(p[2]).all() and np.isnan(lp[2]).all() and np.isnan(lse[2])
    labels = np.zeros(len(x), int)
    labels[0], labels[-1] = 1, n // 2
    ce = _quiet(cross_entropy, x, labels, reduction="none")
    assert ce[0] == pytest.approx(-sp.log_softmax(x[0][ok].astype(np.float64))[0], rel=1e-3)
    assert np.isnan(ce[1]) and ce[-1] == pytest.approx(np.log(2), rel=1e-3)
    assert _quiet(cross_entropy, x[:1], [0], reduction="none")[0] == np.inf  # masked target
    g = _quiet(cross_entropy_grad, x[:1], [1], reduction="sum")
    assert (g[0][~ok] == 0).all() and np.isfinite(g).all()


# --- where=, merged axes, weight, ignore_index, smoothing: the same thresholds ---------------
#
# where= (blocks take the mask with them), axis=None / tuples (slices merged from several
# axes, copied or viewed), and cross_entropy's weight=, ignore_index= and label smoothing,
# per sample and reduced (a sum of up to BLOCK losses is math.fsum, a longer one the exact
# extraction: the sample count is swept around BLOCK too).


def _mp_parts(row: np.ndarray, take: np.ndarray | None = None):
    """(m, L) of the entries taken: logsumexp = m + L (50 digits, L exact even when tiny)."""
    return shift_and_log1p(row if take is None else row[take])


def _check_masked_slice(x, w, axis_of_slices, i, where_kw) -> None:
    """Slice i of 2-D x (slices along 1 - axis_of_slices): the family with where= against
    mpmath on sampled entries; excluded entries exactly 0 / -inf; none taken: 0 / -inf."""
    other = axis_of_slices
    row, take = np.take(x, i, axis=other), np.take(w, i, axis=other)
    p = np.take(_quiet(softmax, x, where=w, **where_kw), i, axis=other)
    lp = np.take(_quiet(log_softmax, x, where=w, **where_kw), i, axis=other)
    lse = _quiet(logsumexp, x, where=w, **where_kw)[i]
    if not take.any():
        assert (p == 0).all() and (lp == -np.inf).all() and lse == -np.inf
        return
    m, big_l = _mp_parts(row, take)
    assert ulps(lse, m + big_l) <= MAX_ULPS
    assert (p[~take] == 0).all() and (lp[~take] == -np.inf).all()
    n = row.size
    ok = np.flatnonzero(take)
    picks = {int(ok[0]), int(ok[-1]), int(np.flatnonzero(take & (row == row[take].max()))[0]),
             *ok[np.random.default_rng(n).integers(0, len(ok), 8)]}
    for j in sorted(picks):
        ref = (mpmath.mpf(float(row[j])) - m) - big_l
        assert ulps(lp[j], ref) <= MAX_ULPS
        assert ulps(p[j], mpmath.exp(ref)) <= MAX_ULPS


def _mask(shape, seed):
    rng = np.random.default_rng(seed)
    return rng.random(shape) < 0.7


@pytest.mark.parametrize("shape,axis", SIZES)
def test_where_against_mpmath(shape, axis) -> None:
    rng = np.random.default_rng(sum(shape) + 1)
    x = rng.normal(0, 700 / 3, shape)
    w = _mask(shape, sum(shape))
    x[~w] = rng.choice([np.nan, np.inf, 1e308], size=int((~w).sum()))  # ignored, whatever
    if len(shape) == 3:  # the 3-D cases: their (2, 1000, b) slices along axis 1, flattened
        x2 = np.moveaxis(x, 1, -1).reshape(-1, shape[1])
        w2 = np.moveaxis(w, 1, -1).reshape(-1, shape[1])
        want = {f: np.moveaxis(f(x, axis=1, where=w), 1, -1).reshape(-1, shape[1])
                for f in (softmax, log_softmax)}
        for f, got in want.items():
            np.testing.assert_array_equal(got, f(x2, where=w2))
        return
    slices_along = 1 - axis % 2  # the axis that numbers the slices
    count = shape[slices_along]
    if count >= 3:
        idx = 1 if slices_along == 0 else (slice(None), 1)
        w[idx] = False  # a slice with nothing taken
    for i in sorted({0, count // 2, count - 1}):
        _check_masked_slice(x, w, slices_along, i, {"axis": axis})


def _merged_sizes() -> list[tuple[tuple[int, ...], tuple[int, ...] | None]]:
    """Tuples of axes (and None) whose merged slices sit at the thresholds."""
    cases = [((1, 3, n), (0, 2)) for n in LONG]  # three long slices, copied out of the layout
    cases += [((b, 10, 100), (1, 2)) for b in SIDE_BY_SIDE]  # merged in place: a view
    cases += [((10, b, 100), (2, 0)) for b in SIDE_BY_SIDE]  # merged by a copy, order swapped
    cases += [((n,), None) for n in LONG] + [((2, 3, 5), None)]
    return cases


@pytest.mark.parametrize("shape,axes", _merged_sizes())
def test_merged_axes_against_mpmath(shape, axes) -> None:
    rng = np.random.default_rng(sum(shape))
    x = rng.normal(0, 700 / 3, shape)
    w = _mask(shape, sum(shape) + 2)
    k = len(shape) if axes is None else len(axes)
    all_axes = tuple(range(len(shape))) if axes is None else axes
    # the reference layout: the merged axes last, in the order given, one slice per row
    rows = np.moveaxis(x, all_axes, range(len(shape) - k, len(shape))).reshape(
        -1, int(np.prod([shape[a] for a in all_axes])))
    wrows = np.moveaxis(w, all_axes, range(len(shape) - k, len(shape))).reshape(rows.shape)
    # where= on long slices is swept by test_where_against_mpmath (the merge comes first)
    variants = [({}, None)] + ([({"where": w}, wrows)] if rows.shape[1] < BLOCK - 1 else [])
    for kw, mask in variants:
        p = _quiet(softmax, x, axis=axes, **kw)
        lse = np.reshape(_quiet(logsumexp, x, axis=axes, **kw), -1)
        p_rows = np.moveaxis(p, all_axes, range(len(shape) - k, len(shape))).reshape(rows.shape)
        for i in sorted({0, len(rows) - 1}):  # the first and the last block
            take = None if mask is None else mask[i]
            m, big_l = _mp_parts(rows[i], take)
            assert ulps(lse[i], m + big_l) <= MAX_ULPS
            for j in np.random.default_rng(i).integers(0, rows.shape[1], 6):
                if take is not None and not take[j]:
                    assert p_rows[i, j] == 0
                    continue
                ref = mpmath.exp((mpmath.mpf(float(rows[i, j])) - m) - big_l)
                assert ulps(p_rows[i, j], ref) <= MAX_ULPS
        lp = _quiet(log_softmax, x, axis=axes, **kw)
        np.testing.assert_allclose(np.exp(lp), p, rtol=1e-12, atol=1e-300)


class _MpRow:
    """One row of logits in mpmath (50 digits): ``m`` and ``L`` with logsumexp = m + L, from
    one pass of ``exp`` over the row; everything else is derived without another."""

    def __init__(self, row: np.ndarray) -> None:
        self.row = row
        self.m, self.big_l = shift_and_log1p(row)
        self.xs = mp_row(row)

    def logp(self, j: int) -> mpmath.mpf:
        return (self.xs[j] - self.m) - self.big_l

    def rest(self, y: int) -> mpmath.mpf:
        """sum_{j != y} p_j, without the cancellation of 1 - p_y."""
        others = mpmath.expm1(self.big_l)  # sum over j != argmax of exp(x_j - m)
        top = int(np.argmax(self.row))
        if y != top:
            others = 1 + (others - mpmath.exp(self.xs[y] - self.m))
        return others * mpmath.exp(-self.big_l)

    def loss(self, y: int, mw: list, eps) -> mpmath.mpf:
        """(1 - eps) w_y (-log p_y) + eps / K sum_c w_c (-log p_c); every term >= 0."""
        loss = (1 - eps) * mw[y] * -self.logp(y)
        if eps:
            smooth = self.big_l * mpmath.fsum(mw) + mpmath.fsum(
                a * (self.m - v) for a, v in zip(mw, self.xs, strict=True))
            loss += eps / len(mw) * smooth
        return loss


def _weights(k, seed):
    w = np.random.default_rng(seed).uniform(0.25, 4.0, k)
    w[k // 3] = 0.0  # a class left out
    return w


@pytest.mark.parametrize("shape,axis", [c for c in SIZES if len(c[0]) == 2])
def test_weighted_smoothed_cross_entropy_against_mpmath(shape, axis) -> None:
    rng = np.random.default_rng(sum(shape))
    x = rng.normal(0, 700 / 3, shape)
    z2 = x if axis == -1 else x.T
    k = z2.shape[1]
    w = _weights(k, k)
    mw = [mpmath.mpf(float(v)) for v in w]
    labels = rng.integers(0, k, z2.shape[0])
    labels[0] = int(np.argmax(z2[0]))  # confident and right: a tiny loss
    rows = sorted({0, len(labels) // 2, len(labels) - 1})
    refs = {i: _MpRow(z2[i]) for i in rows}  # one mpmath pass per row, for every eps
    for eps in (0.0, 0.1, 1.0):
        kw = {"axis": axis, "weight": w, "label_smoothing": eps}
        per = _quiet(cross_entropy, x, labels, reduction="none", **kw)
        g = _quiet(cross_entropy_grad, x, labels, reduction="sum", **kw)
        g2 = g if axis == -1 else g.T
        for i in rows:
            y = int(labels[i])
            assert ulps(per[i], refs[i].loss(y, mw, mpmath.mpf(eps))) <= MAX_ULPS, eps
            _check_label_grad_row(z2[i], y, g2[i], mw, mpmath.mpf(eps), refs[i])


def _check_label_grad_row(row, y, g, mw, eps, ref: _MpRow) -> None:
    """One sample's gradient against mpmath: A p_j - c_j (and its label entry, without the
    cancellation of p_y - 1). Where eps > 0 makes A p_j - c_j cancel, no float formula can
    do better than the rounding of its terms: the error is judged against the smaller of
    the two ways to write it (see course_lib.losses._label_grad)."""
    k = len(row)
    big_w = mpmath.fsum(mw)
    a = (1 - eps) * mw[y] + eps / k * big_w
    rest = ref.rest(y)
    for j in {y, 0, k - 1, int(np.argmax(row))}:
        p_j = mpmath.exp(ref.logp(j))
        c_j = eps / k * mw[j]
        if j == y:
            t_y = (1 - eps + eps / k) * mw[y]
            # a p_y - t_y, written so that 50 digits do not cancel away: the same two ways
            want = a * p_j - t_y if p_j <= 0.5 else eps / k * (big_w - mw[y]) - a * rest
            size = min(max(a * p_j, t_y), max(a * rest, eps / k * (big_w - mw[y])))
        else:
            want = a * p_j - c_j
            size = max(a * p_j, c_j)
        err = abs(mpmath.mpf(float(g[j])) - want)
        if eps == 0 or size <= 2 * abs(want):  # nothing cancels: the result itself, in ulp
            assert ulps(g[j], want) <= MAX_ULPS, (j, y)
        else:
            assert err <= MAX_ULPS * float(np.spacing(float(size))), (j, y)


def test_reductions_over_many_samples_against_mpmath() -> None:
    """The mean and the sum of n losses, n just below, at and above BLOCK (fsum up to it,
    then the exact extraction), with and without weights, with ignored samples: rounded
    once from the exact losses. The batches are prefixes of one, so mpmath runs once."""
    big = BLOCK + 1
    rng = np.random.default_rng(big)
    z = rng.normal(0, 10, (big, 2))
    labels = rng.integers(0, 2, big)
    labels[::7] = -100
    y = np.where(labels < 0, 0, labels)
    # two classes: -log p_y = log1p(exp(z_other - z_y)), exactly in mpmath
    nll = [mpmath.log1p(mpmath.exp(mpmath.mpf(float(a)) - mpmath.mpf(float(b))))
           for a, b in zip(z[np.arange(big), 1 - y], z[np.arange(big), y], strict=True)]
    keep = labels >= 0
    for w in (None, np.array([0.75, 2.5])):
        wy = [mpmath.mpf(1) if w is None else mpmath.mpf(float(w[c])) for c in y]
        for n in (BLOCK - 1, BLOCK, BLOCK + 1):
            total = mpmath.fsum(wy[i] * nll[i] for i in range(n) if keep[i])
            kw = {"weight": w, "ignore_index": -100}
            got = _quiet(cross_entropy, z[:n], labels[:n], reduction="sum", **kw)
            assert ulps(got, total) <= 2, (n, w)
            mean = total / mpmath.fsum(wy[i] for i in range(n) if keep[i])
            assert ulps(_quiet(cross_entropy, z[:n], labels[:n], **kw), mean) <= 2, (n, w)
