"""Blocked, allocation-frugal kernels behind softmax, log_softmax, logsumexp and cross_entropy.

Why this file exists
--------------------
The textbook ``exp(x - max) / sum`` makes five passes over memory and two input-sized
temporaries. Here the input is cut into blocks of whole slices (about 256 KiB each), and all
passes over one block run while it is still in the CPU cache; the only large allocation is
the output. Slices along a non-last axis are copied, block by block, into a contiguous
``(rows, n)`` buffer, so every kernel reduces over the last axis of a C-contiguous block,
which is NumPy's fastest and most accurate (pairwise) reduction. Large inputs are shared
between two threads: NumPy releases the GIL inside each operation.

Why the answers are accurate to a few ulp
-----------------------------------------
Every stable method computes ``d = x - max`` first, and that subtraction rounds: the error
is up to ``|d| * 2**-53``, and ``exp`` turns it into a *relative* error of the same size,
which is hundreds of ulp when logits spread by hundreds. Knuth's TwoSum recovers the exact
rounding error ``err`` of ``d`` with five more additions, and ``exp(d + err)`` is then
``exp(d) * (1 + err)`` to far below an ulp (``|err|`` is below ``2**-43`` whenever
``exp(d)`` does not underflow). See Blanchard, Higham & Higham, "Accurately computing the
log-sum-exp and softmax functions", IMA J. Numer. Anal. 41(4), 2021, for the error analysis
of the shifted formulas, and Knuth, TAOCP vol. 2, 4.2.2, for TwoSum.

float16 and float32 inputs are computed block by block in float64 (where the shift's
rounding is far below their ulp) and rounded once at the end.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

BLOCK_BYTES = 256 * 1024  # one block of float64 work fits comfortably in L2
CHUNK = BLOCK_BYTES // 8  # entries per chunk when a single slice is longer than a block
MIN_COLUMNS = 128  # for a non-last axis: at least this many slices side by side per block
PARALLEL_MIN_BLOCKS = 8  # fewer blocks than this: threads cost more than they save
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def compute_plan(dtype: np.dtype) -> tuple[np.dtype, bool]:
    """Working dtype, and whether the TwoSum correction is needed in it."""
    if dtype in (np.float16, np.float32):
        return np.dtype(np.float64), False
    return np.dtype(dtype), True


class RowBlocks:
    """Cut an array into cache-sized blocks of whole slices along ``axis``.

    The array is viewed (no copy) as ``(A, n, B)``. When ``B == 1`` (the last axis) a block
    is ``(rows, n)``, a view of consecutive slices, reduced along axis 1 (``red = 1``).
    Otherwise a block is ``(n, cols)``: whole slices side by side in columns, reduced along
    axis 0 (``red = 0``); its rows stay contiguous in memory, so no transpose is needed.
    """

    def __init__(self, shape: tuple[int, ...], axis: int) -> None:
        self.outer = math.prod(shape[:axis])
        self.n = shape[axis]
        self.inner = math.prod(shape[axis + 1 :])
        lines = max(1, BLOCK_BYTES // (8 * max(self.n, 1)))  # slices per block
        if self.inner == 1:
            self.red = 1
            self.spans = [(0, i, min(i + lines, self.outer)) for i in range(0, self.outer, lines)]
            self.max_lines = min(lines, self.outer)
        else:
            self.red = 0
            lines = max(lines, MIN_COLUMNS)  # short rows make NumPy's inner loops slow
            self.spans = [
                (a, j, min(j + lines, self.inner))
                for a in range(self.outer)
                for j in range(0, self.inner, lines)
            ]
            self.max_lines = min(lines, self.inner)
        self.size = self.max_lines * self.n

    def view3(self, arr: np.ndarray, width: int | None = None) -> np.ndarray:
        """``arr`` (C-contiguous) as ``(A, n or width, B)``."""
        return arr.reshape(self.outer, self.n if width is None else width, self.inner)

    def target(self, arr3: np.ndarray, span: tuple[int, int, int]) -> np.ndarray:
        """The block ``span`` of ``arr3`` (a view, possibly strided)."""
        a, lo, hi = span
        return arr3[lo:hi, :, 0] if self.red == 1 else arr3[a, :, lo:hi]

    def read(self, arr3: np.ndarray, span: tuple[int, int, int], buf: np.ndarray) -> np.ndarray:
        """The block ``span`` of ``arr3`` in buf's dtype: a view when no conversion is needed."""
        block = self.target(arr3, span)
        if block.dtype == buf.dtype:
            return block
        out = buf[: block.size].reshape(block.shape)
        np.copyto(out, block, casting="unsafe")
        return out


def row_sums(e: np.ndarray, red: int, scratch: np.ndarray) -> np.ndarray:
    """Sums along ``red`` (keepdims), pairwise in both layouts.

    NumPy sums a contiguous axis pairwise (error growing like log n), but a strided axis
    one term after another (error growing like n). For ``red = 0`` the pairwise tree is
    built by hand: add the bottom half of the rows onto the top half until few remain.
    """
    if red == 1:
        return e.sum(axis=1, keepdims=True)
    n = e.shape[0]
    if n <= 8:
        return e.sum(axis=0, keepdims=True)
    h = n // 2
    cur = scratch[: h * e.shape[1]].reshape(h, e.shape[1])
    np.add(e[:h], e[h : 2 * h], out=cur)
    if n % 2:
        cur[0] += e[-1]
    while cur.shape[0] > 8:
        n, h = cur.shape[0], cur.shape[0] // 2
        np.add(cur[:h], cur[h : 2 * h], out=cur[:h])
        if n % 2:
            cur[0] += cur[n - 1]
        cur = cur[:h]
    return cur.sum(axis=0, keepdims=True)


class Workspace:
    """Flat float buffers of one block's size, reused across blocks (one set per thread)."""

    def __init__(self, size: int, dtype: np.dtype, count: int) -> None:
        self.flat = [np.empty(size, dtype=dtype) for _ in range(count)]

    def get(self, k: int, shape: tuple[int, ...]) -> np.ndarray:
        return self.flat[k][: math.prod(shape)].reshape(shape)


def run_blocks(
    spans: list[tuple[int, int, int]],
    make_ws: Callable[[], Workspace],
    work: Callable[[tuple[int, int, int], Workspace], None],
) -> None:
    """Run ``work(span, ws)`` on every span; split across two threads when worth it."""
    global _pool
    threads = min(2, os.cpu_count() or 1)
    if len(spans) < PARALLEL_MIN_BLOCKS or threads < 2:
        ws = make_ws()
        for span in spans:
            work(span, ws)
        return
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(threads, thread_name_prefix="course_lib")

    def chunk(part: list[tuple[int, int, int]]) -> None:
        ws = make_ws()
        with np.errstate(all="ignore"):  # errstate is per thread
            for span in part:
                work(span, ws)

    futures = [_pool.submit(chunk, spans[i::threads]) for i in range(threads)]
    for f in futures:
        f.result()


def split_sum(
    e: np.ndarray, red: int, hi: np.ndarray, lo: np.ndarray, scratch: np.ndarray
) -> np.ndarray:
    """Sums along ``red`` (keepdims) of terms in [0, 1], with one rounding instead of ~log n.

    Rump's error-free extraction: with ``sigma`` a power of two above any partial sum,
    ``hi = (sigma + e) - sigma`` is ``e`` rounded to a multiple of ``ulp(sigma)``, and adding
    such multiples is exact in any order; the remainders ``lo = e - hi`` are exact too and so
    small that their rounded sum is negligible. Softmax divides every entry by this sum, so
    its error would otherwise be the largest of the three in the result.
    """
    sigma = 2.0 ** (math.ceil(math.log2(e.shape[red])) + 1)
    np.add(e, sigma, out=hi)
    np.subtract(hi, sigma, out=hi)
    np.subtract(e, hi, out=lo)
    return row_sums(hi, red, scratch) + row_sums(lo, red, scratch)


def shifted_exp(
    x: np.ndarray,
    e: np.ndarray,
    err: np.ndarray,
    d: np.ndarray,
    tmp: np.ndarray,
    temperature: float | None,
    exact: bool,
    red: int,
    *,
    clean: bool = False,
    corr: np.ndarray | None = None,
    argmax: bool = False,
    shift: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Write ``exp((x - max) / T)`` for a block into ``e``, TwoSum-corrected.

    ``shift`` replaces the block's own maximum (for one long slice cut into chunks).

    Slices run along axis ``red`` of the 2-D block ``x`` (see :class:`RowBlocks`).

    ``d`` receives the (scaled) shifted values and ``err`` their rounding error (scaled the
    same way); ``d`` may be ``e`` when the caller does not need ``d`` afterwards. ``tmp`` is
    scratch space distinct from ``d`` and ``err`` (it may be ``e`` when ``e`` is not ``d``).
    ``corr`` (default: ``err`` itself) receives ``e * err``, the correction added to ``e``.
    Returns the slice maxima (keepdims) and, with ``argmax``, the index of the first maximum
    of each slice (keepdims). A slice whose maximum is not finite is shifted by 0 instead, so that
    ``-inf`` rows give NaN quietly and ``+inf`` rows can be fixed by the caller. With
    ``clean``, non-finite error terms (from ``inf - inf`` on masked or overflowing entries)
    are zeroed before they are used.
    """
    if shift is not None:
        idx, m = None, shift
    elif argmax:
        idx = np.expand_dims(x.argmax(axis=red), red)
        m = np.take_along_axis(x, idx, axis=red)
    else:
        idx = None
        m = x.max(axis=red, keepdims=True)
    fin = np.isfinite(m)
    ms = m if fin.all() else np.where(fin, m, 0.0)
    np.subtract(x, ms, out=d)
    if exact:
        # TwoSum(a=x, b=-ms): s = d, bb = s - a, err = (a - (s - bb)) + (b - bb)
        np.subtract(d, x, out=err)  # bb
        np.subtract(d, err, out=tmp)  # s - bb
        np.subtract(x, tmp, out=tmp)  # a - (s - bb)
        np.add(err, ms, out=err)
        np.subtract(tmp, err, out=err)  # (a - (s - bb)) + (b - bb)
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


def exp_and_sum(
    x: np.ndarray,
    e: np.ndarray,
    err: np.ndarray,
    d: np.ndarray,
    tmp: np.ndarray,
    temperature: float | None,
    exact: bool,
    red: int,
    scratch: np.ndarray,
    *,
    exclude_max: bool,
    corr: np.ndarray | None = None,
    split: bool = False,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """:func:`shifted_exp` then the slice sums, redone with cleaned error terms if they broke.

    ``scratch`` is a flat buffer of at least half the block's size, for :func:`row_sums`.
    With ``split`` the sum is taken by :func:`split_sum`, using ``err`` and ``tmp`` as space.

    With ``exclude_max`` the first maximum's own term (exactly ``exp(0) = 1``) is left out of
    the sum, so that ``log1p(sum)`` keeps tiny sums to full precision.
    """
    # argmax is fast along a contiguous axis but very slow along a strided one; there the
    # maxima are found as the terms equal to exp(0) = 1 (a term that rounds to 1 counts as 1
    # either way), all set aside, and all but one added back.
    use_argmax = exclude_max and red == 1
    for clean in (False, True):
        m, idx = shifted_exp(
            x, e, err, d, tmp, temperature, exact, red, clean=clean, corr=corr, argmax=use_argmax
        )
        if use_argmax:
            np.put_along_axis(e, idx, 0.0, axis=red)
            s = row_sums(e, red, scratch)
        elif exclude_max:
            top = e == 1.0
            np.copyto(e, 0.0, where=top)
            s = row_sums(e, red, scratch) + (np.count_nonzero(top, axis=red, keepdims=True) - 1)
        elif split:
            s = split_sum(e, red, err, tmp, scratch)
        else:
            s = row_sums(e, red, scratch)
        if not (exact and np.isnan(s).any()):
            break
    return m, idx, s

