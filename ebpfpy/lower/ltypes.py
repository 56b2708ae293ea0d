"""The one place where DSL types map to LLVM types."""
from __future__ import annotations

import llvmlite.ir as ir

from ..types import (ArrayType, BoolType, BpfType, IntType, MapType, OpaqueType, RefType,
                     StructType, UnionType)

I1 = ir.IntType(1)
I8 = ir.IntType(8)
I16 = ir.IntType(16)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
PTR = ir.PointerType()
DATA_LAYOUT = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"


class TypeMap:
    """Memory and register types; identified struct types live in the module's context."""

    def __init__(self, module: ir.Module) -> None:
        self.module = module
        self._structs: dict[str, ir.Type] = {}
        # by id of the (immutable) DSL type, which the entry keeps alive: sortnet asked for
        # its u32[16] type 5,000 times, each building the llvmlite type again
        self._mem: dict[int, tuple[BpfType, ir.Type]] = {}

    def mem(self, t: BpfType) -> ir.Type:
        """How a value of ``t`` is laid out in memory (bool is one byte)."""
        known = self._mem.get(id(t))
        if known is not None:
            return known[1]
        lt = self._mem_type(t)
        if not isinstance(t, (StructType, OpaqueType)):    # those: by name, in _struct
            self._mem[id(t)] = (t, lt)
        return lt

    def _mem_type(self, t: BpfType) -> ir.Type:
        if isinstance(t, IntType):
            return ir.IntType(t.bits)
        if isinstance(t, BoolType):
            return I8
        if isinstance(t, ArrayType):
            return ir.ArrayType(self.mem(t.elem), t.length)
        if isinstance(t, StructType):
            return self._struct(t)
        if isinstance(t, OpaqueType):
            return ir.ArrayType(I64, t.size // 8) if t.size % 8 == 0 else ir.ArrayType(I32, t.size // 4)
        if isinstance(t, (RefType, MapType)):
            return PTR
        raise TypeError(f"no LLVM type for {t!r}")

    def reg(self, t: BpfType) -> ir.Type:
        """How a value of ``t`` travels in a register: bool as i1, aggregates by pointer."""
        if isinstance(t, IntType):
            return ir.IntType(t.bits)
        if isinstance(t, BoolType):
            return I1
        return PTR

    def _struct(self, t: StructType) -> ir.Type:
        st = self._structs.get(t.name)
        if st is None:
            st = self.module.context.get_identified_type("struct." + t.name)
            self._structs[t.name] = st
            if isinstance(t, UnionType):      # the size and alignment; fields share offset 0
                word = ir.IntType(8 * t.align)
                st.set_body(ir.ArrayType(word, t.size // t.align))
            else:
                st.set_body(*[self.mem(f.type) for f in t.fields])
        return st

    def field_ptr(self, b: ir.IRBuilder, base: ir.Value, t: StructType, name: str,
                  label: str = "") -> ir.Value:
        """The address of field ``name`` of the struct (or union) at ``base``."""
        if isinstance(t, UnionType):
            return base
        return gep(b, base, [ir.Constant(I32, 0), ir.Constant(I32, self.field_index(t, name))],
                   self.mem(t), name=label)

    def field_index(self, t: StructType, name: str) -> int:
        """The LLVM element index of field ``name``."""
        return [f.name for f in t.fields].index(name)


def gep(b: ir.IRBuilder, ptr: ir.Value, indices: list[ir.Value], etype: ir.Type,
        name: str = "", inbounds: bool = True) -> ir.Value:
    """A GEP whose result is an opaque ``ptr`` (llvmlite would type it as ``etype*``)."""
    g = b.gep(ptr, indices, source_etype=etype, inbounds=inbounds, name=name)
    g.type = PTR
    return g
