"""The checker: types every function of a module and applies the verifier-friendly rules.

Each topic module holds free functions over a :class:`CheckContext`; this module fills the
two dispatch tables (node class -> rule) and runs the functions of a module in turn.
"""
from __future__ import annotations

import ast

from ...model.items import FuncDef
from ...model.helper_table import PACKET_HELPERS
from ...model.kernel_types import KernelStruct
from ...types import ContextType, u64
from ..module import Collector
from ..rules import check_stack
from ..stale_refs import check_stale_refs
from ...model.sections import kind_of
from ...model.typed import CheckedModule, FuncInfo, Local
from . import access, assign, calls, operators, refs, sleep, statements
from .context import EXPR_RULES, STMT_RULES, CheckContext, Role, Signature, block
from .expressions import literal, name
from .signatures import function_signature, program_info, scan_roles

EXPR_RULES.update({ast.Constant: literal, ast.Name: name, ast.Call: calls.call,
                   ast.Attribute: access.attribute, ast.Subscript: access.subscript,
                   **operators.RULES})
STMT_RULES.update({**statements.RULES, **assign.RULES})


def check_module(col: Collector) -> CheckedModule:
    """Type-check every function; raise CompileError with all errors found."""
    info = col.info
    roles = scan_roles(info)
    sigs: dict[str, Signature] = {}
    for f in info.functions.values():
        s = function_signature(col, f, roles.get(f.name))
        if s is not None:
            sigs[f.name] = s
    funcs: dict[str, FuncInfo] = {}
    call_sites: dict[str, dict[str, ast.AST]] = {}
    sleep_calls: dict[str, list[tuple[str, ast.Call]]] = {}
    for f in list(info.functions.values()) + list(info.programs.values()):
        fi = _func_info(col, f, sigs, roles)
        if fi is None:
            continue
        c = check_function(col, fi, sigs, roles)
        funcs[f.name] = fi
        call_sites[f.name] = c.call_sites
        sleep_calls[f.name] = c.sleep_calls
    sleep.check_callers(col.src, info.programs, funcs, sleep_calls)
    order = _call_order(col, funcs, call_sites)
    _settle_ctx_kinds(col, funcs, order)
    for fname in order:
        check_stack(col, funcs[fname], funcs)
    if not col.src.errors:          # the rule reads complete type tables
        check_stale_refs(col, funcs)
    col.src.raise_if_errors()
    return CheckedModule(info, funcs, order)


def _func_info(col: Collector, f: FuncDef, sigs: dict[str, Signature],
               roles: dict[str, Role]) -> FuncInfo | None:
    """The tables to fill for ``f``: its parameters as locals (None after an error)."""
    if f.section is not None:
        return program_info(col, f)
    if f.name not in sigs:
        return None
    params, ret = sigs[f.name]
    # a kernel struct parameter points into the kernel, as the caller's reference did
    locs = [Local(n, t, "ref" if byref else "value", f.node, param_index=i,
                  space="kernel" if isinstance(t, KernelStruct) else "stack")
            for i, (n, t, byref) in enumerate(params)]
    ctx_t = params[0][1] if params else None
    if isinstance(ctx_t, ContextType):
        # the caller's ctx, first as in a program; its kind is settled by the callers
        locs[0] = Local(params[0][0], u64, "ctx", f.node, param_index=0, space="ctx")
        return FuncInfo(f, locs, ret, ctx_kind=ctx_t.kinds[0], is_callback=f.name in roles)
    return FuncInfo(f, locs, ret, is_callback=f.name in roles)


def check_function(col: Collector, fi: FuncInfo, sigs: dict[str, Signature],
                   roles: dict[str, Role]) -> CheckContext:
    """Type one function's body into ``fi``; errors are collected in the source."""
    kind = kind_of(fi.fdef.section) if fi.fdef.section else None
    c = CheckContext(col.info, col.fold, fi, sigs, roles, tracing=bool(kind and kind.tracing))
    for p in fi.params:
        fi.locals[p.name] = p
        if p.mode == "ref" or p.mode == "ctx":
            c.flow.nonnull.add(p.name)
    block(c, fi.node.body)
    if not c.flow.dead and fi.node.body:
        refs.at_exit(c, fi.node.body[-1], "ends the function")
    return c


def _settle_ctx_kinds(col: Collector, funcs: dict[str, FuncInfo], order: list[str]) -> None:
    """An ``SkbContext`` function reads the packet as the programs that call it do: in place
    (tc, cgroup_skb) or through ``bpf_skb_load_bytes`` (socket); both at once is E333."""
    reached: dict[str, set[str]] = {}
    for name in reversed(order):             # callers before callees
        fi = funcs[name]
        kinds = {fi.ctx_kind} if fi.fdef.section is not None else reached.get(name, set())
        for callee in fi.callees:
            reached.setdefault(callee, set()).update(kinds)
        if fi.fdef.section is None and fi.ctx_kind and "socket" in kinds:
            other = sorted(kinds - {"socket"})
            if other:
                col.src.error("E333", fi.node, func=name, other=", ".join(other))
            else:
                fi.ctx_kind = "socket"
                _socket_helpers(col, fi)


def _socket_helpers(col: Collector, fi: FuncInfo) -> None:
    """A function settled as a socket filter's: its packet helpers must be ones socket
    filters have (it was checked as a tc function)."""
    for node, call in fi.calls.items():
        spec = PACKET_HELPERS.get(call.name) if call.kind == "helper" else None
        if spec is not None and "socket" not in spec.kinds:
            col.src.error("E334", node.func, what=f"helpers.{call.name}", kind="socket",
                          kinds=", ".join(spec.kinds))


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

