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
from .iters import declare_kfunc
from .ltypes import I8, I32, I64, PTR
from ..types import i32


def lower_kfunc_task(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    """``bpf_task_from_pid(pid)`` (NULL when no such task) or ``bpf_task_release(t)``."""
    di = cx.ml.di
    ks = call.extra if call.name == "task_from_pid" else \
        getattr(cx.fi.types[node.args[0]], "target")       # the released task's struct
    task_p = di.pointer(core_types(cx.ml).di(ks)[0])
    if call.name == "task_from_pid":
        fn = declare_kfunc(cx, "bpf_task_from_pid", (PTR, [I32], (task_p, [("pid", di.c_int())])))
        pid = convert(cx.b, cx.expr(node.args[0]), cx.fi.types[node.args[0]], i32)
        return cx.b.call(fn, [pid], name="task")
    fn = declare_kfunc(cx, "bpf_task_release", (ir.VoidType(), [PTR], (None, [("p", task_p)])))
    cx.b.call(fn, [cx.expr(node.args[0])])
    return ir.Constant(I64, 0)


def lower_ksym_exists(cx: LowerContext, node: ast.Call, call: Any, h: Any) -> ir.Value:
    """``&name != NULL`` for a weak typeless ksym."""
    name = call.extra
    mod = cx.ml.module
    gv = mod.globals.get(name)
    if gv is None:
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
