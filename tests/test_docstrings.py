"""Every example in a course_lib docstring runs and prints what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import course_lib

# walk_packages, not iter_modules: the subpackages (lessons/, grading/) have examples too
NUMPY_DEFAULTS = {"precision": 8, "threshold": 1000, "edgeitems": 3, "linewidth": 75,
                  "suppress": False, "nanstr": "nan", "infstr": "inf", "sign": "-",
                  "floatmode": "maxprec", "legacy": False}
MODULES = sorted(m.name for m in pkgutil.walk_packages(course_lib.__path__, "course_lib."))


@pytest.mark.parametrize("name", ["course_lib", *MODULES])
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    # the examples print with NumPy's defaults, whatever an earlier test in this worker set
    # (IPython's `%precision 3`, run in-process by test_as_graded, changes them globally)
    with np.printoptions(**NUMPY_DEFAULTS):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_public_functions_have_examples() -> None:
    for name in course_lib.__all__:
        doc = getattr(course_lib, name).__doc__ or ""
        assert "Examples" in doc and ">>>" in doc, f"{name} has no runnable example"
