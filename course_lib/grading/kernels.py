"""Kernels that run notebooks for the course's tools, over IPC where the system has it.

A Jupyter kernel started the usual way talks over five TCP ports that its manager picks by
binding to port 0 and closing the sockets; the kernel binds them a moment later. When two
processes start kernels at once (two pytest-xdist workers, ``make exercises`` beside a
test run), one can take a port the other just picked, and that kernel dies at start with
``ZMQError: Address already in use``. Over IPC the kernel's sockets are files named inside
a folder of our own, so no two kernels can ever pick the same address.

ZeroMQ has no IPC transport on Windows; there the kernels keep TCP.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
>>> run_notebook(nb, timeout=60)
>>> nb.cells[0].outputs[0]["text"]
'42\\n'
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

IPC_AVAILABLE = os.name != "nt"


def ipc_options(folder: Path) -> dict[str, Any]:
    """Keyword arguments that put a new KernelManager's sockets inside ``folder``.

    The connection file and the socket files (``<ip>-<n>``) all live in ``folder``, which
    should be short: a Unix socket's path holds at most 107 bytes. Empty on Windows.
    """
    if not IPC_AVAILABLE:
        return {}
    name = f"k{uuid.uuid4().hex[:12]}"
    return {"transport": "ipc", "ip": str(folder / name),
            "connection_file": str(folder / f"{name}.json")}


def run_notebook(nb: Any, cwd: Path | None = None, timeout: float = 300,
                 kernel_name: str = "python3", **client_options: Any) -> None:
    """Execute ``nb`` in place with nbclient, in a fresh kernel started from ``cwd``."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    folder = Path(tempfile.mkdtemp(prefix="kernel-"))  # /tmp: short socket paths

    class PrivateKernelManager(KernelManager):
        """A kernel whose sockets are files in a folder of this run's own."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**{**ipc_options(folder), **kwargs})

    try:
        NotebookClient(nb, timeout=timeout, kernel_name=kernel_name,
                       kernel_manager_class=PrivateKernelManager,
                       resources={"metadata": {"path": str(cwd or Path.cwd())}},
                       **client_options).execute()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
