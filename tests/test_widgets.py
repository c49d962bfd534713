"""The widget callbacks, as plain functions, against independent numbers."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.special as sp
import scipy.stats

from course_lib.lessons.widgets import (
    DTYPES,
    entropy,
    overflow_logits,
    overflow_report,
    overflow_threshold,
    parse_logits,
    temperature_report,
    temperature_text,
)


def _p(report: str) -> np.ndarray:
    line = next(x for x in report.splitlines() if x.startswith("p = "))
    return np.array([float(v) for v in re.findall(r"[-\d.]+|nan|inf", line[4:])])


def _entropy(report: str) -> float:
    return float(re.search(r"entropy = ([\d.]+) nats", report).group(1))


@pytest.mark.parametrize("t", [0.05, 0.3, 1.0, 4.0, 20.0])
def test_temperature_report_matches_scipy(t) -> None:
    z = [1.0, 3.0, 2.0]
    report = temperature_report(z, t)
    ref = sp.softmax(np.array(z) / t)
    assert report.splitlines()[0] == f"T = {t:.3f}"
    np.testing.assert_allclose(_p(report), ref, atol=5e-4)
    assert _entropy(report) == pytest.approx(scipy.stats.entropy(ref), abs=5e-4)
    assert f"uniform would be {np.log(3):.3f}" in report


def test_temperature_limits() -> None:
    z = [1.0, 3.0, 2.0]
    cold, hot = _p(temperature_report(z, 0.05)), _p(temperature_report(z, 20.0))
    np.testing.assert_allclose(cold, [0.0, 1.0, 0.0], atol=1e-3)  # hardmax
    np.testing.assert_allclose(hot, [1 / 3] * 3, atol=0.02)  # nearly uniform
    assert _entropy(temperature_report(z, 20.0)) > _entropy(temperature_report(z, 1.0))
    assert _entropy(temperature_report(z, 0.05)) < 0.01


def test_entropy_and_parse() -> None:
    assert entropy(np.array([1.0, 0.0, 0.0])) == 0.0
    assert entropy(np.full(4, 0.25)) == pytest.approx(np.log(4))
    np.testing.assert_array_equal(parse_logits("1,3 2"), [1.0, 3.0, 2.0])
    with pytest.raises(ValueError, match="use commas"):
        parse_logits("1, three")
    with pytest.raises(ValueError, match="at least one number"):
        parse_logits(" , ")


@pytest.mark.parametrize("dtype", DTYPES)
def test_thresholds_are_log_of_finfo_max(dtype) -> None:
    expected = {"float16": 11.09, "float32": 88.72, "float64": 709.78}[dtype]
    assert overflow_threshold(dtype) == pytest.approx(np.log(float(np.finfo(dtype).max)))
    assert overflow_threshold(dtype) == pytest.approx(expected, abs=0.005)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("magnitude", [1.0, 10.0, 50.0, 200.0, 1000.0, 10_000.0])
def test_overflow_report_flags_exactly_the_overflow(dtype, magnitude) -> None:
    report = overflow_report(magnitude, dtype)
    head, naive, stable = report.splitlines()
    overflows = magnitude > overflow_threshold(dtype) or not np.isfinite(
        np.float64(np.asarray(magnitude, dtype=dtype))
    )
    assert ("<- overflow!" in naive) == overflows
    assert ("nan" in naive or "inf" in naive) == overflows
    assert stable.endswith("sum = 1.000")
    values = np.array([float(v) for v in re.findall(r"\d+\.\d+", stable.split("sum")[0])])
    ref = sp.softmax(overflow_logits(magnitude, dtype).astype(np.float64))
    np.testing.assert_allclose(values, ref, atol=5e-4 + 2e-3 * (dtype == "float16"))
    assert f"dtype = {dtype}" in head


def test_overflow_report_contract_example() -> None:
    assert overflow_report(20, "float16").splitlines() == [
        "dtype = float16, overflow threshold = 11.090, largest logit = 20.000",
        "naive  = [nan, 0.000, 0.000]  <- overflow!",
        "stable = [1.000, 0.000, 0.000]  sum = 1.000",
    ]
    with pytest.raises(ValueError, match="dtype must be one of"):
        overflow_report(1.0, "int8")


# --- no "-0.000" entropy, a clear message for nan, the modules layered -------------------


@pytest.mark.parametrize("logits", [[0.0, 40.0], [1.0, 30.0, 2.0], [5.0, -5.0, 0.0, 100.0]])
@pytest.mark.parametrize("t", [0.05, 0.1, 1.0])
def test_entropy_readout_is_never_negative(logits, t) -> None:
    report = temperature_report(logits, t)
    line = next(x for x in report.splitlines() if x.startswith("entropy = "))
    assert not line.startswith("entropy = -"), line
    ref = scipy.stats.entropy(sp.softmax(np.array(logits) / t))
    assert _entropy(report) == pytest.approx(ref, abs=5e-4)


def test_one_hot_has_entropy_plus_zero() -> None:
    # softmax([0, 40]) rounds to exactly [0, 1] in float64; -(1 * log 1) is -0.0
    assert sp.softmax([0.0, 40.0])[1] == 1.0
    h = entropy(np.array([0.0, 1.0]))
    assert h == 0.0 and np.copysign(1.0, h) == 1.0
    assert entropy(np.array([1.0 + 2.0**-52, 0.0])) == 0.0  # a hair above 1: not negative
    assert "entropy = 0.000 nats" in temperature_report([0.0, 40.0], 0.05)


@pytest.mark.parametrize("text", ["1, nan, 2", "nan", "NaN 3"])
def test_nan_logit_gets_a_message_not_nan_probabilities(text) -> None:
    shown = temperature_text(text, 1.0)
    assert "not a number" in shown
    assert "p = " not in shown and "entropy" not in shown
    with pytest.raises(ValueError, match="not a number"):
        temperature_report(np.array([float(v) for v in text.replace(",", " ").split()]), 1.0)


def test_nan_message_names_the_position() -> None:
    assert temperature_text("1, 2, nan", 1.0).startswith("logit number 3 ")
    assert temperature_text("nan, 2, nan", 1.0).startswith("logit number 1, 3 ")


def test_temperature_text_passes_numbers_through_and_explains_bad_input() -> None:
    assert temperature_text("1, 3, 2", 0.5) == temperature_report([1.0, 3.0, 2.0], 0.5)
    assert "use commas" in temperature_text("1, three", 1.0)
    assert "at least one number" in temperature_text("", 1.0)


def test_infinite_logits_follow_the_limit() -> None:
    # -inf masks a class; scipy agrees on the finite rest
    np.testing.assert_allclose(
        _p(temperature_text("-inf, 3, 2", 1.0)), sp.softmax([-np.inf, 3.0, 2.0]), atol=5e-4
    )
    np.testing.assert_allclose(_p(temperature_text("inf, inf, 2", 1.0)), [0.5, 0.5, 0.0])


def test_plots_does_not_import_widgets() -> None:
    import subprocess
    import sys

    code = (
        "import sys, course_lib.lessons.plots; "
        "print('course_lib.lessons.widgets' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- the widgets at their extremes: each line says something true, in plain words ---------


@pytest.mark.parametrize("text", ["-inf, -inf", "-inf", "-inf -inf -inf"])
def test_only_minus_inf_logits_have_no_distribution(text) -> None:
    shown = temperature_text(text, 1.0)
    assert shown.startswith("every logit is -inf, so every class is masked")
    assert "p = " not in shown and "entropy" not in shown and "nan" not in shown
    with pytest.raises(ValueError, match="every logit is -inf"):
        temperature_report([-np.inf, -np.inf], 0.05)


@pytest.mark.parametrize("t", [0.05, 1.0, 20.0])
@pytest.mark.parametrize("text,limit", [("inf, 1", [1.0, 0.0]), ("-inf, 5", [0.0, 1.0]),
                                        ("1e308, -1e308", [1.0, 0.0])])
def test_temperature_extremes_show_the_limit_and_its_entropy(t, text, limit) -> None:
    shown = temperature_text(text, t)
    np.testing.assert_allclose(_p(shown), limit, atol=5e-4)
    assert _entropy(shown) == 0.0 and "nan" not in shown


def test_overflow_of_a_magnitude_that_is_not_a_number() -> None:
    for dtype in DTYPES:
        shown = overflow_report(float("nan"), dtype)
        assert shown.startswith("magnitude = nan is not a number")
        assert "overflow" not in shown


@pytest.mark.parametrize("magnitude", [1e5, 1e38, 1e300, 1e308, -1e308])
def test_huge_magnitudes_are_written_short(magnitude) -> None:
    head = overflow_report(magnitude, "float64").splitlines()[0]
    largest = float(re.search(r"largest logit = (\S+)", head).group(1))
    assert largest == pytest.approx(abs(magnitude), rel=1e-3)
    assert len(head) < 90 and "e+" in head


def test_logits_too_large_for_the_dtype_are_said_to_be_inf() -> None:
    head, naive, stable = overflow_report(1e308, "float16").splitlines()
    assert "largest logit = inf" in head
    assert "do not fit in float16, whose largest number is 65504.000" in naive
    assert float(np.finfo(np.float16).max) == 65504.0  # numpy: nothing larger is stored
    head, naive, stable = overflow_report(float("inf"), "float64").splitlines()
    assert "the logits are infinite" in naive and "<- overflow!" not in naive
    assert stable == "stable = [0.500, 0.500, 0.000]  sum = 1.000"  # +inf logits share


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_overflow_flag_sweeps_its_threshold(dtype) -> None:
    # the representable values of dtype just below, at and just above log(finfo.max)
    t = np.asarray(overflow_threshold(dtype), dtype=dtype)
    values = [t]
    for _ in range(3):
        values = [np.nextafter(values[0], -np.inf), *values, np.nextafter(values[-1], np.inf)]
    for x in values:
        naive = overflow_report(float(x), dtype).splitlines()[1]
        with np.errstate(over="ignore"):
            overflows = not np.isfinite(np.exp(np.asarray(x, dtype=dtype)))  # numpy's own exp
        assert ("<- overflow!" in naive) == overflows, (dtype, float(x), naive)
        assert ("nan" in naive) == overflows
