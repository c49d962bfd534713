"""Facts about the three float types the lessons compare, shared by the figures and widgets.

Both :mod:`course_lib.lessons.plots` (the overflow figure) and
:mod:`course_lib.lessons.widgets` (the overflow report) need them; keeping them here lets
``widgets`` import ``plots`` and never the other way round.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DTYPES", "overflow_threshold"]

#: The float types of the overflow demo, narrowest first.
DTYPES = ("float16", "float32", "float64")


def overflow_threshold(dtype: str) -> float:
    """The largest ``x`` whose ``exp(x)`` is finite in ``dtype``: ``log(finfo(dtype).max)``.

    Parameters
    ----------
    dtype : str
        One of :data:`DTYPES`.

    Returns
    -------
    float
        The threshold, computed in float64.

    Examples
    --------
    >>> [round(overflow_threshold(d), 2) for d in DTYPES]
    [11.09, 88.72, 709.78]
    """
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    return float(np.log(np.float64(np.finfo(dtype).max)))
