"""Start one student's sandbox and collect what it sends back.

Where Debian's ``bubblewrap`` works (it does as root and, on most Linux machines, for anyone
with user namespaces), every student runs in a ``bwrap`` of their own:

* **no network**: a network namespace with nothing in it but its own loopback;
* **own process space**: a PID namespace; when the student's process ends, or the grader
  kills the sandbox, or the grader itself dies, every process in it dies with it;
* **a file system of its own**, read-only: ``/usr``, the Python standard library, NumPy
  (bound alone into an empty folder) and the two grading scripts, and one writable scratch
  folder, a ``tmpfs`` of :data:`SCRATCH_BYTES` that vanishes with the sandbox.
  ``course_lib``, ``solutions/``, SciPy, the virtual environment and the other students'
  files are not hidden: they do not exist there;
* **no privileges**: started as root, the sandbox drops to user ``nobody`` with no
  capabilities before Python starts;
* **a process limit of its own**: the sandbox moves into a user namespace of its own before
  any student code runs, and Linux counts ``RLIMIT_NPROC`` per user namespace, so one
  student's processes never use up another's. Where that is impossible, a cgroup with
  ``pids.max`` per sandbox does the same (:class:`PidsCgroup`); where neither works the
  grader says so loudly;
* **descriptors**: standard input is ``/dev/null``; output goes to a file outside the
  sandbox; the job arrives on a pipe of its own, read to the end and closed before any
  student code runs; results leave on another. No other student's job ever passes through
  a channel this student can read: each sandbox is a new process that has seen only its own.

Inside, :mod:`course_lib.grading.sandbox` adds rlimits and Landlock as a second layer.

What comes back is read as untrusted (:func:`read_results`): at most :data:`RESULT_BYTES`
per student, lines nested deeper than :data:`MAX_NESTING` are dropped before parsing (no
recursion the student can reach), and only the first result of each exercise counts; all
else becomes a note for the run report.

Where bubblewrap is missing or refused (a container that forbids namespaces, say), the
grader says so loudly and falls back to ``basic`` isolation: the same script in a plain
child process with rlimits and, where the kernel has it, Landlock (reads limited to Python
and NumPy, writes to the scratch folder, no signals out). The network is then open, the
scratch folder is an ordinary folder, and a detached process can outlive the run:
:meth:`Isolation.describe` says exactly that, in every report.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import json
import os
import platform
import re
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy

from course_lib.grading import sandbox

HERE = Path(__file__).resolve().parent
COURSE = HERE.parents[1]  # the folder that holds course_lib (the repository)
PYTHON = Path(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))
NUMPY = Path(numpy.__file__).resolve().parent
NOBODY = 65534
RESULT_BYTES = 4 * 1024**2  # a whole class's worth of exercises is about 40 KiB
MAX_NESTING = 8  # a genuine result line is 5 levels deep
PRINTED_CHARS = 2000
SCRATCH_BYTES = 64 * 1024**2
INSIDE = "/opt/grading"  # where the grading scripts and NumPy appear inside bubblewrap


@dataclass
class Outcome:
    """What came back from one sandbox: the first result of each exercise, what the
    sandbox reported of its own set-up, what it printed, how it ended, and notes on
    everything else that came back (forged, repeated, cut or unreadable lines)."""

    results: dict[str, dict]
    printed: str
    note: str
    anomalies: list[str] = field(default_factory=list)
    ready: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Isolation:
    """How students are confined in this run.

    ``mode`` is ``"bwrap"`` or ``"basic"`` (``reason`` says why basic); ``processes`` how
    each sandbox gets a process limit of its own (``"user namespace"``, ``"cgroup"``, or
    ``""``: shared with every sandbox of the same user); ``scratch_capped`` whether the
    scratch folder is a size-capped tmpfs; ``landlock`` whether Landlock applied.
    """

    mode: str
    reason: str = ""
    processes: str = ""
    scratch_capped: bool = False
    landlock: bool = False

    def describe(self) -> str:
        if self.mode == "bwrap":
            text = ("isolation: bubblewrap (no network, own process space, read-only file "
                    "system without the course, rlimits, Landlock where available)")
        else:
            text = ("isolation: BASIC, bubblewrap could not be used (" + self.reason + "): "
                    "rlimits and Landlock only; the network is open" + self._detached())
        return text + "; " + self._processes() + "; " + self._scratch()

    def _detached(self) -> str:
        if self.processes == "cgroup":
            return " (every process a student starts is killed with its cgroup)"
        return " and a detached process may outlive the run"

    def _processes(self) -> str:
        if self.processes:
            return f"a process limit per sandbox ({self.processes})"
        return "process limit SHARED by every sandbox of this user"

    def _scratch(self) -> str:
        if self.scratch_capped:
            return f"scratch: a {SCRATCH_BYTES >> 20} MiB tmpfs"
        return "scratch: an ordinary folder, files capped at 1 MiB each, no total cap"

    def warnings(self) -> list[str]:
        """What this run could not apply, each said loudly on standard error and in the
        run report."""
        out = []
        if self.mode != "bwrap":
            out.append("isolation: BASIC, bubblewrap could not be used (" + self.reason
                       + "): the network is open" + self._detached())
        if not self.processes:
            who = "root, whose processes no rlimit counts" if os.geteuid() == 0 and \
                self.mode != "bwrap" else "the same user"
            out.append("the process limit is SHARED: neither a user namespace per sandbox "
                       "(Linux 5.14+) nor a cgroup with pids.max could be used, so every "
                       f"sandbox runs as {who}; one student's processes can cost another "
                       "student points")
        if not self.scratch_capped:
            out.append("the scratch folder is not size-capped (no tmpfs: bubblewrap is "
                       "missing or older than 0.8)")
        return out


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


def _bwrap_command(scratch: Path | None, job: int, result: int, cpu: int,
                   flags: list[str]) -> list[str]:
    """The ``bwrap`` command line for one student (scratch appears as ``/scratch``: a
    size-capped tmpfs when ``scratch`` is None, else that host folder bound)."""
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
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    if scratch is None:
        cmd += ["--perms", "1777", "--size", str(SCRATCH_BYTES), "--tmpfs", "/scratch"]
    else:
        cmd += ["--bind", str(scratch), "/scratch"]
    cmd += ["--chdir", "/scratch"]
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
                  *flags,
                  *[a for r in reads for a in ("--read", r)]]


def _basic_command(scratch: Path, job: int, result: int, cpu: int,
                   flags: list[str]) -> list[str]:
    lib = scratch.parent / "lib"  # a folder with NumPy alone in it (symlinks)
    reads = [str(lib), str(_stdlib()), str(NUMPY), str(HERE / "attempt.py"), "/usr", "/proc"]
    if (libs := _numpy_libs()) is not None:
        reads.append(str(libs))
    return [str(PYTHON), "-I", "-S", str(HERE / "sandbox.py"), "--lib", str(lib),
            "--attempt", str(HERE / "attempt.py"), "--job-fd", str(job),
            "--result-fd", str(result), "--scratch", str(scratch), "--cpu-seconds", str(cpu),
            *flags,
            *[a for r in reads for a in ("--read", r)]]


def _environment(scratch: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": scratch, "TMPDIR": scratch, "LANG": "C.UTF-8",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@functools.cache
def bwrap_has_size() -> bool:
    """Whether this bubblewrap can cap a tmpfs (``--size``, bubblewrap 0.8 and later)."""
    try:
        help_text = subprocess.run([shutil.which("bwrap") or "bwrap", "--help"],
                                   capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "--size" in help_text


def kernel_counts_processes_per_namespace(release: str | None = None) -> bool:
    """Linux 5.14 and later count ``RLIMIT_NPROC`` per user namespace (ucounts).

    >>> [kernel_counts_processes_per_namespace(r) for r in ("5.13.0", "6.1.0-13")]
    [False, True]
    """
    m = re.match(r"(\d+)\.(\d+)", release or platform.release())
    return bool(m) and (int(m.group(1)), int(m.group(2))) >= (5, 14)


# --- a cgroup per sandbox ----------------------------------------------------------------


class PidsCgroup:
    """One cgroup per sandbox whose ``pids.max`` is the sandbox's process limit.

    Used where a user namespace per sandbox cannot be (the grader runs as root without
    bubblewrap, whose processes no rlimit counts). Needs a writable cgroup with the
    ``pids`` controller: cgroup v2 where it is enabled for the grader's cgroup, or
    cgroup v1's ``pids`` hierarchy. Every process of a sandbox is killed through its
    cgroup when the sandbox ends, detached ones included.
    """

    def __init__(self, parent: Path, v2: bool) -> None:
        self.parent, self.v2 = parent, v2
        self.count = itertools.count()

    @staticmethod
    @functools.cache
    def find() -> PidsCgroup | None:
        """A usable cgroup for this grader process, or None."""
        try:
            mounts = Path("/proc/self/mounts").read_text().splitlines()
            own = Path("/proc/self/cgroup").read_text().splitlines()
        except OSError:
            return None
        v1 = next((m.split()[1] for m in mounts if m.split()[2:3] == ["cgroup"]
                   and "pids" in m.split()[3].split(",")), None)
        v2 = next((m.split()[1] for m in mounts if m.split()[2:3] == ["cgroup2"]), None)
        places = {}
        for line in own:
            _, controllers, path = line.split(":", 2)
            if controllers == "" and v2:
                places["v2"] = Path(v2 + path)
            elif "pids" in controllers.split(",") and v1:
                places["v1"] = Path(v1 + path)
        for kind in ("v2", "v1"):
            if kind not in places:
                continue
            parent = places[kind] / f"course-grader-{os.getpid()}"
            try:
                if kind == "v2":  # never changes the machine's own cgroups: pids must be on
                    enabled = (places[kind] / "cgroup.subtree_control").read_text().split()
                    if "pids" not in enabled:
                        continue
                parent.mkdir(exist_ok=True)
                if kind == "v2":
                    (parent / "cgroup.subtree_control").write_text("+pids")
                found = PidsCgroup(parent, kind == "v2")
                probe = found.create(4)
                found.remove(probe)
            except OSError:
                try:
                    parent.rmdir()
                except OSError:
                    pass
                continue
            atexit.register(_rmdir_quietly, parent)
            return found
        return None

    def create(self, limit: int) -> Path:
        """A new cgroup with ``pids.max = limit``."""
        folder = self.parent / f"sandbox-{next(self.count)}"
        folder.mkdir()
        (folder / "pids.max").write_text(str(limit))
        return folder

    def wrap(self, folder: Path, cmd: list[str]) -> list[str]:
        """``cmd`` run from inside ``folder``'s cgroup (it joins before it starts)."""
        return ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(folder), *cmd]

    def remove(self, folder: Path) -> None:
        """Kill everything left in ``folder``'s cgroup, then remove it."""
        for _ in range(200):
            if self.v2 and (folder / "cgroup.kill").exists():
                try:
                    (folder / "cgroup.kill").write_text("1")
                except OSError:
                    pass
            try:
                pids = [int(p) for p in (folder / "cgroup.procs").read_text().split()]
            except OSError:
                pids = []
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            try:
                folder.rmdir()
                return
            except OSError:
                time.sleep(0.01)


def _rmdir_quietly(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


# --- choosing ---------------------------------------------------------------------------


@functools.cache
def choose(requested: str = "auto") -> Isolation:
    """Decide the isolation for this run: ``"auto"`` tries bubblewrap, ``"bwrap"`` insists
    on it (``RuntimeError`` if it does not work), ``"basic"`` does without.

    A trial sandbox also tells whether each sandbox can have a process limit of its own
    (a user namespace, else a cgroup) and Landlock.
    """
    if requested not in ("auto", "bwrap", "basic"):
        raise ValueError(f"isolation must be auto, bwrap or basic, not {requested!r}")
    trial_job = {"notebooks": [], "exercises": [], "seconds_per_exercise": 5}
    mode, reason, ready = "basic", "asked for with --isolation basic", {}
    if requested != "basic":
        if shutil.which("bwrap") is None:
            reason = "the bwrap command is not installed (Debian: apt-get install bubblewrap)"
        else:
            outcome = Sandbox("bwrap", tmpfs=bwrap_has_size()).run(trial_job, timeout=20)
            if not outcome.note and not outcome.printed.strip():
                mode, ready = "bwrap", outcome.ready
            else:
                reason = f"a trial sandbox failed: {(outcome.note + ' ' + outcome.printed).strip()}"
                reason = reason[:300]
    if requested == "bwrap" and mode != "bwrap":
        raise RuntimeError(f"bubblewrap isolation was required, but {reason}")
    if mode == "basic":
        ready = Sandbox("basic").run(trial_job, timeout=20).ready
    processes = ""
    if ready.get("userns") and kernel_counts_processes_per_namespace():
        processes = "user namespace"
    elif PidsCgroup.find() is not None:
        processes = "cgroup"
    return Isolation(mode, "" if mode == "bwrap" else reason, processes,
                     mode == "bwrap" and bwrap_has_size(), bool(ready.get("landlock")))


class Sandbox:
    """Runs jobs, one fresh confined process each, in ``mode`` ``"bwrap"`` or ``"basic"``.

    ``userns``: each sandbox moves into a user namespace of its own; ``cgroup``: each gets
    a cgroup with ``pids.max`` instead; ``tmpfs``: the scratch folder is a size-capped
    tmpfs (bubblewrap only).
    """

    def __init__(self, mode: str, *, userns: bool = True, cgroup: PidsCgroup | None = None,
                 tmpfs: bool = False) -> None:
        self.mode, self.userns, self.cgroup = mode, userns, cgroup
        self.tmpfs = tmpfs and mode == "bwrap"

    @classmethod
    def confined(cls, isolation: Isolation) -> Sandbox:
        """The sandbox :func:`choose` decided on."""
        return cls(isolation.mode, userns=isolation.processes == "user namespace",
                   cgroup=PidsCgroup.find() if isolation.processes == "cgroup" else None,
                   tmpfs=isolation.scratch_capped)

    def run(self, job: dict, timeout: float) -> Outcome:
        """Run one student's ``job``; kill everything it started after ``timeout`` seconds."""
        home = Path(tempfile.mkdtemp(prefix="grade-"))
        group = self.cgroup.create(sandbox.PROCESSES + 2) if self.cgroup else None
        try:
            return self._run(job, timeout, home, group)
        finally:
            if group is not None:
                self.cgroup.remove(group)
            shutil.rmtree(home, ignore_errors=True)

    def _run(self, job: dict, timeout: float, home: Path, group: Path | None) -> Outcome:
        scratch = home / "scratch"
        scratch.mkdir()
        job_r, job_w = os.pipe()
        res_r, res_w = os.pipe()
        flags = (["--own-userns"] if self.userns else []) + (
            ["--no-nproc-rlimit"] if group is not None else [])
        fds = {"job": job_r, "result": res_w, "cpu": int(timeout) + 1, "flags": flags}
        if self.mode == "bwrap":
            if os.geteuid() == 0:
                os.chown(scratch, NOBODY, NOBODY)
            cmd = _bwrap_command(None if self.tmpfs else scratch, **fds)
        else:
            (home / "lib").mkdir()
            (home / "lib" / "numpy").symlink_to(NUMPY)
            if (libs := _numpy_libs()) is not None:
                (home / "lib" / "numpy.libs").symlink_to(libs)
            cmd = _basic_command(scratch, **fds)
        if group is not None:
            cmd = self.cgroup.wrap(group, cmd)
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
        channel = _Channel()
        reader = threading.Thread(target=channel.drain, args=(res_r,), daemon=True)
        reader.start()
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        _kill(proc)
        reader.join(timeout=5)
        feeder.join(timeout=1)
        asked = [ex["id"] for ex in job.get("exercises", [])]
        ready, results, anomalies = read_results(b"".join(channel.chunks), channel.cut, asked)
        try:
            with open(printed_path, "rb") as f:
                printed = f.read(PRINTED_CHARS).decode("utf-8", "replace")
                if f.read(1):
                    printed += f"\n[... cut: only the first {PRINTED_CHARS} bytes are kept]"
        except OSError:
            printed = ""
        return Outcome(results, printed, _ending(proc.returncode, timed_out, timeout),
                       anomalies, ready)


class _Channel:
    """The result pipe, read to its end; only the first :data:`RESULT_BYTES` are kept."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.cut = False

    def drain(self, fd: int) -> None:
        with os.fdopen(fd, "rb", buffering=0) as f:
            while data := f.read(1 << 16):
                room = RESULT_BYTES - self.size
                if room > 0:
                    self.chunks.append(data[:room])
                    self.size += min(room, len(data))
                if len(data) > room:
                    self.cut = True


_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')


def nesting(line: bytes) -> int:
    """How deep the brackets of a JSON text go, strings left out (no parsing, no recursion).

    >>> nesting(b'{"a": [1, {"b": "[[["}]}')
    3
    """
    bare = numpy.frombuffer(_JSON_STRING.sub(b"", line), dtype=numpy.uint8)
    steps = numpy.isin(bare, (0x5B, 0x7B)).astype(numpy.int64)
    steps -= numpy.isin(bare, (0x5D, 0x7D))
    return int(numpy.cumsum(steps).max(initial=0))


def read_results(raw: bytes, cut: bool, asked: list[str]
                 ) -> tuple[dict, dict[str, dict], list[str]]:
    """``(ready, first result of each asked exercise, notes on the rest)`` from what a
    sandbox sent back.

    The sandbox writes its set-up report (``{"ready": ...}``) before any student code runs,
    then one line per exercise; a student's code can write to the same pipe. So: only a
    first line can be the set-up report, only the first result of each exercise asked for
    counts, and lines nested deeper than :data:`MAX_NESTING` are dropped unread.

    >>> raw = b'{"ready": {"userns": true}}\\n{"id": "max"}\\n{"id": "max", "x": 1}\\n'
    >>> ready, results, notes = read_results(raw, False, ["max"])
    >>> ready, results
    ({'userns': True}, {'max': {'id': 'max'}})
    >>> print(notes[0])
    ignored 1 more result for max: only the first result of an exercise counts
    """
    ready: dict = {}
    results: dict[str, dict] = {}
    repeated: dict[str, int] = {}
    unasked: dict[str, int] = {}
    unreadable = deep = 0
    limits: set[str] = set()
    for n, line in enumerate(raw.split(b"\n")):
        if not line.strip():
            continue
        if nesting(line) > MAX_NESTING:
            deep += 1
            continue
        try:
            item = json.loads(line)
        except (ValueError, RecursionError):
            unreadable += 1
            continue
        if not isinstance(item, dict):
            unreadable += 1
        elif n == 0 and isinstance(item.get("ready"), dict):
            ready = item["ready"]
        elif isinstance(item.get("limits"), list) and "id" not in item:
            limits.update(str(x)[:40] for x in item["limits"][:8])
        elif not isinstance(item.get("id"), str) or item["id"] not in asked:
            name = item.get("id") if isinstance(item.get("id"), str) else "no exercise"
            unasked[name[:40]] = unasked.get(name[:40], 0) + 1
        elif item["id"] in results:
            repeated[item["id"]] = repeated.get(item["id"], 0) + 1
        else:
            results[item["id"]] = item
    if limits:
        ready = {**ready, "limits": sorted(limits)}
    notes = []
    if cut:
        notes.append(f"results cut: more than {RESULT_BYTES >> 20} MiB came back; the rest "
                     "was not read")
    for ex_id, k in repeated.items():
        notes.append(f"ignored {k} more result{'s' * (k > 1)} for {ex_id}: only the first "
                     "result of an exercise counts")
    if unasked:
        names = ", ".join(f"{name} ({k})" for name, k in unasked.items())
        notes.append(f"ignored results for exercises that were not asked for: {names}")
    if deep:
        notes.append(f"ignored {deep} result line{'s' * (deep > 1)} nested more than "
                     f"{MAX_NESTING} levels deep")
    if unreadable:
        notes.append(f"ignored {unreadable} result line{'s' * (unreadable > 1)} that "
                     f"{'were' if unreadable > 1 else 'was'} not a JSON object")
    return ready, results, notes


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
