"""Drawing classes at random from softmax probabilities, with a temperature.

Language models pick their next token this way: the logits are divided by a temperature
``T``, turned into probabilities with softmax, and one class is *drawn*. ``T < 1`` sharpens
the distribution towards the argmax (``T -> 0`` is greedy decoding), ``T > 1`` flattens it
towards uniform. :func:`sample` does the draw with a seeded ``numpy.random.Generator`` so
that a notebook gives the same draws on every run.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from course_lib.functions import softmax

__all__ = ["sample"]


def sample(
    logits: ArrayLike,
    temperature: float = 1.0,
    size: int | tuple[int, ...] | None = None,
    *,
    rng: np.random.Generator | int,
) -> np.ndarray:
    """Draw class indices with probabilities ``softmax(logits / temperature)``.

    Parameters
    ----------
    logits : array_like, shape (..., K)
        Scores of ``K`` classes along the last axis; leading axes are a batch of
        independent distributions. ``-inf`` marks a class that can never be drawn.
    temperature : float, optional
        Finite and > 0 (default 1).
    size : int or tuple of int, optional
        Number (or shape) of independent draws from each distribution; ``None`` (default)
        draws once.
    rng : numpy.random.Generator or int
        Source of randomness, or a seed for a new ``numpy.random.default_rng``. Required,
        so that results are reproducible on purpose.

    Returns
    -------
    ndarray of int64, shape ``size + logits.shape[:-1]``
        The drawn classes (a 0-d array for one draw from one distribution).

    Notes
    -----
    Inverse-CDF sampling: one uniform number ``u`` in [0, 1) per draw, and the class is the
    first ``k`` whose cumulative probability exceeds ``u``. A class of probability 0 spans an
    empty interval and is never drawn.

    Examples
    --------
    >>> draws = sample([1.0, 3.0, 2.0], size=10_000, rng=0)
    >>> np.bincount(draws, minlength=3) / 10_000  # close to [0.090, 0.665, 0.245]
    array([0.094 , 0.6592, 0.2468])
    >>> sample([[0.0, -np.inf], [-np.inf, 0.0]], size=3, rng=1).tolist()
    [[0, 1], [0, 1], [0, 1]]
    """
    p = softmax(logits, axis=-1, temperature=temperature)
    if np.isnan(p).any():
        raise ValueError(
            "cannot sample from a row with no distribution (all -inf, or containing NaN)"
        )
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    shape = () if size is None else (size,) if np.ndim(size) == 0 else tuple(size)
    cdf = np.cumsum(p, axis=-1, dtype=np.float64)
    cdf /= cdf[..., -1:]  # the last entry is exactly 1, so every u in [0, 1) lands in a class
    u = gen.random(shape + p.shape[:-1])
    return np.sum(cdf <= u[..., None], axis=-1, dtype=np.int64)
