"""Smoke tests for course_lib.lessons.plots: each figure draws what it claims, with labels."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib.lessons.calibration import reliability_bins  # noqa: E402
from course_lib.lessons.datasets import digit_templates, spiral  # noqa: E402
from course_lib.lessons.nn import History  # noqa: E402
from course_lib.lessons.plots import (  # noqa: E402
    plot_bars,
    plot_decision_regions,
    plot_history,
    plot_reliability,
    show_images,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_decision_regions_colour_the_plane_by_the_prediction():
    X, y = spiral(n_per_class=20, n_classes=3)
    fig, ax = plt.subplots()
    plot_decision_regions(ax, lambda P: (P[:, 0] > 0).astype(int), X, y, title="t", resolution=20)
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() == "t"
    assert len(ax.collections) >= 2  # filled contours and the scatter


def test_history_draws_one_curve_per_model_and_validation_dashed():
    h = History(loss=[1.0, 0.5], accuracy=[0.3, 0.6], val_loss=[1.1, 0.7], val_accuracy=[0.3, 0.5])
    fig, ax = plt.subplots()
    plot_history(ax, {"a": h, "b": h}, "loss", validation=True)
    assert len(ax.lines) == 4
    assert [line.get_linestyle() for line in ax.lines] == ["-", "--", "-", "--"]
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [1.1, 0.7])
    assert "cross-entropy" in ax.get_ylabel()


def test_bars_are_labelled_with_their_values():
    fig, ax = plt.subplots()
    plot_bars(ax, [0.25, 0.75], names=["x", "y"], highlight=1)
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["0.25", "0.75"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y"]


def test_reliability_bars_heights_are_bin_accuracies():
    probs = np.array([[0.95, 0.05], [0.15, 0.85], [0.75, 0.25], [0.35, 0.65]])
    bins = reliability_bins(probs, [0, 0, 0, 1], n_bins=5)
    fig, ax = plt.subplots()
    plot_reliability(ax, bins, title="r")
    heights = [p.get_height() for p in ax.patches[: int((bins.count > 0).sum())]]
    np.testing.assert_allclose(heights, bins.accuracy[bins.count > 0])
    assert ax.get_xlim() == (0.0, 1.0) and ax.get_title() == "r"


def test_show_images_titles_each_panel():
    fig = show_images(digit_templates()[:3], [0, 1, 2], n_cols=5)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:3] == ["0", "1", "2"] and titles[3:] == ["", ""]


def test_why_exp_figure_shows_the_three_rules_as_they_are():
    from course_lib.lessons.plots import why_exp_figure

    fig = why_exp_figure()
    left, right = fig.axes
    soft, lin, sq = left.get_lines()
    x = soft.get_xdata()
    # softmax of [x, 1, 0], class 0, by the formula itself (not course_lib)
    ref = np.exp(x) / (np.exp(x) + np.e + 1.0)
    np.testing.assert_allclose(soft.get_ydata(), ref, rtol=1e-12)
    # x / sum(x) leaves the unit interval (drawn as nan outside [-1, 2]); softmax never does
    assert np.nanmin(lin.get_ydata()) < 0 and np.all((ref > 0) & (ref < 1))
    # right: the softmax share of [1, 3, 2] + c does not depend on c
    r_soft = right.get_lines()[0].get_ydata()
    np.testing.assert_allclose(r_soft, np.exp(3) / (np.e + np.exp(3) + np.exp(2)), rtol=1e-12)
    assert np.nanmax(right.get_lines()[2].get_ydata()) - np.nanmin(
        right.get_lines()[2].get_ydata()) > 0.5  # squares move with the shift
