"""Typing memory a program allocates: ``helpers.obj_new(T)``, ``helpers.obj_drop(n)`` and
``helpers.kptr_xchg(v.slot, n)`` (kfuncs ``bpf_obj_new_impl`` / ``bpf_obj_drop_impl`` and the
helper ``bpf_kptr_xchg``).

The verifier tracks an allocated object as an owned reference: the program must drop it or
hand it to a map (a ``Kptr`` slot, a tree, a list) on every path, and the register is dead
once it is handed over.  The ownership rules ride on the acquire/release flow facts of
``refs.py`` (``Flow.held`` / ``Flow.released``): an owned object is tracked by the name it is
bound to, exactly like a reserved ring-buffer record.
"""
from __future__ import annotations

import ast

from ...model.helper_table import Helper
from ...model.typed import ERR, Call
from ...types import NONE, BpfType, KptrType, RefType, StructType
from .context import CheckContext, nargs
from .expressions import expr

ALLOC = "alloc"                      # RefType.space of an allocated object
# Calls whose result the program owns (released by obj_drop or a store).
OWNING = frozenset({"obj_new", "kptr_xchg", "rb_remove", "list_pop_front", "list_pop_back"})


def is_alloc_call(c: CheckContext, node: ast.AST) -> bool:
    """True when ``node`` is a call that acquires or releases an allocated object."""
    rec = c.fi.calls.get(node) if isinstance(node, ast.Call) else None
    return rec is not None and rec.kind == ALLOC


def owning_call(c: CheckContext, node: ast.AST) -> bool:
    """True when ``node`` is a call whose result the program owns."""
    rec = c.fi.calls.get(node) if isinstance(node, ast.Call) else None
    return rec is not None and rec.kind == ALLOC and rec.name in OWNING


def _bound_alone(c: CheckContext, node: ast.Call) -> bool:
    """True when ``node`` is the whole value of ``name = node``."""
    s = c.node
    return isinstance(s, ast.Assign) and s.value is node and len(s.targets) == 1 and \
        isinstance(s.targets[0], ast.Name)


def _statement_alone(c: CheckContext, node: ast.Call) -> bool:
    s = c.node
    return isinstance(s, ast.Expr) and s.value is node


def obj_new(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    """``n = helpers.obj_new(Node)``: a zeroed ``Node`` the program owns, or None."""
    if not nargs(c, node, 1, "helpers.obj_new"):
        return ERR
    arg = node.args[0]
    st = c.info.structs.get(arg.id) if isinstance(arg, ast.Name) else None
    if st is None:
        c.src.error("E313", arg, what=ast.unparse(arg))
        return ERR
    if not _bound_alone(c, node):
        c.src.error("E314", node, what=f"helpers.obj_new({st.name})")
        return ERR
    t = RefType(st, True, ALLOC)
    c.fi.calls[node] = Call(ALLOC, "obj_new", t, st)
    return t


def owned_arg(c: CheckContext, arg: ast.expr, what: str) -> tuple[str, StructType] | None:
    """The owned object named by ``arg`` (checked non-None), released from here on."""
    t = expr(c, arg)
    if t is ERR:                                 # E070 / E316 name it already
        c.flow.held.pop(arg.id if isinstance(arg, ast.Name) else "", None)
        return None
    name = arg.id if isinstance(arg, ast.Name) else ""
    held = c.flow.held.get(name)
    if not (isinstance(t, RefType) and t.space == ALLOC and isinstance(t.target, StructType)) \
            or held is None or not owning_call(c, held):
        c.src.error("E317", arg, what=what, what_short=what.split("(")[0])
        return None
    return name, t.target


def release(c: CheckContext, name: str, node: ast.Call) -> None:
    """``name`` was given away by ``node``: not owned, and not usable, from here on."""
    c.flow.held.pop(name, None)
    c.flow.released[name] = node
    if c.loop_held and name in c.loop_held[-1]:
        c.src.error("E318", node, name=name, what="given away inside a loop that began after "
                                                 "it was allocated (a later iteration would "
                                                 "use it again)")
        c.loop_released.add(name)


def obj_drop(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    """``helpers.obj_drop(n)`` as a statement: frees an owned object."""
    if not nargs(c, node, 1, "helpers.obj_drop"):
        return ERR
    if not _statement_alone(c, node):
        c.src.error("E314", node, what="helpers.obj_drop(n)")
        return ERR
    owned = owned_arg(c, node.args[0], "helpers.obj_drop(n)")
    if owned is None:
        return ERR
    c.fi.calls[node] = Call(ALLOC, "obj_drop", NONE, owned[1])
    release(c, owned[0], node)
    return NONE


def kptr_xchg(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    """``old = helpers.kptr_xchg(v.slot, n)``: store ``n`` (or None) in a map value's
    ``Kptr`` field and own what it held before (or None)."""
    if not nargs(c, node, 2, "helpers.kptr_xchg"):
        return ERR
    slot, new = node.args
    st = _kptr_slot(c, slot)
    if st is None:
        if isinstance(new, ast.Name):              # reported: not a leak as well
            c.flow.held.pop(new.id, None)
        return ERR
    if not _bound_alone(c, node):
        c.src.error("E314", node, what="helpers.kptr_xchg(...)")
        return ERR
    if isinstance(new, ast.Constant) and new.value is None:
        c.fi.types[new] = NONE
    else:
        owned = owned_arg(c, new, "helpers.kptr_xchg(v.slot, n)")
        if owned is None:
            return ERR
        if owned[1] != st:
            c.src.error("E320", new, where=ast.unparse(slot), want=st.name, name=owned[0],
                        got=owned[1].name)
            return ERR
        release(c, owned[0], node)
    t = RefType(st, True, ALLOC)
    c.fi.calls[node] = Call(ALLOC, "kptr_xchg", t, st)
    return t


def _kptr_slot(c: CheckContext, slot: ast.expr) -> StructType | None:
    """The object type of ``v.slot``, a ``Kptr`` field reached through a map value."""
    if not isinstance(slot, ast.Attribute):
        c.src.error("E319", slot, what=ast.unparse(slot))
        return None
    t = expr(c, slot)
    if t is ERR:
        return None
    base = c.fi.types.get(slot.value)
    if not isinstance(t, KptrType) or not (isinstance(base, RefType) and base.space == "map"):
        c.src.error("E319", slot, what=f"{ast.unparse(slot)} ({t})")
        return None
    return t.target


def no_alias(c: CheckContext, node: ast.expr, what: str) -> bool:
    """E318 when ``node`` names an owned object bound to a second name or passed on."""
    t = c.fi.types.get(node)
    if isinstance(node, ast.Name) and isinstance(t, RefType) and t.space == ALLOC:
        c.src.error("E318", node, name=node.id, what=what)
        return True
    return False


RULES = {"obj_new": obj_new, "obj_drop": obj_drop, "kptr_xchg": kptr_xchg}
