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
from ...types import BOOL, NONE, REFCOUNT, SPINLOCK, BpfType, GraphRootType, KptrType, RefType, \
    StructType, i64, iter_scalars, kernel_owned, u32
from ...model.kernel_types import kernel_lacks_func
from ...model.walk import all_nodes
from .context import CheckContext, nargs
from .expressions import expr, value_into
from .sleep import is_sleepable

ALLOC = "alloc"                      # RefType.space of an allocated object
PERCPU = "percpu"                    # ... of an owned per-CPU object (no fields: one per CPU)
CPU = "cpu"                          # ... of one CPU's copy of a stored per-CPU object
PERCPU_MAX_SIZE = 512                # the kernel's BPF_GLOBAL_PERCPU_MA_MAX_SIZE
# Calls whose result the program owns (released by obj_drop or a store).
OWNING = frozenset({"obj_new", "kptr_xchg", "rb_remove", "rb_pop_first", "list_pop_front",
                    "list_pop_back", "refcount_acquire", "percpu_obj_new"})


def is_alloc_call(c: CheckContext, node: ast.AST) -> bool:
    """True when ``node`` is a call that acquires or releases an allocated object."""
    rec = c.fi.calls.get(node) if isinstance(node, ast.Call) else None
    return rec is not None and rec.kind == ALLOC


def owning_call(c: CheckContext, node: ast.AST) -> bool:
    """True when ``node`` is a call whose result the program owns."""
    if isinstance(node, ast.IfExp):
        node = taken_or_none(node) or node
    rec = c.fi.calls.get(node) if isinstance(node, ast.Call) else None
    return rec is not None and rec.kind == ALLOC and rec.name in OWNING


def _bound_alone(c: CheckContext, node: ast.Call) -> bool:
    """True when ``node`` is the whole value of ``name = node`` (or of ``name = node if
    test else None``: taken out only when ``test`` holds)."""
    s = c.node
    if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and
            isinstance(s.targets[0], ast.Name)):
        return False
    return s.value is node or taken_or_none(s.value) is node


def taken_or_none(value: ast.expr) -> ast.expr | None:
    """The call of ``call if test else None``, else None."""
    if isinstance(value, ast.IfExp) and isinstance(value.body, ast.Call) and \
            isinstance(value.orelse, ast.Constant) and value.orelse.value is None:
        return value.body
    return None


def _statement_alone(c: CheckContext, node: ast.Call) -> bool:
    s = c.node
    return isinstance(s, ast.Expr) and s.value is node


def obj_new(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    """``n = helpers.obj_new(Node)``: a zeroed ``Node`` the program owns, or None; and
    ``p = helpers.percpu_obj_new(Vals)``: a zeroed ``Vals`` for each CPU."""
    what = f"helpers.{h.name}"
    if not nargs(c, node, 1, what):
        return ERR
    arg = node.args[0]
    st = c.info.structs.get(arg.id) if isinstance(arg, ast.Name) else None
    if st is None:
        c.src.error("E313", arg, what=ast.unparse(arg), helper=what)
        return ERR
    if not _bound_alone(c, node):
        c.src.error("E314", node, what=f"{what}({st.name})")
        return ERR
    percpu = h.name == "percpu_obj_new"
    if percpu and not _kernel_has(c, node, f"{what}({st.name})", "bpf_percpu_obj_new_impl"):
        return ERR
    if percpu:
        special = next((f for f in st.fields if any(kernel_owned(s) for s in iter_scalars(f.type))),
                       None)
        if special is not None or st.size > PERCPU_MAX_SIZE:
            why = f"its field {special.name!r} is {special.type}, which the kernel manages" \
                if special is not None else f"it is {st.size} bytes, over {PERCPU_MAX_SIZE}"
            c.src.error("E376", arg, type=st.name, why=why)
            return ERR
    t = RefType(st, True, PERCPU if percpu else ALLOC)
    c.fi.calls[node] = Call(ALLOC, h.name, t, st)
    return t


def owned_arg(c: CheckContext, arg: ast.expr, what: str,
              space: str = ALLOC) -> tuple[str, StructType] | None:
    """The owned object named by ``arg`` (checked non-None): an allocated one, or with
    ``space=PERCPU`` a per-CPU one."""
    t = expr(c, arg)
    if t is ERR:                                 # E070 / E316 name it already
        c.flow.held.pop(arg.id if isinstance(arg, ast.Name) else "", None)
        return None
    name = arg.id if isinstance(arg, ast.Name) else ""
    if isinstance(t, RefType) and t.space == GRAPH:
        c.src.error("E373", arg, name=name or ast.unparse(arg), what=what.split("(")[0])
        return None
    if isinstance(t, RefType) and t.space in (ALLOC, PERCPU) and t.space != space:
        c.flow.held.pop(name, None)              # reported: not a leak as well
        percpu = t.space == PERCPU
        c.src.error("E377", arg, name=name or ast.unparse(arg),
                    got="a per-CPU object" if percpu else "not a per-CPU object",
                    what=f"{what.split('(')[0]} takes " +
                         ("one from helpers.obj_new" if percpu else
                          "a per-CPU object from helpers.percpu_obj_new"))
        return None
    held = c.flow.held.get(name)
    if not (isinstance(t, RefType) and t.space == space and isinstance(t.target, StructType)) \
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
    """``helpers.obj_drop(n)`` (``helpers.percpu_obj_drop(p)``) as a statement: frees an
    owned object (per-CPU object)."""
    what = f"helpers.{h.name}"
    if not nargs(c, node, 1, what):
        return ERR
    if not _statement_alone(c, node):
        c.src.error("E314", node, what=f"{what}(n)")
        return ERR
    owned = owned_arg(c, node.args[0], f"{what}(n)",
                      PERCPU if h.name == "percpu_obj_drop" else ALLOC)
    if owned is None:
        return ERR
    c.fi.calls[node] = Call(ALLOC, h.name, NONE, owned[1])
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
    percpu = isinstance(c.fi.types.get(slot), KptrType) and \
        c.fi.types[slot].percpu                                  # type: ignore[attr-defined]
    space = PERCPU if percpu else ALLOC
    if isinstance(new, ast.Constant) and new.value is None:
        c.fi.types[new] = NONE
    else:
        owned = owned_arg(c, new, "helpers.kptr_xchg(v.slot, n)", space)
        if owned is None:
            return ERR
        if owned[1] != st:
            c.src.error("E320", new, where=ast.unparse(slot), want=st.name, name=owned[0],
                        got=owned[1].name)
            return ERR
        release(c, owned[0], node)
    t = RefType(st, True, space)
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
    if isinstance(node, ast.Name) and isinstance(t, RefType) and t.space in (ALLOC, PERCPU):
        c.src.error("E318", node, name=node.id, what=what)
        return True
    return False


def refcount_acquire(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    """``m = helpers.refcount_acquire(n)``: a second owned reference to the reference-counted
    object ``n`` (owned, or a node reached in a tree or list under its lock), or None.
    ``n`` stays as it was: the two references are given away or dropped each on its own."""
    if not nargs(c, node, 1, "helpers.refcount_acquire"):
        return ERR
    if not _bound_alone(c, node):
        c.src.error("E314", node, what="helpers.refcount_acquire(n)")
        return ERR
    arg = node.args[0]
    t = expr(c, arg)
    if t is ERR:
        return ERR
    name = arg.id if isinstance(arg, ast.Name) else ""
    held = c.flow.held.get(name)
    owned = held is not None and owning_call(c, held)
    if not (isinstance(t, RefType) and isinstance(t.target, StructType) and
            (t.space == GRAPH or (t.space == ALLOC and owned))):
        c.src.error("E317", arg, what="helpers.refcount_acquire(n)",
                    what_short="helpers.refcount_acquire")
        return ERR
    st = t.target
    if not any(f.type is REFCOUNT for f in st.fields):
        c.src.error("E374", arg, name=name, type=st.name)
        return ERR
    if not _kernel_has(c, node, f"helpers.refcount_acquire({name})", "bpf_refcount_acquire_impl"):
        return ERR
    r = RefType(st, True, ALLOC)
    c.fi.calls[node] = Call(ALLOC, "refcount_acquire", r, st)
    return r


def cpu_ptr(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    """``x = helpers.this_cpu_ptr(v.slot)`` / ``helpers.per_cpu_ptr(v.slot, cpu)``: this
    CPU's (CPU ``cpu``'s) copy of the per-CPU object a map value's ``PerCpuKptr`` field
    holds, or None when the field is empty (or there is no such CPU).  The kernel reads the
    field under RCU, which a non-sleepable program holds throughout."""
    what = f"helpers.{h.name}"
    want = 2 if h.name == "per_cpu_ptr" else 1
    if not nargs(c, node, want, what):
        return ERR
    slot = node.args[0]
    t = expr(c, slot) if isinstance(slot, ast.Attribute) else ERR
    base = c.fi.types.get(slot.value) if isinstance(slot, ast.Attribute) else None
    if not (isinstance(t, KptrType) and t.percpu and isinstance(base, RefType)
            and base.space == "map"):
        c.src.error("E378", slot, what=what, got=ast.unparse(slot),
                    cpu_arg=", cpu" if want == 2 else "")
        return ERR
    if want == 2:
        value_into(c, node.args[1], u32, "cpu")
    section = c.fi.fdef.section
    if section is not None and is_sleepable(section):
        c.src.error("E379", node, what=what, section=section)
        return ERR
    r = RefType(t.target, True, CPU)
    c.fi.calls[node] = Call(ALLOC, h.name, r, t.target)
    return r


RULES = {"obj_new": obj_new, "obj_drop": obj_drop, "kptr_xchg": kptr_xchg,
         "refcount_acquire": refcount_acquire, "percpu_obj_new": obj_new,
         "percpu_obj_drop": obj_drop, "this_cpu_ptr": cpu_ptr, "per_cpu_ptr": cpu_ptr}


# ------------------------------------------------------------------ trees and lists
GRAPH_METHODS = {"rb": {"add": 2, "first": 0, "remove": 1, "pop_first": 0, "root": 0,
                        "left": 1, "right": 1},
                 "list": {"push_front": 1, "push_back": 1, "pop_front": 0, "pop_back": 0,
                          "front": 0, "back": 0}}
GRAPH = "graph"                      # RefType.space of a node inside a tree (lock held)
# Methods that hand out a non-owning reference, valid while the lock is held (E327 after);
# all but first() are kfuncs of Linux 6.16 (checked against the kernel's BTF: E370).
PEEKS = frozenset({"rb_first", "rb_root", "rb_left", "rb_right", "list_front", "list_back"})
NEWER_KFUNCS = {"rb_root": "bpf_rbtree_root", "rb_left": "bpf_rbtree_left",
                "rb_right": "bpf_rbtree_right", "list_front": "bpf_list_front",
                "list_back": "bpf_list_back"}


def graph_method(c: CheckContext, node: ast.Call, func: ast.Attribute,
                 root: GraphRootType) -> BpfType:
    """``v.tree.add(n, less)``, ``v.tree.first()``, ``v.tree.remove(x)``,
    ``v.items.push_front(n)`` / ``push_back(n)``, ``v.items.pop_front()`` / ``pop_back()``:
    the tree and list kfuncs, each under the lock of the map value holding the root."""
    meth = func.attr
    methods = GRAPH_METHODS[root.kind]
    what = ast.unparse(func)
    if meth not in methods:
        c.src.error("E329", func, root=ast.unparse(func.value), name=meth,
                    kind="RbRoot" if root.kind == "rb" else "ListHead",
                    ok=", ".join(methods))
        return ERR
    if not nargs(c, node, methods[meth], what):
        return ERR
    stores = meth in ("add", "push_front", "push_back")
    if not _locked(c, node, func.value, f"{what}(...)"):
        if stores:
            _forget(c, node.args[0])
        return ERR
    name = f"{root.kind}_{meth}"
    st = root.target
    if stores:
        owned = owned_arg(c, node.args[0], f"{what}(n)")
        if owned is None:
            return ERR
        if owned[1] != st:
            c.src.error("E320", node.args[0], where=ast.unparse(func.value), want=st.name,
                        name=owned[0], got=owned[1].name)
            _forget(c, node.args[0])
            return ERR
        if meth == "add" and not _less(c, node.args[1], st):
            _forget(c, node.args[0])
            return ERR
        release(c, owned[0], node)
        c.fi.calls[node] = Call(ALLOC, name, i64, root)
        return i64
    shown = f"{what}(x)" if methods[meth] else f"{what}()"
    if not _bound_alone(c, node):
        c.src.error("E314", node, what=shown)
        return ERR
    peek = name in PEEKS
    if peek and c.node.value is not node:          # type: ignore[union-attr]
        c.src.error("E371", node, what=shown)
        return ERR
    if name in NEWER_KFUNCS and not _kernel_has(c, node, shown, NEWER_KFUNCS[name]):
        return ERR
    if meth in ("remove", "left", "right"):
        arg = node.args[0]
        t = expr(c, arg)
        if t is ERR:
            return ERR
        if not (isinstance(arg, ast.Name) and isinstance(t, RefType) and t.space == GRAPH
                and t.target == st):
            if meth == "remove":
                c.src.error("E290", arg, root=ast.unparse(func.value), what=ast.unparse(arg))
            else:
                c.src.error("E372", arg, root=ast.unparse(func.value), meth=meth,
                            what=ast.unparse(arg))
            return ERR
    space = GRAPH if peek else ALLOC        # a peek does not take the node out
    t = RefType(st, True, space)
    c.fi.calls[node] = Call(ALLOC, name, t, root)
    return t


def _forget(c: CheckContext, arg: ast.expr) -> None:
    """An object whose store was refused: reported there, not as a leak as well."""
    if isinstance(arg, ast.Name):
        c.flow.held.pop(arg.id, None)


def _call_in_callback(c: CheckContext, name: str) -> str | None:
    """What in ``less`` would be a call while the lock is held (the kernel runs it under the
    tree's lock): a helper, a map access or a loop (it may become bpf_loop); None if nothing."""
    fdef = c.info.functions.get(name)
    if fdef is None:
        return None
    params = {a.arg for a in fdef.node.args.args}
    for n in all_nodes(fdef.node):
        dsl = c.info.names.dsl(n.func) if isinstance(n, ast.Call) else None
        if dsl is not None and dsl.startswith("helpers."):
            return f"calls {dsl} (line {n.lineno})"                # type: ignore[attr-defined]
        if isinstance(n, ast.Name) and n.id in c.info.maps and n.id not in params:
            return f"uses the map {n.id} (line {n.lineno})"
        if isinstance(n, ast.For):
            return f"has a loop (line {n.lineno})"
    return None


def bound_graph_ref(c: CheckContext, name: str, value: ast.expr) -> None:
    """``name = v.tree.first()`` (or ``root()``, ``left(x)``, ``right(x)``, a list's
    ``front()``/``back()``, or a second name for one of these) makes ``name`` valid until the
    lock is released; any other binding ends that."""
    rec = c.fi.calls.get(value) if isinstance(value, ast.Call) else None
    if rec is not None and rec.kind == ALLOC and rec.name in PEEKS:
        c.graph_refs[name] = (ast.unparse(value.func.value), c.lock)   # type: ignore[attr-defined]
    elif isinstance(value, ast.Name) and value.id in c.graph_refs:
        c.graph_refs[name] = c.graph_refs[value.id]
    else:
        c.graph_refs.pop(name, None)


# kfunc -> (the Linux version that added it, what to do on an older kernel)
_SINCE = {
    **{k: ("6.16", "on older kernels walk with what they have: tree.first() and "
                   "tree.pop_first(), list.pop_front() and pop_back()")
       for k in NEWER_KFUNCS.values()},
    "bpf_refcount_acquire_impl": ("6.4", "on older kernels keep each object in one tree or "
                                         "list"),
    "bpf_percpu_obj_new_impl": ("6.6", "on older kernels count per CPU in a PerCpuArray or "
                                       "PerCpuHashMap"),
}


def _kernel_has(c: CheckContext, node: ast.Call, what: str, kfunc: str) -> bool:
    """E370 when the kernel's BTF lacks ``kfunc`` (a kfunc newer than the kernel); without
    BTF nothing is known here and the load reports it."""
    if not kernel_lacks_func(kfunc):
        return True
    version, instead = _SINCE[kfunc]
    c.src.error("E370", node, what=what, kfunc=kfunc, version=version, instead=instead)
    return False


def _locked(c: CheckContext, node: ast.Call, root: ast.expr, what: str) -> bool:
    """E321 unless the lock of the map value holding ``root`` is held here."""
    base = root.value if isinstance(root, ast.Attribute) else None
    base_t = c.fi.types.get(base) if base is not None else None
    if not (isinstance(base, ast.Name) and isinstance(base_t, RefType) and base_t.space == "map"
            and isinstance(base_t.target, StructType)):
        c.src.error("E321", node, what=f"{what} on a root not reached through a checked map "
                                       f"value name", value="v", lock="lock",
                    stmt=ast.unparse(node))
        return False
    if c.lock is not None and c.lock_base == base.id:
        return True
    locks = [f.name for f in base_t.target.fields if f.type is SPINLOCK]
    c.src.error("E321", node, what=what, value=base.id, lock=locks[0] if locks else "lock",
                stmt=ast.unparse(node))
    return False


def _less(c: CheckContext, arg: ast.expr, st: StructType) -> bool:
    """The comparison of ``tree.add(n, less)``: ``@bpf_function less(a: T, b: T) -> bool``."""
    sig = c.signatures.get(arg.id) if isinstance(arg, ast.Name) else None
    ok = sig is not None and sig[1] is BOOL and len(sig[0]) == 2 and \
        all(t == st and byref for _, t, byref in sig[0])
    if not ok:
        c.src.error("E328", arg, name=ast.unparse(arg), type=st.name)
        return False
    assert isinstance(arg, ast.Name)
    call = _call_in_callback(c, arg.id)
    if call is not None:
        c.src.error("E323", arg, what=f"{arg.id!r}, which {call},",
                    line=c.lock.lineno if c.lock is not None else arg.lineno)
        return False
    c.fi.callees.add(arg.id)
    c.call_sites.setdefault(arg.id, arg)
    c.fi.types[arg] = BOOL
    return True
