"""The widgets work for a person in JupyterLab: run the lesson, move the control, read it.

Lesson 03: raising the temperature flattens the probabilities, lowering it sharpens them.
Lesson 04: float16 past its overflow threshold breaks the naive softmax (inf/nan shown)
while the stable one stays a distribution. An exercise notebook's check cell answers.
The texts parsed here follow the contract of course_lib.lessons.widgets (temperature_report,
overflow_report).
"""

from __future__ import annotations

import math
import re
import time

import pytest
from playwright.sync_api import Locator, expect

from tests.browser.jlab import (
    control,
    open_notebook,
    output_text,
    run_all,
    set_slider,
    widget_box,
)

pytestmark = pytest.mark.browser
NUMBER = r"[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|nan|inf)"


def _numbers(line: str) -> list[float]:
    return [float(v) for v in re.findall(NUMBER, line.split("=", 1)[1].split("]")[0])]


def _line(text: str, start: str) -> str:
    for line in text.splitlines():
        if line.strip().startswith(start):
            return line.strip()
    raise AssertionError(f"no line starting with {start!r} in widget output:\n{text}")


def _wait_for(box: Locator, predicate, what: str, timeout: float = 20.0) -> str:
    """The widget output updates after the slider moves: poll until it shows the new state."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        box.scroll_into_view_if_needed()  # JupyterLab may not render cells out of view
        text = output_text(box)
        try:
            if predicate(text):
                return text
        except (AssertionError, ValueError, IndexError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"widget output never showed {what}; last text:\n{text}")


def _temperature_state(text: str) -> tuple[float, list[float], float]:
    t = float(re.search(r"T = (" + NUMBER + ")", text).group(1))
    p = _numbers(_line(text, "p ="))
    entropy = float(re.search(r"entropy = (" + NUMBER + ")", text).group(1))
    return t, p, entropy


def test_temperature_slider_flattens_and_sharpens(lab, page) -> None:
    panel = open_notebook(page, lab.notebook_url("notebooks/03_softmax.ipynb"))
    run_all(page, panel)
    box = widget_box(panel, "T")
    expect(control(box, "widget-slider", "T")).to_be_visible()
    t0, p0, h0 = _temperature_state(_wait_for(box, lambda s: "p = [" in s, "probabilities"))
    assert math.isclose(sum(p0), 1.0, abs_tol=0.01)

    set_slider(box, "T", 10)
    text = _wait_for(box, lambda s: _temperature_state(s)[0] > 5, "T near 10")
    t_hot, p_hot, h_hot = _temperature_state(text)
    assert max(p_hot) < max(p0) and h_hot > h0  # flatter
    assert max(p_hot) - min(p_hot) < max(p0) - min(p0)

    set_slider(box, "T", 0.1)
    text = _wait_for(box, lambda s: _temperature_state(s)[0] < 0.2, "T near 0.1")
    t_cold, p_cold, h_cold = _temperature_state(text)
    assert max(p_cold) > max(p0) and h_cold < h0  # sharper, towards the one-hot
    assert p_cold.index(max(p_cold)) == p0.index(max(p0))  # the same class wins
    assert not re.search(r"entropy = -", text)  # never "-0.000 nats"

    # a nan typed into the logits box is named, not turned into p = [nan, nan, nan]
    logits_box = control(box, "widget-text", "logits").locator("input")
    logits_box.fill("1, nan, 2")
    logits_box.press("Enter")
    text = _wait_for(box, lambda s: "not a number" in s, "the nan message")
    assert "logit number 2" in text and "p = [" not in text


def test_overflow_widget_float16(lab, page) -> None:
    panel = open_notebook(page, lab.notebook_url("notebooks/04_numerical_stability.ipynb"))
    run_all(page, panel)
    box = widget_box(panel, "magnitude")
    dtype = control(box, "widget-slider", "dtype").locator(".noUi-handle")
    dtype.focus()
    dtype.press("Home")  # the narrowest type: float16
    expect(control(box, "widget-slider", "dtype").locator(".widget-readout")).to_have_text(
        "float16")
    set_slider(box, "magnitude", 20)

    def broken(text: str) -> bool:
        head = _line(text, "dtype =")
        largest = float(re.search(r"largest logit = (" + NUMBER + ")", head).group(1))
        return "float16" in head and largest > 11.09

    text = _wait_for(box, broken, "float16 past its threshold")
    threshold = float(re.search(r"overflow threshold = (" + NUMBER + ")", text).group(1))
    assert threshold == pytest.approx(11.09, abs=0.01)
    naive = _line(text, "naive")
    assert "nan" in naive or "inf" in naive
    stable = _numbers(_line(text, "stable"))
    assert all(math.isfinite(v) and 0 <= v <= 1 for v in stable)
    assert sum(stable) == pytest.approx(1.0, abs=0.01)
    assert "sum = 1.000" in _line(text, "stable")


def test_exercise_check_cell_answers(lab, page) -> None:
    exercises = sorted((lab.root / "exercises").glob("ex*.ipynb"))
    if not exercises:
        pytest.fail("no exercise notebooks found under exercises/")
    panel = open_notebook(page, lab.notebook_url(f"exercises/{exercises[0].name}"))
    run_all(page, panel)
    # every check of an untouched exercise notebook says so, in words, not a traceback
    expect(panel.locator(".jp-OutputArea-output", has_text="not implemented yet").first
           ).to_be_visible()
    expect(panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                         has_text="Traceback")).to_have_count(0)
