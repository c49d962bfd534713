"""Who handed in what: a class of students, each with their notebooks and answer cells.

The unit is the student. Each sub-folder of a SUBMISSIONS folder is one student, named by
the folder, and every notebook below it is theirs; a notebook directly inside a
SUBMISSIONS folder, or named on the command line, is one student named by its stem.

>>> safe_name("Ana María")
'Ana María'
>>> safe_name("../../etc"), safe_name("..."), safe_name("grades.csv")
('_.._etc', 'student', 'grades.csv-student')
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

RESERVED = {"grades.csv", "grades.csv.lock"}  # the grader's own files in OUT
SKIPPED_DIRS = {".ipynb_checkpoints", "__pycache__", "__MACOSX"}


@dataclass
class Student:
    """One student: a safe, unique ``name`` (their folder in OUT) and their notebooks."""

    name: str
    notebooks: list[Path] = field(default_factory=list)
    source: str = ""  # where they came from, for messages


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


def _notebooks_below(folder: Path) -> list[Path]:
    found = []
    for path in folder.rglob("*.ipynb"):
        parts = path.relative_to(folder).parts
        if any(p in SKIPPED_DIRS for p in parts[:-1]) or parts[-1].startswith("._"):
            continue
        if path.is_file():
            found.append(path)
    return sorted(found, key=lambda p: natural_key(str(p.relative_to(folder))))


def collect(items: Iterable[str | Path], *, student: str | None = None) -> list[Student]:
    """The students in ``items`` (folders and notebooks), in a stable order, names unique.

    With ``student``, everything found belongs to one student of that name. Names that
    clash (two folders of the same name, or names equal but for case) get ``-2``, ``-3``.

    Raises
    ------
    FileNotFoundError
        If an item does not exist.
    """
    raw: list[tuple[str, list[Path], str]] = []
    for item in items:
        path = Path(item)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder")
        if path.is_file():
            raw.append((path.stem, [path], str(path)))
            continue
        for child in sorted(path.iterdir(), key=lambda p: natural_key(p.name)):
            if child.name in SKIPPED_DIRS or child.name.startswith("._"):
                continue  # checkpoints and macOS resource forks: never a student's work
            if child.is_dir():
                notebooks = _notebooks_below(child)
                if notebooks:
                    raw.append((child.name, notebooks, str(child)))
            elif child.suffix == ".ipynb" and child.is_file():
                raw.append((child.stem, [child], str(child)))
    if student is not None:
        notebooks = [nb for _, nbs, _ in raw for nb in nbs]
        return [Student(safe_name(student), notebooks, "the submission")] if notebooks else []
    students: list[Student] = []
    taken: set[str] = set()
    for name, notebooks, source in raw:
        base = safe_name(name)
        unique, n = base, 1
        while unique.casefold() in taken:
            n += 1
            unique = f"{base}-{n}"
        taken.add(unique.casefold())
        students.append(Student(unique, notebooks, source))
    return students


def answer_cells(path: Path) -> list[dict]:
    """``[{"id": ..., "source": ...}]`` for the cells tagged ``answer:<id>``, in order.

    Raises ``ValueError`` with a readable reason if the file is not a notebook.
    """
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # corrupt JSON, wrong format, unreadable file
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
