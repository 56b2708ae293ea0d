"""Lowering one function: its context, parameters and ctx, then its statements.

The lowering's entry points are gathered in ``PASSES`` here, the one module that sees every
topic module; the topic modules reach them through the context.
"""
from __future__ import annotations

import llvmlite.ir as ir

from ..errors import CompileError
from ..model.typed import FuncInfo, known, staged_ctx_size
from . import expressions, places, statements
from .context import LowerContext, Passes
from .exits import FunctionExit
from .abi import RESULT_PTR, Frame
from .ltypes import I1, PTR
from .memory import copy_words
from .module_state import ModuleState

PASSES = Passes(expr=expressions.expr, truth=expressions.truth, place=places.place,
                block=statements.block)


def lower_function(ml: ModuleState, fi: FuncInfo) -> None:
    """Emit the body of the declared function ``fi``."""
    cx = LowerContext(ml, fi, ml.functions[fi.name], PASSES, FunctionExit(),
                      Frame.build(ml.types, fi))
    try:
        _set_up_frame(cx)
        _bind_params(cx)
        cx.block(fi.node.body)
        if not cx.b.block.is_terminated:
            cx.mark(fi.node.body[-1] if fi.node.body else fi.node)
            cx.exit.default_return(cx)
        cx.finish()
    except CompileError:
        raise
    except Exception as e:      # outside any statement: the function's own line
        raise ml.info.src.internal_error(cx.node or fi.node, e) from e


def _set_up_frame(cx: LowerContext) -> None:
    """Allocate the outlined loops' frame, zeroed, with the result pointer stored in it."""
    if cx.frame is None:
        return
    cx.frame_ptr = cx.alloca(cx.frame.type, "frame")
    cx.alloca_builder.store(ir.Constant(cx.frame.type, None), cx.frame_ptr)
    if RESULT_PTR in cx.frame.index:
        cx.alloca_builder.store(cx.fn.args[-1], cx.frame.field(
            cx.alloca_builder, cx.frame_ptr, RESULT_PTR))


def _bind_params(cx: LowerContext) -> None:
    """Store each parameter in its slot; a program's ctx is marked (and maybe staged)."""
    fi = cx.fi
    cx.mark(fi.node)
    for arg, p in zip(cx.fn.args, fi.params):
        v = arg
        if p.mode == "value" and arg.type == I1:
            v = cx.alloca_builder.zext(arg, ir.IntType(8))     # bools are bytes in memory
        elif p.mode != "value" and p is fi.params[0] and fi.ctx_kind:
            v = cx.ctx_value = _static_offset_ctx(cx, arg)
            if staged_ctx_size(fi):
                v = cx.ctx_value = _stage_ctx(cx, v)
        cx.alloca_builder.store(v, cx.slot(p))


# The verifier accepts a ctx access only at a constant offset in the instruction itself
# ("dereference of modified ctx ptr").  Without a marker LLVM turns ``ctx.a if c else
# ctx.b`` into one load from ``ctx + select(c, off_a, off_b)``; the BPF backend's
# llvm.preserve.static.offset (clang's preserve_static_offset) keeps every offset static.
# Field accesses must use the marker directly, not reload it from the slot, for the
# pass (which runs first in the pipeline) to see them.
def _static_offset_ctx(cx: LowerContext, arg: ir.Value) -> ir.Value:
    fnty = ir.FunctionType(PTR, [PTR])
    mod = cx.fn.module
    marker = mod.globals.get("llvm.preserve.static.offset") or \
        ir.Function(mod, fnty, "llvm.preserve.static.offset")
    return cx.alloca_builder.call(marker, [arg], name="ctx.static")


def _stage_ctx(cx: LowerContext, ctx: ir.Value) -> ir.Value:
    """Copy the ctx to the stack (see model.typed.staged_ctx_size); exits copy it back."""
    cx.ctx_real = ctx
    ctx_type = known(cx.fi.ctx_type)
    local = cx.alloca(cx.types.mem(ctx_type), "ctx.stack")
    local.align = 8
    copy_words(cx.alloca_builder, local, ctx, staged_ctx_size(cx.fi), ctx_type.align)
    return local
