"""From ``grades.csv`` to the CSV a Canvas gradebook imports, one assignment column.

Input: the gradebook CSV Canvas exports (Grades > Export), or a roster (any CSV with a
name, email or ID column), and the grader's ``OUT/grades.csv``. Output: ``Student``, ``ID``,
``SIS User ID``, ``SIS Login ID``, ``Section`` (as Canvas exported them: that is how its
import finds each student), a ``Points Possible`` row, and one column named for the
assignment. If the gradebook already has that assignment (a header ``Name (1234)``), its
exact header is kept so the import updates it; otherwise Canvas creates a new assignment.

Every graded student is matched to exactly one gradebook row, by what is known of them:
the ``students.csv`` written by :mod:`course_lib.grading.platforms` (Canvas user ID, SIS
ID, email, name) when it sits beside ``grades.csv`` or is given, else by the folder name
(an ID, an email, a login or a name in any case and punctuation). A student that matches
no row or more than one is **never dropped silently**: they are listed on standard error
and in ``<out>.unmatched.csv``, as are gradebook students with no grade (their cell is
left blank, which Canvas's import leaves unchanged).

Late work: a student whose download Canvas marked late (the ``late`` column of
``students.csv``) gets :data:`course_lib.grading.policy.LATE_FACTOR` of their points
(``--late-factor`` overrides it for one export; ``--excused ann,ben`` exempts students with an
extension). Every reduced score is listed on standard error and in ``<out>.late.csv``
(student, points before, points exported), so nothing changes silently.

Every cell written is neutralised for spreadsheets (a cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a ``'`` before it, as OWASP advises): a
student named ``=1+2`` stays text in Excel, in the import file and in the list of the
unmatched.

    python -m course_lib.grading.lms --gradebook export.csv --grades grades/grades.csv \\
        --assignment "Exercises 03" --out canvas_import.csv
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.grading import policy
from course_lib.grading.untrusted import csv_row, csv_value

CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
# roster headers (lower case) that mean each Canvas column
ALIASES = {
    "Student": {"student", "name", "full name", "student name", "sortable name"},
    "ID": {"id", "canvas id", "canvas user id", "user id"},
    "SIS User ID": {"sis user id", "sis id", "student id", "sid", "student number"},
    "SIS Login ID": {"sis login id", "login id", "login", "username", "email",
                     "email address"},
    "Section": {"section", "sections"},
}


def norm(text: str) -> str:
    """Letters and digits only, lower case: how names and IDs are compared.

    >>> norm("Lovelace, Ada") == norm("lovelaceada") == norm("LOVELACE ADA")
    True
    """
    return re.sub(r"[\W_]+", "", str(text).casefold())


@dataclass
class Match:
    rows: dict[str, int]  # grades.csv student -> gradebook row index
    unmatched: list[dict]  # {"student", "side", "reason", "score"}
    late: list[dict] = field(default_factory=list)  # {"student", "points", "exported"}


def read_gradebook(path: Path) -> tuple[list[str], list[dict]]:
    """Header and student rows of a Canvas export or a roster, in Canvas's column names.

    The export's ``Points Possible`` row (and the rows Canvas adds under the header that
    have no student) are left out.
    """
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    mapping: dict[str, str] = {}
    for col in header:
        key = col.strip().lower()
        for canvas, aliases in ALIASES.items():
            if canvas not in mapping and (col.strip() == canvas or key in aliases):
                mapping[canvas] = col
    if not {"Student", "ID", "SIS User ID", "SIS Login ID"} & set(mapping):
        raise ValueError(f"{path}: no column names a student (Student, ID, SIS User ID, "
                         "SIS Login ID, name or email)")
    rows = []
    for raw in reader:
        row = {c: (raw.get(mapping[c]) or "").strip() if c in mapping else ""
               for c in CANVAS_COLUMNS}
        row["_raw"] = raw
        has_id = any(row[c] for c in ("ID", "SIS User ID", "SIS Login ID"))
        if norm(row["Student"]).startswith("pointspossible") or not (has_id or row["Student"]):
            continue
        rows.append(row)
    return header, rows


def read_grades(path: Path, column: str = "total") -> dict[str, str]:
    """``student -> score`` (as written) from the grader's ``grades.csv``."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if "student" not in (reader.fieldnames or []) or column not in reader.fieldnames:
            raise ValueError(f"{path}: needs the columns 'student' and {column!r} "
                             f"(has {', '.join(reader.fieldnames or [])})")
        return {csv_value(row["student"]): csv_value(row[column]) for row in reader}


def read_students(path: Path | None) -> dict[str, dict]:
    if path is None or not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        rows = [{k: csv_value(v or "") for k, v in row.items()} for row in csv.DictReader(f)]
    return {row["folder"]: row for row in rows if row.get("folder")}


def match(grades: dict[str, str], rows: list[dict], students: dict[str, dict]) -> Match:
    """Pair every graded student with exactly one gradebook row, or say why not."""
    index: dict[str, set[int]] = {}
    for i, row in enumerate(rows):
        for col in CANVAS_COLUMNS[:4]:
            if row[col]:
                index.setdefault(norm(row[col]), set()).add(i)
        if "," in row["Student"]:  # "Lovelace, Ada" is also "Ada Lovelace"
            last, first = row["Student"].split(",", 1)
            index.setdefault(norm(first + last), set()).add(i)
        login = row["SIS Login ID"]
        if "@" in login:  # a login that is an email also matches its user part
            index.setdefault(norm(login.split("@")[0]), set()).add(i)
    found: dict[str, int] = {}
    unmatched: list[dict] = []
    for student, score in grades.items():
        info = students.get(student, {})
        keys = [info.get(k, "") for k in ("lms_id", "sid", "email", "name")] + [student]
        tail = re.match(r"^(.*?)[_-](\d+)$", student)  # e.g. lovelaceada_4021
        if tail:
            keys += [tail.group(2), tail.group(1)]
        hits: set[int] = set()
        for key in keys:
            if key and norm(key) in index:
                hits = index[norm(key)]
                break  # the strongest key that matches decides
        if len(hits) == 1:
            found[student] = next(iter(hits))
        else:
            reason = ("no gradebook row matches" if not hits else
                      "matches several gradebook rows: " +
                      "; ".join(rows[i]["Student"] or rows[i]["ID"] for i in sorted(hits)))
            unmatched.append({"student": student, "side": "grades.csv", "reason": reason,
                              "score": score})
    owners: dict[int, list[str]] = {}
    for student, i in found.items():
        owners.setdefault(i, []).append(student)
    for i, names in owners.items():
        if len(names) > 1:  # two graded students claim one row: neither is written
            for student in names:
                del found[student]
                unmatched.append({"student": student, "side": "grades.csv",
                                  "reason": f"shares the gradebook row of {rows[i]['Student']}"
                                            f" with {', '.join(n for n in names if n != student)}",
                                  "score": grades[student]})
    taken = set(found.values())
    for i, row in enumerate(rows):
        if i not in taken:
            unmatched.append({"student": row["Student"] or row["ID"], "side": "gradebook",
                              "reason": "no grade in grades.csv (cell left blank)",
                              "score": ""})
    return Match(found, unmatched)


def assignment_header(header: list[str], assignment: str) -> str:
    """The gradebook's own header for ``assignment`` if it has one, else ``assignment``.

    >>> assignment_header(["Student", "Exercises 03 (5521)"], "Exercises 03")
    'Exercises 03 (5521)'
    >>> assignment_header(["Student"], "Exercises 03")
    'Exercises 03'
    """
    for col in header:
        if re.fullmatch(re.escape(assignment.strip()) + r"\s*\(\d+\)", col.strip()):
            return col
    return assignment


def late_policy(grades: dict[str, str], students: dict[str, dict], *,
                factor: float | None = None, excused: Iterable[str] = ()
                ) -> tuple[dict[str, str], list[dict]]:
    """The grades after the late-work policy, and one record per score it reduced.

    A student is late when their ``students.csv`` row says ``late`` is true; ``excused``
    names students (folder names) whose lateness is forgiven.

    >>> late_policy({"ada": "2", "bob": "2"}, {"bob": {"late": "True"}}, factor=0.5)
    ({'ada': '2', 'bob': '1'}, [{'student': 'bob', 'points': '2', 'exported': '1'}])
    """
    factor = policy.LATE_FACTOR if factor is None else float(factor)
    if not 0 <= factor <= 1:
        raise ValueError(f"the late factor must lie between 0 and 1, got {factor}")
    excused = set(excused)
    out, reduced = dict(grades), []
    for student, score in grades.items():
        late = str(students.get(student, {}).get("late", "")).strip().lower() in (
            "true", "1", "yes")
        if not late or student in excused or score.strip() == "":
            continue
        try:
            value = float(score)
        except ValueError:
            continue
        out[student] = _fmt(round(value * factor, 4))
        reduced.append({"student": student, "points": score, "exported": out[student]})
    return out, reduced


def export(gradebook: Path, grades_csv: Path, assignment: str, out: Path, *,
           students_csv: Path | None = None, column: str = "total",
           points: float | None = None, late_factor: float | None = None,
           excused: Iterable[str] = ()) -> Match:
    """Write the Canvas import CSV to ``out`` and ``<out>.unmatched.csv`` (and
    ``<out>.late.csv`` when the late policy reduced a score); return the match."""
    header, rows = read_gradebook(gradebook)
    grades = read_grades(grades_csv, column)
    if students_csv is None:
        students_csv = grades_csv.parent / "students.csv"
    students = read_students(students_csv)
    result = match(grades, rows, students)
    grades, result.late = late_policy(grades, students, factor=late_factor, excused=excused)
    if points is None:
        points = _points(grades_csv, column)
    by_row = {i: grades[s] for s, i in result.rows.items()}
    buf = io.StringIO()
    writer = csv.writer(buf)
    title = assignment_header(header, assignment)
    writer.writerow(csv_row([*CANVAS_COLUMNS, title]))
    writer.writerow(["    Points Possible", "", "", "", "", _fmt(points) if points else ""])
    for i, row in enumerate(rows):
        writer.writerow(csv_row([*(row[c] for c in CANVAS_COLUMNS), by_row.get(i, "")]))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(buf.getvalue(), encoding="utf-8")
    report = out.with_name(out.stem + ".unmatched.csv")
    ubuf = io.StringIO()
    uwriter = csv.writer(ubuf)
    columns = ["student", "side", "reason", "score"]
    uwriter.writerow(columns)
    uwriter.writerows(csv_row(u[c] for c in columns) for u in result.unmatched)
    report.write_text(ubuf.getvalue(), encoding="utf-8")
    if result.late:
        lbuf = io.StringIO()
        lwriter = csv.writer(lbuf)
        late_columns = ["student", "points", "exported"]
        lwriter.writerow(late_columns)
        lwriter.writerows(csv_row(r[c] for c in late_columns) for r in result.late)
        out.with_name(out.stem + ".late.csv").write_text(lbuf.getvalue(), encoding="utf-8")
    return result


def _fmt(x: float) -> str:
    return f"{x:g}"


def _points(grades_csv: Path, column: str) -> float | None:
    """Points possible: the sum of the registry's points over the exercise columns."""
    from course_lib.grading.registry import EXERCISES

    with open(grades_csv, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f), [])
    if column != "total":
        return EXERCISES[column].points if column in EXERCISES else None
    return sum(EXERCISES[c].points for c in header if c in EXERCISES) or None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.grading.lms",
                                     description="Write the CSV a Canvas gradebook imports.")
    parser.add_argument("--gradebook", required=True, type=Path,
                        help="Canvas's gradebook export, or a roster CSV")
    parser.add_argument("--grades", required=True, type=Path, help="the grader's grades.csv")
    parser.add_argument("--assignment", required=True, help="the assignment's name in Canvas")
    parser.add_argument("--out", required=True, type=Path, help="the CSV to import")
    parser.add_argument("--students", type=Path, default=None,
                        help="students.csv of the download (default: beside grades.csv)")
    parser.add_argument("--column", default="total",
                        help="the grades.csv column to export (default: total)")
    parser.add_argument("--late-factor", type=float, default=None,
                        help="share of the points late work keeps (default: the course "
                             f"policy, {policy.LATE_FACTOR:g}; 1 turns the penalty off)")
    parser.add_argument("--excused", default="",
                        help="comma-separated students whose late work is not reduced")
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 1 if any graded student is unmatched")
    args = parser.parse_args(argv)
    try:
        result = export(args.gradebook, args.grades, args.assignment, args.out,
                        students_csv=args.students, column=args.column,
                        late_factor=args.late_factor,
                        excused=[e for e in args.excused.split(",") if e.strip()])
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    graded = [u for u in result.unmatched if u["side"] == "grades.csv"]
    missing = [u for u in result.unmatched if u["side"] == "gradebook"]
    print(f"{len(result.rows)} grade(s) written to {args.out}", file=sys.stderr)
    if result.late:
        print(f"late work: {len(result.late)} score(s) reduced by the late policy, listed in "
              f"{args.out.with_name(args.out.stem + '.late.csv')}:", file=sys.stderr)
        for r in result.late:
            print(f"  {r['student']}: {r['points']} -> {r['exported']}", file=sys.stderr)
    if graded:
        print(f"WARNING: {len(graded)} graded student(s) NOT in the import:", file=sys.stderr)
        for u in graded:
            print(f"  {u['student']} ({u['score']}): {u['reason']}", file=sys.stderr)
    if missing:
        print(f"{len(missing)} gradebook student(s) without a grade: "
              + ", ".join(u["student"] for u in missing), file=sys.stderr)
    if result.unmatched:
        print(f"all listed in {args.out.with_name(args.out.stem + '.unmatched.csv')}",
              file=sys.stderr)
    return 1 if graded and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
