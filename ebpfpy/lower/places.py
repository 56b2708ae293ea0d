"""Addresses of things that live in memory: locals, globals, fields, elements, ctx fields."""
from __future__ import annotations

import ast
from typing import Any, Callable

import llvmlite.ir as ir

from ..model.masks import mask_bounds, masked_below
from ..model.typed import LoopStrategy, int_type
from ..types import ArrayType, IntType, RefType, StructType
from .context import LowerContext
from .core import field_place
from .ints import convert
from .ltypes import I8, I64, PTR, gep


def place(cx: LowerContext, node: ast.expr) -> ir.Value:
    """The pointer the lvalue ``node`` denotes."""
    return _PLACES[type(node)](cx, node)


def _name(cx: LowerContext, node: ast.Name) -> ir.Value:
    sym = cx.fi.names[node]
    if sym.kind == "global":
        return cx.ml.globals[node.id]
    loc = sym.target
    if loc.mode == "value":
        return cx.slot(loc)
    return cx.b.load(cx.slot(loc), typ=PTR, name=node.id)


def _attribute(cx: LowerContext, node: ast.Attribute) -> ir.Value:
    kind, what = cx.fi.attrs[node]
    if kind == "kfield":                  # a kernel struct's field: CO-RE relocated
        return field_place(cx, node, what)
    if kind == "ctx":
        _name, _t, off = what
        base = cx.ctx_pointer()
        return gep(cx.b, base, [ir.Constant(I64, off)], I8, name="ctxfield", inbounds=False)
    base = cx.expr(node.value)          # aggregates evaluate to their address
    if kind == "value":
        return base
    target = cx.fi.types[node.value]
    st = target.target if isinstance(target, RefType) else target
    assert isinstance(st, StructType)
    return cx.types.field_ptr(cx.b, base, st, what.name, what.name)


def _subscript(cx: LowerContext, node: ast.Subscript) -> ir.Value:
    bt = cx.fi.types.get(node.value)
    if isinstance(node.value, ast.Attribute) and cx.fi.attrs.get(node.value, ("",))[0] == "ctx":
        base = place(cx, node.value)
    else:
        base = cx.expr(node.value)
    arr = bt.target if isinstance(bt, RefType) else bt
    assert isinstance(arr, ArrayType)
    # a constant index needs none of the questions below (index_value folds it first)
    runtime = (node.slice not in cx.fi.consts and not _loop_var(cx, node.slice)
               and not in_ctx(cx, node.value))
    # an outlined loop's variable is computed from bpf_loop's index in the callback, a
    # runtime value: a mask clamps it as the verifier tracks it (GoL's rows need no
    # barrier), but the compare-and-select clamp of a length that is not a power of two
    # reached the verifier on another register ("invalid unbounded variable-offset read
    # from stack", fuzz seed 5 program 608) unless the value passes through the barrier
    pow2 = arr.length & (arr.length - 1) == 0
    outlined = runtime and pow2 and _loop_var(cx, node.slice, outlined=True)
    idx = index_value(cx, node.slice, arr.length,
                      hide_value=runtime and not outlined and not _mask_kept(cx, node, arr.length),
                      hide_index=runtime and not _outside_frame(cx, node.value))
    return gep(cx.b, base, [ir.Constant(I64, 0), idx], cx.types.mem(arr), name="elem")


_PLACES: dict[type, Callable[[LowerContext, Any], ir.Value]] = {
    ast.Name: _name, ast.Attribute: _attribute, ast.Subscript: _subscript}


def _loop_var(cx: LowerContext, node: ast.expr, outlined: bool = False) -> bool:
    """A ``range`` variable of a walked loop (LLVM may unroll its loop and fold the index to
    constants), or with ``outlined`` of an outlined one."""
    if not isinstance(node, ast.Name) or node not in cx.fi.names:
        return False
    target = cx.fi.names[node].target
    return any(cx.fi.names.get(f.target) is not None and
               cx.fi.names[f.target].target is target and
               (info.strategy is LoopStrategy.BPF_LOOP) == outlined
               for f, info in cx.fi.loops.items())


def _outside_frame(cx: LowerContext, node: ast.expr) -> bool:
    """``node`` is reached through a local reference to a map value or the packet: memory
    whose address LLVM knows nothing about, unlike the frame's or a global's, so it cannot
    turn ``base + idx`` into ``base | idx``."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    if not isinstance(node, ast.Name) or node not in cx.fi.names:
        return False
    sym = cx.fi.names[node]
    return (sym.kind != "global" and getattr(sym.target, "space", "") in ("map", "packet")
            and all(sym.target is not p for p in cx.fi.params))


def _mask_kept(cx: LowerContext, node: ast.Subscript, length: int) -> bool:
    """The program's own mask bounds the index and survives LLVM: a local masked at every
    assignment (model/masks.py), or an inline ``e & C`` into a map value or the packet.  An
    inline mask into the frame (``w.arr[(x // y) & 3]``, ``w.arr[i8(f()) & 1]``) was folded
    into the arithmetic before it, and the verifier saw the access with an unbounded min
    value (fuzz seed 2 program 405, seed 3 program 529, seed 4 programs 2339 and 2603)."""
    if not _masked_below(cx, node.slice, length):
        return False
    return isinstance(node.slice, ast.Name) or _outside_frame(cx, node.value)


def _masked_below(cx: LowerContext, node: ast.expr, length: int) -> bool:
    """The program bounds the index itself (model/masks.py)."""
    if cx.index_masks is None:
        cx.index_masks = mask_bounds(cx.fi)
    return masked_below(cx.fi, node, length, cx.index_masks)


def in_ctx(cx: LowerContext, node: ast.expr) -> bool:
    """True when ``node`` is a part of the program's ctx (only constant offsets work)."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    if not isinstance(node, ast.Name) or node not in cx.fi.names or not cx.fi.params:
        return False
    return bool(cx.fi.ctx_kind) and cx.fi.names[node].target is cx.fi.params[0]


def index_value(cx: LowerContext, node: ast.expr, length: int, hide_value: bool = False,
                hide_index: bool = False) -> ir.Value:
    """The index as i64; negative constants count from the end.

    A runtime index is proven in range by the checker; the clamp restates the bound
    in the register the access uses, which the verifier needs after spills.
    """
    c = cx.fi.consts.get(node)
    if c is not None:
        return ir.Constant(I64, c + length if c < 0 else c)
    t = int_type(cx.fi.types[node])
    v = convert(cx.b, cx.expr(node), t, IntType("u64", 64, False) if not t.signed
                else IntType("i64", 64, True))
    # A runtime index (not a range variable, into memory other than the ctx) may pass
    # through an empty asm on either side of the bound.  Before it (``hide_value``): LLVM
    # would drop a bound it can prove (``x % 3 < 3``) that the verifier cannot, leaving the
    # access "unbounded"; not needed when the program masks the index itself (the mask
    # stays, and LLVM keeps seeing through the index: a barrier here made GoL 1.5x slower).
    # After it (``hide_index``): knowing the index's range, LLVM turns ``base + idx * 4``
    # into ``base | idx * 4`` ("bitwise operator |= on pointer") where it knows the base's
    # alignment: the frame and globals, not a map value or the packet.
    if hide_value:
        v = opaque(cx, v)
    if length & (length - 1) == 0:
        # a mask is what the verifier tracks best (no copy-before-compare)
        idx = cx.b.and_(v, ir.Constant(I64, length - 1), name="idx")
    else:
        outside = cx.b.icmp_unsigned(">=", v, ir.Constant(I64, length))
        idx = cx.b.select(outside, ir.Constant(I64, 0), v, name="idx")
    return opaque(cx, idx) if hide_index else idx


def opaque(cx: LowerContext, v: ir.Value) -> ir.Value:
    """``v`` unchanged, but with nothing LLVM knows about it (an empty inline asm)."""
    asm = ir.InlineAsm(ir.FunctionType(I64, [I64]), "", "=r,0")
    return cx.b.call(asm, [v], name="opaque")


def slice_place(cx: LowerContext, node: ast.Subscript) -> tuple[ir.Value, ir.Value | None]:
    """``a[x:y]`` as a helper's destination: the address of its first element, and an i1
    that is false when a runtime offset does not leave room for the slice (the helper is
    then not called), or None when the checker proved it fits.

    The offset is clamped to ``len(a) - K`` behind an empty asm: LLVM cannot fold the clamp
    away under the fits test, so the verifier sees the pointer's largest offset plus the
    constant size inside the array (it checks the two apart)."""
    info = cx.fi.attrs[node][1]
    arr = cx.fi.types[node.value]
    arr = arr.target if isinstance(arr, RefType) else arr
    assert isinstance(arr, ArrayType)
    base = cx.expr(node.value)
    if info.start is not None:
        return gep(cx.b, base, [ir.Constant(I64, 0), ir.Constant(I64, info.start)],
                   cx.types.mem(arr), name="slice"), None
    t = int_type(cx.fi.types[info.offset])
    off = convert(cx.b, cx.expr(info.offset), t, IntType("u64", 64, False) if not t.signed
                  else IntType("i64", 64, True))
    last = ir.Constant(I64, arr.length - info.length)
    fits = cx.b.icmp_unsigned("<=", off, last, name="fits") if info.checked else None
    hidden = opaque(cx, off)
    over = cx.b.icmp_unsigned(">", hidden, last)
    start = cx.b.select(over, last, hidden, name="start")
    return gep(cx.b, base, [ir.Constant(I64, 0), start], cx.types.mem(arr), name="slice"), fits
