"""cross_entropy and cross_entropy_grad against definitions, scipy and finite differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special as sp
from numpy.exceptions import AxisError

from course_lib import cross_entropy, cross_entropy_grad

RNG = np.random.default_rng(2024)


def ref_loss(z, t, axis=-1, eps=0.0):
    """Per-sample loss from the textbook definition, with scipy's log_softmax."""
    z = np.asarray(z, dtype=np.float64)
    k = z.shape[axis]
    if np.asarray(t).dtype.kind in "iu":
        labels = np.asarray(t)
        onehot = np.zeros(labels.shape + (k,))
        np.put_along_axis(onehot, labels[..., None], 1.0, axis=-1)
        t = np.moveaxis(onehot, -1, axis)
    t = (1 - eps) * np.asarray(t, dtype=np.float64) + eps / k  # PyTorch / Keras smoothing
    return -(t * sp.log_softmax(z, axis=axis)).sum(axis=axis)


def test_seed_example() -> None:
    # softmax([1, 3, 2]) = [0.09003057, 0.66524096, 0.24472847]; the target is class 1
    assert float(cross_entropy([1.0, 3.0, 2.0], 1)) == pytest.approx(-np.log(0.66524096), abs=1e-8)
    assert float(cross_entropy([[1.0, 3.0, 2.0]], [[0.0, 1.0, 0.0]])) == pytest.approx(
        0.40760596444438, rel=1e-12
    )
    np.testing.assert_allclose(
        cross_entropy_grad([1.0, 3.0, 2.0], 1), [0.09003057, 0.66524096 - 1, 0.24472847], rtol=1e-7
    )


@pytest.mark.parametrize("shape,axis", [((8, 5), -1), ((5, 8), 0), ((3, 4, 6), 1), ((7,), 0)])
@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_matches_definition(shape, axis, eps) -> None:
    z = RNG.normal(0, 3, shape)
    k = shape[axis]
    labels = RNG.integers(0, k, size=np.delete(np.array(shape), axis))
    per = cross_entropy(z, labels, axis=axis, reduction="none", label_smoothing=eps)
    np.testing.assert_allclose(per, ref_loss(z, labels, axis, eps), rtol=1e-12)
    assert float(cross_entropy(z, labels, axis=axis, label_smoothing=eps)) == pytest.approx(
        ref_loss(z, labels, axis, eps).mean(), rel=1e-12
    )
    assert float(
        cross_entropy(z, labels, axis=axis, reduction="sum", label_smoothing=eps)
    ) == pytest.approx(ref_loss(z, labels, axis, eps).sum(), rel=1e-12)
    probs = sp.softmax(RNG.normal(size=shape), axis=axis)
    np.testing.assert_allclose(
        cross_entropy(z, probs, axis=axis, reduction="none", label_smoothing=eps),
        ref_loss(z, probs, axis, eps),
        rtol=1e-12,
    )


def test_big_batch_uses_the_blocked_path() -> None:
    z = RNG.normal(0, 10, (3000, 40))
    labels = RNG.integers(0, 40, 3000)
    # scipy's route loses digits on tiny losses (see test_accuracy.py): compare absolutely too
    np.testing.assert_allclose(cross_entropy(z, labels, reduction="none"), ref_loss(z, labels),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        cross_entropy(z.T.copy(), labels, axis=0, reduction="none", label_smoothing=0.2),
        ref_loss(z, labels, eps=0.2),
        rtol=1e-12,
        atol=1e-15,
    )


@pytest.mark.parametrize("eps", [0.0, 0.3])
def test_very_long_slices(eps) -> None:
    z = RNG.normal(0, 4, (2, 50000)).astype(np.float32)
    labels = np.array([7, 49999])
    np.testing.assert_allclose(
        cross_entropy(z, labels, reduction="none", label_smoothing=eps),
        ref_loss(z, labels, eps=eps), rtol=1e-6,
    )
    probs = sp.softmax(RNG.normal(size=z.shape), axis=-1)
    np.testing.assert_allclose(cross_entropy(z.astype(np.float64), probs, reduction="none"),
                               ref_loss(z, probs), rtol=1e-12)


def test_one_hot_and_integer_targets_agree() -> None:
    z = RNG.normal(size=(6, 4))
    labels = np.array([0, 3, 1, 1, 2, 0])
    assert cross_entropy(z, labels) == pytest.approx(float(cross_entropy(z, np.eye(4)[labels])),
                                                     rel=1e-14)


def test_masks_and_extremes() -> None:
    z = np.array([[-np.inf, 2.0, 1.0], [-np.inf, 2.0, 1.0], [1e308, -1e308, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        per = cross_entropy(z, [1, 0, 1], reduction="none")
    assert per[0] == pytest.approx(-sp.log_softmax([2.0, 1.0])[0])
    assert per[1] == np.inf  # the target class was masked out
    assert per[2] == np.inf  # exact answer about 2e308: beyond the float range
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nan_row = cross_entropy([[np.nan, 1.0], [0.0, 1.0]], [1, 1], reduction="none")
    assert np.isnan(nan_row[0]) and np.isfinite(nan_row[1])


def test_dtypes_and_lists() -> None:
    z32 = RNG.normal(size=(4, 3)).astype(np.float32)
    assert cross_entropy(z32, [0, 1, 2, 0]).dtype == np.float32
    assert cross_entropy_grad(z32, [0, 1, 2, 0]).dtype == np.float32
    assert cross_entropy(z32.astype(np.float16), [0, 1, 2, 0], reduction="none").dtype == np.float16
    assert cross_entropy([[1, 2, 3]], [2]).dtype == np.float64
    labels = np.array([0, 1, 2, 0])
    z = RNG.normal(size=(4, 3))
    keep = z.copy()
    z.flags.writeable = False
    cross_entropy(z, labels)
    cross_entropy_grad(z, labels, label_smoothing=0.1)
    np.testing.assert_array_equal(z, keep)
    np.testing.assert_array_equal(labels, [0, 1, 2, 0])


def test_clear_errors() -> None:
    z = np.zeros((2, 3))
    with pytest.raises(ValueError, match="label 3 at position \\(1,\\) is not a class"):
        cross_entropy(z, [0, 3])
    with pytest.raises(ValueError, match="label -1"):
        cross_entropy_grad(z, [-1, 0])
    with pytest.raises(ValueError, match="astype\\(int\\)"):
        cross_entropy(z, np.array([0.0, 2.0]))
    with pytest.raises(ValueError, match="one per sample"):
        cross_entropy(z, [0, 1, 2])
    with pytest.raises(ValueError, match="sum to 1"):
        cross_entropy(z, np.ones((2, 3)))
    with pytest.raises(ValueError, match="reduction"):
        cross_entropy(z, [0, 1], reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        cross_entropy(z, [0, 1], label_smoothing=1.5)
    with pytest.raises(ValueError, match="empty"):
        cross_entropy(np.zeros((2, 0)), [0, 0])
    with pytest.raises(AxisError):
        cross_entropy(z, [0, 1], axis=3)
    with pytest.raises(ValueError, match="no samples"):
        cross_entropy(np.zeros((0, 3)), np.zeros(0, dtype=int))
    assert cross_entropy(np.zeros((0, 3)), np.zeros(0, dtype=int), reduction="sum") == 0.0


# --- the gradient -------------------------------------------------------------------------


def numerical_grad(f, z, h=1e-6):
    g = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[i] += h
        zm[i] -= h
        g[i] = (f(zp) - f(zm)) / (2 * h)
    return g


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("eps", [0.0, 0.2])
@pytest.mark.parametrize("axis", [-1, 0])
def test_gradient_matches_central_differences(reduction, eps, axis) -> None:
    z = RNG.normal(0, 2, (5, 4))
    labels = RNG.integers(0, z.shape[axis], size=z.shape[1 - (axis % 2)])

    def loss(v):
        return float(cross_entropy(v, labels, axis=axis, reduction=reduction, label_smoothing=eps))

    g = cross_entropy_grad(z, labels, axis=axis, reduction=reduction, label_smoothing=eps)
    np.testing.assert_allclose(g, numerical_grad(loss, z), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(g.sum(axis=axis), 0.0, atol=1e-15)


def test_gradient_none_is_per_sample_and_mean_divides_by_batch() -> None:
    z = RNG.normal(size=(6, 3))
    probs = sp.softmax(RNG.normal(size=(6, 3)), axis=-1)
    g_none = cross_entropy_grad(z, probs, reduction="none")
    for i in range(6):
        gi = numerical_grad(lambda v, i=i: float(cross_entropy(v, probs[i:i + 1], reduction="sum")),
                            z[i:i + 1])
        np.testing.assert_allclose(g_none[i:i + 1], gi, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(cross_entropy_grad(z, probs), g_none / 6, rtol=1e-15)
    np.testing.assert_allclose(g_none, sp.softmax(z, axis=-1) - probs, atol=1e-15)
