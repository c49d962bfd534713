"""A JupyterLab server for a test, on a port the server itself found free.

A port picked by the test (bind to port 0, close, pass it on) stays free only until some
other process takes it: the server starts seconds later, and meanwhile the other pytest
worker opens connections whose source ports come from the same range. So the test passes
only a starting point and lets JupyterLab try others (``port_retries``); the port it got is
read back from the server's own info file (``jpserver-<pid>.json``) in a runtime folder
private to the test.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

PORT_RETRIES = 50


def server_args(token: str) -> list[str]:
    """JupyterLab options: localhost, this token, a free port near a starting point."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        start = s.getsockname()[1]
    return ["--no-browser", f"--port={start}", f"--ServerApp.port_retries={PORT_RETRIES}",
            "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}"]


def wait_for_server(proc: subprocess.Popen, runtime: Path, token: str, timeout: float,
                    log: Path | None = None) -> str:
    """The base URL of the server ``proc`` started with ``JUPYTER_RUNTIME_DIR=runtime``,
    once it answers; fails with the end of its log if it stops or takes over ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            why = "stopped" if proc.poll() is not None else f"did not answer within {timeout} s"
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"JupyterLab {why}:\n{tail}")
        infos = sorted(runtime.glob("jpserver-*.json"))
        if infos:
            try:
                port = json.loads(infos[0].read_text())["port"]
                url = f"http://127.0.0.1:{port}"
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2).close()
                return url
            except (OSError, ValueError, KeyError):
                pass  # the file is being written, or the server is not listening yet
        time.sleep(0.3)
