"""Lowering expressions: each yields the register form of the type the checker recorded."""
from __future__ import annotations

import ast
from typing import Any, Callable

import llvmlite.ir as ir

from ..types import BOOL, BoolType, IntType, MapType, RefType, common_int
from . import ints
from .branchless import barrier, cheap, compare01
from .ints import const, convert
from .ltypes import I1, PTR

_SIMPLE: dict[type, Callable[[ir.IRBuilder, ir.Value, ir.Value], ir.Value]] = {
    ast.Add: lambda b, x, y: b.add(x, y, name="add"),
    ast.Sub: lambda b, x, y: b.sub(x, y, name="sub"),
    ast.Mult: lambda b, x, y: b.mul(x, y, name="mul"),
    ast.BitAnd: lambda b, x, y: b.and_(x, y, name="and"),
    ast.BitOr: lambda b, x, y: b.or_(x, y, name="or"),
    ast.BitXor: lambda b, x, y: b.xor(x, y, name="xor"),
}
_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


class ExprLowering:
    """Mixin of FunctionLowering."""

    fi: Any
    b: ir.IRBuilder
    fn: ir.Function
    types: Any

    def expr(self, node: ast.expr) -> ir.Value:
        t = self.fi.types[node]
        if node in self.fi.consts and isinstance(t, (IntType, BoolType)):
            return const(t, self.fi.consts[node])
        return getattr(self, "x_" + type(node).__name__)(node)

    def truth(self, node: ast.expr) -> ir.Value:
        """An i1 for a condition: bools as they are, integers != 0, references != None."""
        t = self.fi.types[node]
        if isinstance(node, ast.BoolOp) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)):
            return self.expr(node)
        if isinstance(node, ast.Name) and self.fi.names[node].kind == "local" and \
                self.fi.names[node].target.nullable:
            p = self.b.load(self.slot(self.fi.names[node].target), typ=PTR)
            return self.b.icmp_unsigned("!=", p, ir.Constant(PTR, None), name="notnone")
        v = self.expr(node)
        if isinstance(t, BoolType):
            return v
        if isinstance(t, RefType) or v.type == PTR:
            return self.b.icmp_unsigned("!=", v, ir.Constant(PTR, None), name="notnone")
        return self.b.icmp_unsigned("!=", v, ir.Constant(v.type, 0), name="nonzero")

    # ------------------------------------------------------------------ names and access
    def x_Name(self, node: ast.Name) -> ir.Value:
        sym = self.fi.names[node]
        if sym.kind == "global":
            g = sym.target
            return self.load_place(self.ml.globals[node.id], g.type)
        loc = sym.target
        if loc.mode == "ctx":
            return self.ctx_pointer()
        if loc.mode != "value":
            return self.b.load(self.slot(loc), typ=PTR, name=node.id)
        v = self.load_place(self.slot(loc), loc.type)
        return convert(self.b, v, loc.type, self.fi.types[node])

    def x_Attribute(self, node: ast.Attribute) -> ir.Value:
        return self.load_place(self.place(node), self.fi.types[node])

    def x_Subscript(self, node: ast.Subscript) -> ir.Value:
        if self.is_map(node.value):
            return self.map_get(node, node.value, node.slice, None)
        return self.load_place(self.place(node), self.fi.types[node])

    def is_map(self, node: ast.expr) -> bool:
        return isinstance(self.fi.types.get(node), MapType)

    # ------------------------------------------------------------------ operators
    def x_BinOp(self, node: ast.BinOp) -> ir.Value:
        t = self.fi.types[node]
        x = convert(self.b, self.expr(node.left), self.fi.types[node.left], t)
        return self.binop_values(node.op, t, x, self.expr(node.right), self.fi.types[node.right],
                                 node.right)

    def binop_values(self, op: ast.operator, t: IntType, x: ir.Value, y: ir.Value,
                     yt: Any, ynode: ast.expr) -> ir.Value:
        """``x op y`` in type ``t`` (``x`` already of ``t``; ``y`` of ``yt``)."""
        if isinstance(op, (ast.LShift, ast.RShift)):
            known = ynode in self.fi.consts
            n = convert(self.b, y, yt, IntType("u", t.bits, False)) if yt.bits != t.bits else y
            return ints.shift(self.b, t, isinstance(op, ast.LShift), x, n, known)
        y = convert(self.b, y, yt, t)
        if type(op) in _SIMPLE:
            return _SIMPLE[type(op)](self.b, x, y)
        if isinstance(op, ast.FloorDiv):
            return ints.floordiv(self.b, t, x, y)
        return ints.mod(self.b, t, x, y)

    def x_UnaryOp(self, node: ast.UnaryOp) -> ir.Value:
        if isinstance(node.op, ast.Not):
            return self.b.xor(self.truth(node.operand), ir.Constant(I1, 1), name="not")
        t = self.fi.types[node]
        v = convert(self.b, self.expr(node.operand), self.fi.types[node.operand], t)
        if isinstance(node.op, ast.USub):
            return self.b.neg(v, name="neg")
        if isinstance(node.op, ast.Invert):
            return self.b.not_(v, name="inv")
        return v

    def x_BoolOp(self, node: ast.BoolOp) -> ir.Value:
        is_and = isinstance(node.op, ast.And)
        done = self.fn.append_basic_block("bool.end")
        incoming: list[tuple[ir.Value, ir.Block]] = []
        for v in node.values[:-1]:
            c = self.truth(v)
            nxt = self.fn.append_basic_block("bool.next")
            incoming.append((ir.Constant(I1, 0 if is_and else 1), self.b.block))
            if is_and:
                self.b.cbranch(c, nxt, done)
            else:
                self.b.cbranch(c, done, nxt)
            self.b.position_at_end(nxt)
        last = self.truth(node.values[-1])
        incoming.append((last, self.b.block))
        self.b.branch(done)
        self.b.position_at_end(done)
        phi = self.b.phi(I1, name="bool")
        for v, blk in incoming:
            phi.add_incoming(v, blk)
        return phi

    def x_Compare(self, node: ast.Compare) -> ir.Value:
        if len(node.ops) == 1:
            return self._compare(node.left, node.ops[0], node.comparators[0], None)
        done = self.fn.append_basic_block("cmp.end")
        incoming = []
        left, left_v = node.left, None
        for i, (op, right) in enumerate(zip(node.ops, node.comparators)):
            c, right_v = self._compare_keep(left, op, right, left_v)
            if i == len(node.ops) - 1:
                incoming.append((c, self.b.block))
                self.b.branch(done)
            else:
                nxt = self.fn.append_basic_block("cmp.next")
                incoming.append((ir.Constant(I1, 0), self.b.block))
                self.b.cbranch(c, nxt, done)
                self.b.position_at_end(nxt)
            left, left_v = right, right_v
        self.b.position_at_end(done)
        phi = self.b.phi(I1, name="chain")
        for v, blk in incoming:
            phi.add_incoming(v, blk)
        return phi

    def _compare(self, left: ast.expr, op: ast.cmpop, right: ast.expr, lv: Any) -> ir.Value:
        return self._compare_keep(left, op, right, lv)[0]

    def _compare_keep(self, left: ast.expr, op: ast.cmpop, right: ast.expr,
                      lv: Any) -> tuple[ir.Value, Any]:
        """Compare; also return the right operand's value (chains evaluate it once)."""
        if isinstance(op, (ast.Is, ast.IsNot)):
            p = self.b.load(self.slot(self.fi.names[left].target), typ=PTR)
            pred = "==" if isinstance(op, ast.Is) else "!="
            return self.b.icmp_unsigned(pred, p, ir.Constant(PTR, None), name="isnone"), None
        if isinstance(op, (ast.In, ast.NotIn)):
            found = self.map_contains(right, left)
            if isinstance(op, ast.NotIn):
                found = self.b.xor(found, ir.Constant(I1, 1))
            return found, None
        lt, rt = self.fi.types[left], self.fi.types[right]
        x = lv if lv is not None else self.expr(left)
        y = self.expr(right)
        if lt is BOOL and rt is BOOL:
            return self.b.icmp_unsigned(_CMP[type(op)], x, y, name="cmp"), y
        ct = common_int(lt, rt) or lt
        xc, yc = convert(self.b, x, lt, ct), convert(self.b, y, rt, ct)
        return ints.compare(self.b, ct, _CMP[type(op)], xc, yc), y

    def x_IfExp(self, node: ast.IfExp) -> ir.Value:
        t = self.fi.types[node]
        if isinstance(t, IntType) and cheap(node.body, self.fi) and cheap(node.orelse, self.fi):
            c01 = compare01(self, node.test)
            if c01 is not None:
                # y ^ ((x ^ y) & -c): a select without a jump
                x = convert(self.b, self.expr(node.body), self.fi.types[node.body], t)
                y = convert(self.b, self.expr(node.orelse), self.fi.types[node.orelse], t)
                # The barrier keeps LLVM from seeing a select in the mask trick: it would
                # branch again, and DAGCombine turns select(c, load p, load q) into
                # load(select(c, p, q)), which the verifier refuses for ctx fields
                # ("dereference of modified ctx ptr").
                mask = barrier(self.b, self.b.neg(convert(self.b, c01, IntType("i64", 64, True), t)))
                return self.b.xor(y, self.b.and_(self.b.xor(x, y), mask), name="select")
        c = self.truth(node.test)
        then = self.fn.append_basic_block("ifexp.then")
        other = self.fn.append_basic_block("ifexp.else")
        done = self.fn.append_basic_block("ifexp.end")
        self.b.cbranch(c, then, other)
        self.b.position_at_end(then)
        tv = convert(self.b, self.expr(node.body), self.fi.types[node.body], t)
        then_end = self.b.block
        self.b.branch(done)
        self.b.position_at_end(other)
        ov = convert(self.b, self.expr(node.orelse), self.fi.types[node.orelse], t)
        other_end = self.b.block
        self.b.branch(done)
        self.b.position_at_end(done)
        phi = self.b.phi(tv.type, name="ifexp")
        phi.add_incoming(tv, then_end)
        phi.add_incoming(ov, other_end)
        return phi

    def x_Call(self, node: ast.Call) -> ir.Value:
        return self.lower_call(node)

