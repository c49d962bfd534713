"""Lesson 06b's confusion matrix, precision and recall, against scikit-learn."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn import metrics  # noqa: E402

from course_lib.lessons.diagnostics import (  # noqa: E402
    confusion_matrix,
    most_confused,
    plot_confusion,
    precision_recall,
)


@pytest.mark.parametrize("seed", range(6))
def test_confusion_matrix_is_scikit_learns(seed) -> None:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 11))
    n = int(rng.integers(1, 300))
    t = rng.integers(0, k, n)
    p = np.where(rng.random(n) < 0.6, t, rng.integers(0, k, n))
    if seed % 2:  # a class that never occurs, on either side
        t, p = np.where(t == 0, 1 % k, t), np.where(p == k - 1, 0, p)
    got = confusion_matrix(t, p, k)
    want = metrics.confusion_matrix(t, p, labels=list(range(k)))
    np.testing.assert_array_equal(got, want)
    assert got.dtype.kind == "i" and got.shape == (k, k)
    precision, recall = precision_recall(got)
    labels = list(range(k))
    np.testing.assert_allclose(precision, metrics.precision_score(
        t, p, labels=labels, average=None, zero_division=0))
    np.testing.assert_allclose(recall, metrics.recall_score(
        t, p, labels=labels, average=None, zero_division=0))


def test_a_repeated_pair_counts_every_time() -> None:
    got = confusion_matrix([2, 2, 2, 0], [1, 1, 1, 0], num_classes=3)
    assert got[2, 1] == 3 and got.sum() == 4


def test_lists_and_bad_labels() -> None:
    assert confusion_matrix([0, 1], [1, 1], 2).tolist() == [[0, 1], [0, 1]]
    with pytest.raises(ValueError, match="between 0 and 2"):
        confusion_matrix([0, 3], [0, 1], 3)
    with pytest.raises(ValueError, match="integer class labels"):
        confusion_matrix([0.5, 1.0], [0, 1], 3)
    with pytest.raises(ValueError, match="one label per sample"):
        confusion_matrix([0, 1, 1], [0, 1], 3)


def test_most_confused_reads_the_largest_mistakes() -> None:
    c = np.array([[9, 4, 0], [1, 8, 4], [2, 0, 7]])
    assert most_confused(c, top=3) == [(0, 1, 4), (1, 2, 4), (2, 0, 2)]
    assert most_confused(np.eye(3, dtype=int) * 5) == []  # no mistakes, nothing listed


def test_the_figure_writes_every_count() -> None:
    c = confusion_matrix([0, 1, 2, 2, 1], [0, 2, 2, 1, 1], 3)
    fig, ax = plt.subplots()
    plot_confusion(ax, c, names=["a", "b", "c"])
    written = sorted(int(t.get_text()) for t in ax.texts)
    assert written == sorted(c.ravel().tolist())
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    plt.close(fig)


def test_the_figures_say_what_they_draw() -> None:
    from course_lib.lessons.diagnostics import plot_overfitting
    from course_lib.lessons.nn import History
    from course_lib.lessons.plots import alt_text

    c = np.array([[5, 0, 1], [3, 4, 0], [0, 0, 7]])
    fig, ax = plt.subplots()
    plot_confusion(ax, c)
    words = alt_text(fig)
    assert f"{np.trace(c)} of {c.sum()} on the diagonal" in words  # 16 of 20
    assert "1 read as 0 3 times" in words and "0 read as 2 1 times" in words
    plt.close(fig)
    val = [2.0, 1.5, 1.2, 1.3, 1.4]
    h = History(loss=[2.0, 1.0, 0.5, 0.2, 0.1], val_loss=val)
    fig, ax = plt.subplots()
    plot_overfitting(ax, {"plain": h})
    words = alt_text(fig)
    assert f"validation lowest {min(val):.2f} at epoch {val.index(min(val))}" in words
    assert "training from 2.00 to 0.10" in words
    plt.close(fig)
