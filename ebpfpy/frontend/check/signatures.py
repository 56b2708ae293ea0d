"""The interfaces of functions: ``@bpf_function`` parameters and results, timer callbacks,
and a program's context parameter."""
from __future__ import annotations

import ast

from ...types import (CONTEXT_TYPES, ArrayType, BpfType, ContextType, StructType, TIMER, iter_scalars,
                      i64, u32, u64)
from ...model.kernel_types import KernelStruct
from ..module import Collector
from ...model.items import FuncDef, ModuleInfo
from ...model.sections import kind_of
from ...model.typed import FuncInfo, Local
from .context import Role, Signature
from .kernel import check_attach_target, kernel_annotation
from ...model.walk import all_nodes


def _param_type(col: Collector, arg: ast.arg) -> BpfType | None:
    if arg.annotation is None:
        col.src.error("E221", arg, name=arg.arg)
        return None
    ctx_t = CONTEXT_TYPES.get(col.names.dsl(arg.annotation) or "")
    if ctx_t is not None:                 # the program's ctx, passed on (ctx.load works there)
        return ctx_t
    kt = kernel_annotation(col.info, arg.annotation)       # a kernel struct, passed by reference
    if kt is not None:
        return kt or None
    return col.type_expr(arg.annotation)


def function_signature(col: Collector, f: FuncDef, role: Role | None) -> Signature | None:
    """Parameters (by value or by reference) and the return type of a ``@bpf_function``."""
    node = f.node
    a = node.args
    if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs or a.defaults:
        col.src.error("E220", node, name=f.name)
        return None
    params: list[tuple[str, BpfType, bool]] = []
    if role is not None and role[0] == "timer_cb":
        return _timer_cb_signature(col, f, role[1])
    ok = True
    for i, arg in enumerate(a.args):
        t = _param_type(col, arg)
        if t is None:
            ok = False
            continue
        if isinstance(t, ContextType) and i != 0:
            # the lowering and the helpers find a function's ctx where a program has it
            col.src.error("E330", arg, name=arg.arg, func=f.name, type=t)
            ok = False
            continue
        params.append((arg.arg, t, isinstance(t, (StructType, ArrayType, KernelStruct))))
    ret: BpfType | None = i64
    if node.returns is not None:
        if isinstance(node.returns, ast.Constant) and node.returns.value is None:
            ret = None
        else:
            ret = col.type_expr(node.returns)
            if ret is None:
                return None
    # a struct or array result travels through a hidden pointer to the caller's object
    limit = 4 if isinstance(ret, (StructType, ArrayType)) else 5
    if len(params) > limit:
        col.src.error("E222", node, name=f.name, n=len(params) + 5 - limit)
        ok = False
    return (params, ret) if ok else None


def _timer_cb_signature(col: Collector, f: FuncDef, map_name: str | None) -> Signature | None:
    args = f.node.args.args
    if len(args) != 3:
        col.src.error("E173", f.node, name=f.name)
        return None
    m = col.info.maps.get(map_name) if map_name else None
    key_t: BpfType = m.type.key_type if m else u32
    val_t: BpfType = m.type.value_type if m else u64
    for arg, want in ((args[1], key_t), (args[2], val_t)):
        if arg.annotation is not None:
            t = col.type_expr(arg.annotation)
            if t is not None and t != want:
                col.src.error("E174", arg, name=arg.arg, type=t, want=want)
                return None
    # the kernel passes (map *, key *, value *): all three arrive as pointers
    return ([(args[0].arg, u64, True), (args[1].arg, key_t, True), (args[2].arg, val_t, True)], i64)


def program_info(col: Collector, f: FuncDef) -> FuncInfo | None:
    """A program's tables: its one parameter is the context (typed or a DSL context)."""
    node = f.node
    kind = kind_of(f.section or "")
    assert kind is not None
    a = node.args
    if len(a.args) != 1 or a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs:
        col.src.error("E224", node, name=f.name)
        return None
    arg = a.args[0]
    ctx_t: BpfType | None = None
    mode = "ctx"
    if arg.annotation is not None:
        dsl = col.names.dsl(arg.annotation)
        if dsl not in ("XdpContext", "SkbContext"):
            ctx_t = col.type_expr(arg.annotation)
            if ctx_t is None:
                return None
            if not isinstance(ctx_t, StructType):
                col.src.error("E225", arg.annotation, type=ctx_t)
                return None
            mode = "ref"
    check_attach_target(col.info, f, kind.name)          # tp_btf/fentry/fexit: the kernel has it?
    ctx = Local(arg.arg, ctx_t or u64, mode, arg, param_index=0, space="ctx")
    fi = FuncInfo(f, [ctx], i64, ctx_kind=kind.name, ctx_type=ctx_t)
    return fi


def scan_roles(info: ModuleInfo) -> dict[str, Role]:
    """Which functions are timer callbacks (and for which map): their parameters differ."""
    roles: dict[str, Role] = {}
    for f in info.all_funcs.values():
        calls = [(n.func.attr, n.args[0].id, len(n.args)) for n in all_nodes(f.node)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.args
                 and isinstance(n.args[0], ast.Name)]
        init_maps = [arg for meth, arg, _ in calls if meth == "init"]
        for meth, arg, nargs in calls:
            if meth == "set_callback" and nargs == 1:
                roles.setdefault(arg, ("timer_cb", _timer_map(info, init_maps)))
    return roles


def _timer_map(info: ModuleInfo, init_maps: list[str]) -> str | None:
    for name in init_maps:
        if name in info.maps:
            return name
    for m in info.maps.values():
        if m.type.value is not None and any(s is TIMER for s in iter_scalars(m.type.value)):
            return m.name
    return None
