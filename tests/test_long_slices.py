"""Long slices and big batches: defects that once lived above internal size thresholds, each
on the smallest input that showed it (label smoothing on float16/32 batches of more than 4096
entries, a -inf mask in a slice of more than 32768, gradients along a non-last axis of 40000
classes), and a zero loss that must be +0.

tests/test_sweeps.py sweeps every threshold; these stay as the named regression cases.
"""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
import scipy.special as sp

from course_lib import cross_entropy, cross_entropy_grad, log_softmax, logsumexp, softmax
from tests._mp import max_ulps, mp_log_softmax, mp_softmax, ulps


def _quiet(f, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return f(*args, **kw)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_label_smoothing_on_low_precision_batches(dtype) -> None:
    # defect 1: AxisError from the blocked path (float16/32, labels, smoothing, > 4096 entries)
    z = np.zeros((2, 60, 50), dtype)
    loss = cross_entropy(z, np.zeros((2, 50), int), axis=1, label_smoothing=0.1)
    assert loss.dtype == dtype
    assert float(loss) == pytest.approx(np.log(60), rel=1e-3)  # uniform: -log(1/60) everywhere
    z = np.random.default_rng(0).normal(0, 3, (3, 70, 40)).astype(dtype)
    y = np.random.default_rng(1).integers(0, 70, (3, 40))
    per = cross_entropy(z, y, axis=1, label_smoothing=0.3, reduction="none")
    ref = sp.log_softmax(z.astype(np.float64), axis=1)
    want = -(0.7 * np.take_along_axis(ref, y[:, None], 1)[:, 0] + 0.3 * ref.mean(axis=1))
    np.testing.assert_allclose(per, want.astype(dtype), rtol=2 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_minus_inf_in_a_long_slice_is_a_mask(dtype) -> None:
    # defect 2: NaN from every function once a float64 slice passes 32768 entries
    x = np.zeros(32769, dtype)
    x[0] = -np.inf
    exact = mpmath.log(32768)
    assert ulps(_quiet(logsumexp, x), exact, dtype) <= 1
    p = _quiet(softmax, x)
    assert p[0] == 0 and np.all(p[1:] == dtype(1 / 32768))
    lp = _quiet(log_softmax, x)
    assert lp[0] == -np.inf and np.all(lp[1:] == dtype(-float(exact)))
    assert ulps(_quiet(cross_entropy, x, 5), exact, dtype) <= 1
    assert _quiet(cross_entropy, x, 0) == np.inf  # the target class is masked out
    g = _quiet(cross_entropy_grad, x, 5)
    assert g[0] == 0 and g[1] == dtype(1 / 32768) and g[5] == dtype(1 / 32768 - 1)


def test_gradient_along_a_non_last_axis_with_many_classes() -> None:
    # defect 3: p_y - 1 from a plain strided sum, 720-1206 ulp off with 40000 classes
    rng = np.random.default_rng(3)
    z = rng.normal(0, 10, (40000, 2))
    y = z.argmax(axis=0)  # confident and right: p_y - 1 is small, the sum must be accurate
    g = cross_entropy_grad(z, y, axis=0, reduction="sum")
    for j in range(2):
        p = mp_softmax(z[:, j])
        assert ulps(g[y[j], j], p[y[j]] - 1) <= 4


def test_probability_targets_along_a_non_last_axis_with_many_classes() -> None:
    rng = np.random.default_rng(4)
    z = rng.normal(0, 10, (40000, 2))
    t = sp.softmax(rng.normal(size=(40000, 2)), axis=0)
    loss = cross_entropy(z, t, axis=0, reduction="none")
    for j in range(2):
        lp = mp_log_softmax(z[:, j])
        ref = -mpmath.fsum(mpmath.mpf(float(a)) * b for a, b in zip(t[:, j], lp, strict=True))
        assert max_ulps(loss[j], [ref]) <= 4


@pytest.mark.parametrize(
    "logits,targets",
    [([[5.0, -np.inf]], [0]), ([[5.0, -np.inf]], [[1.0, 0.0]]), ([[1e3, 0.0]], [0]),
     ([[1e3, 0.0]], [[1.0, 0.0]]), ([[7.0]], [0]), ([[7.0]], [[1.0]])],
)
def test_a_zero_loss_is_plus_zero(logits, targets) -> None:
    for red in ("none", "sum", "mean"):
        loss = _quiet(cross_entropy, logits, targets, reduction=red)
        assert np.all(loss == 0) and not np.signbit(loss).any()
