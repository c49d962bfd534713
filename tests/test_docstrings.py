"""Every example in a course_lib docstring runs and prints what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import course_lib

# walk_packages, not iter_modules: the subpackages (lessons/, grading/) have examples too
MODULES = sorted(m.name for m in pkgutil.walk_packages(course_lib.__path__, "course_lib."))


@pytest.mark.parametrize("name", ["course_lib", *MODULES])
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    old = np.get_printoptions()
    try:
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    finally:
        np.set_printoptions(**old)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_public_functions_have_examples() -> None:
    for name in course_lib.__all__:
        doc = getattr(course_lib, name).__doc__ or ""
        assert "Examples" in doc and ">>>" in doc, f"{name} has no runnable example"
