"""Lowering calls: casts, constructors, builtins, helpers, subprograms, ctx.load, timers."""
from __future__ import annotations

import ast
from typing import Any, Callable

import llvmlite.ir as ir

from ..model.typed import known
from ..model import helper_table as H
from ..types import BOOL, BoolType, IntType, RefType, StructType, i64, u32, u64
from . import ints
from .abi import returns_object
from .alloc import lower_alloc
from .atomics import lower_atomic
from .branchless import compare01
from .context import LowerContext
from .kfuncs import lower_ksym_exists, lower_kfunc_task
from .core import CORE_SHAPES, format_value, format_values, kernel_ptr, lower_helper
from .ints import convert
from .ltypes import I1, I8, I16, I32, I64, PTR, gep
from .maps import map_method, perf_output
from .memory import as_i64, size_of, store_value
from .packets import lower_load_meta, lower_packet_helper
from .places import slice_place

CLOCK_MONOTONIC = 1
XDP_DATA_OFF, SKB_DATA_OFF = 0, 76
BPF_FUNC_skb_load_bytes = 26
E2BIG = 7                 # a destination slice that does not fit: the helper is not called


def lower_call(cx: LowerContext, node: ast.Call) -> ir.Value:
    """A call, dispatched on the kind of the checker's Call record."""
    call = cx.fi.calls[node]
    return _CALLS[call.kind](cx, node, call)


# ------------------------------------------------------------------ casts, constructors
def _cast(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    arg = node.args[0]
    if cx.fi.types[arg] is BOOL:
        v01 = compare01(cx, arg)
        if v01 is not None:
            return convert(cx.b, v01, i64, call.type)
    if isinstance(cx.fi.types[arg], RefType):          # u64(kernel reference): its address
        return cx.b.ptrtoint(cx.expr(arg), I64, name="kaddr")
    return convert(cx.b, cx.expr(arg), cx.fi.types[arg], call.type)


def _bool(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    return cx.truth(node.args[0])


def _struct_new(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    st: StructType = call.type
    ptr = cx.site_slot(node, st)
    # memset, not a store of zeroinitializer: LLVM may skip the padding of a store, and a
    # struct's padding reaches map keys (a lookup would miss) and ring-buffer records.
    memset = cx.ml.module.declare_intrinsic("llvm.memset", [PTR, I64])
    cx.b.call(memset, [ptr, ir.Constant(I8, 0), ir.Constant(I64, st.size), ir.Constant(I1, 0)])
    for kw in node.keywords:
        f = st.by_name[known(kw.arg)]
        fp = cx.types.field_ptr(cx.b, ptr, st, f.name)
        store_value(cx, fp, f.type, kw.value)
    return ptr


def _array_new(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    ptr = cx.site_slot(node, call.type)
    cx.b.store(ir.Constant(cx.types.mem(call.type), None), ptr)
    return ptr


# ------------------------------------------------------------------ builtins
def _builtin(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    t = call.type
    if call.name == "abs":
        v = convert(cx.b, cx.expr(node.args[0]), cx.fi.types[node.args[0]], t)
        return ints.absolute(cx.b, t, v)
    vals = [convert(cx.b, cx.expr(a), cx.fi.types[a], t) for a in node.args]
    acc = vals[0]
    for v in vals[1:]:
        acc = ints.minmax(cx.b, t, call.name == "min", acc, v)
    return acc


# ------------------------------------------------------------------ helpers
def _helper(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    h = H.HELPERS[call.name]
    if h.shape in CORE_SHAPES:              # kernel objects and CO-RE queries: core.py
        return lower_helper(cx, node, call, h)
    return _HELPER_SHAPES[h.shape](cx, node, call, h)


def _noargs(cx: LowerContext, node: ast.Call, call: Any, h: Any) -> ir.Value:
    return cx.helper(h.id, ir.IntType(h.ret.bits), [])


def _comm(cx: LowerContext, node: ast.Call, call: Any, h: Any) -> ir.Value:
    ptr = cx.site_slot(node, h.ret)
    cx.b.store(ir.Constant(cx.types.mem(h.ret), None), ptr)
    cx.helper(h.id, I64, [ptr, ir.Constant(I32, h.ret.size)])
    return ptr


def _bswap(cx: LowerContext, node: ast.Call, call: Any, h: Any) -> ir.Value:
    lt = I16 if h.ret.bits == 16 else I32
    v = convert(cx.b, cx.expr(node.args[0]), cx.fi.types[node.args[0]], h.ret)
    fn = cx.ml.module.declare_intrinsic("llvm.bswap", [lt])
    return cx.b.call(fn, [v])


def _printk(cx: LowerContext, node: ast.Call, call: Any, h: Any) -> ir.Value:
    """bpf_trace_printk(fmt, size, a, b, c) for up to 3 values; past that
    bpf_trace_vprintk(fmt, size, data, data_len) with the values in a u64 array."""
    fmt = cx.ml.cstring(call.extra)
    args = [fmt, ir.Constant(I32, len(call.extra.encode()) + 1)]
    values = node.args[1:]
    if len(values) <= H.PRINTK_VALUES:
        return cx.helper(h.id, I64, args + [format_value(cx, a) for a in values])
    data, size = format_values(cx, node, values)
    return cx.helper(H.TRACE_VPRINTK, I64, args + [data, ir.Constant(I32, size)])


def _destination(cx: LowerContext, node: ast.expr) -> tuple[ir.Value, ir.Value | None]:
    """The address a helper writes to: an object's, an integer field's or element's, or a
    slice's; and for a slice at a runtime offset, whether it fits (see ``slice_place``)."""
    if cx.fi.attrs.get(node, ("",))[0] == "slice":
        return slice_place(cx, node)                 # type: ignore[arg-type]
    t = cx.fi.types[node]
    return (cx.place(node) if isinstance(t, (IntType, BoolType)) else cx.expr(node)), None


def _if_fits(cx: LowerContext, fits: ir.Value | None, call: Callable[[], ir.Value]) -> ir.Value:
    """``call()`` when the destination fits, else -E2BIG without calling the helper."""
    if fits is None:
        return call()
    with cx.b.if_else(fits) as (then, otherwise):
        with then:
            r = call()
            called = cx.b.block
        with otherwise:
            skipped = cx.b.block
    out = cx.b.phi(I64, name="r")
    out.add_incoming(r, called)
    out.add_incoming(ir.Constant(I64, -E2BIG), skipped)
    return out


def _probe_read(cx: LowerContext, node: ast.Call, call: Any, h: Any) -> ir.Value:
    dst, fits = _destination(cx, node.args[0])
    size = size_of(cx, node.args[0])
    src = cx.b.inttoptr(as_i64(cx, node.args[1]), PTR)
    return _if_fits(cx, fits, lambda: cx.helper(h.id, I64, [dst, ir.Constant(I32, size), src]))


def _get_stack(cx: LowerContext, node: ast.Call, call: Any, h: Any) -> ir.Value:
    """bpf_get_stack(ctx, buf, size, flags) / bpf_get_task_stack(task, buf, size, flags)."""
    first = cx.ctx_pointer() if h.name == "get_stack" else cx.expr(node.args[0])
    buf = cx.expr(node.args[1])
    flags = as_i64(cx, node.args[2])
    return cx.helper(h.id, I64, [first, buf, ir.Constant(I32, size_of(cx, node.args[1])), flags])


def _cgroup(cx: LowerContext, node: ast.Call, call: Any, h: Any) -> ir.Value:
    """bpf_current_task_under_cgroup(map, index)."""
    m = cx.ml.maps[node.args[0].id]              # type: ignore[attr-defined]
    idx = convert(cx.b, cx.expr(node.args[1]), cx.fi.types[node.args[1]], u32)
    return cx.helper(h.id, I64, [m, idx])


def _perf_output(cx: LowerContext, node: ast.Call, call: Any, h: Any) -> ir.Value:
    return perf_output(cx, node.args[1], as_i64(cx, node.args[2]), node.args[3],
                       node.args[4] if len(node.args) == 5 else None)


def _copy_from_user_task(cx: LowerContext, node: ast.Call, call: Any, h: Any) -> ir.Value:
    dst, fits = _destination(cx, node.args[0])
    size = size_of(cx, node.args[0])
    src = cx.b.inttoptr(as_i64(cx, node.args[1]), PTR)
    task = cx.expr(node.args[2])
    return _if_fits(cx, fits, lambda: cx.helper(
        h.id, I64, [dst, ir.Constant(I32, size), src, task, ir.Constant(I64, 0)]))


def _loop(cx: LowerContext, node: ast.Call, call: Any, h: Any) -> ir.Value:
    n = convert(cx.b, cx.expr(node.args[0]), cx.fi.types[node.args[0]],
                IntType("u32", 32, False))
    ref = cx.expr(node.args[2])
    if isinstance(n, ir.Constant) and n.constant == 0:
        # no call at all: the 6.18 verifier never visits the callback of a constant
        # zero-iteration bpf_loop and then fails ("verifier bug: No program to jit")
        return ir.Constant(I64, 0)
    cb = cx.ml.functions[call.extra]
    r = cx.helper(h.id, I64, [n, cb, ref, ir.Constant(I64, 0)])
    # bpf_loop inlined by the verifier returns -E2BIG as a u32: read it as signed 32-bit
    return cx.b.sext(cx.b.trunc(r, I32), I64, name="loops")


_HELPER_SHAPES: dict[str, Callable[[LowerContext, ast.Call, Any, Any], ir.Value]] = {
    "noargs": _noargs, "comm": _comm, "bswap": _bswap, "printk": _printk,
    "probe_read": _probe_read, "loop": _loop, "get_stack": _get_stack,
    "cgroup": _cgroup, "perf_output": _perf_output, "kfunc": lower_ksym_exists,
    "copy_from_user_task": _copy_from_user_task, "atomic": lower_atomic,
    "packet": lower_packet_helper}


# ------------------------------------------------------------------ subprograms
def _func(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    callee = cx.ml.checked.funcs[call.name]
    fn = cx.ml.functions[call.name]
    args = []
    for p, a in zip(callee.params, node.args):
        v = cx.expr(a)
        if p.mode == "value":
            v = convert(cx.b, v, cx.fi.types[a], p.type)
        args.append(v)
    if returns_object(callee):
        ret = known(callee.ret)
        out = cx.site_slot(node, ret)
        cx.b.store(ir.Constant(cx.types.mem(ret), None), out)
        cx.b.call(fn, args + [out])
        return out
    return cx.b.call(fn, args)


def _kernel_ptr(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    return kernel_ptr(cx, node)


def _kernel_view(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    return cx.expr(node.args[0])            # a flavour of the same kernel object


# ------------------------------------------------------------------ packets
def _ctx_load(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    t = call.extra
    if call.name == "meta":
        return lower_load_meta(cx, t)
    raw = cx.expr(node.args[1])
    off = convert(cx.b, raw, cx.fi.types[node.args[1]], u64)
    if cx.fi.ctx_kind == "socket":
        return _skb_load_bytes(cx, node, t, off)
    base_off = XDP_DATA_OFF if cx.fi.ctx_kind == "xdp" else SKB_DATA_OFF
    ctx = cx.ctx_pointer()

    def field(o: int) -> ir.Value:
        p = gep(cx.b, ctx, [ir.Constant(I64, o)], I8, inbounds=False)
        v = cx.b.load(p, typ=I32)
        return cx.b.inttoptr(cx.b.zext(v, I64), PTR)
    data = field(base_off)
    data_end = field(base_off + 4)
    start = gep(cx.b, data, [off], I8, name="pkt", inbounds=False)
    if not isinstance(raw, ir.Constant):
        # The verifier gives a pointer at a variable offset a new identity at each addition,
        # and knows in bounds only the one it saw compared with data_end.  LLVM may compute
        # data + off again near a use (CodeGenPrepare sinks address arithmetic; a caller's
        # load repeats a function's), and the copy has no known range.  An empty asm (no
        # instruction) makes the pointer a value LLVM cannot recompute.
        opaque = ir.InlineAsm(ir.FunctionType(PTR, [PTR]), "", "=r,0")
        start = cx.b.call(opaque, [start], name="pkt", attrs=("readnone", "nounwind"))
    # The packet is never at address 0: telling LLVM lets `if p is None` test only the
    # bounds, as clang's `if (p + 1 > data_end)` does, instead of bounds and null.
    cx.b.assume(cx.b.icmp_unsigned("!=", start, ir.Constant(PTR, None)))
    end = gep(cx.b, start, [ir.Constant(I64, t.size)], I8, name="pktend", inbounds=False)
    fits = cx.b.icmp_unsigned("<=", end, data_end, name="fits")
    return cx.b.select(fits, start, ir.Constant(PTR, None), name="load")


def _skb_load_bytes(cx: LowerContext, node: ast.Call, t: Any, off: ir.Value) -> ir.Value:
    # socket filters have no direct packet access: copy the bytes to the stack
    ptr = cx.site_slot(node, t)
    r = cx.helper(BPF_FUNC_skb_load_bytes, I64,
                  [cx.ctx_pointer(), cx.b.trunc(off, I32), ptr, ir.Constant(I32, t.size)])
    ok = cx.b.icmp_signed("==", r, ir.Constant(I64, 0))
    return cx.b.select(ok, ptr, ir.Constant(PTR, None), name="load")


# ------------------------------------------------------------------ timers
def _timer(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    timer = cx.place(node.func.value)       # type: ignore[attr-defined]
    if call.name == "init":
        return cx.helper(H.TIMER_INIT, I64, [timer, cx.ml.maps[call.extra],
                                             ir.Constant(I64, CLOCK_MONOTONIC)])
    if call.name == "set_callback":
        return cx.helper(H.TIMER_SET_CALLBACK, I64, [timer, cx.ml.functions[call.extra]])
    if call.name == "start":
        ns = convert(cx.b, cx.expr(node.args[0]), cx.fi.types[node.args[0]], u64)
        return cx.helper(H.TIMER_START, I64, [timer, ns, ir.Constant(I64, 0)])
    return cx.helper(H.TIMER_CANCEL, I64, [timer])


_CALLS: dict[str, Callable[[LowerContext, ast.Call, Any], ir.Value]] = {
    "cast": _cast, "bool": _bool, "struct_new": _struct_new, "array_new": _array_new,
    "builtin": _builtin, "helper": _helper, "func": _func, "kernel_ptr": _kernel_ptr,
    "kernel_view": _kernel_view, "kfunc_task": lower_kfunc_task,
    "ctx_load": _ctx_load, "timer": _timer, "map_method": map_method, "alloc": lower_alloc}
