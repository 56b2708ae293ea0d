"""Lowering ``for i in range(...)``: as a loop the verifier walks, or outlined.

An outlined loop (frontend/split.py chooses) becomes a ``bpf_loop`` call whose callback is
the body: the verifier walks it until its state converges (a few walks since Linux 6.7),
however many iterations.  Locals that live across the loop boundary
are in the function's frame (abi.py).  The body is lowered in a second ``LowerContext``
whose exit is a ``LoopBodyExit`` (exits.py): ``break`` returns 1 from the callback,
``continue`` 0, ``return v`` leaves ``v`` in the frame.
"""
from __future__ import annotations

import ast
from typing import Any

import llvmlite.ir as ir

from ..model import helper_table as H
from ..model.typed import Local
from ..types import IntType
from .abi import RET_FLAG
from .context import LowerContext
from .exits import LoopBodyExit
from .ints import compare, convert
from .settle import settle_state, written_regions
from .ltypes import I8, I32, I64, PTR
from ..model.walk import all_nodes

_I64 = IntType("i64", 64, True)


def callback_name(func: str, loop: ast.For) -> str:
    """The outlined body's symbol: stable, so reports and disassembly can name it."""
    return f"{func}__loop_l{loop.lineno}c{loop.col_offset}"


def outline_loop(cx: LowerContext, node: ast.For) -> None:
    """The loop ``node`` as a ``bpf_loop`` call of a callback made from its body."""
    assert cx.frame is not None
    info = cx.fi.loops[node]
    start = _bound(cx, info.start, _I64)
    stop = _bound(cx, info.stop, _I64)
    trips = _trip_count(cx, start, stop, info.step, info.trip_bound)
    base = cx.frame.field(cx.b, cx.frame_ptr, ("start", node)) \
        if ("start", node) in cx.frame.index else None
    cb = _callback(cx, node, start if isinstance(start, ir.Constant) else None)
    if base is not None:
        cx.b.store(start, base)
    cx.helper(H.HELPERS["loop"].id, I64, [trips, cb, cx.frame_ptr, ir.Constant(I64, 0)])
    _propagate_return(cx)


def _trip_count(cx: LowerContext, start: ir.Value, stop: ir.Value, step: int,
                bound: int) -> ir.Value:
    """Iterations of ``range(start, stop, step)``, as the u32 bpf_loop takes."""
    if isinstance(start, ir.Constant) and isinstance(stop, ir.Constant):
        a, z = start.constant, stop.constant
        n = max(0, -(-(z - a) // step)) if step > 0 else max(0, -(-(a - z) // -step))
        return ir.Constant(I32, n)
    b = cx.b
    diff = b.sub(stop, start) if step > 0 else b.sub(start, stop)
    pos = b.icmp_signed(">", diff, ir.Constant(I64, 0))
    s = abs(step)
    n = b.udiv(b.add(diff, ir.Constant(I64, s - 1)), ir.Constant(I64, s))
    n = b.select(pos, n, ir.Constant(I64, 0))
    # the checker's bound restated: keeps the count provably within bpf_loop's limit
    over = b.icmp_unsigned(">", n, ir.Constant(I64, bound))
    n = b.select(over, ir.Constant(I64, bound), n)
    return b.trunc(n, I32, name="trips")


def _callback(cx: LowerContext, node: ast.For, const_start: ir.Constant | None) -> ir.Function:
    """Declare the callback ``i64 (u32 index, ptr frame)`` and lower the body into it (an
    i64 index when the body settles state: the register's upper half, 0, is what
    settle.py needs)."""
    ml = cx.ml
    name = callback_name(cx.fi.name, node)
    settle = written_regions(cx, node.body)
    fn = ir.Function(ml.module, ir.FunctionType(I64, [I64 if settle else I32, PTR]), name)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    fn.attributes.add("noinline")
    fn.args[0].name, fn.args[1].name = "index", "frame"
    di = ml.di
    sp = di.subprogram(name, node.lineno, di.type_of(_I64),
                       [("index", di.type_of(IntType("u32", 32, False))),
                        ("frame", di.pointer(di.c_int()))], local=True)
    fn.set_metadata("dbg", sp)
    ml.functions[name] = fn
    ml.subprograms[name] = sp
    _lower_body(cx, fn, node, const_start, settle)
    return fn


def _lower_body(parent: LowerContext, fn: ir.Function, node: ast.For,
                const_start: ir.Constant | None, settle: list[ast.expr]) -> None:
    """The callback's body: the loop variable from the index, then the loop's statements."""
    names = parent.fi.names
    stores = [names[n].target for n in all_nodes(node)
              if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n in names]
    assigned = {t for t in stores if isinstance(t, Local)}
    cx = LowerContext(parent.ml, parent.fi, fn, parent.passes, LoopBodyExit(node, assigned),
                      parent.frame, fn.args[1], loop_targets=[None])
    assert cx.frame is not None
    info = cx.fi.loops[node]
    cx.mark(node)
    if settle:
        settle_state(cx, settle, fn.args[0])
        idx = cx.b.zext(cx.b.trunc(fn.args[0], I32), I64)
    else:
        idx = cx.b.zext(fn.args[0], I64)
    step = ir.Constant(I64, info.step)
    if const_start is not None:
        start = const_start
    else:
        start = cx.b.load(cx.frame.field(cx.b, cx.frame_ptr, ("start", node)), typ=I64)
    i = cx.b.add(start, cx.b.mul(idx, step), name="i")
    target = cx.fi.names[node.target].target
    cx.b.store(convert(cx.b, i, _I64, target.type), cx.slot(target))
    cx.block(node.body)
    if not cx.b.block.is_terminated:
        cx.exit.default_return(cx)
    cx.finish()


def _propagate_return(cx: LowerContext) -> None:
    """After ``bpf_loop``: if the body returned, leave with its value."""
    assert cx.frame is not None
    flag = cx.b.load(cx.frame.field(cx.b, cx.frame_ptr, RET_FLAG), typ=I8)
    returned = cx.b.icmp_unsigned("!=", flag, ir.Constant(I8, 0), name="returned")
    with cx.b.if_then(returned, likely=False):
        cx.exit.after_outlined_return(cx)


def lower_for(cx: LowerContext, node: ast.For) -> None:
    """A loop the verifier walks: a counter, a bound check and a latch."""
    info = cx.fi.loops[node]
    vt: IntType = info.var_type
    # The hidden counter is 64-bit so that `iv + step` cannot wrap for narrower types.
    ct = IntType("i64", 64, True) if vt.signed or vt.bits < 64 else vt
    lt = ir.IntType(ct.bits)
    start, stop = _bound(cx, info.start, ct), _bound(cx, info.stop, ct)
    iv = cx.alloca(lt, "iv")
    cx.b.store(start, iv)
    head = cx.fn.append_basic_block("for.head")
    body = cx.fn.append_basic_block("for.body")
    latch = cx.fn.append_basic_block("for.latch")
    done = cx.fn.append_basic_block("for.end")
    cx.b.branch(head)
    cx.b.position_at_end(head)
    cur = cx.b.load(iv, typ=lt, name="i")
    more = compare(cx.b, ct, "<" if info.step > 0 else ">", cur, stop)
    cx.b.cbranch(more, body, done)
    cx.b.position_at_end(body)
    target = cx.fi.names[node.target].target
    cx.b.store(convert(cx.b, cur, ct, target.type), cx.slot(target))
    cx.loop_targets.append((latch, done))
    cx.block(node.body)
    cx.loop_targets.pop()
    if not cx.b.block.is_terminated:
        cx.b.branch(latch)
    cx.b.position_at_end(latch)
    nxt = cx.b.add(cx.b.load(iv, typ=lt), ir.Constant(lt, info.step), name="i.next")
    cx.b.store(nxt, iv)
    cx.b.branch(head)
    cx.b.position_at_end(done)


def _bound(cx: LowerContext, b: Any, ct: IntType) -> ir.Value:
    """A range() bound (an int, a folded constant or an expression) in the counter's type."""
    lt = ir.IntType(ct.bits)
    if isinstance(b, int):
        return ir.Constant(lt, b)
    if b in cx.fi.consts:
        return ir.Constant(lt, cx.fi.consts[b])
    return convert(cx.b, cx.expr(b), cx.fi.types[b], ct)
