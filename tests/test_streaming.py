"""Tests for course_lib.lessons.streaming: one-pass logsumexp and online softmax."""

import warnings

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib import logsumexp, softmax
from course_lib.lessons.streaming import RunningLogSumExp, online_logsumexp, online_softmax

finite = st.floats(-1e308, 1e308, allow_nan=False, allow_infinity=False)


def _ref_lse(x):
    """scipy's logsumexp, with its harmless overflow warning for ±1e308 silenced."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(scipy.special.logsumexp(np.asarray(x, dtype=np.float64)))


def test_seed_example():
    np.testing.assert_allclose(
        online_softmax([1.0, 3.0, 2.0]), [0.09003057, 0.66524096, 0.24472847], atol=5e-9
    )
    assert online_logsumexp([1.0, 3.0, 2.0]) == pytest.approx(np.log(np.exp([1, 3, 2]).sum()))


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 30), elements=finite), st.integers(1, 7))
def test_matches_scipy_in_any_chunking(x, chunk):
    ref = _ref_lse(x)
    one_by_one = online_logsumexp(iter(x.tolist()))
    chunked = online_logsumexp(x[i : i + chunk] for i in range(0, len(x), chunk))
    for got in (one_by_one, chunked):
        assert got == pytest.approx(ref, rel=1e-13, abs=1e-13)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=6), elements=finite))
def test_online_softmax_matches_scipy(x):
    axis = -1 if x.ndim == 1 else 0
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = scipy.special.softmax(x, axis=axis)
    got = online_softmax(x, axis=axis)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(got.sum(axis=axis), 1.0, rtol=1e-13)


@pytest.mark.parametrize(
    "stream, expected",
    [
        ([-np.inf, -np.inf, 1.0, 2.0], np.log(np.e + np.e**2)),  # starts at -inf
        ([-np.inf, -np.inf], -np.inf),  # nothing but masks
        ([], -np.inf),  # empty sum
        ([1e308, 1e308], 1e308),  # 1e308 + log 2 rounds back to 1e308
        ([-1e308, 1e308], 1e308),
        ([-1e308, -1e308], -1e308),
        ([np.inf, 1.0], np.inf),
        ([1.0, np.nan, 2.0], np.nan),
    ],
)
def test_special_values_agree_with_scipy_and_do_not_warn(stream, expected):
    got = online_logsumexp(stream)  # pytest turns any RuntimeWarning into an error
    ref = _ref_lse(stream) if stream else -np.inf
    np.testing.assert_allclose(got, expected, rtol=1e-15)  # equal to a few ulp; inf/nan exactly
    np.testing.assert_allclose(got, ref, rtol=1e-15)


@pytest.mark.parametrize(
    "x",
    [
        [-np.inf, -np.inf, 1.0, 2.0],
        [1e308, -1e308, 1e308],
        [-1e308, -1e308, -1e308],
        [np.inf, 3.0, np.inf, -np.inf],
        [-np.inf, -np.inf],
        [0.0, np.nan],
        [-np.inf, np.inf],
    ],
)
def test_online_softmax_special_values_match_course_lib(x):
    np.testing.assert_array_equal(online_softmax(x), softmax(x))
    np.testing.assert_array_equal(online_logsumexp(x), logsumexp(x))


def test_online_softmax_hand_values_for_inf():
    np.testing.assert_array_equal(online_softmax([np.inf, 3.0, np.inf, -np.inf]), [0.5, 0, 0.5, 0])
    assert np.isnan(online_softmax([-np.inf, -np.inf])).all()


def test_axis_and_no_mutation():
    x = np.array([[1.0, 2.0, 3.0], [1000.0, 0.0, -1000.0]])
    x0 = x.copy()
    for axis in (0, 1, -1):
        ref = scipy.special.softmax(x, axis=axis)
        np.testing.assert_allclose(online_softmax(x, axis=axis), ref)
    assert np.array_equal(x, x0)
    with pytest.raises(np.exceptions.AxisError):
        online_softmax(x, axis=2)
    with pytest.raises(ValueError, match="empty"):
        online_softmax(np.zeros((2, 0)))


def test_merge_is_order_free():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(100) * 50
    left, right = RunningLogSumExp(), RunningLogSumExp()
    left.update(x[:37])
    right.update(x[37:])
    right.merge(left.max, left.scaled_sum)  # combine in the "wrong" order
    assert right.value == pytest.approx(_ref_lse(x), rel=1e-14)
    assert left.max == x[:37].max()
