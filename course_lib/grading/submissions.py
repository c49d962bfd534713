"""Who handed in what: a class of students, each with their notebooks and answer cells.

The unit is the student. Each sub-folder of a SUBMISSIONS folder is one student, named by
the folder, and every notebook below it is theirs; a notebook directly inside a
SUBMISSIONS folder, or named on the command line, is one student named by its stem.

Only regular files inside a SUBMISSIONS folder are read. A link is never followed below
it (a student folder or notebook that is a link, wherever it leads, is refused with a note
for that student), nor is a FIFO, a device or a socket read; a SUBMISSIONS folder that is
the whole file system, a kernel file system (``/proc``, ``/sys``, ``/dev``) or holds the
course itself is refused before anything is read.

>>> safe_name("Ana María")
'Ana María'
>>> safe_name("../../etc"), safe_name("..."), safe_name("grades.csv")
('_.._etc', 'student', 'grades.csv-student')
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

# the grader's own files in OUT: no student may be named like one of them
RESERVED = {"grades.csv", "grades.csv.lock", "names.csv", "run-report.md", "mistakes.csv",
            "students.csv"}
SKIPPED_DIRS = {".ipynb_checkpoints", "__pycache__", "__MACOSX", ".git"}
COURSE = Path(__file__).resolve().parents[2]  # the folder that holds course_lib
SYSTEM = ("/proc", "/sys", "/dev", "/run")  # kernel and runtime file systems
MAX_ENTRIES = 20_000  # files and folders looked at in one student's folder
MAX_DEPTH = 16  # folders below a student's folder
MAX_NOTEBOOK_BYTES = 64 * 1024**2  # a notebook larger than this is not read


@dataclass
class Student:
    """One student: a safe, unique ``name`` (their folder in OUT) and their notebooks.

    ``folder`` is the name as handed in (the folder, or the notebook's stem); ``source``
    where it was found; ``notes`` what was refused (links, special files), in words for the
    student and the instructor.
    """

    name: str
    notebooks: list[Path] = field(default_factory=list)
    source: str = ""
    folder: str = ""
    notes: list[str] = field(default_factory=list)


def safe_name(raw: str) -> str:
    """A name usable as one folder in OUT: no separators, no leading dots, no control
    characters, not one of the grader's own files; letters of any script are kept."""
    text = unicodedata.normalize("NFC", raw)
    text = "".join("_" if unicodedata.category(c)[0] == "C" else c for c in text)
    text = re.sub(r"[/\\:]+", "_", text).strip().lstrip(".").strip()
    text = text[:100] or "student"
    if text.casefold() in RESERVED:
        text += "-student"
    return text


def natural_key(name: str) -> list:
    """Sort ``student-2`` before ``student-10``."""
    key: list = [(0, int(part)) if part.isdigit() else (1, part.casefold())
                 for part in re.split(r"(\d+)", name)]
    return [*key, (2, name)]  # names equal but for case: a fixed order all the same


def _shown(name: str) -> str:
    return "".join("?" if unicodedata.category(c)[0] == "C" else c for c in name)


def refused_root(path: str | Path) -> str | None:
    """Why ``path`` may not be walked as a SUBMISSIONS folder, or None if it may.

    >>> refused_root("/"), refused_root("/proc/self") is not None
    ('it is the whole file system', True)
    """
    real = os.path.realpath(path)
    if real == "/":
        return "it is the whole file system"
    for system in SYSTEM:
        if real == system or real.startswith(system + "/"):
            return f"it is inside {system}, a file system of the kernel"
    course = str(COURSE)
    if real == course or course.startswith(real.rstrip("/") + "/"):
        return "it holds the course itself (its solutions among them)"
    for private in ("solutions", "course_lib"):
        inside = os.path.join(course, private)
        if real == inside or real.startswith(inside + "/"):
            return f"it is the course's own {private}/"
    return None


def _link_note(path: Path, shown: str, root: Path, own: Path) -> str:
    """The note for a link met at ``path`` (``shown`` as the student knows it)."""
    target = os.path.realpath(path)
    if target == str(own) or target.startswith(str(own) + "/"):
        where = "to another file in your own folder"
    elif target.startswith(str(root) + "/"):
        where = "to another student's work"
    else:
        where = "out of the submissions folder"
    return (f"refused {shown}: it is a link ({where}); links are never followed, hand in "
            "the notebook itself")


def _special_note(rel: str, mode: int) -> str:
    kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file")
    return f"refused {rel}: it is {kind}, not a regular file"


def _walk(folder: Path, root: Path) -> tuple[list[Path], list[str]]:
    """The regular ``.ipynb`` files below ``folder`` and notes on what was refused.

    Links are noted (when they name a notebook or a folder) and never followed; the walk
    stops after :data:`MAX_ENTRIES` entries or :data:`MAX_DEPTH` levels, with a note.
    """
    found: list[Path] = []
    notes: list[str] = []

    def in_order() -> list[Path]:
        return sorted(found, key=lambda p: natural_key(str(p.relative_to(folder))))

    stack = [(folder, 0)]
    seen = 0
    while stack:
        current, depth = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError as exc:
            notes.append(f"could not read the folder {_shown(str(current.relative_to(folder)))}"
                         f" ({exc.strerror or type(exc).__name__})")
            continue
        for entry in entries:
            seen += 1
            if seen > MAX_ENTRIES:
                notes.append(f"stopped looking after {MAX_ENTRIES} files and folders; the "
                             "notebooks found until then are graded")
                return in_order(), notes
            path = Path(entry.path)
            rel = _shown(str(path.relative_to(folder)))
            if entry.name.startswith("._") or entry.name == ".DS_Store":
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISLNK(info.st_mode):
                if entry.name.endswith(".ipynb") or os.path.isdir(path):
                    notes.append(_link_note(path, rel, root, folder))
            elif stat.S_ISDIR(info.st_mode):
                if entry.name in SKIPPED_DIRS:
                    continue
                if depth + 1 > MAX_DEPTH:
                    notes.append(f"did not look inside {rel}: more than {MAX_DEPTH} folders "
                                 "deep")
                else:
                    stack.append((path, depth + 1))
            elif entry.name.endswith(".ipynb"):
                if stat.S_ISREG(info.st_mode):
                    found.append(path)
                else:
                    notes.append(_special_note(rel, info.st_mode))
    return in_order(), notes


@dataclass
class _Found:
    folder: str
    notebooks: list[Path]
    source: str
    notes: list[str] = field(default_factory=list)


def _found_in(path: Path) -> list[_Found]:
    """The students of one SUBMISSIONS folder, in a stable order."""
    root = Path(os.path.realpath(path))
    found = []
    for entry in sorted(os.scandir(root), key=lambda e: natural_key(e.name)):
        name = entry.name
        if name in SKIPPED_DIRS or name.startswith("._") or name == ".DS_Store":
            continue  # checkpoints, git, macOS debris: never a student's work
        child = Path(entry.path)
        info = entry.stat(follow_symlinks=False)
        notebook = child.suffix == ".ipynb"
        if stat.S_ISLNK(info.st_mode):
            if os.path.isdir(child):
                found.append(_Found(name, [], str(child),
                                    [_link_note(child, "your folder", root, child)]))
            elif notebook:
                found.append(_Found(child.stem, [], str(child),
                                    [_link_note(child, name, root, root)]))
        elif stat.S_ISDIR(info.st_mode):
            notebooks, notes = _walk(child, root)
            if notebooks or notes or not name.startswith("."):
                found.append(_Found(name, notebooks, str(child), notes))
        elif notebook:
            if stat.S_ISREG(info.st_mode):
                found.append(_Found(child.stem, [child], str(child)))
            else:
                found.append(_Found(child.stem, [], str(child),
                                    [_special_note(_shown(name), info.st_mode)]))
    return found


def find(items: Iterable[str | Path]) -> list[_Found]:
    """Everything handed in under ``items`` (folders and notebooks), before naming.

    Raises
    ------
    FileNotFoundError
        If an item does not exist.
    ValueError
        If an item may not be walked (:func:`refused_root`) or is not a regular file.
    """
    found: list[_Found] = []
    for item in items:
        path = Path(item)
        if not os.path.lexists(path):
            raise FileNotFoundError(f"{path}: no such file or folder")
        why = refused_root(path)
        if why is not None:
            raise ValueError(f"{path} is not graded: {why}")
        if path.is_dir():
            found += _found_in(path)
        elif path.is_file():  # named by the instructor: a link here is their choice
            found.append(_Found(path.stem, [path], str(path)))
        else:
            raise ValueError(f"{path} is not a regular file or a folder")
    return found


def assign_names(found: list[_Found], remembered: dict[str, dict[str, str]] | None = None
                 ) -> list[Student]:
    """Safe, unique names; a folder graded before keeps the name it had.

    ``remembered`` maps each name already in OUT to ``{"folder": ..., "source": ...}``
    (OUT/names.csv). A folder keeps its name when it was graded from the same place, or
    when exactly one student of that folder name was graded before. A new folder gets its
    safe name, with ``-2``, ``-3`` if it clashes (names equal but for case clash too) with
    one given in this run or remembered for another folder.
    """
    remembered = remembered or {}
    by_place = {(r["folder"], r["source"]): name for name, r in remembered.items()}
    by_folder: dict[str, list[str]] = {}
    for name, r in remembered.items():
        by_folder.setdefault(r["folder"], []).append(name)
    claimed = {name.casefold() for name in remembered}
    used: set[str] = set()
    names: list[str | None] = []
    notes: list[list[str]] = []
    for f in found:
        key = unicodedata.normalize("NFC", f.folder)
        name = by_place.get((key, f.source))
        same = by_folder.get(key, [])
        if name is None and len(same) == 1:
            name = same[0]
        extra = []
        if name is None and len(same) > 1:
            extra.append(f"the folder name {key!r} was graded before as "
                         f"{', '.join(sorted(same))}; which one this is cannot be told, so it "
                         "is graded under a new name")
        if name is not None and name.casefold() in used:
            name = None
        if name is not None:
            used.add(name.casefold())
        names.append(name)
        notes.append(extra)
    students = []
    for f, name, extra in zip(found, names, notes, strict=True):
        if name is None:
            base = safe_name(f.folder)
            name, n = base, 1
            while name.casefold() in used or name.casefold() in claimed:
                n += 1
                name = f"{base}-{n}"
            used.add(name.casefold())
        students.append(Student(name, f.notebooks, f.source,
                                unicodedata.normalize("NFC", f.folder), [*f.notes, *extra]))
    return students


def collect(items: Iterable[str | Path], *, student: str | None = None,
            remembered: dict[str, dict[str, str]] | None = None) -> list[Student]:
    """The students in ``items`` (folders and notebooks), in a stable order, names unique.

    With ``student``, everything found belongs to one student of that name. Names that
    clash (two folders of the same name, or names equal but for case) get ``-2``, ``-3``;
    ``remembered`` (see :func:`assign_names`) keeps the names of earlier runs.

    Raises
    ------
    FileNotFoundError
        If an item does not exist.
    ValueError
        If an item may not be walked (:func:`refused_root`).
    """
    found = find(items)
    if student is not None:
        if not any(f.notebooks or f.notes for f in found):
            return []
        found = [_Found(student, [nb for f in found for nb in f.notebooks], "the submission",
                        [n for f in found for n in f.notes])]
    return assign_names(found, remembered)


def answer_cells(path: Path) -> list[dict]:
    """``[{"id": ..., "source": ...}]`` for the cells tagged ``answer:<id>``, in order.

    Only a regular file is read (never through a link, never a FIFO), and at most
    :data:`MAX_NOTEBOOK_BYTES`. Raises ``ValueError`` with a readable reason if the file
    is not a notebook.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise ValueError(f"{path.name} could not be opened ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path.name} is not a regular file")
        if info.st_size > MAX_NOTEBOOK_BYTES:
            raise ValueError(f"{path.name} is larger than {MAX_NOTEBOOK_BYTES >> 20} MiB "
                             "and was not read")
        data = f.read(MAX_NOTEBOOK_BYTES + 1)
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as exc:  # corrupt JSON, wrong format, not UTF-8
        raise ValueError(f"{path.name} could not be read as a notebook "
                         f"({type(exc).__name__})") from None
    cells = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for tag in cell.get("metadata", {}).get("tags", []):
            if isinstance(tag, str) and tag.startswith("answer:"):
                cells.append({"id": tag.split(":", 1)[1], "source": str(cell.get("source", ""))})
    return cells
