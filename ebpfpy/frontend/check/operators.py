"""Typing operators: arithmetic, shifts, ``not``/``and``/``or``, comparisons, ``x if c else y``."""
from __future__ import annotations

import ast

from ...types import BOOL, ArrayType, BpfType, IntType, RefType, StructType
from ...model.typed import ERR, Sym, int_type, is_int
from .alloc import owning_call, taken_or_none
from .context import CheckContext, ExprRule, core_test
from .expressions import common, cond, expr, flexible, key_expr, unify
from .ranges import assume
from .symbols import map_of, not_released, nullable_name

COMPARE_OPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
ARITH_OPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod, ast.BitAnd, ast.BitOr, ast.BitXor)


def binop(c: CheckContext, node: ast.BinOp, expect: BpfType | None) -> BpfType:
    """``a op b``: shifts keep the left type; arithmetic unifies both operands."""
    op = node.op
    if isinstance(op, (ast.LShift, ast.RShift)):
        lt = expr(c, node.left, expect if flexible(c, node.left) else None)
        rt = expr(c, node.right)
        for t, n in ((lt, node.left), (rt, node.right)):
            if t is not ERR and not is_int(t):
                c.src.error("E111" if t is not BOOL else "E103", n, type=t)
                return ERR
        if lt is ERR or rt is ERR:
            return ERR
        count = c.fi.consts.get(node.right)
        bits = int_type(lt).bits
        if count is not None and not 0 <= count < bits:
            c.src.error("E043", node.right, count=count, type=lt, bits=bits)
            return ERR
        return lt
    if isinstance(op, ast.Div):
        c.src.error("E101", node)
        return ERR
    if not isinstance(op, ARITH_OPS):
        c.src.error("E100", node, what=f"the operator {_opname(op)}")
        return ERR
    return unify(c, node.left, node.right, expect, node)


def unaryop(c: CheckContext, node: ast.UnaryOp, expect: BpfType | None) -> BpfType:
    """``-x``, ``~x``, ``not x``."""
    if isinstance(node.op, ast.Not):
        cond(c, node.operand)
        return BOOL
    t = expr(c, node.operand, expect if flexible(c, node.operand) else None)
    if t is ERR:
        return ERR
    if not is_int(t):
        c.src.error("E111" if t is not BOOL else "E103", node.operand, type=t)
        return ERR
    return t


def boolop(c: CheckContext, node: ast.BoolOp, expect: BpfType | None) -> BpfType:
    """``a and b``, ``a or b`` on bools (narrowing as it goes)."""
    saved = c.flow.copy()
    for v in node.values:
        t = expr(c, v)
        if t is not BOOL and t is not ERR:
            c.src.error("E104", v, op=type(node.op).__name__.lower(), type=t)
        assume(c, v, isinstance(node.op, ast.And))
    c.flow = saved
    return BOOL


def compare(c: CheckContext, node: ast.Compare, expect: BpfType | None) -> BpfType:
    """``a < b``, chains, ``x is None``, ``k in m``."""
    left = node.left
    saved = c.flow.copy()
    for op, right in zip(node.ops, node.comparators):
        if isinstance(op, (ast.Is, ast.IsNot)):
            _is_none(c, left, right, node)
        elif isinstance(op, (ast.In, ast.NotIn)):
            _contains(c, left, right, node)
        elif isinstance(op, COMPARE_OPS):
            ta = c.fi.types.get(left) if left is not node.left else None
            if ta is None:
                unify(c, left, right, None, node)
            else:
                tb = expr(c, right, ta if flexible(c, right) else None)
                common(c, ta, tb, left, right, node)
        else:
            c.src.error("E100", node, what=f"the operator {_opname(op)}")
        assume(c, ast.Compare(left=left, ops=[op], comparators=[right]), True)
        left = right
    c.flow = saved
    return BOOL


def _is_none(c: CheckContext, left: ast.expr, right: ast.expr, node: ast.AST) -> None:
    if not (isinstance(right, ast.Constant) and right.value is None):
        c.src.error("E112", node)
        return
    if isinstance(left, ast.Name) and nullable_name(c, left):
        not_released(c, left)
        loc = c.fi.locals[left.id]
        c.fi.types[left] = loc.type
        c.fi.names[left] = Sym("local", loc)
        c.fi.types[right] = loc.type
        return
    ref = c.fi.locals.get(left.id) if isinstance(left, ast.Name) else None
    if ref is not None and ref.mode == "ref" and ref.space in ("kernel", "probe"):
        # a kernel pointer may be NULL (reading through it then gives zeros): testing it
        # is allowed and never required
        c.fi.types[left] = ref.type
        c.fi.names[left] = Sym("local", ref)
        c.fi.types[right] = ref.type
        return
    if ref is not None and ref.type is ERR:     # its binding was reported already
        return
    if isinstance(left, ast.Call):      # e.g. helpers.obj_new(T) is None: E314 names the fix
        n = len(c.src.errors)
        t = expr(c, left)
        if len(c.src.errors) > n:
            return
        rec = c.fi.calls.get(left)
        if rec is not None and rec.kind == "map_method" and rec.name == "lookup":
            # `if m.lookup(k) is None:` tests presence; the reference itself is not kept
            c.fi.types[right] = t
            return
    c.src.error("E113", left)


def _contains(c: CheckContext, left: ast.expr, right: ast.expr, node: ast.AST) -> None:
    m = map_of(c, right)
    if m is None:
        c.src.error("E114", right)
        return
    c.fi.types[right] = m.type
    key_expr(c, left, m)


def ifexp(c: CheckContext, node: ast.IfExp, expect: BpfType | None) -> BpfType:
    """``a if c else b``: two integers (or two bools); ``v.tree.pop_first() if c else None``
    takes an object out only when ``c`` holds (see ``alloc.taken_or_none``)."""
    cond(c, node.test)
    if taken_or_none(node) is not None:
        saved = c.flow.copy()
        assume(c, node.test, True)
        t = expr(c, node.body)
        c.flow = saved
        if t is ERR:
            return ERR
        if isinstance(t, RefType) and t.nullable and owning_call(c, node.body):
            c.fi.types[node.orelse] = t
            return t
        c.src.error("E115", node)
        return ERR
    saved = c.flow.copy()
    guard = core_test(c, node.test)
    c.core_guard += guard
    assume(c, node.test, True)
    consts_only = flexible(c, node.body) and flexible(c, node.orelse)
    exp = expect if consts_only and isinstance(expect, IntType) else None
    tb = expr(c, node.body, exp) if not flexible(c, node.body) or exp else None
    c.flow = saved.copy()
    assume(c, node.test, False)
    if tb is None:
        to = expr(c, node.orelse, exp)
        tb = expr(c, node.body, to if is_int(to) and flexible(c, node.body) else None)
    else:
        to = expr(c, node.orelse, tb if is_int(tb) and flexible(c, node.orelse) else None)
    c.core_guard -= guard
    c.flow = saved
    if tb is BOOL and to is BOOL:
        return BOOL
    if isinstance(tb, (StructType, ArrayType, RefType)) or isinstance(to, (StructType, ArrayType, RefType)):
        c.src.error("E115", node)
        return ERR
    return common(c, tb, to, node.body, node.orelse, node)


def _opname(op: ast.AST) -> str:
    return {"MatMult": "@", "Pow": "**", "Div": "/", "Is": "is", "IsNot": "is not",
            "In": "in", "NotIn": "not in"}.get(type(op).__name__, type(op).__name__)


RULES: dict[type, ExprRule] = {ast.BinOp: binop, ast.UnaryOp: unaryop, ast.BoolOp: boolop, ast.Compare: compare,
         ast.IfExp: ifexp}
