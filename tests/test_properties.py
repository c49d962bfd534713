"""Properties that hold for every input (hypothesis): the mathematics of the softmax family."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from course_lib import argmax, cross_entropy, log_softmax, logsumexp, softmax

settings.register_profile(
    "course", deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("course")

moderate = st.floats(-300, 300, allow_nan=False, allow_infinity=False, width=64)
anything_finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
shapes = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6)


def batches(elements=moderate):
    return arrays(np.float64, shapes, elements=elements)


@st.composite
def batch_and_axis(draw, elements=moderate):
    x = draw(batches(elements))
    return x, draw(st.integers(-x.ndim, x.ndim - 1))


@given(batch_and_axis(), st.floats(-1e3, 1e3, allow_nan=False))
def test_shift_invariance(xa, c) -> None:
    x, ax = xa
    np.testing.assert_allclose(softmax(x + c, axis=ax), softmax(x, axis=ax),
                               rtol=1e-9, atol=1e-12)


@given(batch_and_axis(), st.floats(0.05, 20))
def test_temperature_identity(xa, t) -> None:
    x, ax = xa
    np.testing.assert_allclose(softmax(x, axis=ax, temperature=t), softmax(x / t, axis=ax),
                               rtol=1e-9, atol=1e-12)


@given(batch_and_axis(anything_finite))
def test_any_finite_input_gives_a_distribution_quietly(xa) -> None:
    x, ax = xa
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning, whatever the magnitude
        p = softmax(x, axis=ax)
        lp = log_softmax(x, axis=ax)
        lse = logsumexp(x, axis=ax)
    assert np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()
    np.testing.assert_allclose(p.sum(axis=ax), 1.0, atol=8 * np.finfo(float).eps * x.shape[ax])
    assert not np.isnan(lp).any() and (lp <= 0).all()  # -inf only beyond the float range
    assert np.isfinite(lse).all() or (np.abs(x).max() > 1e307)
    assert (lse >= x.max(axis=ax) - 1e-300).all()


@given(batch_and_axis())
def test_order_is_preserved(xa) -> None:
    x, ax = xa
    p = softmax(x, axis=ax)
    xs = np.moveaxis(x, ax, -1).reshape(-1, x.shape[ax])
    ps = np.moveaxis(p, ax, -1).reshape(-1, x.shape[ax])
    for row, prow in zip(xs, ps, strict=True):
        order = np.argsort(row, kind="stable")
        assert np.all(np.diff(prow[order]) >= 0)
    # the largest logit gets the largest probability (ties in float allowed)
    np.testing.assert_array_equal(
        np.take_along_axis(p, np.expand_dims(argmax(x, axis=ax), ax), ax),
        np.expand_dims(p.max(axis=ax), ax),
    )


@given(batch_and_axis())
def test_log_softmax_is_log_of_softmax_where_representable(xa) -> None:
    x, ax = xa
    p, lp = softmax(x, axis=ax), log_softmax(x, axis=ax)
    ok = p > 1e-300
    np.testing.assert_allclose(np.log(p[ok]), lp[ok], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(np.exp(lp), p, rtol=1e-12, atol=1e-300)


@given(batch_and_axis(), st.booleans())
def test_logsumexp_bounds_and_keepdims(xa, keepdims) -> None:
    x, ax = xa
    lse = logsumexp(x, axis=ax, keepdims=True)
    mx = x.max(axis=ax, keepdims=True)
    assert np.all(mx <= lse) and np.all(lse <= mx + np.log(x.shape[ax]) + 1e-12)
    np.testing.assert_allclose(x - lse, log_softmax(x, axis=ax), atol=1e-12)
    assert np.asarray(logsumexp(x, axis=ax, keepdims=keepdims)).ndim == x.ndim - (not keepdims)


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(2, 6)), elements=moderate),
       st.data())
def test_cross_entropy_is_minus_log_probability(x, data) -> None:
    labels = np.array(data.draw(st.lists(st.integers(0, x.shape[1] - 1), min_size=x.shape[0],
                                         max_size=x.shape[0])))
    per = cross_entropy(x, labels, reduction="none")
    ref = -log_softmax(x)[np.arange(len(labels)), labels]
    np.testing.assert_allclose(per, ref, rtol=1e-12, atol=1e-300)
    assert (per >= 0).all()
    onehot = np.eye(x.shape[1])[labels]
    np.testing.assert_allclose(cross_entropy(x, onehot), per.mean(), rtol=1e-12, atol=1e-300)
