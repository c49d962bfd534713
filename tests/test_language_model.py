"""Tests for course_lib.lessons.language_model: the bigram model, perplexity, attention.

References are written here from the definitions: pairs counted with collections.Counter,
log-probabilities from scipy.special.log_softmax one pair at a time, gradients by central
differences, attention by scipy's softmax over the full score matrix.
"""

from __future__ import annotations

import doctest
import math
from collections import Counter

import numpy as np
import pytest
import scipy.special

from course_lib import cross_entropy
from course_lib.lessons import language_model as lm
from course_lib.lessons.language_model import (
    Vocabulary,
    attention_entropy,
    attention_weights,
    bigram_counts,
    bigram_loss,
    bigram_loss_grad,
    causal_mask,
    count_model,
    generate,
    load_corpus,
    perplexity,
    streaming_attention,
    train_bigram,
)

TEXT = "the cat sat on the mat. the rat ate the hat, then sat."


def _pairs_nll(W, ids):
    """Mean of -log softmax(W[prev])[next] over every pair, one pair at a time."""
    logp = scipy.special.log_softmax(W, axis=1)
    return math.fsum(-logp[a, b] for a, b in zip(ids[:-1], ids[1:], strict=True)) / (
        len(ids) - 1)


def test_corpus_is_the_committed_snapshot_with_a_29_character_alphabet():
    text = load_corpus()
    assert set(text) == set(" ,.abcdefghijklmnopqrstuvwxyz")
    assert len(text) > 40_000 and "  " not in text and text == load_corpus()


def test_vocabulary_round_trips_and_refuses_unknown_characters():
    vocab = Vocabulary.from_text(TEXT)
    assert vocab.decode(vocab.encode(TEXT)) == TEXT
    assert vocab.size == len(set(TEXT))
    with pytest.raises(ValueError, match="'Q'"):
        vocab.encode("Q")


def test_counts_match_a_counter_of_pairs():
    vocab = Vocabulary.from_text(TEXT)
    counts = bigram_counts(vocab.encode(TEXT), vocab.size)
    pairs = Counter(zip(TEXT[:-1], TEXT[1:], strict=True))
    for a in vocab.chars:
        for b in vocab.chars:
            assert counts[vocab.chars.index(a), vocab.chars.index(b)] == pairs.get((a, b), 0)
    assert counts.sum() == len(TEXT) - 1


def test_count_model_rows_and_smoothing():
    counts = np.array([[0.0, 3.0, 1.0], [0.0, 0.0, 0.0], [2.0, 2.0, 0.0]])
    np.testing.assert_allclose(count_model(counts), [[0, 0.75, 0.25], [1 / 3] * 3, [0.5, 0.5, 0]])
    np.testing.assert_allclose(count_model(counts, alpha=1.0),
                               [[1 / 7, 4 / 7, 2 / 7], [1 / 3] * 3, [3 / 7, 3 / 7, 1 / 7]])


def test_grouped_loss_and_gradient_equal_the_per_pair_ones():
    vocab = Vocabulary.from_text(TEXT)
    ids = vocab.encode(TEXT)
    counts = bigram_counts(ids, vocab.size)
    W = np.random.default_rng(0).standard_normal((vocab.size, vocab.size))
    assert bigram_loss(W, counts) == pytest.approx(_pairs_nll(W, ids), rel=1e-13)
    # gradient: per pair softmax - onehot, divided by the number of pairs, added into its row
    p = scipy.special.softmax(W, axis=1)
    ref = np.zeros_like(W)
    for a, b in zip(ids[:-1], ids[1:], strict=True):
        ref[a] += p[a] - np.eye(vocab.size)[b]
    ref /= len(ids) - 1
    np.testing.assert_allclose(bigram_loss_grad(W, counts), ref, atol=1e-15)
    # and by central differences of the loss itself
    h, num = 1e-6, np.zeros_like(W)
    for i, j in [(0, 0), (3, 5), (vocab.size - 1, 2)]:
        e = np.zeros_like(W)
        e[i, j] = h
        num[i, j] = (bigram_loss(W + e, counts) - bigram_loss(W - e, counts)) / (2 * h)
        assert num[i, j] == pytest.approx(ref[i, j], abs=1e-9)


def test_counting_is_the_minimum_training_approaches():
    vocab = Vocabulary.from_text(TEXT)
    counts = bigram_counts(vocab.encode(TEXT), vocab.size)
    P = count_model(counts)
    mle = -math.fsum(c * math.log(P[a, b]) for (a, b), c in np.ndenumerate(counts) if c) / (
        counts.sum())
    W, losses = train_bigram(counts, steps=400, lr=20.0)
    assert losses[0] == pytest.approx(math.log(vocab.size), rel=1e-14)  # zeros: uniform
    assert np.all(np.diff(losses) <= 1e-15)  # gradient descent never goes up here
    assert np.all(losses >= mle - 1e-12)  # nothing beats the counted model on its own data
    assert losses[-1] - mle < 0.02
    np.testing.assert_allclose(scipy.special.softmax(W, axis=1)[counts.sum(1) > 5],
                               P[counts.sum(1) > 5], atol=0.02)
    with np.errstate(divide="ignore", invalid="ignore"):  # log 0 = -inf: never-seen pairs
        G = bigram_loss_grad(np.log(P), counts)
    assert np.abs(G).max() < 1e-15  # the counted model's logits are a stationary point


def test_perplexity_is_exp_mean_nll_and_uniform_gives_the_vocabulary_size():
    rng = np.random.default_rng(1)
    z, y = rng.standard_normal((6, 29)) * 3, rng.integers(0, 29, 6)
    ref = math.exp(-np.mean(scipy.special.log_softmax(z, axis=1)[np.arange(6), y]))
    assert perplexity(z, y) == pytest.approx(ref, rel=1e-13)
    assert perplexity(np.zeros((5, 29)), y[:5]) == pytest.approx(29, rel=1e-14)
    assert perplexity([[0.0, 50.0]], [1]) == pytest.approx(1.0, abs=1e-20)


def test_generate_follows_only_seen_pairs_and_is_seeded():
    vocab = Vocabulary.from_text(TEXT)
    counts = bigram_counts(vocab.encode(TEXT), vocab.size)
    with np.errstate(divide="ignore"):
        W = np.log(count_model(counts))
    text = generate(W, vocab, "t", 300, rng=5)
    assert len(text) == 301 and text == generate(W, vocab, "t", 300, rng=5)
    assert all(counts[vocab.chars.index(a), vocab.chars.index(b)] > 0
               for a, b in zip(text[:-1], text[1:], strict=True))
    greedy = generate(W, vocab, "t", 6, rng=0, top_k=1)
    expected = "t"
    for _ in range(6):
        expected += vocab.chars[int(np.argmax(counts[vocab.chars.index(expected[-1])]))]
    assert greedy == expected


def test_causal_mask_and_masked_attention():
    n = 5
    np.testing.assert_array_equal(causal_mask(n) == 0, np.tril(np.ones((n, n), bool)))
    assert np.all(causal_mask(n)[np.triu_indices(n, 1)] == -np.inf)
    rng = np.random.default_rng(2)
    q, k = rng.standard_normal((2, n, 8))
    w = attention_weights(q, k, causal_mask(n))
    ref = scipy.special.softmax(np.where(np.tri(n, dtype=bool), q @ k.T / math.sqrt(8),
                                         -np.inf), axis=1)
    np.testing.assert_allclose(w, ref, rtol=1e-13, atol=0)
    assert np.all(w[np.triu_indices(n, 1)] == 0.0) and w[0, 0] == 1.0
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-15)
    unscaled = attention_weights(q, k, scale=False)
    np.testing.assert_allclose(unscaled, scipy.special.softmax(q @ k.T, axis=1), rtol=1e-13)


def test_scaling_keeps_attention_from_saturating():
    ds = [1, 4, 16, 64, 256, 1024]
    scaled = [attention_entropy(d) for d in ds]
    unscaled = [attention_entropy(d, scale=False) for d in ds]
    assert scaled[0] == unscaled[0]  # sqrt(1) = 1
    assert max(scaled) - min(scaled) < 0.3 and min(scaled) > 3.4  # log 64 = 4.16
    # for large d the scaled scores are ~N(0, 1): entropy about log 64 - 1/2
    assert scaled[-1] == pytest.approx(math.log(64) - 0.5, abs=0.05)
    assert all(a > b for a, b in zip(unscaled, unscaled[1:], strict=False))
    assert unscaled[-1] < 0.2


@pytest.mark.parametrize("block", [1, 3, 7, 16, 100])
@pytest.mark.parametrize("causal", [False, True])
def test_streaming_attention_matches_the_full_softmax(block, causal):
    rng = np.random.default_rng(block)
    n, d = 16, 8
    q, k, v = rng.standard_normal((n, d)) * 30, rng.standard_normal((n, d)), rng.standard_normal(
        (n, 3))
    scores = q @ k.T / math.sqrt(d)
    if causal:
        scores = np.where(np.tri(n, dtype=bool), scores, -np.inf)
    ref = scipy.special.softmax(scores, axis=1) @ v
    with np.errstate(all="raise"):
        got = streaming_attention(q, k, v, block=block, causal=causal)
    np.testing.assert_allclose(got, ref, rtol=1e-11, atol=1e-13)
    with pytest.raises(ValueError, match="block"):
        streaming_attention(q, k, v, block=0)


def test_docstring_examples_of_the_module_run():
    assert doctest.testmod(lm, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0


# --- padded batches (lesson 08, section 7) ---------------------------------------------------


def test_pad_batch_on_either_side():
    ids, real = lm.pad_batch([[5, 6, 7], [8], []], pad=-1)
    np.testing.assert_array_equal(ids, [[5, 6, 7], [8, -1, -1], [-1, -1, -1]])
    np.testing.assert_array_equal(real, [[1, 1, 1], [1, 0, 0], [0, 0, 0]])
    ids, real = lm.pad_batch([[5, 6, 7], [8]], pad=0, side="left")
    np.testing.assert_array_equal(ids, [[5, 6, 7], [0, 0, 8]])
    np.testing.assert_array_equal(real, [[1, 1, 1], [0, 0, 1]])
    assert lm.pad_batch([], pad=0)[0].shape == (0, 0)
    with pytest.raises(ValueError, match="side"):
        lm.pad_batch([[1]], pad=0, side="middle")


@pytest.mark.parametrize("side", ["right", "left"])
def test_next_char_batch_and_the_loss_that_ignores_its_padding(side):
    vocab = Vocabulary.from_text(TEXT)
    texts = ["the cat sat.", "a rat", "then the mat, the hat."]
    x, y = lm.next_char_batch(texts, vocab, pad_id=3, ignore_index=-100, side=side)
    assert x.shape == y.shape == (3, max(len(t) for t in texts) - 1)
    for row, t in enumerate(texts):  # the real pairs, in order, then (or after) padding
        ids = vocab.encode(t)
        keep = y[row] != -100
        np.testing.assert_array_equal(x[row][keep], ids[:-1])
        np.testing.assert_array_equal(y[row][keep], ids[1:])
        assert (x[row][~keep] == 3).all()
        assert keep.sum() == len(t) - 1
    W = np.random.default_rng(0).normal(0, 2, (vocab.size, vocab.size))
    want = np.mean(np.concatenate([  # every real pair, one at a time, with scipy
        -scipy.special.log_softmax(W[vocab.encode(t)[:-1]], axis=1)[
            np.arange(len(t) - 1), vocab.encode(t)[1:]] for t in texts]))
    got = cross_entropy(W[x], y, ignore_index=-100)
    assert got == pytest.approx(want, rel=1e-14)
    with pytest.raises(ValueError, match="two characters"):
        lm.next_char_batch(["at", "a"], vocab)


def test_key_mask_and_masked_batched_attention():
    real = np.array([[True, True, True, False], [False, False, True, True]])
    for causal in (False, True):
        allowed = lm.key_mask(real, causal=causal)
        for b, i, j in np.ndindex(allowed.shape):
            assert allowed[b, i, j] == (real[b, j] and (j <= i or not causal))
    rng = np.random.default_rng(1)
    q, k = rng.standard_normal((2, 2, 4, 3))
    allowed = lm.key_mask(real, causal=True)
    w = attention_weights(q, k, where=allowed)
    for b, i in np.ndindex(2, 4):
        keys = allowed[b, i]
        if not keys.any():  # left padding under the causal rule: nothing to see, a row of 0s
            assert (w[b, i] == 0).all()
            continue
        scores = q[b, i] @ k[b].T / np.sqrt(3)
        np.testing.assert_allclose(w[b, i][keys], scipy.special.softmax(scores[keys]),
                                   rtol=1e-13)
        assert (w[b, i][~keys] == 0).all()
    with np.errstate(invalid="ignore"):
        minus_inf = attention_weights(q, k, mask=np.where(allowed, 0.0, -np.inf))
    assert np.isnan(minus_inf[1, :2]).all()  # the same rows with an additive -inf mask: NaN
    np.testing.assert_array_equal(minus_inf[0], w[0])
