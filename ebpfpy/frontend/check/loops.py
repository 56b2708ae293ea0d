"""``for i in range(...)``: bounds, the loop variable's type and range, the trip bound;
``for i in helpers.iter_num(a, b)``: an open-coded iterator (``lower/iters.py``)."""
from __future__ import annotations

import ast

from ...types import IntType, i32, i64
from ..flow import Flow, assigned_names
from ...model.typed import ERR, Local, LoopInfo, LoopStrategy, Sym, int_type, is_int
from . import refs
from .context import CheckContext, block, nargs
from .expressions import common, expr, value_into
from .ranges import range_of


def check_for(c: CheckContext, node: ast.For) -> None:
    """``for i in range(...)``: the bounds need known ranges; the body is checked once."""
    if node.orelse:
        c.src.error("E093", node.orelse[0])
    if not isinstance(node.target, ast.Name):
        c.src.error("E092", node.target)
        return
    if isinstance(node.iter, ast.Call) and c.info.names.dsl(node.iter.func) == "helpers.iter_num":
        _iter_num(c, node, node.iter)
        return
    parsed = _range_call(c, node.iter)
    if parsed is None:
        return
    start, stop, step = parsed
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
    loc = _loop_var(c, node, vt, var_lo, var_hi)
    if loc is None:
        return
    c.fi.loops[node] = LoopInfo(start if start is not None else 0, stop, step, int_type(loc.type), trip)
    constant = all(c.fold.is_constant_expr(b) for b in (start, stop) if b is not None)
    _body(c, node, (var_lo, var_hi), constant)


def _iter_num(c: CheckContext, node: ast.For, it: ast.Call) -> None:
    """``for i in helpers.iter_num(a, b)``: ``i`` is an i32 from a to b - 1 (nothing when
    ``b - a`` is negative or over 2**23).  The verifier does not learn the value's range
    from the kfunc, so neither does the checker: an index needs a guard."""
    if not nargs(c, it, 2, "helpers.iter_num"):
        return
    for a in it.args:
        value_into(c, a, i32, "iter_num bound")
    loc = _loop_var(c, node, i32, i32.min, i32.max)
    if loc is None:
        return
    # verified by convergence: the body is walked a few times, whatever the count
    c.fi.loops[node] = LoopInfo(it.args[0], it.args[1], 1, i32, 1, LoopStrategy.ITER_NUM)
    c.iter_loops.append(node)
    _body(c, node, (i32.min, i32.max), False)
    c.iter_loops.pop()


def _range_call(c: CheckContext, it: ast.expr) -> tuple[ast.expr | None, ast.expr, int] | None:
    """(start or None, stop, constant step) of ``range(...)``, or None after an error."""
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
            and "range" not in c.fi.locals):
        c.src.error("E096", it)
        return None
    if it.keywords or not 1 <= len(it.args) <= 3:
        c.src.error("E097", it)
        return None
    args = it.args
    step = 1
    if len(args) == 3:
        s = c.fold.try_fold(args[2])
        if s is None or s == 0:
            c.src.error("E091", args[2])
            return None
        step = s
        c.fi.types[args[2]] = i64
        c.fi.consts[args[2]] = s
    return (args[0] if len(args) > 1 else None), (args[1] if len(args) > 1 else args[0]), step


def _loop_var(c: CheckContext, node: ast.For, vt: IntType, lo: int, hi: int) -> Local | None:
    """The loop variable: new, or an existing integer local its values fit."""
    target = node.target
    assert isinstance(target, ast.Name)
    name = target.id
    loc = c.fi.locals.get(name)
    if loc is None:
        loc = Local(name, vt, "value", node)
        c.fi.locals[name] = loc
    elif loc.mode != "value" or loc.type != vt:
        if not (isinstance(loc.type, IntType) and _fits(loc.type, lo, hi)):
            c.src.error("E210", target, name=name, type=loc.type)
            return None
    c.fi.names[target] = Sym("local", loc)
    c.fi.types[target] = loc.type
    return loc


def _body(c: CheckContext, node: ast.For, var: tuple[int, int], constant: bool) -> None:
    """Check the body once, with the facts that hold on every iteration."""
    name = node.target.id              # type: ignore[attr-defined]
    var_lo, var_hi = var
    # flow: facts about names the body rebinds do not hold on the back edge
    entry = c.flow.copy()
    for n in assigned_names(node.body) | {name}:
        entry.forget(n)
    c.flow = entry.copy()
    if var_lo <= var_hi:
        c.flow.ranges[name] = var
    saved_lv = c.loop_vars.get(name)
    if constant and var_lo >= 0 and var_lo <= var_hi:
        c.loop_vars[name] = var         # a flexible operand, like a constant
    c.loop_depth += 1
    c.loop_held.append(set(entry.held))
    block(c, node.body)
    if not c.flow.dead:
        refs.at_iteration_end(c, node.body[-1], "ends the loop body")
    c.loop_held.pop()
    c.loop_depth -= 1
    if saved_lv is None:
        c.loop_vars.pop(name, None)
    else:
        c.loop_vars[name] = saved_lv
    c.flow = Flow.join([entry])
    c.flow.forget(name)
    for n in c.loop_released:
        c.flow.held.pop(n, None)


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
            if not isinstance(ct, IntType):
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
        et = c.fi.types.get(e)
        if r is None and isinstance(et, IntType) and et.bits <= 16:
            r = (et.min, et.max)        # a u8 / u16 bound is small by its type
        if r is None:
            c.src.error("E094", e, expr=ast.unparse(e))
            return None
        ranges.append(r)
    return vt, ranges


def _fits(t: IntType, lo: int, hi: int) -> bool:
    return t.fits(lo) and t.fits(hi)

