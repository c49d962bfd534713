"""What ``axis`` and ``where`` mean for the softmax family, in one place.

The reference functions of :mod:`course_lib.functions` work along one axis. Two conventions
of the ecosystem are translated to that here:

* SciPy's ``axis``: an int, a tuple of ints, or ``None`` (every axis). The axes named
  together hold *one* slice: ``softmax(x, axis=None)`` is one distribution over the whole
  array, ``softmax(x, axis=(1, 2))`` one per index of axis 0. :func:`slices` moves those
  axes to the end and merges them into one (a view when the array's memory allows, else a
  copy), and :meth:`Slices.full` / :meth:`Slices.reduced` put a result back in the caller's
  layout. ``axis=()`` names no axis: every entry is a slice of its own.
* JAX's ``where``: a boolean mask, broadcast to the input, ``True`` for the entries that
  take part. :func:`check_where` reads it; :func:`course_lib.functions.blocks` applies it.

>>> import numpy as np
>>> s = slices(np.zeros((2, 3, 4)), (0, 2), "softmax")
>>> s.a.shape, s.axis  # the two named axes merged into the last one
((3, 8), 1)
>>> s.full(s.a).shape, s.reduced(s.a[:, :1], keepdims=True).shape
((2, 3, 4), (1, 3, 1))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.exceptions import AxisError

from course_lib._validation import check_axis, require_nonempty

__all__ = ["Slices", "check_where", "slices"]


@dataclass(slots=True)
class Slices:
    """An input seen as slices along one axis, and how to put results back."""

    a: np.ndarray  # the input; every slice lies along ``axis``
    axis: int
    where: np.ndarray | None  # the mask in the layout of ``a`` (bool), or None
    shape: tuple[int, ...]  # the caller's shape
    merged: tuple[int, ...] | None  # the caller's axes merged into the last one, or None

    def full(self, out: np.ndarray, nothing_taken: float = np.nan) -> np.ndarray:
        """A result of the shape of ``a``, in the caller's layout, with ``nothing_taken`` on
        the slices where the mask takes no entry (JAX's 0 for softmax, ``-inf`` for its log,
        where the rule for an all ``-inf`` slice would give NaN)."""
        if self.where is not None:
            np.copyto(out, nothing_taken, where=~self.where.any(axis=self.axis, keepdims=True))
        if self.merged is None:
            return out
        kept = [n for i, n in enumerate(self.shape) if i not in self.merged]
        moved = out.reshape(kept + [self.shape[i] for i in self.merged])
        k, nd = len(self.merged), len(self.shape)
        return np.moveaxis(moved, range(nd - k, nd), self.merged)

    def reduced(self, out: np.ndarray, keepdims: bool) -> np.ndarray:
        """A reduction (the shape of ``a`` with ``axis`` of length 1), in the caller's layout:
        the reduced axes kept with length 1, or dropped."""
        if self.merged is None:
            return out if keepdims else np.squeeze(out, axis=self.axis)
        if keepdims:
            return out.reshape([1 if i in self.merged else n for i, n in enumerate(self.shape)])
        return out.reshape([n for i, n in enumerate(self.shape) if i not in self.merged])


def slices(a: np.ndarray, axis: Any, func: str, where: Any = None) -> Slices:
    """``a`` (and the mask ``where``) seen as slices along one axis; see the module's text.

    An int axis is used as it is. ``None`` or a tuple of ints is checked as NumPy checks it
    (``AxisError`` out of range, ``ValueError`` when an axis repeats) and merged. A mask is
    checked by :func:`check_where`.
    """
    merged = None
    if axis is None or isinstance(axis, tuple):
        merged = _check_axes(a, axis, func)
        if len(merged) == 1:  # one axis in a tuple: the ordinary case
            ax, merged = merged[0], None
    else:
        ax = check_axis(a, axis, func, several=True)
    if merged is None:
        require_nonempty(a, ax, func)
        arr = a
    else:
        arr = _merge(a, merged)
        ax = arr.ndim - 1
        if arr.shape[ax] == 0:
            what = "the whole array" if axis is None else f"the axes {axis}"
            raise ValueError(
                f"{func} got an empty slice: {what} of the input (shape {a.shape}) hold no "
                "entries. With no values there is no maximum and no distribution to compute."
            )
    mask = None
    if where is not None:
        mask = np.broadcast_to(check_where(where, a.shape, func), a.shape)
        if merged is not None:
            mask = _merge(mask, merged)
    return Slices(arr, ax, mask, a.shape, merged)


def _check_axes(a: np.ndarray, axis: tuple | None, func: str) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(a.ndim))
    for v in axis:
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            raise TypeError(f"{func} needs the axes in a tuple to be integers, got {axis!r}")
    out = []
    for v in axis:
        if not -a.ndim <= v < a.ndim:
            raise AxisError(
                f"axis {v} is out of bounds for an array of dimension {a.ndim} "
                f"(shape {a.shape}): {func} got axis={axis!r}"
            )
        out.append(int(v) % a.ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{func} got a repeated axis in axis={axis!r}: name each axis once")
    return tuple(out)


def _merge(a: np.ndarray, merged: tuple[int, ...]) -> np.ndarray:
    """``a`` with the axes ``merged`` moved to the end, in the given order, and made one."""
    nd, k = a.ndim, len(merged)
    kept = [n for i, n in enumerate(a.shape) if i not in merged]
    n = math.prod(a.shape[i] for i in merged)
    return np.moveaxis(a, merged, range(nd - k, nd)).reshape(kept + [n])


def check_where(where: Any, shape: tuple[int, ...], func: str) -> np.ndarray:
    """The mask ``where`` as a boolean array that broadcasts to ``shape``.

    ``True`` marks the entries that take part. A boolean array or list is taken as it is;
    an integer array holding only 0 and 1 (a padding mask as tokenizers give it) is read as
    booleans. Anything else raises ``TypeError`` or ``ValueError`` saying why.
    """
    w = np.asarray(where)
    if w.dtype.kind in "iu" and (w.size == 0 or ((w == 0) | (w == 1)).all()):
        w = w.astype(bool)
    if w.dtype != np.bool_:
        raise TypeError(
            f"{func} needs where to be a boolean mask (True for the entries that take part), "
            f"got dtype {w.dtype}" + (": integers other than 0 and 1" if w.dtype.kind in "iu"
                                       else "")
        )
    try:
        np.broadcast_to(w, shape)
    except ValueError:
        raise ValueError(
            f"{func}: the mask where has shape {w.shape}, which does not broadcast to the "
            f"input's shape {shape}"
        ) from None
    return w
