"""Tests for course_lib.lessons.nn: forward pass, gradients by finite differences, training."""

import numpy as np
import pytest
import scipy.special

from course_lib.lessons.datasets import digits, spiral
from course_lib.lessons.nn import History, Network, flatten, train


def _loss(net, X, y, label_smoothing=0.0):
    """Independent loss: scipy's log_softmax of a hand-written forward pass."""
    h = X.reshape(len(X), -1)
    for i, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        h = h @ W + b
        if i < len(net.weights) - 1:
            h = np.maximum(h, 0.0)
    logp = scipy.special.log_softmax(h, axis=1)
    k = h.shape[1]
    target = (1 - label_smoothing) * np.eye(k)[y] + label_smoothing / k
    return -np.mean(np.sum(target * logp, axis=1))


def _numerical_grads(net, X, y, label_smoothing, h=1e-6):
    grads = []
    for param in net.weights + net.biases:
        g = np.zeros_like(param)
        for idx in np.ndindex(param.shape):
            old = param[idx]
            param[idx] = old + h
            up = _loss(net, X, y, label_smoothing)
            param[idx] = old - h
            down = _loss(net, X, y, label_smoothing)
            param[idx] = old
            g[idx] = (up - down) / (2 * h)
        grads.append(g)
    return grads


@pytest.mark.parametrize("sizes", [[3, 4], [3, 6, 4], [2, 5, 5, 3]])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_backward_matches_central_differences(sizes, label_smoothing):
    rng = np.random.default_rng(42)
    X = rng.standard_normal((7, sizes[0]))
    y = rng.integers(0, sizes[-1], size=7)
    net = Network(sizes, seed=1)
    loss, dW, db = net.loss_and_grads(X, y, label_smoothing=label_smoothing)
    assert loss == pytest.approx(_loss(net, X, y, label_smoothing), rel=1e-12)
    numeric = _numerical_grads(net, X, y, label_smoothing)
    for analytic, num in zip(dW + db, numeric, strict=True):
        np.testing.assert_allclose(analytic, num, rtol=1e-5, atol=1e-8)


def test_forward_shapes_and_probabilities():
    net = Network([64, 128, 10], seed=0)
    images = np.random.default_rng(0).random((5, 8, 8))
    logits = net.logits(images)
    assert logits.shape == (5, 10)
    p = net.predict_proba(images)
    np.testing.assert_allclose(p, scipy.special.softmax(logits, axis=1), rtol=1e-13)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-14)
    assert np.array_equal(net.predict(images), logits.argmax(axis=1))
    assert net.n_params == 64 * 128 + 128 + 128 * 10 + 10  # 9610, as Keras would count


def test_initialisation_is_seeded_and_scaled():
    a, b, c = Network([200, 300, 10], seed=3), Network([200, 300, 10], seed=3), Network(
        [200, 300, 10], seed=4
    )
    assert all(np.array_equal(u, v) for u, v in zip(a.weights, b.weights, strict=True))
    assert not np.array_equal(a.weights[0], c.weights[0])
    assert a.weights[0].std() == pytest.approx(np.sqrt(2 / 200), rel=0.02)  # He, before ReLU
    assert a.weights[1].std() == pytest.approx(np.sqrt(1 / 300), rel=0.05)  # output layer
    assert all(np.all(bias == 0) for bias in a.biases)


def test_flatten_like_keras():
    x = np.arange(2 * 8 * 8).reshape(2, 8, 8)
    f = flatten(x)
    assert f.shape == (2, 64) and f[1, 0] == 64 and f[0, 9] == x[0, 1, 1]
    with pytest.raises(ValueError, match="batch"):
        flatten(np.zeros(5))


def test_wrong_input_width_is_explained():
    with pytest.raises(ValueError, match="expects 2 numbers per sample"):
        Network([2, 3]).logits(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="at least an input and an output"):
        Network([5])


def test_training_the_spiral_hidden_layer_beats_linear():
    X, y = spiral(n_per_class=100, n_classes=3, noise=0.2, seed=0)
    linear, hidden = Network([2, 3], seed=0), Network([2, 100, 3], seed=0)
    h_lin = train(linear, X, y, epochs=300, lr=1.0)
    h_mlp = train(hidden, X, y, epochs=1000, lr=1.0)
    assert isinstance(h_lin, History) and len(h_lin.loss) == 301
    assert h_lin.loss[0] == pytest.approx(_loss(Network([2, 3], seed=0), X, y))
    assert h_lin.loss[-1] < 0.85 * h_lin.loss[0]
    assert h_mlp.loss[-1] < 0.15 < h_lin.loss[-1]  # measured: 0.048 and 0.73
    assert h_lin.accuracy[-1] < 0.65  # a straight-line split cannot follow the arms (0.54)
    assert h_mlp.accuracy[-1] > 0.95  # measured: 0.993
    assert h_lin.loss[-1] == pytest.approx(_loss(linear, X, y), rel=1e-12)


def test_minibatch_sgd_on_digits_is_reproducible_and_records_validation():
    images, labels = digits(n_per_class=30, seed=0)
    X_val, y_val = digits(n_per_class=10, seed=1)
    images0 = images.copy()
    runs = []
    for _ in range(2):
        net = Network([64, 32, 10], seed=0)
        runs.append(
            train(net, images, labels, epochs=5, lr=0.2, batch_size=16, seed=3,
                  X_val=X_val, y_val=y_val)
        )
    assert runs[0] == runs[1]
    assert np.array_equal(images, images0)  # the training data is not modified
    assert len(runs[0].val_loss) == len(runs[0].val_accuracy) == 6
    assert runs[0].val_loss[-1] < runs[0].val_loss[0]
    assert runs[0].accuracy[-1] > 0.5 > runs[0].accuracy[0]


@pytest.mark.parametrize(
    "kwargs, match",
    [({"lr": 0.0}, "lr"), ({"lr": float("nan")}, "lr"), ({"batch_size": 0}, "batch_size")],
)
def test_train_rejects_bad_settings(kwargs, match):
    X, y = spiral(n_per_class=5)
    settings = {"epochs": 1, "lr": 0.1} | kwargs
    with pytest.raises(ValueError, match=match):
        train(Network([2, 3]), X, y, **settings)


def _descend(X, y, steps=2000, lr=3.0):
    """Full-batch gradient descent on mean cross-entropy + |W|^2 / (2n), as in lesson 06."""
    from course_lib import one_hot, softmax

    n, Y = len(X), one_hot(y, num_classes=10)
    W, b = np.zeros((X.shape[1], 10)), np.zeros(10)
    for _ in range(steps):
        g = (softmax(X @ W + b) - Y) / n
        W -= lr * (X.T @ g + W / n)
        b -= lr * g.sum(axis=0)
    return W, b


def test_numpy_softmax_regression_on_real_digits_matches_scikit_learn():
    """Lesson 06's claim: same objective, same minimum as LogisticRegression (C=1)."""
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    from course_lib import softmax
    from course_lib.lessons.datasets import train_test_split

    real = load_digits()
    X_tr, X_te, y_tr, y_te = train_test_split(real.data / 16.0, real.target, seed=0)
    with threadpool_limits(limits=1):  # small matrices: extra BLAS threads only contend
        sk, (W, b) = LogisticRegression(C=1.0, max_iter=1000).fit(X_tr, y_tr), _descend(X_tr, y_tr)
    # scikit-learn's decision_function is the logits: softmax of it is predict_proba
    np.testing.assert_allclose(softmax(sk.decision_function(X_te)), sk.predict_proba(X_te),
                               rtol=1e-10, atol=1e-12)
    ours = X_te @ W + b
    assert np.mean(ours.argmax(axis=1) == sk.predict(X_te)) == 1.0
    assert np.abs(softmax(ours) - sk.predict_proba(X_te)).max() < 0.05
    np.testing.assert_allclose(W, sk.coef_.T, atol=0.15)  # the same weights, nearly
