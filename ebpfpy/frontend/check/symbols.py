"""What a name means inside BPF code: a local, a global, a map, a function, a struct."""
from __future__ import annotations

import ast

from ...types import SPINLOCK, GraphRootType, iter_scalars
from ...model.items import MapDef
from ...model.typed import Sym
from .context import CheckContext
from .sleep import map_use


def nullable_name(c: CheckContext, node: ast.Name) -> bool:
    """True for a local that may hold None (a lookup result)."""
    loc = c.fi.locals.get(node.id)
    return loc is not None and loc.nullable


# How an allocated object left the program's hands (E316).
_GIVEN_AWAY = {"obj_drop": "dropped", "percpu_obj_drop": "dropped", "kptr_xchg": "stored into a Kptr field",
               "rb_add": "added to a tree", "list_push_front": "pushed onto a list",
               "list_push_back": "pushed onto a list"}


def not_released(c: CheckContext, node: ast.Name) -> bool:
    """E078 / E316 (and False) when ``node`` names a ring-buffer record already submitted or
    discarded, or an allocated object already dropped or stored, on this path (the verifier invalidates the register: see ``refs.py``)."""
    ref = c.graph_refs.get(node.id)
    if ref is not None and ref[1] is not c.lock:      # bpf_spin_unlock invalidated it
        if ref[1] != "reported":                       # once per name
            c.src.error("E327", node, name=node.id, root=ref[0])
            c.graph_refs[node.id] = (ref[0], "reported")
        return False
    done = c.flow.released.get(node.id)
    if done is None:
        return True
    rec = c.fi.calls.get(done)
    if rec is not None and rec.kind == "kfunc_task":          # a task given back
        c.src.error("E279", node, what=f"{node.id!r} is used after helpers.task_release "
                                       f"(line {done.lineno}) gave the task back")
        return False
    if rec is not None and rec.kind == "alloc":            # an allocated object given away
        c.src.error("E316", node, name=node.id, how=_GIVEN_AWAY.get(rec.name, "given away"),
                    line=done.lineno)
        return False
    how = "submitted" if done.func.attr == "submit" else "discarded"    # type: ignore[attr-defined]
    c.src.error("E078", node, name=node.id, how=how, line=done.lineno)
    return False


def resolve(c: CheckContext, node: ast.Name) -> Sym | None:
    """What a Name means inside BPF code, or None after an error."""
    name = node.id
    if name in c.fi.locals:
        return Sym("local", c.fi.locals[name])
    info = c.info
    if name in info.globals:
        return Sym("global", info.globals[name])
    if name in info.maps:
        return Sym("map", info.maps[name])
    if name in info.all_funcs:
        return Sym("func", info.all_funcs[name])
    if name in info.structs:
        return Sym("struct", info.structs[name])
    if name in info.ignored and not (isinstance(info.ignored[name], ast.ImportFrom)
                                     and c.info.names.dsl(node) is not None):
        c.src.error("E060", node, name=name, line=info.ignored[name].lineno)
        return None
    if name in ("print", "open", "input", "len", "min", "max", "abs", "range", "int", "bool"):
        c.src.error("E122", node, name=name)
        return None
    if c.info.names.dsl(node) is not None:
        c.src.error("E123", node, name=name)
        return None
    c.src.error("E061", node, name=name)
    return None


def map_of(c: CheckContext, node: ast.expr) -> MapDef | None:
    """The map ``node`` names (recording it), or None when it names no map."""
    if isinstance(node, ast.Name) and node.id not in c.fi.locals and node.id in c.info.maps:
        if node not in c.fi.names:          # once per use, however often it is resolved
            map_use(c, node, c.info.maps[node.id].type.kind)
            _locked_value_use(c, node, c.info.maps[node.id])
        c.fi.names[node] = Sym("map", c.info.maps[node.id])
        c.fi.types[node] = c.info.maps[node.id].type
        return c.info.maps[node.id]
    return None


# Program kinds whose maps may hold no spin lock, tree or list (the kernel's
# is_tracing_prog_type: kprobe, tracepoint, raw_tp, perf_event; BTF-typed tracing, tp_btf,
# fentry and iter, is allowed), and socket filters, which may hold no spin lock.
_NO_LOCK_KINDS = frozenset({"kprobe", "uprobe", "tracepoint", "raw_tp", "perf_event"})


def _locked_value_use(c: CheckContext, node: ast.Name, m: MapDef) -> None:
    """E292 when this program kind cannot use a map whose values hold a spin lock or the
    root of a tree or list (check_map_prog_compatibility refuses the program)."""
    kind = c.fi.ctx_kind
    value = m.type.value
    if not kind or value is None or kind not in _NO_LOCK_KINDS | {"socket"}:
        return
    scalars = list(iter_scalars(value))
    roots = [s for s in scalars if isinstance(s, GraphRootType)]
    if roots and kind != "socket":
        what = "a tree root (RbRoot)" if roots[0].kind == "rb" else "a list head (ListHead)"
    elif SPINLOCK in scalars:
        what = "a SpinLock"
    else:
        return
    c.src.error("E292", node, map=m.name, what=what, section=c.fi.fdef.section)
