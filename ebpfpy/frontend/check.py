"""The checker: types every function of a module and applies the verifier-friendly rules."""
from __future__ import annotations

import ast
from typing import Any

from ..types import (ArrayType, BpfType, StructType,
                     TIMER, iter_scalars, i64, u32, u64)
from .check_access import AccessChecker
from .check_calls import CallChecker
from .check_expr import ExprChecker
from .check_ranges import RangeChecker
from .check_stmt import StmtChecker
from .flow import Flow
from .module import Collector, FuncDef, ModuleInfo
from .sections import kind_of
from .typed import CheckedModule, FuncInfo, Local

STACK_LIMIT = 512
Signature = tuple[list[tuple[str, BpfType, bool]], BpfType | None]   # (name, type, by_ref)


class FunctionChecker(StmtChecker, ExprChecker, AccessChecker, CallChecker, RangeChecker):
    """Checks one function; collects every independent error before giving up."""

    def __init__(self, collector: Collector, fi: FuncInfo, signatures: dict[str, Signature],
                 roles: dict[str, tuple[str, Any]]) -> None:
        self.collector = collector
        self.src = collector.src
        self.info: ModuleInfo = collector.info
        self.fold = collector.fold
        self.fi = fi
        self.signatures = signatures
        self.roles = roles
        self.flow = Flow()
        self.loop_depth = 0
        self.loop_vars: dict[str, tuple[int, int]] = {}
        self.reassigned_loop_vars: set[str] = set()
        self.declared_globals: set[str] = set()
        self.call_sites: dict[str, ast.AST] = {}
        kind = kind_of(fi.fdef.section) if fi.fdef.section else None
        self.fdef_kind_tracing = bool(kind and kind.tracing)

    def run(self) -> None:
        for p in self.fi.params:
            self.fi.locals[p.name] = p
            if p.mode == "ref" or p.mode == "ctx":
                self.flow.nonnull.add(p.name)
        self.block(self.fi.node.body)


def _param_type(col: Collector, arg: ast.arg) -> BpfType | None:
    if arg.annotation is None:
        col.src.error("E221", arg, name=arg.arg)
        return None
    from .kernel_types import kernel_annotation
    kt = kernel_annotation(col, arg.annotation)       # a kernel struct, passed by reference
    if kt is not None:
        return kt or None
    return col.type_expr(arg.annotation)


def function_signature(col: Collector, f: FuncDef, role: tuple[str, Any] | None) -> Signature | None:
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
    for arg in a.args:
        t = _param_type(col, arg)
        if t is None:
            ok = False
            continue
        params.append((arg.arg, t, isinstance(t, (StructType, ArrayType)) or
                       type(t).__name__ == "KernelStruct"))
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
    key_t: BpfType = m.type.key if m else u32
    val_t: BpfType = m.type.value if m else u64
    for arg, want in ((args[1], key_t), (args[2], val_t)):
        if arg.annotation is not None:
            t = col.type_expr(arg.annotation)
            if t is not None and t != want:
                col.src.error("E174", arg, name=arg.arg, type=t, want=want)
                return None
    # the kernel passes (map *, key *, value *): all three arrive as pointers
    return ([(args[0].arg, u64, True), (args[1].arg, key_t, True), (args[2].arg, val_t, True)], i64)


def _program_info(col: Collector, f: FuncDef) -> FuncInfo | None:
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
    from .kernel_types import check_attach_target
    check_attach_target(col, f, kind.name)          # tp_btf/fentry/fexit: the kernel has it?
    ctx = Local(arg.arg, ctx_t or u64, mode, arg, param_index=0, space="ctx")
    fi = FuncInfo(f, [ctx], i64, ctx_kind=kind.name, ctx_type=ctx_t)
    return fi


def _scan_roles(info: ModuleInfo) -> dict[str, tuple[str, Any]]:
    """Which functions are timer callbacks (and for which map): their parameters differ."""
    roles: dict[str, tuple[str, Any]] = {}
    for f in info.all_funcs.values():
        calls = [n for n in ast.walk(f.node) if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Attribute) and n.args and isinstance(n.args[0], ast.Name)]
        init_maps = [n.args[0].id for n in calls if n.func.attr == "init"]
        for n in calls:
            if n.func.attr == "set_callback" and len(n.args) == 1:
                roles.setdefault(n.args[0].id, ("timer_cb", _timer_map(info, init_maps)))
    return roles


def _timer_map(info: ModuleInfo, init_maps: list[str]) -> str | None:
    for name in init_maps:
        if name in info.maps:
            return name
    for m in info.maps.values():
        if m.type.value is not None and any(s is TIMER for s in iter_scalars(m.type.value)):
            return m.name
    return None


def check_module(col: Collector) -> CheckedModule:
    """Type-check every function; raise CompileError with all errors found."""
    info = col.info
    roles = _scan_roles(info)
    sigs: dict[str, Signature] = {}
    for f in info.functions.values():
        s = function_signature(col, f, roles.get(f.name))
        if s is not None:
            sigs[f.name] = s
    funcs: dict[str, FuncInfo] = {}
    call_sites: dict[str, dict[str, ast.AST]] = {}
    for f in list(info.functions.values()) + list(info.programs.values()):
        if f.section is None:
            if f.name not in sigs:
                continue
            params, ret = sigs[f.name]
            locs = [Local(n, t, "ref" if byref else "value", f.node, param_index=i,
                          space="stack") for i, (n, t, byref) in enumerate(params)]
            fi = FuncInfo(f, locs, ret, is_callback=f.name in roles)
        else:
            fi = _program_info(col, f)
            if fi is None:
                continue
        fc = FunctionChecker(col, fi, sigs, roles)
        fc.run()
        funcs[f.name] = fi
        call_sites[f.name] = fc.call_sites
    order = _call_order(col, funcs, call_sites)
    from .rules import check_stack
    for name in order:
        check_stack(col, funcs[name], funcs)
    col.src.raise_if_errors()
    return CheckedModule(info, funcs, order)


def _call_order(col: Collector, funcs: dict[str, FuncInfo],
                sites: dict[str, dict[str, ast.AST]]) -> list[str]:
    """Callees before callers; a cycle is reported at the call that closes it."""
    order: list[str] = []
    state: dict[str, int] = {}
    for root in funcs:
        if state.get(root, 0):
            continue
        # iterative depth-first search: a call chain may be thousands of functions long
        path = [root]
        state[root] = 1
        todo = [iter(sorted(funcs[root].callees))]
        while todo:
            callee = next(todo[-1], None)
            if callee is None:
                todo.pop()
                name = path.pop()
                state[name] = 2
                order.append(name)
                continue
            st = state.get(callee, 0)
            if st == 2 or callee not in funcs:
                continue
            if st == 1:
                cycle = path[path.index(callee):] + [callee]
                col.src.error("E230", sites[path[-1]][callee], name=callee, cycle=" -> ".join(cycle))
                continue
            state[callee] = 1
            path.append(callee)
            todo.append(iter(sorted(funcs[callee].callees)))
    return order

