"""The lesson widgets work by keyboard alone in JupyterLab, and say their new state in text.

A learner who does not use a mouse: after Run All, Escape (command mode), the arrow keys
walk from cell to cell to the widget's cell, Tab reaches each control, and the arrow keys
(Home, End, Page Up/Down too) move it. After every key the focus stays on the control, and
the widget's text readout (the report printed under it) states the new value with what it
means; the figure's alt text follows. The numbers read back are checked against scipy and
NumPy, not against course_lib.

Temperature (lesson 03), overflow (lesson 04) and sampling (lesson 08).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import scipy.special
from playwright.sync_api import Locator, Page, expect

from tests.browser.jlab import control, open_notebook, output_text, run_all, widget_box

pytestmark = pytest.mark.browser
NUMBER = r"[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|nan|inf)"
MAX_TABS = 10


def go_to_widget_cell(page: Page, panel: Locator, label: str) -> int:
    """From wherever the notebook is, walk with the arrow keys to the cell holding the widget.

    Returns the number of arrow presses. Command mode first (Escape), as a keyboard user does.
    """
    panel.locator(".jp-Notebook").first.focus()
    page.keyboard.press("Escape")
    cells = panel.locator(".jp-Notebook .jp-Cell")
    target = widget_box(panel, label)
    index = cells.evaluate_all(
        "(cells, label) => cells.findIndex(c => [...c.querySelectorAll('.widget-label')]"
        ".some(l => l.textContent.trim() === label))", label)
    assert index >= 0, f"no widget labelled {label!r}"
    presses = 0
    for _ in range(cells.count() + 1):
        active = cells.evaluate_all("cells => cells.findIndex(c => "
                                    "c.classList.contains('jp-mod-active'))")
        if active == index:
            break
        page.keyboard.press("ArrowDown" if active < index else "ArrowUp")
        presses += 1
    expect(cells.nth(index)).to_have_class(re.compile(r"\bjp-mod-active\b"))
    expect(target).to_be_attached()
    return presses


def tab_to(page: Page, handle: Locator, backwards: bool = False) -> int:
    """Press Tab (or Shift+Tab) until ``handle`` has the focus; return how many presses."""
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if handle.evaluate("e => e === document.activeElement"):
            return presses
    raise AssertionError(f"{MAX_TABS} presses of Tab never reached the control")


def slider_handle(box: Locator, label: str) -> Locator:
    return control(box, "widget-slider", label).locator(".noUi-handle")


def readout(box: Locator, label: str) -> Locator:
    return control(box, "widget-slider", label).locator(".widget-readout")


def press(page: Page, handle: Locator, key: str) -> None:
    """Press a key on the focused control; the focus must stay there (the output re-renders)."""
    page.keyboard.press(key)
    expect(handle).to_be_focused()


def report_shows(box: Locator, pattern: str) -> str:
    """Wait until the widget's text readout matches ``pattern`` (it lags the key a little)."""
    expect(box.locator(".widget-output").first).to_contain_text(
        re.compile(pattern, re.M), timeout=30_000)
    return output_text(box)


def figure_words(box: Locator) -> str:
    img = box.locator(".widget-output img").first
    expect(img).to_have_attribute("alt", re.compile(r"\w+( \w+){7,}"))
    return img.get_attribute("alt")


# --- lesson 03: temperature -----------------------------------------------------------------


def _probabilities(text: str) -> list[float]:
    line = next(ln for ln in text.splitlines() if ln.startswith("p = ["))
    return [float(v) for v in re.findall(NUMBER, line[4:])]


def _check_temperature(text: str, t_shown: str) -> None:
    t = float(re.search(r"^T = (" + NUMBER + ")", text, re.M).group(1))
    assert f"{t:.3f}" == t_shown, "the report and the slider's readout agree"
    expected = scipy.special.softmax(np.array([1.0, 3.0, 2.0]) / t)
    np.testing.assert_allclose(_probabilities(text), expected, atol=2e-3)
    entropy = float(re.search(r"entropy = (" + NUMBER + ")", text).group(1))
    assert entropy == pytest.approx(-np.sum(expected * np.log(np.maximum(expected, 1e-300))),
                                    abs=2e-3)


def test_temperature_widget_by_keyboard(lab, page) -> None:
    panel = open_notebook(page, lab.notebook_url("notebooks/03_softmax.ipynb"))
    run_all(page, panel)
    go_to_widget_cell(page, panel, "T")
    box = widget_box(panel, "T")
    handle = slider_handle(box, "T")
    assert tab_to(page, handle) <= 3, "the slider is among the first stops in its cell"
    report_shows(box, r"^T = 1\.000$")

    steps = [("ArrowRight", lambda t: t > 1.0), ("ArrowRight", lambda t: t > 1.02),
             ("ArrowLeft", lambda t: 1.0 < t < 1.03), ("End", lambda t: t == 20.0),
             ("Home", lambda t: t == 0.05), ("PageUp", lambda t: 0.05 < t < 0.06)]
    last = "1.000"
    for key, moved in steps:
        press(page, handle, key)
        expect(readout(box, "T")).not_to_have_text(last) if key != "ArrowLeft" else None
        expect(readout(box, "T")).to_have_text(re.compile(r"^\d+\.\d{3}$"))
        shown = readout(box, "T").inner_text().strip()
        text = report_shows(box, rf"^T = {re.escape(shown)}$")
        assert moved(float(shown)), f"{key} left T at {shown}"
        _check_temperature(text, shown)
        assert f"at T = {float(shown):.2f}" in figure_words(box)
        last = shown
    assert _probabilities(text)[1] == pytest.approx(1.0, abs=1e-3)  # cold: the one-hot


# --- lesson 04: overflow ----------------------------------------------------------------------


def _overflow_state(text: str) -> tuple[str, float, float, list[str], list[float]]:
    head = next(ln for ln in text.splitlines() if ln.startswith("dtype ="))
    dtype = re.search(r"dtype = (\w+)", head).group(1)
    threshold = float(re.search(r"overflow threshold = (" + NUMBER + ")", head).group(1))
    largest = float(re.search(r"largest logit = (" + NUMBER + ")", head).group(1))
    naive_line = next(ln for ln in text.splitlines() if ln.startswith("naive"))
    naive = re.findall(NUMBER, naive_line.split("[", 1)[1].split("]")[0])
    stable_line = next(ln for ln in text.splitlines() if ln.startswith("stable"))
    stable = [float(v) for v in re.findall(NUMBER, stable_line.split("[", 1)[1].split("]")[0])]
    return dtype, threshold, largest, naive, stable


def _check_overflow(text: str, dtype: str, magnitude: float | None = None) -> float:
    """Check the report against NumPy and scipy; ``magnitude=None`` takes the report's own."""
    shown, threshold, largest, naive, stable = _overflow_state(text)
    magnitude = largest if magnitude is None else magnitude
    assert shown == dtype
    assert threshold == pytest.approx(math.log(float(np.finfo(dtype).max)), abs=1e-3)
    assert largest == pytest.approx(magnitude, rel=1e-3)
    logits = (magnitude * np.array([1.0, 0.5, -1.0])).astype(dtype)
    with np.errstate(over="ignore"):
        overflows = not np.isfinite(np.exp(logits.astype(dtype))).all()
    assert (("nan" in naive) or ("inf" in naive)) is overflows
    expected = scipy.special.softmax(logits.astype(np.float64))
    np.testing.assert_allclose(stable, expected, atol=2e-3)
    return largest


def test_overflow_widget_by_keyboard(lab, page) -> None:
    panel = open_notebook(page, lab.notebook_url("notebooks/04_numerical_stability.ipynb"))
    run_all(page, panel)
    go_to_widget_cell(page, panel, "magnitude")
    box = widget_box(panel, "magnitude")
    magnitude, dtype = slider_handle(box, "magnitude"), slider_handle(box, "dtype")
    tab_to(page, magnitude)
    report_shows(box, r"^dtype = float32, .* largest logit = 10\.000$")

    press(page, magnitude, "End")  # 1e4: past every threshold
    text = report_shows(box, r"largest logit = 10000\.000$")
    _check_overflow(text, "float32", 1e4)
    assert "overflow!" in text

    tab_to(page, dtype)  # the next control, past the magnitude's readout
    press(page, dtype, "ArrowRight")
    expect(readout(box, "dtype")).to_have_text("float64")
    _check_overflow(report_shows(box, r"^dtype = float64,"), "float64", 1e4)
    press(page, dtype, "Home")
    expect(readout(box, "dtype")).to_have_text("float16")
    _check_overflow(report_shows(box, r"^dtype = float16,"), "float16", 1e4)

    tab_to(page, magnitude, backwards=True)
    press(page, magnitude, "Home")  # 1: safe everywhere
    text = report_shows(box, r"^dtype = float16, .* largest logit = 1\.000$")
    _check_overflow(text, "float16", 1.0)
    assert "overflow!" not in text
    assert "the naive softmax in float16 is safe" in figure_words(box)
    # across float16's threshold, 11.09, by keyboard: Page Up is 5 steps of 0.01 in log10
    for _ in range(20):
        press(page, magnitude, "PageUp")
    _check_overflow(report_shows(box, r"largest logit = 10\.000$"), "float16", 10.0)
    for _ in range(4):
        press(page, magnitude, "ArrowRight")
    text = report_shows(box, r"largest logit = 10\.9\d+$")  # 10 ** 1.04: just below
    largest = _check_overflow(text, "float16")
    expect(readout(box, "magnitude")).to_have_text(f"{largest:.1f}")
    assert "overflow!" not in text
    press(page, magnitude, "ArrowRight")
    text = report_shows(box, r"largest logit = 11\.2\d+$")  # 10 ** 1.05: just past
    largest = _check_overflow(text, "float16")
    expect(readout(box, "magnitude")).to_have_text(f"{largest:.1f}")
    assert "overflow!" in text and "overflows" in figure_words(box)


# --- lesson 08: sampling ----------------------------------------------------------------------


def _cutoff_state(text: str) -> tuple[list[float], list[float], int]:
    before, after = [], []
    for line in text.splitlines():
        m = re.match(r"^'.*'\s+(" + NUMBER + r") -> (" + NUMBER + ")", line)
        if m:
            before.append(float(m.group(1)))
            after.append(float(m.group(2)))
    kept = int(re.search(r"kept (\d+) of \d+ tokens", text).group(1))
    return before, after, kept


def _nucleus_size(probs: list[float], p: float) -> int:
    """Tokens kept by top-p: the most probable, until their total reaches p (ties kept)."""
    s = np.sort(np.array(probs))[::-1]
    before_each = np.cumsum(s) - s
    return int(np.sum(before_each < p - 1e-9))


def test_sampling_widget_by_keyboard(lab, page) -> None:
    panel = open_notebook(page, lab.notebook_url("notebooks/08_language_model.ipynb"))
    run_all(page, panel)
    go_to_widget_cell(page, panel, "top-k")
    box = widget_box(panel, "top-k")
    t, k, p = (slider_handle(box, name) for name in ("T", "top-k", "top-p"))
    box.scroll_into_view_if_needed()
    tab_to(page, t)
    tab_to(page, k)
    text = report_shows(box, r"^T = 1\.000, top-k = off, top-p = off$")
    n_tokens = len(_cutoff_state(text)[0])

    press(page, k, "Home")
    text = report_shows(box, r"top-k = 1, top-p = off$")
    before, after, kept = _cutoff_state(text)
    assert kept == 1 and after[0] == 1.0 and before[0] == max(before)
    press(page, k, "ArrowRight")
    text = report_shows(box, r"top-k = 2, ")
    assert _cutoff_state(text)[2] == 2
    press(page, k, "End")
    report_shows(box, r"top-k = off, top-p = off$")

    tab_to(page, p)
    for _ in range(10):  # each Page Down: 5 steps of 0.01
        press(page, p, "PageDown")
    text = report_shows(box, r"top-k = off, top-p = 0\.50$")
    before, after, kept = _cutoff_state(text)
    assert kept == _nucleus_size(before, 0.5)
    assert sum(after) == pytest.approx(1.0, abs=0.01)
    assert f"{kept} tokens keep a probability" in figure_words(box)

    tab_to(page, t, backwards=True)
    press(page, t, "Home")  # T = 0.01: the most likely token takes it all
    text = report_shows(box, r"^T = 0\.010, top-k = off, top-p = 0\.50$")
    before, after, kept = _cutoff_state(text)
    assert kept == 1 and before[0] == pytest.approx(1.0, abs=1e-3)
    assert len(before) == n_tokens


# --- figures: JupyterLab shows a lesson's stored figures with their words ------------------


def test_stored_figures_show_with_their_words_in_jupyterlab(lab, page) -> None:
    """Opened, not run (so not trusted): each figure is an image with the notebook's words."""
    import html as html_lib

    import nbformat

    name = "05_cross_entropy.ipynb"
    nb = nbformat.read(lab.root / "notebooks" / name, as_version=4)
    words = [html_lib.unescape(m) for c in nb.cells if c.cell_type == "code"
             for o in c.outputs for m in re.findall(r'alt="([^"]*)"', o.get("data", {})
                                                    .get("text/html", ""))]
    assert len(words) >= 3
    panel = open_notebook(page, lab.notebook_url(f"notebooks/{name}"))
    images = panel.locator(".jp-OutputArea-output img")
    # JupyterLab renders a long notebook's cells a few at a time after it opens
    expect(images).to_have_count(len(words), timeout=60_000)
    for i, alt in enumerate(words):
        img = images.nth(i)
        img.scroll_into_view_if_needed()
        expect(img).to_have_attribute("alt", alt)
        expect(img).to_be_visible()
        assert img.evaluate("e => e.complete && e.naturalWidth > 0"), "the figure is drawn"
