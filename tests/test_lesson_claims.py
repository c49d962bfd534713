"""What the lessons say in prose agrees with what they compute, and with each other.

Numbers in a markdown cell cannot be checked by nbval, so the ones that once went wrong are
pinned here: lesson 04's float16 sum, lesson 06's calibration (against its own outputs and
lesson 07's measurement of the same model), lesson 06's batch-size sentence, and the parts
of lessons 05 and 06 a first reading may skip (marked in the lesson, named in lesson 00).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_lib import naive_softmax, softmax

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SKIP = "> **First reading:** you may skip this section"


def _cells(name: str) -> dict[str, nbformat.NotebookNode]:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    return {c.get("id"): c for c in nb.cells}


def _outputs(name: str) -> str:
    return "\n".join(o.get("text", "") for c in _cells(name).values()
                     if c.cell_type == "code" for o in c.outputs)


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_lesson_04_float16_sum_is_of_the_stored_values() -> None:
    text = _words(_cells("04_numerical_stability.ipynb")["5b129095"].source)
    x = np.array([10.0, 5.0, -10.0], dtype=np.float16)
    e = np.exp(x)  # float16 rounds each exponential ...
    assert e.dtype == np.float16 and float(e[0]) == 22032.0 and float(e[1]) == 148.375
    assert float(e.sum()) == 22176.0  # ... and the sum of those stored values
    assert float(e[0]) + float(e[1]) + float(e[2]) == pytest.approx(22180.375, abs=1e-3)
    assert float(naive_softmax(x)[0]) == pytest.approx(0.99365, abs=1e-5)
    assert float(softmax(x)[0]) == pytest.approx(0.99316, abs=1e-5)
    assert 22032 / 22176 == pytest.approx(0.993506, abs=1e-6)
    for said in ("$e^{10} = 22026.47$ is stored as 22032", "$e^{5} = 148.41$ as 148.375",
                 "$22032 + 148.375 + 0.0000454 = 22180.375$", "is stored as 22176",
                 "$22032 / 22176 = 0.993506$, is stored as 0.99365"):
        assert said in text, said
    assert "22026.5 + 148.4" not in text


def _percent(text: str, label: str) -> float:
    return float(re.search(label + r"\s*(\d+\.\d)%", text).group(1))


def test_lesson_06_calibration_numbers_are_its_own_outputs() -> None:
    out = _words(_outputs("06_training_a_classifier.ipynb"))
    twin = out[out.index("twin [64, 128, 10]"):]
    accuracy = _percent(twin, r"test: loss \d\.\d+, accuracy")
    confidence = _percent(twin, "mean confidence")
    assert (accuracy, confidence) == (88.4, 86.4)
    assert "the twin's 58 mistakes make 70% of its test loss" in out
    real = re.search(r"NumPy twin \[64, 128, 10\] \(SGD\)\s+[\d.]+\s+[\d.]+\s+([\d.]+)%\s+"
                     r"([\d.]+)%", out)
    assert real.groups() == ("96.4", "96.0")
    linear = re.findall(r"(?:\(GD\)|LogisticRegression)\s+[\d.]+\s+[\d.]+\s+([\d.]+)%\s+([\d.]+)%",
                        out)
    assert linear == [("95.5", "89.9"), ("95.5", "89.9")]
    cells = _cells("06_training_a_classifier.ipynb")
    prose = {k: _words(cells[k].source) for k in ("06-023", "6339bec4", "06-031")}
    assert "58 of the 500 test images, which make 70 % of it" in prose["06-023"]
    assert "86.4 % on average, is close to its accuracy, 88.4 %" in prose["06-023"]
    assert "mean confidence (96.0 %) matches its accuracy (96.4 %)" in prose["6339bec4"]
    assert "(89.9 % for both, against 95.5 %)" in prose["6339bec4"]
    assert "mean confidence (86.4 %) is close to its accuracy (88.4 %)" in prose["06-031"]
    whole = " ".join(_words(c.source) for c in cells.values() if c.cell_type == "markdown")
    assert "over-confident on new images" not in whole
    assert "measures it and repairs it" not in whole and "measures and repairs" not in whole


def test_lessons_06_and_07_agree_on_the_same_model() -> None:
    out7 = _outputs("07_softmax_in_the_wild.ipynb")
    assert "test accuracy: 88.4%" in out7 and "mean confidence: 0.864" in out7
    assert "lesson 06's twin: T = 0.884" in out7  # fitted T < 1: slightly under-confident
    text7 = _words(_cells("07_softmax_in_the_wild.ipynb")["07-018"].source)
    assert "slightly under-confident" in text7
    text6 = _words(_cells("06_training_a_classifier.ipynb")["06-023"].source)
    assert "close to calibrated, slightly under-confident" in text6


def test_lesson_06_does_not_say_sgd_ignores_the_batch_size() -> None:
    text = _words(_cells("06_training_a_classifier.ipynb")["06-020"].source)
    assert "learning rate does not depend on the batch size" not in text
    assert "its size does not grow with the batch as a sum's would" in text
    assert "That does not make SGD indifferent to the batch size" in text


SKIPPABLE = {"05_cross_entropy.ipynb": ("## 9.", "## 10.", "## 11."),
             "06_training_a_classifier.ipynb": ("## 1.", "## 5.")}


@pytest.mark.parametrize("name", sorted(SKIPPABLE))
def test_the_parts_a_first_reading_may_skip_are_marked(name) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    marked, lines = [], []
    for c in nb.cells:  # the prose as a reader meets it (a heading may be a cell of its own)
        if c.cell_type == "markdown" and "key-points" not in c.metadata.get("tags", []):
            lines += c.source.splitlines() + [""]
    for i, line in enumerate(lines):
        if line.startswith("## ") and i + 2 < len(lines) and lines[i + 2].startswith(SKIP):
            marked.append(line.split(" ")[1])
    assert tuple(f"## {m}" for m in marked) == SKIPPABLE[name]
    start = _words(_cells("00_start_here.ipynb")["cell-10"].source)
    assert "On a first reading you may skip the sections marked" in start
    assert "in lesson 05, sections 9 to 11" in start and "in lesson 06, sections 1 and 5" in start
