"""Reading what grading platforms hand an instructor, into the grader's student folders.

Two downloads are read, as a folder or as the ``.zip`` the platform gives:

* **Gradescope, "Export Submissions"**: a ``submission_metadata.yml`` beside one
  ``submission_<id>/`` folder per submission. The YAML maps each folder to its
  ``:submitters:`` (``:name:``, ``:email:``, ``:sid:``); every submitter of a group gets the
  group's notebooks.
* **Canvas, "Download Submissions"**: loose files named
  ``<lastnamefirstname>_<userid>_<submissionid>_<file>``, with ``late`` after the name (or
  first) when the work came in late; ``<userid>`` is the Canvas user ID, the ``ID`` column of
  the gradebook.

:func:`unpack` writes ``OUT/<student>/<notebook>.ipynb`` (the layout ``python -m
course_lib.grade`` reads, one folder per student) and ``OUT/students.csv``: who each folder
is (name, email, student ID, LMS user ID, submission, late), which the LMS export uses to
match grades to the gradebook. Files that are not notebooks, or that do not follow the
platform's naming, are listed on standard error, never dropped silently; so is everything
refused: links and special files (never followed or read), zip members with ``..``, an
absolute path or a backslash in their name, members larger than :data:`MAX_FILE_BYTES` or
expanding more than :data:`MAX_RATIO` times, and every member beyond a total of
:data:`MAX_TOTAL_BYTES`, all before anything is written: a zip bomb costs nothing.

    python -m course_lib.grading.platforms unpack DOWNLOAD --out submissions
    python -m course_lib.grading.platforms grade DOWNLOAD --out grades [--exercises ...]
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import stat
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path, PurePosixPath

from course_lib.grading.reports import write_csv

MAX_FILE_BYTES = 50 * 1024**2  # a notebook larger than this is not read from a zip
MAX_TOTAL_BYTES = 1024**3  # all the members taken from one zip, unpacked
MAX_RATIO = 100  # a member expanding to more than this many times its compressed size ...
RATIO_FLOOR = 1024**2  # ... and to more than this is refused (a notebook compresses ~5x)
MAX_MEMBERS = 100_000  # a zip with more members than this is refused whole
MANIFEST = "students.csv"
RESERVED = {MANIFEST, "grades.csv"}
_SKIP_PARTS = {".ipynb_checkpoints", "__MACOSX"}


@dataclass
class Student:
    """One student of a download and the notebooks that are theirs."""

    folder: str
    name: str = ""
    email: str = ""
    sid: str = ""
    lms_id: str = ""
    submission: str = ""
    late: bool = False


Entries = dict[str, Callable[[], bytes]]  # relative POSIX path -> its bytes


def refuse(rel: str, why: str, refused: list[str] | None) -> None:
    """Say on standard error that ``rel`` was refused and why; keep it in ``refused``."""
    line = f"refused {rel}: {why}"
    print(line, file=sys.stderr)
    if refused is not None:
        refused.append(line)


def _folder_entries(path: Path, refused: list[str] | None) -> Entries:
    """Every regular file below ``path``; links and special files refused, never read."""
    out: Entries = {}
    for top, dirs, files in os.walk(path, followlinks=False):
        for name in sorted([*dirs, *files]):
            full = Path(top) / name
            rel = full.relative_to(path).as_posix()
            mode = full.lstat().st_mode
            if stat.S_ISLNK(mode):
                refuse(rel, "a link, never followed", refused)
            elif stat.S_ISREG(mode):
                out[rel] = functools.partial(_read_regular, full)
            elif not stat.S_ISDIR(mode):
                refuse(rel, "not a regular file (a FIFO, a device or a socket)", refused)
        dirs[:] = [d for d in dirs if not (Path(top) / d).is_symlink()]
    return dict(sorted(out.items()))


def _read_regular(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise ValueError(f"{path.name} is not a regular file")
        return f.read(MAX_FILE_BYTES + 1)


def _zip_entries(path: Path, refused: list[str] | None) -> Entries:
    """Every file of a zip that passes the caps; every other one refused, by name.

    A member is refused when its name leads out of the download, when it is a link or a
    special file, when it would expand beyond :data:`MAX_FILE_BYTES`, or to more than
    :data:`MAX_RATIO` times its compressed size (beyond :data:`RATIO_FLOOR`), and once the
    members taken add up to :data:`MAX_TOTAL_BYTES`. Sizes are the archive's own, checked
    again while reading (:func:`_read_member`).
    """
    out: Entries = {}
    taken = 0
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ValueError(f"{path.name} holds {len(infos)} files, more than "
                             f"{MAX_MEMBERS}; refused whole (nothing was written)")
        for info in infos:
            name = info.filename
            kind = stat.S_IFMT(info.external_attr >> 16)
            if info.is_dir():
                continue
            if "\\" in name or name.startswith("/") or ".." in PurePosixPath(name).parts \
                    or re.match(r"^[A-Za-z]:", name):
                refuse(name, "its path leads out of the download (.., /, \\ or a drive)",
                       refused)
            elif kind == stat.S_IFLNK:
                refuse(name, "a link, never followed", refused)
            elif kind not in (0, stat.S_IFREG):
                refuse(name, "not a regular file", refused)
            elif info.file_size > MAX_FILE_BYTES:
                refuse(name, f"larger than {MAX_FILE_BYTES >> 20} MiB", refused)
            elif info.file_size > RATIO_FLOOR and \
                    info.file_size > MAX_RATIO * max(1, info.compress_size):
                ratio = info.file_size // max(1, info.compress_size)
                refuse(name, f"it would expand {ratio} times (more than {MAX_RATIO}: a zip "
                             "bomb?)", refused)
            elif taken + info.file_size > MAX_TOTAL_BYTES:
                refuse(name, f"the download's total cap ({MAX_TOTAL_BYTES >> 20} MiB "
                             "unpacked) is reached", refused)
            else:
                taken += info.file_size
                out[PurePosixPath(name).as_posix()] = functools.partial(_read_member, path,
                                                                        info)
    return out


def _entries(path: Path, refused: list[str] | None = None) -> Entries:
    """Every file of a folder or a zip, by relative POSIX path (members checked)."""
    return _folder_entries(path, refused) if path.is_dir() else _zip_entries(path, refused)


def _read_member(path: Path, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, never more than its header declares (which the caps counted)."""
    with zipfile.ZipFile(path) as zf, zf.open(info) as f:
        data = f.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise ValueError(f"{info.filename} holds more than its declared size")
    return data


def _is_notebook(rel: str) -> bool:
    p = PurePosixPath(rel)
    return (p.suffix == ".ipynb" and not p.name.startswith("._")
            and not _SKIP_PARTS & set(p.parts))


def safe_name(text: str) -> str:
    r"""A folder name from a person's name: no separators, no leading dots, not empty.

    >>> safe_name("Lovelace, Ada")
    'Lovelace, Ada'
    >>> safe_name("../../etc/passwd")
    '_.._etc_passwd'
    >>> safe_name(" .hidden\x00name ")
    'hidden_name'
    """
    cleaned = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]", "_", text).strip()
    cleaned = re.sub(r"^[.\s]+", "", cleaned)
    cleaned = re.sub(r"\s+", " ", cleaned)[:100].rstrip()
    return cleaned if cleaned and cleaned not in (".", "..") else "student"


def _unique(students: list[Student], key: Callable[[Student], str]) -> None:
    """Give every student a folder of their own: clashes get ``key`` added, then a count."""
    lower = {}
    for s in students:
        lower.setdefault(s.folder.lower(), []).append(s)
    for group in lower.values():
        owners = {key(s) for s in group}
        if len(owners) > 1 or group[0].folder.lower() in RESERVED:
            for s in group:
                s.folder = safe_name(f"{s.folder}_{key(s)}")
    seen: dict[str, int] = {}
    for s in students:
        n = seen[s.folder.lower()] = seen.get(s.folder.lower(), 0) + 1
        if n > 1 or s.folder.lower() in RESERVED:
            s.folder = f"{s.folder}-{n}"


# --- Gradescope ---------------------------------------------------------------------------


def _field(record: dict, name: str) -> str:
    """A field of Gradescope's YAML, written by Ruby with symbol keys (``:name``)."""
    value = record.get(f":{name}", record.get(name))
    return "" if value is None else str(value)


def read_gradescope(entries: Entries) -> list[tuple[Student, dict[str, Callable[[], bytes]]]]:
    import yaml

    metas = sorted((r for r in entries if PurePosixPath(r).name == "submission_metadata.yml"),
                   key=lambda r: len(PurePosixPath(r).parts))
    if not metas:
        raise ValueError("no submission_metadata.yml: not a Gradescope export")
    base = PurePosixPath(metas[0]).parent
    meta = yaml.safe_load(entries[metas[0]]()) or {}
    if not isinstance(meta, dict):
        raise ValueError("submission_metadata.yml is not a mapping of submissions")
    out = []
    claimed: set[str] = set()
    for folder, record in meta.items():
        record = record if isinstance(record, dict) else {}
        prefix = (base / str(folder)).as_posix() + "/"
        files = {r[len(prefix):]: read for r, read in entries.items()
                 if r.startswith(prefix) and _is_notebook(r)}
        for r in entries:
            if r.startswith(prefix):
                claimed.add(r)
                if r[len(prefix):] not in files and PurePosixPath(r).name != ".DS_Store":
                    print(f"skipping {r}: not a notebook", file=sys.stderr)
        submitters = record.get(":submitters", record.get("submitters")) or [{}]
        for who in submitters:
            who = who if isinstance(who, dict) else {}
            name = _field(who, "name")
            out.append((Student(folder=safe_name(name or str(folder)), name=name,
                                email=_field(who, "email"), sid=_field(who, "sid"),
                                submission=str(folder)), files))
        if not files:
            names = ", ".join(_field(w, "name") for w in submitters if isinstance(w, dict))
            print(f"{folder} ({names}): no notebook in this submission", file=sys.stderr)
    stray = [r for r in entries if r not in claimed and r != metas[0]
             and PurePosixPath(r).name != ".DS_Store"]
    for r in stray:
        print(f"skipping {r}: not in submission_metadata.yml", file=sys.stderr)
    _unique([s for s, _ in out], key=lambda s: s.sid or s.email or s.submission)
    return out


# --- Canvas ---------------------------------------------------------------------------------

CANVAS_NAME = re.compile(
    r"^(?:(?P<late0>late)_)?(?P<name>[^_]+?)_(?:(?P<late>late)_)?(?P<user>\d+)_"
    r"(?P<submission>\d+)_(?P<file>.+)$", re.IGNORECASE)


def parse_canvas_name(filename: str) -> dict | None:
    """The parts of a Canvas bulk-download file name, or ``None``.

    >>> p = parse_canvas_name("lovelaceada_late_4021_99107_ex03_softmax-1.ipynb")
    >>> p["name"], p["user"], p["submission"], p["file"], p["late"]
    ('lovelaceada', '4021', '99107', 'ex03_softmax-1.ipynb', True)
    >>> parse_canvas_name("notes.txt") is None
    True
    """
    m = CANVAS_NAME.match(filename)
    if not m:
        return None
    parts = m.groupdict()
    return {"name": parts["name"], "user": parts["user"], "submission": parts["submission"],
            "file": parts["file"], "late": bool(parts["late"] or parts["late0"])}


def read_canvas(entries: Entries) -> list[tuple[Student, dict[str, Callable[[], bytes]]]]:
    by_user: dict[str, tuple[Student, dict[str, Callable[[], bytes]]]] = {}
    for rel, read in entries.items():
        filename = PurePosixPath(rel).name
        parts = parse_canvas_name(filename)
        if parts is None or not _is_notebook(rel):
            print(f"skipping {rel}: not a notebook named as Canvas names them "
                  "(name_userid_submissionid_file.ipynb)", file=sys.stderr)
            continue
        student, files = by_user.setdefault(parts["user"], (Student(
            folder=safe_name(parts["name"]), name=parts["name"], lms_id=parts["user"],
            submission=parts["submission"]), {}))
        student.late = student.late or parts["late"]
        files[parts["file"]] = read
    if not by_user:
        raise ValueError("no notebook named like a Canvas submission download was found")
    out = list(by_user.values())
    _unique([s for s, _ in out], key=lambda s: s.lms_id)
    return out


# --- writing the layout ------------------------------------------------------------------


def detect(entries: Entries) -> str:
    if any(PurePosixPath(r).name == "submission_metadata.yml" for r in entries):
        return "gradescope"
    return "canvas"


def notebook_name(rel: str) -> str:
    """A safe file name for a notebook member, still ending in ``.ipynb``.

    >>> notebook_name("sub/...ipynb"), notebook_name("a/b c.ipynb"), notebook_name(".ipynb")
    ('notebook.ipynb', 'b c.ipynb', 'notebook.ipynb')
    """
    stem = PurePosixPath(rel).name[:-len(".ipynb")]
    return (safe_name(stem) if stem.strip(". ") else "notebook") + ".ipynb"


def unpack(download: str | Path, out: str | Path, fmt: str = "auto",
           refused: list[str] | None = None) -> list[Student]:
    """Write ``out/<student>/*.ipynb`` and ``out/students.csv`` from a platform download.

    Everything refused is listed on standard error, and appended to ``refused`` if given.
    Raises ``ValueError`` for a zip refused whole (too large, too compressed).
    """
    download, out = Path(download), Path(out)
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty: unpack into a new folder")
    entries = _entries(download, refused)
    fmt = detect(entries) if fmt == "auto" else fmt
    readers = {"gradescope": read_gradescope, "canvas": read_canvas}
    if fmt not in readers:
        raise ValueError(f"unknown format {fmt!r}: gradescope or canvas")
    students = readers[fmt](entries)
    for student, files in students:
        folder = out / student.folder
        folder.mkdir(parents=True)
        used: set[str] = set()
        for rel in sorted(files):
            name = notebook_name(rel)
            stem, n = name[:-len(".ipynb")], 1
            while name.lower() in used:
                n += 1
                name = f"{stem}-{n}.ipynb"
            used.add(name.lower())
            try:
                data = files[rel]()
            except (ValueError, OSError, zipfile.BadZipFile) as exc:
                refuse(f"{student.folder}/{rel}", str(exc), refused)
                continue
            (folder / name).write_bytes(data)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / MANIFEST, [f.name for f in fields(Student)],
              [list(asdict(student).values()) for student, _ in students])
    print(f"{fmt}: {len(students)} student(s), "
          f"{sum(len(f) for _, f in students)} notebook(s) -> {out}", file=sys.stderr)
    return [s for s, _ in students]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.grading.platforms",
                                     description="Read a Gradescope export or a Canvas "
                                                 "submissions download.")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("unpack", help="write one folder per student, and students.csv")
    up.add_argument("download", help="the download: a .zip or the folder it unzips to")
    up.add_argument("--out", required=True, help="a new folder")
    up.add_argument("--format", default="auto", choices=["auto", "gradescope", "canvas"])
    gr = sub.add_parser("grade", help="unpack into a temporary folder and grade the class")
    gr.add_argument("download")
    gr.add_argument("--out", required=True, help="where the grader writes (as course_lib.grade)")
    gr.add_argument("--format", default="auto", choices=["auto", "gradescope", "canvas"])
    gr.add_argument("--exercises", default=None, help="comma-separated exercise ids")
    gr.add_argument("--seed", type=int, default=None)
    gr.add_argument("--timeout", type=float, default=None,
                    help="seconds per answer cell and exercise (default: the grader's, 10)")
    gr.add_argument("--budget", type=float, default=None,
                    help="seconds per student in all (default: the grader's, 3 x --timeout)")
    gr.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        if args.command == "unpack":
            unpack(args.download, args.out, args.format)
            return 0
        from course_lib.grading.grader import DEFAULT_TIMEOUT, grade

        with tempfile.TemporaryDirectory(prefix="unpacked-") as tmp:
            layout = Path(tmp) / "class"
            refused: list[str] = []
            unpack(args.download, layout, args.format, refused)
            chosen = args.exercises.split(",") if args.exercises else None
            grade([layout], args.out, seed=args.seed, timeout=args.timeout or DEFAULT_TIMEOUT,
                  budget=args.budget, jobs=args.jobs, exercises=chosen,
                  run_notes=[f"the download: {r}" for r in refused])
            (Path(args.out) / MANIFEST).write_bytes((layout / MANIFEST).read_bytes())
        print(f"grades in {args.out}; who is who in {Path(args.out) / MANIFEST}",
              file=sys.stderr)
        return 0
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
