"""Several labels at once: independent sigmoids with binary cross-entropy (lesson 06b).

Softmax with cross-entropy answers "which *one* of K classes?": its K probabilities share a
total of 1, so raising one lowers the others. When an input can carry any number of labels
at once (tags of a photo, the attributes of a digit), each label is its own yes/no question:
one logit per label, a sigmoid on each, and the binary cross-entropy of each against its 0/1
target, averaged over all n x K entries (PyTorch's ``BCEWithLogitsLoss``, Keras's
``binary_crossentropy`` with ``from_logits=True``).

- :data:`ATTRIBUTES` and :func:`attributes`: four yes/no facts about a digit (even, prime,
  at least 5, a multiple of 3), 0 to 3 of them true at once: the lesson's multi-label task;
- :func:`binary_cross_entropy` and :func:`binary_cross_entropy_grad`, from logits, stable
  for logits of any size;
- :func:`train_multilabel`: :class:`~course_lib.lessons.nn.Network` trained on that loss;
- :func:`train_softmax_sets`: the same network forced through one softmax (the targets
  spread evenly over each sample's labels), to show what softmax cannot express;
- :func:`label_sets`: the predicted sets, and :func:`exact_match` / :func:`label_accuracy`;
- :func:`plot_label_probabilities`: both models' answers for one input, side by side.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

from course_lib.functions import sigmoid
from course_lib.lessons.nn import History, Network, flatten
from course_lib.lessons.plots import COLORS, EDGE, HATCHES, describe
from course_lib.losses import cross_entropy, cross_entropy_grad

__all__ = ["ATTRIBUTES", "attributes", "binary_cross_entropy", "binary_cross_entropy_grad",
           "exact_match", "label_accuracy", "label_sets", "plot_label_probabilities",
           "train_multilabel", "train_softmax_sets"]

ATTRIBUTES = ("even", "prime", "5 or more", "multiple of 3")
_MEMBERS = ({0, 2, 4, 6, 8}, {2, 3, 5, 7}, {5, 6, 7, 8, 9}, {0, 3, 6, 9})


def attributes(digits: ArrayLike) -> np.ndarray:
    """The 0/1 targets of :data:`ATTRIBUTES` for each digit: shape ``(n, 4)``, float64.

    >>> attributes([6, 1, 3]).tolist()
    [[1.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 1.0]]
    """
    d = np.asarray(digits)
    if d.dtype.kind not in "iu" or (d.size and (d.min() < 0 or d.max() > 9)):
        raise ValueError("digits must be integers from 0 to 9")
    return np.stack([np.isin(d, sorted(m)) for m in _MEMBERS], axis=-1).astype(np.float64)


def _logits_targets(logits: ArrayLike, targets: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    z = np.asarray(logits)
    if z.dtype not in (np.float32, np.float64):
        z = z.astype(np.float64)
    t = np.asarray(targets, dtype=z.dtype)
    if z.shape != t.shape or z.size == 0:
        raise ValueError(f"logits and targets must have the same non-empty shape, got "
                         f"{z.shape} and {t.shape}")
    if not np.isfinite(z).all():
        raise ValueError("binary cross-entropy needs finite logits (no inf or nan)")
    if ((t < 0) | (t > 1)).any():
        raise ValueError("targets must lie between 0 and 1 (1: the label applies)")
    return z, t


def binary_cross_entropy(logits: ArrayLike, targets: ArrayLike) -> np.ndarray:
    """Mean over all entries of ``-[t log sigmoid(z) + (1 - t) log(1 - sigmoid(z))]``.

    Computed from the logits as ``max(z, 0) - z t + log(1 + exp(-|z|))``, which never
    overflows and never takes the log of 0: a confident wrong logit of 800 costs 800 nats,
    not ``inf``.

    Parameters
    ----------
    logits : array_like
        Any shape, finite. float32 stays float32; anything else becomes float64.
    targets : array_like
        The same shape, each between 0 and 1 (usually 0 or 1).

    Returns
    -------
    ndarray, 0-d
        The mean over every entry (samples and labels alike).

    Examples
    --------
    >>> float(binary_cross_entropy([[0.0, 800.0]], [[1, 0]])).__round__(4)  # log 2 and 800
    400.3466
    """
    z, t = _logits_targets(logits, targets)
    per_entry = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    return np.asarray(per_entry.mean(), dtype=z.dtype)


def binary_cross_entropy_grad(logits: ArrayLike, targets: ArrayLike) -> np.ndarray:
    """d :func:`binary_cross_entropy` / d logits: ``(sigmoid(z) - t) / z.size``.

    >>> binary_cross_entropy_grad([[0.0, 0.0]], [[1, 0]]).tolist()
    [[-0.25, 0.25]]
    """
    z, t = _logits_targets(logits, targets)
    return (sigmoid(z) - t) / z.size


def label_sets(logits: ArrayLike) -> np.ndarray:
    """The labels a multi-label model says yes to: ``sigmoid(z) > 0.5``, i.e. ``z > 0``."""
    return np.asarray(logits) > 0


def exact_match(logits: ArrayLike, targets: ArrayLike) -> float:
    """Share of samples whose whole predicted label set is right."""
    return float(np.mean((label_sets(logits) == (np.asarray(targets) > 0.5)).all(axis=-1)))


def label_accuracy(logits: ArrayLike, targets: ArrayLike) -> float:
    """Share of the n x K yes/no answers that are right."""
    return float(np.mean(label_sets(logits) == (np.asarray(targets) > 0.5)))


def train_multilabel(net: Network, X: ArrayLike, T: ArrayLike, *, epochs: int, lr: float,
                     batch_size: int = 32, seed: int = 0, X_val: ArrayLike | None = None,
                     T_val: ArrayLike | None = None) -> History:
    """Train ``net`` (one output per label) with mini-batch SGD on the binary cross-entropy.

    The same loop as :func:`course_lib.lessons.nn.train`, with the sigmoid loss in place of
    softmax cross-entropy; the backward pass is the network's own. ``History.accuracy``
    holds :func:`label_accuracy` (the share of yes/no answers that are right).

    >>> X = np.array([[0.0], [1.0]]); T = np.array([[0.0, 1.0], [1.0, 1.0]])
    >>> net = Network([1, 2], seed=0)
    >>> h = train_multilabel(net, X, T, epochs=200, lr=5.0, batch_size=2)
    >>> h.loss[-1] < h.loss[0], h.accuracy[-1]
    (True, 1.0)
    """
    Xa, Ta = flatten(X), np.asarray(T, dtype=np.float64)
    if Ta.shape != (Xa.shape[0], net.sizes[-1]):
        raise ValueError(f"T must have one row of {net.sizes[-1]} targets per sample, got "
                         f"shape {Ta.shape}")
    rng = np.random.default_rng(seed)
    history = History()

    def record() -> None:
        z = net.logits(Xa)
        history.loss.append(float(binary_cross_entropy(z, Ta)))
        history.accuracy.append(label_accuracy(z, Ta))
        if X_val is not None and T_val is not None:
            zv = net.logits(X_val)
            history.val_loss.append(float(binary_cross_entropy(zv, T_val)))
            history.val_accuracy.append(label_accuracy(zv, T_val))

    record()
    for _ in range(int(epochs)):
        order = rng.permutation(len(Xa))
        for i in range(0, len(Xa), int(batch_size)):
            idx = order[i:i + int(batch_size)]
            logits, cache = net.forward(Xa[idx])
            dW, db = net.backward(cache, binary_cross_entropy_grad(logits, Ta[idx]))
            for W, b, gW, gb in zip(net.weights, net.biases, dW, db, strict=True):
                W -= lr * gW
                b -= lr * gb
        record()
    return history


def train_softmax_sets(net: Network, X: ArrayLike, T: ArrayLike, *, epochs: int, lr: float,
                       batch_size: int = 32, seed: int = 0) -> History:
    """Train ``net`` with *softmax* cross-entropy on label sets: each sample's target is its
    labels with the probability spread evenly (``T / T.sum()``); samples with no label are
    left out, since a softmax must give its probability to some label.

    ``History.loss`` is that cross-entropy on the samples kept. This is the wrong model for
    a multi-label task, trained as well as it can be, so that its limits show.

    >>> X = np.array([[0.0], [1.0]]); T = np.array([[1.0, 1.0], [0.0, 0.0]])
    >>> h = train_softmax_sets(Network([1, 2], seed=0), X, T, epochs=3, lr=1.0)
    >>> len(h.loss)  # the sample with no label is left out, the other is trained on
    4
    """
    Xa, Ta = flatten(X), np.asarray(T, dtype=np.float64)
    keep = Ta.sum(axis=1) > 0
    Xk, Q = Xa[keep], Ta[keep] / Ta[keep].sum(axis=1, keepdims=True)
    rng = np.random.default_rng(seed)
    history = History()
    history.loss.append(float(cross_entropy(net.logits(Xk), Q)))
    for _ in range(int(epochs)):
        order = rng.permutation(len(Xk))
        for i in range(0, len(Xk), int(batch_size)):
            idx = order[i:i + int(batch_size)]
            logits, cache = net.forward(Xk[idx])
            dW, db = net.backward(cache, cross_entropy_grad(logits, Q[idx]))
            for W, b, gW, gb in zip(net.weights, net.biases, dW, db, strict=True):
                W -= lr * gW
                b -= lr * gb
        history.loss.append(float(cross_entropy(net.logits(Xk), Q)))
    return history


def plot_label_probabilities(ax: Axes, sigmoids: ArrayLike, softmaxes: ArrayLike,
                             truth: ArrayLike, title: str | None = None) -> Axes:
    """Two bars per label, for one input: the sigmoid model's probability (solid) and the
    softmax model's (hatched); the true labels are marked "yes" under their names, and the
    0.5 threshold is a dotted line."""
    names = [f"{n}\n({'yes' if t else 'no'})" for n, t in zip(ATTRIBUTES, truth, strict=True)]
    x = np.arange(len(names))
    ax.bar(x - 0.2, sigmoids, 0.4, label="independent sigmoids", color=COLORS[0],
           edgecolor=EDGE)
    ax.bar(x + 0.2, softmaxes, 0.4, label="one softmax", color=COLORS[1], hatch=HATCHES[1],
           edgecolor=EDGE)
    ax.axhline(0.5, color="#333333", linestyle=":", linewidth=1)
    ax.set_xticks(x, names)
    ax.set_ylim(0, 1.4)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1])
    ax.set_ylabel("probability the label applies")
    ax.legend(loc="upper center", ncols=2)
    if title:
        ax.set_title(title)
    describe(ax, (f"{title}: " if title else "") + "for each label, the sigmoids' probability "
             "then the softmax's: " + "; ".join(
                 f"{n} ({'yes' if t else 'no'}) {s:.2f} and {m:.2f}" for n, t, s, m in zip(
                     ATTRIBUTES, truth, sigmoids, softmaxes, strict=True)))
    return ax
