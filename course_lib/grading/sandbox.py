"""What runs inside the sandbox: one student's answer cells, then the cases, results as data.

The grader (:mod:`course_lib.grading.isolation`) starts this file as a script, once per
student, inside bubblewrap where the machine allows it::

    python -I -S sandbox.py --lib DIR --attempt attempt.py --job-fd 3 --result-fd 4

It reads the student's job (their answer cells and the inputs of the cases; never the
expected values) from the job descriptor, then, before any student code runs,

* closes every descriptor but standard input (``/dev/null``), standard output and error (a
  file outside the sandbox) and the result descriptor;
* with ``--own-userns``, moves into a user namespace of its own (same user, no
  capabilities): Linux (5.14+) counts the processes of each user namespace apart, so the
  process limit below belongs to this student alone, not to every sandbox of the same user;
* sets resource limits: CPU seconds, 2 GiB of memory, 1 MiB files, 64 open files,
  16 processes and threads, no core dumps;
* with Landlock (Linux 5.13+), confines itself as a second layer: writes only in its scratch
  folder, reads only the folders it was given, signals only itself (ABI 6+);
* reports what it could set up, as the first result line (``{"ready": ...}``).

Each answer cell runs in its notebook's namespace; each exercise's function is called on
every case through :func:`attempt.run_case`, and one JSON line per exercise goes to the
result descriptor. Every cell and every exercise may take ``seconds_per_exercise``, and all
of them together ``budget_seconds`` (the student's wall-clock budget): what the budget no
longer covers is reported as not run. Nothing the student prints can pose as a result, and
nothing here can raise a score: the grader compares, in its own process. Standard library
and NumPy only.

None of this is the defence: a student's code runs in this same interpreter and can undo
anything done in it. The defence is the operating system around it (namespaces, rlimits,
Landlock), set up before this file starts or before the student's code runs.
"""

from __future__ import annotations

import argparse
import base64
import ctypes
import importlib.util
import json
import linecache
import os
import resource
import signal
import sys
import time

MEMORY_BYTES = 2 * 1024**3
FILE_BYTES = 1024**2
OPEN_FILES = 64
PROCESSES = 16

# --- confinement ---------------------------------------------------------------------------

_READ = 0b1100  # READ_FILE, READ_DIR
_WRITE = 0b1_1111_1111_0010  # WRITE_FILE, REMOVE_*, MAKE_*
_REFER, _TRUNCATE = 1 << 13, 1 << 14


def landlock_abi() -> int:
    """The Landlock ABI version of this kernel, 0 where there is none."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return max(0, int(libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))))
    except (OSError, AttributeError):
        return 0


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock(scratch: str, read_roots: list[str]) -> bool:
    """Confine this process and its children: writes only in ``scratch``, reads only in
    ``read_roots`` and ``scratch``, signals only inside itself. False if unsupported."""
    abi = landlock_abi()
    if abi < 1:
        return False
    write = _WRITE | (_REFER if abi >= 2 else 0) | (_TRUNCATE if abi >= 3 else 0)
    handled = write | _READ
    libc = ctypes.CDLL(None, use_errno=True)
    attr = (ctypes.c_uint64 * 3)(handled, 0, 0b11 if abi >= 6 else 0)
    size = 24 if abi >= 6 else 8
    ruleset = libc.syscall(444, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return False
    rules = [(scratch, handled), ("/dev/null", 0b110)]  # /dev/null: read and write
    rules += [(root, _READ) for root in read_roots if os.path.exists(root)]
    for path, rights in rules:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        if os.path.isfile(path) or path == "/dev/null":
            rights &= 0b110 | _TRUNCATE  # a rule on a file takes file rights only
        rule = _PathBeneath(rights, fd)
        libc.syscall(445, ruleset, 1, ctypes.byref(rule), ctypes.c_uint32(0))
        os.close(fd)
    libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
    ok = libc.syscall(446, ruleset, ctypes.c_uint32(0)) == 0
    os.close(ruleset)
    return ok


_CLONE_NEWUSER = 0x10000000
_CAP_HEADER_V3 = 0x20080522
_PR_CAPBSET_DROP, _PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 24, 47, 4


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def own_user_namespace() -> bool:
    """Move this process into a new user namespace, as the same user, with no capabilities.

    The kernel counts processes (``RLIMIT_NPROC``) per user *and* user namespace since
    Linux 5.14, so after this the process limit counts this sandbox's processes only.
    Must run while the process has one thread. False where it cannot be done (root, whose
    processes are never counted, or a kernel that forbids it).
    """
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWUSER) != 0:
        return False
    try:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                           ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    except OSError:
        return False
    for cap in range(64):  # the capabilities a new namespace grants: all dropped
        libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)
    libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    data = (_CapData * 2)()
    return libc.capset(ctypes.byref(_CapHeader(_CAP_HEADER_V3, 0)), data) == 0


def limit_resources(cpu_seconds: int, processes: bool = True) -> None:
    """CPU, memory, file size, open files, processes (unless a cgroup counts them),
    core dumps."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_BYTES, FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))
    if processes:
        resource.setrlimit(resource.RLIMIT_NPROC, (PROCESSES, PROCESSES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class _TimeUp(BaseException):
    """Raised by the alarm; a BaseException so a bare ``except Exception`` cannot eat it."""


def _alarm(_signum, _frame):  # noqa: ANN001
    raise _TimeUp


class _Clock:
    """Seconds per cell or exercise, within the student's whole budget."""

    def __init__(self, per_exercise: float, budget: float) -> None:
        self.per, self.budget = per_exercise, budget
        self.deadline = time.monotonic() + budget

    def allowance(self) -> float:
        """Seconds the next cell or exercise may take (0: the budget is spent)."""
        return max(0.0, min(self.per, self.deadline - time.monotonic()))

    def over(self, allowed: float) -> str:
        """Why something stopped after ``allowed`` seconds."""
        if allowed < self.per:
            return f"stopped: this student's time budget ({self.budget:g} s in all) ran out"
        return f"ran for more than {self.per:g} s"

    def spent(self) -> str:
        return (f"not run: this student's time budget ({self.budget:g} s in all) was used up "
                "by earlier answers")


def _arm(seconds: float) -> None:
    signal.setitimer(signal.ITIMER_REAL, seconds)


def _disarm() -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)


# --- data, never pickle ------------------------------------------------------------------------


def encode(value):  # noqa: ANN001, ANN201
    """Arrays as ``{"__nd__": dtype, "shape", "data": base64}``; lists, dicts as they are."""
    import numpy as np

    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"cannot send an array of dtype {value.dtype}")
        arr = np.array(value, order="C")  # keeps 0-d arrays 0-d
        return {"__nd__": arr.dtype.str, "shape": list(arr.shape),
                "data": base64.b64encode(arr.tobytes()).decode("ascii")}
    if isinstance(value, np.generic):
        return encode(np.asarray(value))
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


def decode(value):  # noqa: ANN001, ANN201
    """The inverse of :func:`encode`."""
    import numpy as np

    if isinstance(value, dict) and "__nd__" in value:
        raw = base64.b64decode(value["data"])
        return np.frombuffer(raw, dtype=np.dtype(value["__nd__"])).reshape(value["shape"]).copy()
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        return {k: decode(v) for k, v in value.items()}
    return value


# --- one student's job ---------------------------------------------------------------------------


def _run_cells(cells: list[dict], namespace: dict, clock: _Clock) -> dict[str, str]:
    """Run one notebook's answer cells in order; return ``{exercise id: what went wrong}``."""
    errors = {}
    for cell in cells:
        filename = f"<answer cell {cell['id']}>"
        linecache.cache[filename] = (len(cell["source"]), None,
                                     cell["source"].splitlines(True), filename)
        allowed = clock.allowance()
        if allowed <= 0:
            errors[cell["id"]] = f"the answer cell was {clock.spent()}"
            continue
        _arm(allowed)
        try:
            exec(compile(cell["source"], filename, "exec"), namespace)  # noqa: S102
        except _TimeUp:
            errors[cell["id"]] = f"the answer cell {clock.over(allowed)}"
        except BaseException as exc:  # noqa: BLE001 - any failure is the submission's
            where = ""
            tb = exc.__traceback__
            while tb is not None:
                if tb.tb_frame.f_code.co_filename == filename:
                    where = f" (line {tb.tb_lineno} of the cell)"
                tb = tb.tb_next
            if isinstance(exc, SyntaxError) and exc.lineno:
                where = f" (line {exc.lineno} of the cell)"
            what = f"the answer cell failed: {type(exc).__name__}: {exc}"[:300]
            errors[cell["id"]] = what + where
        finally:
            _disarm()
    return errors


def _grade_exercise(ex: dict, fn, clock: _Clock, attempt_mod) -> dict:  # noqa: ANN001
    line: dict = {"id": ex["id"]}
    attempts = []
    allowed = clock.allowance()
    if allowed <= 0:
        return {"id": ex["id"], "error": f"{ex['function_name']} was {clock.spent()}"}
    _arm(allowed)
    try:
        for case in ex["cases"]:
            args, kwargs = tuple(decode(case["args"])), decode(case["kwargs"])
            a = attempt_mod.run_case(fn, args, kwargs)
            attempts.append({"output": encode(a.output) if a.output is not None else None,
                             "error": a.error, "not_implemented": a.not_implemented,
                             "mutated": a.mutated, "warnings": a.warnings})
        line["attempts"] = attempts
    except _TimeUp:
        line["error"] = f"{ex['function_name']} {clock.over(allowed)}"
    except BaseException as exc:  # noqa: BLE001
        line["error"] = f"grading {ex['function_name']} failed: {type(exc).__name__}"
    finally:
        _disarm()
    return line


def run_job(job: dict, channel, attempt_mod) -> None:  # noqa: ANN001
    """Run every notebook's answer cells, then every exercise's cases; one line each."""
    import numpy as np

    signal.signal(signal.SIGALRM, _alarm)
    per = max(0.1, float(job["seconds_per_exercise"]))
    clock = _Clock(per, max(per, float(job.get("budget_seconds", per))))
    namespaces, errors = [], []
    for notebook in job["notebooks"]:
        namespace = {"np": np, "numpy": np, "__name__": "__main__"}
        errors.append(_run_cells(notebook["cells"], namespace, clock))
        namespaces.append(namespace)
    for ex in job["exercises"]:
        where = int(ex["notebook"])
        fn = namespaces[where].get(ex["function_name"])
        if ex["id"] in errors[where]:
            line = {"id": ex["id"], "error": errors[where][ex["id"]]}
        elif not callable(fn):
            line = {"id": ex["id"], "error": f"no function named {ex['function_name']} "
                                             "was defined in the answer cell"}
        else:
            line = _grade_exercise(ex, fn, clock, attempt_mod)
        channel.write(json.dumps(line) + "\n")
        channel.flush()


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lib", required=True, help="a folder that holds numpy, nothing else")
    parser.add_argument("--attempt", required=True, help="attempt.py")
    parser.add_argument("--job-fd", type=int, required=True)
    parser.add_argument("--result-fd", type=int, required=True)
    parser.add_argument("--scratch", required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    parser.add_argument("--read", action="append", default=[], help="a folder it may read")
    parser.add_argument("--own-userns", action="store_true",
                        help="count this sandbox's processes apart (a user namespace)")
    parser.add_argument("--no-nproc-rlimit", action="store_true",
                        help="a cgroup limits the processes: no (shared) RLIMIT_NPROC")
    args = parser.parse_args()

    job = json.loads(_read_all(args.job_fd))
    os.closerange(3, args.result_fd)
    os.closerange(args.result_fd + 1, 1 << 16)
    channel = os.fdopen(args.result_fd, "w")
    userns = own_user_namespace() if args.own_userns else False  # while single-threaded
    os.chdir(args.scratch)
    limit_resources(args.cpu_seconds, processes=not args.no_nproc_rlimit)
    confined = landlock(args.scratch, args.read)
    channel.write(json.dumps({"ready": {"userns": userns, "landlock": confined}}) + "\n")
    channel.flush()  # written before any student code: the grader may trust this line
    sys.path.append(args.lib)
    spec = importlib.util.spec_from_file_location("_grading_attempt", args.attempt)
    attempt_mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = attempt_mod  # dataclasses look their module up here
    spec.loader.exec_module(attempt_mod)
    run_job(job, channel, attempt_mod)
    try:  # a full scratch folder, for the run report (the tmpfs vanishes with the sandbox)
        if os.statvfs(args.scratch).f_bavail == 0:
            channel.write(json.dumps({"limits": ["the scratch space"]}) + "\n")
    except OSError:
        pass
    channel.close()


if __name__ == "__main__":
    main()
