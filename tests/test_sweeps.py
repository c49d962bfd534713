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
from tests._mp import shift_and_log1p, ulps

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
