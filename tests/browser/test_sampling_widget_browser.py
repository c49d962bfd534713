"""Lesson 08's sampling widget works for a person in JupyterLab.

Run the lesson, move the top-k, top-p and T sliders, and read the report it prints (the
text of course_lib.lessons.sampling.cutoff_report): top-k = 1 keeps one token, top-p = 0.5
keeps the two most likely characters after "t" ('h' and the space), and a cold temperature
puts all the probability on 'h'.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Locator, expect

from tests.browser.jlab import control, open_notebook, output_text, run_all, set_slider, widget_box

pytestmark = pytest.mark.browser


def _kept(text: str) -> tuple[int, float, float]:
    m = re.search(r"kept (\d+) of 29 tokens; entropy ([\d.]+) -> ([\d.]+) nats", text)
    if not m:
        raise ValueError("no summary line yet")
    return int(m.group(1)), float(m.group(2)), float(m.group(3))


def _wait_for(box: Locator, predicate, what: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        box.scroll_into_view_if_needed()  # JupyterLab may not render cells out of view
        text = output_text(box)
        try:
            if predicate(text):
                return text
        except (ValueError, AssertionError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"widget output never showed {what}; last text:\n{text}")


def test_cuts_and_temperature_move_the_next_character_distribution(lab, page) -> None:
    panel = open_notebook(page, lab.notebook_url("notebooks/08_language_model.ipynb"))
    run_all(page, panel)
    box = widget_box(panel, "top-k")
    expect(control(box, "widget-slider", "top-p")).to_be_visible()
    text = _wait_for(box, lambda s: _kept(s)[0] == 29, "all 29 tokens at the start")
    assert "top-k = off, top-p = off" in text

    set_slider(box, "top-k", 1)
    text = _wait_for(box, lambda s: _kept(s)[0] == 1, "top-k = 1 keeping one token")
    assert "'h'  0.310 -> 1.000" in text and _kept(text)[2] == 0.0

    set_slider(box, "top-k", 29)
    set_slider(box, "top-p", 0.5)
    text = _wait_for(box, lambda s: _kept(s)[0] == 2 and "top-k = off" in s, "the nucleus")
    assert "'h'  0.310 -> 0.616" in text and "' '  0.193 -> 0.384" in text

    set_slider(box, "top-p", 1)
    set_slider(box, "T", 0.01)
    text = _wait_for(box, lambda s: s.startswith("T = 0.010") and "top-p = off" in s, "T = 0.01")
    assert "'h'  1.000 -> 1.000" in text and _kept(text)[1] == 0.0
