"""Input checks shared by every course_lib function, with errors a learner can act on.

Every public function turns its input into an array with :func:`as_float_array`, checks the
axis with :func:`check_axis` and, for functions that reduce along an axis, refuses an empty
slice with :func:`require_nonempty`. Keeping the wording in one place keeps it consistent.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.exceptions import AxisError
from numpy.lib.array_utils import normalize_axis_index

__all__ = [
    "AxisError",
    "as_float_array",
    "check_axis",
    "check_temperature",
    "require_nonempty",
]


def as_float_array(x: Any, name: str = "x", func: str = "this function") -> np.ndarray:
    """Return ``x`` as a floating-point array without copying when it already is one.

    Integers and booleans become float64; float16, float32 and float64 (and longdouble) keep
    their dtype (in the machine's byte order: a byte-swapped array is converted). Complex
    and object arrays are refused with ``TypeError``: complex numbers
    have no order, and an object array may hold anything (convert one that holds numbers
    with ``np.asarray(x, dtype=float)``). The caller must never write into the result: it
    may be the caller's array.
    """
    try:
        a = np.asarray(x)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(
            f"{func} needs {name} to be a rectangular array of numbers; "
            f"NumPy could not make one from it ({exc})"
        ) from None
    kind = a.dtype.kind
    if kind == "f":
        return a if a.dtype.isnative else a.astype(a.dtype.newbyteorder("="))
    if kind in "biu":
        return a.astype(np.float64)
    why = {
        "c": " (complex numbers have no order, so no maximum)",
        "O": (" (an object array; if it holds numbers, convert it first with "
              f"np.asarray({name}, dtype=float))"),
    }
    raise TypeError(
        f"{func} needs {name} to hold real numbers, but it has dtype {a.dtype}"
        + why.get(kind, "")
    )


_INTEGERS = (int, np.integer)


def check_axis(
    a: np.ndarray, axis: Any, func: str = "this function", several: bool = False
) -> int:
    """Return ``axis`` as a non-negative int; numpy's ``AxisError`` if the array lacks it.

    ``several=True`` is for functions that also take a tuple of axes or ``None`` (the
    softmax family): their messages say so.
    """
    if type(axis) is not int and (isinstance(axis, bool) or not isinstance(axis, _INTEGERS)):
        kinds = ("an integer such as -1 or 0, a tuple of integers, or None (the whole array)"
                 if several else "a single integer such as -1 or 0")
        raise TypeError(f"{func} needs axis to be {kinds}, got {axis!r}")
    if a.ndim == 0:
        raise AxisError(
            f"axis {axis} is out of bounds: {func} needs at least a 1-D array, "
            f"but got a single number ({a!r}); wrap it in a list"
            + (", or pass axis=None" if several else "")
        )
    return normalize_axis_index(int(axis), a.ndim)


def require_nonempty(a: np.ndarray, axis: int, func: str = "this function") -> None:
    """Raise a learner-friendly ``ValueError`` if the slices along ``axis`` are empty."""
    if a.shape[axis] == 0:
        raise ValueError(
            f"{func} got an empty slice: axis {axis} of the input (shape {a.shape}) has length 0. "
            "With no values there is no maximum and no distribution to compute."
        )


def check_temperature(temperature: Any) -> float:
    """Return the temperature as a float, or raise ``ValueError`` unless finite and > 0."""
    try:
        t = float(temperature)
    except (TypeError, ValueError):
        raise ValueError(
            f"temperature must be a number greater than 0, got {temperature!r}"
        ) from None
    if not (math.isfinite(t) and t > 0):
        raise ValueError(
            f"temperature must be finite and greater than 0, got {temperature!r}: "
            "small T sharpens the distribution, large T flattens it, and T <= 0 has no meaning"
        )
    return t
