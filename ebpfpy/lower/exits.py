"""The two ways out of lowered code: a function's ``return``, and an outlined loop body's.

A function returns its value (a program first writes a staged ctx back).  An outlined loop
body is a ``bpf_loop`` callback: ``break`` returns 1 from it, ``continue`` 0, and ``return v``
stores ``v`` and a flag in the frame and returns 1; the function returns ``v`` after
``bpf_loop`` (loops.py).  ``LowerContext.exit`` holds one of these.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

import llvmlite.ir as ir

from ..model.typed import Local, known, staged_ctx_size
from .abi import RESULT_PTR, RET_FLAG, RET_VALUE, returns_object
from .context import LowerContext
from .ltypes import I8, I64, PTR
from .memory import copy, copy_words


def before_exit(cx: LowerContext) -> None:
    """What every exit of the program does first: write a staged ctx back."""
    if cx.ctx_real is not None:
        copy_words(cx.b, cx.ctx_real, cx.ctx_value, staged_ctx_size(cx.fi), known(cx.fi.ctx_type).align)


class FunctionExit:
    """Exits of a program or subprogram.

    Every ``return v`` of a value stores it and branches to one return block laid out
    last, as clang's code for the same C has it: LLVM merges the returns into the first
    one it finds otherwise, which sat near the top, and the common path (the last
    ``return``) jumped back to it instead of falling through to ``exit``."""

    def default_return(self, cx: LowerContext) -> None:
        """Falling off the end returns 0 (or nothing)."""
        rt = cx.fn.function_type.return_type
        if isinstance(rt, ir.VoidType):
            before_exit(cx)
            cx.b.ret_void()
        else:
            self._to_return_block(cx, ir.Constant(rt, 0))

    def _to_return_block(self, cx: LowerContext, v: ir.Value) -> None:
        if cx.ret_block is None:
            cx.ret_block = cx.fn.append_basic_block("return")
            cx.ret_slot = cx.alloca(v.type, "retval")
            rb = ir.IRBuilder(cx.ret_block)
            rb.debug_metadata = cx.b.debug_metadata
            saved = cx.b
            cx.b = rb
            try:
                before_exit(cx)
                rb.ret(rb.load(cx.ret_slot, typ=v.type))
            finally:
                cx.b = saved
        cx.b.store(v, cx.ret_slot)
        cx.b.branch(cx.ret_block)

    def emit_return(self, cx: LowerContext, v: ir.Value | None) -> None:
        """``return v``: objects are copied to the caller's result pointer."""
        if v is not None and returns_object(cx.fi):
            copy(cx, cx.fn.args[-1], v, known(cx.fi.ret))
            cx.b.ret_void()
        elif v is None:
            self.default_return(cx)
        else:
            self._to_return_block(cx, v)

    def after_outlined_return(self, cx: LowerContext) -> None:
        """Leave this function with the value an outlined loop left in the frame."""
        assert cx.frame is not None
        rt = cx.fn.function_type.return_type
        before_exit(cx)
        if isinstance(rt, ir.VoidType):
            cx.b.ret_void()
            return
        v = cx.b.load(cx.frame.field(cx.b, cx.frame_ptr, RET_VALUE), typ=I64)
        cx.b.ret(cx.b.trunc(v, rt) if rt.width < 64 else v)

    def ctx_pointer(self, cx: LowerContext) -> ir.Value:
        """The ctx parameter (marked for static offsets in programs)."""
        return cx.ctx_value if cx.ctx_value is not None else cx.fn.args[0]

    def entry_copy(self, cx: LowerContext, loc: Local) -> ir.Value | None:
        """Functions use their slots as they are."""
        return None


@dataclass
class LoopBodyExit:
    """Exits of the ``bpf_loop`` callback outlined from ``loop``; ``assigned`` are the
    locals its body stores to."""

    loop: ast.For
    assigned: set[Local]

    def default_return(self, cx: LowerContext) -> None:
        """The end of the body: go on with the next iteration."""
        cx.b.ret(ir.Constant(I64, 0))

    def emit_return(self, cx: LowerContext, v: ir.Value | None) -> None:
        """``return v``: leave ``v`` and the flag in the frame and stop the loop."""
        assert cx.frame is not None
        if v is not None and RESULT_PTR in cx.frame.index:
            result = cx.b.load(cx.frame.field(cx.b, cx.frame_ptr, RESULT_PTR), typ=PTR)
            copy(cx, result, v, known(cx.fi.ret))
        elif v is not None:
            wide = v if v.type == I64 else (cx.b.sext(v, I64) if v.type.width > 1
                                            else cx.b.zext(v, I64))
            cx.b.store(wide, cx.frame.field(cx.b, cx.frame_ptr, RET_VALUE))
        cx.b.store(ir.Constant(I8, 1), cx.frame.field(cx.b, cx.frame_ptr, RET_FLAG))
        cx.b.ret(ir.Constant(I64, 1))

    def after_outlined_return(self, cx: LowerContext) -> None:
        """A nested outlined loop returned: stop this loop too (the flag stays set)."""
        cx.b.ret(ir.Constant(I64, 1))

    def ctx_pointer(self, cx: LowerContext) -> ir.Value:
        """The ctx pointer, as the function saved it in the frame."""
        return cx.b.load(cx.slot(cx.fi.params[0]), typ=PTR, name="ctx")

    def entry_copy(self, cx: LowerContext, loc: Local) -> ir.Value | None:
        """A captured scalar or reference the body never assigns is read from the frame
        once, on entry, into a private slot that becomes a register.  Read through the
        frame at each use, it is reloaded after every store the body makes (LLVM cannot
        tell the frame from the memory stored to), inside loops."""
        if cx.frame is None or loc not in cx.frame.index or loc.mode not in ("value", "ref") \
                or loc in self.assigned:
            return None
        lt = cx.types.mem(loc.type) if loc.mode == "value" else PTR
        shared = cx.frame.field(cx.alloca_builder, cx.frame_ptr, loc)
        s = cx.alloca(lt, loc.name)
        ab, saved = cx.alloca_builder, cx.alloca_builder.debug_metadata
        ab.debug_metadata = cx.ml.di.location(self.loop.lineno, self.loop.col_offset + 1, cx.sp)
        ab.store(ab.load(shared, typ=lt), s)        # at the `for` line
        ab.debug_metadata = saved
        return s
