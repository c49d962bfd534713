"""Every lesson and exercise notebook runs alone where only Colab's packages are.

The course_lib wheel is built; a bare environment is made with ``uv venv --seed`` holding
only what Google Colab preinstalls (numpy, scipy, matplotlib, ipywidgets, ipykernel,
scikit-learn, pandas, and pip); then each notebook is copied alone into an empty folder
outside the repository and run top to bottom in that environment with ``COURSE_LIB_SPEC``
pointing at the wheel. Before each notebook course_lib is uninstalled, so every setup cell
really installs it, and it must say so in one line and leave every other package as it
found it (a setup cell that upgraded NumPy inside a running Colab kernel would need a
restart).

It runs twice: once at the course's own pins (requirements.txt) and once at the oldest
versions the wheel admits (the lower bounds in pyproject.toml), which must be no newer
than what Colab ships (checked below against Colab's published ``pip-freeze.txt``).
These runs take minutes: ``make test-anywhere`` runs them (``COURSE_TEST_ANYWHERE=all``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from course_lib.grading.kernels import ipc_options
from course_lib.lessons.deploy import SETUP_ID, Course

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb")) + sorted(
    (ROOT / "exercises").glob("ex*.ipynb"))
# What Colab preinstalls of what the course needs (pip comes with `uv venv --seed`).
COLAB_PACKAGES = ["numpy", "scipy", "matplotlib", "ipywidgets", "ipykernel", "scikit-learn",
                  "pandas"]
# Google Colab's preinstalled versions, from github.com/googlecolab/backend-info,
# pip-freeze.txt: the oldest runtime Colab still offers (2025.07, Python 3.11.13; commit
# ef1cba030a9f) and the newest published (2026-08-19, Python 3.13; commit a72407924822).
COLAB_2025_07 = {"numpy": "2.0.2", "scipy": "1.15.3", "matplotlib": "3.10.0",
                 "ipywidgets": "7.7.1", "scikit-learn": "1.6.1", "threadpoolctl": "3.6.0",
                 "pandas": "2.2.2", "ipykernel": "6.17.1", "nbformat": "5.10.4",
                 "nbclient": "0.10.2", "pyyaml": "6.0.2"}
COLAB_2026_08 = {"numpy": "2.1.3", "scipy": "1.16.3", "matplotlib": "3.10.0",
                 "ipywidgets": "7.7.1", "scikit-learn": "1.6.1", "threadpoolctl": "3.6.0",
                 "pandas": "2.2.3", "ipykernel": "6.17.1", "nbformat": "5.11.1",
                 "nbclient": "0.10.4", "pyyaml": "6.0.3"}


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def lower_bounds(extras: bool = True) -> dict[str, str]:
    """Each dependency of the wheel (and of its extras) with its lower bound, as written."""
    project = _project()
    reqs = [Requirement(r) for r in project["dependencies"]]
    if extras:
        reqs += [Requirement(r) for extra in project.get("optional-dependencies", {}).values()
                 for r in extra]
    bounds = {}
    for req in reqs:
        floors = [s.version for s in req.specifier if s.operator == ">="]
        assert len(floors) == 1 and len(req.specifier) == 1, f"{req}: one lower bound only"
        bounds[req.name.lower()] = floors[0]
    return bounds


def test_every_dependency_has_a_loose_lower_bound_no_newer_than_colab() -> None:
    bounds = lower_bounds()
    assert {"numpy", "matplotlib", "ipywidgets"} <= set(bounds)
    pins = _pins()
    for name, floor in bounds.items():
        for runtime in (COLAB_2025_07, COLAB_2026_08):
            assert Version(floor) <= Version(runtime[name]), (
                f"{name}>={floor} is newer than Colab's {runtime[name]}: the setup cell would "
                "upgrade it inside a running Colab kernel")
        assert Version(floor) <= Version(pins[name]), f"{name}: floor above the course's pin"


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("#")[0].strip().split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def _uv() -> str:
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    assert Path(uv).exists(), "uv is pinned in requirements.txt: run make venv"
    return uv


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel of course_lib built from this checkout (what `make dist` builds)."""
    out = tmp_path_factory.mktemp("dist")
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "course_lib", src / "course_lib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([_uv(), "build", "--quiet", "--wheel", "--out-dir", str(out), str(src)],
                   check=True, capture_output=True, text=True)
    (path,) = out.glob("course_lib-*.whl")
    return path


def bare_env(where: Path, requirements: list[str]) -> Path:
    """``uv venv --seed`` at ``where`` with exactly ``requirements``; returns its python."""
    subprocess.run([_uv(), "venv", "--quiet", "--seed", "--python", sys.executable, str(where)],
                   check=True)
    python = where / "bin" / "python"
    subprocess.run([_uv(), "pip", "install", "--quiet", "--python", str(python), *requirements],
                   check=True)
    return python


def freeze(python: Path) -> dict[str, str]:
    """Name -> version (or ``@ URL`` for a direct install) of what ``python`` holds."""
    out = subprocess.run([_uv(), "pip", "freeze", "--python", str(python)], check=True,
                         capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        name, sep, rest = line.partition("==") if "==" in line else line.partition(" @ ")
        if sep:
            found[name.strip().lower().replace("_", "-")] = rest.strip()
    return found


def run_alone(notebook: Path, python: Path, wheel: Path, work: Path) -> list[str]:
    """Run ``notebook`` copied alone into an empty folder, in ``python``'s environment.

    Returns what the setup cell printed. Raises nbclient's CellExecutionError on any error.
    """
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    folder = work / notebook.stem
    folder.mkdir(parents=True)
    copy = folder / notebook.name
    shutil.copy2(notebook, copy)
    kernels = work / "kernels"
    (kernels / "bare").mkdir(parents=True)
    (kernels / "bare" / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "bare", "language": "python",
        "env": {"COURSE_LIB_SPEC": str(wheel), "PYTHONPATH": "",
                "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}"}}))
    sockets = Path(tempfile.mkdtemp(prefix="ipc-"))  # short: a socket path has 107 bytes

    class BareKernel(KernelManager):
        """The bare environment's kernel, over IPC sockets in a private folder."""

        def __init__(self, **kwargs):
            super().__init__(kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]),
                             **ipc_options(sockets), **kwargs)

    nb = nbformat.read(copy, as_version=4)
    try:
        NotebookClient(nb, kernel_name="bare", kernel_manager_class=BareKernel, timeout=600,
                       resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    setup = next(c for c in nb.cells if c.get("id") == SETUP_ID)
    return "".join(o.get("text", "") for o in setup.outputs).splitlines()


# Running every notebook twice in fresh kernels costs about 2.5 min of CPU per set on this
# machine, more than `make test` may grow by: `make test-anywhere` runs both sets (and CI
# runs it after `make test`); `make test` keeps the cheap guards of this file and of
# test_deploy.py (bounds, wheel contents, no path into the repository, the setup cell).
_WHY = "every notebook alone in a bare Colab-like environment: `make test-anywhere` runs this"
_ANYWHERE = pytest.mark.skipif(os.environ.get("COURSE_TEST_ANYWHERE") != "all", reason=_WHY)
VERSION_SETS = [pytest.param("floors", id="floors", marks=_ANYWHERE),
                pytest.param("pins", id="pins", marks=_ANYWHERE)]


@pytest.fixture(scope="module", params=VERSION_SETS)
def colab_like(request, tmp_path_factory) -> Path:
    """A bare environment with Colab's packages, at the floors or at the course's pins."""
    where = tmp_path_factory.mktemp(f"colab-{request.param}")
    if request.param == "pins":
        return bare_env(where, [*COLAB_PACKAGES, "-c", str(ROOT / "requirements.txt")])
    floors = [f"{name}=={version}" for name, version in lower_bounds(extras=False).items()]
    python = bare_env(where, [*COLAB_PACKAGES, *floors])
    installed = freeze(python)
    for name, version in (pin.split("==") for pin in floors):
        assert installed[name] == version, f"{name} {installed[name]} is not the floor {version}"
    return python


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_alone_in_a_colab_like_environment(notebook, colab_like, wheel,
                                                         tmp_path) -> None:
    python = colab_like
    before = freeze(python)
    assert "course-lib" not in before, "each setup cell starts without course_lib"
    try:
        printed = run_alone(notebook, python, wheel, tmp_path)
        after = freeze(python)
    finally:
        subprocess.run([_uv(), "pip", "uninstall", "--quiet", "--python", str(python),
                        "course_lib"], check=False, capture_output=True)
    assert printed == [f"Installing course_lib from {wheel}"], printed
    assert after.pop("course-lib", None), "the setup cell installed nothing"
    assert after == before, "the setup cell changed other packages"


def test_the_wheel_holds_the_package_and_its_data(wheel) -> None:
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "course_lib/data/course_prose.txt" in names
    assert {n for n in names if n.endswith(".py")} == {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "course_lib").rglob("*.py")}
    meta = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("METADATA"))).decode()
    import course_lib

    assert re.search(rf"^Version: {re.escape(course_lib.__version__)}$", meta, re.M)
    for name, floor in lower_bounds().items():
        assert re.search(rf"^Requires-Dist: {name}>={re.escape(floor)}", meta, re.M | re.I)


def test_setup_cell_finds_a_user_install_when_the_environment_is_read_only(wheel,
                                                                           tmp_path) -> None:
    """On a hub whose environment students may not write to, pip installs into the user's
    site-packages, which Python only put on sys.path if it existed when the kernel started.
    Python's own interpreter (not a venv, so user sites count) plays that kernel."""
    base = Path(getattr(sys, "_base_executable", sys.executable))
    probe = ("import importlib.util, sys; "
             "sys.exit(importlib.util.find_spec('course_lib') is not None)")
    assert subprocess.run([base, "-c", probe], cwd=tmp_path).returncode == 0, "base has course_lib"
    assert subprocess.run([base, "-m", "pip", "--version"], capture_output=True).returncode == 0
    user = tmp_path / "user"  # does not exist yet, as on a student's first run
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PYTHONUSERBASE=str(user), PIP_USER="1", PIP_NO_DEPS="1",
               COURSE_LIB_SPEC=str(wheel))
    code = (Course.from_pyproject().setup_source()
            + "\nprint(importlib.util.find_spec('course_lib').origin)")
    done = subprocess.run([base, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0] == f"Installing course_lib from {wheel}"
    assert Path(lines[1]).is_relative_to(user), lines[1]
