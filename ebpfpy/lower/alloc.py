"""Lowering memory a program allocates: ``helpers.obj_new``, ``helpers.obj_drop`` and
``helpers.kptr_xchg``.

``obj_new(T)`` is the kfunc ``bpf_obj_new_impl(local_type_id, NULL)``: the kernel allocates
an object of the program's own BTF type ``T``.  The type id is not known until LLVM writes the
BTF, so it is the intrinsic ``llvm.bpf.btf.type.id`` on ``T``'s debug type, as clang's
``bpf_core_type_id_local(T)`` emits it: LLVM's BPF backend turns it into a ``ld_imm64`` with a
``.BTF.ext`` relocation (``<local_type_id>``) that libbpf resolves when it loads the object.
``kptr_xchg`` is helper 194 on the address of the map value's ``Kptr`` field.
"""
from __future__ import annotations

import ast
import itertools
from typing import Any

import llvmlite.ir as ir

from ..types import BOOL, LISTNODE, RBNODE, GraphRootType, StructType, u32
from .context import LowerContext
from .iters import declare_kfunc
from .ints import convert
from .ltypes import I8, I32, I64, PTR

BPF_FUNC_kptr_xchg = 194
BTF_TYPE_ID_LOCAL = 0                 # enum bpf_type_id_kind
_TYPE_ID = "llvm.bpf.btf.type.id"
_SEQ = itertools.count()
# any bpf_rb_root / bpf_list_head: the kfunc prototypes only need the C struct names
_ROOT = GraphRootType("rb", StructType("_", []), "_")
_HEAD = GraphRootType("list", StructType("_", []), "_")               # the intrinsic's sequence numbers must not repeat


def lower_alloc(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    """A call the checker recorded as kind ``alloc``."""
    return _LOWER[call.name](cx, node, call)


def _obj_new(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    st: StructType = call.extra
    fn = _kfunc(cx, f"bpf_{call.name}_impl")
    p = cx.b.call(fn, [local_type_id(cx, st), ir.Constant(PTR, None)], name="obj")
    return p


def _obj_drop(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    cx.b.call(_kfunc(cx, f"bpf_{call.name}_impl"), [cx.expr(node.args[0]), ir.Constant(PTR, None)])
    return ir.Constant(I64, 0)


def _refcount_acquire(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    return cx.b.call(_kfunc(cx, "bpf_refcount_acquire_impl"),
                     [cx.expr(node.args[0]), ir.Constant(PTR, None)], name="ref")


BPF_FUNC_per_cpu_ptr, BPF_FUNC_this_cpu_ptr = 153, 154


def _cpu_ptr(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    """Load the PerCpuKptr field (the verifier marks the loaded pointer RCU-protected and
    maybe NULL), and past the null check ask for a CPU's copy of the object."""
    b = cx.b
    p = b.load(cx.place(node.args[0]), name="percpu", typ=PTR)
    cpu = None
    if call.name == "per_cpu_ptr":
        cpu = convert(b, cx.expr(node.args[1]), cx.fi.types[node.args[1]], u32)
    entry = b.block
    found = cx.fn.append_basic_block("percpu.found")
    done = cx.fn.append_basic_block("percpu.done")
    b.cbranch(b.icmp_unsigned("==", p, ir.Constant(PTR, None)), done, found)
    b.position_at_end(found)
    if cpu is None:
        q = cx.helper(BPF_FUNC_this_cpu_ptr, PTR, [p])
    else:
        q = cx.helper(BPF_FUNC_per_cpu_ptr, PTR, [p, b.zext(cpu, I64) if cpu.type != I64 else cpu])
    found_end = b.block
    b.branch(done)
    b.position_at_end(done)
    phi = b.phi(PTR, name="cpu_obj")
    phi.add_incoming(ir.Constant(PTR, None), entry)
    phi.add_incoming(q, found_end)
    return phi


def _kptr_xchg(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    slot, new = node.args
    value = ir.Constant(PTR, None) if isinstance(new, ast.Constant) else cx.expr(new)
    return cx.helper(BPF_FUNC_kptr_xchg, PTR, [cx.place(slot), value])


def local_type_id(cx: LowerContext, st: StructType) -> ir.Value:
    """The BTF id of ``st`` in this object (a relocated constant)."""
    mod = cx.fn.module
    fn = mod.globals.get(_TYPE_ID)
    if fn is None:
        fn = ir.Function(mod, ir.FunctionType(I64, [I32, I64]), _TYPE_ID)
    seq = next(_SEQ)
    v = cx.b.call(fn, [ir.Constant(I32, seq), ir.Constant(I64, BTF_TYPE_ID_LOCAL)],
                  name="type_id")
    v.set_metadata("llvm.preserve.access.index", cx.ml.di.type_of(st))
    return v


def _kfunc(cx: LowerContext, name: str) -> ir.Function:
    di = cx.ml.di
    void_p = di.pointer(None)
    root, node = di.pointer(di.type_of(_ROOT)), di.pointer(di.type_of(RBNODE))
    head, lnode = di.pointer(di.type_of(_HEAD)), di.pointer(di.type_of(LISTNODE))
    u64_t, int_t = di.type_of_int(64), di.c_int()
    less_t = di.pointer(di.m.add_debug_info("DISubroutineType", {
        "types": di.m.add_metadata([di.type_of(BOOL), node, node])}))
    push = (I32, [PTR, PTR, PTR, I64], (int_t, [("head", head), ("node", lnode),
                                                ("meta__ign", void_p), ("off", u64_t)]))
    pop = (PTR, [PTR], (lnode, [("head", head)]))
    sigs = {
        "bpf_rbtree_add_impl": (I32, [PTR, PTR, PTR, PTR, I64], (int_t, [
            ("root", root), ("node", node), ("less", less_t), ("meta__ign", void_p),
            ("off", u64_t)])),
        "bpf_rbtree_first": (PTR, [PTR], (node, [("root", root)])),
        "bpf_rbtree_root": (PTR, [PTR], (node, [("root", root)])),
        "bpf_rbtree_left": (PTR, [PTR, PTR], (node, [("root", root), ("node", node)])),
        "bpf_rbtree_right": (PTR, [PTR, PTR], (node, [("root", root), ("node", node)])),
        "bpf_list_front": pop, "bpf_list_back": pop,
        "bpf_rbtree_remove": (PTR, [PTR, PTR], (node, [("root", root), ("node", node)])),
        "bpf_list_push_front_impl": push, "bpf_list_push_back_impl": push,
        "bpf_list_pop_front": pop, "bpf_list_pop_back": pop,
        "bpf_obj_new_impl": (PTR, [I64, PTR], (void_p, [("local_type_id__k", di.type_of_int(64)),
                                                        ("meta__ign", void_p)])),
        "bpf_percpu_obj_new_impl": (PTR, [I64, PTR], (void_p, [
            ("local_type_id__k", di.type_of_int(64)), ("meta__ign", void_p)])),
        "bpf_percpu_obj_drop_impl": (ir.VoidType(), [PTR, PTR], (None, [
            ("p__alloc", void_p), ("meta__ign", void_p)])),
        "bpf_refcount_acquire_impl": (PTR, [PTR, PTR], (void_p, [("p__refcounted_kptr", void_p),
                                                                 ("meta__ign", void_p)])),
        "bpf_obj_drop_impl": (ir.VoidType(), [PTR, PTR], (None, [("p__alloc", void_p),
                                                                 ("meta__ign", void_p)])),
    }
    return declare_kfunc(cx, name, sigs[name])


ALLOC_KFUNCS = frozenset({
    "bpf_rbtree_add_impl", "bpf_rbtree_first", "bpf_rbtree_remove", "bpf_list_push_front_impl",
    "bpf_list_push_back_impl", "bpf_list_pop_front", "bpf_list_pop_back", "bpf_obj_new_impl",
    "bpf_obj_drop_impl", "bpf_rbtree_root", "bpf_rbtree_left", "bpf_rbtree_right",
    "bpf_list_front", "bpf_list_back", "bpf_refcount_acquire_impl", "bpf_percpu_obj_new_impl",
    "bpf_percpu_obj_drop_impl"})


def alloc_kfunc(cx: LowerContext, name: str) -> ir.Function:
    """The declaration of one of ALLOC_KFUNCS (for ``ksym_exists`` on it)."""
    return _kfunc(cx, name)


# ------------------------------------------------------------------ trees and lists
# The kfuncs take and return pointers to the node member (struct bpf_rb_node *), not to the
# object: the object is at ``node - offsetof(T, field)`` (C's container_of), and the kfuncs
# that add a node are told that offset.
def _node(cx: LowerContext, obj: ir.Value, root: GraphRootType) -> ir.Value:
    off = root.target.by_name[root.node].offset
    return cx.b.gep(obj, [ir.Constant(I64, off)], source_etype=I8, name="node") if off else obj


def _object(cx: LowerContext, p: ir.Value, root: GraphRootType) -> ir.Value:
    """The object around a node pointer the kernel returned, or NULL.  The verifier refuses
    arithmetic on a pointer that may be NULL, so the subtraction happens only past the
    null check, on an opaque copy LLVM cannot hoist above it."""
    off = root.target.by_name[root.node].offset
    if not off:
        return p
    b = cx.b
    entry = b.block
    found = cx.fn.append_basic_block("node.found")
    done = cx.fn.append_basic_block("node.done")
    b.cbranch(b.icmp_unsigned("==", p, ir.Constant(PTR, None)), done, found)
    b.position_at_end(found)
    opaque = ir.InlineAsm(ir.FunctionType(PTR, [PTR]), "", "=r,0", side_effect=True)
    q = b.gep(b.call(opaque, [p]), [ir.Constant(I64, -off)], source_etype=I8, name="obj")
    b.branch(done)
    b.position_at_end(done)
    phi = b.phi(PTR, name="obj")
    phi.add_incoming(ir.Constant(PTR, None), entry)
    phi.add_incoming(q, found)
    return phi


def _graph(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    root: GraphRootType = call.extra
    meth = call.name.split("_", 1)[1]
    head = cx.place(node.func.value)             # type: ignore[attr-defined]
    off = ir.Constant(I64, root.target.by_name[root.node].offset)
    null = ir.Constant(PTR, None)
    if meth == "add":
        less = _less_trampoline(cx, node.args[1].id, root)      # type: ignore[attr-defined]
        r = cx.b.call(_kfunc(cx, "bpf_rbtree_add_impl"),
                      [head, _node(cx, cx.expr(node.args[0]), root), less, null, off])
        return cx.b.sext(r, I64)
    if meth in ("push_front", "push_back"):
        r = cx.b.call(_kfunc(cx, f"bpf_list_{meth}_impl"),
                      [head, _node(cx, cx.expr(node.args[0]), root), null, off])
        return cx.b.sext(r, I64)
    if meth in ("remove", "left", "right"):
        p = cx.b.call(_kfunc(cx, f"bpf_rbtree_{meth}"),
                      [head, _node(cx, cx.expr(node.args[0]), root)])
        return _object(cx, p, root)
    if meth == "pop_first":              # first, and if there is one, remove it
        b = cx.b
        first = b.call(_kfunc(cx, "bpf_rbtree_first"), [head])
        entry = b.block
        found = cx.fn.append_basic_block("first.found")
        done = cx.fn.append_basic_block("first.done")
        b.cbranch(b.icmp_unsigned("==", first, null), done, found)
        b.position_at_end(found)
        taken = b.call(_kfunc(cx, "bpf_rbtree_remove"), [head, first])
        found_end = b.block
        b.branch(done)
        b.position_at_end(done)
        p = b.phi(PTR, name="taken")
        p.add_incoming(null, entry)
        p.add_incoming(taken, found_end)
        return _object(cx, p, root)
    name = f"bpf_rbtree_{meth}" if root.kind == "rb" else f"bpf_list_{meth}"
    return _object(cx, cx.b.call(_kfunc(cx, name), [head]), root)


def _less_trampoline(cx: LowerContext, less: str, root: GraphRootType) -> ir.Function:
    """``bool cb(struct bpf_rb_node *a, const struct bpf_rb_node *b)``: the callback the
    kernel calls, which finds the two objects and asks the program's ``less(a, b)``."""
    ml = cx.ml
    name = f"__ebpfpy_less_{less}_{root.node}"
    if name in ml.functions:
        return ml.functions[name]
    fn = ir.Function(ml.module, ir.FunctionType(I64, [PTR, PTR]), name)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    fn.attributes.add("noinline")
    fn.args[0].name, fn.args[1].name = "a", "b"
    di = ml.di
    node_p = di.pointer(di.type_of(RBNODE))
    line = getattr(cx.node, "lineno", 1)
    sp = di.subprogram(name, line, di.type_of(BOOL), [("a", node_p), ("b", node_p)], local=True)
    fn.set_metadata("dbg", sp)
    ml.functions[name] = fn
    ml.subprograms[name] = sp
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    b.debug_metadata = di.location(line, 1, sp)
    off = root.target.by_name[root.node].offset
    objs = [b.gep(a, [ir.Constant(I64, -off)], source_etype=I8) if off else a for a in fn.args]
    r = b.call(ml.functions[less], objs)
    b.ret(b.zext(r, I64) if r.type != I64 else r)
    return fn


_LOWER = {"obj_new": _obj_new, "obj_drop": _obj_drop, "kptr_xchg": _kptr_xchg,
          "refcount_acquire": _refcount_acquire, "percpu_obj_new": _obj_new,
          "percpu_obj_drop": _obj_drop, "this_cpu_ptr": _cpu_ptr, "per_cpu_ptr": _cpu_ptr,
          **{f"rb_{m}": _graph for m in ("add", "first", "remove", "pop_first", "root", "left",
                                         "right")},
          **{f"list_{m}": _graph for m in ("push_front", "push_back", "pop_front", "pop_back",
                                           "front", "back")}}
