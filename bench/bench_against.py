"""The softmax family and cross-entropy of this work tree against those of a git revision.

Run with ``python bench/bench_against.py [--ref main] [--quick]``. The math modules of
course_lib (``_validation``, ``functions``, ``losses``) at ``--ref`` are copied into a
temporary package, ``course_lib_ref``, and imported beside the working ones, so that the old
and the new code are timed interleaved in one process (A, B, A, B, ...) on every shape and
dtype of ``make bench``. Each sample times a few calls of one and then of the other (the
order alternating), in CPU time of this process, so that waiting for a core shared with
other work is not counted; the printed ratio is the median over the samples of old time /
new time: ``> 1`` means the work tree is faster, ``0.95`` means 5 % slower. Comparing
``--ref`` with itself (``--self-check``) shows the noise of the machine.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from bench_functions import FUNCS, _cases  # noqa: E402

import course_lib as cl  # noqa: E402

MODULES = ("_validation", "functions", "losses")


def load_ref(ref: str, into: Path) -> ModuleType:
    """Import course_lib's math modules as they are at git revision ``ref``."""
    pkg = into / "course_lib_ref"
    pkg.mkdir()
    for name in MODULES:
        src = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{ref}:course_lib/{name}.py"],
            check=True, capture_output=True, text=True,
        ).stdout
        (pkg / f"{name}.py").write_text(src.replace("course_lib.", "course_lib_ref."))
    (pkg / "__init__.py").write_text(
        "from course_lib_ref.functions import *  # noqa\n"
        "from course_lib_ref.losses import *  # noqa\n"
    )
    sys.path.insert(0, str(into))
    return importlib.import_module("course_lib_ref")


def _call(lib: ModuleType, name: str, x: np.ndarray, labels: np.ndarray,
          axis: int) -> Callable[[], object]:
    f = getattr(lib, name)
    if name == "cross_entropy":
        return lambda: f(x, labels, axis=axis)
    return lambda: f(x, axis=axis)


def paired_ratio(new: Callable[[], object], old: Callable[[], object], budget: float) -> float:
    """Median over samples of (time of ``old``) / (time of ``new``), in process CPU time."""
    new(), old()  # warm up
    t0 = time.process_time()
    new()
    once = max(time.process_time() - t0, 1e-6)
    number = max(1, int(0.02 / once))  # ~20 ms per sample
    reps = max(9, min(61, int(budget / (2 * once * number))))
    ratios = []
    for i in range(reps):
        times = {}
        for name in (("new", "old") if i % 2 else ("old", "new")):
            f = new if name == "new" else old
            t0 = time.process_time()
            for _ in range(number):
                f()
            times[name] = time.process_time() - t0
        ratios.append(times["old"] / max(times["new"], 1e-9))
    return statistics.median(ratios)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main", help="git revision to compare with")
    parser.add_argument("--quick", action="store_true", help="small shapes, few repeats")
    parser.add_argument("--case", default="", help="only the shapes whose label holds this text")
    parser.add_argument("--self-check", action="store_true",
                        help="time --ref against itself: the ratios show the noise")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    budget = 0.3 if args.quick else 1.5
    with tempfile.TemporaryDirectory() as tmp:
        old = load_ref(args.ref, Path(tmp))
        new_lib = old if args.self_check else cl
        print(f"old = course_lib at {args.ref}; new = "
              + ("the same, imported once (noise check)" if args.self_check else "this work tree"))
        print("ratio: median of old / new CPU time, paired samples (> 1 = new faster)\n")
        header = f"{'function':<14} {'dtype':<8} {'shape':<26} {'old/new':>8}"
        print(header)
        print("-" * len(header))
        for label, shape, axis in _cases(args.quick):
            if args.case not in label:
                continue
            for dtype in (np.float32, np.float64):
                x = (rng.standard_normal(shape) * 3).astype(dtype)
                labels = rng.integers(0, shape[axis], size=np.delete(np.array(shape), axis))
                for name in FUNCS:
                    new, ref = (_call(lib, name, x, labels, axis) for lib in (new_lib, old))
                    ratio = paired_ratio(new, ref, budget)
                    print(f"{name:<14} {np.dtype(dtype).name:<8} {label:<26} {ratio:>7.3f}x")
            print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
