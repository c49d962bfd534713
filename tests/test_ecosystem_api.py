"""The conventions taken from SciPy, JAX and PyTorch, and the edge contracts the docstrings state.

* ``axis=None`` and tuples of axes, against ``scipy.special`` (which defines them);
* ``where=`` with JAX's meaning, against a reference written here from that definition
  (each slice's included entries given to scipy, the excluded ones 0 / ``-inf``);
* ``weight=`` and ``ignore_index=`` against PyTorch's formulas written out in NumPy (the
  comparison with torch itself is tests/test_torch_parity.py), and finite differences;
* 0-d input, empty axes, layouts, object / complex / byte-swapped / longdouble arrays.
"""

from __future__ import annotations

import itertools
import warnings

import mpmath
import numpy as np
import pytest
import scipy.special as sp
from numpy.exceptions import AxisError

from course_lib import (
    argmax,
    cross_entropy,
    cross_entropy_grad,
    hardmax,
    log_softmax,
    logsumexp,
    naive_softmax,
    softmax,
)

FAMILY = {softmax: sp.softmax, log_softmax: sp.log_softmax, logsumexp: sp.logsumexp}


def _quiet(f, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return f(*args, **kw)


# --- axis=None and tuples of axes (SciPy's meaning) -----------------------------------------

AXES = [None, (0,), (1,), (0, 1), (1, 0), (0, 2), (2, 0), (-1, 0), (0, 1, 2), (1, 2), ()]


@pytest.mark.parametrize("f", list(FAMILY))
@pytest.mark.parametrize("axis", AXES)
def test_axes_as_scipy(f, axis) -> None:
    x = np.random.default_rng(1).normal(0, 20, (3, 4, 5))
    np.testing.assert_allclose(_quiet(f, x, axis=axis), FAMILY[f](x, axis=axis),
                               rtol=1e-13, atol=1e-13)
    if f is logsumexp:
        for keep in (True, False):
            got = _quiet(f, x, axis=axis, keepdims=keep)
            want = sp.logsumexp(x, axis=axis, keepdims=keep)
            assert np.shape(got) == np.shape(want)
            np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("axis", [None, (1, 2), (0, 2)])
@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_axes_keep_low_precision_rounded_once(axis, dtype) -> None:
    x = np.random.default_rng(2).normal(0, 4, (4, 5, 6)).astype(dtype)
    for f, ref in FAMILY.items():
        got = _quiet(f, x, axis=axis)
        assert got.dtype == dtype
        np.testing.assert_array_max_ulp(got, ref(x.astype(np.float64), axis=axis).astype(dtype),
                                        maxulp=1)


def test_axis_none_on_one_number_and_empty_axes() -> None:
    for v in (3.0, np.float32(-2.5), np.array(7)):
        p = _quiet(softmax, v, axis=None)
        assert p.shape == () and p == 1.0
        assert _quiet(log_softmax, v, axis=None) == 0.0
        assert _quiet(logsumexp, v, axis=None) == np.asarray(v, float)
        assert hardmax(v, axis=None) == 1.0 and argmax(v, axis=None) == 0
    x = np.array([[1.0, -np.inf], [np.inf, 5.0]])
    # axis=(): every entry is a slice of its own, as in SciPy
    np.testing.assert_array_equal(_quiet(logsumexp, x, axis=()), x)
    np.testing.assert_array_equal(_quiet(softmax, x, axis=()), [[1.0, np.nan], [1.0, 1.0]])
    np.testing.assert_array_equal(_quiet(log_softmax, x, axis=()), [[0.0, np.nan], [0.0, 0.0]])


@pytest.mark.parametrize("f", [softmax, log_softmax, logsumexp, naive_softmax, hardmax, argmax])
def test_one_number_with_the_default_axis_says_what_to_do(f) -> None:
    with pytest.raises(AxisError, match="axis=None"):
        f(3.0)


@pytest.mark.parametrize("f", [softmax, log_softmax, logsumexp, naive_softmax, hardmax])
def test_bad_axes_are_refused_as_numpy_does(f) -> None:
    x = np.zeros((2, 3))
    with pytest.raises(AxisError):
        f(x, axis=(0, 2))
    with pytest.raises(ValueError, match="repeated axis"):
        f(x, axis=(1, -1))
    with pytest.raises(TypeError, match="tuple of integers, or None"):
        f(x, axis=[0, 1])
    with pytest.raises(TypeError, match="integers"):
        f(x, axis=(0, 1.0))
    with pytest.raises(TypeError, match="integers"):
        f(x, axis=(True,))
    with pytest.raises(ValueError, match="empty"):
        f(np.zeros((2, 0)), axis=None)
    with pytest.raises(ValueError, match="empty"):
        f(np.zeros((2, 0, 3)), axis=(1, 2))
    assert f(np.zeros((0, 3)), axis=(1,)).shape[0] == 0  # no slices at all is fine


def test_argmax_takes_none_but_not_a_tuple_like_numpy() -> None:
    x = np.random.default_rng(3).normal(size=(4, 5))
    assert argmax(x, axis=None) == np.argmax(x)
    with pytest.raises(TypeError, match="one axis or None"):
        argmax(x, axis=(0, 1))
    with pytest.raises(TypeError):
        np.argmax(x, axis=(0, 1))  # NumPy refuses it too


@pytest.mark.parametrize("axis", [None, (0, 2), (2, 1)])
def test_hardmax_and_naive_softmax_take_the_same_axes(axis) -> None:
    x = np.random.default_rng(4).permutation(60).reshape(3, 4, 5).astype(float)
    moved = np.moveaxis(x, axis or (0, 1, 2), range(3 - len(axis or (0, 1, 2)), 3))
    flat = moved.reshape(*moved.shape[: 3 - len(axis or (0, 1, 2))], -1)
    want = np.zeros_like(flat)
    np.put_along_axis(want, np.argmax(flat, axis=-1)[..., None], 1.0, axis=-1)
    want = np.moveaxis(want.reshape(moved.shape), range(3 - len(axis or (0, 1, 2)), 3),
                       axis or (0, 1, 2))
    np.testing.assert_array_equal(hardmax(x, axis=axis), want)
    np.testing.assert_allclose(softmax(x, axis=axis, temperature=1e-3), want, atol=1e-300)
    np.testing.assert_allclose(naive_softmax(x, axis=axis), sp.softmax(x, axis=axis),
                               rtol=1e-14)
    assert hardmax(np.ones((2, 3)), axis=None)[0, 0] == 1.0  # a tie: the first entry wins


@pytest.mark.parametrize("axis", [None, (0, 1), (1, 0), -1])
def test_any_layout_gives_the_numbers_of_a_contiguous_copy(axis) -> None:
    base = np.random.default_rng(5).normal(0, 30, (12, 14))
    views = {"transposed": base.T, "fortran": np.asfortranarray(base), "strided": base[::2, ::-3],
             "broadcast": np.broadcast_to(base[0], (5, 14)), "byte-swapped":
             base.astype(base.dtype.newbyteorder(">"))}
    for name, v in views.items():
        keep = v.copy()
        for f in FAMILY:
            got = _quiet(f, v, axis=axis)
            want = f(np.ascontiguousarray(v, dtype=np.float64), axis=axis)
            np.testing.assert_array_equal(got, want, err_msg=name)
            assert got.dtype == np.float64
        np.testing.assert_array_equal(v, keep)


# --- where= (JAX's meaning) --------------------------------------------------------------------


def _jax_reference(x, mask, axis, kind):
    """Each slice's included entries given to scipy; excluded: 0 / -inf; none: 0 / -inf."""
    x = np.asarray(x, np.float64)
    m = np.moveaxis(np.broadcast_to(mask, x.shape), axis, -1)
    x = np.moveaxis(x, axis, -1)
    lead = x.shape[:-1]
    out = np.zeros(lead if kind == "logsumexp" else x.shape)
    for idx in np.ndindex(*lead):
        row, take = x[idx], m[idx]
        if kind == "logsumexp":
            out[idx] = sp.logsumexp(row[take]) if take.any() else -np.inf
            continue
        fill = 0.0 if kind == "softmax" else -np.inf
        res = np.full(row.shape, fill)
        if take.any():
            res[take] = (sp.softmax if kind == "softmax" else sp.log_softmax)(row[take])
        out[idx] = res
    return out if kind == "logsumexp" else np.moveaxis(out, -1, axis)


MASKS = {
    "per entry": lambda shape, rng: rng.random(shape) < 0.6,
    "per class (broadcast)": lambda shape, rng: rng.random(shape[-1]) < 0.7,
    "per sample (broadcast)": lambda shape, rng: (rng.random(shape[:-1] + (1,)) < 0.7),
}


@pytest.mark.parametrize("f", list(FAMILY))
@pytest.mark.parametrize("mask_kind", list(MASKS))
@pytest.mark.parametrize("axis", [-1, 0])
def test_where_has_jax_meaning(f, mask_kind, axis) -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(0, 10, (6, 7))
    mask = MASKS[mask_kind](x.shape, rng)
    full = np.broadcast_to(mask, x.shape).copy()
    full[2] = False  # a slice with none taken (row 2 for axis -1; column 2 below)
    full[:, 2] = False
    x[~full] = rng.choice([np.nan, np.inf, -np.inf, 1e308], size=int((~full).sum()))
    keep_x, keep_m = x.copy(), full.copy()
    got = _quiet(f, x, axis=axis, where=full)
    # scipy's log_softmax near 0 loses digits to cancellation (mpmath judges those in
    # test_sweeps.py): an absolute tolerance too for the log family
    atol = 1e-300 if f is softmax else 1e-13
    np.testing.assert_allclose(got, _jax_reference(x, full, axis, f.__name__), rtol=1e-13,
                               atol=atol)
    np.testing.assert_array_equal(x, keep_x)
    np.testing.assert_array_equal(full, keep_m)
    if mask_kind != "per entry":  # the broadcast mask itself, unchanged
        x = rng.normal(0, 10, (6, 7))
        got = _quiet(f, x, axis=-1, where=mask)
        want = _jax_reference(x, mask, -1, f.__name__)
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=atol)


def test_where_slices_with_nothing_taken_and_all_minus_inf_taken() -> None:
    x = np.array([[1.0, 2.0, 3.0], [-np.inf, -np.inf, 5.0], [np.nan, 0.0, 0.0]])
    w = np.array([[False] * 3, [True, True, False], [False, True, True]])
    p = _quiet(softmax, x, where=w)
    assert (p[0] == 0).all()  # nothing taken: JAX's 0, no NaN
    assert np.isnan(p[1]).all()  # entries taken, but all -inf: no distribution, as without where
    np.testing.assert_allclose(p[2], [0.0, 0.5, 0.5])  # the excluded NaN takes no part
    lp = _quiet(log_softmax, x, where=w)
    assert (lp[0] == -np.inf).all() and np.isnan(lp[1]).all()
    np.testing.assert_array_equal(_quiet(logsumexp, x, where=w)[:2], [-np.inf, -np.inf])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("n", [5, 70_000])
def test_where_on_long_slices_and_low_precision(dtype, n) -> None:
    rng = np.random.default_rng(n)
    x = rng.normal(0, 4, (3, n)).astype(dtype)
    w = rng.random((3, n)) < 0.5
    w[1] = False
    for f in FAMILY:
        got = _quiet(f, x, where=w)
        assert got.dtype == dtype
        want = _jax_reference(x, w, -1, f.__name__)
        if dtype == np.float64:  # scipy is a few ulp off itself: mpmath judges test_sweeps.py
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
        else:  # the float64 result rounded once
            np.testing.assert_array_max_ulp(got, want.astype(dtype), maxulp=1)


def test_where_with_temperature_and_tuple_axes() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(0, 3, (4, 5, 6))
    w = rng.random((4, 5, 6)) < 0.5
    got = softmax(x, axis=(1, 2), where=w, temperature=2.5)
    flat_x = (x / 2.5).reshape(4, 30)
    want = _jax_reference(flat_x, w.reshape(4, 30), -1, "softmax").reshape(4, 5, 6)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-300)
    lse = logsumexp(x, axis=None, where=w)
    assert lse == pytest.approx(sp.logsumexp(x[w]), rel=1e-14)


def test_where_is_a_boolean_mask() -> None:
    x = np.zeros((2, 3))
    np.testing.assert_array_equal(softmax(x, where=np.array([1, 0, 1])), [[0.5, 0, 0.5]] * 2)
    with pytest.raises(TypeError, match="boolean mask"):
        softmax(x, where=np.array([0.0, 1.0, 1.0]))
    with pytest.raises(TypeError, match="other than 0 and 1"):
        softmax(x, where=np.array([2, 0, 1]))
    with pytest.raises(ValueError, match="does not broadcast"):
        softmax(x, where=np.ones((3, 2), bool))
    with pytest.raises(ValueError, match="does not broadcast"):
        logsumexp(x[0], where=np.ones((2, 3), bool))  # the mask may not grow x


# --- weight= and ignore_index= (PyTorch's formulas) ------------------------------------------


def _torch_formula(z, t, axis, w, ignore, eps, reduction):
    """PyTorch's cross_entropy written out: per-sample terms, then its reductions."""
    z = np.moveaxis(np.asarray(z, np.float64), axis, -1)
    k = z.shape[-1]
    nlp = -sp.log_softmax(z, axis=-1)
    wv = np.ones(k) if w is None else np.asarray(w, np.float64)
    t = np.asarray(t)
    if t.dtype.kind == "f":
        tt = (1 - eps) * np.moveaxis(t, axis, -1) + eps / k
        per = (tt * wv * nlp).sum(axis=-1)
        return {"none": per, "sum": per.sum(), "mean": per.sum() / per.size}[reduction]
    keep = np.ones(t.shape, bool) if ignore is None else t != ignore
    y = np.where(keep, t, 0)
    wy = wv[y]
    nll = wy * np.take_along_axis(nlp, y[..., None], -1)[..., 0]
    smooth = (wv * nlp).sum(axis=-1) / k
    per = np.where(keep, (1 - eps) * nll + eps * smooth, 0.0)
    return {"none": per, "sum": per.sum(), "mean": per.sum() / wy[keep].sum()}[reduction]


@pytest.mark.parametrize(
    "weighted,ignore,eps,reduction",
    list(itertools.product([False, True], [None, -100, 2], [0.0, 0.2, 1.0],
                           ["mean", "sum", "none"])),
)
@pytest.mark.parametrize("layout", ["(N, C) axis -1", "(N, C, d) axis 1"])
def test_weight_and_ignore_index_follow_pytorch(weighted, ignore, eps, reduction, layout) -> None:
    rng = np.random.default_rng(8)
    shape, axis = ((9, 4), -1) if layout.startswith("(N, C)") else ((3, 4, 5), 1)
    z = rng.normal(0, 3, shape)
    labels = rng.integers(0, 4, np.delete(np.array(shape), axis))
    if ignore is not None:
        labels.reshape(-1)[::4] = ignore
    w = rng.uniform(0, 2, 4) if weighted else None
    kw = {"axis": axis, "weight": w, "ignore_index": ignore, "label_smoothing": eps,
          "reduction": reduction}
    got = _quiet(cross_entropy, z, labels, **kw)
    np.testing.assert_allclose(got, _torch_formula(z, labels, axis, w, ignore, eps, reduction),
                               rtol=1e-13)
    # the gradient: central differences of the loss (of its sum for "none")
    g = _quiet(cross_entropy_grad, z, labels, **kw)
    h = 1e-6
    num = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[i] += h
        zm[i] -= h
        num[i] = (np.sum(cross_entropy(zp, labels, **kw))
                  - np.sum(cross_entropy(zm, labels, **kw))) / (2 * h)
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)
    if ignore is not None:
        gone = np.expand_dims(labels == ignore, axis)
        assert (np.where(gone, g, 0) == 0).all()


@pytest.mark.parametrize("eps", [0.0, 0.3])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_weight_with_probability_targets(eps, reduction) -> None:
    rng = np.random.default_rng(9)
    z = rng.normal(0, 3, (6, 5))
    t = sp.softmax(rng.normal(size=(6, 5)), axis=-1)
    w = np.array([0.5, 2.0, 0.0, 1.0, 3.0])
    got = cross_entropy(z, t, weight=w, label_smoothing=eps, reduction=reduction)
    np.testing.assert_allclose(got, _torch_formula(z, t, -1, w, None, eps, reduction), rtol=1e-13)
    g = cross_entropy_grad(z, t, weight=w, label_smoothing=eps, reduction="none")
    tt = (1 - eps) * t + eps / 5
    want = sp.softmax(z, axis=-1) * (w * tt).sum(-1, keepdims=True) - w * tt
    np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-15)


def test_padding_and_weights_give_clear_errors() -> None:
    z = np.zeros((3, 4))
    with pytest.raises(ValueError, match="ignore_index=-100"):
        cross_entropy(z, [0, -100, 1])
    with pytest.raises(ValueError, match="label 7"):
        cross_entropy(z, [0, 7, -100], ignore_index=-100)
    with pytest.raises(TypeError, match="ignore_index must be an integer"):
        cross_entropy(z, [0, 1, 1], ignore_index=1.0)
    with pytest.raises(TypeError, match="ignore_index must be an integer"):
        cross_entropy(z, [0, 1, 1], ignore_index=True)
    with pytest.raises(ValueError, match="probabilities"):
        cross_entropy(z, np.full((3, 4), 0.25), ignore_index=-100)
    with pytest.raises(ValueError, match="one number per class"):
        cross_entropy(z, [0, 1, 1], weight=[1.0, 2.0])
    with pytest.raises(ValueError, match=">= 0"):
        cross_entropy_grad(z, [0, 1, 1], weight=[1.0, -2.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="finite"):
        cross_entropy(z, [0, 1, 1], weight=[1.0, np.nan, 1.0, 1.0])
    with pytest.raises(TypeError, match="real numbers"):
        cross_entropy(z, [0, 1, 1], weight=["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="weight 0"):
        cross_entropy(z, [0, 1, 1], weight=[0.0, 0.0, 1.0, 1.0])
    assert cross_entropy(z, [0, 1, 1], weight=[0.0, 0.0, 1.0, 1.0], reduction="sum") == 0.0


def test_ignored_rows_count_for_nothing_whatever_they_hold() -> None:
    z = np.array([[1.0, 3.0, 2.0], [np.nan, np.inf, -np.inf], [-np.inf] * 3, [1e308, -1e308, 0]])
    labels = np.array([1, -1, -1, -1])
    per = _quiet(cross_entropy, z, labels, ignore_index=-1, reduction="none", label_smoothing=0.1)
    assert per[0] == pytest.approx(_torch_formula(z[:1], [1], -1, None, None, 0.1, "none")[0])
    assert (per[1:] == 0).all() and not np.signbit(per[1:]).any()
    g = _quiet(cross_entropy_grad, z, labels, ignore_index=-1)
    assert (g[1:] == 0).all()
    np.testing.assert_allclose(g[0], sp.softmax(z[0]) - np.eye(3)[1], rtol=1e-14)  # mean of 1


def test_large_weights_cannot_make_a_mean_overflow() -> None:
    z = np.array([[0.0, 30.0], [5.0, 0.0]])
    w = np.array([1e307, 1e307])  # each weighted loss is finite, their sum is not
    want = _torch_formula(z, [0, 1], -1, np.ones(2), None, 0.0, "mean")  # equal weights
    assert _quiet(cross_entropy, z, [0, 1], weight=w) == pytest.approx(want, rel=1e-15)
    assert _quiet(cross_entropy, z, [0, 1], weight=w, reduction="sum") == np.inf
    np.testing.assert_allclose(_quiet(cross_entropy_grad, z, [0, 1], weight=w),
                               cross_entropy_grad(z, [0, 1]), rtol=1e-15)


def test_torch_layout_needs_axis_1() -> None:
    rng = np.random.default_rng(10)
    z = rng.normal(size=(2, 3, 4))  # (N, C, d): torch reads the classes from dimension 1
    y = rng.integers(0, 3, (2, 4))
    want = cross_entropy(np.moveaxis(z, 1, -1), y, reduction="none")
    np.testing.assert_allclose(cross_entropy(z, y, axis=1, reduction="none"), want, rtol=1e-15)
    with pytest.raises(ValueError, match="one per sample"):
        cross_entropy(z, y)  # the default axis -1 takes d as the classes: refused
    square = rng.normal(size=(2, 3, 3))  # C == d: the default silently reads the wrong axis
    y3 = rng.integers(0, 3, (2, 3))
    assert not np.allclose(cross_entropy(square, y3), cross_entropy(square, y3, axis=1))


# --- object, complex, longdouble, all -inf rows in cross_entropy -------------------------------


@pytest.mark.parametrize("f", [softmax, log_softmax, logsumexp, hardmax, argmax])
def test_object_and_complex_arrays_are_refused(f) -> None:
    with pytest.raises(TypeError, match="dtype=float"):
        f(np.array([1.0, 2.0], dtype=object))
    with pytest.raises(TypeError, match="complex"):
        f(np.array([1.0, 2.0j]))
    with pytest.raises(TypeError, match="dtype=float"):
        cross_entropy(np.array([[1.0, 2.0]], dtype=object), [0])


LONG = np.finfo(np.longdouble).nmant > np.finfo(np.float64).nmant


@pytest.mark.skipif(not LONG, reason="longdouble is float64 on this platform")
@mpmath.workdps(500)  # 1e400 + log 2 to the last bit of a longdouble
def test_longdouble_is_computed_in_longdouble() -> None:
    rng = np.random.default_rng(11)
    x = (rng.normal(0, 200, 40)).astype(np.longdouble)
    x[3] = np.longdouble("1e400")  # beyond float64's range
    x[4] = x[3] - np.longdouble(2)
    xs = [mpmath.mpf(str(v)) for v in x]
    lse = mpmath.log(mpmath.fsum(mpmath.exp(v - xs[3]) for v in xs)) + xs[3]
    eps = np.finfo(np.longdouble).eps
    got = _quiet(logsumexp, x)
    assert got.dtype == np.longdouble
    assert abs(mpmath.mpf(str(got)) - lse) <= 4 * eps * abs(lse)
    p = _quiet(softmax, x)
    assert p.dtype == np.longdouble
    for j in (3, 4, 0):
        ref = mpmath.exp(xs[j] - lse)
        assert abs(mpmath.mpf(str(p[j])) - ref) <= 4 * eps * ref + np.finfo(np.longdouble).tiny
    lp = _quiet(log_softmax, x)
    assert abs(mpmath.mpf(str(lp[4])) - (xs[4] - lse)) <= 4 * eps * abs(xs[4] - lse)
    ce = _quiet(cross_entropy, x[None, :], [4])
    assert ce.dtype == np.longdouble
    assert abs(mpmath.mpf(str(ce)) - (lse - xs[4])) <= 4 * eps * (lse - xs[4])
    g = _quiet(cross_entropy_grad, x[None, :], [4], reduction="sum")
    assert g.dtype == np.longdouble
    assert abs(mpmath.mpf(str(g[0, 4])) - (mpmath.exp(xs[4] - lse) - 1)) <= 4 * eps


def test_cross_entropy_of_an_all_minus_inf_row_is_nan_quietly() -> None:
    z = np.array([[-np.inf, -np.inf, -np.inf], [1.0, 2.0, 3.0]])
    per = _quiet(cross_entropy, z, [0, 2], reduction="none")
    assert np.isnan(per[0]) and np.isfinite(per[1])
    assert np.isnan(_quiet(cross_entropy, z, [0, 2]))
    for eps in (0.1, 1.0):
        assert np.isnan(_quiet(cross_entropy, z[:1], [0], label_smoothing=eps))
    assert np.isnan(_quiet(cross_entropy_grad, z, [0, 2])[0]).all()
    assert _quiet(cross_entropy, z, [-1, 2], ignore_index=-1, reduction="none")[0] == 0.0
    with pytest.raises(AxisError):
        cross_entropy(3.0, 0)
