"""Lowering one function: frame set-up and statements (expressions live in expr.py)."""
from __future__ import annotations

import ast
from typing import Any

import llvmlite.ir as ir

from ..frontend.typed import FuncInfo, Local
from ..types import BOOL, ArrayType, BoolType, IntType, StructType
from .calls import CallLowering
from .expr import ExprLowering
from .ints import convert
from .ltypes import I1, I32, I64, PTR, gep
from .loops import LoopLowering
from .maps import MapLowering
from .places import PlaceLowering
from ..frontend.rules import staged_ctx_size
from .module import returns_object
from .outline import RESULT_PTR, Frame, OutlineLowering


PROGRAM_RET = IntType("i32", 32, True)


class FunctionLowering(ExprLowering, PlaceLowering, CallLowering, MapLowering, LoopLowering,
                       OutlineLowering):
    """Emits one LLVM function from a checked Python function."""

    def __init__(self, ml: Any, fi: FuncInfo) -> None:
        self.ml = ml
        self.fi = fi
        self.types = ml.types
        self.fn: ir.Function = ml.functions[fi.name]
        self.sp = ml.subprograms[fi.name]
        self.slots: dict[Local, ir.Value] = {}      # local -> alloca (value or pointer)
        self.site_slots: dict[ast.AST, ir.Value] = {}
        # (continue, break) blocks; None marks the body of an outlined loop
        self.loop_targets: list[tuple[ir.Block, ir.Block] | None] = []
        self.entry = self.fn.append_basic_block("entry")
        self.alloca_builder = ir.IRBuilder(self.entry)
        body = self.fn.append_basic_block("body")
        self.b = ir.IRBuilder(body)
        self.frame: Frame | None = Frame.build(self.types, fi)
        self.frame_ptr: ir.Value | None = None
        if self.frame is not None:
            self.frame_ptr = self.alloca(self.frame.type, "frame")
            self.alloca_builder.store(ir.Constant(self.frame.type, None), self.frame_ptr)
            if RESULT_PTR in self.frame.index:
                self.alloca_builder.store(self.fn.args[-1], self.frame.field(
                    self.alloca_builder, self.frame_ptr, RESULT_PTR))

    # ------------------------------------------------------------------ frame
    def alloca(self, lt: ir.Type, name: str) -> ir.Value:
        """A stack slot in the entry block (so LLVM's mem2reg/SROA can promote it)."""
        slot = self.alloca_builder.alloca(lt, name=name)
        slot.type = PTR         # opaque, like every other pointer here
        return slot

    def slot(self, loc: Local) -> ir.Value:
        s = self.slots.get(loc)
        if s is None and self.frame is not None and loc in self.frame.index:
            s = self.frame.field(self.alloca_builder, self.frame_ptr, loc)
            self.slots[loc] = s
        if s is None:
            lt = self.types.mem(loc.type) if loc.mode == "value" else PTR
            s = self.alloca(lt, loc.name)
            # zeroed, so no path reads uninitialised stack (the verifier refuses that)
            self.alloca_builder.store(ir.Constant(lt, None), s)
            self.slots[loc] = s
        return s

    def site_slot(self, node: ast.AST, t: Any) -> ir.Value:
        """The stack object created at ``node`` (P(), u8[4](), a map copy…)."""
        s = self.site_slots.get(node)
        if s is None:
            s = self.alloca(self.types.mem(t), "obj")
            self.site_slots[node] = s
        return s

    def temp_slot(self, key: Any, t: Any) -> ir.Value:
        """A stack slot that lives for the current statement only (a map key or value on its
        way into a helper).  Lifetime markers let LLVM share these bytes between statements:
        without them every map access kept its own slot, and a few dozen in one function
        overflowed the 512-byte stack (an LLVM fatal error that ends the whole process)."""
        s = self.site_slot(key, t)
        self.b.call(self._lifetime("start"), [s])
        self.__dict__.setdefault("_temps", []).append(s)
        return s

    def _lifetime(self, which: str) -> ir.Function:
        mod = self.fn.module
        name = f"llvm.lifetime.{which}.p0"
        return mod.globals.get(name) or ir.Function(mod, ir.FunctionType(ir.VoidType(), [PTR]), name)

    def lower(self) -> None:
        self._bind_params()
        self.block(self.fi.node.body)
        if not self.b.block.is_terminated:
            self.mark(self.fi.node.body[-1] if self.fi.node.body else self.fi.node)
            self._default_return()
        self.alloca_builder.branch(self.fn.blocks[1])

    def _bind_params(self) -> None:
        self.mark(self.fi.node)
        for arg, p in zip(self.fn.args, self.fi.params):
            v = arg
            if p.mode == "value" and arg.type == I1:
                v = self.alloca_builder.zext(arg, ir.IntType(8))     # bools are bytes in memory
            elif p.mode != "value" and p is self.fi.params[0] and self.fi.ctx_kind:
                v = self.ctx_value = self._static_offset_ctx(arg)
                if staged_ctx_size(self.fi):
                    v = self.ctx_value = self._stage_ctx(v)
            self.alloca_builder.store(v, self.slot(p))

    ctx_real: ir.Value | None = None

    def _stage_ctx(self, ctx: ir.Value) -> ir.Value:
        """Copy the ctx to the stack (see frontend.rules.staged_ctx_size); exits copy it back."""
        self.ctx_real = ctx
        local = self.alloca(self.types.mem(self.fi.ctx_type), "ctx.stack")
        local.align = 8
        self._copy_words(self.alloca_builder, local, ctx, staged_ctx_size(self.fi),
                         self.fi.ctx_type.align)
        return local

    @staticmethod
    def _copy_words(b: ir.IRBuilder, dst: ir.Value, src: ir.Value, size: int, align: int) -> None:
        """Copy ``size`` bytes as loads and stores at constant offsets from ``src``/``dst``.

        Not memcpy: its expansion happens after llvm.preserve.static.offset has done its
        work, and may address the ctx through a moved pointer, which the verifier refuses.
        Words no wider than the struct's alignment: LLVM may forward them to other stack
        objects, and the verifier refuses misaligned stack accesses.
        """
        off = 0
        for width in (w for w in (8, 4, 2, 1) if w <= align):
            while size - off >= width:
                lt = ir.IntType(width * 8)
                at = [ir.Constant(I64, off)]
                v = b.load(gep(b, src, at, ir.IntType(8), inbounds=False), typ=lt)
                b.store(v, gep(b, dst, at, ir.IntType(8), inbounds=False))
                off += width

    def _memcpy(self, b: ir.IRBuilder, dst: ir.Value, src: ir.Value, size: int,
                align: int) -> None:
        mod = self.fn.module
        name = "llvm.memcpy.p0.p0.i64"
        fn = mod.globals.get(name) or ir.Function(
            mod, ir.FunctionType(ir.VoidType(), [PTR, PTR, ir.IntType(64), I1]), name)
        # both sides are objects of the copied type: their alignment is the type's (more
        # would let LLVM use wider, misaligned stack accesses, which the verifier refuses)
        call = b.call(fn, [dst, src, ir.Constant(ir.IntType(64), size), ir.Constant(I1, 0)],
                      arg_attrs={0: (), 1: ()})
        call.arg_attributes[0].align = call.arg_attributes[1].align = align

    def before_exit(self) -> None:
        """What every exit of the program does first: write a staged ctx back."""
        if self.ctx_real is not None:
            self._copy_words(self.b, self.ctx_real, self.ctx_value, staged_ctx_size(self.fi),
                             self.fi.ctx_type.align)

    # The verifier accepts a ctx access only at a constant offset in the instruction itself
    # ("dereference of modified ctx ptr").  Without a marker LLVM turns ``ctx.a if c else
    # ctx.b`` into one load from ``ctx + select(c, off_a, off_b)``; the BPF backend's
    # llvm.preserve.static.offset (clang's preserve_static_offset) keeps every offset static.
    # Field accesses must use the marker directly, not reload it from the slot, for the
    # pass (which runs first in the pipeline) to see them.
    ctx_value: ir.Value | None = None

    def _static_offset_ctx(self, arg: ir.Value) -> ir.Value:
        fnty = ir.FunctionType(PTR, [PTR])
        mod = self.fn.module
        marker = mod.globals.get("llvm.preserve.static.offset") or \
            ir.Function(mod, fnty, "llvm.preserve.static.offset")
        return self.alloca_builder.call(marker, [arg], name="ctx.static")

    def x_Name(self, node: ast.Name) -> ir.Value:
        sym = self.fi.names[node]
        if self.ctx_value is not None and sym.kind != "global" and sym.target is self.fi.params[0]:
            return self.ctx_value
        return super().x_Name(node)

    def ctx_pointer(self) -> ir.Value:
        return self.ctx_value if self.ctx_value is not None else super().ctx_pointer()

    def _default_return(self) -> None:
        self.before_exit()
        rt = self.fn.function_type.return_type
        if isinstance(rt, ir.VoidType):
            self.b.ret_void()
        else:
            self.b.ret(ir.Constant(rt, 0))

    def mark(self, node: ast.AST) -> None:
        """Attach the Python line to what follows (→ BTF line info, verifier messages)."""
        self.ml.current[0] = node
        line = getattr(node, "lineno", self.fi.node.lineno)
        col = getattr(node, "col_offset", 0) + 1
        self.b.debug_metadata = self.ml.di.location(line, col, self.sp)
        self.alloca_builder.debug_metadata = self.ml.di.location(self.fi.node.lineno, 1, self.sp)

    # ------------------------------------------------------------------ statements
    def block(self, stmts: list[ast.stmt]) -> None:
        for s in stmts:
            if self.b.block.is_terminated:
                # code after return/break/continue: keep lowering into an unreachable block
                self.b.position_at_end(self.fn.append_basic_block("dead"))
            self.mark(s)
            temps = self.__dict__.setdefault("_temps", [])
            mark = len(temps)
            getattr(self, "s_" + type(s).__name__)(s)
            if len(temps) > mark:       # the statement's temporaries end with it
                if not self.b.block.is_terminated:
                    for t in temps[mark:]:
                        self.b.call(self._lifetime("end"), [t])
                del temps[mark:]

    def s_Pass(self, node: ast.Pass) -> None:
        pass

    def s_Global(self, node: ast.Global) -> None:
        pass

    def s_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Call):
            self.expr(node.value)

    def s_Return(self, node: ast.Return) -> None:
        self.emit_return(self.return_value(node.value))

    def return_value(self, value: ast.expr | None) -> ir.Value | None:
        """The returned value in the function's LLVM return type (programs: i32)."""
        if value is None:
            return None
        v = self.expr(value)
        src = self.fi.types[value]
        if returns_object(self.fi):
            return v                    # the object's address; emit_return copies it
        if self.fi.fdef.section is not None:
            return self.b.zext(v, I32) if src is BOOL else convert(self.b, v, src, PROGRAM_RET)
        return convert(self.b, v, src, self.fi.ret)

    def emit_return(self, v: ir.Value | None) -> None:
        if v is not None and returns_object(self.fi):
            self.copy(self.result_pointer(), v, self.fi.ret)
            self.b.ret_void()
        elif v is None:
            self._default_return()
        else:
            self.before_exit()
            self.b.ret(v)

    def result_pointer(self) -> ir.Value:
        return self.fn.args[-1]

    def s_Break(self, node: ast.Break) -> None:
        target = self.loop_targets[-1]
        if target is None:      # the outlined loop itself: stop bpf_loop
            self.b.ret(ir.Constant(ir.IntType(64), 1))
        else:
            self.b.branch(target[1])

    def s_Continue(self, node: ast.Continue) -> None:
        target = self.loop_targets[-1]
        if target is None:
            self.b.ret(ir.Constant(ir.IntType(64), 0))
        else:
            self.b.branch(target[0])

    def s_If(self, node: ast.If) -> None:
        c = self.truth(node.test)
        then = self.fn.append_basic_block("if.then")
        other = self.fn.append_basic_block("if.else") if node.orelse else None
        done = self.fn.append_basic_block("if.end")
        self.b.cbranch(c, then, other or done)
        self.b.position_at_end(then)
        self.block(node.body)
        if not self.b.block.is_terminated:
            self.b.branch(done)
        if other is not None:
            self.b.position_at_end(other)
            self.block(node.orelse)
            if not self.b.block.is_terminated:
                self.b.branch(done)
        self.b.position_at_end(done)

    def s_Assign(self, node: ast.Assign) -> None:
        self.assign(node.targets[0], node.value)

    def s_AnnAssign(self, node: ast.AnnAssign) -> None:
        assert node.value is not None
        self.assign(node.target, node.value)

    def assign(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Subscript) and self.is_map(target.value):
            self.map_store(target, value)
            return
        if isinstance(target, ast.Name):
            sym = self.fi.names[target]
            if sym.kind == "local" and sym.target.mode != "value":
                self.b.store(self.expr(value), self.slot(sym.target))
                return
        dst_t = self.fi.types[target] if not isinstance(target, ast.Name) else \
            (self.fi.names[target].target.type)
        v = self.expr(value)        # Python evaluates the value before the target's parts
        self.store_value(self.place(target), dst_t, value, v)

    def store_value(self, ptr: ir.Value, dst_t: Any, value: ast.expr,
                    v: ir.Value | None = None) -> None:
        """Store ``value`` (converted, or copied for structs/arrays) at ``ptr``; ``v`` is
        its value when already computed."""
        if v is None:
            v = self.expr(value)
        src_t = self.fi.types[value]
        if isinstance(dst_t, (StructType, ArrayType)):
            self.copy(ptr, v, dst_t)
        elif isinstance(dst_t, BoolType):
            self.b.store(self.b.zext(v, ir.IntType(8)) if v.type.width == 1 else v, ptr)
        else:
            self.b.store(convert(self.b, v, src_t, dst_t), ptr)

    def copy(self, dst: ir.Value, src: ir.Value, t: Any) -> None:
        if isinstance(t, StructType) and t.size <= 128 and _data_bytes(t) < t.size:
            # An aggregate load/store leaves padding bytes undefined (stack garbage), but
            # map keys are hashed and compared bytewise: m[ctx.p] = v stored a key that no
            # lookup of the same struct found.  memcpy copies every byte; the backend
            # expands it inline (up to 128 stores).
            self._memcpy(self.b, dst, src, t.size, t.align)
            return
        lt = self.types.mem(t)
        self.b.store(self.b.load(src, typ=lt), dst)

    def s_AugAssign(self, node: ast.AugAssign) -> None:
        target = node.target
        if isinstance(target, ast.Subscript) and self.is_map(target.value):
            self.map_aug(node)
            return
        t = self.fi.types[target] if not isinstance(target, ast.Name) else \
            self.fi.names[target].target.type
        ptr = self.place(target)
        old = self.b.load(ptr, typ=self.types.mem(t))
        v = self.binop_values(node.op, t, old, self.expr(node.value), self.fi.types[node.value],
                              node.value)
        self.b.store(v, ptr)

    def s_Delete(self, node: ast.Delete) -> None:
        for t in node.targets:
            assert isinstance(t, ast.Subscript)
            self.map_delete(t)

    def s_For(self, node: ast.For) -> None:
        if self.fi.loops[node].strategy == "bpf_loop":
            self.outline_loop(node)
        else:
            self.lower_for(node)


def _data_bytes(t: Any) -> int:
    """Bytes of ``t`` that hold data (its size without padding)."""
    if isinstance(t, StructType):
        return sum(_data_bytes(f.type) for f in t.fields)
    if isinstance(t, ArrayType):
        return t.length * _data_bytes(t.elem)
    return t.size
