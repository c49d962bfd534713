"""A character-level bigram language model, perplexity, and attention weights as a softmax.

What lesson 08 stands on. The model predicts the next character from the previous one:
a table of ``V x V`` logits, one row per previous character, and ``softmax`` of a row is the
distribution of the next character. It can be fitted two ways that meet at the same place:

- **by counting** (:func:`bigram_counts`, :func:`count_model`): the maximum-likelihood
  answer is the fraction of times each character follows each other one;
- **by gradient descent** on the mean cross-entropy (:func:`train_bigram`), using
  :func:`course_lib.cross_entropy_grad` on the logits.

Every pair with the same previous character has the same row of logits, so the mean
cross-entropy over all pairs equals a weighted sum over the ``V`` rows, with the row's
share of the pairs as weight and the row's next-character frequencies as a probability
target (:func:`grouped_targets`). Training on that form costs ``V x V`` per step
instead of one row per pair, and gives the same loss and gradient.

The text is a committed snapshot of the course's own prose (``course_lib/data``, written by
``tools/make_prose_corpus.py``): no download, the same numbers on every run.

Batches: sentences differ in length, so a batch pads them to the longest
(:func:`pad_batch`, :func:`next_char_batch`); the padding is left out of the loss with
``cross_entropy(..., ignore_index=...)`` and out of attention with a mask
(:func:`key_mask`).

The attention part: :func:`causal_mask` writes "may not look ahead" as ``-inf``,
:func:`attention_weights` is ``softmax(q k^T / sqrt(d) + mask)`` (or with a boolean
``where=`` mask), and
:func:`streaming_attention` computes ``softmax(scores) @ v`` one block of keys at a time
with the running max and rescaled sum of :mod:`course_lib.lessons.streaming`, so the full
row of scores never has to exist at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from course_lib.functions import softmax
from course_lib.lessons.sampling import sample
from course_lib.losses import cross_entropy, cross_entropy_grad

__all__ = [
    "CORPUS_PATH",
    "Vocabulary",
    "attention_entropy",
    "attention_weights",
    "bigram_counts",
    "bigram_loss",
    "bigram_loss_grad",
    "causal_mask",
    "count_model",
    "generate",
    "grouped_targets",
    "key_mask",
    "load_corpus",
    "next_char_batch",
    "pad_batch",
    "perplexity",
    "streaming_attention",
    "train_bigram",
]

CORPUS_PATH = Path(__file__).resolve().parents[1] / "data" / "course_prose.txt"


def load_corpus() -> str:
    """The prose of lessons 00-07 as one line of lowercase text (``a-z``, space, ``,``, ``.``).

    >>> text = load_corpus()
    >>> len(text), text[:30]
    (43118, 'start here. how this course wo')
    """
    return " ".join(CORPUS_PATH.read_text(encoding="utf-8").split())


@dataclass(frozen=True)
class Vocabulary:
    """The characters of a text in sorted order; a character's id is its position.

    >>> vocab = Vocabulary.from_text("hello world")
    >>> vocab.chars, vocab.size
    (' dehlorw', 8)
    >>> vocab.encode("low"), vocab.decode([4, 5, 7])
    (array([4, 5, 7]), 'low')
    """

    chars: str

    @classmethod
    def from_text(cls, text: str) -> Vocabulary:
        return cls("".join(sorted(set(text))))

    @property
    def size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.chars)}
        unknown = sorted(set(text) - set(index))
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {''.join(unknown)!r}")
        return np.array([index[c] for c in text], dtype=np.int64)

    def decode(self, ids: ArrayLike) -> str:
        return "".join(self.chars[int(i)] for i in np.asarray(ids).ravel())


def bigram_counts(ids: ArrayLike, vocab_size: int) -> np.ndarray:
    """``counts[a, b]``: how often character ``b`` follows character ``a`` in ``ids``.

    >>> bigram_counts([0, 1, 0, 1, 1], 2)
    array([[0., 2.],
           [1., 1.]])
    """
    x = np.asarray(ids, dtype=np.int64)
    counts = np.zeros((vocab_size, vocab_size))
    np.add.at(counts, (x[:-1], x[1:]), 1.0)
    return counts


def count_model(counts: ArrayLike, alpha: float = 0.0) -> np.ndarray:
    """Next-character probabilities from counts: ``(counts + alpha)`` divided by its row sum.

    ``alpha = 0`` is the maximum-likelihood model (pairs never seen get probability 0);
    ``alpha = 1`` is Laplace's add-one smoothing. A row with no counts at all (a character
    never followed by anything) is uniform.

    >>> count_model([[0.0, 2.0], [1.0, 1.0]])
    array([[0. , 1. ],
           [0.5, 0.5]])
    >>> count_model([[0.0, 2.0], [0.0, 0.0]], alpha=1.0)
    array([[0.25, 0.75],
           [0.5 , 0.5 ]])
    """
    c = np.asarray(counts, dtype=np.float64) + alpha
    total = c.sum(axis=1, keepdims=True)
    return np.where(total > 0, c / np.where(total > 0, total, 1.0), 1.0 / c.shape[1])


def grouped_targets(counts: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """The pairs grouped by previous character: ``(weights, targets)``.

    ``weights[a]`` is the share of all pairs whose previous character is ``a`` and
    ``targets[a]`` the distribution of the character that follows it (uniform for a row
    with no pairs, whose weight is 0 anyway).

    >>> w, t = grouped_targets([[0.0, 2.0], [1.0, 1.0]])
    >>> w, t
    (array([0.5, 0.5]), array([[0. , 1. ],
           [0.5, 0.5]]))
    """
    c = np.asarray(counts, dtype=np.float64)
    return c.sum(axis=1) / c.sum(), count_model(c)


def bigram_loss(logits: ArrayLike, counts: ArrayLike) -> float:
    """Mean cross-entropy (nats per character) of the pairs in ``counts`` under ``logits``.

    Equals ``cross_entropy(logits[prev], next)`` over every pair, computed per row.

    >>> round(bigram_loss(np.zeros((3, 3)), np.ones((3, 3))), 6)  # uniform: log 3
    1.098612
    """
    w, t = grouped_targets(counts)
    return float(np.sum(w * cross_entropy(logits, t, reduction="none")))


def bigram_loss_grad(logits: ArrayLike, counts: ArrayLike) -> np.ndarray:
    """Gradient of :func:`bigram_loss` with respect to the ``V x V`` logits.

    Row ``a`` is ``weights[a] * (softmax(logits[a]) - targets[a])``.

    >>> bigram_loss_grad(np.zeros((2, 2)), [[0.0, 2.0], [1.0, 1.0]])
    array([[ 0.25, -0.25],
           [ 0.  ,  0.  ]])
    """
    w, t = grouped_targets(counts)
    return w[:, None] * cross_entropy_grad(logits, t, reduction="none")


def train_bigram(
    counts: ArrayLike, steps: int, lr: float, logits: ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient descent on :func:`bigram_loss`, from all-zero logits (the uniform model).

    Returns the trained logits and the loss before each step and after the last
    (``steps + 1`` values, nats per character).

    >>> W, losses = train_bigram([[0.0, 2.0], [1.0, 1.0]], steps=200, lr=5.0)
    >>> softmax(W).round(3)  # the counted model is [[0, 1], [0.5, 0.5]]
    array([[0.001, 0.999],
           [0.5  , 0.5  ]])
    >>> losses[[0, -1]].round(4)  # from log 2 towards the counted model's log(2) / 2
    array([0.6931, 0.3471])
    """
    c = np.asarray(counts, dtype=np.float64)
    W = np.zeros(c.shape) if logits is None else np.array(logits, dtype=np.float64)
    w, t = grouped_targets(c)
    losses = np.empty(steps + 1)
    for step in range(steps + 1):
        losses[step] = np.sum(w * cross_entropy(W, t, reduction="none"))
        if step < steps:
            W -= lr * w[:, None] * cross_entropy_grad(W, t, reduction="none")
    return W, losses


def perplexity(logits: ArrayLike, targets: ArrayLike) -> float:
    """``exp`` of the mean cross-entropy (in nats): the model's effective number of choices.

    A model that spreads its probability evenly over ``K`` choices has perplexity ``K``;
    a perfect model has perplexity 1.

    >>> perplexity(np.zeros((4, 29)), [0, 5, 9, 28])  # uniform over 29 characters
    29.000000000000004
    >>> round(perplexity([[1.0, 3.0, 2.0]], [1]), 6)  # 1 / 0.66524096
    1.503215
    """
    return float(np.exp(cross_entropy(logits, targets)))


def generate(
    logits: ArrayLike,
    vocab: Vocabulary,
    start: str,
    length: int,
    *,
    rng: np.random.Generator | int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> str:
    """Sample ``length`` characters after ``start`` from a ``V x V`` table of bigram logits.

    >>> W = np.array([[0.0, 0.0], [-np.inf, 0.0]])  # b is always followed by b
    >>> generate(W, Vocabulary("ab"), "b", 5, rng=0)
    'bbbbbb'
    """
    table = np.asarray(logits, dtype=np.float64)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    out = list(vocab.encode(start))
    for _ in range(length):
        nxt = sample(table[out[-1]], temperature, rng=gen, top_k=top_k, top_p=top_p)
        out.append(int(nxt))
    return vocab.decode(out)


# --- batches of sentences of different lengths ------------------------------------------------

IGNORE = -100  # the label that marks "no target here", PyTorch's default ignore_index


def pad_batch(
    sequences: list[ArrayLike], pad: int, side: str = "right"
) -> tuple[np.ndarray, np.ndarray]:
    """Sequences of different lengths as one ``(batch, longest)`` int array, and its mask.

    Each row is filled up with ``pad`` after its sequence (``side="right"``) or before it
    (``side="left"``, as some models pad prompts). The mask is True on the real entries.

    >>> ids, real = pad_batch([[5, 6, 7], [8]], pad=0)
    >>> ids
    array([[5, 6, 7],
           [8, 0, 0]])
    >>> real
    array([[ True,  True,  True],
           [ True, False, False]])
    >>> pad_batch([[5, 6, 7], [8]], pad=0, side="left")[0]
    array([[5, 6, 7],
           [0, 0, 8]])
    """
    if side not in ("right", "left"):
        raise ValueError(f'side must be "right" or "left", got {side!r}')
    seqs = [np.asarray(s, dtype=np.int64).ravel() for s in sequences]
    longest = max((len(s) for s in seqs), default=0)
    ids = np.full((len(seqs), longest), pad, dtype=np.int64)
    real = np.zeros((len(seqs), longest), dtype=bool)
    for row, s in enumerate(seqs):
        cols = slice(0, len(s)) if side == "right" else slice(longest - len(s), longest)
        ids[row, cols] = s
        real[row, cols] = True
    return ids, real


def next_char_batch(
    texts: list[str], vocab: Vocabulary, pad_id: int = 0, ignore_index: int = IGNORE,
    side: str = "right",
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-character targets of a batch of texts, padded to the longest.

    A text of ``L`` characters gives ``L - 1`` pairs: ``inputs[b, t]`` is a character and
    ``targets[b, t]`` the one after it. Where a row has no pair (the padding) the input is
    ``pad_id`` (any character will do, it is never judged) and the target ``ignore_index``,
    so ``cross_entropy(logits, targets, ignore_index=ignore_index)`` leaves it out.

    >>> x, y = next_char_batch(["abca", "ba"], Vocabulary("abc"))
    >>> x
    array([[0, 1, 2],
           [1, 0, 0]])
    >>> y
    array([[   1,    2,    0],
           [   0, -100, -100]])
    """
    ids = [vocab.encode(t) for t in texts]
    short = [t for t, i in zip(texts, ids, strict=True) if len(i) < 2]
    if short:
        raise ValueError(f"every text needs at least two characters to make a pair: {short!r}")
    inputs, _ = pad_batch([i[:-1] for i in ids], pad_id, side)
    targets, _ = pad_batch([i[1:] for i in ids], ignore_index, side)
    return inputs, targets


def key_mask(real: ArrayLike, causal: bool = False) -> np.ndarray:
    """Which keys each query may attend to, for a padded batch: ``(batch, n, n)`` booleans.

    ``real`` is the ``(batch, n)`` mask of real tokens (True) and padding (False). Query
    ``i`` of row ``b`` may see key ``j`` when ``j`` is a real token, and, with ``causal``,
    when ``j <= i``. Give it to ``softmax(scores, where=...)``: the padding gets weight
    exactly 0, and a query that may see nothing (left padding under a causal mask) gets
    a row of 0s rather than NaN.

    >>> key_mask([[True, True, False]], causal=True).astype(int)
    array([[[1, 0, 0],
            [1, 1, 0],
            [1, 1, 0]]])
    """
    r = np.asarray(real, dtype=bool)
    m = np.broadcast_to(r[:, None, :], (r.shape[0], r.shape[1], r.shape[1]))
    return m & np.tri(r.shape[1], dtype=bool) if causal else m.copy()


# --- attention ---------------------------------------------------------------------------


def causal_mask(n: int) -> np.ndarray:
    """``(n, n)`` additive mask: 0 where query ``i`` may see key ``j`` (``j <= i``), else -inf.

    >>> causal_mask(3)
    array([[  0., -inf, -inf],
           [  0.,   0., -inf],
           [  0.,   0.,   0.]])
    """
    return np.where(np.tri(n, dtype=bool), 0.0, -np.inf)


def attention_weights(
    q: ArrayLike, k: ArrayLike, mask: ArrayLike | None = None, scale: bool = True,
    where: ArrayLike | None = None,
) -> np.ndarray:
    """``softmax(q @ k.T / sqrt(d) + mask)`` along the keys; ``scale=False`` drops ``1/sqrt(d)``.

    ``q`` is ``(n_queries, d)``, ``k`` is ``(n_keys, d)`` (or a batch of each,
    ``(batch, n, d)``); each row of the result is one query's weights over the keys and sums
    to 1. A masked key (``-inf`` in the additive ``mask``, or False in the boolean ``where``,
    see :func:`key_mask`) gets exactly 0; a query with every key masked gets NaN from
    ``-inf`` but 0s from ``where``.

    >>> q = k = np.eye(2)
    >>> attention_weights(q, k, causal_mask(2)).round(4)
    array([[1.    , 0.    ],
           [0.3302, 0.6698]])
    """
    qa, ka = np.asarray(q, dtype=np.float64), np.asarray(k, dtype=np.float64)
    scores = qa @ np.swapaxes(ka, -1, -2)
    if scale:
        scores = scores / np.sqrt(qa.shape[-1])
    if mask is not None:
        scores = scores + np.asarray(mask, dtype=np.float64)
    return softmax(scores, axis=-1, where=where)


def attention_entropy(
    d: int, n_keys: int = 64, n_queries: int = 256, *, scale: bool = True, seed: int = 0
) -> float:
    """Mean entropy (nats) of the attention weights of random queries and keys of dimension d.

    Entries of ``q`` and ``k`` are independent standard normals, so ``q . k`` has variance
    ``d``; dividing by ``sqrt(d)`` brings it back to 1 whatever ``d`` is. The uniform
    weights have entropy ``log(n_keys)``; saturated (one-hot) weights have 0.

    >>> round(attention_entropy(512, scale=False), 2), round(attention_entropy(512), 2)
    (0.18, 3.67)
    """
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((n_queries, d))
    k = rng.standard_normal((n_keys, d))
    p = attention_weights(q, k, scale=scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    return float(-plogp.sum(axis=-1).mean())


def _exp_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``exp(a - b)`` for ``a <= b``, and 1 where ``a == b`` (both -inf included)."""
    with np.errstate(invalid="ignore"):
        return np.where(a == b, 1.0, np.exp(a - b))


def streaming_attention(
    q: ArrayLike, k: ArrayLike, v: ArrayLike, block: int, causal: bool = False
) -> np.ndarray:
    """``attention_weights(q, k) @ v``, reading the keys and values ``block`` rows at a time.

    Per query it keeps the running max ``m`` of the scores, the running sum ``s`` of
    ``exp(score - m)`` and the running weighted sum of values, all three rescaled by
    ``exp(m_old - m_new)`` whenever the max grows (the online softmax of lesson 07, as in
    FlashAttention). Memory: one ``(n_queries, block)`` tile of scores, never the whole row.
    ``causal=True`` lets query ``i`` see keys ``0..i`` only (``q`` and ``k`` the same length).

    >>> rng = np.random.default_rng(0)
    >>> q, k, v = rng.standard_normal((3, 5, 4))
    >>> full = attention_weights(q, k, causal_mask(5)) @ v
    >>> bool(np.allclose(streaming_attention(q, k, v, block=2, causal=True), full))
    True
    """
    qa, ka, va = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    if block < 1:
        raise ValueError(f"block must be at least 1 key, got {block}")
    n_q, d = qa.shape
    m = np.full(n_q, -np.inf)
    s = np.zeros(n_q)
    acc = np.zeros((n_q, va.shape[1]))
    for start in range(0, ka.shape[0], block):
        scores = qa @ ka[start : start + block].T / np.sqrt(d)
        if causal:
            keys = np.arange(start, start + scores.shape[1])
            scores = np.where(keys[None, :] <= np.arange(n_q)[:, None], scores, -np.inf)
        new_m = np.maximum(m, scores.max(axis=1))
        rescale = _exp_diff(m, new_m)
        e = _exp_diff(scores, new_m[:, None])
        s = s * rescale + e.sum(axis=1)
        acc = acc * rescale[:, None] + e @ va[start : start + block]
        m = new_m
    return acc / s[:, None]
