"""Lowering the packet helpers (model/helper_table.PACKET_HELPERS): the ctx, the integers
widened to the 64-bit registers helpers take, objects as (pointer, size) pairs."""
from __future__ import annotations

import ast
from typing import Any

import llvmlite.ir as ir

from ..model.helper_table import PACKET_HELPERS
from ..types import BoolType, IntType, i64, u64
from .context import LowerContext
from .ints import convert
from .ltypes import I32, I64, PTR, gep


def lower_packet_helper(cx: LowerContext, node: ast.Call, call: Any, h: Any) -> ir.Value:
    """``helpers.NAME(...)``: the arguments in the kernel helper's order; "dst"/"src"/"buf"
    arguments become a pointer followed by the object's size (``call.extra`` holds them)."""
    spec = PACKET_HELPERS[h.name]
    sizes = iter(call.extra)
    args: list[ir.Value] = []
    given = list(node.args)
    for i, (_pname, want) in enumerate(spec.args):
        a = given[i] if i < len(given) else None
        if want == "ctx":
            args.append(cx.ctx_pointer())
        elif want in ("dst", "src", "buf"):
            size = next(sizes)
            args.append(ir.Constant(PTR, None) if size == 0 else _address(cx, a))
            args.append(ir.Constant(I32, size))
        elif a is None:                   # an optional flags/seed argument left out
            args.append(ir.Constant(I64, 0))
        else:
            assert isinstance(want, IntType)
            v = convert(cx.b, cx.expr(a), cx.fi.types[a], want)
            args.append(convert(cx.b, v, want, i64 if want.signed else u64))
    return cx.helper(spec.id, I64, args)


def _address(cx: LowerContext, node: ast.expr | None) -> ir.Value:
    """An object's address, or an integer field's or element's (``e.size``, ``buf[2]``)."""
    assert node is not None
    t = cx.fi.types[node]
    return cx.place(node) if isinstance(t, (IntType, BoolType)) else cx.expr(node)


# offsetof(struct xdp_md, data/data_meta) and offsetof(struct __sk_buff, data/data_meta)
_META = {"xdp": (0, 8), "tc": (76, 140)}


def lower_load_meta(cx: LowerContext, t: Any) -> ir.Value:
    """``ctx.load_meta(T)``: ``data_meta`` when ``data_meta + sizeof(T) <= data``, else
    null (the verifier's check for the metadata area, as for the packet)."""
    data_off, meta_off = _META["xdp" if cx.fi.ctx_kind == "xdp" else "tc"]
    ctx = cx.ctx_pointer()

    def field(o: int, name: str) -> ir.Value:
        p = gep(cx.b, ctx, [ir.Constant(I64, o)], ir.IntType(8), inbounds=False)
        return cx.b.inttoptr(cx.b.zext(cx.b.load(p, typ=I32), I64), PTR, name=name)
    meta, data = field(meta_off, "meta"), field(data_off, "data")
    cx.b.assume(cx.b.icmp_unsigned("!=", meta, ir.Constant(PTR, None)))
    end = gep(cx.b, meta, [ir.Constant(I64, t.size)], ir.IntType(8), name="metaend", inbounds=False)
    fits = cx.b.icmp_unsigned("<=", end, data, name="fits")
    return cx.b.select(fits, meta, ir.Constant(PTR, None), name="meta")
