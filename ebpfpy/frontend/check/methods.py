"""Typing method calls: map methods, ``ctx.load``, ``events.output``, timers."""
from __future__ import annotations

import ast
from typing import Any

from ...map_kinds import MapKind
from ...types import BOOL, TIMER, ArrayType, GraphRootType, BpfType, IntType, RefType, StructType, i64, u32, u64
from ..contexts import packet_load_overrun
from ...model.items import MapDef
from ...model.typed import ERR, Call
from ..typeexpr import eval_type
from . import refs
from .alloc import graph_method
from .context import CheckContext, ctx_arg, is_ctx, nargs
from .packets import check_load_meta
from .expressions import expr, key_expr, value_into
from .ranges import value_range
from .symbols import map_of

TIMER_METHODS = {"init": 1, "set_callback": 1, "start": 1, "cancel": 0}


def check_method(c: CheckContext, node: ast.Call, func: ast.Attribute) -> BpfType:
    """``obj.meth(...)``: a map, ``ctx.load`` or a timer method."""
    m = map_of(c, func.value)
    if m is not None:
        return _map_method(c, node, func, m)
    if is_ctx(c, func.value) and func.attr == "load":
        return _ctx_load(c, node, func)
    if is_ctx(c, func.value) and func.attr == "load_meta":
        return check_load_meta(c, node, func)
    bt = expr(c, func.value)
    if bt is TIMER and func.attr in TIMER_METHODS:
        return _timer(c, node, func)
    if isinstance(bt, GraphRootType):
        return graph_method(c, node, func, bt)
    if bt is not ERR:
        c.src.error("E160", func, name=func.attr, type=bt.target if isinstance(bt, RefType) else bt)
    return ERR


def _map_method(c: CheckContext, node: ast.Call, func: ast.Attribute, m: MapDef) -> BpfType:
    """``m.lookup(k)``, ``m.get(k[, default])``, ``m.insert(k, v)``, ``m.replace(k, v)``,
    ``events.output(v)``, ``progs.tail_call(ctx, i)``."""
    kind = m.type.kind
    meth = func.attr
    if meth in ("insert", "replace") and kind.fixed_slots and kind.indexable:
        c.src.error("E175", func, kind=kind, name=meth, map=m.name)
        return ERR
    if meth not in kind.methods:
        c.src.error("E161", func, kind=kind, name=meth, ok=", ".join(sorted(kind.methods)) or "none")
        return ERR
    t = _MAP_RULES[meth](c, node, m)
    if t is not ERR:
        c.fi.calls[node] = Call("map_method", meth, t)
    return t


def _lookup(c: CheckContext, node: ast.Call, m: MapDef) -> BpfType:
    if not nargs(c, node, 1, f"{m.name}.lookup"):
        return ERR
    key_expr(c, node.args[0], m)
    return RefType(m.type.value_type, True, "map")


def _get(c: CheckContext, node: ast.Call, m: MapDef) -> BpfType:
    if not nargs(c, node, (1, 2), f"{m.name}.get"):
        return ERR
    key_expr(c, node.args[0], m)
    if len(node.args) == 2:
        value_into(c, node.args[1], m.type.value_type, "default")
    return m.type.value_type


def _write_if(c: CheckContext, node: ast.Call, m: MapDef) -> BpfType:
    """``m.insert(k, v)`` / ``m.replace(k, v)``: True when the kernel stored the value."""
    meth = node.func.attr                    # type: ignore[attr-defined]
    if not nargs(c, node, 2, f"{m.name}.{meth}"):
        return ERR
    key_expr(c, node.args[0], m)
    value_into(c, node.args[1], m.type.value_type, "value")
    return BOOL


def _output(c: CheckContext, node: ast.Call, m: MapDef) -> BpfType:
    """``rb.output(rec[, size])`` (RingBuf) or ``events.output(ctx, rec[, size])``
    (PerfEventArray); ``size``: only the record's first bytes (a record of variable length)."""
    perf = m.type.kind is MapKind.PERF_EVENT_ARRAY
    if not nargs(c, node, (2, 3) if perf else (1, 2), f"{m.name}.output"):
        return ERR
    if perf and not ctx_arg(c, node.args[0], "E180"):
        return ERR
    rec = node.args[1 if perf else 0]
    if not record_arg(c, rec, m):
        return ERR
    if len(node.args) == (3 if perf else 2):
        output_size(c, node.args[-1], rec)
    return i64


def output_size(c: CheckContext, size: ast.expr, rec: ast.expr) -> None:
    """The byte count of a record of variable length: unsigned, at most the record's size
    (a larger runtime value is cut to it); a constant must be 1..sizeof(rec)."""
    value_into(c, size, u64, "size")
    t = c.fi.types.get(rec)
    full = (t.target if isinstance(t, RefType) else t).size if t is not None else 0
    k = c.fi.consts.get(size)
    if k is not None and not 0 < k <= full:
        c.src.error("E195", size, n=k, full=full, type=t)


def record_arg(c: CheckContext, rec: ast.expr, m: MapDef) -> bool:
    """A record for ``m``: a struct, array or integer, of its ``event`` type when declared."""
    t = expr(c, rec)
    target = t.target if isinstance(t, RefType) else t
    if t is not ERR and not isinstance(target, (StructType, ArrayType, IntType)):
        c.src.error("E162", rec, type=target)
        return False
    if m.event is not None and target is not ERR and target != m.event:
        c.src.error("E163", rec, type=target, event=m.event, name=m.name)
    return True


def _tail_call(c: CheckContext, node: ast.Call, m: MapDef) -> BpfType:
    if not nargs(c, node, 2, f"{m.name}.tail_call"):
        return ERR
    if not ctx_arg(c, node.args[0], "E164"):
        return ERR
    value_into(c, node.args[1], u32, "index")
    return i64


def _get_stackid(c: CheckContext, node: ast.Call, m: MapDef) -> BpfType:
    """``stacks.get_stackid(ctx, flags)``: the id of the current stack in ``stacks``, or a
    negative error."""
    if not nargs(c, node, 2, f"{m.name}.get_stackid"):
        return ERR
    if not ctx_arg(c, node.args[0], "E183", what=f"{m.name}.get_stackid"):
        return ERR
    value_into(c, node.args[1], u64, "flags")
    return i64


_MAP_RULES = {"lookup": _lookup, "get": _get, "insert": _write_if, "replace": _write_if,
              "output": _output, "tail_call": _tail_call,
              "reserve": refs.reserve, "submit": refs.release, "discard": refs.release,
              "get_stackid": _get_stackid}


def _ctx_load(c: CheckContext, node: ast.Call, func: ast.Attribute) -> BpfType:
    if not c.fi.ctx_kind or c.fi.ctx_kind not in ("xdp", "tc", "socket", "cgroup_skb"):
        c.src.error("E165", func, kind=c.fi.ctx_kind or "this program")
        return ERR
    if not nargs(c, node, 2, "ctx.load"):
        return ERR
    t = eval_type(c.info, c.fold, node.args[0])
    if t is None:
        return ERR
    c.fi.types[func.value] = c.fi.ctx_type or u64
    value_into(c, node.args[1], u32, "offset")
    _packet_bounds(c, node, t)
    r = RefType(t, True, "packet")
    c.fi.calls[node] = Call("ctx_load", "", r, t)
    return r


def _packet_bounds(c: CheckContext, node: ast.Call, t: BpfType) -> None:
    """E166 when the load ends past MAX_PACKET_OFF (for T alone, or at a constant offset)."""
    rng = value_range(c, node.args[1])
    off = rng[0] if rng is not None and rng[0] == rng[1] else 0
    over = packet_load_overrun(t.size, off)
    if over is not None:
        at = node.args[0] if packet_load_overrun(t.size, 0) else node.args[1]
        c.src.error("E166", at, **over)


def _timer(c: CheckContext, node: ast.Call, func: ast.Attribute) -> BpfType:
    meth = func.attr
    if c.tracing:
        c.src.error("E170", func, kind=c.fi.fdef.section or "tracing")
        return ERR
    if not nargs(c, node, TIMER_METHODS[meth], f"timer.{meth}"):
        return ERR
    extra: Any = None
    if meth == "init":
        m = map_of(c, node.args[0])
        if m is None:
            c.src.error("E171", node.args[0])
            return ERR
        extra = m.name
    elif meth == "set_callback":
        fn = node.args[0]
        if not (isinstance(fn, ast.Name) and fn.id in c.info.functions):
            c.src.error("E172", fn)
            return ERR
        extra = fn.id
        c.fi.callees.add(fn.id)
        c.call_sites.setdefault(fn.id, node)
    elif meth == "start":
        value_into(c, node.args[0], u64, "nanoseconds")
    c.fi.calls[node] = Call("timer", meth, i64, extra)
    return i64
