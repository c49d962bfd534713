"""Tests for course_lib.lessons.datasets: the spiral, the 8x8 digit glyphs and the seeded split."""

import numpy as np
import pytest

from course_lib.lessons.datasets import (
    DIGIT_FONT,
    digit_templates,
    digits,
    spiral,
    train_test_split,
)


def test_spiral_shapes_dtypes_and_balanced_classes():
    X, y = spiral(n_per_class=40, n_classes=5, noise=0.3, seed=2)
    assert X.shape == (200, 2) and X.dtype == np.float64
    assert y.shape == (200,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [40] * 5


def test_spiral_without_noise_lies_on_the_formula():
    n, k = 11, 3
    X, y = spiral(n_per_class=n, n_classes=k, noise=0.0)
    r = np.tile(np.linspace(0, 1, n), k)
    np.testing.assert_allclose(np.hypot(X[:, 0], X[:, 1]), r, atol=1e-15)
    # the last point of arm c sits at angle 4 * (c + 1) radians, measured from the y axis
    for c in range(k):
        last = X[(c + 1) * n - 1]
        np.testing.assert_allclose(last, [np.sin(4.0 * (c + 1)), np.cos(4.0 * (c + 1))])


def test_spiral_is_reproducible_and_seed_dependent():
    a = spiral(seed=7)[0]
    assert np.array_equal(a, spiral(seed=7)[0])
    assert not np.allclose(a, spiral(seed=8)[0])


@pytest.mark.parametrize(
    "kwargs", [{"n_per_class": 1}, {"n_classes": 1}, {"noise": -0.1}, {"n_per_class": 2.5}]
)
def test_spiral_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        spiral(**kwargs)


def test_templates_follow_the_font():
    t = digit_templates()
    assert t.shape == (10, 8, 8)
    ink = [sum(row.count("#") for row in DIGIT_FONT[d]) for d in range(10)]
    assert t.sum(axis=(1, 2)).tolist() == ink
    assert ink[1] == 10 and ink[8] == 17  # counted by hand from the font
    assert set(np.unique(t)) == {0.0, 1.0}
    # the glyph occupies rows 0..6 and columns 1..5; the rest is the margin for shifts
    assert t[:, 7, :].sum() == 0 and t[:, :, [0, 6, 7]].sum() == 0
    # all ten are different pictures
    flat = t.reshape(10, -1)
    assert len({tuple(row) for row in flat}) == 10


def test_digits_shapes_labels_and_range():
    images, labels = digits(n_per_class=30, noise=0.3, seed=1)
    assert images.shape == (300, 8, 8) and images.dtype == np.float64
    assert labels.dtype == np.int64 and np.bincount(labels).tolist() == [30] * 10
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert not np.array_equal(labels[:30], np.zeros(30))  # shuffled, not sorted by class


def test_digits_without_noise_or_shift_are_scaled_templates():
    images, labels = digits(n_per_class=5, noise=0.0, max_shift=0, seed=3)
    t = digit_templates()
    for img, d in zip(images, labels, strict=True):
        b = img.max()
        assert 0.6 <= b <= 1.0
        np.testing.assert_allclose(img / b, t[d])


def test_digits_shift_moves_ink_by_at_most_one_pixel():
    images, labels = digits(n_per_class=20, noise=0.0, max_shift=1, seed=4)
    t = digit_templates()
    moved = 0
    for img, d in zip(images, labels, strict=True):
        ink = img > 0
        matches = [
            (dy, dx)
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
            if np.array_equal(ink, np.roll(np.roll(np.pad(t[d], 1), dy, 0), dx, 1)[1:-1, 1:-1] > 0)
        ]
        assert matches, "every image is its template shifted by at most one pixel"
        moved += (0, 0) not in matches
    assert moved > 100  # most of the 200 images were actually moved


def test_digits_reproducible_and_rejects_bad_arguments():
    a, la = digits(n_per_class=3, seed=5)
    b, lb = digits(n_per_class=3, seed=5)
    assert np.array_equal(a, b) and np.array_equal(la, lb)
    with pytest.raises(ValueError, match="max_shift"):
        digits(max_shift=4)
    with pytest.raises(ValueError, match="noise"):
        digits(noise=float("nan"))


def test_train_test_split_partitions_without_touching_input():
    X = np.arange(40.0).reshape(20, 2)
    y = np.arange(20)
    X0, y0 = X.copy(), y.copy()
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_fraction=0.25, seed=0)
    assert len(X_te) == 5 and len(X_tr) == 15
    assert np.array_equal(X, X0) and np.array_equal(y, y0)
    assert sorted(np.concatenate([y_tr, y_te]).tolist()) == list(range(20))
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)  # rows stay paired with labels
    np.testing.assert_array_equal(X_te[:, 0], 2 * y_te)


@pytest.mark.parametrize("fraction", [0.0, 1.0, 0.01])
def test_train_test_split_rejects_empty_parts(fraction):
    with pytest.raises(ValueError):
        train_test_split(np.zeros((10, 2)), np.zeros(10), test_fraction=fraction)


def test_train_test_split_rejects_mismatched_rows():
    with pytest.raises(ValueError, match="same number of rows"):
        train_test_split(np.zeros((10, 2)), np.zeros(9))
