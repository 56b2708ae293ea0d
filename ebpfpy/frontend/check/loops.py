"""``for i in range(...)``: bounds, the loop variable's type and range, the trip bound."""
from __future__ import annotations

import ast

from ...types import IntType, i64
from ..flow import Flow, assigned_names
from ..typed import ERR, Local, LoopInfo, Sym, is_int
from .context import CheckContext, block
from .expressions import common, expr
from .ranges import range_of


def check_for(c: CheckContext, node: ast.For) -> None:
    if node.orelse:
        c.src.error("E093", node.orelse[0])
    if not isinstance(node.target, ast.Name):
        c.src.error("E092", node.target)
        return
    it = node.iter
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
            and "range" not in c.fi.locals):
        c.src.error("E096", it)
        return
    if it.keywords or not 1 <= len(it.args) <= 3:
        c.src.error("E097", it)
        return
    args = it.args
    start = args[0] if len(args) > 1 else None
    stop = args[1] if len(args) > 1 else args[0]
    step = 1
    if len(args) == 3:
        s = c.fold.try_fold(args[2])
        if s is None or s == 0:
            c.src.error("E091", args[2])
            return
        step = s
        c.fi.types[args[2]] = i64
        c.fi.consts[args[2]] = s
    bounds = _bounds(c, [b for b in (start, stop) if b is not None])
    if bounds is None:
        return
    vt, ranges = bounds
    (lo_start, hi_start) = ranges[0] if start is not None else (0, 0)
    (lo_stop, hi_stop) = ranges[-1]
    if step > 0:
        var_lo, var_hi = lo_start, hi_stop - 1
        trip = max(0, -(-(hi_stop - lo_start) // step))
    else:
        var_lo, var_hi = lo_stop + 1, hi_start
        trip = max(0, -(-(hi_start - lo_stop) // -step))
    name = node.target.id
    loc = c.fi.locals.get(name)
    if loc is None:
        loc = Local(name, vt, "value", node)
        c.fi.locals[name] = loc
    elif loc.mode != "value" or loc.type != vt:
        if not (isinstance(loc.type, IntType) and _fits(loc.type, var_lo, var_hi)):
            c.src.error("E210", node.target, name=name, type=loc.type)
            return
    c.fi.names[node.target] = Sym("local", loc)
    c.fi.types[node.target] = loc.type
    constant_bounds = all(c.fold.is_constant_expr(b) for b in args[:2])
    c.fi.loops[node] = LoopInfo(start if start is not None else 0, stop, step, loc.type,
                                trip)
    # flow: facts about names the body rebinds do not hold on the back edge
    assigned = assigned_names(node.body)
    entry = c.flow.copy()
    for n in assigned | {name}:
        entry.forget(n)
    c.flow = entry.copy()
    if var_lo <= var_hi:
        c.flow.ranges[name] = (var_lo, var_hi)
    saved_lv = c.loop_vars.get(name)
    if constant_bounds and var_lo >= 0 and var_lo <= var_hi:
        c.loop_vars[name] = (var_lo, var_hi)
    c.loop_depth += 1
    block(c, node.body)
    c.loop_depth -= 1
    if saved_lv is None:
        c.loop_vars.pop(name, None)
    else:
        c.loop_vars[name] = saved_lv
    c.flow = Flow.join([entry])
    c.flow.forget(name)


def _bounds(c: CheckContext, exprs: list[ast.expr]) -> tuple[IntType, list[tuple[int, int]]] | None:
    """Type the bounds together; every runtime bound must have a known range (a cap)."""
    runtime = [e for e in exprs if not c.fold.is_constant_expr(e)]
    vt: IntType = i64
    for e in runtime:
        t = expr(c, e)
        if t is ERR:
            return None
        if not is_int(t):
            c.src.error("E111", e, type=t)
            return None
        if vt is i64 and e is runtime[0]:
            vt = t
        else:
            ct = common(c, vt, t, runtime[0], e, e)
            if ct is ERR:
                return None
            vt = ct
    for e in exprs:
        if c.fold.is_constant_expr(e):
            if expr(c, e, vt) is ERR:
                return None
    ranges = []
    for e in exprs:
        if e in c.fi.consts:
            v = c.fi.consts[e]
            ranges.append((v, v))
            continue
        r = range_of(c, e)
        t = c.fi.types.get(e)
        if r is None and isinstance(t, IntType) and t.bits <= 16:
            r = (t.min, t.max)          # a u8 / u16 bound is small by its type
        if r is None:
            c.src.error("E094", e, expr=ast.unparse(e))
            return None
        ranges.append(r)
    return vt, ranges


def _fits(t: IntType, lo: int, hi: int) -> bool:
    return t.fits(lo) and t.fits(hi)

