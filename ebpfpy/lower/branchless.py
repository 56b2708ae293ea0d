"""Branch-free comparisons for cheap conditions.

BPF has no conditional move: LLVM lowers ``zext(icmp)`` and ``select`` to jumps, and the
verifier explores both sides of every jump it cannot decide, once per walked loop iteration
(and it gives up past 8,192 pending branches).  For operands that fit in 32 bits, the
difference of the two values widened to 64 bits cannot overflow, so its sign bit is the
comparison.  An empty inline-asm barrier keeps LLVM from folding the arithmetic back into
a compare-and-branch.
"""
from __future__ import annotations

import ast

import llvmlite.ir as ir

from ..model.typed import FuncInfo
from ..types import BoolType, IntType, MapType
from .context import LowerContext
from .ints import convert
from .ltypes import I64
from ..model.walk import all_nodes

_I64 = IntType("i64", 64, True)


def barrier(b: ir.IRBuilder, v: ir.Value) -> ir.Value:
    """An opaque copy of ``v``: LLVM may not reason through it (libbpf's barrier_var)."""
    asm = ir.InlineAsm(ir.FunctionType(v.type, [v.type]), "", "=r,0", side_effect=False)
    return b.call(asm, [v], name="opaque")


def compare01(cx: LowerContext, node: ast.expr) -> ir.Value | None:
    """``node`` as an i64 0/1 computed without branches, or None when not applicable."""
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
        return None
    op = type(node.ops[0])
    left, right = node.left, node.comparators[0]
    fi = cx.fi
    lt, rt = fi.types.get(left), fi.types.get(right)
    if not all(isinstance(t, (IntType, BoolType)) and getattr(t, "bits", 8) <= 32 for t in (lt, rt)):
        return None
    if op not in (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq):
        return None
    b = cx.b
    a = convert(b, cx.expr(left), lt, _I64) if isinstance(lt, IntType) else b.zext(cx.expr(left), I64)
    c = convert(b, cx.expr(right), rt, _I64) if isinstance(rt, IntType) else b.zext(cx.expr(right), I64)
    sixty3 = ir.Constant(I64, 63)
    one = ir.Constant(I64, 1)
    if op in (ast.Lt, ast.GtE):
        r = b.lshr(barrier(b, b.sub(a, c)), sixty3)
    elif op in (ast.Gt, ast.LtE):
        r = b.lshr(barrier(b, b.sub(c, a)), sixty3)
    elif not any(getattr(t, "signed", False) for t in (lt, rt)):
        # both zero-extended: a ^ c is below 2**32, so its negation has the sign bit
        # exactly when it is not 0 (clang's form of a branch-free ==: 3 instructions, not 5)
        d = barrier(b, b.xor(a, c))
        r = b.lshr(barrier(b, b.neg(d)), sixty3)                  # 1 when a != c
    else:
        d = barrier(b, b.sub(a, c))
        r = b.lshr(barrier(b, b.or_(d, b.neg(d))), sixty3)       # 1 when d != 0
    if op in (ast.GtE, ast.LtE, ast.Eq):
        r = b.xor(barrier(b, r), one)
    return r


def cheap(node: ast.expr, fi: FuncInfo) -> bool:
    """No calls, subscripts of maps or side effects: safe to evaluate both arms."""
    for n in all_nodes(node):
        if isinstance(n, (ast.Call, ast.BoolOp, ast.IfExp, ast.Compare)):
            return False
        if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.FloorDiv, ast.Mod)):
            return False
        if isinstance(n, ast.Subscript) and isinstance(fi.types.get(n.value), MapType):
            return False
    return True
