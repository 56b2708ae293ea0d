"""Checking uses of the running kernel's types: fields of kernel structs (CO-RE reads),
``task_struct(addr)`` casts, kernel-typed parameters and fentry/fexit/tp_btf targets."""
from __future__ import annotations

import ast
from typing import Literal

from ...types import BpfType, RefType, u64
from ...model.items import FuncDef, ModuleInfo
from ...model.kernel_types import (FlavourStruct, KernelFlex, KernelStruct, base_space, kernel_struct,
                                  vmlinux)
from ...model.typed import ERR, Call, is_int
from .context import CheckContext, nargs
from .expressions import expr, value_into
from .ranges import value_range


def check_kernel_attr(c: CheckContext, node: ast.Attribute, bt: BpfType) -> BpfType | None:
    """Type ``x.attr`` when ``x`` is a kernel struct (or a reference to one); None otherwise."""
    target = bt.target if isinstance(bt, RefType) else bt
    if not isinstance(target, KernelStruct):
        return None
    if isinstance(node.ctx, (ast.Store, ast.Del)):
        c.src.error("E261", node, type=target)
        return ERR
    f = target.fields.get(node.attr)
    if f is not None and isinstance(target, FlavourStruct) and node.attr in target.missing \
            and not c.core_guard:
        c.src.error("E277", node, base=target.base, what="field", name=node.attr,
                    expr=ast.unparse(node), query="field_exists")
    if f is None:
        if node.attr in target.unreadable:
            c.src.error("E262", node, type=target, name=node.attr, why=target.unreadable[node.attr])
        else:
            names = sorted(target.fields)
            c.src.error("E263", node, type=target, name=node.attr,
                        fields=", ".join(names[:30]) + (", …" if len(names) > 30 else ""))
        return ERR
    if isinstance(f.type, KernelFlex) and c.flex_base is not node:
        elem = f.type.elem
        c.src.error("E365", node, type=target, name=node.attr, expr=ast.unparse(node),
                    elem=f"{elem.target} *" if isinstance(elem, RefType) else f"{elem} ")
        return ERR
    space = base_space(c.fi, node.value)
    t = f.type
    if isinstance(t, RefType) and space != t.space:
        t = RefType(t.target, t.nullable, space)
    c.fi.attrs[node] = ("kfield", f)
    return t


def kernel_flex_index(c: CheckContext, node: ast.Subscript, flex: KernelFlex) -> BpfType:
    """``cg.ancestors[i]``: one element of a kernel flexible array, ``i`` a non-negative
    constant or an index whose range the checker knows (E366 otherwise)."""
    it = expr(c, node.slice)
    if it is ERR:
        return ERR
    if not is_int(it):
        c.src.error("E111", node.slice, type=it)
        return ERR
    k = c.fi.consts.get(node.slice)
    r = (k, k) if k is not None else value_range(c, node.slice)
    if r is None or r[0] < 0:
        base = node.value
        owner = c.fi.types.get(base.value) if isinstance(base, ast.Attribute) else None
        owner = owner.target if isinstance(owner, RefType) else owner
        c.src.error("E366", node.slice, index=ast.unparse(node.slice), type=owner,
                    name=getattr(base, "attr", "?"), expr=ast.unparse(base),
                    range="unknown" if r is None else f"{r[0]}..{r[1]}")
        return ERR
    c.fi.attrs[node] = ("kflex", flex)
    return flex.elem


def check_kernel_cast(c: CheckContext, node: ast.Call, name: str) -> BpfType:
    """``task_struct(addr)``: an integer address read through probe_read_kernel."""
    ks = kernel_struct(name)
    if ks is None:
        c.src.error("E260", node.func, name=name)
        return ERR
    if not nargs(c, node, 1, name):
        return ERR
    value_into(c, node.args[0], u64, "kernel address")
    t = RefType(ks, False, "probe")
    c.fi.calls[node] = Call("kernel_ptr", name, t)
    return t


def check_flavour_cast(c: CheckContext, node: ast.Call, fl: KernelStruct) -> BpfType:
    """``task_struct___pre514(task)``: a kernel reference seen through a flavour (the same
    pointer; reads relocate by the flavour's field names), or an integer address read
    through probe_read_kernel as ``task_struct(addr)`` is."""
    if not nargs(c, node, 1, fl.name):
        return ERR
    at = expr(c, node.args[0])
    if at is ERR:
        return ERR
    if isinstance(at, RefType) and isinstance(at.target, KernelStruct):
        t = RefType(fl, at.nullable, at.space)
        c.fi.calls[node] = Call("kernel_view", fl.name, t)
        return t
    value_into(c, node.args[0], u64, "kernel address")
    t = RefType(fl, False, "probe")
    c.fi.calls[node] = Call("kernel_ptr", fl.name, t)
    return t


def resolve_kernel_name(c: CheckContext, node: ast.AST, name: str) -> KernelStruct | None:
    """The kernel struct ``ebpfpy.kernel.<name>`` names, reporting E260 when unknown."""
    ks = kernel_struct(name)
    if ks is None:
        c.src.error("E260", node, name=name)
    return ks


def kernel_annotation(info: ModuleInfo, node: ast.expr) -> KernelStruct | Literal[False] | None:
    """The kernel struct a parameter annotation names (``t: task_struct``), False after an
    error, or None when the annotation is not a kernel type."""
    dsl = info.names.dsl(node)
    if dsl is None or not dsl.startswith("kernel."):
        return None
    ks = kernel_struct(dsl[7:])
    if ks is None:
        info.src.error("E260", node, name=dsl[7:])
        return False
    return ks


def check_attach_target(info: ModuleInfo, f: FuncDef, kind: str) -> None:
    """A tp_btf/fentry/fexit section must name something the kernel's BTF has (E266 at the
    decorator); without BTF nothing is checked here and the load reports it."""
    if kind not in ("tp_btf", "fentry", "fexit") or not f.section or "/" not in f.section:
        return
    kb = vmlinux()
    if kb is None:
        return
    target = f.section.split("/", 1)[1]
    if kind == "tp_btf":
        if kb.tp_btf_args(target) is None:
            info.src.error("E266", f.deco, what="BTF tracepoint", name=target, kind=kind,
                          hint="tp_btf/NAME takes a tracepoint's name without its category, "
                               "e.g. tp_btf/sched_switch (the kernel has btf_trace_NAME)")
    elif kb.func_args(target) is None:
        info.src.error("E266", f.deco, what="function", name=target, kind=kind,
                      hint="fentry/fexit attach to kernel functions listed in its BTF "
                           "(bpftool btf dump file /sys/kernel/btf/vmlinux | grep FUNC)")
