"""Lesson 06b's multi-label loss and models, against SciPy, scikit-learn and finite
differences."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import log_expit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from course_lib.lessons.multilabel import (
    ATTRIBUTES,
    attributes,
    binary_cross_entropy,
    binary_cross_entropy_grad,
    exact_match,
    label_accuracy,
    train_multilabel,
    train_softmax_sets,
)
from course_lib.lessons.nn import Network


def _scipy_bce(z, t):
    z, t = np.asarray(z, dtype=float), np.asarray(t, dtype=float)
    return -np.mean(t * log_expit(z) + (1 - t) * log_expit(-z))


@pytest.mark.parametrize("seed", range(4))
def test_bce_is_scikit_learns_log_loss(seed) -> None:
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 3, (20, 4))
    t = (rng.random((20, 4)) < 0.5).astype(int)
    p = 1 / (1 + np.exp(-z))
    want = log_loss(t.ravel(), p.ravel(), labels=[0, 1])
    assert float(binary_cross_entropy(z, t)) == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize("scale", [50.0, 800.0, 1e4, 1e300])
def test_bce_is_finite_for_any_logit(scale) -> None:
    rng = np.random.default_rng(1)
    z = rng.choice([-1.0, 1.0], (5, 3)) * scale * rng.uniform(0.5, 1, (5, 3))
    t = (rng.random((5, 3)) < 0.5).astype(float)
    got = float(binary_cross_entropy(z, t))
    assert np.isfinite(got)
    assert got == pytest.approx(_scipy_bce(z, t), rel=1e-12)


def test_bce_dtypes_and_errors() -> None:
    z32 = np.array([[1.0, -2.0]], dtype=np.float32)
    assert binary_cross_entropy(z32, [[1, 0]]).dtype == np.float32
    assert binary_cross_entropy([[1, 2]], [[True, False]]).dtype == np.float64
    with pytest.raises(ValueError, match="same non-empty shape"):
        binary_cross_entropy([[1.0, 2.0]], [[1]])
    with pytest.raises(ValueError, match="between 0 and 1"):
        binary_cross_entropy([[1.0]], [[2]])
    with pytest.raises(ValueError, match="finite"):
        binary_cross_entropy([[np.inf]], [[1]])


def test_the_gradient_is_the_finite_difference() -> None:
    rng = np.random.default_rng(3)
    z, t = rng.normal(0, 2, (3, 4)), (rng.random((3, 4)) < 0.5).astype(float)
    g = binary_cross_entropy_grad(z, t)
    h = 1e-6
    for idx in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[idx] += h
        down[idx] -= h
        numeric = (_scipy_bce(up, t) - _scipy_bce(down, t)) / (2 * h)
        assert g[idx] == pytest.approx(numeric, rel=1e-6, abs=1e-10)


def test_attributes_follow_their_definitions() -> None:
    primes = [d for d in range(10) if d > 1 and all(d % q for q in range(2, d))]
    got = attributes(np.arange(10))
    assert ATTRIBUTES == ("even", "prime", "5 or more", "multiple of 3")
    for d in range(10):
        assert got[d].tolist() == [float(d % 2 == 0), float(d in primes), float(d >= 5),
                                   float(d % 3 == 0)]
    with pytest.raises(ValueError):
        attributes([10])


def test_a_linear_multilabel_model_is_one_logistic_regression_per_label() -> None:
    # independent sigmoids with a mean BCE, trained to the end, are K separate logistic
    # regressions: scikit-learn's, without a penalty, find the same probabilities
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    T = (X @ np.array([[1.5, -1.0, 0.3], [0.5, 2.0, -1.2]]) + rng.normal(0, 1, (200, 3))
         > 0).astype(float)
    net = Network([2, 3], seed=0)
    train_multilabel(net, X, T, epochs=4000, lr=20.0, batch_size=200)
    ours = 1 / (1 + np.exp(-net.logits(X)))
    for k in range(3):
        sk = LogisticRegression(C=np.inf, max_iter=5000, tol=1e-10).fit(X, T[:, k])
        np.testing.assert_allclose(ours[:, k], sk.predict_proba(X)[:, 1], atol=2e-3)


def test_metrics_and_the_softmax_model() -> None:
    z = np.array([[3.0, -1.0], [-2.0, -1.0]])
    t = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert exact_match(z, t) == 0.5 and label_accuracy(z, t) == 0.75
    X = np.eye(4)
    T = attributes([6, 4, 1, 3])
    h = train_softmax_sets(Network([4, 4], seed=0), X, T, epochs=50, lr=1.0, batch_size=4)
    assert h.loss[-1] < h.loss[0]
    with pytest.raises(ValueError, match="one row of 4 targets"):
        train_multilabel(Network([4, 4]), X, T[:, :3], epochs=1, lr=1.0)
