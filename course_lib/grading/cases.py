"""Inputs built to tell mistakes apart, shared by the exercises' cases.

Each maker draws from the generator it is given, so a case's numbers change from run to run
while its shape and purpose stay. What each one catches: rows far apart (:func:`far`) a
shift by the batch's maximum; wide rows (:func:`wide`) a shift by the minimum or the mean;
ties (:func:`tied`) an argmax that gives them to the last entry; ``-inf`` masks
(:func:`masked`) code that lets a masked entry take probability. ``tests/test_mutation.py``
proves the cases built from them by mutation.

>>> import numpy as np
>>> x = far(np.random.default_rng(0), (4, 3))
>>> bool((x[0] > 900).all() and (x[1] < -900).all())
True
"""

from __future__ import annotations

import numpy as np


def arr(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 3.0) -> np.ndarray:
    """Normal numbers of the given ``shape``, standard deviation ``scale``."""
    return rng.standard_normal(shape) * scale


def along(y: np.ndarray, axis: int) -> np.ndarray:
    """``y`` has its slices on the last axis; move them to ``axis``."""
    return np.ascontiguousarray(np.moveaxis(y, -1, axis))


def _lead(shape: tuple[int, ...], axis: int) -> tuple[int, ...]:
    return tuple(int(n) for n in np.delete(np.array(shape), axis % len(shape)))


def far(rng: np.random.Generator, shape: tuple[int, ...], axis: int = -1,
        gap: float = 1000.0) -> np.ndarray:
    """Slices along ``axis`` alternately near ``+gap`` and ``-gap``."""
    lead = _lead(shape, axis)
    y = arr(rng, (*lead, shape[axis]))
    n = int(np.prod(lead, dtype=int))
    y += gap * np.where(np.arange(n) % 2 == 0, 1.0, -1.0).reshape((*lead, 1))
    return along(y, axis)


def wide(rng: np.random.Generator, shape: tuple[int, ...], axis: int = -1) -> np.ndarray:
    """Wide slices: even ones half at +400 and half at -400 (a shift by the minimum
    overflows), odd ones with one logit 1600 above the rest (so does a shift by the mean)."""
    lead = _lead(shape, axis)
    k = shape[axis]
    y = arr(rng, (*lead, k), 1.0).reshape(-1, k)
    for r, row in enumerate(y):
        order = rng.permutation(k)
        if r % 2 == 0:
            row[order[: k // 2]] += 400.0
            row[order[k // 2:]] -= 400.0
        else:
            row[order[0]] += 1600.0
    return along(y.reshape((*lead, k)), axis)


def tied(rng: np.random.Generator, shape: tuple[int, ...], axis: int = -1) -> np.ndarray:
    """Small integers (as floats) where every slice's maximum appears at least twice."""
    lead = _lead(shape, axis)
    k = shape[axis]
    y = rng.integers(0, 4, (*lead, k)).astype(float).reshape(-1, k)
    for row in y:
        i, j = rng.choice(k, 2, replace=False)
        row[[i, j]] = row.max() + 1.0
    return along(y.reshape((*lead, k)), axis)


def masked(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """-inf entries, never a whole slice along the last axis."""
    x = arr(rng, shape)
    mask = rng.random(shape) < 0.4
    mask[..., rng.integers(0, shape[-1])] = False
    x[mask] = -np.inf
    return x


def below(rng: np.random.Generator, shape: tuple[int, ...], axis: int = -1) -> np.ndarray:
    """Slices entirely below the values a loop might start from, in turn: every entry below
    0, every entry below -1e4 (near -5e4, spread as usual) and every entry near -1e300 (from
    -9e300 to -1e300). The maximum of a slice is never its first entry, so an argmax that
    never moves from index 0 is wrong.

    >>> x = below(np.random.default_rng(0), (3, 4))
    >>> bool((x[0] < 0).all() and (x[1] < -1e4).all() and (x[2] <= -1e300).all())
    True
    """
    lead = _lead(shape, axis)
    k = shape[axis]
    y = arr(rng, (*lead, k)).reshape(-1, k)
    for r, row in enumerate(y):
        kind = r % 3
        if kind == 0:
            row[:] = -rng.uniform(0.05, 9.0, k)
        elif kind == 1:
            row += -5e4
        else:
            row[:] = -rng.uniform(1.0, 9.0, k) * 1e300
        if int(np.argmax(row)) == 0 and k > 1:
            j = int(rng.integers(1, k))
            row[[0, j]] = row[[j, 0]]
    return along(y.reshape((*lead, k)), axis)


def huge_rows(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Rows near 1e300 whose maximum is never their first entry (float32 would make every
    entry inf, and argmax then picks the first)."""
    x = rng.uniform(1.0, 9.0, shape) * 1e300
    for row in x:
        i = int(np.argmax(row))
        if i == 0:
            j = int(rng.integers(1, shape[1]))
            row[[0, j]] = row[[j, 0]]
    return x


def labelled(rng: np.random.Generator, n: int, k: int, scale: float = 3.0,
             shift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """``(logits, targets)``: an ``(n, k)`` batch around ``shift`` and ``n`` labels."""
    return arr(rng, (n, k), scale) + shift, rng.integers(0, k, n)


def masked_wrong(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(logits, targets)`` for 4 samples of 5 classes, one wrong class of each row -inf
    (never the target)."""
    logits = arr(rng, (4, 5))
    targets = rng.integers(0, 5, 4)
    logits[np.arange(4), (targets + 2) % 5] = -np.inf
    return logits, targets
