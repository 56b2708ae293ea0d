"""Addresses of things that live in memory: locals, globals, fields, elements, ctx fields."""
from __future__ import annotations

import ast
from typing import Any

import llvmlite.ir as ir

from ..frontend.kernel_types import KernelStruct
from ..types import ArrayType, IntType, RefType, StructType, TIMER
from .ints import convert
from .ltypes import I8, I32, I64, PTR, gep


class PlaceLowering:
    """Mixin of FunctionLowering: ``place(node)`` is the pointer an lvalue denotes."""

    fi: Any
    b: ir.IRBuilder
    types: Any
    ml: Any

    def place(self, node: ast.expr) -> ir.Value:
        return getattr(self, "p_" + type(node).__name__)(node)

    def p_Name(self, node: ast.Name) -> ir.Value:
        sym = self.fi.names[node]
        if sym.kind == "global":
            return self.ml.globals[node.id]
        loc = sym.target
        if loc.mode == "value":
            return self.slot(loc)
        return self.b.load(self.slot(loc), typ=PTR, name=node.id)

    def p_Attribute(self, node: ast.Attribute) -> ir.Value:
        kind, what = self.fi.attrs[node]
        if kind == "kfield":                  # a kernel struct's field: CO-RE relocated
            from .core import field_place
            return field_place(self, node, what)
        if kind == "ctx":
            _name, _t, off = what
            base = self.ctx_pointer()
            return gep(self.b, base, [ir.Constant(I64, off)], I8, name="ctxfield", inbounds=False)
        base = self.expr(node.value)          # aggregates evaluate to their address
        if kind == "value":
            return base
        target = self.fi.types[node.value]
        st: StructType = target.target if isinstance(target, RefType) else target
        idx = self.types.field_index(st, what.name)
        return gep(self.b, base, [ir.Constant(I32, 0), ir.Constant(I32, idx)],
                   self.types.mem(st), name=what.name)

    def p_Subscript(self, node: ast.Subscript) -> ir.Value:
        bt = self.fi.types.get(node.value)
        if isinstance(node.value, ast.Attribute) and self.fi.attrs.get(node.value, ("",))[0] == "ctx":
            base = self.place(node.value)
        else:
            base = self.expr(node.value)
        arr: ArrayType = bt.target if isinstance(bt, RefType) else bt
        opaque = not self._loop_var(node.slice) and not self._in_ctx(node.value)
        idx = self.index_value(node.slice, arr.length, opaque)
        return gep(self.b, base, [ir.Constant(I64, 0), idx], self.types.mem(arr), name="elem")

    def _loop_var(self, node: ast.expr) -> bool:
        """A ``range`` variable: LLVM may unroll its loop and fold the index to constants."""
        if not isinstance(node, ast.Name) or node not in self.fi.names:
            return False
        target = self.fi.names[node].target
        return any(self.fi.names.get(f.target) is not None and
                   self.fi.names[f.target].target is target for f in self.fi.loops)

    def _in_ctx(self, node: ast.expr) -> bool:
        """True when ``node`` is a part of the program's ctx (only constant offsets work)."""
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        if not isinstance(node, ast.Name) or node not in self.fi.names or not self.fi.params:
            return False
        return bool(self.fi.ctx_kind) and self.fi.names[node].target is self.fi.params[0]

    def index_value(self, node: ast.expr, length: int, opaque: bool = False) -> ir.Value:
        """The index as i64; negative constants count from the end.

        A runtime index is proven in range by the checker; the clamp restates the bound
        in the register the access uses, which the verifier needs after spills.
        """
        c = self.fi.consts.get(node)
        if c is not None:
            return ir.Constant(I64, c + length if c < 0 else c)
        t = self.fi.types[node]
        v = convert(self.b, self.expr(node), t, IntType("u64", 64, False) if not t.signed
                    else IntType("i64", 64, True))
        # With ``opaque`` (an index that is not a range variable, into memory other than
        # the ctx) both sides of the bound go through an empty asm.  Before it: LLVM would
        # drop a bound it can prove (``x % 3 < 3``) that the verifier cannot, leaving the
        # access "unbounded".  After it: knowing the index's range, LLVM turns
        # ``base + idx * 4`` into ``base | idx * 4`` ("bitwise operator |= on pointer").
        hide = self._opaque if opaque else (lambda x: x)
        v = hide(v)
        if length & (length - 1) == 0:
            # a mask is what the verifier tracks best (no copy-before-compare)
            return hide(self.b.and_(v, ir.Constant(I64, length - 1), name="idx"))
        outside = self.b.icmp_unsigned(">=", v, ir.Constant(I64, length))
        return hide(self.b.select(outside, ir.Constant(I64, 0), v, name="idx"))

    def _opaque(self, v: ir.Value) -> ir.Value:
        """``v`` unchanged, but with nothing LLVM knows about it (an empty inline asm)."""
        asm = ir.InlineAsm(ir.FunctionType(I64, [I64]), "", "=r,0")
        return self.b.call(asm, [v], name="opaque")

    def ctx_pointer(self) -> ir.Value:
        return self.fn.args[0]

    def load_place(self, ptr: ir.Value, t: Any) -> ir.Value:
        """Load a scalar from memory into its register form (bool → i1)."""
        if t is TIMER or isinstance(t, (StructType, ArrayType, KernelStruct)):
            return ptr
        v = self.b.load(ptr, typ=self.types.mem(t))
        if v.type == I8 and not isinstance(t, IntType):
            return self.b.icmp_unsigned("!=", v, ir.Constant(I8, 0), name="bool")
        return v
