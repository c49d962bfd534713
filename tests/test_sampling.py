"""Tests for course_lib.lessons.sampling: temperature sampling with a seeded generator."""

import numpy as np
import pytest
import scipy.special
import scipy.stats

from course_lib.lessons.sampling import sample

SEED_LOGITS = [1.0, 3.0, 2.0]


@pytest.mark.parametrize("T", [0.5, 1.0, 2.0])
def test_frequencies_follow_softmax_over_temperature(T):
    n = 40_000
    draws = sample(SEED_LOGITS, temperature=T, size=n, rng=123)
    counts = np.bincount(draws, minlength=3)
    expected = scipy.special.softmax(np.array(SEED_LOGITS) / T) * n
    # a chi-square goodness-of-fit test that a correct sampler fails 1 time in 10^6
    assert scipy.stats.chisquare(counts, expected).pvalue > 1e-6
    if T == 1.0:
        np.testing.assert_allclose(counts / n, [0.09003057, 0.66524096, 0.24472847], atol=0.01)


def test_same_seed_same_draws_and_generator_is_advanced():
    a = sample(SEED_LOGITS, size=50, rng=7)
    b = sample(SEED_LOGITS, size=50, rng=np.random.default_rng(7))
    assert np.array_equal(a, b)
    gen = np.random.default_rng(7)
    first, second = sample(SEED_LOGITS, size=50, rng=gen), sample(SEED_LOGITS, size=50, rng=gen)
    assert not np.array_equal(first, second)


def test_masked_classes_are_never_drawn():
    logits = [-np.inf, 0.0, 0.0, -np.inf]
    draws = sample(logits, size=5000, rng=0)
    assert set(np.unique(draws)) == {1, 2}


def test_low_temperature_is_greedy_high_is_uniform():
    low = sample(SEED_LOGITS, temperature=0.01, size=1000, rng=0)
    assert np.all(low == 1)
    high = np.bincount(sample(SEED_LOGITS, temperature=1e6, size=30_000, rng=0), minlength=3)
    np.testing.assert_allclose(high / 30_000, 1 / 3, atol=0.015)


def test_batch_shape_and_scalar_draw():
    logits = np.array([[0.0, -np.inf, -np.inf], [-np.inf, -np.inf, 0.0]])
    draws = sample(logits, size=(4, 2), rng=0)
    assert draws.shape == (4, 2, 2) and draws.dtype == np.int64
    assert np.all(draws[..., 0] == 0) and np.all(draws[..., 1] == 2)
    one = sample(SEED_LOGITS, rng=0)
    assert one.shape == () and 0 <= int(one) < 3


def test_errors_are_explained():
    with pytest.raises(ValueError, match="temperature"):
        sample(SEED_LOGITS, temperature=0.0, rng=0)
    with pytest.raises(ValueError, match="no distribution"):
        sample([-np.inf, -np.inf], rng=0)
    with pytest.raises(TypeError):
        sample(SEED_LOGITS)  # rng is required: randomness is always seeded on purpose
