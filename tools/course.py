"""The course's commands without `make` (Windows, or any machine without it): Python alone.

    python tools/course.py lab      # set up .venv, then open the course in JupyterLab
    python tools/course.py test     # set up .venv, then ruff and every test
    python tools/course.py venv     # only set up .venv (the Makefile's `make venv` runs this)
    python tools/course.py dist     # build the course_lib wheel into dist/ (`make dist`)

The Makefile's `venv`, `lab`, `test` and `dist` call this script, so both doors do the same.
Extra arguments go to JupyterLab (`lab --port 9999`) or to pytest (`test -k softmax`).

.venv is built from the pinned requirements.txt, then course_lib is installed from this
folder in editable mode. uv does the installing when it is on PATH or installs into the
venv in a few seconds (the version requirements.txt pins; it is about ten times faster
than pip); otherwise pip does, after a one-line note. Either way the venv holds the same
pinned versions (uv among them, which the tests use), and pip is in it. The
venv is rebuilt only when requirements.txt or pyproject.toml is newer than .venv/.installed.
Set COURSE_USE_UV=0 to use pip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"
INPUTS = (ROOT / "requirements.txt", ROOT / "pyproject.toml")  # the stamp's prerequisites
FIRST_LESSON = "notebooks/00_start_here.ipynb"
PYTEST_ARGS = ["-n", os.environ.get("JOBS", "2"), "--dist", "loadfile", "--nbval",
               "--nbval-current-env", "--nbval-sanitize-with", "tests/sanitize.cfg", "tests"]


def run(*cmd: str | Path, **kwargs) -> subprocess.CompletedProcess:
    """Run a command from the course folder, echoing it as make would."""
    args = [str(c) for c in cmd]
    print(" ".join(args), flush=True)
    return subprocess.run(args, cwd=ROOT, check=True, **kwargs)


def venv_is_fresh() -> bool:
    """True when .venv exists and was set up after the last change of its inputs."""
    if not (PYTHON.exists() and STAMP.exists()):
        return False
    return STAMP.stat().st_mtime >= max(p.stat().st_mtime for p in INPUTS)


def uv_pin() -> str:
    """The line of requirements.txt that pins uv (``uv==X.Y.Z``)."""
    for line in INPUTS[0].read_text(encoding="utf-8").splitlines():
        if line.split("==")[0].strip().lower() == "uv":
            return line.split("#")[0].strip()
    return "uv"


def find_uv() -> tuple[Path | None, str]:
    """The uv to install with, or None and the reason (uv on PATH, or one put into .venv)."""
    if os.environ.get("COURSE_USE_UV", "1") == "0":
        return None, "COURSE_USE_UV=0"
    on_path = shutil.which("uv")
    if on_path:
        return Path(on_path), ""
    local = BIN / ("uv.exe" if os.name == "nt" else "uv")
    if not local.exists():
        try:
            run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                uv_pin(), timeout=180)
        except (subprocess.SubprocessError, OSError) as exc:
            return None, f"{uv_pin()} could not be installed ({exc})"
    return (local, "") if local.exists() else (None, f"{uv_pin()} left no {local.name}")


def build_venv(python: str = sys.executable) -> None:
    """Create .venv (if needed) and install the pinned requirements and course_lib into it."""
    if venv_is_fresh():
        return
    if sys.version_info < (3, 11):  # noqa: UP036 - said plainly to whoever runs an older one
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        uv = shutil.which("uv") if os.environ.get("COURSE_USE_UV", "1") != "0" else None
        if uv:  # seconds instead of the stdlib's pip bootstrap; --seed puts pip in it
            run(uv, "venv", "--quiet", "--seed", "--python", python, VENV)
        else:
            run(python, "-m", "venv", VENV)
    uv, why_not = find_uv()
    if uv is not None:
        installer = [uv, "pip", "install", "--quiet", "--python", PYTHON]
    else:
        print(f"note: installing with pip, which takes a minute or two ({why_not})", flush=True)
        installer = [PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run(*installer, "-r", "requirements.txt")
    run(*installer, "--no-deps", "-e", ".")
    run(PYTHON, "tools/jupyter_settings.py", VENV)
    STAMP.touch()


def lab(extra: list[str]) -> None:
    """JupyterLab on the course folder, lesson 00 open."""
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    cmd = [PYTHON, "-m", "jupyter", "lab", "--ServerApp.root_dir=.", *as_root, *extra,
           FIRST_LESSON]
    print(" ".join(map(str, cmd)), flush=True)
    try:
        sys.exit(subprocess.call([str(c) for c in cmd], cwd=ROOT))
    except KeyboardInterrupt:
        sys.exit(0)


def test(extra: list[str]) -> None:
    """The system packages the tests stand on, ruff, then every test and notebook."""
    if sys.platform.startswith("linux") and shutil.which("bash"):
        run("bash", "tools/ensure_system_packages.sh")
    else:
        print(f"note: on {sys.platform} the browser tests skip and the grader runs without "
              "its Linux sandbox (bubblewrap)", flush=True)
    run(PYTHON, "-m", "ruff", "check", ".")
    notebooks = [d for d in ("notebooks", "solutions", "exercises") if (ROOT / d).is_dir()]
    run(PYTHON, "-m", "pytest", *PYTEST_ARGS, *notebooks, *extra)


def dist() -> Path:
    """Build the course_lib wheel into dist/ from a clean copy of what the wheel holds."""
    out = ROOT / "dist"
    out.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp)
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, src / name)
        shutil.copytree(ROOT / "course_lib", src / "course_lib",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        uv, _ = find_uv()
        if uv is not None:
            run(uv, "build", "--quiet", "--wheel", "--out-dir", out, src)
        else:
            run(PYTHON, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", out, src)
    wheels = sorted(out.glob("course_lib-*.whl"), key=lambda p: p.stat().st_mtime)
    print(f"built {wheels[-1].relative_to(ROOT)}")
    return wheels[-1]


def main(argv: list[str]) -> None:
    commands = ("venv", "lab", "test", "dist")
    if not argv or argv[0] not in commands:
        sys.exit(f"usage: python tools/course.py {{{','.join(commands)}}} [ARGS...]\n"
                 + __doc__.split("\n\n")[1])
    command, extra = argv[0], argv[1:]
    try:
        build_venv()
        if command == "lab":
            lab(extra)
        elif command == "test":
            test(extra)
        elif command == "dist":
            dist()
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode or 1)


if __name__ == "__main__":
    main(sys.argv[1:])
