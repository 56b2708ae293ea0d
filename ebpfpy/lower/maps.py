"""Lowering map operations: subscripts, atomic updates, lookup, get, output, tail calls."""
from __future__ import annotations

import ast
from typing import Any

import llvmlite.ir as ir

from ..frontend import helper_table as H
from ..types import ArrayType, IntType, StructType, u32
from .ints import convert
from .ltypes import I64, PTR

BPF_ANY, BPF_NOEXIST = 0, 1
_ATOMIC = {ast.Add: "add", ast.Sub: "add", ast.BitOr: "or", ast.BitAnd: "and", ast.BitXor: "xor"}


class MapLowering:
    """Mixin of FunctionLowering."""

    fi: Any
    b: ir.IRBuilder
    ml: Any
    types: Any

    def _map(self, node: ast.expr) -> tuple[ir.Value, Any]:
        return self.ml.maps[node.id], self.fi.types[node]      # type: ignore[attr-defined]

    def key_ptr(self, keynode: ast.expr, mt: Any) -> ir.Value:
        """The key in a stack slot (helpers take keys by pointer)."""
        kt = mt.key
        if isinstance(kt, (StructType, ArrayType)):
            return self._aggregate_arg(("key", keynode), keynode, kt)
        slot = self.temp_slot(("key", keynode), kt)
        self.b.store(convert(self.b, self.expr(keynode), self.fi.types[keynode], kt), slot)
        return slot

    def value_ptr(self, valnode: ast.expr, vt: Any) -> ir.Value:
        if isinstance(vt, (StructType, ArrayType)):
            return self._aggregate_arg(("value", valnode), valnode, vt)
        slot = self.temp_slot(("value", valnode), vt)
        self.store_value(slot, vt, valnode)
        return slot

    def _aggregate_arg(self, key: Any, node: ast.expr, t: Any) -> ir.Value:
        """A struct or array passed to a helper by pointer.  Helpers refuse pointers into
        ctx ("R3 type=ctx expected=fp, ..."), so ``m[k] = ctx.p`` copies to the stack first."""
        if not self._in_ctx(node):
            return self.expr(node)
        slot = self.temp_slot(key, t)
        self.copy(slot, self.expr(node), t)
        return slot

    def _in_ctx(self, node: ast.expr) -> bool:
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        if not (isinstance(node, ast.Name) and self.fi.ctx_kind and self.fi.params):
            return False
        sym = self.fi.names.get(node)
        return sym is not None and sym.kind != "global" and sym.target is self.fi.params[0]

    def lookup(self, mapnode: ast.expr, keynode: ast.expr) -> ir.Value:
        m, mt = self._map(mapnode)
        return self.helper(H.MAP_LOOKUP, PTR, [m, self.key_ptr(keynode, mt)])

    def map_get(self, node: ast.AST, mapnode: ast.expr, keynode: ast.expr,
                default: ast.expr | None) -> ir.Value:
        """``m[k]`` / ``m.get(k, d)``: a copy of the value, or the default (zero)."""
        _m, mt = self._map(mapnode)
        vt = mt.value
        p = self.lookup(mapnode, keynode)
        found = self.b.icmp_unsigned("!=", p, ir.Constant(PTR, None), name="found")
        if isinstance(vt, (StructType, ArrayType)):
            slot = self.site_slot(node, vt)
            with self.b.if_else(found) as (then, other):
                with then:
                    self.copy(slot, p, vt)
                with other:
                    if default is not None:
                        self.copy(slot, self.expr(default), vt)
                    else:
                        self.b.store(ir.Constant(self.types.mem(vt), None), slot)
            return slot
        # The default is evaluated before the branch, as Python evaluates arguments before
        # the call; the phi's second edge then comes from the block that holds it.
        dv = convert(self.b, self.expr(default), self.fi.types[default], vt) \
            if default is not None else ir.Constant(self.types.reg(vt), 0)
        before = self.b.block
        with self.b.if_then(found):
            v = self.load_place(p, vt)
            then_end = self.b.block
        phi = self.b.phi(v.type, name="get")
        phi.add_incoming(v, then_end)
        phi.add_incoming(dv, before)
        return phi

    def map_contains(self, mapnode: ast.expr, keynode: ast.expr) -> ir.Value:
        p = self.lookup(mapnode, keynode)
        # The 0/1 result goes through an empty asm, so InstCombine cannot fold
        # ``k not in a and k not in b`` (p1 == 0 & p2 == 0) into (p1 | p2) == 0: the
        # verifier refuses that ("pointer |= pointer prohibited").
        found = self.b.zext(self.b.icmp_unsigned("!=", p, ir.Constant(PTR, None)), I64)
        opaque = ir.InlineAsm(ir.FunctionType(I64, [I64]), "", "=r,0")
        v = self.b.call(opaque, [found], name="found")
        return self.b.icmp_unsigned("!=", v, ir.Constant(I64, 0), name="contains")

    def map_store(self, target: ast.Subscript, value: ast.expr) -> None:
        m, mt = self._map(target.value)
        # Python evaluates the value before the target's key (it matters when both call
        # functions that change maps or globals)
        v = self.value_ptr(value, mt.value)
        k = self.key_ptr(target.slice, mt)
        self.helper(H.MAP_UPDATE, I64, [m, k, v, ir.Constant(I64, BPF_ANY)])

    def map_delete(self, target: ast.Subscript) -> None:
        m, mt = self._map(target.value)
        self.helper(H.MAP_DELETE, I64, [m, self.key_ptr(target.slice, mt)])

    def map_aug(self, node: ast.AugAssign) -> None:
        """``m[k] op= v``: atomic on the stored value; creates the entry when absent."""
        target = node.target
        assert isinstance(target, ast.Subscript)
        m, mt = self._map(target.value)
        vt: IntType = mt.value
        k = self.key_ptr(target.slice, mt)          # the key first, as Python does
        v = convert(self.b, self.expr(node.value), self.fi.types[node.value], vt)
        if isinstance(node.op, ast.Sub):
            v = self.b.neg(v)
        op = _ATOMIC[type(node.op)]
        p = self.helper(H.MAP_LOOKUP, PTR, [m, k])
        found = self.b.icmp_unsigned("!=", p, ir.Constant(PTR, None))
        with self.b.if_else(found) as (then, other):
            with then:
                self._rmw(op, p, v, vt)
            with other:
                # absent: insert 0 op v; if another CPU inserted first, apply to its entry
                init = v if op != "and" else ir.Constant(v.type, 0)
                slot = self.temp_slot(("init", node), vt)
                self.b.store(init, slot)
                r = self.helper(H.MAP_UPDATE, I64, [m, k, slot, ir.Constant(I64, BPF_NOEXIST)])
                raced = self.b.icmp_signed("!=", r, ir.Constant(I64, 0))
                with self.b.if_then(raced):
                    p2 = self.helper(H.MAP_LOOKUP, PTR, [m, k])
                    ok = self.b.icmp_unsigned("!=", p2, ir.Constant(PTR, None))
                    with self.b.if_then(ok):
                        self._rmw(op, p2, v, vt)

    def _rmw(self, op: str, p: ir.Value, v: ir.Value, vt: IntType) -> None:
        """``*p op= v``: atomic for 32/64-bit values; BPF has no 8/16-bit atomics (LLVM
        aborts on them), so narrow values take a plain load-op-store."""
        if vt.bits >= 32:
            self.b.atomic_rmw(op, p, v, "monotonic")
            return
        old = self.b.load(p, typ=v.type)
        fn = {"add": self.b.add, "or": self.b.or_, "and": self.b.and_, "xor": self.b.xor}[op]
        self.b.store(fn(old, v), p)

    def c_map_method(self, node: ast.Call, call: Any) -> ir.Value:
        mapnode = node.func.value          # type: ignore[attr-defined]
        m, mt = self._map(mapnode)
        if call.name == "lookup":
            return self.lookup(mapnode, node.args[0])
        if call.name == "get":
            return self.map_get(node, mapnode, node.args[0], node.args[1] if len(node.args) > 1 else None)
        if call.name == "output":
            arg = node.args[0]
            t = self.fi.types[arg]
            t = getattr(t, "target", t)
            data = self.value_ptr(arg, t)
            return self.helper(H.RINGBUF_OUTPUT, I64, [m, data, ir.Constant(I64, t.size), ir.Constant(I64, 0)])
        # tail_call: on success it does not return
        idx = convert(self.b, self.expr(node.args[1]), self.fi.types[node.args[1]], u32)
        return self.helper(H.TAIL_CALL, I64, [self.ctx_pointer(), m, idx])

