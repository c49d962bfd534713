"""Limits that belong to one student: processes, scratch space, wall-clock time.

* **Processes.** A student forks until refused and keeps every process alive; while they
  live, an honest classmate in another run starts eight threads, and one in the same run is
  graded beside the forker. With one ``RLIMIT_NPROC`` shared by every sandbox of user
  ``nobody`` the classmates lost points ("can't start new thread"); now each sandbox counts
  its own (a user namespace, or a cgroup with ``pids.max``), in bubblewrap and in basic
  isolation alike.
* **Scratch space.** An answer that writes 400 MiB and 20,000 files fills a 64 MiB tmpfs
  that vanishes with its sandbox.
* **Time.** An answer that sleeps in every cell costs its student's budget, not the
  timeout times the number of exercises; one that ignores the alarm is killed when the
  budget and a grace period are over.
* **One default timeout** for the grader, the platform import and the Gradescope bundle.
"""

from __future__ import annotations

import inspect
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from course_lib.grading import grader, gradescope, isolation, platforms
from course_lib.grading.grader import GRACE, grade
from tests.grading_class import (
    GOOD_AXIS,
    GOOD_SOFTMAX,
    HONEST,
    bounded,
    needs_bwrap,
    notebook,
    section,
)

MARK = "4242.918"  # names the forker's processes on the host
DONE = "forked4242"  # the forker's name once it holds every process it could make

FORKER = f'''
import os
made, first = 0, None
try:
    for _ in range(60):
        pid = os.fork()
        if pid == 0:
            os.execv("/bin/sleep", ["sleep", "{MARK}"])
        made += 1
        first = first or pid
except OSError as exc:
    print("fork refused after", made, type(exc).__name__)
import ctypes
ctypes.CDLL(None).prctl(15, b"{DONE}", 0, 0, 0)  # its name says: done forking
os.waitpid(first, 0)  # held until the test lets the first sleeper go
''' + GOOD_SOFTMAX

THREADED = '''
import threading
def my_softmax(x, axis=-1):
    gate = threading.Barrier(9)
    workers = [threading.Thread(target=gate.wait) for _ in range(8)]
    for w in workers:
        w.start()  # eight threads alive at once, or "can't start new thread"
    gate.wait()
    for w in workers:
        w.join()
    x = np.asarray(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
'''


def _processes(part: str):  # noqa: ANN202
    """``(pid, /proc/<pid>/<part> as bytes)`` of every process the host can read."""
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                yield int(pid), Path(f"/proc/{pid}/{part}").read_bytes()
            except OSError:
                continue


def _marked() -> list[int]:
    return [pid for pid, cmd in _processes("cmdline")
            if MARK.encode() in cmd and b"pytest" not in cmd]


def _forker() -> int | None:
    """The forker's pid once it is done forking (it renames itself), else None."""
    return next((pid for pid, comm in _processes("comm") if comm.strip() == DONE.encode()),
                None)


def _children(parent: int) -> list[int]:
    return [pid for pid, status in _processes("status")
            if f"\nPPid:\t{parent}\n".encode() in status]


def _kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


@pytest.mark.parametrize("mode", ["auto", "basic"])
def test_a_forker_never_costs_a_classmate_a_thread(tmp_path, mode, capsys) -> None:
    chosen = isolation.choose(mode)
    if mode == "auto" and chosen.mode != "bwrap" and not os.environ.get("CI"):
        pytest.skip("LOUD SKIP: bubblewrap is not usable here")
    if not chosen.processes:
        pytest.fail("no process limit of its own per sandbox: " + chosen.describe())
    forkers, honest = tmp_path / "forkers", tmp_path / "honest"
    notebook(forkers / "forker" / "ex03_softmax.ipynb",
             {"softmax": FORKER, "softmax_axis": GOOD_AXIS})
    notebook(forkers / "beside" / "ex03_softmax.ipynb",
             {"softmax": THREADED, "softmax_axis": GOOD_AXIS})
    notebook(honest / "elsewhere" / "ex03_softmax.ipynb",
             {"softmax": THREADED, "softmax_axis": GOOD_AXIS})
    box: dict = {}
    forker = None
    thread = threading.Thread(target=lambda: box.update(results=bounded(lambda: grade(
        [forkers], tmp_path / "out1", jobs=2, timeout=300, progress=False,
        isolation_mode=mode))), daemon=True)
    thread.start()
    try:
        for _ in range(3000):  # until the forker holds every process it could make
            forker = _forker()
            if forker is not None or not thread.is_alive():
                break
            time.sleep(0.1)
        assert forker is not None, "the forker never finished forking"
        held = len(_children(forker))
        assert held >= 14, f"the forker should hold its processes, holds {held}"
        elsewhere = bounded(lambda: grade([honest], tmp_path / "out2", timeout=60,
                                          progress=False, isolation_mode=mode))
        assert len(_children(forker)) == held  # they lived through that whole run
    finally:
        _kill((_children(forker) if forker else []) + _marked())  # the forker goes on
        thread.join(600)
    assert elsewhere[0].total == 2, elsewhere[0].output
    results = {r.name: r for r in box["results"]}
    assert results["beside"].total == 2, results["beside"].output
    assert results["forker"].total == 2, results["forker"].output  # only its own limit hit
    assert "fork refused after" in results["forker"].output
    report = capsys.readouterr().err
    assert "reached the process limit" in section(report, "forker")
    assert section(report, "beside") == "" and section(report, "elsewhere") == ""
    assert _marked() == []


@needs_bwrap
def test_scratch_space_is_a_small_tmpfs_of_its_own(tmp_path, capsys) -> None:
    filler = '''
import os
written = 0
try:
    for i in range(400):
        with open(f"big{i}", "wb") as f:
            f.write(b"x" * (1 << 20))
        written += 1
except OSError as exc:
    print("stopped after", written, "MiB:", exc.strerror)
made = 0
for i in range(20000):
    try:
        open(f"empty{i}", "w").close()
        made += 1
    except OSError:
        break
print("empty files:", made, "in", os.getcwd())
''' + GOOD_SOFTMAX
    notebook(tmp_path / "subs" / "filler" / "ex03_softmax.ipynb",
             {"softmax": filler, "softmax_axis": GOOD_AXIS})
    notebook(tmp_path / "subs" / "honest" / "ex03_softmax.ipynb", HONEST)
    results = {r.name: r for r in bounded(lambda: grade(
        [tmp_path / "subs"], tmp_path / "out", jobs=2, timeout=30, progress=False))}
    out = results["filler"].output
    written = int(out.split("stopped after ")[1].split()[0])
    assert written <= isolation.SCRATCH_BYTES >> 20, out  # not 400 MiB
    assert "No space left on device" in out
    assert "in /scratch" in out  # its own folder, not the host's /tmp
    assert results["filler"].total == 2 and results["honest"].total == 2
    report = capsys.readouterr().err
    assert "reached the scratch space (64 MiB)" in section(report, "filler")


def test_a_sleeping_student_costs_their_budget_not_timeout_times_exercises(tmp_path,
                                                                           capsys) -> None:
    sleepy = "import time\ntime.sleep(1.5)\n"
    notebook(tmp_path / "subs" / "sleepy" / "ex03_softmax.ipynb",
             {"softmax": sleepy + GOOD_SOFTMAX, "softmax_axis": sleepy + GOOD_AXIS})
    stubborn = ("import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                "while True:\n    pass\n")
    notebook(tmp_path / "subs" / "stubborn" / "ex03_softmax.ipynb",
             {"softmax": stubborn, "softmax_axis": GOOD_AXIS})
    notebook(tmp_path / "subs" / "honest" / "ex03_softmax.ipynb", HONEST)
    results = {r.name: r for r in bounded(lambda: grade(
        [tmp_path / "subs"], tmp_path / "out", jobs=2, timeout=2, budget=2,
        progress=False))}
    assert results["honest"].total == 2
    sleepy_msgs = results["sleepy"].messages
    assert "time budget (2 s in all) ran out" in sleepy_msgs["softmax_axis"]
    assert results["sleepy"].total < 2
    # the alarm ignored: killed from outside when the budget and the grace period end
    assert f"stopped after {2 + GRACE:g} s (wall-clock limit)" in results["stubborn"].output
    assert results["stubborn"].total == 0
    report = capsys.readouterr().err
    assert "timeout:" in section(report, "sleepy") and "time budget" in section(report, "sleepy")
    assert "wall-clock limit" in section(report, "stubborn")
    assert section(report, "honest") == ""


def test_the_budget_is_per_student_whatever_the_number_of_exercises(tmp_path) -> None:
    notebook(tmp_path / "s" / "a.ipynb", {"softmax": GOOD_SOFTMAX})
    job, _, _ = grader.plan(grader.collect([tmp_path / "s"])[0],
                            grader.read_answers(grader.collect([tmp_path / "s"])),
                            ["softmax", "softmax_axis", "max"],
                            grader.make_cases(1, ["softmax", "softmax_axis", "max"]), 4.0)
    assert job["seconds_per_exercise"] == 4.0
    assert job["budget_seconds"] == grader.BUDGET_PER_TIMEOUT * 4.0  # not 3 exercises x 4


def test_one_default_timeout_at_every_entry_point(monkeypatch) -> None:
    import importlib.util

    default = grader.DEFAULT_TIMEOUT
    assert inspect.signature(grade).parameters["timeout"].default == default
    cfg = gradescope.load_config(Path("/nonexistent/autograder.json"))
    assert cfg["timeout"] == default and cfg["budget"] is None
    spec = importlib.util.spec_from_file_location(
        "build_autograder", Path(__file__).resolve().parent.parent / "tools" /
        "build_autograder.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    assert inspect.signature(builder.build).parameters["timeout"].default == default
    captured = {}
    monkeypatch.setattr(platforms, "unpack", lambda download, out, fmt, refused=None: [])
    monkeypatch.setattr(grader, "grade", lambda submissions, out, **kw: captured.update(kw))
    platforms.main(["grade", "download.zip", "--out", "/nonexistent-out"])
    assert captured["timeout"] == default and captured["budget"] is None


def test_a_shared_process_limit_is_said_loudly(tmp_path, monkeypatch, capsys) -> None:
    real = isolation.choose("auto")
    shared = isolation.Isolation(real.mode, real.reason, processes="",
                                 scratch_capped=real.scratch_capped, landlock=real.landlock)
    monkeypatch.setattr(isolation, "choose", lambda mode="auto": shared)
    notebook(tmp_path / "subs" / "honest" / "ex03_softmax.ipynb", HONEST)
    results = bounded(lambda: grade([tmp_path / "subs"], tmp_path / "out", progress=False))
    assert results[0].total == 2
    err = capsys.readouterr().err
    assert "WARNING: the process limit is SHARED" in err
    report = (tmp_path / "out" / "run-report.md").read_text()
    assert "## Warnings" in report and "the process limit is SHARED" in report
    assert "process limit SHARED by every sandbox" in results[0].output


@pytest.mark.parametrize("release, per_namespace", [("5.13.19", False), ("5.14.0", True),
                                                    ("5.15.0-91-generic", True),
                                                    ("4.19.0", False), ("6.18.44", True)])
def test_the_kernel_counts_processes_per_namespace_from_5_14(release, per_namespace) -> None:
    assert isolation.kernel_counts_processes_per_namespace(release) is per_namespace
