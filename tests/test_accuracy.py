"""float64 results within a few ulp of a 50-digit mpmath reference, at every scale.

Scale s means normal logits with standard deviation s / 3, so they spread over about [-s, s]
with full 53-bit mantissas (``uniform(-s, s)`` would not do: ``-s + 2s * u`` rounds away the
low bits, and then ``x - max`` is exact by accident). At s = 700 the surviving probabilities
span the whole float64 range, which is where a plain ``exp(x - max)`` loses hundreds of ulp
(measured here too, on scipy, to show that the test can tell the difference).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import scipy.special as sp

from course_lib import cross_entropy, cross_entropy_grad, log_softmax, logsumexp, softmax
from tests._mp import max_ulps, mp_log_softmax, mp_logsumexp, mp_softmax

MAX_ULPS = 4
SCALES = [1, 30, 700]


def _logits(scale: float, shape: tuple[int, int], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape) * (scale / 3)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_within_a_few_ulp(scale, axis) -> None:
    x = _logits(scale, (6, 150), seed=scale)
    x = x if axis == -1 else x.T.copy()
    p = softmax(x, axis=axis)
    rows = p if axis == -1 else p.T
    src = x if axis == -1 else x.T
    for got, row in zip(rows, src, strict=True):
        assert max_ulps(got, mp_softmax(row)) <= MAX_ULPS


@pytest.mark.parametrize("scale", SCALES)
def test_log_softmax_within_a_few_ulp(scale) -> None:
    x = _logits(scale, (6, 150), seed=10 + scale)
    lp = log_softmax(x)
    for got, row in zip(lp, x, strict=True):
        assert max_ulps(got, mp_log_softmax(row)) <= MAX_ULPS


@pytest.mark.parametrize("scale", SCALES)
def test_logsumexp_within_a_few_ulp(scale) -> None:
    x = _logits(scale, (40, 60), seed=20 + scale)
    lse = logsumexp(x)
    assert max(max_ulps(g, [mp_logsumexp(r)]) for g, r in zip(lse, x, strict=True)) <= MAX_ULPS


@pytest.mark.parametrize("scale", SCALES)
def test_cross_entropy_within_a_few_ulp(scale) -> None:
    x = _logits(scale, (40, 60), seed=30 + scale)
    labels = np.random.default_rng(scale).integers(0, 60, 40)
    labels[:10] = x[:10].argmax(axis=1)  # confident and right: the loss is tiny
    loss = cross_entropy(x, labels, reduction="none")
    for i in range(40):
        ref = -mp_log_softmax(x[i])[labels[i]]
        assert max_ulps(loss[i], [ref]) <= MAX_ULPS


def test_confident_right_prediction_keeps_its_tiny_loss() -> None:
    # loss = log(1 + e^-30): computing logsumexp(x) - x[y] cancels almost every digit
    x = np.array([[30.0, 0.0]])
    ref = -mp_log_softmax(x[0])[0]
    assert max_ulps(cross_entropy(x, [0]), [ref]) <= 1
    naive = sp.logsumexp(x[0]) - x[0, 0]
    assert max_ulps(naive, [ref]) > 1e10  # why the care is needed
    g = cross_entropy_grad(x, [0])  # p_0 - 1 = -e^-30 / (1 + e^-30)
    assert max_ulps(g[0, 0], [-mp_softmax(x[0])[1]]) <= 2


def test_the_plain_shift_is_not_this_accurate() -> None:
    """The test above can fail: scipy's textbook shift is far outside the bound at scale 700."""
    x = _logits(700, (6, 150), seed=700)
    worst = max(max_ulps(g, mp_softmax(r)) for g, r in zip(sp.softmax(x, axis=-1), x, strict=True))
    assert worst > 50 * MAX_ULPS


@pytest.mark.parametrize("n", [2, 1000, 5000])
def test_sums_to_one_within_a_few_ulp(n) -> None:
    x = _logits(50, (20, n), seed=n)
    s = softmax(x).sum(axis=-1)
    assert np.abs(s - 1).max() <= 4 * np.finfo(np.float64).eps * max(1, np.log2(n))


# --- where=, merged axes, weights with ignored samples, smoothing: the same scales -----------


@pytest.mark.parametrize("scale", SCALES)
def test_where_within_a_few_ulp(scale) -> None:
    x = _logits(scale, (6, 150), seed=40 + scale)
    take = np.random.default_rng(scale).random(x.shape) < 0.6
    x[~take] = np.inf  # excluded: takes no part
    p, lp = softmax(x, where=take), log_softmax(x, where=take)
    lse = logsumexp(x, where=take)
    for i in range(6):
        row, t = x[i][take[i]], take[i]
        assert max_ulps(p[i][t], mp_softmax(row)) <= MAX_ULPS
        assert max_ulps(lp[i][t], mp_log_softmax(row)) <= MAX_ULPS
        assert max_ulps(lse[i], [mp_logsumexp(row)]) <= MAX_ULPS
        assert (p[i][~t] == 0).all() and (lp[i][~t] == -np.inf).all()


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("axes", [None, (0, 2), (2, 1)])
def test_merged_axes_within_a_few_ulp(scale, axes) -> None:
    x = _logits(scale, (4, 6, 25), seed=50 + scale)
    p = softmax(x, axis=axes)
    lse = np.reshape(logsumexp(x, axis=axes), -1)
    both = (0, 1, 2) if axes is None else axes
    rows = np.moveaxis(x, both, range(3 - len(both), 3)).reshape(len(lse), -1)
    p_rows = np.moveaxis(p, both, range(3 - len(both), 3)).reshape(rows.shape)
    for i in range(len(rows)):
        assert max_ulps(p_rows[i], mp_softmax(rows[i])) <= MAX_ULPS
        assert max_ulps(lse[i], [mp_logsumexp(rows[i])]) <= MAX_ULPS


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_weighted_cross_entropy_within_a_few_ulp(scale, eps) -> None:
    x = _logits(scale, (40, 60), seed=60 + scale)
    rng = np.random.default_rng(scale)
    labels = rng.integers(0, 60, 40)
    labels[:10] = x[:10].argmax(axis=1)  # confident and right: the loss is tiny
    labels[30:] = -1  # ignored
    w = rng.uniform(0.1, 5.0, 60)
    kw = {"weight": w, "ignore_index": -1, "label_smoothing": eps}
    per = cross_entropy(x, labels, reduction="none", **kw)
    refs = []
    for i in range(40):
        if labels[i] < 0:
            assert per[i] == 0.0
            refs.append(mpmath.mpf(0))
            continue
        logp = mp_log_softmax(x[i])
        ws = [mpmath.mpf(float(v)) for v in w]
        ref = -(1 - mpmath.mpf(eps)) * ws[labels[i]] * logp[labels[i]]
        ref -= mpmath.mpf(eps) / 60 * mpmath.fsum(a * b for a, b in zip(ws, logp, strict=True))
        refs.append(ref)
        assert max_ulps(per[i], [ref]) <= MAX_ULPS
    total = mpmath.fsum(refs)
    assert max_ulps(cross_entropy(x, labels, reduction="sum", **kw), [total]) <= MAX_ULPS
    mean = total / mpmath.fsum(mpmath.mpf(float(w[y])) for y in labels[:30])
    assert max_ulps(cross_entropy(x, labels, **kw), [mean]) <= MAX_ULPS
