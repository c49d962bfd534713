"""The Gradescope bundle, run as Gradescope runs it.

``tools/build_autograder.py`` builds the zip; each test unzips it into a temporary root laid
out like ``/autograder`` (``source/``, ``submission/``, ``results/``,
``submission_metadata.json``, and ``run_autograder`` copied to the root), puts one
submission in ``submission/`` and runs ``run_autograder`` with this virtual environment's
``bin`` on ``PATH`` (standing in for what ``setup.sh`` installs). Every ``results.json`` is
validated against a JSON Schema written from Gradescope's specification
(gradescope-autograders.readthedocs.io, "Autograder Specifications").
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import jsonschema
import nbformat
import pytest

from course_lib.grading import gradescope

REPO = Path(__file__).resolve().parent.parent
BUILDER = REPO / "tools" / "build_autograder.py"
EXERCISES = ["softmax", "softmax_axis"]  # the bundle's assignment: two of ex03_softmax

_VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
_FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
_NUMBER = {"type": "number"}
_TEST = {
    "type": "object",
    "properties": {
        "score": _NUMBER, "max_score": _NUMBER, "status": {"enum": ["passed", "failed"]},
        "name": {"type": "string"}, "name_format": _FORMAT, "number": {"type": "string"},
        "output": {"type": "string"}, "output_format": _FORMAT,
        "tags": {"type": "array", "items": {"type": "string"}},
        "visibility": _VISIBILITY, "extra_data": {"type": "object"},
    },
    "additionalProperties": False,
}
RESULTS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "score": _NUMBER, "execution_time": _NUMBER, "output": {"type": "string"},
        "output_format": _FORMAT, "test_output_format": _FORMAT, "test_name_format": _FORMAT,
        "visibility": _VISIBILITY, "stdout_visibility": _VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": _TEST},
        "leaderboard": {"type": "array", "items": {
            "type": "object", "required": ["name", "value"],
            "properties": {"name": {"type": "string"},
                           "value": {"type": ["number", "string"]},
                           "order": {"enum": ["asc", "desc"]}}}},
    },
    "additionalProperties": False,
    # a score at the top, or one on every test
    "anyOf": [{"required": ["score"]},
              {"required": ["tests"],
               "properties": {"tests": {"items": {"required": ["score"]}}}}],
}


def validate(results: dict) -> dict:
    jsonschema.Draft202012Validator.check_schema(RESULTS_SCHEMA)
    jsonschema.validate(results, RESULTS_SCHEMA, cls=jsonschema.Draft202012Validator)
    return results


def test_the_schema_rejects_what_gradescope_would():
    validate({"score": 1.0, "tests": [{"name": "a", "score": 1, "max_score": 1}]})
    for bad in ({"tests": [{"name": "no score anywhere"}]},
                {"score": "9"},
                {"score": 1, "tests": [{"score": 1, "status": "ok"}]},
                {"score": 1, "visibility": "public"},
                {"score": 1, "tests": [], "grade": 1}):
        with pytest.raises(jsonschema.ValidationError):
            validate(bad)


# --- building the bundle ------------------------------------------------------------------


def build(out: Path, *args: str) -> Path:
    subprocess.run([sys.executable, str(BUILDER), "--out", str(out), *args], check=True,
                   capture_output=True, text=True, cwd=REPO)
    return out


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("bundle") / "autograder.zip",
                 "--exercises", ",".join(EXERCISES))


def test_bundle_has_what_gradescope_needs_at_its_root(bundle):
    with zipfile.ZipFile(bundle) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        config = json.loads(zf.read("autograder.json"))
        requirements = zf.read("requirements.txt").decode()
    for script in ("setup.sh", "run_autograder"):
        assert script in infos, script
        assert (infos[script].external_attr >> 16) & 0o111, f"{script} is not executable"
    assert "course_lib/grading/grader.py" in infos
    assert "course_lib/grading/gradescope.py" in infos
    # nothing that gives answers away, nothing generated
    assert not [n for n in infos if n.startswith(("solutions/", "exercises/", "notebooks/"))
                or n.endswith((".ipynb", ".pyc"))]
    from course_lib.grading.grader import DEFAULT_TIMEOUT  # one default at every entry point

    assert config == {"exercises": EXERCISES, "seed": None, "timeout": DEFAULT_TIMEOUT,
                      "budget": None, "isolation": "auto"}
    pins = dict(line.split("==") for line in requirements.split())
    assert {"numpy", "nbformat"} <= set(pins)
    course = dict(line.strip().split("==") for line in
                  (REPO / "requirements.txt").read_text().splitlines() if "==" in line)
    assert all(course[name] == version for name, version in pins.items())


def test_bundle_requirements_are_closed_under_their_dependencies():
    """Every package the pinned ones need (per the installed metadata) is pinned too, so
    setup.sh installs no version the course did not test."""
    from importlib.metadata import requires

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    sys.path.insert(0, str(REPO / "tools"))
    try:
        import build_autograder
    finally:
        sys.path.remove(str(REPO / "tools"))
    listed = {canonicalize_name(p) for p in build_autograder.GRADING_PACKAGES}
    todo, needed = ["numpy", "nbformat"], set()
    while todo:
        name = canonicalize_name(todo.pop())
        if name in needed:
            continue
        needed.add(name)
        for spec in requires(name) or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    assert needed <= listed, f"not pinned in the bundle: {sorted(needed - listed)}"


def test_bundle_is_reproducible_and_takes_notebook_names(tmp_path, bundle):
    again = build(tmp_path / "again.zip", "--exercises", ",".join(EXERCISES))
    assert again.read_bytes() == bundle.read_bytes()
    by_ids = build(tmp_path / "ids.zip", "--exercises",
                   "softmax,softmax_axis,logits_from_probs")  # every exercise of ex03
    by_name = build(tmp_path / "name.zip", "--exercises", "ex03_softmax")
    assert by_name.read_bytes() == by_ids.read_bytes()
    proc = subprocess.run([sys.executable, str(BUILDER), "--out", str(tmp_path / "x.zip"),
                           "--exercises", "softmax,no_such_exercise"],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode != 0 and "no_such_exercise" in proc.stderr
    assert not (tmp_path / "x.zip").exists()


def test_setup_sh_parses(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(tmp_path)
    for script in ("setup.sh", "run_autograder"):
        proc = subprocess.run(["bash", "-n", str(tmp_path / script)], capture_output=True,
                              text=True)
        assert proc.returncode == 0, proc.stderr


def test_scripts_pass_shellcheck():
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("SHELLCHECK IS NOT INSTALLED: setup.sh and run_autograder were not "
                    "linted (apt-get install shellcheck)")
    scripts = [REPO / "tools" / "gradescope" / n for n in ("setup.sh", "run_autograder")]
    proc = subprocess.run([shellcheck, *map(str, scripts)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


# --- running it as Gradescope would ----------------------------------------------------------


def autograder_root(tmp: Path, bundle: Path) -> Path:
    root = tmp / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    for name in ("run_autograder", "setup.sh"):  # zipfile drops the mode bits
        (root / "source" / name).chmod(0o755)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    (root / "submission_metadata.json").write_text(json.dumps({
        "id": 123456, "created_at": "2026-11-27T09:00:00.000000-08:00",
        "assignment": {"id": 25828, "title": "Exercises 03", "total_points": "2.0"},
        "users": [{"email": "ada@example.edu", "id": 1234, "name": "Ada Lovelace"}],
        "previous_submissions": []}))
    return root


def run_autograder(root: Path) -> tuple[dict, subprocess.CompletedProcess, float]:
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
           "AUTOGRADER_ROOT": str(root), "HOME": str(root), "LANG": "C.UTF-8"}
    started = time.perf_counter()
    proc = subprocess.run([str(root / "run_autograder")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    seconds = time.perf_counter() - started
    results = json.loads((root / "results" / "results.json").read_text())
    return validate(results), proc, seconds


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(folder)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def _answers(source: Path, replace: dict[str, str], out: Path) -> Path:
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        for ex_id, code in replace.items():
            if f"answer:{ex_id}" in cell.metadata.get("tags", []):
                cell.source = code
    nbformat.write(nb, out)
    return out


def by_exercise(results: dict) -> dict[str, dict]:
    return {t["name"].split(":", 1)[0]: t for t in results["tests"]}


def test_a_correct_submission_gets_full_marks(tmp_path, bundle):
    root = autograder_root(tmp_path, bundle)
    shutil.copy(REPO / "solutions" / "ex03_softmax.ipynb", root / "submission")
    results, proc, _ = run_autograder(root)
    assert proc.returncode == 0, proc.stderr
    tests = by_exercise(results)
    assert list(tests) == EXERCISES  # one test per exercise of the assignment, no others
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] == 1.0
               for t in tests.values())
    assert results["score"] == 2.0
    assert results["execution_time"] > 0
    assert "Ada Lovelace" in proc.stdout  # the log names the submitter, for the instructor


WHOLE_BATCH = '''
def my_softmax_axis(x, axis=-1):
    x = np.asarray(x)
    e = np.exp(x - x.max())
    return e / e.sum()
'''


def test_a_wrong_submission_loses_exactly_the_wrong_exercise(tmp_path, bundle):
    root = autograder_root(tmp_path, bundle)
    _answers(REPO / "solutions" / "ex03_softmax.ipynb", {"softmax_axis": WHOLE_BATCH},
             root / "submission" / "ex03_softmax.ipynb")
    results, proc, _ = run_autograder(root)
    assert proc.returncode == 0, proc.stderr
    tests = by_exercise(results)
    assert tests["softmax"]["score"] == 1.0 and tests["softmax"]["status"] == "passed"
    assert tests["softmax_axis"]["score"] < 1.0
    assert tests["softmax_axis"]["status"] == "failed"
    assert tests["softmax_axis"]["output"]  # says what went wrong
    assert results["score"] == pytest.approx(1.0 + tests["softmax_axis"]["score"])


def test_an_unanswered_exercise_notebook_scores_zero(tmp_path, bundle):
    root = autograder_root(tmp_path, bundle)
    shutil.copy(REPO / "exercises" / "ex03_softmax.ipynb", root / "submission")
    results, _, _ = run_autograder(root)
    assert results["score"] == 0.0
    assert all(t["status"] == "failed" for t in results["tests"])


def hostile_cell(root: Path) -> str:
    fake = json.dumps({"score": 100.0, "tests": []})
    return f'''
import os, pathlib, time
root = pathlib.Path({str(root)!r})
fake = {fake!r}
targets = [root / "results" / "results.json", root / "source" / "autograder.json",
           root / "source" / "course_lib" / "grading" / "registry.py"]
for target in targets:
    try:
        target.write_text(fake)
    except OSError:
        pass
try:  # a process of its own that tries again once the grader has gone
    if os.fork() == 0:
        try:
            os.setsid()
            time.sleep(3)
            targets[0].write_text(fake)
        finally:
            os._exit(0)
except OSError:
    pass
print('{{"score": 100.0, "tests": []}}')

def my_softmax(x, axis=-1):
    return np.zeros(np.shape(x))
'''


def test_a_hostile_submission_earns_nothing_and_changes_nothing(tmp_path, bundle):
    root = autograder_root(tmp_path, bundle)
    before = _digest(root / "source")
    _answers(REPO / "solutions" / "ex03_softmax.ipynb",
             {"softmax": hostile_cell(root),
              "softmax_axis": "from scipy.special import softmax as my_softmax_axis"},
             root / "submission" / "ex03_softmax.ipynb")
    results, proc, _ = run_autograder(root)
    assert proc.returncode == 0, proc.stderr
    written = (root / "results" / "results.json").read_text()
    assert results["score"] == 0.0
    assert all(t["score"] == 0.0 for t in results["tests"])
    time.sleep(4)  # the detached process, had it survived, would have written by now
    assert (root / "results" / "results.json").read_text() == written
    assert _digest(root / "source") == before


def test_without_bubblewrap_it_still_grades_and_says_so(tmp_path):
    """Gradescope's containers may forbid bubblewrap's namespaces; the grader then falls
    back to rlimits and Landlock. A bundle forced to that fallback grades the same."""
    basic = build(tmp_path / "basic.zip", "--exercises", ",".join(EXERCISES),
                  "--isolation", "basic")
    root = autograder_root(tmp_path, basic)
    _answers(REPO / "solutions" / "ex03_softmax.ipynb", {"softmax_axis": WHOLE_BATCH},
             root / "submission" / "ex03_softmax.ipynb")
    results, proc, _ = run_autograder(root)
    assert proc.returncode == 0, proc.stderr
    tests = by_exercise(results)
    assert tests["softmax"]["score"] == 1.0 and tests["softmax_axis"]["score"] < 1.0
    assert "BASIC" in results["output"]  # every student's result says so
    assert "BASIC" in proc.stderr  # and so does the instructor's log


def test_an_upload_without_a_notebook_still_gets_results(tmp_path, bundle):
    root = autograder_root(tmp_path, bundle)
    (root / "submission" / "ex03_softmax.py").write_text("print('not a notebook')\n")
    results, proc, _ = run_autograder(root)
    assert proc.returncode == 0, proc.stderr
    assert results["score"] == 0.0
    assert [t["name"].split(":")[0] for t in results["tests"]] == EXERCISES
    assert ".ipynb" in results["output"]


# --- the run-time module, with the grader stubbed where the grader is not the point ---------


def test_a_failing_grader_still_writes_a_valid_results_json(tmp_path, capsys):
    root = tmp_path / "ag"
    (root / "source").mkdir(parents=True)
    (root / "source" / "autograder.json").write_text(json.dumps({"exercises": ["max"]}))
    (root / "submission").mkdir()
    shutil.copy(REPO / "solutions" / "ex01_max.ipynb", root / "submission")

    def broken_grader(*args, **kwargs):
        raise RuntimeError("disk full")

    results = gradescope.run(root, grade_fn=broken_grader)
    on_disk = validate(json.loads((root / "results" / "results.json").read_text()))
    assert on_disk == results
    assert results["score"] == 0.0 and len(results["tests"]) == 1
    assert "not your fault" in results["output"]
    assert "disk full" in capsys.readouterr().err  # the details go to the instructor's log


def test_a_broken_bundle_config_still_writes_results(tmp_path):
    root = tmp_path / "ag"
    (root / "source").mkdir(parents=True)
    (root / "source" / "autograder.json").write_text(json.dumps({"exercises": ["maxx"]}))
    results = gradescope.run(root, grade_fn=lambda *a, **k: pytest.fail("must not grade"))
    validate(results)
    assert results["score"] == 0.0 and "misconfigured" in results["output"]


def test_grader_is_called_with_the_bundles_settings(tmp_path):
    root = tmp_path / "ag"
    (root / "source").mkdir(parents=True)
    (root / "source" / "autograder.json").write_text(
        json.dumps({"exercises": ["softmax"], "seed": 7, "timeout": 12, "isolation": "basic"}))
    (root / "submission" / "sub").mkdir(parents=True)
    (root / "submission" / "sub" / "a.ipynb").write_text("{}")
    (root / "submission" / ".ipynb_checkpoints").mkdir()
    (root / "submission" / ".ipynb_checkpoints" / "a-checkpoint.ipynb").write_text("{}")
    seen = {}

    def fake_grade(submissions, out, **kwargs):
        seen.update(kwargs, submissions=submissions)
        folder = Path(out) / kwargs["student"]
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(json.dumps(
            {"score": 1.0, "output": "ok", "tests": [
                {"name": "softmax: x", "score": 1.0, "max_score": 1.0, "status": "passed",
                 "output": "", "visibility": "visible"}]}))

    results = gradescope.run(root, grade_fn=fake_grade)
    assert seen["exercises"] == ["softmax"] and seen["seed"] == 7 and seen["timeout"] == 12
    assert seen["isolation_mode"] == "basic"
    assert seen["submissions"] == [root / "submission"]
    assert validate(results)["extra_data"] == {"exercises": ["softmax"], "seed": 7}
    assert gradescope.find_notebooks(root / "submission") == [
        root / "submission" / "sub" / "a.ipynb"]


def test_main_reads_the_root_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_ROOT", str(tmp_path))
    (tmp_path / "submission").mkdir()
    assert gradescope.main([]) == 0
    results = validate(json.loads((tmp_path / "results" / "results.json").read_text()))
    assert results["score"] == 0.0  # no notebook in that root
