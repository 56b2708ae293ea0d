"""Value ranges for array-index proofs, and narrowing facts from conditions."""
from __future__ import annotations

import ast

from ...types import BoolType, IntType
from .context import CheckContext


def value_range(c: CheckContext, node: ast.expr) -> tuple[int, int] | None:
    """Inclusive bounds of ``node``'s value, or None when nothing is known."""
    if node in c.fi.consts:
        v = c.fi.consts[node]
        return v, v
    t = c.fi.types.get(node)
    r = range_of(c, node)
    if isinstance(t, IntType):
        if r is None:
            return t.min, t.max
        lo, hi = r
        if lo < t.min or hi > t.max:     # wrapped: nothing known beyond the type
            return t.min, t.max
    if isinstance(t, BoolType):
        return 0, 1
    return r


def range_of(c: CheckContext, node: ast.expr) -> tuple[int, int] | None:
    """What the flow facts and the operators tell about ``node`` (None: nothing)."""
    if isinstance(node, ast.Name):
        if node.id in c.flow.ranges:
            return c.flow.ranges[node.id]
        return None
    if isinstance(node, ast.BinOp):
        return binop_range(c, node)
    if isinstance(node, ast.IfExp):
        return ifexp_range(c, node)
    if isinstance(node, ast.Call) and node in c.fi.calls:
        call = c.fi.calls[node]
        if call.kind == "builtin" and call.name in ("min", "max"):
            rs = [value_range(c, a) for a in node.args]
            if all(rs):
                f = min if call.name == "min" else max
                return f(r[0] for r in rs), f(r[1] for r in rs)  # type: ignore[index]
        if call.kind == "builtin" and call.name == "len":
            v = call.extra
            return v, v
        if call.kind == "cast" and node.args:
            r = value_range(c, node.args[0])
            t = call.type
            if r and isinstance(t, IntType) and t.fits(r[0]) and t.fits(r[1]):
                return r
    return None


def ifexp_range(c: CheckContext, node: ast.IfExp) -> tuple[int, int] | None:
    """``a if c else b``: each arm bounded under what ``c`` (or ``not c``) tells."""
    arms = []
    for arm, truth in ((node.body, True), (node.orelse, False)):
        saved = c.flow
        c.flow = saved.copy()
        try:
            assume(c, node.test, truth)
            arms.append(value_range(c, arm))
        finally:
            c.flow = saved
    if arms[0] is None or arms[1] is None:
        return None
    return min(arms[0][0], arms[1][0]), max(arms[0][1], arms[1][1])


def binop_range(c: CheckContext, node: ast.BinOp) -> tuple[int, int] | None:
    """Bounds of ``a op b`` from the bounds of its operands."""
    a, b = value_range(c, node.left), value_range(c, node.right)
    op = node.op
    if isinstance(op, ast.BitAnd):
        # x & m never exceeds a non-negative operand: the tighter of the two bounds
        his = [r[1] for r in (a, b) if r and r[0] >= 0]
        return (0, min(his)) if his else None
    if isinstance(op, ast.Mod) and b and b[0] > 0:
        return 0, b[1] - 1
    if a is None or b is None:
        return None
    if isinstance(op, ast.Add):
        return a[0] + b[0], a[1] + b[1]
    if isinstance(op, ast.Sub):
        return a[0] - b[1], a[1] - b[0]
    if isinstance(op, ast.Mult):
        ps = [x * y for x in a for y in b]
        return min(ps), max(ps)
    if isinstance(op, ast.FloorDiv) and b[0] > 0 and a[0] >= 0:
        return a[0] // b[1], a[1] // b[0]
    if isinstance(op, ast.RShift) and a[0] >= 0 and b[0] >= 0:
        return a[0] >> b[1], a[1] >> b[0]
    return None

# ------------------------------------------------------------------ narrowing
def assume(c: CheckContext, cond: ast.expr, truth: bool) -> None:
    """Record what holds when ``cond`` evaluates to ``truth``."""
    if isinstance(cond, ast.UnaryOp) and isinstance(cond.op, ast.Not):
        assume(c, cond.operand, not truth)
    elif isinstance(cond, ast.BoolOp):
        if isinstance(cond.op, ast.And) == truth:     # every operand has that truth
            for v in cond.values:
                assume(c, v, truth)
    elif isinstance(cond, ast.Name):
        loc = c.fi.locals.get(cond.id)
        if loc is not None and loc.nullable and truth:
            c.flow.nonnull.add(cond.id)
        elif loc is not None and loc.nullable:
            c.flow.held.pop(cond.id, None)          # a failed reserve holds nothing
    elif isinstance(cond, ast.Compare):
        left = cond.left
        for op, right in zip(cond.ops, cond.comparators):
            assume_cmp(c, left, op, right, truth)
            left = right


def assume_cmp(c: CheckContext, left: ast.expr, op: ast.cmpop, right: ast.expr, truth: bool) -> None:
    """Narrow a name compared with something of known range."""
    if isinstance(op, (ast.Is, ast.IsNot)):
        if isinstance(left, ast.Name) and isinstance(right, ast.Constant) and right.value is None:
            if isinstance(op, ast.IsNot) == truth:
                c.flow.nonnull.add(left.id)
            else:
                c.flow.held.pop(left.id, None)      # a failed reserve holds nothing
        return
    k: type[ast.cmpop] = type(op)
    if not truth:
        negated = _NEGATE.get(k)
        if negated is None:
            return
        k = negated
    for name_node, other, kind in ((left, right, k), (right, left, _FLIP.get(k))):
        if isinstance(name_node, ast.Name) and kind is not None:
            r = value_range(c, other)
            own = value_range(c, name_node)
            if r is None or own is None:
                continue
            lo, hi = own
            if kind is ast.Lt:
                hi = min(hi, r[1] - 1)
            elif kind is ast.LtE:
                hi = min(hi, r[1])
            elif kind is ast.Gt:
                lo = max(lo, r[0] + 1)
            elif kind is ast.GtE:
                lo = max(lo, r[0])
            elif kind is ast.Eq:
                lo, hi = max(lo, r[0]), min(hi, r[1])
            else:
                continue
            c.flow.narrow(name_node.id, lo, hi)


_NEGATE = {ast.Lt: ast.GtE, ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.GtE: ast.Lt, ast.NotEq: ast.Eq}
_FLIP = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE, ast.Eq: ast.Eq}
