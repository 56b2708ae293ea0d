"""Whole-function rule: a reference from ``m.lookup(k)`` into a hash map is not used after
something may have deleted or replaced entries of ``m`` (E178).

The kernel frees a hash map element when its key is deleted or its value replaced
(``m[k] = v``), and hands the freed element to the next insert: a write through an older
reference would land in another key's entry.  So after ``del m[k2]``, ``m[k2] = v`` or
``m[k2] op= v`` where ``k2`` may equal the looked-up key (an LRU insert may evict any key),
or a call to a function that writes ``m``, earlier lookups into ``m`` must be repeated before
use.  Keys are known to differ only when both are different constants, or are ``E`` and
``E + c`` for the same unchanged name path ``E``.  Arrays never free their elements.  The analysis follows Python's evaluation order inside a
statement and merges paths at ``if``/``else`` and loops (a use is refused when *some* path
makes it stale).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Optional

from ..map_kinds import MapKind
from ..model.helper_table import PACKET_CHANGING
from ..model.typed import FuncInfo
from ..model.walk import all_nodes

# Map kinds whose elements are freed by delete/update (references into them can go stale).
FREEING_KINDS = frozenset(k for k in MapKind if k.value.deletable)

# The packet, tracked as one more "map": ``ctx.load`` references go stale (E337) at a helper
# that may move or resize it (xdp_adjust_head, skb_store_bytes, ...) or at a call of a
# function that calls one.  Not an identifier, so no map has this name.
PACKET = "<packet>"


@dataclass(frozen=True)
class Ref:
    """What a tracked local holds: a reference into one of ``maps``; ``stale`` is the
    statement or call that may have freed it (None while valid)."""

    maps: frozenset[str]
    stale: Optional[ast.AST] = None
    stale_map: str = ""
    key: Optional["Key"] = None             # the looked-up key, while known


@dataclass(frozen=True)
class Key:
    """A map key as ``base + offset`` (``base`` None: the constant ``offset``); ``names`` are
    the names ``base`` reads, whose assignment makes the key unknown."""

    base: Optional[str]
    offset: int
    names: frozenset[str] = frozenset()
    root: str = "value"     # what base reads: see _root


# Calls that cannot change a variable a key reads.
_PURE_CALLS = frozenset({"cast", "builtin", "bool", "struct_new", "array_new", "map_method"})


State = Optional[dict[str, Ref]]          # None: no path reaches here


@dataclass
class Context:
    """One function's analysis: its checker tables and what every function may free."""

    col: Any
    fi: FuncInfo
    frees: dict[str, frozenset[str]]
    loops: list[tuple[list[State], list[State]]] = field(default_factory=list)  # (breaks, continues)
    reported: set[tuple[str, int]] = field(default_factory=set)


def check_stale_refs(col: Any, funcs: dict[str, FuncInfo]) -> None:
    """Report E178 at every use of a map reference that may point to a freed element."""
    frees = freed_maps(col, funcs)
    if not any(frees.values()):
        # nothing deletes or replaces a map entry, or moves the packet: only those make a
        # reference stale (invalidate), so no path has one to report
        return
    for fi in funcs.values():
        cx = Context(col, fi, frees)
        block(cx, fi.node.body, {})


# ------------------------------------------------------------------ what each function frees
def freed_maps(col: Any, funcs: dict[str, FuncInfo]) -> dict[str, frozenset[str]]:
    """Maps each function may delete from or insert into, itself or through its callees."""
    own = {name: frozenset(_direct_frees(col, fi)) for name, fi in funcs.items()}
    calls = {name: {c for c in _sync_callees(fi) if c in funcs} for name, fi in funcs.items()}
    out = dict(own)
    changed = True
    while changed:                          # call graphs are acyclic (E230); this converges
        changed = False
        for name in funcs:
            new = out[name].union(*(out[c] for c in calls[name]))
            if new != out[name]:
                out[name], changed = new, True
    return out


def _direct_frees(col: Any, fi: FuncInfo) -> set[str]:
    found: set[str] = set()
    if any(c.kind == "helper" and c.name in PACKET_CHANGING for c in fi.calls.values()):
        found.add(PACKET)
    if not any(m.type.kind in FREEING_KINDS for m in col.info.maps.values()):
        return found        # the walk below finds writes of freeing maps only
    for node in all_nodes(fi.node):
        targets: list[ast.expr] = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for t in targets:
            m = _written_map(col, fi, t)
            if m is not None:
                found.add(m)
        if isinstance(node, ast.Call):
            m = _method_write(col, fi, node)
            if m is not None:
                found.add(m)
    return found


def _changes_packet(fi: FuncInfo, node: ast.Call) -> bool:
    call = fi.calls.get(node)
    return call is not None and call.kind == "helper" and call.name in PACKET_CHANGING


# Map methods that insert or replace an entry (``m.insert(k, v)``, ``m.replace(k, v)``).
_WRITING_METHODS = frozenset({"insert", "replace"})


def _method_write(col: Any, fi: FuncInfo, node: ast.Call) -> str | None:
    """The freeing map a ``m.insert``/``m.replace`` call writes, or None."""
    call = fi.calls.get(node)
    if call is None or call.kind != "map_method" or call.name not in _WRITING_METHODS or \
            not isinstance(node.func, ast.Attribute):
        return None
    return _map_name(col, fi, node.func.value)


def _sync_callees(fi: FuncInfo) -> set[str]:
    """Functions called while this one runs: direct calls and ``helpers.loop`` callbacks
    (timer callbacks run later, from the kernel, and are not counted)."""
    out: set[str] = set()
    for node, call in fi.calls.items():
        callee = _callee(node, call)
        if callee is not None:
            out.add(callee)
    return out


def _callee(node: ast.Call, call: Any) -> str | None:
    if call.kind == "func":
        return call.name
    if call.kind == "helper" and call.name == "loop" and len(node.args) >= 2 and \
            isinstance(node.args[1], ast.Name):
        return node.args[1].id
    return None


def _map_name(col: Any, fi: FuncInfo, node: ast.expr) -> str | None:
    """The hash map ``node`` names, if it names one whose elements can be freed."""
    if not isinstance(node, ast.Name) or node.id in fi.locals:
        return None
    m = col.info.maps.get(node.id)
    return m.name if m is not None and m.type.kind in FREEING_KINDS else None


def _written_map(col: Any, fi: FuncInfo, target: ast.expr) -> str | None:
    """The freeing map a store/delete target writes (``m[k]``, ``m[k].field``), or None."""
    entry = _written_entry(col, fi, target)
    return None if entry is None else _map_name(col, fi, entry.value)


def _written_entry(col: Any, fi: FuncInfo, target: ast.expr) -> ast.Subscript | None:
    """The ``m[k]`` of a freeing map that a store/delete target writes, or None."""
    while isinstance(target, (ast.Attribute, ast.Subscript)):
        if isinstance(target, ast.Subscript) and _map_name(col, fi, target.value) is not None:
            return target
        target = target.value
    return None


# ------------------------------------------------------------------ the flow analysis
def merge(*states: State) -> State:
    """Join of paths: a name is tracked if any path tracks it, stale if any path made it so."""
    live = [s for s in states if s is not None]
    if not live:
        return None
    out: dict[str, Ref] = {}
    for s in live:
        for name, ref in s.items():
            old = out.get(name)
            if old is None:
                out[name] = ref
            else:
                stale = old.stale if old.stale is not None else ref.stale
                stale_map = old.stale_map if old.stale is not None else ref.stale_map
                key = old.key if old.key == ref.key else None
                out[name] = Ref(old.maps | ref.maps, stale, stale_map, key)
    return out


def invalidate(st: State, maps: frozenset[str], site: ast.AST, key: Key | None = None,
               evicts: bool = False) -> State:
    """Every reference into one of ``maps`` whose key may equal ``key`` (None: any key;
    ``evicts``: any key, an LRU insert) becomes stale at ``site``."""
    if st is None or not maps:
        return st
    out = dict(st)
    for name, ref in st.items():
        hit = ref.maps & maps
        if hit and ref.stale is None and (evicts or may_equal(ref.key, key)):
            out[name] = Ref(ref.maps, site, sorted(hit)[0], ref.key)
    return out


def may_equal(a: Key | None, b: Key | None) -> bool:
    if a is None or b is None or a.base != b.base:
        return True
    return a.offset == b.offset


def key_of(cx: Context, node: ast.expr, st: State) -> Key | None:
    """``node`` as a :class:`Key`, or None when nothing is known of it."""
    c = _const(cx, node)
    if c is not None:
        return Key(None, c)
    offset = 0
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        c = _const(cx, node.right)
        if c is not None and 0 < abs(c) < 128:     # E + c != E in any integer width
            offset = c if isinstance(node.op, ast.Add) else -c
            node = node.left
    path = node
    while isinstance(path, ast.Attribute):
        path = path.value
    if not isinstance(path, ast.Name):
        return None
    return Key(ast.unparse(node), offset, frozenset({path.id}), _root(cx, path.id, st))


def _root(cx: Context, name: str, st: State) -> str:
    """What memory ``name`` reads: "value" (an integer local: only assigning it changes it),
    "ctx" (a program's ctx), "stack" (a struct or array local), "mapref" (a tracked map
    element) or "memory" (a by-reference parameter, a global: anything may alias it)."""
    local = cx.fi.locals.get(name)
    if st is not None and name in st:
        return "mapref"
    if local is None:
        return "memory"
    if local.mode == "value":
        return "value"
    if local.param_index == 0 and cx.fi.fdef.section is not None:
        return "ctx"
    return "stack" if local.mode == "object" else "memory"


def _const(cx: Context, node: ast.expr) -> int | None:
    if node in cx.fi.consts:
        return cx.fi.consts[node]
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def forget_keys(st: State, names: frozenset[str] | None, roots: frozenset[str] = frozenset()
                ) -> State:
    """Keys that read one of ``names`` (None: every key), or whose base is one of the kinds
    ``roots``, are no longer known."""
    if st is None:
        return st
    return {n: (Ref(r.maps, r.stale, r.stale_map, None)
                if r.key is not None and (names is None or r.key.names & names
                                          or r.key.root in roots) else r)
            for n, r in st.items()}


def use(cx: Context, st: State, node: ast.Name) -> None:
    """A read of ``node``: refused when it may hold a stale reference."""
    if st is None:
        return
    ref = st.get(node.id)
    if ref is None or ref.stale is None:
        return
    key = (node.id, id(ref.stale))
    if key in cx.reported:
        return
    cx.reported.add(key)
    what = ast.unparse(ref.stale)
    what = what if len(what) <= 60 else what[:57] + "..."
    if ref.stale_map == PACKET:
        cx.col.src.error("E337", node, name=node.id, what=what, line=getattr(ref.stale, "lineno", "?"))
        return
    cx.col.src.error("E178", node, name=node.id, map=ref.stale_map, what=what,
                     line=getattr(ref.stale, "lineno", "?"))


def expr(cx: Context, node: ast.expr | None, st: State) -> State:
    """Evaluate ``node`` in Python's order: report stale uses, apply invalidating calls."""
    if node is None or st is None:
        return st
    if isinstance(node, ast.Name):
        if isinstance(node.ctx, ast.Load):
            use(cx, st, node)
        return st
    if isinstance(node, ast.IfExp):
        st = expr(cx, node.test, st)
        return merge(expr(cx, node.body, st), expr(cx, node.orelse, st))
    if isinstance(node, ast.NamedExpr):
        st = expr(cx, node.value, st)
        return bind(cx, node.target.id, node.value, st)
    if isinstance(node, ast.Call):
        for child in [node.func, *node.args, *(k.value for k in node.keywords)]:
            st = expr(cx, child, st)
        call = cx.fi.calls.get(node)
        callee = _callee(node, call) if call is not None else None
        freed = cx.frees.get(callee, frozenset()) if callee else frozenset()
        if _changes_packet(cx.fi, node):
            freed = frozenset({PACKET})
        if freed and st is not None:
            for a in node.args:     # the callee would work on an element it may free
                if (st is not None and isinstance(a, ast.Name) and a.id in st
                        and st[a.id].maps & freed):
                    st = invalidate(st, freed, node)
                    use(cx, st, a)
        if call is None or call.kind not in _PURE_CALLS:
            st = forget_keys(st, None)
        m = _method_write(cx.col, cx.fi, node)
        if m is not None and node.args:
            lru = cx.col.info.maps[m].type.kind is MapKind.LRU_HASH
            st = invalidate(st, frozenset({m}), node, key_of(cx, node.args[0], st), evicts=lru)
        return invalidate(st, freed, node)
    for sub in ast.iter_child_nodes(node):
        if isinstance(sub, ast.expr):
            st = expr(cx, sub, st)
    return st


def bind(cx: Context, name: str, value: ast.expr, st: State) -> State:
    """``name = value``: track a new lookup reference (or an alias), forget anything else."""
    if st is None:
        return st
    out = forget_keys(st, frozenset({name}))
    assert out is not None
    out.pop(name, None)
    base = value
    while isinstance(base, (ast.Attribute, ast.Subscript)):
        base = base.value
    local = cx.fi.locals.get(name)
    if isinstance(value, ast.Name) and value.id in st:
        out[name] = st[value.id]
    elif isinstance(base, ast.Name) and base.id in st and local is not None and \
            local.mode != "value":
        out[name] = st[base.id]             # `s = r.inner`: a name for part of the element
    elif isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
        call = cx.fi.calls.get(value)
        m = _map_name(cx.col, cx.fi, value.func.value)
        if call is not None and call.kind == "map_method" and call.name == "lookup" and m:
            out[name] = Ref(frozenset({m}), key=key_of(cx, value.args[0], st) if value.args else None)
        elif call is not None and call.kind == "ctx_load":
            out[name] = Ref(frozenset({PACKET}))
    return out


def store_target(cx: Context, target: ast.expr, value: ast.expr | None, st: State,
                 site: ast.AST) -> State:
    """Store into (or delete) ``target`` of statement ``site`` after the value was evaluated."""
    if isinstance(target, ast.Name):
        if value is None:                   # a loop variable: keys reading it change
            return forget_keys(st, frozenset({target.id}))
        return bind(cx, target.id, value, st)
    if isinstance(target, (ast.Tuple, ast.List)):
        for t in target.elts:
            st = store_target(cx, t, None, st, site)
        return st
    st = expr(cx, target, st)             # the base and index, evaluated at store time
    return write(cx, target, st, site)


def write(cx: Context, target: ast.expr, st: State, site: ast.AST) -> State:
    """The effect of writing (or deleting) ``target``: a write of a hash map entry frees that
    entry's element; keys that read memory the write may change are no longer known."""
    entry = _written_entry(cx.col, cx.fi, target)
    if entry is not None:
        m = _map_name(cx.col, cx.fi, entry.value)
        assert m is not None
        lru = cx.col.info.maps[m].type.kind is MapKind.LRU_HASH and not isinstance(site, ast.Delete)
        st = invalidate(st, frozenset({m}), site, key_of(cx, entry.slice, st), evicts=lru)
        return forget_keys(st, frozenset(), _MAP_ALIASES)
    base = target
    while isinstance(base, (ast.Attribute, ast.Subscript)):
        base = base.value
    if not isinstance(base, ast.Name):
        return forget_keys(st, None)
    root = _root(cx, base.id, st)
    # a store through an alias changes what other names of the same memory read
    roots = {"value": frozenset(), "mapref": _MAP_ALIASES, "ctx": frozenset({"ctx", "memory"}),
             "stack": frozenset({"stack", "memory"})}.get(root, _ANY_MEMORY)
    return forget_keys(st, frozenset({base.id}), roots)


# Roots whose memory a write into a map element may change, and every non-integer root.
_MAP_ALIASES = frozenset({"mapref", "memory"})
_ANY_MEMORY = frozenset({"mapref", "memory", "ctx", "stack"})


def stmt(cx: Context, node: ast.stmt, st: State) -> State:
    """The state after ``node``."""
    if st is None:
        return None
    if isinstance(node, ast.Assign):
        st = expr(cx, node.value, st)
        for t in node.targets:
            st = store_target(cx, t, node.value, st, node)
        return st
    if isinstance(node, ast.AnnAssign):
        if node.value is None:
            return st
        st = expr(cx, node.value, st)
        return store_target(cx, node.target, node.value, st, node)
    if isinstance(node, ast.AugAssign):
        # `r.value op= v` reads through r, evaluates v, then writes through r: a v that may
        # free r's element makes the write stale (fuzz seed 7700417, program 2756)
        target = None if isinstance(node.target, ast.Name) else node.target
        st = expr(cx, target, st)
        st = expr(cx, node.value, st)
        if isinstance(node.target, ast.Name):
            return forget_keys(st, frozenset({node.target.id}))
        st = expr(cx, target, st)
        return write(cx, node.target, st, node)
    if isinstance(node, ast.Delete):
        for t in node.targets:
            st = store_target(cx, t, None, st, node)
        return st
    if isinstance(node, ast.Expr):
        return expr(cx, node.value, st)
    if isinstance(node, ast.Return):
        expr(cx, node.value, st)
        return None
    if isinstance(node, ast.If):
        st = expr(cx, node.test, st)
        return merge(block(cx, node.body, st), block(cx, node.orelse, st))
    if isinstance(node, ast.With):                 # a locked block: its body, in order
        return block(cx, node.body, expr(cx, node.items[0].context_expr, st))
    if isinstance(node, (ast.For, ast.While)):
        return loop(cx, node, st)
    if isinstance(node, ast.Break):
        cx.loops[-1][0].append(st)
        return None
    if isinstance(node, ast.Continue):
        cx.loops[-1][1].append(st)
        return None
    return st


def block(cx: Context, body: list[ast.stmt], st: State) -> State:
    for s in body:
        st = stmt(cx, s, st)
    return st


def loop(cx: Context, node: ast.For | ast.While, st: State) -> State:
    """Iterate the body until the state at the loop's head no longer changes."""
    st = expr(cx, node.iter if isinstance(node, ast.For) else node.test, st)
    head = st
    for _ in range(8):                      # states only grow: a few rounds reach the fixpoint
        breaks: list[State] = []
        conts: list[State] = []
        cx.loops.append((breaks, conts))
        body_in = head
        if isinstance(node, ast.For):
            body_in = store_target(cx, node.target, None, head, node)
        end = block(cx, node.body, body_in)
        cx.loops.pop()
        new_head = merge(st, end, *conts)
        if new_head == head:
            break
        head = new_head
    return merge(block(cx, node.orelse, head), *breaks)
