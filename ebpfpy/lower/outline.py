"""Outlining a loop body into a ``bpf_loop`` callback, verified once however many iterations.

Locals that live across the loop boundary move into one frame struct on the function's stack;
the callback reaches them through its context pointer (``bpf_loop(n, cb, &frame, 0)``).
``break`` returns 1 from the callback, ``continue`` 0; ``return v`` stores ``v`` and a flag in
the frame, returns 1, and the caller returns ``v`` after ``bpf_loop``.
"""
from __future__ import annotations

import ast
from typing import Any

import llvmlite.ir as ir

from ..frontend import helper_table as H
from ..frontend.typed import FuncInfo, Local
from ..types import ArrayType, IntType, StructType
from .ints import convert
from .ltypes import I8, I32, I64, PTR, gep

RET_FLAG, RET_VALUE, RESULT_PTR = "__ret_flag", "__ret_value", "__result_ptr"


def callback_name(func: str, loop: ast.For) -> str:
    """The outlined body's symbol: stable, so reports and disassembly can name it."""
    return f"{func}__loop_l{loop.lineno}c{loop.col_offset}"


class Frame:
    """The frame struct layout: captured locals, then the return flag and value."""

    def __init__(self, types: Any, locals_: list[Local], starts: list[ast.For],
                 fi_ret: Any = None) -> None:
        self.index: dict[Any, int] = {}
        fields: list[ir.Type] = []
        for loc in locals_:
            self.index[loc] = len(fields)
            fields.append(types.mem(loc.type) if loc.mode == "value" else PTR)
        for loop in starts:         # runtime start of an outlined range()
            self.index[("start", loop)] = len(fields)
            fields.append(I64)
        if isinstance(fi_ret, (StructType, ArrayType)):
            self.index[RESULT_PTR] = len(fields)      # where a returned object goes
            fields.append(PTR)
        self.index[RET_FLAG] = len(fields)
        fields.append(I8)
        self.index[RET_VALUE] = len(fields)
        fields.append(I64)
        self.type = ir.LiteralStructType(fields)

    @staticmethod
    def build(types: Any, fi: FuncInfo) -> "Frame | None":
        captured: list[Local] = []
        starts: list[ast.For] = []
        for loop, info in fi.loops.items():
            if info.strategy == "bpf_loop":
                captured.extend(c for c in info.captured if c not in captured)
                if isinstance(info.start, ast.AST) and info.start not in fi.consts:
                    starts.append(loop)
        if not any(info.strategy == "bpf_loop" for info in fi.loops.values()):
            return None
        return Frame(types, captured, starts, fi.ret)

    def field(self, b: ir.IRBuilder, ptr: ir.Value, key: Any) -> ir.Value:
        return gep(b, ptr, [ir.Constant(I32, 0), ir.Constant(I32, self.index[key])], self.type)


class OutlineLowering:
    """Mixin of FunctionLowering: ``outline_loop`` emits the bpf_loop call and its callback."""

    fi: FuncInfo
    b: ir.IRBuilder
    ml: Any
    fn: ir.Function

    def outline_loop(self, node: ast.For) -> None:
        info = self.fi.loops[node]
        ct = IntType("i64", 64, True)
        start = self._bound(info.start, ct)
        stop = self._bound(info.stop, ct)
        trips = self._trip_count(start, stop, info.step, info.trip_bound)
        base = self.frame.field(self.b, self.frame_ptr, ("start", node)) \
            if ("start", node) in self.frame.index else None
        cb = self._callback(node, start if isinstance(start, ir.Constant) else None)
        if base is not None:
            self.b.store(start, base)
        self.helper(H.HELPERS["loop"].id, I64, [trips, cb, self.frame_ptr, ir.Constant(I64, 0)])
        self._propagate_return()

    def _bound(self, b: Any, ct: IntType) -> ir.Value:
        if isinstance(b, int):
            return ir.Constant(I64, b)
        if b in self.fi.consts:
            return ir.Constant(I64, self.fi.consts[b])
        return convert(self.b, self.expr(b), self.fi.types[b], ct)

    def _trip_count(self, start: ir.Value, stop: ir.Value, step: int, bound: int) -> ir.Value:
        """Iterations of ``range(start, stop, step)``, as the u32 bpf_loop takes."""
        if isinstance(start, ir.Constant) and isinstance(stop, ir.Constant):
            a, z = start.constant, stop.constant
            n = max(0, -(-(z - a) // step)) if step > 0 else max(0, -(-(a - z) // -step))
            return ir.Constant(I32, n)
        diff = self.b.sub(stop, start) if step > 0 else self.b.sub(start, stop)
        pos = self.b.icmp_signed(">", diff, ir.Constant(I64, 0))
        s = abs(step)
        n = self.b.udiv(self.b.add(diff, ir.Constant(I64, s - 1)), ir.Constant(I64, s))
        n = self.b.select(pos, n, ir.Constant(I64, 0))
        # the checker's bound restated: keeps the count provably within bpf_loop's limit
        over = self.b.icmp_unsigned(">", n, ir.Constant(I64, bound))
        n = self.b.select(over, ir.Constant(I64, bound), n)
        return self.b.trunc(n, I32, name="trips")

    def _callback(self, node: ast.For, const_start: ir.Constant | None) -> ir.Function:
        ml = self.ml
        name = callback_name(self.fi.name, node)
        fnty = ir.FunctionType(I64, [I32, PTR])
        fn = ir.Function(ml.module, fnty, name)
        fn.linkage = "internal"
        fn.attributes.add("nounwind")
        fn.attributes.add("noinline")
        fn.args[0].name, fn.args[1].name = "index", "frame"
        di = ml.di
        sp = di.subprogram(name, node.lineno, di.type_of(IntType("i64", 64, True)),
                           [("index", di.type_of(IntType("u32", 32, False))),
                            ("frame", di.pointer(di.c_int()))], local=True)
        fn.set_metadata("dbg", sp)
        ml.functions[name] = fn
        ml.subprograms[name] = sp
        LoopBody.lower_body(self, fn, node, const_start)
        return fn

    def _propagate_return(self) -> None:
        flag_p = self.frame.field(self.b, self.frame_ptr, RET_FLAG)
        flag = self.b.load(flag_p, typ=I8)
        returned = self.b.icmp_unsigned("!=", flag, ir.Constant(I8, 0), name="returned")
        with self.b.if_then(returned, likely=False):
            self.propagate_from_frame()

    def propagate_from_frame(self) -> None:
        """After an outlined loop returned: leave this function with its value."""
        rt = self.fn.function_type.return_type
        self.before_exit()
        if isinstance(rt, ir.VoidType):
            self.b.ret_void()
            return
        v = self.b.load(self.frame.field(self.b, self.frame_ptr, RET_VALUE), typ=I64)
        self.b.ret(self.b.trunc(v, rt) if rt.width < 64 else v)


class LoopBody:
    """Factory for the callback's lowering: a FunctionLowering over the loop body only."""

    @staticmethod
    def lower_body(parent: Any, fn: ir.Function, node: ast.For, const_start: Any) -> None:
        from .function import FunctionLowering
        stores = [parent.fi.names[n].target for n in ast.walk(node)
                  if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n in parent.fi.names]
        assigned = {t for t in stores if isinstance(t, Local)}

        class BodyLowering(FunctionLowering):
            def __init__(self) -> None:
                self.ml = parent.ml
                self.fi = parent.fi
                self.types = parent.types
                self.fn = fn
                self.sp = self.ml.subprograms[fn.name]
                self.slots = {}
                self.site_slots = {}
                self.loop_targets = [None]
                self.entry = fn.append_basic_block("entry")
                self.alloca_builder = ir.IRBuilder(self.entry)
                self.b = ir.IRBuilder(fn.append_basic_block("body"))
                self.frame = parent.frame
                self.frame_ptr = fn.args[1]

            def ctx_pointer(self) -> ir.Value:
                ctx = self.fi.params[0]
                return self.b.load(self.slot(ctx), typ=PTR, name="ctx")

            def slot(self, loc: Local) -> ir.Value:
                # A captured scalar or reference the body never assigns is read from the
                # frame once, on entry, into a private slot that becomes a register.  Read
                # through the frame at each use, it is reloaded after every store the body
                # makes (LLVM cannot tell the frame from the memory stored to), inside loops.
                if loc not in self.slots and loc in self.frame.index \
                        and loc.mode in ("value", "ref") and loc not in assigned:
                    lt = self.types.mem(loc.type) if loc.mode == "value" else PTR
                    shared = self.frame.field(self.alloca_builder, self.frame_ptr, loc)
                    s = self.alloca(lt, loc.name)
                    ab, saved = self.alloca_builder, self.alloca_builder.debug_metadata
                    ab.debug_metadata = self.ml.di.location(node.lineno, node.col_offset + 1, self.sp)
                    ab.store(ab.load(shared, typ=lt), s)        # at the `for` line
                    ab.debug_metadata = saved
                    self.slots[loc] = s
                return super().slot(loc)

            def _default_return(self) -> None:
                self.b.ret(ir.Constant(I64, 0))

            def result_pointer(self) -> ir.Value:
                return self.b.load(self.frame.field(self.b, self.frame_ptr, RESULT_PTR), typ=PTR)

            def emit_return(self, v: ir.Value | None) -> None:
                if v is not None and RESULT_PTR in self.frame.index:
                    self.copy(self.result_pointer(), v, self.fi.ret)
                elif v is not None:
                    wide = v if v.type == I64 else (self.b.sext(v, I64) if v.type.width > 1
                                                   else self.b.zext(v, I64))
                    self.b.store(wide, self.frame.field(self.b, self.frame_ptr, RET_VALUE))
                self.b.store(ir.Constant(I8, 1), self.frame.field(self.b, self.frame_ptr, RET_FLAG))
                self.b.ret(ir.Constant(I64, 1))

            def propagate_from_frame(self) -> None:
                self.b.ret(ir.Constant(I64, 1))

            def run(self) -> None:
                info = self.fi.loops[node]
                self.mark(node)
                idx = self.b.zext(fn.args[0], I64)
                step = ir.Constant(I64, info.step)
                if const_start is not None:
                    start = const_start
                else:
                    start = self.b.load(self.frame.field(self.b, self.frame_ptr, ("start", node)), typ=I64)
                i = self.b.add(start, self.b.mul(idx, step), name="i")
                target = self.fi.names[node.target].target
                self.b.store(convert(self.b, i, IntType("i64", 64, True), target.type), self.slot(target))
                self.block(node.body)
                if not self.b.block.is_terminated:
                    self._default_return()
                self.alloca_builder.branch(fn.blocks[1])

        BodyLowering().run()
