"""The course's figures: the widgets' bars and thresholds (lessons 03-04), the smooth maximum,
training curves, decision regions, digit images and reliability diagrams (lessons 05-07).

Every function draws on a matplotlib ``Axes`` it is given (or returns a new ``Figure``),
labels its axes, describes what it drew in words (:func:`describe`), and returns what it drew
on, so that a notebook cell stays one or two lines; :func:`show` then displays the figure
with those words as its alt text, for a reader who cannot see it.

Colours: :data:`COLORS`, four colours that stay apart for readers with deuteranopia or
protanopia and stand out from a white page (at least 3:1), and class ``k`` is always colour
``k``. Importing this module makes them matplotlib's colour cycle, each with its own line
style, so that no figure of the course tells its curves apart by colour alone; bars and
regions get hatches, points get markers.

This module draws and computes nothing interactive: :mod:`course_lib.lessons.widgets` is
built on top of it (and on :mod:`course_lib.lessons.floats`), never the other way round.
"""

from __future__ import annotations

import base64
import html
import io
import weakref
from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from course_lib.functions import hardmax, logsumexp, softmax
from course_lib.lessons.calibration import ReliabilityBins
from course_lib.lessons.floats import DTYPES, overflow_threshold
from course_lib.lessons.nn import History

__all__ = [
    "COLORS",
    "HATCHES",
    "LINESTYLES",
    "MARKERS",
    "alt_text",
    "describe",
    "plot_bars",
    "plot_decision_regions",
    "plot_history",
    "plot_reliability",
    "show",
    "show_images",
]

#: The course's colours: Okabe and Ito's blue, vermillion and bluish green, and Paul Tol's
#: wine. Under simulated deuteranopia and protanopia any two stay at least 18 CIEDE2000
#: units apart (tests/test_palette.py), and each has at least 3:1 contrast against white.
#: Black and grey are kept for references (the uniform line, the diagonal), always dashed.
COLORS = ("#0072B2", "#D55E00", "#009E73", "#882255")
#: Class (or curve) ``k`` also gets line style, marker and hatch ``k``: never colour alone.
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D")
HATCHES = ("", "//", "\\\\", "xx")
EDGE = "#333333"  # outlines of bars and markers: 12.6:1 against white

plt.rcParams["axes.prop_cycle"] = cycler(color=COLORS) + cycler(linestyle=LINESTYLES)


_MARKER_NAMES = ("circles", "squares", "triangles", "diamonds")


def _class_cmap(n_classes: int) -> ListedColormap:
    return ListedColormap([COLORS[k % len(COLORS)] for k in range(n_classes)])


# --- words for every figure ----------------------------------------------------------------

_WORDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _sentence(text: str) -> str:
    text = " ".join(str(text).split())
    return text if not text or text.endswith((".", "!", "?")) else text + "."


def describe(target: Axes | Figure, text: str) -> Axes | Figure:
    """Attach a short description of what a panel (``Axes``) or a figure shows.

    :func:`show` joins a figure's own description with those of its panels into the alt text
    of the image it displays. Say what the reader should see, with the numbers that matter
    ("the largest bar grows as T falls"), not "a plot". Describing again replaces.

    >>> fig, ax = plt.subplots()
    >>> _ = describe(ax, "one point at (1, 2)")
    >>> alt_text(fig)
    'One point at (1, 2).'
    >>> plt.close(fig)
    """
    words = _sentence(text)
    if not words:
        raise ValueError("a description needs words: say what the figure shows")
    _WORDS[target] = words[0].upper() + words[1:]
    return target


def _panel_names(panels: list[Axes]) -> list[str]:
    rows = {round(ax.get_position().y0, 3) for ax in panels}
    if len(rows) == 1 and len(panels) in (2, 3):
        return ["Left", "Right"] if len(panels) == 2 else ["Left", "Middle", "Right"]
    return [f"Panel {k + 1}" for k in range(len(panels))]


def alt_text(fig: Figure) -> str:
    """The figure's words: its own description, then each described panel's, in reading order.

    Panels are read top to bottom, left to right; two or three side by side are called left,
    (middle,) right. An empty string means the figure has no words yet.

    >>> fig, (rising, falling) = plt.subplots(1, 2)
    >>> _ = describe(falling, "a falling line")
    >>> _ = describe(rising, "a rising line")
    >>> alt_text(fig)
    'Left: A rising line. Right: A falling line.'
    >>> plt.close(fig)
    """
    panels = [ax for ax in fig.axes if ax in _WORDS]
    panels.sort(key=lambda ax: (-round(ax.get_position().y1, 3), ax.get_position().x0))
    parts = [_WORDS[fig]] if fig in _WORDS else []
    if len(panels) == 1:
        parts.append(_WORDS[panels[0]])
    elif panels:
        parts += [f"{name}: {_WORDS[ax]}" for name, ax in zip(_panel_names(panels), panels,
                                                                 strict=True)]
    return " ".join(parts)


def show(figure: Figure | Axes | None = None, alt: str | None = None) -> None:
    """Display a figure as an image with its description as alt text, then close it.

    Use it instead of ``plt.show()``. ``alt`` (optional when the plotting helpers described
    every panel) says what the whole figure shows; it comes before the panels' words. The
    output is an HTML ``<img>`` with that ``alt`` (what JupyterLab, the course site and the
    slides show and a screen reader reads) and the same words as plain text (for a frontend
    without HTML). Outside a Jupyter kernel (a script, a terminal) it prints the words and
    calls ``plt.show()``.

    Raises ``ValueError`` when the figure has no words at all: every figure of the course
    tells a reader who cannot see it what it shows.

    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [1, 1])
    >>> show(fig, alt="A flat line at height 1")  # in a script: the words, then plt.show()
    A flat line at height 1.
    """
    if figure is None:
        fig = plt.gcf()
    elif isinstance(figure, Axes):
        fig = figure.figure
    else:
        fig = figure
    if alt is not None:
        describe(fig, alt)
    words = alt_text(fig)
    if not words:
        raise ValueError(
            "this figure has no description: pass alt='what it shows' to show(), so that a "
            "reader who cannot see it gets the same lesson"
        )
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):  # a script or a terminal: no HTML
        print(words)
        plt.show()
        return
    from IPython.display import display

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", facecolor="white")
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    image = f'<img src="data:image/png;base64,{png}" alt="{html.escape(words, quote=True)}">'
    display({"text/html": image, "text/plain": words}, raw=True)
    plt.close(fig)


def _values(values: Sequence[float] | np.ndarray, digits: int = 2) -> str:
    return ", ".join(f"{v:.{digits}f}" for v in values)


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
    hatches = [HATCHES[k % len(HATCHES)] for k in range(n_classes)]
    ax.contourf(gx, gy, grid_class, levels=levels, cmap=cmap, alpha=0.3, hatches=hatches)
    for k in range(n_classes):
        ax.scatter(X[y == k, 0], X[y == k, 1], color=COLORS[k % len(COLORS)],
                   marker=MARKERS[k % len(MARKERS)], s=14, edgecolors=EDGE, linewidths=0.4,
                   label=f"class {k}")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal")
    ax.legend(loc="upper right", framealpha=0.9)
    if title:
        ax.set_title(title)
    right = float(np.mean(np.asarray(predict(X)) == y))
    shapes = ", ".join(f"class {k} {_MARKER_NAMES[k % len(MARKERS)]}"
                       for k in range(n_classes))
    describe(ax, f"{title + ': ' if title else ''}the plane shaded and hatched by the class the "
             f"model predicts, with the {len(y)} points on top marked by their true class "
             f"({shapes}); {right:.0%} of the points lie in the region of their own class")
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
    what = "mean cross-entropy" if metric == "loss" else "accuracy"
    said = []
    for i, (name, h) in enumerate(histories.items()):
        values = getattr(h, metric)
        style = dict(color=COLORS[i % len(COLORS)], marker=MARKERS[i % len(MARKERS)],
                     markevery=max(1, len(values) // 8), markersize=5)
        ax.plot(np.arange(len(values)), values, linestyle="-",
                label=f"{name} (training)" if validation else name, **style)
        said.append(f"{name} goes from {values[0]:.2f} to {values[-1]:.2f}")
        if validation:
            held = getattr(h, "val_" + metric)
            ax.plot(np.arange(len(values)), held, linestyle="--", markerfacecolor="white",
                    label=f"{name} (held out)", **style)
            said[-1] += f" in training and to {held[-1]:.2f} on held-out data (dashed)"
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean cross-entropy (nats)" if metric == "loss" else "accuracy")
    if log_scale:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    epochs = len(next(iter(histories.values())).loss) - 1
    describe(ax, f"Line chart of the {what} over {epochs} epochs"
             f"{' (log scale)' if log_scale else ''}, one curve per model with its own "
             f"marker: " + "; ".join(said))
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
    names = [titles[k] if titles is not None else str(int(labels[k])) for k in range(n)]
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k < n:
            ax.imshow(images[k], cmap="gray_r", vmin=0.0, vmax=1.0)
            ax.set_title(names[k])
    fig.tight_layout()
    side = "x".join(str(d) for d in np.shape(images[0])) if n else "0"
    describe(fig, f"{n} small grey {side}-pixel images, dark strokes on white, in "
             f"{n_rows} row{'s' if n_rows > 1 else ''}, titled in order: " + "; ".join(names))
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
    labels = list(names) if names is not None else [str(k) for k in x]
    colors = [COLORS[0]] * len(probs)
    hatches = [""] * len(probs)
    if highlight is not None:
        colors[highlight], hatches[highlight] = COLORS[1], "//"
    bars = ax.bar(x, probs, color=colors, edgecolor=EDGE, linewidth=0.6, hatch=hatches)
    crowded = len(probs) > 6  # labels of many bars stand upright so they do not overlap
    ax.bar_label(bars, labels=[f"{p:.2f}" for p in probs], padding=2,
                 rotation=90 if crowded else 0)
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1.3 if crowded else 1.12)
    ax.set_ylabel("probability")
    if title:
        ax.set_title(title)
    shown = "; ".join(f"{name} {p:.2f}" for name, p in zip(labels, probs, strict=True))
    marked = (f"; the bar of {labels[highlight]} is highlighted (hatched)"
              if highlight is not None else "")
    describe(ax, f"{title + ': ' if title else ''}bar chart of {len(probs)} probabilities, "
             f"each bar labelled with its value: {shown}{marked}")
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
        color=COLORS[0],
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
        edgecolor=COLORS[1],
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
    over = int(np.sum(conf > acc))
    worst = int(np.argmax(np.abs(conf - acc))) if len(acc) else 0
    gap = (f"; the widest gap is {abs(conf[worst] - acc[worst]):.2f}, in the bin from "
           f"{left[worst]:.1f} to {left[worst] + width[worst]:.1f} (accuracy {acc[worst]:.2f}, "
           f"mean confidence {conf[worst]:.2f})" if len(acc) else "")
    describe(ax, f"{title + ': ' if title else ''}reliability diagram: accuracy against "
             f"confidence in {len(acc)} non-empty bins beside the diagonal of perfect "
             f"calibration; in {over} of them the model is more confident than it is right"
             f"{gap}")
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
    ax.bar(k, p, color=COLORS[0], edgecolor=EDGE, linewidth=0.6,
           label=f"softmax, T = {temperature:.2f}")
    ax.scatter(k, hardmax(z), marker="_", s=600, linewidths=2.5, color=COLORS[1],
               label="hardmax (T → 0)")
    ax.axhline(1 / len(z), color="gray", ls="--", lw=1, label="uniform (T → ∞)")
    ax.set_xticks(k, [f"{v:g}" for v in z])
    ax.set_xlabel("logit of each class")
    ax.set_ylabel("probability")
    ax.set_ylim(0.0, 1.05)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the bars, not on them
    logits = ", ".join(f"{v:g}" for v in z)
    describe(ax, f"Bars of the softmax probabilities of the logits [{logits}] at "
             f"T = {temperature:.2f}: {_values(p)}. A short line at height 1 marks the "
             f"hardmax (the logit {z[np.argmax(z)]:g}), a dashed line the uniform "
             f"{1 / len(z):.2f}")
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
    said = []
    for i, name in enumerate(DTYPES):
        t = overflow_threshold(name)
        chosen = name == dtype
        ax.barh(i, t, color=COLORS[2], alpha=0.8 if chosen else 0.35, edgecolor=EDGE,
                linewidth=1.2 if chosen else 0.6, hatch="//" if chosen else "")
        ax.text(t * 1.08, i, f"exp overflows past {t:.2f}", va="center")
        said.append(f"{name} past {t:.2f}")
    ax.axvline(magnitude, color=COLORS[1], lw=2, label=f"largest logit = {magnitude:.3g}")
    ax.set_xscale("log")
    ax.set_xlim(1, 2e5)
    ax.set_yticks(range(len(DTYPES)), list(DTYPES))
    ax.set_xlabel("logit (log scale)")
    ax.set_title(f"naive softmax in {dtype}:\nsafe while the red line is left of its bar")
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.3))  # below: clear of the labels
    safe = float(np.asarray(magnitude, dtype=dtype)) <= overflow_threshold(dtype)  # as stored
    describe(ax, f"Horizontal bars, log scale: exp overflows in {'; '.join(said)}. A red "
             f"vertical line marks the largest logit, {magnitude:.3g}, which is "
             f"{'below' if safe else 'past'} the {dtype} threshold (the hatched bar): the "
             f"naive softmax in {dtype} {'is safe' if safe else 'overflows'}")
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
    ax.plot(x, pairs.max(axis=-1), label="max(0, x)", color="black", ls=":", lw=2)
    ax.plot(x, logsumexp(pairs), label="logsumexp([0, x])", color=COLORS[0], ls="-", lw=2.2)
    ax.plot(x, pairs.max(axis=-1) + np.log(2), ls="--", color="gray", label="max + log 2")
    ax.set_xlabel("x")
    ax.set_ylabel("value")
    ax.set_title("logsumexp: a smooth maximum,\nnever more than log n above it")
    ax.legend()
    describe(ax, "Three curves for x from -6 to 6: max(0, x) (dotted) has a corner at 0; "
             "logsumexp([0, x]) (solid) runs smoothly between it and max + log 2 (dashed), "
             f"touching max far from 0 and reaching log 2 = {np.log(2):.2f} at x = 0")
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
            style = dict(color=COLORS[k], ls=LINESTYLES[k], lw=2.2 if k == 0 else 1.6,
                         label=name)
            axes[0].plot(x, _clip_for_plot(rule(left)[:, 0], -1.0, 2.0), **style)
            axes[1].plot(c, _clip_for_plot(rule(right)[:, 1], -1.0, 2.0), **style)
    for ax in axes:
        ax.axhspan(0, 1, color=COLORS[2], alpha=0.08, label="a probability lives here")
        ax.set_ylim(-1, 2)
        ax.set_ylabel("share")
        ax.grid(alpha=0.3)
    axes[0].set_xlabel("score x of class 0 (the others are 1 and 0)")
    axes[0].set_title("share of class 0 for the scores [x, 1, 0]")
    axes[1].set_xlabel("shift c added to every score")
    axes[1].set_title("share of the top class for [1, 3, 2] + c")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=2)
    fig.tight_layout(rect=(0, 0.17, 1, 1))
    describe(fig, "Three rules that turn scores into shares: softmax (solid), x / sum x "
             "(dashed) and x squared / sum x squared (dash-dot), against a band from 0 to 1 "
             "where a probability lives")
    describe(axes[0], "the share of class 0 for the scores [x, 1, 0], x from -4 to 4: "
             "softmax rises smoothly inside the band; x / sum x leaves it, below 0 and above "
             "1, blowing up where the sum is 0; the squares give a negative score a large share")
    describe(axes[1], "the share of the top class of [1, 3, 2] + c, c from -5 to 5: softmax "
             f"stays flat at {softmax(np.array([1.0, 3.0, 2.0]))[1]:.2f} whatever the shift; the "
             "other two rules change with c")
    return fig
