"""Lowering kernel functions that hand out task references and ``ksym_exists``.

``helpers.task_from_pid(pid)`` / ``helpers.task_release(t)`` call the kfuncs
``bpf_task_from_pid`` / ``bpf_task_release``, declared extern in ``.ksyms`` with debug
prototypes whose ``struct task_struct *`` points at the module's own description of the
struct (libbpf checks a kfunc's local prototype against the kernel's, and a pointer to a
forward declaration would not match a pointer to a struct).

``helpers.ksym_exists("name")`` is libbpf's ``bpf_ksym_exists``: the address of a weak,
typeless ``extern const void name __ksym __weak``, which libbpf fills from /proc/kallsyms
(0 when the kernel lacks the symbol).
"""
from __future__ import annotations

import ast
from typing import Any

import llvmlite.ir as ir

from .context import LowerContext
from .core import core_types
from .ints import convert
from .alloc import ALLOC_KFUNCS, alloc_kfunc
from .iters import declare_kfunc, kfunc, kfunc_names
from .ltypes import I8, I32, I64, PTR
from ..types import i32


def lower_kfunc_task(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    """``bpf_task_from_pid(pid)`` (NULL when no such task) or ``bpf_task_release(t)``."""
    ks = call.extra if call.name == "task_from_pid" else \
        getattr(cx.fi.types[node.args[0]], "target")       # the released task's struct
    if call.name == "task_from_pid":
        fn = _task_kfunc(cx, "bpf_task_from_pid", ks)
        pid = convert(cx.b, cx.expr(node.args[0]), cx.fi.types[node.args[0]], i32)
        return cx.b.call(fn, [pid], name="task")
    cx.b.call(_task_kfunc(cx, "bpf_task_release", ks), [cx.expr(node.args[0])])
    return ir.Constant(I64, 0)


_TASK_KFUNCS = {"bpf_task_from_pid": "task_from_pid", "bpf_task_release": "task_release"}


def _task_kfunc(cx: LowerContext, symbol: str, ks: Any) -> ir.Function:
    di = cx.ml.di
    task_p = di.pointer(core_types(cx.ml).di(ks)[0])
    if symbol == "bpf_task_from_pid":
        return declare_kfunc(cx, symbol, (PTR, [I32], (task_p, [("pid", di.c_int())])))
    return declare_kfunc(cx, symbol, (ir.VoidType(), [PTR], (None, [("p", task_p)])))


def _called_task_kfunc(cx: LowerContext, symbol: str) -> ir.Function | None:
    """The declaration of ``symbol`` when ebpfpy may call it as a kfunc (declared now, so
    that ``ksym_exists`` and a call share one extern), else None."""
    if symbol in ALLOC_KFUNCS:
        return alloc_kfunc(cx, symbol)
    if symbol in kfunc_names(cx):
        return kfunc(cx, symbol)
    helper = _TASK_KFUNCS.get(symbol)
    for fi in cx.ml.checked.funcs.values():
        for node, c in fi.calls.items():
            if c.kind == "kfunc_task" and c.name == helper:
                ks = c.extra if helper == "task_from_pid" else getattr(fi.types[node.args[0]], "target")
                return _task_kfunc(cx, symbol, ks)
    return None


def lower_ksym_exists(cx: LowerContext, node: ast.Call, call: Any, h: Any) -> ir.Value:
    """``&name != NULL`` for a weak typeless ksym."""
    name = call.extra
    mod = cx.ml.module
    gv = mod.globals.get(name) or _called_task_kfunc(cx, name)
    if isinstance(gv, ir.Function):
        # a kfunc the program also calls: one weak extern for both (libbpf resolves it to 0
        # when the kernel lacks it, and the call must then sit under this guard)
        gv.linkage = "extern_weak"
    elif gv is None:
        gv = ir.GlobalVariable(mod, I8, name)
        gv.linkage = "extern_weak"
        gv.section = ".ksyms"
        gv.global_constant = True
        d = cx.ml.di
        void_const = d.m.add_debug_info("DIDerivedType", {
            "tag": ir.DIToken("DW_TAG_const_type"), "baseType": None})
        d.global_var(gv, name, void_const, node.lineno, definition=False)
    # an address LLVM cannot prove non-null (a weak symbol may be 0): compare at run time
    addr = cx.b.ptrtoint(gv, I64, name=name)
    return cx.b.icmp_unsigned("!=", addr, ir.Constant(I64, 0), name="exists")
