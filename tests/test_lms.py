"""grades.csv -> the CSV Canvas imports: every graded student lands on one row or is listed."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from course_lib.grading import lms

# What Canvas's gradebook export looks like: a Points Possible row under the header, the
# assignment already there with its id, and Canvas's own test student.
GRADEBOOK = """\
Student,ID,SIS User ID,SIS Login ID,Section,Exercises 03 (5521),Current Score
    Points Possible,,,,,2.00,(read only)
"Lovelace, Ada",4021,S1815,ada@example.edu,Tue 10:00,,100
"Turing, Alan",4022,S1912,alan@example.edu,Tue 10:00,,90
"Hopper, Grace",4023,S1906,grace@example.edu,Wed 14:00,,80
"Smith, John",4030,S2001,jsmith1@example.edu,Wed 14:00,,70
"Smith, John",4031,S2002,jsmith2@example.edu,Wed 14:00,,60
"Student, Test",4099,,,,,
"""

GRADES = """\
student,softmax,softmax_axis,total
lovelaceada_4021,1.0,1.0,2.0
Alan Turing,1.0,0.5,1.5
grace,0.0,1.0,1.0
"Smith, John",1.0,0.0,1.0
Nobody Here,1.0,1.0,2.0
"""


def rows_of(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))


@pytest.fixture
def files(tmp_path):
    (tmp_path / "gradebook.csv").write_text(GRADEBOOK)
    (tmp_path / "grades").mkdir()
    (tmp_path / "grades" / "grades.csv").write_text(GRADES)
    return tmp_path


def test_canvas_import_has_one_column_and_the_right_cells(files):
    out = files / "import.csv"
    result = lms.export(files / "gradebook.csv", files / "grades" / "grades.csv",
                        "Exercises 03", out)
    rows = rows_of(out)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       "Exercises 03 (5521)"]  # the existing assignment's own header
    assert rows[1][0].strip() == "Points Possible" and rows[1][-1] == "2"
    cells = {r[1]: r[-1] for r in rows[2:]}
    assert cells == {"4021": "2.0",  # by the user ID at the end of a Canvas folder name
                     "4022": "1.5",  # "Alan Turing" is "Turing, Alan"
                     "4023": "1.0",  # the user part of the login email
                     "4030": "", "4031": "",  # two John Smiths: not guessed
                     "4099": ""}
    assert rows[2][:5] == ["Lovelace, Ada", "4021", "S1815", "ada@example.edu", "Tue 10:00"]
    assert len(result.rows) == 3


def test_unmatched_students_are_listed_never_dropped(files):
    out = files / "import.csv"
    lms.export(files / "gradebook.csv", files / "grades" / "grades.csv", "Exercises 03", out)
    with open(files / "import.unmatched.csv", newline="") as f:
        report = {(r["student"], r["side"]): r for r in csv.DictReader(f)}
    assert report[("Nobody Here", "grades.csv")]["reason"] == "no gradebook row matches"
    assert report[("Nobody Here", "grades.csv")]["score"] == "2.0"
    assert "several gradebook rows" in report[("Smith, John", "grades.csv")]["reason"]
    assert {s for s, side in report if side == "gradebook"} == {
        "Smith, John", "Student, Test"}
    graded = {"lovelaceada_4021", "Alan Turing", "grace", "Smith, John", "Nobody Here"}
    written = 3
    assert written + len([k for k in report if k[1] == "grades.csv"]) == len(graded)


def test_cli_warns_and_strict_fails(files, capsys):
    args = ["--gradebook", str(files / "gradebook.csv"),
            "--grades", str(files / "grades" / "grades.csv"),
            "--assignment", "Exercises 03", "--out", str(files / "import.csv")]
    assert lms.main(args) == 0
    err = capsys.readouterr().err
    assert "WARNING: 2 graded student(s) NOT in the import" in err
    assert "Nobody Here" in err and "import.unmatched.csv" in err
    assert lms.main([*args, "--strict"]) == 1


def test_students_csv_beside_grades_decides(files):
    # the platforms reader wrote who is who: the folder name alone would match nobody
    (files / "grades" / "grades.csv").write_text("student,total\nfolder_x,1.5\n")
    (files / "grades" / "students.csv").write_text(
        "folder,name,email,sid,lms_id,submission,late\n"
        "folder_x,hopper,,,4023,99109,True\n")
    out = files / "import.csv"
    result = lms.export(files / "gradebook.csv", files / "grades" / "grades.csv", "HW", out)
    assert rows_of(out)[0][-1] == "HW"  # a new assignment
    # Canvas marked the work late: the course's default policy keeps 80 % (1.5 -> 1.2)
    assert {r[1]: r[-1] for r in rows_of(out)[2:]}["4023"] == "1.2"
    assert result.late == [{"student": "folder_x", "points": "1.5", "exported": "1.2"}]
    assert [u["student"] for u in result.unmatched if u["side"] == "grades.csv"] == []


def test_late_work_is_reduced_listed_and_can_be_excused(files, capsys):
    (files / "grades" / "grades.csv").write_text(
        "student,total\nlovelaceada,2\nturingalan,3\nhoppergrace,4\n")
    (files / "grades" / "students.csv").write_text(
        "folder,name,email,sid,lms_id,submission,late\n"
        "lovelaceada,lovelaceada,,,4021,1,False\n"
        "turingalan,turingalan,,,4022,2,True\n"
        "hoppergrace,hoppergrace,,,4023,3,True\n")
    out = files / "import.csv"
    args = ["--gradebook", str(files / "gradebook.csv"), "--grades",
            str(files / "grades" / "grades.csv"), "--assignment", "HW", "--out", str(out)]
    assert lms.main([*args, "--late-factor", "0.5", "--excused", "hoppergrace"]) == 0
    by_id = {r[1]: r[-1] for r in rows_of(out)[2:]}
    assert (by_id["4021"], by_id["4022"], by_id["4023"]) == ("2", "1.5", "4")
    err = capsys.readouterr().err
    assert "late work: 1 score(s) reduced" in err and "turingalan: 3 -> 1.5" in err
    assert rows_of(files / "import.late.csv") == [["student", "points", "exported"],
                                                  ["turingalan", "3", "1.5"]]
    assert lms.main([*args, "--late-factor", "1"]) == 0  # the penalty switched off
    by_id = {r[1]: r[-1] for r in rows_of(out)[2:]}
    assert (by_id["4022"], by_id["4023"]) == ("3", "4")
    with pytest.raises(ValueError, match="between 0 and 1"):
        lms.late_policy({"a": "1"}, {}, factor=1.5)


def test_a_roster_works_as_a_gradebook(files):
    (files / "roster.csv").write_text(
        "Name,Email,Student ID\nAda Lovelace,ada@example.edu,S1815\n"
        "Alan Turing,alan@example.edu,S1912\n")
    (files / "grades" / "grades.csv").write_text(
        "student,total\nAda Lovelace,2.0\nS1912,1.0\n")
    out = files / "import.csv"
    lms.export(files / "roster.csv", files / "grades" / "grades.csv", "HW", out,
               students_csv=files / "none.csv")
    rows = rows_of(out)
    assert rows[2] == ["Ada Lovelace", "", "S1815", "ada@example.edu", "", "2.0"]
    assert rows[3] == ["Alan Turing", "", "S1912", "alan@example.edu", "", "1.0"]


def test_two_graded_folders_for_one_student_are_both_held_back(files):
    (files / "grades" / "grades.csv").write_text(
        "student,total\nAlan Turing,1.0\nturingalan,2.0\n")
    out = files / "import.csv"
    result = lms.export(files / "gradebook.csv", files / "grades" / "grades.csv", "HW", out)
    assert {r[1]: r[-1] for r in rows_of(out)[2:]}["4022"] == ""
    held = {u["student"] for u in result.unmatched if u["side"] == "grades.csv"}
    assert held == {"Alan Turing", "turingalan"}


def test_a_file_that_names_no_student_is_refused(files):
    (files / "bad.csv").write_text("colour,size\nred,3\n")
    with pytest.raises(ValueError, match="no column names a student"):
        lms.read_gradebook(files / "bad.csv")
