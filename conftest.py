"""How nbval starts the kernels that run the committed notebooks.

nbval's own start (``nbval.kernel.start_new_kernel``) picks five free TCP ports by binding
to port 0 and closing the sockets, then the kernel binds them a moment later. With two
pytest-xdist workers starting kernels side by side, another process can take one of those
ports in between, and the kernel dies at start with ``ZMQError: Address already in use``
(seen here: about one run in three of ``exercises solutions``; nbval sends the kernel's
standard error to ``/dev/null``, so the report only said "Kernel died before replying to
kernel_info").

The kernels here talk over IPC instead: Unix sockets named inside a folder private to this
pytest process, so no two kernels can ever pick the same address and no TCP port is used
at all (which also silences ipykernel's "running over TCP without encryption" warning).
Each kernel's history database is in memory, not the shared ``~/.ipython`` one. The
kernel's standard error goes to a log file; if a kernel still fails to start, the error
carries that log, so the cause is in the report, not lost. (ZeroMQ has no IPC on Windows:
there the kernels keep TCP, with the same log; see ``course_lib.grading.kernels``.)
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import nbval.kernel

from course_lib.grading.kernels import ipc_options

_RUNTIME = Path(tempfile.mkdtemp(prefix="nbval-kernels-"))
atexit.register(shutil.rmtree, _RUNTIME, ignore_errors=True)

# ipykernel options for every notebook kernel: no shared history database on disk.
KERNEL_ARGS = ["--HistoryManager.hist_file=:memory:"]


def start_kernel_over_ipc(
    startup_timeout: float = 60, kernel_name: str = "python", **kwargs: Any
) -> tuple[Any, Any]:
    """Start a kernel over IPC, its standard error kept in a log; return (manager, client)."""
    stderr_log = _RUNTIME / f"kernel-{uuid.uuid4().hex[:12]}.stderr"
    passed_stderr = kwargs.pop("stderr", None)  # nbval's /dev/null: replaced by the log
    if passed_stderr is not None:
        passed_stderr.close()
    km = nbval.kernel.KernelManager(
        kernel_name=kernel_name,
        kernel_spec_manager=nbval.kernel.NbvalKernelspecManager(),
        **ipc_options(_RUNTIME),  # socket files are <ip>-<n>, inside the private folder
    )
    with open(stderr_log, "wb") as err:
        km.start_kernel(stderr=err, extra_arguments=KERNEL_ARGS, **kwargs)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=startup_timeout)
    except RuntimeError as exc:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        log = stderr_log.read_text(errors="replace")[-4000:]
        raise RuntimeError(f"{exc}; the kernel's standard error:\n{log}") from exc
    return km, kc


nbval.kernel.start_new_kernel = start_kernel_over_ipc
