"""Lowering expressions: each yields the register form of the type the checker recorded."""
from __future__ import annotations

import ast
from typing import Any, Callable

import llvmlite.ir as ir

from ..model.typed import int_type
from ..types import BOOL, BoolType, IntType, RefType, common_int
from . import ints
from .branchless import barrier, cheap, compare01
from .calls import lower_call
from .context import LowerContext
from .core import flex_element
from .ints import const, convert
from .ltypes import I1, I8, I32, I64, PTR, gep
from .maps import map_contains, map_get
from .memory import load_config, load_place, shared_in_callback

_SIMPLE: dict[type, Callable[[ir.IRBuilder, ir.Value, ir.Value], ir.Value]] = {
    ast.Add: lambda b, x, y: b.add(x, y, name="add"),
    ast.Sub: lambda b, x, y: b.sub(x, y, name="sub"),
    ast.Mult: lambda b, x, y: b.mul(x, y, name="mul"),
    ast.BitAnd: lambda b, x, y: b.and_(x, y, name="and"),
    ast.BitOr: lambda b, x, y: b.or_(x, y, name="or"),
    ast.BitXor: lambda b, x, y: b.xor(x, y, name="xor"),
}
_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


def expr(cx: LowerContext, node: ast.expr) -> ir.Value:
    """The register value of ``node`` (constants folded by the checker come first)."""
    t = cx.fi.types[node]
    if node in cx.fi.consts and isinstance(t, (IntType, BoolType)):
        return const(t, cx.fi.consts[node])
    return _EXPRS[type(node)](cx, node)


def truth(cx: LowerContext, node: ast.expr) -> ir.Value:
    """An i1 for a condition: bools as they are, integers != 0, references != None."""
    t = cx.fi.types[node]
    if isinstance(node, ast.BoolOp) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)):
        return cx.expr(node)
    if isinstance(node, ast.Name) and cx.fi.names[node].kind == "local" and \
            cx.fi.names[node].target.nullable:
        p = cx.b.load(cx.slot(cx.fi.names[node].target), typ=PTR)
        return cx.b.icmp_unsigned("!=", p, ir.Constant(PTR, None), name="notnone")
    v = cx.expr(node)
    if isinstance(t, BoolType):
        return v
    if isinstance(t, RefType) or v.type == PTR:
        return cx.b.icmp_unsigned("!=", v, ir.Constant(PTR, None), name="notnone")
    return cx.b.icmp_unsigned("!=", v, ir.Constant(v.type, 0), name="nonzero")


# ------------------------------------------------------------------ names and access
def _name(cx: LowerContext, node: ast.Name) -> ir.Value:
    sym = cx.fi.names[node]
    if cx.ctx_value is not None and sym.kind != "global" and sym.target is cx.fi.params[0]:
        return cx.ctx_value
    if sym.kind == "global":
        g = sym.target
        if g.const:
            return load_config(cx, cx.ml.globals[node.id], g.type)
        return load_place(cx, cx.ml.globals[node.id], g.type)
    loc = sym.target
    if loc.mode == "ctx":
        return cx.ctx_pointer()
    if loc.mode != "value":
        return cx.b.load(cx.slot(loc), typ=PTR, name=node.id)
    v = load_place(cx, cx.slot(loc), loc.type, unlink=shared_in_callback(cx, node))
    return convert(cx.b, v, loc.type, cx.fi.types[node])


def _attribute(cx: LowerContext, node: ast.Attribute) -> ir.Value:
    kind, what = cx.fi.attrs.get(node, ("", None))
    if kind == "dataloc":
        return _data_loc(cx, what)
    return load_place(cx, cx.place(node), cx.fi.types[node], unlink=shared_in_callback(cx, node))


def _data_loc(cx: LowerContext, what: Any) -> ir.Value:
    """A tracepoint ``__data_loc`` field as the address of its data: the record's address
    plus the field's low 16 bits (``__rel_loc``: counted from the end of the field), as
    libbpf-bootstrap writes ``(void *)ctx + (ctx->__data_loc_filename & 0xFFFF)``."""
    _name, t, off = what
    ctx = cx.ctx_pointer()
    field = gep(cx.b, ctx, [ir.Constant(I64, off)], I8, name="loc", inbounds=False)
    loc = cx.b.and_(cx.b.zext(cx.b.load(field, typ=I32), I64), ir.Constant(I64, 0xFFFF))
    if t.relative:
        loc = cx.b.add(loc, ir.Constant(I64, off + 4))
    data = gep(cx.b, ctx, [loc], I8, name="data", inbounds=False)
    return cx.b.ptrtoint(data, I64, name=_name)


def _subscript(cx: LowerContext, node: ast.Subscript) -> ir.Value:
    if cx.fi.attrs.get(node, ("",))[0] == "kflex":      # a kernel flexible array's element
        return flex_element(cx, node)
    if cx.is_map(node.value):
        return map_get(cx, node, node.value, node.slice, None)
    return load_place(cx, cx.place(node), cx.fi.types[node], unlink=shared_in_callback(cx, node))


# ------------------------------------------------------------------ operators
def _bin_op(cx: LowerContext, node: ast.BinOp) -> ir.Value:
    t = int_type(cx.fi.types[node])
    x = convert(cx.b, cx.expr(node.left), cx.fi.types[node.left], t)
    return binop_values(cx, node.op, t, x, cx.expr(node.right), cx.fi.types[node.right],
                        node.right)


def binop_values(cx: LowerContext, op: ast.operator, t: IntType, x: ir.Value, y: ir.Value,
                 yt: Any, ynode: ast.expr) -> ir.Value:
    """``x op y`` in type ``t`` (``x`` already of ``t``; ``y`` of ``yt``)."""
    if isinstance(op, (ast.LShift, ast.RShift)):
        known = ynode in cx.fi.consts
        n = convert(cx.b, y, yt, IntType("u", t.bits, False)) if yt.bits != t.bits else y
        return ints.shift(cx.b, t, isinstance(op, ast.LShift), x, n, known)
    y = convert(cx.b, y, yt, t)
    if type(op) in _SIMPLE:
        return _SIMPLE[type(op)](cx.b, x, y)
    if isinstance(op, ast.FloorDiv):
        return ints.floordiv(cx.b, t, x, y)
    return ints.mod(cx.b, t, x, y)


def _unary_op(cx: LowerContext, node: ast.UnaryOp) -> ir.Value:
    if isinstance(node.op, ast.Not):
        return cx.b.xor(cx.truth(node.operand), ir.Constant(I1, 1), name="not")
    t = cx.fi.types[node]
    v = convert(cx.b, cx.expr(node.operand), cx.fi.types[node.operand], t)
    if isinstance(node.op, ast.USub):
        return cx.b.neg(v, name="neg")
    if isinstance(node.op, ast.Invert):
        return cx.b.not_(v, name="inv")
    return v


def _bool_op(cx: LowerContext, node: ast.BoolOp) -> ir.Value:
    is_and = isinstance(node.op, ast.And)
    done = cx.fn.append_basic_block("bool.end")
    incoming: list[tuple[ir.Value, ir.Block]] = []
    for v in node.values[:-1]:
        c = cx.truth(v)
        nxt = cx.fn.append_basic_block("bool.next")
        incoming.append((ir.Constant(I1, 0 if is_and else 1), cx.b.block))
        if is_and:
            cx.b.cbranch(c, nxt, done)
        else:
            cx.b.cbranch(c, done, nxt)
        cx.b.position_at_end(nxt)
    last = cx.truth(node.values[-1])
    incoming.append((last, cx.b.block))
    cx.b.branch(done)
    cx.b.position_at_end(done)
    phi = cx.b.phi(I1, name="bool")
    for v, blk in incoming:
        phi.add_incoming(v, blk)
    return phi


def _compare_expr(cx: LowerContext, node: ast.Compare) -> ir.Value:
    if len(node.ops) == 1:
        return _compare(cx, node.left, node.ops[0], node.comparators[0], None)
    done = cx.fn.append_basic_block("cmp.end")
    incoming = []
    left, left_v = node.left, None
    for i, (op, right) in enumerate(zip(node.ops, node.comparators)):
        c, right_v = _compare_keep(cx, left, op, right, left_v)
        if i == len(node.ops) - 1:
            incoming.append((c, cx.b.block))
            cx.b.branch(done)
        else:
            nxt = cx.fn.append_basic_block("cmp.next")
            incoming.append((ir.Constant(I1, 0), cx.b.block))
            cx.b.cbranch(c, nxt, done)
            cx.b.position_at_end(nxt)
        left, left_v = right, right_v
    cx.b.position_at_end(done)
    phi = cx.b.phi(I1, name="chain")
    for v, blk in incoming:
        phi.add_incoming(v, blk)
    return phi


def _compare(cx: LowerContext, left: ast.expr, op: ast.cmpop, right: ast.expr,
             lv: Any) -> ir.Value:
    return _compare_keep(cx, left, op, right, lv)[0]


def _compare_keep(cx: LowerContext, left: ast.expr, op: ast.cmpop, right: ast.expr,
                  lv: Any) -> tuple[ir.Value, Any]:
    """Compare; also return the right operand's value (chains evaluate it once)."""
    if isinstance(op, (ast.Is, ast.IsNot)):
        p = cx.expr(left) if isinstance(left, ast.Call) else \
            cx.b.load(cx.slot(cx.fi.names[left].target), typ=PTR)
        pred = "==" if isinstance(op, ast.Is) else "!="
        return cx.b.icmp_unsigned(pred, p, ir.Constant(PTR, None), name="isnone"), None
    if isinstance(op, (ast.In, ast.NotIn)):
        found = map_contains(cx, right, left)
        if isinstance(op, ast.NotIn):
            found = cx.b.xor(found, ir.Constant(I1, 1))
        return found, None
    lt, rt = cx.fi.types[left], cx.fi.types[right]
    x = lv if lv is not None else cx.expr(left)
    y = cx.expr(right)
    if lt is BOOL and rt is BOOL:
        return cx.b.icmp_unsigned(_CMP[type(op)], x, y, name="cmp"), y
    ct = (common_int(lt, rt) if isinstance(lt, IntType) and isinstance(rt, IntType) else None) or lt
    xc, yc = convert(cx.b, x, lt, ct), convert(cx.b, y, rt, ct)
    return ints.compare(cx.b, ct, _CMP[type(op)], xc, yc), y


def _taken_or_none(cx: LowerContext, node: ast.IfExp) -> ir.Value:
    """The object the call in ``node.body`` takes out when the test holds, else NULL."""
    c = cx.truth(node.test)
    entry = cx.b.block
    then = cx.fn.append_basic_block("take.then")
    done = cx.fn.append_basic_block("take.end")
    cx.b.cbranch(c, then, done)
    cx.b.position_at_end(then)
    v = cx.expr(node.body)
    then_end = cx.b.block
    cx.b.branch(done)
    cx.b.position_at_end(done)
    phi = cx.b.phi(v.type, name="taken")
    phi.add_incoming(ir.Constant(v.type, None), entry)
    phi.add_incoming(v, then_end)
    return phi


def _if_exp(cx: LowerContext, node: ast.IfExp) -> ir.Value:
    t = cx.fi.types[node]
    if isinstance(t, RefType):          # `m = v.tree.pop_first() if c else None`
        return _taken_or_none(cx, node)
    if isinstance(t, IntType) and cheap(node.body, cx.fi) and cheap(node.orelse, cx.fi):
        c01 = compare01(cx, node.test)
        if c01 is not None:
            # y ^ ((x ^ y) & -c): a select without a jump
            x = convert(cx.b, cx.expr(node.body), cx.fi.types[node.body], t)
            y = convert(cx.b, cx.expr(node.orelse), cx.fi.types[node.orelse], t)
            # The barrier keeps LLVM from seeing a select in the mask trick: it would
            # branch again, and DAGCombine turns select(c, load p, load q) into
            # load(select(c, p, q)), which the verifier refuses for ctx fields
            # ("dereference of modified ctx ptr").
            mask = barrier(cx.b, cx.b.neg(convert(cx.b, c01, IntType("i64", 64, True), t)))
            return cx.b.xor(y, cx.b.and_(cx.b.xor(x, y), mask), name="select")
    c = cx.truth(node.test)
    then = cx.fn.append_basic_block("ifexp.then")
    other = cx.fn.append_basic_block("ifexp.else")
    done = cx.fn.append_basic_block("ifexp.end")
    cx.b.cbranch(c, then, other)
    cx.b.position_at_end(then)
    tv = convert(cx.b, cx.expr(node.body), cx.fi.types[node.body], t)
    then_end = cx.b.block
    cx.b.branch(done)
    cx.b.position_at_end(other)
    ov = convert(cx.b, cx.expr(node.orelse), cx.fi.types[node.orelse], t)
    other_end = cx.b.block
    cx.b.branch(done)
    cx.b.position_at_end(done)
    phi = cx.b.phi(tv.type, name="ifexp")
    phi.add_incoming(tv, then_end)
    phi.add_incoming(ov, other_end)
    return phi


_EXPRS: dict[type, Callable[[LowerContext, Any], ir.Value]] = {
    ast.Name: _name, ast.Attribute: _attribute, ast.Subscript: _subscript, ast.BinOp: _bin_op,
    ast.UnaryOp: _unary_op, ast.BoolOp: _bool_op, ast.Compare: _compare_expr,
    ast.IfExp: _if_exp, ast.Call: lower_call}
