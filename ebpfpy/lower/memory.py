"""Values between memory and registers: loads, stores, converting stores and copies."""
from __future__ import annotations

import ast

import llvmlite.ir as ir

from ..model.kernel_types import KernelStruct
from ..types import TIMER, ArrayType, BoolType, BpfType, IntType, RefType, StructType, i64, u64
from .context import LowerContext
from .ints import convert
from ..model.typed import Local, LoopStrategy
from ..model.walk import all_nodes
from .hazards import MAX_INLINE_MEM_BYTES
from .ltypes import I1, I8, I64, PTR, gep

# An object up to this size is copied or zeroed as one aggregate load/store (SROA splits it
# into the fields' stores).  Past it, LLVM's instruction selection builds one node holding a
# value per element and aborts the whole process past 65,535 of them (a u64[65536] field of
# a ring-buffer record; at 8,192 it took 30 s, then aborted): bigger objects go through a
# loop of inline memcpy/memset chunks, which also keeps the program short.
AGGREGATE_MAX_BYTES = 4096


def load_place(cx: LowerContext, ptr: ir.Value, t: BpfType, unlink: bool = False) -> ir.Value:
    """Load a scalar from memory into its register form (bool → i1); aggregates stay
    addresses.  ``unlink``: see _unlinked."""
    if t is TIMER or isinstance(t, (StructType, ArrayType, KernelStruct)):
        return ptr
    v = cx.b.load(ptr, typ=cx.types.mem(t))
    if unlink and isinstance(v.type, ir.IntType):
        v = _unlinked(cx, v)
    if v.type == I8 and not isinstance(t, IntType):
        return cx.b.icmp_unsigned("!=", v, ir.Constant(I8, 0), name="bool")
    return v


def shared_in_callback(cx: LowerContext, node: ast.expr) -> bool:
    """Whether ``node`` (a name, field or element) is a scalar in the caller's stack read in
    a bpf_loop callback (an outlined loop's body) and compared with another such value or
    with a walked loop's variable.  (A slot compared with a constant or with the callback's
    own values narrows the same way on every walk and the callback converges; unlinking
    those cost http_stats 1.9x.)"""
    if not cx.loop_targets or cx.loop_targets[0] is not None or cx.frame is None:
        return False
    if cx.compared is None:
        cx.compared = _compared_with_varying(cx)
    return id(node) in cx.compared


def _in_caller_stack(cx: LowerContext, node: ast.expr) -> bool:
    """A local shared through the frame, or a part of a struct or array (or a ``syscall``
    ctx's stack copy) the caller owns."""
    assert cx.frame is not None
    root = node
    while isinstance(root, (ast.Attribute, ast.Subscript)):
        root = root.value
    sym = cx.fi.names.get(root) if isinstance(root, ast.Name) else None
    if sym is None or not isinstance(sym.target, Local) or sym.target not in cx.frame.index:
        return False
    space = getattr(sym.target, "space", "")
    return space == "stack" or (space == "ctx" and cx.fi.ctx_kind == "syscall")


def _compared_with_varying(cx: LowerContext) -> set[int]:
    """Ids of the values in the caller's stack that are operands (through casts) of a
    comparison, ``min`` or ``max`` with another such value or a walked loop's variable."""
    fi = cx.fi
    walked = {id(fi.names[f.target].target) for f, info in fi.loops.items()
              if info.strategy is LoopStrategy.LOOP and f.target in fi.names}

    # a local the outlined body assigns (``at = k * 64``) starts each walk afresh: what a
    # comparison taught the verifier about it does not carry over to the next walk
    fresh = {id(loc) for loc in getattr(cx.exit, "assigned", ())}

    def shared(e: ast.expr) -> bool:
        return _in_caller_stack(cx, e) and not (
            isinstance(e, ast.Name) and e in fi.names and id(fi.names[e].target) in fresh)

    def varying(e: ast.expr) -> bool:
        return shared(e) or (isinstance(e, ast.Name) and e in fi.names
                             and id(fi.names[e].target) in walked)
    out: set[int] = set()
    for n in all_nodes(fi.node):
        if isinstance(n, ast.Compare):
            ops = [n.left, *n.comparators]
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("min", "max"):
            ops = list(n.args)
        else:
            continue
        bare = [_uncast(o) for o in ops]
        for k, o in enumerate(bare):
            if shared(o) and any(j != k and varying(x) for j, x in enumerate(bare)):
                out.add(id(o))
    return out


def _uncast(e: ast.expr) -> ast.expr:
    while isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and len(e.args) == 1 \
            and not e.keywords:
        e = e.args[0]
    return e


def _unlinked(cx: LowerContext, v: ir.Value) -> ir.Value:
    """``v`` through ``v |= 0``: the verifier gives the result an identity of its own, so a
    comparison in the callback narrows the register, not the caller's stack slot it was
    read from (a slot narrowed to a constant is precise and changes on every walk of the
    callback, which then never converges: fuzz seed 2 program 244, seed 3 program 2745)."""
    # (the backend takes no asm text: a zero LLVM cannot see through, or'ed in)
    asm = ir.InlineAsm(ir.FunctionType(I64, [I64]), "", "=r,0")
    zero = cx.b.call(asm, [ir.Constant(I64, 0)], name="zero")
    wide = cx.b.zext(v, I64) if v.type.width < 64 else v
    out = cx.b.or_(wide, zero, name="unlinked")
    return cx.b.trunc(out, v.type) if v.type.width < 64 else out


class _VolatileLoad(ir.LoadInstr):
    """``load volatile``, which llvmlite's builder does not offer."""

    def descr(self, buf: list[str]) -> None:
        inner: list[str] = []
        super().descr(inner)
        buf.append(inner[0].replace("load ", "load volatile ", 1))
        buf.extend(inner[1:])


def load_config(cx: LowerContext, gv: ir.GlobalVariable, t: BpfType) -> ir.Value:
    """Read a ``Const`` global: a real load each time, never LLVM's fold of its initial value
    (userspace sets the value after compilation; the verifier then sees the frozen one).
    An array gives its address, passed through an empty asm so that LLVM cannot tell that
    its elements live in a constant."""
    if isinstance(t, ArrayType):
        opaque = ir.InlineAsm(ir.FunctionType(PTR, [PTR]), "", "=r,0")
        return cx.b.call(opaque, [gv], name=gv.name)
    lt = cx.types.mem(t)
    instr = _VolatileLoad(cx.b.block, gv, name=gv.name, typ=lt)
    instr.align = max(t.align, 1)
    cx.b._insert(instr)                  # llvmlite's builder has no volatile load
    if lt == I8 and not isinstance(t, IntType):
        return cx.b.icmp_unsigned("!=", instr, ir.Constant(I8, 0), name="bool")
    return instr


def store_value(cx: LowerContext, ptr: ir.Value, dst_t: BpfType, value: ast.expr,
                v: ir.Value | None = None) -> None:
    """Store ``value`` (converted, or copied for structs/arrays) at ``ptr``; ``v`` is
    its value when already computed."""
    if v is None:
        v = cx.expr(value)
    src_t = cx.fi.types[value]
    if isinstance(dst_t, (StructType, ArrayType)):
        copy(cx, ptr, v, dst_t)
    elif isinstance(dst_t, BoolType):
        cx.b.store(cx.b.zext(v, ir.IntType(8)) if v.type.width == 1 else v, ptr)
    else:
        cx.b.store(convert(cx.b, v, src_t, dst_t), ptr)


def copy(cx: LowerContext, dst: ir.Value, src: ir.Value, t: BpfType) -> None:
    """Copy an object of type ``t`` from ``src`` to ``dst``."""
    if isinstance(t, StructType) and t.size <= 128 and _data_bytes(t) < t.size:
        # An aggregate load/store leaves padding bytes undefined (stack garbage), but
        # map keys are hashed and compared bytewise: m[ctx.p] = v stored a key that no
        # lookup of the same struct found.  memcpy copies every byte; the backend
        # expands it inline (up to 128 stores).
        memcpy(cx, cx.b, dst, src, t.size, t.align)
        return
    if t.size > AGGREGATE_MAX_BYTES:
        chunked(cx, dst, src, t.size, t.align)
        return
    lt = cx.types.mem(t)
    cx.b.store(cx.b.load(src, typ=lt), dst)


def zero(cx: LowerContext, dst: ir.Value, t: BpfType) -> None:
    """Zero an object of type ``t`` at ``dst``."""
    if t.size > AGGREGATE_MAX_BYTES:
        chunked(cx, dst, None, t.size, t.align)
        return
    cx.b.store(ir.Constant(cx.types.mem(t), None), dst)


def chunked(cx: LowerContext, dst: ir.Value, src: ir.Value | None, size: int, align: int) -> None:
    """Copy ``size`` bytes from ``src`` to ``dst`` (zero them when ``src`` is None) in a
    loop of MAX_INLINE_MEM_BYTES chunks, each an inline memcpy/memset (a loop of constant
    trip count: the verifier walks each chunk once, about one instruction per 8 bytes)."""
    chunk = MAX_INLINE_MEM_BYTES
    trips, tail = divmod(size, chunk)
    b = cx.b
    entry = b.block
    loop = cx.fn.append_basic_block("chunk.loop")
    done = cx.fn.append_basic_block("chunk.done")
    b.branch(loop)
    b.position_at_end(loop)
    i = b.phi(I64, name="chunk")
    i.add_incoming(ir.Constant(I64, 0), entry)
    off = b.mul(i, ir.Constant(I64, chunk))
    _bulk(cx, b, dst, src, off, chunk, align)
    nxt = b.add(i, ir.Constant(I64, 1))
    i.add_incoming(nxt, loop)
    b.cbranch(b.icmp_unsigned("<", nxt, ir.Constant(I64, trips)), loop, done)
    b.position_at_end(done)
    if tail:
        _bulk(cx, b, dst, src, ir.Constant(I64, trips * chunk), tail, align)


def _bulk(cx: LowerContext, b: ir.IRBuilder, dst: ir.Value, src: ir.Value | None, off: ir.Value,
          size: int, align: int) -> None:
    at = gep(b, dst, [off], I8, inbounds=False)
    if src is not None:
        memcpy(cx, b, at, gep(b, src, [off], I8, inbounds=False), size, min(align, 8),
               volatile=True)
        return
    # volatile: MemCpyOpt would merge an unrolled loop's chunks into one memset past the
    # inline limit, a call to memset (E998 on a 5,000-byte record)
    fn = cx.fn.module.declare_intrinsic("llvm.memset", [PTR, I64])
    call = b.call(fn, [at, ir.Constant(I8, 0), ir.Constant(I64, size), ir.Constant(I1, 1)],
                  arg_attrs={0: ()})
    call.arg_attributes[0].align = min(align, 8)


def memcpy(cx: LowerContext, b: ir.IRBuilder, dst: ir.Value, src: ir.Value, size: int,
           align: int, volatile: bool = False) -> None:
    """``llvm.memcpy`` of ``size`` bytes between two objects aligned to ``align``."""
    mod = cx.fn.module
    name = "llvm.memcpy.p0.p0.i64"
    fn = mod.globals.get(name) or ir.Function(
        mod, ir.FunctionType(ir.VoidType(), [PTR, PTR, ir.IntType(64), I1]), name)
    # both sides are objects of the copied type: their alignment is the type's (more
    # would let LLVM use wider, misaligned stack accesses, which the verifier refuses)
    call = b.call(fn, [dst, src, ir.Constant(ir.IntType(64), size), ir.Constant(I1, int(volatile))],
                  arg_attrs={0: (), 1: ()})
    call.arg_attributes[0].align = call.arg_attributes[1].align = align


def copy_words(b: ir.IRBuilder, dst: ir.Value, src: ir.Value, size: int, align: int) -> None:
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


def as_i64(cx: LowerContext, node: ast.expr) -> ir.Value:
    """An integer expression widened to 64 bits (sign-extended when signed)."""
    t = cx.fi.types[node]
    v = cx.expr(node)
    return convert(cx.b, v, t, i64 if getattr(t, "signed", False) else u64)


def size_of(cx: LowerContext, node: ast.expr) -> int:
    """The size of the object ``node`` is or refers to."""
    t = cx.fi.types[node]
    return (t.target if isinstance(t, RefType) else t).size


def _data_bytes(t: BpfType) -> int:
    """Bytes of ``t`` that hold data (its size without padding)."""
    if isinstance(t, StructType):
        return sum(_data_bytes(f.type) for f in t.fields)
    if isinstance(t, ArrayType):
        return t.length * _data_bytes(t.elem)
    return t.size
