"""The course's commands without `make` (Windows, or any machine without it): Python alone.

    python tools/course.py lab      # set up .venv, then open the course in JupyterLab
    python tools/course.py test     # set up .venv, then PyTorch for the tests, ruff, every test
    python tools/course.py venv     # only set up .venv (the Makefile's `make venv` runs this)
    python tools/course.py dist     # build the course_lib wheel into dist/ (`make dist`)

The Makefile's `venv`, `lab`, `test` and `dist` call this script, so both doors do the same.
Extra arguments go to JupyterLab (`lab --port 9999`) or to pytest (`test -k softmax`).

.venv is built from the pinned requirements.txt, then course_lib is installed from this
folder in editable mode. uv does the installing when it is on PATH or installs into the
venv in a few seconds (the version requirements.txt pins; it is about ten times faster
than pip); otherwise pip does, after a one-line note. Either way the venv holds the same
pinned versions (uv among them, which the tests use), and pip is in it. The
venv is rebuilt only when one of INPUTS (requirements.txt, pyproject.toml,
tools/jupyter_settings.py) is newer than .venv/.installed.
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
# the stamp's prerequisites, as in the Makefile; requirements.txt first (uv_pin reads it)
INPUTS = (ROOT / "requirements.txt", ROOT / "pyproject.toml",
          ROOT / "tools" / "jupyter_settings.py")
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


def _base_pip_can_target(python: str) -> bool:
    """True when ``python -m pip`` exists and is new enough for ``--python`` (pip 22.3)."""
    try:
        out = subprocess.run([python, "-m", "pip", "--version"], capture_output=True,
                             text=True, timeout=60).stdout
    except (subprocess.SubprocessError, OSError):
        return False
    version = out.split()[1:2] if out.startswith("pip ") else []
    parts = tuple(int(x) for x in version[0].split(".")[:2]) if version else ()
    return parts >= (22, 3)


def create_venv(python: str) -> Path | None:
    """Create .venv and return the uv that will fill it, or None when pip must do it.

    The quick ways leave pip out: requirements.txt pins pip and setuptools, so uv installs
    the same ones the stdlib's venv would bring, and the two ways end up identical.
    """
    if os.environ.get("COURSE_USE_UV", "1") == "0":
        run(python, "-m", "venv", VENV)
        return None
    on_path = shutil.which("uv")
    if on_path:
        run(on_path, "venv", "--quiet", "--allow-existing", "--python", python, VENV)
        return Path(on_path)
    if _base_pip_can_target(python):  # Python's own pip puts uv into a pip-less venv
        run(python, "-m", "venv", "--without-pip", VENV)
        attempt = [python, "-m", "pip", "--python", PYTHON, "install"]
    else:  # the stdlib's venv with pip (slower), then pip installs uv
        run(python, "-m", "venv", VENV)
        attempt = [PYTHON, "-m", "pip", "install"]
    return _install_uv(attempt)


def _install_uv(pip_install: list) -> Path | None:
    """Install the pinned uv into .venv with ``pip_install``; its path, or None."""
    try:
        run(*pip_install, "--quiet", "--disable-pip-version-check", uv_pin(), timeout=300)
    except (subprocess.SubprocessError, OSError):
        pass
    local = BIN / ("uv.exe" if os.name == "nt" else "uv")
    return local if local.exists() else None


def _has_pip(python: Path) -> bool:
    return subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True,
                          ).returncode == 0


def find_uv() -> Path | None:
    """The uv of PATH or of .venv, if there is one (COURSE_USE_UV=0 says never)."""
    if os.environ.get("COURSE_USE_UV", "1") == "0":
        return None
    local = BIN / ("uv.exe" if os.name == "nt" else "uv")
    found = shutil.which("uv") or (str(local) if local.exists() else None)
    return Path(found) if found else None


def build_venv(python: str = sys.executable) -> None:
    """Create .venv (if needed) and install the pinned requirements and course_lib into it."""
    if venv_is_fresh():
        return
    if sys.version_info < (3, 11):  # noqa: UP036 - said plainly to whoever runs an older one
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        uv = create_venv(python)
    else:  # an older .venv: use uv if it is there, else try to add it
        uv = find_uv() or (None if os.environ.get("COURSE_USE_UV") == "0"
                           else _install_uv([PYTHON, "-m", "pip", "install"]))
    if uv is not None:
        # --compile-bytecode: pip compiles every module at install, uv does not by default.
        # Without it, an interpreter that may not write .pyc files (the grader's read-only
        # sandbox always; everything where PYTHONDONTWRITEBYTECODE is set, as on many CI
        # machines and Docker images) compiles NumPy, IPython, ... from source at every
        # start: measured here, a kernel's imports took 2.2 s of CPU instead of 0.9 s, and
        # grading a class 1.5 times as long. It costs about 10 s, once.
        installer = [uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", PYTHON]
    else:
        why = ("COURSE_USE_UV=0" if os.environ.get("COURSE_USE_UV") == "0"
               else f"{uv_pin()} could not be installed")
        print(f"note: installing with pip, which takes a minute or two ({why})", flush=True)
        if not _has_pip(PYTHON):  # a venv made for uv has no pip of its own yet
            run(PYTHON, "-m", "ensurepip", "--default-pip")
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


def test_torch() -> None:
    """PyTorch's CPU build, a test-only dependency, by tools/install_test_torch.sh (pip).

    Once per .venv, as the Makefile's test-torch target does (same stamp). If it cannot be
    installed, the tests go on and the comparison tests skip loudly (fail under CI=true).
    TORCH_SPEC picks another build; the script's own default is used otherwise.
    """
    stamp, script = VENV / ".torch-installed", ROOT / "tools" / "install_test_torch.sh"
    if not script.exists() or (stamp.exists() and stamp.stat().st_mtime >= max(
            STAMP.stat().st_mtime, script.stat().st_mtime)):
        return
    if not shutil.which("bash"):
        print("note: no bash here, so PyTorch (for the comparison tests) is not installed",
              flush=True)
        return
    spec = [os.environ["TORCH_SPEC"]] if os.environ.get("TORCH_SPEC") else []
    try:
        run("bash", script, PYTHON, *spec)
        stamp.touch()
    except subprocess.CalledProcessError:
        pass  # the script said what is missing and what that costs


def test(extra: list[str]) -> None:
    """The torch step, the system packages the tests stand on, ruff, then every test."""
    test_torch()
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
        uv = find_uv()
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
