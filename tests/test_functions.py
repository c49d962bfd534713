"""course_lib.functions against the seeds' numbers, scipy, and the behaviour every function keeps
(README: lists and arrays, dtypes, no NaN for finite input, -inf masks, errors in words)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special as sp
from numpy.exceptions import AxisError

from course_lib import (
    argmax,
    hardmax,
    log_softmax,
    logsumexp,
    naive_softmax,
    one_hot,
    sigmoid,
    softmax,
)
from tests._mp import max_ulps, mp_log_softmax

STABLE = [softmax, log_softmax, logsumexp]
SCIPY = {softmax: sp.softmax, log_softmax: sp.log_softmax, logsumexp: sp.logsumexp}
ALL_AXIS_FUNCS = [softmax, log_softmax, logsumexp, naive_softmax, argmax, hardmax]


# --- the seeds' worked examples -------------------------------------------------------


def test_seed_three_scores() -> None:
    np.testing.assert_allclose(
        softmax([3.0, 1.0, 0.2]), [0.8360188, 0.11314284, 0.05083836], rtol=1e-7
    )


def test_seed_one_three_two_by_hand() -> None:
    p = softmax([1, 3, 2])
    # exp(1) / (exp(1) + exp(3) + exp(2)) = 2.718281828459045 / 30.19287485057736
    assert p[0] == pytest.approx(2.718281828459045 / 30.19287485057736, rel=1e-15)
    assert p[0] == pytest.approx(0.09003057317038046, rel=1e-15)
    np.testing.assert_allclose(p, [0.09003057, 0.66524096, 0.24472847], rtol=1e-7)
    assert int(argmax(p)) == 1 == int(argmax([1, 3, 2]))
    np.testing.assert_array_equal(hardmax([1, 3, 2]), [0.0, 1.0, 0.0])


def test_seed_two_one_point_one_is_about_seven_two_one() -> None:
    p = softmax([2.0, 1.0, 0.1])  # the seed rounds to one decimal: [0.659, 0.242, 0.099]
    np.testing.assert_array_equal(np.round(p, 1), [0.7, 0.2, 0.1])
    np.testing.assert_allclose(p, [0.65900114, 0.24243297, 0.09856589], rtol=1e-7)


def test_seed_thirteen_thirty_one_five() -> None:
    np.testing.assert_allclose(
        softmax([13, 31, 5]), [1.52299795e-08, 9.99999985e-01, 5.10908895e-12], rtol=1e-8
    )


def test_seed_ten_logits() -> None:
    logits = [2.0, 3.0, 1.0, 0.1, 2.5, 1.8, 0.5, 1.2, 0.7, 2.2]
    expected = [0.11274497, 0.30647259, 0.04147656, 0.01686311, 0.18588502,
                0.09230777, 0.0251568, 0.05065958, 0.03072659, 0.13770701]
    np.testing.assert_allclose(softmax(logits), expected, rtol=0, atol=5e-9)  # 8 decimals


def test_seed_two_by_three_axis0_and_last() -> None:
    c = np.array([[-1.30022268, 0.59127472, 1.21384177], [0.1981082, -0.83686108, -1.54785864]])
    np.testing.assert_allclose(
        softmax(c, axis=0),
        [[0.1826746, 0.80661068, 0.94057075], [0.8173254, 0.19338932, 0.05942925]],
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        softmax(c, axis=-1),
        [[0.0500392, 0.33172426, 0.61823654], [0.65371718, 0.23222472, 0.1140581]],
        rtol=1e-6,
    )


def test_seed_scores2d_axis0() -> None:
    scores2d = np.array([[1, 2, 3, 6], [2, 4, 5, 6], [3, 8, 7, 6]])
    expected = [
        [0.09003057, 0.00242826, 0.01587624, 0.33333333],
        [0.24472847, 0.01794253, 0.11731043, 0.33333333],
        [0.66524096, 0.97962921, 0.86681333, 0.33333333],
    ]
    np.testing.assert_allclose(softmax(scores2d, axis=0), expected, rtol=1e-6)


def test_seed_batch_rows_are_independent() -> None:
    x1 = np.array([[1, 2, 3, 6]])
    x2 = np.array([[1, 2, 3, 6], [2, 4, 5, 6], [1, 2, 3, 6]])
    np.testing.assert_allclose(softmax(x1)[0], [0.00626879, 0.01704033, 0.04632042, 0.93037047],
                               rtol=1e-6)
    np.testing.assert_array_equal(softmax(x2)[0], softmax(x1)[0])
    np.testing.assert_array_equal(softmax(x2)[2], softmax(x1)[0])
    np.testing.assert_allclose(softmax(x2)[1], [0.01203764, 0.08894682, 0.24178252, 0.65723302],
                               rtol=1e-6)


def test_seed_one_thousand_and_five() -> None:
    assert np.isnan(naive_softmax(np.array([1000.0, 5.0]))).any()
    np.testing.assert_allclose(softmax([1000, 5]), [1.0, np.exp(-995.0)], rtol=1e-15, atol=0)


def test_seed_small_logits_batch() -> None:
    logits = np.array([[-0.0052024, -0.00770216, 0.01360943, -0.008921]] * 2)
    expected = [[0.2492037, 0.24858153, 0.25393605, 0.24827873]] * 2
    np.testing.assert_allclose(softmax(logits), expected, rtol=1e-6)


def test_seed_one_hot_classes() -> None:
    np.testing.assert_array_equal(one_hot([0, 1, 2]), np.eye(3))
    assert one_hot([0, 1, 2]).dtype == np.float64


# --- agreement with scipy on ordinary input -------------------------------------------


@pytest.mark.parametrize("f", STABLE)
@pytest.mark.parametrize(
    "shape,axis",
    [((5,), 0), ((50,), 0), ((9000,), -1), ((4, 7), -1), ((4, 7), 0), ((3, 5, 6), 1),
     ((3, 5, 6), 0), ((2, 3, 700), -1), ((600, 3), 0), ((2, 40000), -1), ((70001,), 0)],
)
def test_matches_scipy(f, shape, axis) -> None:
    x = np.random.default_rng(7).normal(0, 5, shape)
    np.testing.assert_allclose(f(x, axis=axis), SCIPY[f](x, axis=axis), rtol=1e-13, atol=1e-13)


def test_logsumexp_keepdims_broadcasts_back() -> None:
    x = np.random.default_rng(1).normal(size=(3, 4, 5))
    for ax in range(3):
        lse = logsumexp(x, axis=ax, keepdims=True)
        assert lse.shape == tuple(1 if i == ax else n for i, n in enumerate(x.shape))
        np.testing.assert_allclose(x - lse, sp.log_softmax(x, axis=ax), atol=1e-14)
    assert isinstance(logsumexp([1.0, 2.0]), np.floating)


def test_logsumexp_is_a_smooth_max() -> None:
    x = np.random.default_rng(2).normal(0, 10, (50, 8))
    lse, mx = logsumexp(x), x.max(axis=-1)
    assert np.all(mx <= lse) and np.all(lse <= mx + np.log(8))


# --- the behaviour list: non-finite values --------------------------------------------


def _quiet(f, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return f(*args, **kw)


def test_minus_inf_is_a_mask() -> None:
    x = np.array([[-np.inf, 1.0, 2.0], [0.0, -np.inf, -np.inf]])
    p = _quiet(softmax, x)
    assert p[0, 0] == 0.0 and p[1, 1] == 0.0 and p[1, 2] == 0.0
    np.testing.assert_allclose(p[0, 1:], sp.softmax([1.0, 2.0]), rtol=1e-15)
    assert p[1, 0] == 1.0
    lp = _quiet(log_softmax, x)
    assert lp[0, 0] == -np.inf and lp[1, 0] == 0.0
    np.testing.assert_allclose(lp[0, 1:], sp.log_softmax([1.0, 2.0]), rtol=1e-15)
    np.testing.assert_allclose(_quiet(logsumexp, x), [sp.logsumexp([1.0, 2.0]), 0.0], rtol=1e-15)


@pytest.mark.parametrize("shape,axis", [((2, 3), -1), ((3, 2), 0), ((3, 4000), -1)])
def test_all_minus_inf_slice_has_no_distribution(shape, axis) -> None:
    x = np.random.default_rng(0).normal(size=shape)
    if axis == 0:
        x[:, 1] = -np.inf
    else:
        x[1, :] = -np.inf
    p, lp, lse = _quiet(softmax, x, axis=axis), _quiet(log_softmax, x, axis=axis), _quiet(
        logsumexp, x, axis=axis
    )
    sl = (slice(None), 1) if axis == 0 else (1, slice(None))
    assert np.isnan(p[sl]).all() and np.isnan(lp[sl]).all()
    assert lse[1] == -np.inf  # the log of an empty sum
    ok = (slice(None), 0) if axis == 0 else (0, slice(None))
    np.testing.assert_allclose(p[ok], sp.softmax(x[ok]), rtol=1e-13)


@pytest.mark.parametrize("n", [3, 5000])
def test_plus_inf_entries_share_the_mass(n) -> None:
    x = np.zeros((2, n))
    x[0, 0] = x[0, 2] = np.inf
    x[0, 1] = 1e300
    p = _quiet(softmax, x)
    assert p[0, 0] == p[0, 2] == 0.5 and p[0, 1] == 0.0 and p[0, 3:].sum() == 0.0
    np.testing.assert_allclose(p[1], np.full(n, 1 / n), rtol=1e-14)
    lp = _quiet(log_softmax, x)
    assert lp[0, 0] == pytest.approx(-np.log(2)) and lp[0, 1] == -np.inf
    assert _quiet(logsumexp, x)[0] == np.inf


@pytest.mark.parametrize("n", [3, 5000])
def test_nan_poisons_only_its_slice(n) -> None:
    x = np.ones((2, n))
    x[0, 1] = np.nan
    for f in STABLE:
        r = _quiet(f, x)
        assert np.isnan(r[0]).all()
        assert np.isfinite(r[1]).all()


@pytest.mark.parametrize("n", [2, 5000])
def test_huge_finite_logits_never_warn_nor_nan(n) -> None:
    x = np.zeros((3, n))
    x[0, 0], x[0, 1] = -1e308, 1e308
    x[1, :] = 1.5e308
    x[2, :] = -1.7e308
    p = _quiet(softmax, x)
    assert np.isfinite(p).all()
    assert p[0, 1] == 1.0 and p[0, 0] == 0.0
    np.testing.assert_allclose(p[1:], 1 / n, rtol=1e-14)
    lp = _quiet(log_softmax, x)
    assert lp[0, 0] == -np.inf  # exact answer about -2e308: beyond the float range
    assert lp[0, 1] == 0.0
    assert not np.isnan(lp).any()
    lse = _quiet(logsumexp, x)
    assert np.isfinite(lse).all() and lse[0] == 1e308


def test_float16_overflow_region_is_stable() -> None:
    x = np.array([20.0, 5.0, -3.0], dtype=np.float16)  # exp(20) overflows float16
    assert not np.isfinite(naive_softmax(x)).all()
    p = _quiet(softmax, x)
    assert p.dtype == np.float16 and np.isfinite(p).all()
    exact = sp.softmax(np.array([20.0, 5.0, -3.0])).astype(np.float16)  # rounded once
    np.testing.assert_array_max_ulp(p, exact, maxulp=1)


# --- errors a learner can read ----------------------------------------------------------


@pytest.mark.parametrize("f", ALL_AXIS_FUNCS)
def test_empty_slice_is_a_clear_error(f) -> None:
    with pytest.raises(ValueError, match="empty"):
        f(np.zeros((3, 0)))
    with pytest.raises(ValueError, match="empty"):
        f([])
    assert f(np.zeros((0, 3))).shape[0] == 0  # no slices at all is fine


@pytest.mark.parametrize("f", ALL_AXIS_FUNCS)
def test_bad_axis_is_numpy_axis_error(f) -> None:
    with pytest.raises(AxisError):
        f(np.zeros((2, 3)), axis=2)
    with pytest.raises(AxisError):
        f(3.0)


@pytest.mark.parametrize("f", [softmax, log_softmax])
@pytest.mark.parametrize("t", [0, -1.0, np.inf, np.nan, "hot"])
def test_bad_temperature(f, t) -> None:
    with pytest.raises(ValueError, match="temperature"):
        f([1.0, 2.0], temperature=t)


def test_non_numbers_are_refused() -> None:
    with pytest.raises(TypeError, match="real numbers"):
        softmax(["a", "b"])
    with pytest.raises(TypeError, match="complex"):
        softmax(np.array([1 + 1j, 2]))


# --- dtypes, lists, no mutation ---------------------------------------------------------


@pytest.mark.parametrize("f", [softmax, log_softmax, logsumexp, naive_softmax, hardmax, sigmoid])
@pytest.mark.parametrize(
    "dtype,expected",
    [(np.int64, np.float64), (np.int8, np.float64), (np.bool_, np.float64),
     (np.float16, np.float16), (np.float32, np.float32), (np.float64, np.float64)],
)
def test_dtype_rules(f, dtype, expected) -> None:
    assert np.asarray(f(np.array([[1, 0, 1], [0, 1, 1]], dtype=dtype))).dtype == expected


@pytest.mark.parametrize("f", [softmax, log_softmax, logsumexp])
@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_low_precision_is_correctly_rounded(f, dtype) -> None:
    x = np.random.default_rng(3).normal(0, 4, (64, 33)).astype(dtype)
    exact = SCIPY[f](x.astype(np.float64), axis=-1).astype(dtype)  # one rounding
    got = f(x)
    np.testing.assert_array_max_ulp(got, exact, maxulp=1)


@pytest.mark.parametrize("f", [softmax, log_softmax, logsumexp, naive_softmax, argmax, hardmax])
def test_lists_work_like_arrays(f) -> None:
    data = [[1.0, 5.0, 2.0], [0.0, -1.0, 3.0]]
    np.testing.assert_array_equal(f(data), f(np.array(data)))


@pytest.mark.parametrize("f", [softmax, log_softmax, logsumexp, naive_softmax, argmax, hardmax,
                               sigmoid])
@pytest.mark.parametrize("shape,axis", [((4, 5), -1), ((4, 5), 0), ((2, 3000), -1), ((3000, 2), 0)])
def test_input_is_never_mutated(f, shape, axis) -> None:
    x = np.random.default_rng(4).normal(0, 100, shape)
    x[0, 0] = -np.inf
    keep = x.copy()
    x.flags.writeable = False  # any write attempt raises
    if f is sigmoid:
        f(x)
    else:
        f(x, axis=axis)
    np.testing.assert_array_equal(x, keep)


def test_non_contiguous_input() -> None:
    x = np.random.default_rng(5).normal(size=(30, 40))
    for view in (x.T, x[::2, ::3], x[:, 5:7]):
        for ax in (0, 1):
            np.testing.assert_allclose(
                softmax(view, axis=ax), sp.softmax(view, axis=ax), rtol=1e-13
            )


# --- temperature ------------------------------------------------------------------------


def test_temperature_is_division_of_logits() -> None:
    x = np.random.default_rng(6).normal(0, 3, (10, 7))
    for t in (0.05, 0.5, 2.0, 20.0):
        np.testing.assert_allclose(softmax(x, temperature=t), sp.softmax(x / t, axis=-1),
                                   rtol=1e-12, atol=1e-300)
        lp = log_softmax(x, temperature=t)
        for i in range(0, 10, 3):  # scipy loses the tiny log-probabilities near 0: use mpmath
            assert max_ulps(lp[i], mp_log_softmax(x[i] / t)) < 4 + 2 * np.abs(x[i] / t).max()


def test_temperature_limits() -> None:
    x = [1.0, 3.0, 2.0]
    np.testing.assert_allclose(softmax(x, temperature=1e-3), hardmax(x), atol=1e-300)
    np.testing.assert_allclose(softmax(x, temperature=1e6), [1 / 3] * 3, rtol=1e-5)


# --- argmax, hardmax, one_hot, sigmoid, naive -----------------------------------------


def test_argmax_ties_and_nan_follow_numpy() -> None:
    assert int(argmax([2, 7, 7, 1])) == 1
    x = np.array([[1.0, np.nan, 3.0, np.nan], [0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(argmax(x), np.argmax(x, axis=-1))
    np.testing.assert_array_equal(argmax(x, axis=0), np.argmax(x, axis=0))


def test_hardmax_is_one_hot_of_argmax() -> None:
    x = np.random.default_rng(8).integers(0, 3, (20, 4))  # many ties
    h = hardmax(x)
    np.testing.assert_array_equal(h, np.eye(4)[np.argmax(x, axis=-1)])
    np.testing.assert_array_equal(hardmax(x, axis=0), np.eye(20)[np.argmax(x, axis=0)].T)


def test_one_hot_shapes_and_errors() -> None:
    assert one_hot([[0, 2], [1, 1]], num_classes=4).shape == (2, 2, 4)
    np.testing.assert_array_equal(one_hot(np.array([2.0, 0.0])), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="label -1 at position \\(1,\\) is negative"):
        one_hot([0, -1, 2])
    with pytest.raises(ValueError, match="label 3 at position \\(2,\\) is out of range"):
        one_hot([0, 1, 3], num_classes=3)
    with pytest.raises(ValueError, match="1.5"):
        one_hot([0, 1.5])
    with pytest.raises(ValueError, match="whole number"):
        one_hot([0, np.nan])
    labels = np.array([1, 0])
    one_hot(labels, 2)
    np.testing.assert_array_equal(labels, [1, 0])


def test_sigmoid_is_two_class_softmax_and_stable() -> None:
    z = np.linspace(-800, 800, 33)
    s = _quiet(sigmoid, z)
    np.testing.assert_allclose(s, sp.expit(z), rtol=1e-15, atol=1e-300)
    pairs = softmax(np.stack([np.zeros_like(z), z], axis=-1))
    np.testing.assert_allclose(pairs[:, 1], s, rtol=1e-14, atol=1e-300)
    assert sigmoid(np.inf) == 1.0 and sigmoid(-np.inf) == 0.0 and np.isnan(sigmoid(np.nan))


def test_naive_softmax_agrees_where_it_can() -> None:
    x = np.random.default_rng(9).normal(size=(5, 6))
    np.testing.assert_allclose(naive_softmax(x), sp.softmax(x, axis=-1), rtol=1e-14)
    assert np.isnan(naive_softmax(np.array([800.0, 1.0]))[0])
