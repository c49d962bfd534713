"""Build the Gradescope autograder bundle: ``make autograder`` -> ``build/autograder.zip``.

The zip holds, at its root, what Gradescope asks for (``setup.sh``, ``run_autograder``) and
what they need: ``requirements.txt`` (the pinned packages the grader imports, and theirs, with
the versions of the course's ``requirements.txt``), the ``course_lib`` package (its Python
files; no solutions, no notebooks) and ``autograder.json`` (the assignment: which exercises,
which seed, how many seconds an answer cell or an exercise may take, and the whole
submission; the same defaults as ``python -m course_lib.grade``). The zip is reproducible:
same sources and settings, same bytes.

    python tools/build_autograder.py --exercises softmax,softmax_axis --out build/autograder.zip

``--exercises`` takes exercise ids or exercise notebook names (``ex03_softmax`` means the
exercises answered in ``exercises/ex03_softmax.ipynb``); ``all`` (the default) is every
exercise of the course.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from course_lib.grading.grader import BUDGET_PER_TIMEOUT, DEFAULT_TIMEOUT  # noqa: E402
from course_lib.grading.registry import EXERCISES  # noqa: E402

TEMPLATES = REPO / "tools" / "gradescope"
# What course_lib.grading imports at run time (numpy, nbformat) and what they need in turn;
# tests/test_autograder.py checks the list is closed under the installed packages' metadata.
GRADING_PACKAGES = ("numpy", "nbformat", "fastjsonschema", "jsonschema",
                    "jsonschema-specifications", "referencing", "rpds-py", "attrs",
                    "jupyter_core", "platformdirs", "traitlets", "typing_extensions")
STAMP = (1980, 1, 1, 0, 0, 0)  # fixed times: the same sources give the same zip


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def grading_requirements(requirements: Path = REPO / "requirements.txt") -> str:
    """The pinned lines of ``requirements`` for :data:`GRADING_PACKAGES`, in that order."""
    pins = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            pins[_canon(line.split("==", 1)[0])] = line
    missing = [p for p in GRADING_PACKAGES if _canon(p) not in pins]
    if missing:
        raise SystemExit(f"{requirements} pins no version of: {', '.join(missing)}")
    return "".join(pins[_canon(p)] + "\n" for p in GRADING_PACKAGES)


def resolve_exercises(spec: str) -> list[str]:
    """Exercise ids from ``all``, ids, or exercise notebook names, in the registry's order."""
    if spec.strip() in ("", "all"):
        return list(EXERCISES)
    chosen: set[str] = set()
    for item in (s.strip() for s in spec.split(",") if s.strip()):
        if item in EXERCISES:
            chosen.add(item)
            continue
        stem = Path(item).stem
        ids = {e for e, ex in EXERCISES.items() if Path(ex.notebook).stem == stem}
        if not ids:
            known = ", ".join(EXERCISES)
            raise SystemExit(f"unknown exercise or notebook {item!r}; exercise ids: {known}")
        chosen |= ids
    return [e for e in EXERCISES if e in chosen]


def _add(zf: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=STAMP)
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def build(out: Path, exercises: list[str], seed: int | None = None,
          timeout: float = DEFAULT_TIMEOUT, isolation: str = "auto",
          budget: float | None = None) -> Path:
    """Write the bundle to ``out`` (atomically) and return its path."""
    config = {"exercises": exercises, "seed": seed, "timeout": timeout, "budget": budget,
              "isolation": isolation}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        _add(zf, "setup.sh", (TEMPLATES / "setup.sh").read_bytes(), executable=True)
        _add(zf, "run_autograder", (TEMPLATES / "run_autograder").read_bytes(),
             executable=True)
        _add(zf, "requirements.txt", grading_requirements().encode())
        _add(zf, "autograder.json", (json.dumps(config, indent=2) + "\n").encode())
        package = REPO / "course_lib"
        for path in sorted(package.rglob("*.py")):
            if "__pycache__" not in path.parts:
                _add(zf, path.relative_to(REPO).as_posix(), path.read_bytes())
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(REPO / "build" / "autograder.zip"))
    parser.add_argument("--exercises", default="all",
                        help="comma-separated exercise ids or notebook names (default: all)")
    parser.add_argument("--seed", type=int, default=None,
                        help="hidden cases of a new term (default: the course's fixed seed)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds per answer cell and per exercise (default "
                             f"{DEFAULT_TIMEOUT:g}, as the grader's)")
    parser.add_argument("--budget", type=float, default=None,
                        help=f"seconds for a whole submission (default {BUDGET_PER_TIMEOUT} "
                             "x --timeout, as the grader's)")
    parser.add_argument("--isolation", default="auto", choices=["auto", "bwrap", "basic"],
                        help="auto (default): bubblewrap where the container allows it, "
                             "else rlimits and Landlock, said in every result")
    args = parser.parse_args(argv)
    exercises = resolve_exercises(args.exercises)
    out = build(Path(args.out), exercises, args.seed, args.timeout, args.isolation,
                args.budget)
    points = sum(EXERCISES[e].points for e in exercises)
    print(f"wrote {out} ({out.stat().st_size // 1024} KiB): {len(exercises)} exercise(s), "
          f"{points:g} points: {', '.join(exercises)}; seed "
          f"{'the course default' if args.seed is None else args.seed}")
    print("upload it on Gradescope: assignment > Configure Autograder > Zip file upload")
    return 0


if __name__ == "__main__":
    sys.exit(main())
