"""Lowering map operations: subscripts, atomic updates, lookup, get, output, ring-buffer
reservations, tail calls."""
from __future__ import annotations

import ast
from typing import Any

import llvmlite.ir as ir

from ..map_kinds import MapKind
from ..model import helper_table as H
from ..types import ArrayType, IntType, RefType, StructType, u32, u64
from .context import LowerContext
from .ints import convert
from .ltypes import I64, PTR
from .memory import copy, load_place, store_value, zero
from .places import opaque

BPF_ANY, BPF_NOEXIST, BPF_EXIST = 0, 1, 2
BPF_F_CURRENT_CPU = 0xFFFFFFFF      # perf_event_output: the buffer of the CPU running now
_ATOMIC = {ast.Add: "add", ast.Sub: "add", ast.BitOr: "or", ast.BitAnd: "and", ast.BitXor: "xor"}


def _map(cx: LowerContext, node: ast.expr) -> tuple[ir.Value, Any]:
    """The map's global and its MapType."""
    return cx.ml.maps[node.id], cx.fi.types[node]      # type: ignore[attr-defined]


def key_ptr(cx: LowerContext, keynode: ast.expr, mt: Any) -> ir.Value:
    """The key in a stack slot (helpers take keys by pointer)."""
    kt = mt.key
    if isinstance(kt, (StructType, ArrayType)):
        return _aggregate_arg(cx, ("key", keynode), keynode, kt)
    k = convert(cx.b, cx.expr(keynode), cx.fi.types[keynode], kt)
    if kt.size < 8 and not isinstance(k, ir.Constant):
        # A computed narrow key is written as 8 zero-extended bytes (the key is their low
        # bytes; BPF is little-endian).  The verifier then sees a spill wider than the key and
        # does not treat it as a constant key, which it would mark precise: a log2 bucket key,
        # constant on each path through a walked loop, kept those paths' states from pruning
        # (syscall_latency refused at 1M once its key had an 8-byte slot of its own).
        slot = cx.temp_slot(("key", keynode), u64)
        cx.b.store(cx.b.zext(k, I64), slot)
        return slot
    slot = cx.temp_slot(("key", keynode), kt)
    cx.b.store(k, slot)
    return slot


def value_ptr(cx: LowerContext, valnode: ast.expr, vt: Any) -> ir.Value:
    """The value in a stack slot, or the object's own address when it may be passed."""
    if isinstance(vt, (StructType, ArrayType)):
        return _aggregate_arg(cx, ("value", valnode), valnode, vt)
    slot = cx.temp_slot(("value", valnode), vt)
    store_value(cx, slot, vt, valnode)
    return slot


def _aggregate_arg(cx: LowerContext, key: Any, node: ast.expr, t: Any) -> ir.Value:
    """A struct or array passed to a helper by pointer.  Helpers refuse pointers into
    ctx ("R3 type=ctx expected=fp, ..."), so ``m[k] = ctx.p`` copies to the stack first."""
    if not _in_ctx(cx, node):
        return cx.expr(node)
    slot = cx.temp_slot(key, t)
    copy(cx, slot, cx.expr(node), t)
    return slot


def _in_ctx(cx: LowerContext, node: ast.expr) -> bool:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    if not (isinstance(node, ast.Name) and cx.fi.ctx_kind and cx.fi.params):
        return False
    sym = cx.fi.names.get(node)
    return sym is not None and sym.kind != "global" and sym.target is cx.fi.params[0]


def lookup(cx: LowerContext, mapnode: ast.expr, keynode: ast.expr) -> ir.Value:
    """``bpf_map_lookup_elem``: a pointer to the value, or null."""
    m, mt = _map(cx, mapnode)
    return cx.helper(H.MAP_LOOKUP, PTR, [m, key_ptr(cx, keynode, mt)])


def map_get(cx: LowerContext, node: ast.AST, mapnode: ast.expr, keynode: ast.expr,
            default: ast.expr | None) -> ir.Value:
    """``m[k]`` / ``m.get(k, d)``: a copy of the value, or the default (zero)."""
    _m, mt = _map(cx, mapnode)
    vt = mt.value
    p = lookup(cx, mapnode, keynode)
    found = cx.b.icmp_unsigned("!=", p, ir.Constant(PTR, None), name="found")
    if isinstance(vt, (StructType, ArrayType)):
        slot = cx.site_slot(node, vt)
        with cx.b.if_else(found) as (then, other):
            with then:
                copy(cx, slot, p, vt)
            with other:
                if default is not None:
                    copy(cx, slot, cx.expr(default), vt)
                else:
                    cx.b.store(ir.Constant(cx.types.mem(vt), None), slot)
        return slot
    # The default is evaluated before the branch, as Python evaluates arguments before
    # the call; the phi's second edge then comes from the block that holds it.
    dv = convert(cx.b, cx.expr(default), cx.fi.types[default], vt) \
        if default is not None else ir.Constant(cx.types.reg(vt), 0)
    before = cx.b.block
    with cx.b.if_then(found):
        v = load_place(cx, p, vt)
        then_end = cx.b.block
    phi = cx.b.phi(v.type, name="get")
    phi.add_incoming(v, then_end)
    phi.add_incoming(dv, before)
    return phi


def map_contains(cx: LowerContext, mapnode: ast.expr, keynode: ast.expr) -> ir.Value:
    """``k in m`` as an i1."""
    p = lookup(cx, mapnode, keynode)
    # The 0/1 result goes through an empty asm, so InstCombine cannot fold
    # ``k not in a and k not in b`` (p1 == 0 & p2 == 0) into (p1 | p2) == 0: the
    # verifier refuses that ("pointer |= pointer prohibited").
    found = cx.b.zext(cx.b.icmp_unsigned("!=", p, ir.Constant(PTR, None)), I64)
    opaque = ir.InlineAsm(ir.FunctionType(I64, [I64]), "", "=r,0")
    v = cx.b.call(opaque, [found], name="found")
    return cx.b.icmp_unsigned("!=", v, ir.Constant(I64, 0), name="contains")


def map_store(cx: LowerContext, target: ast.Subscript, value: ast.expr) -> None:
    """``m[k] = v``: ``bpf_map_update_elem`` with BPF_ANY."""
    m, mt = _map(cx, target.value)
    # Python evaluates the value before the target's key (it matters when both call
    # functions that change maps or globals)
    v = value_ptr(cx, value, mt.value)
    k = key_ptr(cx, target.slice, mt)
    cx.helper(H.MAP_UPDATE, I64, [m, k, v, ir.Constant(I64, BPF_ANY)])


def map_delete(cx: LowerContext, target: ast.Subscript) -> None:
    """``del m[k]``."""
    m, mt = _map(cx, target.value)
    cx.helper(H.MAP_DELETE, I64, [m, key_ptr(cx, target.slice, mt)])


def map_aug(cx: LowerContext, node: ast.AugAssign) -> None:
    """``m[k] op= v``: atomic on the stored value; creates the entry when absent."""
    target = node.target
    assert isinstance(target, ast.Subscript)
    m, mt = _map(cx, target.value)
    vt: IntType = mt.value
    k = key_ptr(cx, target.slice, mt)          # the key first, as Python does
    v = convert(cx.b, cx.expr(node.value), cx.fi.types[node.value], vt)
    if isinstance(node.op, ast.Sub):
        v = cx.b.neg(v)
    op = _ATOMIC[type(node.op)]
    p = cx.helper(H.MAP_LOOKUP, PTR, [m, k])
    # Found is the likely side (C's ``if (v) { add; return; }``); the absent path (insert
    # 0 op v; if another CPU inserted first, look up again) rejoins the one
    # read-modify-write.  In a loop the absent path is laid out last, so the found path
    # falls through: the verifier walks it through the remaining iterations first and
    # prunes each absent path where it rejoins (hashcount: 1789 -> 1416 processed insns,
    # clang 1526).  Outside loops the straight layout is shorter to verify (count_opens
    # 32 against 34).
    entry = cx.b.block
    block = cx.cold_block if cx.loop_targets else cx.fn.append_basic_block
    absent = block("map.absent")
    raced = block("map.raced")
    update = cx.fn.append_basic_block("map.rmw")
    done = cx.fn.append_basic_block("map.done")
    br = cx.b.cbranch(cx.b.icmp_unsigned("==", p, ir.Constant(PTR, None)), absent, update)
    br.set_weights([1, 99])
    cx.b.position_at_end(absent)
    init = v if op != "and" else ir.Constant(v.type, 0)
    slot = cx.temp_slot(("init", node), vt)
    cx.b.store(init, slot)
    r = cx.helper(H.MAP_UPDATE, I64, [m, k, slot, ir.Constant(I64, BPF_NOEXIST)])
    cx.b.cbranch(cx.b.icmp_signed("!=", r, ir.Constant(I64, 0)), raced, done)
    cx.b.position_at_end(raced)
    p2 = cx.helper(H.MAP_LOOKUP, PTR, [m, k])
    raced_end = cx.b.block
    cx.b.cbranch(cx.b.icmp_unsigned("!=", p2, ir.Constant(PTR, None)), update, done)
    cx.b.position_at_end(update)
    at = cx.b.phi(PTR, name="value")
    at.add_incoming(p, entry)
    at.add_incoming(p2, raced_end)
    _rmw(cx, op, at, v, vt)
    cx.b.branch(done)
    cx.b.position_at_end(done)


def _rmw(cx: LowerContext, op: str, p: ir.Value, v: ir.Value, vt: IntType) -> None:
    """``*p op= v``: atomic for 32/64-bit values; BPF has no 8/16-bit atomics (LLVM
    aborts on them), so narrow values take a plain load-op-store."""
    if vt.bits >= 32:
        cx.b.atomic_rmw(op, p, v, "monotonic")
        return
    old = cx.b.load(p, typ=v.type)
    fn = {"add": cx.b.add, "or": cx.b.or_, "and": cx.b.and_, "xor": cx.b.xor}[op]
    cx.b.store(fn(old, v), p)


def _write_if(cx: LowerContext, node: ast.Call, m: ir.Value, mt: Any, flag: int) -> ir.Value:
    """``m.insert(k, v)`` / ``m.replace(k, v)``: ``bpf_map_update_elem`` with BPF_NOEXIST or
    BPF_EXIST; true when it returned 0 (the key's presence, or a full map, makes it fail)."""
    k = key_ptr(cx, node.args[0], mt)          # arguments left to right, as Python
    v = value_ptr(cx, node.args[1], mt.value)
    r = cx.helper(H.MAP_UPDATE, I64, [m, k, v, ir.Constant(I64, flag)])
    return cx.b.icmp_signed("==", r, ir.Constant(I64, 0), name="stored")


def map_method(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    """``m.lookup(k)``, ``m.get(k, d)``, ``m.insert/replace(k, v)``, ``rb.output(v)`` and
    ``progs.tail_call(ctx, i)``."""
    mapnode = node.func.value          # type: ignore[attr-defined]
    m, mt = _map(cx, mapnode)
    if call.name == "lookup":
        return lookup(cx, mapnode, node.args[0])
    if call.name == "get":
        return map_get(cx, node, mapnode, node.args[0], node.args[1] if len(node.args) > 1 else None)
    if call.name in _RINGBUF:
        return _RINGBUF[call.name](cx, node, m, mt)
    if call.name in ("insert", "replace"):
        return _write_if(cx, node, m, mt, BPF_NOEXIST if call.name == "insert" else BPF_EXIST)
    if call.name == "output":
        return _output(cx, node, m, mt)
    if call.name == "get_stackid":
        flags = convert(cx.b, cx.expr(node.args[1]), cx.fi.types[node.args[1]], u64)
        return cx.helper(H.GET_STACKID, I64, [cx.ctx_pointer(), m, flags])
    # tail_call: on success it does not return
    idx = convert(cx.b, cx.expr(node.args[1]), cx.fi.types[node.args[1]], u32)
    return cx.helper(H.TAIL_CALL, I64, [cx.ctx_pointer(), m, idx])


def _reserve(cx: LowerContext, node: ast.Call, m: ir.Value, mt: Any) -> ir.Value:
    """``events.reserve()``: ``bpf_ringbuf_reserve(map, sizeof(event), 0)``, null when full.
    The kernel hands out the ring's memory as it is (old records, padding); the record is
    zeroed here so that it starts as ``Event()`` does and never carries stale bytes."""
    rt = cx.fi.types[node]
    assert isinstance(rt, RefType), "reserve() is typed as a reference to the event"
    et = rt.target
    p = cx.helper(H.RINGBUF_RESERVE, PTR, [m, ir.Constant(I64, et.size), ir.Constant(I64, 0)])
    with cx.b.if_then(cx.b.icmp_unsigned("!=", p, ir.Constant(PTR, None), name="reserved")):
        zero(cx, p, et)
    return p


def _release(cx: LowerContext, node: ast.Call, m: ir.Value, mt: Any) -> ir.Value:
    """``events.submit(rec[, flags])`` / ``events.discard(rec[, flags])``: the record's own
    pointer (the verifier wants exactly the one reserve returned) and the wakeup flags."""
    hid = H.RINGBUF_SUBMIT if node.func.attr == "submit" else H.RINGBUF_DISCARD  # type: ignore[attr-defined]
    flags: ir.Value = ir.Constant(I64, 0)
    if len(node.args) == 2:
        flags = convert(cx.b, cx.expr(node.args[1]), cx.fi.types[node.args[1]], u64)
    cx.helper(hid, ir.VoidType(), [cx.expr(node.args[0]), flags])
    return ir.Constant(I64, 0)


_RINGBUF = {"reserve": _reserve, "submit": _release, "discard": _release}


def _output(cx: LowerContext, node: ast.Call, m: ir.Value, mt: Any) -> ir.Value:
    """``rb.output(v[, size])``: bpf_ringbuf_output; ``events.output(ctx, v[, size])``:
    bpf_perf_event_output into the current CPU's buffer."""
    perf = mt.kind is MapKind.PERF_EVENT_ARRAY
    rec = node.args[1 if perf else 0]
    size = node.args[-1] if len(node.args) == (3 if perf else 2) else None
    if perf:
        cur = ir.Constant(I64, BPF_F_CURRENT_CPU)
        return perf_output(cx, node.func.value, cur, rec, size)  # type: ignore[attr-defined]
    t = cx.fi.types[rec]
    t = getattr(t, "target", t)
    data = value_ptr(cx, rec, t)
    n = _record_size(cx, size, t.size)
    return cx.helper(H.RINGBUF_OUTPUT, I64, [m, data, n, ir.Constant(I64, 0)])


def perf_output(cx: LowerContext, mapnode: ast.expr, flags: ir.Value, rec: ast.expr,
                size: ast.expr | None = None) -> ir.Value:
    """bpf_perf_event_output(ctx, map, flags, &rec, sizeof(rec) or size)."""
    m, _mt = _map(cx, mapnode)
    t = cx.fi.types[rec]
    t = getattr(t, "target", t)
    data = value_ptr(cx, rec, t)
    n = _record_size(cx, size, t.size)
    return cx.helper(H.PERF_EVENT_OUTPUT, I64, [cx.ctx_pointer(), m, flags, data, n])


def _record_size(cx: LowerContext, size: ast.expr | None, full: int) -> ir.Value:
    """The bytes to output: the whole record, or ``min(size, full)``.  The clamp sits
    behind an empty asm so that LLVM keeps it even where the program checked the size
    itself: the verifier needs the bound in the register the helper gets."""
    if size is None:
        return ir.Constant(I64, full)
    c = cx.fi.consts.get(size)
    if c is not None:
        return ir.Constant(I64, c)
    v = opaque(cx, convert(cx.b, cx.expr(size), cx.fi.types[size], u64))
    over = cx.b.icmp_unsigned(">", v, ir.Constant(I64, full))
    return cx.b.select(over, ir.Constant(I64, full), v, name="size")
