"""Tests for course_lib.lessons.calibration: reliability bins, ECE, temperature fitting."""

import numpy as np
import pytest
import scipy.optimize
import scipy.special

from course_lib.lessons.calibration import (
    expected_calibration_error,
    fit_temperature,
    reliability_bins,
)


def test_bins_and_ece_on_a_hand_computed_example():
    probs = np.array(
        [
            [0.95, 0.05],  # bin (0.9, 1.0], correct
            [0.15, 0.85],  # bin (0.8, 0.9], wrong
            [0.75, 0.25],  # bin (0.7, 0.8], correct
            [0.35, 0.65],  # bin (0.6, 0.7], correct
            [0.55, 0.45],  # bin (0.5, 0.6], wrong
            [0.08, 0.92],  # bin (0.9, 1.0], correct
        ]
    )
    labels = np.array([0, 0, 0, 1, 1, 1])
    b = reliability_bins(probs, labels, n_bins=5)  # edges 0, .2, .4, .6, .8, 1
    np.testing.assert_allclose(b.edges, [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert b.count.tolist() == [0, 0, 1, 2, 3]
    np.testing.assert_allclose(b.confidence[2:], [0.55, 0.70, (0.95 + 0.85 + 0.92) / 3])
    np.testing.assert_allclose(b.accuracy[2:], [0.0, 1.0, 2 / 3])
    assert np.isnan(b.confidence[:2]).all() and np.isnan(b.accuracy[:2]).all()
    # ECE = (1/6)|0 - .55| + (2/6)|1 - .70| + (3/6)|2/3 - .9066...|
    expected = (0.55 + 2 * 0.30 + 3 * abs(2 / 3 - 2.72 / 3)) / 6
    assert expected_calibration_error(probs, labels, n_bins=5) == pytest.approx(expected)
    assert expected == pytest.approx(0.311666666666, abs=1e-9)


def test_a_confidence_on_an_edge_goes_to_the_lower_bin():
    probs = [[0.5, 0.5], [0.75, 0.25], [1.0, 0.0]]  # 0.5 and 1.0 are exact edges
    b = reliability_bins(probs, [0, 0, 0], n_bins=4)  # bins (.25,.5], (.5,.75], (.75,1]
    assert b.count.tolist() == [0, 1, 1, 1]


def test_perfect_and_worst_calibration():
    # every prediction certain and right: no gap
    probs = np.eye(3)[[0, 1, 2, 1]]
    assert expected_calibration_error(probs, [0, 1, 2, 1]) == 0.0
    # every prediction certain and wrong: the gap is 1
    assert expected_calibration_error(probs, [1, 2, 0, 0]) == 1.0


def test_sampled_labels_are_calibrated_by_construction():
    rng = np.random.default_rng(0)
    probs = scipy.special.softmax(rng.standard_normal((20_000, 4)) * 2, axis=1)
    labels = (probs.cumsum(axis=1) < rng.random((20_000, 1))).sum(axis=1)
    assert expected_calibration_error(probs, labels, n_bins=10) < 0.02


def test_inputs_are_checked_with_helpful_messages():
    with pytest.raises(ValueError, match="Did you pass logits"):
        reliability_bins([[2.0, -1.0]], [0])
    with pytest.raises(ValueError, match="one per row"):
        reliability_bins([[0.5, 0.5]], [0, 1])
    with pytest.raises(ValueError, match="between 0 and 1"):
        expected_calibration_error([[0.5, 0.5]], [2])


def _overconfident(T_true, n=20_000, k=5, seed=0):
    """Labels drawn from softmax(z); the model reports z * T_true (too sharp when T_true > 1)."""
    rng = np.random.default_rng(seed)
    z = 1.5 * rng.standard_normal((n, k))
    p = scipy.special.softmax(z, axis=1)
    labels = (p.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1)
    return z * T_true, labels


@pytest.mark.parametrize("T_true", [0.5, 2.5])
def test_fitted_temperature_recovers_the_distortion(T_true):
    logits, labels = _overconfident(T_true)
    T = fit_temperature(logits, labels)
    assert T == pytest.approx(T_true, rel=0.05)


def test_fitted_temperature_matches_scipy_minimiser():
    logits, labels = _overconfident(2.5, n=3000, seed=1)

    def nll(t):
        logp = scipy.special.log_softmax(logits / t, axis=1)
        return -logp[np.arange(len(labels)), labels].mean()

    ref = scipy.optimize.minimize_scalar(nll, bounds=(0.1, 10), method="bounded",
                                         options={"xatol": 1e-10})
    T = fit_temperature(logits, labels)
    assert T == pytest.approx(ref.x, rel=1e-6)
    assert nll(T) <= nll(1.0)


def test_temperature_fit_lowers_ece_and_keeps_accuracy():
    logits, labels = _overconfident(3.0, seed=2)
    T = fit_temperature(logits, labels)
    before = scipy.special.softmax(logits, axis=1)
    after = scipy.special.softmax(logits / T, axis=1)
    assert np.array_equal(before.argmax(axis=1), after.argmax(axis=1))
    ece_before = expected_calibration_error(before, labels)
    ece_after = expected_calibration_error(after, labels)
    assert ece_after < 0.02 < 0.1 < ece_before


def test_fit_temperature_two_class_closed_form():
    # one logit gap g, right in a fraction q of the cases: best sigmoid(g/T) = q
    g, q = 3.0, 0.8
    logits = np.tile([g, 0.0], (10, 1))
    labels = np.array([0] * 8 + [1] * 2)
    assert fit_temperature(logits, labels) == pytest.approx(g / np.log(q / (1 - q)), rel=1e-7)


def test_fit_temperature_rejects_bad_input():
    with pytest.raises(ValueError, match="finite"):
        fit_temperature([[np.inf, 0.0]], [0])
    with pytest.raises(ValueError, match="bounds"):
        fit_temperature([[1.0, 0.0]], [0], bounds=(2.0, 1.0))
    with pytest.raises(ValueError, match="integer"):
        fit_temperature([[1.0, 0.0]], [0.0])
