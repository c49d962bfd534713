"""Every figure a lesson draws has words: an alt text saying what it shows.

The lessons display their figures with ``course_lib.lessons.plots.show``: an HTML ``<img>``
whose ``alt`` JupyterLab, the course site and the slides all use, and the same words as the
plain-text output. Here every committed lesson is read: each image output (in a cell or
stored by a widget) must be such an image with a real description, never a bare PNG (which
JupyterLab shows with no text at all). The checker is itself tested on outputs made here.

The descriptions the plotting helpers write are checked against numbers computed
independently (scipy's softmax, NumPy's float limits), so the words say what is drawn.
"""

from __future__ import annotations

import html
import re
import types
from html.parser import HTMLParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import scipy.special  # noqa: E402

from course_lib.lessons import plots  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# words that say nothing about what a figure shows
EMPTY = re.compile(r"^(a |an |the )?(plot|figure|graph|chart|image|picture)s?\.?$|"
                   r"no description|^<Figure size", re.I)
MIN_WORDS = 8


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.alts: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.alts.append(dict(attrs).get("alt"))


def _outputs(nb) -> list[tuple[str, dict]]:
    """Every output of the notebook with where it is: cells, then the widgets' stored ones."""
    found = [(f"cell {i}", out) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             for out in cell.get("outputs", [])]
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for model_id, model in state.items():
        for out in model.get("state", {}).get("outputs", []) or []:
            found.append((f"widget {model_id[:8]}", out))
    return found


def figure_problems(nb) -> tuple[int, list[str]]:
    """How many figures the notebook shows, and what is wrong with their words."""
    figures, problems = 0, []
    for where, out in _outputs(nb):
        data = out.get("data", {})
        bare = [m for m in IMAGE_MIMES if m in data]
        page = data.get("text/html", "")
        page = "".join(page) if isinstance(page, list) else page
        parser = _Images()
        parser.feed(page)
        figures += len(parser.alts) + (1 if bare and not parser.alts else 0)
        if bare and not parser.alts:
            problems.append(f"{where}: a {bare[0]} figure without words (use plots.show)")
        for alt in parser.alts:
            words = (alt or "").split()
            if alt is None or len(words) < MIN_WORDS or EMPTY.search(alt.strip()):
                problems.append(f"{where}: an image whose alt text says too little: {alt!r}")
            plain = data.get("text/plain", "")
            plain = "".join(plain) if isinstance(plain, list) else plain
            if alt and len(parser.alts) == 1 and plain.strip() != alt.strip():
                problems.append(f"{where}: the plain-text output is not the image's words")
    return figures, problems


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_lesson_figure_has_words(path) -> None:
    figures, problems = figure_problems(nbformat.read(path, as_version=4))
    assert not problems, "\n".join(problems)


def test_the_lessons_have_figures_to_check() -> None:
    total = sum(figure_problems(nbformat.read(p, as_version=4))[0] for p in LESSONS)
    assert total >= 20, f"only {total} figures found: is the checker still reading them?"


# --- the checker itself ---------------------------------------------------------------------


def _notebook(*outputs: dict) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("draw()", execution_count=1)
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    nb.cells = [cell]
    return nb


def _img(alt: str | None) -> str:
    alt_attr = "" if alt is None else f' alt="{html.escape(alt)}"'
    return f'<img src="data:image/png;base64,iVBORw0KGgo="{alt_attr}>'


GOOD = "Bars of softmax probabilities of [1, 3, 2] at T = 0.5: 0.02, 0.87, 0.12."


@pytest.mark.parametrize("output,ok", [
    ({"output_type": "display_data", "metadata": {},
      "data": {"text/html": _img(GOOD), "text/plain": GOOD}}, True),
    ({"output_type": "display_data", "metadata": {},  # what plt.show() stores
      "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure size 600x320 with 1 Axes>"}},
     False),
    ({"output_type": "display_data", "metadata": {},
      "data": {"text/html": _img(None), "text/plain": GOOD}}, False),
    ({"output_type": "display_data", "metadata": {},
      "data": {"text/html": _img("A plot"), "text/plain": "A plot"}}, False),
    ({"output_type": "display_data", "metadata": {},
      "data": {"text/html": _img("No description has been provided for this image"),
               "text/plain": "x"}}, False),
    ({"output_type": "display_data", "metadata": {},
      "data": {"text/html": _img(GOOD), "text/plain": "something else entirely"}}, False),
])
def test_the_checker_tells_words_from_none(output, ok) -> None:
    figures, problems = figure_problems(_notebook(output))
    assert figures == 1
    assert (not problems) is ok, problems


def test_the_checker_reads_the_outputs_a_widget_stored() -> None:
    nb = _notebook()
    nb.metadata["widgets"] = {WIDGET_STATE: {"state": {"abc123456": {"state": {"outputs": [
        {"output_type": "display_data", "metadata": {},
         "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}}]}}}}}
    figures, problems = figure_problems(nb)
    assert figures == 1 and "widget" in problems[0]


# --- show() and the helpers' words ----------------------------------------------------------


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_show_refuses_a_figure_without_words() -> None:
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    with pytest.raises(ValueError, match="no description"):
        plots.show(fig)


def test_show_publishes_an_image_with_its_words(monkeypatch) -> None:
    import IPython
    import IPython.display

    shown = []
    kernel_shell = types.SimpleNamespace(kernel=object())  # what a Jupyter kernel runs in
    monkeypatch.setattr(IPython, "get_ipython", lambda: kernel_shell)
    monkeypatch.setattr(IPython.display, "display", lambda data, raw: shown.append(data))
    fig, (left, right) = plt.subplots(1, 2)
    plots.describe(right, "a falling line")
    plots.describe(left, 'a rising line, "quoted" & <tagged>')
    plots.show(fig, alt="Two lines")
    (data,) = shown
    words = 'Two lines. Left: A rising line, "quoted" & <tagged>. Right: A falling line.'
    assert data["text/plain"] == words
    parser = _Images()
    parser.feed(data["text/html"])
    assert parser.alts == [words]  # escaped in the attribute, read back whole
    assert data["text/html"].startswith('<img src="data:image/png;base64,iVBORw0KGgo')
    assert not plt.get_fignums(), "the figure is closed once shown"


def test_show_outside_a_kernel_prints_the_words(monkeypatch, capsys) -> None:
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    fig, ax = plt.subplots()
    plots.describe(ax, "one line going up from the origin")
    plots.show(fig)
    assert capsys.readouterr().out.strip() == "One line going up from the origin."


def _alt(ax_or_fig) -> str:
    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    return plots.alt_text(fig)


@pytest.mark.parametrize("t", [0.05, 0.5, 1.0, 5.0, 20.0])
def test_temperature_bars_say_the_probabilities_they_draw(t) -> None:
    words = _alt(plots.temperature_bars(np.array([1.0, 3.0, 2.0]), t))
    expected = scipy.special.softmax(np.array([1.0, 3.0, 2.0]) / t)
    assert f"T = {t:.2f}" in words
    assert ", ".join(f"{v:.2f}" for v in expected) in words


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_overflow_figure_says_whether_exp_overflows(dtype) -> None:
    limit = float(np.log(np.float64(np.finfo(dtype).max)))  # in float64: exp(x) <= max
    at = np.asarray(limit, dtype=dtype)
    zero, inf = np.zeros((), dtype=dtype), np.asarray(np.inf, dtype=dtype)
    below = at if float(at) <= limit else np.nextafter(at, zero)
    above = float(np.nextafter(below, inf))
    below = float(below)
    # the largest logit the dtype holds under the limit, the next one, and a float64 number
    # just under the limit that the dtype rounds up past it (for float16 and float32)
    cases = [(below, False), (above, True), (float(np.nextafter(limit, 0)), float(at) > limit)]
    for magnitude, overflows in cases:
        with np.errstate(over="ignore"):  # the truth, in the dtype itself
            assert (not np.isfinite(np.exp(np.asarray(magnitude, dtype=dtype)))) is overflows
        words = _alt(plots.overflow_figure(magnitude, dtype))
        assert (f"the naive softmax in {dtype} overflows" in words) is overflows, words
        assert f"{dtype} past {limit:.2f}" in words
        plt.close("all")


def test_bars_say_each_value_and_the_highlight() -> None:
    fig, ax = plt.subplots()
    plots.plot_bars(ax, [0.25, 0.75], names=["cat", "dog"], highlight=1, title="pets")
    words = _alt(ax)
    assert words.startswith("Pets: bar chart of 2 probabilities")
    assert "cat 0.25; dog 0.75" in words and "dog is highlighted" in words


def test_decision_regions_say_how_many_points_are_in_their_own_region() -> None:
    from course_lib.lessons.datasets import spiral

    X, y = spiral(n_per_class=30, n_classes=3, seed=1)
    predict = lambda P: (P[:, 0] > 0).astype(int)  # noqa: E731 - a crude two-region model
    fig, ax = plt.subplots()
    plots.plot_decision_regions(ax, predict, X, y, resolution=20)
    right = np.mean((X[:, 0] > 0).astype(int) == y)
    assert f"{right:.0%} of the points lie in the region of their own class" in _alt(ax)
    assert "class 0 circles, class 1 squares, class 2 triangles" in _alt(ax)


def test_history_says_where_each_curve_starts_and_ends() -> None:
    from course_lib.lessons.nn import History

    h = History(loss=[2.0, 1.0, 0.25], accuracy=[0.1, 0.5, 0.9], val_loss=[2.1, 1.2, 0.5],
                val_accuracy=[0.1, 0.4, 0.8])
    fig, ax = plt.subplots()
    plots.plot_history(ax, {"tiny": h}, "accuracy", validation=True)
    words = _alt(ax)
    assert "accuracy over 2 epochs" in words
    assert "tiny goes from 0.10 to 0.90 in training and to 0.80 on held-out data" in words


def test_reliability_words_count_the_over_confident_bins() -> None:
    from course_lib.lessons.calibration import reliability_bins

    probs = np.array([[0.95, 0.05], [0.15, 0.85], [0.75, 0.25], [0.35, 0.65]])
    bins = reliability_bins(probs, [0, 0, 0, 1], n_bins=5)
    fig, ax = plt.subplots()
    plots.plot_reliability(ax, bins)
    used = bins.count > 0
    over = int(np.sum(bins.confidence[used] > bins.accuracy[used]))
    assert f"in {over} of them the model is more confident than it is right" in _alt(ax)
    assert f"in {int(used.sum())} non-empty bins" in _alt(ax)


def test_panels_are_read_left_to_right() -> None:
    fig = plots.why_exp_figure()
    words = _alt(fig)
    assert words.index("Left:") < words.index("Right:")
    assert f"{scipy.special.softmax([1.0, 3.0, 2.0])[1]:.2f}" in words


def test_image_grids_name_every_title() -> None:
    from course_lib.lessons.datasets import digit_templates

    fig = plots.show_images(digit_templates()[:3], [0, 1, 2], n_cols=5)
    assert _alt(fig).endswith("titled in order: 0; 1; 2.")
