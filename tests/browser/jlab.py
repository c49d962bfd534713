"""Driving JupyterLab the way a learner does: open a notebook, run all, move a widget.

Selectors are those of JupyterLab 4 and ipywidgets 8 (see shared notes on browser testing).
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

RUN_ALL_TIMEOUT = 90_000  # ms: a lesson with plots runs in a few seconds; the kernel starts first


def open_notebook(page: Page, url: str) -> Locator:
    """Open a notebook and wait for an idle kernel; return the visible notebook panel."""
    page.goto(url)
    panel = page.locator(".jp-NotebookPanel:visible")
    expect(panel).to_have_count(1, timeout=60_000)
    expect(page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first).to_be_visible(
        timeout=60_000
    )
    return panel


def run_all(page: Page, panel: Locator) -> None:
    """Menu Run > Run All Cells, then wait until no cell is queued or running."""
    page.locator(".lm-MenuBar-itemLabel:text-is('Run')").click()
    page.locator(".lm-Menu-itemLabel:text-is('Run All Cells')").click()
    prompts = panel.locator(".jp-InputArea-prompt")
    expect(prompts.filter(has_text="[*]")).to_have_count(0, timeout=RUN_ALL_TIMEOUT)
    # every code cell got an execution number
    expect(panel.locator(".jp-CodeCell .jp-InputArea-prompt", has_text=re.compile(r"\[\s*\]"))
           ).to_have_count(0, timeout=RUN_ALL_TIMEOUT)
    expect(page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first).to_be_visible(
        timeout=RUN_ALL_TIMEOUT
    )


def widget_box(panel: Locator, label: str) -> Locator:
    """The first widget output area that holds a control labelled ``label``."""
    return panel.locator(".jp-OutputArea-output", has=panel.page.locator(
        ".widget-label", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")
    )).first


def control(box: Locator, kind: str, label: str) -> Locator:
    """A control (``widget-slider``, ``widget-dropdown``, ``widget-text``) by its label."""
    return box.locator(f".{kind}", has=box.page.locator(
        ".widget-label", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")
    )).first


def set_slider(box: Locator, label: str, value: float) -> None:
    """Type a value into a slider's readout, as a person can, and press Enter."""
    readout = control(box, "widget-slider", label).locator(".widget-readout")
    readout.click()
    readout.fill(f"{value:g}")
    readout.press("Enter")


def output_text(box: Locator) -> str:
    """What the widget's output shows; scrolled into view first, as a person would (JupyterLab
    does not lay out cells far off screen, and text that is not laid out reads as empty)."""
    out = box.locator(".widget-output").first
    out.scroll_into_view_if_needed()
    return out.inner_text()
