"""The course's figures: the widgets' bars and thresholds (lessons 03-04), the smooth maximum,
training curves, decision regions, digit images and reliability diagrams (lessons 05-07).

Every function draws on a matplotlib ``Axes`` it is given (or returns a new ``Figure``),
labels its axes, and returns what it drew on, so that a notebook cell stays one or two lines.
Colours follow matplotlib's ``tab10`` cycle: class ``k`` is always colour ``k``.

This module draws and computes nothing interactive: :mod:`course_lib.lessons.widgets` is
built on top of it (and on :mod:`course_lib.lessons.floats`), never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from course_lib.functions import hardmax, logsumexp, softmax
from course_lib.lessons.calibration import ReliabilityBins
from course_lib.lessons.floats import DTYPES, overflow_threshold
from course_lib.lessons.nn import History

__all__ = [
    "plot_bars",
    "plot_decision_regions",
    "plot_history",
    "plot_reliability",
    "show_images",
]

_TAB10 = plt.get_cmap("tab10").colors


def _class_cmap(n_classes: int) -> ListedColormap:
    return ListedColormap([_TAB10[k % 10] for k in range(n_classes)])


def plot_decision_regions(
    ax: Axes,
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    title: str | None = None,
    resolution: int = 250,
) -> Axes:
    """Shade the plane by the class ``predict`` gives each point, and scatter ``X`` on top.

    Parameters
    ----------
    ax : matplotlib Axes
    predict : callable
        Maps an ``(m, 2)`` array of points to ``m`` integer classes (e.g. ``net.predict``).
    X : ndarray, shape (n, 2)
        Points to show, coloured by their true class ``y``.
    y : ndarray of int, shape (n,)
    title : str, optional
    resolution : int, optional
        Grid points per side (default 250).
    """
    n_classes = int(y.max()) + 1
    cmap = _class_cmap(n_classes)
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0))
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    grid_class = np.asarray(predict(np.column_stack([gx.ravel(), gy.ravel()]))).reshape(gx.shape)
    levels = np.arange(n_classes + 1) - 0.5
    ax.contourf(gx, gy, grid_class, levels=levels, cmap=cmap, alpha=0.3)
    ax.scatter(
        X[:, 0],
        X[:, 1],
        c=y,
        cmap=cmap,
        vmin=-0.5,
        vmax=n_classes - 0.5,
        s=12,
        edgecolors="k",
        linewidths=0.3,
    )
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return ax


def plot_history(
    ax: Axes,
    histories: Mapping[str, History],
    metric: str = "loss",
    validation: bool = False,
    log_scale: bool = False,
) -> Axes:
    """Draw one curve per trained model: ``metric`` (``"loss"`` or ``"accuracy"``) per epoch.

    With ``validation=True`` the validation curve of each model is drawn dashed in the same
    colour. Epoch 0 is the untrained model.
    """
    for i, (name, h) in enumerate(histories.items()):
        values = getattr(h, metric)
        ax.plot(
            np.arange(len(values)),
            values,
            color=_TAB10[i],
            label=f"{name} (training)" if validation else name,
        )
        if validation:
            ax.plot(
                np.arange(len(values)),
                getattr(h, "val_" + metric),
                color=_TAB10[i],
                linestyle="--",
                label=f"{name} (held out)",
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean cross-entropy (nats)" if metric == "loss" else "accuracy")
    if log_scale:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def show_images(
    images: np.ndarray,
    labels: Sequence[int] | np.ndarray,
    n_cols: int = 10,
    titles: Sequence[str] | None = None,
    size: float = 1.1,
) -> Figure:
    """Show a batch of small grey images in a grid, each titled with its label (or ``titles``)."""
    n = len(images)
    n_rows = int(np.ceil(n / n_cols))
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(size * n_cols, size * n_rows * 1.15), squeeze=False
    )
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k < n:
            ax.imshow(images[k], cmap="gray_r", vmin=0.0, vmax=1.0)
            ax.set_title(titles[k] if titles is not None else str(int(labels[k])))
    fig.tight_layout()
    return fig


def plot_bars(
    ax: Axes,
    probs: np.ndarray,
    names: Sequence[str] | None = None,
    title: str | None = None,
    highlight: int | None = None,
) -> Axes:
    """Bar chart of one probability vector, each bar labelled with its value."""
    probs = np.asarray(probs, dtype=np.float64)
    x = np.arange(len(probs))
    colors = ["tab:blue"] * len(probs)
    if highlight is not None:
        colors[highlight] = "tab:orange"
    bars = ax.bar(x, probs, color=colors)
    crowded = len(probs) > 6  # labels of many bars stand upright so they do not overlap
    ax.bar_label(bars, labels=[f"{p:.2f}" for p in probs], padding=2,
                 rotation=90 if crowded else 0)
    ax.set_xticks(x, names if names is not None else [str(k) for k in x])
    ax.set_ylim(0, 1.3 if crowded else 1.12)
    ax.set_ylabel("probability")
    if title:
        ax.set_title(title)
    return ax


def plot_reliability(ax: Axes, bins: ReliabilityBins, title: str | None = None) -> Axes:
    """Reliability diagram: accuracy per confidence bin against the diagonal of perfect calibration.

    Blue bars show each non-empty bin's accuracy, a short black line its mean confidence, and
    the hatched red box the gap between them: above the bar when the model is over-confident
    in that bin, inside it when under-confident.
    """
    edges = bins.edges
    used = bins.count > 0
    left = edges[:-1][used]
    width = np.diff(edges)[used]
    acc, conf = bins.accuracy[used], bins.confidence[used]
    ax.bar(
        left,
        acc,
        width=width,
        align="edge",
        color="tab:blue",
        alpha=0.8,
        edgecolor="k",
        linewidth=0.5,
        label="accuracy in bin",
    )
    ax.bar(
        left,
        np.abs(conf - acc),
        bottom=np.minimum(acc, conf),
        width=width,
        align="edge",
        facecolor="none",
        edgecolor="tab:red",
        hatch="///",
        linewidth=0.8,
        label="gap to mean confidence",
    )
    ax.hlines(conf, left, left + width, color="k", linewidth=2, label="mean confidence in bin")
    ax.plot([0, 1], [0, 1], color="gray", linestyle="--", linewidth=1, label="perfect calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (largest probability)")
    ax.set_ylabel("accuracy")
    ax.set_aspect("equal")
    ax.legend(loc="upper left")
    if title:
        ax.set_title(title)
    return ax


# --- lessons 03 and 04: the widgets' figures, and the smooth maximum ------------------------


def temperature_bars(logits: np.ndarray, temperature: float, ax: Axes | None = None) -> Axes:
    """Bars of ``softmax(logits / T)`` next to the hardmax, for the temperature widget.

    >>> ax = temperature_bars(np.array([1.0, 3.0, 2.0]), 0.5)
    >>> [float(v) for v in ax.get_ylim()]
    [0.0, 1.05]
    >>> plt.close("all")
    """
    z = np.asarray(logits, dtype=np.float64)
    p = softmax(z, temperature=temperature)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 2.8))
    k = np.arange(len(z))
    ax.bar(k, p, color="tab:blue", label=f"softmax, T = {temperature:.2f}")
    ax.scatter(k, hardmax(z), marker="_", s=600, color="tab:red", label="hardmax (T → 0)")
    ax.axhline(1 / len(z), color="gray", ls="--", lw=1, label="uniform (T → ∞)")
    ax.set_xticks(k, [f"{v:g}" for v in z])
    ax.set_xlabel("logit of each class")
    ax.set_ylabel("probability")
    ax.set_ylim(0.0, 1.05)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the bars, not on them
    return ax


def overflow_figure(magnitude: float, dtype: str, ax: Axes | None = None) -> Axes:
    """Where ``exp`` overflows in each dtype, and where the demo's largest logit sits.

    >>> ax = overflow_figure(20, "float16")
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['float16', 'float32', 'float64']
    >>> plt.close("all")
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 2.4))
    for i, name in enumerate(DTYPES):
        t = overflow_threshold(name)
        ax.barh(i, t, color="tab:green", alpha=0.35 if name != dtype else 0.8)
        ax.text(t * 1.08, i, f"exp overflows past {t:.2f}", va="center")
    ax.axvline(magnitude, color="tab:red", lw=2, label=f"largest logit = {magnitude:.3g}")
    ax.set_xscale("log")
    ax.set_xlim(1, 2e5)
    ax.set_yticks(range(len(DTYPES)), list(DTYPES))
    ax.set_xlabel("logit (log scale)")
    ax.set_title(f"naive softmax in {dtype}:\nsafe while the red line is left of its bar")
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.3))  # below: clear of the labels
    return ax


def smooth_max_figure(ax: Axes | None = None) -> Axes:
    """``max(0, x)``, ``logsumexp([0, x])`` and ``max + log 2`` as ``x`` varies.

    >>> ax = smooth_max_figure()
    >>> len(ax.get_lines())
    3
    >>> plt.close("all")
    """
    x = np.linspace(-6, 6, 241)
    pairs = np.stack([np.zeros_like(x), x], axis=-1)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.2))
    ax.plot(x, pairs.max(axis=-1), label="max(0, x)", color="black")
    ax.plot(x, logsumexp(pairs), label="logsumexp([0, x])", color="tab:blue")
    ax.plot(x, pairs.max(axis=-1) + np.log(2), ls="--", color="gray", label="max + log 2")
    ax.set_xlabel("x")
    ax.set_ylabel("value")
    ax.set_title("logsumexp: a smooth maximum,\nnever more than log n above it")
    ax.legend()
    return ax


def _clip_for_plot(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Values outside [lo, hi] become nan, so a curve through a pole breaks off cleanly."""
    out = np.array(v, dtype=np.float64)
    out[~((out >= lo) & (out <= hi))] = np.nan
    return out


def why_exp_figure() -> Figure:
    """Three ways to turn scores into shares: ``exp`` (softmax), ``x / sum(x)``, ``x² / sum(x²)``.

    Left: the share of class 0 for the scores ``[x, 1, 0]`` as ``x`` varies. Right: the share
    of the top class of ``[1, 3, 2] + c`` as every score is shifted by ``c``. Only softmax
    stays a probability for every score and ignores the shift.

    >>> fig = why_exp_figure()
    >>> [len(ax.get_lines()) for ax in fig.axes]
    [3, 3]
    >>> plt.close("all")
    """
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    rules = {
        "softmax: exp(x) / Σ exp": lambda s: softmax(s, axis=-1),
        "x / Σ x": lambda s: s / s.sum(axis=-1, keepdims=True),
        "x² / Σ x²": lambda s: s**2 / (s**2).sum(axis=-1, keepdims=True),
    }
    x = np.linspace(-4, 4, 801)
    left = np.stack([x, np.ones_like(x), np.zeros_like(x)], axis=-1)
    c = np.linspace(-5, 5, 1001)
    right = np.array([1.0, 3.0, 2.0]) + c[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        for k, (name, rule) in enumerate(rules.items()):
            style = dict(color=_TAB10[k], lw=2.2 if k == 0 else 1.5, label=name)
            axes[0].plot(x, _clip_for_plot(rule(left)[:, 0], -1.0, 2.0), **style)
            axes[1].plot(c, _clip_for_plot(rule(right)[:, 1], -1.0, 2.0), **style)
    for ax in axes:
        ax.axhspan(0, 1, color="tab:green", alpha=0.08, label="a probability lives here")
        ax.set_ylim(-1, 2)
        ax.set_ylabel("share")
        ax.grid(alpha=0.3)
    axes[0].set_xlabel("score x of class 0 (the others are 1 and 0)")
    axes[0].set_title("share of class 0 for the scores [x, 1, 0]")
    axes[1].set_xlabel("shift c added to every score")
    axes[1].set_title("share of the top class for [1, 3, 2] + c")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=2)
    fig.tight_layout(rect=(0, 0.17, 1, 1))
    return fig
