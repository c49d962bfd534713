"""A lesson's formulas are typeset in JupyterLab by its own MathJax 3.

JupyterLab 4 renders math by itself. The ``@jupyterlab/mathjax3-extension`` that
jupyterlab-rise pulls in was built for JupyterLab 3 and is disabled in the venv
(tools/jupyter_settings.py); this proves the lesson's math still renders without it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.jlab import open_notebook

pytestmark = pytest.mark.browser
LESSON = "notebooks/05_cross_entropy.ipynb"


def test_lesson_05_formulas_are_typeset_in_jupyterlab(lab, page) -> None:
    panel = open_notebook(page, lab.notebook_url(LESSON))
    typeset = panel.locator(".jp-MarkdownOutput mjx-container")
    expect(typeset.first).to_be_visible(timeout=60_000)
    # no formula is left as raw TeX: a rendered cell keeps no "$$" in its text
    assert typeset.count() >= 10
    raw = panel.locator(".jp-MarkdownOutput", has_text="$$")
    assert raw.count() == 0, raw.first.inner_text()[:300]
