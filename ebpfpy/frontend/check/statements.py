"""Typing simple and control-flow statements, with the flow facts for the null-check and
index rules; assignments are in ``assign.py``, loops in ``loops.py``."""
from __future__ import annotations

import ast

from ...types import BOOL, i64
from ..flow import Flow
from ...model.typed import ERR, is_int
from . import refs
from .context import EXPR_RULES, CheckContext, StmtRule, block, core_test
from .expressions import cond, expr, flexible, key_expr, value_into
from .locks import s_with
from .loops import check_for
from .ranges import assume
from .symbols import map_of


def s_pass(c: CheckContext, node: ast.Pass) -> None:
    """``pass``."""
    pass


def s_expr(c: CheckContext, node: ast.Expr) -> None:
    """An expression statement: a call (a docstring is skipped)."""
    if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
        return      # docstring
    if not isinstance(node.value, ast.Call):
        if type(node.value) not in EXPR_RULES:
            expr(c, node.value)       # yield, await, ...: name the unsupported construct
        else:
            c.src.error("E201", node)
        return
    expr(c, node.value)


def s_global(c: CheckContext, node: ast.Global) -> None:
    """``global g``: allows assigning module global ``g``."""
    for name in node.names:
        if name not in c.info.globals:
            c.src.error("E202", node, name=name)
        c.declared_globals.add(name)


def s_break(c: CheckContext, node: ast.Break) -> None:
    """``break`` inside a loop."""
    _in_loop(c, node)
    refs.at_iteration_end(c, node, "breaks out of the loop")
    c.flow.dead = True


def s_continue(c: CheckContext, node: ast.Continue) -> None:
    """``continue`` inside a loop."""
    _in_loop(c, node)
    refs.at_iteration_end(c, node, "continues with the next iteration")
    c.flow.dead = True


def _in_loop(c: CheckContext, node: ast.stmt) -> None:
    if c.loop_depth == 0:
        c.src.error("E203", node, what=type(node).__name__.lower())


def s_return(c: CheckContext, node: ast.Return) -> None:
    """``return [value]``: a program returns an integer, a function its declared type."""
    if c.iter_loops:           # the iterator would never be destroyed: the verifier refuses
        c.src.error("E098", node, line=c.iter_loops[-1].lineno)
    ret = c.fi.ret
    if node.value is None:
        if ret is not None and c.fi.fdef.section is None:
            c.src.error("E204", node, type=ret)
    elif c.fi.fdef.section is not None:
        t = expr(c, node.value, i64 if flexible(c, node.value) else None)
        if t is not ERR and not (is_int(t) or t is BOOL):
            c.src.error("E205", node.value, type=t)
    elif ret is None:
        c.src.error("E206", node.value, name=c.fi.name)
    else:
        value_into(c, node.value, ret, "return value")
    refs.at_exit(c, node, "returns")
    c.flow.dead = True


def s_delete(c: CheckContext, node: ast.Delete) -> None:
    """``del m[k]`` on a hash map."""
    for t in node.targets:
        m = map_of(c, t.value) if isinstance(t, ast.Subscript) else None
        if m is None or not m.type.kind.deletable or not isinstance(t, ast.Subscript):
            c.src.error("E207", t)
            continue
        key_expr(c, t.slice, m)

# ------------------------------------------------------------------ assignment


def s_if(c: CheckContext, node: ast.If) -> None:
    """``if``: each branch under what the test tells; the flows join after."""
    cond(c, node.test)
    before = c.flow.copy()
    guard = core_test(c, node.test)
    c.core_guard += guard
    assume(c, node.test, True)
    block(c, node.body)
    after_body = c.flow
    c.flow = before.copy()
    assume(c, node.test, False)
    block(c, node.orelse)
    c.core_guard -= guard
    refs.join(c, node, [after_body, c.flow])
    c.flow = Flow.join([after_body, c.flow])


def s_while(c: CheckContext, node: ast.While) -> None:
    """``while``: refused (E090), loops are ``for i in range(...)``."""
    c.src.error("E090", node)


RULES: dict[type, StmtRule] = {ast.Pass: s_pass, ast.Expr: s_expr, ast.Global: s_global, ast.Break: s_break,
         ast.Continue: s_continue, ast.Return: s_return, ast.Delete: s_delete, ast.If: s_if,
         ast.While: s_while, ast.For: check_for, ast.With: s_with}
