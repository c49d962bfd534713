"""The grader's worker: a pre-warmed process that forks one confined child per submission.

``python -I _sandbox_child.py`` imports NumPy once, then reads jobs (one JSON line each) on
stdin. For every job it forks a child that, before running any student code,

* gets resource limits (CPU seconds, 2 GiB of memory, 1 MiB files, 64 open files);
* with Landlock (Linux 5.13+), may write only inside its scratch folder, may read only the
  Python installation and system folders (so not the course's reference code or solutions),
  and (ABI 6+) cannot signal any process outside itself;
* refuses imports of ``course_lib`` and of libraries that ship a softmax.

The child runs the answer cells and the cases, and writes one JSON line per exercise to a
pipe, never to stdout, so nothing the submission prints can pose as a result. The worker
enforces the wall-clock limit, then answers the grader with one JSON line per job.
Expected values never come here: the grader compares. Standard library and NumPy only.
"""

from __future__ import annotations

import base64
import ctypes
import importlib.abc
import importlib.util
import json
import os
import resource
import select
import signal
import sys
import time

BLOCKED = {"course_lib", "scipy", "sklearn", "torch", "tensorflow", "jax", "keras"}
MEMORY_BYTES = 2 * 1024**3
FILE_BYTES = 1024**2
OPEN_FILES = 64
RESULT_BYTES = 64 * 1024**2
PRINTED_CHARS = 2000

# --- confinement ---------------------------------------------------------------------------

_READ = 0b1100  # READ_FILE, READ_DIR
_WRITE = 0b1_1111_1111_0010  # WRITE_FILE, REMOVE_*, MAKE_*
_REFER, _TRUNCATE = 1 << 13, 1 << 14


def landlock_abi() -> int:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return max(0, int(libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))))
    except (OSError, AttributeError):
        return 0


LANDLOCK_ABI = landlock_abi()


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock(scratch: str, read_roots: list[str]) -> bool:
    """Confine this process (and its children): writes only in ``scratch``, reads only in
    ``read_roots`` and ``scratch``, signals only to itself. Returns False if unsupported."""
    if LANDLOCK_ABI < 1:
        return False
    write = _WRITE | (_REFER if LANDLOCK_ABI >= 2 else 0) | (_TRUNCATE if LANDLOCK_ABI >= 3 else 0)
    handled = write | _READ
    libc = ctypes.CDLL(None, use_errno=True)
    attr = (ctypes.c_uint64 * 3)(handled, 0, 0b11 if LANDLOCK_ABI >= 6 else 0)
    size = 24 if LANDLOCK_ABI >= 6 else 8
    ruleset = libc.syscall(444, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return False
    rules = [(scratch, handled), ("/dev/null", 0b110)]  # write and read /dev/null
    rules += [(root, _READ) for root in read_roots if os.path.exists(root)]
    for path, rights in rules:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        if os.path.isfile(path):
            rights &= 0b110 | _TRUNCATE  # file rules take file rights only
        rule = _PathBeneath(rights, fd)
        libc.syscall(445, ruleset, 1, ctypes.byref(rule), ctypes.c_uint32(0))
        os.close(fd)
    libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
    ok = libc.syscall(446, ruleset, ctypes.c_uint32(0)) == 0
    os.close(ruleset)
    return ok


def limit_resources(cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_BYTES, FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class _Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):  # noqa: ANN001, D102
        if name.split(".")[0] in BLOCKED:
            raise ImportError(
                f"{name} is not available while grading: write the function with NumPy"
            )
        return None


class _TimeUp(BaseException):
    """Raised by the alarm; a BaseException so a bare ``except Exception`` cannot eat it."""


def _alarm(_signum, _frame):  # noqa: ANN001
    raise _TimeUp


# --- data, never pickle ------------------------------------------------------------------------


def encode(value):  # noqa: ANN001, ANN201
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
    import numpy as np

    if isinstance(value, dict) and "__nd__" in value:
        raw = base64.b64decode(value["data"])
        return np.frombuffer(raw, dtype=np.dtype(value["__nd__"])).reshape(value["shape"]).copy()
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        return {k: decode(v) for k, v in value.items()}
    return value


# --- one submission, inside the confined child -----------------------------------------------


def run_job(job: dict, channel, attempt_mod) -> None:  # noqa: ANN001
    import numpy as np

    sys.meta_path.insert(0, _Blocker())
    for name in list(sys.modules):
        if name.split(".")[0] in BLOCKED:
            del sys.modules[name]
    signal.signal(signal.SIGALRM, _alarm)
    budget = max(1, int(job["seconds_per_exercise"]))
    namespace = {"np": np, "numpy": np, "__name__": "__main__"}
    cell_errors = {}
    for cell in job["cells"]:
        signal.alarm(budget)
        try:
            code = compile(cell["source"], f"<answer cell {cell['id']}>", "exec")
            exec(code, namespace)  # noqa: S102 - this is what a grader is for
        except _TimeUp:
            cell_errors[cell["id"]] = f"the answer cell ran for more than {budget} s"
        except BaseException as exc:  # noqa: BLE001 - any failure is the submission's
            cell_errors[cell["id"]] = f"the answer cell failed: {type(exc).__name__}: {exc}"[:300]
        finally:
            signal.alarm(0)
    for ex in job["exercises"]:
        line = {"id": ex["id"]}
        fn = namespace.get(ex["function_name"])
        if ex["id"] in cell_errors:
            line["error"] = cell_errors[ex["id"]]
        elif not callable(fn):
            line["error"] = f"no function named {ex['function_name']} was defined"
        else:
            attempts = []
            signal.alarm(budget)
            try:
                for case in ex["cases"]:
                    args, kwargs = tuple(decode(case["args"])), decode(case["kwargs"])
                    a = attempt_mod.run_case(fn, args, kwargs)
                    attempts.append({"output": encode(a.output) if a.output is not None else None,
                                     "error": a.error, "not_implemented": a.not_implemented,
                                     "mutated": a.mutated, "warnings": a.warnings})
            except _TimeUp:
                line["error"] = f"{ex['function_name']} ran for more than {budget} s"
            except BaseException as exc:  # noqa: BLE001
                line["error"] = f"grading {ex['function_name']} failed: {type(exc).__name__}"
            finally:
                signal.alarm(0)
            if "error" not in line:
                line["attempts"] = attempts
        channel.write(json.dumps(line) + "\n")
        channel.flush()
    channel.close()


# --- the worker ----------------------------------------------------------------------------------


def _child(request: dict, write_fd: int, attempt_mod) -> None:  # noqa: ANN001
    """In the forked child: confine, then run. Never returns."""
    code = 0
    try:
        os.setsid()
        scratch = request["scratch"]
        out = os.open(os.path.join(scratch, "stdout.txt"), os.O_WRONLY | os.O_CREAT, 0o600)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        os.chdir(scratch)
        limit_resources(int(request["cpu_seconds"]))
        landlock(scratch, request["read_roots"])
        run_job(request["job"], os.fdopen(write_fd, "w"), attempt_mod)
    except BaseException:  # noqa: BLE001 - the exit status tells the worker
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001, S110 - a closed or replaced stream
            pass
    os._exit(code)


def _serve_one(request: dict, attempt_mod) -> dict:  # noqa: ANN001
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(request, write_fd, attempt_mod)
    os.close(write_fd)
    deadline = time.monotonic() + float(request["timeout"])
    chunks, size, timed_out = [], 0, False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([read_fd], [], [], left)
        if not ready:
            continue
        data = os.read(read_fd, 1 << 16)
        if not data:
            break
        size += len(data)
        if size <= RESULT_BYTES:
            chunks.append(data)
    status = None
    grace = time.monotonic() + 1.0
    while not timed_out and time.monotonic() < grace:  # finished: let it exit by itself
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
            break
        time.sleep(0.005)
    for target in (-pid, pid):  # whatever is left of its session, then the child itself
        try:
            os.kill(target, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if status is None:
        _, status = os.waitpid(pid, 0)
    os.close(read_fd)
    lines = []
    for raw in b"".join(chunks).splitlines():
        try:
            item = json.loads(raw)
        except ValueError:
            continue
        if isinstance(item, dict):
            lines.append(item)
    try:
        with open(os.path.join(request["scratch"], "stdout.txt"), "rb") as f:
            printed = f.read(PRINTED_CHARS).decode("utf-8", "replace")
    except OSError:
        printed = ""
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    return {"lines": lines, "timed_out": timed_out, "signal": sig, "exit_code": code,
            "printed": printed, "landlock": LANDLOCK_ABI}


def serve() -> None:
    spec = importlib.util.spec_from_file_location("_grading_attempt", sys.argv[1])
    attempt_mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = attempt_mod  # dataclasses look their module up here
    spec.loader.exec_module(attempt_mod)
    import numpy  # noqa: F401 - imported once here, shared by every forked child

    for raw in sys.stdin:
        request = json.loads(raw)
        sys.stdout.write(json.dumps(_serve_one(request, attempt_mod)) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
