"""Weight decay and early stopping in ``nn.train`` (lesson 06b): weight decay against
scikit-learn's L2-penalised logistic regression, early stopping against a second training
run that stops at the best epoch by itself."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from course_lib.lessons.datasets import digits, train_test_split
from course_lib.lessons.nn import Network, train


def test_weight_decay_is_scikit_learns_l2_penalty() -> None:
    # LogisticRegression(C) minimises mean cross-entropy + ||W||^2 / (2 C n), the intercept
    # not penalised: weight_decay = 1 / (C n) is the same objective (convex: one minimum)
    data = load_digits()
    X, y = data.data[:400] / 16.0, data.target[:400]
    C = 0.5
    net = Network([64, 10], seed=0)
    train(net, X, y, epochs=3000, lr=2.0, weight_decay=1.0 / (C * len(X)))
    sk = LogisticRegression(C=C, max_iter=5000, tol=1e-10).fit(X, y)
    ours = net.predict_proba(X)
    assert np.abs(ours - sk.predict_proba(X)).max() < 0.02
    assert np.mean(ours.argmax(1) == sk.predict(X)) >= 0.995
    # without the penalty the weights grow larger: the decay really acts on them
    free = Network([64, 10], seed=0)
    train(free, X, y, epochs=300, lr=2.0)
    decayed = Network([64, 10], seed=0)
    train(decayed, X, y, epochs=300, lr=2.0, weight_decay=0.05)
    assert np.linalg.norm(decayed.weights[0]) < 0.8 * np.linalg.norm(free.weights[0])


@pytest.fixture(scope="module")
def small_digits():
    images, labels = digits(n_per_class=40, noise=0.3, max_shift=1, seed=0)
    X_tr, X_val, y_tr, y_val = train_test_split(images, labels, test_fraction=0.5, seed=0)
    return X_tr[:100], y_tr[:100], X_val, y_val


def test_early_stopping_keeps_the_best_epoch(small_digits) -> None:
    X_tr, y_tr, X_val, y_val = small_digits
    settings = dict(lr=0.2, batch_size=20, seed=3, X_val=X_val, y_val=y_val)
    net = Network([64, 32, 10], seed=1)
    h = train(net, X_tr, y_tr, epochs=120, patience=10, **settings)
    best = int(np.argmin(h.val_loss))  # the first lowest, counted independently
    assert h.best_epoch == best
    assert h.stopped_epoch == min(best + 10, 120) == len(h.val_loss) - 1
    # a fresh run of exactly `best` epochs (same seeds, so the same shuffles) ends with the
    # weights early stopping put back
    again = Network([64, 32, 10], seed=1)
    train(again, X_tr, y_tr, epochs=best, **settings)
    for a, b in zip(net.weights + net.biases, again.weights + again.biases, strict=True):
        np.testing.assert_array_equal(a, b)
    assert net.evaluate(X_val, y_val)[0] == pytest.approx(h.val_loss[best], rel=1e-12)


def test_bad_settings_are_refused(small_digits) -> None:
    X_tr, y_tr, X_val, y_val = small_digits
    with pytest.raises(ValueError, match="validation data"):
        train(Network([64, 10]), X_tr, y_tr, epochs=2, lr=0.1, patience=3)
    with pytest.raises(ValueError, match="weight_decay"):
        train(Network([64, 10]), X_tr, y_tr, epochs=2, lr=0.1, weight_decay=-1.0)
