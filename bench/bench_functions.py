"""Speed, memory and accuracy of course_lib's softmax family against scipy and mpmath.

Run with ``make bench`` (or ``python bench/bench_functions.py [--quick]``).

* time: course_lib and scipy are timed interleaved in one process (A, B, A, B, ...), and the
  ratio of their medians is printed: ``> 1`` means course_lib is faster. Absolute times on a
  shared machine drift; ratios measured side by side do not drift as much.
* memory: peak memory allocated during one call (tracemalloc, which numpy reports to), as a
  multiple of the output's size; for reductions (logsumexp, cross_entropy) the output is tiny,
  so the input's size is printed too.
* accuracy: float64 max error in ulp against mpmath at 50 digits, on seeded logits at
  scales 1, 30 and 700.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import mpmath
import numpy as np
import scipy.special as sp

import course_lib as cl
import course_lib.functions as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests._mp import max_ulps, mp_softmax, shift_and_log1p  # noqa: E402

FUNCS = ("softmax", "log_softmax", "logsumexp", "cross_entropy")
SCALES = (1, 30, 700)


def _ce_scipy(x: np.ndarray, axis: int, labels: np.ndarray) -> float:
    logp = sp.log_softmax(x, axis=axis)
    return -np.take_along_axis(logp, np.expand_dims(labels, axis), axis=axis).mean()


def _cases(quick: bool) -> list[tuple[str, tuple[int, ...], int]]:
    big = [((4096, 1000), -1), ((1000, 4096), 0), ((10**6,), -1), ((32, 10), -1)]
    if quick:
        big = [((512, 1000), -1), ((1000, 512), 0), ((10**5,), -1), ((32, 10), -1)]
    return [(f"{s}, axis={a}", s, a) for s, a in big]


def _pair(
    name: str, x: np.ndarray, axis: int, labels: np.ndarray
) -> tuple[Callable[[], object], Callable[[], object]]:
    """(course_lib call, scipy call) computing the same thing."""
    if name == "cross_entropy":
        return (lambda: cl.cross_entropy(x, labels, axis=axis)), (
            lambda: _ce_scipy(x, axis, labels)
        )
    ours, theirs = getattr(cl, name), getattr(sp, name)
    return (lambda: ours(x, axis=axis)), (lambda: theirs(x, axis=axis))


def _time_pair(f: Callable[[], object], g: Callable[[], object], budget: float) -> float:
    """Median time of g over median time of f, measured interleaved."""
    f(), g()  # warm up
    t0 = time.perf_counter()
    f()
    once = max(time.perf_counter() - t0, 1e-7)
    number = max(1, int(0.02 / once))  # ~20 ms per sample
    reps = max(5, min(41, int(budget / (2 * once * number))))
    tf, tg = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(number):
            f()
        tf.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for _ in range(number):
            g()
        tg.append(time.perf_counter() - t0)
    return statistics.median(tg) / statistics.median(tf)


def _peak(f: Callable[[], object]) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    f()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def speed_and_memory(quick: bool) -> None:
    rng = np.random.default_rng(0)
    budget = 0.3 if quick else 1.5
    print("speed: scipy time / course_lib time (>1 = course_lib faster), median, interleaved")
    print("memory: course_lib peak allocation per call, in output sizes (and input sizes)\n")
    header = (
        f"{'function':<14} {'dtype':<8} {'shape':<26} {'speed':>7} {'mem/out':>8} {'mem/in':>7}"
    )
    print(header)
    print("-" * len(header))
    for label, shape, axis in _cases(quick):
        for dtype in (np.float32, np.float64):
            x = (rng.standard_normal(shape) * 3).astype(dtype)
            labels = rng.integers(0, shape[axis], size=np.delete(np.array(shape), axis))
            for name in FUNCS:
                ours, theirs = _pair(name, x, axis, labels)
                ratio = _time_pair(ours, theirs, budget)
                out = np.asarray(ours())
                peak = _peak(ours)
                print(
                    f"{name:<14} {np.dtype(dtype).name:<8} {label:<26} {ratio:>6.2f}x "
                    f"{peak / max(out.nbytes, 1):>8.2f} {peak / x.nbytes:>7.2f}"
                )
        print()


def accuracy(quick: bool) -> None:
    """Max ulp error at scales 1, 30, 700 (normal logits with standard deviation scale / 3),
    on every path: along the last axis, along axis 0, one slice longer than a block, a tuple
    of axes merged by a copy, a where= mask; for cross_entropy also class weights with
    ignored samples, label smoothing on top, and the weighted mean."""
    print("accuracy: float64 max error in ulp against mpmath (50 digits); logits ~ N(0, (s/3)^2)")
    print("rows: (24, 200) along axis -1; the same transposed along axis 0; one slice of 40000;")
    print("axes (0, 2) of a (10, 24, 20) array; where: 60 % of the entries taken (scipy: the")
    print("others set to -inf); weight: uniform(0.1, 5) per class, a quarter of the samples")
    print("ignored (scipy: the formula on its log_softmax); smoothing: 0.1 with the weights\n")
    rows, n, long_n = (6, 100, 5000) if quick else (24, 200, 40000)
    cols = "".join(f"{'s=' + str(s):>9}" for s in SCALES)
    header = f"{'function':<14}{'path':<11}{cols}   scipy:{cols}"
    print(header)
    print("-" * len(header))
    paths = ["axis -1", "axis 0", "long", "axes (0,2)", "where"]
    for k in FUNCS:
        extra = ["weight", "smoothing", "mean"] if k == "cross_entropy" else []
        for path in (paths if k != "cross_entropy" else paths[:3]) + extra:
            r, m = (1, long_n) if path == "long" else (rows, n)
            worst = [[], []]
            for scale in SCALES:
                rng = np.random.default_rng(scale)
                x = rng.standard_normal((r, m)) * (scale / 3)
                labels = rng.integers(0, m, size=r)
                labels[: max(1, r // 4)] = x[: max(1, r // 4)].argmax(axis=1)  # confident, right
                errs = _path_errors(k, path, x, labels, rng)
                for i in range(2):
                    worst[i].append(max(e[i] for e in errs))
            print(f"{k:<14}{path:<11}" + "".join(f"{e:>9.2f}" for e in worst[0]) + "   scipy:"
                  + "".join(f"{e:>9.3g}" for e in worst[1]))
    print()


def _path_errors(kind: str, path: str, x: np.ndarray, labels: np.ndarray,
                 rng: np.random.Generator) -> list[tuple[float, float]]:
    """(course_lib, scipy) max ulp error against mpmath of each row of x on one path."""
    r, m = x.shape
    if kind == "cross_entropy" and path in ("weight", "smoothing", "mean"):
        return _weighted_errors(path, x, labels, rng)
    take = rng.random(x.shape) < 0.6 if path == "where" else np.ones(x.shape, bool)
    if path == "axis 0":
        ours, theirs = (v.T for v in _both(kind, x.T.copy(), labels, 0))
    elif path == "axes (0,2)":  # rows of x, spread over axes 0 and 2 of a 3-D array
        x3 = x.reshape(r, 10, m // 10).transpose(1, 0, 2)
        ours, theirs = (_unmerge(v, r, m) for v in _both(kind, x3, labels, (0, 2)))
    elif path == "where":
        ours, theirs = _both(kind, x, labels, -1, where=take)
    else:
        ours, theirs = _both(kind, x, labels, -1)
    out = []
    for i in range(r):
        t = take[i]
        if kind in ("softmax", "log_softmax"):
            ours_i, theirs_i = ours[i][t], theirs[i][t]
        else:
            ours_i, theirs_i = ours[i], theirs[i]
        out.append(_row_errors(kind, x[i][t], int(labels[i]), ours_i, theirs_i))
    return out


def _row_errors(kind: str, row: np.ndarray, label: int, ours: np.ndarray,
                theirs: np.ndarray) -> tuple[float, float]:
    """(course_lib, scipy) max ulp error of one slice against mpmath."""
    m, big_l = shift_and_log1p(row)
    if kind == "logsumexp":
        ref = [m + big_l]
    elif kind == "cross_entropy":
        ref = [big_l - (mpmath.mpf(float(row[label])) - m)]
    else:
        logp = [(mpmath.mpf(float(v)) - m) - big_l for v in row]
        ref = logp if kind == "log_softmax" else [mpmath.exp(v) for v in logp]
    return max_ulps(ours, ref), max_ulps(theirs, ref)


def _unmerge(v: np.ndarray, r: int, m: int) -> np.ndarray:
    """A result over axes (0, 2) of a (10, r, m // 10) array, back to one row per slice."""
    if v.ndim == 3 and v.shape[0] == 10:
        return v.transpose(1, 0, 2).reshape(r, m)
    return np.reshape(v, (r, 1))


def _both(kind: str, x: np.ndarray, labels: np.ndarray, axis: object,
          where: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """course_lib's and scipy's results (scipy: a mask as -inf), with keepdims for the
    reductions; ``axis`` may be a tuple for the softmax family."""
    masked = x if where is None else np.where(where, x, -np.inf)
    kw = {} if where is None else {"where": where}
    if kind == "cross_entropy":
        ours = np.expand_dims(cl.cross_entropy(x, labels, axis=axis, reduction="none"), axis)
        logp = sp.log_softmax(x, axis=axis)
        return ours, -np.take_along_axis(logp, np.expand_dims(labels, axis), axis=axis)
    if kind == "logsumexp":
        return (cl.logsumexp(x, axis=axis, keepdims=True, **kw),
                sp.logsumexp(masked, axis=axis, keepdims=True))
    return getattr(cl, kind)(x, axis=axis, **kw), getattr(sp, kind)(masked, axis=axis)


def _weighted_errors(path: str, x: np.ndarray, labels: np.ndarray,
                     rng: np.random.Generator) -> list[tuple[float, float]]:
    """cross_entropy with weight and ignore_index (and smoothing, or the mean), course_lib and
    the same formula on scipy's log_softmax, against mpmath."""
    r, m = x.shape
    w = rng.uniform(0.1, 5.0, m)
    y = labels.copy()
    y[3 * r // 4 :] = -1  # ignored
    eps = 0.1 if path == "smoothing" else 0.0
    red = "mean" if path == "mean" else "none"
    ours = cl.cross_entropy(x, y, weight=w, ignore_index=-1, label_smoothing=eps, reduction=red)
    lp = sp.log_softmax(x, axis=-1)
    keep = y >= 0
    yy = np.where(keep, y, 0)
    per = -(1 - eps) * w[yy] * lp[np.arange(r), yy] - eps / m * (w * lp).sum(axis=-1)
    per = np.where(keep, per, 0.0)
    ws = [mpmath.mpf(float(v)) for v in w]
    refs = []
    for i in range(r):
        if not keep[i]:
            refs.append(mpmath.mpf(0))
            continue
        mm, big_l = shift_and_log1p(x[i])
        logp = [(mpmath.mpf(float(v)) - mm) - big_l for v in x[i]]
        refs.append(-(1 - mpmath.mpf(eps)) * ws[yy[i]] * logp[yy[i]]
                    - mpmath.mpf(eps) / m * mpmath.fsum(a * b for a, b in zip(ws, logp,
                                                                              strict=True)))
    if red == "mean":
        ref = mpmath.fsum(refs) / mpmath.fsum(ws[yy[i]] for i in range(r) if keep[i])
        return [(max_ulps(ours, [ref]), max_ulps(per.sum() / w[yy[keep]].sum(), [ref]))]
    return [(max_ulps(ours[i], [refs[i]]), max_ulps(per[i], [refs[i]])) for i in range(r)]


def _worst_softmax_ulps(z: np.ndarray) -> float:
    return max(max_ulps(r, mp_softmax(row)) for r, row in zip(cl.softmax(z), z, strict=True))


def _patched(**helpers: Callable[..., object]) -> Callable[[Callable[[], object]], object]:
    """Run a call with some helpers of course_lib.functions replaced."""

    def run(call: Callable[[], object]) -> object:
        saved = {k: getattr(F, k) for k in helpers}
        for k, v in helpers.items():
            setattr(F, k, v)
        try:
            return call()
        finally:
            for k, v in saved.items():
                setattr(F, k, v)

    return run


def _plain_exp(x: np.ndarray, m: np.ndarray, t: float) -> np.ndarray:
    d = np.subtract(x, np.where(np.isfinite(m), m, 0.0), dtype=np.float64)
    return np.exp(d / t if t != 1.0 else d)


def tradeoff(quick: bool) -> None:
    """What the accuracy costs, and whether the one speed-only choice earns its place."""
    shape = (512, 1000) if quick else (4096, 1000)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape) * 3
    budget = 0.3 if quick else 1.5
    plain = _patched(shifted_exp=_plain_exp,
                     exact_sum=lambda e, exact=True: e.sum(-1, keepdims=True))
    scipy_call = lambda: sp.softmax(x, axis=-1)  # noqa: E731
    r_acc = _time_pair(lambda: cl.softmax(x), scipy_call, budget)
    r_fast = _time_pair(lambda: plain(lambda: cl.softmax(x)), scipy_call, budget)
    z = rng.standard_normal((6, 200)) * (700 / 3)
    fast_err = plain(lambda: _worst_softmax_ulps(z))
    acc_err = _worst_softmax_ulps(z)
    print(f"trade-off, softmax float64 {shape} (speed vs scipy; max ulp at s=700):")
    print(f"  accurate (TwoSum + exact sum):          {r_acc:5.2f}x   {acc_err:8.2f} ulp")
    print(f"  same blocks, no corrections:            {r_fast:5.2f}x   {fast_err:8.2f} ulp")
    x32 = x.astype(np.float32)
    exact_sum = F.exact_sum
    forced = _patched(exact_sum=lambda e, exact=True: exact_sum(e, True))
    r_plain = _time_pair(lambda: cl.softmax(x32), lambda: sp.softmax(x32, axis=-1), budget)
    r_exact = _time_pair(lambda: forced(lambda: cl.softmax(x32)),
                         lambda: sp.softmax(x32, axis=-1), budget)
    print(f"speed-only choice, softmax float32 {shape}: plain float64 sum {r_plain:5.2f}x, "
          f"exact sum {r_exact:5.2f}x vs scipy ({r_plain / r_exact:4.2f}x)")
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small shapes, few repeats")
    parser.add_argument("--only", choices=("speed", "accuracy"), help="run one part")
    args = parser.parse_args(argv)
    print(f"numpy {np.__version__}, scipy {sp.__name__.split('.')[0]} "
          f"{__import__('scipy').__version__}, python {sys.version.split()[0]}\n")
    if args.only != "speed":
        accuracy(args.quick)
    if args.only != "accuracy":
        tradeoff(args.quick)
        speed_and_memory(args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
