"""Typing ``with v.lock:``: a ``bpf_spin_lock`` held over a block.

The verifier lets a program hold one spin lock at a time, and while it is held the program
may not call helpers, kfuncs (other than the tree and list operations) or subprograms, nor
leave the block by ``return``/``break``/``continue`` (the lock would stay taken).  Those
rules are checked here so that the refusal is a compile error at the Python line (E322,
E323) instead of a verifier message about registers.
"""
from __future__ import annotations

import ast

from ...model.typed import ERR
from ...model.typed import LoopStrategy
from ...types import SPINLOCK, RefType
from .context import CheckContext, block
from .expressions import expr

# Calls that are no calls in BPF: conversions, constructors, min/max/abs, tree/list operations.
_INLINE_CALLS = frozenset({"cast", "bool", "struct_new", "array_new", "builtin", "graph"})


def s_with(c: CheckContext, node: ast.With) -> None:
    """``with v.lock:`` where ``v`` is a checked map value reference and ``lock`` its
    ``SpinLock`` field: the body runs with the lock held."""
    if len(node.items) != 1 or node.items[0].optional_vars is not None:
        c.src.error("E322", node, what=_items(node))
        block(c, node.body)
        return
    lock = node.items[0].context_expr
    base = _lock_base(c, lock)
    if base is None:
        block(c, node.body)
        return
    if c.lock is not None:
        c.src.error("E323", node, what="taking a second lock", line=c.lock.lineno)
        block(c, node.body)
        return
    c.lock, c.lock_base = node, base
    try:
        block(c, node.body)
    finally:
        c.lock, c.lock_base = None, ""
    for s in node.body:
        _held_rules(c, node, s)


def _items(node: ast.With) -> str:
    return ", ".join(ast.unparse(i.context_expr) + (f" as {ast.unparse(i.optional_vars)}"
                                                   if i.optional_vars is not None else "")
                     for i in node.items)


def _lock_base(c: CheckContext, lock: ast.expr) -> str | None:
    """The name of the map value reference whose SpinLock ``lock`` is, or None after E322."""
    t = expr(c, lock)
    if t is ERR:
        return None
    if not isinstance(lock, ast.Attribute) or t is not SPINLOCK:
        c.src.error("E322", lock, what=f"{ast.unparse(lock)} ({t})")
        return None
    base_t = c.fi.types.get(lock.value)
    if not (isinstance(lock.value, ast.Name) and isinstance(base_t, RefType)
            and base_t.space == "map"):
        c.src.error("E322", lock, what=f"{ast.unparse(lock)}, a lock not reached through a "
                                       f"checked map value name")
        return None
    return lock.value.id


def _held_rules(c: CheckContext, w: ast.With, s: ast.AST, in_loop: bool = False) -> None:
    """E323 for what the verifier refuses while ``w``'s lock is held.  A bounded
    ``for ... in range(...)`` loop is allowed (the verifier walks it; it is never outlined
    into a bpf_loop callback from inside a with block), and so is a ``break``/``continue``
    of such a loop."""
    what = ""
    if isinstance(s, ast.Return):
        what = "return (the lock would stay taken)"
    elif isinstance(s, (ast.Break, ast.Continue)) and not in_loop:
        what = f"{type(s).__name__.lower()} out of the with block"
    elif isinstance(s, ast.For):
        info = c.fi.loops.get(s)
        if info is None or info.strategy is not LoopStrategy.LOOP:
            c.src.error("E323", s, what="this for loop (only a bounded for ... in range(...) "
                                        "loop may run under a lock; an iterator loop calls "
                                        "kfuncs)", line=w.lineno)
        for sub in ast.iter_child_nodes(s):
            _held_rules(c, w, sub, in_loop=in_loop or sub in s.body)
        return
    elif isinstance(s, ast.Subscript) and _is_map(c, s.value):
        what = f"{ast.unparse(s)} (a map lookup or update is a helper call)"
    elif isinstance(s, ast.Call):
        rec = c.fi.calls.get(s)
        if rec is not None and rec.kind not in _INLINE_CALLS and not (
                rec.kind == "alloc" and rec.name.startswith(("rb_", "list_", "refcount_"))):
            what = f"calling {ast.unparse(s.func)}"
    if what:
        c.src.error("E323", s, what=what, line=w.lineno)
    for sub in ast.iter_child_nodes(s):
        _held_rules(c, w, sub, in_loop)


def _is_map(c: CheckContext, node: ast.expr) -> bool:
    sym = c.fi.names.get(node) if isinstance(node, ast.Name) else None
    return sym is not None and sym.kind == "map"
