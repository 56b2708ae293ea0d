"""Lowering calls: casts, constructors, builtins, helpers, subprograms, ctx.load, timers."""
from __future__ import annotations

import ast
from typing import Any

import llvmlite.ir as ir

from ..frontend import helper_table as H
from ..types import BOOL, IntType, RefType, StructType, i64, u64
from . import ints
from .branchless import compare01
from .ints import convert
from .module import returns_object
from .ltypes import I1, I8, I16, I32, I64, PTR, gep

CLOCK_MONOTONIC = 1
XDP_DATA_OFF, SKB_DATA_OFF = 0, 76
BPF_FUNC_skb_load_bytes = 26


class CallLowering:
    """Mixin of FunctionLowering: ``lower_call`` dispatches on the checker's Call record."""

    fi: Any
    b: ir.IRBuilder
    ml: Any
    types: Any

    def lower_call(self, node: ast.Call) -> ir.Value:
        call = self.fi.calls[node]
        return getattr(self, "c_" + call.kind)(node, call)

    def helper(self, hid: int, ret: ir.Type, args: list[ir.Value]) -> ir.Value:
        """``call <helper id>``: BPF helpers are called through their number."""
        fnty = ir.FunctionType(ret, [a.type for a in args])
        fp = self.b.inttoptr(ir.Constant(I64, hid), fnty.as_pointer(), name="helper")
        return self.b.call(fp, args)

    def as_i64(self, node: ast.expr) -> ir.Value:
        t = self.fi.types[node]
        v = self.expr(node)
        return convert(self.b, v, t, i64 if getattr(t, "signed", False) else u64)

    # ------------------------------------------------------------------ casts, constructors
    def c_cast(self, node: ast.Call, call: Any) -> ir.Value:
        arg = node.args[0]
        if self.fi.types[arg] is BOOL:
            v01 = compare01(self, arg)
            if v01 is not None:
                return convert(self.b, v01, i64, call.type)
        return convert(self.b, self.expr(arg), self.fi.types[arg], call.type)

    def c_bool(self, node: ast.Call, call: Any) -> ir.Value:
        return self.truth(node.args[0])

    def c_struct_new(self, node: ast.Call, call: Any) -> ir.Value:
        st: StructType = call.type
        ptr = self.site_slot(node, st)
        # memset, not a store of zeroinitializer: LLVM may skip the padding of a store, and a
        # struct's padding reaches map keys (a lookup would miss) and ring-buffer records.
        memset = self.ml.module.declare_intrinsic("llvm.memset", [PTR, I64])
        self.b.call(memset, [ptr, ir.Constant(I8, 0), ir.Constant(I64, st.size), ir.Constant(I1, 0)])
        for kw in node.keywords:
            f = st.by_name[kw.arg]
            fp = gep(self.b, ptr, [ir.Constant(I32, 0), ir.Constant(I32, self.types.field_index(st, f.name))],
                     self.types.mem(st))
            self.store_value(fp, f.type, kw.value)
        return ptr

    def c_array_new(self, node: ast.Call, call: Any) -> ir.Value:
        ptr = self.site_slot(node, call.type)
        self.b.store(ir.Constant(self.types.mem(call.type), None), ptr)
        return ptr

    # ------------------------------------------------------------------ builtins
    def c_builtin(self, node: ast.Call, call: Any) -> ir.Value:
        t = call.type
        if call.name == "abs":
            v = convert(self.b, self.expr(node.args[0]), self.fi.types[node.args[0]], t)
            return ints.absolute(self.b, t, v)
        vals = [convert(self.b, self.expr(a), self.fi.types[a], t) for a in node.args]
        acc = vals[0]
        for v in vals[1:]:
            acc = ints.minmax(self.b, t, call.name == "min", acc, v)
        return acc

    # ------------------------------------------------------------------ helpers
    def c_helper(self, node: ast.Call, call: Any) -> ir.Value:
        h = H.HELPERS[call.name]
        shape = h.shape
        from .core import CORE_SHAPES, lower_helper
        if shape in CORE_SHAPES:                # kernel objects and CO-RE queries: core.py
            return lower_helper(self, node, call, h)
        if shape == "noargs":
            return self.helper(h.id, ir.IntType(h.ret.bits), [])
        if shape == "comm":
            ptr = self.site_slot(node, h.ret)
            self.b.store(ir.Constant(self.types.mem(h.ret), None), ptr)
            self.helper(h.id, I64, [ptr, ir.Constant(I32, h.ret.size)])
            return ptr
        if shape == "bswap":
            lt = I16 if h.ret.bits == 16 else I32
            v = convert(self.b, self.expr(node.args[0]), self.fi.types[node.args[0]], h.ret)
            fn = self.ml.module.declare_intrinsic("llvm.bswap", [lt])
            return self.b.call(fn, [v])
        if shape == "printk":
            fmt = self.ml.cstring(call.extra)
            args = [fmt, ir.Constant(I32, len(call.extra.encode()) + 1)]
            args += [self._printk_arg(a) for a in node.args[1:]]
            return self.helper(h.id, I64, args)
        if shape == "probe_read":
            dst = self.expr(node.args[0])
            size = self._size_of(node.args[0])
            src = self.b.inttoptr(self.as_i64(node.args[1]), PTR)
            return self.helper(h.id, I64, [dst, ir.Constant(I32, size), src])
        if shape == "loop":
            n = convert(self.b, self.expr(node.args[0]), self.fi.types[node.args[0]],
                        IntType("u32", 32, False))
            ref = self.expr(node.args[2])
            if isinstance(n, ir.Constant) and n.constant == 0:
                # no call at all: the 6.18 verifier never visits the callback of a constant
                # zero-iteration bpf_loop and then fails ("verifier bug: No program to jit")
                return ir.Constant(I64, 0)
            cb = self.ml.functions[call.extra]
            r = self.helper(h.id, I64, [n, cb, ref, ir.Constant(I64, 0)])
            # bpf_loop inlined by the verifier returns -E2BIG as a u32: read it as signed 32-bit
            return self.b.sext(self.b.trunc(r, I32), I64, name="loops")
        raise AssertionError(shape)

    def _printk_arg(self, node: ast.expr) -> ir.Value:
        if self.fi.types[node] is BOOL:
            return self.b.zext(self.expr(node), I64)
        return self.as_i64(node)

    def _size_of(self, node: ast.expr) -> int:
        t = self.fi.types[node]
        return (t.target if isinstance(t, RefType) else t).size

    # ------------------------------------------------------------------ subprograms
    def c_func(self, node: ast.Call, call: Any) -> ir.Value:
        callee = self.ml.checked.funcs[call.name]
        fn = self.ml.functions[call.name]
        args = []
        for p, a in zip(callee.params, node.args):
            v = self.expr(a)
            if p.mode == "value":
                v = convert(self.b, v, self.fi.types[a], p.type)
            args.append(v)
        if returns_object(callee):
            out = self.site_slot(node, callee.ret)
            self.b.store(ir.Constant(self.types.mem(callee.ret), None), out)
            self.b.call(fn, args + [out])
            return out
        return self.b.call(fn, args)

    def c_kernel_ptr(self, node: ast.Call, call: Any) -> ir.Value:
        from .core import kernel_ptr
        return kernel_ptr(self, node)

    # ------------------------------------------------------------------ packets
    def c_ctx_load(self, node: ast.Call, call: Any) -> ir.Value:
        t = call.extra
        off = convert(self.b, self.expr(node.args[1]), self.fi.types[node.args[1]], u64)
        if self.fi.ctx_kind == "socket":
            return self._skb_load_bytes(node, t, off)
        base_off = XDP_DATA_OFF if self.fi.ctx_kind == "xdp" else SKB_DATA_OFF
        ctx = self.ctx_pointer()

        def field(o: int) -> ir.Value:
            p = gep(self.b, ctx, [ir.Constant(I64, o)], I8, inbounds=False)
            v = self.b.load(p, typ=I32)
            return self.b.inttoptr(self.b.zext(v, I64), PTR)
        data = field(base_off)
        data_end = field(base_off + 4)
        start = gep(self.b, data, [off], I8, name="pkt", inbounds=False)
        # The packet is never at address 0: telling LLVM lets `if p is None` test only the
        # bounds, as clang's `if (p + 1 > data_end)` does, instead of bounds and null.
        self.b.assume(self.b.icmp_unsigned("!=", start, ir.Constant(PTR, None)))
        end = gep(self.b, start, [ir.Constant(I64, t.size)], I8, name="pktend", inbounds=False)
        fits = self.b.icmp_unsigned("<=", end, data_end, name="fits")
        return self.b.select(fits, start, ir.Constant(PTR, None), name="load")

    def _skb_load_bytes(self, node: ast.Call, t: Any, off: ir.Value) -> ir.Value:
        # socket filters have no direct packet access: copy the bytes to the stack
        ptr = self.site_slot(node, t)
        r = self.helper(BPF_FUNC_skb_load_bytes, I64,
                        [self.ctx_pointer(), self.b.trunc(off, I32), ptr, ir.Constant(I32, t.size)])
        ok = self.b.icmp_signed("==", r, ir.Constant(I64, 0))
        return self.b.select(ok, ptr, ir.Constant(PTR, None), name="load")

    # ------------------------------------------------------------------ timers
    def c_timer(self, node: ast.Call, call: Any) -> ir.Value:
        timer = self.place(node.func.value)       # type: ignore[attr-defined]
        if call.name == "init":
            return self.helper(H.TIMER_INIT, I64, [timer, self.ml.maps[call.extra],
                                                   ir.Constant(I64, CLOCK_MONOTONIC)])
        if call.name == "set_callback":
            return self.helper(H.TIMER_SET_CALLBACK, I64, [timer, self.ml.functions[call.extra]])
        if call.name == "start":
            ns = convert(self.b, self.expr(node.args[0]), self.fi.types[node.args[0]], u64)
            return self.helper(H.TIMER_START, I64, [timer, ns, ir.Constant(I64, 0)])
        return self.helper(H.TIMER_CANCEL, I64, [timer])

