"""A tiny NumPy neural network for classification, trained with softmax + cross-entropy.

:class:`Network` is a stack of dense layers with ReLU between them and *logits* at the end:

- ``Network([2, 3])`` is the linear softmax classifier: logits = X @ W + b;
- ``Network([2, 100, 3])`` has one hidden layer of 100 ReLU units;
- ``Network([64, 128, 10])`` is the NumPy twin of the Keras model
  ``Flatten -> Dense(128, relu) -> Dense(10, softmax)``; inputs with more than two
  dimensions (a batch of 8x8 images, say) are flattened first, like ``Flatten``.

The network never applies softmax inside: like Keras with ``from_logits=True``, the loss takes
the logits, and :func:`course_lib.cross_entropy` computes it through the stable log-softmax.
The backward pass starts from :func:`course_lib.cross_entropy_grad` (``softmax - target``,
divided by the batch size) and applies the chain rule layer by layer.

:func:`train` runs plain gradient descent: full-batch (``batch_size=None``) or mini-batch SGD
over a seeded shuffle, and returns a :class:`History` of loss and accuracy per epoch. Two
guards against overfitting (lesson 06b) are options of it: ``weight_decay`` (an L2 penalty
on the weights, never the biases) and ``patience`` (early stopping on the validation loss,
keeping the best weights).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from course_lib.functions import argmax, softmax
from course_lib.losses import cross_entropy, cross_entropy_grad

__all__ = ["History", "Network", "flatten", "train"]


def flatten(X: ArrayLike) -> np.ndarray:
    """Turn a batch of inputs of any shape into rows: shape ``(n, d)``, like Keras ``Flatten``.

    Parameters
    ----------
    X : array_like, shape (n, ...)
        A batch of ``n`` inputs; a batch of 8x8 images has shape ``(n, 8, 8)``.

    Returns
    -------
    ndarray of float, shape (n, d)
        ``d`` is the product of the remaining dimensions. A view when possible; never
        written to.

    Examples
    --------
    >>> flatten(np.zeros((5, 8, 8))).shape
    (5, 64)
    """
    a = np.asarray(X, dtype=np.float64)
    if a.ndim == 0:
        raise ValueError("flatten needs a batch: an array whose first axis runs over samples")
    if a.ndim == 1:
        raise ValueError(
            f"flatten got a 1-D array of shape {a.shape}: is that one sample or {a.shape[0]} "
            "numbers? Pass a batch, e.g. x[None, :] for a single sample"
        )
    return a.reshape(a.shape[0], -1)


@dataclass
class History:
    """Loss and accuracy recorded by :func:`train`, one entry per epoch.

    Entry 0 is measured *before* the first update, so every list has one entry more than
    the epochs run. ``val_loss`` and ``val_accuracy`` stay empty when no validation data was
    given. With early stopping, ``best_epoch`` is the epoch of the lowest validation loss
    (whose weights the network keeps) and ``stopped_epoch`` the last epoch run.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_epoch: int | None = None


class Network:
    """Dense layers with ReLU between them; the last layer outputs logits.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths from input to output, at least two: ``[n_inputs, n_classes]`` for a
        linear softmax classifier, ``[n_inputs, n_hidden, n_classes]`` for one hidden layer.
    seed : int, optional
        Seed of the weight initialisation (default 0).

    Notes
    -----
    Weights start Gaussian with standard deviation ``sqrt(2 / fan_in)`` for layers followed by
    a ReLU (He et al., 2015) and ``sqrt(1 / fan_in)`` for the output layer; biases start at 0.
    Parameters live in ``weights`` and ``biases`` (lists of arrays, layer by layer), with
    ``weights[i]`` of shape ``(sizes[i], sizes[i + 1])``, so a layer computes ``h @ W + b``.

    Examples
    --------
    >>> net = Network([2, 3], seed=0)
    >>> net.logits(np.zeros((4, 2))).shape
    (4, 3)
    >>> net.n_params
    9
    """

    def __init__(self, sizes: Sequence[int], seed: int = 0) -> None:
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(
                f"sizes must list at least an input and an output width, all >= 1; got {sizes}"
            )
        self.sizes = sizes
        rng = np.random.default_rng(seed)
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            gain = 1.0 if i == len(sizes) - 2 else 2.0
            self.weights.append(rng.standard_normal((fan_in, fan_out)) * np.sqrt(gain / fan_in))
            self.biases.append(np.zeros(fan_out))

    def __repr__(self) -> str:
        return f"Network({self.sizes}) with {self.n_params} parameters"

    @property
    def n_params(self) -> int:
        """Number of trainable numbers (weights and biases)."""
        return sum(w.size + b.size for w, b in zip(self.weights, self.biases, strict=True))

    def _inputs(self, X: ArrayLike) -> np.ndarray:
        a = flatten(X)
        if a.shape[1] != self.sizes[0]:
            raise ValueError(
                f"this network expects {self.sizes[0]} numbers per sample, but each sample "
                f"has {a.shape[1]} (input shape {np.shape(X)})"
            )
        return a

    def forward(self, X: ArrayLike) -> tuple[np.ndarray, list[np.ndarray]]:
        """Logits of a batch, and the layer inputs the backward pass needs.

        Returns
        -------
        logits : ndarray, shape (n, n_classes)
        cache : list of ndarray
            ``cache[i]`` is the input of layer ``i`` (after ReLU for ``i > 0``).
        """
        h = self._inputs(X)
        cache = []
        last = len(self.weights) - 1
        for i, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            cache.append(h)
            h = h @ W + b
            if i < last:
                h = np.maximum(h, 0.0)  # ReLU
        return h, cache

    def backward(
        self, cache: list[np.ndarray], dlogits: np.ndarray
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Gradients of the loss with respect to every weight and bias.

        Parameters
        ----------
        cache : list of ndarray
            From :meth:`forward` on the same batch.
        dlogits : ndarray, shape (n, n_classes)
            d loss / d logits, e.g. from :func:`course_lib.cross_entropy_grad`.

        Returns
        -------
        dweights, dbiases : list of ndarray
            Same shapes as ``weights`` and ``biases``.
        """
        n_layers = len(self.weights)
        dW: list[np.ndarray] = [np.empty(0)] * n_layers
        db: list[np.ndarray] = [np.empty(0)] * n_layers
        g = dlogits
        for i in range(n_layers - 1, -1, -1):
            h = cache[i]
            dW[i] = h.T @ g
            db[i] = g.sum(axis=0)
            if i > 0:
                g = g @ self.weights[i].T
                g = g * (h > 0)  # ReLU passes the gradient only where it was active
        return dW, db

    def loss_and_grads(
        self, X: ArrayLike, y: ArrayLike, label_smoothing: float = 0.0
    ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """Mean cross-entropy of a batch and its gradients (weights, then biases)."""
        logits, cache = self.forward(X)
        loss = float(cross_entropy(logits, y, label_smoothing=label_smoothing))
        dlogits = cross_entropy_grad(logits, y, label_smoothing=label_smoothing)
        dW, db = self.backward(cache, dlogits)
        return loss, dW, db

    def logits(self, X: ArrayLike) -> np.ndarray:
        """The raw scores, one row per sample: what goes into softmax or the loss."""
        return self.forward(X)[0]

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities: softmax of the logits along the class axis."""
        return softmax(self.logits(X), axis=-1)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted class of each sample: argmax of the logits (same as of the probs)."""
        return argmax(self.logits(X), axis=-1)

    def evaluate(self, X: ArrayLike, y: ArrayLike) -> tuple[float, float]:
        """Mean cross-entropy and accuracy on a labelled batch."""
        logits = self.logits(X)
        y = np.asarray(y)
        return float(cross_entropy(logits, y)), float(np.mean(argmax(logits) == y))


def _check_positive(value: float, name: str) -> float:
    v = float(value)
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a finite number greater than 0, got {value!r}")
    return v


def train(
    net: Network,
    X: ArrayLike,
    y: ArrayLike,
    *,
    epochs: int,
    lr: float,
    batch_size: int | None = None,
    seed: int = 0,
    label_smoothing: float = 0.0,
    X_val: ArrayLike | None = None,
    y_val: ArrayLike | None = None,
    weight_decay: float = 0.0,
    patience: int | None = None,
) -> History:
    """Train ``net`` in place with gradient descent on the mean cross-entropy.

    Parameters
    ----------
    net : Network
        Its ``weights`` and ``biases`` are updated in place.
    X, y : array_like
        Training inputs (first axis: samples) and integer labels. Not modified.
    epochs : int
        Passes over the training data. With ``batch_size=None`` one epoch is one
        full-batch step.
    lr : float
        Learning rate: every step subtracts ``lr * gradient``.
    batch_size : int or None, optional
        ``None`` (default) for full-batch gradient descent; otherwise the size of the
        mini-batches of SGD, drawn from a fresh seeded shuffle each epoch (the last
        batch may be smaller).
    seed : int, optional
        Seed of the shuffles (default 0).
    label_smoothing : float, optional
        Passed to the loss (default 0): targets become ``(1 - eps) * onehot + eps / K``.
    X_val, y_val : array_like, optional
        Held-out data, evaluated (never trained on) after every epoch.
    weight_decay : float, optional
        ``lambda >= 0`` (default 0): the loss minimised becomes ``mean cross-entropy +
        (lambda / 2) * sum of the squared weights`` (biases are not penalised), so every
        step also shrinks each weight by ``lr * lambda * W``.
    patience : int, optional
        Early stopping (needs ``X_val`` and ``y_val``): stop once the validation loss has
        not improved for ``patience`` epochs in a row, and put back the weights of the
        epoch with the lowest validation loss. ``None`` (default) runs every epoch.

    Returns
    -------
    History
        ``loss`` and ``accuracy`` on the whole training set (without label smoothing or
        the penalty), and the same on the validation data, before training and after every
        epoch; with ``patience``, also ``best_epoch`` and ``stopped_epoch``.

    Examples
    --------
    >>> from course_lib.lessons.datasets import spiral
    >>> X, y = spiral(n_per_class=50, seed=0)
    >>> net = Network([2, 3], seed=0)
    >>> history = train(net, X, y, epochs=100, lr=1.0)
    >>> len(history.loss), history.loss[-1] < history.loss[0]
    (101, True)
    """
    Xa = flatten(X)
    ya = np.asarray(y)
    if ya.shape != (Xa.shape[0],):
        raise ValueError(
            f"y must hold one label per row of X ({Xa.shape[0]}), got shape {ya.shape}"
        )
    epochs = int(epochs)
    lr = _check_positive(lr, "lr")
    if batch_size is not None and int(batch_size) < 1:
        raise ValueError(f"batch_size must be None or at least 1, got {batch_size!r}")
    has_val = X_val is not None and y_val is not None
    weight_decay = float(weight_decay)
    if not (np.isfinite(weight_decay) and weight_decay >= 0):
        raise ValueError(f"weight_decay must be a finite number >= 0, got {weight_decay!r}")
    if patience is not None and (not has_val or int(patience) < 1):
        raise ValueError("early stopping (patience) needs validation data (X_val, y_val) "
                         f"and a patience of at least 1 epoch, got {patience!r}")
    rng = np.random.default_rng(seed)
    history = History()
    best = _BestWeights(net) if patience is not None else None

    def record() -> None:
        loss, acc = net.evaluate(Xa, ya)
        history.loss.append(loss)
        history.accuracy.append(acc)
        if has_val:
            vloss, vacc = net.evaluate(X_val, y_val)
            history.val_loss.append(vloss)
            history.val_accuracy.append(vacc)

    record()
    n = Xa.shape[0]
    for epoch in range(1, epochs + 1):
        if batch_size is None:
            batches = [slice(None)]
        else:
            order = rng.permutation(n)
            batches = [order[i : i + int(batch_size)] for i in range(0, n, int(batch_size))]
        for idx in batches:
            _, dW, db = net.loss_and_grads(Xa[idx], ya[idx], label_smoothing)
            for W, b, gW, gb in zip(net.weights, net.biases, dW, db, strict=True):
                W -= lr * (gW + weight_decay * W)  # the penalty's gradient is lambda * W
                b -= lr * gb
        record()
        if best is not None and best.stop(history.val_loss, epoch, int(patience)):
            break
    if best is not None:
        best.restore(history)
    return history


class _BestWeights:
    """Early stopping's memory: the weights of the epoch with the lowest validation loss."""

    def __init__(self, net: Network) -> None:
        self.net, self.epoch = net, 0
        self.saved = [a.copy() for a in net.weights + net.biases]

    def stop(self, val_loss: list[float], epoch: int, patience: int) -> bool:
        """Remember this epoch if it is the best so far; True once ``patience`` epochs in
        a row brought no improvement."""
        if val_loss[epoch] < val_loss[self.epoch]:
            self.epoch = epoch
            self.saved = [a.copy() for a in self.net.weights + self.net.biases]
        return epoch - self.epoch >= patience

    def restore(self, history: History) -> None:
        for live, kept in zip(self.net.weights + self.net.biases, self.saved, strict=True):
            live[...] = kept
        history.best_epoch, history.stopped_epoch = self.epoch, len(history.val_loss) - 1
