"""The lessons' two widgets: their callbacks are plain functions, tested without a browser.

``temperature_text`` and ``overflow_report`` compute and format what the widgets show;
``temperature_widget`` and ``overflow_widget`` only wire them to ipywidgets controls. The
text format is a contract: a browser test reads these lines back from the page.

Layers: this module uses :mod:`course_lib.lessons.plots` for the figures and
:mod:`course_lib.lessons.floats` for the dtype facts; neither of them imports this one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from course_lib.functions import naive_softmax, softmax
from course_lib.lessons.floats import DTYPES, overflow_threshold
from course_lib.lessons.plots import overflow_figure, temperature_bars
from course_lib.lessons.plots import show as show_figure

__all__ = [
    "DTYPES",
    "OVERFLOW_PATTERN",
    "entropy",
    "overflow_logits",
    "overflow_report",
    "overflow_threshold",
    "overflow_widget",
    "parse_logits",
    "temperature_report",
    "temperature_text",
    "temperature_widget",
]

#: The shape of the overflow demo's logits: the largest is ``magnitude``.
OVERFLOW_PATTERN = (1.0, 0.5, -1.0)


def _check_no_nan(z: np.ndarray) -> None:
    bad = np.flatnonzero(np.isnan(z))
    if bad.size:
        where = ", ".join(str(int(i) + 1) for i in bad)
        raise ValueError(
            f"logit number {where} is not a number (nan), and one nan makes every "
            "probability nan: type a number there"
        )


def _check_some_class(z: np.ndarray) -> None:
    if z.size and np.isneginf(z).all():
        raise ValueError(
            "every logit is -inf, so every class is masked and there is no distribution "
            "(softmax would divide 0 by 0): make at least one logit a number"
        )


def parse_logits(text: str) -> np.ndarray:
    """Read comma- or space-separated numbers, with a message a learner can act on.

    ``inf`` and ``-inf`` are accepted (softmax has a limit for them: ``-inf`` masks a class);
    ``nan`` is refused, because it would turn every probability into ``nan``.

    Examples
    --------
    >>> parse_logits("1, 3, 2")
    array([1., 3., 2.])
    >>> parse_logits("1, nan")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: logit number 2 is not a number (nan), and one nan makes every probability nan: ...
    """
    parts = [p for p in text.replace(",", " ").split() if p]
    if not parts:
        raise ValueError("type at least one number, for example 1, 3, 2")
    try:
        z = np.array([float(p) for p in parts])
    except ValueError:
        raise ValueError(f"could not read {text!r} as numbers; use commas: 1, 3, 2") from None
    _check_no_nan(z)
    return z


def _fmt(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:.3f}" if np.isfinite(v) else str(v) for v in values) + "]"


def entropy(p: np.ndarray) -> float:
    """Shannon entropy in nats, with ``0 log 0 = 0``; never negative, never ``-0.0``.

    A one-hot has entropy exactly 0. Rounding can leave an entry a hair above 1 (its log
    then a hair above 0), which would make the sum a tiny negative number; such results
    are reported as 0.

    Examples
    --------
    >>> round(entropy(np.array([0.5, 0.5])), 6)
    0.693147
    >>> entropy(np.array([0.0, 1.0, 0.0]))
    0.0
    """
    p = np.asarray(p, dtype=np.float64)
    nz = p[p > 0]
    h = float(-(nz * np.log(nz)).sum())
    return h if h > 0.0 else 0.0


def temperature_report(logits: Sequence[float] | np.ndarray, temperature: float) -> str:
    """What the temperature widget prints: T, the probabilities and their entropy.

    Raises ``ValueError`` with a learner-facing message when a logit is ``nan`` or when every
    logit is ``-inf`` (no class left: there is no distribution to show).

    Examples
    --------
    >>> print(temperature_report([1, 3, 2], 1.0))
    T = 1.000
    p = [0.090, 0.665, 0.245]
    entropy = 0.832 nats (uniform would be 1.099)
    >>> print(temperature_report([1, 3, 2], 0.05))
    T = 0.050
    p = [0.000, 1.000, 0.000]
    entropy = 0.000 nats (uniform would be 1.099)
    """
    z = np.asarray(logits, dtype=np.float64)
    _check_no_nan(z)
    _check_some_class(z)
    p = softmax(z, temperature=temperature)
    return "\n".join(
        [
            f"T = {temperature:.3f}",
            f"p = {_fmt(p)}",
            f"entropy = {entropy(p):.3f} nats (uniform would be {np.log(len(z)):.3f})",
        ]
    )


def temperature_text(logits_text: str, temperature: float) -> str:
    """The temperature widget's callback: the text box and the slider in, the readout out.

    A box that cannot be read (no number, a word, a ``nan``, only ``-inf``) gives one line
    saying what to type instead of a traceback or a row of ``nan``.

    Examples
    --------
    >>> print(temperature_text("1, 3, 2", 2.0))
    T = 2.000
    p = [0.186, 0.506, 0.307]
    entropy = 1.020 nats (uniform would be 1.099)
    >>> print(temperature_text("1, nan, 2", 1.0))  # doctest: +ELLIPSIS
    logit number 2 is not a number (nan), and one nan makes every probability nan: ...
    >>> print(temperature_text("-inf, -inf", 1.0))  # doctest: +ELLIPSIS
    every logit is -inf, so every class is masked and there is no distribution ...
    """
    try:
        return temperature_report(parse_logits(logits_text), temperature)
    except ValueError as exc:
        return str(exc)


def overflow_logits(magnitude: float, dtype: str) -> np.ndarray:
    """The demo's logits ``magnitude * [1, 0.5, -1]`` in ``dtype`` (``inf`` where they do not
    fit in it)."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    with np.errstate(over="ignore"):  # 1e308 in float16 is inf: the report says so
        return (magnitude * np.array(OVERFLOW_PATTERN)).astype(dtype)


def _number(v: float) -> str:
    """``v`` with 3 decimals, or in scientific notation when that would be a long number."""
    return f"{v:.3f}" if not np.isfinite(v) or abs(v) < 1e5 else f"{v:.3e}"


def overflow_report(magnitude: float, dtype: str) -> str:
    """What the overflow widget prints: naive and stable softmax of the same logits.

    The naive line is flagged only when ``exp`` really overflowed; a magnitude that is not a
    number, or logits too large to be stored in ``dtype`` at all, are said in words.

    Examples
    --------
    >>> print(overflow_report(20, "float16"))
    dtype = float16, overflow threshold = 11.090, largest logit = 20.000
    naive  = [nan, 0.000, 0.000]  <- overflow!
    stable = [1.000, 0.000, 0.000]  sum = 1.000
    >>> print(overflow_report(1e308, "float64").splitlines()[0])
    dtype = float64, overflow threshold = 709.783, largest logit = 1.000e+308
    >>> print(overflow_report(float("nan"), "float32"))
    magnitude = nan is not a number: the logits would all be nan; choose a number
    """
    if np.isnan(magnitude):
        return (f"magnitude = {magnitude} is not a number: the logits would all be nan; "
                "choose a number")
    x = overflow_logits(magnitude, dtype)
    naive, stable = naive_softmax(x), softmax(x)
    largest = float(x.max())
    if np.isinf(magnitude):
        flag = ("  <- the logits are infinite: exp(inf) / exp(inf) is nan (the stable softmax "
                "shares the probability between the +inf logits)")
    elif not np.isfinite(x).all():
        flag = (f"  <- overflow! (the logits themselves do not fit in {dtype}, whose largest "
                f"number is {_number(float(np.finfo(dtype).max))}: they are stored as inf)")
    elif largest > overflow_threshold(dtype):
        flag = "  <- overflow!"
    else:
        flag = ""
    total = float(stable.astype(np.float64).sum())
    return "\n".join(
        [
            f"dtype = {dtype}, overflow threshold = {overflow_threshold(dtype):.3f}, "
            f"largest logit = {_number(largest)}",
            f"naive  = {_fmt(naive.astype(np.float64))}{flag}",
            f"stable = {_fmt(stable.astype(np.float64))}  sum = {total:.3f}",
        ]
    )


def temperature_widget(logits: str = "1, 3, 2", temperature: float = 1.0):  # pragma: no cover
    """A log-scale slider for T (0.05 to 20), editable logits, bars and the entropy readout."""
    import ipywidgets as w

    slider = w.FloatLogSlider(
        value=temperature, base=10, min=np.log10(0.05), max=np.log10(20), step=0.01,
        description="T", continuous_update=False, readout_format=".3f",
    )
    text = w.Text(value=logits, description="logits", continuous_update=False)
    out = w.Output()

    def show(_change: object = None) -> None:
        out.clear_output(wait=True)
        with out:
            print(temperature_text(text.value, slider.value))
            try:
                z = parse_logits(text.value)
            except ValueError:
                return
            show_figure(temperature_bars(z, slider.value))

    slider.observe(show, "value")
    text.observe(show, "value")
    show()
    return w.VBox([w.HBox([slider, text]), out])


def overflow_widget(magnitude: float = 10.0, dtype: str = "float32"):  # pragma: no cover
    """A log-scale magnitude slider (1 to 1e4) and a dtype slider: naive vs stable softmax.

    The dtype is a slider from the narrowest type to the widest, not a drop-down menu: in
    JupyterLab the arrow keys on a focused menu move between cells instead, while a slider
    takes them, so both controls move by keyboard alike (Tab to one, then the arrow keys).
    """
    import ipywidgets as w

    slider = w.FloatLogSlider(
        value=magnitude, base=10, min=0, max=4, step=0.01, description="magnitude",
        continuous_update=False, readout_format=".1f",
    )
    menu = w.SelectionSlider(options=list(DTYPES), value=dtype, description="dtype",
                             continuous_update=False)
    out = w.Output()

    def show(_change: object = None) -> None:
        out.clear_output(wait=True)
        with out:
            print(overflow_report(slider.value, menu.value))
            show_figure(overflow_figure(slider.value, menu.value))

    slider.observe(show, "value")
    menu.observe(show, "value")
    show()
    return w.VBox([w.HBox([slider, menu]), out])
