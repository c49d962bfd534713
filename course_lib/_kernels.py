"""Blocked, allocation-frugal kernels behind softmax, log_softmax, logsumexp and cross_entropy.

Why this file exists
--------------------
The textbook ``exp(x - max) / sum`` makes five passes over memory and two input-sized
temporaries. Here the input is cut into blocks of about 256 KiB, and all passes over one
block run while it is still in the CPU cache; the only large allocation is the output.

Why the answers are accurate to a few ulp
-----------------------------------------
Every stable method computes ``d = x - max`` first, and that subtraction rounds: the error
is up to ``|d| * 2**-53``, and ``exp`` turns it into a *relative* error of the same size,
which is hundreds of ulp when logits spread by hundreds. Knuth's TwoSum recovers the exact
rounding error ``err`` of ``d`` with five more additions, and ``exp(d + err)`` is then
``exp(d) * (1 + err)`` to far below an ulp (``|err|`` is below ``2**-44`` whenever
``exp(d)`` does not underflow). See Blanchard, Higham & Higham, "Accurately computing the
log-sum-exp and softmax functions", IMA J. Numer. Anal. 41(4), 2021, for the error analysis
of the shifted formulas, and Knuth, TAOCP vol. 2, 4.2.2, for TwoSum.

float16 and float32 inputs are computed block by block in float64 (where the shift's
rounding is far below their ulp) and rounded once at the end.

Layout: the array is viewed, without copying, as ``(A, n, B)`` with the reduced axis in the
middle, so every kernel reduces over ``axis=1`` with ``keepdims=True``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

BLOCK_BYTES = 256 * 1024


def as_3d(a: np.ndarray, axis: int) -> np.ndarray:
    """View a C-contiguous ``a`` as ``(A, n, B)`` with ``n = a.shape[axis]`` (no copy)."""
    shape = a.shape
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1 :], dtype=np.int64))
    return a.reshape(outer, shape[axis], inner)


def blocks(shape3: tuple[int, int, int]) -> Iterator[tuple[slice, slice, slice]]:
    """Cut an ``(A, n, B)`` array into cache-sized blocks that keep whole slices along n."""
    outer, n, inner = shape3
    lines = max(1, BLOCK_BYTES // (8 * max(n, 1)))  # slices of length n per block
    full = slice(None)
    if inner == 1 or inner <= lines:
        step = max(1, lines // max(inner, 1))
        for i in range(0, outer, step):
            yield slice(i, i + step), full, full
    else:
        for i in range(outer):
            for j in range(0, inner, lines):
                yield slice(i, i + 1), full, slice(j, j + lines)


class Workspace:
    """Reusable block-sized float buffers (views of a few flat arrays)."""

    def __init__(self, shape3: tuple[int, int, int], dtype: np.dtype, count: int) -> None:
        outer, n, inner = shape3
        lines = max(1, BLOCK_BYTES // (8 * max(n, 1)))
        if inner == 1 or inner <= lines:
            size = min(outer, max(1, lines // max(inner, 1))) * n * inner
        else:
            size = n * min(inner, lines)
        self._flat = [np.empty(size, dtype=dtype) for _ in range(count)]

    def get(self, k: int, shape: tuple[int, ...]) -> np.ndarray:
        size = int(np.prod(shape))
        return self._flat[k][:size].reshape(shape)


def shifted_exp(
    xb: np.ndarray,
    e: np.ndarray,
    err: np.ndarray,
    d: np.ndarray,
    tmp: np.ndarray,
    temperature: float | None,
    exact: bool,
    clean: bool = False,
    corr: np.ndarray | None = None,
    argmax: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Write ``exp((xb - max) / T)`` into ``e``, corrected by TwoSum when ``exact``.

    ``d`` receives the (scaled) shifted values ``(xb - max) / T`` and ``err`` their rounding
    error (scaled the same way); ``d`` may be the same array as ``e`` when the caller does not
    need it afterwards. ``tmp`` is scratch space distinct from ``d`` and ``err`` (it may be
    ``e`` when ``e`` is not ``d``). ``corr`` (default: ``err`` itself) receives ``e * err``, the correction
    already added to ``e``; pass a separate array to keep ``err``. Returns the slice maxima
    (keepdims) and, with ``argmax``, the index of the first maximum in each slice. A slice whose maximum is not
    finite is shifted by 0 instead, so that ``-inf`` rows give NaN quietly and ``+inf`` rows
    can be fixed by the caller. With ``clean``, non-finite error terms (from ``inf - inf`` on
    masked or overflowing entries) are zeroed before they are used.
    """
    if argmax:
        idx = xb.argmax(axis=1, keepdims=True)
        m = np.take_along_axis(xb, idx, axis=1)
    else:
        idx = None
        m = xb.max(axis=1, keepdims=True)
    ms = m if np.isfinite(m).all() else np.where(np.isfinite(m), m, 0.0)
    np.subtract(xb, ms, out=d)
    if exact:
        # TwoSum(a=xb, b=-ms): s = d, bb = s - a, err = (a - (s - bb)) + (b - bb)
        np.subtract(d, xb, out=err)  # bb
        np.subtract(d, err, out=tmp)  # s - bb
        np.subtract(xb, tmp, out=tmp)  # a - (s - bb)
        np.negative(err, out=err)
        np.subtract(err, ms, out=err)  # b - bb
        np.add(err, tmp, out=err)
        if clean:
            err[~np.isfinite(err)] = 0.0
    if temperature is not None:
        np.divide(d, temperature, out=d)
        if exact:
            np.divide(err, temperature, out=err)
    np.exp(d, out=e)
    if exact:
        corr = err if corr is None else corr
        np.multiply(err, e, out=corr)
        np.add(e, corr, out=e)
    return m, idx
