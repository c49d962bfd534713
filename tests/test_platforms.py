"""Reading a Gradescope export and a Canvas submissions download into student folders.

The downloads are built here as the platforms document them: Gradescope's
``submission_metadata.yml`` (Ruby symbol keys, as its export writes them) beside
``submission_<id>/`` folders; Canvas's loose ``name_userid_submissionid_file`` names.
"""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import pytest

from course_lib.grading import platforms

REPO = Path(__file__).resolve().parent.parent
SOLVED = (REPO / "solutions" / "ex03_softmax.ipynb").read_bytes()
STUBS = (REPO / "exercises" / "ex03_softmax.ipynb").read_bytes()

GRADESCOPE_YML = """\
submission_101:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1815'
    :email: ada@example.edu
  :created_at: 2026-11-20 10:00:00.000000000 -08:00
  :score: 2.0
submission_102:
  :submitters:
  - :name: Alan Turing
    :sid: '1912'
    :email: alan@example.edu
  - :name: Grace Hopper
    :sid: '1906'
    :email: grace@example.edu
submission_103:
  :submitters:
  - :name: Ada Lovelace
    :sid: '2001'
    :email: other.ada@example.edu
submission_104:
  :submitters:
  - :name: ../../escape
    :sid: '3'
"""


def gradescope_export(root: Path) -> Path:
    base = root / "assignment_25828_export"
    (base / "submission_101").mkdir(parents=True)
    (base / "submission_101" / "ex03_softmax.ipynb").write_bytes(SOLVED)
    (base / "submission_101" / "notes.txt").write_text("not a notebook")
    (base / "submission_102" / "work" / ".ipynb_checkpoints").mkdir(parents=True)
    (base / "submission_102" / "work" / "ex03_softmax.ipynb").write_bytes(STUBS)
    (base / "submission_102" / "work" / ".ipynb_checkpoints" / "ex03_softmax-checkpoint.ipynb"
     ).write_bytes(SOLVED)
    (base / "submission_103").mkdir()
    (base / "submission_103" / "ex03.ipynb").write_bytes(STUBS)
    (base / "submission_104").mkdir()
    (base / "submission_104" / "a.ipynb").write_bytes(STUBS)
    (base / "submission_metadata.yml").write_text(GRADESCOPE_YML)
    return base


def manifest(folder: Path) -> dict[str, dict]:
    with open(folder / "students.csv", newline="") as f:
        return {row["folder"]: row for row in csv.DictReader(f)}


def test_gradescope_export_folder(tmp_path, capsys):
    export = gradescope_export(tmp_path / "download")
    out = tmp_path / "class"
    platforms.unpack(export, out)
    rows = manifest(out)
    # a group's notebooks go to each member; two Adas keep their own folders; no escape
    assert set(rows) == {"Ada Lovelace_1815", "Ada Lovelace_2001", "Alan Turing",
                         "Grace Hopper", "_.._escape"}
    assert rows["Alan Turing"]["email"] == "alan@example.edu"
    assert rows["Grace Hopper"]["submission"] == "submission_102"
    assert rows["Ada Lovelace_2001"]["sid"] == "2001"
    assert (out / "Ada Lovelace_1815" / "ex03_softmax.ipynb").read_bytes() == SOLVED
    for member in ("Alan Turing", "Grace Hopper"):
        assert [p.name for p in (out / member).iterdir()] == ["ex03_softmax.ipynb"]
        assert (out / member / "ex03_softmax.ipynb").read_bytes() == STUBS
    assert not list(out.rglob("*.txt"))
    assert "notes.txt: not a notebook" in capsys.readouterr().err
    assert all(p.resolve().is_relative_to(out.resolve()) for p in out.rglob("*"))


def test_gradescope_export_zip_reads_the_same(tmp_path):
    export = gradescope_export(tmp_path / "download")
    archive = shutil.make_archive(str(tmp_path / "export"), "zip", tmp_path / "download")
    platforms.unpack(export, tmp_path / "from_folder")
    platforms.unpack(archive, tmp_path / "from_zip")
    a = sorted(p.relative_to(tmp_path / "from_folder") for p in
               (tmp_path / "from_folder").rglob("*"))
    b = sorted(p.relative_to(tmp_path / "from_zip") for p in (tmp_path / "from_zip").rglob("*"))
    assert a == b and len(a) > 5


def canvas_download(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("lovelaceada_4021_99107_ex03_softmax.ipynb", SOLVED)
        zf.writestr("lovelaceada_4021_99107_ex01_max.ipynb", STUBS)
        zf.writestr("turingalan_late_4022_99108_ex03_softmax-1.ipynb", STUBS)
        zf.writestr("late_hoppergrace_4023_99109_homework.ipynb", SOLVED)
        zf.writestr("lovelaceada_5000_99110_ex03_softmax.ipynb", STUBS)  # another Ada
        zf.writestr("turingalan_4022_99108_screenshot.png", b"\x89PNG")
        zf.writestr("README.ipynb", STUBS)  # not named as Canvas names files
        zf.writestr("../evil_1_2_x.ipynb", STUBS)
    return path


def test_canvas_download(tmp_path, capsys):
    out = tmp_path / "class"
    platforms.unpack(canvas_download(tmp_path / "submissions.zip"), out)
    rows = manifest(out)
    assert set(rows) == {"lovelaceada_4021", "lovelaceada_5000", "turingalan", "hoppergrace"}
    assert rows["turingalan"]["lms_id"] == "4022"
    assert rows["turingalan"]["late"] == "True" and rows["hoppergrace"]["late"] == "True"
    assert rows["lovelaceada_4021"]["late"] == "False"
    assert sorted(p.name for p in (out / "lovelaceada_4021").iterdir()) == [
        "ex01_max.ipynb", "ex03_softmax.ipynb"]
    assert (out / "turingalan" / "ex03_softmax-1.ipynb").read_bytes() == STUBS
    err = capsys.readouterr().err
    assert "screenshot.png" in err and "README.ipynb" in err  # listed, not dropped silently
    assert not (tmp_path / "evil_1_2_x.ipynb").exists()


def test_unpack_refuses_a_folder_in_use_and_a_download_without_notebooks(tmp_path):
    out = tmp_path / "class"
    out.mkdir()
    (out / "someone").mkdir()
    with pytest.raises(ValueError, match="not empty"):
        platforms.unpack(canvas_download(tmp_path / "s.zip"), out)
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("notes.txt", "nothing")
    with pytest.raises(ValueError, match="no notebook"):
        platforms.unpack(empty, tmp_path / "new")
    assert platforms.main(["unpack", str(empty), "--out", str(tmp_path / "new2")]) == 2


def test_gradescope_names_that_would_clash_with_the_graders_files(tmp_path):
    base = tmp_path / "export"
    (base / "submission_1").mkdir(parents=True)
    (base / "submission_1" / "a.ipynb").write_bytes(STUBS)
    (base / "submission_metadata.yml").write_text(
        "submission_1:\n  :submitters:\n  - :name: grades.csv\n    :sid: '7'\n")
    platforms.unpack(base, tmp_path / "out")
    assert set(manifest(tmp_path / "out")) == {"grades.csv_7"}


@pytest.mark.parametrize("module", ["platforms", "lms", "gradescope"])
def test_docstring_examples_of_the_grading_io_modules(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"course_lib.grading.{module}"))
    assert result.attempted > 0 and result.failed == 0


def test_a_canvas_download_graded_and_exported_end_to_end(tmp_path):
    """Download -> grader -> Canvas import, with the real grader: names from the metadata
    reach grades.csv, and the LMS export finds every student by their Canvas user ID."""
    from course_lib.grading import lms

    download = canvas_download(tmp_path / "submissions.zip")
    out = tmp_path / "grades"
    code = platforms.main(["grade", str(download), "--out", str(out),
                           "--exercises", "softmax,softmax_axis"])
    assert code == 0
    with open(out / "grades.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"lovelaceada_4021", "lovelaceada_5000", "turingalan", "hoppergrace"}
    assert rows["lovelaceada_4021"]["total"] == "2"  # the solved notebook
    assert rows["hoppergrace"]["total"] == "2"  # a late, renamed solved notebook
    assert float(rows["turingalan"]["total"]) == 0.0  # the untouched exercise notebook
    assert (out / "students.csv").is_file()
    (tmp_path / "gradebook.csv").write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section\n"
        "    Points Possible,,,,\n"
        '"Lovelace, Ada",4021,,ada1,A\n"Turing, Alan",4022,,alan,A\n'
        '"Hopper, Grace",4023,,grace,A\n"Lovelace, Ada",5000,,ada2,B\n')
    result = lms.export(tmp_path / "gradebook.csv", out / "grades.csv", "Exercises 03",
                        tmp_path / "import.csv")
    assert result.unmatched == []
    with open(tmp_path / "import.csv", newline="") as f:
        cells = {r[1]: r[-1] for r in list(csv.reader(f))[2:]}
    # hoppergrace handed in late: the course's late policy keeps 80 % of her 2 points
    assert cells == {"4021": "2", "4022": rows["turingalan"]["total"], "4023": "1.6",
                     "5000": rows["lovelaceada_5000"]["total"]}
