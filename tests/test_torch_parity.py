"""cross_entropy and cross_entropy_grad against PyTorch, every combination of the options.

``weight``, ``ignore_index``, ``label_smoothing`` and ``reduction`` are checked together,
with class-label and probability targets, in float64, on the ``(N, C)`` and ``(N, C, d)``
layouts (torch's classes are dimension 1: ``axis=1`` here), loss and gradient (torch's
autograd). torch is a test dependency only (the CPU build, installed by ``make test``);
without it these tests skip with a loud reason, and fail under ``CI=true``.

``python -m tests.test_torch_parity`` prints the comparison as a table.
"""

from __future__ import annotations

import itertools
import os
import warnings

import numpy as np
import pytest

from course_lib import cross_entropy, cross_entropy_grad

try:
    import torch
    import torch.nn.functional as tf
except ImportError:  # pragma: no cover - depends on the machine
    torch = None

REDUCTIONS = ("mean", "sum", "none")
SMOOTHING = (0.0, 0.1, 1.0)
IGNORE = (None, -100, 1)  # torch's padding label, and a real class ignored
WEIGHTS = (None, "weights", "with a zero")
LAYOUTS = {"(N, C)": ((7, 5), 1), "(N, C, d)": ((4, 5, 3), 1)}
RTOL = 1e-12


@pytest.fixture(autouse=True)
def _torch_needed() -> None:
    if torch is None:
        reason = ("torch is not installed in .venv (make test installs its CPU build; see "
                  "README, 'Tests that compare with PyTorch')")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"torch comparison cannot run under CI=true: {reason}")
        pytest.skip(f"TORCH TESTS SKIPPED: {reason}")


def _case(layout: str, weights: str | None, ignore: int | None, probs: bool, seed: int):
    shape, axis = LAYOUTS[layout]
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 3, shape)
    k = shape[axis]
    sample_shape = shape[:axis] + shape[axis + 1 :]
    if probs:
        t = rng.random(shape)
        t /= t.sum(axis=axis, keepdims=True)
    else:
        t = rng.integers(0, k, sample_shape)
        if ignore is not None:
            flat = t.reshape(-1)
            flat[::3] = ignore  # a third of the samples are ignored
    w = None
    if weights is not None:
        w = rng.uniform(0.2, 3.0, k)
        if weights == "with a zero":
            w[2] = 0.0
    return z, t, axis, w


def _torch(z, t, w, ignore, eps, reduction):
    """torch's loss and gradient (of the loss's sum for "none")."""
    zt = torch.tensor(z, requires_grad=True)
    tt = torch.tensor(t)
    kw = {"label_smoothing": eps, "reduction": reduction}
    if w is not None:
        kw["weight"] = torch.tensor(w)
    if ignore is not None:
        kw["ignore_index"] = ignore
    loss = tf.cross_entropy(zt, tt, **kw)
    (loss.sum() if reduction == "none" else loss).backward()
    return loss.detach().numpy(), zt.grad.numpy()


def _ours(z, t, axis, w, ignore, eps, reduction):
    kw = {"axis": axis, "label_smoothing": eps, "reduction": reduction, "weight": w,
          "ignore_index": ignore}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = cross_entropy(z, t, **kw)
        grad = cross_entropy_grad(z, t, **kw)
    if reduction == "none":  # the gradient of each sample's loss: together, of their sum
        return loss, grad
    return loss, grad


COMBOS = list(itertools.product(LAYOUTS, WEIGHTS, IGNORE, SMOOTHING, REDUCTIONS, (False, True)))


def _ids(c) -> str:
    layout, weights, ignore, eps, reduction, probs = c
    return (f"{layout}-w={weights}-ignore={ignore}-eps={eps}-{reduction}-"
            f"{'probs' if probs else 'labels'}")


@pytest.mark.parametrize("combo", COMBOS, ids=[_ids(c) for c in COMBOS])
def test_matches_torch(combo) -> None:
    layout, weights, ignore, eps, reduction, probs = combo
    z, t, axis, w = _case(layout, weights, ignore, probs, seed=COMBOS.index(combo))
    if probs and ignore is not None:
        # torch refuses an ignore_index it could meet (>= 0); it lets its default -100 pass,
        # which can never match a probability. Here any ignore_index is refused.
        with pytest.raises(ValueError, match="ignore_index"):
            cross_entropy(z, t, axis=axis, ignore_index=ignore)
        with pytest.raises(ValueError, match="ignore_index"):
            cross_entropy_grad(z, t, axis=axis, ignore_index=ignore)
        if ignore >= 0:
            with pytest.raises(RuntimeError, match="ignore_index"):
                _torch(z, t, w, ignore, eps, reduction)
        return
    want_loss, want_grad = _torch(z, t, w, ignore, eps, reduction)
    loss, grad = _ours(z, t, axis, w, ignore, eps, reduction)
    assert np.shape(loss) == want_loss.shape
    np.testing.assert_allclose(loss, want_loss, rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(grad, want_grad, rtol=RTOL, atol=1e-15)


def test_all_ignored_mean_is_an_error_where_torch_gives_nan() -> None:
    z = np.zeros((3, 4))
    labels = np.array([-100, -100, -100])
    want, _ = _torch(z, labels, None, -100, 0.0, "mean")
    assert np.isnan(want)
    with pytest.raises(ValueError, match="every sample is ignored"):
        cross_entropy(z, labels, ignore_index=-100)
    with pytest.raises(ValueError, match="every sample is ignored"):
        cross_entropy_grad(z, labels, ignore_index=-100)
    assert cross_entropy(z, labels, ignore_index=-100, reduction="sum") == 0.0


def test_ignored_samples_count_for_nothing_whatever_their_logits() -> None:
    # padding rows may hold anything; torch gives 0 for an ignored NaN row too
    z = np.array([[1.0, 2.0, 0.5], [np.nan, np.inf, -np.inf], [-np.inf] * 3])
    labels = np.array([1, -100, -100])
    want, want_grad = _torch(z, labels, None, -100, 0.1, "mean")
    got = cross_entropy(z, labels, ignore_index=-100, label_smoothing=0.1)
    grad = cross_entropy_grad(z, labels, ignore_index=-100, label_smoothing=0.1)
    np.testing.assert_allclose(got, want, rtol=RTOL)
    assert (grad[1:] == 0).all()
    np.testing.assert_allclose(grad[0], want_grad[0], rtol=RTOL)


def test_zero_weight_on_a_masked_class_counts_zero_where_torch_gives_nan() -> None:
    z = np.array([[-np.inf, 1.0, 2.0]])
    w = np.array([0.0, 1.0, 1.0])
    want, _ = _torch(z, np.array([0]), w, None, 0.0, "sum")
    assert np.isnan(want)  # torch: 0 * inf
    assert cross_entropy(z, [0], weight=w, reduction="sum") == 0.0


def comparison_table() -> list[tuple[str, str, str, str, str, float, float]]:
    """(targets, weight, ignore_index, label_smoothing, reduction, max relative difference of
    the loss, of the gradient) over both layouts."""
    rows = []
    for weights, ignore, eps, reduction, probs in itertools.product(
            WEIGHTS, IGNORE, SMOOTHING, REDUCTIONS, (False, True)):
        if probs and ignore is not None:
            continue
        worst = [0.0, 0.0]
        for layout in LAYOUTS:
            combo = (layout, weights, ignore, eps, reduction, probs)
            z, t, axis, w = _case(layout, weights, ignore, probs, seed=COMBOS.index(combo))
            theirs = _torch(z, t, w, ignore, eps, reduction)
            ours = _ours(z, t, axis, w, ignore, eps, reduction)
            for i in range(2):
                a, b = np.asarray(ours[i]), np.asarray(theirs[i])
                rel = np.abs(a - b) / np.maximum(np.abs(b), 1e-300)
                worst[i] = max(worst[i], float(np.max(np.where(a == b, 0.0, rel))))
        rows.append(("probs" if probs else "labels", str(weights), str(ignore), str(eps),
                     reduction, worst[0], worst[1]))
    return rows


if __name__ == "__main__":  # pragma: no cover
    print(f"torch {torch.__version__}; float64; layouts {', '.join(LAYOUTS)} (axis=1)")
    print("| targets | weight | ignore_index | label_smoothing | reduction | "
          "max rel. diff. loss | max rel. diff. grad |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in comparison_table():
        print("| " + " | ".join(r[:5]) + f" | {r[5]:.1e} | {r[6]:.1e} |")
