"""Start one student's sandbox and collect what it sends back.

Where Debian's ``bubblewrap`` works (it does as root and, on most Linux machines, for anyone
with user namespaces), every student runs in a ``bwrap`` of their own:

* **no network**: a network namespace with nothing in it but its own loopback;
* **own process space**: a PID namespace; when the student's process ends, or the grader
  kills the sandbox, or the grader itself dies, every process in it dies with it;
* **a file system of its own**, read-only: ``/usr``, the Python standard library, NumPy
  (bound alone into an empty folder) and the two grading scripts, and one writable scratch
  folder. ``course_lib``, ``solutions/``, SciPy, the virtual environment and the other
  students' files are not hidden: they do not exist there;
* **no privileges**: started as root, the sandbox drops to user ``nobody`` with no
  capabilities before Python starts, so the process limit (``RLIMIT_NPROC``) holds;
* **descriptors**: standard input is ``/dev/null``; output goes to a file in the scratch
  folder; the job arrives on a pipe of its own, read to the end and closed before any
  student code runs; results leave on another. No other student's job ever passes through
  a channel this student can read: each sandbox is a new process that has seen only its own.

Inside, :mod:`course_lib.grading.sandbox` adds rlimits and Landlock as a second layer.

Where bubblewrap is missing or refused (a container that forbids namespaces, say), the
grader says so loudly and falls back to ``basic`` isolation: the same script in a plain
child process with rlimits and, where the kernel has it, Landlock (reads limited to Python
and NumPy, writes to the scratch folder, no signals out). The network is then open and a
detached process can outlive the run: :func:`describe` says exactly that, in every report.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy

from course_lib.grading import sandbox

HERE = Path(__file__).resolve().parent
COURSE = HERE.parents[1]  # the folder that holds course_lib (the repository)
PYTHON = Path(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))
NUMPY = Path(numpy.__file__).resolve().parent
NOBODY = 65534
RESULT_BYTES = 64 * 1024**2
PRINTED_CHARS = 2000
INSIDE = "/opt/grading"  # where the grading scripts and NumPy appear inside bubblewrap


@dataclass
class Outcome:
    """What came back from one sandbox: result lines, what it printed, how it ended."""

    lines: list[dict]
    printed: str
    note: str


@dataclass(frozen=True)
class Isolation:
    """How students are confined in this run: ``"bwrap"`` or ``"basic"``, and why."""

    mode: str
    reason: str = ""

    def describe(self) -> str:
        if self.mode == "bwrap":
            return ("isolation: bubblewrap (no network, own process space, read-only file "
                    "system without the course, rlimits, Landlock where available)")
        return ("isolation: BASIC, bubblewrap could not be used (" + self.reason + "): rlimits "
                "and Landlock only; the network is open and a detached process may outlive "
                "the run")


def _numpy_libs() -> Path | None:
    libs = NUMPY.parent / "numpy.libs"
    return libs if libs.is_dir() else None


def _stdlib() -> Path:
    return Path(os.path.realpath(os.path.dirname(os.__file__)))


@functools.cache
def _hidden_paths() -> tuple[str, ...]:
    """Folders that must not be readable even where their parent is bound."""
    paths = {str(COURSE), *site.getsitepackages(), site.getusersitepackages(), sys.prefix}
    for prefix in {sys.base_prefix, sys.base_exec_prefix, "/usr", "/usr/local"}:
        for name in ("site-packages", "dist-packages"):
            paths.add(str(Path(prefix) / "lib" / f"python{sys.version_info[0]}" / name))
            paths.add(str(Path(prefix) / "lib" / f"python{sys.version_info[0]}."
                          f"{sys.version_info[1]}" / name))
    return tuple(sorted(p for p in paths if p and os.path.isdir(p)))


def _bwrap_command(scratch: Path, job: int, result: int, cpu: int) -> list[str]:
    """The ``bwrap`` command line for one student (scratch appears as ``/scratch``)."""
    base = PYTHON.parents[1]  # .../bin/python3.x -> the installation's prefix
    cmd = [shutil.which("bwrap") or "bwrap", "--unshare-net", "--unshare-pid", "--unshare-ipc",
           "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", "--new-session",
           "--clearenv", "--hostname", "grader", "--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib32", "lib64", "libx32", "sbin"):
        target = Path("/") / name
        if target.is_symlink():
            cmd += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            cmd += ["--ro-bind", str(target), str(target)]
    if not str(base).startswith("/usr/"):
        for folder in reversed(base.parents[:-1]):  # e.g. /root: readable for nobody here
            cmd += ["--perms", "0755", "--dir", str(folder)]
        cmd += ["--ro-bind", str(base), str(base)]
    # Bound paths may contain what must not be seen: cover those with empty folders.
    bound = ["/usr", str(base)]
    for hidden in _hidden_paths():
        if any(hidden == b or hidden.startswith(b.rstrip("/") + "/") for b in bound):
            cmd += ["--tmpfs", hidden]
    for folder in ("/opt", INSIDE, f"{INSIDE}/lib"):  # made readable for nobody
        cmd += ["--perms", "0755", "--dir", folder]
    cmd += ["--ro-bind", str(NUMPY), f"{INSIDE}/lib/numpy"]
    if (libs := _numpy_libs()) is not None:
        cmd += ["--ro-bind", str(libs), f"{INSIDE}/lib/numpy.libs"]
    cmd += ["--ro-bind", str(HERE / "sandbox.py"), f"{INSIDE}/sandbox.py",
            "--ro-bind", str(HERE / "attempt.py"), f"{INSIDE}/attempt.py",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
            "--bind", str(scratch), "/scratch", "--chdir", "/scratch"]
    for key, value in _environment("/scratch").items():
        cmd += ["--setenv", key, value]
    if os.geteuid() == 0:  # drop to nobody, no capabilities, before Python starts
        cmd += ["/usr/bin/setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    else:
        cmd[1:1] = ["--unshare-user"]
    reads = [f"{INSIDE}", str(_stdlib()), "/usr", "/proc"]
    return cmd + [str(PYTHON), "-I", "-S", f"{INSIDE}/sandbox.py", "--lib", f"{INSIDE}/lib",
                  "--attempt", f"{INSIDE}/attempt.py", "--job-fd", str(job),
                  "--result-fd", str(result), "--scratch", "/scratch", "--cpu-seconds", str(cpu),
                  *[a for r in reads for a in ("--read", r)]]


def _basic_command(scratch: Path, job: int, result: int, cpu: int) -> list[str]:
    lib = scratch.parent / "lib"  # a folder with NumPy alone in it (symlinks)
    reads = [str(lib), str(_stdlib()), str(NUMPY), str(HERE / "attempt.py"), "/usr", "/proc"]
    if (libs := _numpy_libs()) is not None:
        reads.append(str(libs))
    return [str(PYTHON), "-I", "-S", str(HERE / "sandbox.py"), "--lib", str(lib),
            "--attempt", str(HERE / "attempt.py"), "--job-fd", str(job),
            "--result-fd", str(result), "--scratch", str(scratch), "--cpu-seconds", str(cpu),
            *[a for r in reads for a in ("--read", r)]]


def _environment(scratch: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": scratch, "TMPDIR": scratch, "LANG": "C.UTF-8",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@functools.cache
def choose(requested: str = "auto") -> Isolation:
    """Decide the isolation for this run: ``"auto"`` tries bubblewrap, ``"bwrap"`` insists
    on it (``RuntimeError`` if it does not work), ``"basic"`` does without."""
    if requested not in ("auto", "bwrap", "basic"):
        raise ValueError(f"isolation must be auto, bwrap or basic, not {requested!r}")
    if requested == "basic":
        return Isolation("basic", "asked for with --isolation basic")
    if shutil.which("bwrap") is None:
        reason = "the bwrap command is not installed (Debian: apt-get install bubblewrap)"
    else:
        outcome = Sandbox("bwrap").run({"notebooks": [], "exercises": [],
                                        "seconds_per_exercise": 5}, timeout=20)
        if not outcome.note and not outcome.printed.strip():
            return Isolation("bwrap")
        reason = f"a trial sandbox failed: {(outcome.note + ' ' + outcome.printed).strip()}"
        reason = reason[:300]
    if requested == "bwrap":
        raise RuntimeError(f"bubblewrap isolation was required, but {reason}")
    return Isolation("basic", reason)


class Sandbox:
    """Runs jobs, one fresh confined process each, in ``mode`` ``"bwrap"`` or ``"basic"``."""

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def run(self, job: dict, timeout: float) -> Outcome:
        """Run one student's ``job``; kill everything it started after ``timeout`` seconds."""
        home = Path(tempfile.mkdtemp(prefix="grade-"))
        try:
            return self._run(job, timeout, home)
        finally:
            shutil.rmtree(home, ignore_errors=True)

    def _run(self, job: dict, timeout: float, home: Path) -> Outcome:
        scratch = home / "scratch"
        scratch.mkdir()
        job_r, job_w = os.pipe()
        res_r, res_w = os.pipe()
        fds = {"job": job_r, "result": res_w, "cpu": int(timeout) + 1}
        if self.mode == "bwrap":
            if os.geteuid() == 0:
                os.chown(scratch, NOBODY, NOBODY)
            cmd = _bwrap_command(scratch, **fds)
        else:
            (home / "lib").mkdir()
            (home / "lib" / "numpy").symlink_to(NUMPY)
            if (libs := _numpy_libs()) is not None:
                (home / "lib" / "numpy.libs").symlink_to(libs)
            cmd = _basic_command(scratch, **fds)
        printed_path = home / "printed.txt"
        try:
            with open(printed_path, "wb") as printed:
                proc = subprocess.Popen(
                    cmd, stdin=subprocess.DEVNULL, stdout=printed, stderr=printed,
                    cwd=scratch, env=_environment(str(scratch)), start_new_session=True,
                    pass_fds=(job_r, res_w), umask=0o022,  # folders bwrap makes: 0755
                )
        except OSError:
            os.close(job_w)
            os.close(res_r)
            raise
        finally:
            os.close(job_r)
            os.close(res_w)
        return self._talk(proc, job, job_w, res_r, timeout, printed_path)

    def _talk(self, proc: subprocess.Popen, job: dict, job_w: int, res_r: int,
              timeout: float, printed_path: Path) -> Outcome:
        def feed() -> None:
            try:
                with os.fdopen(job_w, "wb") as f:
                    f.write(json.dumps(job, default=sandbox.encode).encode())
            except OSError:  # it died before reading its job: the exit status says why
                pass

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        chunks: list[bytes] = []
        reader = threading.Thread(target=_drain, args=(res_r, chunks), daemon=True)
        reader.start()
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        _kill(proc)
        reader.join(timeout=5)
        feeder.join(timeout=1)
        lines = []
        for raw in b"".join(chunks).splitlines():
            try:
                item = json.loads(raw)
            except ValueError:
                continue
            if isinstance(item, dict):
                lines.append(item)
        try:
            with open(printed_path, "rb") as f:
                printed = f.read(PRINTED_CHARS).decode("utf-8", "replace")
                if f.read(1):
                    printed += f"\n[... cut: only the first {PRINTED_CHARS} bytes are kept]"
        except OSError:
            printed = ""
        return Outcome(lines, printed, _ending(proc.returncode, timed_out, timeout))


def _drain(fd: int, chunks: list[bytes]) -> None:
    size = 0
    with os.fdopen(fd, "rb", buffering=0) as f:
        while data := f.read(1 << 16):
            size += len(data)
            if size <= RESULT_BYTES:
                chunks.append(data)


def _kill(proc: subprocess.Popen) -> None:
    """Kill the sandbox and everything in its session (bwrap takes its namespace along)."""
    for target in (lambda: os.killpg(proc.pid, signal.SIGKILL), proc.kill):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass
    proc.wait()


def _ending(code: int | None, timed_out: bool, timeout: float) -> str:
    if timed_out:
        return f"stopped after {timeout:g} s (wall-clock limit)"
    if code is None or code == 0:
        return ""
    if code < 0:
        names = {9: "killed (memory or time limit)", 24: "CPU time limit",
                 25: "file size limit", 11: "crashed (segmentation fault)", 6: "aborted"}
        return f"the process ended by signal {-code}: {names.get(-code, 'killed')}"
    return f"the process exited early with code {code}"
