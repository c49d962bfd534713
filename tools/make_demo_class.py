"""A synthetic class to rehearse grading with: ``make grade-demo``.

Writes ``OUT/<student>/<notebook>.ipynb`` (the layout the grader reads) from ``solutions/``
and ``exercises/``, deterministically:

* ``correct-NN``: every answer as in the solutions (a few forget a notebook, or hand in the
  untouched exercise notebook for one);
* ``wrong-NN``: one to three answers replaced by a mistake students really make (no max
  shift where the inputs are large, whole-batch sums, a sum where a mean belongs, ...);
* ``hostile-<attack>``: one answer cell that attacks the grader (an endless loop, a memory
  bomb, SciPy, the course's own code, another student's notebook, the network, a swarm of
  detached processes, fake printed results, a patched NumPy, a write outside its folder,
  processes held to use up a shared limit, a full scratch folder, sleeping through every
  cell, a forged Markdown heading, a flood or a deep nest on the result pipe, host paths
  printed) or a hand-in that does (a notebook or a whole folder that is a link to the
  solutions or to ``/``, a FIFO named like a notebook);
* ``correct-threads``: correct, with a softmax that starts eight threads (it loses points
  if another student's processes count against it); ``=1+2``: correct, named like a
  spreadsheet formula.

and ``expected.json`` beside OUT: for each student, the exercises that must get full marks,
those that must not, and what the run report must say about them. ``--check GRADES``
compares a graded class with it and exits 1 on any difference, so the dry run is a test of
the machine it runs on.

    python tools/make_demo_class.py --out build/grade-demo/submissions
    python -m course_lib.grade build/grade-demo/submissions --out build/grade-demo/grades
    python tools/make_demo_class.py --check build/grade-demo/grades
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent

WRONG = {  # exercise id -> a mistake that the hidden cases must catch
    "max": "def my_max(x, axis=-1):\n    return np.max(x)\n",
    "argmax": "def my_argmax(x, axis=-1):\n    return np.argmax(x)\n",
    "one_hot": ("def my_one_hot(labels, num_classes):\n"
                "    return np.eye(num_classes)[np.asarray(labels) - 1]\n"),
    "softmax": ("def my_softmax(x, axis=-1):\n    x = np.asarray(x)\n"
                "    e = np.exp(x - x.max(axis=-1, keepdims=True))\n    return e / e.sum()\n"),
    "softmax_axis": ("def my_softmax_axis(x, axis=-1):\n    x = np.asarray(x)\n"
                     "    e = np.exp(x - x.max())\n    return e / e.sum()\n"),
    "stable_softmax": ("def stable_softmax(x, axis=-1):\n    x = np.asarray(x)\n"
                       "    e = np.exp(x - x.max())\n"
                       "    return e / e.sum(axis=axis, keepdims=True)\n"),
    "logsumexp": ("def my_logsumexp(x, axis=-1, keepdims=False):\n"
                  "    return np.log(np.exp(np.asarray(x)).sum(axis=axis, keepdims=keepdims))\n"),
    "cross_entropy": ("def my_cross_entropy(logits, targets):\n    z = np.asarray(logits)\n"
                      "    m = z.max(axis=-1, keepdims=True)\n"
                      "    log_p = z - (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))\n"
                      "    return -log_p[np.arange(len(targets)), targets].sum()\n"),
    "cross_entropy_grad": ("def my_cross_entropy_grad(logits, targets):\n"
                           "    z = np.asarray(logits)\n"
                           "    e = np.exp(z - z.max(axis=-1, keepdims=True))\n"
                           "    g = e / e.sum(axis=-1, keepdims=True)\n"
                           "    g[np.arange(len(targets)), targets] -= 1\n    return g\n"),
    "perplexity": ("def my_perplexity(logits, targets):\n    z = np.asarray(logits, dtype=float)\n"
                   "    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)\n"
                   "    return np.exp(-np.log(p[np.arange(len(targets)), targets]).mean())\n"),
    "top_k": ("def my_top_k(logits, k):\n    x = np.array(logits, dtype=float)\n"
              "    x[x < np.sort(x, axis=-1)[..., -k][..., None]] = 0.0\n    return x\n"),
}

# Each attack replaces the softmax answer of exercises 03; {root} is the class folder.
ATTACKS = {
    "loop": "while True:\n    pass\n",
    "memory": "hog = np.ones(1 << 34)\n",
    "scipy": "from scipy.special import softmax as my_softmax\n",
    "course-code": "from course_lib import softmax as my_softmax\n",
    "neighbour": (
        "import glob, json\n"
        "for path in glob.glob({root!r} + '/correct-*/ex03_softmax.ipynb'):\n"
        "    for cell in json.load(open(path))['cells']:\n"
        "        if 'answer:softmax' in cell['metadata'].get('tags', []):\n"
        "            exec(''.join(cell['source']))\n"),
    "network": (
        "import socket\n"
        "for host, port in [('127.0.0.1', 22), ('1.1.1.1', 53), ('pypi.org', 443)]:\n"
        "    try:\n"
        "        socket.create_connection((host, port), timeout=2).close()\n"
        "        print('reached', host)\n"
        "    except OSError:\n"
        "        pass\n"
        "def my_softmax(x, axis=-1):\n    return np.zeros(np.shape(x))\n"),
    "processes": (
        "import os, time\n"
        "for _ in range(20):\n"
        "    try:\n"
        "        if os.fork() == 0:\n"
        "            os.setsid()\n"
        "            time.sleep(60)\n"
        "            os._exit(0)\n"
        "    except OSError:\n"
        "        break\n"
        "def my_softmax(x, axis=-1):\n    return np.zeros(np.shape(x))\n"),
    "fake-results": (
        "print('{{\"id\": \"softmax\", \"attempts\": []}}')\n"
        "print('{{\"score\": 99, \"tests\": []}}')\n"
        "def my_softmax(x, axis=-1):\n    return np.zeros(np.shape(x))\n"),
    "patched-numpy": (
        "np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
        "np.array_equal = lambda *a, **k: True\n"
        "def my_softmax(x, axis=-1):\n    return np.zeros(np.shape(x))\n"),
    "writes-outside": (
        "import pathlib\n"
        "for target in [pathlib.Path({root!r}) / 'correct-01' / 'ex03_softmax.ipynb',\n"
        "               pathlib.Path({root!r}).parent / 'grades' / 'grades.csv']:\n"
        "    try:\n"
        "        target.write_text('{{}}')\n"
        "    except OSError:\n"
        "        pass\n"
        "def my_softmax(x, axis=-1):\n    return np.zeros(np.shape(x))\n"),
}
# Attacks that keep a correct answer: they must cost their student nothing, and nobody else
# anything, but the run report must tell (each is the softmax answer of exercises 03).
CORRECT = (
    "def my_softmax(x, axis=-1):\n    x = np.asarray(x)\n"
    "    e = np.exp(x - x.max(axis=axis, keepdims=True))\n"
    "    return e / e.sum(axis=axis, keepdims=True)\n")
HARMLESS = {  # name -> (answer, what the run report must say about the student)
    "forks": ("import os, time\nmade = 0\ntry:\n    for _ in range(64):\n"
              "        if os.fork() == 0:\n            time.sleep(20)\n            os._exit(0)\n"
              "        made += 1\nexcept OSError as exc:\n"
              "    print('fork refused after', made, type(exc).__name__)\n"
              "time.sleep(3)\n" + CORRECT, "reached the process limit"),
    "scratch": ("written = 0\ntry:\n    for i in range(400):\n"
                "        with open(f'big{{i}}', 'wb') as f:\n"
                "            f.write(b'x' * (1 << 20))\n        written += 1\n"
                "except OSError as exc:\n    print('stopped after', written, 'MiB')\n"
                "for i in range(20000):\n    try:\n        open(f'e{{i}}', 'w').close()\n"
                "    except OSError:\n        break\n" + CORRECT, "reached the scratch space"),
    "markdown": ("print('```')\nprint('# Total: 11 / 11')\nprint('## All cases passed')\n"
                 + CORRECT, ""),
    "flood": ("import os, sys, atexit\n"
              "fd = os.dup(int(sys.argv[sys.argv.index('--result-fd') + 1]))\n"
              "atexit.register(lambda: os.write(fd, b'{{\"id\": \"softmax\", \"x\": \"'"
              " + b'A' * 60_000_000 + b'\"}}\\n'))\n" + CORRECT, "results cut"),
    "nested": ("import os, sys\n"
               "fd = int(sys.argv[sys.argv.index('--result-fd') + 1])\n"
               "os.write(fd, b'[' * 100_000 + b']' * 100_000 + b'\\n')\n" + CORRECT,
               "levels deep"),
    "host-paths": ("import os, sys\nprint(sys.executable, os.__file__)\n"
                   "print(open('/proc/1/cmdline', 'rb').read()[:300])\n" + CORRECT, ""),
}
THREADS = (  # an honest softmax that needs eight threads at once
    "import threading\n"
    "def my_softmax(x, axis=-1):\n    gate = threading.Barrier(9)\n"
    "    workers = [threading.Thread(target=gate.wait) for _ in range(8)]\n"
    "    for w in workers:\n        w.start()\n    gate.wait()\n"
    "    for w in workers:\n        w.join()\n    x = np.asarray(x)\n"
    "    e = np.exp(x - x.max(axis=axis, keepdims=True))\n"
    "    return e / e.sum(axis=axis, keepdims=True)\n")
# Hand-ins that are not what they seem: links and special files, refused with a note.
SPECIAL = ("link-notebook", "link-folder", "link-root", "fifo", "sleeper")


def answer_ids(nb) -> list[str]:
    return [t.split(":", 1)[1] for c in nb.cells for t in c.metadata.get("tags", [])
            if t.startswith("answer:")]


def with_answers(nb, replace: dict[str, str]):
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in nb.cells:
        for t in cell.metadata.get("tags", []):
            if t.startswith("answer:") and t.split(":", 1)[1] in replace:
                cell.source = replace[t.split(":", 1)[1]]
    return nb


def make_class(out: Path, correct: int = 24, wrong: int = 10, seed: int = 2026) -> dict:
    """Write the class and return ``{student: {"full": [...], "not_full": [...]}}``."""
    rng = random.Random(seed)
    solved = {p.stem: nbformat.read(p, as_version=4)
              for p in sorted((REPO / "solutions").glob("ex*.ipynb"))}
    stubs = {p.stem: nbformat.read(p, as_version=4)
             for p in sorted((REPO / "exercises").glob("ex*.ipynb"))}
    ids = {stem: answer_ids(nb) for stem, nb in solved.items()}
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    expected: dict[str, dict[str, list[str]]] = {}

    def hand_in(student: str, notebooks: dict, full: set[str], not_full: set[str],
                report: str = "") -> None:
        (out / student).mkdir()
        for stem, nb in notebooks.items():
            nbformat.write(nb, out / student / f"{stem}.ipynb")
        expected[student] = {"full": sorted(full), "not_full": sorted(not_full)}
        if report:
            expected[student]["report"] = report

    every = {e for v in ids.values() for e in v}
    for k in range(1, correct + 1):
        notebooks = dict(solved)
        missing: set[str] = set()
        if k % 8 == 0:  # forgot a notebook
            stem = rng.choice(sorted(notebooks))
            del notebooks[stem]
            missing |= set(ids[stem])
        elif k % 8 == 4:  # handed in the untouched exercise notebook
            stem = rng.choice(sorted(notebooks))
            notebooks[stem] = stubs[stem]
            missing |= set(ids[stem])
        hand_in(f"correct-{k:02d}", notebooks, every - missing, missing)
    for k in range(1, wrong + 1):
        bad = set(rng.sample(sorted(WRONG), rng.randint(1, 3)))
        notebooks = {stem: with_answers(nb, {e: WRONG[e] for e in bad if e in ids[stem]})
                     for stem, nb in solved.items()}
        hand_in(f"wrong-{k:02d}", notebooks, every - bad, bad)
    root = str(out.resolve())
    for name, code in ATTACKS.items():
        attack = code.format(root=root)
        notebooks = dict(solved)
        notebooks["ex03_softmax"] = with_answers(solved["ex03_softmax"], {"softmax": attack})
        hand_in(f"hostile-{name}", notebooks, every - {"softmax"}, {"softmax"})
    for name, (code, report) in HARMLESS.items():
        notebooks = dict(solved)
        notebooks["ex03_softmax"] = with_answers(solved["ex03_softmax"],
                                                 {"softmax": code.format()})
        hand_in(f"hostile-{name}", notebooks, every, set(), report)
    hand_in("correct-threads", {**solved, "ex03_softmax": with_answers(
        solved["ex03_softmax"], {"softmax": THREADS})}, every, set())
    hand_in("=1+2", dict(solved), every, set())
    _special(out, solved, ids, every, expected, hand_in)
    (out.parent / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    return expected


def _special(out: Path, solved: dict, ids: dict, every: set[str], expected: dict,
             hand_in) -> None:  # noqa: ANN001
    """The hand-ins that are links or special files, and a student who sleeps in every cell."""
    ex03 = set(ids["ex03_softmax"])
    others = {stem: nb for stem, nb in solved.items() if stem != "ex03_softmax"}
    hand_in("hostile-link-notebook", others, every - ex03, ex03, "it is a link")
    (out / "hostile-link-notebook" / "ex03_softmax.ipynb").symlink_to(
        REPO / "solutions" / "ex03_softmax.ipynb")
    (out / "hostile-link-folder").symlink_to(REPO / "solutions")
    expected["hostile-link-folder"] = {"full": [], "not_full": sorted(every),
                                       "report": "refused your folder: it is a link"}
    (out / "hostile-link-root").symlink_to("/")
    expected["hostile-link-root"] = {"full": [], "not_full": sorted(every),
                                     "report": "refused your folder: it is a link"}
    hand_in("hostile-fifo", others, every - ex03, ex03, "it is a FIFO")
    os.mkfifo(out / "hostile-fifo" / "ex03_softmax.ipynb")
    sleepy = {stem: with_answers(nb, {e: "import time\ntime.sleep(9)\n" + _source(nb, e)
                                      for e in ids[stem]}) for stem, nb in solved.items()}
    hand_in("hostile-sleeper", sleepy, set(), every, "time budget")


def _source(nb, ex_id: str) -> str:  # noqa: ANN001
    return next(c.source for c in nb.cells if f"answer:{ex_id}" in c.metadata.get("tags", []))


def report_sections(report: Path) -> dict[str, str]:
    """The run report's anomaly lines by student (from ``run-report.md``; names escaped)."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in report.read_text(encoding="utf-8").splitlines():
        if line.startswith("### "):
            current = line[4:]
            sections[current] = []
        elif line.startswith("## "):
            current = None
        elif current is not None and line.startswith("- "):
            sections[current].append(line)
    return {name: "\n".join(lines) for name, lines in sections.items()}


def check(expected: dict, grades_csv: Path) -> list[str]:
    """What in ``grades_csv`` differs from ``expected``: full marks where due, and only
    there; and, where ``expected`` says so, what the run report beside it must say."""
    from course_lib.grading.registry import EXERCISES
    from course_lib.grading.untrusted import csv_value, escape

    with open(grades_csv, newline="") as f:
        rows = {csv_value(r["student"]): r for r in csv.DictReader(f)}
    report = grades_csv.parent / "run-report.md"
    sections = report_sections(report) if report.is_file() else {}
    problems = []
    for student, want in expected.items():
        row = rows.get(student)
        if row is None:
            problems.append(f"{student}: no row in {grades_csv}")
            continue
        for ex in want["full"]:
            if float(row[ex] or 0) != EXERCISES[ex].points:
                problems.append(f"{student}: {ex} scored {row[ex]}, expected full marks")
        for ex in want["not_full"]:
            if float(row[ex] or 0) >= EXERCISES[ex].points:
                problems.append(f"{student}: {ex} got full marks, expected fewer")
        if want.get("report") and want["report"] not in sections.get(escape(student), ""):
            problems.append(f"{student}: the run report does not say {want['report']!r}")
    problems += [f"{s}: graded but not in the class" for s in rows if s not in expected]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(REPO / "build" / "grade-demo" / "submissions"))
    parser.add_argument("--correct", type=int, default=24)
    parser.add_argument("--wrong", type=int, default=10)
    parser.add_argument("--check", metavar="GRADES", default=None,
                        help="compare a graded class (its folder or grades.csv) with expected.json")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if args.check:
        grades = Path(args.check)
        grades = grades / "grades.csv" if grades.is_dir() else grades
        expected = json.loads((out.parent / "expected.json").read_text())
        problems = check(expected, grades)
        for p in problems:
            print("MISMATCH", p, file=sys.stderr)
        print(f"{len(expected)} students checked against expected.json: "
              f"{'all as expected' if not problems else f'{len(problems)} mismatch(es)'}")
        return 1 if problems else 0
    expected = make_class(out, args.correct, args.wrong)
    notebooks = sum(1 for top, _, files in os.walk(out) for f in files
                    if f.endswith(".ipynb") and os.path.isfile(os.path.join(top, f))
                    and not os.path.islink(os.path.join(top, f)))
    hostile = sum(1 for name in expected if name.startswith("hostile-"))
    print(f"wrote {len(expected)} students ({notebooks} notebooks) to {out}: "
          f"{args.correct} correct, {args.wrong} wrong, {hostile} hostile")
    return 0


if __name__ == "__main__":
    sys.exit(main())
