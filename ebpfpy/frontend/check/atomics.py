"""Checking ``helpers.atomic_*``: read-modify-write of an integer in memory in one BPF
atomic instruction (``lock *(u64 *)(r1 + 0) += r2``, ``atomic_fetch_add``, ``xchg``,
``cmpxchg``), as C's ``__sync_fetch_and_add`` and ``__sync_val_compare_and_swap`` do.

The first argument names the place, not its value: a global, or an integer field or
element of a map value, a global or a local struct.  The kernel has these instructions for
32- and 64-bit words only, and refuses them on the ctx, the packet and kernel memory.
"""
from __future__ import annotations

import ast

from ...model.helper_table import Helper
from ...model.typed import ERR, Call
from ...types import NONE, BpfType, IntType, RefType
from .context import CheckContext, dest_ok, nargs
from .expressions import expr, value_into

# what each one does to the old value (the simulator and the docs use the same names)
FETCHING = frozenset({"atomic_fetch_add", "atomic_fetch_sub", "atomic_fetch_and",
                      "atomic_fetch_or", "atomic_fetch_xor", "atomic_xchg", "atomic_cmpxchg"})
# memory the verifier refuses atomics on (check_atomic: ctx, packet, BTF objects)
_REFUSED = {"ctx": "the program's ctx", "packet": "packet data", "kernel": "kernel memory",
            "probe": "kernel memory", "alloc": "an allocated object"}


def check_atomic(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    """``helpers.atomic_add(place, v)`` (no value), ``old = helpers.atomic_fetch_add(place,
    v)``, ``old = helpers.atomic_xchg(place, v)``, ``old = helpers.atomic_cmpxchg(place,
    expected, new)``."""
    what = f"helpers.{h.name}"
    if not nargs(c, node, 3 if h.name == "atomic_cmpxchg" else 2, what):
        return ERR
    fetching = h.name in FETCHING
    if not fetching and not (isinstance(c.node, ast.Expr) and c.node.value is node):
        c.src.error("E191", node, what=what, fetch=h.name.replace("atomic_", "atomic_fetch_"))
        return ERR
    t = _place(c, node.args[0], what)
    for a in node.args[1:]:
        value_into(c, a, t if t is not ERR else IntType("u64", 64, False), "argument")
    if t is ERR:
        return ERR
    ret = t if fetching else NONE
    c.fi.calls[node] = Call("helper", h.name, ret)
    return ret


def _place(c: CheckContext, node: ast.expr, what: str) -> BpfType:
    """The type of the 32/64-bit integer in memory that ``node`` names, or ERR (reported)."""
    root = _root(node)
    glob = root is not None and root.id not in c.fi.locals and root.id in c.info.globals
    if glob and c.info.globals[root.id].const:       # type: ignore[union-attr]
        c.src.error("E218", node, name=root.id)       # type: ignore[union-attr]
        return ERR
    t = expr(c, node)
    if t is ERR:
        return ERR
    if not isinstance(t, IntType) or t.bits not in (32, 64):
        c.src.error("E188", node, what=what, type=t)
        return ERR
    space = _space(c, node, root)
    if space in _REFUSED:
        c.src.error("E190", node, what=what, where=_REFUSED[space])
        return ERR
    in_memory = (glob and isinstance(node, ast.Name)) or (not isinstance(node, ast.Name)
                                                           and dest_ok(c, node))
    if not in_memory:
        c.src.error("E189", node, what=what, text=ast.unparse(node))
        return ERR
    if glob and isinstance(node, ast.Name):
        c.flow.forget(node.id)          # another CPU, and this call, change it
    return t


def _root(node: ast.expr) -> ast.Name | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node if isinstance(node, ast.Name) else None


def _space(c: CheckContext, node: ast.expr, root: ast.Name | None) -> str:
    """Where the place lives: "ctx", "packet", "kernel", ... or "" (stack, map, global)."""
    if isinstance(node, ast.Attribute) and c.fi.attrs.get(node, ("",))[0] in ("ctx", "kfield"):
        return "ctx" if c.fi.attrs[node][0] == "ctx" else "kernel"
    cur: ast.expr = node
    while isinstance(cur, (ast.Attribute, ast.Subscript)):
        cur = cur.value
        t = c.fi.types.get(cur)
        if isinstance(t, RefType) and t.space in _REFUSED:
            return t.space
        if isinstance(cur, ast.Attribute) and c.fi.attrs.get(cur, ("",))[0] in ("ctx", "kfield"):
            return "ctx" if c.fi.attrs[cur][0] == "ctx" else "kernel"
    if root is not None and c.fi.params and c.fi.fdef.section is not None \
            and c.fi.locals.get(root.id) is c.fi.params[0] and c.fi.params[0].mode == "ctx":
        return "ctx"
    return ""
