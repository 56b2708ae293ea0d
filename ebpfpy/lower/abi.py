"""Calling conventions inside the object: how functions return results, and the frame
through which outlined loop bodies share a function's locals.

A struct or array result is returned through a pointer the caller passes last.  Locals that
live across an outlined loop's boundary move into one frame struct on the function's stack;
a ``bpf_loop`` callback reaches them through its context pointer (``bpf_loop(n, cb, &frame,
0)``).  The frame ends with where a returned object goes, and the flag and value of a
``return`` made inside a callback.
"""
from __future__ import annotations

import ast
from typing import Any

import llvmlite.ir as ir

from ..model.typed import FuncInfo, Local, LoopStrategy
from ..types import ArrayType, IntType, StructType
from .ltypes import I8, I32, I64, PTR, TypeMap, gep

PROGRAM_RET = IntType("i32", 32, True)      # what every program returns to the kernel
RESULT_PARAM = "__result"                   # the last parameter of a function returning an object


def returns_object(fi: FuncInfo) -> bool:
    """A struct or array result: returned through a pointer the caller passes last."""
    return isinstance(fi.ret, (StructType, ArrayType))


RET_FLAG, RET_VALUE, RESULT_PTR = "__ret_flag", "__ret_value", "__result_ptr"


def callback_name(func: str, loop: ast.For) -> str:
    """The outlined body's symbol: stable, so reports and disassembly can name it."""
    return f"{func}__loop_l{loop.lineno}c{loop.col_offset}"


class Frame:
    """The frame struct layout: captured locals, then the return flag and value."""

    def __init__(self, types: TypeMap, locals_: list[Local], starts: list[ast.For],
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
    def build(types: TypeMap, fi: FuncInfo) -> "Frame | None":
        """The frame of ``fi``, or None when no loop of it is outlined."""
        captured: list[Local] = []
        starts: list[ast.For] = []
        for loop, info in fi.loops.items():
            if info.strategy is LoopStrategy.BPF_LOOP:
                captured.extend(c for c in info.captured if c not in captured)
                if isinstance(info.start, ast.AST) and info.start not in fi.consts:
                    starts.append(loop)
        if not any(info.strategy is LoopStrategy.BPF_LOOP for info in fi.loops.values()):
            return None
        return Frame(types, captured, starts, fi.ret)

    def field(self, b: ir.IRBuilder, ptr: ir.Value, key: Any) -> ir.Value:
        """The address of field ``key`` (a Local, ("start", loop), or RET_*) of the frame at ``ptr``."""
        return gep(b, ptr, [ir.Constant(I32, 0), ir.Constant(I32, self.index[key])], self.type)
