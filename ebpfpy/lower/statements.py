"""Lowering statements; ``visit`` owns each statement's location and its temporaries."""
from __future__ import annotations

import ast
from typing import Any, Callable

import llvmlite.ir as ir

from ..errors import CompileError
from ..model.typed import LoopStrategy, int_type, known
from ..types import BOOL
from .abi import PROGRAM_RET, returns_object
from .context import LowerContext
from .expressions import binop_values
from .ints import convert
from .iters import lower_iter_num
from .loops import lower_for, outline_loop
from .ltypes import I32
from .maps import map_aug, map_delete, map_store
from .memory import store_value


def block(cx: LowerContext, stmts: list[ast.stmt]) -> None:
    """Lower ``stmts`` in order; code after a jump goes to an unreachable block."""
    for s in stmts:
        if cx.b.block.is_terminated:
            cx.b.position_at_end(cx.fn.append_basic_block("dead"))
        visit(cx, s)


def visit(cx: LowerContext, s: ast.stmt) -> None:
    """Lower one statement at its line.  An unexpected exception becomes the internal-error
    diagnostic at this statement (the innermost one, as nested visits pass it on)."""
    cx.mark(s)
    mark = len(cx.temps)
    try:
        _STATEMENTS[type(s)](cx, s)
    except CompileError:
        raise
    except Exception as e:          # a compiler bug: reported at the user's line, no traceback
        raise cx.ml.info.src.internal_error(s, e) from e
    if len(cx.temps) > mark:        # the statement's temporaries end with it
        if not cx.b.block.is_terminated:
            for t in cx.temps[mark:]:
                cx.b.call(cx.lifetime("end"), [t])
        del cx.temps[mark:]


def _nothing(cx: LowerContext, node: ast.stmt) -> None:
    pass


def _expr(cx: LowerContext, node: ast.Expr) -> None:
    if isinstance(node.value, ast.Call):
        cx.expr(node.value)


def _return(cx: LowerContext, node: ast.Return) -> None:
    cx.exit.emit_return(cx, return_value(cx, node.value))


def return_value(cx: LowerContext, value: ast.expr | None) -> ir.Value | None:
    """The returned value in the function's LLVM return type (programs: i32)."""
    if value is None:
        return None
    v = cx.expr(value)
    src = cx.fi.types[value]
    if returns_object(cx.fi):
        return v                    # the object's address; the exit copies it
    if cx.fi.fdef.section is not None:
        return cx.b.zext(v, I32) if src is BOOL else convert(cx.b, v, src, PROGRAM_RET)
    return convert(cx.b, v, src, known(cx.fi.ret))


def _break(cx: LowerContext, node: ast.Break) -> None:
    target = cx.loop_targets[-1]
    if target is None:      # the outlined loop itself: stop bpf_loop
        cx.b.ret(ir.Constant(ir.IntType(64), 1))
    else:
        cx.b.branch(target[1])


def _continue(cx: LowerContext, node: ast.Continue) -> None:
    target = cx.loop_targets[-1]
    if target is None:
        cx.b.ret(ir.Constant(ir.IntType(64), 0))
    else:
        cx.b.branch(target[0])


def _if(cx: LowerContext, node: ast.If) -> None:
    c = cx.truth(node.test)
    unlikely = _is_none_test(node.test)
    then = cx.fn.append_basic_block("if.then")
    other = cx.fn.append_basic_block("if.else") if node.orelse else None
    done = cx.fn.append_basic_block("if.end")
    br = cx.b.cbranch(c, then, other or done)
    if unlikely:
        br.set_weights([1, 99])
    cx.b.position_at_end(then)
    block(cx, node.body)
    if not cx.b.block.is_terminated:
        cx.b.branch(done)
    if other is not None:
        cx.b.position_at_end(other)
        block(cx, node.orelse)
        if not cx.b.block.is_terminated:
            cx.b.branch(done)
    cx.b.position_at_end(done)


def _is_none_test(test: ast.expr) -> bool:
    """``x is None``: the failure of a lookup, a bounds-checked load or a reservation, the
    rare path (what C writes as ``if (!p) return ...;``), laid out last."""
    return isinstance(test, ast.Compare) and len(test.ops) == 1 and \
        isinstance(test.ops[0], ast.Is) and isinstance(test.comparators[0], ast.Constant) \
        and test.comparators[0].value is None


def _assign(cx: LowerContext, node: ast.Assign) -> None:
    assign(cx, node.targets[0], node.value)


def _ann_assign(cx: LowerContext, node: ast.AnnAssign) -> None:
    assert node.value is not None
    assign(cx, node.target, node.value)


def assign(cx: LowerContext, target: ast.expr, value: ast.expr) -> None:
    """``target = value`` for a map element, a reference local, or any place."""
    if isinstance(target, ast.Subscript) and cx.is_map(target.value):
        map_store(cx, target, value)
        return
    if isinstance(target, ast.Name):
        sym = cx.fi.names[target]
        if sym.kind == "local" and sym.target.mode != "value":
            cx.b.store(cx.expr(value), cx.slot(sym.target))
            return
    dst_t = cx.fi.types[target] if not isinstance(target, ast.Name) else \
        (cx.fi.names[target].target.type)
    v = cx.expr(value)        # Python evaluates the value before the target's parts
    store_value(cx, cx.place(target), dst_t, value, v)


def _aug_assign(cx: LowerContext, node: ast.AugAssign) -> None:
    target = node.target
    if isinstance(target, ast.Subscript) and cx.is_map(target.value):
        map_aug(cx, node)
        return
    t = int_type(cx.fi.types[target] if not isinstance(target, ast.Name) else
                 cx.fi.names[target].target.type)
    ptr = cx.place(target)
    old = cx.b.load(ptr, typ=cx.types.mem(t))
    v = binop_values(cx, node.op, t, old, cx.expr(node.value), cx.fi.types[node.value],
                     node.value)
    cx.b.store(v, ptr)


def _delete(cx: LowerContext, node: ast.Delete) -> None:
    for t in node.targets:
        assert isinstance(t, ast.Subscript)
        map_delete(cx, t)


def _for(cx: LowerContext, node: ast.For) -> None:
    if cx.fi.loops[node].strategy is LoopStrategy.BPF_LOOP:
        outline_loop(cx, node)
    elif cx.fi.loops[node].strategy is LoopStrategy.ITER_NUM:
        lower_iter_num(cx, node)
    else:
        lower_for(cx, node)


BPF_FUNC_spin_lock, BPF_FUNC_spin_unlock = 93, 94


def _with(cx: LowerContext, node: ast.With) -> None:
    """``with v.lock:``: bpf_spin_lock, the body, bpf_spin_unlock (the checker refused every
    way out of the body but its end)."""
    lock = cx.place(node.items[0].context_expr)
    cx.helper(BPF_FUNC_spin_lock, ir.IntType(64), [lock])
    block(cx, node.body)
    if not cx.b.block.is_terminated:
        cx.helper(BPF_FUNC_spin_unlock, ir.IntType(64), [lock])


_STATEMENTS: dict[type, Callable[[LowerContext, Any], None]] = {
    ast.Pass: _nothing, ast.Global: _nothing, ast.Expr: _expr, ast.Return: _return,
    ast.Break: _break, ast.Continue: _continue, ast.If: _if, ast.Assign: _assign,
    ast.AnnAssign: _ann_assign, ast.AugAssign: _aug_assign, ast.Delete: _delete,
    ast.For: _for, ast.With: _with}
