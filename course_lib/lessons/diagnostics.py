"""Reading a trained classifier: where it errs (the confusion matrix) and when it began to
memorise (training against validation loss). Lesson 06b.

- :func:`confusion_matrix` counts, for every true class, what the model predicted;
- :func:`precision_recall` reads each class's precision and recall off it;
- :func:`most_confused` lists the largest off-diagonal cells, the model's favourite
  mistakes;
- :func:`plot_confusion` draws the matrix with its counts written in every cell;
- :func:`plot_overfitting` draws training and validation loss with the best epoch marked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

from course_lib.lessons.nn import History
from course_lib.lessons.plots import COLORS, MARKERS, describe

__all__ = ["confusion_matrix", "most_confused", "plot_confusion", "plot_overfitting",
           "precision_recall"]


def _labels(y: ArrayLike, name: str, num_classes: int) -> np.ndarray:
    a = np.asarray(y)
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise ValueError(f"{name} must be a 1-D array of integer class labels, got shape "
                         f"{a.shape} and dtype {a.dtype}")
    if a.size and (a.min() < 0 or a.max() >= num_classes):
        raise ValueError(f"{name} must lie between 0 and {num_classes - 1} "
                         f"(num_classes={num_classes}); got {a.min()} to {a.max()}")
    return a


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, num_classes: int) -> np.ndarray:
    """Counts of (true class, predicted class) pairs.

    Parameters
    ----------
    y_true, y_pred : array_like of int, shape (n,)
        True and predicted classes, from 0 to ``num_classes - 1``.
    num_classes : int
        The number of classes K: the matrix is K x K even when some class never occurs.

    Returns
    -------
    ndarray of int64, shape (K, K)
        Row ``i`` is true class ``i``, column ``j`` predicted class ``j`` (scikit-learn's
        convention): the diagonal holds the right answers, each row sums to the number of
        samples of that class.

    Examples
    --------
    >>> confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], num_classes=3)
    array([[1, 1, 0],
           [0, 1, 0],
           [1, 0, 2]])
    """
    k = int(num_classes)
    if k < 1:
        raise ValueError(f"num_classes must be at least 1, got {num_classes!r}")
    t, p = _labels(y_true, "y_true", k), _labels(y_pred, "y_pred", k)
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred must have one label per sample each, got "
                         f"{t.shape[0]} and {p.shape[0]}")
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (t, p), 1)  # `counts[t, p] += 1` would count a repeated pair once
    return counts


def precision_recall(counts: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Per-class precision (right among those predicted as the class) and recall (found
    among those that are the class), from a confusion matrix. A class never predicted (or
    never present) gets precision (recall) 0, as scikit-learn's ``zero_division=0``.

    >>> p, r = precision_recall([[3, 1], [0, 4]])
    >>> p.round(3).tolist(), r.round(3).tolist()
    ([1.0, 0.8], [0.75, 1.0])
    """
    c = np.asarray(counts, dtype=np.float64)
    right = np.diag(c)
    predicted, present = c.sum(axis=0), c.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, right / predicted, 0.0)
        recall = np.where(present > 0, right / present, 0.0)
    return precision, recall


def most_confused(counts: ArrayLike, top: int = 3) -> list[tuple[int, int, int]]:
    """The ``top`` largest off-diagonal cells: ``(true class, predicted class, count)``,
    largest first (ties in row-major order); cells of 0 are left out.

    >>> most_confused([[5, 2, 0], [0, 4, 3], [1, 0, 6]], top=2)
    [(1, 2, 3), (0, 1, 2)]
    """
    c = np.asarray(counts)
    cells = [(int(c[i, j]), i, j) for i in range(c.shape[0]) for j in range(c.shape[1])
             if i != j and c[i, j] > 0]
    cells.sort(key=lambda t: -t[0])  # stable: ties keep row-major order
    return [(i, j, n) for n, i, j in cells[:top]]


def plot_confusion(ax: Axes, counts: ArrayLike, names: Sequence[str] | None = None,
                   title: str | None = None) -> Axes:
    """Draw a confusion matrix as a grid of shaded cells, each with its count written in it
    (dark text on light cells, white on dark), rows true classes, columns predictions; its
    words (:func:`~course_lib.lessons.plots.describe`) give the right answers and the
    largest mistakes."""
    c = np.asarray(counts)
    k = c.shape[0]
    names = list(names) if names is not None else [str(i) for i in range(k)]
    ax.imshow(c, cmap="Blues", vmin=0, vmax=max(int(c.max()), 1))
    half = c.max() / 2
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(int(c[i, j])), ha="center", va="center",
                    color="white" if c[i, j] > half else "#222222")
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if title:
        ax.set_title(title)
    mistakes = "; ".join(f"{names[i]} read as {names[j]} {n} times"
                         for i, j, n in most_confused(c, top=3)) or "none"
    describe(ax, f"A confusion matrix of {k} classes, rows the true class and columns the "
                 f"predicted one, each cell with its count: {int(np.trace(c))} of "
                 f"{int(c.sum())} on the diagonal (right); the largest mistakes: {mistakes}")
    return ax


def plot_overfitting(ax: Axes, histories: Mapping[str, History],
                     best: Mapping[str, int] | None = None) -> Axes:
    """Training (solid) and validation (dashed) loss per epoch for each model, each model
    with its own colour and marker, the epoch of the lowest validation loss (or ``best``)
    circled and labelled with its value; the words say the same numbers."""
    said = []
    for k, (name, h) in enumerate(histories.items()):
        epochs = np.arange(len(h.loss))
        style = dict(color=COLORS[k % 4], marker=MARKERS[k % 4],
                     markevery=max(1, len(epochs) // 8), markersize=5)
        ax.plot(epochs, h.loss, label=f"{name}: training", **style)
        ax.plot(epochs, h.val_loss, linestyle="--", label=f"{name}: validation", **style)
        at = (best or {}).get(name, int(np.argmin(h.val_loss)))
        ax.plot([at], [h.val_loss[at]], "o", markersize=11, markerfacecolor="none",
                markeredgecolor="#222222")
        ax.annotate(f"{h.val_loss[at]:.2f} at epoch {at}", (at, h.val_loss[at]),
                    textcoords="offset points", xytext=(4, 8))
        said.append(f"{name}, training from {h.loss[0]:.2f} to {h.loss[-1]:.2f}, validation "
                    f"lowest {h.val_loss[at]:.2f} at epoch {at} and {h.val_loss[-1]:.2f} at "
                    "the end")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean cross-entropy (nats)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False,
              ncols=3 if len(histories) > 1 else 2)  # below the axes: the curves stay clear
    describe(ax, "Mean cross-entropy per epoch, training solid and validation dashed: "
             + "; ".join(said))
    return ax
