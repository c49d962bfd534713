"""The graded cases are proven by mutation: mutants of each reference answer that differ from
it on valid input must lose points.

The reference answers are the solution code in ``solutions/`` (learner-style NumPy). The
standard library's ``ast`` makes the mutants, one change each: an axis changed or dropped,
``keepdims`` dropped or flipped, the max shift by min, mean or the whole array's max,
``squeeze()`` without its axis, casts added or removed, off-by-one on indices and counts,
sign flips, sum for mean and mean for sum, a divide or an ``exp``/``log`` left out, a
statement deleted, a conditional reduced to one branch.

A mutant is *kept* when it differs from the reference on a battery of valid inputs that is
drawn independently of the graded cases (many shapes, every axis, float64/float32/int/lists,
rows far apart, wide rows, ties, ``-inf`` masks), "differs" meaning it fails ``assess``
there: the same contract as grading (so ``np.asarray(x, float)`` is not a difference, a cast
to float32 is). Every kept mutant must lose points on the visible + hidden cases, for every
seed tried. The table (per exercise: made, kept, killed by the visible cases, killed by the
hidden cases, survivors) is printed (``pytest -s``) and written to
``build/mutation-table.md``.
"""

from __future__ import annotations

import ast
import copy
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from course_lib.grading.attempt import run_case
from course_lib.grading.model import Case
from course_lib.grading.registry import EXERCISES, assess

ROOT = Path(__file__).resolve().parents[1]
SEEDS = (0, 1, 2)

# Mutants that differ from the reference on valid input yet are not killed, each explained.
# Keyed by (exercise id, mutant description). Empty: every kept mutant is killed.
EXPLAINED_SURVIVORS: dict[tuple[str, str], str] = {}


# --- the reference answers ----------------------------------------------------------------


def solution_source(ex_id: str) -> str:
    """The answer cell of ``ex_id`` in ``solutions/``, markers and all."""
    nb = json.loads((ROOT / "solutions" / EXERCISES[ex_id].notebook).read_text())
    for cell in nb["cells"]:
        if f"answer:{ex_id}" in cell.get("metadata", {}).get("tags", []):
            return "".join(cell["source"])
    raise LookupError(ex_id)


# --- the mutation operators ---------------------------------------------------------------

NP_REDUCTIONS = {"max", "min", "sum", "mean", "argmax", "argmin", "squeeze"}
SENTINEL_STARTS = (0.0, -9999.0, -1e9)  # what a loop for the maximum is often started from
CLIPS = (-700.0, -50.0)  # lower bounds learners put on an exponent "to avoid underflow"
EPSILONS = (1e-7, 1e-10)  # added to a denominator or a log's argument
EXP_EPSILONS = (1e-7, 1e-12)  # added to exp (a masked entry then gets a probability)
SWAPS = {"max": ("min", "mean"), "min": ("max",), "sum": ("mean",), "mean": ("sum",),
         "argmax": ("argmin",), "exp": ("log",), "log": ("exp",)}
AXIS_VALUES = (0, 1, -1, -2, None)


def _const(v: object) -> ast.expr:
    if isinstance(v, int) and v < 0:
        return ast.UnaryOp(ast.USub(), ast.Constant(-v))
    return ast.Constant(v)


def _np(attr: str) -> ast.expr:
    return ast.Attribute(ast.Name("np", ast.Load()), attr, ast.Load())


def _const_value(node: ast.expr) -> object:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ...


def _func_name(call: ast.Call) -> str | None:
    f = call.func
    if isinstance(f, ast.Attribute):
        return f.attr
    if isinstance(f, ast.Name):
        return f.id
    return None


def _operators(node: ast.AST, in_index: bool) -> Iterator[tuple[str, ast.AST | None]]:
    """Every single change of ``node``: (description, replacement); None deletes it."""
    text = ast.unparse(node) if not isinstance(node, ast.stmt) else ast.unparse(node).split(
        "\n")[0]
    if isinstance(node, ast.Call):
        name = _func_name(node)
        for i, kw in enumerate(node.keywords):
            rest = node.keywords[:i] + node.keywords[i + 1:]
            if kw.arg == "axis":
                yield f"`{text}`: axis dropped", ast.Call(node.func, node.args, rest)
                for v in AXIS_VALUES:
                    if _const_value(kw.value) != v:
                        yield (f"`{text}`: axis={v}", ast.Call(
                            node.func, node.args, [*rest, ast.keyword("axis", _const(v))]))
            if kw.arg == "keepdims":
                yield f"`{text}`: keepdims dropped", ast.Call(node.func, node.args, rest)
                yield f"`{text}`: keepdims flipped", ast.Call(node.func, node.args, [
                    *rest, ast.keyword("keepdims", ast.UnaryOp(ast.Not(), kw.value))])
        for new in SWAPS.get(name or "", ()):
            func = copy.deepcopy(node.func)
            if isinstance(func, ast.Attribute):
                func.attr = new
            else:
                func.id = new
            yield f"`{text}`: {name} -> {new}", ast.Call(func, node.args, node.keywords)
        if name in ("exp", "log") and node.args:
            yield f"`{text}`: {name} left out", node.args[0]
        yield from _new_families(node, name, text)
        if name == "squeeze":
            yield f"`{text}`: squeezed without an axis", ast.Call(node.func, node.args, [])
        has = {kw.arg for kw in node.keywords}
        if name in NP_REDUCTIONS - {"squeeze"} and "axis" in has and "keepdims" not in has:
            kept = ast.Call(node.func, node.args, [
                *node.keywords, ast.keyword("keepdims", ast.Constant(True))])
            yield f"`{text}`: keepdims=True added", kept
            yield f"`{text}`: keepdims=True, then squeeze()", ast.Call(
                ast.Attribute(kept, "squeeze", ast.Load()), [], [])
        if name == "argmax" and "axis" in has and node.args:
            ax = next(kw.value for kw in node.keywords if kw.arg == "axis")
            flipped = ast.Call(_np("flip"), [node.args[0]], [ast.keyword("axis", ax)])
            size = ast.Subscript(ast.Attribute(ast.Call(_np("asarray"), [node.args[0]], []),
                                               "shape", ast.Load()), ax, ast.Load())
            yield f"`{text}`: ties go to the last", ast.BinOp(
                ast.BinOp(size, ast.Sub(), ast.Constant(1)), ast.Sub(),
                ast.Call(node.func, [flipped], [ast.keyword("axis", ax)]))
        if name == "asarray" and node.args:
            yield f"`{text}`: asarray left out", node.args[0]
            for dtype in ("float", "np.float32", "int"):
                yield (f"`{text}`: cast to {dtype}", ast.Call(node.func, node.args, [
                    *node.keywords, ast.keyword("dtype", ast.parse(dtype, mode="eval").body)]))
        if name in ("eye", "arange", "zeros", "ones"):
            for i, arg in enumerate(node.args):
                if isinstance(arg, ast.Name):
                    for op, sign in ((ast.Add(), "+"), (ast.Sub(), "-")):
                        args = [*node.args[:i], ast.BinOp(arg, op, ast.Constant(1)),
                                *node.args[i + 1:]]
                        yield f"`{text}`: {arg.id} {sign} 1", ast.Call(node.func, args,
                                                                       node.keywords)
        if name == "len":
            for op, sign in ((ast.Add(), "+"), (ast.Sub(), "-")):
                yield f"`{text}`: {sign} 1", ast.BinOp(node, op, ast.Constant(1))
        if name in NP_REDUCTIONS and isinstance(node.func, ast.Attribute) and not any(
                kw.arg == "axis" for kw in node.keywords) and len(node.args) >= 2:
            yield f"`{text}`: axis argument dropped", ast.Call(node.func, node.args[:1], [])
    if in_index and isinstance(node, ast.Name | ast.Call | ast.Attribute):
        for op, sign in ((ast.Add(), "+"), (ast.Sub(), "-")):
            yield f"index `{text}` {sign} 1", ast.BinOp(node, op, ast.Constant(1))
    if isinstance(node, ast.Constant) and type(node.value) is int:
        for d in (1, -1):
            yield (f"constant {node.value} -> {node.value + d} (column {node.col_offset})",
                   _const(node.value + d))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        for eps in EPSILONS:
            yield (f"`{text}`: epsilon {eps:g} added to the denominator", ast.BinOp(
                node.left, ast.Div(), ast.BinOp(node.right, ast.Add(), ast.Constant(eps))))
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Sub):
            yield f"`{text}`: - -> +", ast.BinOp(node.left, ast.Add(), node.right)
            yield f"`{text}`: operands swapped", ast.BinOp(node.right, ast.Sub(), node.left)
        if isinstance(node.op, ast.Add):
            yield f"`{text}`: + -> -", ast.BinOp(node.left, ast.Sub(), node.right)
        if isinstance(node.op, ast.Div):
            yield f"`{text}`: divide left out", node.left
            yield f"`{text}`: / -> *", ast.BinOp(node.left, ast.Mult(), node.right)
        if isinstance(node.op, ast.Sub | ast.Add):
            yield f"`{text}`: right operand left out", node.left
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and not isinstance(
            node.operand, ast.Constant):
        yield f"`{text}`: sign flipped", node.operand
    if isinstance(node, ast.IfExp):
        yield f"`{text}`: always the first branch", node.body
        yield f"`{text}`: always the second branch", node.orelse
    if isinstance(node, ast.AugAssign):
        flipped = ast.Add() if isinstance(node.op, ast.Sub) else ast.Sub()
        yield f"`{text}`: sign flipped", ast.AugAssign(node.target, flipped, node.value)
    if isinstance(node, ast.Assign | ast.AugAssign | ast.Expr):
        yield f"`{text}`: statement deleted", None
    if isinstance(node, ast.Return) and node.value is not None:
        yield f"`{text}`: result negated", ast.Return(ast.UnaryOp(ast.USub(), node.value))
        for dtype in ("np.float32", "int", "float"):
            yield f"`{text}`: result cast to {dtype}", ast.Return(ast.Call(
                ast.Attribute(node.value, "astype", ast.Load()),
                [ast.parse(dtype, mode="eval").body], []))
        wrapped = ast.Call(_np("asarray"), [node.value], [])
        yield f"`{text}`: precision: result cast to np.float16", ast.Return(ast.Call(
            ast.Attribute(wrapped, "astype", ast.Load()), [_np("float16")], []))
        yield f"`{text}`: precision: result rounded through float32", ast.Return(ast.Call(
            ast.Attribute(ast.Call(ast.Attribute(wrapped, "astype", ast.Load()),
                                   [_np("float32")], []), "astype", ast.Load()),
            [_np("float64")], []))
        yield f"`{text}`: epsilon 1e-7 added to the result", ast.Return(
            ast.BinOp(wrapped, ast.Add(), ast.Constant(1e-7)))
        yield f"`{text}`: result transposed", ast.Return(
            ast.Attribute(wrapped, "T", ast.Load()))
        yield f"`{text}`: result flattened", ast.Return(
            ast.Call(ast.Attribute(wrapped, "ravel", ast.Load()), [], []))


def _new_families(node: ast.Call, name: str | None,
                  text: str) -> Iterator[tuple[str, ast.AST]]:
    """Sentinel starts, clipping, precision changes and epsilons, on one call."""
    axis = [kw for kw in node.keywords if kw.arg == "axis"]
    if name in ("max", "amax") and axis:
        for s in SENTINEL_STARTS:  # best = s; for v in row: best = max(best, v)
            yield (f"`{text}`: a loop started from {s:g}",
                   ast.Call(_np("maximum"), [node, _const(s)], []))
    if name == "argmax" and axis and node.args:
        for s in SENTINEL_STARTS:  # best, i = s, 0; for j, v: if v > best: best, i = v, j
            top = ast.Call(_np("max"), [node.args[0]], axis)
            yield (f"`{text}`: a loop started from {s:g}", ast.Call(_np("where"), [
                ast.Compare(top, [ast.Gt()], [_const(s)]), node, ast.Constant(0)], []))
    if name == "exp" and node.args:
        arg = node.args[0]
        for lo in CLIPS:
            yield (f"`{text}`: exponent clipped at {lo:g}", ast.Call(
                node.func, [ast.Call(_np("maximum"), [arg, _const(lo)], [])], node.keywords))
        yield (f"`{text}`: exponent clipped with np.clip(..., -50, 50)", ast.Call(
            node.func, [ast.Call(_np("clip"), [arg, _const(-50.0), _const(50.0)], [])],
            node.keywords))
        yield (f"`{text}`: precision: exponent taken in float32", ast.Call(node.func, [
            ast.Call(ast.Attribute(arg, "astype", ast.Load()), [_np("float32")], [])],
            node.keywords))
        yield (f"`{text}`: precision: exp rounded to float32", ast.Call(
            ast.Attribute(node, "astype", ast.Load()), [_np("float32")], []))
        for eps in EXP_EPSILONS:
            yield (f"`{text}`: epsilon {eps:g} added to exp",
                   ast.BinOp(node, ast.Add(), ast.Constant(eps)))
    if name == "log" and node.args:
        for eps in EPSILONS:
            yield (f"`{text}`: epsilon {eps:g} added inside log", ast.Call(node.func, [
                ast.BinOp(node.args[0], ast.Add(), ast.Constant(eps))], node.keywords))
        yield (f"`{text}`: log's argument clipped at 1e-300", ast.Call(node.func, [
            ast.Call(_np("maximum"), [node.args[0], ast.Constant(1e-300)], [])],
            node.keywords))
    if name in ("sum", "mean") and not any(kw.arg == "dtype" for kw in node.keywords):
        for dtype in ("float32", "float16"):
            yield (f"`{text}`: precision: accumulated in {dtype}", ast.Call(
                node.func, node.args, [*node.keywords, ast.keyword("dtype", _np(dtype))]))
    if name == "asarray" and node.args:
        yield (f"`{text}`: precision: a longdouble detour", ast.Call(node.func, node.args, [
            *node.keywords, ast.keyword("dtype", _np("longdouble"))]))


def _index_nodes(tree: ast.AST) -> set[int]:
    """ids of the expressions that are (parts of) subscripts' indices."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            out.update(id(p) for p in parts)
    return out


def _replace(tree: ast.AST, target: ast.AST, new: ast.AST | None) -> None:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, field, new)
                return
            if isinstance(value, list) and any(v is target for v in value):
                items = [v for v in value if v is not target] if new is None else [
                    new if v is target else v for v in value]
                setattr(parent, field, items or [ast.Pass()])
                return
    raise LookupError("node not found")


def mutants(source: str) -> list[tuple[str, str]]:
    """(description, source) of every single-change mutant of the function in ``source``."""
    tree = ast.parse(source)
    func = tree.body[0]
    assert isinstance(func, ast.FunctionDef)
    body_nodes = [n for stmt in func.body for n in ast.walk(stmt)]
    body_nodes = [n for n in body_nodes if not (  # leave the docstring alone
        isinstance(n, ast.Expr | ast.Constant) and n in (func.body[0], func.body[0].value))]
    indices = _index_nodes(tree)
    out: dict[str, str] = {}
    for k, node in enumerate(body_nodes):
        where = f"line {getattr(node, 'lineno', '?')}: "
        for desc, _ in _operators(node, id(node) in indices):
            new_tree = copy.deepcopy(tree)
            new_func = new_tree.body[0]
            new_nodes = [n for stmt in new_func.body for n in ast.walk(stmt)]
            new_nodes = [n for n in new_nodes if not (
                isinstance(n, ast.Expr | ast.Constant)
                and n in (new_func.body[0], new_func.body[0].value))]
            target = new_nodes[k]
            replacement = dict(_operators(target, id(node) in indices))[desc]
            _replace(new_tree, target, replacement)
            code = ast.unparse(ast.fix_missing_locations(new_tree))
            key = where + desc
            if key in out and out[key] != code:  # the same change at two places of a line
                key += f" (column {getattr(node, 'col_offset', '?')})"
            if code not in out.values():
                out[key] = code
    return list(out.items())


def compile_function(code: str, name: str):  # noqa: ANN201
    namespace: dict = {"np": np}
    exec(compile(code, "<mutant>", "exec"), namespace)  # noqa: S102 - our own mutants
    return namespace[name]


# --- a battery of valid inputs, drawn apart from the graded cases -------------------------


def _values(rng: np.random.Generator, shape: tuple[int, ...], axis: int, family: str,
            dtype: str) -> np.ndarray:
    x = rng.standard_normal(shape) * rng.uniform(0.5, 5)
    moved = np.moveaxis(x, axis, -1)  # a view: edits land in x
    k = moved.shape[-1]
    if family == "far":
        moved += rng.uniform(-2500, 2500, moved.shape[:-1] + (1,))
    elif family == "wide":
        moved += rng.uniform(0, 3000, moved.shape) * (rng.random(moved.shape) < 0.5)
    elif family == "offset":
        x += rng.uniform(-3000, 3000)
    elif family == "ties":
        x = rng.integers(-2, 3, shape).astype(float)
    elif family == "masked":
        mask = rng.random(shape) < 0.4
        np.moveaxis(mask, axis, -1)[..., rng.integers(0, k)] = False
        x[mask] = -np.inf
    elif family == "huge" and dtype == "float64":
        x *= 1e306
    elif family == "below":  # slices entirely below 0, below -1e4, near -1e300, in turn
        y = np.moveaxis(x, axis, -1).copy()
        for r, row in enumerate(y.reshape(-1, k)):
            kind = r % (3 if dtype == "float64" else 2)  # float32 has no -1e300
            row[:] = (-rng.uniform(0.05, 9.0, k) if kind == 0 else row - 5e4 if kind == 1
                      else -rng.uniform(1.0, 9.0, k) * 1e300)
        x = np.ascontiguousarray(np.moveaxis(y, -1, axis))
    if dtype == "float32":
        return x.astype(np.float32)
    if dtype == "int":
        return np.round(x).clip(-5000, 5000).astype(np.int64)
    return x


SHAPES = [(5,), (1,), (2,), (3, 4), (4, 4), (4, 1), (1, 4), (2, 3, 4), (2, 1, 3), (1, 3, 1),
          (3, 2, 1)]
FAMILIES = ("normal", "far", "wide", "offset", "ties", "masked", "huge", "below")
KINDS = ("float64", "float32", "int", "list")


HAND_MADE = {"max", "argmax", "one_hot", "softmax", "softmax_axis", "log_softmax", "logsumexp",
             "cross_entropy", "cross_entropy_grad", "perplexity", "top_k"}
"""The exercises with a battery written here; any other exercise gets its module's
``battery(rng)`` or its own cases drawn from other seeds (tests/exercise_rules.py)."""


def battery(ex_id: str, n: int = 160) -> list[Case]:
    if ex_id not in HAND_MADE:
        import sys

        from tests.exercise_rules import drawn_battery

        module = sys.modules[f"course_lib.grading.exercises.{ex_id}"]
        if hasattr(module, "battery"):
            return module.battery(np.random.default_rng(2024))
        return drawn_battery(EXERCISES[ex_id])
    rng = np.random.default_rng(2024)
    out: list[Case] = []
    for i in range(n):
        if ex_id == "one_hot":
            shape = [(), (1,), (5,), (3, 4), (2, 3, 2)][i % 5]
            k = int(rng.integers(1, 7))
            labels = rng.integers(0, k, shape)
            kind = ["array", "list", "int32"][i % 3]
            arg = labels.tolist() if kind == "list" else labels.astype(
                np.int32) if kind == "int32" else labels
            out.append(Case(f"one_hot {i}", (arg, k)))
            continue
        kind = KINDS[i % len(KINDS)]
        family = FAMILIES[(i // len(KINDS)) % len(FAMILIES)]
        if ex_id == "top_k":  # (logits, k): rows along the last axis, k from 1 to K + 1
            shape = SHAPES[int(rng.integers(0, len(SHAPES)))]
            if family != "normal" and shape[-1] == 1:
                shape = (*shape[:-1], 3)
            x = _values(rng, shape, -1, family, "float64" if kind == "list" else kind)
            k = int(rng.integers(1, shape[-1] + 2))
            out.append(Case(f"{family} {kind} {i}", (x.tolist() if kind == "list" else x, k)))
            continue
        if ex_id == "perplexity" and family == "huge":
            family = "far"  # keep the mean loss below ~700: exp of it stays finite
        if ex_id in ("cross_entropy", "cross_entropy_grad", "perplexity"):
            nk = (int(rng.integers(1, 6)), int(rng.integers(2, 6)))
            z = _values(rng, nk, -1, family, "float64" if kind in ("int", "list") else kind)
            if ex_id == "perplexity" and family == "wide":  # mean losses up to ~600
                z = z * np.asarray(600 / 3000, dtype=z.dtype)
            t = rng.integers(0, nk[1], nk[0])
            if ex_id == "perplexity" and family == "below":  # a finite perplexity
                t = np.argmax(z, axis=-1)
            if family == "masked":  # never mask the target
                z[np.arange(nk[0]), t] = rng.standard_normal(nk[0]).astype(z.dtype)
            args = (z.tolist(), t.tolist()) if kind == "list" else (z, t)
            out.append(Case(f"{family} {kind} {i}", args))
            continue
        while True:  # length-1 slices only for ordinary values: the others need room
            shape = SHAPES[int(rng.integers(0, len(SHAPES)))]
            # the softmax reference works along the last axis only
            axis = -1 if ex_id == "softmax" else int(rng.integers(-len(shape), len(shape)))
            if family == "normal" or shape[axis] > 1:
                break
        if family == "huge" and ex_id not in ("max", "argmax", "stable_softmax", "logsumexp"):
            family = "far"
        x = _values(rng, shape, axis, family, "float64" if kind == "list" else kind)
        arg = x.tolist() if kind == "list" else x
        kwargs = {} if ex_id == "softmax" else {"axis": axis}
        if ex_id == "logsumexp":
            kwargs["keepdims"] = bool(i % 2)
        out.append(Case(f"{family} {kind} {i}", (arg,), kwargs))
    return out


# --- grading a function in-process, the way the grader does ------------------------------


def graded(ex_id: str, fn, cases: list[Case]):  # noqa: ANN001, ANN201
    return assess(ex_id, cases, [run_case(fn, c.args, c.kwargs) for c in cases])


def _fails(ex_id: str, fn, cases: list[Case]) -> bool:  # noqa: ANN001
    return graded(ex_id, fn, cases).score < 1


def mutation_report(ex_id: str) -> dict:
    ex = EXERCISES[ex_id]
    source = solution_source(ex_id)
    reference = compile_function(source, ex.function_name)
    bat = battery(ex_id)
    assert graded(ex_id, reference, bat).passed, "the reference fails its own battery"
    drawn = []
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        drawn.append((ex.cases(rng, hidden=False), ex.cases(rng, hidden=True)))
        result = graded(ex_id, reference, drawn[-1][0] + drawn[-1][1])
        assert result.passed, f"the solution itself fails: {result.message}"
    made = mutants(source)
    kept, by_visible, by_hidden, survivors, equivalent = [], [], [], [], []
    for desc, code in made:
        try:
            fn = compile_function(code, ex.function_name)
        except Exception:  # noqa: BLE001 - a mutant that does not even define the function
            continue
        if not any(_fails(ex_id, fn, [c]) for c in bat):
            equivalent.append(desc)  # no difference on valid input, under the contract
            continue
        kept.append(desc)
        vis = all(_fails(ex_id, fn, v) for v, _ in drawn)
        hid = all(_fails(ex_id, fn, h) for _, h in drawn)
        both = all(_fails(ex_id, fn, v + h) for v, h in drawn)
        by_visible += [desc] * vis
        by_hidden += [desc] * hid
        if not both:
            survivors.append(desc)
    return {"made": len(made), "all": [d for d, _ in made], "kept": kept,
            "visible": by_visible, "hidden": by_hidden, "survivors": survivors,
            "equivalent": equivalent}


FAMILY_NAMES = ("sentinel starts", "clipping", "precision changes", "epsilons",
                "axes, shifts, signs and the rest")


def family(desc: str) -> str:
    """Which family of mutants ``desc`` belongs to (for the second table)."""
    if "a loop started from" in desc:
        return FAMILY_NAMES[0]
    if "clipped" in desc:
        return FAMILY_NAMES[1]
    if any(w in desc for w in ("float32", "float16", "longdouble")):
        return FAMILY_NAMES[2]
    if "epsilon" in desc:
        return FAMILY_NAMES[3]
    return FAMILY_NAMES[4]


def _tables(out: dict[str, dict]) -> str:
    lines = ["| exercise | mutants made | kept (differ on valid input) | killed by visible cases "
             "| killed by hidden cases | killed by both together | survivors |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for ex_id, r in out.items():
        k = len(r["kept"])
        lines.append(f"| {ex_id} | {r['made']} | {k} | {len(r['visible'])} | "
                     f"{len(r['hidden'])} | {k - len(r['survivors'])} | "
                     f"{len(r['survivors'])} |")
    lines += ["", "| family (all exercises) | mutants made | kept | killed by visible cases | "
              "killed by hidden cases | killed by both together | survivors |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for fam in FAMILY_NAMES:
        def count(key: str, fam: str = fam) -> int:
            return sum(family(d) == fam for r in out.values() for d in r[key])

        kept, surv = count("kept"), count("survivors")
        lines.append(f"| {fam} | {count('all')} | {kept} | {count('visible')} | "
                     f"{count('hidden')} | {kept - surv} | {surv} |")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def reports() -> dict[str, dict]:
    out = {ex_id: mutation_report(ex_id) for ex_id in EXERCISES}
    table = _tables(out)
    print(f"\nMutation test (seeds {SEEDS}; killed = loses points on every seed)\n{table}")
    build = ROOT / "build"
    build.mkdir(exist_ok=True)
    detail = [table, ""]
    for ex_id, r in out.items():
        detail.append(f"\n## {ex_id}\n")
        detail += [f"- {d}" + (" (visible)" if d in r["visible"] else "")
                   + (" (hidden)" if d in r["hidden"] else "")
                   + (" **SURVIVED**" if d in r["survivors"] else "") for d in r["kept"]]
        detail += [f"- {d} (equivalent: no difference on the battery)"
                   for d in r["equivalent"]]
    (build / "mutation-table.md").write_text("\n".join(detail) + "\n")
    return out


def test_mutants_are_made_for_every_exercise(reports) -> None:
    for ex_id, r in reports.items():
        assert r["made"] >= 12, (ex_id, r["made"])
        assert len(r["kept"]) >= 10, (ex_id, r["kept"])


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_every_kept_mutant_loses_points(reports, ex_id) -> None:
    survivors = [d for d in reports[ex_id]["survivors"]
                 if (ex_id, d) not in EXPLAINED_SURVIVORS]
    assert survivors == [], f"{ex_id}: mutants that differ on valid input but keep full marks"


def test_the_mutation_operators_do_what_they_say() -> None:
    src = ("def f(x, axis=-1):\n    x = np.asarray(x)\n"
           "    e = np.exp(x - x.max(axis=axis, keepdims=True))\n"
           "    return e / e.sum(axis=axis, keepdims=True)\n")
    made = {k.split(": ", 1)[1]: v for k, v in mutants(src)}
    assert "e = np.exp(x - x.min(axis=axis, keepdims=True))" in made[
        "`x.max(axis=axis, keepdims=True)`: max -> min"]
    assert "x.max(keepdims=True)" in made["`x.max(axis=axis, keepdims=True)`: axis dropped"]
    assert "return e" in made["`e / e.sum(axis=axis, keepdims=True)`: divide left out"]
    assert "np.asarray(x, dtype=np.float32)" in made["`np.asarray(x)`: cast to np.float32"]
    assert "e = x - x.max" in made["`np.exp(x - x.max(axis=axis, keepdims=True))`: exp left out"]
    fn = compile_function(made["`x.max(axis=axis, keepdims=True)`: max -> mean"], "f")
    with np.errstate(all="ignore"):
        assert np.isnan(fn(np.array([1000.0, -1000.0]))).any()  # the mean shift overflows


def test_the_battery_is_valid_input() -> None:
    for ex_id, ex in EXERCISES.items():
        for c in battery(ex_id, 40):
            ex.reference(*c.args, **c.kwargs)  # the reference accepts it, without raising
