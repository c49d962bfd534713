"""Run a learner's answer in the notebook the way the grader will: its cell alone, NumPy only.

When grading, only the cells tagged ``answer:<id>`` run (each notebook's answer cells in
order, in one fresh namespace that holds ``np`` and ``numpy``), with NumPy and Python's
standard library and nothing else: not ``course_lib``, not SciPy, not a helper or a
variable from another cell. In a notebook, a function can lean on all of those and pass its
check, then score 0 when graded. :func:`prepare` closes that gap for the check cell:

1. it finds the cell that defined the function (IPython remembers every cell's source) and
   the cells of the other exercises of the same notebook (their answer cells);
2. it runs those cells again, alone, in a fresh namespace like the grader's, where importing
   anything but NumPy and the standard library fails as it would there;
3. it returns the function *as graded* (the one that namespace now holds), to be checked
   instead, and notes in plain words for everything that would differ: an import that
   grading cannot do, a name from another cell, a function renamed, IPython magics, a cell
   that stops with an error.

A function not defined in a notebook cell (a script, a test) is checked as it is.

>>> prepared = prepare(lambda x: x, "my_max", ())  # not from a notebook cell: as it is
>>> prepared.notes, prepared.fatal
([], None)
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import dis
import io
import linecache
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

ALLOWED = frozenset({"numpy", *sys.stdlib_module_names})
"""Top-level modules an answer can import when graded: NumPy and the standard library."""

_busy = threading.local()  # a cell that calls check() again while being re-run


@dataclass
class Prepared:
    """The function to check and what the learner should know about how it will be graded.

    ``fn`` is None when the answer cell cannot give a function when graded (``fatal`` says
    why: the learner then scores 0 for this exercise).
    """

    fn: Callable[..., Any] | None
    notes: list[str] = field(default_factory=list)
    fatal: str | None = None


def _shell() -> Any:
    """The running IPython shell, or None (a script, a test, no IPython installed)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return None
    return get_ipython()


def cell_source(fn: Any) -> str | None:
    """The source of the notebook cell that defined ``fn``, as typed (magics and all), or
    None when ``fn`` was not defined in a cell of the running IPython shell."""
    code = getattr(fn, "__code__", None)
    shell = _shell()
    if code is None or shell is None:
        return None
    known = getattr(getattr(shell, "compile", None), "_filename_map", {})
    if code.co_filename not in known:
        return None
    history = shell.user_ns.get("In")
    number = known[code.co_filename]
    if isinstance(history, list) and isinstance(number, int) and 0 < number < len(history):
        raw = history[number]
        if isinstance(raw, str) and raw.strip():
            return raw
    lines = linecache.getlines(code.co_filename)
    return "".join(lines) or None


def _guarded_import(name: str, globals: Any = None, locals: Any = None,  # noqa: A002
                    fromlist: Any = (), level: int = 0) -> Any:
    top = name.split(".")[0]
    if level == 0 and top in ALLOWED:
        return builtins.__import__(name, globals, locals, fromlist, level)
    raise ModuleNotFoundError(
        f"No module named '{top}' (grading has only NumPy and Python's standard library)",
        name=top)


def fresh_namespace() -> dict[str, Any]:
    """A namespace like the grader's: ``np``, ``numpy``, and imports limited to NumPy and
    the standard library."""
    guarded = dict(vars(builtins))
    guarded["__import__"] = _guarded_import
    return {"np": np, "numpy": np, "__name__": "__main__", "__builtins__": guarded}


def foreign_imports(source: str) -> list[str]:
    """Top-level modules that ``source`` imports and grading does not have, in order.

    >>> foreign_imports("import numpy as np\\nfrom scipy.special import softmax\\nimport math")
    ['scipy']
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found: list[str] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = ["." * node.level + (node.module or "")]
        for name in names:
            top = name.split(".")[0] if not name.startswith(".") else name
            if top not in ALLOWED and top not in found:
                found.append(top)
    return found


def free_names(fn: Any) -> set[str]:
    """Global names the code of ``fn`` (and the functions nested in it) looks up.

    >>> def f(x):
    ...     return helper(np.exp(x)).max()
    >>> sorted(free_names(f))
    ['helper', 'np']
    """
    names: set[str] = set()
    stack = [getattr(fn, "__code__", None)]
    while stack:
        code = stack.pop()
        if code is None:
            continue
        names.update(i.argval for i in dis.get_instructions(code)
                     if i.opname in ("LOAD_GLOBAL", "LOAD_NAME"))
        stack.extend(c for c in code.co_consts if hasattr(c, "co_names"))
    return names


def _run(source: str, namespace: dict[str, Any], label: str) -> str | None:
    """Run one cell's ``source`` in ``namespace``, its printing swallowed; None if it ran,
    else what stopped it, in the grader's words."""
    filename = f"<{label}, as graded>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(
                io.StringIO()):
            exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - the learner's own cell
    except SyntaxError as exc:
        return f"at line {exc.lineno} with SyntaxError: {exc.msg}"
    except Exception as exc:  # noqa: BLE001 - anything the cell raises is reported
        line = "?"
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == filename:
                line = str(tb.tb_lineno)
            tb = tb.tb_next
        text = f"at line {line} with {type(exc).__name__}: {exc}"
        if isinstance(exc, NameError) and exc.name:
            text += (f"; `{exc.name}` comes from another cell, which grading does not run: "
                     "define or import it inside the answer cell, or move the line that uses "
                     "it out of the answer cell")
        elif isinstance(exc, ModuleNotFoundError):
            text += ": write it with NumPy"
        return text
    return None


def _magics(source: str) -> bool:
    """IPython commands: typed (``%``, ``!``), or as IPython rewrote them."""
    return "get_ipython()" in source or any(
        line.lstrip().startswith(("%", "!")) for line in source.splitlines())


def prepare(fn: Any, function_name: str, siblings: Iterable[Any]) -> Prepared:
    """``fn`` as grading will see it, and notes on what would differ (module docstring).

    Parameters
    ----------
    fn : callable
        The learner's function, as passed to ``check``.
    function_name : str
        The name grading looks the function up by (the exercise's ``function_name``).
    siblings : callables
        The functions of the other exercises of the same notebook found in the learner's
        namespace: their cells are answer cells too, and run first when graded.
    """
    source = cell_source(fn)
    if source is None or getattr(_busy, "on", False):
        return Prepared(fn)
    notes: list[str] = []
    if _magics(source):
        return Prepared(None, fatal="this cell uses IPython commands (a line starting with "
                        "`%` or `!`); grading runs plain Python, where such a line is a "
                        "SyntaxError. Move them to a cell of their own")
    foreign = foreign_imports(source)
    namespace = fresh_namespace()
    _busy.on = True
    try:
        for sibling in siblings:
            other = cell_source(sibling)
            if other is not None and other != source and not _magics(other):
                _run(other, namespace, "another answer cell")  # its failures are its own
        stopped = _run(source, namespace, "your answer cell")
    finally:
        _busy.on = False
    if foreign and stopped is None:
        notes.append("it imports " + ", ".join(f"`{m}`" for m in foreign) + ", which "
                     "grading does not have (only NumPy and Python's standard library): "
                     "write it with NumPy")
    if stopped is not None:
        return Prepared(None, notes, fatal=f"run alone, its cell stops {stopped}")
    graded = namespace.get(function_name)
    if getattr(fn, "__name__", function_name) != function_name or not callable(graded):
        return Prepared(None, notes, fatal=f"grading looks for a function named "
                        f"`{function_name}`; keep that name (yours is "
                        f"`{getattr(fn, '__name__', '?')}`)")
    kept = set(namespace["__builtins__"]) | set(namespace)
    missing = sorted(n for n in free_names(graded) - kept
                     if n in getattr(fn, "__globals__", {}))
    if missing:
        notes.append("it uses " + ", ".join(f"`{n}`" for n in missing) + " from another "
                     "cell of your notebook, which grading does not run: define "
                     + ("it" if len(missing) == 1 else "them") + " inside the answer cell")
    return Prepared(graded, notes)
