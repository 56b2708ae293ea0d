"""Lowering ``for i in range(...)`` as a real bounded loop."""
from __future__ import annotations

import ast
from typing import Any

import llvmlite.ir as ir

from ..types import IntType
from .context import LowerContext
from .ints import compare, convert


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
