"""What passes in the notebook passes in the grader: the check cell runs an answer the way
grading will (its cell alone, NumPy and the standard library only) and says so in words.

The unit tests drive IPython's own shell, cell by cell, as a notebook does. The end-to-end
test executes a real notebook in a real kernel (nbclient), then grades the same notebook
with the grader, and requires the two to agree on every answer.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell

from course_lib.grading import as_graded
from course_lib.grading.grader import grade

GOOD = "def my_max(x, axis=-1):\n    return np.max(x, axis=axis)"


@pytest.fixture
def shell(capsys):
    """IPython's shell; ``run(cell)`` runs one cell and returns what it printed."""
    sh = InteractiveShell.instance()

    def run(cell: str) -> str:
        capsys.readouterr()
        result = sh.run_cell(cell, store_history=True)  # as a kernel does
        assert result.error_in_exec is None, result.error_in_exec
        return capsys.readouterr().out

    run("import numpy as np\nfrom course_lib.grading import check")
    with np.printoptions():  # the shell runs in this process: `%precision` would outlive it
        yield run
    InteractiveShell.clear_instance()


def test_a_clean_answer_is_checked_as_before(shell) -> None:
    shell(GOOD)
    out = shell("r = check('max', my_max, seed=0)")
    assert re.match(r"max: all \d+ visible cases passed", out)
    assert "When graded" not in out


def test_a_helper_from_another_cell_is_named(shell) -> None:
    shell("def helper(x, axis):\n    return np.max(x, axis=axis)")
    shell("def my_max(x, axis=-1):\n    return helper(x, axis)")
    out = shell("r = check('max', my_max, seed=0)\nprint(r.passed)")
    assert "NameError: name 'helper' is not defined" in out
    assert "`helper` is not defined where your answer runs" in out
    assert out.rstrip().endswith("False")


def test_a_variable_from_another_cell_is_named(shell) -> None:
    shell("AXIS = -1")
    shell("def my_max(x, axis=AXIS):\n    return np.max(x, axis=axis)")
    out = shell("r = check('max', my_max, seed=0)")
    assert "its cell stops at line 1 with NameError: name 'AXIS' is not defined" in out
    assert "`AXIS` comes from another cell" in out


@pytest.mark.parametrize("where", ["top", "inside"])
@pytest.mark.parametrize("module", ["scipy", "course_lib"])
def test_an_import_grading_cannot_do_is_named(shell, where, module) -> None:
    body = "np.max(x, axis=axis)"
    if where == "top":
        cell = f"import {module}\n\ndef my_max(x, axis=-1):\n    return {body}"
    else:
        cell = f"def my_max(x, axis=-1):\n    import {module}\n    return {body}"
    shell(cell)
    out = shell("r = check('max', my_max, seed=0)\nprint(r.passed, r.score)")
    assert f"No module named '{module}' (grading has only NumPy" in out
    assert out.rstrip().endswith("False 0.0")
    if where == "top":
        assert "would score 0 when graded" in out


def test_numpy_and_the_standard_library_are_fine(shell) -> None:
    shell("import math\nimport numpy\n\ndef my_max(x, axis=-1):\n"
          "    assert math.inf > 0\n    return numpy.max(x, axis=axis)")
    out = shell("r = check('max', my_max, seed=0)")
    assert re.search(r"all \d+ visible cases passed", out) and "When graded" not in out


def test_a_check_call_inside_the_answer_cell_is_named(shell) -> None:
    out = shell(GOOD + "\nr = check('max', my_max, seed=0)")
    assert "would score 0 when graded" in out
    assert "NameError: name 'check' is not defined" in out


def test_a_renamed_function_is_named(shell) -> None:
    shell("def f(x, axis=-1):\n    return np.max(x, axis=axis)")
    out = shell("r = check('max', f, seed=0)")
    assert "grading looks for a function named `my_max`" in out


def test_magics_in_the_answer_cell_are_named(shell) -> None:
    shell("%precision 3\n" + GOOD)
    out = shell("r = check('max', my_max, seed=0)")
    assert "IPython commands" in out


def test_another_answer_cell_of_the_notebook_is_available(shell) -> None:
    # answer cells of one notebook share a namespace when graded, in order
    shell("def my_argmax(x, axis=-1):\n    return np.argmax(x, axis=axis)\n\n"
          "def _first(labels):\n    return np.asarray(labels)")
    shell("def my_one_hot(labels, num_classes):\n"
          "    return np.eye(num_classes)[_first(labels)]")
    out = shell("r = check('one_hot', my_one_hot, seed=0)")
    assert "visible cases passed" in out and "When graded" not in out


def test_the_cell_is_not_run_twice_in_the_learners_namespace(shell) -> None:
    shell("COUNT = [0]")
    shell("def my_max(x, axis=-1):\n    return np.max(x, axis=axis)\nprint('defined')")
    shell("r = check('max', my_max, seed=0)")
    out = shell("print(COUNT)")
    assert out.strip() == "[0]"


def test_outside_a_notebook_the_function_is_used_as_it_is() -> None:
    def f(x):
        return helper(x)  # noqa: F821 - never defined: checked as it is, not re-run

    prepared = as_graded.prepare(f, "f", ())
    assert prepared.fn is f and prepared.notes == [] and prepared.fatal is None


def test_foreign_imports_and_free_names() -> None:
    assert as_graded.foreign_imports("import os, numpy.linalg\nfrom . import x\n"
                                     "from sklearn import svm") == [".", "sklearn"]

    def g(x):
        import math

        return helper(math.pi + np.max(x))  # noqa: F821

    assert as_graded.free_names(g) == {"helper", "np"}


# --- end to end: a real kernel, then the grader, on the same notebook ----------------------

CELLS = {  # exercise id -> answer cell; the cell before it is an ordinary notebook cell
    "max": ("def helper(x, axis):\n    return np.max(x, axis=axis)",
            "def my_max(x, axis=-1):\n    return helper(x, axis)"),
    "argmax": ("", "def my_argmax(x, axis=-1):\n    try:\n        import scipy  # noqa\n"
                   "    except ImportError:\n        pass\n"
                   "    return np.argmax(x, axis=axis)"),
    "one_hot": ("", "def my_one_hot(labels, num_classes):\n"
                    "    return np.eye(num_classes)[np.asarray(labels)]"),
}


def _notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells.append(nbformat.v4.new_code_cell("import numpy as np\n"
                                              "from course_lib.grading import check"))
    for ex_id, (before, answer) in CELLS.items():
        if before:
            nb.cells.append(nbformat.v4.new_code_cell(before))
        cell = nbformat.v4.new_code_cell(answer)
        cell.metadata["tags"] = [f"answer:{ex_id}"]
        nb.cells.append(cell)
        fn = re.search(r"def (my_\w+)", answer).group(1)
        nb.cells.append(nbformat.v4.new_code_cell(
            f"result = check({ex_id!r}, {fn}, seed=0)\nprint('PASSED', result.passed)"))
    nbformat.write(nb, path)
    return path


def test_the_check_and_the_grader_agree(tmp_path) -> None:
    from course_lib.grading.kernels import run_notebook

    (tmp_path / "ada").mkdir()
    path = _notebook(tmp_path / "ada" / "ex02_argmax_one_hot.ipynb")
    nb = nbformat.read(path, as_version=4)
    run_notebook(nb, tmp_path, timeout=120)
    printed = {}
    for cell in nb.cells:
        m = re.match(r"result = check\('(\w+)'", cell.source)
        if m:
            printed[m.group(1)] = "".join(o.get("text", "") for o in cell.outputs)
    assert "PASSED False" in printed["max"] and "`helper` is not defined" in printed["max"]
    assert "PASSED True" in printed["one_hot"]
    # the scipy import fails quietly when graded: the check names it and still passes
    assert "PASSED True" in printed["argmax"] and "imports `scipy`" in printed["argmax"]
    [result] = grade([tmp_path / "ada"], tmp_path / "out", student="ada", progress=False)
    for ex_id, text in printed.items():
        assert (result.scores.get(ex_id, 0.0) == 1.0) == ("PASSED True" in text), (
            ex_id, result.messages.get(ex_id), text)
