"""The way in without make: ``python tools/course.py lab|test``, run with no make on PATH.

A fresh clone of the course is set up the way a learner on Windows would do it, with a
PATH that holds Python, git and bash and nothing else (no make, no uv), so the script must
install uv into the venv by itself. A second clone takes pip's way (COURSE_USE_UV=0).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

from tests._lab import server_args, wait_for_server

ROOT = Path(__file__).resolve().parents[1]
BASE_PYTHON = Path(getattr(sys, "_base_executable", sys.executable))


@pytest.fixture(scope="module")
def no_make_env(tmp_path_factory) -> dict[str, str]:
    """The environment of a user without make: PATH has python, git and bash only."""
    bin_dir = tmp_path_factory.mktemp("bin")
    for name, target in (("python", BASE_PYTHON), ("git", shutil.which("git")),
                         ("bash", shutil.which("bash"))):
        assert target, f"{name} is needed for this test"
        (bin_dir / name).symlink_to(target)
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "COURSE_USE_UV")}
    env["PATH"] = str(bin_dir)
    assert shutil.which("make", path=env["PATH"]) is None
    assert shutil.which("uv", path=env["PATH"]) is None
    return env


def _clone(where: Path) -> Path:
    if not (ROOT / ".git").exists():
        pytest.fail("this test needs the course as a git clone")
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(where)], check=True)
    return where


def _course(clone: Path, env: dict[str, str], *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["python", "tools/course.py", *args], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=600, **kw)


def _pins(requirements: Path) -> dict[str, str]:
    pins = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def _installed(python: Path) -> dict[str, str]:
    out = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze",
                          "--disable-pip-version-check"], capture_output=True, text=True,
                         check=True).stdout
    return {line.split("==")[0].lower().replace("_", "-"): line.split("==")[1]
            for line in out.splitlines() if "==" in line}


def test_lab_and_test_without_make(no_make_env, tmp_path) -> None:
    clone = _clone(tmp_path / "course")
    done = _course(clone, no_make_env, "venv")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "uv pip install" in done.stdout and "note:" not in done.stdout
    python = clone / ".venv" / "bin" / "python"
    installed = _installed(python)
    pins = _pins(clone / "requirements.txt")
    assert {name: installed.get(name) for name in pins} == pins, "not the pinned versions"
    where = subprocess.run([str(python), "-c", "import course_lib; print(course_lib.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(clone), "course_lib is this clone's, editable"
    # compiled at install, as pip does: the grader's sandbox reads NumPy read-only
    numpy_dir = next((clone / ".venv" / "lib").glob("python3*/site-packages/numpy"))
    assert len(list(numpy_dir.rglob("*.pyc"))) >= len(list(numpy_dir.glob("*.py"))) > 0
    again = _course(clone, no_make_env, "venv")
    assert again.returncode == 0 and again.stdout == "", "a fresh .venv is left alone"

    token, runtime = secrets.token_hex(8), Path(tempfile.mkdtemp(prefix="lab-"))
    log = open(runtime / "lab.log", "wb")  # noqa: SIM115 - closed below
    lab = subprocess.Popen(
        ["python", "tools/course.py", "lab", *server_args(token)],
        cwd=clone, env={**no_make_env, "JUPYTER_RUNTIME_DIR": str(runtime)},
        stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    try:
        url = wait_for_server(lab, runtime, token, timeout=120, log=runtime / "lab.log")
        lesson = f"{url}/api/contents/notebooks/00_start_here.ipynb?token={token}"
        with urllib.request.urlopen(lesson, timeout=30) as reply:
            assert reply.status == 200 and b'"00_start_here.ipynb"' in reply.read()
    finally:
        os.killpg(lab.pid, 15)
        lab.wait(timeout=30)
        log.close()
        shutil.rmtree(runtime, ignore_errors=True)

    # `test` runs the torch step, ruff, then pytest with make test's arguments. A fresh
    # stamp stands for torch being there (installing 750 MB is not what is tested here);
    # `--version` (passed on to pytest) stops it before it collects.
    (clone / ".venv" / ".torch-installed").touch()
    done = _course(clone, no_make_env, "test", "--version")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "ruff check ." in done.stdout and "All checks passed" in done.stdout
    pytest_line = next(ln for ln in done.stdout.splitlines() if " -m pytest " in ln)
    assert pytest_line.split(" -m pytest ")[1] == (
        "-n 2 --dist loadfile --nbval --nbval-current-env --nbval-sanitize-with "
        "tests/sanitize.cfg tests notebooks solutions exercises --version")
    assert "pytest 9." in done.stdout + done.stderr


def test_pip_is_the_fallback_and_says_so(no_make_env, tmp_path) -> None:
    clone = _clone(tmp_path / "course")
    (clone / "requirements.txt").write_text("packaging==26.3\n")  # small: pip is slow
    done = _course(clone, {**no_make_env, "COURSE_USE_UV": "0"}, "venv")
    assert done.returncode == 0, done.stdout + done.stderr
    notes = [line for line in done.stdout.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "pip" in notes[0]
    assert "uv pip" not in done.stdout
    installed = _installed(clone / ".venv" / "bin" / "python")
    assert installed["packaging"] == "26.3" and "course-lib" in installed
    assert "uv" not in installed
