"""The grader's child process: run one submission's answer cells, report data, nothing more.

Run as ``python -I _sandbox_child.py`` by :mod:`course_lib.grade`, with resource limits
already set. It reads a job (JSON) on stdin and writes one JSON line per exercise to the
pipe ``result_fd``, never to stdout, so whatever the submission prints cannot pose as a
result.
Imports of ``course_lib`` and of libraries that ship a softmax are refused, and expected
values never come here: the parent compares.

Standard library and NumPy only.
"""

from __future__ import annotations

import base64
import importlib.abc
import importlib.util
import json
import os
import signal
import sys

BLOCKED = {"course_lib", "scipy", "sklearn", "torch", "tensorflow", "jax", "keras"}


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


def main() -> None:
    job = json.loads(sys.stdin.read())
    channel = os.fdopen(job["result_fd"], "w")  # the only way results leave this process
    spec = importlib.util.spec_from_file_location("_grading_attempt", job["attempt_path"])
    attempt_mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = attempt_mod  # dataclasses look their module up here
    spec.loader.exec_module(attempt_mod)
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
            exec(compile(cell["source"], f"<answer cell {cell['id']}>", "exec"), namespace)  # noqa: S102
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


if __name__ == "__main__":
    main()
