"""Acquire/release: ring-buffer records from ``events.reserve()`` must be submitted or
discarded exactly once on every path, and never used after.

The verifier tracks every reservation as a reference (``ref_obj_id``) and refuses a program
that can exit still holding one ("Unreleased reference") or that touches a record after
``bpf_ringbuf_submit``/``bpf_ringbuf_discard`` (the register is invalidated).  These rules
prove the same on the Python source, path by path, with the flow facts of ``flow.py``:
``Flow.held`` names the reservations live on the current path and ``Flow.released`` the
names already given back.  A reservation is tracked by the name it is bound to, so the
record may not be bound to a second name or handed to a function.
"""
from __future__ import annotations

import ast

from ...types import BpfType, RefType, u64
from ..flow import Flow
from ...model.items import MapDef
from ...model.typed import ERR
from . import alloc, kfuncs
from .context import CheckContext, nargs
from .expressions import expr, value_into

RINGBUF = "ringbuf"                  # RefType.space of a reserved record


def reserve(c: CheckContext, node: ast.Call, m: MapDef) -> BpfType:
    """``rec = events.reserve()``: a reference to a zeroed-or-not ``event`` record, or None."""
    if not nargs(c, node, 0, f"{m.name}.reserve"):
        return ERR
    if m.event is None:
        c.src.error("E075", node, map=m.name)
        return ERR
    s = c.node
    if not (isinstance(s, ast.Assign) and s.value is node and len(s.targets) == 1
            and isinstance(s.targets[0], ast.Name)):
        c.src.error("E076", node, map=m.name)
        return ERR
    return RefType(m.event, True, RINGBUF)


def bound(c: CheckContext, name: str, value: ast.expr) -> None:
    """``name`` was (re)bound to ``value``: a reservation starts, an old one must be over."""
    held = c.flow.held.get(name)
    if held is not None:
        _leak(c, name, held, f"line {value.lineno} binds {name!r} again while it is still "
                             f"reserved")
        c.flow.held.pop(name)
    c.flow.released.pop(name, None)
    alloc.bound_graph_ref(c, name, value)
    call = c.fi.calls.get(value) if isinstance(value, ast.Call) else None
    if isinstance(value, ast.Call) and call is not None and call.kind == "map_method" and \
            call.name == "reserve":
        c.flow.held[name] = value
    elif isinstance(value, ast.Call) and kfuncs.acquires(c, value):
        c.flow.held[name] = value
    elif alloc.owning_call(c, value):
        c.flow.held[name] = alloc.taken_or_none(value) or value     # type: ignore[assignment]


def release(c: CheckContext, node: ast.Call, m: MapDef) -> BpfType:
    """``events.submit(rec[, flags])`` / ``events.discard(rec[, flags])`` as a statement."""
    meth = node.func.attr                              # type: ignore[attr-defined]
    if not nargs(c, node, (1, 2), f"{m.name}.{meth}"):
        return ERR
    if len(node.args) == 2:
        value_into(c, node.args[1], u64, "flags")
    arg = node.args[0]
    name = arg.id if isinstance(arg, ast.Name) else ""
    s = c.node
    ok = isinstance(s, ast.Expr) and s.value is node
    if not ok:
        c.src.error("E077", node, map=m.name, meth=meth, why="is a statement of its own")
    elif expr(c, arg) is ERR:                          # E070 / E078 name it already
        ok = False
    held = c.flow.held.pop(name, None)
    if held is not None:               # released from here on, even after an error
        c.flow.released[name] = node
    if not ok:
        return ERR
    if held is None or _map_name(held) != m.name:
        c.src.error("E077", arg, map=m.name, meth=meth,
                    why=f"takes a record reserved from {m.name!r} by its name")
        return ERR
    if c.loop_held and name in c.loop_held[-1]:
        c.src.error("E079", node, name=name, line=held.lineno, map=m.name)
        c.loop_released.add(name)      # reported: not a leak after the loop as well
    return u64


def no_alias(c: CheckContext, node: ast.expr, what: str) -> None:
    """E080 when ``node`` is a reserved record bound to a second name or passed on."""
    if alloc.no_alias(c, node, what):
        return
    t = c.fi.types.get(node)
    if isinstance(node, ast.Name) and isinstance(t, RefType) and t.space == RINGBUF:
        c.src.error("E080", node, name=node.id, what=what)


def at_exit(c: CheckContext, node: ast.stmt, how: str) -> None:
    """Leaving the function (``return`` or the end of the body) with a reservation held."""
    for name, held in c.flow.held.items():
        _leak(c, name, held, f"line {_last_line(node)} {how} while {name!r} is still reserved")


def at_iteration_end(c: CheckContext, node: ast.stmt, how: str) -> None:
    """Leaving a loop iteration (``break``, ``continue``, the body's end): every record
    reserved in this iteration must be released by now."""
    if not c.loop_held:
        return
    outer = c.loop_held[-1]
    for name, held in c.flow.held.items():
        if name not in outer and (alloc.is_alloc_call(c, held) or kfuncs.acquires(c, held)):
            _leak(c, name, held, f"line {_last_line(node)} {how}, and the object was "
                                 f"allocated in this iteration")
        elif name not in outer:
            c.src.error("E074", held, name=name, map=_map_name(held),
                        where=f"line {_last_line(node)} {how}")


def join(c: CheckContext, node: ast.If, flows: list[Flow]) -> None:
    """Where branches meet, a record released on one live branch must be released (or
    known None) on the others: afterwards no single statement could be right for both."""
    live = [f for f in flows if not f.dead]
    for f in live:
        for name, held in list(f.held.items()):
            if any(name in g.released for g in live if g is not f):
                _leak(c, name, held, f"the if at line {node.lineno} releases it on one branch "
                                     f"only")
                f.held.pop(name)


def _leak(c: CheckContext, name: str, held: ast.Call, where: str) -> None:
    if kfuncs.acquires(c, held):
        c.src.error("E279", held, what=f"{name!r} holds a task from helpers.task_from_pid "
                    f"that is not released on every path: "
                    f"{where.replace('reserved', 'held')} (call helpers.task_release({name}) "
                    f"before)")
        return
    if alloc.is_alloc_call(c, held):
        extra = c.fi.calls[held].extra                # a struct, or the root it came from
        c.src.error("E315", held, name=name, type=getattr(extra, "target", extra).name,
                    where=where.replace("reserved", "owned"))
        return
    c.src.error("E073", held, name=name, map=_map_name(held), where=where)


def _map_name(call: ast.Call) -> str:
    return ast.unparse(call.func.value)                # type: ignore[attr-defined]


def _last_line(node: ast.stmt) -> int:
    return getattr(node, "end_lineno", None) or node.lineno
