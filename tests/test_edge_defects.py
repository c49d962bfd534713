"""Six edge defects of cross_entropy, its gradient and softmax, each on the input that showed it.

D1 a one-class NaN row had a gradient of -0.0; D2 full label smoothing with an infinite logit
gave NaN for +inf; D3 a loss beyond the dtype's range warned; D4 a row spanning the float
range overflowed a finite smoothed loss; D5 smoothed probability targets were rounded in
their own dtype; D6 long float16/32 slices of softmax were rounded twice. Every test here
failed before its fix; the references are mpmath (50 digits), scipy in float64, or the
mathematical limit.
"""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
import scipy.special as sp

from course_lib import cross_entropy, cross_entropy_grad, softmax
from tests._mp import mp_row, ulps


def _quiet(f, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return f(*args, **kw)


@pytest.mark.parametrize("logit", [np.nan, -np.inf])
def test_d1_one_class_nan_row_has_a_nan_gradient(logit) -> None:
    # the loss is NaN (no distribution); the gradient was -0.0 (minus an empty sum)
    assert np.isnan(_quiet(cross_entropy, [logit], 0))
    for red in ("none", "sum", "mean"):
        assert np.isnan(_quiet(cross_entropy_grad, [[logit]], [0], reduction=red)).all()
    g = _quiet(cross_entropy_grad, [[logit], [3.0]], [0, 0], reduction="none")
    assert np.isnan(g[0, 0]) and g[1, 0] == 0.0  # one class, certain: no gradient


@pytest.mark.parametrize("logits", [[-np.inf, 0.0, 0.0, 0.0], [0.0, np.inf]])
@pytest.mark.parametrize("eps", [0.9, 0.999, 1.0])
def test_d2_full_label_smoothing_with_an_infinite_logit_is_inf(logits, eps) -> None:
    # the uniform target puts mass on a class of probability 0: the loss is +inf, not NaN
    assert _quiet(cross_entropy, logits, 0, label_smoothing=eps) == np.inf
    k = len(logits)
    probs = np.eye(k)[0]
    assert _quiet(cross_entropy, [logits], [probs], label_smoothing=eps) == np.inf


def test_d3_a_loss_beyond_the_range_is_inf_without_a_warning() -> None:
    z16 = np.array([[-65504.0, 33120.0]], np.float16)  # the loss, 98624, exceeds float16
    for red in ("none", "sum", "mean"):
        loss = _quiet(cross_entropy, z16, [0], reduction=red)
        assert loss.dtype == np.float16 and np.all(loss == np.inf)
    z = np.array([[-8e307, 8e307]] * 2)  # each loss 1.6e308; their sum is beyond float64
    assert _quiet(cross_entropy, z, [0, 0], reduction="sum") == np.inf
    assert _quiet(cross_entropy, z, [0, 0]) == 1.6e308  # the mean is not: exact


D4 = [1.516878514908806e308, 1.7976931348623157e308, -1.7976931348623157e308]


def _mp_smoothed_loss(row, label, eps):
    xs = mp_row(np.array(row))
    lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in xs))
    nlp = [lse - v for v in xs]
    return (1 - mpmath.mpf(eps)) * nlp[label] + mpmath.mpf(eps) * mpmath.fsum(nlp) / len(xs)


@pytest.mark.parametrize("eps", [1.0, 0.5, 0.1])
def test_d4_a_row_spanning_the_float_range_keeps_a_finite_smoothed_loss(eps) -> None:
    ref = _mp_smoothed_loss(D4, 1, eps)  # 1.292066963226047e308 at eps = 1
    got = _quiet(cross_entropy, D4, 1, label_smoothing=eps)
    assert np.isfinite(got) and ulps(got, ref) <= 4
    probs = np.array([[0.0, 1.0, 0.0]])
    assert ulps(_quiet(cross_entropy, [D4], probs, label_smoothing=eps), ref) <= 4
    # a class weight below 1 brings the term back into range too
    w = np.array([1.0, 1.0, 0.5])
    want = (1 - eps) * _mp_smoothed_loss(D4, 1, 0.0) + eps * (
        _mp_smoothed_loss(D4, 0, 0.0) + _mp_smoothed_loss(D4, 1, 0.0)
        + mpmath.mpf(0.5) * _mp_smoothed_loss(D4, 2, 0.0)) / 3
    got = _quiet(cross_entropy, [D4], [1], label_smoothing=eps, weight=w, reduction="sum")
    assert ulps(got, want) <= 4


def test_d4_the_exact_loss_beyond_the_range_stays_inf() -> None:
    row = [1.7976931348623157e308, -1.7976931348623157e308]  # -log p_1 = 3.6e308
    assert _quiet(cross_entropy, row, 1) == np.inf
    assert _quiet(cross_entropy, row, 1, label_smoothing=1.0) == 1.7976931348623157e308


def test_d5_smoothed_probability_targets_are_not_rounded_in_their_dtype() -> None:
    rng = np.random.default_rng(5)
    z = rng.normal(0, 2, (8, 6))
    t32 = sp.softmax(rng.normal(size=(8, 6)), axis=-1).astype(np.float32)
    t = t32.astype(np.float64)
    for eps in (0.0, 0.1):
        want = sp.softmax(z, axis=-1) - ((1 - eps) * t + eps / 6)
        got = cross_entropy_grad(z, t32, label_smoothing=eps, reduction="sum")
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
@pytest.mark.parametrize("n", [65536, 65537, 200_001])
def test_d6_long_low_precision_slices_are_rounded_once(dtype, n) -> None:
    x = np.random.default_rng(0).normal(size=n).astype(dtype)
    want = sp.softmax(x.astype(np.float64)).astype(dtype)  # the float64 result, rounded once
    got = _quiet(softmax, x)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, want)
    two = np.stack([x, x[::-1]])
    np.testing.assert_array_equal(_quiet(softmax, two)[1], want[::-1])
