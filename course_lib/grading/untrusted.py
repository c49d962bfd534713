r"""Text a student controls, made harmless for whoever reads it next.

A student controls more of the grader's output than it seems: their folder and file names,
what their code prints, the messages of the exceptions it raises. Each place that text goes
has its own way of being forged, and its own remedy here:

* **Markdown** (``feedback.md``): a closing fence and a heading in a printed line would
  render as the grader's own words. :func:`fence` wraps text in a fence longer than any run
  of backticks inside it, so nothing inside can close it; :func:`inline` does the same for a
  code span; :func:`escape` makes a name in a heading literal.
* **Spreadsheets** (``grades.csv``, the Canvas import): a cell that starts with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula. :func:`csv_cell`
  prefixes such a cell with ``'`` as OWASP recommends; :func:`csv_value` undoes exactly that
  when the grader reads its own file back.
* **Host paths**: where Python, the course or the submissions live on the grading machine
  is none of a student's business. :class:`HostPaths` replaces each by a neutral name.

>>> print(fence("print('```')"))
````text
print('```')
````
>>> csv_cell("=1+2"), csv_value(csv_cell("=1+2"))
("'=1+2", '=1+2')
>>> escape("# **11**")
'\\# \\*\\*11\\*\\*'
"""

from __future__ import annotations

import os
import re
import site
import sys
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path

_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # OWASP: cells a spreadsheet may run
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character


def printable(text: str) -> str:
    """Control characters (newlines included) become ``_``."""
    return "".join("_" if unicodedata.category(c)[0] == "C" else c for c in text)


def fence(text: str, info: str = "text") -> str:
    """``text`` as a fenced code block that nothing inside it can close.

    The fence is one backtick longer than the longest run of backticks in ``text`` (and at
    least three), which CommonMark requires of the line that closes it.

    >>> fence("a ```` b").splitlines()[0]
    '`````text'
    """
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text.rstrip()}\n{ticks}"


def inline(text: str) -> str:
    """``text`` as an inline code span on one line, whatever backticks it holds.

    >>> inline("ex03.ipynb"), inline("a`b")
    ('`ex03.ipynb`', '``a`b``')
    """
    text = printable(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def escape(text: str) -> str:
    r"""``text`` as literal Markdown on one line: every ASCII punctuation mark escaped.

    >>> escape("Ana <b>")
    'Ana \\<b\\>'
    """
    return _PUNCTUATION.sub(r"\\\1", printable(text))


def csv_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: a leading ``=``, ``+``, ``-``, ``@``, tab or
    CR gets a ``'`` before it (OWASP's advice), and so does a leading ``'`` (so that
    :func:`csv_value` can undo exactly this).

    >>> csv_cell("@SUM(A1)"), csv_cell("Ana"), csv_cell("'quoted")
    ("'@SUM(A1)", 'Ana', "''quoted")
    """
    return "'" + text if text.startswith((*_FORMULA, "'")) else text


def csv_value(cell: str) -> str:
    """The text :func:`csv_cell` was given.

    >>> all(csv_value(csv_cell(s)) == s for s in ["=x", "'=x", "''", "-1", "x", "'"])
    True
    """
    return cell[1:] if cell.startswith("'") and cell[1:2].startswith((*_FORMULA, "'")) else cell


def csv_row(cells: Iterable[object]) -> list[str]:
    """Every cell of a row through :func:`csv_cell`."""
    return [csv_cell(str(c)) for c in cells]


_SYSTEM_PREFIXES = {"/", "/usr", "/usr/local", "/bin", "/lib"}


class HostPaths:
    """Replace where things live on the grading machine by neutral names.

    The course, the Python installation and its packages, the grader's home, its temporary
    folders and any folder given (the submissions, OUT) are replaced, longest first, so a
    path inside another takes the more precise name. System locations every Linux machine
    has (``/usr``, ``/tmp``) are left as they are.

    >>> paths = HostPaths({"/srv/class-2027/subs": "<submissions>"})
    >>> paths.neutral("No such file: /srv/class-2027/subs/ana/x.ipynb")
    'No such file: <submissions>/ana/x.ipynb'
    """

    def __init__(self, extra: dict[str | os.PathLike, str] | None = None) -> None:
        here = Path(__file__).resolve()
        named: dict[str, str] = {}

        def add(path: str | os.PathLike | None, name: str) -> None:
            if not path:
                return
            for variant in {os.path.abspath(path), os.path.realpath(path)}:
                variant = variant.rstrip("/") or "/"
                if variant not in _SYSTEM_PREFIXES:
                    named.setdefault(variant, name)

        for key, name in (extra or {}).items():
            add(key, name)
        add(here.parents[2], "<course>")
        for folder in [*site.getsitepackages(), site.getusersitepackages()]:
            add(folder, "<site-packages>")
        add(sys.prefix, "<python-env>")
        add(sys.exec_prefix, "<python-env>")
        add(sys.base_prefix, "<python>")
        add(sys.base_exec_prefix, "<python>")
        add(os.path.dirname(os.__file__), "<python-lib>")
        add(os.path.dirname(sys.executable), "<python-bin>")
        add(Path.home(), "<home>")
        self._named = sorted(named.items(), key=lambda kv: -len(kv[0]))
        tmp = re.escape(tempfile.gettempdir().rstrip("/"))
        # the grader's own temporary folders (sandboxes, unpacked downloads)
        self._temporary = re.compile(tmp + r"/(?:grade|unpacked|gradescope)-[A-Za-z0-9_]+")

    def neutral(self, text: str) -> str:
        """``text`` with every known host path replaced by its neutral name."""
        if not text:
            return text
        text = self._temporary.sub("<sandbox>", text)
        for path, name in self._named:
            if path in text:
                text = re.sub(r"(?<![\w.-])" + re.escape(path) + r"(?=$|[/\s'\"`:,;)\]}\x00])",
                              name, text)
        return text
