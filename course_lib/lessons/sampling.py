"""Drawing the next token from softmax probabilities: temperature, top-k and top-p.

Language models pick their next token this way: the logits are divided by a temperature
``T``, turned into probabilities with softmax, and one class is *drawn*. ``T < 1`` sharpens
the distribution towards the argmax (``T -> 0`` is greedy decoding), ``T > 1`` flattens it
towards uniform. Two cuts keep the long tail of unlikely tokens out of the draw:

- **top-k** keeps the ``k`` largest logits (:func:`top_k_filter`);
- **top-p** ("nucleus", Holtzman et al., "The Curious Case of Neural Text Degeneration",
  ICLR 2020) keeps the most probable tokens until their probability reaches ``p``
  (:func:`top_p_filter`).

Both write ``-inf`` over the tokens they drop, so softmax gives those exactly 0 and
renormalises the rest (the course's mask rule). :func:`sampling_probs` chains temperature,
top-k and top-p in the order the common libraries use, and :func:`sample` draws from the
result with a seeded ``numpy.random.Generator`` so that a notebook gives the same draws on
every run. :func:`cutoff_report` is what the lesson-08 widget prints.

All functions work along the last axis; leading axes are a batch of independent rows.
A row holding NaN comes back all NaN, and a row of only ``-inf`` has no distribution (NaN
probabilities), as in :func:`course_lib.softmax`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from course_lib._validation import as_float_array, check_temperature, require_nonempty
from course_lib.functions import softmax

__all__ = [
    "cutoff_bars",
    "cutoff_report",
    "cutoff_widget",
    "sample",
    "sampling_probs",
    "top_k_filter",
    "top_p_filter",
]


def _logits(logits: ArrayLike, func: str) -> np.ndarray:
    z = as_float_array(logits, "logits", func)
    if z.ndim == 0:
        raise ValueError(f"{func} needs at least one logit per row (a 1-D array), got a number")
    require_nonempty(z, z.ndim - 1, func)
    return z


def _check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise ValueError(f"top_k must be a whole number of tokens to keep (1 or more), got {k!r}")
    if k < 1:
        raise ValueError(f"top_k must keep at least 1 token, got {k}")
    return int(k)


def _check_p(p: object) -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 < float(p) <= 1:
        raise ValueError(
            f"top_p must be a probability in (0, 1]: the share of probability to keep, got {p!r}"
        )
    return float(p)


def _nan_rows(z: np.ndarray) -> np.ndarray:
    return np.isnan(z).any(axis=-1, keepdims=True)


def top_k_filter(logits: ArrayLike, k: int) -> np.ndarray:
    """Keep the ``k`` largest logits of each row and set the others to ``-inf``.

    Parameters
    ----------
    logits : array_like, shape (..., K)
        Scores along the last axis; not modified.
    k : int
        How many tokens to keep, ``k >= 1``. ``k >= K`` keeps every token.

    Returns
    -------
    ndarray of float, same shape and float dtype as ``logits``
        A copy in which every logit below the ``k``-th largest of its row is ``-inf``.

    Notes
    -----
    Ties at the ``k``-th largest value are all kept, so a row can keep more than ``k``
    tokens: a token is kept exactly when fewer than ``k`` tokens of its row are strictly
    larger. The rule does not depend on the order of the tokens (PyTorch and Hugging Face
    compare against the ``k``-th value the same way). ``-inf`` logits stay ``-inf``; a row
    with a NaN comes back all NaN. The temperature does not change which tokens survive,
    because dividing by ``T > 0`` keeps the order.

    Examples
    --------
    >>> top_k_filter([1.0, 3.0, 2.0, 0.5], k=2)
    array([-inf,   3.,   2., -inf])
    >>> top_k_filter([2.0, 1.0, 2.0, 2.0], k=2)  # three tokens tie at the 2nd value
    array([  2., -inf,   2.,   2.])
    >>> top_k_filter([[1.0, 3.0], [4.0, -np.inf]], k=5)  # k >= K keeps all
    array([[  1.,   3.],
           [  4., -inf]])
    """
    k = _check_k(k)
    z = _logits(logits, "top_k_filter")
    if k >= z.shape[-1]:
        return np.where(_nan_rows(z), np.nan, z)
    kth = -np.partition(-z, k - 1, axis=-1)[..., k - 1 : k]  # the k-th largest of each row
    out = np.where(z >= kth, z, -np.inf).astype(z.dtype, copy=False)
    out[np.broadcast_to(_nan_rows(z), z.shape)] = np.nan
    return out


def _nucleus(q: np.ndarray, p: float) -> np.ndarray:
    """Boolean mask of the nucleus of probability rows ``q`` (see :func:`top_p_filter`)."""
    s = -np.sort(-q, axis=-1)  # descending
    above = np.cumsum(s, axis=-1) - s  # probability of the tokens sorted before each one
    last = np.sum(above < p, axis=-1, keepdims=True) - 1  # last sorted position kept (>= 0)
    threshold = np.take_along_axis(s, np.maximum(last, 0), axis=-1)
    return q >= threshold


def top_p_filter(logits: ArrayLike, p: float, temperature: float = 1.0) -> np.ndarray:
    """Keep the smallest set of most probable tokens whose probability reaches ``p``.

    Parameters
    ----------
    logits : array_like, shape (..., K)
        Scores along the last axis; not modified.
    p : float
        In (0, 1]. ``p = 1`` keeps every token; a small ``p`` keeps only the most probable
        one (and any token tied with it).
    temperature : float, optional
        The probabilities are ``softmax(logits / temperature)`` (default 1): unlike top-k,
        the nucleus depends on the temperature.

    Returns
    -------
    ndarray of float, same shape and float dtype as ``logits``
        A copy in which the logits outside the nucleus are ``-inf``.

    Notes
    -----
    A token is kept exactly when the tokens strictly more probable than it hold less than
    ``p`` of the probability. Sorted by probability, this is the shortest prefix whose
    total reaches ``p``, widened to every token tied with its last one, so the result does
    not depend on the order of the tokens. The most probable token is always kept.
    ``-inf`` logits stay ``-inf``; a row with a NaN comes back all NaN and a row of only
    ``-inf`` stays as it is.

    Examples
    --------
    >>> z = np.log([0.5, 0.3, 0.15, 0.05])
    >>> np.isfinite(top_p_filter(z, 0.75))  # 0.5 + 0.3 reaches 0.75
    array([ True,  True, False, False])
    >>> np.isfinite(top_p_filter(z, 0.85))  # one more token is needed
    array([ True,  True,  True, False])
    >>> np.isfinite(top_p_filter(z, 0.75, temperature=0.25))  # sharper: 0.88, 0.11, ...
    array([ True, False, False, False])
    """
    p = _check_p(p)
    z = _logits(logits, "top_p_filter")
    check_temperature(temperature)
    if p == 1.0:  # everything; spelled out because rounding could drop a tiny tail
        return np.where(_nan_rows(z), np.nan, z)
    q = softmax(z.astype(np.float64), temperature=temperature)
    with np.errstate(invalid="ignore"):
        keep = _nucleus(q, p) | np.isnan(q)
    out = np.where(keep, z, -np.inf).astype(z.dtype, copy=False)
    out[np.broadcast_to(_nan_rows(z), z.shape)] = np.nan
    return out


def sampling_probs(
    logits: ArrayLike,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> np.ndarray:
    """The distribution a sampler draws from: temperature, then top-k, then top-p, renormalised.

    Parameters
    ----------
    logits : array_like, shape (..., K)
        Scores along the last axis; not modified.
    temperature : float, optional
        Finite and > 0 (default 1). Tiny values give the argmax (ties share), huge ones
        the uniform distribution over the tokens that survive the cuts.
    top_k : int, optional
        Keep only the ``top_k`` largest logits (ties kept); ``None`` (default) keeps all.
    top_p : float, optional
        Keep only the nucleus of probability ``top_p`` of the distribution left after
        temperature and top-k; ``None`` (default) keeps all.

    Returns
    -------
    ndarray of float64, same shape as ``logits``
        Each row sums to 1; dropped tokens have probability exactly 0. A row of only
        ``-inf`` or holding NaN is all NaN.

    Examples
    --------
    >>> z = [3.0, 2.2, 1.5, 0.3, -0.5]
    >>> sampling_probs(z).round(3)
    array([0.565, 0.254, 0.126, 0.038, 0.017])
    >>> sampling_probs(z, top_k=2).round(3)  # 0.565 and 0.254 renormalised
    array([0.69, 0.31, 0.  , 0.  , 0.  ])
    >>> sampling_probs(z, top_p=0.9).round(3)  # 0.565 + 0.254 + 0.126 = 0.945 >= 0.9
    array([0.598, 0.269, 0.133, 0.   , 0.   ])
    >>> sampling_probs(z, temperature=1e-9)  # greedy
    array([1., 0., 0., 0., 0.])
    """
    z = _logits(logits, "sampling_probs").astype(np.float64)
    check_temperature(temperature)
    if top_k is not None:
        z = top_k_filter(z, top_k)
    if top_p is not None:
        z = top_p_filter(z, top_p, temperature=temperature)
    return softmax(z, temperature=temperature)


def sample(
    logits: ArrayLike,
    temperature: float = 1.0,
    size: int | tuple[int, ...] | None = None,
    *,
    rng: np.random.Generator | int,
    top_k: int | None = None,
    top_p: float | None = None,
) -> np.ndarray:
    """Draw class indices with the probabilities of :func:`sampling_probs`.

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
    top_k, top_p : optional
        Cuts applied after the temperature, as in :func:`sampling_probs`.

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
    >>> set(sample([1.0, 3.0, 2.0], size=1000, rng=0, top_k=2).tolist())
    {1, 2}
    """
    p = sampling_probs(logits, temperature=temperature, top_k=top_k, top_p=top_p)
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


def _probability(v: float) -> str:
    """A probability for the report: 3 decimals, or 2 significant digits when it is below
    0.0005 (so that a tiny probability never reads as 0), or ``0`` when it is exactly 0."""
    if v == 0:
        return "0"
    return f"{v:.3f}" if v >= 5e-4 else f"{v:.1e}"


def cutoff_report(
    logits: ArrayLike,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    names: Sequence[str] | None = None,
) -> str:
    """What the lesson-08 widget prints: each token's probability before and after the cuts.

    One line per token, most probable first (ties in their original order): its
    probability before and after the cuts, marked ``(cut)`` when top-k or top-p removed it,
    ``(masked)`` when its logit is ``-inf``, and ``(0 in float64)`` when it survives the cuts
    but ``exp`` underflowed to exactly 0 (it can never be drawn). A probability below
    0.0005 is written with two significant digits (``1.8e-35``), never as ``0.000``. The last
    line says how many tokens survive the cuts and the entropy (nats) before and after, and
    how many survivors are nearly or exactly never drawn. Logits holding ``nan``, or only
    ``-inf``, have no distribution: the report says so instead of printing ``nan``.

    Examples
    --------
    >>> print(cutoff_report([3.0, 2.2, 1.5, 0.3, -0.5], 1.0, top_k=3, names="abcde"))
    T = 1.000, top-k = 3, top-p = off
    'a'  0.565 -> 0.598
    'b'  0.254 -> 0.269
    'c'  0.126 -> 0.133
    'd'  0.038 -> 0      (cut)
    'e'  0.017 -> 0      (cut)
    kept 3 of 5 tokens; entropy 1.125 -> 0.929 nats
    >>> print(cutoff_report([3.0, 2.2, -5.0], 0.01, names="abc"))
    T = 0.010, top-k = off, top-p = off
    'a'  1.000 -> 1.000
    'b'  1.8e-35 -> 1.8e-35
    'c'  0 -> 0      (0 in float64)
    kept 3 of 3 tokens; entropy 0.000 -> 0.000 nats; 2 below 0.001 (1 exactly 0, never drawn)
    """
    z = _logits(logits, "cutoff_report").astype(np.float64)
    if z.ndim != 1:
        raise ValueError("cutoff_report shows one row of logits (a 1-D array)")
    labels = [repr(str(n)) for n in (names if names is not None else range(len(z)))]
    if len(labels) != len(z):
        raise ValueError(f"names has {len(labels)} entries but there are {len(z)} logits")
    head = (f"T = {temperature:.3f}, top-k = {top_k if top_k is not None else 'off'}, "
            f"top-p = {f'{top_p:.2f}' if top_p is not None else 'off'}")
    if np.isnan(z).any():
        which = ", ".join(labels[i] for i in np.flatnonzero(np.isnan(z)))
        return (f"{head}\nno distribution: the logit of {which} is nan (not a number), and "
                "one nan makes every probability nan")
    if np.isneginf(z).all():
        return (f"{head}\nno distribution: every logit is -inf, so every token is masked "
                "and there is nothing to draw")
    before = softmax(z, temperature=temperature)
    after = sampling_probs(z, temperature=temperature, top_k=top_k, top_p=top_p)
    cut_z = top_k_filter(z, top_k) if top_k is not None else z
    if top_p is not None:
        cut_z = top_p_filter(cut_z, top_p, temperature=temperature)
    masked = np.isneginf(z)
    survives = ~np.isneginf(cut_z)
    width = max(len(s) for s in labels)

    def entropy(q: np.ndarray) -> float:
        nz = q[q > 0]
        return float(-(nz * np.log(nz)).sum()) + 0.0  # no -0.000

    lines = [head]
    for i in np.argsort(-before, kind="stable"):
        if masked[i]:
            shown = "0      (masked)"
        elif not survives[i]:
            shown = "0      (cut)"
        elif after[i] == 0:
            shown = "0      (0 in float64)"
        else:
            shown = _probability(after[i])
        lines.append(f"{labels[i]:<{width}}  {_probability(before[i])} -> {shown}")
    summary = (f"kept {int(survives.sum())} of {len(z)} tokens; "
               f"entropy {entropy(before):.3f} -> {entropy(after):.3f} nats")
    rare, never = int((survives & (after < 1e-3)).sum()), int((survives & (after == 0)).sum())
    if rare:
        summary += f"; {rare} below 0.001" + (f" ({never} exactly 0, never drawn)" if never else "")
    lines.append(summary)
    return "\n".join(lines)


def cutoff_bars(
    logits: ArrayLike,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    names: Sequence[str] | None = None,
    ax=None,
):
    """Bars of ``softmax(logits / T)`` (grey) beside the cut, renormalised distribution (blue).

    Returns the matplotlib ``Axes``; its first ``K`` bars are the distribution before the
    cuts and the next ``K`` the one after, in the order of ``logits``.
    """
    import matplotlib.pyplot as plt

    from course_lib.lessons.plots import COLORS, EDGE, describe

    z = _logits(logits, "cutoff_bars").astype(np.float64)
    before = softmax(z, temperature=temperature)
    after = sampling_probs(z, temperature=temperature, top_k=top_k, top_p=top_p)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 2.8))
    x = np.arange(len(z))
    ax.bar(x - 0.2, before, width=0.4, color="lightgray", edgecolor=EDGE, linewidth=0.5,
           hatch="//", label="softmax(z / T)")
    ax.bar(x + 0.2, after, width=0.4, color=COLORS[0], edgecolor=EDGE, linewidth=0.5,
           label="after the cuts, renormalised")
    labels = [str(n) for n in names] if names is not None else [str(i) for i in x]
    shown = [n if n != " " else "␣" for n in labels]
    ax.set_xticks(x, shown)
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability")
    ax.legend(loc="upper right")
    top = np.argsort(-after, kind="stable")[:3]
    describe(ax, f"Pairs of bars for {len(z)} tokens at T = {temperature:.2f}, top-k "
             f"{top_k if top_k is not None else 'off'}, top-p "
             f"{f'{top_p:.2f}' if top_p is not None else 'off'}: the probability before the "
             f"cuts (grey, hatched, left) and after them (blue, right). {int(np.sum(after > 0))} "
             "tokens keep a probability; the largest after the cuts are "
             + ", ".join(f"{shown[i]!r} {before[i]:.2f} -> {after[i]:.2f}" for i in top))
    return ax


def cutoff_widget(
    logits: ArrayLike,
    names: Sequence[str] | None = None,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float = 1.0,
):  # pragma: no cover - wiring only; cutoff_report is what is tested
    """Sliders for T (log scale), top-k (K means off) and top-p, with bars and the report."""
    import ipywidgets as w

    from course_lib.lessons.plots import show as show_figure

    z = np.asarray(logits, dtype=np.float64)
    labels = list(names) if names is not None else [str(i) for i in range(len(z))]
    t_slider = w.FloatLogSlider(
        value=temperature, base=10, min=-2, max=np.log10(20), step=0.01, description="T",
        continuous_update=False, readout_format=".3f",
    )
    k_slider = w.IntSlider(value=top_k or len(z), min=1, max=len(z), description="top-k",
                           continuous_update=False)
    p_slider = w.FloatSlider(value=top_p, min=0.01, max=1.0, step=0.01, description="top-p",
                             continuous_update=False)
    out = w.Output()

    def show(_change: object = None) -> None:
        k = None if k_slider.value >= len(z) else k_slider.value
        p = None if p_slider.value >= 1.0 else p_slider.value
        out.clear_output(wait=True)
        with out:
            print(cutoff_report(z, t_slider.value, top_k=k, top_p=p, names=labels))
            show_figure(cutoff_bars(z, t_slider.value, top_k=k, top_p=p, names=labels))

    for s in (t_slider, k_slider, p_slider):
        s.observe(show, "value")
    show()
    return w.VBox([w.HBox([t_slider, k_slider, p_slider]), out])
