"""Fixtures for the browser tests: a private JupyterLab server and a headless Chromium page.

The server runs from this virtual environment on a free localhost port with a random token,
over a temporary copy of the notebooks (JupyterLab autosaves, and the committed notebooks
must never change). It is stopped by its own process group and the copy is removed.

Chromium is Debian's (``/usr/bin/chromium``; ``make test`` installs it when it can):
Playwright cannot download its own browser here. Without it these tests skip with a loud
reason, except under ``CI=true``, where a missing browser is a failure.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._lab import server_args, wait_for_server
from tests._tools import load_tool

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "tests" / "browser" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",  # root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # the network is closed: no update or sync calls
    "--disable-component-update",
    "--disable-sync",
]


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser test cannot run under CI=true: {reason}")
    pytest.skip(f"BROWSER TESTS SKIPPED: {reason}")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The course site (tools/build_site.py), built once per worker; tests only read it."""
    return load_tool("build_site").build(ROOT, tmp_path_factory.mktemp("site") / "site")["out"]


@pytest.fixture(scope="session")
def decks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The static slide decks, built once per worker; tests only read them."""
    build_site = load_tool("build_site")
    try:
        return build_site.build_slides(ROOT, tmp_path_factory.mktemp("slides") / "slides")["out"]
    except build_site.SlidesUnavailable as exc:
        _missing(f"static slides not built: {exc}")


class Lab:
    """A running JupyterLab: its base URL, token and root folder."""

    def __init__(self, url: str, token: str, root: Path) -> None:
        self.url, self.token, self.root = url, token, root

    def notebook_url(self, relpath: str) -> str:
        # ?reset: no restored tabs, so locators only see the notebook we opened
        return f"{self.url}/lab/tree/{relpath}?reset&token={self.token}"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} not found (install Debian's chromium: apt-get install chromium)")
    root = tmp_path_factory.mktemp("lab")
    for folder in ("notebooks", "exercises"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, root / folder)
    token = secrets.token_hex(16)
    # Kernels talk over Unix sockets named in a short private folder (a socket path must
    # stay under 108 bytes), never over TCP ports another test could take (see conftest.py).
    runtime = Path(tempfile.mkdtemp(prefix="jlab-"))
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(root / "_user_settings"),
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "PYTHONWARNINGS": "ignore",
    }
    cmd = [
        sys.executable, "-m", "jupyter", "lab", *server_args(token),
        f"--ServerApp.root_dir={root}", "--KernelManager.transport=ipc", "--allow-root",
    ]
    log = open(root / "server.log", "wb")  # noqa: SIM115 - closed in the teardown below
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=root)
    try:
        url = wait_for_server(proc, runtime, token, timeout=60, log=root / "server.log")
        yield Lab(url, token, root)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} not found")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_FAILED] = report.failed


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    if request.node.stash.get(_FAILED, False):
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"{request.node.name}.png"
        pg.screenshot(path=str(shot), full_page=True)
        print(f"\nscreenshot of the failing page: {shot}")
    context.close()
