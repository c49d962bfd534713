"""Tests for course_lib.lessons.sampling: temperature, top-k and top-p sampling."""

import doctest
import math
import re

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from course_lib.lessons import sampling
from course_lib.lessons.sampling import (
    cutoff_report,
    sample,
    sampling_probs,
    top_k_filter,
    top_p_filter,
)

SEED_LOGITS = [1.0, 3.0, 2.0]


@pytest.mark.parametrize("T", [0.5, 1.0, 2.0])
def test_frequencies_follow_softmax_over_temperature(T):
    n = 40_000
    draws = sample(SEED_LOGITS, temperature=T, size=n, rng=123)
    counts = np.bincount(draws, minlength=3)
    expected = scipy.special.softmax(np.array(SEED_LOGITS) / T) * n
    # a chi-square goodness-of-fit test that a correct sampler fails 1 time in 10^6
    assert scipy.stats.chisquare(counts, expected).pvalue > 1e-6
    if T == 1.0:
        np.testing.assert_allclose(counts / n, [0.09003057, 0.66524096, 0.24472847], atol=0.01)


def test_same_seed_same_draws_and_generator_is_advanced():
    a = sample(SEED_LOGITS, size=50, rng=7)
    b = sample(SEED_LOGITS, size=50, rng=np.random.default_rng(7))
    assert np.array_equal(a, b)
    gen = np.random.default_rng(7)
    first, second = sample(SEED_LOGITS, size=50, rng=gen), sample(SEED_LOGITS, size=50, rng=gen)
    assert not np.array_equal(first, second)


def test_masked_classes_are_never_drawn():
    logits = [-np.inf, 0.0, 0.0, -np.inf]
    draws = sample(logits, size=5000, rng=0)
    assert set(np.unique(draws)) == {1, 2}


def test_low_temperature_is_greedy_high_is_uniform():
    low = sample(SEED_LOGITS, temperature=0.01, size=1000, rng=0)
    assert np.all(low == 1)
    high = np.bincount(sample(SEED_LOGITS, temperature=1e6, size=30_000, rng=0), minlength=3)
    np.testing.assert_allclose(high / 30_000, 1 / 3, atol=0.015)


def test_batch_shape_and_scalar_draw():
    logits = np.array([[0.0, -np.inf, -np.inf], [-np.inf, -np.inf, 0.0]])
    draws = sample(logits, size=(4, 2), rng=0)
    assert draws.shape == (4, 2, 2) and draws.dtype == np.int64
    assert np.all(draws[..., 0] == 0) and np.all(draws[..., 1] == 2)
    one = sample(SEED_LOGITS, rng=0)
    assert one.shape == () and 0 <= int(one) < 3


def test_errors_are_explained():
    with pytest.raises(ValueError, match="temperature"):
        sample(SEED_LOGITS, temperature=0.0, rng=0)
    with pytest.raises(ValueError, match="no distribution"):
        sample([-np.inf, -np.inf], rng=0)
    with pytest.raises(TypeError):
        sample(SEED_LOGITS)  # rng is required: randomness is always seeded on purpose


# --- top-k, top-p and the cut distribution, against references written here -------------
# The references below follow the definitions word for word, one token at a time, in plain
# Python (math.fsum for sums, math.exp for softmax), sharing no code with course_lib.



def ref_softmax(row, T=1.0):
    finite = [v for v in row if v != -math.inf]
    m = max(finite)
    e = [0.0 if v == -math.inf else math.exp((v - m) / T) for v in row]
    s = math.fsum(e)
    return [v / s for v in e]


def ref_top_k_keep(row, k):
    """Kept when fewer than k tokens of the row are strictly larger."""
    return [sum(1 for w in row if w > v) < k for v in row]


def ref_top_p_keep(row, p, T=1.0):
    """Kept when the tokens strictly more probable hold less than p of the probability."""
    q = ref_softmax(row, T)
    if p == 1:
        return [True] * len(row)
    return [math.fsum(w for w in q if w > v) < p for v in q]


def ref_cut(row, T=1.0, k=None, p=None):
    keep = [True] * len(row)
    if k is not None:
        keep = ref_top_k_keep(row, k)
    kept_row = [v if ok else -math.inf for v, ok in zip(row, keep, strict=True)]
    if p is not None:
        keep = [a and b for a, b in zip(keep, ref_top_p_keep(kept_row, p, T), strict=True)]
    return ref_softmax([v if ok else -math.inf for v, ok in zip(row, keep, strict=True)], T)


def _margin_ok(row, p, T=1.0):
    """True unless some token's 'mass above' sits within 1e-9 of p (a rounding knife edge)."""
    q = ref_softmax(row, T)
    return all(abs(math.fsum(w for w in q if w > v) - p) > 1e-9 for v in q)


rows = st.lists(st.floats(-20, 20, allow_nan=False).map(lambda v: round(v, 1)), min_size=1,
                max_size=9)


@settings(max_examples=300, deadline=None)
@given(rows, st.integers(1, 12))
def test_top_k_matches_reference(row, k):
    got = top_k_filter(row, k)
    keep = ref_top_k_keep(row, k)
    assert np.isfinite(got).tolist() == keep
    assert got[np.isfinite(got)].tolist() == [v for v, ok in zip(row, keep, strict=True) if ok]
    assert sum(keep) >= min(k, len(row))  # at least k survive (more only through ties)


@settings(max_examples=300, deadline=None)
@given(rows, st.floats(0.01, 1.0), st.sampled_from([0.3, 1.0, 2.5]))
def test_top_p_matches_reference(row, p, T):
    assume(_margin_ok(row, p, T))
    got = top_p_filter(row, p, temperature=T)
    assert np.isfinite(got).tolist() == ref_top_p_keep(row, p, T)
    kept = np.isfinite(got)
    q = np.array(ref_softmax(row, T))
    assert q[kept].sum() >= p - 1e-12  # the nucleus holds at least p
    assert kept[np.argmax(q)]  # the favourite always survives


@settings(max_examples=300, deadline=None)
@given(rows, st.sampled_from([0.05, 0.7, 1.0, 3.0]), st.one_of(st.none(), st.integers(1, 10)),
       st.one_of(st.none(), st.floats(0.05, 1.0)))
def test_sampling_probs_matches_reference(row, T, k, p):
    if p is not None:
        kept_row = row if k is None else [
            v if ok else -math.inf for v, ok in zip(row, ref_top_k_keep(row, k), strict=True)]
        assume(_margin_ok(kept_row, p, T))
    got = sampling_probs(row, temperature=T, top_k=k, top_p=p)
    np.testing.assert_allclose(got, ref_cut(row, T, k, p), rtol=1e-12, atol=1e-300)
    assert math.isclose(math.fsum(got), 1.0, rel_tol=1e-12)


def test_ties_at_the_kth_value_are_all_kept():
    row = [5.0, 1.0, 3.0, 3.0, 3.0, -2.0]
    assert np.isfinite(top_k_filter(row, 2)).tolist() == [True, False, True, True, True, False]
    assert np.isfinite(top_k_filter(row, 1)).tolist() == [True] + [False] * 5
    # the same tokens survive in any order
    perm = [3, 0, 5, 2, 1, 4]
    assert np.array_equal(top_k_filter(np.array(row)[perm], 2), top_k_filter(row, 2)[perm])
    # equal probabilities at the nucleus boundary are kept together: 0.25 each after the first
    z = np.log([0.25, 0.25, 0.25, 0.25])
    assert np.isfinite(top_p_filter(z, 0.3)).all()
    assert np.isfinite(top_p_filter(np.log([0.4, 0.2, 0.2, 0.2]), 0.5)).tolist() == [True] * 4
    assert np.isfinite(top_p_filter(np.log([0.4, 0.3, 0.2, 0.1]), 0.5)).tolist() == [
        True, True, False, False]


def test_k_1_is_greedy_and_k_at_least_vocab_keeps_everything():
    z = [0.3, 2.0, -1.0, 1.9]
    np.testing.assert_array_equal(sampling_probs(z, top_k=1), [0, 1, 0, 0])
    for k in (4, 5, 1000):
        np.testing.assert_array_equal(top_k_filter(z, k), z)
        np.testing.assert_allclose(sampling_probs(z, top_k=k), scipy.special.softmax(z),
                                   rtol=1e-14)


def test_p_1_keeps_even_a_tail_that_rounds_away():
    z = np.array([0.0, -40.0, -700.0])  # exp(-40) is below the rounding of 1 - it
    np.testing.assert_array_equal(top_p_filter(z, 1.0), z)
    got = sampling_probs(z, top_p=1.0)
    assert got[2] > 0 and got[1] == pytest.approx(math.exp(-40), rel=1e-12)
    # just below 1, the tail that does not fit is dropped
    np.testing.assert_array_equal(np.isfinite(top_p_filter([0.0, 0.0, -50.0], 0.999)),
                                  [True, True, False])
    # a tiny p keeps only the favourite
    assert np.isfinite(top_p_filter([1.0, 3.0, 2.0], 1e-9)).tolist() == [False, True, False]


def test_temperature_extremes():
    z = [1.0, 3.0, 2.0, 3.0 - 1e-12]
    np.testing.assert_array_equal(sampling_probs(z, temperature=1e-300), [0, 1, 0, 0])
    tied = sampling_probs([1.0, 3.0, 3.0], temperature=1e-300)
    np.testing.assert_array_equal(tied, [0, 0.5, 0.5])  # the limit: ties share
    hot = sampling_probs([1.0, 3.0, -np.inf, 2.0], temperature=1e300)
    np.testing.assert_allclose(hot, [1 / 3, 1 / 3, 0, 1 / 3], rtol=1e-15)
    # top-p follows the temperature, top-k does not
    assert np.isfinite(top_p_filter(z, 0.5, temperature=1e-300)).sum() == 1
    # at T = 1e300 all four probabilities are exactly 0.25: one tie, kept whole
    assert np.isfinite(top_p_filter(z, 0.5, temperature=1e300)).sum() == 4
    assert np.isfinite(top_p_filter(z, 0.5, temperature=1.0)).sum() == 2
    for T in (1e-300, 1.0, 1e300):
        assert np.count_nonzero(sampling_probs([1.0, 3.0, 2.0, 0.0], T, top_k=2)) in (1, 2)
    np.testing.assert_allclose(sampling_probs([1.0, 3.0, 2.0, 0.0], 1e300, top_k=2),
                               [0, 0.5, 0.5, 0], rtol=1e-15)


def test_minus_inf_logits_stay_masked_and_nan_rows_are_nan():
    z = np.array([[-np.inf, 1.0, -np.inf, 0.5], [-np.inf] * 4, [np.nan, 1.0, 2.0, 3.0]])
    with np.errstate(all="raise"):
        k = top_k_filter(z, 3)
        p = top_p_filter(z, 0.9)
        q = sampling_probs(z, top_k=3, top_p=0.9)
    np.testing.assert_array_equal(k[0], z[0])  # fewer than 3 finite logits: all kept
    np.testing.assert_array_equal(p[0], z[0])
    np.testing.assert_array_equal(q[0], scipy.special.softmax([-np.inf, 1.0, -np.inf, 0.5]))
    assert np.all(k[1] == -np.inf) and np.all(p[1] == -np.inf) and np.isnan(q[1]).all()
    assert np.isnan(k[2]).all() and np.isnan(p[2]).all() and np.isnan(q[2]).all()
    with pytest.raises(ValueError, match="no distribution"):
        sample(z[1:2], rng=0, top_k=2)


def test_a_batch_is_cut_row_by_row_and_dtype_is_kept():
    z = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], dtype=np.float32)
    out = top_k_filter(z, 1)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[-np.inf, -np.inf, 3], [3, -np.inf, -np.inf]])
    assert top_p_filter(z, 0.5).dtype == np.float32
    assert sampling_probs(z).dtype == np.float64


def test_inputs_are_not_modified():
    z = np.array([[1.0, 3.0, 2.0], [0.0, -1.0, 4.0]])
    before = z.copy()
    top_k_filter(z, 1), top_p_filter(z, 0.2), sampling_probs(z, 0.5, 2, 0.5)
    sample(z, rng=0, top_k=1)
    np.testing.assert_array_equal(z, before)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: top_k_filter([1.0, 2.0], 0), "at least 1"),
        (lambda: top_k_filter([1.0, 2.0], -3), "at least 1"),
        (lambda: top_k_filter([1.0, 2.0], 1.5), "whole number"),
        (lambda: top_k_filter([1.0, 2.0], True), "whole number"),
        (lambda: top_k_filter([1.0, 2.0], None), "whole number"),
        (lambda: top_p_filter([1.0, 2.0], 0.0), r"\(0, 1\]"),
        (lambda: top_p_filter([1.0, 2.0], 1.5), r"\(0, 1\]"),
        (lambda: top_p_filter([1.0, 2.0], float("nan")), r"\(0, 1\]"),
        (lambda: top_p_filter([1.0, 2.0], "0.5"), r"\(0, 1\]"),
        (lambda: top_p_filter([1.0, 2.0], 0.5, temperature=0.0), "temperature"),
        (lambda: sampling_probs([1.0, 2.0], temperature=-1.0), "temperature"),
        (lambda: sampling_probs([1.0, 2.0], temperature=float("inf")), "temperature"),
        (lambda: sampling_probs([], top_k=1), "empty"),
        (lambda: top_k_filter(3.0, 1), "1-D"),
        (lambda: cutoff_report([1.0, 2.0], names=["a"]), "names"),
    ],
)
def test_invalid_arguments_are_explained(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_sampling_with_cuts_draws_only_survivors_with_renormalised_frequencies():
    z = [3.0, 2.2, 1.5, 0.3, -0.5]
    n = 40_000
    draws = sample(z, size=n, rng=11, top_p=0.9)
    counts = np.bincount(draws, minlength=5)
    assert counts[3] == counts[4] == 0
    expected = np.array(ref_cut(z, p=0.9))[:3] * n
    assert scipy.stats.chisquare(counts[:3], expected).pvalue > 1e-6


def test_cutoff_report_reads_the_cut():
    text = cutoff_report([3.0, 2.2, 1.5, 0.3, -0.5], 1.0, top_k=2, names="abcde")
    lines = text.splitlines()
    assert lines[0] == "T = 1.000, top-k = 2, top-p = off"
    assert lines[1] == "'a'  0.565 -> 0.690" and lines[2] == "'b'  0.254 -> 0.310"
    assert lines[3].endswith("(cut)") and lines[-1].startswith("kept 2 of 5 tokens")
    # extremes: a cold temperature keeps one token, a hot one with p=0.5 keeps about half
    cold = cutoff_report([3.0, 2.2, 1.5], 0.01, top_p=0.5).splitlines()[-1]
    assert cold == "kept 1 of 3 tokens; entropy 0.000 -> 0.000 nats"
    hot = cutoff_report([3.0, 2.2, 1.5, 0.3], 1000.0, top_p=0.5).splitlines()[-1]
    assert hot.startswith("kept 2 of 4 tokens; entropy 1.386 -> 0.693")


def test_docstring_examples_of_the_module_run():
    assert doctest.testmod(sampling, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0


def test_cutoff_bars_draw_before_and_after():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    z = [3.0, 2.2, 1.5, 0.3, -0.5]
    ax = sampling.cutoff_bars(z, 0.5, top_k=2, names="ab cd")
    heights = [b.get_height() for b in ax.patches]
    np.testing.assert_allclose(heights[:5], scipy.special.softmax(np.array(z) / 0.5), rtol=1e-12)
    np.testing.assert_allclose(heights[5:], ref_cut(z, 0.5, k=2), rtol=1e-12)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "␣", "c", "d"]
    plt.close(ax.figure)


# --- the cut-off report at its extremes: every line says something true ---------------------


def _report_lines(text: str) -> dict[str, str]:
    """token label -> the part after its label, for the token lines of a report."""
    out = {}
    for line in text.splitlines()[1:-1]:
        label, rest = line.split("  ", 1)
        out[label.strip()] = rest.strip()
    return out


@pytest.mark.parametrize("T", [0.01, 0.05, 1.0, 20.0])
def test_every_shown_probability_is_the_probability(T):
    z = [3.0, 2.2, 1.5, 0.3, -0.5, -9.5]
    text = cutoff_report(z, T, names="abcdef")
    ref = scipy.special.softmax(np.array(z) / T)
    for name, q in zip("abcdef", ref, strict=True):
        before = _report_lines(text)[repr(name)].split(" -> ")[0]
        if q == 0:
            assert before == "0"
        else:  # never "0.000" for a probability above 0: 3 decimals or 2 significant digits
            assert before != "0.000" and float(before) == pytest.approx(q, rel=0.05, abs=5e-4)
    kept = int(re.search(r"kept (\d+) of 6 tokens", text).group(1))
    assert kept == 6  # no cut asked for: every token is kept, whatever T does to its odds
    rare = int(np.sum(ref < 1e-3))
    assert (f"; {rare} below 0.001" in text) == (rare > 0)


def test_an_underflowed_token_is_said_to_be_zero_and_a_cut_one_is_said_cut():
    z = [3.0, 2.2, -5.0, -9.0]
    assert scipy.special.softmax(np.array(z) / 0.01)[2] == 0.0  # exp(-800) underflows
    text = cutoff_report(z, 0.01, names="abcd")
    lines = _report_lines(text)
    assert lines["'c'"] == "0 -> 0      (0 in float64)"
    assert text.splitlines()[-1].endswith("; 3 below 0.001 (2 exactly 0, never drawn)")
    cut = _report_lines(cutoff_report(z, 0.01, top_k=2, names="abcd"))
    assert cut["'c'"] == "0 -> 0      (cut)" and cut["'d'"] == "0 -> 0      (cut)"
    assert cut["'b'"] == "1.8e-35 -> 1.8e-35"


def test_masked_tokens_are_named_and_not_counted_as_kept():
    text = cutoff_report([-math.inf, 1.0, 2.0], 1.0, names="abc")
    assert _report_lines(text)["'a'"] == "0 -> 0      (masked)"
    assert text.splitlines()[-1].startswith("kept 2 of 3 tokens; entropy 0.582 -> 0.582")


@pytest.mark.parametrize("z,says", [
    ([1.0, math.nan, 2.0], "the logit of '1' is nan"),
    ([math.nan, math.nan], "the logit of '0', '1' is nan"),
    ([-math.inf, -math.inf, -math.inf], "every logit is -inf"),
])
def test_no_distribution_is_said_in_words(z, says):
    text = cutoff_report(z, 0.5, top_k=1)
    assert text.splitlines()[0] == "T = 0.500, top-k = 1, top-p = off"
    assert "no distribution" in text and says in text
    assert "nan ->" not in text and "kept 0" not in text and "entropy" not in text
