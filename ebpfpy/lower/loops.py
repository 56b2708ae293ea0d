"""Lowering ``for i in range(...)`` as a real bounded loop."""
from __future__ import annotations

import ast
from typing import Any

import llvmlite.ir as ir

from ..types import IntType
from .ints import compare, convert


class LoopLowering:
    """Mixin of FunctionLowering."""

    fi: Any
    b: ir.IRBuilder
    fn: ir.Function

    def lower_for(self, node: ast.For) -> None:
        info = self.fi.loops[node]
        vt: IntType = info.var_type
        # The hidden counter is 64-bit so that `iv + step` cannot wrap for narrower types.
        ct = IntType("i64", 64, True) if vt.signed or vt.bits < 64 else vt
        lt = ir.IntType(ct.bits)

        def bound(b: Any) -> ir.Value:
            if isinstance(b, int):
                return ir.Constant(lt, b)
            if b in self.fi.consts:
                return ir.Constant(lt, self.fi.consts[b])
            return convert(self.b, self.expr(b), self.fi.types[b], ct)
        start, stop = bound(info.start), bound(info.stop)
        iv = self.alloca(lt, "iv")
        self.b.store(start, iv)
        head = self.fn.append_basic_block("for.head")
        body = self.fn.append_basic_block("for.body")
        latch = self.fn.append_basic_block("for.latch")
        done = self.fn.append_basic_block("for.end")
        self.b.branch(head)
        self.b.position_at_end(head)
        cur = self.b.load(iv, typ=lt, name="i")
        more = compare(self.b, ct, "<" if info.step > 0 else ">", cur, stop)
        self.b.cbranch(more, body, done)
        self.b.position_at_end(body)
        target = self.fi.names[node.target].target
        self.b.store(convert(self.b, cur, ct, target.type), self.slot(target))
        self.loop_targets.append((latch, done))
        self.block(node.body)
        self.loop_targets.pop()
        if not self.b.block.is_terminated:
            self.b.branch(latch)
        self.b.position_at_end(latch)
        nxt = self.b.add(self.b.load(iv, typ=lt), ir.Constant(lt, info.step), name="i.next")
        self.b.store(nxt, iv)
        self.b.branch(head)
        self.b.position_at_end(done)
