"""Whole-function rules: the 512-byte stack budget, per frame and along a call chain."""
from __future__ import annotations

import ast
from typing import Any

from ..model.helper_table import PRINTK_VALUES
from ..model.typed import ERR, FuncInfo, staged_ctx_size
from ..types import ArrayType, MapType, StructType

STACK_LIMIT = 512


def stack_objects(fi: FuncInfo) -> list[tuple[str, int, ast.expr]]:
    """(description, bytes, node) of every stack object the function creates."""
    out: list[tuple[str, int, ast.expr]] = []
    names: dict[ast.AST, str] = {}

    def describe(node: ast.expr) -> str:
        if not names:                           # made on first use: most functions need none
            names.update(_assigned_names(fi.node))
        return _describe(node, names)
    for node, call in fi.calls.items():
        t = call.type
        if call.kind in ("struct_new", "array_new") or \
                (call.kind == "helper" and isinstance(t, ArrayType)) or \
                (call.kind in ("map_method", "func") and isinstance(t, (StructType, ArrayType))):
            out.append((describe(node), t.size, node))       # type: ignore[union-attr]
        elif call.kind == "helper" and _format_buffer(call.name, node):
            # the u64 array bpf_trace_vprintk / bpf_seq_printf read their values from
            out.append((f"the values of {ast.unparse(node.func)}", _format_buffer(call.name, node), node))
    for n, tn in fi.types.items():
        if isinstance(n, ast.Subscript) and isinstance(tn, (StructType, ArrayType)) and \
                isinstance(n.ctx, ast.Load) and isinstance(fi.types.get(n.value), MapType):
            out.append((describe(n), tn.size, n))
    return out


def _format_buffer(name: str, node: ast.Call) -> int:
    n = len(node.args) - (1 if name == "printk" else 2)
    if name == "seq_printf" or (name == "printk" and n > PRINTK_VALUES):
        return 8 * n
    return 0


def _assigned_names(fn: ast.FunctionDef) -> dict[ast.AST, str]:
    """The local each value is first bound to (``first_buf = u8[256]()``), by value node."""
    out: dict[ast.AST, str] = {}
    todo: list[ast.AST] = list(fn.body)
    while todo:                 # the statements (assignments are statements), not every node
        stmt = todo.pop()
        for name in ("body", "orelse", "finalbody"):
            todo.extend(getattr(stmt, name, ()))
        for part in [*getattr(stmt, "handlers", ()), *getattr(stmt, "cases", ())]:
            todo.extend(part.body)
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], ast.Name):
            out[stmt.value] = stmt.targets[0].id
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and \
                isinstance(stmt.target, ast.Name):
            out[stmt.value] = stmt.target.id
    return out


def _describe(node: ast.expr, names: dict[ast.AST, str]) -> str:
    """``first_buf = u8[256]()`` when the object is bound to a name, else its expression."""
    text = ast.unparse(node)
    return f"{names[node]} = {text}" if node in names else text


def frame_bytes(fi: FuncInfo) -> int:
    objs = sum((size + 7) // 8 * 8 for _, size, _ in stack_objects(fi))
    # a local whose first value was an error is not a cost
    scalars = 8 * sum(1 for loc in fi.locals.values() if loc.mode == "value" and loc.type is not ERR)
    keys = 8 * sum(1 for c in fi.calls.values() if c.kind == "map_method")
    return objs + scalars + keys + (staged_ctx_size(fi) + 7) // 8 * 8


def check_stack(col: Any, fi: FuncInfo, funcs: dict[str, FuncInfo]) -> None:
    """Over 512 bytes in one frame, or along the deepest call chain: an error at the def."""
    own = frame_bytes(fi)
    deepest, callee = max(((funcs[c].stack_bytes, c) for c in fi.callees if c in funcs),
                          default=(0, ""))
    fi.stack_bytes = own + deepest
    # a chain over budget because a callee's own frame is: reported once, at that callee
    chain = fi.fdef.section is not None and fi.stack_bytes > STACK_LIMIT and \
        not _callee_over(fi, funcs, set())
    if own > STACK_LIMIT or chain:
        big = sorted(stack_objects(fi), key=lambda o: -o[1])[:4]
        lines = [f"line {n.lineno}: {d} ({size} bytes)" for d, size, n in big]
        site = next((n for n, c in fi.calls.items() if c.kind == "func" and c.name == callee), None)
        if own <= STACK_LIMIT and site is not None:
            lines.insert(0, f"line {site.lineno}: call to {callee!r} ({deepest} bytes down its calls)")
        listing = "\n".join(lines)
        col.src.error("E240", _def_span(fi.node), name=fi.name, n=own if own > STACK_LIMIT else fi.stack_bytes,
                      limit=STACK_LIMIT, listing=listing or "many scalar locals")


def _callee_over(fi: FuncInfo, funcs: dict[str, FuncInfo], seen: set[str]) -> bool:
    """True when a function reachable from ``fi`` has a frame over budget on its own."""
    todo = list(fi.callees)
    while todo:
        c = todo.pop()
        if c in funcs and c not in seen:
            seen.add(c)
            if frame_bytes(funcs[c]) > STACK_LIMIT:
                return True
            todo.extend(funcs[c].callees)
    return False


def _def_span(node: ast.FunctionDef) -> tuple[int, int, int | None]:
    return node.lineno, node.col_offset, node.col_offset + 3 + 1 + len(node.name)
